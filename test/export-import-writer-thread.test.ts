import fs from 'node:fs';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { exportPartitions } from '../src/ops/export.js';
import { importPartition } from '../src/ops/import.js';
import { generate } from '../src/ops/generate.js';
import { FIXTURES, ROOT, kseg, tmpDir } from './helpers.js';
import { zstdCompressSyncImpl } from '../src/format/codecs.js';

/**
 * export --format parquet hands each finished row group to a writer thread (ops/export-worker.ts)
 * that compresses and writes it while the main thread fills the next; without a worker file (this
 * test process runs src/) the same page writer runs in the main thread. The built CLI takes the
 * thread path, these tests' exportPartitions the other: both must write the same bytes, and a
 * failure in the thread must reach the user as the one clear error it is, with nothing left behind.
 */

const gen = (dir: string, o: Parameters<typeof generate>[1]) => generate(dir, { fsync: false, ...o }, { ioWorker: false });

/** The bytes of an in-process export (page writer in this thread). */
async function inThread(dir: string, codec: 'snappy' | 'zstd' | 'none', rowGroupRows: number): Promise<Buffer> {
  const f = path.join(tmpDir(), 'in-thread.parquet');
  await exportPartitions(dir, { format: 'parquet', output: f, compression: codec, rowGroupRows });
  return fs.readFileSync(f);
}

describe('kseg export --format parquet: the writer thread writes what the in-thread writer writes', () => {
  it('built CLI has the worker file (else this file tests nothing new)', () => {
    expect(fs.existsSync(path.join(ROOT, 'dist', 'cli', 'bundle', 'export-worker.js'))).toBe(true);
    expect(fs.existsSync(path.join(ROOT, 'dist', 'ops', 'export-worker.js'))).toBe(true);
  });

  const fixtures = ['v2-headers', 'v2-compact', 'v1-gzip', 'v0-none', 'v2-txn', 'v2-multiseg'];
  it.each(fixtures)('%s: byte-identical, snappy pages, row groups of 7 rows', async (c) => {
    const dir = path.join(FIXTURES, c, 'topic-0');
    const f = path.join(tmpDir(), 'cli.parquet');
    const r = kseg(['export', dir, '-o', f, '--row-group-rows', '7']);
    expect(r.status, r.stderr).toBe(0);
    expect(fs.readFileSync(f).equals(await inThread(dir, 'snappy', 7))).toBe(true);
  });

  it('a log directory of three partitions (one thread for all of them), each codec, many row groups and pages in flight', async () => {
    const root = tmpDir();
    const logs = path.join(root, 'logs');
    // 1..64 KiB values: value pages of ~1 MiB cut inside groups, and groups cut at 3 MiB
    for (const [p, seed] of [
      ['t-0', 1],
      ['t-1', 2],
      ['t-2', 3],
    ] as const)
      await gen(path.join(logs, p), { records: 600, seed, valueSize: { min: 1, max: 64 * 1024 }, headers: 2, tombstoneRatio: 0.1, compression: ['none', 'gzip'] });
    // zstd pages need the native zstd module (without it export refuses them: the test below)
    const codecs = zstdCompressSyncImpl() ? (['snappy', 'zstd', 'none'] as const) : (['snappy', 'none'] as const);
    if (codecs.length === 2) console.warn('note: zstd-napi is not loaded here: the zstd pages of this test are skipped');
    for (const codec of codecs) {
      const out = path.join(root, `out-${codec}`);
      const r = kseg(['export', logs, '-o', out, '--compression', codec, '--row-group-rows', '40', '--json']);
      expect(r.status, r.stderr).toBe(0);
      expect(JSON.parse(r.stdout).partitions).toHaveLength(3);
      for (const p of ['t-0', 't-1', 't-2']) {
        const got = fs.readFileSync(path.join(out, `${p}.parquet`));
        expect(got.equals(await inThread(path.join(logs, p), codec, 40)), `${codec} ${p}`).toBe(true);
      }
    }
  });

  it('an unmodified export from the thread imports back byte-identical', async () => {
    const src = path.join(FIXTURES, 'v2-multiseg', 'topic-0');
    const f = path.join(tmpDir(), 'x.parquet');
    expect(kseg(['export', src, '-o', f, '--row-group-rows', '5']).status).toBe(0);
    const out = path.join(tmpDir(), 'imp', 'topic-0');
    const r = await importPartition(f, out);
    expect(r.rewritten).toBe(0);
    const logs = fs.readdirSync(src).filter((n) => n.endsWith('.log'));
    expect(logs.length).toBeGreaterThan(1);
    for (const l of logs) expect(fs.readFileSync(path.join(out, l)).equals(fs.readFileSync(path.join(src, l))), l).toBe(true);
  });
});

describe('kseg export --format parquet: a failure in the writer thread', () => {
  it('zstd pages without the native zstd module (KSEG_NO_NATIVE=1): a usage error (exit 2), not an I/O error, and no file', () => {
    const root = tmpDir();
    const target = path.join(root, 'x.parquet');
    const r = kseg(['export', path.join(FIXTURES, 'v2-none', 'topic-0'), '-o', target, '--compression', 'zstd'], { env: { KSEG_NO_NATIVE: '1' } });
    expect(r.status, r.stderr).toBe(2);
    expect(r.stderr).toMatch(/--compression zstd needs the optional native module zstd-napi/);
    expect(fs.readdirSync(root)).toEqual([]);
  });

  // RLIMIT_FSIZE with SIGXFSZ ignored: a write past the limit fails with EFBIG (in the thread: the
  // file passes the limit in a row group's pages, well before the footer).
  const HAVE_SH = spawnSync('sh', ['-c', 'ulimit -f 64 && trap "" XFSZ'], { encoding: 'utf8' }).status === 0;
  it.skipIf(!HAVE_SH)('exit 4 with the output file and EFBIG named, no stack trace, no temporary file, no output', async () => {
    const root = tmpDir();
    const src = path.join(root, 'big-0');
    await gen(src, { records: 400, valueSize: { min: 4096, max: 4096 }, compression: ['none'] });
    const out = path.join(root, 'out');
    fs.mkdirSync(out);
    const target = path.join(out, 'big.parquet');
    // 64 blocks (32 or 64 KiB, as the shell counts them): the first row groups fit, a later one does not
    const r = spawnSync(
      'sh',
      [
        '-c',
        'trap "" XFSZ; ulimit -f 64; exec "$0" "$1" export "$2" -o "$3" --compression none --row-group-rows 4',
        process.execPath,
        path.join(ROOT, 'bin', 'kseg.js'),
        src,
        target,
      ],
      {
        encoding: 'utf8',
        env: { ...process.env, NO_COLOR: '1' },
      },
    );
    expect(r.status, r.stderr).toBe(4);
    expect(r.stderr).toContain(target);
    expect(r.stderr).toMatch(/EFBIG|too large/i);
    expect(r.stderr).not.toMatch(/\n\s+at /);
    expect(fs.readdirSync(out)).toEqual([]);
  });
});
