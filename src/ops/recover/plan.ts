import fs from 'node:fs';
import { ioError, UsageError } from '../../format/errors.js';
import { scanPartitionDir } from '../../storage/segments.js';
import { intentRecoveryPhase } from '../intent.js';
import { DEFAULT_INDEX_INTERVAL_BYTES } from '../rebuild-index.js';
import { epochsPhase } from './epochs.js';
import { leftoversPhase, straysPhase } from './leftovers.js';
import { INDEX_KINDS, logPhase } from './log.js';
import { assertPartitionDir, assertRecoverableDir, dirKindNote, recoveryModeOf } from './mode.js';
import { scanPartitionSteps, viewOf, type PartitionScan, type SegmentScan } from '../partition-scan/index.js';
import { snapshotsPhase } from './snapshots.js';
import { runToEnd, type Steps } from '../interrupt.js';
import { dirEntries } from './state.js';
import type { PlanState, RecoverOptions, RecoverSummary, RecoveryPhase, RecoveryPlan } from './types.js';

/** The recovery phases in order. Each plans against the state the previous ones leave. */
// intentRecoveryPhase (ops/intent.ts) completes an interrupted `kseg truncate` from its intent record.
export const RECOVERY_PHASES: RecoveryPhase[] = [intentRecoveryPhase, leftoversPhase, straysPhase, logPhase, epochsPhase, snapshotsPhase];

/** Codes whose problem recover removes (rebuilt, deleted or cut). */
const FIXED_CODES = new Set([
  ...INDEX_KINDS,
  'LEFTOVER_DELETED',
  'LEFTOVER_CLEANED',
  'LEFTOVER_SWAP',
  'LEFTOVER_TEMP',
  'INTENT_PENDING',
  'ORPHAN_INDEX',
  'SNAPSHOT_CRC_MISMATCH',
  'SNAPSHOT_TRUNCATED',
  'SNAPSHOT_BAD_VERSION',
  'SNAPSHOT_BEYOND_LOG_END',
  'LEADER_EPOCH_BEYOND_LOG_END',
  'ZERO_TAIL',
  'PARTIAL_TAIL',
  'SIZE_TOO_SMALL',
  'SIZE_TOO_LARGE',
  'CRC_MISMATCH',
]);

function summaryOf(scan: PartitionScan): RecoverSummary {
  return { ...scan.summary, logEndOffset: scan.logEndOffset };
}

/** Plan Kafka's recovery of a partition directory without changing anything. */
export function planRecovery(dir: string, opts: RecoverOptions = {}): RecoveryPlan {
  return runToEnd(planRecoverySteps(dir, opts));
}

/** planRecovery as steps (ops/interrupt.ts): safe points in the scan of the log phase. */
export function* planRecoverySteps(dir: string, opts: RecoverOptions = {}): Steps<RecoveryPlan> {
  let st: fs.Stats;
  try {
    st = fs.statSync(dir);
  } catch (e) {
    throw ioError(e, dir);
  }
  if (!st.isDirectory()) throw new UsageError(`${dir}: recover takes a partition directory`);
  assertPartitionDir(dir);
  assertRecoverableDir(dir, !!opts.full);
  const indexIntervalBytes = opts.indexIntervalBytes ?? DEFAULT_INDEX_INTERVAL_BYTES;
  const { mode, logStartOffsetCheckpoint } = recoveryModeOf(dir, !!opts.full);
  mode.reason += dirKindNote(dir);
  const state: PlanState = {
    dir,
    opts: { indexIntervalBytes, onProgress: opts.onProgress },
    files: dirEntries(dir),
    actions: [],
    mode,
    logStartOffsetCheckpoint,
    cuts: [],
    notRecovered: [],
    deletedBases: new Set(),
    logEndOffset: null,
  };
  for (const phase of RECOVERY_PHASES) {
    const steps = phase.plan?.(state);
    if (steps) yield* steps;
  }
  const scan = state.scan!;
  // "before" describes the directory as it is: it differs from the log phase's view only when
  // completing a swap renamed or replaced segments.
  const segmentsMoved = state.actions.slice(0, state.actionsBeforeLog).some((a) => a.type === 'rename' || (a.type === 'delete' && a.file.endsWith('.log')));
  const before = segmentsMoved ? summaryOf(yield* scanPartitionSteps(viewOf(scanPartitionDir(dir)), { recordSet: false, maxIssues: 0 })) : summaryOf(scan);
  const kept = state.kept!;
  const survivors = state.segs!.filter((s) => kept.has(s.segment.log));
  const cutHere = (s: SegmentScan): boolean => kept.get(s.segment.log) !== Infinity;
  const after: RecoverSummary = {
    segments: survivors.length,
    batches: survivors.reduce((n, s) => n + (cutHere(s) ? s.batchesBeforeCut : s.batches), 0),
    records: survivors.reduce((n, s) => n + (cutHere(s) ? s.recordsBeforeCut : s.records), 0),
    bytes: survivors.reduce((n, s) => n + (cutHere(s) ? s.cut!.position : s.logSize), 0),
    logEndOffset: state.logEndOffset,
  };
  // Side files of segments whose corruption is kept are not rebuilt: their problems remain too.
  const untouched = new Set(state.notRecovered.map((n) => n.file.replace(/\.log$/, '')));
  const epochsRewritten = state.actions.some((a) => a.type === 'write' && a.file === 'leader-epoch-checkpoint');
  const remaining = scan.reporter.issues.filter((i) => {
    if (i.severity === 'info') return false;
    if (/\.log$/.test(i.file)) {
      const limit = kept.get(i.file);
      return limit !== undefined && (i.position === null || i.position < limit);
    }
    const m = /^(\d{20})\.(index|timeindex|txnindex)$/.exec(i.file);
    if (m && untouched.has(m[1]!)) return true;
    // The epochs phase rewrites a checkpoint whose entries are out of order (the cache's load drops them).
    if (i.code === 'LEADER_EPOCH_NOT_INCREASING' && epochsRewritten) return false;
    return !FIXED_CODES.has(i.code);
  });
  return { dir, mode, actions: state.actions, cut: state.cuts[0] ?? null, cuts: state.cuts, notRecovered: state.notRecovered, before, after, remaining, completed: [] };
}
