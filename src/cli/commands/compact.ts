import type { Command } from 'commander';
import { compact, COMPACT_DEFAULTS, type CompactOptions, type CompactResult } from '../../ops/compact.js';
import { bytesArg, intArg, nonNegative } from '../options.js';
import { toJson } from '../output.js';
import { theme } from '../theme.js';
import { watchInterrupt, type InterruptWatch } from '../interrupt.js';
import { startProgress } from '../progress.js';
import { FitTable, fitText } from '../table-fit.js';
import { confirm, DECLINED, shouldConfirm } from '../confirm.js';
import { summaryLine } from './truncate.js';
import { bytesWithUnit, count } from '../plural.js';
import { refuseReadOnlyPaths } from '../../storage/archive.js';

interface CompactFlags {
  dryRun?: boolean;
  json?: boolean;
  force?: boolean;
  yes?: boolean;
  now?: number;
  deleteRetentionMs?: number;
  offsetMapBytes?: number;
  firstDirtyOffset?: number;
  minCompactionLagMs?: number;
  producerExpirationMs?: number;
  segmentBytes?: number;
  segmentIndexBytes?: number;
  indexIntervalBytes?: number;
}

export function register(program: Command): void {
  program
    .command('compact')
    .description("run Kafka's log cleaner on a partition offline: keep the latest record per key, drop expired tombstones and aborted transactions")
    .argument('<dir>', 'partition directory')
    .option('--dry-run', 'report per segment what would be removed (records, tombstones, bytes) and change nothing')
    .option('--json', 'JSON result (README, "JSON contract"): changed, removed, before, after, rounds, per-segment counts')
    .option('--now <ms>', 'cleaning time in ms since the epoch (default: now); decides tombstone horizons and producer expiry', intArg('--now'))
    .option(
      '--delete-retention-ms <ms>',
      `delete.retention.ms: how long a tombstone survives after the first cleaning that saw it (default ${COMPACT_DEFAULTS.deleteRetentionMs})`,
      nonNegative('--delete-retention-ms'),
    )
    .option(
      '--offset-map-bytes <size>',
      'log.cleaner.dedupe.buffer.size: the key -> offset map (24 bytes per slot, 90 % load); more keys than fit take several rounds (default 128m)',
      bytesArg('--offset-map-bytes'),
    )
    .option(
      '--first-dirty-offset <n>',
      "where the dirty range starts (default: this partition's entry in ../cleaner-offset-checkpoint, else the log start)",
      nonNegative('--first-dirty-offset'),
    )
    .option(
      '--min-compaction-lag-ms <ms>',
      'min.compaction.lag.ms: segments with records younger than this (relative to --now) stay dirty (default 0)',
      nonNegative('--min-compaction-lag-ms'),
    )
    .option(
      '--producer-expiration-ms <ms>',
      `producer.id.expiration.ms: producers whose last batch is older are no longer active (default ${COMPACT_DEFAULTS.producerExpirationMs})`,
      nonNegative('--producer-expiration-ms'),
    )
    .option('--segment-bytes <size>', 'segment.bytes: maximum size of a cleaned segment group (default 1g)', bytesArg('--segment-bytes'))
    .option('--segment-index-bytes <size>', 'segment.index.bytes: maximum index size of a group (default 10m)', bytesArg('--segment-index-bytes'))
    .option('--index-interval-bytes <n>', `index.interval.bytes for the rebuilt indexes (default ${COMPACT_DEFAULTS.indexIntervalBytes})`, nonNegative('--index-interval-bytes'))
    .option('--force', 'work on a directory a running broker holds (dangerous)')
    .option('-y, --yes', 'do not ask for confirmation on a terminal')
    .addHelpText(
      'after',
      `
What it does (Kafka's log cleaner, format doc section 7):
  The active (last) segment is never cleaned, nor anything from the first open transaction on.
  Over the dirty range an offset map (MD5 of each key -> latest offset) is built; then every segment
  below the map's end is rewritten, in groups of up to --segment-bytes, keeping a record when it is
  the latest for its key. Records without keys, records of aborted transactions and transaction
  markers whose transaction is gone are removed. Offsets never change; unchanged batches are copied
  byte for byte, changed ones are rebuilt with the same base offset, last offset, producer fields
  and codec.
Tombstones (null values): the first cleaning that keeps one stamps its batch with a delete horizon
  (--now + --delete-retention-ms); a later run at --now >= that horizon removes it. So a tombstone
  needs two runs to disappear — use --now to run the second one deterministically.
Producer state: ${'producer state is rebuilt from the batch headers of the whole log; a producer is active (its last batch is kept, empty if need be) when its last batch is within --producer-expiration-ms of --now or its transaction is open.'}
Crash-safe: new segments are written as .cleaned, swapped in through .swap and .deleted as the
  broker does; \`kseg recover\` (or the broker) completes or discards an interrupted compaction.

Examples:
  kseg compact /var/lib/kafka/orders-3 --dry-run
  kseg compact orders-3 --now 1700000000000 --delete-retention-ms 0 --json
  kseg compact orders-3 --offset-map-bytes 16m`,
    )
    .action(async (dir: string, flags: CompactFlags) => {
      refuseReadOnlyPaths('compact', [dir]);
      const opts: CompactOptions = {
        force: flags.force,
        now: flags.now,
        deleteRetentionMs: flags.deleteRetentionMs,
        offsetMapBytes: flags.offsetMapBytes,
        firstDirtyOffset: flags.firstDirtyOffset,
        minCompactionLagMs: flags.minCompactionLagMs,
        producerExpirationMs: flags.producerExpirationMs,
        segmentBytes: flags.segmentBytes,
        segmentIndexBytes: flags.segmentIndexBytes,
        indexIntervalBytes: flags.indexIntervalBytes,
      };
      if (opts.now === undefined) opts.now = Date.now();
      if (shouldConfirm(flags)) {
        const plan = await runCompact(dir, { ...opts, dryRun: true });
        process.stdout.write(fitText(renderCompact(plan.r)) + '\n');
        plan.watch.done('the plan was shown; nothing was changed');
        if (plan.r.noop) return;
        if (!(await confirm('Compact this partition?', 'kseg compact keeps no copy: copy the partition directory first if you may need the removed records.'))) {
          process.stdout.write(DECLINED);
          return;
        }
      }
      const { r, watch } = await runCompact(dir, { ...opts, dryRun: flags.dryRun });
      process.stdout.write((flags.json ? toJson(compactJson(r)) : fitText(renderCompact(r))) + '\n');
      watch.done(
        r.dryRun
          ? 'the dry run had finished: nothing was changed'
          : 'compaction had finished before it could stop (the signal came after its last safe point): the partition is compacted, as printed',
      );
    });
}

/**
 * compact with its progress bar and Ctrl-C: the op stops at its next safe point (ops/interrupt.ts)
 * and the CLI says what state the partition is in, exit 130 (143 for SIGTERM).
 */
async function runCompact(dir: string, opts: CompactOptions): Promise<{ r: CompactResult; watch: InterruptWatch }> {
  const progress = startProgress('compacting');
  const watch = watchInterrupt();
  let r: CompactResult;
  try {
    r = await compact(dir, { ...opts, onProgress: progress.onProgress, signal: watch.signal });
  } catch (e) {
    progress.stop();
    return watch.fail(e);
  }
  progress.stop();
  return { r, watch };
}

export function compactJson(r: CompactResult): Record<string, unknown> {
  const { changed, removed, before, after, ...rest } = r;
  return { changed, removed, before, after, ...rest };
}

export function renderCompact(r: CompactResult): string {
  const lines: string[] = [];
  lines.push(theme.bold(`${r.dryRun ? 'Plan' : 'Done'}: compact (now ${r.now} = ${new Date(r.now).toISOString()}, delete.retention.ms ${r.deleteRetentionMs})`));
  if (r.noop) {
    lines.push(theme.dim(r.reason ?? 'nothing to do'));
    return lines.join('\n');
  }
  lines.push(
    `  dirty range [${r.firstDirtyOffset}, ${r.firstUncleanableOffset}); active segment ${r.activeSegment} is not cleaned; last stable offset ${r.lastStableOffset}; ${count(r.activeProducers, 'active producer')}`,
  );
  r.rounds.forEach((round, i) => {
    const pct = ((round.mapKeys / round.mapSlots) * 100).toFixed(1);
    lines.push(
      theme.bold(`  round ${i + 1}: cleaned below offset ${round.endOffset}`) +
        theme.dim(`  (offset map: ${round.mapKeys} keys in ${round.mapSlots} slots, ${pct} %${round.mapFull ? ', full: another round follows' : ''})`),
    );
    const table = new FitTable(['segment', 'records in', 'kept', 'superseded', 'tombstones gone/kept', 'aborted', 'markers', 'no key', 'bytes in', 'bytes out'], 2);
    for (const s of round.segments) {
      table.push(
        [
          s.file,
          s.recordsIn,
          s.recordsOut,
          s.supersededRemoved,
          `${s.tombstonesRemoved}/${s.tombstonesRetained}`,
          s.abortedRemoved,
          s.markersRemoved,
          s.unkeyedRemoved,
          s.bytesIn,
          s.bytesOut,
        ].map(String),
      );
    }
    lines.push(table.toString().replace(/^/gm, '  '));
    for (const g of round.groups)
      lines.push(`    ${g.segments.join(' + ')} -> ${theme.file(g.file)} (${count(g.batches, 'batch')}, ${count(g.records, 'record')}, ${bytesWithUnit(g.bytes)})`);
    if (round.coverBatch)
      lines.push(
        theme.dim(
          `    kept the last batch of ${round.coverBatch.file} (ends at ${round.coverBatch.lastOffset}) so that an interrupted swap is completed by the broker's loader too`,
        ),
      );
  });
  const t = r.totals;
  lines.push(
    `  removed ${t.recordsRemoved} of ${count(t.recordsIn, 'record')} (${t.supersededRemoved} superseded, ${count(t.tombstonesRemoved, 'tombstone')}, ${t.abortedRemoved} aborted, ${count(t.markersRemoved, 'marker')}, ${t.unkeyedRemoved} without key); ${bytesWithUnit(t.bytesIn)} -> ${bytesWithUnit(t.bytesOut)}`,
  );
  if (t.tombstonesRetained)
    lines.push(
      `  ${count(t.tombstonesRetained, 'tombstone')} kept until their delete horizon${t.horizonsSet ? ` (${count(t.horizonsSet, 'batch')} stamped with horizon ${r.now + r.deleteRetentionMs} now)` : ''}`,
    );
  if (r.moreRounds) lines.push(theme.warn('  the offset map filled: compaction continues in further rounds (a dry run shows the first)'));
  if (r.cleanerOffsetCheckpoint) lines.push(`  ../${r.cleanerOffsetCheckpoint.file}: ${r.cleanerOffsetCheckpoint.before ?? '(none)'} -> ${r.cleanerOffsetCheckpoint.after}`);
  lines.push(`  before: ${summaryLine(r.before)}`);
  lines.push(`  after:  ${summaryLine(r.after)}`);
  if (r.dryRun) lines.push(theme.dim('(dry run: nothing changed)'));
  return lines.join('\n');
}
