import path from 'node:path';
import { batchRecords, checkBatchCrc, decodeBatch, HEADER_SIZE_UP_TO_MAGIC, MAGIC_OFFSET, type Batch, type KafkaRecord } from '../format/batch.js';
import { parseLeaderEpochCheckpoint, parseLogDirCheckpoint, type LeaderEpochEntry } from '../format/checkpoints.js';
import { ioError, KsegError, NotFoundError, UsageError } from '../format/errors.js';
import { lookupOffsetSlot, lookupTimeSlot, OFFSET_INDEX_ENTRY_SIZE, slotCount, TIME_INDEX_ENTRY_SIZE, offsetIndexEntry, timeIndexEntry } from '../format/indexes.js';
import { readInt32, readInt64 } from '../format/int64.js';
import { logEntries } from '../storage/log-reader.js';
import { MAX_WHOLE_FILE, openSource, readTextFile, readWholeFile, type ByteSource } from '../storage/source.js';
import { listSegments, noPartitionError, statPath, type SegmentFiles, type SegmentListing } from '../storage/segments.js';
import { floorIndex } from './floor.js';
import { isFile, kraftSnapshotName, lookupInSnapshot, snapshotHint } from './lookup-kraft.js';
import { resolvePath } from '../storage/vfs.js';

/**
 * Offset and timestamp lookup the way a broker serves a fetch / ListOffsets: binary-search the
 * segments by base offset, floor lookup in the sparse .index (largest entry <= target), then scan
 * batches forward. Only the target segment's index and the scanned bytes of its .log are read.
 */
export interface LookupResult {
  offset: number;
  segment: string;
  segmentBaseOffset: number;
  indexEntry: { offset: number; position: number } | null;
  timeIndexEntry?: { timestamp: number; offset: number } | null;
  /** The batch and record at `offset`; null only for a special timestamp that names no record (latest; earliest on an empty log). */
  batch: Batch | null;
  record: KafkaRecord | null;
  /** Set when `--timestamp` was one of ListOffsets' special values (-1..-5). */
  special?: SpecialTimestamp;
  /** For a special timestamp: the timestamp a broker's ListOffsets answer carries (-1 for earliest/latest, the batch maxTimestamp for max-timestamp). */
  timestamp?: number;
  /** For a special timestamp: the log start offset used and where it came from. */
  logStartOffset?: number;
  logStartOffsetSource?: LogStartSource;
  /**
   * For a special timestamp: the leader epoch a broker's ListOffsets answer carries, or null (none):
   * latest: the last leader-epoch-checkpoint entry; earliest: the first entry when it starts at or
   * below the log start offset; max-timestamp: the batch's partitionLeaderEpoch when >= 0.
   */
  leaderEpoch?: number | null;
  /** Bytes of .log data read from the start position to the end of the batch found. */
  bytesScanned: number;
  /** What was done, step by step (for --explain). */
  steps: string[];
  /**
   * Set when the lookup ran inside a KRaft snapshot file (`<endOffset>-<epoch>.checkpoint` or
   * bootstrap.checkpoint): `offset` is then the snapshot's internal offset (from 0), not a log offset.
   */
  snapshot?: { file: string; endOffset: number; epoch: number };
}

export interface LookupOptions {
  offset?: number;
  /** Epoch milliseconds, or one of ListOffsets' special values -1..-5 (SPECIAL_TIMESTAMPS). */
  timestamp?: number;
}

/**
 * ListOffsetsRequest's special timestamps (EARLIEST_TIMESTAMP = -2, LATEST_TIMESTAMP = -1,
 * MAX_TIMESTAMP = -3, EARLIEST_LOCAL_TIMESTAMP = -4, LATEST_TIERED_TIMESTAMP = -5), as
 * UnifiedLog.fetchOffsetByTimestamp answers them.
 */
export const SPECIAL_TIMESTAMPS = { latest: -1, earliest: -2, 'max-timestamp': -3, 'earliest-local': -4, 'latest-tiered': -5 } as const;
export type SpecialTimestamp = keyof typeof SPECIAL_TIMESTAMPS;

export function specialTimestampName(ts: number): SpecialTimestamp | null {
  for (const [k, v] of Object.entries(SPECIAL_TIMESTAMPS)) if (v === ts) return k as SpecialTimestamp;
  return null;
}

/** Where the log start offset came from. */
export type LogStartSource = 'log-start-offset-checkpoint' | 'first-segment';

/**
 * The segments of a partition by name only: index names and the log size are read for the one or
 * two segments used (`withIndexes` before a segment's index files are looked at).
 */
interface PartitionDir extends SegmentListing {
  dir: string;
  segments: Segment[];
  logStart?: LogStart;
}

type Segment = SegmentFiles & { logSize?: number };

function scanPartition(dir: string): PartitionDir {
  return { dir, ...listSegments(dir) };
}

function logSize(dir: string, seg: Segment): number {
  if (seg.logSize === undefined) {
    seg.logSize = statPath(path.join(dir, seg.log)).size;
  }
  return seg.logSize;
}

/** Find the batch and record at an offset or timestamp (or a ListOffsets special value) in a partition directory, as a broker does. */
export function lookup(dir: string, opts: LookupOptions): LookupResult {
  if ((opts.offset === undefined) === (opts.timestamp === undefined)) throw new UsageError('give exactly one of --offset or --timestamp');
  if (opts.timestamp !== undefined && opts.timestamp < 0 && specialTimestampName(opts.timestamp) === null) {
    throw new UsageError(
      `--timestamp: ${opts.timestamp} is neither a timestamp (>= 0) nor one of ListOffsets' special values -1 latest, -2 earliest, -3 max-timestamp, -4 earliest-local, -5 latest-tiered`,
    );
  }
  const kraft = kraftSnapshotName(path.basename(dir));
  if (kraft && isFile(dir)) {
    if (opts.offset === undefined)
      throw new UsageError(`${path.basename(dir)} is a KRaft snapshot: its records carry internal offsets from 0 and no meaningful timestamps; look one up with --offset`);
    return lookupInSnapshot(dir, kraft, opts.offset);
  }
  const part = scanPartition(dir);
  if (part.segments.length === 0) {
    // A __cluster_metadata-0 holding only snapshots (the log cleaned up to the latest one).
    if (opts.offset !== undefined) {
      const hint = snapshotHint(dir, opts.offset, null);
      if (hint) throw new NotFoundError('OFFSET_OUT_OF_RANGE', `offset ${opts.offset}: the directory has no log segments, only KRaft snapshots; ${hint}`, { file: dir });
    }
    throw noPartitionError(dir);
  }
  if (opts.offset !== undefined) return lookupOffset(part, opts.offset);
  const special = specialTimestampName(opts.timestamp!);
  return special ? lookupSpecial(part, special) : lookupTimestamp(part, opts.timestamp!);
}

/**
 * The partition's log start offset as the broker loads it (LogLoader / UnifiedLog): the entry for
 * this `<topic>-<partition>` in the log dir's `log-start-offset-checkpoint` (the partition
 * directory's parent) when there is one, but never below the first segment's base offset
 * (max(checkpoint, first segment base), the rule for a log without tiered storage).
 */
export function logStartOffsetOf(dir: string, firstSegmentBase: number): LogStart {
  const m = /^(.+)-(\d+)$/.exec(path.basename(resolvePath(dir)));
  if (m) {
    const file = path.join(path.dirname(resolvePath(dir)), 'log-start-offset-checkpoint');
    let text: string | null = null;
    try {
      text = readTextFile(file);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw ioError(e, file);
    }
    if (text !== null) {
      const entry = parseLogDirCheckpoint(text, file).find((e) => e.topic === m[1] && e.partition === Number(m[2]));
      if (entry && entry.offset > firstSegmentBase) return { logStartOffset: entry.offset, source: 'log-start-offset-checkpoint', file, checkpointOffset: entry.offset };
      if (entry) return { logStartOffset: firstSegmentBase, source: 'first-segment', checkpointOffset: entry.offset };
    }
  }
  return { logStartOffset: firstSegmentBase, source: 'first-segment', checkpointOffset: null };
}

export interface LogStart {
  logStartOffset: number;
  source: LogStartSource;
  /** The checkpoint file, when it gave the log start offset. */
  file?: string;
  /** This partition's entry in log-start-offset-checkpoint, whatever its value (null: no entry). */
  checkpointOffset: number | null;
}

function logStartOf(part: PartitionDir): LogStart {
  if (part.logStart === undefined) part.logStart = logStartOffsetOf(part.dir, part.segments[0]!.baseOffset);
  return part.logStart;
}

/**
 * LeaderEpochFileCache.truncateFromEnd(end) (drop entries starting at or after it) then
 * truncateFromStart(start) (entries starting at or before it collapse into the last of them, moved
 * to start).
 */
export function loadedEpochs(entries: LeaderEpochEntry[], end: number, start: number): LeaderEpochEntry[] {
  let out = entries.filter((e) => e.startOffset < end);
  const before = out.filter((e) => e.startOffset <= start);
  if (before.length > 0) out = [{ epoch: before[before.length - 1]!.epoch, startOffset: start }, ...out.filter((e) => e.startOffset > start)];
  return out;
}

/** The partition's leader-epoch-checkpoint entries (LeaderEpochFileCache), empty when it has none. */
function leaderEpochs(dir: string): LeaderEpochEntry[] {
  const file = path.join(dir, 'leader-epoch-checkpoint');
  let text: string;
  try {
    text = readTextFile(file);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw ioError(e, file);
  }
  try {
    return parseLeaderEpochCheckpoint(text, file);
  } catch (e) {
    // The epoch is a detail of the answer: a damaged checkpoint leaves it unknown (null), not the offset.
    if (e instanceof KsegError) return [];
    throw e;
  }
}

function describeLogStart(ls: LogStart): string {
  return ls.source === 'first-segment'
    ? `log start offset ${ls.logStartOffset} (the first segment's base offset; no log-start-offset-checkpoint entry above it)`
    : `log start offset ${ls.logStartOffset} (from ${ls.file})`;
}

/** Largest segment base offset <= target (Kafka's segments.floorSegment). */
function floorSegment(segs: Segment[], target: number): number {
  return floorIndex(segs, target, baseOffsetOf);
}

const baseOffsetOf = (s: Segment): number => s.baseOffset;

interface IndexView {
  buf: Buffer;
  count: number;
}

/**
 * An index over 2^31-1 bytes (a preallocation gone wrong) cannot be mapped, by Kafka
 * (AbstractIndex) or by kseg: the lookup goes on without it, scanning the log, and says so.
 */
function oversized(dir: string, name: string, steps?: string[]): boolean {
  let size: number;
  try {
    size = statPath(path.join(dir, name)).size;
  } catch {
    return false; // reading it reports the problem
  }
  if (size <= MAX_WHOLE_FILE) return false;
  steps?.push(`${name} is ${size} bytes, more than the ${MAX_WHOLE_FILE} an index can be (Kafka cannot load it; kseg recover rebuilds it): not used, scanning the log instead`);
  return true;
}

/** Read an index and keep its usable prefix: increasing offsets, positions inside the log. */
function loadOffsetIndex(dir: string, seg: Segment, steps?: string[]): IndexView | null {
  if (!seg.index || oversized(dir, seg.index, steps)) return null;
  const buf = readWholeFile(path.join(dir, seg.index), { pattern: 'random', mapMinBytes: MAP_INDEX_FROM });
  const n = slotCount(buf.length, OFFSET_INDEX_ENTRY_SIZE);
  const size = logSize(dir, seg);
  let count = 0;
  let prev = -1;
  for (; count < n; count++) {
    const rel = readInt32(buf, count * 8);
    const pos = readInt32(buf, count * 8 + 4);
    if ((count > 0 && rel <= prev) || pos < 0 || pos >= size) break;
    prev = rel;
  }
  return { buf, count };
}

function loadTimeIndex(dir: string, seg: Segment, steps?: string[]): IndexView | null {
  if (!seg.timeindex || oversized(dir, seg.timeindex, steps)) return null;
  const buf = readWholeFile(path.join(dir, seg.timeindex), { pattern: 'random', mapMinBytes: MAP_INDEX_FROM });
  const n = slotCount(buf.length, TIME_INDEX_ENTRY_SIZE);
  let count = 0;
  let prevTs = -Infinity;
  let prevRel = -1;
  for (; count < n; count++) {
    const ts = readInt64(buf, count * 12);
    const rel = readInt32(buf, count * 12 + 8);
    if (count > 0 && (ts <= prevTs || rel < prevRel || rel === 0)) break;
    prevTs = ts;
    prevRel = rel;
  }
  return { buf, count };
}

/**
 * Index files are mapped from 1 MiB up (the active segment's is preallocated to 10 MiB: a map
 * touches only the entries in use); smaller ones, and the few KiB of .log a lookup scans, are read
 * with pread, which spares loading the mmap module for them.
 */
const MAP_INDEX_FROM = 1024 * 1024;

function openLog(dir: string, seg: Segment): ByteSource {
  return openSource(path.join(dir, seg.log), { reader: 'pread', chunkSize: 64 * 1024 });
}

/** Scan from `start` for the first batch with lastOffset >= target; returns it with the record. */
function scanForOffset(src: ByteSource, seg: Segment, start: number, target: number, steps: string[]): { batch: Batch; record: KafkaRecord; scanned: number } | null {
  const gen = logEntries(src, { start, file: seg.log, checkCrc: false });
  let batches = 0;
  for (;;) {
    const n = gen.next();
    if (n.done) {
      steps.push(
        `scanned ${batches} batches (${n.value.position - start} bytes) from position ${start} to the end of ${seg.log} (${n.value.reason}) without reaching offset ${target}`,
      );
      return null;
    }
    const item = n.value;
    if (item.kind === 'bad-entry') throw item.error;
    batches++;
    const b = item.batch;
    if (b.lastOffset < target) continue;
    for (const r of batchRecords(b)) {
      if (r.offset >= target) {
        checkBatchCrc(b);
        steps.push(
          `scanned ${batches} batch(es), ${b.position + b.size - start} bytes, from position ${start}: batch at position ${b.position} holds offsets ${b.baseOffset}..${b.lastOffset}`,
        );
        if (r.offset !== target) steps.push(`offset ${target} is not in the log (removed by compaction); the next record is at offset ${r.offset}, as a fetch would return`);
        return { batch: b, record: r, scanned: b.position + b.size - start };
      }
    }
  }
}

/**
 * Scan from `start` for the first record with timestamp >= target at or above offset minOffset
 * (LogSegment.findOffsetByTimestamp); with `exact`, for the first batch whose maxTimestamp is
 * target and its first record carrying it (RecordBatch.offsetOfMaxTimestamp): a batch whose header
 * claims the maximum but no record carries it ends the search, Kafka answers nothing then.
 */
function scanForTimestamp(
  src: ByteSource,
  seg: Segment,
  start: number,
  target: number,
  minOffset: number,
  exact: boolean,
): { batch: Batch; record: KafkaRecord; batches: number } | null {
  const gen = logEntries(src, { start, file: seg.log, checkCrc: false });
  let batches = 0;
  for (;;) {
    const n = gen.next();
    if (n.done) return null;
    if (n.value.kind === 'bad-entry') throw n.value.error;
    batches++;
    const b = n.value.batch;
    if (exact ? b.maxTimestamp !== target : b.maxTimestamp < target) continue;
    for (const r of batchRecords(b)) {
      if (exact ? r.timestamp === target : r.timestamp >= target && r.offset >= minOffset) {
        checkBatchCrc(b);
        return { batch: b, record: r, batches };
      }
    }
    if (exact) return null;
  }
}

/** Floor lookup for `offset` in the segment's .index (none when null): the position to scan from (0 without an entry) and the entry. */
function indexStart(dir: string, seg: Segment, offset: number | null, steps: string[]): { start: number; indexEntry: { offset: number; position: number } | null } {
  const idx = loadOffsetIndex(dir, seg, steps);
  if (idx && idx.count > 0 && offset !== null) {
    const slot = lookupOffsetSlot(idx.buf, idx.count, seg.baseOffset, offset);
    if (slot >= 0) {
      const e = offsetIndexEntry(idx.buf, slot, seg.baseOffset);
      steps.push(`${seg.index}: floor lookup for offset ${offset} -> entry #${slot} (offset ${e.offset}, position ${e.position})`);
      return { start: e.position, indexEntry: { offset: e.offset, position: e.position } };
    }
  }
  return { start: 0, indexEntry: null };
}

/** First offset of the entry at `position` when it is known from its header alone (v2, or an uncompressed v0/v1 message). */
function firstOffsetAt(src: ByteSource, position: number): number | null {
  if (position + HEADER_SIZE_UP_TO_MAGIC + 1 > src.size) return null;
  const h = src.read(position, HEADER_SIZE_UP_TO_MAGIC + 1);
  const magic = (h[MAGIC_OFFSET]! << 24) >> 24;
  if (magic >= 2) return readInt64(h, 0);
  if (magic >= 0 && (h[MAGIC_OFFSET + 1]! & 0x07) === 0) return readInt64(h, 0);
  // A compressed v0/v1 wrapper carries its last offset; its first needs the (one) wrapper decoded.
  const size = 12 + readInt32(h, 8);
  if (magic < 0 || size < 26 || position + size > src.size) return null;
  try {
    return decodeBatch(src.read(position, size), 0, size, position).baseOffset;
  } catch {
    return null;
  }
}

function logEndOffset(dir: string, part: PartitionDir): number {
  const last = part.withIndexes(part.segments[part.segments.length - 1]!);
  // Start at the last usable index entry: only the tail of the active segment is read.
  const idx = loadOffsetIndex(dir, last);
  const start = idx && idx.count > 0 ? offsetIndexEntry(idx.buf, idx.count - 1, last.baseOffset).position : 0;
  const src = openLog(dir, last);
  try {
    let end = last.baseOffset;
    const gen = logEntries(src, { file: last.log, start, checkCrc: false });
    for (;;) {
      const n = gen.next();
      if (n.done) break;
      if (n.value.kind === 'batch') end = n.value.batch.lastOffset + 1;
    }
    return end;
  } finally {
    src.close();
  }
}

/** [logStartOffset, logEndOffset) of a partition directory (null when it has no segments), reading only the active segment's tail. */
export function logBounds(dir: string): { logStartOffset: number | null; logEndOffset: number | null } {
  const part = scanPartition(dir);
  if (part.segments.length === 0) return { logStartOffset: null, logEndOffset: null };
  return { logStartOffset: part.segments[0]!.baseOffset, logEndOffset: logEndOffset(dir, part) };
}

function lookupOffset(part: PartitionDir, target: number): LookupResult {
  const dir = part.dir;
  const segs = part.segments;
  const steps: string[] = [];
  const ls = logStartOf(part);
  const logStart = ls.logStartOffset;
  const outOfRange = (): NotFoundError => {
    const end = logEndOffset(dir, part);
    let why =
      target < logStart && ls.source === 'log-start-offset-checkpoint'
        ? `; the log start offset comes from ${ls.file} (offsets below it were deleted by retention or DeleteRecords; a fetch gets OFFSET_OUT_OF_RANGE)`
        : '';
    const hint = target < logStart ? snapshotHint(dir, target, logStart) : null;
    if (hint) why += `; ${hint}`;
    return new NotFoundError('OFFSET_OUT_OF_RANGE', `offset ${target} is outside the log [logStartOffset ${logStart}, logEndOffset ${end})${why}`, { file: dir });
  };
  let i = floorSegment(segs, target);
  if (i < 0 || target < logStart) throw outOfRange();
  steps.push(
    `${segs.length} segments; binary search by base offset: ${segs[i]!.log} (base ${segs[i]!.baseOffset}) is the last with base <= ${target}` +
      (segs[i + 1] ? `; next starts at ${segs[i + 1]!.baseOffset}` : ' (the active segment)'),
  );
  for (; i < segs.length; i++) {
    const seg = part.withIndexes(segs[i]!);
    let start = 0;
    let indexEntry: { offset: number; position: number } | null = null;
    const idx = loadOffsetIndex(dir, seg, steps);
    if (idx && idx.count > 0 && target > seg.baseOffset) {
      const slot = lookupOffsetSlot(idx.buf, idx.count, seg.baseOffset, target);
      if (slot >= 0) {
        const e = offsetIndexEntry(idx.buf, slot, seg.baseOffset);
        indexEntry = { offset: e.offset, position: e.position };
        start = e.position;
        steps.push(`${seg.index}: ${idx.count} entries; floor lookup for ${target} -> entry #${slot} (offset ${e.offset}, position ${e.position})`);
      } else steps.push(`${seg.index}: no entry <= ${target}; scanning from the segment start`);
      // Beyond Kafka: the next entry's batch may already start at or below the target (the target
      // sits inside that batch, or inside that follower append); one header read tells.
      if (slot + 1 < idx.count) {
        const next = offsetIndexEntry(idx.buf, slot + 1, seg.baseOffset);
        const src = openLog(dir, seg);
        try {
          const base = firstOffsetAt(src, next.position);
          if (base !== null && base <= target) {
            steps.push(
              `next entry #${slot + 1} (offset ${next.offset}) points at a batch starting at offset ${base} <= ${target}: scanning from its position ${next.position} instead`,
            );
            indexEntry = { offset: next.offset, position: next.position };
            start = next.position;
          }
        } finally {
          src.close();
        }
      }
    } else if (!idx) steps.push(`${seg.log} has no .index; scanning from the segment start`);
    else if (target <= seg.baseOffset) steps.push(`target is at or below the segment base; scanning from position 0`);
    else steps.push(`${seg.index} is empty; scanning from position 0`);
    const src = openLog(dir, seg);
    try {
      const found = scanForOffset(src, seg, start, target, steps);
      if (found) {
        return { offset: target, segment: seg.log, segmentBaseOffset: seg.baseOffset, indexEntry, batch: found.batch, record: found.record, bytesScanned: found.scanned, steps };
      }
    } finally {
      src.close();
    }
    if (i + 1 < segs.length) steps.push(`continuing in the next segment ${segs[i + 1]!.log}`);
  }
  throw outOfRange();
}

/**
 * The segment's largest timestamp as LogSegment.largestTimestamp gives it: the time index's last
 * entry (or, with no usable entry, the largest batch maxTimestamp, which is what the broker's
 * time index holds once it has loaded and, if need be, rebuilt the segment), and when that is
 * below 0 (v0 data, or no timestamps at all) the .log file's last-modified time.
 */
function largestTimestamp(dir: string, seg: Segment, tidx: IndexView | null, active: boolean): { ts: number; from: 'timeindex' | 'batches' | 'mtime' } {
  const m = maxTimestampSoFar(dir, seg, tidx, active);
  if (m.ts >= 0) return { ts: m.ts, from: m.from };
  return { ts: Math.floor(statPath(path.join(dir, seg.log)).mtimeMs), from: 'mtime' };
}

/**
 * The segment's largest timestamp and the last offset of the first batch that reached it
 * (LogSegment.maxTimestampSoFar / the time index's last entry). With no usable time-index entry the
 * batch headers give what the broker's rebuilt index would hold. For the active segment the batches
 * after the last entry are read too: entries are added only every index.interval.bytes, and a broker
 * that crashed had its newest batches only in memory (recovery puts them back in the index).
 */
function maxTimestampSoFar(dir: string, seg: Segment, tidx: IndexView | null, active: boolean): { ts: number; offset: number | null; from: 'timeindex' | 'batches' } {
  let ts = -1;
  let offset: number | null = null;
  let start = 0;
  if (tidx && tidx.count > 0) {
    const e = timeIndexEntry(tidx.buf, tidx.count - 1, seg.baseOffset);
    ts = e.timestamp;
    offset = e.offset;
    if (!active) return { ts, offset, from: 'timeindex' };
    const idx = loadOffsetIndex(dir, seg);
    const slot = idx && idx.count > 0 ? lookupOffsetSlot(idx.buf, idx.count, seg.baseOffset, e.offset) : -1;
    start = slot >= 0 ? offsetIndexEntry(idx!.buf, slot, seg.baseOffset).position : 0;
  }
  const fromIndex = ts;
  const src = openLog(dir, seg);
  try {
    const gen = logEntries(src, { file: seg.log, start, checkCrc: false });
    for (;;) {
      const n = gen.next();
      if (n.done) break;
      if (n.value.kind === 'batch' && n.value.batch.maxTimestamp > ts) {
        ts = n.value.batch.maxTimestamp;
        offset = n.value.batch.lastOffset;
      }
    }
  } finally {
    src.close();
  }
  return { ts, offset, from: tidx && tidx.count > 0 && ts === fromIndex ? 'timeindex' : 'batches' };
}

/**
 * A timestamp >= 0 (UnifiedLog.searchOffsetInLocalLog): the first segment whose largest timestamp
 * is >= T is the only one searched (LogSegment.findOffsetByTimestamp from offset
 * max(time-index floor entry, log start offset)); when it holds no record with timestamp >= T at
 * or above the log start offset, the broker answers no offset, and so does kseg.
 */
function lookupTimestamp(part: PartitionDir, target: number): LookupResult {
  const dir = part.dir;
  const steps: string[] = [];
  const ls = logStartOf(part);
  const logStart = ls.logStartOffset;
  for (let i = 0; i < part.segments.length; i++) {
    const s = part.segments[i]!;
    const next = part.segments[i + 1];
    if (next && next.baseOffset <= logStart) {
      // UnifiedLog.deleteOldSegments removes a segment whose successor starts at or below the log
      // start offset; a broker's timestamp search never sees it.
      steps.push(`${s.log}: entirely below the ${describeLogStart(ls)}; skipped (the broker deletes such segments)`);
      continue;
    }
    const seg = part.withIndexes(s);
    const tidx = loadTimeIndex(dir, seg, steps);
    const largest = largestTimestamp(dir, seg, tidx, i === part.segments.length - 1);
    const fromWhat =
      largest.from === 'timeindex'
        ? `its ${seg.timeindex}'s last entry`
        : largest.from === 'batches'
          ? 'its batch headers (beyond its time index)'
          : `the .log file's modification time (no timestamps >= 0 in the segment, LogSegment.largestTimestamp)`;
    if (largest.ts < target) {
      steps.push(`${seg.log}: largest timestamp ${largest.ts} (from ${fromWhat}) < ${target}; skipped`);
      continue;
    }
    steps.push(`${seg.log}: largest timestamp ${largest.ts} (from ${fromWhat}) >= ${target}: the first such segment, the only one searched (UnifiedLog.searchOffsetInLocalLog)`);
    let startOffset = Math.max(seg.baseOffset, logStart);
    let timeIndexEntryFound: { timestamp: number; offset: number } | null = null;
    if (tidx && tidx.count > 0) {
      const slot = lookupTimeSlot(tidx.buf, tidx.count, target);
      if (slot >= 0) {
        const e = timeIndexEntry(tidx.buf, slot, seg.baseOffset);
        timeIndexEntryFound = { timestamp: e.timestamp, offset: e.offset };
        startOffset = Math.max(e.offset, logStart);
        steps.push(`${seg.timeindex}: floor lookup for ${target} -> entry #${slot} (timestamp ${e.timestamp}, offset ${e.offset})`);
      } else steps.push(`${seg.timeindex}: no entry <= ${target}; starting at offset ${startOffset}`);
    }
    if (logStart > seg.baseOffset) steps.push(`records below the ${describeLogStart(ls)} are not answered`);
    const { start, indexEntry } = indexStart(dir, seg, startOffset, steps);
    const src = openLog(dir, seg);
    try {
      const found = scanForTimestamp(src, seg, start, target, logStart, false);
      if (found) {
        const { batch: b, record: r } = found;
        steps.push(
          `scanned ${found.batches} batch(es), ${b.position + b.size - start} bytes from position ${start}: first record with timestamp >= ${target} is offset ${r.offset} (timestamp ${r.timestamp})`,
        );
        return {
          offset: r.offset,
          segment: seg.log,
          segmentBaseOffset: seg.baseOffset,
          indexEntry,
          timeIndexEntry: timeIndexEntryFound,
          batch: b,
          record: r,
          bytesScanned: b.position + b.size - start,
          steps,
        };
      }
    } finally {
      src.close();
    }
    const later = part.segments.length - 1 - i;
    throw new NotFoundError(
      'TIMESTAMP_NOT_FOUND',
      `no record has a timestamp >= ${target}: ${seg.log} is the first segment whose largest timestamp (${largest.ts}, from ${fromWhat}) is >= ${target}, and it holds no record with timestamp >= ${target} at or above offset ${logStart}; a broker searches only that segment and answers no offset` +
        (later > 0 ? ` (${later} later segment(s) not searched, as by Kafka)` : ''),
      { file: dir },
    );
  }
  throw new NotFoundError('TIMESTAMP_NOT_FOUND', `no record has a timestamp >= ${target} (every segment's largest timestamp is below it)`, { file: dir });
}

/** The log end offset and the segment it is in, with the bytes read to find it. */
function logEnd(part: PartitionDir): { offset: number; segment: Segment; bytesScanned: number; start: number } {
  const dir = part.dir;
  const last = part.withIndexes(part.segments[part.segments.length - 1]!);
  const idx = loadOffsetIndex(dir, last);
  const start = idx && idx.count > 0 ? offsetIndexEntry(idx.buf, idx.count - 1, last.baseOffset).position : 0;
  return { offset: logEndOffset(dir, part), segment: last, bytesScanned: logSize(dir, last) - start, start };
}

/**
 * ListOffsets' special timestamps, as UnifiedLog.fetchOffsetByTimestamp answers them on a log
 * without tiered storage (offline, kseg sees only the local segments).
 */
function lookupSpecial(part: PartitionDir, special: SpecialTimestamp): LookupResult {
  const code = SPECIAL_TIMESTAMPS[special];
  const ls = logStartOf(part);
  const label = `${special} (${code})`;
  // The cache as the broker holds it after loading (LogLoader): truncateFromEnd(log end offset), then
  // truncateFromStart(the log-start-offset-checkpoint value, 0 without one).
  const epochs = loadedEpochs(leaderEpochs(part.dir), logEndOffset(part.dir, part), ls.checkpointOffset ?? 0);
  const first = epochs[0];
  const earliestEpoch = first && first.startOffset <= ls.logStartOffset ? first.epoch : null;
  const noRecord = (offset: number, seg: Segment, steps: string[], bytesScanned: number, leaderEpoch: number | null): LookupResult => ({
    offset,
    segment: seg.log,
    segmentBaseOffset: seg.baseOffset,
    indexEntry: null,
    batch: null,
    record: null,
    bytesScanned,
    steps,
    special,
    timestamp: -1,
    logStartOffset: ls.logStartOffset,
    logStartOffsetSource: ls.source,
    leaderEpoch,
  });
  switch (special) {
    case 'latest': {
      const end = logEnd(part);
      const steps = [
        `${label}: ListOffsets answers the log end offset, the offset the next record will get; no record is there (timestamp -1)`,
        `read ${end.segment.log} (the active segment) from position ${end.start} (its last usable .index entry) to its end: log end offset ${end.offset}`,
      ];
      const latestEpoch = epochs.length ? epochs[epochs.length - 1]!.epoch : null;
      return noRecord(end.offset, end.segment, steps, end.bytesScanned, latestEpoch);
    }
    case 'earliest':
    case 'earliest-local': {
      const firstBase = part.segments[0]!.baseOffset;
      const steps = [
        special === 'earliest'
          ? `${label}: ListOffsets answers the ${describeLogStart(ls)} (timestamp -1)`
          : `${label}: without tiered storage a broker answers the log start offset, as for earliest; with tiered storage, the first offset still on local disk. Offline both are max(log start offset, first local segment base ${firstBase}) = ${ls.logStartOffset}; ${describeLogStart(ls)}`,
      ];
      const end = logEndOffset(part.dir, part);
      if (ls.logStartOffset >= end) {
        steps.push(`the log is empty (log start offset ${ls.logStartOffset} = log end offset ${end}): no record at that offset`);
        const seg = part.segments[floorSegment(part.segments, ls.logStartOffset)] ?? part.segments[0]!;
        return noRecord(ls.logStartOffset, seg, steps, 0, earliestEpoch);
      }
      const r = lookupOffset(part, ls.logStartOffset);
      return { ...r, steps: [...steps, ...r.steps], special, timestamp: -1, logStartOffset: ls.logStartOffset, logStartOffsetSource: ls.source, leaderEpoch: earliestEpoch };
    }
    case 'max-timestamp':
      return lookupMaxTimestamp(part, label, ls);
    case 'latest-tiered':
      throw new NotFoundError(
        'NO_TIERED_OFFSET',
        `${label}: the highest offset copied to remote (tiered) storage is known only to the broker's remote log metadata, not to files on disk; a broker with tiered storage disabled for the topic answers offset -1 (unknown). Offline kseg has no tiered offset to give`,
        { file: part.dir },
      );
  }
}

/**
 * MAX_TIMESTAMP (-3), as UnifiedLog.fetchOffsetByTimestamp does since KIP-734 and KAFKA-16342
 * (3.8+): the segment with the largest maxTimestampSoFar (the first one on a tie), a floor lookup
 * in its .index for the time index's offset of that timestamp, then the first batch from there
 * whose maxTimestamp equals it, and in that batch the first record carrying that timestamp
 * (RecordBatch.offsetOfMaxTimestamp). v0 batches have no timestamp: no answer.
 */
function lookupMaxTimestamp(part: PartitionDir, label: string, ls: LogStart): LookupResult {
  const dir = part.dir;
  const steps: string[] = [`${label}: the record with the largest timestamp (the first such record, in offset order, on a tie)`];
  let best: { seg: Segment; ts: number; offset: number | null } | null = null;
  for (let i = 0; i < part.segments.length; i++) {
    const seg = part.withIndexes(part.segments[i]!);
    const { ts, offset } = maxTimestampSoFar(dir, seg, loadTimeIndex(dir, seg, steps), i === part.segments.length - 1);
    if (best === null || ts > best.ts) best = { seg, ts, offset };
  }
  if (!best || best.ts < 0)
    throw new NotFoundError('TIMESTAMP_NOT_FOUND', `${label}: no batch carries a timestamp (v0 data, or timestamps of -1): a broker answers no offset`, { file: dir });
  const seg = best.seg;
  steps.push(`${seg.log} has the largest timestamp, ${best.ts}` + (best.offset !== null ? ` (at offset ${best.offset})` : ''));
  const { start, indexEntry } = indexStart(dir, seg, best.offset, steps);
  const src = openLog(dir, seg);
  try {
    const found = scanForTimestamp(src, seg, start, best.ts, -Infinity, true);
    if (found) {
      const { batch: b, record: r } = found;
      steps.push(
        `scanned ${found.batches} batch(es) from position ${start}: the first batch with maxTimestamp ${best.ts} is at position ${b.position}; its first record with that timestamp is offset ${r.offset}`,
      );
      return {
        offset: r.offset,
        segment: seg.log,
        segmentBaseOffset: seg.baseOffset,
        indexEntry,
        batch: b,
        record: r,
        bytesScanned: b.position + b.size - start,
        steps,
        special: 'max-timestamp',
        timestamp: b.maxTimestamp,
        logStartOffset: ls.logStartOffset,
        logStartOffsetSource: ls.source,
        leaderEpoch: b.partitionLeaderEpoch >= 0 ? b.partitionLeaderEpoch : null,
      };
    }
  } finally {
    src.close();
  }
  throw new NotFoundError(
    'TIMESTAMP_NOT_FOUND',
    `${label}: no record in ${seg.log} carries its largest timestamp ${best.ts} (the time index or batch header disagrees with the records); a broker answers no offset`,
    { file: dir },
  );
}
