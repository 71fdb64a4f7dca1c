#!/usr/bin/env node
// `npm run bench`: every kseg command against this machine's limit, measured in the same run
// (issue 8), printed as one table and written to bench/RESULTS.md with the machine's details.
//
//   node bench/run.mjs [--quick] [--scale F] [--only NAME,...] [--runs N] [--no-native-pass]
//                      [--data DIR] [--regenerate] [--prepare] [--results FILE] [--json FILE]
//
// Needs only node, the built project (npm run build) and coreutils `cat`. Data is written by
// `kseg generate` into bench/.data/run/ (gitignored), once, and reused while its parameters match
// (a params.json stamp per data set). Nothing here needs hyperfine or any other tool; kafka-python
// (Debian python3-kafka) is used as a peer when it imports, and skipped with a note otherwise; so is
// Kafka's own record code on the JVM (bench/jvm.mjs: needs java, javac and KAFKA_GIT, a bare git dir
// of Kafka's source).
//
// How things are measured:
// - Every measurement is its own child process, timed by wall clock around spawnSync, stdout to
//   /dev/null. Peak RSS: `/usr/bin/time -f %M` when it exists (getrusage of the child), else a
//   preloaded module (`node --import bench/lib/rss-preload.mjs`) that writes
//   process.resourceUsage().maxRSS at exit. Both report the whole process (all threads).
// - Throughput figures (MB/s, 1 MB = 10^6 bytes, of the .log bytes on disk) use the command's wall
//   time minus the median wall time of `node -e 0` measured in the same run: the bare cost of
//   starting node is left out, kseg's own module loading is not. Limits report the time of their
//   timed loop only (bench/lib/limits.mjs), so a ratio is "kseg's work vs the limit's work".
//   Start-up comparisons (lookup, --help) compare whole wall times with `node -e 0`.
// - The page cache is warmed by one untimed `cat` of each data set before its group; each group
//   repeats its measurements --runs times (default 3), limits interleaved with commands so machine
//   noise hits both, and reports the median.
// - Commands that change a partition (rebuild-index, truncate, compact) run on a fresh copy each
//   time; copying (cp --reflink=auto, then fsync) is not timed.
// - Everything runs twice: with the native fast paths (mmap, sse4_crc32, zstd-napi) and without
//   (KSEG_NO_NATIVE=1 KSEG_READER=pread: what a user without a compiler gets). The verify limit is
//   always the machine's fastest path; the no-native pass also shows the prebuilt-path limit.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { JVM_HOW, JVM_ITEM, JVM_SETS, findJvmPeer, jvmMachineLine, makeGroupJvm } from './jvm.mjs';
import { groupRemote, prepareRemote } from './remote.mjs';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const KSEG = path.join(ROOT, 'bin', 'kseg.js');
const LIMITS = path.join(ROOT, 'bench', 'lib', 'limits.mjs');
const PEER = path.join(ROOT, 'bench', 'lib', 'kafka_python_peer.py');
const PRELOAD = pathToFileURL(path.join(ROOT, 'bench', 'lib', 'rss-preload.mjs')).href;
const NODE = process.execPath;
const KiB = 1024;
const MiB = 1024 ** 2;
const GiB = 1024 ** 3;

// ------------------------------------------------------------------ options

const ITEMS = {
  verify: 'verify vs the verify limit and cat (1 GiB uncompressed)',
  'verify-jobs': 'verify --jobs 2 (when the flag exists)',
  dump: 'dump --ndjson',
  'dump-batches': 'dump --batches',
  info: 'info',
  codecs: 'verify and dump --ndjson of gzip/snappy/lz4/zstd vs the codec library alone',
  big: 'the 4 GiB partition of 2 GiB-class segments: peak RSS of every command',
  lookup: 'lookup on the ~1,000-segment partition vs node -e 0, bytes scanned',
  help: 'kseg --help vs node -e 0',
  generate: 'generate vs a raw sequential write',
  'rebuild-index': 'rebuild-index vs verify on the same data',
  truncate: 'truncate --to-offset mid-partition',
  compact: 'compact vs verify on the same data',
  salvage: 'salvage of an intact partition into a new directory vs verify on the same data',
  grep: "grep --key -c vs verify on the same data (issue 14: at least half of verify's throughput)",
  scan: 'kseg scan of a log.dir: 1 vs 2 workers',
  export: 'export --format parquet / ndjson / csv vs dump --ndjson on the same 1 GiB (issue 15: >= 30 %, RSS <= 300 MiB)',
  internal: 'dump --ndjson of a generated __consumer_offsets partition, decoded vs --internal-decoder none on the same bytes (issue 16: >= 50 %)',
  peer: 'kafka-python record decoder vs dump --ndjson on the same ~200 MB (1 KB values, and small records)',
  jvm: JVM_ITEM,
  tar: 'lookup and info on the ~1,000-segment partition tarred (read in place) vs the directory (issue 15)',
  remote: "s3:// on s3rver (bench/remote.mjs): a lookup's bytes fetched vs the .log size, dump --ndjson vs the local dump (issue 15)",
};

function usage(code) {
  const lines = [
    'usage: node bench/run.mjs [--quick] [--scale F] [--only NAME,...] [--runs N] [--no-native-pass]',
    '                          [--data DIR] [--regenerate] [--prepare] [--results FILE] [--json FILE]',
    '',
    '  --quick           1/8 of the sizes (development); same as --scale 0.125',
    '  --scale F         multiply the data sizes by F (default 1: the sizes of issue 8)',
    '  --only A,B        run only these measurements:',
    ...Object.entries(ITEMS).map(([k, v]) => `                      ${k.padEnd(14)} ${v}`),
    '  --runs N          repetitions of each timed measurement (default 3; the median is reported)',
    '  --no-native-pass  skip the second pass with KSEG_NO_NATIVE=1 KSEG_READER=pread',
    '  --data DIR        where the data sets live (default bench/.data/run)',
    '  --regenerate      write the data sets again',
    '  --prepare         only generate the data sets (and check disk space), measure nothing',
    '  --codec-disk      size each compressed data set at 1 GiB on disk (scaled) instead of 1 GiB of records',
    '  --results FILE    markdown report (default bench/RESULTS.md for a full run, else DIR/RESULTS.md)',
    '  --json FILE       also write every measurement as JSON',
  ];
  (code ? console.error : console.log)(lines.join('\n'));
  process.exit(code);
}

function parseArgs(argv) {
  const o = {
    scale: 1,
    quick: false,
    only: null,
    runs: 3,
    nativePass: true,
    noNativePass: true,
    data: path.join(ROOT, 'bench', '.data', 'run'),
    regenerate: false,
    results: null,
    json: null,
  };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const next = () => {
      if (i + 1 >= argv.length) usage(2);
      return argv[++i];
    };
    if (a === '--quick') {
      o.quick = true;
      o.scale = 0.125;
    } else if (a === '--scale') o.scale = Number(next());
    else if (a === '--only')
      o.only = next()
        .split(',')
        .map((s) => s.trim())
        .filter(Boolean);
    else if (a === '--runs') o.runs = Number(next());
    else if (a === '--no-native-pass') o.noNativePass = false;
    else if (a === '--native-only') o.noNativePass = false;
    else if (a === '--data') o.data = path.resolve(next());
    else if (a === '--regenerate') o.regenerate = true;
    else if (a === '--prepare') o.prepare = true;
    else if (a === '--codec-disk') o.codecDisk = true;
    else if (a === '--results') o.results = path.resolve(next());
    else if (a === '--json') o.json = path.resolve(next());
    else if (a === '-h' || a === '--help') usage(0);
    else {
      console.error(`bench/run.mjs: unknown option ${a}`);
      usage(2);
    }
  }
  if (!(o.scale > 0) || !Number.isInteger(o.runs) || o.runs < 1) usage(2);
  if (o.only) {
    const bad = o.only.filter((n) => !(n in ITEMS));
    if (bad.length) {
      console.error(`bench/run.mjs: unknown --only name(s): ${bad.join(', ')} (known: ${Object.keys(ITEMS).join(', ')})`);
      process.exit(2);
    }
  }
  return o;
}

const opts = parseArgs(process.argv.slice(2));
const selected = (name) => !opts.only || opts.only.includes(name);

// ------------------------------------------------------------------ data sets

const align = (n, unit = MiB) => Math.max(unit, Math.round(n / unit) * unit);
const S = opts.scale;
const SIZE_A = align(GiB * S); // uncompressed v2, 200-record batches, 1 KB values
const RECORDS_B = Math.round(SIZE_A / 1024); // the same number of records in every codec
// snappy as Kafka's Java producer writes it: xerial-framed 32 KiB blocks.
const CODEC_ARG = { gzip: 'gzip', snappy: 'snappy-xerial', lz4: 'lz4', zstd: 'zstd' };
const SIZE_C = align(4 * GiB * S); // the big partition
const SEG_C = S >= 1 ? 2147483647 : align(2 * GiB * S); // Kafka's largest segment.bytes (Int.MaxValue)
const SEG_D = opts.quick ? 128 * KiB : align(MiB * S, 64 * KiB); // ~1,000 segments either way
const SIZE_D = SEG_D * 1000;
const SCAN_PARTS = opts.quick ? 16 : 32;
const SIZE_E = opts.quick ? 8 * MiB : align(32 * MiB * S);
const PEER_BYTES = Math.min(200 * MiB, SIZE_A);
const LOOKUPS = opts.quick ? 12 : 24;
const CODECS = ['gzip', 'snappy', 'lz4', 'zstd'];
const BATCH = ['--records-per-batch', '200', '--value-size', '1000'];

/** name -> {dir (partition dir or log dir), partitions: [{dir, args}], estimate (bytes on disk)} */
const SETS = {
  // segment.bytes = the size: one full segment plus a one-batch active segment, so compact has a
  // whole segment to clean (the active one is never cleaned).
  a: {
    title: `${fmtSize(SIZE_A)} uncompressed v2, 200-record batches, 1 KB values from 100,000 keys, segment.bytes=${fmtSize(SIZE_A)}`,
    partitions: [{ name: 'none-0', args: ['--bytes', String(SIZE_A), ...BATCH, '--key-space', '100000', '--compression', 'none', '--segment-bytes', String(SIZE_A)] }],
    estimate: SIZE_A * 1.01,
  },
  ...Object.fromEntries(
    CODECS.map((c) => [
      c,
      {
        title: `${opts.codecDisk ? `${fmtSize(SIZE_A)} on disk` : `${RECORDS_B} records (${fmtSize(RECORDS_B * 1024)} of 1 KB values)`} in ${CODEC_ARG[c]} batches of 200`,
        partitions: [
          {
            name: `${c}-0`,
            args: [
              ...(opts.codecDisk ? ['--bytes', String(SIZE_A)] : ['--records', String(RECORDS_B)]),
              ...BATCH,
              '--key-space',
              '100000',
              '--compression',
              CODEC_ARG[c],
              '--segment-bytes',
              String(GiB),
            ],
          },
        ],
        estimate: opts.codecDisk ? SIZE_A * 1.01 : SIZE_A * 0.5,
      },
    ]),
  ),
  c: {
    title: `${fmtSize(SIZE_C)} partition, segment.bytes=${SEG_C}, 200-record batches, 1 KB values`,
    partitions: [{ name: 'big-0', args: ['--bytes', String(SIZE_C), ...BATCH, '--key-space', '100000', '--compression', 'none', '--segment-bytes', String(SEG_C)] }],
    estimate: SIZE_C * 1.01,
  },
  d: {
    title: `${fmtSize(SIZE_D)} in ~1,000 segments (segment.bytes=${SEG_D}), generate's default records (1-20 per batch, 20-200 B values)`,
    partitions: [{ name: 'many-0', args: ['--bytes', String(SIZE_D), '--segment-bytes', String(SEG_D)] }],
    estimate: SIZE_D * 1.05,
  },
  f: {
    title: `${fmtSize(PEER_BYTES)} in one segment, generate's default records (1-20 per batch, 20-200 B values): the peer's small records`,
    partitions: [{ name: 'small-0', args: ['--bytes', String(PEER_BYTES), '--segment-bytes', String(GiB)] }],
    estimate: PEER_BYTES * 1.05,
  },
  // Internal-topic decoding (issue 16): every offsets record type and version in turn, as generate writes them.
  i: {
    title: `${fmtSize(SIZE_A)} __consumer_offsets partition (generate --internal offsets: every record type and version in turn, 10 % tombstones)`,
    partitions: [{ name: '__consumer_offsets-0', args: ['--internal', 'offsets', '--bytes', String(SIZE_A), '--segment-bytes', String(GiB)] }],
    estimate: SIZE_A * 1.01,
  },
  e: {
    title: `log.dir of ${SCAN_PARTS} partitions of ${fmtSize(SIZE_E)} (generate's default records)`,
    logDir: true,
    partitions: Array.from({ length: SCAN_PARTS }, (_, i) => ({ name: `scan-${i}`, args: ['--bytes', String(SIZE_E), '--seed', String(i + 1)] })),
    estimate: SCAN_PARTS * SIZE_E * 1.05,
  },
};
// Quick, scaled and full data live side by side, so switching modes regenerates nothing.
const SIZE_TAG = opts.quick ? 'quick' : S === 1 ? 'full' : `scale-${S}`;
for (const [k, s] of Object.entries(SETS)) {
  s.key = k;
  s.root = path.join(opts.data, SIZE_TAG, `set-${k}`);
  s.dir = s.logDir ? s.root : path.join(s.root, s.partitions[0].name);
}

const NEEDS = {
  verify: ['a'],
  'verify-jobs': ['a'],
  dump: ['a'],
  'dump-batches': ['a'],
  info: ['a'],
  codecs: CODECS,
  big: ['c'],
  lookup: ['d'],
  help: [],
  generate: ['a'],
  'rebuild-index': ['a'],
  truncate: ['a'],
  compact: ['a'],
  salvage: ['a'],
  grep: ['a'],
  scan: ['e'],
  export: ['a'],
  internal: ['i'],
  peer: ['a', 'f'],
  jvm: JVM_SETS,
  tar: ['d'],
  remote: ['a'],
};

function fmtSize(b) {
  if (b >= GiB && b % (GiB / 8) === 0) return `${b / GiB} GiB`;
  if (b >= MiB) return `${Math.round(b / MiB)} MiB`;
  return `${Math.round(b / KiB)} KiB`;
}

// ------------------------------------------------------------------ process runner

const WORK = path.join(opts.data, 'work');
const devnull = fs.openSync('/dev/null', 'w');
let TIME_BIN = null;
{
  const probe = path.join(os.tmpdir(), `kseg-bench-time-${process.pid}`);
  // KSEG_BENCH_NO_TIME=1 forces the preload fallback (to test it where /usr/bin/time exists).
  const r = process.env.KSEG_BENCH_NO_TIME ? { status: 1 } : spawnSync('/usr/bin/time', ['-f', '%M', '-o', probe, 'true'], { stdio: 'ignore' });
  if (r.status === 0 && fs.existsSync(probe) && /^\d+\s*$/.test(fs.readFileSync(probe, 'utf8'))) TIME_BIN = '/usr/bin/time';
  fs.rmSync(probe, { force: true });
}
let seq = 0;

/** Run one child; wall seconds, peak RSS (MiB), exit status, stderr (and stdout if asked). */
function run(cmd, args, { env = {}, capture = false } = {}) {
  const rssFile = path.join(os.tmpdir(), `kseg-bench-rss-${process.pid}-${seq++}`);
  const childEnv = { ...process.env, ...env };
  for (const [k, v] of Object.entries(childEnv)) if (v === undefined) delete childEnv[k];
  let file = cmd;
  let argv = args;
  if (TIME_BIN) {
    file = TIME_BIN;
    argv = ['-f', '%M %U %S', '-o', rssFile, cmd, ...args];
  } else if (cmd === NODE) {
    argv = ['--import', PRELOAD, ...args];
    childEnv.KSEG_BENCH_RSS_FILE = rssFile;
  }
  const t0 = process.hrtime.bigint();
  const r = spawnSync(file, argv, { env: childEnv, cwd: ROOT, stdio: ['ignore', capture ? 'pipe' : devnull, 'pipe'], maxBuffer: 512 * MiB, encoding: 'utf8' });
  const wall = Number(process.hrtime.bigint() - t0) / 1e9;
  let rssMiB = null;
  let cpu = null;
  try {
    // "KiB user-seconds system-seconds" (GNU time may write a "Command exited ..." line first).
    const lines = fs.readFileSync(rssFile, 'utf8').trim().split('\n');
    const [kib, u, sy] = lines[lines.length - 1].trim().split(/\s+/).map(Number);
    if (Number.isFinite(kib) && kib > 0) rssMiB = kib / 1024;
    if (Number.isFinite(u) && Number.isFinite(sy)) cpu = u + sy;
  } catch {
    /* no RSS for this one */
  }
  fs.rmSync(rssFile, { force: true });
  if (r.error) throw new Error(`${path.basename(cmd)} ${args.slice(0, 3).join(' ')}: ${r.error.message}`);
  return { wall, rssMiB, cpu, status: r.status, signal: r.signal, stderr: r.stderr ?? '', stdout: r.stdout ?? '' };
}

function check(res, what, okStatus = [0]) {
  if (!okStatus.includes(res.status)) {
    const tail = res.stderr.trim().split('\n').slice(-3).join(' | ');
    throw new Error(`${what} exited with ${res.status ?? res.signal}${tail ? `: ${tail}` : ''}`);
  }
  return res;
}

const kseg = (args, env, o = {}) => check(run(NODE, [KSEG, ...args], { env, ...o }), `kseg ${args[0]}`, o.okStatus);
const limit = (args, env) => {
  const r = check(run(NODE, [LIMITS, ...args], { env, capture: true }), `limits ${args[0]}`);
  return { ...r, result: JSON.parse(r.stdout.trim().split('\n').pop()) };
};

const median = (xs) => {
  const s = xs.filter((x) => x != null && Number.isFinite(x)).sort((a, b) => a - b);
  if (!s.length) return null;
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};
const maxOf = (xs) => {
  const s = xs.filter((x) => x != null);
  return s.length ? Math.max(...s) : null;
};

// ------------------------------------------------------------------ data generation

function logFiles(dir) {
  const out = [];
  const walk = (d) => {
    for (const e of fs.readdirSync(d, { withFileTypes: true }).sort((x, y) => (x.name < y.name ? -1 : 1))) {
      const p = path.join(d, e.name);
      if (e.isDirectory()) walk(p);
      else if (e.name.endsWith('.log')) out.push(p);
    }
  };
  walk(dir);
  return out;
}
const sizeOf = (files) => files.reduce((n, f) => n + fs.statSync(f).size, 0);
const stampOf = (set) => path.join(set.root, 'params.json');
const paramsOf = (set) => JSON.stringify({ v: 1, partitions: set.partitions });

function readStamp(set) {
  try {
    const s = JSON.parse(fs.readFileSync(stampOf(set), 'utf8'));
    if (JSON.stringify(s.params) === paramsOf(set) && fs.existsSync(set.dir)) return s;
  } catch {
    /* missing or stale */
  }
  return null;
}

function diskCheck(sets) {
  const missing = sets.filter((s) => opts.regenerate || !readStamp(s));
  const data = missing.reduce((n, s) => n + s.estimate, 0);
  // Working space: one copy of the largest partition a mutating command works on, or generate's output.
  const work = Math.max(selected('big') ? SIZE_C * 1.01 : 0, ['generate', 'rebuild-index', 'truncate', 'compact', 'salvage'].some(selected) ? SIZE_A * 1.01 : 0);
  const need = data + work + 256 * MiB;
  fs.mkdirSync(opts.data, { recursive: true });
  let avail = Infinity;
  try {
    const st = fs.statfsSync(opts.data);
    avail = st.bavail * st.bsize;
  } catch {
    const r = spawnSync('df', ['-Pk', opts.data], { encoding: 'utf8' });
    const m = /\s(\d+)\s+\d+%/.exec(r.stdout ?? '');
    if (m) avail = Number(m[1]) * 1024;
  }
  const line = `disk: ${fmtGB(avail)} free in ${opts.data}; this run needs about ${fmtGB(need)} (${fmtGB(data)} of new data + ${fmtGB(work)} working copies)`;
  if (avail < need) {
    console.error(`bench/run.mjs: not enough disk space. ${line}.`);
    console.error('Free some space, point --data at a larger file system, or run a smaller bench (--quick, --scale 0.25, --only NAME).');
    process.exit(1);
  }
  log(line);
}
const fmtGB = (b) => `${(b / 1e9).toFixed(1)} GB`;

function ensureData(set) {
  const stamp = !opts.regenerate && readStamp(set);
  if (stamp) return stamp;
  fs.rmSync(set.root, { recursive: true, force: true });
  fs.mkdirSync(set.root, { recursive: true });
  log(`generating data set ${set.key}: ${set.title} ...`);
  const parts = [];
  const t0 = Date.now();
  for (const p of set.partitions) {
    const dir = path.join(set.logDir ? set.root : set.root, p.name);
    const r = kseg(['generate', dir, ...p.args, '--no-fsync', '--force', '--json'], {}, { capture: true });
    const summary = JSON.parse(r.stdout);
    delete summary.segmentList;
    parts.push({ name: p.name, summary, seconds: r.wall, rssMiB: r.rssMiB });
  }
  const stamp2 = { params: JSON.parse(paramsOf(set)), generatedAt: new Date().toISOString(), seconds: (Date.now() - t0) / 1000, partitions: parts };
  fs.writeFileSync(stampOf(set), JSON.stringify(stamp2, null, 1));
  log(`  done in ${stamp2.seconds.toFixed(0)} s (${fmtSize(sizeOf(logFiles(set.dir)))} of .log files)`);
  return stamp2;
}

function warm(files) {
  const r = spawnSync('cat', files, { stdio: ['ignore', devnull, 'ignore'] });
  if (r.status !== 0) for (const f of files) fs.readFileSync(f).length;
}

function copyDir(src, dst) {
  fs.rmSync(dst, { recursive: true, force: true });
  fs.mkdirSync(path.dirname(dst), { recursive: true });
  const r = spawnSync('cp', ['-r', '--reflink=auto', src, dst], { stdio: 'ignore' });
  if (r.status !== 0) {
    fs.rmSync(dst, { recursive: true, force: true });
    fs.cpSync(src, dst, { recursive: true });
  }
  // Flush the copy now so its write-back does not land inside the timed command.
  for (const f of fs.readdirSync(dst)) {
    const fd = fs.openSync(path.join(dst, f), 'r');
    try {
      fs.fsyncSync(fd);
    } finally {
      fs.closeSync(fd);
    }
  }
}

// ------------------------------------------------------------------ results

const rows = [];
const notes = [];
let log = (msg) => console.error(msg);

function note(pass, msg) {
  const m = `${pass ? `[${pass.name}] ` : ''}${msg}`;
  notes.push(m);
  log(`  note: ${m}`);
}

/**
 * One table row. t: net seconds (work beyond `node -e 0`), bytes: .log bytes processed.
 * ratio: {value, of, kind: 'throughput'|'time'}; target: {min|max, of?}.
 */
function row(pass, r) {
  const x = { pass: pass.name, ...r };
  if (x.bytes != null && x.t != null && x.t > 0) x.mbps = x.bytes / x.t / 1e6;
  if (x.target && x.ratio && x.ratio.value != null) {
    const v = x.ratio.value;
    x.ok = x.target.min != null ? v >= x.target.min : v <= x.target.max;
  }
  if (x.rssTarget && x.rssMiB != null) {
    const rssOk = x.rssMiB <= x.rssTarget;
    x.ok = x.ok === undefined ? rssOk : x.ok && rssOk;
  }
  if (x.flat === false) x.ok = false;
  rows.push(x);
  const parts = [`  ${x.what}`];
  if (x.t != null) parts.push(`${x.t.toFixed(3)} s`);
  if (x.mbps != null) parts.push(`${fmtNum(x.mbps)} MB/s`);
  if (x.ratio?.value != null) parts.push(ratioText(x));
  if (x.info) parts.push(x.info);
  if (x.rssMiB != null) parts.push(`RSS ${x.rssMiB.toFixed(0)} MiB`);
  if (x.ok !== undefined) parts.push(x.ok ? 'met' : 'NOT met');
  log(parts.join('  '));
  return x;
}

const fmtNum = (v) => (v >= 100 ? v.toFixed(0) : v >= 10 ? v.toFixed(1) : v.toFixed(2));
function ratioText(x) {
  const r = x.ratio;
  if (r.value == null) return '';
  return r.kind === 'time' ? `${r.value.toFixed(2)}× ${r.of}` : r.kind === 'times' ? `${r.value.toFixed(r.digits ?? 1)}× ${r.of}` : `${Math.floor(r.value * 100)} % of ${r.of}`;
}
function targetText(x) {
  const parts = [];
  if (x.target) {
    const t = x.target;
    if (x.ratio?.kind === 'time') parts.push(`≤ ${t.max}×`);
    else if (x.ratio?.kind === 'times') parts.push(`≥ ${t.min}×`);
    else parts.push(t.min != null ? `≥ ${Math.round(t.min * 100)} %` : `≤ ${Math.round(t.max * 100)} %`);
  }
  if (x.rssTarget) parts.push(`RSS ≤ ${x.rssTarget} MiB`);
  if (x.targetText) parts.push(x.targetText);
  return parts.join(', ');
}

// ------------------------------------------------------------------ measurement groups

const NATIVE_OFF = { KSEG_NO_NATIVE: '1', KSEG_READER: 'pread' };
const NATIVE_ON = { KSEG_NO_NATIVE: undefined, KSEG_READER: undefined };

/** fn(), once more if it throws; the second error propagates. */
function withRetry(pass, label, fn) {
  try {
    return fn();
  } catch (e) {
    const v = fn();
    note(pass, `${label} failed once and passed on a retry: ${e.message}`);
    return v;
  }
}

/** Repeat `fns` (name -> () => sample) opts.runs times, interleaved; failures become notes. */
function rounds(pass, fns, n = opts.runs) {
  const out = Object.fromEntries(Object.keys(fns).map((k) => [k, []]));
  const failed = new Set();
  for (let i = 0; i < n; i++) {
    for (const [k, fn] of Object.entries(fns)) {
      if (failed.has(k)) continue;
      try {
        out[k].push(fn(i));
      } catch (e) {
        // One retry: a deterministic failure fails again and is reported; a transient one (a
        // concurrent rebuild of dist/, a busy machine) is noted and the run goes on.
        try {
          out[k].push(fn(i));
          note(pass, `${k} failed once and passed on a retry: ${e.message}`);
        } catch (e2) {
          failed.add(k);
          note(pass, `${k}: ${e2.message}`);
        }
      }
    }
  }
  return out;
}
const wallMed = (xs) => median(xs.map((x) => x.wall));
const rssMax = (xs) => maxOf(xs.map((x) => x.rssMiB));
const cpuMed = (xs) => median(xs.map((x) => x.cpu));
const limitMed = (xs) => median(xs.map((x) => x.result.seconds));

/** Median net seconds of command samples: wall minus node's bare start-up. */
function net(pass, xs) {
  const w = wallMed(xs);
  if (w == null) return null;
  return Math.max(w - pass.startup, 1e-3);
}

function measureStartup(pass, n) {
  const xs = [];
  for (let i = 0; i < n; i++) xs.push(check(run(NODE, ['-e', '0'], { env: pass.env }), 'node -e 0'));
  pass.startupSamples.push(...xs.map((x) => x.wall));
  pass.startup = median(pass.startupSamples);
  pass.startupRss = rssMax(xs);
  return xs;
}

let verifyHasJobs = null;

function groupRead(pass, state) {
  const want = ['verify', 'verify-jobs', 'dump', 'dump-batches', 'info', 'export'].filter(selected);
  if (!want.length) return;
  const set = SETS.a;
  const files = logFiles(set.dir);
  const bytes = sizeOf(files);
  log(`\n[${pass.name}] data set a: ${set.title}`);
  warm(files);
  if (verifyHasJobs === null) verifyHasJobs = /--jobs\b/.test(run(NODE, [KSEG, 'verify', '--help'], { capture: true }).stdout);
  const fns = {
    limit: () => limit(['crc', ...files], NATIVE_ON),
    cat: () => check(run('cat', files), 'cat'),
  };
  if (pass.env.KSEG_NO_NATIVE) fns.limitPrebuilt = () => limit(['crc', ...files], pass.env);
  if (want.includes('verify')) fns.verify = () => kseg(['verify', set.dir], pass.env);
  if (want.includes('verify-jobs')) {
    if (verifyHasJobs) fns.verifyJobs = () => kseg(['verify', set.dir, '--jobs', '2'], pass.env);
    else note(pass, 'verify --jobs: skipped, `kseg verify --help` lists no --jobs flag');
    // what two threads of this machine can do at all: the limit's work in two halves, in parallel
    fns.limit2 = () => limit(['crc2', ...files], NATIVE_ON);
  }
  // export's rows are ratios to dump --ndjson: measured with them
  if (want.includes('dump') || want.includes('export')) fns.dump = () => kseg(['dump', set.dir, '--ndjson'], pass.env);
  if (want.includes('dump-batches')) fns.dumpBatches = () => kseg(['dump', set.dir, '--batches'], pass.env);
  if (want.includes('info')) fns.info = () => kseg(['info', set.dir], pass.env);
  // export writes its Parquet file beside the data set (bench/.data is gitignored)
  const exportFile = path.join(path.dirname(set.dir), 'export.parquet');
  const exportText = path.join(path.dirname(set.dir), 'export.txt');
  const exportCsv = path.join(path.dirname(set.dir), 'export.csv');
  const dumpText = path.join(path.dirname(set.dir), 'dump.ndjson');
  const ddFile = path.join(path.dirname(set.dir), 'dd.bin');
  if (want.includes('export')) {
    // Before each measurement that writes a file (untimed): the previous run's output removed and
    // `sync`, so neither the write-back of the row before (2 GiB for the NDJSON export) nor freeing
    // the blocks of the file it overwrites (~0.3 s for 340 MiB) lands on the next row's time.
    const fresh = (file) => {
      fs.rmSync(file, { force: true });
      check(run('sync', []), 'sync');
    };
    fns.export = () => (fresh(exportFile), kseg(['export', set.dir, '-o', exportFile, '--force'], pass.env));
    fns.exportNdjson = () => (fresh(exportText), kseg(['export', set.dir, '--format', 'ndjson', '-o', exportText, '--force'], pass.env));
    fns.exportCsv = () => (fresh(exportCsv), kseg(['export', set.dir, '--format', 'csv', '-o', exportCsv, '--force'], pass.env));
    // The text exports write ~2x the partition to disk and fsync it (dump writes to /dev/null):
    // dump into a file on the same disk, without and with an fsync of that file (`sync FILE`: the
    // same bytes written durably, as export does), and the disk's own time for the NDJSON export's
    // bytes written and fsynced (dd conv=fsync), show how much of their time is the write itself.
    const dumpTo = (fsync) => () => {
      fresh(dumpText);
      const sh = `"$0" "$1" dump "$2" --ndjson > "$3"${fsync ? ' && exec sync "$3"' : ''}`;
      return check(run('sh', ['-c', fsync ? sh : `exec ${sh}`, NODE, KSEG, set.dir, dumpText], { env: pass.env }), `dump --ndjson > file${fsync ? ' + fsync' : ''}`);
    };
    fns.dumpFile = dumpTo(false);
    fns.dumpFileSync = dumpTo(true);
    fns.writeLimit = () => {
      const mib = fs.existsSync(exportText) ? Math.ceil(fs.statSync(exportText).size / MiB) : Math.ceil((2 * bytes) / MiB);
      fresh(ddFile);
      const r = check(run('dd', ['if=/dev/zero', `of=${ddFile}`, 'bs=1M', `count=${mib}`, 'conv=fsync', 'status=none']), 'dd');
      return { ...r, mib };
    };
  }
  const s = rounds(pass, fns);
  const lim = limitMed(s.limit);
  const limName = 'verify limit';
  if (lim != null)
    row(pass, {
      set: 'a',
      what: `verify limit: CRC-32C, best of every reader and implementation (${s.limit[0].result.reader.split(' (')[0]}, ${s.limit[0].result.crc32c})`,
      t: lim,
      bytes,
      kind: 'limit',
    });
  if (s.limitPrebuilt?.length)
    row(pass, {
      set: 'a',
      what: `verify limit, prebuilt path (${s.limitPrebuilt[0].result.reader.split(' (')[0]}, ${s.limitPrebuilt[0].result.crc32c})`,
      t: limitMed(s.limitPrebuilt),
      bytes,
      kind: 'limit',
    });
  if (s.cat.length) row(pass, { set: 'a', what: 'raw copy: cat > /dev/null', t: wallMed(s.cat), bytes, kind: 'limit' });
  const cmd = (key, what, target) => {
    if (!s[key]?.length) return null;
    const t = net(pass, s[key]);
    return row(pass, { set: 'a', what, t, bytes, rssMiB: rssMax(s[key]), cpu: cpuMed(s[key]), ratio: { value: lim != null ? lim / t : null, of: limName }, target });
  };
  pass.verifyA = cmd('verify', 'verify', { min: 0.8 });
  const lim2 = s.limit2?.length ? limitMed(s.limit2) : null;
  if (lim2 != null)
    row(pass, {
      set: 'a',
      what: `two-thread limit: the verify limit's CRC-32C in two halves, two threads at once (${s.limit2[0].result.crc32c})`,
      t: lim2,
      bytes,
      kind: 'limit',
      ratio: lim != null ? { value: lim / lim2, of: limName } : undefined,
    });
  const jobsRow = cmd('verifyJobs', 'verify --jobs 2', { min: 1.5 });
  if (jobsRow && pass.verifyA) {
    // issue 17's scaling curve: 1 -> 2 threads measured, more on paper (Amdahl, as scan's note)
    const s2 = pass.verifyA.t / jobsRow.t;
    const f = Math.min(1, Math.max(0, 2 / s2 - 1));
    const at = (n) => 1 / (f + (1 - f) / n);
    note(
      pass,
      `verify scaling: 1 -> 2 threads ${s2.toFixed(2)}× (CPU ${cpuMed(s.verify)?.toFixed(2)} s -> ${cpuMed(s.verifyJobs)?.toFixed(2)} s); serial fraction ${(f * 100).toFixed(0)} %, so on paper 4 threads ${at(4).toFixed(2)}×, 8 threads ${at(8).toFixed(2)}×`,
    );
  }
  if (jobsRow && lim2 != null)
    row(pass, {
      set: 'a',
      what: 'verify --jobs 2 vs the two-thread limit',
      t: jobsRow.t,
      bytes,
      ratio: { value: lim2 / jobsRow.t, of: 'two-thread limit' },
    });
  pass.dumpA = cmd('dump', 'dump --ndjson', { min: 0.5 }); // issue 17: half the verify limit
  cmd('dumpBatches', 'dump --batches');
  cmd('info', 'info');
  // Output sizes (read before the files are removed below) and the disk's time for them: the dd
  // of the NDJSON export's bytes with fsync, scaled to each output's size. A text export is bound
  // by the disk when writing its bytes durably takes 80 % of its time or more.
  const outBytes = {};
  for (const [key, f] of [
    ['export', exportFile],
    ['exportNdjson', exportText],
    ['exportCsv', exportCsv],
  ])
    if (fs.existsSync(f)) outBytes[key] = fs.statSync(f).size;
  for (const f of [exportFile, exportText, exportCsv, dumpText, ddFile]) fs.rmSync(f, { force: true });
  const ddT = s.writeLimit?.length ? wallMed(s.writeLimit) : null;
  const ddMiB = s.writeLimit?.[0]?.mib ?? null;
  const diskNote = (key) => {
    if (ddT == null || !outBytes[key] || !s[key]?.length) return '';
    const diskT = (ddT * outBytes[key]) / (ddMiB * MiB);
    const t = net(pass, s[key]);
    const share = Math.round((diskT / t) * 100);
    return diskT >= 0.8 * t
      ? ` (disk-bound: dd of its ${Math.round(outBytes[key] / MiB)} MiB with fsync takes ${diskT.toFixed(1)} s, ${share} % of its time)`
      : ` (dd of its ${Math.round(outBytes[key] / MiB)} MiB with fsync: ${diskT.toFixed(1)} s, ${share} % of its time)`;
  };
  const exportRow = (key, what) => {
    if (!s[key]?.length) return;
    const t = net(pass, s[key]);
    const dumpT = pass.dumpA?.t ?? null;
    row(pass, {
      set: 'a',
      what: what + (key === 'export' ? '' : diskNote(key)),
      t,
      bytes,
      rssMiB: rssMax(s[key]),
      cpu: cpuMed(s[key]),
      ratio: { value: dumpT != null ? dumpT / t : null, of: 'dump --ndjson' },
      target: { min: 0.3 },
      rssTarget: 300,
    });
  };
  exportRow('export', 'export --format parquet (snappy pages)');
  exportRow('exportNdjson', 'export --format ndjson');
  exportRow('exportCsv', 'export --format csv');
  // the same rows against dump writing its NDJSON into a file on the same disk (no target: context)
  const dumpFileRow = cmd('dumpFile', 'dump --ndjson > file on the same disk');
  const dumpFileSyncRow = cmd('dumpFileSync', 'dump --ndjson > file + fsync of it (sync FILE) on the same disk');
  if (s.writeLimit?.length)
    row(pass, { set: 'a', what: `write limit: dd ${s.writeLimit[0].mib} MiB (the NDJSON export's size) with conv=fsync`, t: wallMed(s.writeLimit), bytes, kind: 'limit' });
  for (const [key, what, base, of] of [
    ['exportNdjson', 'export --format ndjson vs dump --ndjson > file', dumpFileRow, 'dump --ndjson > file'],
    ['exportCsv', 'export --format csv vs dump --ndjson > file', dumpFileRow, 'dump --ndjson > file'],
    ['exportNdjson', 'export --format ndjson vs dump --ndjson > file + fsync', dumpFileSyncRow, 'dump --ndjson > file + fsync'],
    ['exportCsv', 'export --format csv vs dump --ndjson > file + fsync', dumpFileSyncRow, 'dump --ndjson > file + fsync'],
  ]) {
    if (!s[key]?.length || !base) continue;
    const t = net(pass, s[key]);
    row(pass, { set: 'a', what: what + (of.endsWith('fsync') ? diskNote(key) : ''), t, bytes, rssMiB: rssMax(s[key]), cpu: cpuMed(s[key]), ratio: { value: base.t / t, of } });
  }
}

function groupCodecs(pass) {
  if (!selected('codecs')) return;
  for (const c of CODECS) {
    const set = SETS[c];
    const files = logFiles(set.dir);
    const bytes = sizeOf(files);
    log(`\n[${pass.name}] data set ${c}: ${set.title}, ${fmtSize(bytes)} on disk`);
    warm(files);
    const s = rounds(pass, {
      decompress: () => limit(['decompress', ...files], pass.env),
      verify: () => kseg(['verify', set.dir], pass.env),
      dump: () => kseg(['dump', set.dir, '--ndjson'], pass.env),
    });
    const lim = s.decompress.length ? limitMed(s.decompress) : null;
    const libName = s.decompress[0]?.result.codecs.join(', ') ?? '?';
    if (lim != null) {
      const r0 = s.decompress[0].result;
      row(pass, { set: c, what: `${c}: codec library alone (${libName}), ${(r0.outBytes / r0.payloadBytes).toFixed(1)}:1`, t: lim, bytes, kind: 'limit' });
    }
    for (const [k, what] of [
      ['verify', 'verify'],
      ['dump', 'dump --ndjson'],
    ]) {
      if (!s[k].length) continue;
      const t = net(pass, s[k]);
      row(pass, {
        set: c,
        what: `${c}: ${what}`,
        t,
        bytes,
        rssMiB: rssMax(s[k]),
        cpu: cpuMed(s[k]),
        ratio: { value: lim != null ? lim / t : null, of: 'decompression alone' },
        target: { min: 0.7 },
      });
    }
  }
}

function groupMutating(pass) {
  const want = ['rebuild-index', 'truncate', 'compact', 'salvage', 'grep'].filter(selected);
  if (!want.length) return;
  const set = SETS.a;
  const stamp = readStamp(set);
  const files = logFiles(set.dir);
  const bytes = sizeOf(files);
  const logEnd = stamp.partitions[0].summary.logEndOffset;
  log(`\n[${pass.name}] data set a on copies: rebuild-index, truncate, compact vs verify of the same data`);
  warm(files);
  const copy = path.join(WORK, set.partitions[0].name);
  const fns = { verify: () => kseg(['verify', set.dir], pass.env) };
  const onCopy = (args) => () => {
    copyDir(set.dir, copy);
    try {
      return kseg([args[0], copy, ...args.slice(1)], pass.env);
    } finally {
      fs.rmSync(copy, { recursive: true, force: true });
    }
  };
  if (want.includes('rebuild-index')) fns.rebuild = onCopy(['rebuild-index']);
  if (want.includes('truncate')) fns.truncate = onCopy(['truncate', '--to-offset', String(Math.floor(logEnd / 2)), '--yes']);
  if (want.includes('compact')) fns.compact = onCopy(['compact', '--now', '1700000000000', '--yes']);
  if (want.includes('salvage')) {
    // Reads the data set in place (salvage never writes to its input) and writes a new partition.
    const out = path.join(WORK, 'salvaged-0');
    fns.salvage = () => {
      fs.rmSync(out, { recursive: true, force: true });
      try {
        return kseg(['salvage', set.dir, '-o', out], pass.env);
      } finally {
        fs.rmSync(out, { recursive: true, force: true });
      }
    };
  }
  // A key of the set's 100,000: a handful of matching records, every batch looked at (exit 0 or 1).
  if (want.includes('grep')) fns.grep = () => kseg(['grep', set.dir, '--key', 'key-004242', '-c'], pass.env, { okStatus: [0, 1] });
  const s = rounds(pass, fns);
  const v = s.verify.length ? net(pass, s.verify) : null;
  if (v != null) row(pass, { set: 'a', what: 'verify (reference for the rows below)', t: v, bytes, rssMiB: rssMax(s.verify), cpu: cpuMed(s.verify), kind: 'limit' });
  const cmd = (key, what, target) => {
    if (!s[key]?.length) return null;
    const t = net(pass, s[key]);
    return row(pass, {
      set: 'a',
      what,
      t,
      bytes,
      rssMiB: rssMax(s[key]),
      cpu: cpuMed(s[key]),
      ratio: target ? { value: v != null ? v / t : null, of: 'verify' } : undefined,
      target,
    });
  };
  pass.mutA = {
    rebuild: cmd('rebuild', 'rebuild-index', { min: 0.6 }),
    truncate: cmd('truncate', `truncate --to-offset ${Math.floor(logEnd / 2)}`),
    compact: cmd('compact', 'compact', { min: 0.4 }),
    salvage: cmd('salvage', 'salvage (intact input: scan, copy, rebuild indexes, fsync)'),
    grep: cmd('grep', 'grep --key key-004242 -c', { min: 0.5 }),
  };
}

function groupGenerate(pass) {
  if (!selected('generate')) return;
  const bytes = SIZE_A;
  log(`\n[${pass.name}] generate ${fmtSize(bytes)} (fsync) vs a raw sequential write (fsync)`);
  const out = path.join(WORK, 'gen-0');
  fs.mkdirSync(WORK, { recursive: true });
  let logBytes = bytes;
  const s = rounds(pass, {
    write: () => limit(['write', String(logBytes), path.join(WORK, 'raw.bin')], NATIVE_ON),
    generate: () => {
      fs.rmSync(out, { recursive: true, force: true });
      try {
        const r = kseg(['generate', out, ...SETS.a.partitions[0].args, '--force'], pass.env);
        logBytes = sizeOf(logFiles(out));
        return r;
      } finally {
        fs.rmSync(out, { recursive: true, force: true });
      }
    },
  });
  const lim = s.write.length ? limitMed(s.write) : null;
  if (lim != null) row(pass, { set: 'a', what: 'raw sequential write + fsync (4 MiB writes)', t: lim, bytes: logBytes, kind: 'limit' });
  if (s.generate.length) {
    const t = net(pass, s.generate);
    pass.genA = row(pass, {
      set: 'a',
      what: `generate ${fmtSize(bytes)}`,
      t,
      bytes: logBytes,
      rssMiB: rssMax(s.generate),
      cpu: cpuMed(s.generate),
      ratio: { value: lim != null ? lim / t : null, of: 'raw write' },
      target: { min: 0.5 },
    });
  }
}

function groupBig(pass) {
  if (!selected('big')) return;
  const set = SETS.c;
  const stamp = readStamp(set);
  const files = logFiles(set.dir);
  const bytes = sizeOf(files);
  const logEnd = stamp.partitions[0].summary.logEndOffset;
  log(`\n[${pass.name}] data set c: ${set.title} (${files.length} segments); one run each, peak RSS`);
  warm(files);
  const copy = path.join(WORK, set.partitions[0].name);
  const onCopy = (args) => () => {
    copyDir(set.dir, copy);
    try {
      return kseg([args[0], copy, ...args.slice(1)], pass.env);
    } finally {
      fs.rmSync(copy, { recursive: true, force: true });
    }
  };
  const gen = path.join(WORK, 'gen-big-0');
  const s = rounds(
    pass,
    {
      limit: () => limit(['crc', ...files], NATIVE_ON),
      verify: () => kseg(['verify', set.dir], pass.env),
      dump: () => kseg(['dump', set.dir, '--ndjson'], pass.env),
      rebuild: onCopy(['rebuild-index']),
      truncate: onCopy(['truncate', '--to-offset', String(Math.floor(logEnd / 2)), '--yes']),
      compact: onCopy(['compact', '--now', '1700000000000', '--yes']),
      generate: () => {
        fs.rmSync(gen, { recursive: true, force: true });
        try {
          return kseg(['generate', gen, ...set.partitions[0].args, '--force', '--no-fsync'], pass.env);
        } finally {
          fs.rmSync(gen, { recursive: true, force: true });
        }
      },
    },
    1,
  );
  const lim = s.limit.length ? limitMed(s.limit) : null;
  if (lim != null) row(pass, { set: 'c', what: 'verify limit', t: lim, bytes, kind: 'limit' });
  const small = { verify: pass.verifyA, dump: pass.dumpA, rebuild: pass.mutA?.rebuild, truncate: pass.mutA?.truncate, compact: pass.mutA?.compact, generate: pass.genA };
  const names = {
    verify: 'verify',
    dump: 'dump --ndjson',
    rebuild: 'rebuild-index',
    truncate: `truncate --to-offset ${Math.floor(logEnd / 2)}`,
    compact: 'compact',
    generate: 'generate (--no-fsync)',
  };
  for (const k of Object.keys(names)) {
    if (!s[k].length) continue;
    const t = net(pass, s[k]);
    const r = { set: 'c', what: names[k], t, bytes, rssMiB: rssMax(s[k]), cpu: cpuMed(s[k]), rssTarget: 200 };
    if ((k === 'verify' || k === 'dump') && lim != null) r.ratio = { value: lim / t, of: 'verify limit' };
    const a = small[k];
    if (a?.rssMiB != null && r.rssMiB != null) {
      // Flat memory: the 4x larger partition may not take more than 25 % (and 32 MiB) more.
      const grow = r.rssMiB - a.rssMiB;
      const flat = grow <= Math.max(32, a.rssMiB * 0.25);
      r.targetText = `flat (${fmtSize(SIZE_A)}: ${a.rssMiB.toFixed(0)})`;
      r.flat = flat;
    }
    row(pass, r);
  }
}

function groupLookup(pass) {
  if (!selected('lookup')) return;
  const set = SETS.d;
  const stamp = readStamp(set);
  const logEnd = stamp.partitions[0].summary.logEndOffset;
  const first = stamp.partitions[0].summary.logStartOffset ?? 0;
  const segs = logFiles(set.dir).length;
  log(`\n[${pass.name}] data set d: ${set.title} (${segs} segments): ${LOOKUPS} lookups spread over offsets ${first}..${logEnd - 1}`);
  warm(
    fs
      .readdirSync(set.dir)
      .filter((f) => /\.(index|timeindex)$/.test(f))
      .map((f) => path.join(set.dir, f)),
  );
  const offsets = Array.from({ length: LOOKUPS }, (_, i) => first + Math.floor(((i + 0.5) * (logEnd - first)) / LOOKUPS) + ((i * 7919) % 97));
  // Bytes read: one untimed --json --explain per offset.
  let worst = null;
  let maxScanned = 0;
  for (const o of offsets) {
    try {
      const r = withRetry(pass, `lookup --explain of offset ${o}`, () => kseg(['lookup', set.dir, '--offset', String(o), '--json', '--explain'], pass.env, { capture: true }));
      const j = JSON.parse(r.stdout);
      const scanned = j.bytesScanned ?? j.explain?.bytesScanned;
      const batch = j.batch?.size ?? 0;
      if (scanned == null) throw new Error('no bytesScanned in lookup --json --explain output');
      maxScanned = Math.max(maxScanned, scanned);
      const over = scanned - (4096 + batch);
      if (!worst || over > worst.over) worst = { over, scanned, batch, offset: o };
    } catch (e) {
      note(pass, `lookup --explain of offset ${o}: ${e.message}`);
    }
  }
  const xs = [];
  const base = [];
  const failed = new Set();
  for (let r = 0; r < opts.runs; r++) {
    base.push(...measureStartup(pass, 3));
    for (const o of offsets) {
      if (failed.has(o)) continue;
      try {
        xs.push(withRetry(pass, `lookup --offset ${o}`, () => kseg(['lookup', set.dir, '--offset', String(o)], pass.env)));
      } catch (e) {
        failed.add(o);
        note(pass, `lookup --offset ${o}: ${e.message}`);
      }
    }
  }
  const node0 = wallMed(base);
  if (xs.length) {
    const w = wallMed(xs);
    row(pass, {
      set: 'd',
      what: `lookup ×${xs.length} (median, whole process)`,
      t: w,
      rssMiB: rssMax(xs),
      cpu: cpuMed(xs),
      ratio: { value: w / node0, of: 'node -e 0', kind: 'time' },
      target: { max: 1.3 },
    });
  }
  if (worst) {
    row(pass, {
      set: 'd',
      what: 'lookup: log bytes scanned',
      info: `max ${maxScanned} B; worst ${worst.scanned} B with a ${worst.batch} B batch (offset ${worst.offset})`,
      targetText: '≤ 4096 (index.interval.bytes) + one batch',
      ok: worst.over <= 0,
    });
  }
}

/** Issue 15: an uncompressed tar read in place (header index + positional reads) vs the directory. */
function groupTar(pass) {
  if (!selected('tar')) return;
  const set = SETS.d;
  const stamp = readStamp(set);
  const archive = path.join(path.dirname(set.dir), 'many.tar');
  if (!fs.existsSync(archive) || fs.statSync(archive).mtimeMs < fs.statSync(set.dir).mtimeMs) {
    check(run('tar', ['-cf', archive, '-C', path.dirname(set.dir), path.basename(set.dir)]), 'tar -cf');
  }
  const members = fs.readdirSync(set.dir).length;
  const first = stamp.partitions[0].summary.logStartOffset ?? 0;
  const end = stamp.partitions[0].summary.logEndOffset;
  const offset = String(first + Math.floor((end - first) * 0.7));
  log(`\n[${pass.name}] data set d tarred (${members} members, ${fmtSize(fs.statSync(archive).size)}): read in place vs the directory`);
  warm([archive]);
  const xs = rounds(pass, {
    lookupTar: () => kseg(['lookup', archive, '--offset', offset], pass.env),
    lookupDir: () => kseg(['lookup', set.dir, '--offset', offset], pass.env),
    infoTar: () => kseg(['info', archive, '--json'], pass.env),
    infoDir: () => kseg(['info', set.dir, '--json'], pass.env),
  });
  for (const [what, a, b, max] of [
    ['lookup of logs.tar (in place: header index, one index, the bytes scanned)', xs.lookupTar, xs.lookupDir, 3],
    ['info of logs.tar (in place)', xs.infoTar, xs.infoDir, 1.5],
  ]) {
    if (!a.length || !b.length) continue;
    row(pass, { set: 'd', what, t: wallMed(a), cpu: cpuMed(a), rssMiB: rssMax(a), ratio: { value: wallMed(a) / wallMed(b), of: 'the directory', kind: 'time' }, target: { max } });
  }
}

function groupHelp(pass) {
  if (!selected('help')) return;
  log(`\n[${pass.name}] start-up: kseg --help vs node -e 0`);
  const base = [];
  const xs = [];
  for (let r = 0; r < opts.runs * 5; r++) {
    base.push(...measureStartup(pass, 1));
    try {
      xs.push(withRetry(pass, 'kseg --help', () => kseg(['--help'], pass.env)));
    } catch (e) {
      note(pass, `kseg --help: ${e.message}`);
      break;
    }
  }
  const node0 = wallMed(base);
  row(pass, { set: '-', what: 'node -e 0', t: node0, rssMiB: rssMax(base), cpu: cpuMed(base), kind: 'limit' });
  if (xs.length) {
    const w = wallMed(xs);
    row(pass, {
      set: '-',
      what: 'kseg --help (whole process)',
      t: w,
      rssMiB: rssMax(xs),
      cpu: cpuMed(xs),
      ratio: { value: w / node0, of: 'node -e 0', kind: 'time' },
      target: { max: 1.3 },
    });
  }
}

function groupScan(pass) {
  if (!selected('scan')) return;
  const set = SETS.e;
  const files = logFiles(set.dir);
  const bytes = sizeOf(files);
  log(`\n[${pass.name}] data set e: ${set.title}: scan --jobs 1 vs --jobs 2`);
  warm(files);
  const s = rounds(pass, {
    one: () => kseg(['scan', set.dir, '--jobs', '1', '--no-progress'], pass.env),
    two: () => kseg(['scan', set.dir, '--jobs', '2', '--no-progress'], pass.env),
  });
  if (!s.one.length || !s.two.length) return;
  const t1 = net(pass, s.one);
  const t2 = net(pass, s.two);
  row(pass, { set: 'e', what: 'scan --jobs 1', t: t1, bytes, rssMiB: rssMax(s.one), cpu: cpuMed(s.one) });
  row(pass, {
    set: 'e',
    what: 'scan --jobs 2',
    t: t2,
    bytes,
    rssMiB: rssMax(s.two),
    cpu: cpuMed(s.two),
    ratio: { value: t1 / t2, of: 'scan --jobs 1', kind: 'times' },
    target: { min: 1.7 },
  });
  // On paper (Amdahl): the serial fraction f that gives this 1 -> 2 speed-up, and what it allows
  // on more cores: S(n) = 1 / (f + (1 - f) / n). CPU time shows whether the second worker adds work.
  const s2 = t1 / t2;
  const f = Math.min(1, Math.max(0, 2 / s2 - 1));
  const at = (n) => 1 / (f + (1 - f) / n);
  note(
    pass,
    `scan scaling: 1 -> 2 workers ${s2.toFixed(2)}× (CPU ${cpuMed(s.one)?.toFixed(2)} s -> ${cpuMed(s.two)?.toFixed(2)} s); serial fraction ${(f * 100).toFixed(0)} %, so on paper 4 workers ${at(4).toFixed(2)}×, 8 workers ${at(8).toFixed(2)}×`,
  );
}

function groupInternal(pass) {
  if (!selected('internal')) return;
  const set = SETS.i;
  const files = logFiles(set.dir);
  const bytes = sizeOf(files);
  log(`\n[${pass.name}] data set i: ${set.title}: decoded vs raw`);
  warm(files);
  // The same bytes and the same raw key/value rendering (base64, what the decoded dump prints for
  // the raw fields): the difference is the cost of decoding and writing "decoded".
  const s = rounds(pass, {
    plain: () => kseg(['dump', set.dir, '--ndjson', '--internal-decoder', 'none', '--decoder', 'base64'], pass.env),
    decoded: () => kseg(['dump', set.dir, '--ndjson'], pass.env),
  });
  if (!s.plain.length || !s.decoded.length) return;
  const tp = net(pass, s.plain);
  const td = net(pass, s.decoded);
  row(pass, { set: 'i', what: 'dump --ndjson --internal-decoder none --decoder base64', t: tp, bytes, rssMiB: rssMax(s.plain), cpu: cpuMed(s.plain) });
  row(pass, {
    set: 'i',
    what: 'dump --ndjson (offsets decoder, by the directory name)',
    t: td,
    bytes,
    rssMiB: rssMax(s.decoded),
    cpu: cpuMed(s.decoded),
    ratio: { value: tp / td, of: 'the same dump undecoded' },
    target: { min: 0.5 },
  });
}

let pythonCache;
function findKafkaPython() {
  if (pythonCache !== undefined) return pythonCache;
  pythonCache = null;
  for (const py of ['python3', '/usr/bin/python3']) {
    const r = spawnSync(py, ['-c', 'import kafka, sys; print(kafka.__version__, sys.version.split()[0])'], { encoding: 'utf8' });
    if (r.status === 0) {
      pythonCache = { py, version: r.stdout.trim() };
      break;
    }
  }
  return pythonCache;
}

let jvmPeer = null;
const groupJvm = makeGroupJvm({
  peer: () => jvmPeer,
  SETS,
  opts,
  run,
  check,
  kseg,
  rounds,
  row,
  note,
  log: (m) => log(m),
  logFiles,
  sizeOf,
  warm,
  wallMed,
  rssMax,
  cpuMed,
  fmtSize,
});

function groupPeer(pass, shared) {
  if (!selected('peer')) return;
  const py = findKafkaPython();
  if (!py) {
    note(pass, 'peer: skipped: kafka-python not installed (apt-get install python3-kafka)');
    return;
  }
  // Two record shapes: 1 KB values (set a, bytes dominate) and generate's small records (set f,
  // per-record work dominates).
  for (const set of [SETS.a, SETS.f]) {
    const seg = logFiles(set.dir)[0];
    log(`\n[${pass.name}] peer on set ${set.key}: kafka-python vs dump --ndjson on the first ${fmtSize(PEER_BYTES)} of ${path.basename(seg)}`);
    warm([seg]);
    const fns = { dump: () => kseg(['dump', seg, '--ndjson', '--max-bytes', String(PEER_BYTES)], pass.env) };
    if (!shared[`peer-${set.key}`]) {
      fns.python = () => {
        const r = check(run(py.py, [PEER, seg, String(PEER_BYTES)], { capture: true }), 'kafka-python peer');
        return { ...r, result: JSON.parse(r.stdout.trim().split('\n').pop()) };
      };
    }
    const s = rounds(pass, fns);
    if (s.python?.length) {
      const r0 = s.python[0].result;
      shared[`peer-${set.key}`] = {
        t: limitMed(s.python),
        bytes: r0.bytes,
        records: r0.records,
        rssMiB: rssMax(s.python),
        cpu: cpuMed(s.python),
        version: py.version,
        pass: pass.name,
      };
    }
    const peer = shared[`peer-${set.key}`];
    if (peer) {
      const [kv, pyv] = peer.version.split(' ');
      row(pass, {
        set: set.key,
        what: `kafka-python ${kv} decoder (py ${pyv}), ${(peer.bytes / peer.records).toFixed(0)} B/record${peer.pass !== pass.name ? `, ${peer.pass} pass` : ''}`,
        t: peer.t,
        bytes: peer.bytes,
        rssMiB: peer.rssMiB,
        kind: 'limit',
      });
    }
    if (s.dump.length) {
      const t = net(pass, s.dump);
      row(pass, {
        set: set.key,
        what: `dump SEGMENT --ndjson --max-bytes ${fmtSize(PEER_BYTES)}`,
        t,
        bytes: peer?.bytes ?? PEER_BYTES,
        rssMiB: rssMax(s.dump),
        cpu: cpuMed(s.dump),
        ratio: peer ? { value: peer.t / t, of: 'kafka-python', kind: 'times' } : undefined,
        target: peer ? { min: 20 } : undefined,
      });
    }
  }
}

// ------------------------------------------------------------------ machine

function machine() {
  let cpu = os.cpus()[0]?.model ?? '';
  try {
    const m = /^model name\s*:\s*(.+)$/m.exec(fs.readFileSync('/proc/cpuinfo', 'utf8'));
    if (m) cpu = m[1].trim();
  } catch {
    /* not Linux */
  }
  const npm = spawnSync(process.platform === 'win32' ? 'npm.cmd' : 'npm', ['--version'], { encoding: 'utf8' });
  const v = spawnSync(NODE, [KSEG, '--version', '--verbose'], { encoding: 'utf8' });
  const vOff = spawnSync(NODE, [KSEG, '--version', '--verbose'], { encoding: 'utf8', env: { ...process.env, ...NATIVE_OFF } });
  const git = spawnSync('git', ['-C', ROOT, 'log', '-1', '--format=%h %cI %s'], { encoding: 'utf8' });
  const dirty = spawnSync('git', ['-C', ROOT, 'status', '--porcelain', '--untracked-files=no'], { encoding: 'utf8' });
  return {
    commit: git.status === 0 ? `${git.stdout.trim()}${dirty.status === 0 && dirty.stdout.trim() ? ` (+ ${dirty.stdout.trim().split('\n').length} modified files)` : ''}` : '?',
    date: new Date().toISOString(),
    cpu,
    cores: os.cpus().length,
    ramGiB: os.totalmem() / GiB,
    node: process.version,
    npm: npm.status === 0 ? npm.stdout.trim() : '?',
    kernel: `${os.type()} ${os.release()} ${os.arch()}`,
    kseg: (v.stdout || v.stderr).trim(),
    ksegNoNative: (vOff.stdout || vOff.stderr).trim(),
    rssTool: TIME_BIN ? '/usr/bin/time -f "%M %U %S"' : 'process.resourceUsage().maxRSS via node --import bench/lib/rss-preload.mjs',
    load: os
      .loadavg()
      .map((x) => x.toFixed(2))
      .join(' '),
    busy: os.loadavg()[0] > Math.max(1, os.cpus().length * 0.25),
    jvm: jvmMachineLine(jvmPeer),
  };
}

// ------------------------------------------------------------------ report

const COLS = ['data', 'measurement', 'time s', 'cpu s', 'MB/s', 'ratio', 'peak RSS MiB', 'target', 'result'];
const RIGHT = new Set([2, 3, 4, 6]);
function cells(x) {
  return [
    x.set,
    x.what,
    x.t != null ? x.t.toFixed(3) : '',
    x.cpu != null ? x.cpu.toFixed(2) : '',
    x.mbps != null ? fmtNum(x.mbps) : '',
    x.ratio?.value != null ? ratioText(x) : (x.info ?? (x.kind === 'limit' ? '(limit)' : '')),
    x.rssMiB != null ? x.rssMiB.toFixed(0) : '',
    targetText(x),
    x.ok === undefined ? '' : x.ok ? 'met' : 'NOT met',
  ];
}

function textTable(passName) {
  const body = rows.filter((x) => x.pass === passName).map(cells);
  const w = COLS.map((c, i) => Math.max(c.length, ...body.map((r) => r[i].length)));
  const line = (r) =>
    r
      .map((c, i) => (RIGHT.has(i) ? c.padStart(w[i]) : c.padEnd(w[i])))
      .join('  ')
      .trimEnd();
  return [line(COLS), w.map((n) => '-'.repeat(n)).join('  '), ...body.map(line)].join('\n');
}

function missedLines() {
  return rows
    .filter((x) => x.ok === false)
    .map(
      (x) =>
        `[${x.pass}, set ${x.set}] ${x.what}: ${x.ratio?.value != null ? ratioText(x) : (x.info ?? '')}${x.rssMiB != null && x.rssTarget ? ` (RSS ${x.rssMiB.toFixed(0)} MiB)` : ''}; target ${targetText(x)}`,
    );
}

function markdown(m, passes, sets, seconds) {
  const esc = (s) => String(s).replace(/\|/g, '\\|');
  const out = [];
  out.push('# kseg benchmark results', '');
  out.push(
    `Written by \`npm run bench\` (bench/run.mjs) on ${m.date}${opts.quick ? ' — **quick mode (1/8 sizes), for development only**' : opts.scale !== 1 ? ` — scale ${opts.scale}` : ''}${opts.only ? ` — subset: ${opts.only.join(', ')}` : ''}; ${opts.runs} run(s) per measurement, median; total ${Math.round(seconds)} s.`,
    '',
  );
  out.push('## Machine', '');
  out.push(`- CPU: ${m.cpu}, ${m.cores} cores; RAM ${m.ramGiB.toFixed(1)} GiB`);
  out.push(`- ${m.kernel}; Node ${m.node}; npm ${m.npm}`);
  out.push(`- load average (1, 5, 15 min) before the run: ${m.load}; after: ${m.loadEnd ?? '?'}${m.busy ? ' — **the machine was busy: treat these numbers as noisy**' : ''}`);
  out.push(`- peak RSS and CPU time measured with ${m.rssTool}`);
  out.push(`- kseg at commit ${m.commit}`);
  if (m.jvm) out.push(`- ${m.jvm}`);
  out.push('', '`kseg --version --verbose`:', '', '```', m.kseg, '```', '');
  if (passes.includes('no-native')) out.push('with `KSEG_NO_NATIVE=1 KSEG_READER=pread` (the no-native pass):', '', '```', m.ksegNoNative, '```', '');
  out.push('## Data (kseg generate, kept in bench/.data/run/)', '');
  for (const s of sets) {
    const st = readStamp(s);
    const files = logFiles(s.dir);
    const p0 = s.partitions[0];
    const cmd = `kseg generate ${s.logDir ? 'LOGDIR/scan-N' : p0.name} ${p0.args.join(' ').replace(/--seed \d+/, '--seed N+1')} --no-fsync`;
    out.push(
      `- **${s.key}**: ${s.title} — ${files.length} segment(s), ${fmtSize(sizeOf(files))} of .log files${st ? `; generated in ${Math.round(st.seconds)} s` : ''}: \`${cmd}\``,
    );
  }
  out.push('');
  out.push('## Results', '');
  out.push(
    'Throughput (MB/s, 10^6 bytes of .log files per second) uses the command\'s wall time minus `node -e 0` measured in the same run; limits use their timed loop only. Ratios are throughput ratios to the named limit (higher is better) except the start-up rows (whole wall time as a multiple of `node -e 0`, lower is better). "cpu s" is the user + system CPU time of the whole process (all threads, start-up included): on a busy machine it moves less than wall time. Peak RSS is the whole process.' +
      (selected('jvm')
        ? " The jvm rows (Kafka's own code) use whole-process wall time on both sides; their ratio is the JVM's time over kseg's (higher: kseg further ahead)."
        : ''),
    '',
  );
  for (const p of passes) {
    out.push(`### ${p === 'native' ? 'Native fast paths (as installed)' : 'No native modules: KSEG_NO_NATIVE=1 KSEG_READER=pread'}`, '');
    out.push(`| ${COLS.join(' | ')} |`);
    out.push(`|${COLS.map((_, i) => (RIGHT.has(i) ? '---:' : '---')).join('|')}|`);
    for (const x of rows.filter((r) => r.pass === p)) out.push(`| ${cells(x).map(esc).join(' | ')} |`);
    out.push('');
  }
  const missed = missedLines();
  const met = rows.filter((x) => x.ok === true);
  out.push(`Targets: ${met.length} met, ${missed.length} not met.`, '');
  if (missed.length) {
    out.push('Not met:', '');
    for (const l of missed) out.push(`- ${esc(l)}`);
    out.push('');
  }
  if (notes.length) {
    out.push('## Notes', '');
    for (const n of notes) out.push(`- ${n}`);
    out.push('');
  }
  out.push('## How it is measured', '');
  out.push(
    "- verify limit: `bench/lib/limits.mjs crc` — every byte of the same .log files through CRC-32C over the windows kseg's reader hands out (memory-mapped 64 MiB windows and positional reads, 16 MiB CRC calls), with every CRC-32C implementation that loads (sse4_crc32, @node-rs/crc32), the fastest combination counting (issue 17: which is fastest depends on the CPU; kseg picks its own by a calibration, shown in the `kseg --version --verbose` block above); always measured with the native paths on, so the no-native pass shows what the fallback costs against the machine's limit.",
  );
  out.push(
    "- decompression alone: `bench/lib/limits.mjs decompress` — the compressed v2 payloads are located first (untimed), then only the library calls are timed: zlib `gunzipSync`, `snappy` `uncompressSync` with copyOutputData (xerial blocks unframed), lz4-napi blocks through kseg's LZ4 frame walk, zstd-napi (or fzstd without native modules, as kseg does).",
  );
  out.push('- generate limit: sequential 4 MiB `fs.writeSync` calls + fsync of the same number of bytes; generate runs with its default fsync.');
  out.push('- Commands run as `node bin/kseg.js ...` child processes, stdout to /dev/null; rebuild-index, truncate and compact on a fresh copy each run (copy untimed).');
  out.push(
    '- internal (issue 16): `dump --ndjson` of set i, a `__consumer_offsets-0` written by `kseg generate --internal offsets` (every offsets record type and version in turn), decoded as the directory name selects, vs the same command with `--internal-decoder none --decoder base64` (the raw key and value rendered as the decoded dump renders them): the ratio is the throughput kept with decoding on; target ≥ 0.5.',
  );
  out.push(
    "- peer: kafka-python's `MemoryRecords` / `DefaultRecordBatch` iterating every record of the batches in the first ~200 MB of a segment, reading key and value (decode loop only; file read and `import kafka` excluded; no CRC check) vs `kseg dump SEGMENT --ndjson --max-bytes N` (which checks CRCs and writes JSON), on set a (1 KB values) and set f (small records, where per-record work dominates). kafka-python runs once, in the native pass; its time is reused in the no-native pass.",
  );
  if (selected('jvm')) out.push(`- ${JVM_HOW}`);
  out.push('- The 4 GiB rows are one run each; "flat" compares peak RSS with the same command on the 1 GiB set (at most +25 % or +32 MiB).');
  out.push('');
  return out.join('\n');
}

// ------------------------------------------------------------------ main

async function main() {
  const t0 = Date.now();
  for (const f of ['dist/ops/verify/index.js', 'dist/storage/source.js', 'dist/format/crc.js']) {
    if (!fs.existsSync(path.join(ROOT, f))) {
      console.error(`bench/run.mjs: ${f} is missing; run "npm run build" first (npm run bench does)`);
      process.exit(2);
    }
  }
  const items = Object.keys(ITEMS).filter(selected);
  if (selected('jvm')) {
    // Found (and built, once) before the data sets: without a JDK or Kafka's source its sets are not needed.
    jvmPeer = findJvmPeer({ root: ROOT, dataDir: opts.data, log });
    if (!jvmPeer.ok) NEEDS.jvm = []; // groupJvm notes why
  }
  const setKeys = [...new Set(items.flatMap((i) => NEEDS[i]))];
  const sets = setKeys.map((k) => SETS[k]);
  log(`kseg bench: ${items.join(', ')}; scale ${opts.scale}${opts.quick ? ' (--quick)' : ''}, ${opts.runs} run(s) each; data in ${opts.data}`);
  diskCheck(sets);
  for (const s of sets) {
    try {
      ensureData(s);
    } catch (e) {
      console.error(`bench/run.mjs: generating data set ${s.key} failed: ${e.message}`);
      process.exit(1);
    }
  }
  if (opts.prepare) {
    log('data sets ready (--prepare: nothing measured)');
    return;
  }
  fs.rmSync(WORK, { recursive: true, force: true });
  fs.mkdirSync(WORK, { recursive: true });
  const m = machine();
  log(`\n${m.cpu}, ${m.cores} cores, ${m.ramGiB.toFixed(0)} GiB RAM, node ${m.node}; ${m.kseg.split('\n').slice(2).join('; ')}`);
  if (m.busy) log(`warning: load average ${m.load} before the run: other work is running, the numbers will be noisy`);
  if (!findKafkaPython() && selected('peer')) log('kafka-python: not found (python3 / /usr/bin/python3 -c "import kafka")');

  const remote = selected('remote') ? await prepareRemote({ root: ROOT, dir: SETS.a.dir, note }) : null;
  const groupRemoteOf = (pass) =>
    groupRemote(pass, remote, { dir: SETS.a.dir, logFiles, sizeOf, kseg, rounds, net, row, note, log: (m) => log(m), rssMax, cpuMed, lookups: LOOKUPS });
  const passes = [{ name: 'native', env: { ...NATIVE_ON } }];
  if (opts.noNativePass) passes.push({ name: 'no-native', env: { ...NATIVE_OFF } });
  const shared = {};
  for (const pass of passes) {
    pass.startupSamples = [];
    log(`\n=== pass: ${pass.name}${pass.env.KSEG_NO_NATIVE ? ' (KSEG_NO_NATIVE=1 KSEG_READER=pread)' : ''}`);
    measureStartup(pass, 5);
    log(`  node -e 0: ${(pass.startup * 1000).toFixed(0)} ms (subtracted from command wall times)`);
    for (const g of [
      groupHelp,
      groupLookup,
      groupRead,
      groupCodecs,
      groupMutating,
      groupGenerate,
      groupBig,
      groupScan,
      groupInternal,
      groupPeer,
      groupJvm,
      groupTar,
      groupRemoteOf,
    ]) {
      try {
        g(pass, shared);
      } catch (e) {
        note(pass, `${g.name.replace(/^group/, '')}: ${e.message}`);
      }
    }
  }
  fs.rmSync(WORK, { recursive: true, force: true });
  await remote?.server.close();

  const seconds = (Date.now() - t0) / 1000;
  for (const p of passes) {
    console.log(`\n${p.name === 'native' ? 'native fast paths' : 'no native modules (KSEG_NO_NATIVE=1 KSEG_READER=pread)'}:`);
    console.log(textTable(p.name));
  }
  console.log('');
  const missed = missedLines();
  const met = rows.filter((x) => x.ok === true).length;
  console.log(`targets: ${met} met, ${missed.length} not met; ${Math.round(seconds)} s in all`);
  for (const l of missed) console.log(`  NOT met: ${l}`);
  m.loadEnd = os
    .loadavg()
    .map((x) => x.toFixed(2))
    .join(' ');
  for (const n of notes) console.log(`note: ${n}`);

  const full = !opts.quick && opts.scale === 1 && !opts.only;
  const resultsFile = opts.results ?? (full ? path.join(ROOT, 'bench', 'RESULTS.md') : path.join(opts.data, 'RESULTS.md'));
  fs.writeFileSync(
    resultsFile,
    markdown(
      m,
      passes.map((p) => p.name),
      sets,
      seconds,
    ),
  );
  console.log(
    `written: ${path.relative(process.cwd(), resultsFile) || resultsFile}${full ? '' : ' (not bench/RESULTS.md: quick, scaled or partial run; --results FILE to choose)'}`,
  );
  if (opts.json) fs.writeFileSync(opts.json, JSON.stringify({ machine: m, options: opts, rows, notes }, null, 2));
}

main().catch((e) => {
  console.error(`bench/run.mjs: ${e.stack ?? e.message}`);
  process.exit(1);
});
