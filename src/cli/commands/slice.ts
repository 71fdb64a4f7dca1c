import { randomBytes } from 'node:crypto';
import type { KsegCommand } from '../program.js';
import { UsageError } from '../../format/errors.js';
import { parseRedactFields } from '../../ops/redact.js';
import { DEFAULT_INDEX_INTERVAL_BYTES } from '../../ops/rebuild-index.js';
import { slice, type SliceResult } from '../../ops/slice.js';
import { nonNegative, offsetRangeOptions, s3Options } from '../options.js';
import { toJson } from '../output.js';
import { theme } from '../theme.js';
import { watchInterrupt } from '../interrupt.js';
import { startProgress } from '../progress.js';
import { fitText } from '../table-fit.js';
import { bytesWithUnit, count } from '../plural.js';
import { refuseRemoteOutput, resolveArchiveArg } from '../../storage/archive.js';

interface SliceFlags {
  output: string;
  fromOffset: number;
  toOffset?: number;
  singleFile?: boolean;
  indexIntervalBytes: number;
  json?: boolean;
  redact?: string;
  redactSeed?: string;
}

export function register(program: KsegCommand): void {
  program
    .command('slice')
    .description('a standalone partition (or one .log) holding exactly the batches that cover [--from-offset, --to-offset], copied byte for byte')
    .argument('<path>', "partition directory, or one segment's .log file")
    .with(offsetRangeOptions({ from: 'first offset to include', to: 'last offset to include (inclusive; default: --from-offset)' }, { requiredFrom: true, toNonNegative: true }))
    .requiredOption('-o, --output <path>', 'new (or empty) directory for the partition; with --single-file a new .log file')
    .option('--single-file', 'write the batches into one .log file instead of a partition directory')
    .option(
      '--index-interval-bytes <n>',
      `index.interval.bytes for the rebuilt indexes (Kafka's default ${DEFAULT_INDEX_INTERVAL_BYTES})`,
      nonNegative('--index-interval-bytes'),
      DEFAULT_INDEX_INTERVAL_BYTES,
    )
    .option('--redact <fields>', 'replace record contents with same-length keyed hashes: keys,values,headers (any of them)')
    .option('--redact-seed <seed>', 'HMAC key of --redact: the same seed gives the same bytes (default: a random seed, not printed)')
    .with(s3Options())
    .option('--json', 'JSON summary (README, "JSON contract")')
    .addHelpText(
      'after',
      `
Batches are copied whole and unchanged (no re-encoding), so the slice may start before --from-offset
and end after --to-offset. Each input segment that holds part of the range becomes one output segment
named by its first copied offset; indexes, .txnindex, leader-epoch-checkpoint and a producer snapshot
are rebuilt and partition.metadata is copied. A damaged batch inside the range is refused (exit 3):
run kseg salvage first and slice its output. No batch in the range: exit 1.

--redact re-encodes instead of copying: every key / value / header key and value chosen is replaced by
HMAC-SHA256(seed, contents) expanded to the same length (equal keys stay equal), keeping lengths,
offsets, timestamps, attributes and framing; CRCs are recomputed. Uncompressed batches keep their exact
size and position; compressed ones are compressed again with the same codec, so their size can differ
(the summary counts them). Control batches are kept as they are; compressed v0/v1 wrappers are refused.

Examples:
  kseg slice orders-3 --from-offset 368770 --to-offset 368790 -o /tmp/orders-3-repro
  kseg slice orders-3 --from-offset 368776 -o 00000000000000368776.log --single-file
  kseg slice orders-3 --from-offset 368770 --to-offset 368790 -o /tmp/repro --redact keys,values,headers --redact-seed ticket-4711`,
    )
    .action(async (p: string, flags: SliceFlags) => {
      refuseRemoteOutput('slice', flags.output);
      const redact = flags.redact !== undefined ? { fields: parseRedactFields(flags.redact), seed: flags.redactSeed ?? randomBytes(16).toString('hex') } : undefined;
      if (flags.redactSeed !== undefined && !redact) throw new UsageError('--redact-seed needs --redact');
      const progress = startProgress('slicing');
      const watch = watchInterrupt();
      const r = await slice(resolveArchiveArg(p), flags.output, {
        fromOffset: flags.fromOffset,
        toOffset: flags.toOffset,
        singleFile: flags.singleFile,
        indexIntervalBytes: flags.indexIntervalBytes,
        redact,
        onProgress: progress.onProgress,
        signal: watch.signal,
      })
        .catch((e: unknown) => watch.fail(e))
        .finally(() => progress.stop());
      process.stdout.write(flags.json ? toJson(r) + '\n' : fitText(render(r)));
      watch.done(`the slice had been written before it could stop: ${flags.output} is complete`);
    });
}

function render(r: SliceResult): string {
  const out = [`${theme.file(r.input)} [${r.fromOffset}, ${r.toOffset}] -> ${theme.file(r.output)}${r.singleFile ? ' (single file)' : ''}`];
  for (const s of r.segments)
    out.push(
      `  ${s.file} bytes ${s.position}..${s.endPosition} -> ${s.output}: ${count(s.batches, 'batch')}, ${count(s.records, 'record')}, offsets ${s.baseOffset}..${s.lastOffset}`,
    );
  if (r.redacted)
    out.push(
      `  redacted ${r.redacted.fields.join(', ')} of ${count(r.redacted.records, 'record')} in ${count(r.redacted.batches, 'batch')}${r.redacted.compressedSizeChanged ? theme.warn(`; ${count(r.redacted.compressedSizeChanged, 'compressed batch', 'compressed batches')} changed size when compressed again`) : ''}`,
    );
  out.push(
    theme.good(
      `${r.redacted ? 'wrote' : 'copied'} ${count(r.batches, 'batch')}, ${count(r.records, 'record')}, ${bytesWithUnit(r.bytes)}; offsets ${r.firstOffset}..${r.lastOffset}`,
    ),
  );
  out.push(theme.dim(`wrote ${count(r.files.length, 'file')}; check with: kseg verify ${r.output}`));
  return out.join('\n') + '\n';
}
