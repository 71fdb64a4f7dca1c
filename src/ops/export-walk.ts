import { v2Payload, type Batch } from '../format/batch.js';
import { RecordWalker, WALK_HEADERS, WALK_OK } from '../format/record-walk.js';

/**
 * The records of one v2 batch as format/record-walk.ts's walk left them: typed arrays of numbers
 * and byte positions into `src`, no object per record (export's hot path; the export writers read
 * the arrays). `walkedRecords` gives one only when the fast walk took every record and they end
 * exactly where the batch does; anything else (a legacy or empty batch, a payload that does not
 * decompress, a record the fast walk leaves to the careful one) is left to batchRecords, which
 * gives the same rows or throws the exact error.
 */
export interface WalkedRecords {
  /** The bytes the walker's positions point into (the batch's, or its decompressed payload). */
  src: Buffer;
  /** Where the first record starts in `src`. */
  start: number;
  /** Filled with `count` records in WALK_HEADERS mode (valid until the next batch is walked). */
  w: RecordWalker;
  count: number;
  baseOffset: number;
  /** LogAppendTime: every record's timestamp is the batch's maxTimestamp (Kafka's DefaultRecordBatch). */
  logAppend: boolean;
  maxTimestamp: number;
  magic: number;
  timestampType: string;
}

/** Walk the records of `b` into `w`; null when batchRecords must decide (see above). */
export function walkedRecords(b: Batch, w: RecordWalker): WalkedRecords | null {
  if (b.magic !== 2 || b.recordCount <= 0) return null;
  let payload;
  try {
    payload = v2Payload(b);
  } catch {
    return null;
  }
  const { buf: src, pos: p, end } = payload;
  if (w.walkFast(src, p, end, b.recordCount, b.baseTimestamp, WALK_HEADERS) !== WALK_OK) return null;
  return {
    src,
    start: p,
    w,
    count: w.count,
    baseOffset: b.baseOffset,
    logAppend: b.timestampType === 'LogAppendTime',
    maxTimestamp: b.maxTimestamp,
    magic: b.magic,
    timestampType: b.timestampType,
  };
}
