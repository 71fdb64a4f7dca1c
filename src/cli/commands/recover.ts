import type { Command } from 'commander';
import { runWithBar } from '../interrupt.js';
import { recoverSteps, type RecoverAction, type RecoverResult } from '../../ops/recover/index.js';
import { DEFAULT_INDEX_INTERVAL_BYTES } from '../../ops/rebuild-index.js';
import { nonNegative } from '../options.js';
import { confirm, DECLINED, shouldConfirm } from '../confirm.js';
import { toJson } from '../output.js';
import { theme } from '../theme.js';
import { fitText } from '../table-fit.js';
import { bytesWithUnit, count } from '../plural.js';
import { refuseReadOnlyPaths } from '../../storage/archive.js';

interface RecoverFlags {
  dryRun?: boolean;
  full?: boolean;
  json?: boolean;
  backup?: string;
  force?: boolean;
  indexIntervalBytes?: number;
  yes?: boolean;
}

export function register(program: Command): void {
  program
    .command('recover')
    .description(
      "Kafka's startup recovery, offline and crash-safe: finish leftovers, cut at the first invalid batch from the recovery point on, delete later segments, rebuild indexes",
    )
    .argument('<dir>', 'partition directory')
    .option('--dry-run', 'print the plan (what is cut, how many records and bytes, which files) and change nothing')
    .option(
      '--full',
      "recover every segment: cut at the first invalid batch anywhere, ignoring the log dir's recovery point and clean-shutdown marker (also recovers a -delete directory)",
    )
    .option('--json', 'JSON result: {mode, changed, removed, before, after, actions, cut, cuts, notRecovered, remaining}')
    .option('--backup <dir>', 'first copy every removed file, cut byte range and replaced file into a new sub-directory of DIR (with manifest.json)')
    .option('--force', 'run even if a broker holds the log directory lock')
    .option('-y, --yes', 'do not ask for confirmation on a terminal (scripts and pipes are never asked)')
    .option(
      '--index-interval-bytes <n>',
      `index.interval.bytes for rebuilt indexes (the topic's setting; Kafka's default is ${DEFAULT_INDEX_INTERVAL_BYTES})`,
      nonNegative('--index-interval-bytes'),
      DEFAULT_INDEX_INTERVAL_BYTES,
    )
    .addHelpText(
      'after',
      `
Which segments are recovered, as a broker decides at startup (LogLoader): when the partition
directory sits in a log dir (its parent holds recovery-point-offset-checkpoint, .kafka_cleanshutdown
or other broker files), after a clean shutdown (.kafka_cleanshutdown) no segment is recovered;
otherwise the segments from the one holding the partition's recovery point on (recovery point 0
when the checkpoint has no entry for it). Outside a log dir: from offset 0. Corruption below that
is reported ("not recovered") and kept; --full cuts at the first invalid batch anywhere. A segment
without .index (or whose .txnindex fails Kafka's sanity check) is recovered alone whatever the
scope, as Kafka does when it loads it.

Steps, in this order (a crash at any point leaves a partition the next run finishes):
  1. .deleted files are deleted; .cleaned files (and .swap files at or above them) are discarded;
     remaining .swap segments replace the files they cover
  2. kseg temp files and index files without a .log are deleted
  3. the first segment in scope with an invalid entry (bad size or CRC, torn or zero-filled tail,
     or just after a transaction marker Kafka cannot parse) is cut there; every later segment is deleted first (highest base offset first), then the segment's
     rebuilt .index/.timeindex/.txnindex are written, then its .log is truncated. Segments whose
     indexes are missing or invalid get rebuilt indexes.
     A recovered segment whose index rebuild meets offsets going backwards is emptied (Kafka's
     InvalidOffsetException), later segments deleted.
  4. leader-epoch-checkpoint: epochs of recovered batches missing from it are assigned, entries
     starting at or after the new log end dropped, those at or below the log-start-offset
     checkpoint folded into one (written atomically, created if missing)
  5. producer snapshots of deleted segments, stray ones, those beyond the new log end or at or below
     the log start offset, and corrupt ones are deleted (after a clean shutdown never all of them:
     Kafka would then assume no producer state); no snapshot is written
A -delete partition directory (which Kafka deletes without recovering) is refused (exit 2) unless
--full; -stray and -future directories are recovered as Kafka loads them.
Batches with a valid CRC are kept even if verify finds other problems in them (as Kafka does);
they are listed as "remaining". Exit 4 if a running broker holds the directory (see --force).

Examples:
  kseg recover /var/lib/kafka/orders-3 --dry-run
  kseg recover /var/lib/kafka/orders-3 --full --dry-run
  kseg recover orders-3 --backup /srv/kseg-backups --index-interval-bytes 4096`,
    )
    .action(async (dir: string, flags: RecoverFlags) => {
      refuseReadOnlyPaths('recover', [dir]);
      const opts = { full: flags.full, force: flags.force, backup: flags.backup, indexIntervalBytes: flags.indexIntervalBytes };
      if (shouldConfirm(flags)) {
        const { r: plan, watch } = await runWithBar('reading', (onProgress, at) => recoverSteps(dir, { ...opts, dryRun: true, onProgress }, at));
        watch.done('the plan was being shown: nothing was changed');
        if (plan.actions.length > 0 || plan.completed.length > 0) {
          process.stdout.write(fitText(render(plan, true)));
          const hint = flags.backup ? undefined : 'Removed files and cut bytes are not kept; add --backup DIR to keep a copy of everything recover removes.';
          if (!(await confirm('Apply this recovery?', hint))) {
            process.stdout.write(DECLINED);
            return;
          }
        }
      }
      const { r, watch } = await runWithBar('recovering', (onProgress, at) => recoverSteps(dir, { ...opts, dryRun: flags.dryRun, onProgress }, at));
      process.stdout.write(flags.json ? toJson(resultJson(r, !!flags.dryRun)) + '\n' : fitText(render(r, !!flags.dryRun)));
      watch.done(
        r.applied
          ? 'recover had finished before it could stop (the signal came after its last safe point): the partition is recovered, as printed'
          : 'recover had finished: nothing was changed',
      );
    });
}

export function actionJson(a: RecoverAction): Record<string, unknown> {
  switch (a.type) {
    case 'delete':
      return { type: 'delete', file: a.file, bytes: a.bytes, reason: a.reason };
    case 'rename':
      return { type: 'rename', from: a.from, to: a.to, reason: a.reason };
    case 'truncate':
      return { type: 'truncate', file: a.file, position: a.size, bytes: a.fromSize - a.size, records: a.records, reason: a.reason };
    case 'write':
      return { type: 'write', file: a.file, bytes: a.data.length, created: !a.existed, reason: a.reason };
  }
}

function resultJson(r: RecoverResult, dryRun: boolean): Record<string, unknown> {
  return {
    changed: r.changed,
    removed: r.removed,
    before: r.before,
    after: r.after,
    dryRun,
    applied: r.applied,
    actions: r.actions.map(actionJson),
    cut: r.cut,
    cuts: r.cuts,
    notRecovered: r.notRecovered,
    backup: r.backupDir,
    remaining: r.remaining,
    completed: r.completed,
    mode: r.mode,
  };
}

function actionLine(a: RecoverAction): string {
  switch (a.type) {
    case 'delete':
      return `${theme.bad('delete  ')} ${theme.file(a.file)} (${bytesWithUnit(a.bytes)}) ${theme.dim('— ' + a.reason)}`;
    case 'rename':
      return `${theme.warn('rename  ')} ${theme.file(a.from)} -> ${theme.file(a.to)} ${theme.dim('— ' + a.reason)}`;
    case 'truncate':
      return `${theme.bad('truncate')} ${theme.file(a.file)} at byte ${a.size} (${bytesWithUnit(a.fromSize - a.size)}, ${count(a.records, 'record')}) ${theme.dim('— ' + a.reason)}`;
    case 'write':
      return `${theme.good('write   ')} ${theme.file(a.file)} (${bytesWithUnit(a.data.length)}) ${theme.dim('— ' + a.reason)}`;
  }
}

function summary(s: RecoverResult['before']): string {
  return `${count(s.segments, 'segment')}, ${count(s.batches, 'batch')}, ${count(s.records, 'record')}, ${bytesWithUnit(s.bytes)}, log end offset ${s.logEndOffset ?? '-'}`;
}

function modeLine(m: RecoverResult['mode']): string {
  const what =
    m.kind === 'full'
      ? 'full (every segment)'
      : m.kind === 'clean-shutdown'
        ? 'clean shutdown (Kafka skips recovery)'
        : m.kind === 'no-log-dir'
          ? 'no log dir (from offset 0)'
          : `recovery point ${m.recoveryPoint}${m.firstSegmentChecked ? ` (from ${m.firstSegmentChecked})` : ''}`;
  return `mode: ${what} ${theme.dim('— ' + m.reason)}`;
}

function render(r: RecoverResult, dryRun: boolean): string {
  const out: string[] = [modeLine(r.mode)];
  for (const c of r.completed) out.push(`${dryRun ? 'would complete' : 'completed'}: ${c}`);
  if (r.actions.length === 0) {
    out.push(`${theme.good('nothing to recover')} in ${theme.file(r.dir)}: ${summary(r.before)}`);
  } else {
    out.push(`${dryRun ? 'plan for' : 'recovered'} ${theme.file(r.dir)}:`);
    for (const a of r.actions) out.push('  ' + actionLine(a));
    for (const c of r.cuts) {
      out.push(
        `  ${theme.warn('cut')}: ${c.code} in ${c.file} at byte ${c.position}${c.offset !== null ? ` (offset ${c.offset})` : ''} — ${count(c.records, 'record')} and ${bytesWithUnit(c.bytes)} removed${c.segmentsDeleted.length ? `, ${count(c.segmentsDeleted.length, 'later segment')} deleted` : ''}${c.kind === 'segment-load' ? ' (this segment only, as Kafka recovers it when loading it)' : ''}`,
      );
    }
    out.push(`  before: ${summary(r.before)}`);
    out.push(`  after:  ${summary(r.after)}`);
    if (r.backupDir) out.push(`  backup: ${r.backupDir} (manifest.json lists every piece)`);
  }
  if (r.notRecovered.length) {
    out.push(
      theme.warn(`  ${count(r.notRecovered.length, 'corruption')} Kafka's startup would not recover, kept (kseg verify shows them; kseg recover --full cuts at the first):`),
    );
    for (const n of r.notRecovered)
      out.push(`    ${n.code} ${n.file}${n.position !== null ? `@${n.position}` : ''}${n.offset !== null ? ` (offset ${n.offset})` : ''}: ${n.reason}`);
  }
  if (r.remaining.length) {
    out.push(theme.warn(`  ${count(r.remaining.length, 'problem')} Kafka's recovery keeps (run kseg verify for details):`));
    for (const i of r.remaining.slice(0, 20)) out.push(`    ${i.code} ${i.file}${i.position !== null ? `@${i.position}` : ''}: ${i.message}`);
  }
  if (dryRun && r.actions.length) out.push(theme.dim('dry run: nothing was changed'));
  return out.join('\n') + '\n';
}
