import { Writable } from 'node:stream';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { compress, decompress, decompressInto, lz4Compress, snappyCompress } from '../src/format/codecs.js';
import { compressionId, type CompressionWriteName } from '../src/format/compression.js';
import { batchRecords, decodeBatch, scanBatchRecords, v2Payload, v2PayloadInto, type Batch } from '../src/format/batch.js';
import { encodeV2Batch } from '../src/format/encode.js';
import { recordNdjson } from '../src/cli/render.js';
import { JsonLinesWriter } from '../src/cli/ndjson-writer.js';
import type { Decoders } from '../src/cli/decoders.js';

// codecs.ts decompressInto / batch.ts v2PayloadInto (issue 17: the NDJSON writer decompresses
// into its reused staging memory) against decompress / v2Payload: the same bytes and the same
// errors on every codec, and the lifetime rule — views of a reused buffer die at the next call,
// records handed out by batchRecords (the library API) never do.

const CODECS: CompressionWriteName[] = ['gzip', 'snappy', 'snappy-xerial', 'lz4', 'zstd'];

/** Bytes that compress (repeats) with stretches that do not (random: lz4 stored blocks). */
function payload(n: number, seed: number): Buffer {
  const b = Buffer.alloc(n);
  let x = seed >>> 0 || 1;
  for (let i = 0; i < n; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    const block = (i >> 12) % 3;
    b[i] = block === 0 ? x & 0xff : block === 1 ? 0x61 + (i % 7) : 0x30 + ((x >>> 8) & 3);
  }
  return b;
}

/** The outcome of a call as comparable data: the bytes, or the error's code and message. */
function outcome(f: () => Buffer): { bytes?: string; error?: string } {
  try {
    return { bytes: f().toString('base64') };
  } catch (e) {
    const err = e as { code?: string; message: string };
    return { error: `${err.code} ${err.message}` };
  }
}

/** decompressInto's result as a Buffer (a copy of dst's bytes when it wrote there). */
function into(codec: number, data: Uint8Array, magic: number, dst: Buffer, limit?: number): Buffer {
  const r = decompressInto(codec, data, magic, dst, limit);
  return typeof r === 'number' ? Buffer.from(dst.subarray(0, r)) : r;
}

describe('decompressInto = decompress (KafkaLZ4BlockInputStream, SnappyInputStream, ZstdInputStreamNoFinalizer framings)', () => {
  for (const codec of CODECS) {
    it(`${codec}: same bytes, written into dst when they fit`, async () => {
      const id = compressionId(codec);
      const dst = Buffer.alloc(1 << 20, 0xee);
      // 0..1 block, several xerial 32 KiB / lz4 64 KiB blocks, larger than dst
      for (const n of [1, 1000, 32 * 1024, 100_000, 300_000, (1 << 20) + 5000]) {
        const data = payload(n, n);
        const c = await compress(codec, data, 2);
        const want = decompress(id, c, 2);
        expect(want.equals(data)).toBe(true);
        const r = decompressInto(id, c, 2, dst);
        if (n <= dst.length && codec !== 'gzip') {
          // into dst, not a buffer of its own
          expect(r).toBe(n);
          expect(dst.subarray(0, n).equals(data)).toBe(true);
        } else {
          expect(Buffer.isBuffer(r)).toBe(true);
          expect((r as Buffer).equals(data)).toBe(true);
        }
      }
    });
  }

  it('lz4: a frame that outgrows dst part way moves what dst holds to the result', () => {
    const data = payload(200_000, 7);
    const c = lz4Compress(data, 2);
    for (const room of [0, 1, 65536, 65537, 150_000, 199_999]) {
      const dst = Buffer.alloc(room);
      const r = decompressInto(3, c, 2, dst);
      expect(Buffer.isBuffer(r)).toBe(true);
      expect((r as Buffer).equals(data)).toBe(true);
    }
  });

  it('the limit (--max-decompressed-bytes) applies alike', async () => {
    const data = payload(100_000, 3);
    for (const codec of CODECS) {
      const id = compressionId(codec);
      const c = await compress(codec, data, 2);
      for (const limit of [0, 1000, 65536, 99_999, 100_000]) {
        const dst = Buffer.alloc(1 << 20);
        expect(outcome(() => into(id, c, 2, dst, limit))).toEqual(outcome(() => decompress(id, c, 2, limit)));
      }
    }
  });

  it('mutated and cut payloads: the same bytes or the same error, never another one', async () => {
    const samples = await Promise.all(CODECS.map(async (codec) => ({ id: compressionId(codec), c: await compress(codec, payload(70_000, compressionId(codec) + 11), 2) })));
    // magic 0 / 1 lz4 (the header checksum rule), and zstd refused below v2
    samples.push({ id: 3, c: lz4Compress(payload(5000, 5), 0) }, { id: 4, c: samples[4]!.c });
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: samples.length - 1 }),
        fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { maxLength: 4 }),
        fc.option(fc.nat()),
        fc.integer({ min: 0, max: 2 }),
        fc.integer({ min: 0, max: 3 }),
        (which, flips, cut, magic, room) => {
          const { id, c } = samples[which]!;
          const bad = Buffer.from(c);
          for (const [at, v] of flips) bad[at % bad.length] = v;
          const data = cut === null ? bad : bad.subarray(0, cut % (bad.length + 1));
          const dst = Buffer.alloc([0, 1000, 65536, 1 << 20][room]!);
          expect(outcome(() => into(id, data, magic, dst))).toEqual(outcome(() => decompress(id, data, magic)));
        },
      ),
      { numRuns: 400 },
    );
  });

  it('raw (non-xerial) snappy and an empty payload', () => {
    const data = payload(50_000, 9);
    const raw = snappyCompress(data, false);
    expect(into(2, raw, 2, Buffer.alloc(1 << 16)).equals(data)).toBe(true);
    expect(into(2, raw, 2, Buffer.alloc(10)).equals(data)).toBe(true);
    expect(outcome(() => into(2, Buffer.alloc(0), 2, Buffer.alloc(10)))).toEqual(outcome(() => decompress(2, Buffer.alloc(0), 2)));
  });
});

// ---------------------------------------------------------------- batches and the lifetime rule

async function batchOf(codec: CompressionWriteName, baseOffset: number, tag: string, timestampType: 'CreateTime' | 'LogAppendTime' = 'CreateTime'): Promise<Batch> {
  const records = Array.from({ length: 50 }, (_, i) => ({
    offsetDelta: i,
    timestamp: 1_700_000_000_000 + i,
    key: `${tag}-key-${i}`,
    value: `${tag}-value-${i}-`.repeat(40),
    headers: i % 7 === 0 ? [{ key: 'h', value: `${tag}-${i}` }] : [],
  }));
  const buf = await encodeV2Batch({ baseOffset, records, compression: codec, timestampType });
  return decodeBatch(buf, 0, buf.length, 0);
}

describe('v2PayloadInto: reuse with an explicit lifetime', () => {
  for (const codec of ['none', ...CODECS] as CompressionWriteName[]) {
    it(`${codec}: the payload v2Payload gives`, async () => {
      const b = await batchOf(codec, 0, 'a');
      const want = v2Payload(b);
      const got = v2PayloadInto(b, Buffer.alloc(1 << 20));
      expect(got.buf.subarray(got.pos, got.end).equals(want.buf.subarray(want.pos, want.end))).toBe(true);
      expect(got.inScratch).toBe(codec !== 'none' && codec !== 'gzip');
    });
  }

  it('a view into scratch is dead after the next call (the reuse is real), batchRecords views are not', async () => {
    const scratch = Buffer.alloc(1 << 20);
    for (const codec of ['snappy', 'snappy-xerial', 'lz4', 'zstd'] as CompressionWriteName[]) {
      const a = await batchOf(codec, 0, 'a');
      const b = await batchOf(codec, 50, 'b');
      const pa = v2PayloadInto(a, scratch);
      const firstA = Buffer.from(pa.buf.subarray(pa.pos, pa.end));
      const viewA = pa.buf.subarray(pa.pos, pa.end);
      const pb = v2PayloadInto(b, scratch);
      expect(pb.buf).toBe(pa.buf);
      // the same memory now holds b's records: a's view no longer reads a's bytes
      expect(viewA.equals(firstA)).toBe(false);
      // the library API: a's records, kept while b's are read (and scratch rewritten), stay a's
      const recsA = [...batchRecords(a)];
      const before = recsA.map((r) => `${r.key} ${r.value} ${r.headers.map((h) => `${h.key}=${h.value}`)}`);
      expect(before[3]).toContain('a-key-3 a-value-3-');
      for (const r of batchRecords(b)) expect(String(r.key)).toMatch(/^b-key-/);
      v2PayloadInto(a, scratch);
      v2PayloadInto(b, scratch);
      expect(recsA.map((r) => `${r.key} ${r.value} ${r.headers.map((h) => `${h.key}=${h.value}`)}`)).toEqual(before);
    }
  });

  it('scanBatchRecords (verify, reusing its own scratch) over consecutive batches = the records batchRecords gives', async () => {
    for (const [i, codec] of (['zstd', 'lz4', 'snappy-xerial', 'gzip', 'none', 'snappy', 'zstd'] as CompressionWriteName[]).entries()) {
      const b = await batchOf(codec, 50 * i, `s${i}`);
      const recs = [...batchRecords(b)];
      expect(scanBatchRecords(b)).toEqual({
        records: recs.length,
        maxTimestamp: Math.max(...recs.map((r) => r.timestamp)),
        firstOffsetDelta: 0,
        lastOffsetDelta: recs.length - 1,
        offsetsIncreasing: true,
      });
    }
  });

  it('the NDJSON writer: consecutive batches (codecs and timestamp types mixed) through one staging area = recordNdjson lines (wasm and JS)', async () => {
    const batches: Batch[] = [];
    for (const [i, codec] of (['zstd', 'lz4', 'snappy', 'snappy-xerial', 'none', 'gzip', 'zstd', 'snappy'] as CompressionWriteName[]).entries())
      batches.push(await batchOf(codec, 50 * i, `t${i}`, i % 3 === 1 ? 'LogAppendTime' : 'CreateTime'));
    for (const [d, wasm] of [
      [{ key: 'utf8', value: 'utf8', header: 'utf8' }, true],
      [{ key: 'utf8', value: 'utf8', header: 'utf8' }, false],
      [{ key: 'none', value: 'hex', header: 'utf8' }, true],
    ] as [Decoders, boolean][]) {
      const want = batches.map((b) => [...batchRecords(b)].map((r) => recordNdjson(r, b, d) + '\n').join('')).join('');
      const chunks: Buffer[] = [];
      const stream = new Writable({
        write(chunk: Buffer, _enc, cb) {
          chunks.push(Buffer.from(chunk));
          setImmediate(cb);
        },
      });
      const w = new JsonLinesWriter(stream, d, { wasm });
      for (const b of batches) {
        w.batch(b);
        if (w.full) await w.flush();
      }
      await w.flush();
      await new Promise<void>((resolve) => stream.end(resolve));
      expect(Buffer.concat(chunks).toString('utf8')).toBe(want);
    }
  });
});
