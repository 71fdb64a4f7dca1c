#!/usr/bin/env node
// Benchmark: `verify` of uncompressed v2 data with large batches against a raw read of the same
// files, measured in the same run (issue 5: verify >= 60 % of raw read).
//
//   node bench/verify.mjs [--size 512m] [--segment-bytes 256m] [--runs 5] [--data DIR] [--regenerate] [--json]
//
// Data: 200-record batches of 1 KiB values, uncompressed v2, written into bench/.data/ (gitignored)
// by `kseg generate` when that command exists, otherwise by a small writer below. Reused across
// runs while the parameters match. Needs only node and the built project (npm run build).
//
// Measured per round (rounds interleave the three so that machine noise hits all alike):
//   raw read   fs.readSync of every file verify reads, into one reused 1 MiB buffer
//   crc32c     CRC-32C over memory-mapped windows of the .log files (the floor for verify)
//   verify     ops/verify in-process (every batch: framing, CRC, record walk, index checks)
//   verify -j  the same with --jobs (default 2; worker threads started and stopped inside each run)
// The page cache is warm (one untimed pass first): this measures CPU cost, not the disk.
import fs from 'node:fs';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { fileURLToPath, pathToFileURL } from 'node:url';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const DIST = path.join(ROOT, 'dist');

function parseSize(s) {
  const m = /^(\d+(?:\.\d+)?)\s*([kmg]?)i?b?$/i.exec(String(s).trim());
  if (!m) throw new Error(`not a size: ${s}`);
  return Math.round(Number(m[1]) * { '': 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3 }[m[2].toLowerCase()]);
}

function args(argv) {
  const o = { size: '512m', segmentBytes: '256m', runs: 5, regenerate: false, json: false, dir: null, jobs: 2 };
  for (let i = 2; i < argv.length; i++) {
    const a = argv[i];
    const next = () => argv[++i];
    if (a === '--size') o.size = next();
    else if (a === '--segment-bytes') o.segmentBytes = next();
    else if (a === '--runs') o.runs = Math.max(1, Number(next()));
    // Not --dir: the mmap module's loader (node-pre-gyp) parses process.argv and takes --dir as its own.
    else if (a === '--data') o.dir = next();
    else if (a === '--regenerate') o.regenerate = true;
    else if (a === '--jobs') o.jobs = Number(next());
    else if (a === '--json') o.json = true;
    else if (a === '-h' || a === '--help') {
      console.log('usage: node bench/verify.mjs [--size 512m] [--segment-bytes 256m] [--runs 5] [--data DIR] [--jobs 2] [--regenerate] [--json]');
      process.exit(0);
    } else throw new Error(`unknown option ${a}`);
  }
  return o;
}

async function load(rel) {
  const p = path.join(DIST, rel);
  if (!fs.existsSync(p)) {
    console.error(`bench/verify.mjs: ${path.relative(ROOT, p)} is missing; run "npm run build" first`);
    process.exit(2);
  }
  return import(pathToFileURL(p).href);
}

// ------------------------------------------------------------------ data

const RECORDS_PER_BATCH = 200;
const VALUE_SIZE = 1024;

function haveGenerate() {
  const r = spawnSync(process.execPath, [path.join(ROOT, 'bin', 'kseg.js'), 'generate', '--help'], { encoding: 'utf8' });
  return r.status === 0 && /--bytes/.test(r.stdout);
}

function generateWithKseg(dir, bytes, segmentBytes) {
  const r = spawnSync(
    process.execPath,
    [
      path.join(ROOT, 'bin', 'kseg.js'),
      'generate',
      dir,
      '--bytes',
      String(bytes),
      '--records-per-batch',
      String(RECORDS_PER_BATCH),
      '--value-size',
      String(VALUE_SIZE),
      '--compression',
      'none',
      '--segment-bytes',
      String(segmentBytes),
      '--key-space',
      '100000',
      '--no-fsync',
      '--force',
    ],
    { stdio: ['ignore', 'ignore', 'inherit'] },
  );
  if (r.status !== 0) throw new Error(`kseg generate failed (exit ${r.status})`);
}

/** Fallback writer: uncompressed v2 batches as a leader writes them, per-batch indexes (format doc 1.4/1.5, 3.3). */
async function generateInline(dir, bytes, segmentBytes) {
  const { crc32c } = await load('format/crc.js');
  const { IndexBuilder } = await load('format/index-rule.js');
  const zz = (n) => (n << 1) ^ (n >> 31);
  const varint = (out, v) => {
    let u = zz(v) >>> 0;
    while (u >= 0x80) {
      out.push((u & 0x7f) | 0x80);
      u >>>= 7;
    }
    out.push(u);
  };
  const value = Buffer.alloc(VALUE_SIZE, 0x61);
  const name = (o, ext) => `${String(o).padStart(20, '0')}.${ext}`;
  fs.mkdirSync(dir, { recursive: true });
  let offset = 0;
  let ts = 1700000000000;
  let written = 0;
  let seg = null;
  const closeSegment = () => {
    if (!seg) return;
    fs.closeSync(seg.fd);
    const { index, timeindex } = seg.builder.finish();
    fs.writeFileSync(path.join(dir, name(seg.base, 'index')), index);
    fs.writeFileSync(path.join(dir, name(seg.base, 'timeindex')), timeindex);
  };
  while (written < bytes) {
    const recs = [];
    for (let i = 0; i < RECORDS_PER_BATCH; i++) {
      const key = Buffer.from(`key-${String((offset + i) % 100000).padStart(6, '0')}`);
      const body = [0];
      varint(body, i); // timestampDelta
      varint(body, i); // offsetDelta
      varint(body, key.length);
      const head = Buffer.from(body);
      const len = [];
      const tail = [];
      varint(tail, VALUE_SIZE);
      const after = [];
      varint(after, 0); // headers
      const recLen = head.length + key.length + tail.length + VALUE_SIZE + after.length;
      varint(len, recLen);
      recs.push(Buffer.from(len), head, key, Buffer.from(tail), value, Buffer.from(after));
    }
    const records = Buffer.concat(recs);
    const b = Buffer.alloc(61 + records.length);
    b.writeBigInt64BE(BigInt(offset), 0);
    b.writeInt32BE(b.length - 12, 8);
    b.writeInt32BE(0, 12);
    b.writeInt8(2, 16);
    b.writeInt16BE(0, 21);
    b.writeInt32BE(RECORDS_PER_BATCH - 1, 23);
    b.writeBigInt64BE(BigInt(ts), 27);
    b.writeBigInt64BE(BigInt(ts + RECORDS_PER_BATCH - 1), 35);
    b.writeBigInt64BE(-1n, 43);
    b.writeInt16BE(-1, 51);
    b.writeInt32BE(-1, 53);
    b.writeInt32BE(RECORDS_PER_BATCH, 57);
    records.copy(b, 61);
    b.writeUInt32BE(crc32c(b, 21, b.length), 17);
    if (!seg || seg.size + b.length > segmentBytes) {
      closeSegment();
      seg = { base: offset, fd: fs.openSync(path.join(dir, name(offset, 'log')), 'w'), size: 0, builder: new IndexBuilder({ baseOffset: offset, indexIntervalBytes: 4096 }) };
    }
    fs.writeSync(seg.fd, b);
    seg.builder.add(seg.size, b.length, offset + RECORDS_PER_BATCH - 1, ts + RECORDS_PER_BATCH - 1);
    seg.size += b.length;
    written += b.length;
    offset += RECORDS_PER_BATCH;
    ts += RECORDS_PER_BATCH;
  }
  closeSegment();
  fs.writeFileSync(path.join(dir, 'leader-epoch-checkpoint'), '0\n1\n0 0\n');
}

async function ensureData(o) {
  const bytes = parseSize(o.size);
  const segmentBytes = parseSize(o.segmentBytes);
  const dir = o.dir ?? path.join(ROOT, 'bench', '.data', `verify-${o.size}-${o.segmentBytes}`, 'bench-0');
  const stamp = o.dir ? path.join(dir, '..', `.${path.basename(dir)}.params.json`) : path.join(path.dirname(dir), 'params.json');
  const params = JSON.stringify({ bytes, segmentBytes, recordsPerBatch: RECORDS_PER_BATCH, valueSize: VALUE_SIZE });
  // A directory given with --data that already holds segments is used as it is, never deleted.
  if (o.dir && fs.existsSync(o.dir) && fs.readdirSync(o.dir).some((f) => f.endsWith('.log'))) return { dir, writer: 'given' };
  if (o.dir && fs.existsSync(o.dir) && fs.readdirSync(o.dir).length > 0) throw new Error(`${o.dir} holds files but no .log segments; give an empty or new directory`);
  if (!o.regenerate && fs.existsSync(stamp) && fs.readFileSync(stamp, 'utf8') === params && fs.existsSync(dir)) return { dir, writer: 'reused' };
  if (!o.dir) fs.rmSync(path.dirname(dir), { recursive: true, force: true });
  fs.mkdirSync(path.dirname(dir), { recursive: true });
  const t = Date.now();
  let writer;
  if (!process.env.KSEG_BENCH_INLINE && haveGenerate()) {
    generateWithKseg(dir, bytes, segmentBytes);
    writer = 'kseg generate';
  } else {
    await generateInline(dir, bytes, segmentBytes);
    writer = 'inline writer';
  }
  fs.writeFileSync(stamp, params);
  if (!o.json) console.error(`generated ${o.size} in ${dir} with ${writer} (${((Date.now() - t) / 1000).toFixed(1)} s)`);
  return { dir, writer };
}

// ------------------------------------------------------------------ measurements

const now = () => process.hrtime.bigint();
const secs = (t0) => Number(now() - t0) / 1e9;

function rawRead(files, buf) {
  let n = 0;
  for (const f of files) {
    const fd = fs.openSync(f, 'r');
    for (let p = 0; ;) {
      const k = fs.readSync(fd, buf, 0, buf.length, p);
      if (k === 0) break;
      p += k;
      n += k;
    }
    fs.closeSync(fd);
  }
  return n;
}

function crcMapped(logs, openSource, crc32c) {
  const CH = 64 * 1024 * 1024; // divides the 256 MiB map windows: no read crosses a window
  let x = 0;
  for (const f of logs) {
    const src = openSource(f, { pattern: 'sequential' });
    try {
      for (let p = 0; p < src.size; p += CH) x ^= crc32c(src.read(p, Math.min(CH, src.size - p)));
    } finally {
      src.close();
    }
  }
  return x;
}

function stats(xs) {
  const s = [...xs].sort((a, b) => a - b);
  return { best: s[s.length - 1], median: s[Math.floor(s.length / 2)] };
}

async function main() {
  const o = args(process.argv);
  const { verify } = await load('ops/verify/index.js');
  const { openSource, readerKind } = await load('storage/source.js');
  const { crc32c, crcImplementations } = await load('format/crc.js');
  const { dir, writer } = await ensureData(o);
  const all = fs
    .readdirSync(dir)
    .sort()
    .map((f) => path.join(dir, f));
  const logs = all.filter((f) => f.endsWith('.log'));
  // Everything verify reads: segments, indexes, snapshots, checkpoints.
  const files = all.filter((f) => fs.statSync(f).isFile());
  const logBytes = logs.reduce((n, f) => n + fs.statSync(f).size, 0);
  const buf = Buffer.allocUnsafe(1 << 20);

  // Untimed: warm the page cache and the JIT.
  rawRead(files, buf);
  const check = verify([dir]);
  if (!check.ok) throw new Error(`the bench data does not verify: ${JSON.stringify(check.issues.slice(0, 3))}`);
  crcMapped(logs, openSource, crc32c);

  const res = { raw: [], crc: [], verify: [], jobs: [] };
  for (let r = 0; r < o.runs; r++) {
    let t = now();
    const n = rawRead(files, buf);
    res.raw.push(n / secs(t) / 1e9);
    t = now();
    crcMapped(logs, openSource, crc32c);
    res.crc.push(logBytes / secs(t) / 1e9);
    t = now();
    const v = verify([dir]);
    res.verify.push(logBytes / secs(t) / 1e9);
    if (!v.ok) throw new Error('verify found errors in the bench data');
    if (o.jobs > 1) {
      t = now();
      const vj = verify([dir], { jobs: o.jobs });
      res.jobs.push(logBytes / secs(t) / 1e9);
      if (!vj.ok) throw new Error('verify --jobs found errors in the bench data');
    }
  }
  const raw = stats(res.raw);
  const crc = stats(res.crc);
  const ver = stats(res.verify);
  const ratio = { best: ver.best / raw.best, median: ver.median / raw.median };
  const jobs = o.jobs > 1 ? stats(res.jobs) : null;
  const out = {
    data: {
      dir: path.relative(ROOT, dir),
      writer,
      segments: logs.length,
      logBytes,
      batches: check.summary.batches,
      records: check.summary.records,
      recordsPerBatch: RECORDS_PER_BATCH,
      valueSize: VALUE_SIZE,
    },
    implementations: { reader: readerKind(), ...crcImplementations() },
    runs: o.runs,
    gbPerSecond: { rawRead: raw, crc32cMapped: crc, verify: ver, ...(jobs ? { verifyJobs: jobs } : {}) },
    jobs: o.jobs,
    verifyJobsVsCrcFloor: jobs ? { best: jobs.best / crc.best, median: jobs.median / crc.median, target: 1.5 } : null,
    verifyVsRawRead: ratio,
    verifyVsCrcFloor: { best: ver.best / crc.best, median: ver.median / crc.median },
    target: 0.6,
    meetsTarget: ratio.median >= 0.6,
    node: process.version,
  };
  if (o.json) {
    console.log(JSON.stringify(out, null, 2));
    return;
  }
  const f = (x) => x.toFixed(2).padStart(6);
  const p = (x) => `${(x * 100).toFixed(0)} %`.padStart(6);
  console.log(
    `verify benchmark: ${logs.length} segments, ${(logBytes / 1024 ** 2).toFixed(0)} MiB, ${check.summary.batches} batches of ${RECORDS_PER_BATCH} x ${VALUE_SIZE} B records (uncompressed v2), ${o.runs} rounds, warm page cache`,
  );
  console.log(`reader: ${out.implementations.reader}; crc32c: ${out.implementations.crc32c}; node ${process.version}`);
  console.log('');
  console.log('                       best GB/s  median GB/s');
  console.log(`raw read (readSync)     ${f(raw.best)}       ${f(raw.median)}`);
  console.log(`crc32c, mapped windows  ${f(crc.best)}       ${f(crc.median)}`);
  console.log(`verify                  ${f(ver.best)}       ${f(ver.median)}`);
  if (jobs) console.log(`verify --jobs ${String(o.jobs).padEnd(9)} ${f(jobs.best)}       ${f(jobs.median)}`);
  console.log('');
  console.log(`verify / raw read:      ${p(ratio.best)} best, ${p(ratio.median)} median   (target >= 60 %: ${out.meetsTarget ? 'met' : 'NOT met'})`);
  console.log(`verify / crc32c floor:  ${p(out.verifyVsCrcFloor.best)} best, ${p(out.verifyVsCrcFloor.median)} median   (issue 8 target >= 80 %)`);
  if (jobs)
    console.log(`verify --jobs ${o.jobs} / floor: ${p(out.verifyJobsVsCrcFloor.best)} best, ${p(out.verifyJobsVsCrcFloor.median)} median   (issue 8 target for --jobs 2 >= 150 %)`);
}

main().catch((e) => {
  console.error(`bench/verify.mjs: ${e.message}`);
  process.exit(1);
});
