import { readInt16, readInt32, readInt64 } from './int64.js';
import { CorruptDataError } from './errors.js';

// .index entry (8 bytes):      relativeOffset int32 | position int32
// .timeindex entry (12 bytes): timestamp int64 | relativeOffset int32
// .txnindex entry (34 bytes):  version int16 | producerId int64 | firstOffset int64 |
//                              lastOffset int64 | lastStableOffset int64
export const OFFSET_INDEX_ENTRY_SIZE = 8;
export const TIME_INDEX_ENTRY_SIZE = 12;
export const TXN_INDEX_ENTRY_SIZE = 34;

export interface OffsetIndexEntry {
  /** Absolute offset (base offset + relative offset). */
  offset: number;
  relativeOffset: number;
  position: number;
}

export interface TimeIndexEntry {
  timestamp: number;
  offset: number;
  relativeOffset: number;
}

export interface AbortedTxn {
  version: number;
  producerId: number;
  firstOffset: number;
  lastOffset: number;
  lastStableOffset: number;
}

/** Number of slots Kafka sees in an index file (it assumes every slot is valid). */
export function slotCount(fileLength: number, entrySize: number): number {
  return Math.floor(fileLength / entrySize);
}

export function offsetIndexEntry(buf: Uint8Array, slot: number, baseOffset: number): OffsetIndexEntry {
  const p = slot * OFFSET_INDEX_ENTRY_SIZE;
  const relativeOffset = readInt32(buf, p);
  return { offset: baseOffset + relativeOffset, relativeOffset, position: readInt32(buf, p + 4) };
}

export function timeIndexEntry(buf: Uint8Array, slot: number, baseOffset: number): TimeIndexEntry {
  const p = slot * TIME_INDEX_ENTRY_SIZE;
  const relativeOffset = readInt32(buf, p + 8);
  return { timestamp: readInt64(buf, p), offset: baseOffset + relativeOffset, relativeOffset };
}

/**
 * Entries of an index, stopping where DumpLogSegments stops: at the first slot i > 0 whose relative
 * offset is 0 (a preallocated zero tail). `zeroTailEntries` counts the slots not returned.
 */
export function parseOffsetIndex(buf: Uint8Array, baseOffset: number): { entries: OffsetIndexEntry[]; zeroTailEntries: number; trailingBytes: number } {
  const n = slotCount(buf.length, OFFSET_INDEX_ENTRY_SIZE);
  const entries: OffsetIndexEntry[] = [];
  for (let i = 0; i < n; i++) {
    const e = offsetIndexEntry(buf, i, baseOffset);
    if (i > 0 && e.relativeOffset === 0) return { entries, zeroTailEntries: n - i, trailingBytes: buf.length % OFFSET_INDEX_ENTRY_SIZE };
    entries.push(e);
  }
  return { entries, zeroTailEntries: 0, trailingBytes: buf.length % OFFSET_INDEX_ENTRY_SIZE };
}

export function parseTimeIndex(buf: Uint8Array, baseOffset: number): { entries: TimeIndexEntry[]; zeroTailEntries: number; trailingBytes: number } {
  const n = slotCount(buf.length, TIME_INDEX_ENTRY_SIZE);
  const entries: TimeIndexEntry[] = [];
  for (let i = 0; i < n; i++) {
    const e = timeIndexEntry(buf, i, baseOffset);
    if (i > 0 && e.relativeOffset === 0) return { entries, zeroTailEntries: n - i, trailingBytes: buf.length % TIME_INDEX_ENTRY_SIZE };
    entries.push(e);
  }
  return { entries, zeroTailEntries: 0, trailingBytes: buf.length % TIME_INDEX_ENTRY_SIZE };
}

/** Transaction index entries; a trailing partial entry is ignored (as Kafka reads it). */
export function parseTxnIndex(buf: Uint8Array, file?: string): { entries: AbortedTxn[]; trailingBytes: number } {
  const entries: AbortedTxn[] = [];
  const n = Math.floor(buf.length / TXN_INDEX_ENTRY_SIZE);
  for (let i = 0; i < n; i++) {
    const p = i * TXN_INDEX_ENTRY_SIZE;
    // Kafka reads the version as one byte (the high byte of the int16).
    const version = buf[p]!;
    if (version > 0) throw new CorruptDataError('TXNINDEX_BAD_VERSION', `Unexpected aborted transaction version ${readInt16(buf, p)}`, { file, position: p });
    entries.push({
      version: readInt16(buf, p),
      producerId: readInt64(buf, p + 2),
      firstOffset: readInt64(buf, p + 10),
      lastOffset: readInt64(buf, p + 18),
      lastStableOffset: readInt64(buf, p + 26),
    });
  }
  return { entries, trailingBytes: buf.length % TXN_INDEX_ENTRY_SIZE };
}

/** Largest entry with offset <= target (Kafka's OffsetIndex.lookup), over the first `count` slots. */
export function lookupOffsetSlot(buf: Uint8Array, count: number, baseOffset: number, target: number): number {
  const rel = target - baseOffset;
  let lo = 0;
  let hi = count - 1;
  let found = -1;
  while (lo <= hi) {
    const mid = (lo + hi) >>> 1;
    const r = readInt32(buf, mid * OFFSET_INDEX_ENTRY_SIZE);
    if (r <= rel) {
      found = mid;
      lo = mid + 1;
    } else hi = mid - 1;
  }
  return found;
}

/** Largest entry with timestamp <= target (Kafka's TimeIndex.lookup). */
export function lookupTimeSlot(buf: Uint8Array, count: number, target: number): number {
  let lo = 0;
  let hi = count - 1;
  let found = -1;
  while (lo <= hi) {
    const mid = (lo + hi) >>> 1;
    const ts = readInt64(buf, mid * TIME_INDEX_ENTRY_SIZE);
    if (ts <= target) {
      found = mid;
      lo = mid + 1;
    } else hi = mid - 1;
  }
  return found;
}

export function encodeOffsetIndexEntry(buf: Uint8Array, slot: number, relativeOffset: number, position: number): void {
  const dv = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  dv.setInt32(slot * 8, relativeOffset);
  dv.setInt32(slot * 8 + 4, position);
}

export function encodeTimeIndexEntry(buf: Uint8Array, slot: number, timestamp: number, relativeOffset: number): void {
  const dv = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  dv.setBigInt64(slot * 12, BigInt(timestamp));
  dv.setInt32(slot * 12 + 8, relativeOffset);
}

export function encodeAbortedTxn(t: Omit<AbortedTxn, 'version'> & { version?: number }): Buffer {
  const b = Buffer.alloc(TXN_INDEX_ENTRY_SIZE);
  b.writeInt16BE(t.version ?? 0, 0);
  b.writeBigInt64BE(BigInt(t.producerId), 2);
  b.writeBigInt64BE(BigInt(t.firstOffset), 10);
  b.writeBigInt64BE(BigInt(t.lastOffset), 18);
  b.writeBigInt64BE(BigInt(t.lastStableOffset), 26);
  return b;
}
