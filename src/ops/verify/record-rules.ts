import {
  ATTR_COMPRESSION_MASK,
  ATTR_CONTROL,
  ATTR_TIMESTAMP_TYPE,
  ATTRIBUTES_OFFSET,
  BASE_TIMESTAMP_OFFSET,
  CRC_OFFSET,
  decodeBatch,
  LAST_OFFSET_DELTA_OFFSET,
  MAGIC_OFFSET,
  MAX_TIMESTAMP_OFFSET,
  RECORD_BATCH_OVERHEAD,
  RECORDS_COUNT_OFFSET,
  RECORDS_OFFSET,
  scanBatchRecords,
} from '../../format/batch.js';
import { RecordWalker, WALK_CHECK, WALK_OK } from '../../format/record-walk.js';
import { crc32c } from '../../format/crc.js';
import { readInt16, readInt32, readInt64, readUInt32 } from '../../format/int64.js';

/**
 * The record-level rules of a batch, in one place for both paths that apply them: records.ts
 * checkRecords (the walk, which reports what breaks them) and batchClean below (verify --jobs
 * workers, which only answer "nothing to report" or "let the walk look").
 */

/** RECORD_COUNT_MISMATCH: a v2 recordsCount is negative or above lastOffsetDelta + 1 (DefaultRecordBatch). */
export function recordCountPlausible(count: number, lastOffsetDelta: number): boolean {
  return count >= 0 && (lastOffsetDelta < 0 || count <= lastOffsetDelta + 1);
}

/** RECORD_OFFSETS_NOT_INCREASING: record offset deltas start at >= 0 and strictly increase. */
export function offsetDeltasIncreasing(firstOffsetDelta: number, increasing: boolean): boolean {
  return firstOffsetDelta >= 0 && increasing;
}

/** LAST_OFFSET_DELTA_MISMATCH: the last record's offset delta is at most the header's lastOffsetDelta. */
export function lastDeltaWithin(lastRecordDelta: number, lastOffsetDelta: number): boolean {
  return lastOffsetDelta < 0 || lastRecordDelta <= lastOffsetDelta;
}

/** MAX_TIMESTAMP_MISMATCH: a CreateTime batch's maxTimestamp is its largest record timestamp. */
export function maxTimestampMatches(createTime: boolean, largestRecordTimestamp: number, maxTimestamp: number): boolean {
  return !createTime || largestRecordTimestamp === maxTimestamp;
}

/**
 * Whether the v2 batch at view[off, off+size) (file position `pos`) is plainly clean: magic 2, CRC
 * valid, not a control batch, a plausible record count, records that parse, offset deltas strictly
 * increasing from >= 0 up to at most lastOffsetDelta, and (CreateTime) maxTimestamp equal to the
 * largest record timestamp. This is exactly "walkLog would report nothing from its CRC check and
 * checkRecords, and checkRecords would return no marker"; anything else is left to the main thread.
 */
/** batchClean's walker, reused for every batch a thread checks (nothing of a walk outlives the call). */
const walker = new RecordWalker();

export function batchClean(view: Buffer, off: number, size: number, pos: number, file: string): boolean {
  if (size < RECORD_BATCH_OVERHEAD || view[off + MAGIC_OFFSET] !== 2) return false;
  if (readUInt32(view, off + CRC_OFFSET) !== crc32c(view, off + ATTRIBUTES_OFFSET, off + size)) return false;
  const attributes = readInt16(view, off + ATTRIBUTES_OFFSET);
  if ((attributes & ATTR_CONTROL) !== 0) return false;
  const count = readInt32(view, off + RECORDS_COUNT_OFFSET);
  const lastOffsetDelta = readInt32(view, off + LAST_OFFSET_DELTA_OFFSET);
  if (!recordCountPlausible(count, lastOffsetDelta)) return false;
  if (count === 0) return true;
  let maxTs: number;
  let first: number;
  let last: number;
  let increasing: boolean;
  if ((attributes & ATTR_COMPRESSION_MASK) === 0) {
    const w = walker;
    if (w.walkFast(view, off + RECORDS_OFFSET, off + size, count, readInt64(view, off + BASE_TIMESTAMP_OFFSET), WALK_CHECK) !== WALK_OK) return false;
    maxTs = w.maxTimestamp;
    first = w.firstOffsetDelta;
    last = w.lastOffsetDelta;
    increasing = w.offsetsIncreasing;
  } else {
    try {
      const s = scanBatchRecords(decodeBatch(view, off, size, pos, file, false));
      maxTs = s.maxTimestamp;
      first = s.firstOffsetDelta;
      last = s.lastOffsetDelta;
      increasing = s.offsetsIncreasing;
    } catch {
      return false;
    }
  }
  return (
    offsetDeltasIncreasing(first, increasing) &&
    lastDeltaWithin(last, lastOffsetDelta) &&
    maxTimestampMatches((attributes & ATTR_TIMESTAMP_TYPE) === 0, maxTs, readInt64(view, off + MAX_TIMESTAMP_OFFSET))
  );
}
