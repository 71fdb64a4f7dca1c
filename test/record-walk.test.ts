import fs from 'node:fs';
import path from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { batchRecords, decodeBatch, RECORDS_OFFSET } from '../src/format/batch.js';
import { decompress } from '../src/format/codecs.js';
import { encodeV2BatchSync, type RecordInput } from '../src/format/encode.js';
import { KsegError } from '../src/format/errors.js';
import { RecordWalker, WALK_CHECK, WALK_HEADERS, WALK_KEYS, WALK_OK, WALK_RECORDS, WALK_STOPPED, WALK_TRAILING, type WalkMode } from '../src/format/record-walk.js';
import { readVarint, readVarlong, varintAt, varlongAt, VARINT_PAST_END, VARINT_TOO_LONG } from '../src/format/varint.js';
import { FIXTURES, fixtureCases } from './helpers.js';

// format/record-walk.ts: the one walk over v2 records. Byte vectors written by hand from Kafka's
// DefaultRecord layout; fast walk against careful walk against the record decoder on fixtures
// (written by a real Kafka producer and broker, fixtures/README.md), generated and mutated batches;
// every truncation never throws anything but a KsegError and never reads past `end`.

const hex = (s: string): Buffer => Buffer.from(s.replace(/\s+/g, ''), 'hex');

/**
 * Two records by hand (DefaultRecord.writeTo):
 *   #0 length 12: attributes 0, timestampDelta 0, offsetDelta 0, key "k", value "v1",
 *      1 header: key "h", value null
 *   #1 length 7: attributes 0, timestampDelta 300 (zig-zag 600: d8 04), offsetDelta 1, key null,
 *      value "" (length 0), no headers
 */
const TWO = hex('18 00 00 00 02 6b 04 76 31 02 02 68 01' + ' 0e 00 d8 04 02 01 00 00');

/** What a walk filled, slot by slot, for comparisons. */
function slots(w: RecordWalker, mode: WalkMode): unknown[] {
  const out: unknown[] = [];
  for (let i = 0; i < w.count; i++) {
    const key = w.keyLen[i]! < 0 ? null : [w.keyStart[i], w.keyLen[i]];
    if (mode === WALK_KEYS) {
      out.push([w.offsetDelta[i], key]);
      continue;
    }
    const hs: number[] = [];
    if (mode === WALK_HEADERS) for (let h = 0; h < w.headerCount[i]!; h++) hs.push(...w.headers.subarray(4 * (w.headerIndex[i]! + h), 4 * (w.headerIndex[i]! + h) + 4));
    out.push([
      w.offsetDelta[i],
      w.timestampDelta[i],
      w.timestamp[i],
      w.attributes[i],
      key,
      w.valueLen[i]! < 0 ? null : [w.valueStart[i], w.valueLen[i]],
      w.tailStart[i],
      w.recEnd[i],
      w.headerCount[i],
      hs,
    ]);
  }
  return out;
}

function summary(w: RecordWalker): unknown[] {
  return [w.count, w.maxTimestamp, w.firstOffsetDelta, w.lastOffsetDelta, w.offsetsIncreasing, w.canonical];
}

/** walkExact's outcome: the error's text, or the walker's state. */
function exact(buf: Uint8Array, pos: number, end: number, count: number, baseTs: number): { error: string } | { slots: unknown[]; summary: unknown[] } {
  const w = new RecordWalker(1);
  try {
    w.walkExact(buf, pos, end, count, baseTs, { file: 'f', position: 7 });
  } catch (e) {
    if (!(e instanceof KsegError)) throw e;
    return { error: `${e.code} ${e.message}` };
  }
  return { slots: slots(w, WALK_HEADERS), summary: summary(w) };
}

describe('varintAt / varlongAt (the one varint decoder)', () => {
  it('byte vectors: zig-zag values, lengths, past the end, too long', () => {
    const cur = { pos: 0 };
    const cases: [string, number, number][] = [
      ['00', 0, 1],
      ['01', -1, 1],
      ['02', 1, 1],
      ['7f', -64, 1],
      ['8001', 64, 2],
      ['d804', 300, 2],
      ['feffffff0f', 2147483647, 5],
      ['ffffffff0f', -2147483648, 5],
      ['8000', 0, 2], // not minimal, still 0
    ];
    for (const [h, v, n] of cases) {
      expect(varintAt(hex(h), 0, h.length / 2, cur), h).toBe(v);
      expect(cur.pos, h).toBe(n);
      expect(varlongAt(hex(h), 0, h.length / 2, cur), h).toBe(v);
    }
    expect(varlongAt(hex('feffffffffffffffff01'), 0, 10, cur)).toBe(Number(2n ** 63n - 1n));
    expect(varlongAt(hex('80a094a58d1d'), 0, 6, cur)).toBe(500000000000); // raw 10^12, zig-zag even
    varintAt(hex('8080'), 0, 2, cur);
    expect(cur.pos).toBe(VARINT_PAST_END);
    varintAt(hex('02'), 0, 0, cur);
    expect(cur.pos).toBe(VARINT_PAST_END);
    varintAt(hex('8080808080'), 0, 5, cur);
    expect(cur.pos).toBe(VARINT_TOO_LONG);
    varlongAt(hex('80808080808080808080'), 0, 10, cur);
    expect(cur.pos).toBe(VARINT_TOO_LONG);
    // readVarint / readVarlong throw at the varint's bytes
    expect(() => readVarint(hex('8080'), { pos: 0 }, 2)).toThrow(/varint runs past the end of the data/);
    expect(() => readVarint(hex('8080808080'), { pos: 0 }, 5)).toThrow(/varint longer than 5 bytes/);
    expect(() => readVarlong(hex('80808080808080808080'), { pos: 0 }, 10)).toThrow(/varlong longer than 10 bytes/);
  });
});

describe('RecordWalker: byte vectors', () => {
  it('two hand-written records, every mode', () => {
    const w = new RecordWalker(1);
    expect(w.walkFast(TWO, 0, TWO.length, 2, 1000, WALK_HEADERS)).toBe(WALK_OK);
    expect(w.next).toBe(21);
    expect(slots(w, WALK_HEADERS)).toEqual([
      [0, 0, 1000, 0, [5, 1], [7, 2], 3, 13, 1, [11, 12, -1, -1]],
      [1, 300, 1300, 0, null, [20, 0], 17, 21, 0, []],
    ]);
    expect(summary(w)).toEqual([2, 1300, 0, 1, true, true]);
    expect(w.walkFast(TWO, 0, TWO.length, 2, 1000, WALK_KEYS)).toBe(WALK_OK);
    expect(slots(w, WALK_KEYS)).toEqual([
      [0, [5, 1]],
      [1, null],
    ]);
    expect(exact(TWO, 0, TWO.length, 2, 1000)).toEqual({
      slots: [
        [0, 0, 1000, 0, [5, 1], [7, 2], 3, 13, 1, [11, 12, -1, -1]],
        [1, 300, 1300, 0, null, [20, 0], 17, 21, 0, []],
      ],
      summary: [2, 1300, 0, 1, true, true],
    });
  });

  it('status: trailing bytes, one record of two, a record count beyond the bytes', () => {
    const w = new RecordWalker();
    expect(w.walkFast(TWO, 0, TWO.length, 1, 0, WALK_RECORDS)).toBe(WALK_TRAILING);
    expect([w.count, w.next]).toEqual([1, 13]);
    expect(w.walkFast(TWO, 0, TWO.length, 3, 0, WALK_RECORDS)).toBe(WALK_STOPPED);
    expect([w.count, w.next]).toEqual([2, 21]);
    expect(w.walkFast(TWO, 0, TWO.length, 2 ** 31 - 1, 0, WALK_RECORDS)).toBe(WALK_STOPPED);
    expect(w.count).toBe(0);
    expect(w.walkFast(TWO, 0, TWO.length, -1, 0, WALK_KEYS)).toBe(WALK_STOPPED);
    expect(exact(TWO, 0, TWO.length, 1, 0)).toEqual({ error: 'RECORD_DECODE_ERROR Incorrect declared batch size, records still remaining in file' });
    expect(exact(TWO, 0, TWO.length, 3, 0)).toEqual({ error: 'RECORD_DECODE_ERROR Incorrect declared batch size, premature EOF reached' });
    expect(exact(TWO, 0, TWO.length, -1, 0)).toEqual({ error: 'RECORD_DECODE_ERROR Found invalid record count -1 in magic v2 batch' });
  });

  it("Kafka's messages for malformed records (DefaultRecord.readFrom)", () => {
    const cases: [string, string][] = [
      ['00', 'Found invalid record structure (empty record)'],
      ['0e 00 00 00 01 01 00 00', 'Invalid record size: expected to read 7 bytes in record payload, but instead read 6'],
      ['0e 00 00 00 01 01 00', 'Invalid record size: expected 7 bytes in record payload, but 6 remain'],
      ['07', 'Invalid record size: expected -4 bytes in record payload, but 0 remain'],
      ['0e 00 00 00 0a 01 00 00', 'Invalid key size 5 is larger than the remaining size of the buffer'],
      ['0e 00 00 00 01 0a 00 00', 'Invalid value size 5 is larger than the remaining size of the buffer'],
      ['0c 00 00 00 01 01 01', 'Found invalid number of record headers -1'],
      ['10 00 00 00 01 01 02 03 01', 'Invalid negative header key size -2'],
      ['10 00 00 00 01 01 02 0a 01', 'Invalid header key size 5 is larger than the remaining size of the buffer'],
      ['12 00 00 00 01 01 02 00 0a 00', 'Invalid header value size 5 is larger than the remaining size of the buffer'],
      ['0c 00 00 00 01 01 80', 'varint runs past the end of the data'],
    ];
    for (const [h, message] of cases) {
      const b = hex(h);
      expect(exact(b, 0, b.length, 1, 0), h).toEqual({ error: `RECORD_DECODE_ERROR ${message}` });
      for (const mode of [WALK_CHECK, WALK_RECORDS, WALK_HEADERS] as const) expect(new RecordWalker().walkFast(b, 0, b.length, 1, 0, mode), h).toBe(WALK_STOPPED);
    }
    expect(exact(hex('0c 00 00 00 01 01 00'), 0, 7, 1, 0)).toHaveProperty('slots');
  });

  it('canonical: a non-minimal varint after the timestamp delta, or attributes other than 0', () => {
    const w = new RecordWalker();
    const plain = hex('0c 00 00 00 01 01 00');
    const longOffset = hex('0e 00 00 80 00 01 01 00'); // offset delta 0 in two bytes
    const longTs = hex('0e 00 80 00 00 01 01 00'); // timestamp delta 0 in two bytes: not copied, fine
    const attrs = hex('0c 07 00 00 01 01 00');
    for (const [b, canonical] of [
      [plain, true],
      [longOffset, false],
      [longTs, true],
      [attrs, false],
    ] as const) {
      expect(w.walkFast(b, 0, b.length, 1, 0, WALK_RECORDS)).toBe(WALK_OK);
      expect(w.canonical).toBe(canonical);
      w.walkExact(b, 0, b.length, 1, 0, {});
      expect(w.canonical).toBe(canonical);
    }
  });
});

/** The records section of every uncompressed-or-decompressed v2 batch of the fixtures. */
function fixtureBatches(): { name: string; buf: Buffer; count: number; baseTs: number }[] {
  const out: { name: string; buf: Buffer; count: number; baseTs: number }[] = [];
  for (const c of fixtureCases()) {
    const dir = path.join(FIXTURES, c, 'topic-0');
    for (const f of fs.readdirSync(dir).filter((x) => x.endsWith('.log'))) {
      const log = fs.readFileSync(path.join(dir, f));
      for (let p = 0; p + 61 <= log.length;) {
        const size = 12 + log.readInt32BE(p + 8);
        if (size < 61 || p + size > log.length) break;
        if (log[p + 16] === 2) {
          try {
            const b = decodeBatch(log, p, size, p, f);
            const buf = b.compressionId === 0 ? log.subarray(p + RECORDS_OFFSET, p + size) : decompress(b.compressionId, log.subarray(p + RECORDS_OFFSET, p + size), 2);
            out.push({ name: `${c}/${f}@${p}`, buf, count: b.recordCount, baseTs: b.baseTimestamp });
          } catch {
            /* not a decodable header: other tests */
          }
        }
        p += size;
      }
    }
  }
  return out;
}

/** Fast (each mode) against exact on buf[0, end) with `count` records: the fast walk is only ever right. */
function agree(buf: Uint8Array, end: number, count: number, baseTs: number): void {
  const want = exact(buf, 0, end, count, baseTs);
  const w = new RecordWalker(1);
  for (const mode of [WALK_KEYS, WALK_CHECK, WALK_RECORDS, WALK_HEADERS] as const) {
    const status = w.walkFast(buf, 0, end, count, baseTs, mode);
    if ('error' in want) {
      // keys mode reads less: it may accept what the full walks reject
      if (mode !== WALK_KEYS) expect(status).not.toBe(WALK_OK);
      continue;
    }
    expect(status).toBe(WALK_OK);
    const full = new RecordWalker(1);
    full.walkExact(buf, 0, end, count, baseTs, {});
    if (mode !== WALK_CHECK) expect(slots(w, mode)).toEqual(slots(full, mode));
    // (WALK_CHECK does not track `canonical`)
    if (mode !== WALK_KEYS) expect(summary(w).slice(0, 5)).toEqual((want.summary as unknown[]).slice(0, 5));
    if (mode === WALK_RECORDS || mode === WALK_HEADERS) expect(summary(w)).toEqual(want.summary);
  }
}

describe('RecordWalker: fast walk = careful walk = record decoder', () => {
  const batches = fixtureBatches();

  it('every v2 batch of the fixtures (real Kafka producers and brokers)', () => {
    expect(batches.length).toBeGreaterThan(20);
    for (const b of batches) {
      const w = new RecordWalker(1);
      const status = w.walkFast(b.buf, 0, b.buf.length, b.count, b.baseTs, WALK_HEADERS);
      const e = exact(b.buf, 0, b.buf.length, b.count, b.baseTs);
      if ('error' in e) {
        expect(status, b.name).not.toBe(WALK_OK);
        continue;
      }
      expect(status, b.name).toBe(WALK_OK);
      agree(b.buf, b.buf.length, b.count, b.baseTs);
    }
  });

  const bytesArb = fc.oneof(fc.constant(null), fc.uint8Array({ maxLength: 40 }), fc.uint8Array({ minLength: 100, maxLength: 300 }));
  const recordArb = fc.record({
    offsetGap: fc.nat(3),
    tsDelta: fc.oneof(fc.integer({ min: -70, max: 70 }), fc.integer({ min: -(2 ** 40), max: 2 ** 40 }), fc.constantFrom(2 ** 53 - 1, -(2 ** 53))),
    key: bytesArb,
    value: bytesArb,
    headers: fc.array(fc.record({ key: fc.uint8Array({ maxLength: 20 }), value: bytesArb }), { maxLength: 3 }),
  });
  const batchArb = fc.record({ baseTs: fc.oneof(fc.constant(1700000000000), fc.integer()), records: fc.array(recordArb, { minLength: 1, maxLength: 8 }) });

  function encode(b: fc.RecordValue<typeof batchArb>): Buffer {
    let off = 0;
    const records: RecordInput[] = b.records.map((r) => {
      off += r.offsetGap;
      return {
        offset: 100 + off++,
        timestamp: b.baseTs + r.tsDelta,
        timestampDelta: r.tsDelta,
        key: r.key && Buffer.from(r.key),
        value: r.value && Buffer.from(r.value),
        headers: r.headers.map((h) => ({ key: Buffer.from(h.key), value: h.value && Buffer.from(h.value) })),
      };
    });
    return encodeV2BatchSync({ baseOffset: 100, baseTimestamp: b.baseTs, records }).subarray(RECORDS_OFFSET);
  }

  it('generated batches: the walk finds exactly what was encoded', () => {
    fc.assert(
      fc.property(batchArb, (b) => {
        const buf = encode(b);
        const w = new RecordWalker(1);
        expect(w.walkFast(buf, 0, buf.length, b.records.length, b.baseTs, WALK_HEADERS)).toBe(WALK_OK);
        let off = 0;
        for (let i = 0; i < b.records.length; i++) {
          const r = b.records[i]!;
          off += r.offsetGap;
          expect(w.offsetDelta[i]).toBe(off++);
          expect(w.timestampDelta[i]).toBe(r.tsDelta);
          const key = w.keyLen[i]! < 0 ? null : buf.subarray(w.keyStart[i], w.keyStart[i]! + w.keyLen[i]!);
          const value = w.valueLen[i]! < 0 ? null : buf.subarray(w.valueStart[i], w.valueStart[i]! + w.valueLen[i]!);
          expect(key && [...key]).toEqual(r.key && [...r.key]);
          expect(value && [...value]).toEqual(r.value && [...r.value]);
          expect(w.headerCount[i]).toBe(r.headers.length);
          for (let h = 0; h < r.headers.length; h++) {
            const at = 4 * (w.headerIndex[i]! + h);
            expect([...buf.subarray(w.headers[at], w.headers[at + 1])]).toEqual([...r.headers[h]!.key]);
            expect(w.headers[at + 2]! < 0 ? null : [...buf.subarray(w.headers[at + 2], w.headers[at + 3])]).toEqual(r.headers[h]!.value && [...r.headers[h]!.value!]);
          }
        }
        expect(w.canonical).toBe(true);
        agree(buf, buf.length, b.records.length, b.baseTs);
      }),
      { numRuns: 300, seed: 13 },
    );
  });

  it('mutated batches: the fast walk never throws and accepts only what the careful walk accepts, with the same results', () => {
    fc.assert(
      fc.property(
        batchArb,
        fc.array(fc.tuple(fc.nat(), fc.integer({ min: 1, max: 255 })), { minLength: 1, maxLength: 4 }),
        fc.integer({ min: -1, max: 1 }),
        (b, flips, countDelta) => {
          const buf = Buffer.from(encode(b));
          for (const [q, x] of flips) buf[q % buf.length] ^= x;
          agree(buf, buf.length, b.records.length + countDelta, b.baseTs);
        },
      ),
      { numRuns: 1000, seed: 14 },
    );
  });

  it('record decoder (batchRecords) agrees with the careful walk on mutated batches', () => {
    fc.assert(
      fc.property(batchArb, fc.array(fc.tuple(fc.nat(), fc.integer({ min: 1, max: 255 })), { maxLength: 3 }), (b, flips) => {
        const records = encode(b);
        const batch = encodeV2BatchSync({ baseOffset: 0, baseTimestamp: b.baseTs, records: [{ offset: 0, timestamp: 0, key: null, value: null }] });
        const whole = Buffer.concat([batch.subarray(0, RECORDS_OFFSET), records]);
        whole.writeInt32BE(whole.length - 12, 8);
        whole.writeInt32BE(b.records.length, 57);
        for (const [q, x] of flips) whole[RECORDS_OFFSET + (q % records.length)] ^= x;
        const want = exact(whole, RECORDS_OFFSET, whole.length, b.records.length, b.baseTs);
        let got: { error: string } | { n: number };
        try {
          got = { n: [...batchRecords(decodeBatch(whole, 0, whole.length, 0, undefined, false))].length };
        } catch (e) {
          if (!(e instanceof KsegError)) throw e;
          got = { error: `${e.code} ${e.message}` };
        }
        if ('error' in want) expect(got).toEqual(want);
        else expect(got).toEqual({ n: b.records.length });
      }),
      { numRuns: 500, seed: 15 },
    );
  });
});

describe('RecordWalker: every truncation of a valid batch', () => {
  /** A view that throws on any read at or past `end` (an out-of-bounds read would otherwise just see undefined). */
  function guarded(buf: Uint8Array, end: number): Uint8Array {
    return new Proxy(buf, {
      get(t, k) {
        if (typeof k === 'string' && /^\d+$/.test(k) && Number(k) >= end) throw new Error(`read at ${k}, end ${end}`);
        const v = Reflect.get(t, k);
        return typeof v === 'function' ? v.bind(t) : v;
      },
    });
  }

  it('a status or a KsegError, never another throw, never a read past the end', () => {
    const batches = [
      TWO,
      encodeV2BatchSync({
        baseOffset: 0,
        records: [
          {
            offset: 0,
            timestamp: 5,
            key: 'key-1',
            value: 'x'.repeat(200),
            headers: [
              { key: 'a', value: Buffer.from('bb') },
              { key: 'c', value: null },
            ],
          },
          { offset: 3, timestamp: 2 ** 40, key: null, value: null },
          { offset: 4, timestamp: 0, key: 'é', value: '', headers: [{ key: '', value: Buffer.alloc(130) }] },
        ],
      }).subarray(RECORDS_OFFSET),
    ];
    for (const full of batches) {
      const count = full === TWO ? 2 : 3;
      for (let cut = 0; cut <= full.length; cut++) {
        // poison after the cut: a walk that read it would see different bytes
        for (const poison of [0x00, 0x80, 0xff]) {
          const buf = Buffer.concat([full.subarray(0, cut), Buffer.alloc(16, poison)]);
          const g = guarded(buf, cut);
          for (const mode of [WALK_KEYS, WALK_CHECK, WALK_RECORDS, WALK_HEADERS] as const) {
            const w = new RecordWalker(1);
            const status = w.walkFast(g, 0, cut, count, 0, mode);
            expect(status === WALK_OK, `cut ${cut}`).toBe(cut === full.length);
          }
          const w = new RecordWalker(1);
          try {
            w.walkExact(g, 0, cut, count, 0, { position: 0 });
            expect(cut).toBe(full.length);
          } catch (e) {
            expect(e, `cut ${cut}`).toBeInstanceOf(KsegError);
          }
        }
      }
    }
  });
});
