import fs from 'node:fs';
import path from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { batchRecords } from '../src/format/batch.js';
import { generate, type GenerateOptions } from '../src/ops/generate.js';
import { dump } from '../src/ops/dump.js';
import { grepPartition, newStats, type GrepCriteria } from '../src/ops/grep.js';
import { recordNdjson } from '../src/cli/render.js';
import type { Decoders } from '../src/cli/decoders.js';
import { HAVE_REAL, REAL, kseg, ndjsonLines, tmpDir } from './helpers.js';

const D: Decoders = { key: 'utf8', value: 'utf8', header: 'utf8' };

/** dump's NDJSON lines of a partition (every record, in order). */
function dumpLines(dir: string): string[] {
  const lines: string[] = [];
  for (const ev of dump([dir], { records: true })) if (ev.type === 'record') lines.push(recordNdjson(ev.record, ev.batch, D));
  return lines;
}

function grepLines(dir: string, c: GrepCriteria): string[] {
  const lines: string[] = [];
  for (const ev of grepPartition(dir, c)) {
    if (ev.type === 'error') throw ev.error;
    if (ev.type === 'match') lines.push(recordNdjson(ev.record, ev.batch, D));
  }
  return lines;
}

/** The oracle: the criteria applied to dump's parsed NDJSON objects (independent of ops/grep's matcher). */
interface JsonCriteria {
  key?: string;
  keyRegex?: string;
  header?: { name: string; value?: string };
  valueContains?: string;
  fromOffset?: number;
  toOffset?: number;
  fromTimestamp?: number;
  toTimestamp?: number;
}

function oracle(lines: string[], c: JsonCriteria): string[] {
  return lines.filter((l) => {
    const o = JSON.parse(l);
    if (c.fromOffset !== undefined && o.offset < c.fromOffset) return false;
    if (c.toOffset !== undefined && o.offset > c.toOffset) return false;
    if (c.fromTimestamp !== undefined && o.timestamp < c.fromTimestamp) return false;
    if (c.toTimestamp !== undefined && o.timestamp > c.toTimestamp) return false;
    if (c.key !== undefined && o.key !== c.key) return false;
    if (c.keyRegex !== undefined && (o.key === null || !new RegExp(c.keyRegex, 'u').test(o.key))) return false;
    if (c.valueContains !== undefined && (o.value === null || !o.value.includes(c.valueContains))) return false;
    if (
      c.header !== undefined &&
      !o.headers.some((h: { key: string; value: string | null }) => h.key === c.header!.name && (c.header!.value === undefined || h.value === c.header!.value))
    )
      return false;
    return true;
  });
}

function toCriteria(c: JsonCriteria): GrepCriteria {
  return {
    key: c.key !== undefined ? Buffer.from(c.key) : undefined,
    keyRegex: c.keyRegex !== undefined ? new RegExp(c.keyRegex, 'u') : undefined,
    headers: c.header ? [{ name: Buffer.from(c.header.name), value: c.header.value !== undefined ? Buffer.from(c.header.value) : undefined }] : undefined,
    valueContains: c.valueContains !== undefined ? Buffer.from(c.valueContains) : undefined,
    fromOffset: c.fromOffset,
    toOffset: c.toOffset,
    fromTimestamp: c.fromTimestamp,
    toTimestamp: c.toTimestamp,
  };
}

async function gen(dir: string, o: Partial<GenerateOptions>): Promise<string> {
  await generate(dir, { records: 400, segmentBytes: 16 * 1024, indexIntervalBytes: 1024, keySpace: 30, fsync: false, ...o });
  return dir;
}

describe('grep: results equal a filter over dump NDJSON', () => {
  const layouts: Partial<GenerateOptions>[] = [
    { magic: 0, compression: ['none'] },
    { magic: 0, compression: ['gzip', 'none'] },
    { magic: 1, compression: ['none', 'snappy'] },
    { magic: 1, compression: ['lz4'], timestampJitter: 500 },
    { magic: 2, compression: ['none'], headers: 3 },
    { magic: 2, compression: ['gzip', 'zstd', 'lz4', 'snappy', 'none'], headers: 2, timestampJitter: 2000 },
    { magic: 2, compression: ['none'], headers: 1, transactions: true, timestampType: 'LogAppendTime' },
    { magic: 2, compression: ['zstd'], tombstoneRatio: 0.2, idempotent: true, headers: 2 },
  ];
  for (const [i, layout] of layouts.entries()) {
    it(`v${layout.magic} ${layout.compression!.join('+')}${layout.transactions ? ' txn' : ''}: random criteria (property)`, async () => {
      const dir = await gen(path.join(tmpDir(), `grep${i}-0`), { ...layout, seed: 100 + i });
      const lines = dumpLines(dir);
      const objs = lines.map((l) => JSON.parse(l));
      expect(objs.length).toBeGreaterThan(300);
      const keys = [...new Set(objs.map((o) => o.key).filter((k) => k !== null))] as string[];
      const headerNames = [...new Set(objs.flatMap((o) => o.headers.map((h: { key: string }) => h.key)))] as string[];
      const headerPairs = objs.flatMap((o) =>
        o.headers.filter((h: { value: string | null }) => typeof h.value === 'string').map((h: { key: string; value: string }) => ({ name: h.key, value: h.value })),
      );
      const first = objs[0].offset as number;
      const last = objs[objs.length - 1].offset as number;
      const ts = objs.map((o) => o.timestamp as number).sort((a, b) => a - b);
      const arb: fc.Arbitrary<JsonCriteria> = fc
        .record(
          {
            key: fc.constantFrom(...keys, 'no-such-key'),
            keyRegex: fc.constantFrom('^key-00000[0-4]$', '7$', 'key-0000(1|2)'),
            header: headerNames.length
              ? fc.oneof(
                  fc.constantFrom(...headerNames).map((name) => ({ name })),
                  fc.constantFrom(...headerPairs),
                )
              : fc.constant(undefined),
            valueContains: fc.constantFrom('alpha', 'echo kilo', '|', 'zzzz-not-there'),
            fromOffset: fc.integer({ min: first, max: last + 2 }),
            toOffset: fc.integer({ min: first - 1, max: last + 2 }),
            fromTimestamp: fc.constantFrom(...ts),
            toTimestamp: fc.constantFrom(...ts),
          },
          { requiredKeys: [] },
        )
        .filter(
          (c) =>
            (c.fromOffset === undefined || c.toOffset === undefined || c.toOffset >= c.fromOffset) &&
            (c.fromTimestamp === undefined || c.toTimestamp === undefined || c.toTimestamp >= c.fromTimestamp),
        );
      fc.assert(
        fc.property(arb, (c) => {
          expect(grepLines(dir, toCriteria(c))).toEqual(oracle(lines, c));
        }),
        { numRuns: 60, seed: 14 + i },
      );
    }, 60_000);
  }
});

describe('grep: reading less', () => {
  it('--from-timestamp skips rolled segments whose time index ends below it (LogSegment.largestTimestamp) and still finds every match', async () => {
    const dir = await gen(path.join(tmpDir(), 'ts-0'), { records: 2000, seed: 3 });
    const lines = dumpLines(dir);
    const objs = lines.map((l) => JSON.parse(l));
    const from = objs[Math.floor(objs.length * 0.8)].timestamp as number;
    const stats = newStats();
    const got: string[] = [];
    const g = grepPartition(dir, { fromTimestamp: from }, stats);
    for (let n = g.next(); !n.done; n = g.next()) if (n.value.type === 'match') got.push(recordNdjson(n.value.record, n.value.batch, D));
    expect(got).toEqual(oracle(lines, { fromTimestamp: from }));
    expect(stats.segmentsSkipped).toBeGreaterThan(0);
  });

  it('--from-offset starts through the offset index; segments outside the offset bounds are not read', async () => {
    const dir = await gen(path.join(tmpDir(), 'off-0'), { records: 2000, seed: 4 });
    const lines = dumpLines(dir);
    const stats = newStats();
    const got: string[] = [];
    const g = grepPartition(dir, { fromOffset: 1000, toOffset: 1100 }, stats);
    for (let n = g.next(); !n.done; n = g.next()) if (n.value.type === 'match') got.push(recordNdjson(n.value.record, n.value.batch, D));
    expect(got).toEqual(oracle(lines, { fromOffset: 1000, toOffset: 1100 }));
    expect(got.length).toBe(101);
    expect(stats.segmentsSkipped).toBeGreaterThan(0);
    // the offset index puts the start at most one index interval before the batch holding 1000
    expect(stats.batchesRead).toBeLessThan(40);
  });

  it('a key match skips batches whose bytes do not hold the key, without decoding them', async () => {
    const dir = await gen(path.join(tmpDir(), 'skip-0'), { records: 2000, keySpace: 500, seed: 5, compression: ['none', 'zstd'] });
    const stats = newStats();
    const g = grepPartition(dir, { key: Buffer.from('key-000123') }, stats);
    let matches = 0;
    for (let n = g.next(); !n.done; n = g.next()) if (n.value.type === 'match') matches++;
    expect(matches).toBe(oracle(dumpLines(dir), { key: 'key-000123' }).length);
    expect(stats.batchesSkipped).toBeGreaterThan(stats.batchesRead / 2);
  });
});

describe('kseg grep (CLI)', () => {
  it('--ndjson lines are byte-equal to dump --ndjson lines of the same records; text, -c and exit codes', async () => {
    const dir = await gen(path.join(tmpDir(), 'cli-0'), { seed: 9, headers: 2, compression: ['none', 'gzip'] });
    const dumped = kseg(['dump', dir, '--ndjson']).stdout.split('\n').filter(Boolean);
    const want = dumped.filter((l) => JSON.parse(l).key === 'key-000004');
    expect(want.length).toBeGreaterThan(0);
    const r = kseg(['grep', dir, '--key', 'key-000004', '--ndjson']);
    expect(r.status).toBe(0);
    expect(r.stdout.split('\n').filter(Boolean)).toEqual(want);
    const c = kseg(['grep', dir, '--key', 'key-000004', '-c']);
    expect(c.stdout).toBe(`${want.length}\n`);
    const t = kseg(['grep', dir, '--key', 'key-000004']);
    expect(t.stdout.split('\n').filter(Boolean).length).toBe(want.length);
    expect(t.stdout).toContain('key="key-000004"');
    const hex = kseg(['grep', dir, '--key', `hex:${Buffer.from('key-000004').toString('hex')}`, '-c']);
    expect(hex.stdout).toBe(`${want.length}\n`);
    const none = kseg(['grep', dir, '--key', 'no-such-key']);
    expect(none.status).toBe(1);
    expect(none.stdout).toBe('');
    expect(kseg(['grep', dir, '--key-regex', '(']).status).toBe(2);
    expect(kseg(['grep', dir, '--key', 'hex:0']).status).toBe(2);
    expect(kseg(['grep', dir, '--from-offset', '10', '--to-offset', '5']).status).toBe(2);
    const iso = kseg(['grep', dir, '--from-timestamp', new Date(1700000000000).toISOString(), '-c']);
    expect(iso.stdout).toBe(`${dumped.length}\n`);
  });

  it('a log dir: every partition in parallel, output in partition order, -c per partition, NDJSON with "partition"', async () => {
    const logDir = tmpDir();
    const parts = ['orders-0', 'orders-1', 'orders-2', 'payments-0'];
    for (const [i, p] of parts.entries()) await gen(path.join(logDir, p), { seed: 20 + i, records: 300 });
    const per = parts.map((p) => oracle(dumpLines(path.join(logDir, p)), { key: 'key-000003' }));
    const c = kseg(['grep', logDir, '--key', 'key-000003', '-c', '--jobs', '2']);
    expect(c.status).toBe(0);
    expect(c.stdout).toBe(parts.map((p, i) => `${p}: ${per[i]!.length}\n`).join(''));
    const j = JSON.parse(kseg(['grep', logDir, '--key', 'key-000003', '-c', '--json']).stdout);
    expect(j.matches).toBe(per.reduce((n, x) => n + x.length, 0));
    expect(j.partitions.map((x: { partition: string }) => x.partition)).toEqual(parts);
    const n = kseg(['grep', logDir, '--key', 'key-000003', '--ndjson', '--jobs', '3']);
    const lines = ndjsonLines(n.stdout);
    const expected = parts.flatMap((p, i) => per[i]!.map((l) => ({ ...JSON.parse(l), partition: p })));
    expect(lines).toEqual(expected);
  });

  it('corrupt data: the rest is still searched, the error names file and byte, exit 3', async () => {
    const dir = await gen(path.join(tmpDir(), 'bad-0'), { seed: 11, records: 600, corrupt: 'size' });
    const r = kseg(['grep', dir, '--key-regex', '.']);
    expect(r.status).toBe(3);
    expect(r.stderr).toMatch(/\.log at byte \d+/);
    expect(r.stdout.length).toBeGreaterThan(0);
  });
});

describe.skipIf(!HAVE_REAL)('kseg grep on real broker data', () => {
  const partitions: string[] = [];
  if (HAVE_REAL) {
    for (const line of fs.readFileSync(path.join(REAL, 'MANIFEST.tsv'), 'utf8').split('\n').slice(1)) {
      const p = line.split('\t')[0];
      if (p && fs.existsSync(path.join(REAL, p)) && fs.readdirSync(path.join(REAL, p)).some((f) => f.endsWith('.log'))) partitions.push(p);
    }
  }
  it("every real partition: grep by each record's key equals dump filtered by that key (first 3 keys)", () => {
    expect(partitions.length).toBeGreaterThan(0);
    for (const p of partitions) {
      const dir = path.join(REAL, p);
      const lines = dumpLines(dir);
      const keys = [...new Set(lines.map((l) => JSON.parse(l).key).filter((k) => typeof k === 'string'))].slice(0, 3) as string[];
      for (const k of keys) expect(grepLines(dir, { key: Buffer.from(k) }), `${p} key ${k}`).toEqual(oracle(lines, { key: k }));
      expect(grepLines(dir, {}), p).toEqual(lines);
      // batch maxTimestamp is trusted to pass batches over: check it against real producers' batches
      const ts = [...new Set(lines.map((l) => JSON.parse(l).timestamp as number))].sort((x, y) => x - y);
      for (const t of [ts[0]!, ts[Math.floor(ts.length / 2)]!, ts[ts.length - 1]!]) {
        expect(grepLines(dir, { fromTimestamp: t }), `${p} from ${t}`).toEqual(oracle(lines, { fromTimestamp: t }));
        expect(grepLines(dir, { toTimestamp: t }), `${p} to ${t}`).toEqual(oracle(lines, { toTimestamp: t }));
      }
    }
    // ~10 greps on each of the ~100 real partitions: 20 s idle, past 60 s on a loaded 2-core machine
  }, 240_000);
  void batchRecords;
});
