import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { exportPartitions } from '../src/ops/export.js';
import { importPartition, type ImportResult } from '../src/ops/import.js';
import { generate, type GenerateOptions } from '../src/ops/generate.js';
import { rebuildIndex } from '../src/ops/rebuild-index.js';
import { verify } from '../src/index.js'; // not ops/verify.ts: that path is being split (issue 13)
import { FIXTURES, HAVE_REAL, REAL, healthyCases, kseg, readNdjson, tmpDir } from './helpers.js';

/**
 * kseg export / import (issue 15). Generation, verify and index checks run in process (only the
 * tests about the CLI spawn it), which keeps this file's time down. The rows carry every input of the batch encoders (Kafka's
 * MemoryRecordsBuilder for v2, the legacy message layout of LegacyRecord / AbstractLegacyRecordBatch
 * for v0/v1), so an unmodified export imports the same .log bytes; compressed batches from another
 * codec implementation are "recompressed" (same records, CRCs reported).
 */

const logs = (dir: string) =>
  fs
    .readdirSync(dir)
    .filter((f) => f.endsWith('.log'))
    .sort();

/** A partition generated in process (as `kseg generate --no-fsync` with these options). */
const gen = (dir: string, o: Partial<GenerateOptions>) => generate(dir, { fsync: false, ...o }, { ioWorker: false });
/** What `kseg verify` exits 0 on: no errors. */
const verifiesClean = (dir: string): void => expect(verify([dir]).issues.filter((i) => i.severity === 'error')).toEqual([]);
/** What `kseg rebuild-index --check` exits 0 on: every index file equals a rebuild. */
const indexesAsRebuilt = (dir: string): void => expect(rebuildIndex(dir, { check: true }).differences).toBe(0);

/** The consumer-visible content of a partition, from an NDJSON export. */
async function content(dir: string): Promise<unknown[]> {
  const out = tmpDir();
  const f = path.join(out, 'c.ndjson');
  await exportPartitions(dir, { format: 'ndjson', output: f });
  return readNdjson(f).map((r) => [
    r.offset,
    r.timestamp,
    r.timestampType,
    r.key,
    r.value,
    JSON.stringify(r.headers),
    r.isControl,
    r.isTransactional,
    r.producerId,
    r.baseSequence,
    r.partitionLeaderEpoch,
  ]);
}

/** Every .log byte-identical, or each differing batch listed as recompressed/crc-repaired. */
async function checkRoundTrip(orig: string, imported: string, r: ImportResult): Promise<void> {
  expect(r.edited).toBe(0);
  expect(logs(imported)).toEqual(logs(orig).filter((l) => r.segments.some((s) => s.file === l)));
  if (r.rewritten === 0) {
    for (const l of logs(imported)) expect(fs.readFileSync(path.join(imported, l)).equals(fs.readFileSync(path.join(orig, l))), l).toBe(true);
  } else {
    expect(await content(imported)).toEqual(await content(orig));
  }
}

describe('kseg export | import round trip', () => {
  it.each(healthyCases())('fixture %s: import(export(p)) is byte-identical or reports recompressed batches with their CRCs', async (c) => {
    const dir = path.join(FIXTURES, c, 'topic-0');
    const out = tmpDir();
    const file = path.join(out, 'x.parquet');
    const e = await exportPartitions(dir, { format: 'parquet', output: file });
    const r = await importPartition(file, path.join(out, 'imp', 'topic-0'));
    expect(r.records).toBe(e.records);
    await checkRoundTrip(dir, path.join(out, 'imp', 'topic-0'), r);
    expect(r.rewrittenBatches).toHaveLength(Math.min(r.rewritten, 1000));
    for (const b of r.rewrittenBatches) expect(b.crc).not.toBe(b.exportedCrc);
    verifiesClean(path.join(out, 'imp', 'topic-0'));
  });

  type Codec = 'none' | 'gzip' | 'snappy' | 'snappy-xerial' | 'lz4' | 'zstd';
  const gens: [string, Partial<GenerateOptions>][] = [];
  for (const codec of ['none', 'gzip', 'snappy', 'snappy-xerial', 'lz4', 'zstd'] as Codec[])
    gens.push([`v2 ${codec}`, { magic: 2, compression: [codec], headers: 2, tombstoneRatio: 0.1 }]);
  for (const magic of [0, 1] as const) for (const codec of ['none', 'gzip', 'snappy', 'lz4'] as Codec[]) gens.push([`v${magic} ${codec}`, { magic, compression: [codec] }]);
  gens.push(['v2 mixed LogAppendTime', { compression: ['none', 'gzip', 'zstd'], timestampType: 'LogAppendTime' }]);
  gens.push(['v2 transactions', { compression: ['none', 'lz4'], transactions: true, abortRatio: 0.3 }]);

  it.each(gens)('generated %s: every .log byte-identical through parquet, ndjson and csv', async (_n, o) => {
    const root = tmpDir();
    const dir = path.join(root, 'g-0');
    await gen(dir, { records: 600, segmentBytes: 16 * 1024, ...o });
    expect(logs(dir).length).toBeGreaterThan(1);
    for (const format of ['parquet', 'ndjson', 'csv'] as const) {
      const f = path.join(root, `x.${format}`);
      await exportPartitions(dir, { format, output: f });
      const r = await importPartition(f, path.join(root, format, 'g-0'));
      expect(r.rewritten, JSON.stringify(r.rewrittenBatches.slice(0, 3))).toBe(0);
      expect(r.identical).toBe(r.batches);
      for (const l of logs(dir)) expect(fs.readFileSync(path.join(root, format, 'g-0', l)).equals(fs.readFileSync(path.join(dir, l))), `${format} ${l}`).toBe(true);
      // LogLoader: indexes rebuilt as recovery writes them
      indexesAsRebuilt(path.join(root, format, 'g-0'));
    }
  });

  it('v1 LogAppendTime wrappers: inner create times are not exported (consumers see the append time), so the import reports them recompressed with the same records', async () => {
    const root = tmpDir();
    const dir = path.join(root, 'g-0');
    await gen(dir, { records: 300, magic: 1, compression: ['lz4'], timestampType: 'LogAppendTime' });
    const f = path.join(root, 'x.parquet');
    await exportPartitions(dir, { format: 'parquet', output: f });
    const r = await importPartition(f, path.join(root, 'imp', 'g-0'));
    expect(r.recompressed).toBe(r.batches);
    await checkRoundTrip(dir, path.join(root, 'imp', 'g-0'), r);
  });
});

describe('kseg export: readers', () => {
  it('DuckDB: count(*) and max("offset") equal dump\'s counts; GROUP BY key works; hyparquet reads the same rows', async () => {
    const { DuckDBInstance } = await import('@duckdb/node-api');
    const root = tmpDir();
    const dir = path.join(root, 'orders-0');
    await gen(dir, { records: 3000, segmentBytes: 64 * 1024, compression: ['none', 'zstd'], headers: 2 });
    const f = path.join(root, 'orders.parquet');
    const e = kseg(['export', dir, '-o', f, '--json', '--row-group-rows', '1000']);
    expect(e.status, e.stderr).toBe(0);
    const dumped = kseg(['dump', dir, '--ndjson'])
      .stdout.trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    const db = await DuckDBInstance.create(':memory:');
    const c = await db.connect();
    const [row] = (await c.runAndReadAll(`SELECT count(*), max("offset") FROM '${f}'`)).getRows();
    expect(Number(row![0])).toBe(dumped.length);
    expect(Number(row![1])).toBe(Math.max(...dumped.map((d) => d.offset)));
    const groups = (await c.runAndReadAll(`SELECT decode(key) AS k, count(*) AS n FROM '${f}' GROUP BY key ORDER BY n DESC, k`)).getRows();
    const model = new Map<string, number>();
    for (const d of dumped) model.set(d.key, (model.get(d.key) ?? 0) + 1);
    expect(groups.length).toBe(model.size);
    for (const [k, n] of groups) expect(Number(n)).toBe(model.get(k as string));
    const [h] = (await c.runAndReadAll(`SELECT count(*) FROM (SELECT unnest(headers) AS h FROM '${f}')`)).getRows();
    expect(Number(h![0])).toBe(dumped.reduce((s, d) => s + d.headers.length, 0));
    // a second reader
    const hp = await import('hyparquet');
    const rows = await hp.parquetReadObjects({ file: await hp.asyncBufferFromFile(f), columns: ['offset', 'batchCrc', 'crcValid'] });
    expect(rows.length).toBe(dumped.length);
    expect(rows.map((r) => Number(r.offset))).toEqual(dumped.map((d) => d.offset));
    expect(rows.every((r) => r.crcValid === true)).toBe(true);
    const meta = await hp.parquetMetadataAsync(await hp.asyncBufferFromFile(f));
    expect(meta.row_groups.length).toBe(3); // streamed in groups of --row-group-rows
    expect(meta.row_groups[0]!.columns[0]!.meta_data!.codec).toBe('SNAPPY');
  });

  it('a filtered export (DuckDB COPY ... WHERE) imports as a valid partition with the kept records and rebuilt indexes', async () => {
    const { DuckDBInstance } = await import('@duckdb/node-api');
    const root = tmpDir();
    const dir = path.join(root, 'orders-0');
    await gen(dir, { records: 2000, segmentBytes: 32 * 1024, compression: ['none', 'gzip', 'lz4'], keySpace: 20 });
    const f = path.join(root, 'all.parquet');
    await exportPartitions(dir, { format: 'parquet', output: f });
    const g = path.join(root, 'filtered.parquet');
    const db = await DuckDBInstance.create(':memory:');
    const c = await db.connect();
    await c.run(`COPY (SELECT * FROM '${f}' WHERE decode(key) <> 'key-000003' ORDER BY file, position, "offset") TO '${g}' (FORMAT parquet)`);
    const out = path.join(root, 'imp', 'orders-0');
    const r = await importPartition(g, out);
    expect(r.edited).toBeGreaterThan(0);
    verifiesClean(out);
    indexesAsRebuilt(out);
    const want = (await content(dir)).filter((x) => (x as unknown[])[3] !== Buffer.from('key-000003').toString('base64'));
    expect(want.length).toBeGreaterThan(0);
    expect(await content(out)).toEqual(want);
  });
});

describe('kseg export/import: bad input and safety', () => {
  it('refuses a non-empty output directory, and leaves nothing behind on a bad row (file and row named)', async () => {
    const root = tmpDir();
    const src = path.join(FIXTURES, 'v2-none', 'topic-0');
    const f = path.join(root, 'x.ndjson');
    await exportPartitions(src, { format: 'ndjson', output: f });
    const busy = path.join(root, 'busy');
    fs.mkdirSync(busy);
    fs.writeFileSync(path.join(busy, 'keep'), 'x');
    const a = kseg(['import', f, '-o', busy]);
    expect(a.status).toBe(2);
    expect(a.stderr).toMatch(/not empty/);
    // a row whose file name escapes the directory
    const lines = fs.readFileSync(f, 'utf8').trim().split('\n');
    const evil = JSON.parse(lines[0]!);
    evil.file = '../00000000000000000000.log';
    const bad = path.join(root, 'bad.ndjson');
    fs.writeFileSync(bad, JSON.stringify(evil) + '\n');
    const b = kseg(['import', bad, '-o', path.join(root, 'o1')]);
    expect(b.status).toBe(3);
    expect(b.stderr).toMatch(/not a segment name/);
    // a truncated line
    fs.writeFileSync(bad, lines[0] + '\n' + lines[1]!.slice(0, 40) + '\n');
    const c = kseg(['import', bad, '-o', path.join(root, 'o2'), '--json']);
    expect(c.status).toBe(3);
    expect(c.stderr).toMatch(/row 2: not JSON/);
    expect(JSON.parse(c.stderr.trim().split('\n').pop()!).error.file).toBe(bad);
    expect(fs.existsSync(path.join(root, 'o2'))).toBe(false);
    expect(fs.readdirSync(root).filter((n) => n.includes('kseg-import'))).toEqual([]);
    // rows out of export order
    fs.writeFileSync(bad, [lines[lines.length - 1], lines[0]].join('\n') + '\n');
    expect(kseg(['import', bad, '-o', path.join(root, 'o3')]).stderr).toMatch(/export order/);
  });

  it('export refuses to overwrite without --force and writes one file per partition for a log directory', async () => {
    const root = tmpDir();
    for (const p of ['a-0', 'a-1']) await gen(path.join(root, 'logs', p), { records: 50 });
    const out = path.join(root, 'out');
    const r = kseg(['export', path.join(root, 'logs'), '--format', 'csv', '-o', out, '--json']);
    expect(r.status, r.stderr).toBe(0);
    expect(fs.readdirSync(out).sort()).toEqual(['a-0.csv', 'a-1.csv']);
    expect(JSON.parse(r.stdout).records).toBe(100);
    expect(kseg(['export', path.join(root, 'logs'), '--format', 'csv', '-o', out]).status).toBe(2);
    expect(kseg(['export', path.join(root, 'logs'), '--format', 'csv', '-o', out, '--force']).status).toBe(0);
  });
});

describe.skipIf(!HAVE_REAL)('real data', () => {
  const cases = [
    'kafkajs/v4_response_mixed_formats/test-mixed-message-formats-0',
    'ldi-poc/kafka-logs/__cluster_metadata-0',
    'kafka-go/v1-v1c-v2-v2c-v2b-v2b-v2b-v2bc-v1b-v1bc/test-88-0',
    'rskafka/zstd/rskafka-zstd-0',
  ];
  it.each(cases)('%s: export | import keeps every record; uncompressed batches byte-identical', async (p) => {
    const dir = path.join(REAL, p);
    expect(fs.existsSync(dir), `${dir} is missing from ../shared/real`).toBe(true);
    const root = tmpDir();
    const f = path.join(root, 'x.parquet');
    await exportPartitions(dir, { format: 'parquet', output: f });
    const out = path.join(root, 'imp', 'x-0');
    const r = await importPartition(f, out);
    await checkRoundTrip(dir, out, r);
    verifiesClean(out);
  });
});
