import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Batch } from '../src/format/batch.js';
import { logEntries } from '../src/storage/log-reader.js';
import { openSource } from '../src/storage/source.js';
import { scanPartitionDir } from '../src/storage/segments.js';
import { generate, type GenerateOptions } from '../src/ops/generate.js';
import { diff } from '../src/ops/diff.js';
import { HAVE_REAL, REAL, kseg, tmpDir } from './helpers.js';

async function gen(dir: string, o: Partial<GenerateOptions> = {}): Promise<string> {
  await generate(dir, { records: 1500, segmentBytes: 48 * 1024, indexIntervalBytes: 2048, keySpace: 50, seed: 77, fsync: false, ...o });
  return dir;
}

function copy(src: string, name: string): string {
  const dst = path.join(tmpDir(), name);
  fs.cpSync(src, dst, { recursive: true });
  return dst;
}

/** Every batch of a partition with its .log path. */
function batches(dir: string): { log: string; batch: Batch }[] {
  const out: { log: string; batch: Batch }[] = [];
  for (const seg of scanPartitionDir(dir).segments) {
    const p = path.join(dir, seg.log);
    const src = openSource(p, { reader: 'pread' });
    for (const it of { [Symbol.iterator]: () => logEntries(src, { file: seg.log }) }) if (it.kind === 'batch') out.push({ log: p, batch: it.batch });
    src.close();
  }
  return out;
}

function patch(file: string, position: number, bytes: Buffer): void {
  const fd = fs.openSync(file, 'r+');
  fs.writeSync(fd, bytes, 0, bytes.length, position);
  fs.closeSync(fd);
}

describe('diff: replicas generated to diverge at a known offset', () => {
  it('the same seed twice: same, exit 0', async () => {
    const a = await gen(path.join(tmpDir(), 't-0'));
    const b = await gen(path.join(tmpDir(), 't-0'));
    const r = diff(a, b);
    expect(r.same).toBe(true);
    expect(r.firstDivergingOffset).toBeNull();
    expect(r.batchesDiffering).toBe(0);
    expect(r.indexes.mattering).toBe(0);
    const cli = kseg(['diff', a, b]);
    expect(cli.status).toBe(0);
    expect(cli.stdout).toMatch(/\nsame\n$/);
  });

  it('another partition leader epoch on the batch holding offset X (not covered by the CRC): that batch differs in partitionLeaderEpoch only, records identical, exit 1', async () => {
    const a = await gen(path.join(tmpDir(), 'e-0'), { leaderEpochs: 0 });
    const b = copy(a, 'e-0');
    const X = 777;
    const hit = batches(b).find((x) => x.batch.baseOffset <= X && x.batch.lastOffset >= X)!;
    const epoch = Buffer.alloc(4);
    epoch.writeInt32BE(hit.batch.partitionLeaderEpoch + 5);
    patch(hit.log, hit.batch.position + 12, epoch); // LeaderEpoch field: bytes 12..15 of a v2 batch
    const r = diff(a, b);
    expect(r.same).toBe(false);
    expect(r.firstDivergingOffset).toBe(hit.batch.baseOffset);
    expect(r.batchesDiffering).toBe(1);
    expect(r.batches[0]!.kind).toBe('differs');
    expect(r.batches[0]!.fields).toEqual(['partitionLeaderEpoch']);
    expect(r.batches[0]!.records).toMatchObject({ differing: 0, onlyA: 0, onlyB: 0 });
    const cli = kseg(['diff', a, b, '--json']);
    expect(cli.status).toBe(1);
    expect(JSON.parse(cli.stdout).firstDivergingOffset).toBe(hit.batch.baseOffset);
  });

  it('a value rewritten with its CRC kept: found by --deep only (headers agree), named by record offset', async () => {
    const a = await gen(path.join(tmpDir(), 'v-0'), { compression: ['none'] });
    const b = copy(a, 'v-0');
    const hit = batches(b).find((x) => x.batch.baseOffset <= 500 && x.batch.lastOffset >= 500)!;
    const last = hit.batch.position + hit.batch.size - 1;
    const orig = fs.readFileSync(hit.log).subarray(last, last + 1);
    patch(hit.log, last, Buffer.from([orig[0]! ^ 0x01]));
    expect(diff(a, b).same).toBe(true);
    const r = diff(a, b, { deep: true });
    expect(r.same).toBe(false);
    expect(r.batches[0]!.fields).toEqual(['bytes']);
    expect(r.firstDivergingOffset).toBe(hit.batch.baseOffset);
  });

  it('a truncated follower (UnifiedLog.truncateTo at X): offsets from X on are only in A, log end offsets differ', async () => {
    const a = await gen(path.join(tmpDir(), 'tr-0'));
    const b = copy(a, 'tr-0');
    const X = 1000;
    const cut = batches(a).find((x) => x.batch.lastOffset >= X)!.batch.baseOffset;
    expect(kseg(['truncate', b, '--to-offset', String(X), '-y']).status).toBe(0);
    const r = diff(a, b);
    expect(r.same).toBe(false);
    expect(r.firstDivergingOffset).toBe(cut);
    expect(r.a.logEndOffset).toBe(1500);
    expect(r.b.logEndOffset).toBe(cut);
    expect(r.onlyInA).toEqual([[cut, 1499]]);
    expect(r.onlyInB).toEqual([]);
    expect(r.recordsOnlyInA).toBe(1500 - cut);
    expect(r.indexes.mattering).toBe(0);
  });

  it("extra records on one side: the longer replica has them, first diverging offset at the shorter one's end", async () => {
    const a = await gen(path.join(tmpDir(), 'x-0'));
    const b = copy(a, 'x-0');
    const X = 1200;
    const cut = batches(a).find((x) => x.batch.lastOffset >= X)!.batch.baseOffset;
    expect(kseg(['truncate', a, '--to-offset', String(X), '-y']).status).toBe(0);
    const r = diff(a, b);
    expect(r.firstDivergingOffset).toBe(cut);
    expect(r.onlyInB).toEqual([[cut, 1499]]);
    expect(r.recordsOnlyInB).toBe(1500 - cut);
    expect(kseg(['diff', a, b]).stdout).toContain(`first diverging offset: ${cut}`);
  });

  it('per-batch vs sparse offset index entries are layout only (exit 0); an entry pointing at another batch matters (exit 1)', async () => {
    const a = await gen(path.join(tmpDir(), 'ix-0'));
    const b = copy(a, 'ix-0');
    // B: an entry for every batch (lastOffset, position), as a broker with index.interval.bytes=1 writes.
    const seg0 = scanPartitionDir(b).segments[0]!;
    const all = batches(b).filter((x) => x.log.endsWith(seg0.log));
    const idx = Buffer.alloc(all.length * 8);
    all.forEach((x, i) => {
      idx.writeInt32BE(x.batch.lastOffset - seg0.baseOffset, i * 8);
      idx.writeInt32BE(x.batch.position, i * 8 + 4);
    });
    fs.writeFileSync(path.join(b, seg0.index!), idx);
    const r = diff(a, b);
    expect(r.indexes.mattering).toBe(0);
    expect(r.indexes.layoutOnly).toContain(`B:${seg0.index}`);
    expect(r.same).toBe(true);
    expect(kseg(['diff', a, b]).status).toBe(0);
    // Now the 6th entry points at the 8th batch: a lookup of its offset lands on a later batch.
    idx.writeInt32BE(all[7]!.batch.position, 5 * 8 + 4);
    fs.writeFileSync(path.join(b, seg0.index!), idx);
    const r2 = diff(a, b);
    expect(r2.same).toBe(false);
    expect(r2.indexes.mattering).toBeGreaterThan(0);
    expect(r2.indexes.differences[0]).toMatchObject({
      replica: 'b',
      offset: all[5]!.batch.lastOffset,
      lands: { baseOffset: all[7]!.batch.baseOffset },
      expected: { baseOffset: all[5]!.batch.baseOffset },
    });
    expect(r2.batchesDiffering).toBe(0);
    expect(kseg(['diff', a, b]).status).toBe(1);
  });

  it('segments rolled at other offsets with identical batches: indexes layout only, batches identical', async () => {
    const a = await gen(path.join(tmpDir(), 'r-0'), { segmentBytes: 48 * 1024 });
    const b = await gen(path.join(tmpDir(), 'r-0'), { segmentBytes: 64 * 1024 });
    const r = diff(a, b);
    expect(r.batchesDiffering).toBe(0);
    expect(r.indexes.mattering).toBe(0);
    expect(r.indexes.onlyInA.length + r.indexes.onlyInB.length).toBeGreaterThan(0);
  });

  it('legacy formats and compressed wrappers: same seed same, a truncation found', async () => {
    for (const magic of [0, 1] as const) {
      const a = await gen(path.join(tmpDir(), `l${magic}-0`), { magic, compression: ['gzip', 'none'], records: 600 });
      const b = copy(a, `l${magic}-0`);
      expect(diff(a, b).same).toBe(true);
      expect(kseg(['truncate', b, '--to-offset', '300', '-y']).status).toBe(0);
      const r = diff(a, b);
      expect(r.same).toBe(false);
      expect(r.onlyInA[0]![1]).toBe(599);
      expect(r.firstDivergingOffset).toBeLessThanOrEqual(300);
    }
  });

  it('leader-epoch-checkpoint entries that differ (LeaderEpochFileCache: OffsetsForLeaderEpoch would answer otherwise) make the replicas different', async () => {
    const a = await gen(path.join(tmpDir(), 'le-0'), { leaderEpochs: 3 });
    const b = copy(a, 'le-0');
    expect(diff(a, b).leaderEpochs.same).toBe(true);
    const text = fs.readFileSync(path.join(b, 'leader-epoch-checkpoint'), 'utf8').split('\n');
    expect(Number(text[1])).toBeGreaterThan(1);
    fs.writeFileSync(path.join(b, 'leader-epoch-checkpoint'), [text[0], String(Number(text[1]) - 1), ...text.slice(2, -2), ''].join('\n'));
    const r = diff(a, b);
    expect(r.batchesDiffering).toBe(0);
    expect(r.leaderEpochs.same).toBe(false);
    expect(r.leaderEpochs.b!.length).toBe(r.leaderEpochs.a!.length - 1);
    expect(r.same).toBe(false);
    expect(kseg(['diff', a, b]).stdout).toContain('leader-epoch-checkpoint differs');
  });

  it('the same records batched otherwise (generate --layout per-append): boundaries differ, records identical, diverging at the first batch', async () => {
    const a = await gen(path.join(tmpDir(), 'pa-0'), { records: 800 });
    const b = await gen(path.join(tmpDir(), 'pa-0'), { records: 800, layout: 'per-append' });
    const r = diff(a, b);
    expect(r.same).toBe(false);
    expect(r.batches.length).toBeGreaterThan(0);
    expect(r.batches.every((d) => d.kind === 'boundaries' && d.records!.differing + d.records!.onlyA + d.records!.onlyB === 0)).toBe(true);
    expect(r.firstDivergingOffset).toBe(r.batches[0]!.baseOffset);
    expect(r.recordsOnlyInA + r.recordsOnlyInB).toBe(0);
  });

  it('usage: the same directory twice is exit 2', async () => {
    const a = await gen(path.join(tmpDir(), 'u-0'), { records: 50 });
    expect(kseg(['diff', a, a]).status).toBe(2);
    const logDir = path.dirname(a);
    const r = kseg(['diff', logDir, a]);
    expect(r.status).toBe(2);
    expect(r.stderr).toContain('holds partition directories');
  });
});

describe.skipIf(!HAVE_REAL)('kseg diff on real broker data', () => {
  it('a real partition against its copy is the same; with its last batch cut off, the copy diverges there', () => {
    const p = path.join(REAL, 'kafka-go', 'v2c-v2-v2c', 'test-natty-0');
    const b = copy(p, 'test-natty-0');
    for (const f of fs.readdirSync(b)) fs.chmodSync(path.join(b, f), 0o644);
    expect(diff(p, b).same).toBe(true);
    const bs = batches(b);
    const last = bs[bs.length - 1]!;
    fs.truncateSync(last.log, last.batch.position);
    const r = diff(p, b);
    expect(r.same).toBe(false);
    expect(r.firstDivergingOffset).toBe(last.batch.baseOffset);
    expect(r.onlyInA).toEqual([[last.batch.baseOffset, last.batch.lastOffset]]);
  });
});
