import { compress } from './codecs.js';
import { compressionId, type CompressionWriteName } from './compression.js';
import { crc32, crc32c } from './crc.js';
import { writeInt64 } from './int64.js';
import { sizeOfVarint, sizeOfVarlong, writeVarint, writeVarlong } from './varint.js';
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
  LEGACY_CRC_OFFSET,
  LEGACY_MAGIC_OFFSET,
  LOG_OVERHEAD,
  MAGIC_OFFSET,
  MAX_TIMESTAMP_OFFSET,
  PARTITION_LEADER_EPOCH_OFFSET,
  PRODUCER_EPOCH_OFFSET,
  PRODUCER_ID_OFFSET,
  RECORDS_COUNT_OFFSET,
  RECORDS_OFFSET,
  SIZE_OFFSET,
  writeV2Header,
  type TimestampType,
} from './batch.js';

export { setV2Crc } from './batch.js';

/**
 * The write path of the format layer: v2 record batches (data and control), v0/v1 messages and
 * compressed wrappers, byte for byte as Kafka's builders lay them out. Compression goes through
 * codecs.ts (async because the prebuilt zstd fallback is async).
 */
export interface HeaderInput {
  key: Buffer | string;
  value: Buffer | string | null;
}

export interface RecordInput {
  /** Absolute offset; or give offsetDelta. */
  offset?: number;
  offsetDelta?: number;
  timestamp: number;
  /** Stored timestamp delta (overrides timestamp - baseTimestamp, e.g. when re-encoding). */
  timestampDelta?: number;
  key: Buffer | string | null;
  value: Buffer | string | null;
  headers?: HeaderInput[];
  attributes?: number;
}

export interface V2BatchInput {
  baseOffset: number;
  records: RecordInput[];
  compression?: CompressionWriteName;
  timestampType?: Exclude<TimestampType, 'NoTimestampType'>;
  isTransactional?: boolean;
  isControl?: boolean;
  /** Sets attributes bit 6 and stores the horizon in baseTimestamp. */
  deleteHorizonMs?: number | null;
  partitionLeaderEpoch?: number;
  producerId?: number;
  producerEpoch?: number;
  baseSequence?: number;
  /** Defaults: lastOffsetDelta = last record's delta; baseTimestamp = first record's timestamp (or the horizon; -1 when empty). */
  lastOffsetDelta?: number;
  baseTimestamp?: number;
  /** Default: max record timestamp (CreateTime); for LogAppendTime give the append time. */
  maxTimestamp?: number;
  /** Extra attribute bits to keep (e.g. when re-encoding a batch with unknown bits). */
  attributes?: number;
}

const asBuf = (b: Buffer | string | null): Buffer | null => (b === null ? null : typeof b === 'string' ? Buffer.from(b, 'utf8') : b);

interface PreparedRecord {
  offsetDelta: number;
  timestampDelta: number;
  key: Buffer | null;
  value: Buffer | null;
  headers: { key: Buffer; value: Buffer | null }[];
  attributes: number;
  bodySize: number;
}

function prepare(r: RecordInput, baseOffset: number, baseTimestamp: number): PreparedRecord {
  const offsetDelta = r.offsetDelta ?? (r.offset !== undefined ? r.offset - baseOffset : 0);
  const timestampDelta = r.timestampDelta ?? r.timestamp - baseTimestamp;
  const key = asBuf(r.key);
  const value = asBuf(r.value);
  const headers = (r.headers ?? []).map((h) => ({ key: asBuf(h.key)!, value: asBuf(h.value) }));
  let size = 1 + sizeOfVarlong(timestampDelta) + sizeOfVarint(offsetDelta);
  size += key === null ? 1 : sizeOfVarint(key.length) + key.length;
  size += value === null ? 1 : sizeOfVarint(value.length) + value.length;
  size += sizeOfVarint(headers.length);
  for (const h of headers) {
    size += sizeOfVarint(h.key.length) + h.key.length;
    size += h.value === null ? 1 : sizeOfVarint(h.value.length) + h.value.length;
  }
  return { offsetDelta, timestampDelta, key, value, headers, attributes: r.attributes ?? 0, bodySize: size };
}

function recordsSize(recs: PreparedRecord[]): number {
  let n = 0;
  for (const r of recs) n += sizeOfVarint(r.bodySize) + r.bodySize;
  return n;
}

function writeBytes(buf: Buffer, pos: number, b: Buffer | null): number {
  if (b === null) return writeVarint(buf, pos, -1);
  pos = writeVarint(buf, pos, b.length);
  b.copy(buf, pos);
  return pos + b.length;
}

function writeRecords(buf: Buffer, pos: number, recs: PreparedRecord[]): number {
  for (const r of recs) {
    pos = writeVarint(buf, pos, r.bodySize);
    buf[pos++] = r.attributes;
    pos = writeVarlong(buf, pos, r.timestampDelta);
    pos = writeVarint(buf, pos, r.offsetDelta);
    pos = writeBytes(buf, pos, r.key);
    pos = writeBytes(buf, pos, r.value);
    pos = writeVarint(buf, pos, r.headers.length);
    for (const h of r.headers) {
      pos = writeBytes(buf, pos, h.key);
      pos = writeBytes(buf, pos, h.value);
    }
  }
  return pos;
}

/** Size of one v2 record on the wire (varint length prefix included). */
export function v2RecordSize(r: RecordInput, baseOffset: number, baseTimestamp: number): number {
  const p = prepare(r, baseOffset, baseTimestamp);
  return sizeOfVarint(p.bodySize) + p.bodySize;
}

function v2Layout(input: V2BatchInput): { recs: PreparedRecord[]; attributes: number; baseTimestamp: number; maxTimestamp: number; lastOffsetDelta: number } {
  const horizon = input.deleteHorizonMs ?? null;
  const first = input.records[0];
  const baseTimestamp = input.baseTimestamp ?? (horizon !== null ? horizon : first ? first.timestamp : -1);
  const recs = input.records.map((r) => prepare(r, input.baseOffset, baseTimestamp));
  let maxTs = -1;
  for (const r of input.records) if (r.timestamp > maxTs) maxTs = r.timestamp;
  const maxTimestamp = input.maxTimestamp ?? maxTs;
  const lastOffsetDelta = input.lastOffsetDelta ?? (recs.length ? recs[recs.length - 1]!.offsetDelta : 0);
  return { recs, attributes: v2Attributes(input), baseTimestamp, maxTimestamp, lastOffsetDelta };
}

function v2Attributes(input: Omit<V2BatchInput, 'records'>): number {
  let attributes = (input.attributes ?? 0) & ~0x7f;
  attributes |= compressionId(input.compression ?? 'none');
  if (input.timestampType === 'LogAppendTime') attributes |= ATTR_TIMESTAMP_TYPE;
  if (input.isTransactional) attributes |= ATTR_TRANSACTIONAL;
  if (input.isControl) attributes |= ATTR_CONTROL;
  if ((input.deleteHorizonMs ?? null) !== null) attributes |= ATTR_DELETE_HORIZON;
  return attributes;
}

interface V2LayoutFields {
  attributes: number;
  lastOffsetDelta: number;
  baseTimestamp: number;
  maxTimestamp: number;
  count: number;
}

/** batch.ts's writeV2Header with encodeV2BatchSync's defaults for the fields the input leaves out. */
function writeHeader(buf: Buffer, start: number, end: number, input: Omit<V2BatchInput, 'records'>, h: V2LayoutFields, deferCrc = false): void {
  writeV2Header(
    buf,
    start,
    end,
    {
      baseOffset: input.baseOffset,
      partitionLeaderEpoch: input.partitionLeaderEpoch ?? -1,
      attributes: h.attributes,
      lastOffsetDelta: h.lastOffsetDelta,
      baseTimestamp: h.baseTimestamp,
      maxTimestamp: h.maxTimestamp,
      producerId: input.producerId ?? -1,
      producerEpoch: input.producerEpoch ?? -1,
      baseSequence: input.baseSequence ?? -1,
      recordCount: h.count,
    },
    deferCrc,
  );
}

/** Encode an uncompressed v2 batch synchronously. */
export function encodeV2BatchSync(input: V2BatchInput): Buffer {
  if ((input.compression ?? 'none') !== 'none') throw new Error('encodeV2BatchSync only writes uncompressed batches; use encodeV2Batch');
  const l = v2Layout(input);
  const buf = Buffer.alloc(RECORDS_OFFSET + recordsSize(l.recs));
  writeRecords(buf, RECORDS_OFFSET, l.recs);
  writeHeader(buf, 0, buf.length, input, { ...l, count: l.recs.length });
  return buf;
}

/** Encode a v2 batch with any codec. */
export async function encodeV2Batch(input: V2BatchInput): Promise<Buffer> {
  const codec = input.compression ?? 'none';
  if (codec === 'none') return encodeV2BatchSync(input);
  const l = v2Layout(input);
  const raw = Buffer.alloc(recordsSize(l.recs));
  writeRecords(raw, 0, l.recs);
  const payload = await compress(codec, raw, 2);
  const buf = Buffer.alloc(RECORDS_OFFSET + payload.length);
  payload.copy(buf, RECORDS_OFFSET);
  writeHeader(buf, 0, buf.length, input, { ...l, count: l.recs.length });
  return buf;
}

/** A record header as bytes (the streaming writer takes no strings). */
export interface HeaderBytes {
  key: Uint8Array;
  value: Uint8Array | null;
}

/**
 * An uncompressed v2 batch written straight into a caller's buffer, record by record, with no
 * intermediate objects (the generator's hot path): `add` records in offset order, then `finish`
 * writes the 61-byte header and the CRC. Bytes are identical to encodeV2BatchSync's. The caller
 * leaves room: at most `V2_RECORD_OVERHEAD` bytes per record beyond its key, value and headers.
 */
export class V2BatchWriter {
  private pos: number;
  private count = 0;
  private lastDelta = 0;
  private pendingHeaders: readonly HeaderBytes[] | null = null;

  constructor(
    readonly buf: Buffer,
    readonly start: number,
  ) {
    this.pos = start + RECORDS_OFFSET;
  }

  /** One record. */
  add(offsetDelta: number, timestampDelta: number, key: Uint8Array | null, value: Uint8Array | null, headers?: readonly HeaderBytes[]): void {
    const at = this.beginRecord(offsetDelta, timestampDelta, key, value === null ? -1 : value.length, headers);
    if (value !== null) putRaw(this.buf, at, value, value.length);
    this.endRecord();
  }

  /**
   * Start a record whose value (`valueLength` bytes, -1 for null) the caller writes itself at the
   * returned position, then calls `endRecord` — no intermediate copy of the value.
   */
  beginRecord(offsetDelta: number, timestampDelta: number, key: Uint8Array | null, valueLength: number, headers?: readonly HeaderBytes[]): number {
    const buf = this.buf;
    const hn = headers ? headers.length : 0;
    let body = 1 + sizeOfVarlong(timestampDelta) + sizeOfVarint(offsetDelta);
    body += key === null ? 1 : sizeOfVarint(key.length) + key.length;
    body += valueLength < 0 ? 1 : sizeOfVarint(valueLength) + valueLength;
    body += sizeOfVarint(hn);
    for (let i = 0; i < hn; i++) {
      const h = headers![i]!;
      body += sizeOfVarint(h.key.length) + h.key.length + (h.value === null ? 1 : sizeOfVarint(h.value.length) + h.value.length);
    }
    let p = writeVarint(buf, this.pos, body);
    buf[p++] = 0;
    p = writeVarlong(buf, p, timestampDelta);
    p = writeVarint(buf, p, offsetDelta);
    p = putBytes(buf, p, key);
    p = writeVarint(buf, p, valueLength);
    this.pendingHeaders = headers ?? null;
    this.pos = p + Math.max(0, valueLength);
    this.count++;
    this.lastDelta = offsetDelta;
    return p;
  }

  endRecord(): void {
    const headers = this.pendingHeaders;
    const hn = headers ? headers.length : 0;
    let p = writeVarint(this.buf, this.pos, hn);
    for (let i = 0; i < hn; i++) {
      const h = headers![i]!;
      p = putBytes(this.buf, p, h.key);
      p = putBytes(this.buf, p, h.value);
    }
    this.pos = p;
    this.pendingHeaders = null;
  }

  /** Bytes written so far, header included. */
  get size(): number {
    return this.pos - this.start;
  }

  get records(): number {
    return this.count;
  }

  /**
   * Header and CRC; returns the batch size. Defaults as encodeV2BatchSync: lastOffsetDelta = the
   * last record's delta; baseTimestamp and maxTimestamp must be given (the writer keeps no timestamps).
   * `deferCrc` leaves the CRC field for the caller (`setV2Crc`), e.g. to compute it on another thread.
   */
  finish(h: Omit<V2BatchInput, 'records' | 'compression' | 'baseTimestamp' | 'maxTimestamp'> & { baseTimestamp: number; maxTimestamp: number }, deferCrc = false): number {
    writeHeader(
      this.buf,
      this.start,
      this.pos,
      h,
      {
        attributes: v2Attributes(h),
        lastOffsetDelta: h.lastOffsetDelta ?? this.lastDelta,
        baseTimestamp: h.baseTimestamp,
        maxTimestamp: h.maxTimestamp,
        count: this.count,
      },
      deferCrc,
    );
    return this.pos - this.start;
  }
}

/** Non-payload bytes of one v2 record at most: length, attributes, timestamp and offset deltas, key/value lengths, header count. */
export const V2_RECORD_OVERHEAD = 5 + 1 + 10 + 5 + 5 + 5 + 5;

function putBytes(buf: Buffer, pos: number, b: Uint8Array | null): number {
  if (b === null) {
    buf[pos] = 1; // zig-zag -1
    return pos + 1;
  }
  pos = writeVarint(buf, pos, b.length);
  putRaw(buf, pos, b, b.length);
  return pos + b.length;
}

/** Copy n bytes: a loop for short ones (cheaper than a native call), TypedArray.set otherwise. */
export function putRaw(buf: Uint8Array, pos: number, b: Uint8Array, n: number): void {
  if (n < 32) for (let i = 0; i < n; i++) buf[pos + i] = b[i]!;
  else buf.set(n === b.length ? b : b.subarray(0, n), pos);
}

/** A COMMIT/ABORT transaction marker batch (78 bytes). */
export function encodeEndTxnMarker(m: {
  baseOffset: number;
  type: 'COMMIT' | 'ABORT';
  producerId: number;
  producerEpoch: number;
  coordinatorEpoch: number;
  timestamp: number;
  partitionLeaderEpoch?: number;
}): Buffer {
  const key = Buffer.from([0, 0, 0, m.type === 'COMMIT' ? 1 : 0]);
  const value = Buffer.alloc(6);
  value.writeInt32BE(m.coordinatorEpoch, 2);
  return encodeV2BatchSync({
    baseOffset: m.baseOffset,
    records: [{ offsetDelta: 0, timestamp: m.timestamp, key, value }],
    isTransactional: true,
    isControl: true,
    producerId: m.producerId,
    producerEpoch: m.producerEpoch,
    baseSequence: -1,
    partitionLeaderEpoch: m.partitionLeaderEpoch ?? -1,
  });
}

/** A batch with no records, as the cleaner keeps it (header only, baseTimestamp -1). */
export function encodeEmptyBatch(h: Omit<V2BatchInput, 'records' | 'compression'> & { lastOffsetDelta: number; maxTimestamp: number }): Buffer {
  return encodeV2BatchSync({ ...h, records: [], baseTimestamp: h.baseTimestamp ?? -1 });
}

// ------------------------------------------------------------------ v0 / v1

export interface LegacyMessageInput {
  offset: number;
  magic: 0 | 1;
  /** v1 only. */
  timestamp?: number;
  key: Buffer | string | null;
  value: Buffer | string | null;
  /** Attributes byte (codec bits for wrappers, bit 3 for LogAppendTime in v1). */
  attributes?: number;
}

/** One v0/v1 log entry: offset, size, crc, magic, attributes, [timestamp], key, value. */
export function encodeLegacyMessage(m: LegacyMessageInput): Buffer {
  const key = asBuf(m.key);
  const value = asBuf(m.value);
  const headerSize = m.magic === 1 ? 14 : 6;
  const msgSize = headerSize + 4 + (key?.length ?? 0) + 4 + (value?.length ?? 0);
  const buf = Buffer.alloc(LOG_OVERHEAD + msgSize);
  writeInt64(buf, 0, m.offset);
  buf.writeInt32BE(msgSize, SIZE_OFFSET);
  buf[LEGACY_MAGIC_OFFSET] = m.magic;
  buf[LEGACY_MAGIC_OFFSET + 1] = m.attributes ?? 0;
  let pos = LEGACY_MAGIC_OFFSET + 2;
  if (m.magic === 1) {
    writeInt64(buf, pos, m.timestamp ?? -1);
    pos += 8;
  }
  for (const b of [key, value]) {
    if (b === null) {
      buf.writeInt32BE(-1, pos);
      pos += 4;
    } else {
      buf.writeInt32BE(b.length, pos);
      b.copy(buf, pos + 4);
      pos += 4 + b.length;
    }
  }
  buf.writeUInt32BE(crc32(buf, LEGACY_MAGIC_OFFSET, buf.length), LEGACY_CRC_OFFSET);
  return buf;
}

export interface LegacyWrapperInput {
  magic: 0 | 1;
  compression: Exclude<CompressionWriteName, 'none' | 'zstd'>;
  /** Absolute offsets of the inner messages, in order; the wrapper takes the last one. */
  messages: { offset: number; timestamp?: number; key: Buffer | string | null; value: Buffer | string | null }[];
  timestampType?: Exclude<TimestampType, 'NoTimestampType'>;
  /** v1 wrapper timestamp: default max inner timestamp (CreateTime); the append time for LogAppendTime. */
  wrapperTimestamp?: number;
}

/** A compressed v0/v1 wrapper: inner offsets absolute for v0, relative (0..n-1) for v1. */
export async function encodeLegacyWrapper(w: LegacyWrapperInput): Promise<Buffer> {
  if (w.messages.length === 0) throw new Error('a compressed wrapper needs at least one inner message');
  const logAppend = w.timestampType === 'LogAppendTime';
  const tsBit = w.magic === 1 && logAppend ? ATTR_TIMESTAMP_TYPE : 0;
  const first = w.messages[0]!.offset;
  const inner = Buffer.concat(
    w.messages.map((m) =>
      encodeLegacyMessage({ offset: w.magic === 1 ? m.offset - first : m.offset, magic: w.magic, timestamp: m.timestamp, key: m.key, value: m.value, attributes: tsBit }),
    ),
  );
  const payload = await compress(w.compression, inner, w.magic);
  let wrapperTs = w.wrapperTimestamp;
  if (wrapperTs === undefined) wrapperTs = Math.max(...w.messages.map((m) => m.timestamp ?? -1));
  return encodeLegacyMessage({
    offset: w.messages[w.messages.length - 1]!.offset,
    magic: w.magic,
    timestamp: wrapperTs,
    key: null,
    value: payload,
    attributes: compressionId(w.compression) | tsBit,
  });
}

/**
 * What a broker does in place to a v1 entry (an uncompressed message or a compressed wrapper) of a
 * LogAppendTime topic: set attributes bit 3, overwrite the timestamp with the append time and
 * recompute the CRC. Inner messages of a wrapper keep their own attributes and create times.
 */
export function setLegacyLogAppendTime(entry: Buffer, appendTime: number): void {
  if (entry[LEGACY_MAGIC_OFFSET] !== 1) throw new Error('only message format v1 carries a LogAppendTime timestamp');
  entry[LEGACY_MAGIC_OFFSET + 1] = entry[LEGACY_MAGIC_OFFSET + 1]! | ATTR_TIMESTAMP_TYPE;
  writeInt64(entry, LEGACY_MAGIC_OFFSET + 2, appendTime);
  entry.writeUInt32BE(crc32(entry, LEGACY_MAGIC_OFFSET, entry.length), LEGACY_CRC_OFFSET);
}
