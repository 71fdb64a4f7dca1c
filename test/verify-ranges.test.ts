import fs from 'node:fs';
import path from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { verify, type VerifyReport } from '../src/ops/verify/index.js';
import { rangesFor } from '../src/ops/verify/pool.js';
import { ChunkReader } from '../src/ops/verify/chunks.js';
import { generate } from '../src/ops/generate.js';
import { KsegError } from '../src/format/errors.js';
import { kseg, tmpDir, withEnv } from './helpers.js';

/**
 * verify --jobs splits each segment into byte ranges whose owners find their own first batch
 * (from the offset index, or by resynchronising as Kafka's recovery-style scans do) and frame
 * from there (src/ops/verify/chunks.ts). These tests hold that to the one-thread walk
 * (LogSegment.recover's order, ops/verify/log-walk.ts): every report, finding and its order equal
 * --jobs 1 however the ranges fall, with corruption anywhere, and most of all at range edges.
 */

const seg0 = (dir: string, ext: string): string => path.join(dir, `${'0'.repeat(20)}.${ext}`);

/** Batch start positions of a .log (framing by the length fields until the first that does not fit). */
function batchStarts(log: Buffer): number[] {
  const out: number[] = [];
  for (let p = 0; p + 17 < log.length;) {
    const n = 12 + log.readInt32BE(p + 8);
    if (n < 26 || p + n > log.length) break;
    out.push(p);
    p += n;
  }
  return out;
}

function run(f: () => VerifyReport): VerifyReport | KsegError {
  try {
    return f();
  } catch (e) {
    return e as KsegError;
  }
}

describe('verify --jobs ranges: rangesFor', () => {
  it('covers [0, size) with contiguous ranges; each hint is the largest index position at or before its start', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 1 << 26 }), fc.integer({ min: 64, max: 1 << 22 }), fc.boolean(), fc.array(fc.nat(1 << 26), { maxLength: 64 }), (size, c, fixed, ps) => {
        const chunk = Math.max(c, Math.ceil(size / 2000)); // at most 2,000 ranges
        const positions = [...new Set(ps.filter((p) => p < size))].sort((a, b) => a - b);
        const index = Buffer.alloc(positions.length * 8);
        positions.forEach((p, i) => index.writeInt32BE(p, i * 8 + 4));
        const r = rangesFor(size, chunk, fixed, index);
        expect(r.length % 3).toBe(0);
        expect(r[0]).toBe(0);
        for (let k = 0; k < r.length; k += 3) {
          const [from, to, hint] = [r[k]!, r[k + 1]!, r[k + 2]!];
          expect(to).toBeGreaterThan(from);
          if (k + 3 < r.length) expect(r[k + 3]).toBe(to);
          else expect(to).toBe(size);
          const atOrBefore = positions.filter((p) => p <= from);
          expect(hint).toBe(atOrBefore.length ? atOrBefore[atOrBefore.length - 1] : -1);
        }
      }),
      { numRuns: 300, seed: 1717 },
    );
  });
});

describe('verify --jobs ranges: a range frames from its first batch to the first entry at or past its end', () => {
  it('on a sound segment, consecutive ranges meet exactly (with and without index hints)', async () => {
    const dir = path.join(tmpDir(), 'p-0');
    await generate(dir, { records: 4000, segmentBytes: 1 << 20, indexIntervalBytes: 2048, compression: ['none', 'gzip'], fsync: false, seed: 5 });
    const log = fs.readFileSync(seg0(dir, 'log'));
    const index = fs.readFileSync(seg0(dir, 'index'));
    const starts = batchStarts(log);
    expect(starts.length).toBeGreaterThan(50);
    for (const [chunk, idx] of [
      [997, index],
      [997, undefined],
      [4096, index],
      [60000, undefined],
    ] as const) {
      const ranges = rangesFor(log.length, chunk, true, idx);
      const reader = new ChunkReader(seg0(dir, 'log'));
      let framed = 0;
      let prevEnd = 0;
      for (let k = 0; k < ranges.length; k += 3) {
        const r = reader.check(ranges[k]!, ranges[k + 1]!, ranges[k + 2]!, { file: 'x.log', minOffset: 0, maxOffset: 1e12 });
        if (r.start < 0) continue; // no batch starts inside this range: the range before ran through it
        expect(r.start).toBe(prevEnd);
        expect(starts).toContain(r.start);
        framed += r.count;
        prevEnd = r.end;
        expect(r.self).toEqual([]); // nothing to report on a sound segment
        expect(r.headers!.length).toBe(r.count * 61);
        expect(Buffer.from(r.headers!.subarray(0, 61)).equals(log.subarray(r.start, r.start + 61))).toBe(true);
      }
      reader.close();
      expect(prevEnd).toBe(log.length);
      expect(framed).toBe(starts.length);
    }
  });
});

describe('verify --jobs ranges: --jobs 2 and 3 report exactly what --jobs 1 does (model: the one-thread walk)', () => {
  type Fault = { kind: 'flip' | 'zero' | 'size' | 'cut' | 'index'; at: 'edge' | 'batch' | 'any'; n: number; x: number };
  const fault = fc.record({
    kind: fc.constantFrom('flip', 'flip', 'zero', 'size', 'cut', 'index'),
    at: fc.constantFrom('edge', 'edge', 'batch', 'any'),
    n: fc.nat(1 << 30),
    x: fc.integer({ min: 1, max: 255 }),
  }) as fc.Arbitrary<Fault>;

  /** Apply one fault: at a range edge (a multiple of `chunk`, +-2 bytes), at a batch start, or anywhere. */
  function apply(dir: string, log: Buffer, chunk: number, f: Fault): Buffer {
    const starts = batchStarts(log);
    const edges = Array.from({ length: Math.floor(log.length / chunk) }, (_, i) => (i + 1) * chunk).filter((e) => e < log.length);
    let pos: number;
    if (f.at === 'edge' && edges.length) {
      const e = edges[f.n % edges.length]!;
      // the batch that straddles the edge, the first one after it, or the bytes at the edge itself
      const after = starts.find((s) => s >= e);
      const before = [...starts].reverse().find((s) => s < e);
      pos = [e + ((f.n >> 8) % 5) - 2, after ?? e, before ?? e][(f.n >> 4) % 3]!;
    } else if (f.at === 'batch' && starts.length) pos = starts[f.n % starts.length]!;
    else pos = f.n % log.length;
    pos = Math.max(0, Math.min(log.length - 1, pos));
    const buf = Buffer.from(log);
    switch (f.kind) {
      case 'flip': {
        // a byte of the header fields (size, magic, CRC, counts) or of the body
        const off = [0, 8, 11, 16, 17, 21, 57, 61, 70][f.x % 9]!;
        const p = Math.min(log.length - 1, pos + off);
        buf[p] ^= f.x;
        return buf;
      }
      case 'zero':
        buf.fill(0, pos, Math.min(log.length, pos + 1 + (f.x << 3)));
        return buf;
      case 'size':
        if (pos + 12 <= log.length) buf.writeInt32BE([0, 5, 0x7fffffff, buf.readInt32BE(pos + 8) + f.x][f.x % 4]!, pos + 8);
        return buf;
      case 'cut':
        return buf.subarray(0, pos);
      case 'index': {
        // hints pointing mid-batch: an index position moved
        const file = seg0(dir, 'index');
        const idx = fs.readFileSync(file);
        if (idx.length >= 8) {
          const e = (f.n % (idx.length >> 3)) * 8;
          idx.writeInt32BE(Math.max(0, idx.readInt32BE(e + 4) + f.x - 128), e + 4);
          fs.writeFileSync(file, idx);
        }
        return buf;
      }
    }
  }

  it('random faults at random offsets and at range edges, random range sizes, v2 and v1 partitions', async () => {
    const root = tmpDir();
    const bases: { dir: string; log: Buffer; index: Buffer }[] = [];
    const specs = [
      { records: 3000, segmentBytes: 1 << 20, indexIntervalBytes: 1024, transactions: true, compression: ['none', 'none', 'gzip'], seed: 31 },
      { records: 1500, segmentBytes: 1 << 20, indexIntervalBytes: 4096, magic: 1, compression: ['none', 'gzip'], seed: 32 },
      { records: 2500, segmentBytes: 1 << 20, indexIntervalBytes: 512, valueSize: { min: 0, max: 300 }, compression: ['none'], seed: 33 },
    ] as const;
    for (const [i, s] of specs.entries()) {
      const dir = path.join(root, `base-${i}`, 'p-0');
      await generate(dir, { ...s, compression: [...s.compression], fsync: false } as never);
      bases.push({ dir, log: fs.readFileSync(seg0(dir, 'log')), index: fs.readFileSync(seg0(dir, 'index')) });
    }
    const work = path.join(root, 'work', 'p-0');
    fc.assert(
      fc.property(fc.nat(bases.length - 1), fc.integer({ min: 61, max: 6000 }), fc.array(fault, { minLength: 1, maxLength: 3 }), (b, chunk, faults) => {
        const base = bases[b]!;
        fs.rmSync(path.dirname(work), { recursive: true, force: true });
        fs.cpSync(base.dir, work, { recursive: true });
        let log = base.log;
        for (const f of faults) log = apply(work, log, chunk, f);
        fs.writeFileSync(seg0(work, 'log'), log);
        const one = run(() => verify([work]));
        const env = { KSEG_VERIFY_CHUNK_BYTES: String(chunk) };
        const two = run(() => withEnv(env, () => verify([work], { jobs: 2 })));
        const three = run(() => withEnv(env, () => verify([work], { jobs: 3 })));
        expect(two).toEqual(one);
        expect(three).toEqual(one);
      }),
      { numRuns: 40, seed: 1707 },
    );
  });

  it('CLI with worker threads (the main thread checks no range): corrupt partitions, same JSON and exit code as --jobs 1', async () => {
    const root = tmpDir();
    const dir = path.join(root, 'p-0');
    await generate(dir, { records: 6000, segmentBytes: 1 << 20, indexIntervalBytes: 1024, transactions: true, compression: ['none', 'gzip'], fsync: false, seed: 41 });
    const log = fs.readFileSync(seg0(dir, 'log'));
    const starts = batchStarts(log);
    const chunk = 1500;
    const cli = (args: string[], env: Record<string, string> = {}) => kseg(['verify', '--json', dir, ...args], { env: { KSEG_VERIFY_CHUNK_BYTES: String(chunk), ...env } });
    // A CRC flip in the batch straddling an edge, a broken length field right after another edge,
    // a zeroed stretch across a third, and a moved index entry (a hint inside a batch).
    const e1 = starts.find((s) => s >= 10 * chunk)!;
    const before1 = starts[starts.indexOf(e1) - 1]!;
    const e2 = starts.find((s) => s >= 30 * chunk)!;
    const e3 = 50 * chunk;
    const cases: [string, (b: Buffer) => void][] = [
      ['crc at an edge', (b) => (b[before1 + 30] ^= 0x40)],
      ['size after an edge', (b) => b.writeInt32BE(3, e2 + 8)],
      ['zeros across an edge', (b) => b.fill(0, e3 - 100, e3 + 100)],
      ['none', () => {}],
    ];
    for (const [what, mutate] of cases) {
      const buf = Buffer.from(log);
      mutate(buf);
      fs.writeFileSync(seg0(dir, 'log'), buf);
      const one = cli([]);
      for (const jobs of ['2', '3']) {
        const many = cli(['--jobs', jobs], { KSEG_VERIFY_MAIN_CHECKS: '0', KSEG_VERIFY_DEBUG: '1' });
        expect({ what, jobs, status: many.status, out: many.stdout }).toEqual({ what, jobs, status: one.status, out: one.stdout });
        const stats = JSON.parse(/verify --jobs: (\{.*\})/.exec(many.stderr)![1]!);
        expect(stats.own).toBe(0);
        expect(stats.workers).toBeGreaterThan(50);
      }
      if (what !== 'none') expect(JSON.parse(one.stdout).issues.length).toBeGreaterThan(0);
    }
  });
});
