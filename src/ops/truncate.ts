import { PartitionReadProgress, type OnProgress } from './progress.js';
import fs from 'node:fs';
import path from 'node:path';
import type { Batch } from '../format/batch.js';
import { encodeLeaderEpochCheckpoint, parseLeaderEpochCheckpoint, truncateEpochsFromEnd, truncateEpochsFromStart, type LeaderEpochEntry } from '../format/checkpoints.js';

// The leader-epoch rules live with the checkpoint format, shared with recover.
export { truncateEpochsFromStart } from '../format/checkpoints.js';
import { CorruptDataError, ioError, UsageError } from '../format/errors.js';
import { OFFSET_INDEX_ENTRY_SIZE, parseOffsetIndex, parseTimeIndex, parseTxnIndex, TIME_INDEX_ENTRY_SIZE, TXN_INDEX_ENTRY_SIZE } from '../format/indexes.js';
import { assertNotLocked } from '../storage/atomic.js';
import { lockedSteps, runToEnd, type Steps, type StopState } from './interrupt.js';
import { readWholeFile } from '../storage/source.js';
import { assertSettled, loadPartitionSteps, readLogDirCheckpointEntry, scanSegmentSteps, type PartitionState, type SegmentInfo, type Summary } from './partition-state.js';
import { applyIntent, intentEffect, segmentPrefix, writeIntent, INTENT_VERSION, type CutPlan, type TruncateIntent } from './intent.js';

/**
 * Truncation with Kafka's semantics (format doc 8), offline and crash-safe (8.1).
 *
 * --to-offset N (UnifiedLog.truncateTo): remove every batch whose last offset is >= N. Batch
 * granular: a batch holding N in its middle goes whole, so the new log end offset can be below N.
 * Segments with base offset > N are deleted; a segment whose base offset is N is kept, emptied. The
 * cut segment's .index/.timeindex/.txnindex lose their entries at or above the new end, and the
 * time index gets its max-timestamp entry recomputed for the kept batches (as Kafka's
 * readLargestTimestamp + roll do). leader-epoch-checkpoint entries starting at or after the new end
 * are dropped; producer snapshots above the new end are deleted. A target below the first segment's
 * base offset empties the partition and starts it at N (truncateFullyAndStartAt).
 *
 * --start-offset N (retention / log start offset increment): delete every whole segment whose next
 * segment starts at or below N — never the last (active) segment. The log start offset becomes the
 * base offset of the first kept segment (segment granular, as retention is; records of that segment
 * below N stay). leader-epoch-checkpoint is truncated from the start at the new log start offset;
 * snapshots below it are deleted. The log-dir-level log-start-offset-checkpoint is not touched
 * (the broker takes max(checkpoint, first segment base) when it loads the log).
 *
 * Both: the plan is written as an intent record (intent.ts) before the first destructive step and
 * applied from it, so `kseg recover` finishes an interrupted truncation.
 */
export interface TruncateOptions {
  toOffset?: number;
  startOffset?: number;
  dryRun?: boolean;
  /** Work on a directory a running broker holds. */
  force?: boolean;
  /** Bytes of .log read while the partition is scanned (the only long part: the cut itself is a few renames). */
  onProgress?: OnProgress;
}

export interface SegmentChange {
  file: string;
  baseOffset: number;
  action: 'delete' | 'cut' | 'create';
  /** cut: byte position where the .log is cut. */
  position?: number;
  /** What goes: batches, records and bytes of the .log. */
  batches: number;
  records: number;
  bytes: number;
}

export interface TruncateResult {
  operation: 'truncate';
  mode: 'to-offset' | 'start-offset';
  dryRun: boolean;
  targetOffset: number;
  /** Nothing to do (the reason says why). */
  noop: boolean;
  reason?: string;
  /** truncateFullyAndStartAt: the target is below the first segment. */
  full: boolean;
  /** The batch that holds the target in its middle and goes whole (to-offset), or stays whole (start-offset). */
  straddlingBatch: { file: string; position: number; baseOffset: number; lastOffset: number; records: number } | null;
  segments: SegmentChange[];
  leaderEpochs: { before: LeaderEpochEntry[]; after: LeaderEpochEntry[] } | null;
  snapshotsRemoved: string[];
  logStartOffsetCheckpoint: { file: string; before: number; after: number } | null;
  changed: string[];
  removed: string[];
  before: Summary;
  after: Summary;
}

/** Truncate a partition directory, holding kseg's partition lock unless it is a dry run (storage/lock.ts). */
export function truncate(dir: string, opts: TruncateOptions): TruncateResult {
  return runToEnd(truncateSteps(dir, opts));
}

/**
 * truncate as steps (ops/interrupt.ts), for a caller that stops it on Ctrl-C: safe points before
 * each segment and every few MiB of the scan ('scan-segment-N', 'scan'), in the cut segment's walk
 * ('truncate-cut') and just before the intent is written ('truncate-apply'); up to there nothing
 * has changed. Writing the intent, applying it and the renames run without a safe point (a few
 * renames and truncations; recover finishes them after a crash). `at.state` says what stopping
 * at the current point leaves.
 */
export function truncateSteps(dir: string, opts: TruncateOptions, at: StopState = { state: '' }): Steps<TruncateResult> {
  at.state = opts.dryRun ? 'truncate dry run stopped: nothing was changed' : 'truncate stopped before any file changed: the partition is unchanged';
  if (opts.dryRun) return truncatePartition(dir, opts);
  return lockedSteps(dir, 'truncate', () => truncatePartition(dir, opts));
}

function* truncatePartition(dir: string, opts: TruncateOptions): Steps<TruncateResult> {
  if ((opts.toOffset === undefined) === (opts.startOffset === undefined)) throw new UsageError('give exactly one of --to-offset N and --start-offset N');
  const target = (opts.toOffset ?? opts.startOffset)!;
  if (!Number.isSafeInteger(target) || target < 0) throw new UsageError(`the target offset must be a non-negative integer (got ${target})`);
  if (!opts.dryRun) assertNotLocked(dir, opts.force ?? false);
  const p = opts.onProgress ? new PartitionReadProgress(opts.onProgress) : null;
  const state = yield* loadPartitionSteps(dir, p ? { begin: (l) => p.begin(l), visit: (b) => p.batch(b.position), segmentDone: (s) => p.segmentDone(s) } : undefined);
  assertSettled(state.listing, 'truncate');
  if (state.segments.length === 0) throw new CorruptDataError('NO_SEGMENTS', 'the directory has no .log segments', { file: dir });
  const plan = opts.toOffset !== undefined ? yield* planTo(state, target) : planStart(state, target);
  const result = plan.result;
  result.dryRun = opts.dryRun ?? false;
  if (plan.intent) {
    const eff = intentEffect(dir, plan.intent);
    result.changed = eff.changed;
    result.removed = eff.removed;
    if (!opts.dryRun) {
      yield 'truncate-apply';
      writeIntent(dir, plan.intent);
      applyIntent(dir, plan.intent);
    }
  }
  return result;
}

// ---------------------------------------------------------------------------------------- helpers

function readEpochs(state: PartitionState): LeaderEpochEntry[] | null {
  const f = state.listing.leaderEpochCheckpoint;
  if (!f) return null;
  return parseLeaderEpochCheckpoint(readWholeFile(path.join(state.dir, f)).toString('utf8'), f);
}

function existingSnapshots(state: PartitionState, keep: (offset: number) => boolean): string[] {
  return state.listing.snapshots.filter((s) => !keep(s.offset)).map((s) => s.file);
}

function baseResult(state: PartitionState, mode: TruncateResult['mode'], target: number): TruncateResult {
  return {
    operation: 'truncate',
    mode,
    dryRun: false,
    targetOffset: target,
    noop: false,
    full: false,
    straddlingBatch: null,
    segments: [],
    leaderEpochs: null,
    snapshotsRemoved: [],
    logStartOffsetCheckpoint: null,
    changed: [],
    removed: [],
    before: state.summary,
    after: state.summary,
  };
}

function newIntent(state: PartitionState, mode: TruncateIntent['mode'], target: number, after: { logStartOffset: number; logEndOffset: number }): TruncateIntent {
  return {
    kseg: 'intent',
    version: INTENT_VERSION,
    op: 'truncate',
    mode,
    createdAt: new Date().toISOString(),
    partition: path.basename(path.resolve(state.dir)),
    targetOffset: target,
    logStartOffset: { before: state.logStartOffset, after: after.logStartOffset },
    logEndOffset: { before: state.logEndOffset, after: after.logEndOffset },
    deleteSegments: [],
    cut: null,
    createSegment: null,
    deleteSnapshots: [],
    leaderEpochCheckpoint: null,
    logStartOffsetCheckpoint: null,
  };
}

function deletion(seg: SegmentInfo): SegmentChange {
  return { file: seg.log, baseOffset: seg.baseOffset, action: 'delete', batches: seg.stats.batches, records: seg.stats.records, bytes: seg.logSize };
}

function sameEpochs(a: LeaderEpochEntry[], b: LeaderEpochEntry[]): boolean {
  return a.length === b.length && a.every((e, i) => e.epoch === b[i]!.epoch && e.startOffset === b[i]!.startOffset);
}

function sideSize(dir: string, name: string | undefined): number | null {
  if (!name) return null;
  try {
    return fs.statSync(path.join(dir, name)).size;
  } catch (e) {
    throw ioError(e, path.join(dir, name));
  }
}

// ---------------------------------------------------------------------------------------- --to-offset

interface Plan {
  result: TruncateResult;
  intent: TruncateIntent | null;
}

function* planTo(state: PartitionState, target: number): Steps<Plan> {
  const result = baseResult(state, 'to-offset', target);
  const segs = state.segments;
  const epochs = readEpochs(state);
  const leo = state.logEndOffset;

  if (target >= leo) {
    // UnifiedLog.truncateTo: nothing to remove; only the leader-epoch cache loses entries at or above the log end.
    const kept = epochs ? truncateEpochsFromEnd(epochs, leo) : null;
    if (epochs && kept && !sameEpochs(epochs, kept)) {
      const intent = newIntent(state, 'to-offset', target, { logStartOffset: state.logStartOffset, logEndOffset: leo });
      intent.leaderEpochCheckpoint = encodeLeaderEpochCheckpoint(kept);
      result.leaderEpochs = { before: epochs, after: kept };
      result.reason = `offset ${target} is at or beyond the log end offset ${leo}: no records go; leader-epoch-checkpoint entries at or above ${leo} are dropped`;
      return { result, intent };
    }
    result.noop = true;
    result.reason = `offset ${target} is at or beyond the log end offset ${leo}: nothing to truncate`;
    return { result, intent: null };
  }

  const first = segs[0]!;
  const lsoCp = readLogDirCheckpointEntry(state.dir, 'log-start-offset-checkpoint', state.topicPartition);

  if (first.baseOffset > target) {
    // truncateFullyAndStartAt(target): every segment goes, one empty segment at the target.
    const intent = newIntent(state, 'to-offset', target, { logStartOffset: target, logEndOffset: target });
    intent.deleteSegments = [...segs].reverse().map((s) => s.name);
    intent.createSegment = segmentPrefix(target);
    intent.deleteSnapshots = existingSnapshots(state, () => false);
    if (epochs) intent.leaderEpochCheckpoint = encodeLeaderEpochCheckpoint([]);
    if (lsoCp?.entry && lsoCp.entry.offset !== target) {
      intent.logStartOffsetCheckpoint = { file: path.basename(lsoCp.file), topic: lsoCp.entry.topic, partition: lsoCp.entry.partition, offset: target };
      result.logStartOffsetCheckpoint = { file: path.basename(lsoCp.file), before: lsoCp.entry.offset, after: target };
    }
    result.full = true;
    result.reason = `offset ${target} is below the first segment's base offset ${first.baseOffset}: the partition is emptied and restarts at ${target}`;
    result.segments = [...segs].reverse().map(deletion);
    result.segments.push({ file: `${intent.createSegment}.log`, baseOffset: target, action: 'create', batches: 0, records: 0, bytes: 0 });
    result.leaderEpochs = epochs ? { before: epochs, after: [] } : null;
    result.snapshotsRemoved = intent.deleteSnapshots;
    result.after = { segments: 1, batches: 0, records: 0, bytes: 0, logStartOffset: target, logEndOffset: target };
    return { result, intent };
  }

  // The last segment with base <= target is cut; every later one (base > target) is deleted.
  let cutIdx = 0;
  for (let i = 0; i < segs.length; i++) if (segs[i]!.baseOffset <= target) cutIdx = i;
  const cutSeg = segs[cutIdx]!;
  const deleted = segs.slice(cutIdx + 1).reverse();
  const cut = yield* findCut(state.dir, cutSeg, target);
  const newEnd = cut.newEnd;

  const cutPlan = cutIndexes(state.dir, cutSeg, cut);
  const keptEpochs = epochs ? truncateEpochsFromEnd(epochs, newEnd) : null;
  const intent = newIntent(state, 'to-offset', target, { logStartOffset: Math.min(state.logStartOffset, newEnd), logEndOffset: newEnd });
  intent.deleteSegments = deleted.map((s) => s.name);
  intent.cut = cutPlan.changesSomething ? cutPlan.plan : null;
  intent.deleteSnapshots = existingSnapshots(state, (o) => o <= newEnd);
  if (epochs && keptEpochs && !sameEpochs(epochs, keptEpochs)) intent.leaderEpochCheckpoint = encodeLeaderEpochCheckpoint(keptEpochs);
  if (lsoCp?.entry && lsoCp.entry.offset > newEnd) {
    // Kafka: log start offset = min(target, log start offset). Use the real new end so the broker
    // does not find log end < log start at load (which would delete every segment).
    intent.logStartOffsetCheckpoint = { file: path.basename(lsoCp.file), topic: lsoCp.entry.topic, partition: lsoCp.entry.partition, offset: newEnd };
    result.logStartOffsetCheckpoint = { file: path.basename(lsoCp.file), before: lsoCp.entry.offset, after: newEnd };
  }

  result.segments = deleted.map(deletion);
  if (cut.removedBatches > 0 || cut.tailBytes > 0) {
    result.segments.push({
      file: cutSeg.log,
      baseOffset: cutSeg.baseOffset,
      action: 'cut',
      position: cut.position,
      batches: cut.removedBatches,
      records: cut.removedRecords,
      bytes: cutSeg.logSize - cut.position,
    });
  }
  result.straddlingBatch = cut.straddling;
  result.leaderEpochs = epochs && keptEpochs ? { before: epochs, after: keptEpochs } : null;
  result.snapshotsRemoved = intent.deleteSnapshots;
  const removedBatches = result.segments.reduce((n, s) => n + s.batches, 0);
  const removedRecords = result.segments.reduce((n, s) => n + s.records, 0);
  const removedBytes = result.segments.reduce((n, s) => n + s.bytes, 0);
  result.after = {
    segments: state.summary.segments - deleted.length,
    batches: state.summary.batches - removedBatches,
    records: state.summary.records - removedRecords,
    bytes: state.summary.bytes - removedBytes,
    logStartOffset: state.summary.logStartOffset,
    logEndOffset: newEnd,
  };
  const nothing = deleted.length === 0 && !intent.cut && intent.deleteSnapshots.length === 0 && intent.leaderEpochCheckpoint === null && intent.logStartOffsetCheckpoint === null;
  if (nothing) {
    result.noop = true;
    result.reason = `no batch has a last offset at or above ${target}: nothing to truncate`;
    return { result, intent: null };
  }
  if (cut.straddling) {
    result.reason = `batch ${cut.straddling.baseOffset}..${cut.straddling.lastOffset} holds offset ${target} and goes whole (truncation is batch-granular): the log now ends at ${newEnd}`;
  }
  return { result, intent };
}

interface Cut {
  /** Byte position where the .log is cut (the first removed batch, or a torn tail). */
  position: number;
  newEnd: number;
  removedBatches: number;
  removedRecords: number;
  /** Unreadable bytes after the last batch that go with the cut (a torn tail). */
  tailBytes: number;
  straddling: TruncateResult['straddlingBatch'];
  /** Max batch timestamp over the kept batches and the last offset of the earliest batch carrying it. */
  maxTimestamp: number;
  offsetOfMaxTimestamp: number;
}

/** LogSegment.truncateTo's translateOffset: the first batch whose last offset is >= target. */
function* findCut(dir: string, seg: SegmentInfo, target: number): Steps<Cut> {
  const cut: Cut = { position: -1, newEnd: seg.baseOffset, removedBatches: 0, removedRecords: 0, tailBytes: 0, straddling: null, maxTimestamp: -1, offsetOfMaxTimestamp: -1 };
  yield 'truncate-cut';
  const stats = yield* scanSegmentSteps(dir, seg, (b: Batch) => {
    if (cut.position < 0 && b.lastOffset >= target) {
      cut.position = b.position;
      if (b.baseOffset < target) cut.straddling = { file: seg.log, position: b.position, baseOffset: b.baseOffset, lastOffset: b.lastOffset, records: b.recordCount };
    }
    if (cut.position >= 0) {
      cut.removedBatches++;
      cut.removedRecords += b.recordCount;
      return;
    }
    cut.newEnd = b.lastOffset + 1;
    if (b.maxTimestamp > cut.maxTimestamp) {
      cut.maxTimestamp = b.maxTimestamp;
      cut.offsetOfMaxTimestamp = b.lastOffset;
    }
  });
  if (stats.badEntry && (cut.position < 0 || stats.badEntry.position < cut.position)) {
    const e = stats.badEntry.error;
    throw new CorruptDataError(e.code, `truncate: ${e.message} before the cut point; run \`kseg recover\` first`, { file: seg.log, position: stats.badEntry.position });
  }
  if (cut.position < 0) {
    // No batch reaches the target. Bytes after the last readable batch (a torn or garbage tail)
    // are not part of the log; they go too so the result reads back cleanly.
    cut.position = stats.stop.position;
    cut.tailBytes = seg.logSize - stats.stop.position;
  } else if (stats.stop.reason !== 'eof') {
    cut.tailBytes = seg.logSize - stats.stop.position;
  }
  return cut;
}

/** Kept prefixes of the cut segment's indexes and the recomputed final time-index entry. */
function cutIndexes(dir: string, seg: SegmentInfo, cut: Cut): { plan: CutPlan; changesSomething: boolean } {
  const base = seg.baseOffset;
  const newEnd = cut.newEnd;
  let indexBytes = 0;
  const indexSize = sideSize(dir, seg.index);
  if (seg.index) {
    const { entries } = parseOffsetIndex(readWholeFile(path.join(dir, seg.index)), base);
    let k = 0;
    while (k < entries.length && entries[k]!.offset < newEnd && entries[k]!.position < cut.position) k++;
    indexBytes = k * OFFSET_INDEX_ENTRY_SIZE;
  }
  let timeIndexBytes = 0;
  let lastTs = -1;
  let timeIndexCurrent: Buffer | null = null;
  if (seg.timeindex) {
    timeIndexCurrent = readWholeFile(path.join(dir, seg.timeindex));
    const { entries } = parseTimeIndex(timeIndexCurrent, base);
    let k = 0;
    while (k < entries.length && entries[k]!.offset < newEnd) k++;
    timeIndexBytes = k * TIME_INDEX_ENTRY_SIZE;
    if (k > 0) lastTs = entries[k - 1]!.timestamp;
  }
  // Kafka's readLargestTimestamp, then the entry appended when the segment is rolled or closed:
  // (max timestamp of the kept batches, last offset of the earliest batch carrying it) if larger.
  const finalEntry = cut.maxTimestamp > lastTs ? { timestamp: cut.maxTimestamp, relativeOffset: cut.offsetOfMaxTimestamp - base } : null;
  let txnIndexBytes: number | null = null;
  const txnSize = sideSize(dir, seg.txnindex);
  if (seg.txnindex) {
    const { entries } = parseTxnIndex(readWholeFile(path.join(dir, seg.txnindex)), seg.txnindex);
    let k = 0;
    while (k < entries.length && entries[k]!.lastOffset < newEnd) k++;
    txnIndexBytes = k * TXN_INDEX_ENTRY_SIZE;
  }
  const plan: CutPlan = { segment: seg.name, logBytes: cut.position, indexBytes, timeIndexBytes, timeIndexFinalEntry: finalEntry, txnIndexBytes };
  const wantTime = timeIndexBytes + (finalEntry ? TIME_INDEX_ENTRY_SIZE : 0);
  let timeChanges = timeIndexCurrent === null || timeIndexCurrent.length !== wantTime;
  if (!timeChanges && finalEntry && timeIndexCurrent) {
    const p = timeIndexBytes;
    timeChanges = timeIndexCurrent.readBigInt64BE(p) !== BigInt(finalEntry.timestamp) || timeIndexCurrent.readInt32BE(p + 8) !== finalEntry.relativeOffset;
  }
  const changesSomething = cut.position < seg.logSize || (indexSize !== null && indexSize !== indexBytes) || timeChanges || (txnSize !== null && txnSize !== txnIndexBytes);
  return { plan, changesSomething };
}

// ---------------------------------------------------------------------------------------- --start-offset

function planStart(state: PartitionState, target: number): Plan {
  const result = baseResult(state, 'start-offset', target);
  const segs = state.segments;
  const leo = state.logEndOffset;
  if (target > leo) {
    throw new UsageError(`--start-offset ${target} is beyond the log end offset ${leo} (Kafka refuses to move the log start offset past the end)`);
  }
  // Retention's rule (deleteLogStartOffsetBreachedSegments): a segment goes when the next one
  // starts at or below the new start; the last (active) segment never goes.
  let keepFrom = 0;
  while (keepFrom < segs.length - 1 && segs[keepFrom + 1]!.baseOffset <= target) keepFrom++;
  const deleted = segs.slice(0, keepFrom);
  const keptFirst = segs[keepFrom]!;
  const newStart = keptFirst.baseOffset;
  if (deleted.length === 0) {
    result.noop = true;
    result.reason =
      target <= keptFirst.baseOffset
        ? `offset ${target} is at or below the log start offset ${keptFirst.baseOffset}: nothing to remove`
        : `offset ${target} is in the first segment (${keptFirst.log}); only whole segments are removed, so nothing goes`;
    return { result, intent: null };
  }
  const epochs = readEpochs(state);
  const newEpochs = epochs ? truncateEpochsFromStart(epochs, newStart) : null;
  const intent = newIntent(state, 'start-offset', target, { logStartOffset: Math.max(state.logStartOffset, newStart), logEndOffset: leo });
  intent.deleteSegments = deleted.map((s) => s.name);
  intent.deleteSnapshots = existingSnapshots(state, (o) => o >= newStart);
  if (epochs && newEpochs && !sameEpochs(epochs, newEpochs)) intent.leaderEpochCheckpoint = encodeLeaderEpochCheckpoint(newEpochs);
  result.segments = deleted.map(deletion);
  result.leaderEpochs = epochs && newEpochs ? { before: epochs, after: newEpochs } : null;
  result.snapshotsRemoved = intent.deleteSnapshots;
  if (target > newStart) {
    result.reason = `offset ${target} is inside ${keptFirst.log}: that segment stays whole (segment-granular, like retention); the log now starts at ${newStart}`;
  }
  const removedBatches = deleted.reduce((n, s) => n + s.stats.batches, 0);
  result.after = {
    segments: state.summary.segments - deleted.length,
    batches: state.summary.batches - removedBatches,
    records: state.summary.records - deleted.reduce((n, s) => n + s.stats.records, 0),
    bytes: state.summary.bytes - deleted.reduce((n, s) => n + s.logSize, 0),
    logStartOffset: newStart,
    logEndOffset: state.summary.logEndOffset,
  };
  return { result, intent };
}
