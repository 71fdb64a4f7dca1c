import { createHash } from 'node:crypto';
import path from 'node:path';
import { batchRecords } from '../format/batch.js';
import { IoError, KsegError, UsageError } from '../format/errors.js';
import { logEntries } from '../storage/log-reader.js';
import { openSource } from '../storage/source.js';
import { noPartitionError, scanPartitionDir, statPath, type PathStats } from '../storage/segments.js';
import { compact } from './compact.js';
import { info, type PartitionInfo } from './info.js';
import { listPartitions } from './scan.js';
import { verify, type VerifyIssue } from './verify/index.js';

/**
 * `kseg report`: everything the HTML page shows, as data (the page itself is drawn in src/cli).
 * It reuses info (segments), verify (findings) and compact --dry-run (what the log cleaner would
 * reclaim); one extra pass over the records counts keys and builds the per-minute histogram.
 */
export interface ReportOptions {
  /** A log dir: at most this many partitions (largest first); the rest are listed as skipped. Default 20. */
  maxPartitions?: number;
  /** Distinct keys counted exactly up to this many per partition; above it the count is a lower bound. Default 1,000,000. */
  maxDistinctKeys?: number;
  /** Time for compact's dry run (tombstone horizons, producer expiry); default now. */
  now?: number;
}

export interface MinuteBucket {
  /** Start of the minute, ms since the epoch. */
  minute: number;
  batches: number;
  records: number;
  bytes: number;
}

export interface MixEntry {
  magic: number;
  codec: string;
  batches: number;
  records: number;
  bytes: number;
}

export interface TimelineFinding {
  severity: VerifyIssue['severity'];
  code: string;
  file: string;
  position: number | null;
  offset: number | null;
  message: string;
  /** Base offset of the segment the file belongs to (null for partition-level files). */
  segmentBaseOffset: number | null;
}

export interface OffsetRange {
  from: number;
  /** Exclusive. */
  to: number;
}

export interface PartitionReportData {
  dir: string;
  name: string;
  info: PartitionInfo;
  /** Offsets between consecutive segments that no segment holds (LogSegment: next base > previous next offset). */
  gaps: OffsetRange[];
  /** Segments whose records cover fewer offsets than their offset span (the log cleaner removed records). */
  compactedRanges: (OffsetRange & { records: number; file: string })[];
  /** Records and bytes per minute of batch max timestamps (every batch header, so exact even where the time index is sparse). */
  perMinute: MinuteBucket[];
  /** Entries of the .timeindex files (sparse: one per index.interval.bytes). */
  timeIndexEntries: number;
  mix: MixEntry[];
  keys: { keyed: number; unkeyed: number; tombstones: number; distinct: number; capped: boolean; undecodableBatches: number };
  compaction: { recordsRemoved: number; tombstonesRemoved: number; bytesIn: number; bytesOut: number; bytesReclaimed: number; note: string | null } | { error: string };
  verify: { ok: boolean; errors: number; warnings: number; issuesOmitted: number; findings: TimelineFinding[] };
}

export interface ReportData {
  input: string;
  kind: 'partition' | 'log-dir';
  generatedAt: number;
  partitions: PartitionReportData[];
  /** Partitions of a log dir left out over maxPartitions. */
  skipped: string[];
}

function isPartitionDir(dir: string): boolean {
  return scanPartitionDir(dir).segments.length > 0;
}

export async function report(input: string, opts: ReportOptions = {}): Promise<ReportData> {
  let st: PathStats;
  try {
    st = statPath(input);
  } catch (e) {
    throw new IoError('IO', `cannot read ${input}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`, { file: input });
  }
  if (!st.isDirectory()) throw new UsageError(`report takes a partition directory or a log dir, not a file: ${input}`);
  const maxPartitions = opts.maxPartitions ?? 20;
  let dirs: string[];
  let skipped: string[] = [];
  let kind: ReportData['kind'];
  if (isPartitionDir(input)) {
    dirs = [input];
    kind = 'partition';
  } else {
    const targets = listPartitions([input]);
    if (targets.length === 0) throw noPartitionError(input);
    dirs = targets.slice(0, maxPartitions).map((t) => t.dir);
    skipped = targets.slice(maxPartitions).map((t) => t.name);
    kind = 'log-dir';
  }
  const partitions: PartitionReportData[] = [];
  for (const d of dirs) partitions.push(await partitionReport(d, opts));
  return { input, kind, generatedAt: opts.now ?? Date.now(), partitions, skipped };
}

async function partitionReport(dir: string, opts: ReportOptions): Promise<PartitionReportData> {
  const pinfo = info([dir])[0]!;
  const segs = pinfo.segments;
  const gaps: OffsetRange[] = [];
  const compactedRanges: PartitionReportData['compactedRanges'] = [];
  for (let i = 0; i < segs.length; i++) {
    const s = segs[i]!;
    const next = segs[i + 1];
    if (next && next.baseOffset > s.nextOffset) gaps.push({ from: s.nextOffset, to: next.baseOffset });
    const span = s.nextOffset - s.baseOffset;
    if (s.batches > 0 && s.records < span) compactedRanges.push({ from: s.baseOffset, to: s.nextOffset, records: s.records, file: s.file });
  }

  // One pass over the records: keys, per-minute volume, codec/magic mix.
  const maxKeys = opts.maxDistinctKeys ?? 1_000_000;
  const seen = new Set<string>();
  const keys = { keyed: 0, unkeyed: 0, tombstones: 0, distinct: 0, capped: false, undecodableBatches: 0 };
  const minutes = new Map<number, MinuteBucket>();
  const mix = new Map<string, MixEntry>();
  for (const s of segs) {
    const src = openSource(path.join(dir, s.file), { pattern: 'sequential' });
    try {
      const gen = logEntries(src, { file: s.file });
      for (;;) {
        const n = gen.next();
        if (n.done) break;
        if (n.value.kind === 'bad-entry') continue;
        const b = n.value.batch;
        const mk = `${b.magic}/${b.compression}`;
        const m = mix.get(mk) ?? { magic: b.magic, codec: b.compression, batches: 0, records: 0, bytes: 0 };
        m.batches++;
        m.records += b.recordCount;
        m.bytes += b.size;
        mix.set(mk, m);
        if (b.maxTimestamp >= 0) {
          const minute = Math.floor(b.maxTimestamp / 60000) * 60000;
          const mb = minutes.get(minute) ?? { minute, batches: 0, records: 0, bytes: 0 };
          mb.batches++;
          mb.records += b.recordCount;
          mb.bytes += b.size;
          minutes.set(minute, mb);
        }
        if (b.isControl) continue;
        try {
          for (const r of batchRecords(b)) {
            if (r.key === null) {
              keys.unkeyed++;
              continue;
            }
            keys.keyed++;
            if (r.value === null) keys.tombstones++;
            if (keys.capped) continue;
            const k = r.key.length <= 32 ? r.key.toString('latin1') : createHash('md5').update(r.key).digest('base64') + '#';
            if (!seen.has(k)) {
              if (seen.size >= maxKeys) keys.capped = true;
              else seen.add(k);
            }
          }
        } catch (e) {
          if (!(e instanceof KsegError)) throw e;
          keys.undecodableBatches++;
        }
      }
    } catch (e) {
      if (!(e instanceof KsegError)) throw e;
      // info and verify already describe an unreadable segment.
    } finally {
      src.close();
    }
  }
  keys.distinct = seen.size;
  seen.clear();

  let compaction: PartitionReportData['compaction'];
  try {
    const c = await compact(dir, { dryRun: true, now: opts.now });
    const t = c.totals;
    compaction = {
      recordsRemoved: t.recordsRemoved,
      tombstonesRemoved: t.tombstonesRemoved,
      bytesIn: t.bytesIn,
      bytesOut: t.bytesOut,
      bytesReclaimed: t.bytesIn - t.bytesOut,
      note: c.noop ? c.reason : c.moreRounds ? 'the offset map filled: a real run would take more rounds and reclaim more' : null,
    };
  } catch (e) {
    if (!(e instanceof KsegError)) throw e;
    compaction = { error: e.message };
  }

  const v = verify([dir], { maxIssues: 200 });
  const segOfFile = (f: string): number | null => {
    const m = /^(\d{20})\./.exec(path.basename(f));
    return m ? Number(m[1]) : null;
  };
  const findings: TimelineFinding[] = v.issues.map((i) => ({
    severity: i.severity,
    code: i.code,
    file: i.file,
    position: i.position,
    offset: i.offset,
    message: i.message,
    segmentBaseOffset: segOfFile(i.file),
  }));

  return {
    dir,
    name: path.basename(path.resolve(dir)),
    info: pinfo,
    gaps,
    compactedRanges,
    perMinute: [...minutes.values()].sort((a, b) => a.minute - b.minute),
    timeIndexEntries: segs.reduce((n, s) => n + (s.timeIndexEntries ?? 0), 0),
    mix: [...mix.values()].sort((a, b) => b.bytes - a.bytes),
    keys,
    compaction,
    verify: { ok: v.ok, errors: v.errors, warnings: v.warnings, issuesOmitted: v.issuesOmitted ?? 0, findings },
  };
}
