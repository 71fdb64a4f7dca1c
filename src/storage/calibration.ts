import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { crc32cCandidates, useCrc32c, type Crc32cCandidate } from '../format/crc.js';
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
function machineKey(list: readonly Crc32cCandidate[]): string {
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

interface CacheFile {
  version: number;
  entries: Record<string, { crc32c: string; speeds: Record<string, number>; measuredAt: string }>;
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
    if (hit && list.some((c) => c.id === hit.crc32c)) {
      done = { chosen: hit.crc32c, how: 'measured earlier (cached)', speeds: hit.speeds, cacheFile: file };
    } else {
      const speeds = measureCrc32c(list);
      // Ties (within 3 %) keep the default order: no flapping between runs on equal hardware.
      let chosen = list[0];
      for (const c of list) if (speeds[c.id] > speeds[chosen.id] * 1.03) chosen = c;
      const next: CacheFile = cache ?? { version: CACHE_VERSION, entries: {} };
      next.entries[key] = { crc32c: chosen.id, speeds, measuredAt: new Date().toISOString() };
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

/** For tests: forget this thread's choice and go back to the default order. */
export function resetCalibrationForTests(): void {
  done = null;
  useCrc32c(crc32cCandidates()[0].id, '');
}
