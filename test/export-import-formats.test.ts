import fs from 'node:fs';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { beforeAll, describe, expect, it } from 'vitest';
import { exportPartitions, exportTargets, partitionRows, type ExportPartitionSummary } from '../src/ops/export.js';
import { rowToJson } from '../src/ops/export-writers.js';
import { generate } from '../src/ops/generate.js';
import { encodeEmptyBatch, encodeEndTxnMarker, encodeV2Batch, encodeV2BatchSync } from '../src/format/encode.js';
import { FIXTURES, ROOT, healthyCases, kseg, readNdjson, tmpDir } from './helpers.js';

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

/**
 * A partition of what the fast writers (export-text.ts, export-walk.ts) special-case, checked
 * against the row definition: header keys that JSON escapes (quote, backslash, control characters,
 * non-ASCII, invalid UTF-8, empty), null and empty header values, keys and values of every base64
 * padding, null keys and values, record attributes, negative and huge timestamp deltas, offsets
 * beyond 2^31 and 2^32, LogAppendTime (every record's timestamp is maxTimestamp, Kafka's
 * DefaultRecordBatch), a gzip batch (walked in its decompressed payload), a transaction marker
 * (control batch), a batch left empty by the cleaner, and a line larger than the output buffer.
 */
async function edgePartition(): Promise<string> {
  const dir = path.join(tmpDir(), 'edge-7');
  fs.mkdirSync(dir);
  const headers = [
    { key: 'a"b', value: 'x' },
    { key: 'back\\slash', value: null },
    { key: 'ctl\u0001\n\t', value: '' },
    { key: 'ünï€😀', value: Buffer.from([0, 255, 1]) },
    { key: Buffer.from([0x61, 0xff, 0xfe]), value: 'v' },
    { key: '', value: 'quote"d,comma' },
  ];
  const batches = [
    encodeV2BatchSync({
      baseOffset: 0,
      records: [0, 1, 2, 3, 4, 5].map((n) => ({
        offsetDelta: n,
        timestamp: 1_700_000_000_000 + n * 7,
        key: n === 0 ? null : Buffer.alloc(n, n),
        value: n === 5 ? null : Buffer.alloc(n * 3 + 1, 0x41 + n),
        headers: headers.slice(0, n + 1),
        attributes: n === 2 ? 5 : 0,
      })),
      producerId: 9,
      producerEpoch: 2,
      baseSequence: 0x7ffffffe,
    }),
    encodeV2BatchSync({
      baseOffset: 6,
      timestampType: 'LogAppendTime',
      maxTimestamp: 1_700_000_999_999,
      records: [
        { offsetDelta: 0, timestamp: -5, key: 'k', value: 'v' },
        { offsetDelta: 3, timestamp: 1_900_000_000_000, key: 'k2', value: 'v2' },
      ],
    }),
    // a line larger than the writers' 8 MiB output buffer
    encodeV2BatchSync({
      baseOffset: 8,
      records: [{ offsetDelta: 0, timestamp: 1_700_000_000_000, key: 'big', value: Buffer.alloc(7 << 20, 0x5a), headers: [{ key: 'k"'.repeat(1000), value: null }] }],
    }),
    encodeV2BatchSync({
      baseOffset: 10,
      records: [
        { offsetDelta: 0, timestamp: -1000, key: 'neg', value: 'x' },
        { offsetDelta: 1, timestamp: 8_000_000_000_000_000, key: 'huge', value: 'y' },
      ],
    }),
    await encodeV2Batch({
      baseOffset: 5_000_000_000,
      compression: 'gzip',
      records: Array.from({ length: 20 }, (_, n) => ({
        offsetDelta: n,
        timestamp: 1_700_000_000_000 + n,
        key: `key-${n}`,
        value: 'z'.repeat(n * 11),
        headers: n % 3 ? [{ key: 'h"', value: 'w' }] : [],
      })),
    }),
    encodeEndTxnMarker({ baseOffset: 5_000_000_020, type: 'COMMIT', producerId: 9, producerEpoch: 2, timestamp: 1_700_000_000_100, coordinatorEpoch: 4 }),
    encodeEmptyBatch({
      baseOffset: 5_000_000_021,
      lastOffsetDelta: 4,
      maxTimestamp: 1_700_000_000_200,
      baseTimestamp: 1_700_000_000_200,
      producerId: 9,
      producerEpoch: 2,
      baseSequence: 3,
    }),
  ];
  fs.writeFileSync(path.join(dir, '00000000000000000000.log'), Buffer.concat(batches));
  return dir;
}

const dirs = [...healthyCases().map((c) => path.join(FIXTURES, c, 'topic-0'))];

describe('kseg export: NDJSON and CSV lines equal the row definition', () => {
  it.each([...dirs, 'edge cases of the byte writers'])('%s', async (name) => {
    const dir = name.startsWith('edge') ? await edgePartition() : name;
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
    ['edge cases of the walked batches', async () => edgePartition()],
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

// The export's progress bar (issue 18's convention: ops/progress.ts's meter, cli/progress.ts's bar on
// stderr only when it is a terminal): bytes of the partitions' .log files read.
describe('kseg export: progress', () => {
  const HAVE_SCRIPT = spawnSync('script', ['--version'], { encoding: 'utf8' }).status === 0;
  let big = '';
  beforeAll(async () => {
    big = path.join(tmpDir(), 'big-0');
    await generate(big, { fsync: false, bytes: 12 << 20, valueSize: { min: 1024, max: 1024 }, segmentBytes: 5 << 20 }, { ioWorker: false });
  }, 120_000);
  const logBytes = (d: string) =>
    fs
      .readdirSync(d)
      .filter((f) => f.endsWith('.log'))
      .reduce((n, f) => n + fs.statSync(path.join(d, f)).size, 0);

  it('reports .log bytes read, never backwards, ending at the total, with the same output as without', async () => {
    const calls: [number, number][] = [];
    const out = tmpDir();
    await exportPartitions(big, { format: 'csv', output: path.join(out, 'a.csv'), onProgress: (d, t) => calls.push([d, t]) });
    await exportPartitions(big, { format: 'csv', output: path.join(out, 'b.csv') });
    const total = logBytes(big);
    expect(calls.length).toBeGreaterThan(2);
    expect(calls.every(([, t]) => t === total)).toBe(true);
    for (let i = 1; i < calls.length; i++) expect(calls[i]![0]).toBeGreaterThanOrEqual(calls[i - 1]![0]);
    expect(calls.at(-1)![0]).toBe(total);
    expect(fs.readFileSync(path.join(out, 'a.csv')).equals(fs.readFileSync(path.join(out, 'b.csv')))).toBe(true);
  });

  it('draws no bar when stderr is not a terminal', () => {
    const r = kseg(['export', big, '--format', 'ndjson', '-o', path.join(tmpDir(), 'x.ndjson')], { env: { KSEG_PROGRESS_DELAY_MS: '0' } });
    expect(r.status, r.stderr).toBe(0);
    expect(r.stderr).toBe('');
  });

  it.skipIf(!HAVE_SCRIPT)('draws "exporting [bar] N% | X MiB of 12.x MiB" on a terminal while stdout goes to a file', () => {
    const q = (a: string) => `'${a.replace(/'/g, `'\\''`)}'`;
    const outFile = path.join(tmpDir(), 'summary.txt');
    const cmd = `${[process.execPath, path.join(ROOT, 'bin', 'kseg.js'), 'export', big, '-o', path.join(tmpDir(), 'x.parquet')].map(q).join(' ')} > ${q(outFile)}`;
    // an operator's shell: only PATH and HOME carried over (CI sets CI=true), as test/terminal.test.ts runs it
    const env = { PATH: process.env.PATH, HOME: process.env.HOME, TERM: 'xterm-256color', NO_COLOR: '1', KSEG_PROGRESS_DELAY_MS: '0' };
    const r = spawnSync('script', ['-qec', cmd, '/dev/null'], { encoding: 'utf8', env, timeout: 120_000 });
    expect(r.status, r.stdout).toBe(0);
    expect(r.stdout.replace(/\x1b\[[0-9;?]*[A-Za-z]/g, '')).toMatch(/exporting \[[#-]+\] \d+% \| [\d.]+ MiB of 12\.\d MiB/);
    expect(fs.readFileSync(outFile, 'utf8')).toMatch(/x\.parquet: \d+ records in \d+ batches from 3 segments/);
  });
});

// An undecodable batch in the middle stops the export with its file and byte position, and no
// output (neither the target nor its .kseg-tmp) is left: for Parquet with row groups in flight.
describe('kseg export: an undecodable batch', () => {
  it.each(['parquet', 'ndjson', 'csv'] as const)('%s: CorruptDataError at the batch, no file left', async (format) => {
    const dir = path.join(tmpDir(), 'bad-0');
    fs.mkdirSync(dir);
    const good = Array.from({ length: 30 }, (_, i) =>
      encodeV2BatchSync({
        baseOffset: i * 10,
        records: Array.from({ length: 10 }, (_, n) => ({ offsetDelta: n, timestamp: 1_700_000_000_000 + n, key: `k${n}`, value: 'v'.repeat(500) })),
      }),
    );
    const bad = encodeV2BatchSync({ baseOffset: 300, records: [{ offsetDelta: 0, timestamp: 1_700_000_000_000, key: 'k', value: 'v' }] });
    bad[61] = 0x7e; // the record's length varint (61 = RECORDS_OFFSET): 63, past the batch's end
    fs.writeFileSync(path.join(dir, '00000000000000000000.log'), Buffer.concat([...good, bad]));
    const position = good.reduce((n, b) => n + b.length, 0);
    const out = path.join(tmpDir(), `x.${format}`);
    const err = await exportPartitions(dir, { format, output: out, rowGroupRows: 20 }).then(
      () => null,
      (e: unknown) => e as { code?: string; file?: string; position?: number },
    );
    expect(err).not.toBeNull();
    expect(err!.code).toBe('RECORD_DECODE_ERROR');
    expect(err!.file).toBe(path.join(dir, '00000000000000000000.log'));
    expect(err!.position).toBe(position);
    expect(fs.readdirSync(path.dirname(out))).toEqual([]);
  });
});
