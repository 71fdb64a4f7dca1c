import { ATTR_CONTROL, ATTR_DELETE_HORIZON, ATTR_TIMESTAMP_TYPE, ATTR_TRANSACTIONAL, RECORDS_OFFSET, writeV2Header, type Batch } from '../../format/batch.js';
import { compress, decompress } from '../../format/codecs.js';
import type { CompressionWriteName } from '../../format/compression.js';
import { CorruptDataError } from '../../format/errors.js';
import { RecordWalker, WALK_KEYS, WALK_OK, WALK_RECORDS } from '../../format/record-walk.js';
import { sizeOfVarint, sizeOfVarlong, writeVarint, writeVarlong } from '../../format/varint.js';

/**
 * The cleaner's view of a v2 batch's records: format/record-walk.ts's walk over the (decompressed)
 * records, into this walker's reusable typed arrays — no record objects. Timestamps are what a
 * consumer sees (the batch's append time for LogAppendTime). A retained record is re-encoded as
 * Kafka's MemoryRecordsBuilder writes it: length, attributes 0, the timestamp delta against the new
 * base timestamp, then the rest of the record (offset delta, key, value, headers) byte for byte —
 * which is exactly what the builder writes for canonically encoded varints (`canonical` says
 * whether every copied varint was; otherwise the caller re-encodes the records field by field).
 */
export class RecordWalk extends RecordWalker {
  declare buf: Buffer;

  /** Walk every record of a v2 batch (fills every array; exact errors for malformed records). */
  walk(batch: Batch): void {
    const count = this.payload(batch);
    if (count === 0) return;
    const { buf, pos, end } = this;
    if (this.walkFast(buf, pos, end, count, batch.baseTimestamp, WALK_RECORDS) !== WALK_OK) this.exact(batch);
    if ((batch.attributes & ATTR_TIMESTAMP_TYPE) !== 0) this.timestamp.fill(batch.maxTimestamp, 0, count);
  }

  /**
   * The offset map's walk: per record only the offset delta and the key's position and length
   * (count, offsetDelta, keyStart, keyLen). Any record that does not frame cleanly is handed to
   * the full walk, which reports it exactly (or, when it is fine after all, fills the same arrays).
   */
  walkKeys(batch: Batch): void {
    const count = this.payload(batch);
    if (count === 0) return;
    if (this.walkFast(this.buf, this.pos, this.end, count, batch.baseTimestamp, WALK_KEYS) !== WALK_OK) this.exact(batch);
  }

  private pos = 0;
  private end = 0;

  private exact(batch: Batch): void {
    try {
      this.walkExact(this.buf, this.pos, this.end, batch.recordCount, batch.baseTimestamp, batch);
    } catch (e) {
      if (e instanceof CorruptDataError) throw e.at({ file: batch.file, position: batch.position });
      throw e;
    }
  }

  /** Point at the batch's (decompressed) records; their count (0: none). */
  private payload(batch: Batch): number {
    this.count = 0;
    this.canonical = true;
    const count = batch.recordCount;
    const where = { file: batch.file, position: batch.position };
    if (count < 0) throw new CorruptDataError('RECORD_DECODE_ERROR', `Found invalid record count ${count} in magic v2 batch`, where);
    if (count === 0) return 0;
    if (batch.compressionId === 0) {
      this.buf = batch.bytes;
      this.pos = batch.start + RECORDS_OFFSET;
      this.end = batch.start + batch.size;
    } else {
      try {
        this.buf = decompress(batch.compressionId, batch.bytes.subarray(batch.start + RECORDS_OFFSET, batch.start + batch.size), batch.magic);
      } catch (e) {
        if (e instanceof CorruptDataError) throw new CorruptDataError(e.code, e.message, where);
        throw e;
      }
      this.pos = 0;
      this.end = this.buf.length;
    }
    if (count > this.end - this.pos)
      throw new CorruptDataError('RECORD_DECODE_ERROR', `Found invalid record count ${count} in magic v2 batch: more than its ${this.end - this.pos} payload bytes allow`, where);
    return count;
  }
}

/** The codec Kafka's builder writes for a batch's compression id (snappy: the Java client's xerial framing). */
export function rebuildCodec(compressionId: number): CompressionWriteName {
  return (['none', 'gzip', 'snappy-xerial', 'lz4', 'zstd'] as const)[compressionId]!;
}

/**
 * Kafka's buildRetainedRecordsInto for a v2 batch: same baseOffset, lastOffsetDelta, producer
 * fields, leader epoch, timestamp type and codec; base timestamp = the delete horizon when one is
 * set, else the first kept record's timestamp; max timestamp = the largest kept timestamp
 * (CreateTime) or the batch's append time. `keep[i]` selects records of the last `walk`.
 */
export async function rebuildV2(batch: Batch, w: RecordWalk, keep: Uint8Array, deleteHorizonMs: number | null, reserve?: (len: number) => Buffer | null): Promise<Buffer> {
  const codecId = batch.compressionId;
  if (codecId === 0) return rebuildV2Sync(batch, w, keep, deleteHorizonMs, reserve);
  const raw = Buffer.allocUnsafe(recordsSize(w, keep, baseTimestampOf(w, keep, deleteHorizonMs)));
  const h = writeRetained(raw, 0, w, keep, deleteHorizonMs);
  const payload = await compress(rebuildCodec(codecId), raw, 2);
  const out = Buffer.allocUnsafe(RECORDS_OFFSET + payload.length);
  payload.copy(out, RECORDS_OFFSET);
  writeRebuiltHeader(out, batch, deleteHorizonMs, h.baseTimestamp, h.maxTs, h.n);
  return out;
}

/**
 * rebuildV2 for an uncompressed batch, written straight into `reserve(size)` when that gives room
 * (the segment writer's buffer), else into a new buffer.
 */
export function rebuildV2Sync(batch: Batch, w: RecordWalk, keep: Uint8Array, deleteHorizonMs: number | null, reserve?: (len: number) => Buffer | null): Buffer {
  const baseTimestamp = baseTimestampOf(w, keep, deleteHorizonMs);
  const len = RECORDS_OFFSET + recordsSize(w, keep, baseTimestamp);
  const out = reserve?.(len) ?? Buffer.allocUnsafe(len);
  const h = writeRetained(out, RECORDS_OFFSET, w, keep, deleteHorizonMs);
  writeRebuiltHeader(out, batch, deleteHorizonMs, h.baseTimestamp, h.maxTs, h.n);
  return out;
}

/** The new base timestamp: the delete horizon when one is set, else the first kept record's timestamp. */
function baseTimestampOf(w: RecordWalk, keep: Uint8Array, deleteHorizonMs: number | null): number {
  if (deleteHorizonMs !== null) return deleteHorizonMs;
  for (let i = 0; i < w.count; i++) if (keep[i]) return w.timestamp[i]!;
  return -1;
}

/** Bytes of the kept records re-encoded against `baseTimestamp`. */
function recordsSize(w: RecordWalk, keep: Uint8Array, baseTimestamp: number): number {
  let size = 0;
  for (let i = 0; i < w.count; i++) {
    if (!keep[i]) continue;
    const body = 1 + sizeOfVarlong(w.timestamp[i]! - baseTimestamp) + (w.recEnd[i]! - w.tailStart[i]!);
    size += sizeOfVarint(body) + body;
  }
  return size;
}

const retained = { baseTimestamp: 0, maxTs: 0, n: 0 };

/** Write the kept records at out[p..]: length, attributes 0, timestamp delta, then the rest verbatim. */
function writeRetained(out: Buffer, p: number, w: RecordWalk, keep: Uint8Array, deleteHorizonMs: number | null): typeof retained {
  const baseTimestamp = baseTimestampOf(w, keep, deleteHorizonMs);
  let n = 0;
  let maxTs = -1;
  const src = w.buf;
  for (let i = 0; i < w.count; i++) {
    if (!keep[i]) continue;
    n++;
    const ts = w.timestamp[i]!;
    if (ts > maxTs) maxTs = ts;
    const delta = ts - baseTimestamp;
    const ts0 = w.tailStart[i]!;
    const tail = w.recEnd[i]! - ts0;
    p = writeVarint(out, p, 1 + sizeOfVarlong(delta) + tail);
    out[p++] = 0;
    p = writeVarlong(out, p, delta);
    if (tail < 64) for (let j = 0; j < tail; j++) out[p + j] = src[ts0 + j]!;
    else src.copy(out, p, ts0, ts0 + tail);
    p += tail;
  }
  retained.baseTimestamp = baseTimestamp;
  retained.maxTs = maxTs;
  retained.n = n;
  return retained;
}

function writeRebuiltHeader(out: Buffer, batch: Batch, deleteHorizonMs: number | null, baseTimestamp: number, maxTs: number, n: number): void {
  const logAppend = (batch.attributes & ATTR_TIMESTAMP_TYPE) !== 0;
  let attributes = batch.compressionId | (batch.attributes & (ATTR_TIMESTAMP_TYPE | ATTR_TRANSACTIONAL | ATTR_CONTROL));
  if (deleteHorizonMs !== null) attributes |= ATTR_DELETE_HORIZON;
  writeV2Header(out, 0, out.length, {
    baseOffset: batch.baseOffset,
    partitionLeaderEpoch: batch.partitionLeaderEpoch,
    attributes,
    lastOffsetDelta: batch.lastOffsetDelta,
    baseTimestamp,
    maxTimestamp: logAppend ? batch.maxTimestamp : maxTs,
    producerId: batch.producerId,
    producerEpoch: batch.producerEpoch,
    baseSequence: batch.baseSequence,
    recordCount: n,
  });
}

/** DefaultRecordBatch.writeEmptyHeader: what the cleaner keeps of a batch whose records all went. */
export function emptyBatchOf(batch: Batch): Buffer {
  const out = Buffer.allocUnsafe(RECORDS_OFFSET);
  writeV2Header(out, 0, out.length, {
    baseOffset: batch.baseOffset,
    partitionLeaderEpoch: batch.partitionLeaderEpoch,
    attributes: batch.attributes & (ATTR_TIMESTAMP_TYPE | ATTR_TRANSACTIONAL | ATTR_CONTROL),
    lastOffsetDelta: batch.lastOffsetDelta,
    baseTimestamp: -1,
    maxTimestamp: batch.maxTimestamp,
    producerId: batch.producerId,
    producerEpoch: batch.producerEpoch,
    baseSequence: batch.baseSequence,
    recordCount: 0,
  });
  return out;
}
