import { ProgressMeter, type OnProgress } from '../progress.js';
import { VerifyPool } from './pool.js';
import { storageNote } from '../../storage/notes.js';
import { providerFor } from '../../storage/vfs.js';
import type { Recoverable, VerifyIssue, VerifySummary } from './reporter.js';
import type { ScanMode } from '../partition-scan/types.js';
import { unitsFor } from './units.js';

/**
 * `kseg verify`: every problem of partition directories, broker log dirs or single files, with
 * file, byte position and offset (codes.ts), and where Kafka's recovery would cut. The checks
 * live one file each beside this one; the walk they share is the partition scan
 * (../partition-scan/), which recover and rebuild-index use too.
 */

export { ISSUE_CODES, type IssueCode, type IssueCodeName, type Severity } from './codes.js';
export type { Recoverable, VerifyIssue, VerifySummary } from './reporter.js';

export interface VerifyOptions {
  strict?: boolean;
  /** Force record-set mode (true) or partition mode (false); auto-detected when undefined. */
  recordSet?: boolean;
  maxIssues?: number;
  /** Threads checking batches (default 1: none started); findings are the same for any value. */
  jobs?: number;
  /** Called with .log bytes walked and the total, at most once per PROGRESS_STEP (4 MiB) and per segment. */
  onProgress?: OnProgress;
}

export interface PartitionReport {
  partition: string;
  mode: ScanMode;
  ok: boolean;
  errors: number;
  warnings: number;
  recoverable: Recoverable | null;
  summary: VerifySummary;
  /** Present (true) on the entry of a broker log dir itself: its checkpoint and KRaft files, not a partition. */
  logDir?: true;
  /** Log-dir entry only: how many broker-level files (checkpoints, KRaft snapshots) were checked. */
  filesChecked?: number;
}

export interface VerifyReport {
  ok: boolean;
  errors: number;
  warnings: number;
  issues: VerifyIssue[];
  recoverable: Recoverable | null;
  summary: VerifySummary;
  /** One entry per partition, only when the run covered more than one. */
  partitions?: PartitionReport[];
  /** Issues counted but not listed (over --max-issues). */
  issuesOmitted?: number;
}

/** Verify partition directories, log directories or single files. Never throws for corrupt data. */
export function verify(paths: string[], opts: VerifyOptions = {}): VerifyReport {
  const units = unitsFor(paths, opts);
  const maxIssues = opts.maxIssues ?? 10000;
  const issues: VerifyIssue[] = [];
  const partitions: PartitionReport[] = [];
  let errors = 0;
  let warnings = 0;
  let omitted = 0;
  const total: VerifySummary = { segments: 0, batches: 0, records: 0, bytes: 0 };
  let recoverable: Recoverable | null = null;
  const multi = units.length > 1;
  // Worker threads start only when a segment is large enough to split (see pool.ts). A worker
  // cannot open a virtual path (a tar member, an S3 object: its provider lives in this thread,
  // storage/vfs.ts), so those are checked on this thread alone.
  const virtual = (opts.jobs ?? 1) > 1 ? paths.find((p) => providerFor(p) !== null) : undefined;
  if (virtual !== undefined) storageNote(`verify --jobs: ${virtual} is read in place (${providerFor(virtual)!.scheme}), which worker threads cannot open: checked on one thread`);
  const pool = (opts.jobs ?? 1) > 1 && virtual === undefined ? new VerifyPool(opts.jobs! - 1) : null;
  const progress = opts.onProgress
    ? new ProgressMeter(
        opts.onProgress,
        units.reduce((n, u) => n + (u.bytes ?? 0), 0),
      )
    : null;
  try {
    for (const u of units) {
      const r = u.run(Math.max(0, maxIssues - issues.length), pool, progress);
      const rep = r.rep;
      let e = rep.errors;
      let w = rep.warnings;
      for (const i of rep.issues) {
        if (opts.strict && i.severity === 'warning') i.severity = 'error';
        if (multi) i.partition = u.label;
        issues.push(i);
      }
      if (opts.strict) {
        e += w;
        w = 0;
      }
      errors += e;
      warnings += w;
      omitted += rep.omitted;
      total.segments += r.summary.segments;
      total.batches += r.summary.batches;
      total.records += r.summary.records;
      total.bytes += r.summary.bytes;
      if (r.recoverable && !recoverable) recoverable = multi ? { ...r.recoverable, partition: u.label } : r.recoverable;
      const entry: PartitionReport = { partition: u.label, mode: r.mode, ok: e === 0, errors: e, warnings: w, recoverable: r.recoverable, summary: r.summary };
      if (u.logDir) {
        entry.logDir = true;
        entry.filesChecked = u.logDir.filesChecked;
      }
      partitions.push(entry);
    }
  } finally {
    pool?.close();
  }
  const report: VerifyReport = { ok: errors === 0, errors, warnings, issues, recoverable, summary: total };
  if (multi) report.partitions = partitions;
  if (omitted > 0) report.issuesOmitted = omitted;
  return report;
}
