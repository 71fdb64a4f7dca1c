import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { exportPartitions, exportTargets, partitionRows, type ExportPartitionSummary } from '../src/ops/export.js';
import { rowToJson } from '../src/ops/export-writers.js';
import { generate } from '../src/ops/generate.js';
import { FIXTURES, healthyCases, readNdjson, tmpDir } from './helpers.js';

/**
 * The export writers build each line / column from a batch's fields once per batch (issue 15:
 * throughput). These tests hold the fast paths to the plain definition: a row object through
 * rowToJson (NDJSON: JSON.stringify of it; CSV: RFC 4180 fields of it), and a Parquet file whose
 * every cell, read back by DuckDB and by hyparquet, is the row's.
 */

const summary = (): ExportPartitionSummary => ({ dir: '', topic: null, partition: null, batches: 0, records: 0, logs: [] });
const rowsOf = (dir: string) => [...partitionRows(exportTargets(dir)[0]!, summary())].map(rowToJson);

function csvField(v: unknown): string {
  if (v === null || v === undefined) return '';
  const s = typeof v === 'string' ? v : typeof v === 'object' ? JSON.stringify(v) : String(v);
  return /[",\r\n]/.test(s) ? '"' + s.replace(/"/g, '""') + '"' : s;
}

const dirs = [...healthyCases().map((c) => path.join(FIXTURES, c, 'topic-0'))];

describe('kseg export: NDJSON and CSV lines equal the row definition', () => {
  it.each(dirs)('%s', async (dir) => {
    const want = rowsOf(dir);
    const out = tmpDir();
    await exportPartitions(dir, { format: 'ndjson', output: path.join(out, 'x.ndjson') });
    const lines = fs.readFileSync(path.join(out, 'x.ndjson'), 'utf8').split('\n');
    expect(lines.pop()).toBe('');
    expect(lines).toEqual(want.map((r) => JSON.stringify(r)));
    await exportPartitions(dir, { format: 'csv', output: path.join(out, 'x.csv') });
    const csv = fs.readFileSync(path.join(out, 'x.csv'), 'utf8');
    const head = Object.keys(want[0] ?? {}).join(',');
    expect(csv).toBe([head, ...want.map((r) => Object.values(r).map(csvField).join(','))].join('\r\n') + '\r\n');
  });
});

describe('kseg export: Parquet cells equal the rows (DuckDB and hyparquet)', () => {
  const cases: [string, () => Promise<string>][] = [
    ...['v2-headers', 'v2-compact', 'v1-gzip', 'v0-none', 'v2-txn'].map((c): [string, () => Promise<string>] => [c, async () => path.join(FIXTURES, c, 'topic-0')]),
    [
      'generated: 64 KiB values over several pages, headers, tombstones',
      async () => {
        const dir = path.join(tmpDir(), 'big-0');
        await generate(
          dir,
          { fsync: false, records: 400, valueSize: { min: 1, max: 64 * 1024 }, headers: 3, tombstoneRatio: 0.2, compression: ['none', 'zstd'] },
          { ioWorker: false },
        );
        return dir;
      },
    ],
  ];
  it.each(cases)('%s', async (_n, make) => {
    const dir = await make();
    const want = rowsOf(dir);
    const f = path.join(tmpDir(), 'x.parquet');
    await exportPartitions(dir, { format: 'parquet', output: f, rowGroupRows: 150 });
    const hp = await import('hyparquet');
    const file = await hp.asyncBufferFromFile(f);
    const rows = await hp.parquetReadObjects({ file, utf8: false });
    const norm = (r: Record<string, unknown>) => {
      const o: Record<string, unknown> = {};
      for (const [k, v] of Object.entries(r)) {
        if (k === 'headers')
          o[k] = (v as { key: Uint8Array; value: Uint8Array | null }[]).map((h) => ({
            key: Buffer.from(h.key).toString('utf8'),
            value: h.value === null || h.value === undefined ? null : Buffer.from(h.value).toString('base64'),
          }));
        else if (v instanceof Uint8Array) o[k] = ['key', 'value'].includes(k) ? Buffer.from(v).toString('base64') : Buffer.from(v).toString('utf8');
        else if (typeof v === 'bigint') o[k] = Number(v);
        else o[k] = v === undefined ? null : v;
      }
      return o;
    };
    expect(rows.map(norm)).toEqual(want);
    const { DuckDBInstance } = await import('@duckdb/node-api');
    const c = await (await DuckDBInstance.create(':memory:')).connect();
    const [agg] = (
      await c.runAndReadAll(
        `SELECT count(*), count("offset"), sum(octet_length(value)), count(value), sum(len(headers)), min("offset"), max("offset"), count(DISTINCT file) FROM '${f}'`,
      )
    ).getRows();
    const recs = want.filter((r) => r.offset !== null);
    const values = want.filter((r) => r.value !== null);
    expect(agg!.map((x) => (x === null ? null : Number(x)))).toEqual([
      want.length,
      recs.length,
      values.length ? values.reduce((s, r) => s + Buffer.from(r.value as string, 'base64').length, 0) : null,
      values.length,
      want.reduce((s, r) => s + (r.headers as unknown[]).length, 0),
      recs.length ? Math.min(...recs.map((r) => r.offset as number)) : null,
      recs.length ? Math.max(...recs.map((r) => r.offset as number)) : null,
      new Set(want.map((r) => r.file)).size,
    ]);
    const meta = await hp.parquetMetadataAsync(file);
    // groups cut after the batch that reaches --row-group-rows (or 3 MiB of keys/values/headers)
    const maxBatch = Math.max(...want.map((r) => r.recordCount as number), 1);
    expect(meta.row_groups.every((g) => Number(g.num_rows) < 150 + maxBatch)).toBe(true);
    expect(meta.row_groups.length).toBeGreaterThanOrEqual(Math.ceil(want.length / (150 + maxBatch)));
    expect(meta.row_groups.reduce((s, g) => s + Number(g.num_rows), 0)).toBe(want.length);
  });
});
