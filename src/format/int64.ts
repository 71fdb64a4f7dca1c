/**
 * int64 fields as JS numbers. Offsets, timestamps and producer ids in real logs stay far below
 * 2^53; values beyond it (garbage, or sentinel values) are read approximately and rendered as
 * strings in JSON (see OUTPUT.md).
 */
const TWO_32 = 4294967296;

export function readInt64(buf: Uint8Array, off: number): number {
  const hi = (buf[off]! << 24) | (buf[off + 1]! << 16) | (buf[off + 2]! << 8) | buf[off + 3]!;
  const lo = ((buf[off + 4]! << 24) | (buf[off + 5]! << 16) | (buf[off + 6]! << 8) | buf[off + 7]!) >>> 0;
  return hi * TWO_32 + lo;
}

/** Big-endian int64; safe integers (every real offset, timestamp and producer id) without BigInt. */
export function writeInt64(buf: Uint8Array, off: number, value: number): void {
  let hi: number;
  let lo: number;
  if (Number.isSafeInteger(value)) {
    hi = Math.floor(value / TWO_32);
    lo = value - hi * TWO_32;
  } else {
    const v = BigInt.asUintN(64, BigInt(Math.trunc(value)));
    hi = Number(v >> 32n);
    lo = Number(v & 0xffffffffn);
  }
  buf[off] = hi >>> 24;
  buf[off + 1] = (hi >>> 16) & 0xff;
  buf[off + 2] = (hi >>> 8) & 0xff;
  buf[off + 3] = hi & 0xff;
  buf[off + 4] = lo >>> 24;
  buf[off + 5] = (lo >>> 16) & 0xff;
  buf[off + 6] = (lo >>> 8) & 0xff;
  buf[off + 7] = lo & 0xff;
}

export function readInt32(buf: Uint8Array, off: number): number {
  return (buf[off]! << 24) | (buf[off + 1]! << 16) | (buf[off + 2]! << 8) | buf[off + 3]!;
}

export function readUInt32(buf: Uint8Array, off: number): number {
  return readInt32(buf, off) >>> 0;
}

export function readInt16(buf: Uint8Array, off: number): number {
  return ((buf[off]! << 24) | (buf[off + 1]! << 16)) >> 16;
}
