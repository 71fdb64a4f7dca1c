import { assertNotLocked } from '../../storage/atomic.js';
import { lockedSteps, runToEnd, type Steps, type StopState } from '../interrupt.js';
import { backupPlanSteps, executeSteps } from './execute.js';
import { assertRecoverableDir } from './mode.js';
import { planRecoverySteps, RECOVERY_PHASES } from './plan.js';
import type { RecoverOptions, RecoverResult } from './types.js';

/**
 * `recover DIR`: Kafka's startup recovery done offline (format doc 6.1/6.2), ordered so that a
 * crash at any step leaves a partition that the next run finishes (8.1):
 *
 *   1. leftovers  delete .deleted; drop .swap files at or above the smallest .cleaned offset and
 *                 all .cleaned; complete the remaining swaps (delete the old files they replace,
 *                 strip .swap)
 *   2. strays     delete kseg temp files and index files without a .log
 *   3. log        within Kafka's recovery scope (RecoveryMode: recovery point, clean shutdown,
 *                 --full), find the first segment with an invalid entry (size/CRC, torn or zero
 *                 tail, just after an unparseable transaction marker); delete every later segment
 *                 (highest base offset first), write its rebuilt .index/.timeindex/.txnindex, then
 *                 truncate it (to 0 when rebuilding its index throws InvalidOffsetException); cut
 *                 segments Kafka recovers when loading them on their own; rebuild the side files of
 *                 other segments whose indexes are missing or invalid
 *   4. epochs     leader-epoch-checkpoint: loaded through assign, epochs of recovered batches
 *                 assigned, truncateFromEnd(log end), truncateFromStart(log start)
 *   5. snapshots  delete producer snapshots as ProducerStateManager's load does (never the last
 *                 ones after a clean shutdown); none is written
 *
 * A `-delete` partition directory is refused unless --full (Kafka deletes it without recovery).
 *
 * Each phase only plans (against a virtual listing of the directory); the whole plan is backed up
 * (`--backup`) and then executed action by action. A phase that finishes another tool's
 * interrupted operation in place (e.g. an intent record left by truncate/compact) implements
 * `complete` instead: those run first, in RECOVERY_PHASES order, before anything is planned.
 */

export type { NotRecovered, PlanState, RecoverAction, RecoverCut, RecoverOptions, RecoverResult, RecoverSummary, RecoveryMode, RecoveryPhase, RecoveryPlan } from './types.js';
export { assertPartitionDir, assertRecoverableDir, recoveryModeOf } from './mode.js';
export { planRecovery, RECOVERY_PHASES } from './plan.js';

/** Recover a partition directory (or only plan it with dryRun); a real run holds kseg's partition lock (storage/lock.ts). */
export function recover(dir: string, opts: RecoverOptions = {}): RecoverResult {
  return runToEnd(recoverSteps(dir, opts));
}

/**
 * recover as steps (ops/interrupt.ts), for a caller that stops it on Ctrl-C: safe points in the
 * scan (nothing changed yet, unless an interrupted truncate/compact was completed first), before
 * each file the backup copies, and between the planned changes (each one durable; another run
 * finishes the rest). `at.state` says what stopping at the current point leaves.
 */
export function recoverSteps(dir: string, opts: RecoverOptions = {}, at: StopState = { state: '' }): Steps<RecoverResult> {
  assertRecoverableDir(dir, !!opts.full);
  at.state = opts.dryRun ? 'recover dry run stopped: nothing was changed' : 'recover stopped before any file changed: the partition is unchanged';
  if (opts.dryRun) return recoverPartition(dir, opts, at);
  return lockedSteps(dir, 'recover', () => recoverPartition(dir, opts, at));
}

function* recoverPartition(dir: string, opts: RecoverOptions, at: StopState): Steps<RecoverResult> {
  const completing = RECOVERY_PHASES.filter((p) => p.complete);
  if (completing.length && !opts.dryRun) assertNotLocked(dir, opts.force ?? false);
  const completed = completing.flatMap((p) => p.complete!(dir, { dryRun: !!opts.dryRun, force: !!opts.force }));
  if (completed.length && !opts.dryRun)
    at.state = `recover stopped after completing an interrupted operation (${completed.join('; ')}), before its own changes: run kseg recover again to finish it`;
  const plan = yield* planRecoverySteps(dir, opts);
  plan.completed = completed;
  const changed: string[] = [];
  const removed: string[] = [];
  for (const a of plan.actions) {
    if (a.type === 'delete') removed.push(a.file);
    else if (a.type === 'rename') {
      removed.push(a.from);
      changed.push(a.to);
    } else changed.push(a.file);
  }
  const result: RecoverResult = { ...plan, applied: false, changed: [...new Set(changed)], removed: [...new Set(removed)], backupDir: null };
  result.applied = completed.length > 0 && !opts.dryRun;
  if (opts.dryRun || plan.actions.length === 0) return result;
  assertNotLocked(dir, opts.force ?? false);
  const unchanged = at.state;
  if (opts.backup) result.backupDir = yield* backupPlanSteps(plan, opts.backup, at);
  at.state = unchanged;
  yield* executeSteps(plan, at);
  result.applied = true;
  return result;
}
