import { Writable } from 'node:stream';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { codecImplementations, compress, decompress, decompressInto, lz4Compress, snappyCompress, zstdCompress, zstdFramesDeclaredSize } from '../src/format/codecs.js';
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
/** zstd decodes into a given buffer only through the native zstd-napi (fzstd, its fallback when a
 *  user's install skipped native builds, allocates its own): the rest of the contract is the same. */
const ZSTD_INTO = codecImplementations().zstd === 'zstd-napi';
const intoCapable = (codec: CompressionWriteName): boolean => codec !== 'gzip' && codec !== 'none' && (codec !== 'zstd' || ZSTD_INTO);

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
        if (n <= dst.length && intoCapable(codec)) {
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

// ---------------------------------------------------------------- zstd frame headers without the native module

/** A zstd frame header (RFC 8878 3.1.1) followed by one raw block of `raw` bytes. */
function zstdFrame(o: { fcsFlag: number; single: boolean; dictBytes: 0 | 1 | 2 | 4; fcs: bigint; raw: number; checksum: boolean }): Buffer {
  const dictFlag = [0, 1, 2, -1, 3][o.dictBytes]!;
  const fcsBytes = o.fcsFlag === 0 ? (o.single ? 1 : 0) : [0, 2, 4, 8][o.fcsFlag]!;
  const parts: number[] = [0x28, 0xb5, 0x2f, 0xfd, (o.fcsFlag << 6) | (o.single ? 0x20 : 0) | (o.checksum ? 4 : 0) | dictFlag];
  if (!o.single) parts.push(0x58); // window descriptor
  for (let i = 0; i < o.dictBytes; i++) parts.push(i + 1);
  const v = fcsBytes === 2 ? o.fcs - 256n : o.fcs;
  for (let i = 0; i < fcsBytes; i++) parts.push(Number((v >> BigInt(8 * i)) & 0xffn));
  const h = 1 | (o.raw << 3); // last block, raw
  parts.push(h & 0xff, (h >> 8) & 0xff, (h >> 16) & 0xff);
  for (let i = 0; i < o.raw; i++) parts.push(i & 0xff);
  if (o.checksum) parts.push(1, 2, 3, 4);
  return Buffer.from(parts);
}

describe('zstdFramesDeclaredSize: the declared size read from frame headers (ZstdInputStreamNoFinalizer has none; zstd-napi getFrameContentSize)', () => {
  it('every header layout, skippable frames, and what declares nothing or is cut', () => {
    const big = 1 << 30;
    expect(zstdFramesDeclaredSize(zstdFrame({ fcsFlag: 0, single: true, dictBytes: 0, fcs: 200n, raw: 10, checksum: false }), big)).toBe(200);
    expect(zstdFramesDeclaredSize(zstdFrame({ fcsFlag: 1, single: false, dictBytes: 2, fcs: 300n, raw: 0, checksum: true }), big)).toBe(300);
    expect(zstdFramesDeclaredSize(zstdFrame({ fcsFlag: 2, single: false, dictBytes: 4, fcs: 70000n, raw: 5, checksum: false }), big)).toBe(70000);
    expect(zstdFramesDeclaredSize(zstdFrame({ fcsFlag: 3, single: true, dictBytes: 1, fcs: 1n << 40n, raw: 1, checksum: true }), big)).toBe(2 ** 40);
    // no Frame_Content_Size: unknown
    expect(zstdFramesDeclaredSize(zstdFrame({ fcsFlag: 0, single: false, dictBytes: 0, fcs: 0n, raw: 3, checksum: false }), big)).toBeNull();
    const a = zstdFrame({ fcsFlag: 1, single: false, dictBytes: 0, fcs: 1000n, raw: 4, checksum: true });
    const b = zstdFrame({ fcsFlag: 2, single: true, dictBytes: 0, fcs: 5000n, raw: 2, checksum: false });
    const skip = Buffer.from([0x5a, 0x2a, 0x4d, 0x18, 3, 0, 0, 0, 9, 9, 9]);
    expect(zstdFramesDeclaredSize(Buffer.concat([a, skip, b]), big)).toBe(6000);
    // the count stops once past the limit, the rest unread
    expect(zstdFramesDeclaredSize(Buffer.concat([a, b, Buffer.from('junk')]), 2000)).toBe(6000);
    for (let cut = 0; cut < a.length; cut++) expect(zstdFramesDeclaredSize(Buffer.concat([b, a.subarray(0, cut)]), big), `cut ${cut}`).toBe(cut === 0 ? 5000 : null);
    expect(zstdFramesDeclaredSize(Buffer.from('not zstd at all'), big)).toBeNull();
    const reserved = Buffer.from(a);
    reserved[4]! |= 8;
    expect(zstdFramesDeclaredSize(reserved, big)).toBeNull();
  });

  it('over concatenated frames of every valid header layout: the sizes written, and the decoders agree (property)', () => {
    fc.assert(
      fc.property(fc.array(fc.record({ raw: fc.nat(70_000), enc: fc.nat(3), single: fc.boolean(), declare: fc.boolean() }), { minLength: 1, maxLength: 4 }), (specs) => {
        let want: number | null = 0;
        const parts = specs.map(({ raw, enc, single, declare }) => {
          if (!declare) {
            want = null;
            return zstdFrame({ fcsFlag: 0, single: false, dictBytes: 0, fcs: 0n, raw, checksum: false });
          }
          // the field sizes that can hold `raw`: 1 byte (single segment only), 2 (256..65791), 4, 8
          const flags = [raw < 256 ? 0 : -1, raw >= 256 && raw < 65792 ? 1 : -1, 2, 3].filter((f) => f >= 0);
          const fcsFlag = flags[enc % flags.length]!;
          if (want !== null) want += raw;
          // (no checksum here: the decoders check it against the content; the first test covers its 4 bytes)
          return zstdFrame({ fcsFlag, single: fcsFlag === 0 || single, dictBytes: 0, fcs: BigInt(raw), raw, checksum: false });
        });
        const data = Buffer.concat(parts);
        expect(zstdFramesDeclaredSize(data, 1 << 30)).toBe(want);
        // the frames are real: fzstd or zstd-napi decodes them to their raw blocks
        const content = Buffer.concat(specs.map(({ raw }) => Buffer.from(Array.from({ length: raw }, (_, i) => i & 0xff))));
        expect(decompress(4, data, 2).equals(content)).toBe(true);
      }),
      { numRuns: 60 },
    );
  });

  it.runIf(ZSTD_INTO)('equals the sizes zstd-napi writes and reads (getFrameContentSize) over concatenated frames', async () => {
    const frames = await Promise.all([0, 1, 255, 256, 65535, 65791, 200_000].map(async (n) => ({ n, c: await zstdCompress(payload(n, n + 1)) })));
    fc.assert(
      fc.property(fc.array(fc.nat(frames.length - 1), { minLength: 1, maxLength: 5 }), (picks) => {
        const data = Buffer.concat(picks.map((i) => frames[i]!.c));
        const want = picks.reduce((t, i) => t + frames[i]!.n, 0);
        expect(zstdFramesDeclaredSize(data, 1 << 30)).toBe(want);
        expect(decompress(4, data, 2).length).toBe(want);
      }),
    );
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
      expect(got.inScratch).toBe(intoCapable(codec));
    });
  }

  it('a view into scratch is dead after the next call (the reuse is real), batchRecords views are not', async () => {
    const scratch = Buffer.alloc(1 << 20);
    for (const codec of (['snappy', 'snappy-xerial', 'lz4', 'zstd'] as CompressionWriteName[]).filter(intoCapable)) {
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
