import { CorruptDataError } from './errors.js';

/**
 * Zig-zag varints as Kafka (and protobuf) write them: unsigned LEB128, 7 bits per byte, low groups
 * first. A varint is at most 5 bytes, a varlong at most 10. Decoders return the value and leave
 * the new position in `cursor.pos`.
 */
export interface Cursor {
  pos: number;
}

export function readVarint(buf: Uint8Array, cursor: Cursor, end: number): number {
  let pos = cursor.pos;
  let raw = 0;
  let shift = 0;
  for (let i = 0; i < 5; i++) {
    if (pos >= end) throw new CorruptDataError('RECORD_DECODE_ERROR', 'varint runs past the end of the data', { position: pos });
    const b = buf[pos++]!;
    raw |= (b & 0x7f) << shift;
    if ((b & 0x80) === 0) {
      cursor.pos = pos;
      return (raw >>> 1) ^ -(raw & 1);
    }
    shift += 7;
  }
  throw new CorruptDataError('RECORD_DECODE_ERROR', 'varint longer than 5 bytes', { position: cursor.pos });
}

export function readVarlong(buf: Uint8Array, cursor: Cursor, end: number): number {
  let pos = cursor.pos;
  // Fast path: values that fit in 28 bits of zig-zag (the usual timestamp deltas).
  let raw = 0;
  let mul = 1;
  for (let i = 0; i < 10; i++) {
    if (pos >= end) throw new CorruptDataError('RECORD_DECODE_ERROR', 'varlong runs past the end of the data', { position: pos });
    const b = buf[pos++]!;
    raw += (b & 0x7f) * mul;
    if ((b & 0x80) === 0) {
      cursor.pos = pos;
      if (raw <= Number.MAX_SAFE_INTEGER) {
        // zig-zag decode on a non-negative double
        return raw % 2 === 0 ? raw / 2 : -(raw + 1) / 2;
      }
      return slowVarlong(buf, cursor.pos - (i + 1), i + 1);
    }
    mul *= 128;
  }
  throw new CorruptDataError('RECORD_DECODE_ERROR', 'varlong longer than 10 bytes', { position: cursor.pos });
}

function slowVarlong(buf: Uint8Array, start: number, len: number): number {
  let raw = 0n;
  for (let i = 0; i < len; i++) raw |= BigInt(buf[start + i]! & 0x7f) << BigInt(7 * i);
  raw = BigInt.asUintN(64, raw);
  const v = (raw >> 1n) ^ -(raw & 1n);
  return Number(BigInt.asIntN(64, v));
}

export function sizeOfVarint(value: number): number {
  let v = ((value << 1) ^ (value >> 31)) >>> 0;
  let n = 1;
  while (v >= 0x80) {
    v >>>= 7;
    n++;
  }
  return n;
}

export function sizeOfVarlong(value: number): number {
  let v = zigzag64(value);
  let n = 1;
  while (v >= 128) {
    v = Math.floor(v / 128);
    n++;
  }
  return n;
}

function zigzag64(value: number): number {
  return value >= 0 ? value * 2 : -value * 2 - 1;
}

/** Write a zig-zag varint at `pos`; returns the new position. */
export function writeVarint(buf: Uint8Array, pos: number, value: number): number {
  let v = ((value << 1) ^ (value >> 31)) >>> 0;
  while (v >= 0x80) {
    buf[pos++] = (v & 0x7f) | 0x80;
    v >>>= 7;
  }
  buf[pos++] = v;
  return pos;
}

/** Write a zig-zag varlong at `pos`; returns the new position. */
export function writeVarlong(buf: Uint8Array, pos: number, value: number): number {
  let v = zigzag64(value);
  if (!Number.isSafeInteger(v)) {
    let b = BigInt.asUintN(64, (BigInt(value) << 1n) ^ (BigInt(value) >> 63n));
    while (b >= 0x80n) {
      buf[pos++] = Number(b & 0x7fn) | 0x80;
      b >>= 7n;
    }
    buf[pos++] = Number(b);
    return pos;
  }
  while (v >= 128) {
    buf[pos++] = (v % 128) | 0x80;
    v = Math.floor(v / 128);
  }
  buf[pos++] = v;
  return pos;
}
