import os from 'node:os';
import path from 'node:path';
import { UsageError } from '../format/errors.js';
import { noPartitionError, readDirNames, scanPartitionDir, statPath, subdirectories } from '../storage/segments.js';
import type { OnProgress } from './progress.js';
import { WorkerPool } from './worker-pool.js';

/**
 * Whole log.dir scans: every partition directory under one or more broker log dirs, verified (or
 * summarised) by a pool of worker threads. Partitions are independent, so the pool scales with
 * cores; the largest partitions go first so one big partition does not finish last alone.
 */
export type PartitionState = 'live' | 'delete' | 'future' | 'stray';

export interface ScanTarget {
  logDir: string;
  /** Directory name, e.g. `orders-3` or `orders-3.<uuid>-delete`. */
  name: string;
  dir: string;
  topic: string;
  partition: number;
  state: PartitionState;
  /** Bytes of its .log files (for ordering and progress). */
  bytes: number;
}

export type ScanMode = 'verify' | 'info';

export interface ScanResult {
  target: ScanTarget;
  mode: ScanMode;
  ok: boolean;
  errors: number;
  warnings: number;
  summary: { segments: number; batches: number; records: number; bytes: number };
  logStartOffset: number | null;
  logEndOffset: number | null;
  recoverable: unknown;
  issues: unknown[];
  /** Set when the partition could not be read at all (I/O error, bug). */
  failure?: { code: string; message: string; file?: string; position?: number };
  elapsedMs: number;
}

export interface ScanOptions {
  jobs?: number;
  mode?: ScanMode;
  strict?: boolean;
  maxIssues?: number;
  /** Called as partitions finish (bytes done, bytes total). */
  onProgress?: (done: number, total: number, result: ScanResult) => void;
  /**
   * Bytes of .log read so far of all partitions, also while partitions are being read: workers
   * report every PROGRESS_STEP bytes, at most every SCAN_PROGRESS_MS (verify mode; info mode
   * reports partitions as they finish).
   */
  onBytes?: OnProgress;
}

const PARTITION_RE = /^(.+)-(\d+)$/;
const RENAMED_RE = /^(.+)-(\d+)\.([0-9a-f]{32})-(delete|future|stray)$/;

export function parsePartitionDirName(name: string): { topic: string; partition: number; state: PartitionState } | null {
  const r = RENAMED_RE.exec(name);
  if (r) return { topic: r[1]!, partition: Number(r[2]), state: r[4] as PartitionState };
  const m = PARTITION_RE.exec(name);
  if (m) return { topic: m[1]!, partition: Number(m[2]), state: 'live' };
  return null;
}

export interface PartitionDirEntry {
  /** The sub-directory's name (`<topic>-<partition>`, or a renamed `...-delete` / `-future` / `-stray` one). */
  name: string;
  topic: string;
  partition: number;
  state: PartitionState;
}

/**
 * The partition directories of a broker log dir: its sub-directories (links followed) whose names
 * parse as Kafka's (UnifiedLog.parseTopicPartitionName), in name order, numbers compared as numbers.
 * Used by scan, verify (a log dir given as PATH) and the internal-topic readers (groups, txn-state).
 */
export function partitionDirsIn(logDir: string): PartitionDirEntry[] {
  const out: PartitionDirEntry[] = [];
  for (const name of subdirectories(logDir)) {
    const p = parsePartitionDirName(name);
    if (p) out.push({ name, ...p });
  }
  return out.sort((a, b) => a.name.localeCompare(b.name, 'en', { numeric: true }));
}

/** The partition directories of each log dir, largest first. */
export function listPartitions(logDirs: string[]): ScanTarget[] {
  if (logDirs.length === 0) throw new UsageError('no LOG_DIR given (a broker log.dir holding <topic>-<partition> directories)');
  const targets: ScanTarget[] = [];
  for (const logDir of logDirs) {
    let found = 0;
    for (const { name, ...p } of partitionDirsIn(logDir)) {
      const dir = path.join(logDir, name);
      let bytes = 0;
      try {
        for (const f of readDirNames(dir)) if (f.endsWith('.log')) bytes += statPath(path.join(dir, f)).size;
      } catch {
        /* reported by the worker */
      }
      targets.push({ logDir, name, dir, ...p, bytes });
      found++;
    }
    if (found === 0) {
      if (scanPartitionDir(logDir).segments.some((s) => /^\d{20}$/.test(s.name))) {
        throw new UsageError(`${logDir} is a partition directory, not a log dir (use kseg verify for one partition)`);
      }
      throw noPartitionError(logDir);
    }
  }
  return targets.sort((a, b) => b.bytes - a.bytes || a.name.localeCompare(b.name, 'en', { numeric: true }));
}

export interface WorkerJob {
  id: number;
  dir: string;
  mode: ScanMode;
  strict: boolean;
  maxIssues: number;
  /** Report bytes read while reading (ScanOptions.onBytes). */
  progress: boolean;
}

export type WorkerReply = { id: number; result: Omit<ScanResult, 'target' | 'mode'> } | { id: number; bytesRead: number };

/** How often at most a scan worker reports the bytes it has read of its partition. */
export const SCAN_PROGRESS_MS = 100;

/** Run the scan; yields results in completion order. */
export async function* scan(logDirs: string[], opts: ScanOptions = {}): AsyncGenerator<ScanResult> {
  const targets = listPartitions(logDirs);
  const mode = opts.mode ?? 'verify';
  const jobs = Math.max(1, Math.min(opts.jobs ?? os.availableParallelism?.() ?? os.cpus().length, Math.max(1, targets.length)));
  const total = targets.reduce((n, t) => n + t.bytes, 0);
  let done = 0;
  let reading = 0;
  const partial = new Map<number, number>();
  const ready: ScanResult[] = [];
  const strict = opts.strict ?? false;
  const maxIssues = opts.maxIssues ?? 1000;
  const pool = new WorkerPool<WorkerJob, WorkerReply>(
    'scan',
    new URL('./scan-worker.js', import.meta.url),
    jobs,
    targets.length,
    (id) => ({ id, dir: targets[id]!.dir, mode, strict, maxIssues, progress: opts.onBytes !== undefined }),
    (m) => {
      if ('bytesRead' in m) {
        // A partition being read: its bytes count until it finishes (then its total replaces them).
        reading += m.bytesRead - (partial.get(m.id) ?? 0);
        partial.set(m.id, m.bytesRead);
        opts.onBytes?.(Math.min(total, done + reading), total);
        return false;
      }
      const target = targets[m.id]!;
      const r: ScanResult = { target, mode, ...m.result };
      done += target.bytes;
      reading -= partial.get(m.id) ?? 0;
      partial.delete(m.id);
      opts.onProgress?.(done, total, r);
      opts.onBytes?.(Math.min(total, done + reading), total);
      ready.push(r);
      return true;
    },
  );
  try {
    let yielded = 0;
    while (yielded < targets.length) {
      pool.assertHealthy();
      const r = ready.shift();
      if (r) {
        yielded++;
        yield r;
        continue;
      }
      await pool.waitForReply();
    }
  } finally {
    await pool.close();
  }
}
