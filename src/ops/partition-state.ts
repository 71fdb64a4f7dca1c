import fs from 'node:fs';
import path from 'node:path';
import type { Batch } from '../format/batch.js';
import { CorruptDataError, ioError } from '../format/errors.js';
import type { StopInfo } from '../storage/log-reader.js';
import { scanPartitionDir, statPath, type PartitionDir, type Segment } from '../storage/segments.js';
import { BAD, LogBatchReader } from '../storage/log-batches.js';
import { readLogDirCheckpoint, type LogDirCheckpointFile } from '../storage/log-dir.js';
import { INTENT_FILE } from './intent.js';
import { resolvePath } from '../storage/vfs.js';
import { runToEnd, SCAN_STEP, type Steps } from './interrupt.js';

/**
 * A partition directory's state as the mutating commands (truncate, compact) see it before they
 * plan, and the checks they share before rewriting it: the segments in order with per-segment
 * batch statistics from one header-only pass (no CRC, no record decoding; legacy compressed
 * wrappers are decompressed for their first offset), the log start and end offsets, and the
 * summary OUTPUT.md's `before`/`after` objects carry.
 */
export interface SegmentStats {
  batches: number;
  records: number;
  /** First offset of the first batch (v2 baseOffset / legacy first inner offset), or null when empty. */
  firstOffset: number | null;
  /** Last offset of the last batch, or null when empty. */
  lastOffset: number | null;
  /** Offset after the last batch, or the base offset for an empty segment (Kafka's readNextOffset). */
  nextOffset: number;
  /** Largest batch maxTimestamp (-1 when none), as LogSegment.largestTimestamp. */
  maxTimestamp: number;
  /** Where framing ended (eof for a healthy segment). */
  stop: StopInfo;
  /** A framed entry whose header could not be decoded, if any (position of the first one). */
  badEntry?: { position: number; error: CorruptDataError };
}

export interface SegmentInfo extends Segment {
  path: string;
  mtimeMs: number;
  stats: SegmentStats;
}

export interface Summary {
  segments: number;
  batches: number;
  records: number;
  bytes: number;
  logStartOffset: number | null;
  logEndOffset: number | null;
}

export interface PartitionState {
  dir: string;
  listing: PartitionDir;
  segments: SegmentInfo[];
  /** max(first segment base, log-start-offset-checkpoint entry) — what the broker would load. */
  logStartOffset: number;
  logEndOffset: number;
  summary: Summary;
  /** Topic and partition parsed from the directory name (`<topic>-<partition>`), if it has that form. */
  topicPartition: { topic: string; partition: number } | null;
}

export interface BatchVisitor {
  (batch: Batch, seg: SegmentInfo): void;
}

/** Walk the batch headers of one segment; `visit` sees each decodable batch in file order. */
export function scanSegment(dir: string, seg: Segment, visit?: (b: Batch) => void): SegmentStats {
  return runToEnd(scanSegmentSteps(dir, seg, visit));
}

/** scanSegment as steps (ops/interrupt.ts): a safe point ('scan') every SCAN_STEP bytes. */
export function* scanSegmentSteps(dir: string, seg: Segment, visit?: (b: Batch) => void): Steps<SegmentStats> {
  const src = new LogBatchReader(path.join(dir, seg.log));
  const stats: SegmentStats = {
    batches: 0,
    records: 0,
    firstOffset: null,
    lastOffset: null,
    nextOffset: seg.baseOffset,
    maxTimestamp: -1,
    stop: { reason: 'eof', position: 0, trailingBytes: 0 },
  };
  try {
    // The walk itself is a plain function (the hot loop stays out of the generator).
    for (let until = SCAN_STEP; !scanUntil(src, seg, stats, visit, until); until += SCAN_STEP) yield 'scan';
  } finally {
    src.close();
  }
  return stats;
}

/** Walk batches until one starts at or beyond `until` (false) or the segment ends (true). */
function scanUntil(src: LogBatchReader, seg: Segment, stats: SegmentStats, visit: ((b: Batch) => void) | undefined, until: number): boolean {
  for (;;) {
    const b = src.next(seg.log, false);
    if (b === null) {
      stats.stop = src.stop!;
      return true;
    }
    if (b === BAD) {
      stats.badEntry ??= { position: src.bad!.position, error: src.bad!.error };
      continue;
    }
    const batch = b as Batch;
    stats.batches++;
    stats.records += batch.recordCount;
    if (stats.firstOffset === null) stats.firstOffset = batch.baseOffset;
    stats.lastOffset = batch.lastOffset;
    stats.nextOffset = batch.lastOffset + 1;
    if (batch.maxTimestamp > stats.maxTimestamp) stats.maxTimestamp = batch.maxTimestamp;
    visit?.(batch);
    if (batch.position >= until) return false;
  }
}

export function mtimeOf(p: string): number {
  return statPath(p).mtimeMs;
}

/** `orders-3` → { topic: 'orders', partition: 3 } (Kafka's `<topic>-<partition>` directory name). */
export function parseTopicPartition(dir: string): { topic: string; partition: number } | null {
  const m = /^(.+)-(\d+)$/.exec(path.basename(resolvePath(dir)));
  if (!m) return null;
  const partition = Number(m[2]);
  return Number.isSafeInteger(partition) ? { topic: m[1]!, partition } : null;
}

/** The entry for this partition in a log-dir-level checkpoint file beside the partition directory. */
export function readLogDirCheckpointEntry(dir: string, name: string, tp: PartitionState['topicPartition']): LogDirCheckpointFile | null {
  return tp ? readLogDirCheckpoint(path.join(path.dirname(resolvePath(dir)), name), tp) : null;
}

/**
 * Refuse to work on a directory that holds unfinished work: `.cleaned` / `.swap` / `.deleted`
 * leftovers, a kseg intent record, or segment names kseg did not write (not 20 digits).
 */
export function assertSettled(listing: PartitionDir, what: string): void {
  const left = listing.leftovers[0];
  if (left) {
    throw new CorruptDataError(
      'UNFINISHED_SWAP',
      `${what}: the directory holds ${listing.leftovers.length} leftover file(s) of an interrupted clean/swap/delete (${left.file}); run \`kseg recover\` first`,
      { file: left.file },
    );
  }
  if (listing.other.includes(INTENT_FILE)) {
    throw new CorruptDataError('UNFINISHED_INTENT', `${what}: an interrupted kseg truncate left ${INTENT_FILE}; run \`kseg recover\` first to complete it`, { file: INTENT_FILE });
  }
  if (listing.irregular.length > 0) {
    throw new CorruptDataError('IRREGULAR_SEGMENT_NAME', `${what}: segment file names must be 20-digit base offsets; found ${listing.irregular[0]}`, {
      file: listing.irregular[0],
    });
  }
}

/** What a caller of loadPartition can hook into besides the batches. */
export interface ScanHooks {
  visit?: BatchVisitor;
  /** Before any segment is read: the listing and the log start offset. */
  begin?(listing: PartitionDir, logStartOffset: number, topicPartition: PartitionState['topicPartition']): void;
  /** After a segment was read to its end (its stats are set). */
  segmentDone?(seg: SegmentInfo): void;
}

/** List and header-scan a partition directory. */
export function loadPartition(dir: string, hooks?: BatchVisitor | ScanHooks): PartitionState {
  return runToEnd(loadPartitionSteps(dir, hooks));
}

/** loadPartition as steps (ops/interrupt.ts): a safe point before each segment ('scan-segment-N') and every few MiB inside one. */
export function* loadPartitionSteps(dir: string, hooks?: BatchVisitor | ScanHooks): Steps<PartitionState> {
  const h: ScanHooks = typeof hooks === 'function' ? { visit: hooks } : (hooks ?? {});
  const visit = h.visit;
  const listing = scanPartitionDir(dir);
  const tp = parseTopicPartition(dir);
  let logStartOffset = listing.segments.length ? listing.segments[0]!.baseOffset : 0;
  const lso = readLogDirCheckpointEntry(dir, 'log-start-offset-checkpoint', tp);
  if (lso?.entry && lso.entry.offset > logStartOffset) logStartOffset = lso.entry.offset;
  h.begin?.(listing, logStartOffset, tp);
  const segments: SegmentInfo[] = [];
  for (let i = 0; i < listing.segments.length; i++) {
    const s = listing.segments[i]!;
    yield `scan-segment-${i + 1}`;
    const p = path.join(dir, s.log);
    const info = { ...s, path: p, mtimeMs: mtimeOf(p) } as SegmentInfo;
    info.stats = yield* scanSegmentSteps(dir, s, visit ? (b) => visit(b, info) : undefined);
    h.segmentDone?.(info);
    segments.push(info);
  }
  const last = segments[segments.length - 1];
  const logEndOffset = last ? last.stats.nextOffset : logStartOffset;
  return { dir, listing, segments, logStartOffset, logEndOffset, summary: summarize(segments), topicPartition: tp };
}

export function summarize(segments: { logSize: number; baseOffset: number; stats: Pick<SegmentStats, 'batches' | 'records' | 'nextOffset'> }[]): Summary {
  const last = segments[segments.length - 1];
  return {
    segments: segments.length,
    batches: segments.reduce((n, s) => n + s.stats.batches, 0),
    records: segments.reduce((n, s) => n + s.stats.records, 0),
    bytes: segments.reduce((n, s) => n + s.logSize, 0),
    logStartOffset: segments.length ? segments[0]!.baseOffset : null,
    logEndOffset: last ? last.stats.nextOffset : null,
  };
}

/** Fail with file and byte position when a segment the command must rewrite does not frame cleanly. */
export function assertCleanFraming(seg: SegmentInfo, what: string): void {
  if (seg.stats.badEntry) {
    const e = seg.stats.badEntry.error;
    throw new CorruptDataError(e.code, `${what}: ${e.message}; run \`kseg verify\` / \`kseg recover\` first`, { file: seg.log, position: seg.stats.badEntry.position });
  }
  const stop = seg.stats.stop;
  if (stop.reason !== 'eof') {
    const why =
      stop.reason === 'corrupt-size'
        ? `size field ${stop.sizeField} below 14${stop.zeroTail ? ' (a zero-filled tail)' : ''}`
        : stop.reason === 'partial-batch'
          ? `a torn batch of ${stop.sizeField} bytes runs past the end of the file`
          : `${stop.trailingBytes} trailing bytes after the last batch`;
    throw new CorruptDataError('NEEDS_RECOVERY', `${what}: ${why}; run \`kseg recover\` first`, { file: seg.log, position: stop.position });
  }
}
