import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { writeSafeInt, writeUint31, writeUint8Digits } from '../src/format/json-bytes.js';

// format/json-bytes.ts's digit writers, shared by every byte writer (NDJSON, kafka text, export,
// the internal-topic JSON): each against String(v), at the edges where they change method.

/** What `f` writes at byte 3 of a buffer of '?': nothing before it, nothing past the end it returns. */
function text(f: (dst: Uint8Array, d: number) => number): string {
  const dst = new Uint8Array(40).fill(0x3f);
  const end = f(dst, 3);
  expect(dst[2]).toBe(0x3f);
  expect(dst[end]).toBe(0x3f);
  return Buffer.from(dst.subarray(3, end)).toString('latin1');
}

const safeInt = (v: number): string => text((d, p) => writeSafeInt(d, p, v));
const uint31 = (v: number): string => text((d, p) => writeUint31(d, p, v));
const uint8Digits = (v: number): string => text((d, p) => writeUint8Digits(d, p, v));

describe('json-bytes digit writers = String(v)', () => {
  const edges = [0, 1, 9, 10, 99, 100, 1e8 - 1, 1e8, 2 ** 31 - 1, 2 ** 31, 2 ** 32 - 1, 2 ** 32, 1e10, 1e15, Number.MAX_SAFE_INTEGER];

  it('writeSafeInt: edges, their negatives and neighbours, and any safe integer (property)', () => {
    for (const e of edges) for (const v of [e, e - 1, -e, -e + 1]) expect(safeInt(v), String(v)).toBe(String(v));
    fc.assert(
      fc.property(fc.maxSafeInteger(), (v) => {
        expect(safeInt(v)).toBe(String(v));
      }),
    );
    fc.assert(
      fc.property(fc.integer(), (v) => {
        expect(safeInt(v)).toBe(String(v));
      }),
    );
  });

  it('writeUint31 below 2^32, writeUint8Digits exactly 8 digits', () => {
    for (const v of edges.filter((e) => e < 2 ** 32)) expect(uint31(v)).toBe(String(v));
    fc.assert(
      fc.property(fc.nat({ max: 2 ** 32 - 1 }), (v) => {
        expect(uint31(v)).toBe(String(v));
      }),
    );
    fc.assert(
      fc.property(fc.nat({ max: 1e8 - 1 }), (v) => {
        expect(uint8Digits(v)).toBe(String(v).padStart(8, '0'));
      }),
    );
  });
});
