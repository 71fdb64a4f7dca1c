import path from 'node:path';
import type { PartitionDir } from '../../storage/segments.js';
import { directoryIssues } from '../verify/directory.js';
import { Reporter, type Recoverable } from '../verify/reporter.js';
import { sideFileIssues } from '../verify/side-files.js';
import { scanSegment } from './segment.js';
import { TxnTracker } from './txn-tracker.js';
import type { PartitionScan, PartitionView, ScanOptions, SegmentScan } from './types.js';
import { runToEnd, type Steps } from '../interrupt.js';

/**
 * The partition scan: every segment of a partition directory walked in offset order with all of
 * verify's checks, the transaction replay across segments, and Kafka's recovery cut (where
 * LogLoader/LogSegment.recover would truncate). verify reports its findings; recover and
 * rebuild-index act on its cut and its rebuilt indexes.
 */

export { TxnTracker, type CompletedTxn } from './txn-tracker.js';
export type { PartitionScan, PartitionView, RebuiltIndexes, ScanMode, ScanOptions, SegmentScan } from './types.js';

export function viewOf(partition: PartitionDir): PartitionView {
  return { dir: partition.dir, partition, pathOf: (name) => path.join(partition.dir, name) };
}

/** A dir with only .log files (no indexes, checkpoints, metadata or snapshots): a captured record set. */
export function looksLikeRecordSet(p: PartitionDir): boolean {
  return (
    p.segments.length > 0 &&
    p.segments.every((s) => !s.index && !s.timeindex && !s.txnindex) &&
    !p.leaderEpochCheckpoint &&
    !p.partitionMetadata &&
    p.snapshots.length === 0 &&
    p.leftovers.length === 0 &&
    p.orphans.length === 0
  );
}

export function scanPartition(view: PartitionView, opts: ScanOptions = {}): PartitionScan {
  return runToEnd(scanPartitionSteps(view, opts));
}

/** scanPartition as steps (ops/interrupt.ts): a safe point before each segment ('scan-segment-N') and every few MiB inside one. */
export function* scanPartitionSteps(view: PartitionView, opts: ScanOptions = {}): Steps<PartitionScan> {
  const part = view.partition;
  if (opts.pool) for (const s of part.segments) if (!opts.segments || opts.segments.has(s.baseOffset)) opts.pool.warm(view.pathOf(s.log), s.logSize);
  const rep = new Reporter(opts.files ?? null, opts.maxIssues ?? Infinity);
  const mode = (opts.recordSet ?? looksLikeRecordSet(part)) ? 'record-set' : 'partition';
  directoryIssues(part, rep);

  const tracker = new TxnTracker();
  const segs: SegmentScan[] = [];
  let prevLast: number | null = null;
  let prevSegName: string | null = null;
  let prevSegLast: number | null = null;
  const all = part.segments;
  for (let i = 0; i < all.length; i++) {
    const seg = all[i]!;
    if (opts.segments && !opts.segments.has(seg.baseOffset)) continue;
    const active = i === all.length - 1;
    const next = all[i + 1];
    if (prevSegName !== null) {
      const prevBase = all[i - 1]!.baseOffset;
      if (seg.baseOffset === prevBase) {
        rep.add('SEGMENT_OVERLAP', seg.log, null, seg.baseOffset, `${seg.log} and ${prevSegName} have the same base offset ${seg.baseOffset}`);
      } else if (prevSegLast !== null && seg.baseOffset <= prevSegLast) {
        rep.add(
          'SEGMENT_OVERLAP',
          seg.log,
          null,
          seg.baseOffset,
          `segment base offset ${seg.baseOffset} is not above the last offset ${prevSegLast} of ${prevSegName} (expected > ${prevSegLast}, found ${seg.baseOffset})`,
        );
      }
    }
    yield `scan-segment-${i + 1}`;
    const s: SegmentScan = yield* scanSegment(view, seg, active, next?.baseOffset ?? null, prevLast, tracker, rep, mode, opts);
    opts.progress?.fileDone(s.logSize);
    segs.push(s);
    if (s.lastOffset !== null) {
      prevLast = s.lastOffset;
      prevSegLast = s.lastOffset;
    }
    prevSegName = seg.log;
  }

  const last = segs[segs.length - 1];
  const logEndOffset = last ? (last.lastOffset !== null ? last.lastOffset + 1 : last.segment.baseOffset) : null;
  if (!opts.segments) sideFileIssues(view, rep, logEndOffset);

  const { cutSegment, recoverable, logEndOffsetAfterRecovery } = recoveryCut(segs, logEndOffset, opts.segments !== undefined);

  return {
    dir: part.dir,
    mode,
    segments: segs,
    reporter: rep,
    summary: {
      segments: segs.length,
      batches: segs.reduce((n, s) => n + s.batches, 0),
      records: segs.reduce((n, s) => n + s.records, 0),
      bytes: segs.reduce((n, s) => n + s.logSize, 0),
    },
    logEndOffset,
    recoverable,
    cutSegment,
    logEndOffsetAfterRecovery,
  };
}

/**
 * Kafka's recovery (LogLoader.recoverSegment / LogSegment.recover): the first segment that loses
 * bytes is cut; every later one is deleted. A scan of chosen segments only (`partial`) names the
 * cut of the first one that has one, and what that segment loses from it.
 */
function recoveryCut(
  segs: SegmentScan[],
  logEndOffset: number | null,
  partial: boolean,
): { cutSegment: number; recoverable: Recoverable | null; logEndOffsetAfterRecovery: number | null } {
  let cutSegment = -1;
  let recoverable: Recoverable | null = null;
  let logEndOffsetAfterRecovery = logEndOffset;
  const cutIdx = segs.findIndex((s) => s.cut !== null);
  if (cutIdx >= 0 && !partial) {
    cutSegment = cutIdx;
    const cs = segs[cutIdx]!;
    let lost = cs.recordsFromCut;
    let estimated = cs.estimated;
    for (const later of segs.slice(cutIdx + 1)) {
      lost += later.records + later.undecodedRecords;
      estimated ||= later.estimated;
    }
    recoverable = { file: cs.segment.log, truncateAtPosition: cs.cut!.position, recordsLost: lost };
    if (estimated) recoverable.recordsLostEstimated = true;
    logEndOffsetAfterRecovery = cs.nextOffsetBeforeCut;
  } else if (cutIdx >= 0) {
    const cs = segs[cutIdx]!;
    recoverable = { file: cs.segment.log, truncateAtPosition: cs.cut!.position, recordsLost: cs.recordsFromCut };
  }
  return { cutSegment, recoverable, logEndOffsetAfterRecovery };
}
