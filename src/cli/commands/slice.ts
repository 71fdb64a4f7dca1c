import type { Command } from 'commander';
import { DEFAULT_INDEX_INTERVAL_BYTES } from '../../ops/rebuild-index.js';
import { slice, type SliceResult } from '../../ops/slice.js';
import { nonNegative } from '../options.js';
import { toJson } from '../output.js';
import { theme } from '../theme.js';

interface SliceFlags {
  output: string;
  fromOffset: number;
  toOffset?: number;
  singleFile?: boolean;
  indexIntervalBytes: number;
  json?: boolean;
}

export function register(program: Command): void {
  program
    .command('slice')
    .description('a standalone partition (or one .log) holding exactly the batches that cover [--from-offset, --to-offset], copied byte for byte')
    .argument('<path>', 'partition directory, or one segment\'s .log file')
    .requiredOption('--from-offset <n>', 'first offset to include', nonNegative('--from-offset'))
    .option('--to-offset <n>', 'last offset to include (inclusive; default: --from-offset)', nonNegative('--to-offset'))
    .requiredOption('-o, --output <path>', 'new (or empty) directory for the partition; with --single-file a new .log file')
    .option('--single-file', 'write the batches into one .log file instead of a partition directory')
    .option('--index-interval-bytes <n>', `index.interval.bytes for the rebuilt indexes (Kafka's default ${DEFAULT_INDEX_INTERVAL_BYTES})`, nonNegative('--index-interval-bytes'), DEFAULT_INDEX_INTERVAL_BYTES)
    .option('--json', 'JSON summary (README, "JSON contract")')
    .addHelpText('after', `
Batches are copied whole and unchanged (no re-encoding), so the slice may start before --from-offset
and end after --to-offset. Each input segment that holds part of the range becomes one output segment
named by its first copied offset; indexes, .txnindex, leader-epoch-checkpoint and a producer snapshot
are rebuilt and partition.metadata is copied. A damaged batch inside the range is refused (exit 3):
run kseg salvage first and slice its output. No batch in the range: exit 1.

Examples:
  kseg slice orders-3 --from-offset 368770 --to-offset 368790 -o /tmp/orders-3-repro
  kseg slice orders-3 --from-offset 368776 -o 00000000000000368776.log --single-file`)
    .action((p: string, flags: SliceFlags) => {
      const r = slice(p, flags.output, { fromOffset: flags.fromOffset, toOffset: flags.toOffset, singleFile: flags.singleFile, indexIntervalBytes: flags.indexIntervalBytes });
      process.stdout.write(flags.json ? toJson(r) + '\n' : render(r));
    });
}

function render(r: SliceResult): string {
  const out = [`${theme.file(r.input)} [${r.fromOffset}, ${r.toOffset}] -> ${theme.file(r.output)}${r.singleFile ? ' (single file)' : ''}`];
  for (const s of r.segments) out.push(`  ${s.file} bytes ${s.position}..${s.endPosition} -> ${s.output}: ${s.batches} batches, ${s.records} records, offsets ${s.baseOffset}..${s.lastOffset}`);
  out.push(theme.good(`copied ${r.batches} batches, ${r.records} records, ${r.bytes} bytes; offsets ${r.firstOffset}..${r.lastOffset}`));
  out.push(theme.dim(`wrote ${r.files.length} file(s); check with: kseg verify ${r.output}`));
  return out.join('\n') + '\n';
}
