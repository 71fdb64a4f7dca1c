import type { Command } from 'commander';
import { UsageError } from '../../format/errors.js';
import { truncateSteps, type TruncateResult } from '../../ops/truncate.js';
import { runWithBar } from '../interrupt.js';
import type { Summary } from '../../ops/partition-state.js';
import type { OnProgress } from '../../ops/progress.js';
import { nonNegative } from '../options.js';
import { confirm, DECLINED, shouldConfirm } from '../confirm.js';
import { toJson } from '../output.js';
import { theme } from '../theme.js';
import { startProgress } from '../progress.js';
import { fitText } from '../table-fit.js';
import { bytesWithUnit, count } from '../plural.js';
import { refuseReadOnlyPaths } from '../../storage/archive.js';

interface TruncateFlags {
  toOffset?: number;
  startOffset?: number;
  dryRun?: boolean;
  json?: boolean;
  force?: boolean;
  yes?: boolean;
}

export function register(program: Command): void {
  program
    .command('truncate')
    .description('remove the tail (--to-offset) or whole leading segments (--start-offset) of a partition, as Kafka does')
    .argument('<dir>', 'partition directory')
    .option('--to-offset <n>', 'remove every batch whose last offset is >= N (UnifiedLog.truncateTo)', nonNegative('--to-offset'))
    .option('--start-offset <n>', 'delete whole segments below the segment holding N, like retention (never the last segment)', nonNegative('--start-offset'))
    .option('--dry-run', 'print what would go (segments, batches, records, bytes) and change nothing')
    .option('--json', 'JSON result (README, "JSON contract"): changed, removed, before, after and the plan')
    .option('--force', 'work on a directory a running broker holds (dangerous)')
    .option('-y, --yes', 'do not ask for confirmation on a terminal')
    .addHelpText(
      'after',
      `
Semantics (Kafka's):
  --to-offset N is batch-granular: a batch holding N in its middle goes whole, so the log can end
  below N (the plan says so). Segments with base offset > N are deleted, a segment whose base is N
  is kept empty, the cut segment's .index/.timeindex/.txnindex lose entries at or above the new end
  (the time index's max-timestamp entry is recomputed), leader-epoch-checkpoint entries starting at
  or after the new end and producer snapshots above it are removed. N below the first segment
  empties the partition and restarts it at N.
  --start-offset N is segment-granular like retention: the log then starts at the base offset of
  the segment holding N; leader-epoch-checkpoint is truncated from the start there. The log-dir
  level log-start-offset-checkpoint is not changed by --start-offset (--to-offset lowers this
  partition's entry when it lies above the new end, so the broker does not drop the log at load).
  Crash-safe: the plan is written to kseg-intent.json first; \`kseg recover\` completes it.

Examples:
  kseg truncate /var/lib/kafka/orders-3 --to-offset 368770 --dry-run
  kseg truncate orders-3 --to-offset 368770 --json
  kseg truncate orders-3 --start-offset 100000`,
    )
    .action(async (dir: string, flags: TruncateFlags) => {
      refuseReadOnlyPaths('truncate', [dir]);
      if ((flags.toOffset === undefined) === (flags.startOffset === undefined)) throw new UsageError('give exactly one of --to-offset N and --start-offset N');
      const opts = { toOffset: flags.toOffset, startOffset: flags.startOffset, force: flags.force };
      if (shouldConfirm(flags)) {
        const { r: plan, watch } = await runWithBar('reading', (onProgress, at) => truncateSteps(dir, { ...opts, dryRun: true, onProgress }, at));
        process.stdout.write(fitText(renderTruncate(plan)) + '\n');
        watch.done('the plan was shown; nothing was changed');
        if (plan.noop) return;
        if (!(await confirm('Apply this truncation?', 'kseg truncate keeps no copy: copy the partition directory first if you may need the removed records.'))) {
          process.stdout.write(DECLINED);
          return;
        }
      }
      const { r, watch } = await runWithBar('reading', (onProgress, at) => truncateSteps(dir, { ...opts, dryRun: flags.dryRun, onProgress }, at));
      process.stdout.write((flags.json ? toJson(truncateJson(r)) : fitText(renderTruncate(r))) + '\n');
      watch.done(
        r.dryRun || r.noop
          ? 'truncate had finished: nothing was changed'
          : 'truncate had finished before it could stop (the signal came after its last safe point): the partition is truncated, as printed',
      );
    });
}

/** OUTPUT.md's mutating-command shape (changed, removed, before, after) plus the plan. */
export function truncateJson(r: TruncateResult): Record<string, unknown> {
  return {
    changed: r.changed,
    removed: r.removed,
    before: r.before,
    after: r.after,
    operation: r.operation,
    mode: r.mode,
    dryRun: r.dryRun,
    targetOffset: r.targetOffset,
    noop: r.noop,
    reason: r.reason ?? null,
    full: r.full,
    straddlingBatch: r.straddlingBatch,
    segments: r.segments,
    leaderEpochs: r.leaderEpochs,
    snapshotsRemoved: r.snapshotsRemoved,
    logStartOffsetCheckpoint: r.logStartOffsetCheckpoint,
  };
}

export function summaryLine(s: Summary): string {
  return `${count(s.segments, 'segment')}, ${count(s.batches, 'batch')}, ${count(s.records, 'record')}, ${bytesWithUnit(s.bytes)}, offsets ${s.logStartOffset ?? '-'}..${s.logEndOffset ?? '-'} (end exclusive)`;
}

export function renderTruncate(r: TruncateResult): string {
  const lines: string[] = [];
  const verb = r.dryRun ? 'would' : 'did';
  const what = r.mode === 'to-offset' ? `truncate to offset ${r.targetOffset} (batch-granular)` : `move the log start to offset ${r.targetOffset} (segment-granular)`;
  lines.push(theme.bold(`${r.dryRun ? 'Plan' : 'Done'}: ${what}`));
  if (r.reason) lines.push(r.noop ? theme.dim(r.reason) : theme.warn(r.reason));
  if (r.noop) return lines.join('\n');
  for (const s of r.segments) {
    if (s.action === 'delete') lines.push(`  ${theme.bad('delete')} ${theme.file(s.file)}: ${count(s.batches, 'batch')}, ${count(s.records, 'record')}, ${bytesWithUnit(s.bytes)}`);
    else if (s.action === 'cut')
      lines.push(
        `  ${theme.warn('cut')}    ${theme.file(s.file)} at byte ${s.position}: ${count(s.batches, 'batch')}, ${count(s.records, 'record')}, ${bytesWithUnit(s.bytes)} go`,
      );
    else lines.push(`  ${theme.good('create')} ${theme.file(s.file)} (empty)`);
  }
  if (r.leaderEpochs) {
    const fmt = (es: { epoch: number; startOffset: number }[]) => (es.length ? es.map((e) => `${e.epoch}@${e.startOffset}`).join(' ') : '(none)');
    if (fmt(r.leaderEpochs.before) !== fmt(r.leaderEpochs.after)) lines.push(`  leader-epoch-checkpoint: ${fmt(r.leaderEpochs.before)} -> ${fmt(r.leaderEpochs.after)}`);
  }
  if (r.snapshotsRemoved.length) lines.push(`  producer snapshots removed: ${r.snapshotsRemoved.join(', ')}`);
  if (r.logStartOffsetCheckpoint) lines.push(`  ../${r.logStartOffsetCheckpoint.file}: entry ${r.logStartOffsetCheckpoint.before} -> ${r.logStartOffsetCheckpoint.after}`);
  lines.push(`  before: ${summaryLine(r.before)}`);
  lines.push(`  after:  ${summaryLine(r.after)}`);
  if (r.dryRun) lines.push(theme.dim(`(dry run: nothing changed; ${count(r.changed.length, 'file')} ${verb} change, ${r.removed.length} ${verb} be removed)`));
  return lines.join('\n');
}
