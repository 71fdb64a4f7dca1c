import { CorruptDataError } from './errors.js';

/**
 * Zig-zag varints as Kafka (and protobuf) write them: unsigned LEB128, 7 bits per byte, low groups
 * first. A varint is at most 5 bytes, a varlong at most 10. Decoders return the value and leave
 * the new position in `cursor.pos`.
 */
export interface Cursor {
  pos: number;
}

/** varintAt / varlongAt set `out.pos` to one of these when there is no value. */
export const VARINT_PAST_END = -1;
export const VARINT_TOO_LONG = -2;

/**
 * The one zig-zag varint decoder (Kafka's ByteUtils.readVarint): the value at buf[p] and, in
 * `out.pos`, the position after it — or VARINT_PAST_END when it runs to `end`, VARINT_TOO_LONG
 * when it has more than 5 bytes. Never throws, never reads at or past `end`.
 */
export function varintAt(buf: Uint8Array, p: number, end: number, out: Cursor): number {
  let raw = 0;
  for (let i = 0; i < 5; i++) {
    if (p + i >= end) {
      out.pos = VARINT_PAST_END;
      return 0;
    }
    const b = buf[p + i]!;
    raw |= (b & 0x7f) << (7 * i);
    if (b < 0x80) {
      out.pos = p + i + 1;
      return (raw >>> 1) ^ -(raw & 1);
    }
  }
  out.pos = VARINT_TOO_LONG;
  return 0;
}

/**
 * The one zig-zag varlong decoder (ByteUtils.readVarlong), like varintAt (at most 10 bytes).
 * Values whose zig-zag form is beyond 2^53 (garbage, never real deltas) take a BigInt path.
 */
export function varlongAt(buf: Uint8Array, p: number, end: number, out: Cursor): number {
  let raw = 0;
  let mul = 1;
  for (let i = 0; i < 10; i++) {
    if (p + i >= end) {
      out.pos = VARINT_PAST_END;
      return 0;
    }
    const b = buf[p + i]!;
    raw += (b & 0x7f) * mul;
    if (b < 0x80) {
      out.pos = p + i + 1;
      // zig-zag decode on a non-negative double
      if (raw <= Number.MAX_SAFE_INTEGER) return raw % 2 === 0 ? raw / 2 : -(raw + 1) / 2;
      return slowVarlong(buf, p, i + 1);
    }
    mul *= 128;
  }
  out.pos = VARINT_TOO_LONG;
  return 0;
}

const scratch: Cursor = { pos: 0 };

/** varintAt that advances `cursor` and throws CorruptDataError (at the varint's byte) when there is no value. */
export function readVarint(buf: Uint8Array, cursor: Cursor, end: number): number {
  const p = cursor.pos;
  const v = varintAt(buf, p, end, scratch);
  if (scratch.pos < 0) throw noValue(scratch.pos, p, end, 'varint', 5);
  cursor.pos = scratch.pos;
  return v;
}

/** varlongAt that advances `cursor` and throws CorruptDataError when there is no value. */
export function readVarlong(buf: Uint8Array, cursor: Cursor, end: number): number {
  const p = cursor.pos;
  const v = varlongAt(buf, p, end, scratch);
  if (scratch.pos < 0) throw noValue(scratch.pos, p, end, 'varlong', 10);
  cursor.pos = scratch.pos;
  return v;
}

function noValue(why: number, p: number, end: number, what: string, max: number): CorruptDataError {
  if (why === VARINT_PAST_END) return new CorruptDataError('RECORD_DECODE_ERROR', `${what} runs past the end of the data`, { position: Math.max(p, end) });
  return new CorruptDataError('RECORD_DECODE_ERROR', `${what} longer than ${max} bytes`, { position: p });
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
