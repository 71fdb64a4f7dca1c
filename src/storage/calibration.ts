import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { crc32c, crc32cCandidates, useCrc32c, type Crc32cCandidate } from '../format/crc.js';
import { UsageError } from '../format/errors.js';

/**
 * Which CRC-32C implementation is fastest on this CPU, chosen by measurement (issue 17).
 *
 * The two candidates trade places between CPUs: the SSE4.2 addon wins on the AMD EPYC the bench was
 * first run on, `@node-rs/crc32` (a slicing/PCLMUL implementation) wins by ~3x on an Intel Xeon. A
 * name-based preference therefore loses a third of verify's speed somewhere. The first command that
 * opens a file large enough to matter (CALIBRATE_MIN_BYTES) times every candidate on the same
 * buffers (~2 ms in all), keeps the fastest, and caches the result per machine, CPU model and Node
 * version in the user's cache directory, so later runs only read a small JSON file.
 *
 * `KSEG_CRC=sse4|node-rs` forces a choice (no measurement). The cache is a hint, never a
 * requirement: an unreadable, unwritable or malformed cache file means "measure again".
 */

/** Files below this size are checked with the default order: timing would cost more than it saves. */
export const CALIBRATE_MIN_BYTES = 8 * 1024 * 1024;
const CACHE_VERSION = 1;
/** Buffers timed per candidate: many batch-sized calls (per-call overhead) and one large call. */
const SMALL_CALL = 16 * 1024;
const SMALL_CALLS = 64;
const LARGE_CALL = 1024 * 1024;
const ROUNDS = 3;

export interface CrcCalibration {
  /** The candidate in use ('sse4' | 'node-rs'). */
  chosen: string;
  /** How it was chosen, in words. */
  how: 'forced by KSEG_CRC' | 'measured now' | 'measured earlier (cached)' | 'the only candidate';
  /** Measured throughput per candidate id, GB/s (10^9 bytes/s); empty when nothing was measured. */
  speeds: Record<string, number>;
  /** The cache file read or written, when one was used. */
  cacheFile?: string;
}

let done: CrcCalibration | null = null;

export function calibrationCacheFile(env: NodeJS.ProcessEnv = process.env): string {
  if (env.KSEG_CACHE_DIR) return path.join(env.KSEG_CACHE_DIR, 'calibration.json');
  const base = env.XDG_CACHE_HOME || path.join(os.homedir(), '.cache');
  return path.join(base, 'kseg', 'calibration.json');
}

/** What identifies a machine for the cache: a result measured under another CPU or Node is not reused. */
export function machineKey(list: readonly Crc32cCandidate[]): string {
  const cpu = os.cpus()[0]?.model?.trim() || 'unknown cpu';
  return `${process.version} ${process.platform}-${process.arch} ${cpu} [${list.map((c) => c.id).join(',')}]`;
}

/** Throughput of each candidate in GB/s on the same bytes; candidates alternate so noise hits all. */
export function measureCrc32c(list: readonly Crc32cCandidate[] = crc32cCandidates()): Record<string, number> {
  const buf = Buffer.allocUnsafe(LARGE_CALL);
  for (let i = 0; i < buf.length; i += 4) buf.writeUInt32LE((i * 2654435761) >>> 0, i);
  const best = new Map<string, number>();
  let sink = 0;
  for (const c of list) sink ^= c.fn(buf.subarray(0, SMALL_CALL)); // load and warm outside the timing
  for (let r = 0; r < ROUNDS; r++) {
    for (const c of list) {
      const t0 = process.hrtime.bigint();
      for (let i = 0; i < SMALL_CALLS; i++) sink ^= c.fn(buf.subarray(i * SMALL_CALL, (i + 1) * SMALL_CALL));
      sink ^= c.fn(buf);
      const ns = Number(process.hrtime.bigint() - t0);
      best.set(c.id, Math.min(best.get(c.id) ?? Infinity, ns));
    }
  }
  if (sink === 0.5) throw new Error('unreachable'); // keeps the calls observable
  const bytes = SMALL_CALL * SMALL_CALLS + LARGE_CALL;
  const out: Record<string, number> = {};
  for (const [id, ns] of best) out[id] = Math.round((bytes / Math.max(ns, 1)) * 100) / 100;
  return out;
}

interface CacheEntry {
  crc32c?: string;
  speeds?: Record<string, number>;
  measuredAt?: string;
  /** The reader measured on the first large file read sequentially (see calibrateReader). */
  reader?: { chosen: ReaderId; speeds: Record<string, number>; measuredAt: string };
}

interface CacheFile {
  version: number;
  entries: Record<string, CacheEntry>;
}

function readCache(file: string): CacheFile | null {
  try {
    const text = fs.readFileSync(file, 'utf8');
    if (text.length > 1 << 20) return null;
    const c = JSON.parse(text) as CacheFile;
    return c && c.version === CACHE_VERSION && typeof c.entries === 'object' && c.entries !== null ? c : null;
  } catch {
    return null;
  }
}

/** Best effort: temp file + rename, so a concurrent reader sees the old file or the new one. */
function writeCache(file: string, c: CacheFile): boolean {
  const tmp = `${file}.${process.pid}.tmp`;
  try {
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(tmp, JSON.stringify(c, null, 2) + '\n');
    fs.renameSync(tmp, file);
    return true;
  } catch {
    try {
      fs.rmSync(tmp, { force: true });
    } catch {
      /* nothing more to do: the cache is a hint */
    }
    return false;
  }
}

function describe(c: CrcCalibration): string {
  const speeds = Object.entries(c.speeds)
    .map(([id, s]) => `${id} ${s} GB/s`)
    .join(', ');
  return `${c.how}${speeds ? `: ${speeds}` : ''}`;
}

/**
 * Choose the CRC-32C implementation for this thread, once; later calls return the first answer.
 * `remeasure` ignores the cache (and rewrites it).
 */
export function calibrateCrc32c(opts: { env?: NodeJS.ProcessEnv; remeasure?: boolean } = {}): CrcCalibration {
  if (done && !opts.remeasure) return done;
  const env = opts.env ?? process.env;
  const list = crc32cCandidates();
  const forced = env.KSEG_CRC;
  if (forced !== undefined && forced !== '') {
    if (!list.some((c) => c.id === forced)) {
      const known = ['sse4', 'node-rs'];
      throw new UsageError(
        known.includes(forced)
          ? `KSEG_CRC=${forced}: that implementation did not load here (available: ${list.map((c) => c.id).join(', ')}; see kseg --version --verbose)`
          : `KSEG_CRC=${forced}: expected one of ${known.join(', ')}`,
      );
    }
    done = { chosen: forced, how: 'forced by KSEG_CRC', speeds: {} };
  } else if (list.length === 1) {
    done = { chosen: list[0].id, how: 'the only candidate', speeds: {} };
  } else {
    const file = calibrationCacheFile(env);
    const key = machineKey(list);
    const cache = readCache(file);
    const hit = opts.remeasure ? undefined : cache?.entries[key];
    if (hit?.crc32c !== undefined && list.some((c) => c.id === hit.crc32c)) {
      done = { chosen: hit.crc32c, how: 'measured earlier (cached)', speeds: hit.speeds ?? {}, cacheFile: file };
    } else {
      const speeds = measureCrc32c(list);
      // Ties (within 3 %) keep the default order: no flapping between runs on equal hardware.
      let chosen = list[0];
      for (const c of list) if (speeds[c.id] > speeds[chosen.id] * 1.03) chosen = c;
      const next: CacheFile = cache ?? { version: CACHE_VERSION, entries: {} };
      next.entries[key] = { ...next.entries[key], crc32c: chosen.id, speeds, measuredAt: new Date().toISOString() };
      const saved = writeCache(file, next);
      done = { chosen: chosen.id, how: 'measured now', speeds, cacheFile: saved ? file : undefined };
    }
  }
  useCrc32c(done.chosen, describe(done));
  return done;
}

/** Called where a file is opened for reading: calibrates once the work is large enough to matter. */
export function calibrateForSize(bytes: number): void {
  if (done === null && bytes >= CALIBRATE_MIN_BYTES) calibrateCrc32c();
}

// ---------------------------------------------------------------- the reader

/**
 * Mapped windows or positional reads for a large file read front to back (issue 17). Which is
 * faster depends on the kernel and CPU: mapping saves the copy into a user buffer, positional
 * reads save a page fault per 4 KiB page and the TLB work. The first file of at least
 * READER_CALIBRATE_MIN_BYTES opened for a sequential read (mapping possible, no reader forced)
 * times both on its own first bytes, as verify reads them: the range read once to bring it into
 * the page cache (a read the command does next anyway), then, alternating, mapped in one window
 * and checked with the chosen CRC-32C in batch-sized steps, and read in 1 MiB positional reads
 * each checked the same way. The positional reads start half a page into the file: kseg's reads
 * start at batch boundaries, anywhere in a page, and a read whose destination sits a few bytes
 * above its source modulo 4 KiB (a page-aligned read into a malloc'ed buffer, which starts 16 bytes
 * into its page) is copied by the kernel several times slower on some CPUs (AMD Zen's `rep movsb`;
 * measured here 0.5 against 2 GB/s), which would misjudge positional reads by the one alignment
 * kseg rarely reads at. Best of READER_ROUNDS each, ~8 ms in all; positional reads are chosen only
 * when more than 10 % faster (mapping is the default). The answer is cached with the CRC choice
 * (same machine key); `KSEG_READER=mmap|pread` forces one without measuring.
 */
export type ReaderId = 'mmap' | 'pread';
export const READER_CALIBRATE_MIN_BYTES = 256 * 1024 * 1024;
const READER_RANGE = 4 * 1024 * 1024;
const READER_STEP = 64 * 1024;
const READER_CHUNK = 1024 * 1024;
/** Rounds of each reader (best kept): more than the CRC's, page faults vary more under load. */
const READER_ROUNDS = 5;
/** Positional reads replace the default mapping only when this much faster (no flapping on a busy machine). */
const READER_MARGIN = 1.1;
/** Where in the file the timed range starts (see above: not page-aligned). */
const READER_SKEW = 2048;

export interface ReaderCalibration {
  chosen: ReaderId;
  how: 'forced by KSEG_READER' | 'measured now' | 'measured earlier (cached)';
  /** GB/s per reader on the measured range; empty when nothing was measured. */
  speeds: Record<string, number>;
  /** The file whose first bytes were timed (measured now only). */
  file?: string;
  cacheFile?: string;
}

/** What the reader measurement needs of a file: both ways of getting bytes [pos, pos + len). */
export interface ReaderProbe {
  path: string;
  size: number;
  /** A new mapping of the range (released by the collector); throws when mapping fails. */
  map(pos: number, len: number): Buffer;
  /** Positional read of the range into `into`. */
  pread(into: Buffer, pos: number): void;
}

let readerDone: ReaderCalibration | null = null;
/**
 * The cache file already read by this thread without a reader answer: later opens of small files
 * then decide nothing without reading it again (a directory of 20,000 segments opens 20,000 files).
 */
let readerCacheMiss: string | null = null;

/** The forced reader from KSEG_READER, or null; anything but mmap/pread is a usage error. */
export function forcedReader(env: NodeJS.ProcessEnv = process.env): ReaderId | null {
  const v = env.KSEG_READER;
  if (v === undefined || v === '') return null;
  if (v === 'mmap' || v === 'pread') return v;
  throw new UsageError(`KSEG_READER=${v}: expected mmap or pread`);
}

/** Throughput of both readers on the first READER_RANGE bytes of `probe`, GB/s. */
export function measureReaders(probe: ReaderProbe, rounds = READER_ROUNDS): Record<ReaderId, number> {
  calibrateCrc32c();
  const skew = probe.size > READER_RANGE + READER_SKEW ? READER_SKEW : 0;
  const len = Math.min(READER_RANGE, probe.size - skew);
  const buf = Buffer.allocUnsafe(Math.min(READER_CHUNK, len));
  let sink = 0;
  // into the page cache first: both are then timed on cached pages, as the rest of the file will be
  for (let pos = 0; pos < len; pos += buf.length) {
    const n = Math.min(buf.length, len - pos);
    probe.pread(n === buf.length ? buf : buf.subarray(0, n), skew + pos);
  }
  const best = { mmap: Infinity, pread: Infinity };
  for (let r = 0; r < rounds; r++) {
    let t0 = process.hrtime.bigint();
    const m = probe.map(0, skew + len);
    for (let p = skew; p < skew + len; p += READER_STEP) sink ^= crc32c(m, p, Math.min(skew + len, p + READER_STEP));
    best.mmap = Math.min(best.mmap, Number(process.hrtime.bigint() - t0));
    t0 = process.hrtime.bigint();
    for (let pos = 0; pos < len; pos += buf.length) {
      const n = Math.min(buf.length, len - pos);
      const b = n === buf.length ? buf : buf.subarray(0, n);
      probe.pread(b, skew + pos);
      for (let p = 0; p < n; p += READER_STEP) sink ^= crc32c(b, p, Math.min(n, p + READER_STEP));
    }
    best.pread = Math.min(best.pread, Number(process.hrtime.bigint() - t0));
  }
  if (sink === 0.5) throw new Error('unreachable');
  const gbs = (ns: number): number => Math.round((len / Math.max(ns, 1)) * 100) / 100;
  return { mmap: gbs(best.mmap), pread: gbs(best.pread) };
}

/**
 * The reader for a large sequential read, once per thread: forced, cached, or measured on `probe`
 * when it is large enough (null: not decided yet, use the default). Never throws for a failed
 * measurement (a mapping refused, a read error): the default stays and the next file may try.
 */
export function calibrateReader(probe: ReaderProbe | null, opts: { env?: NodeJS.ProcessEnv; remeasure?: boolean; minBytes?: number } = {}): ReaderCalibration | null {
  if (readerDone && !opts.remeasure) return readerDone;
  const env = opts.env ?? process.env;
  const forced = forcedReader(env);
  if (forced !== null) return (readerDone = { chosen: forced, how: 'forced by KSEG_READER', speeds: {} });
  const file = calibrationCacheFile(env);
  const small = probe === null || probe.size < (opts.minBytes ?? READER_CALIBRATE_MIN_BYTES);
  if (readerCacheMiss !== file || opts.remeasure) {
    const hit = opts.remeasure ? undefined : readCache(file)?.entries[machineKey(crc32cCandidates())]?.reader;
    if (hit && (hit.chosen === 'mmap' || hit.chosen === 'pread')) {
      return (readerDone = { chosen: hit.chosen, how: 'measured earlier (cached)', speeds: hit.speeds, cacheFile: file });
    }
    readerCacheMiss = file;
  }
  if (small) return null;
  let speeds: Record<ReaderId, number>;
  try {
    speeds = measureReaders(probe);
  } catch {
    return null;
  }
  const chosen: ReaderId = speeds.pread > speeds.mmap * READER_MARGIN ? 'pread' : 'mmap';
  const next: CacheFile = readCache(file) ?? { version: CACHE_VERSION, entries: {} };
  const key = machineKey(crc32cCandidates());
  next.entries[key] = { ...next.entries[key], reader: { chosen, speeds, measuredAt: new Date().toISOString() } };
  const saved = writeCache(file, next);
  return (readerDone = { chosen, how: 'measured now', speeds, file: probe.path, cacheFile: saved ? file : undefined });
}

/** The reader choice so far, in words, for `kseg --version --verbose`. */
export function describeReaderChoice(env: NodeJS.ProcessEnv = process.env): string {
  let c: ReaderCalibration | null;
  try {
    c = calibrateReader(null, { env });
  } catch (e) {
    return (e as Error).message;
  }
  if (c === null) return `not measured yet on this machine: the first sequential read of a file of at least ${READER_CALIBRATE_MIN_BYTES / 1048576} MiB times both`;
  const speeds = Object.entries(c.speeds)
    .map(([id, s]) => `${id} ${s} GB/s`)
    .join(', ');
  return `${c.chosen} ${c.how}${speeds ? `: ${speeds}` : ''}`;
}

/** For tests: forget this thread's choices and go back to the default order. */
export function resetCalibrationForTests(): void {
  done = null;
  readerDone = null;
  readerCacheMiss = null;
  useCrc32c(crc32cCandidates()[0].id, '');
}
