import { isUtf8 } from 'node:buffer';

/**
 * JSON text written as bytes: the tables and the two loops the NDJSON record writer
 * (cli/ndjson-writer.ts, the JavaScript path beside its WebAssembly escaper) and the compiled
 * internal-topic writers (format/kafka-messages/json-writer.ts) share. The text is exactly what
 * JSON.stringify gives for the same string and number.
 */

/** 0: copied as is; 1: escaped; 2: not ASCII (copied when the whole string is valid UTF-8). */
export const JSON_CLASS = new Uint8Array(256);
for (let c = 0; c < 256; c++) JSON_CLASS[c] = c < 0x20 || c === 0x22 || c === 0x5c ? 1 : c >= 0x80 ? 2 : 0;
const SHORT_ESCAPE = new Uint8Array(32);
SHORT_ESCAPE[8] = 0x62; // \b
SHORT_ESCAPE[9] = 0x74; // \t
SHORT_ESCAPE[10] = 0x6e; // \n
SHORT_ESCAPE[12] = 0x66; // \f
SHORT_ESCAPE[13] = 0x72; // \r
export const HEX_DIGITS = Buffer.from('0123456789abcdef', 'latin1');
/** "00" "01" … "99": two digits per 100 at once. */
export const DIGIT_PAIRS = new Uint8Array(200);
for (let i = 0; i < 100; i++) {
  DIGIT_PAIRS[2 * i] = 0x30 + ((i / 10) | 0);
  DIGIT_PAIRS[2 * i + 1] = 0x30 + (i % 10);
}

/**
 * JSON string body (no quotes) of the UTF-8 bytes src[s, e) at dst[d]: the new end, or -1 when the
 * bytes are not valid UTF-8 (the caller decides what to print then). At most 6 bytes per input byte.
 */
export function escapeJsonBody(src: Uint8Array, s: number, e: number, dst: Uint8Array, d: number): number {
  // a long run of plain ASCII is found first and copied natively
  let i = s;
  while (i < e && JSON_CLASS[src[i]!] === 0) i++;
  if (i - s >= 64) {
    dst.set(src.subarray(s, i), d);
    d += i - s;
  } else i = s;
  let checked = false;
  for (; i < e; i++) {
    const c = src[i]!;
    const k = JSON_CLASS[c]!;
    if (k === 0) {
      dst[d++] = c;
    } else if (k === 2) {
      if (!checked) {
        if (!isUtf8(src.subarray(s, e))) return -1;
        checked = true;
      }
      dst[d++] = c;
    } else {
      dst[d++] = 0x5c;
      if (c >= 0x20) dst[d++] = c;
      else if (SHORT_ESCAPE[c] !== 0) dst[d++] = SHORT_ESCAPE[c]!;
      else {
        dst[d++] = 0x75;
        dst[d++] = 0x30;
        dst[d++] = 0x30;
        dst[d++] = HEX_DIGITS[c >> 4]!;
        dst[d++] = HEX_DIGITS[c & 15]!;
      }
    }
  }
  return d;
}

/** Exactly 8 digits (zero-padded) of 0 <= v < 1e8 at dst[d]; returns the new end. */
export function writeUint8Digits(dst: Uint8Array, d: number, v: number): number {
  for (let p = d + 8; p > d;) {
    const q = (v / 100) | 0;
    const r = (v - q * 100) << 1;
    dst[--p] = DIGIT_PAIRS[r + 1]!;
    dst[--p] = DIGIT_PAIRS[r]!;
    v = q;
  }
  return d + 8;
}

/**
 * Digits of a safe integer (|v| <= 2^53 - 1) as String(v) writes them, at dst[d]; returns the new
 * end. Above 2^32: the digits above 1e8 (at most 8), then exactly 8.
 */
export function writeSafeInt(dst: Uint8Array, d: number, v: number): number {
  if (v < 0) {
    dst[d++] = 0x2d;
    v = -v;
  }
  if (v <= 0xffffffff) return writeUint31(dst, d, v);
  const hi = Math.floor(v / 1e8);
  return writeUint8Digits(dst, writeUint31(dst, d, hi), v - hi * 1e8);
}

/** Digits of a non-negative integer below 2^32 (10 digits at most) at dst[d]; returns the new end. */
export function writeUint31(dst: Uint8Array, d: number, v: number): number {
  let n = v < 10 ? 1 : v < 100 ? 2 : v < 1000 ? 3 : v < 10000 ? 4 : v < 100000 ? 5 : v < 1000000 ? 6 : v < 10000000 ? 7 : v < 100000000 ? 8 : v < 1000000000 ? 9 : 10;
  const end = d + n;
  let p = end;
  while (n >= 2) {
    const q = (v / 100) | 0;
    const r = (v - q * 100) << 1;
    dst[--p] = DIGIT_PAIRS[r + 1]!;
    dst[--p] = DIGIT_PAIRS[r]!;
    v = q;
    n -= 2;
  }
  if (n === 1) dst[--p] = 0x30 + v;
  return end;
}
