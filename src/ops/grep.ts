import path from 'node:path';
import { batchRecords, RECORDS_OFFSET, type Batch, type KafkaRecord } from '../format/batch.js';
import { decompress } from '../format/codecs.js';
import { CorruptDataError, KsegError, UsageError } from '../format/errors.js';
import { parseTimeIndex } from '../format/indexes.js';
import { logEntries } from '../storage/log-reader.js';
import { openSource, readWholeFile } from '../storage/source.js';
import { scanPartitionDir, type Segment } from '../storage/segments.js';
import { seekPosition } from './dump.js';

/**
 * `kseg grep`: the records of a partition that match every given criterion, in offset order, the
 * same record objects `dump` yields. Segments that cannot hold a match are not opened (offset
 * bounds through the segment names and the offset index, --from-timestamp through the time index),
 * and batches whose bytes cannot hold the wanted key, value or header bytes are not decoded.
 */
export interface GrepCriteria {
  /** Exact key bytes. */
  key?: Buffer;
  /** Tested against the key decoded as UTF-8 (a null key never matches). */
  keyRegex?: RegExp;
  /** Every one must be present: a header named `name` (and, when given, with exactly these value bytes). */
  headers?: { name: Buffer; value?: Buffer }[];
  /** The value holds these bytes. */
  valueContains?: Buffer;
  /** Tested against the value decoded as UTF-8 (a null value never matches). */
  valueRegex?: RegExp;
  fromOffset?: number;
  toOffset?: number;
  /** Record timestamps (what a consumer sees), inclusive. */
  fromTimestamp?: number;
  toTimestamp?: number;
}

export interface GrepStats {
  /** Segments whose .log was read / skipped without opening (bounds, time index). */
  segmentsRead: number;
  segmentsSkipped: number;
  batchesRead: number;
  /** Batches skipped from their header or bytes alone (no record decoded). */
  batchesSkipped: number;
  recordsDecoded: number;
  matches: number;
  /** Batches whose stored CRC does not match (their records are still searched, as dump shows them). */
  crcMismatches: number;
  bytesRead: number;
}

export type GrepEvent =
  | { type: 'match'; record: KafkaRecord; batch: Batch }
  /** Something an operator should know that is not an error. */
  | { type: 'note'; message: string }
  /** A problem that stops reading this .log (the grep goes on with the next one). */
  | { type: 'error'; error: KsegError };

export function validateCriteria(c: GrepCriteria): void {
  if (c.fromOffset !== undefined && c.toOffset !== undefined && c.toOffset < c.fromOffset) {
    throw new UsageError(`--to-offset ${c.toOffset} is below --from-offset ${c.fromOffset}`);
  }
  if (c.fromTimestamp !== undefined && c.toTimestamp !== undefined && c.toTimestamp < c.fromTimestamp) {
    throw new UsageError(`--to-timestamp ${c.toTimestamp} is below --from-timestamp ${c.fromTimestamp}`);
  }
}

/** Whether one record satisfies every criterion (the definition of a match; the skips below only avoid work). */
export function recordMatches(r: KafkaRecord, c: GrepCriteria): boolean {
  if (c.fromOffset !== undefined && r.offset < c.fromOffset) return false;
  if (c.toOffset !== undefined && r.offset > c.toOffset) return false;
  if (c.fromTimestamp !== undefined && r.timestamp < c.fromTimestamp) return false;
  if (c.toTimestamp !== undefined && r.timestamp > c.toTimestamp) return false;
  if (c.key !== undefined && (r.key === null || !r.key.equals(c.key))) return false;
  if (c.keyRegex !== undefined && (r.key === null || !testRegex(c.keyRegex, r.key))) return false;
  if (c.valueContains !== undefined && (r.value === null || r.value.indexOf(c.valueContains) < 0)) return false;
  if (c.valueRegex !== undefined && (r.value === null || !testRegex(c.valueRegex, r.value))) return false;
  if (c.headers !== undefined) {
    for (const want of c.headers) {
      if (!r.headers.some((h) => h.key.equals(want.name) && (want.value === undefined || (h.value !== null && h.value.equals(want.value))))) return false;
    }
  }
  return true;
}

function testRegex(re: RegExp, b: Buffer): boolean {
  re.lastIndex = 0;
  return re.test(b.toString('utf8'));
}

/** Byte strings every matching record must contain somewhere in its batch's (decompressed) records. */
function needles(c: GrepCriteria): Buffer[] {
  const n: Buffer[] = [];
  if (c.key !== undefined && c.key.length > 0) n.push(c.key);
  if (c.valueContains !== undefined && c.valueContains.length > 0) n.push(c.valueContains);
  for (const h of c.headers ?? []) {
    if (h.name.length > 0) n.push(h.name);
    if (h.value !== undefined && h.value.length > 0) n.push(h.value);
  }
  return n;
}

/**
 * Whether a batch can be passed over from its header: v2 maxTimestamp is the largest record
 * timestamp (LogValidator checks it for CreateTime; for LogAppendTime every record has it), and
 * baseOffset/lastOffset bound its records' offsets.
 */
function headerExcludes(b: Batch, c: GrepCriteria): boolean {
  if (c.fromOffset !== undefined && b.lastOffset < c.fromOffset) return true;
  if (c.toOffset !== undefined && b.baseOffset > c.toOffset) return true;
  if (b.magic >= 2 && b.crcValid) {
    if (c.fromTimestamp !== undefined && b.maxTimestamp < c.fromTimestamp) return true;
    if (c.toTimestamp !== undefined && b.timestampType === 'LogAppendTime' && b.maxTimestamp > c.toTimestamp) return true;
  }
  return false;
}

/**
 * Whether the bytes of a batch's records lack one of the needles (then no record in it can match).
 * v2 records are searched after decompression; uncompressed v0/v1 entries in place; compressed
 * v0/v1 wrappers are always decoded.
 */
function bytesExclude(b: Batch, ns: Buffer[]): boolean {
  if (ns.length === 0) return false;
  let hay: Buffer;
  if (b.compressionId === 0) hay = b.bytes.subarray(b.start + (b.magic >= 2 ? RECORDS_OFFSET : 0), b.start + b.size);
  else if (b.magic >= 2) {
    try {
      hay = decompress(b.compressionId, b.bytes.subarray(b.start + RECORDS_OFFSET, b.start + b.size), b.magic);
    } catch {
      return false; // batchRecords reports the failure exactly
    }
  } else return false;
  for (const n of ns) if (hay.indexOf(n) < 0) return true;
  return false;
}

/**
 * The largest timestamp of a rolled segment as a broker knows it (LogSegment.largestTimestamp: the
 * time index's last entry), or null when there is no usable entry. The active segment's index lags
 * its last batches (entries are added every index.interval.bytes), so it is always read.
 */
function indexedLargestTimestamp(dir: string, seg: Segment): number | null {
  if (!seg.timeindex) return null;
  let buf: Buffer;
  try {
    buf = readWholeFile(path.join(dir, seg.timeindex), { pattern: 'random' });
  } catch {
    return null;
  }
  const { entries } = parseTimeIndex(buf, seg.baseOffset);
  let max: number | null = null;
  for (const e of entries) if (max === null || e.timestamp > max) max = e.timestamp;
  return max;
}

/** Search one partition directory. Corrupt data is yielded as 'error' events, never thrown. */
export function* grepPartition(dir: string, c: GrepCriteria, stats: GrepStats = newStats()): Generator<GrepEvent, GrepStats> {
  validateCriteria(c);
  const part = scanPartitionDir(dir);
  if (part.leftovers.length)
    yield {
      type: 'note',
      message: `${dir}: unfinished delete/clean/swap files are not searched (\`kseg recover\` resolves them as a broker would): ${part.leftovers.map((l) => l.file).join(', ')}`,
    };
  const segs = part.segments;
  const ns = needles(c);
  for (let i = 0; i < segs.length; i++) {
    const seg = segs[i]!;
    const next = segs[i + 1];
    if (c.fromOffset !== undefined && next && next.baseOffset <= c.fromOffset) {
      stats.segmentsSkipped++;
      continue;
    }
    if (c.toOffset !== undefined && seg.baseOffset > c.toOffset) {
      stats.segmentsSkipped += segs.length - i;
      break;
    }
    if (c.fromTimestamp !== undefined && next) {
      const largest = indexedLargestTimestamp(dir, seg);
      if (largest !== null && largest < c.fromTimestamp) {
        stats.segmentsSkipped++;
        continue;
      }
    }
    stats.segmentsRead++;
    yield* grepLog(dir, seg, c, ns, stats);
  }
  return stats;
}

export function newStats(): GrepStats {
  return { segmentsRead: 0, segmentsSkipped: 0, batchesRead: 0, batchesSkipped: 0, recordsDecoded: 0, matches: 0, crcMismatches: 0, bytesRead: 0 };
}

function* grepLog(dir: string, seg: Segment, c: GrepCriteria, ns: Buffer[], stats: GrepStats): Generator<GrepEvent> {
  const p = path.join(dir, seg.log);
  let src;
  try {
    src = openSource(p, { pattern: 'sequential' });
  } catch (e) {
    if (e instanceof KsegError) {
      yield { type: 'error', error: e.at({ file: seg.log }) };
      return;
    }
    throw e;
  }
  try {
    const start = seekPosition(p, seg.baseOffset, c.fromOffset, src.size);
    const gen = logEntries(src, { file: seg.log, start });
    for (;;) {
      const n = gen.next();
      if (n.done) {
        const stop = n.value;
        stats.bytesRead += stop.position - start;
        if (stop.reason === 'corrupt-size' && !stop.zeroTail) {
          yield {
            type: 'error',
            error: new CorruptDataError('SIZE_TOO_SMALL', `Found record size ${stop.sizeField} smaller than minimum record overhead (14); the rest of this .log is not searched`, {
              file: seg.log,
              position: stop.position,
            }),
          };
        }
        return;
      }
      const item = n.value;
      if (item.kind === 'bad-entry') {
        yield { type: 'error', error: item.error };
        continue;
      }
      const b = item.batch;
      stats.batchesRead++;
      if (!b.crcValid) stats.crcMismatches++;
      if (c.toOffset !== undefined && b.baseOffset > c.toOffset) {
        stats.bytesRead += b.position - start;
        return;
      }
      if (headerExcludes(b, c) || bytesExclude(b, ns)) {
        stats.batchesSkipped++;
        continue;
      }
      try {
        for (const r of batchRecords(b)) {
          stats.recordsDecoded++;
          if (recordMatches(r, c)) {
            stats.matches++;
            yield { type: 'match', record: r, batch: b };
          }
        }
      } catch (e) {
        if (!(e instanceof KsegError)) throw e;
        yield { type: 'error', error: e.at({ file: seg.log, position: b.position }) };
      }
    }
  } finally {
    src.close();
  }
}
