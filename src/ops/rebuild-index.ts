import fs from 'node:fs';
import path from 'node:path';
import { CorruptDataError, ioError, UsageError } from '../format/errors.js';
import { OFFSET_INDEX_ENTRY_SIZE, TIME_INDEX_ENTRY_SIZE, TXN_INDEX_ENTRY_SIZE } from '../format/indexes.js';
import { readInt32, readInt64 } from '../format/int64.js';
import { assertNotLocked, faultPoint, fsyncDir, resolveWriteTarget, SimulatedCrash, TEMP_SUFFIX, writeFileAtomic } from '../storage/atomic.js';
import { lockedSteps, runToEnd, type Steps, type StopState } from './interrupt.js';
import { classifyFile, requirePartition, scanPartitionDir, statPath, subdirectories, type PartitionDir } from '../storage/segments.js';
import { ProgressMeter, type OnProgress } from './progress.js';
import { scanPartitionSteps, viewOf, type PartitionScan, type SegmentScan } from './partition-scan/index.js';

/**
 * Rebuild .index / .timeindex / .txnindex files the way Kafka's segment recovery writes them
 * (format doc 3.3 and 3.4): IndexBuilder over every batch, transaction state replayed from the
 * first segment so an aborted transaction's firstOffset can come from an earlier segment.
 */
export const DEFAULT_INDEX_INTERVAL_BYTES = 4096;

export type IndexKind = 'index' | 'timeindex' | 'txnindex';

const ENTRY_SIZE: Record<IndexKind, number> = { index: OFFSET_INDEX_ENTRY_SIZE, timeindex: TIME_INDEX_ENTRY_SIZE, txnindex: TXN_INDEX_ENTRY_SIZE };

export interface IndexFileComparison {
  file: string;
  kind: IndexKind;
  /** same: identical entries; differs; missing: no file on disk but entries (or a required file) rebuilt. */
  status: 'same' | 'differs' | 'missing';
  entriesOnDisk: number | null;
  entriesRebuilt: number;
  /** Preallocated all-zero slots of the active segment, ignored in the comparison. */
  zeroTailSlots?: number;
  firstDifference?: { entry: number; position: number; disk: Record<string, number> | null; rebuilt: Record<string, number> | null };
  /** Bytes of an on-disk file too large to read (over 2^31-1; status differs, entriesOnDisk null). */
  bytesOnDiskTooLarge?: number;
}

export interface IndexSummary {
  segments: number;
  batches: number;
  records: number;
  bytes: number;
  indexEntries: number;
  timeIndexEntries: number;
  txnIndexEntries: number;
}

export interface RebuildOptions {
  indexIntervalBytes?: number;
  /** Compare only; never write. */
  check?: boolean;
  /** Plan only; never write. */
  dryRun?: boolean;
  force?: boolean;
  /** Called with .log bytes read and the total, at most once per PROGRESS_STEP (4 MiB) and per segment. */
  onProgress?: OnProgress;
}

export interface RebuildResult {
  dir: string;
  indexIntervalBytes: number;
  files: IndexFileComparison[];
  /** Files that differ from (or are missing next to) the rebuilt ones. */
  differences: number;
  /** Files written (or, with dryRun/check, that would be written). */
  changed: string[];
  removed: string[];
  before: IndexSummary;
  after: IndexSummary;
  applied: boolean;
}

function decodeEntry(kind: IndexKind, buf: Buffer, i: number, base: number): Record<string, number> {
  const p = i * ENTRY_SIZE[kind];
  if (kind === 'index') return { offset: base + readInt32(buf, p), position: readInt32(buf, p + 4) };
  if (kind === 'timeindex') return { timestamp: readInt64(buf, p), offset: base + readInt32(buf, p + 8) };
  return { producerId: readInt64(buf, p + 2), firstOffset: readInt64(buf, p + 10), lastOffset: readInt64(buf, p + 18), lastStableOffset: readInt64(buf, p + 26) };
}

/** Compare the rebuilt bytes of one side file with the file on disk. */
export function compareIndexFile(
  kind: IndexKind,
  name: string,
  disk: Buffer | undefined,
  rebuilt: Buffer,
  base: number,
  zeroTailSlots = 0,
  tooLarge?: number,
): IndexFileComparison {
  const size = ENTRY_SIZE[kind];
  const entriesRebuilt = rebuilt.length / size;
  if (tooLarge !== undefined) return { file: name, kind, status: 'differs', entriesOnDisk: null, entriesRebuilt, bytesOnDiskTooLarge: tooLarge };
  if (disk === undefined) {
    // Kafka needs .index and .timeindex; a missing .txnindex simply means "no aborted transactions".
    const status = kind === 'txnindex' && entriesRebuilt === 0 ? 'same' : 'missing';
    return { file: name, kind, status, entriesOnDisk: null, entriesRebuilt };
  }
  const slots = Math.floor(disk.length / size);
  const comparable = zeroTailSlots > 0 && disk.length % size === 0 ? disk.subarray(0, (slots - zeroTailSlots) * size) : disk;
  const entriesOnDisk = Math.floor(comparable.length / size);
  const out: IndexFileComparison = { file: name, kind, status: 'same', entriesOnDisk, entriesRebuilt };
  if (zeroTailSlots > 0) out.zeroTailSlots = zeroTailSlots;
  if (comparable.equals(rebuilt)) return out;
  out.status = 'differs';
  const n = Math.max(entriesOnDisk, entriesRebuilt);
  let i = 0;
  for (; i < n; i++) {
    const a = i < entriesOnDisk ? comparable.subarray(i * size, i * size + size) : null;
    const b = i < entriesRebuilt ? rebuilt.subarray(i * size, i * size + size) : null;
    if (!a || !b || !a.equals(b)) break;
  }
  if (i === n) i = entriesOnDisk; // only a trailing partial entry differs
  out.firstDifference = {
    entry: i,
    position: i * size,
    disk: i < entriesOnDisk ? decodeEntry(kind, comparable, i, base) : null,
    rebuilt: i < entriesRebuilt ? decodeEntry(kind, rebuilt, i, base) : null,
  };
  return out;
}

/** Which segments PATH names: all of a directory, or the segment of one .log/.index/.timeindex/.txnindex file. */
export function resolveSegmentTarget(p: string): { dir: string; partition: PartitionDir; target: number | null } {
  const st = statPath(p);
  if (st.isDirectory()) {
    const partition = scanPartitionDir(p);
    if (partition.segments.length === 0 && subdirectories(p).some((d) => /-\d+$/.test(d))) {
      throw new UsageError(`${p} is a log directory; give one partition directory`);
    }
    requirePartition(partition);
    return { dir: p, partition, target: null };
  }
  const name = path.basename(p);
  const kind = classifyFile(name);
  if (kind !== 'log' && kind !== 'index' && kind !== 'timeindex' && kind !== 'txnindex') {
    throw new UsageError(`${name}: expected a partition directory or a segment's .log/.index/.timeindex/.txnindex file`);
  }
  const dir = path.dirname(p);
  const partition = scanPartitionDir(dir);
  const prefix = name.slice(0, name.indexOf('.'));
  const seg = partition.segments.find((s) => s.name === prefix);
  if (!seg) throw new CorruptDataError('LOG_MISSING', `${prefix}.log does not exist, so ${name} cannot be rebuilt`, { file: name });
  return { dir, partition, target: seg.baseOffset };
}

/** Refuse to index a log that Kafka's recovery would cut: the indexes would describe bytes that are about to go. */
export function assertRecoverable(scan: PartitionScan, upTo: number | null): void {
  for (const s of scan.segments) {
    if (upTo !== null && s.segment.baseOffset > upTo) break;
    if (s.cut) {
      throw new CorruptDataError(
        s.cut.code,
        `the log is invalid here (${s.cut.code}): Kafka's recovery would truncate it, so its indexes cannot be rebuilt as they are; run \`kseg recover\` first`,
        { file: s.segment.log, position: s.cut.position },
      );
    }
    if (s.overflow) {
      throw new CorruptDataError('OFFSET_OVERFLOW', `offsets more than 2^31-1 above the segment base cannot be indexed (Kafka splits such a segment)`, { file: s.segment.log });
    }
  }
}

export function indexSummary(segs: SegmentScan[], which: 'disk' | 'rebuilt'): IndexSummary {
  const out: IndexSummary = { segments: segs.length, batches: 0, records: 0, bytes: 0, indexEntries: 0, timeIndexEntries: 0, txnIndexEntries: 0 };
  for (const s of segs) {
    out.batches += s.batches;
    out.records += s.records;
    out.bytes += s.logSize;
    if (which === 'rebuilt' && s.rebuilt) {
      out.indexEntries += s.rebuilt.indexEntries;
      out.timeIndexEntries += s.rebuilt.timeIndexEntries;
      out.txnIndexEntries += s.rebuilt.txnIndexEntries;
    } else {
      out.indexEntries += s.disk.index ? Math.floor(s.disk.index.length / OFFSET_INDEX_ENTRY_SIZE) - s.zeroTailSlots.index : 0;
      out.timeIndexEntries += s.disk.timeindex ? Math.floor(s.disk.timeindex.length / TIME_INDEX_ENTRY_SIZE) - s.zeroTailSlots.timeindex : 0;
      out.txnIndexEntries += s.disk.txnindex ? Math.floor(s.disk.txnindex.length / TXN_INDEX_ENTRY_SIZE) : 0;
    }
  }
  return out;
}

/** The comparisons of one scanned segment's three side files. */
export function compareSegment(s: SegmentScan): IndexFileComparison[] {
  const r = s.rebuilt!;
  const base = s.segment.baseOffset;
  const name = s.segment.name;
  return [
    compareIndexFile('index', s.segment.index ?? `${name}.index`, s.disk.index, r.index, base, s.zeroTailSlots.index, s.tooLarge?.index),
    compareIndexFile('timeindex', s.segment.timeindex ?? `${name}.timeindex`, s.disk.timeindex, r.timeindex, base, s.zeroTailSlots.timeindex, s.tooLarge?.timeindex),
    compareIndexFile('txnindex', s.segment.txnindex ?? `${name}.txnindex`, s.disk.txnindex, r.txnindex, base, 0, s.tooLarge?.txnindex),
  ];
}

/**
 * writeFileAtomic for several files, with one directory fsync instead of one per file: every file
 * is written to its temp name and fsynced, then all are renamed, then the directory is fsynced.
 * A crash at any point leaves each file old or new (leftover temp files are what `recover`
 * deletes); the renames of independent index files need no order among themselves.
 */
function writeFilesAtomic(dir: string, files: { name: string; data: Buffer }[]): void {
  if (files.length === 0) return;
  if (files.length === 1) {
    writeFileAtomic(dir, files[0]!.name, files[0]!.data);
    return;
  }
  const written: string[] = [];
  let current = dir;
  // Through a symbolic link the target is replaced in its own directory (resolveWriteTarget).
  const targets = files.map((f) => {
    const to = resolveWriteTarget(dir, f.name);
    return path.join(to.dir, to.name);
  });
  try {
    for (const [i, f] of files.entries()) {
      const tmp = targets[i]! + TEMP_SUFFIX;
      current = path.join(dir, f.name);
      faultPoint(`write ${f.name}`);
      written.push(tmp);
      const fd = fs.openSync(tmp, 'w', 0o644);
      try {
        fs.writeFileSync(fd, f.data);
        faultPoint(`fsync ${f.name}`);
        fs.fsyncSync(fd);
      } finally {
        fs.closeSync(fd);
      }
    }
    for (const [i, f] of files.entries()) {
      current = path.join(dir, f.name);
      faultPoint(`rename ${f.name}`);
      fs.renameSync(targets[i]! + TEMP_SUFFIX, targets[i]!);
    }
    for (const d of new Set(targets.map((t) => path.dirname(t)))) fsyncDir(d);
  } catch (e) {
    if (e instanceof SimulatedCrash) throw e;
    for (const tmp of written) {
      try {
        fs.rmSync(tmp, { force: true });
      } catch {
        /* best effort */
      }
    }
    throw ioError(e, current);
  }
}

/**
 * Rebuild (or with check/dryRun compare) the indexes of a partition directory or of one segment.
 * Writing holds kseg's lock on the partition directory (storage/lock.ts).
 */
export function rebuildIndex(p: string, opts: RebuildOptions = {}): RebuildResult {
  return runToEnd(rebuildIndexSteps(p, opts));
}

/**
 * rebuildIndex as steps (ops/interrupt.ts), for a caller that stops it on Ctrl-C: safe points
 * before each segment and every few MiB of the scan, and just before the files are written
 * ('rebuild-index-write'); up to there nothing has changed. The writes (every file to a temp name
 * and fsynced, then the renames) run without a safe point. `at.state` says what stopping leaves.
 */
export function rebuildIndexSteps(p: string, opts: RebuildOptions = {}, at: StopState = { state: '' }): Steps<RebuildResult> {
  at.state = opts.check || opts.dryRun ? 'rebuild-index only read: nothing was changed' : 'rebuild-index stopped before any index file was written: the partition is unchanged';
  if (opts.check || opts.dryRun) return rebuildIndexOf(p, opts);
  let lockDir: string;
  try {
    lockDir = fs.statSync(p).isDirectory() ? p : path.dirname(p);
  } catch {
    return rebuildIndexOf(p, opts); // reports the path's error
  }
  return lockedSteps(lockDir, 'rebuild-index', () => rebuildIndexOf(p, opts));
}

function* rebuildIndexOf(p: string, opts: RebuildOptions): Steps<RebuildResult> {
  const indexIntervalBytes = opts.indexIntervalBytes ?? DEFAULT_INDEX_INTERVAL_BYTES;
  if (!Number.isSafeInteger(indexIntervalBytes) || indexIntervalBytes < 0)
    throw new UsageError(`--index-interval-bytes must be a non-negative integer (got ${indexIntervalBytes})`);
  const { dir, partition, target } = resolveSegmentTarget(p);
  const writing = !opts.check && !opts.dryRun;
  if (writing) assertNotLocked(dir, opts.force ?? false);
  // Transaction state needs every earlier segment; later ones are not read.
  const through = target === null ? undefined : new Set(partition.segments.filter((s) => s.baseOffset <= target).map((s) => s.baseOffset));
  const total = partition.segments.reduce((n, s) => (!through || through.has(s.baseOffset) ? n + s.logSize : n), 0);
  const progress = opts.onProgress ? new ProgressMeter(opts.onProgress, total) : null;
  const scan = yield* scanPartitionSteps(viewOf(partition), { buildIndexes: { indexIntervalBytes }, segments: through, maxIssues: 0, progress });
  assertRecoverable(scan, target);
  const targets = scan.segments.filter((s) => target === null || s.segment.baseOffset === target);
  const files: IndexFileComparison[] = [];
  const changed: string[] = [];
  const toWrite: { name: string; data: Buffer }[] = [];
  for (const s of targets) {
    for (const c of compareSegment(s)) {
      files.push(c);
      if (c.status === 'same') continue;
      changed.push(c.file);
      if (writing) toWrite.push({ name: c.file, data: s.rebuilt![c.kind] });
    }
  }
  if (toWrite.length) yield 'rebuild-index-write';
  writeFilesAtomic(dir, toWrite);
  return {
    dir,
    indexIntervalBytes,
    files,
    differences: files.filter((f) => f.status !== 'same').length,
    changed,
    removed: [],
    before: indexSummary(targets, 'disk'),
    after: indexSummary(targets, 'rebuilt'),
    applied: writing,
  };
}
