import { crc32, crc32c } from './crc.js';
import { decompress, decompressInto } from './codecs.js';
import { compressionName, type CompressionName } from './compression.js';
import { CorruptDataError } from './errors.js';
import { readInt16, readInt32, readInt64, readUInt32, writeInt64 } from './int64.js';
import { RecordWalker, WALK_CHECK, WALK_OK } from './record-walk.js';
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
    throw new CorruptDataError('SIZE_TOO_SMALL', `Record batch is corrupt (the size ${size} is smaller than the minimum allowed overhead ${RECORD_BATCH_OVERHEAD})`, {
      file,
      position,
    });
  }
  return decodeV2HeaderInto(bytes, start, size, position, file, checkCrc, newBatch(bytes, magic, baseOffset));
}

/** A Batch to decode into (`decodeV2HeaderInto` fills every field). */
export function newBatch(bytes: Buffer = Buffer.alloc(0), magic = 2, baseOffset = 0): Batch {
  return {
    file: undefined,
    position: 0,
    size: 0,
    magic,
    baseOffset,
    lastOffset: 0,
    entryOffset: baseOffset,
    crc: 0,
    crcValid: false,
    computedCrc: -1,
    attributes: 0,
    compressionId: 0,
    compression: 'none',
    timestampType: 'CreateTime',
    isTransactional: false,
    isControl: false,
    deleteHorizonMs: null,
    partitionLeaderEpoch: 0,
    lastOffsetDelta: 0,
    baseTimestamp: 0,
    maxTimestamp: 0,
    producerId: 0,
    producerEpoch: 0,
    baseSequence: 0,
    recordCount: 0,
    bytes,
    start: 0,
  };
}

/**
 * The one v2 header decoder (Kafka's DefaultRecordBatch accessors): the header of the batch at
 * `bytes[start, start+size)` (size >= 61, magic >= 2) into `out`, which a reader may reuse for
 * every batch (then the batch it returns is valid until its next decode). `checkCrc` false leaves
 * computedCrc -1 (see checkBatchCrc).
 */
export function decodeV2HeaderInto(bytes: Buffer, start: number, size: number, position: number, file: string | undefined, checkCrc: boolean, out: Batch): Batch {
  const attributes = readInt16(bytes, start + ATTRIBUTES_OFFSET);
  const lastOffsetDelta = readInt32(bytes, start + LAST_OFFSET_DELTA_OFFSET);
  const baseOffset = readInt64(bytes, start);
  const baseTimestamp = readInt64(bytes, start + BASE_TIMESTAMP_OFFSET);
  const crc = readUInt32(bytes, start + CRC_OFFSET);
  const computedCrc = checkCrc ? crc32c(bytes, start + ATTRIBUTES_OFFSET, start + size) : -1;
  const compressionId = attributes & ATTR_COMPRESSION_MASK;
  const magic = (bytes[start + MAGIC_OFFSET]! << 24) >> 24;
  out.file = file;
  out.position = position;
  out.size = size;
  out.magic = magic;
  out.baseOffset = baseOffset;
  out.lastOffset = baseOffset + lastOffsetDelta;
  out.entryOffset = baseOffset;
  out.crc = crc;
  out.crcValid = crc === computedCrc;
  out.computedCrc = computedCrc;
  out.attributes = attributes;
  out.compressionId = compressionId;
  out.compression = compressionName(compressionId);
  out.timestampType = timestampTypeOf(magic, attributes);
  out.isTransactional = (attributes & ATTR_TRANSACTIONAL) !== 0;
  out.isControl = (attributes & ATTR_CONTROL) !== 0;
  out.deleteHorizonMs = (attributes & ATTR_DELETE_HORIZON) !== 0 ? baseTimestamp : null;
  out.partitionLeaderEpoch = readInt32(bytes, start + PARTITION_LEADER_EPOCH_OFFSET);
  out.lastOffsetDelta = lastOffsetDelta;
  out.baseTimestamp = baseTimestamp;
  out.maxTimestamp = readInt64(bytes, start + MAX_TIMESTAMP_OFFSET);
  out.producerId = readInt64(bytes, start + PRODUCER_ID_OFFSET);
  out.producerEpoch = readInt16(bytes, start + PRODUCER_EPOCH_OFFSET);
  out.baseSequence = readInt32(bytes, start + BASE_SEQUENCE_OFFSET);
  out.recordCount = readInt32(bytes, start + RECORDS_COUNT_OFFSET);
  out.bytes = bytes;
  out.start = start;
  return out;
}

/** The fields of a v2 batch header a writer chooses (batchLength, magic and CRC follow from the bytes). */
export interface V2HeaderFields {
  baseOffset: number;
  partitionLeaderEpoch: number;
  /** Codec, timestamp type, transactional, control and delete-horizon bits. */
  attributes: number;
  lastOffsetDelta: number;
  baseTimestamp: number;
  maxTimestamp: number;
  producerId: number;
  producerEpoch: number;
  baseSequence: number;
  recordCount: number;
}

/**
 * The one v2 header writer (DefaultRecordBatch.writeHeader): the 61-byte header of the batch at
 * buf[start, end) whose records are already in place, the CRC last — or 0 with `deferCrc`, for
 * the caller's `setV2Crc` (on another thread, say).
 */
export function writeV2Header(buf: Uint8Array, start: number, end: number, h: V2HeaderFields, deferCrc = false): void {
  writeInt64(buf, start, h.baseOffset);
  int32At(buf, start + SIZE_OFFSET, end - start - LOG_OVERHEAD);
  int32At(buf, start + PARTITION_LEADER_EPOCH_OFFSET, h.partitionLeaderEpoch);
  buf[start + MAGIC_OFFSET] = 2;
  buf[start + ATTRIBUTES_OFFSET] = h.attributes >>> 8;
  buf[start + ATTRIBUTES_OFFSET + 1] = h.attributes;
  int32At(buf, start + LAST_OFFSET_DELTA_OFFSET, h.lastOffsetDelta);
  writeInt64(buf, start + BASE_TIMESTAMP_OFFSET, h.baseTimestamp);
  writeInt64(buf, start + MAX_TIMESTAMP_OFFSET, h.maxTimestamp);
  writeInt64(buf, start + PRODUCER_ID_OFFSET, h.producerId);
  buf[start + PRODUCER_EPOCH_OFFSET] = h.producerEpoch >>> 8;
  buf[start + PRODUCER_EPOCH_OFFSET + 1] = h.producerEpoch;
  int32At(buf, start + BASE_SEQUENCE_OFFSET, h.baseSequence);
  int32At(buf, start + RECORDS_COUNT_OFFSET, h.recordCount);
  if (deferCrc) int32At(buf, start + CRC_OFFSET, 0);
  else setV2Crc(buf, start, end);
}

/** Compute and store the CRC-32C of the v2 batch at buf[start, end) (bytes 21.. of the batch). */
export function setV2Crc(buf: Uint8Array, start: number, end: number): void {
  // A plain Uint8Array view: cheaper to make than a Buffer slice on the hot path.
  const covered = new Uint8Array(buf.buffer, buf.byteOffset + start + ATTRIBUTES_OFFSET, end - start - ATTRIBUTES_OFFSET);
  int32At(buf, start + CRC_OFFSET, crc32c(covered));
}

/** Big-endian int32 (or uint32) without Buffer's argument checks. */
function int32At(buf: Uint8Array, off: number, v: number): void {
  buf[off] = v >>> 24;
  buf[off + 1] = v >>> 16;
  buf[off + 2] = v >>> 8;
  buf[off + 3] = v;
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
      if (wrapperOffset < lastInner)
        throw corrupt(
          'RECORD_DECODE_ERROR',
          `Found invalid wrapper offset in compressed v1 message set, wrapper offset '${wrapperOffset}' is less than the last inner message offset '${lastInner}'`,
          batch,
        );
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

// ------------------------------------------------------------------ v2 records (walked in record-walk.ts)

/**
 * The records of a v2 batch: [pos, end) of `buf`, the batch's own bytes or its decompressed
 * payload. A payload that does not decompress throws, a CorruptDataError located at the batch.
 */
export function v2Payload(batch: Batch): { buf: Buffer; pos: number; end: number } {
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

/**
 * v2Payload for a caller that is done with the records before its next call: a compressed payload
 * is decompressed into `scratch` when it fits there (codecs.ts decompressInto), with no buffer of
 * its own. `inScratch` says so; the records are then scratch[0, end).
 *
 * LIFETIME: when `inScratch`, `buf` is `scratch` itself — its bytes, and every key, value or
 * header view taken from them, are valid only until scratch is written again (the next call with
 * it). Anything that hands records out beyond that (`batchRecords`, the library API) uses
 * v2Payload, whose buffers are the records' own. Otherwise the result is v2Payload's.
 */
export function v2PayloadInto(batch: Batch, scratch: Buffer): { buf: Buffer; pos: number; end: number; inScratch: boolean } {
  const { bytes, start, size } = batch;
  if (batch.compressionId === 0) return { buf: bytes, pos: start + RECORDS_OFFSET, end: start + size, inScratch: false };
  try {
    const out = decompressInto(batch.compressionId, bytes.subarray(start + RECORDS_OFFSET, start + size), batch.magic, scratch);
    if (typeof out === 'number') return { buf: scratch, pos: 0, end: out, inScratch: true };
    return { buf: out, pos: 0, end: out.length, inScratch: false };
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

/** A record object from slot 0 of a walker that just decoded it (`RecordWalker.one`). */
function v2Record(buf: Buffer, w: RecordWalker, batch: Batch, logAppend: boolean): KafkaRecord {
  const offsetDelta = w.offsetDelta[0]!;
  const timestampDelta = w.timestampDelta[0]!;
  const kl = w.keyLen[0]!;
  const vl = w.valueLen[0]!;
  const headers: RecordHeader[] = [];
  const hdr = w.headers;
  for (let h = 0, n = w.headerCount[0]!, at = 4 * w.headerIndex[0]!; h < n; h++, at += 4) {
    headers.push({ key: buf.subarray(hdr[at]!, hdr[at + 1]!), value: hdr[at + 2]! < 0 ? null : buf.subarray(hdr[at + 2]!, hdr[at + 3]!) });
  }
  return {
    offset: batch.baseOffset + offsetDelta,
    timestamp: logAppend ? batch.maxTimestamp : batch.baseTimestamp + timestampDelta,
    timestampType: batch.timestampType,
    key: kl < 0 ? null : buf.subarray(w.keyStart[0]!, w.keyStart[0]! + kl),
    value: vl < 0 ? null : buf.subarray(w.valueStart[0]!, w.valueStart[0]! + vl),
    headers,
    attributes: w.attributes[0]!,
    sequence: batch.baseSequence < 0 ? -1 : lastSequenceFor(batch.baseSequence, offsetDelta),
    offsetDelta,
    timestampDelta,
    magic: batch.magic,
  };
}

/** Walkers of running batchRecords generators (each holds one until it finishes). */
const walkers: RecordWalker[] = [];

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
  const logAppend = batch.timestampType === 'LogAppendTime';
  const w = walkers.pop() ?? new RecordWalker(1);
  try {
    let p = pos;
    for (let i = 0; i < count; i++) {
      if (p >= end) throw corrupt('RECORD_DECODE_ERROR', 'Incorrect declared batch size, premature EOF reached', batch);
      try {
        p = w.one(buf, p, end, batch);
      } catch (e) {
        if (e instanceof CorruptDataError) throw e.at({ file: batch.file, position: batch.position });
        throw e;
      }
      const rec = v2Record(buf, w, batch, logAppend);
      if (batch.isControl) rec.control = decodeControlRecord(rec.key, rec.value);
      yield rec;
    }
    if (p !== end) throw corrupt('RECORD_DECODE_ERROR', 'Incorrect declared batch size, records still remaining in file', batch);
  } finally {
    walkers.push(w);
  }
}

/** All records of a batch as an array. */
export function batchRecordList(batch: Batch): KafkaRecord[] {
  return [...batchRecords(batch)];
}

/** scanBatchRecords' walker (its results are copied out before it returns). */
const scanWalker = new RecordWalker();
/**
 * Where scanBatchRecords decompresses a payload (v2PayloadInto): nothing of it outlives the call.
 * Allocated on first use; pages beyond the largest payload seen are never touched.
 */
let scanScratch: Buffer | null = null;
const SCAN_SCRATCH = 4 << 20;

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
  const { buf, pos, end } = batch.compressionId === 0 ? v2Payload(batch) : v2PayloadInto(batch, (scanScratch ??= Buffer.allocUnsafeSlow(SCAN_SCRATCH)));
  const w = scanWalker;
  if (w.walkFast(buf, pos, end, count, batch.baseTimestamp, WALK_CHECK) !== WALK_OK) {
    // The fast walk stopped at something it does not handle: the careful walk throws the exact error.
    try {
      w.walkExact(buf, pos, end, count, batch.baseTimestamp, batch);
    } catch (e) {
      if (e instanceof CorruptDataError) throw e.at({ file: batch.file, position: batch.position });
      throw e;
    }
  }
  return { records: count, maxTimestamp: w.maxTimestamp, firstOffsetDelta: w.firstOffsetDelta, lastOffsetDelta: w.lastOffsetDelta, offsetsIncreasing: w.offsetsIncreasing };
}
