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
  type TimestampType,
} from './batch.js';

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
  let attributes = (input.attributes ?? 0) & ~0x7f;
  attributes |= compressionId(input.compression ?? 'none');
  if (input.timestampType === 'LogAppendTime') attributes |= ATTR_TIMESTAMP_TYPE;
  if (input.isTransactional) attributes |= ATTR_TRANSACTIONAL;
  if (input.isControl) attributes |= ATTR_CONTROL;
  if (horizon !== null) attributes |= ATTR_DELETE_HORIZON;
  return { recs, attributes, baseTimestamp, maxTimestamp, lastOffsetDelta };
}

function writeV2Header(buf: Buffer, input: V2BatchInput, l: ReturnType<typeof v2Layout>, count: number): void {
  writeInt64(buf, 0, input.baseOffset);
  buf.writeInt32BE(buf.length - LOG_OVERHEAD, SIZE_OFFSET);
  buf.writeInt32BE(input.partitionLeaderEpoch ?? -1, PARTITION_LEADER_EPOCH_OFFSET);
  buf[MAGIC_OFFSET] = 2;
  buf.writeInt16BE(l.attributes, ATTRIBUTES_OFFSET);
  buf.writeInt32BE(l.lastOffsetDelta, LAST_OFFSET_DELTA_OFFSET);
  writeInt64(buf, BASE_TIMESTAMP_OFFSET, l.baseTimestamp);
  writeInt64(buf, MAX_TIMESTAMP_OFFSET, l.maxTimestamp);
  writeInt64(buf, PRODUCER_ID_OFFSET, input.producerId ?? -1);
  buf.writeInt16BE(input.producerEpoch ?? -1, PRODUCER_EPOCH_OFFSET);
  buf.writeInt32BE(input.baseSequence ?? -1, BASE_SEQUENCE_OFFSET);
  buf.writeInt32BE(count, RECORDS_COUNT_OFFSET);
  buf.writeUInt32BE(crc32c(buf, ATTRIBUTES_OFFSET, buf.length), CRC_OFFSET);
}

/** Encode an uncompressed v2 batch synchronously. */
export function encodeV2BatchSync(input: V2BatchInput): Buffer {
  if ((input.compression ?? 'none') !== 'none') throw new Error('encodeV2BatchSync only writes uncompressed batches; use encodeV2Batch');
  const l = v2Layout(input);
  const buf = Buffer.alloc(RECORDS_OFFSET + recordsSize(l.recs));
  writeRecords(buf, RECORDS_OFFSET, l.recs);
  writeV2Header(buf, input, l, l.recs.length);
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
  writeV2Header(buf, input, l, l.recs.length);
  return buf;
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
