import {
  decodeBatch,
  frameEntry,
  type Frame,
  HEADER_SIZE_UP_TO_MAGIC,
  LEGACY_CRC_OFFSET,
  LEGACY_MAGIC_OFFSET,
  LOG_OVERHEAD,
  MAGIC_OFFSET,
  RECORD_BATCH_OVERHEAD,
  RECORD_OVERHEAD_V0,
  RECORD_OVERHEAD_V1,
  SIZE_OFFSET,
  type Batch,
} from '../format/batch.js';
import { CorruptDataError } from '../format/errors.js';
import { readInt32, readInt64, readUInt32 } from '../format/int64.js';
import { crc32 } from '../format/crc.js';
import type { ByteSource } from './source.js';

/** Why iteration of a .log file ended. */
export type StopReason =
  | 'eof' // every byte consumed
  | 'short-tail' // 17 or fewer bytes left (Kafka: end of data)
  | 'partial-batch' // last entry runs past the end (torn append; Kafka: end of data)
  | 'corrupt-size' // size field < 14 (Kafka throws; a zero-filled tail looks like this)
  | 'max-bytes'; // caller's byte limit reached

export interface StopInfo {
  reason: StopReason;
  /** Where valid data ends (the next entry would start here). */
  position: number;
  /** Bytes from `position` to the end of the file. */
  trailingBytes: number;
  /** The size field read at `position` (partial-batch, corrupt-size). */
  sizeField?: number;
  /** True when every byte from `position` to the end is zero (a preallocated tail). */
  zeroTail?: boolean;
}

export type LogItem =
  | { kind: 'batch'; batch: Batch }
  /** A framed entry whose header cannot be decoded (e.g. a v2 batch under 61 bytes). Framing continues past it. */
  | { kind: 'bad-entry'; position: number; size: number; error: CorruptDataError };

export interface LogReadOptions {
  /** Byte position to start at (must be an entry start, e.g. from an index). */
  start?: number;
  /** Only entries that end within the first `maxBytes` bytes of the file (dump --max-bytes). */
  maxBytes?: number;
  file?: string;
  /** Compute batch CRCs (default true). Skipping scans (lookup) turn it off and check the batch they return. */
  checkCrc?: boolean;
}

/**
 * Walk the entries of a .log file with Kafka's FileLogInputStream rules (format doc 1.1). The
 * generator's return value says why it stopped. Reads only the bytes it walks over.
 */
export function* logEntries(src: ByteSource, opts: LogReadOptions = {}): Generator<LogItem, StopInfo> {
  const file = opts.file;
  const end = opts.maxBytes !== undefined ? Math.min(src.size, opts.maxBytes) : src.size;
  let pos = opts.start ?? 0;
  for (;;) {
    if (pos >= src.size) return { reason: 'eof', position: pos, trailingBytes: 0 };
    const hdrLen = Math.min(HEADER_SIZE_UP_TO_MAGIC, src.size - pos);
    const frame = frameEntry(src.read(pos, hdrLen), 0, pos, src.size);
    if (frame.kind !== 'entry') return stopAt(frame, pos, src);
    if (pos + frame.size > end) return { reason: 'max-bytes', position: pos, trailingBytes: src.size - pos };
    const bytes = src.read(pos, frame.size);
    try {
      yield { kind: 'batch', batch: decodeBatch(bytes, 0, frame.size, pos, file, opts.checkCrc ?? true) };
    } catch (e) {
      if (!(e instanceof CorruptDataError)) throw e;
      yield { kind: 'bad-entry', position: pos, size: frame.size, error: e.at({ file, position: pos }) };
    }
    pos += frame.size;
  }
}

/**
 * Why framing ends at `pos` for an entry that does not frame (Kafka's FileLogInputStream.nextBatch:
 * a short tail or a torn entry is the end of data; a size field below 14 is corruption), with
 * whether the rest of the file is zero (a preallocated tail).
 */
export function stopAt(frame: Exclude<Frame, { kind: 'entry' }>, pos: number, src: ZeroProbe): StopInfo {
  if (frame.kind === 'short-tail') return { reason: 'short-tail', position: pos, trailingBytes: frame.trailing, zeroTail: isZero(src, pos, src.size - pos) };
  if (frame.kind === 'corrupt-size')
    return { reason: 'corrupt-size', position: pos, trailingBytes: src.size - pos, sizeField: frame.sizeField, zeroTail: isZero(src, pos, src.size - pos) };
  return { reason: 'partial-batch', position: pos, trailingBytes: frame.trailing, sizeField: frame.size - 12, zeroTail: false };
}

/** What isZero reads through: any reader whose view is used before its next read. */
interface ZeroProbe {
  readonly size: number;
  read(pos: number, len: number): Uint8Array;
}

/** Whether bytes [pos, pos+len) are all zero; reads in chunks, stops at the first non-zero byte. */
export function isZero(src: ZeroProbe, pos: number, len: number): boolean {
  const CH = 1 << 20;
  for (let p = pos; p < pos + len; p += CH) {
    const n = Math.min(CH, pos + len - p);
    const b = src.read(p, n);
    for (let i = 0; i < n; i++) if (b[i] !== 0) return false;
  }
  return true;
}

/** Drain a generator, returning its items and its return value. */
export function collect<T, R>(gen: Generator<T, R>): { items: T[]; result: R } {
  const items: T[] = [];
  for (;;) {
    const n = gen.next();
    if (n.done) return { items, result: n.value };
    items.push(n.value);
  }
}

/** Bounds a salvage scan puts on a candidate entry: its offset field must fall in [minOffset, maxOffset]. */
export interface EntryCheckOptions {
  minOffset: number;
  maxOffset: number;
  file?: string;
}

/** Why the entry at a position is not a valid one (verify's codes where they exist). */
export type EntryCheck = { ok: true; batch: Batch } | { ok: false; code: string; message: string };

const MIN_SIZE_FIELD = [RECORD_OVERHEAD_V0, RECORD_OVERHEAD_V1, RECORD_BATCH_OVERHEAD - LOG_OVERHEAD];

/**
 * Does a valid entry start at `pos`? Framing (size field, entry inside the file), magic 0..2, the
 * offset field inside the caller's bounds, then the CRC (v2: CRC-32C from the attributes to the end;
 * v0/v1: CRC-32 from the magic byte) and a header that decodes. The cheap checks come first, so a
 * resynchronising scan can call it at every byte.
 */
export function checkEntryAt(src: ByteSource, pos: number, opts: EntryCheckOptions): EntryCheck {
  if (pos > src.size - HEADER_SIZE_UP_TO_MAGIC) return { ok: false, code: 'PARTIAL_TAIL', message: `${src.size - pos} stray bytes at the end of the file` };
  const hdr = src.read(pos, HEADER_SIZE_UP_TO_MAGIC);
  return checkEntryHeader(src, hdr, 0, pos, opts);
}

function checkEntryHeader(src: ByteSource, hdr: Uint8Array, at: number, pos: number, opts: EntryCheckOptions): EntryCheck {
  const magic = hdr[at + MAGIC_OFFSET]!;
  const sizeField = readInt32(hdr, at + SIZE_OFFSET);
  if (sizeField < RECORD_OVERHEAD_V0) return { ok: false, code: 'SIZE_TOO_SMALL', message: `length field ${sizeField} is below the minimum 14` };
  if (pos + LOG_OVERHEAD + sizeField > src.size)
    return { ok: false, code: 'PARTIAL_TAIL', message: `entry of ${LOG_OVERHEAD + sizeField} bytes runs past the end of the file (${src.size - pos} bytes left)` };
  if (magic > 2) return { ok: false, code: 'BAD_MAGIC', message: `magic byte ${magic} is not 0, 1 or 2` };
  if (sizeField < MIN_SIZE_FIELD[magic]!) return { ok: false, code: 'SIZE_TOO_SMALL', message: `length field ${sizeField} is below the minimum for magic ${magic}` };
  const offset = readInt64(hdr, at);
  if (offset < opts.minOffset || offset > opts.maxOffset)
    return { ok: false, code: 'OFFSET_OUT_OF_RANGE', message: `offset field ${offset} is outside [${opts.minOffset}, ${opts.maxOffset}]` };
  const size = LOG_OVERHEAD + sizeField;
  const bytes = src.read(pos, size);
  if (magic < 2) {
    // v0/v1: check the message CRC before decompressing a wrapper (garbage would only fail later, slower).
    const stored = readUInt32(bytes, LEGACY_CRC_OFFSET);
    const computed = crc32(bytes, LEGACY_MAGIC_OFFSET, size);
    if (stored !== computed)
      return { ok: false, code: 'CRC_MISMATCH', message: `stored CRC 0x${stored.toString(16).padStart(8, '0')}, computed 0x${computed.toString(16).padStart(8, '0')}` };
  }
  let batch: Batch;
  try {
    batch = decodeBatch(bytes, 0, size, pos, opts.file, true);
  } catch (e) {
    if (!(e instanceof CorruptDataError)) throw e;
    return { ok: false, code: e.code, message: e.message };
  }
  if (!batch.crcValid)
    return { ok: false, code: 'CRC_MISMATCH', message: `stored CRC 0x${batch.crc.toString(16).padStart(8, '0')}, computed 0x${batch.computedCrc.toString(16).padStart(8, '0')}` };
  if (batch.magic >= 2 && batch.lastOffset < batch.baseOffset)
    return { ok: false, code: 'LAST_OFFSET_DELTA_MISMATCH', message: `negative lastOffsetDelta ${batch.lastOffsetDelta}` };
  return { ok: true, batch };
}

const RESYNC_WINDOW = 1 << 20;

/**
 * Scan forward from `from` for the first position where `checkEntryAt` accepts an entry, reading
 * the file in windows of 1 MiB (memory stays bounded whatever the file size). Returns the batch
 * found there, or null when none starts before the end of the file.
 */
export function resyncFrom(src: ByteSource, from: number, opts: EntryCheckOptions): Batch | null {
  return resyncWithin(src, from, src.size, opts);
}

/**
 * resyncFrom for entries that start before `to`: the first position in [from, to) where
 * `checkEntryAt` accepts an entry (which may run past `to`), or null.
 */
export function resyncWithin(src: ByteSource, from: number, to: number, opts: EntryCheckOptions): Batch | null {
  const last = Math.min(src.size - HEADER_SIZE_UP_TO_MAGIC, to - 1); // last position to try
  for (let winStart = from; winStart <= last; winStart += RESYNC_WINDOW) {
    const winEnd = Math.min(last, winStart + RESYNC_WINDOW - 1);
    const buf = src.read(winStart, winEnd - winStart + HEADER_SIZE_UP_TO_MAGIC);
    for (let p = winStart; p <= winEnd; p++) {
      const i = p - winStart;
      // Cheap rejections first (no allocation): magic, length, entry inside the file, offset range.
      if (buf[i + MAGIC_OFFSET]! > 2) continue;
      const sizeField = readInt32(buf, i + SIZE_OFFSET);
      if (sizeField < RECORD_OVERHEAD_V0 || p + LOG_OVERHEAD + sizeField > src.size) continue;
      const offset = readInt64(buf, i);
      if (offset < opts.minOffset || offset > opts.maxOffset) continue;
      const r = checkEntryHeader(src, buf, i, p, opts);
      if (r.ok) return r.batch;
    }
  }
  return null;
}
