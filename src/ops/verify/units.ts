import path from 'node:path';
import { UsageError } from '../../format/errors.js';
import { readWholeFile } from '../../storage/source.js';
import { classifyFile, parseSegmentName, requirePartition, scanPartitionDir, statPath, type PartitionDir, type Segment } from '../../storage/segments.js';
import { checkKraftSnapshot } from '../kraft-snapshot.js';
import { looksLikeRecordSet, scanPartition, viewOf } from '../partition-scan/index.js';
import type { ScanMode } from '../partition-scan/types.js';
import type { ProgressMeter } from '../progress.js';
import { partitionDirsIn } from '../scan.js';
import { OffsetIndexCheck } from './offset-index.js';
import type { VerifyPool } from './pool.js';
import { Reporter, type Recoverable, type VerifySummary } from './reporter.js';
import { checkLeaderEpochFile, checkLogDirCheckpointFile, checkPartitionMetadataFile, checkSnapshotFile } from './side-files.js';
import { TimeIndexCheck } from './time-index.js';
import { TxnIndexCheck } from './txn-index.js';

/**
 * What one verify run covers, unit by unit: a partition directory, a broker log dir's own files
 * (its checkpoints and KRaft snapshots) followed by each of its partitions, or a single file.
 */

/** The verify options a unit uses. */
export interface UnitOptions {
  /** Force record-set mode (true) or partition mode (false); auto-detected when undefined. */
  recordSet?: boolean;
}

const LOG_DIR_CHECKPOINTS = new Set(['recovery-point-offset-checkpoint', 'log-start-offset-checkpoint', 'replication-offset-checkpoint', 'cleaner-offset-checkpoint']);

export interface Unit {
  label: string;
  /** The unit of a broker log dir's own files (not a partition). */
  logDir?: { filesChecked: number };
  /** .log bytes it will walk (for progress). */
  bytes?: number;
  run(maxIssues: number, pool: VerifyPool | null, progress: ProgressMeter | null): { rep: Reporter; mode: ScanMode; summary: VerifySummary; recoverable: Recoverable | null };
}

/** A directory with no segment files but with partition sub-directories: a broker log dir. */
function logDirPartitions(dir: string, part: PartitionDir): string[] | null {
  if (part.segments.length > 0 || part.leftovers.length > 0 || part.orphans.length > 0) return null;
  let subdirs: string[];
  try {
    subdirs = partitionDirsIn(dir).map((d) => d.name);
  } catch {
    return null;
  }
  return subdirs.length === 0 ? null : subdirs;
}

export function unitsFor(paths: string[], opts: UnitOptions): Unit[] {
  if (paths.length === 0) throw new UsageError('no PATH given (a partition directory, a log directory or a segment/index/checkpoint file)');
  const units: Unit[] = [];
  for (const p of paths) {
    const st = statPath(p);
    if (st.isDirectory()) {
      const part = scanPartitionDir(p);
      const subs = logDirPartitions(p, part);
      if (subs) {
        units.push(logDirUnit(p, part));
        for (const s of subs) units.push(partitionUnit(path.join(p, s), opts));
      } else {
        requirePartition(part);
        units.push(partitionUnit(p, opts, part));
      }
      continue;
    }
    units.push(fileUnit(p, opts));
  }
  return units;
}

function partitionUnit(dir: string, opts: UnitOptions, scanned?: PartitionDir): Unit {
  const part = scanned ?? scanPartitionDir(dir);
  return {
    label: dir,
    bytes: part.segments.reduce((n, s) => n + s.logSize, 0),
    run(maxIssues, pool, progress) {
      const s = scanPartition(viewOf(part), { recordSet: opts.recordSet, maxIssues, pool, progress });
      kraftSnapshotIssues(dir, part, s.reporter, maxIssues, pool);
      return { rep: s.reporter, mode: s.mode, summary: s.summary, recoverable: s.recoverable };
    },
  };
}

function logDirUnit(dir: string, part: PartitionDir): Unit {
  const filesChecked = part.other.filter((o) => LOG_DIR_CHECKPOINTS.has(o) || classifyFile(o) === 'kraft-checkpoint').length;
  return {
    label: dir,
    logDir: { filesChecked },
    run(maxIssues) {
      const rep = new Reporter(null, maxIssues);
      for (const o of part.other) {
        const p = path.join(dir, o);
        if (LOG_DIR_CHECKPOINTS.has(o)) checkLogDirCheckpointFile(p, o, rep);
      }
      kraftSnapshotIssues(dir, part, rep, maxIssues, null);
      return { rep, mode: 'partition', summary: { segments: 0, batches: 0, records: 0, bytes: 0 }, recoverable: null };
    },
  };
}

function fileUnit(p: string, opts: UnitOptions): Unit {
  const name = path.basename(p);
  const dir = path.dirname(p);
  const kind = classifyFile(name);
  return {
    label: p,
    run(maxIssues, pool) {
      const empty: VerifySummary = { segments: 0, batches: 0, records: 0, bytes: 0 };
      const rep = new Reporter(null, maxIssues);
      switch (kind) {
        case 'snapshot':
          checkSnapshotFile(p, name, rep);
          return { rep, mode: 'partition', summary: empty, recoverable: null };
        case 'leader-epoch-checkpoint':
          checkLeaderEpochFile(p, name, rep, null);
          return { rep, mode: 'partition', summary: empty, recoverable: null };
        case 'partition.metadata':
          checkPartitionMetadataFile(p, name, rep);
          return { rep, mode: 'partition', summary: empty, recoverable: null };
        case 'checkpoint':
          checkLogDirCheckpointFile(p, name, rep);
          return { rep, mode: 'partition', summary: empty, recoverable: null };
        case 'kraft-checkpoint': {
          const r = standaloneLogUnit(p, name, 0, maxIssues, pool);
          for (const f of checkKraftSnapshot(p).findings) r.rep.add(f.code, name, f.position, f.offset, f.message);
          // Kafka does not repair a snapshot (an incomplete one is not loaded): nothing for recover to cut.
          return { ...r, recoverable: null };
        }
        case 'log':
        case 'index':
        case 'timeindex':
        case 'txnindex': {
          const part = scanPartitionDir(dir);
          const parsed = parseSegmentName(name)!;
          const prefix = name.slice(0, name.indexOf('.'));
          const seg = part.segments.find((s) => s.name === prefix);
          if (!seg) {
            // An index whose .log is absent: check its own structure only.
            const r = new Reporter(null, maxIssues);
            r.add('LOG_MISSING', name, null, parsed.baseOffset, `${prefix}.log is absent, so entries were not checked against the log`);
            const buf = readWholeFile(p);
            const fake: Segment = { baseOffset: parsed.baseOffset, name: prefix, log: `${prefix}.log`, logSize: 0, [kind]: name } as Segment;
            if (kind === 'index') new OffsetIndexCheck(buf, fake, true, r);
            else if (kind === 'timeindex') new TimeIndexCheck(buf, fake, true, r);
            else if (kind === 'txnindex') new TxnIndexCheck(buf, fake, r);
            return { rep: r, mode: 'partition', summary: empty, recoverable: null };
          }
          // Transaction state needs the earlier segments; the other kinds only their own segment.
          const through = kind === 'txnindex' ? new Set(part.segments.filter((s) => s.baseOffset <= seg.baseOffset).map((s) => s.baseOffset)) : new Set([seg.baseOffset]);
          const recordSet = opts.recordSet ?? (kind === 'log' && looksLikeRecordSet({ ...part, segments: [seg] }) && !seg.index && !seg.timeindex);
          const s = scanPartition(viewOf(part), { recordSet, files: new Set([name]), segments: through, maxIssues, pool });
          const mine = s.segments.find((x) => x.segment.baseOffset === seg.baseOffset)!;
          const summary = kind === 'log' ? { segments: 1, batches: mine.batches, records: mine.records, bytes: mine.logSize } : empty;
          const recoverable = kind === 'log' && mine.cut ? { file: name, truncateAtPosition: mine.cut.position, recordsLost: mine.recordsFromCut } : null;
          return { rep: s.reporter, mode: s.mode, summary, recoverable };
        }
        default: {
          // A segment left by an unfinished delete, clean or split: verify its batches before recovery decides.
          const left = parseSegmentName(name);
          if (left?.leftover && left.kind === 'log') return standaloneLogUnit(p, name, left.baseOffset, maxIssues, pool);
          throw new UsageError(
            `${name}: not a Kafka partition file (expected a partition or log directory, a 20-digit .log/.index/.timeindex/.txnindex/.snapshot name, a KRaft <offset>-<epoch>.checkpoint or bootstrap.checkpoint, leader-epoch-checkpoint, partition.metadata or *-checkpoint)`,
          );
        }
      }
    },
  };
}

/** KRaft snapshot files of a directory (__cluster_metadata-0, bootstrap.checkpoint in a log dir): framing, CRCs, header/footer, offsets. */
function kraftSnapshotIssues(dir: string, part: PartitionDir, rep: Reporter, maxIssues: number, pool: VerifyPool | null): void {
  for (const o of part.other) {
    if (classifyFile(o) !== 'kraft-checkpoint') continue;
    const p = path.join(dir, o);
    const r = standaloneLogUnit(p, o, 0, maxIssues, pool);
    rep.addAll(r.rep);
    for (const f of checkKraftSnapshot(p).findings) rep.add(f.code, o, f.position, f.offset, f.message);
  }
}

/**
 * One file in log format verified on its own: a KRaft snapshot (`<offset>-<epoch>.checkpoint`,
 * `bootstrap.checkpoint`) or a `.log.swap` / `.log.cleaned` / `.log.deleted` segment.
 */
function standaloneLogUnit(p: string, name: string, baseOffset: number, maxIssues: number, pool: VerifyPool | null): ReturnType<Unit['run']> {
  const seg: Segment = { baseOffset, name, log: name, logSize: 0 };
  const part: PartitionDir = { dir: path.dirname(p), segments: [seg], snapshots: [], orphans: [], leftovers: [], irregular: [], other: [] };
  const s = scanPartition({ dir: part.dir, partition: part, pathOf: () => p }, { recordSet: false, standalone: true, maxIssues, pool });
  return { rep: s.reporter, mode: 'partition', summary: s.summary, recoverable: s.recoverable };
}
