import fs from 'node:fs';
import path from 'node:path';
import { batchRecords, checkBatchCrc, decodeBatch, HEADER_SIZE_UP_TO_MAGIC, MAGIC_OFFSET, type Batch, type KafkaRecord } from '../format/batch.js';
import { ioError, NotFoundError, UsageError } from '../format/errors.js';
import { lookupOffsetSlot, lookupTimeSlot, OFFSET_INDEX_ENTRY_SIZE, slotCount, TIME_INDEX_ENTRY_SIZE, offsetIndexEntry, timeIndexEntry } from '../format/indexes.js';
import { readInt32, readInt64 } from '../format/int64.js';
import { logEntries } from '../storage/log-reader.js';
import { MAX_WHOLE_FILE, openSource, readWholeFile, type ByteSource } from '../storage/source.js';
import { listSegments, type SegmentFiles, type SegmentListing } from '../storage/segments.js';

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
  batch: Batch;
  record: KafkaRecord;
  /** Bytes of .log data read from the start position to the end of the batch found. */
  bytesScanned: number;
  /** What was done, step by step (for --explain). */
  steps: string[];
}

export interface LookupOptions {
  offset?: number;
  timestamp?: number;
}

/**
 * The segments of a partition by name only: index names and the log size are read for the one or
 * two segments used (`withIndexes` before a segment's index files are looked at).
 */
interface PartitionDir extends SegmentListing {
  dir: string;
  segments: Segment[];
}

type Segment = SegmentFiles & { logSize?: number };

function scanPartition(dir: string): PartitionDir {
  return { dir, ...listSegments(dir) };
}

function logSize(dir: string, seg: Segment): number {
  if (seg.logSize === undefined) {
    const p = path.join(dir, seg.log);
    try {
      seg.logSize = fs.statSync(p).size;
    } catch (e) {
      throw ioError(e, p);
    }
  }
  return seg.logSize;
}

export function lookup(dir: string, opts: LookupOptions): LookupResult {
  if ((opts.offset === undefined) === (opts.timestamp === undefined)) throw new UsageError('give exactly one of --offset or --timestamp');
  const part = scanPartition(dir);
  if (part.segments.length === 0) throw new NotFoundError('EMPTY_PARTITION', 'the directory holds no .log segments', { file: dir });
  return opts.offset !== undefined ? lookupOffset(part, opts.offset) : lookupTimestamp(part, opts.timestamp!);
}

/** Largest segment base offset <= target (Kafka's segments.floorSegment). */
function floorSegment(segs: Segment[], target: number): number {
  let lo = 0;
  let hi = segs.length - 1;
  let found = -1;
  while (lo <= hi) {
    const mid = (lo + hi) >>> 1;
    if (segs[mid]!.baseOffset <= target) {
      found = mid;
      lo = mid + 1;
    } else hi = mid - 1;
  }
  return found;
}

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
    size = fs.statSync(path.join(dir, name)).size;
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
      steps.push(`scanned ${batches} batches (${n.value.position - start} bytes) from position ${start} to the end of ${seg.log} (${n.value.reason}) without reaching offset ${target}`);
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
        steps.push(`scanned ${batches} batch(es), ${b.position + b.size - start} bytes, from position ${start}: batch at position ${b.position} holds offsets ${b.baseOffset}..${b.lastOffset}`);
        if (r.offset !== target) steps.push(`offset ${target} is not in the log (removed by compaction); the next record is at offset ${r.offset}, as a fetch would return`);
        return { batch: b, record: r, scanned: b.position + b.size - start };
      }
    }
  }
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
  const logStart = segs[0]!.baseOffset;
  const outOfRange = (): NotFoundError => {
    const end = logEndOffset(dir, part);
    return new NotFoundError('OFFSET_OUT_OF_RANGE', `offset ${target} is outside the log [logStartOffset ${logStart}, logEndOffset ${end})`, { file: dir });
  };
  let i = floorSegment(segs, target);
  if (i < 0) throw outOfRange();
  steps.push(`${segs.length} segments; binary search by base offset: ${segs[i]!.log} (base ${segs[i]!.baseOffset}) is the last with base <= ${target}` + (segs[i + 1] ? `; next starts at ${segs[i + 1]!.baseOffset}` : ' (the active segment)'));
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
            steps.push(`next entry #${slot + 1} (offset ${next.offset}) points at a batch starting at offset ${base} <= ${target}: scanning from its position ${next.position} instead`);
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

function lookupTimestamp(part: PartitionDir, target: number): LookupResult {
  const dir = part.dir;
  const steps: string[] = [];
  const logStart = part.segments[0]!.baseOffset;
  for (const s of part.segments) {
    const seg = part.withIndexes(s);
    const tidx = loadTimeIndex(dir, seg, steps);
    let largest = -1;
    if (tidx && tidx.count > 0) largest = readInt64(tidx.buf, (tidx.count - 1) * 12);
    else {
      // No time index entries: the segment's largest timestamp comes from its batch headers.
      const src = openLog(dir, seg);
      try {
        const gen = logEntries(src, { file: seg.log, checkCrc: false });
        for (;;) {
          const n = gen.next();
          if (n.done) break;
          if (n.value.kind === 'batch' && n.value.batch.maxTimestamp > largest) largest = n.value.batch.maxTimestamp;
        }
      } finally {
        src.close();
      }
    }
    if (largest < target) {
      steps.push(`${seg.log}: largest timestamp ${largest} < ${target}; skipped`);
      continue;
    }
    let startOffset = seg.baseOffset;
    let timeIndexEntryFound: { timestamp: number; offset: number } | null = null;
    if (tidx && tidx.count > 0) {
      const slot = lookupTimeSlot(tidx.buf, tidx.count, target);
      if (slot >= 0) {
        const e = timeIndexEntry(tidx.buf, slot, seg.baseOffset);
        timeIndexEntryFound = { timestamp: e.timestamp, offset: e.offset };
        startOffset = Math.max(e.offset, seg.baseOffset);
        steps.push(`${seg.timeindex}: floor lookup for ${target} -> entry #${slot} (timestamp ${e.timestamp}, offset ${e.offset})`);
      } else steps.push(`${seg.timeindex}: no entry <= ${target}; starting at the segment base`);
    }
    let start = 0;
    let indexEntry: { offset: number; position: number } | null = null;
    const idx = loadOffsetIndex(dir, seg, steps);
    if (idx && idx.count > 0) {
      const slot = lookupOffsetSlot(idx.buf, idx.count, seg.baseOffset, startOffset);
      if (slot >= 0) {
        const e = offsetIndexEntry(idx.buf, slot, seg.baseOffset);
        indexEntry = { offset: e.offset, position: e.position };
        start = e.position;
        steps.push(`${seg.index}: floor lookup for offset ${startOffset} -> entry #${slot} (offset ${e.offset}, position ${e.position})`);
      }
    }
    const src = openLog(dir, seg);
    try {
      const gen = logEntries(src, { start, file: seg.log, checkCrc: false });
      let batches = 0;
      for (;;) {
        const n = gen.next();
        if (n.done) break;
        if (n.value.kind === 'bad-entry') throw n.value.error;
        batches++;
        const b = n.value.batch;
        if (b.maxTimestamp < target) continue;
        for (const r of batchRecords(b)) {
          if (r.timestamp >= target && r.offset >= logStart) {
            checkBatchCrc(b);
            steps.push(`scanned ${batches} batch(es), ${b.position + b.size - start} bytes from position ${start}: first record with timestamp >= ${target} is offset ${r.offset} (timestamp ${r.timestamp})`);
            return { offset: r.offset, segment: seg.log, segmentBaseOffset: seg.baseOffset, indexEntry, timeIndexEntry: timeIndexEntryFound, batch: b, record: r, bytesScanned: b.position + b.size - start, steps };
          }
        }
      }
    } finally {
      src.close();
    }
    steps.push(`${seg.log}: no record with timestamp >= ${target} from position ${start}`);
  }
  throw new NotFoundError('TIMESTAMP_NOT_FOUND', `no record has a timestamp >= ${target}`, { file: dir });
}

