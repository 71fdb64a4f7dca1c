import type { KsegCommand } from '../program.js';
import { DEFAULT_INDEX_INTERVAL_BYTES } from '../../ops/rebuild-index.js';
import { salvageSteps, type SalvageResult } from '../../ops/salvage.js';
import { nonNegative, s3Options } from '../options.js';
import { toJson } from '../output.js';
import { theme } from '../theme.js';
import { runWithBar } from '../interrupt.js';
import { fitText } from '../table-fit.js';
import { bytesWithUnit, count } from '../plural.js';
import { refuseRemoteOutput, resolveArchiveArg } from '../../storage/archive.js';

interface SalvageFlags {
  output: string;
  indexIntervalBytes: number;
  dryRun?: boolean;
  json?: boolean;
}

export function register(program: KsegCommand): void {
  program
    .command('salvage')
    .description('copy every valid batch of a damaged partition into a fresh, valid partition, resynchronising past damage; report what was lost')
    .argument('<path>', "damaged partition directory, or one segment's .log file")
    .requiredOption('-o, --output <dir>', 'new (or empty) directory for the salvaged partition; never overwritten')
    .option(
      '--index-interval-bytes <n>',
      `index.interval.bytes for the rebuilt indexes (Kafka's default ${DEFAULT_INDEX_INTERVAL_BYTES})`,
      nonNegative('--index-interval-bytes'),
      DEFAULT_INDEX_INTERVAL_BYTES,
    )
    .option('--dry-run', 'scan and print the loss report; write nothing')
    .with(s3Options())
    .option('--json', 'JSON loss report (README, "JSON contract")')
    .addHelpText(
      'after',
      `
The input is only read. Past an entry that fails its size, magic, offset or CRC check, salvage scans
forward byte by byte for the next position where a whole entry validates (v2: CRC-32C over the batch;
v0/v1: CRC-32 of the message, offset inside the segment's range) and continues there. Kafka's own
recovery would cut the log at the first fault and drop everything after it.

Valid entries are copied byte for byte, offsets unchanged (gaps are allowed, as after compaction);
an entry whose offsets do not increase is dropped and reported. Each output segment keeps its input
segment's base offset (file name); indexes, .txnindex, leader-epoch-checkpoint and a producer snapshot
at the log end offset are rebuilt, partition.metadata is copied. The output is written to a temporary
directory, fsynced, and renamed into place.

Examples:
  kseg salvage /var/lib/kafka/data/orders-3 -o /tmp/orders-3
  kseg salvage orders-3 -o orders-3.salvaged --json > loss.json
  kseg salvage orders-3/00000000000000368769.log -o /tmp/orders-3-seg --dry-run`,
    )
    .action(async (p: string, flags: SalvageFlags) => {
      refuseRemoteOutput('salvage', flags.output);
      const { r, watch } = await runWithBar('salvaging', (onProgress, at) =>
        salvageSteps(resolveArchiveArg(p), flags.output, { indexIntervalBytes: flags.indexIntervalBytes, dryRun: flags.dryRun, onProgress }, at),
      );
      process.stdout.write(flags.json ? toJson(r) + '\n' : fitText(render(r)));
      watch.done(
        r.dryRun
          ? 'salvage dry run had finished: nothing was changed'
          : `salvage had finished before it could stop (the signal came after its last safe point): ${r.output} is complete, as printed`,
      );
    });
}

function n(v: number | null): string {
  return v === null ? '?' : String(v);
}

function render(r: SalvageResult): string {
  const out: string[] = [`${theme.file(r.input)} -> ${theme.file(r.output)}${r.dryRun ? theme.dim(' (dry run: nothing written)') : ''}`];
  for (const s of r.segments) {
    const head = `  ${s.file}: kept ${count(s.batches, 'batch')}, ${count(s.records, 'record')}, ${s.bytes} of ${bytesWithUnit(s.size)}`;
    out.push(
      s.bytesLost === 0
        ? `${head} ${theme.good('(complete)')}`
        : `${head}, ${theme.warn(`lost ${bytesWithUnit(s.bytesLost)}`)}${s.output ? '' : theme.warn(' (nothing kept: no output segment)')}`,
    );
    for (const d of s.damaged) {
      const offs = d.offsetsLost
        ? d.offsetsLost.to === null
          ? `, offsets from ${d.offsetsLost.from} on`
          : d.offsetsLost.to < d.offsetsLost.from
            ? ''
            : `, offsets ${d.offsetsLost.from}..${d.offsetsLost.to}`
        : '';
      out.push(
        `    ${theme.warn('damaged')} bytes ${d.position}..${d.endPosition} (${bytesWithUnit(d.bytes)}): ${d.code}: ${d.message}; ${count(n(d.batchesLost), 'batch')}, ${count(n(d.recordsLost), 'record')} lost${offs}`,
      );
    }
    for (const d of s.dropped)
      out.push(
        `    ${theme.warn('dropped')} batch at byte ${d.position} (${bytesWithUnit(d.size)}, offsets ${d.baseOffset}..${d.lastOffset}, ${count(d.records, 'record')}): ${d.code}: ${d.message}`,
      );
  }
  out.push(
    `kept ${count(r.kept.batches, 'batch')}, ${count(r.kept.records, 'record')}, ${bytesWithUnit(r.kept.bytes)} in ${count(r.kept.segments, 'segment')}; offsets ${r.logStartOffset}..${r.logEndOffset - 1} (log end offset ${r.logEndOffset})`,
  );
  if (r.complete) out.push(theme.good('nothing lost: every byte of the input was a valid batch'));
  else
    out.push(
      theme.warn(
        `lost ${bytesWithUnit(r.lost.bytes)}: ${count(r.lost.damagedRanges, 'damaged range')}, ${count(r.lost.droppedBatches, 'dropped batch', 'dropped batches')}; ${count(n(r.lost.batches), 'batch')}, ${count(n(r.lost.records), 'record')}`,
      ),
    );
  if (!r.dryRun) out.push(theme.dim(`wrote ${count(r.files.length, 'file')}; check with: kseg verify ${r.output}`));
  return out.join('\n') + '\n';
}
