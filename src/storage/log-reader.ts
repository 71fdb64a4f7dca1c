import { decodeBatch, frameEntry, HEADER_SIZE_UP_TO_MAGIC, type Batch } from '../format/batch.js';
import { CorruptDataError } from '../format/errors.js';
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
    if (frame.kind === 'short-tail') return { reason: 'short-tail', position: pos, trailingBytes: frame.trailing, zeroTail: isZero(src, pos, src.size - pos) };
    if (frame.kind === 'corrupt-size') {
      return { reason: 'corrupt-size', position: pos, trailingBytes: src.size - pos, sizeField: frame.sizeField, zeroTail: isZero(src, pos, src.size - pos) };
    }
    if (frame.kind === 'partial') return { reason: 'partial-batch', position: pos, trailingBytes: frame.trailing, sizeField: frame.size - 12, zeroTail: false };
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

/** Whether bytes [pos, pos+len) are all zero; reads in chunks, stops at the first non-zero byte. */
export function isZero(src: ByteSource, pos: number, len: number): boolean {
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
