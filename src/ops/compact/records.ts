import {
  ATTR_CONTROL,
  ATTR_DELETE_HORIZON,
  ATTR_TIMESTAMP_TYPE,
  ATTR_TRANSACTIONAL,
  ATTRIBUTES_OFFSET,
  BASE_SEQUENCE_OFFSET,
  BASE_TIMESTAMP_OFFSET,
  CRC_OFFSET,
  LAST_OFFSET_DELTA_OFFSET,
  LOG_OVERHEAD,
  MAGIC_OFFSET,
  MAX_TIMESTAMP_OFFSET,
  PARTITION_LEADER_EPOCH_OFFSET,
  PRODUCER_EPOCH_OFFSET,
  PRODUCER_ID_OFFSET,
  RECORDS_COUNT_OFFSET,
  RECORDS_OFFSET,
  SIZE_OFFSET,
  type Batch,
} from '../../format/batch.js';
import { compress, decompress } from '../../format/codecs.js';
import type { CompressionWriteName } from '../../format/compression.js';
import { crc32c } from '../../format/crc.js';
import { CorruptDataError } from '../../format/errors.js';
import { writeInt64 } from '../../format/int64.js';
import { sizeOfVarint, sizeOfVarlong, writeVarint, writeVarlong } from '../../format/varint.js';

/**
 * The cleaner's view of a v2 batch's records: one walk over the (decompressed) records that keeps,
 * per record, only positions and numbers in reusable typed arrays — no record objects. The walk
 * validates the structure as strictly as the reader does. A retained record is re-encoded as
 * Kafka's MemoryRecordsBuilder writes it: length, attributes 0, the timestamp delta against the new
 * base timestamp, then the rest of the record (offset delta, key, value, headers) byte for byte —
 * which is exactly what the builder writes for canonically encoded varints (`canonical` says
 * whether every copied varint was; otherwise the caller re-encodes the records field by field).
 */
export class RecordWalk {
  count = 0;
  buf: Buffer = Buffer.alloc(0);
  /** Every copied varint (offset delta, lengths, header count) was minimally encoded. */
  canonical = true;
  offsetDelta = new Int32Array(64);
  timestamp = new Float64Array(64);
  keyStart = new Int32Array(64);
  /** -1 for a null key. */
  keyLen = new Int32Array(64);
  valueNull = new Uint8Array(64);
  /** Byte position of the offset delta (the part copied verbatim) and the record end. */
  tailStart = new Int32Array(64);
  recEnd = new Int32Array(64);
  private pos = 0;
  private end = 0;
  private batch: Batch | null = null;

  private grow(n: number): void {
    if (n <= this.offsetDelta.length) return;
    let cap = this.offsetDelta.length;
    while (cap < n) cap *= 2;
    const g = <T extends Int32Array | Float64Array | Uint8Array>(a: T, C: new (n: number) => T): T => {
      const b = new C(cap);
      b.set(a);
      return b;
    };
    this.offsetDelta = g(this.offsetDelta, Int32Array);
    this.timestamp = g(this.timestamp, Float64Array);
    this.keyStart = g(this.keyStart, Int32Array);
    this.keyLen = g(this.keyLen, Int32Array);
    this.valueNull = g(this.valueNull, Uint8Array);
    this.tailStart = g(this.tailStart, Int32Array);
    this.recEnd = g(this.recEnd, Int32Array);
  }

  private fail(message: string): never {
    const b = this.batch!;
    throw new CorruptDataError('RECORD_DECODE_ERROR', message, { file: b.file, position: b.position });
  }

  private varint(limit: number): number {
    let raw = 0;
    let shift = 0;
    const buf = this.buf;
    const start = this.pos;
    for (let i = 0; i < 5; i++) {
      if (this.pos >= limit) this.fail('Found invalid record structure (a varint runs past the end of its record)');
      const b = buf[this.pos++]!;
      raw |= (b & 0x7f) << shift;
      if ((b & 0x80) === 0) {
        const v = (raw >>> 1) ^ -(raw & 1);
        if (this.pos - start !== sizeOfVarint(v)) this.canonical = false;
        return v;
      }
      shift += 7;
    }
    this.fail('Found invalid record structure (a varint longer than 5 bytes)');
  }

  private varlong(limit: number): number {
    const buf = this.buf;
    let raw = 0;
    let mul = 1;
    for (let i = 0; i < 10; i++) {
      if (this.pos >= limit) this.fail('Found invalid record structure (a varlong runs past the end of its record)');
      const b = buf[this.pos++]!;
      raw += (b & 0x7f) * mul;
      if ((b & 0x80) === 0) {
        if (raw <= Number.MAX_SAFE_INTEGER) return raw % 2 === 0 ? raw / 2 : -(raw + 1) / 2;
        let big = 0n;
        for (let j = 0; j <= i; j++) big |= BigInt(buf[this.pos - 1 - i + j]! & 0x7f) << BigInt(7 * j);
        big = BigInt.asUintN(64, big);
        return Number(BigInt.asIntN(64, (big >> 1n) ^ -(big & 1n)));
      }
      mul *= 128;
    }
    this.fail('Found invalid record structure (a varlong longer than 10 bytes)');
  }

  private skipBytes(limit: number, what: string): number {
    const n = this.varint(limit);
    if (n < 0) return -1;
    if (n > limit - this.pos) this.fail(`Invalid ${what} size ${n} is larger than the remaining size of the buffer`);
    this.pos += n;
    return n;
  }

  /**
   * Walk every record of a v2 batch. Timestamps are what a consumer sees (the batch's append time
   * for LogAppendTime).
   */
  walk(batch: Batch): void {
    if (!this.begin(batch)) return;
    const start = this.pos;
    if (this.walkFast(batch)) return;
    // Something was off: the careful walk reports it (or, when all is well after all, redoes it).
    this.pos = start;
    this.canonical = true;
    this.walkRecords(batch);
  }

  /**
   * walkRecords with the position in a local and varints decoded inline; false (arrays partly
   * filled) at the first thing walkRecords would report, or a timestamp delta beyond 2^53.
   */
  private walkFast(batch: Batch): boolean {
    const count = batch.recordCount;
    const logAppend = (batch.attributes & ATTR_TIMESTAMP_TYPE) !== 0;
    const appendTime = batch.maxTimestamp;
    const baseTs = batch.baseTimestamp;
    const buf = this.buf;
    const end = this.end;
    const offsetDelta = this.offsetDelta;
    const timestamp = this.timestamp;
    const keyStart = this.keyStart;
    const keyLen = this.keyLen;
    const valueNull = this.valueNull;
    const tailStart = this.tailStart;
    const recEnd = this.recEnd;
    let canonical = true;
    let pos = this.pos;
    for (let i = 0; i < count; i++) {
      if (pos >= end) return false;
      const length = readVarint(buf, pos, end);
      if (vFail) return false;
      if (vLen > 1 && vLen !== sizeOfVarint(length)) canonical = false;
      pos += vLen;
      if (length < 1 || length > end - pos) return false;
      const bodyStart = pos;
      const bodyEnd = pos + length;
      if (buf[pos] !== 0) canonical = false;
      pos++; // attributes
      // timestamp delta (varlong)
      let raw = 0;
      let mul = 1;
      let b = 0x80;
      for (let k = 0; k < 7 && b & 0x80; k++) {
        if (pos >= bodyEnd) return false;
        b = buf[pos++]!;
        raw += (b & 0x7f) * mul;
        mul *= 128;
      }
      if (b & 0x80) return false; // longer than 7 bytes (beyond 2^49): the careful walk
      const tsDelta = raw % 2 === 0 ? raw / 2 : -(raw + 1) / 2;
      tailStart[i] = pos;
      const od = readVarint(buf, pos, bodyEnd);
      if (vFail) return false;
      if (vLen > 1 && vLen !== sizeOfVarint(od)) canonical = false;
      pos += vLen;
      offsetDelta[i] = od;
      const kl = readVarint(buf, pos, bodyEnd);
      if (vFail) return false;
      if (vLen > 1 && vLen !== sizeOfVarint(kl)) canonical = false;
      pos += vLen;
      if (kl >= 0) {
        if (kl > bodyEnd - pos) return false;
        keyStart[i] = pos;
        pos += kl;
      }
      keyLen[i] = kl < 0 ? -1 : kl;
      const vl = readVarint(buf, pos, bodyEnd);
      if (vFail) return false;
      if (vLen > 1 && vLen !== sizeOfVarint(vl)) canonical = false;
      pos += vLen;
      if (vl >= 0) {
        if (vl > bodyEnd - pos) return false;
        pos += vl;
      }
      valueNull[i] = vl < 0 ? 1 : 0;
      const headers = readVarint(buf, pos, bodyEnd);
      if (vFail) return false;
      if (vLen > 1 && vLen !== sizeOfVarint(headers)) canonical = false;
      pos += vLen;
      if (headers < 0 || headers > bodyEnd - pos) return false;
      for (let h = 0; h < headers; h++) {
        const hk = readVarint(buf, pos, bodyEnd);
        if (vFail) return false;
        if (vLen > 1 && vLen !== sizeOfVarint(hk)) canonical = false;
        pos += vLen;
        if (hk < 0 || hk > bodyEnd - pos) return false;
        pos += hk;
        const hv = readVarint(buf, pos, bodyEnd);
        if (vFail) return false;
        if (vLen > 1 && vLen !== sizeOfVarint(hv)) canonical = false;
        pos += vLen;
        if (hv >= 0) {
          if (hv > bodyEnd - pos) return false;
          pos += hv;
        }
      }
      if (pos !== bodyEnd) return false;
      recEnd[i] = bodyEnd;
      timestamp[i] = logAppend ? appendTime : baseTs + tsDelta;
    }
    if (pos !== end) return false;
    this.pos = pos;
    this.canonical = canonical;
    this.count = count;
    return true;
  }

  /** Point at the batch's (decompressed) records; false when it has none. */
  private begin(batch: Batch): boolean {
    this.batch = batch;
    this.canonical = true;
    const count = batch.recordCount;
    if (count < 0) this.fail(`Found invalid record count ${count} in magic v2 batch`);
    this.count = 0;
    if (count === 0) return false;
    if (batch.compressionId === 0) {
      this.buf = batch.bytes;
      this.pos = batch.start + RECORDS_OFFSET;
      this.end = batch.start + batch.size;
    } else {
      try {
        this.buf = decompress(batch.compressionId, batch.bytes.subarray(batch.start + RECORDS_OFFSET, batch.start + batch.size), batch.magic);
      } catch (e) {
        if (e instanceof CorruptDataError) throw new CorruptDataError(e.code, e.message, { file: batch.file, position: batch.position });
        throw e;
      }
      this.pos = 0;
      this.end = this.buf.length;
    }
    if (count > this.end - this.pos) this.fail(`Found invalid record count ${count} in magic v2 batch: more than its ${this.end - this.pos} payload bytes allow`);
    this.grow(count);
    return true;
  }

  /**
   * The offset map's walk: per record only the offset delta and the key's position and length
   * (count, offsetDelta, keyStart, keyLen); values and headers are jumped over by the record's
   * length, nothing else is read. Any record that does not frame cleanly is handed to the full
   * walk, which reports it exactly as it always does (or, when it is fine after all, fills the
   * same arrays).
   */
  walkKeys(batch: Batch): void {
    if (!this.begin(batch)) return;
    const count = batch.recordCount;
    const buf = this.buf;
    const end = this.end;
    let pos = this.pos;
    const start = pos;
    const offsetDelta = this.offsetDelta;
    const keyStart = this.keyStart;
    const keyLen = this.keyLen;
    for (let i = 0; i < count; i++) {
      // length (varint), attributes (1 byte), timestamp delta (varlong), offset delta, key length
      let b = pos < end ? buf[pos++]! : 0x100;
      let raw = b & 0x7f;
      for (let shift = 7; b & 0x80; shift += 7) {
        if (shift > 28 || pos >= end) return this.rewalk(batch, start);
        b = buf[pos++]!;
        raw |= (b & 0x7f) << shift;
      }
      if (b === 0x100) return this.rewalk(batch, start);
      const length = (raw >>> 1) ^ -(raw & 1);
      if (length < 1 || length > end - pos) return this.rewalk(batch, start);
      const bodyEnd = pos + length;
      pos++; // attributes
      let n = 0;
      while (pos < bodyEnd && buf[pos]! & 0x80 && n < 9) {
        pos++;
        n++;
      }
      if (pos >= bodyEnd || buf[pos]! & 0x80) return this.rewalk(batch, start);
      pos++; // last byte of the timestamp delta
      // offset delta
      b = pos < bodyEnd ? buf[pos++]! : 0x100;
      raw = b & 0x7f;
      for (let shift = 7; b & 0x80; shift += 7) {
        if (shift > 28 || pos >= bodyEnd) return this.rewalk(batch, start);
        b = buf[pos++]!;
        raw |= (b & 0x7f) << shift;
      }
      if (b === 0x100) return this.rewalk(batch, start);
      offsetDelta[i] = (raw >>> 1) ^ -(raw & 1);
      // key length
      b = pos < bodyEnd ? buf[pos++]! : 0x100;
      raw = b & 0x7f;
      for (let shift = 7; b & 0x80; shift += 7) {
        if (shift > 28 || pos >= bodyEnd) return this.rewalk(batch, start);
        b = buf[pos++]!;
        raw |= (b & 0x7f) << shift;
      }
      if (b === 0x100) return this.rewalk(batch, start);
      const kl = (raw >>> 1) ^ -(raw & 1);
      if (kl > bodyEnd - pos) return this.rewalk(batch, start);
      keyStart[i] = pos;
      keyLen[i] = kl < 0 ? -1 : kl;
      pos = bodyEnd;
    }
    if (pos !== end) return this.rewalk(batch, start);
    this.pos = pos;
    this.count = count;
  }

  /** Something in walkKeys looked wrong: the full walk decides (and reports). */
  private rewalk(batch: Batch, start: number): void {
    this.pos = start;
    this.walkRecords(batch);
  }

  private walkRecords(batch: Batch): void {
    const count = batch.recordCount;
    const logAppend = (batch.attributes & ATTR_TIMESTAMP_TYPE) !== 0;
    const buf = this.buf;
    for (let i = 0; i < count; i++) {
      if (this.pos >= this.end) this.fail('Incorrect declared batch size, premature EOF reached');
      const length = this.varint(this.end);
      const bodyStart = this.pos;
      if (length < 1 || length > this.end - bodyStart) this.fail(`Invalid record size: expected ${length} bytes in record payload, but ${this.end - bodyStart} remain`);
      const bodyEnd = bodyStart + length;
      this.pos++; // attributes (unused; Kafka writes 0)
      const tsDelta = this.varlong(bodyEnd);
      this.tailStart[i] = this.pos;
      this.offsetDelta[i] = this.varint(bodyEnd);
      const kl = this.varint(bodyEnd);
      if (kl >= 0) {
        if (kl > bodyEnd - this.pos) this.fail(`Invalid key size ${kl} is larger than the remaining size of the buffer`);
        this.keyStart[i] = this.pos;
        this.pos += kl;
      }
      this.keyLen[i] = kl < 0 ? -1 : kl;
      this.valueNull[i] = this.skipBytes(bodyEnd, 'value') < 0 ? 1 : 0;
      const headers = this.varint(bodyEnd);
      if (headers < 0 || headers > bodyEnd - this.pos) this.fail(`Found invalid number of record headers ${headers}`);
      for (let h = 0; h < headers; h++) {
        const hk = this.varint(bodyEnd);
        if (hk < 0) this.fail(`Invalid negative header key size ${hk}`);
        if (hk > bodyEnd - this.pos) this.fail(`Invalid header key size ${hk} is larger than the remaining size of the buffer`);
        this.pos += hk;
        this.skipBytes(bodyEnd, 'header value');
      }
      if (this.pos !== bodyEnd) this.fail(`Invalid record size: expected to read ${length} bytes in record payload, but instead read ${this.pos - bodyStart}`);
      if (buf[bodyStart] !== 0) this.canonical = false;
      this.recEnd[i] = bodyEnd;
      this.timestamp[i] = logAppend ? batch.maxTimestamp : batch.baseTimestamp + tsDelta;
    }
    if (this.pos !== this.end) this.fail('Incorrect declared batch size, records still remaining in file');
    this.count = count;
  }
}

/** readVarint's outcome: bytes used, or vFail when it runs past `limit` or over 5 bytes. */
let vLen = 0;
let vFail = false;

/** A zig-zag varint at buf[pos] ending before `limit` (sets vLen / vFail). */
function readVarint(buf: Uint8Array, pos: number, limit: number): number {
  let raw = 0;
  for (let i = 0; i < 5; i++) {
    if (pos + i >= limit) break;
    const b = buf[pos + i]!;
    raw |= (b & 0x7f) << (7 * i);
    if ((b & 0x80) === 0) {
      vLen = i + 1;
      vFail = false;
      return (raw >>> 1) ^ -(raw & 1);
    }
  }
  vFail = true;
  return 0;
}

export interface RebuildHeader {
  baseOffset: number;
  partitionLeaderEpoch: number;
  /** Attributes of the new batch (codec, timestamp type, transactional, control, horizon bits). */
  attributes: number;
  lastOffsetDelta: number;
  baseTimestamp: number;
  maxTimestamp: number;
  producerId: number;
  producerEpoch: number;
  baseSequence: number;
  count: number;
}

// v2 header: baseOffset int64 | batchLength int32 | partitionLeaderEpoch int32 | magic int8 | crc uint32 |
// attributes int16 | lastOffsetDelta int32 | baseTimestamp int64 | maxTimestamp int64 | producerId int64 |
// producerEpoch int16 | baseSequence int32 | recordsCount int32
/** writeInt64 without BigInt for the values that are exact doubles (all real offsets and times). */
function putInt64(out: Buffer, off: number, value: number): void {
  if (!Number.isSafeInteger(value)) {
    writeInt64(out, off, value);
    return;
  }
  const hi = Math.floor(value / 4294967296);
  const lo = value - hi * 4294967296;
  out[off] = hi >>> 24;
  out[off + 1] = (hi >>> 16) & 0xff;
  out[off + 2] = (hi >>> 8) & 0xff;
  out[off + 3] = hi & 0xff;
  out[off + 4] = lo >>> 24;
  out[off + 5] = (lo >>> 16) & 0xff;
  out[off + 6] = (lo >>> 8) & 0xff;
  out[off + 7] = lo & 0xff;
}

export function writeV2Header(out: Buffer, h: RebuildHeader): void {
  putInt64(out, 0, h.baseOffset);
  out.writeInt32BE(out.length - LOG_OVERHEAD, SIZE_OFFSET);
  out.writeInt32BE(h.partitionLeaderEpoch, PARTITION_LEADER_EPOCH_OFFSET);
  out[MAGIC_OFFSET] = 2;
  out.writeInt16BE(h.attributes, ATTRIBUTES_OFFSET);
  out.writeInt32BE(h.lastOffsetDelta, LAST_OFFSET_DELTA_OFFSET);
  putInt64(out, BASE_TIMESTAMP_OFFSET, h.baseTimestamp);
  putInt64(out, MAX_TIMESTAMP_OFFSET, h.maxTimestamp);
  putInt64(out, PRODUCER_ID_OFFSET, h.producerId);
  out.writeInt16BE(h.producerEpoch, PRODUCER_EPOCH_OFFSET);
  out.writeInt32BE(h.baseSequence, BASE_SEQUENCE_OFFSET);
  out.writeInt32BE(h.count, RECORDS_COUNT_OFFSET);
  out.writeUInt32BE(crc32c(out, ATTRIBUTES_OFFSET, out.length), CRC_OFFSET);
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
  writeV2Header(out, {
    baseOffset: batch.baseOffset,
    partitionLeaderEpoch: batch.partitionLeaderEpoch,
    attributes,
    lastOffsetDelta: batch.lastOffsetDelta,
    baseTimestamp,
    maxTimestamp: logAppend ? batch.maxTimestamp : maxTs,
    producerId: batch.producerId,
    producerEpoch: batch.producerEpoch,
    baseSequence: batch.baseSequence,
    count: n,
  });
}

/** DefaultRecordBatch.writeEmptyHeader: what the cleaner keeps of a batch whose records all went. */
export function emptyBatchOf(batch: Batch): Buffer {
  const out = Buffer.allocUnsafe(RECORDS_OFFSET);
  writeV2Header(out, {
    baseOffset: batch.baseOffset,
    partitionLeaderEpoch: batch.partitionLeaderEpoch,
    attributes: batch.attributes & (ATTR_TIMESTAMP_TYPE | ATTR_TRANSACTIONAL | ATTR_CONTROL),
    lastOffsetDelta: batch.lastOffsetDelta,
    baseTimestamp: -1,
    maxTimestamp: batch.maxTimestamp,
    producerId: batch.producerId,
    producerEpoch: batch.producerEpoch,
    baseSequence: batch.baseSequence,
    count: 0,
  });
  return out;
}
