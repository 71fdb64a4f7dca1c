import { crc32, crc32c } from './crc.js';
import { decompress } from './codecs.js';
import { compressionName, type CompressionName } from './compression.js';
import { CorruptDataError } from './errors.js';
import { readInt16, readInt32, readInt64, readUInt32 } from './int64.js';
import { readVarint, readVarlong, type Cursor } from './varint.js';
import { decodeControlRecord, type ControlInfo } from './control.js';

// ------------------------------------------------------------------ common framing of a .log entry
//   baseOffset int64 | size int32 | (v0/v1 crc | v2 partitionLeaderEpoch) int32 | magic int8 | ...
export const OFFSET_OFFSET = 0;
export const SIZE_OFFSET = OFFSET_OFFSET + 8;
export const LOG_OVERHEAD = SIZE_OFFSET + 4; // 12
export const MAGIC_OFFSET = LOG_OVERHEAD + 4; // 16
export const HEADER_SIZE_UP_TO_MAGIC = MAGIC_OFFSET + 1; // 17
export const RECORD_OVERHEAD_V0 = 14;
export const RECORD_OVERHEAD_V1 = 22;

// ------------------------------------------------------------------ v2 record batch header (61 bytes)
//   baseOffset int64 | batchLength int32 | partitionLeaderEpoch int32 | magic int8 | crc uint32 |
//   attributes int16 | lastOffsetDelta int32 | baseTimestamp int64 | maxTimestamp int64 |
//   producerId int64 | producerEpoch int16 | baseSequence int32 | recordsCount int32 | records
export const PARTITION_LEADER_EPOCH_OFFSET = SIZE_OFFSET + 4; // 12
export const CRC_OFFSET = MAGIC_OFFSET + 1; // 17
export const ATTRIBUTES_OFFSET = CRC_OFFSET + 4; // 21
export const LAST_OFFSET_DELTA_OFFSET = ATTRIBUTES_OFFSET + 2; // 23
export const BASE_TIMESTAMP_OFFSET = LAST_OFFSET_DELTA_OFFSET + 4; // 27
export const MAX_TIMESTAMP_OFFSET = BASE_TIMESTAMP_OFFSET + 8; // 35
export const PRODUCER_ID_OFFSET = MAX_TIMESTAMP_OFFSET + 8; // 43
export const PRODUCER_EPOCH_OFFSET = PRODUCER_ID_OFFSET + 8; // 51
export const BASE_SEQUENCE_OFFSET = PRODUCER_EPOCH_OFFSET + 2; // 53
export const RECORDS_COUNT_OFFSET = BASE_SEQUENCE_OFFSET + 4; // 57
export const RECORDS_OFFSET = RECORDS_COUNT_OFFSET + 4; // 61
export const RECORD_BATCH_OVERHEAD = RECORDS_OFFSET;

// ------------------------------------------------------------------ v0/v1 message (offsets within the entry)
//   offset int64 | size int32 | crc uint32 | magic int8 | attributes int8 | [timestamp int64, v1] |
//   keyLength int32 | key | valueLength int32 | value
export const LEGACY_CRC_OFFSET = LOG_OVERHEAD; // 12
export const LEGACY_MAGIC_OFFSET = LEGACY_CRC_OFFSET + 4; // 16
export const LEGACY_ATTRIBUTES_OFFSET = LEGACY_MAGIC_OFFSET + 1; // 17
export const LEGACY_TIMESTAMP_OFFSET = LEGACY_ATTRIBUTES_OFFSET + 1; // 18
export const LEGACY_KEY_LENGTH_OFFSET_V0 = LEGACY_TIMESTAMP_OFFSET; // 18
export const LEGACY_KEY_LENGTH_OFFSET_V1 = LEGACY_TIMESTAMP_OFFSET + 8; // 26

export const ATTR_COMPRESSION_MASK = 0x07;
export const ATTR_TIMESTAMP_TYPE = 0x08;
export const ATTR_TRANSACTIONAL = 0x10;
export const ATTR_CONTROL = 0x20;
export const ATTR_DELETE_HORIZON = 0x40;

export type TimestampType = 'CreateTime' | 'LogAppendTime' | 'NoTimestampType';

/** How Kafka's file iterator (FileLogInputStream.nextBatch) treats the entry at a position. */
export type Frame =
  | { kind: 'entry'; size: number }
  /** 17 or fewer bytes left: end of data, not an error. */
  | { kind: 'short-tail'; trailing: number }
  /** The entry runs past the end of the file: end of data (a torn append). */
  | { kind: 'partial'; size: number; trailing: number }
  /** size field < 14: Kafka throws CorruptRecordException (a zero-filled tail reads as size 0). */
  | { kind: 'corrupt-size'; sizeField: number };

/**
 * Classify the entry at `position` of a file with `end` bytes, given at least the 12 bytes of its
 * offset and size fields at `hdr[hdrStart..]` (only read when more than 17 bytes remain).
 */
export function frameEntry(hdr: Uint8Array, hdrStart: number, position: number, end: number): Frame {
  if (position >= end - HEADER_SIZE_UP_TO_MAGIC) return { kind: 'short-tail', trailing: Math.max(0, end - position) };
  const sizeField = readInt32(hdr, hdrStart + SIZE_OFFSET);
  if (sizeField < RECORD_OVERHEAD_V0) return { kind: 'corrupt-size', sizeField };
  const size = LOG_OVERHEAD + sizeField;
  if (position > end - size) return { kind: 'partial', size, trailing: end - position };
  return { kind: 'entry', size };
}

/** One entry of a .log file: a v2 record batch or a v0/v1 (possibly compressed wrapper) message. */
export interface Batch {
  /** .log file name within the partition directory, when known. */
  file?: string;
  /** Byte position of the entry in its file. */
  position: number;
  /** Whole entry on disk: 12 + length field. */
  size: number;
  magic: number;
  /** v2: first offset of the batch; v0/v1: first inner offset (decompresses compressed wrappers). */
  baseOffset: number;
  lastOffset: number;
  /** The raw int64 at byte 0 (v2 baseOffset, v0/v1 the message/wrapper offset). */
  entryOffset: number;
  crc: number;
  crcValid: boolean;
  /** Computed CRC, for messages ("expected 0x…, found 0x…"); -1 when decoded without a CRC check (see checkBatchCrc). */
  computedCrc: number;
  attributes: number;
  compressionId: number;
  compression: CompressionName | `unknown(${number})`;
  timestampType: TimestampType;
  isTransactional: boolean;
  isControl: boolean;
  /** v2 delete horizon (baseTimestamp) when attributes bit 6 is set, else null. */
  deleteHorizonMs: number | null;
  partitionLeaderEpoch: number;
  lastOffsetDelta: number;
  baseTimestamp: number;
  /** v2 maxTimestamp; v1 message/wrapper timestamp; -1 for v0. */
  maxTimestamp: number;
  producerId: number;
  producerEpoch: number;
  baseSequence: number;
  /** v2 recordsCount field; v0/v1 number of (inner) messages. */
  recordCount: number;
  /** The bytes of the entry are `bytes[start, start + size)`. Views stay valid (never reused). */
  bytes: Buffer;
  start: number;
}

export interface RecordHeader {
  key: Buffer;
  value: Buffer | null;
}

export interface KafkaRecord {
  offset: number;
  /** What a consumer sees: CreateTime, or the batch/wrapper time for LogAppendTime; -1 for v0. */
  timestamp: number;
  timestampType: TimestampType;
  key: Buffer | null;
  value: Buffer | null;
  headers: RecordHeader[];
  /** v2 record attributes; v0/v1 message attributes. */
  attributes: number;
  /** v2 producer sequence of this record, -1 when none. */
  sequence: number;
  /** v2 offset delta and timestamp delta as stored (for re-encoding); 0 for legacy. */
  offsetDelta: number;
  timestampDelta: number;
  /** Message format of the record itself (inner legacy messages can differ from their wrapper). */
  magic: number;
  /** v0/v1 only: the message's own CRC and whether it is valid. */
  crc?: number;
  crcValid?: boolean;
  /** Control records (v2 control batches) decoded. */
  control?: ControlInfo;
}

function timestampTypeOf(magic: number, attributes: number): TimestampType {
  if (magic === 0) return 'NoTimestampType';
  return (attributes & ATTR_TIMESTAMP_TYPE) !== 0 ? 'LogAppendTime' : 'CreateTime';
}

function corrupt(code: string, message: string, batch: Pick<Batch, 'file' | 'position'>, at?: number): CorruptDataError {
  return new CorruptDataError(code, message, { file: batch.file, position: at ?? batch.position });
}

/**
 * Decode the header of the entry at `bytes[start, start+size)` (framing already checked, so
 * size >= 26). v0/v1 compressed wrappers are decompressed to find their first offset and count.
 * Does not throw for CRC mismatches (crcValid says so); throws CorruptDataError for entries too
 * small for their magic or with undecodable legacy wrappers.
 */
export function decodeBatch(bytes: Buffer, start: number, size: number, position: number, file?: string, checkCrc = true): Batch {
  const magic = (bytes[start + MAGIC_OFFSET]! << 24) >> 24;
  const entryOffset = readInt64(bytes, start);
  if (magic >= 2) return decodeV2Header(bytes, start, size, position, file, magic, entryOffset, checkCrc);
  return decodeLegacyHeader(bytes, start, size, position, file, magic, entryOffset, checkCrc);
}

/** Fill in crcValid/computedCrc for a batch decoded with checkCrc = false. */
export function checkBatchCrc(batch: Batch): Batch {
  if (batch.computedCrc === -1) {
    const { bytes, start, size } = batch;
    batch.computedCrc = batch.magic >= 2 ? crc32c(bytes, start + ATTRIBUTES_OFFSET, start + size) : crc32(bytes, start + LEGACY_MAGIC_OFFSET, start + size);
    batch.crcValid = batch.crc === batch.computedCrc;
  }
  return batch;
}

function decodeV2Header(bytes: Buffer, start: number, size: number, position: number, file: string | undefined, magic: number, baseOffset: number, checkCrc: boolean): Batch {
  if (size < RECORD_BATCH_OVERHEAD) {
    throw new CorruptDataError('SIZE_TOO_SMALL', `Record batch is corrupt (the size ${size} is smaller than the minimum allowed overhead ${RECORD_BATCH_OVERHEAD})`, { file, position });
  }
  const attributes = readInt16(bytes, start + ATTRIBUTES_OFFSET);
  const lastOffsetDelta = readInt32(bytes, start + LAST_OFFSET_DELTA_OFFSET);
  const baseTimestamp = readInt64(bytes, start + BASE_TIMESTAMP_OFFSET);
  const crc = readUInt32(bytes, start + CRC_OFFSET);
  const computedCrc = checkCrc ? crc32c(bytes, start + ATTRIBUTES_OFFSET, start + size) : -1;
  const compressionId = attributes & ATTR_COMPRESSION_MASK;
  return {
    file,
    position,
    size,
    magic,
    baseOffset,
    lastOffset: baseOffset + lastOffsetDelta,
    entryOffset: baseOffset,
    crc,
    crcValid: crc === computedCrc,
    computedCrc,
    attributes,
    compressionId,
    compression: compressionName(compressionId),
    timestampType: timestampTypeOf(magic, attributes),
    isTransactional: (attributes & ATTR_TRANSACTIONAL) !== 0,
    isControl: (attributes & ATTR_CONTROL) !== 0,
    deleteHorizonMs: (attributes & ATTR_DELETE_HORIZON) !== 0 ? baseTimestamp : null,
    partitionLeaderEpoch: readInt32(bytes, start + PARTITION_LEADER_EPOCH_OFFSET),
    lastOffsetDelta,
    baseTimestamp,
    maxTimestamp: readInt64(bytes, start + MAX_TIMESTAMP_OFFSET),
    producerId: readInt64(bytes, start + PRODUCER_ID_OFFSET),
    producerEpoch: readInt16(bytes, start + PRODUCER_EPOCH_OFFSET),
    baseSequence: readInt32(bytes, start + BASE_SEQUENCE_OFFSET),
    recordCount: readInt32(bytes, start + RECORDS_COUNT_OFFSET),
    bytes,
    start,
  };
}

function decodeLegacyHeader(bytes: Buffer, start: number, size: number, position: number, file: string | undefined, magic: number, entryOffset: number, checkCrc: boolean): Batch {
  const attributes = bytes[start + LEGACY_ATTRIBUTES_OFFSET]!;
  const compressionId = attributes & ATTR_COMPRESSION_MASK;
  const crc = readUInt32(bytes, start + LEGACY_CRC_OFFSET);
  const computedCrc = checkCrc ? crc32(bytes, start + LEGACY_MAGIC_OFFSET, start + size) : -1;
  const hasTimestamp = magic === 1;
  if (hasTimestamp && size < LOG_OVERHEAD + RECORD_OVERHEAD_V1) {
    throw new CorruptDataError('SIZE_TOO_SMALL', `v1 message of ${size - LOG_OVERHEAD} bytes is smaller than the minimum ${RECORD_OVERHEAD_V1}`, { file, position });
  }
  const timestamp = hasTimestamp ? readInt64(bytes, start + LEGACY_TIMESTAMP_OFFSET) : -1;
  const batch: Batch = {
    file,
    position,
    size,
    magic,
    baseOffset: entryOffset,
    lastOffset: entryOffset,
    entryOffset,
    crc,
    crcValid: crc === computedCrc,
    computedCrc,
    attributes,
    compressionId,
    compression: compressionName(compressionId),
    timestampType: timestampTypeOf(magic, attributes),
    isTransactional: false,
    isControl: false,
    deleteHorizonMs: null,
    partitionLeaderEpoch: -1,
    lastOffsetDelta: 0,
    baseTimestamp: timestamp,
    maxTimestamp: timestamp,
    producerId: -1,
    producerEpoch: -1,
    baseSequence: -1,
    recordCount: 1,
    bytes,
    start,
  };
  if (compressionId !== 0) {
    const inner = legacyInnerMessages(batch);
    batch.recordCount = inner.length;
    batch.baseOffset = inner[0]!.offset;
    batch.lastOffsetDelta = batch.lastOffset - batch.baseOffset;
  }
  return batch;
}

// ------------------------------------------------------------------ legacy messages

interface LegacyMessage {
  offset: number;
  magic: number;
  attributes: number;
  timestamp: number;
  key: Buffer | null;
  value: Buffer | null;
  crc: number;
  crcValid: boolean;
}

/** Parse a v0/v1 message body at `buf[msgStart, msgEnd)` (msgStart = the CRC field). */
function parseLegacyMessage(buf: Buffer, msgStart: number, msgEnd: number, offset: number, where: Pick<Batch, 'file' | 'position'>): LegacyMessage {
  const len = msgEnd - msgStart;
  if (len < RECORD_OVERHEAD_V0) throw corrupt('RECORD_DECODE_ERROR', `message of ${len} bytes is smaller than the minimum ${RECORD_OVERHEAD_V0}`, where);
  const magic = (buf[msgStart + 4]! << 24) >> 24;
  const attributes = buf[msgStart + 5]!;
  let pos = msgStart + 6;
  let timestamp = -1;
  if (magic === 1) {
    if (len < RECORD_OVERHEAD_V1) throw corrupt('RECORD_DECODE_ERROR', `v1 message of ${len} bytes is smaller than the minimum ${RECORD_OVERHEAD_V1}`, where);
    timestamp = readInt64(buf, pos);
    pos += 8;
  } else if (magic !== 0) {
    throw corrupt('BAD_MAGIC', `Invalid magic ${magic} in legacy message`, where);
  }
  const readBytes = (what: string): Buffer | null => {
    if (pos + 4 > msgEnd) throw corrupt('RECORD_DECODE_ERROR', `message ends before its ${what} length`, where);
    const n = readInt32(buf, pos);
    pos += 4;
    if (n < 0) return null;
    if (n > msgEnd - pos) throw corrupt('RECORD_DECODE_ERROR', `${what} of ${n} bytes runs past the end of its message`, where);
    const b = buf.subarray(pos, pos + n);
    pos += n;
    return b;
  };
  const key = readBytes('key');
  const value = readBytes('value');
  if (pos !== msgEnd) throw corrupt('RECORD_DECODE_ERROR', `message has ${msgEnd - pos} bytes left after its value`, where);
  const crc = readUInt32(buf, msgStart);
  return { offset, magic, attributes, timestamp, key, value, crc, crcValid: crc === crc32(buf, msgStart + 4, msgEnd) };
}

const innerCache = new WeakMap<Batch, LegacyMessage[]>();

/** Inner messages of a compressed v0/v1 wrapper, with absolute offsets (v0 as stored, v1 relative). */
export function legacyInnerMessages(batch: Batch): LegacyMessage[] {
  const cached = innerCache.get(batch);
  if (cached) return cached;
  const { bytes, start, size } = batch;
  const outer = parseLegacyMessage(bytes, start + LEGACY_CRC_OFFSET, start + size, batch.entryOffset, batch);
  if (outer.value === null) throw corrupt('RECORD_DECODE_ERROR', 'compressed wrapper message has a null value', batch);
  if (batch.compressionId === 4) throw corrupt('RECORD_DECODE_ERROR', 'Invalid wrapper compressionType found in legacy deep record iterator: zstd', batch);
  let data: Buffer;
  try {
    data = decompress(batch.compressionId, outer.value, batch.magic);
  } catch (e) {
    if (e instanceof CorruptDataError) throw e.at({ file: batch.file, position: batch.position });
    throw e;
  }
  const inner: LegacyMessage[] = [];
  let pos = 0;
  while (pos < data.length) {
    if (data.length - pos < LOG_OVERHEAD) throw corrupt('RECORD_DECODE_ERROR', `compressed message set ends with ${data.length - pos} stray bytes`, batch);
    const offset = readInt64(data, pos);
    const msgSize = readInt32(data, pos + SIZE_OFFSET);
    if (msgSize < RECORD_OVERHEAD_V0) throw corrupt('RECORD_DECODE_ERROR', `inner message size ${msgSize} is smaller than the minimum ${RECORD_OVERHEAD_V0}`, batch);
    if (msgSize > data.length - pos - LOG_OVERHEAD) throw corrupt('RECORD_DECODE_ERROR', `inner message of ${msgSize} bytes runs past the end of the decompressed set`, batch);
    const m = parseLegacyMessage(data, pos + LOG_OVERHEAD, pos + LOG_OVERHEAD + msgSize, offset, batch);
    if ((m.attributes & ATTR_COMPRESSION_MASK) !== 0) throw corrupt('RECORD_DECODE_ERROR', 'Inner messages must not be compressed', batch);
    inner.push(m);
    pos += LOG_OVERHEAD + msgSize;
  }
  if (inner.length === 0) throw corrupt('RECORD_DECODE_ERROR', 'Found invalid compressed record set with no inner records', batch);
  if (batch.magic >= 1) {
    const wrapperOffset = batch.entryOffset;
    const lastInner = inner[inner.length - 1]!.offset;
    if (wrapperOffset !== 0) {
      if (wrapperOffset < lastInner) throw corrupt('RECORD_DECODE_ERROR', `Found invalid wrapper offset in compressed v1 message set, wrapper offset '${wrapperOffset}' is less than the last inner message offset '${lastInner}'`, batch);
      const base = wrapperOffset - lastInner;
      for (const m of inner) m.offset = base + m.offset;
    }
    const logAppend = (batch.attributes & ATTR_TIMESTAMP_TYPE) !== 0;
    if (logAppend) for (const m of inner) m.timestamp = outer.timestamp;
  }
  innerCache.set(batch, inner);
  return inner;
}

function legacyRecord(m: LegacyMessage, batch: Batch): KafkaRecord {
  return {
    offset: m.offset,
    timestamp: m.magic === 0 ? (batch.magic === 1 && batch.timestampType === 'LogAppendTime' ? m.timestamp : -1) : m.timestamp,
    timestampType: batch.magic === 0 ? 'NoTimestampType' : batch.timestampType,
    key: m.key,
    value: m.value,
    headers: [],
    attributes: m.attributes,
    sequence: -1,
    offsetDelta: 0,
    timestampDelta: 0,
    magic: m.magic,
    crc: m.crc,
    crcValid: m.crcValid,
  };
}

// ------------------------------------------------------------------ v2 records
//   length varint | attributes int8 | timestampDelta varlong | offsetDelta varint |
//   keyLength varint | key | valueLength varint | value | headersCount varint |
//   headers: keyLength varint | key | valueLength varint | value

function v2Payload(batch: Batch): { buf: Buffer; pos: number; end: number } {
  const { bytes, start, size } = batch;
  if (batch.compressionId === 0) return { buf: bytes, pos: start + RECORDS_OFFSET, end: start + size };
  try {
    const data = decompress(batch.compressionId, bytes.subarray(start + RECORDS_OFFSET, start + size), batch.magic);
    return { buf: data, pos: 0, end: data.length };
  } catch (e) {
    if (e instanceof CorruptDataError) throw e.at({ file: batch.file, position: batch.position });
    throw e;
  }
}

function lastSequenceFor(baseSequence: number, delta: number): number {
  if (baseSequence < 0) return -1;
  if (baseSequence > 0x7fffffff - delta) return delta - (0x7fffffff - baseSequence) - 1;
  return baseSequence + delta;
}

export function batchLastSequence(batch: Batch): number {
  return batch.magic >= 2 ? lastSequenceFor(batch.baseSequence, batch.lastOffsetDelta) : -1;
}

/** Decode one v2 record at cursor.pos; advances the cursor. */
function decodeV2Record(buf: Buffer, cur: Cursor, end: number, batch: Batch, logAppend: boolean): KafkaRecord {
  const recStart = cur.pos;
  const length = readVarint(buf, cur, end);
  const bodyStart = cur.pos;
  if (length < 0 || length > end - bodyStart) {
    throw corrupt('RECORD_DECODE_ERROR', `Invalid record size: expected ${length} bytes in record payload, but ${end - bodyStart} remain`, batch);
  }
  const bodyEnd = bodyStart + length;
  if (length < 1) throw corrupt('RECORD_DECODE_ERROR', 'Found invalid record structure (empty record)', batch);
  const attributes = buf[cur.pos++]!;
  const timestampDelta = readVarlong(buf, cur, bodyEnd);
  const offsetDelta = readVarint(buf, cur, bodyEnd);
  const key = readVarBytes(buf, cur, bodyEnd, batch, 'key');
  const value = readVarBytes(buf, cur, bodyEnd, batch, 'value');
  const headerCount = readVarint(buf, cur, bodyEnd);
  if (headerCount < 0) throw corrupt('RECORD_DECODE_ERROR', `Found invalid number of record headers ${headerCount}`, batch);
  if (headerCount > bodyEnd - cur.pos) throw corrupt('RECORD_DECODE_ERROR', `Found invalid number of record headers ${headerCount}`, batch);
  const headers: RecordHeader[] = [];
  for (let i = 0; i < headerCount; i++) {
    const hk = readVarint(buf, cur, bodyEnd);
    if (hk < 0) throw corrupt('RECORD_DECODE_ERROR', `Invalid negative header key size ${hk}`, batch);
    if (hk > bodyEnd - cur.pos) throw corrupt('RECORD_DECODE_ERROR', `Invalid header key size ${hk} is larger than the remaining size of the buffer`, batch);
    const hkey = buf.subarray(cur.pos, cur.pos + hk);
    cur.pos += hk;
    const hvalue = readVarBytes(buf, cur, bodyEnd, batch, 'header value');
    headers.push({ key: hkey, value: hvalue });
  }
  if (cur.pos !== bodyEnd) {
    throw corrupt('RECORD_DECODE_ERROR', `Invalid record size: expected to read ${length} bytes in record payload, but instead read ${cur.pos - bodyStart}`, batch);
  }
  void recStart;
  return {
    offset: batch.baseOffset + offsetDelta,
    timestamp: logAppend ? batch.maxTimestamp : batch.baseTimestamp + timestampDelta,
    timestampType: batch.timestampType,
    key,
    value,
    headers,
    attributes,
    sequence: batch.baseSequence < 0 ? -1 : lastSequenceFor(batch.baseSequence, offsetDelta),
    offsetDelta,
    timestampDelta,
    magic: batch.magic,
  };
}

function readVarBytes(buf: Buffer, cur: Cursor, end: number, batch: Batch, what: string): Buffer | null {
  const n = readVarint(buf, cur, end);
  if (n < 0) return null;
  if (n > end - cur.pos) throw corrupt('RECORD_DECODE_ERROR', `Invalid ${what} size ${n} is larger than the remaining size of the buffer`, batch);
  const b = buf.subarray(cur.pos, cur.pos + n);
  cur.pos += n;
  return b;
}

/**
 * Iterate the records of an entry: v2 records (decompressing), or the single message / the inner
 * messages of a v0/v1 wrapper (deep iteration, absolute offsets). Throws CorruptDataError naming
 * the batch position on malformed records.
 */
export function* batchRecords(batch: Batch): Generator<KafkaRecord> {
  if (batch.magic < 2) {
    if (batch.compressionId === 0) {
      const m = parseLegacyMessage(batch.bytes, batch.start + LEGACY_CRC_OFFSET, batch.start + batch.size, batch.entryOffset, batch);
      yield legacyRecord(m, batch);
    } else {
      for (const m of legacyInnerMessages(batch)) yield legacyRecord(m, batch);
    }
    return;
  }
  const count = batch.recordCount;
  if (count < 0) throw corrupt('RECORD_DECODE_ERROR', `Found invalid record count ${count} in magic v2 batch`, batch);
  if (count === 0) return;
  const { buf, pos, end } = v2Payload(batch);
  const cur: Cursor = { pos };
  const logAppend = batch.timestampType === 'LogAppendTime';
  for (let i = 0; i < count; i++) {
    if (cur.pos >= end) throw corrupt('RECORD_DECODE_ERROR', 'Incorrect declared batch size, premature EOF reached', batch);
    let rec: KafkaRecord;
    try {
      rec = decodeV2Record(buf, cur, end, batch, logAppend);
    } catch (e) {
      if (e instanceof CorruptDataError) throw e.at({ file: batch.file, position: batch.position });
      throw e;
    }
    if (batch.isControl) rec.control = decodeControlRecord(rec.key, rec.value);
    yield rec;
  }
  if (cur.pos !== end) throw corrupt('RECORD_DECODE_ERROR', 'Incorrect declared batch size, records still remaining in file', batch);
}

/** All records of a batch as an array. */
export function batchRecordList(batch: Batch): KafkaRecord[] {
  return [...batchRecords(batch)];
}

/**
 * Walk every record of a v2 batch checking its structure without building record objects
 * (verify's hot path). Returns the number of records and the max record timestamp seen.
 */
export function scanBatchRecords(batch: Batch): { records: number; maxTimestamp: number; firstOffsetDelta: number; lastOffsetDelta: number; offsetsIncreasing: boolean } {
  if (batch.magic < 2) {
    let n = 0;
    let maxTs = -1;
    for (const r of batchRecords(batch)) {
      n++;
      if (r.timestamp > maxTs) maxTs = r.timestamp;
    }
    return { records: n, maxTimestamp: maxTs, firstOffsetDelta: 0, lastOffsetDelta: batch.lastOffset - batch.baseOffset, offsetsIncreasing: true };
  }
  const count = batch.recordCount;
  if (count < 0) throw corrupt('RECORD_DECODE_ERROR', `Found invalid record count ${count} in magic v2 batch`, batch);
  if (count === 0) return { records: 0, maxTimestamp: -1, firstOffsetDelta: -1, lastOffsetDelta: -1, offsetsIncreasing: true };
  const { buf, pos, end } = v2Payload(batch);
  if (walkV2Records(buf, pos, end, count, batch.baseTimestamp) === 0) {
    return { records: count, maxTimestamp: WALK[0]!, firstOffsetDelta: WALK[1]!, lastOffsetDelta: WALK[2]!, offsetsIncreasing: WALK[3] === 1 };
  }
  // The fast walk stopped at something it does not handle: the walk below throws the exact error.
  const cur: Cursor = { pos };
  let maxTs = -Infinity;
  let first = -1;
  let prev = -1;
  let increasing = true;
  try {
    for (let i = 0; i < count; i++) {
      if (cur.pos >= end) throw corrupt('RECORD_DECODE_ERROR', 'Incorrect declared batch size, premature EOF reached', batch);
      const length = readVarint(buf, cur, end);
      const bodyStart = cur.pos;
      if (length < 1 || length > end - bodyStart) throw corrupt('RECORD_DECODE_ERROR', `Invalid record size: expected ${length} bytes in record payload, but ${end - bodyStart} remain`, batch);
      const bodyEnd = bodyStart + length;
      cur.pos++; // attributes
      const tsDelta = readVarlong(buf, cur, bodyEnd);
      const offDelta = readVarint(buf, cur, bodyEnd);
      skipVarBytes(buf, cur, bodyEnd, batch);
      skipVarBytes(buf, cur, bodyEnd, batch);
      const headerCount = readVarint(buf, cur, bodyEnd);
      if (headerCount < 0 || headerCount > bodyEnd - cur.pos) throw corrupt('RECORD_DECODE_ERROR', `Found invalid number of record headers ${headerCount}`, batch);
      for (let h = 0; h < headerCount; h++) {
        const hk = readVarint(buf, cur, bodyEnd);
        if (hk < 0 || hk > bodyEnd - cur.pos) throw corrupt('RECORD_DECODE_ERROR', `Invalid header key size ${hk}`, batch);
        cur.pos += hk;
        skipVarBytes(buf, cur, bodyEnd, batch);
      }
      if (cur.pos !== bodyEnd) throw corrupt('RECORD_DECODE_ERROR', `Invalid record size: expected to read ${length} bytes in record payload, but instead read ${cur.pos - bodyStart}`, batch);
      const ts = batch.baseTimestamp + tsDelta;
      if (ts > maxTs) maxTs = ts;
      if (i === 0) first = offDelta;
      else if (offDelta <= prev) increasing = false;
      prev = offDelta;
    }
  } catch (e) {
    if (e instanceof CorruptDataError) throw e.at({ file: batch.file, position: batch.position });
    throw e;
  }
  if (cur.pos !== end) throw corrupt('RECORD_DECODE_ERROR', 'Incorrect declared batch size, records still remaining in file', batch);
  return { records: count, maxTimestamp: maxTs, firstOffsetDelta: first, lastOffsetDelta: prev, offsetsIncreasing: increasing };
}

function skipVarBytes(buf: Buffer, cur: Cursor, end: number, batch: Batch): void {
  const n = readVarint(buf, cur, end);
  if (n < 0) return;
  if (n > end - cur.pos) throw corrupt('RECORD_DECODE_ERROR', `Invalid field size ${n} is larger than the remaining size of the buffer`, batch);
  cur.pos += n;
}

// ------------------------------------------------------------------ verify's record walk (hot path)

/**
 * Results of the last successful `walkV2Records`: [maxTimestamp, firstOffsetDelta, lastOffsetDelta,
 * offsetsIncreasing (1/0)]. A module-level array so the walk allocates nothing per batch or record.
 */
export const WALK = new Float64Array(4);

/** Position after the last varint read by `varAt` (-1: the varint ran past `end` or over 5 bytes). */
let VP = 0;

/** Zig-zag varint at buf[p] exactly as readVarint decodes it; sets VP (-1 on failure). */
function varAt(buf: Uint8Array, p: number, end: number): number {
  if (p >= end) {
    VP = -1;
    return 0;
  }
  let b = buf[p]!;
  if (b < 0x80) {
    VP = p + 1;
    return (b >>> 1) ^ -(b & 1);
  }
  let raw = b & 0x7f;
  for (let i = 1; i < 5; i++) {
    if (p + i >= end) break;
    b = buf[p + i]!;
    raw |= (b & 0x7f) << (7 * i);
    if (b < 0x80) {
      VP = p + i + 1;
      return (raw >>> 1) ^ -(raw & 1);
    }
  }
  VP = -1;
  return 0;
}

/** Zig-zag varlong at buf[p] exactly as readVarlong decodes values up to 2^53; sets VP (-1: not handled here). */
function varlongAt(buf: Uint8Array, p: number, end: number): number {
  let raw = 0;
  let mul = 1;
  for (let i = 0; i < 10; i++) {
    if (p + i >= end) break;
    const b = buf[p + i]!;
    raw += (b & 0x7f) * mul;
    if (b < 0x80) {
      if (raw > Number.MAX_SAFE_INTEGER) break;
      VP = p + i + 1;
      return raw % 2 === 0 ? raw / 2 : -(raw + 1) / 2;
    }
    mul *= 128;
  }
  VP = -1;
  return 0;
}

/**
 * Walk `count` uncompressed v2 records at buf[pos, end) checking their structure like
 * scanBatchRecords, without objects, cursors or exceptions. Returns 0 and fills WALK when every
 * record is well formed; otherwise 1 (the caller runs scanBatchRecords' walk for the exact error).
 * Only a successful walk is trusted: it accepts nothing that walk would reject. One- and two-byte
 * varints (nearly all of them in real records) are decoded inline.
 */
export function walkV2Records(buf: Uint8Array, pos: number, end: number, count: number, baseTimestamp: number): number {
  let p = pos;
  let maxTs = -Infinity;
  let first = -1;
  let prev = -1;
  let increasing = 1;
  let b = 0;
  let r = 0;
  for (let i = 0; i < count; i++) {
    if (p >= end) return 1;
    // record length (bounded by the payload end)
    let length: number;
    b = buf[p]!;
    if (b < 0x80) {
      length = (b >>> 1) ^ -(b & 1);
      p++;
    } else if (p + 1 < end && buf[p + 1]! < 0x80) {
      r = (b & 0x7f) | (buf[p + 1]! << 7);
      length = (r >>> 1) ^ -(r & 1);
      p += 2;
    } else {
      length = varAt(buf, p, end);
      if (VP < 0) return 1;
      p = VP;
    }
    if (length < 1 || length > end - p) return 1;
    const bodyEnd = p + length;
    p++; // attributes
    // timestamp delta (varlong)
    let tsDelta: number;
    b = p < bodyEnd ? buf[p]! : 0x80;
    if (b < 0x80) {
      tsDelta = (b >>> 1) ^ -(b & 1);
      p++;
    } else if (p + 1 < bodyEnd && buf[p + 1]! < 0x80) {
      r = (b & 0x7f) | (buf[p + 1]! << 7);
      tsDelta = (r >>> 1) ^ -(r & 1);
      p += 2;
    } else {
      tsDelta = varlongAt(buf, p, bodyEnd);
      if (VP < 0) return 1;
      p = VP;
    }
    // offset delta
    let offDelta: number;
    b = p < bodyEnd ? buf[p]! : 0x80;
    if (b < 0x80) {
      offDelta = (b >>> 1) ^ -(b & 1);
      p++;
    } else if (p + 1 < bodyEnd && buf[p + 1]! < 0x80) {
      r = (b & 0x7f) | (buf[p + 1]! << 7);
      offDelta = (r >>> 1) ^ -(r & 1);
      p += 2;
    } else {
      offDelta = varAt(buf, p, bodyEnd);
      if (VP < 0) return 1;
      p = VP;
    }
    // key, then value: length (-1: null) and bytes
    for (let k = 0; k < 2; k++) {
      let n: number;
      b = p < bodyEnd ? buf[p]! : 0x80;
      if (b < 0x80) {
        n = (b >>> 1) ^ -(b & 1);
        p++;
      } else if (p + 1 < bodyEnd && buf[p + 1]! < 0x80) {
        r = (b & 0x7f) | (buf[p + 1]! << 7);
        n = (r >>> 1) ^ -(r & 1);
        p += 2;
      } else {
        n = varAt(buf, p, bodyEnd);
        if (VP < 0) return 1;
        p = VP;
      }
      if (n >= 0) {
        if (n > bodyEnd - p) return 1;
        p += n;
      }
    }
    // headers
    if (p < bodyEnd && buf[p] === 0) {
      p++;
    } else {
      const headerCount = varAt(buf, p, bodyEnd);
      if (VP < 0) return 1;
      p = VP;
      if (headerCount < 0 || headerCount > bodyEnd - p) return 1;
      for (let h = 0; h < headerCount; h++) {
        const hk = varAt(buf, p, bodyEnd);
        if (VP < 0) return 1;
        p = VP;
        if (hk < 0 || hk > bodyEnd - p) return 1;
        p += hk;
        const n = varAt(buf, p, bodyEnd);
        if (VP < 0) return 1;
        p = VP;
        if (n >= 0) {
          if (n > bodyEnd - p) return 1;
          p += n;
        }
      }
    }
    if (p !== bodyEnd) return 1;
    const ts = baseTimestamp + tsDelta;
    if (ts > maxTs) maxTs = ts;
    if (i === 0) first = offDelta;
    else if (offDelta <= prev) increasing = 0;
    prev = offDelta;
  }
  if (p !== end) return 1;
  WALK[0] = maxTs;
  WALK[1] = first;
  WALK[2] = prev;
  WALK[3] = increasing;
  return 0;
}
