import fs from 'node:fs';
import path from 'node:path';
import { CorruptDataError, ioError, KsegError, UsageError } from '../format/errors.js';
import { encodeLeaderEpochCheckpoint, parseLeaderEpochCheckpoint } from '../format/checkpoints.js';
import { parseProducerSnapshot } from '../format/snapshot.js';
import { decodeBatch, frameEntry, HEADER_SIZE_UP_TO_MAGIC } from '../format/batch.js';
import { assertNotLocked, faultPoint, fsyncDir, removeDurable, renameDurable, SimulatedCrash, TEMP_SUFFIX, truncateDurable, writeFileAtomic } from '../storage/atomic.js';
import { openSource, readWholeFile } from '../storage/source.js';
import { parseSegmentName, partitionFromEntries, scanPartitionDir, type DirEntry, type PartitionDir } from '../storage/segments.js';
import { compareSegment, DEFAULT_INDEX_INTERVAL_BYTES } from './rebuild-index.js';
import { intentRecoveryPhase } from './intent.js';
import { ISSUE_CODES, scanPartition, viewOf, type PartitionScan, type PartitionView, type VerifyIssue, type VerifySummary } from './verify.js';

/**
 * `recover DIR`: Kafka's startup recovery done offline (format doc 6.1/6.2), ordered so that a
 * crash at any step leaves a partition that the next run finishes (8.1):
 *
 *   1. leftovers  delete .deleted; drop .swap files at or above the smallest .cleaned offset and
 *                 all .cleaned; complete the remaining swaps (delete the old files they replace,
 *                 strip .swap)
 *   2. strays     delete kseg temp files and index files without a .log
 *   3. log        find the first segment with an invalid entry (size/CRC, torn or zero tail);
 *                 delete every later segment (highest base offset first), write its rebuilt
 *                 .index/.timeindex/.txnindex, then truncate it; rebuild the side files of other
 *                 segments whose indexes are missing or invalid
 *   4. epochs     drop leader-epoch-checkpoint entries that start beyond the new log end
 *   5. snapshots  delete producer snapshots beyond the new log end and corrupt ones
 *
 * Each phase only plans (against a virtual listing of the directory); the whole plan is backed up
 * (`--backup`) and then executed action by action. A phase that finishes another tool's
 * interrupted operation in place (e.g. an intent record left by truncate/compact) implements
 * `complete` instead: those run first, in RECOVERY_PHASES order, before anything is planned.
 */

export type RecoverAction =
  | { type: 'delete'; file: string; bytes: number; reason: string }
  | { type: 'rename'; from: string; to: string; reason: string }
  | { type: 'truncate'; file: string; size: number; fromSize: number; records: number; reason: string }
  | { type: 'write'; file: string; data: Buffer; existed: boolean; reason: string };

export interface RecoverOptions {
  dryRun?: boolean;
  force?: boolean;
  /** Copy every removed or replaced byte here before changing anything. */
  backup?: string;
  indexIntervalBytes?: number;
}

export interface RecoverSummary extends VerifySummary {
  logEndOffset: number | null;
}

export interface RecoveryPlan {
  dir: string;
  actions: RecoverAction[];
  /** What the log phase cuts (null: every batch is valid). */
  cut: { file: string; position: number; code: string; offset: number | null; records: number; bytes: number; segmentsDeleted: string[] } | null;
  before: RecoverSummary;
  after: RecoverSummary;
  /** Problems recover does not change (Kafka's recovery keeps these batches). */
  remaining: VerifyIssue[];
  /** What `complete` phases did (or, in a dry run, would do) before planning. */
  completed: string[];
}

export interface RecoverResult extends RecoveryPlan {
  applied: boolean;
  changed: string[];
  removed: string[];
  backupDir: string | null;
}

/** The planned state of the directory: name -> size and the real path holding its bytes now. */
interface PlanFile {
  size: number;
  real: string;
}

export interface PlanState {
  dir: string;
  opts: Required<Pick<RecoverOptions, 'indexIntervalBytes'>>;
  files: Map<string, PlanFile>;
  actions: RecoverAction[];
  /** Set by the log phase: its scan, and how many actions earlier phases planned. */
  scan?: PartitionScan;
  actionsBeforeLog?: number;
  cut: RecoveryPlan['cut'];
  logEndOffset: number | null;
}

export interface RecoveryPhase {
  name: string;
  /** Plan actions against the virtual listing in `state` (and update it). */
  plan?(state: PlanState): void;
  /**
   * Finish an interrupted operation of another command in place, before any phase plans; return
   * one line per thing done (with dryRun: that would be done, changing nothing).
   */
  complete?(dir: string, opts: { dryRun: boolean; force: boolean }): string[];
}

function listing(state: PlanState): PartitionDir {
  const entries: DirEntry[] = [...state.files].map(([name, f]) => ({ name, type: 'file', size: f.size }));
  return partitionFromEntries(state.dir, entries);
}

function viewOfPlan(state: PlanState): PartitionView {
  return { dir: state.dir, partition: listing(state), pathOf: (name) => state.files.get(name)?.real ?? path.join(state.dir, name) };
}

function planDelete(state: PlanState, file: string, reason: string): void {
  const f = state.files.get(file);
  if (!f) return;
  state.actions.push({ type: 'delete', file, bytes: f.size, reason });
  state.files.delete(file);
}

function planWrite(state: PlanState, file: string, data: Buffer, reason: string): void {
  const existed = state.files.has(file);
  state.actions.push({ type: 'write', file, data, existed, reason });
  state.files.set(file, { size: data.length, real: path.join(state.dir, file) });
}

/** Next offset of a (swap) segment: lastOffset + 1 of its last complete batch, or its base offset. */
function nextOffsetOf(realPath: string, baseOffset: number): number {
  const src = openSource(realPath, { pattern: 'sequential' });
  let next = baseOffset;
  try {
    let pos = 0;
    while (pos < src.size) {
      const frame = frameEntry(src.read(pos, Math.min(HEADER_SIZE_UP_TO_MAGIC, src.size - pos)), 0, pos, src.size);
      if (frame.kind !== 'entry') break;
      try {
        next = decodeBatch(src.read(pos, frame.size), 0, frame.size, pos).lastOffset + 1;
      } catch (e) {
        if (!(e instanceof KsegError)) throw e;
      }
      pos += frame.size;
    }
  } finally {
    src.close();
  }
  return next;
}

/** Phase 1 (LogLoader steps 1-2): .deleted, .cleaned and .swap leftovers of deletion, cleaning and splitting. */
const leftoversPhase: RecoveryPhase = {
  name: 'leftovers',
  plan(state) {
    const part = listing(state);
    for (const l of part.leftovers.filter((x) => x.kind === 'deleted')) planDelete(state, l.file, 'scheduled for deletion (.deleted); Kafka deletes it at startup');
    const cleaned = part.leftovers.filter((x) => x.kind === 'cleaned');
    const minCleaned = cleaned.length ? Math.min(...cleaned.map((c) => c.baseOffset)) : Infinity;
    let swaps = part.leftovers.filter((x) => x.kind === 'swap');
    for (const s of swaps.filter((x) => x.baseOffset >= minCleaned)) planDelete(state, s.file, `incomplete swap: at or above the smallest .cleaned offset ${minCleaned}`);
    swaps = swaps.filter((x) => x.baseOffset < minCleaned);
    for (const c of cleaned) planDelete(state, c.file, 'output of an unfinished clean or split (.cleaned)');
    if (swaps.length === 0) return;
    const logSwaps = swaps.filter((x) => x.fileKind === 'log');
    if (logSwaps.length > 0) {
      const min = Math.min(...logSwaps.map((s) => s.baseOffset));
      const max = Math.max(...logSwaps.map((s) => nextOffsetOf(state.files.get(s.file)!.real, s.baseOffset)));
      // The files the swap replaces, highest offset first.
      const old = [...state.files.keys()]
        .map((name) => ({ name, p: parseSegmentName(name) }))
        .filter((x) => x.p && !x.p.leftover && x.p.baseOffset >= min && x.p.baseOffset < max)
        .sort((a, b) => b.p!.baseOffset - a.p!.baseOffset || (a.p!.kind === 'log' ? -1 : b.p!.kind === 'log' ? 1 : a.name.localeCompare(b.name)));
      for (const o of old) planDelete(state, o.name, `replaced by the swapped-in segment(s) covering offsets [${min}, ${max})`);
    }
    // The .log swaps first: once they are renamed, a crash leaves only index swaps, which the next
    // run renames without deleting anything (with the .log swap still pending, the next run would
    // delete already renamed indexes as files of the replaced range).
    const order = [...swaps].sort((a, b) => (a.fileKind === 'log' ? 0 : 1) - (b.fileKind === 'log' ? 0 : 1) || a.baseOffset - b.baseOffset);
    for (const s of order) {
      const to = s.file.slice(0, -'.swap'.length);
      const f = state.files.get(s.file)!;
      state.actions.push({ type: 'rename', from: s.file, to, reason: 'complete the swap of a cleaned or split segment' });
      state.files.delete(s.file);
      state.files.set(to, f);
    }
  },
};

/** Phase 2: temp files of interrupted kseg writes, index files without a .log. */
const straysPhase: RecoveryPhase = {
  name: 'strays',
  plan(state) {
    for (const name of [...state.files.keys()].sort()) if (name.endsWith(TEMP_SUFFIX)) planDelete(state, name, 'temporary file of an interrupted write');
    for (const o of listing(state).orphans) planDelete(state, o, 'index file without a .log (Kafka deletes orphaned indexes)');
  },
};

const INDEX_KINDS = new Set(ISSUE_CODES.filter((c) => c.kind === 'index' || c.kind === 'timeindex' || c.kind === 'txnindex').map((c) => c.code));

/** Phase 3: Kafka's segment recovery (size/CRC rule), later segments deleted first, then the cut. */
const logPhase: RecoveryPhase = {
  name: 'log',
  plan(state) {
    const scan = scanPartition(viewOfPlan(state), { buildIndexes: { indexIntervalBytes: state.opts.indexIntervalBytes }, recordSet: false });
    state.scan = scan;
    state.actionsBeforeLog = state.actions.length;
    state.logEndOffset = scan.logEndOffset;
    const segs = scan.segments;
    const cutIdx = scan.cutSegment;
    const survivors = cutIdx >= 0 ? segs.slice(0, cutIdx + 1) : segs;
    for (const s of survivors) {
      if (s.overflow) throw new CorruptDataError('OFFSET_OVERFLOW', 'offsets more than 2^31-1 above the segment base: Kafka splits such a segment, which recover does not do', { file: s.segment.log });
    }
    const deleted: string[] = [];
    if (cutIdx >= 0) {
      const cs = segs[cutIdx]!;
      const cut = cs.cut!;
      for (const later of segs.slice(cutIdx + 1).reverse()) {
        const seg = later.segment;
        const why = `later segment: recovery cut ${cs.segment.log} at byte ${cut.position}`;
        planDelete(state, seg.log, why);
        for (const f of [seg.index, seg.timeindex, seg.txnindex]) if (f) planDelete(state, f, why);
        deleted.push(seg.log);
      }
      state.cut = {
        file: cs.segment.log,
        position: cut.position,
        code: cut.code,
        offset: cut.offset,
        records: scan.recoverable?.recordsLost ?? 0,
        bytes: cs.logSize - cut.position + segs.slice(cutIdx + 1).reduce((n, s) => n + s.logSize, 0),
        segmentsDeleted: deleted.reverse(),
      };
      state.logEndOffset = scan.logEndOffsetAfterRecovery;
    }
    // Rebuilt side files: the cut segment, and any surviving segment whose indexes have problems.
    for (let i = 0; i < survivors.length; i++) {
      const s = survivors[i]!;
      const name = s.segment.name;
      const flagged = i === cutIdx || [`${name}.index`, `${name}.timeindex`, `${name}.txnindex`].some((f) => [...(scan.reporter.byFile.get(f) ?? [])].some((c) => INDEX_KINDS.has(c)));
      if (!flagged) continue;
      for (const c of compareSegment(s)) {
        if (c.status === 'same') continue;
        const was = c.bytesOnDiskTooLarge !== undefined ? `a ${c.bytesOnDiskTooLarge}-byte file Kafka cannot map` : `${c.entriesOnDisk}`;
        planWrite(state, c.file, s.rebuilt![c.kind], c.status === 'missing' ? `create: Kafka rebuilds a missing ${c.kind}` : `rebuild: ${c.entriesRebuilt} entries (was ${was})`);
      }
    }
    if (cutIdx >= 0) {
      const cs = segs[cutIdx]!;
      const lost = cs.recordsFromCut;
      state.actions.push({ type: 'truncate', file: cs.segment.log, size: cs.cut!.position, fromSize: cs.logSize, records: lost, reason: `${cs.cut!.code} at byte ${cs.cut!.position}${cs.cut!.offset !== null ? ` (offset ${cs.cut!.offset})` : ''}: Kafka's recovery truncates here` });
      state.files.set(cs.segment.log, { ...state.files.get(cs.segment.log)!, size: cs.cut!.position });
    }
  },
};

/** Phase 4: leader-epoch entries that start beyond the log end. */
const epochsPhase: RecoveryPhase = {
  name: 'epochs',
  plan(state) {
    const name = 'leader-epoch-checkpoint';
    const f = state.files.get(name);
    if (!f || state.logEndOffset === null) return;
    let entries;
    try {
      entries = parseLeaderEpochCheckpoint(readWholeFile(f.real).toString('utf8'), name);
    } catch (e) {
      if (e instanceof CorruptDataError) return; // reported by verify; Kafka would refuse it too
      throw e;
    }
    const leo = state.logEndOffset;
    const kept = entries.filter((e) => e.startOffset <= leo);
    if (kept.length === entries.length) return;
    planWrite(state, name, Buffer.from(encodeLeaderEpochCheckpoint(kept)), `drop ${entries.length - kept.length} epoch entr${entries.length - kept.length === 1 ? 'y' : 'ies'} starting beyond the log end offset ${leo}`);
  },
};

/** Phase 5: producer snapshots beyond the log end, or corrupt (Kafka deletes both). */
const snapshotsPhase: RecoveryPhase = {
  name: 'snapshots',
  plan(state) {
    for (const s of listing(state).snapshots) {
      if (state.logEndOffset !== null && s.offset > state.logEndOffset) {
        planDelete(state, s.file, `snapshot beyond the log end offset ${state.logEndOffset}`);
        continue;
      }
      try {
        const snap = parseProducerSnapshot(readWholeFile(state.files.get(s.file)!.real), s.file);
        if (!snap.crcValid) planDelete(state, s.file, 'corrupt snapshot (CRC mismatch): Kafka deletes it and rebuilds producer state from the log');
      } catch (e) {
        if (!(e instanceof CorruptDataError)) throw e;
        planDelete(state, s.file, `corrupt snapshot (${e.code}): Kafka deletes it and rebuilds producer state from the log`);
      }
    }
  },
};

/** The recovery phases in order. Each plans against the state the previous ones leave. */
// intentRecoveryPhase (ops/intent.ts) completes an interrupted `kseg truncate` from its intent record.
export const RECOVERY_PHASES: RecoveryPhase[] = [intentRecoveryPhase, leftoversPhase, straysPhase, logPhase, epochsPhase, snapshotsPhase];

/** Codes whose problem recover removes (rebuilt, deleted or cut). */
const FIXED_CODES = new Set([
  ...INDEX_KINDS,
  'LEFTOVER_DELETED',
  'LEFTOVER_CLEANED',
  'LEFTOVER_SWAP',
  'LEFTOVER_TEMP',
  'INTENT_PENDING',
  'ORPHAN_INDEX',
  'SNAPSHOT_CRC_MISMATCH',
  'SNAPSHOT_TRUNCATED',
  'SNAPSHOT_BAD_VERSION',
  'SNAPSHOT_BEYOND_LOG_END',
  'LEADER_EPOCH_BEYOND_LOG_END',
  'ZERO_TAIL',
  'PARTIAL_TAIL',
  'SIZE_TOO_SMALL',
  'SIZE_TOO_LARGE',
  'CRC_MISMATCH',
]);

function dirEntries(dir: string): Map<string, PlanFile> {
  let ents: fs.Dirent[];
  try {
    ents = fs.readdirSync(dir, { withFileTypes: true });
  } catch (e) {
    throw ioError(e, dir);
  }
  const files = new Map<string, PlanFile>();
  for (const e of ents) {
    if (!e.isFile()) continue;
    const real = path.join(dir, e.name);
    let size: number;
    try {
      size = fs.statSync(real).size;
    } catch (err) {
      throw ioError(err, real);
    }
    files.set(e.name, { size, real });
  }
  return files;
}

function summaryOf(scan: PartitionScan): RecoverSummary {
  return { ...scan.summary, logEndOffset: scan.logEndOffset };
}

/** Refuse a broker log directory (partition sub-directories, no segments): recover works on one partition. */
export function assertPartitionDir(dir: string): void {
  const part = scanPartitionDir(dir);
  if (part.segments.length > 0 || part.leftovers.length > 0) return;
  const subdirs = fs.readdirSync(dir, { withFileTypes: true }).filter((d) => d.isDirectory() && /-\d+$/.test(d.name));
  if (subdirs.length > 0) {
    throw new UsageError(`${dir} is a log directory (${subdirs.length} partition directories in it); give one partition directory, e.g. ${path.join(dir, subdirs[0]!.name)}`);
  }
}

/** Plan Kafka's recovery of a partition directory without changing anything. */
export function planRecovery(dir: string, opts: RecoverOptions = {}): RecoveryPlan {
  let st: fs.Stats;
  try {
    st = fs.statSync(dir);
  } catch (e) {
    throw ioError(e, dir);
  }
  if (!st.isDirectory()) throw new UsageError(`${dir}: recover takes a partition directory`);
  assertPartitionDir(dir);
  const indexIntervalBytes = opts.indexIntervalBytes ?? DEFAULT_INDEX_INTERVAL_BYTES;
  const state: PlanState = { dir, opts: { indexIntervalBytes }, files: dirEntries(dir), actions: [], cut: null, logEndOffset: null };
  for (const phase of RECOVERY_PHASES) phase.plan?.(state);
  const scan = state.scan!;
  // "before" describes the directory as it is: it differs from the log phase's view only when
  // completing a swap renamed or replaced segments.
  const segmentsMoved = state.actions.slice(0, state.actionsBeforeLog).some((a) => a.type === 'rename' || (a.type === 'delete' && a.file.endsWith('.log')));
  const before = segmentsMoved ? summaryOf(scanPartition(viewOf(scanPartitionDir(dir)), { recordSet: false, maxIssues: 0 })) : summaryOf(scan);
  const segs = scan.segments;
  const cutIdx = scan.cutSegment;
  const survivors = cutIdx >= 0 ? segs.slice(0, cutIdx + 1) : segs;
  const after: RecoverSummary = {
    segments: survivors.length,
    batches: survivors.reduce((n, s, i) => n + (i === cutIdx ? s.batchesBeforeCut : s.batches), 0),
    records: survivors.reduce((n, s, i) => n + (i === cutIdx ? s.recordsBeforeCut : s.records), 0),
    bytes: survivors.reduce((n, s, i) => n + (i === cutIdx ? s.cut!.position : s.logSize), 0),
    logEndOffset: state.logEndOffset,
  };
  const kept = new Map(survivors.map((s, i) => [s.segment.log, i === cutIdx ? s.cut!.position : Infinity]));
  const remaining = scan.reporter.issues.filter((i) => {
    if (i.severity === 'info' || FIXED_CODES.has(i.code)) return false;
    if (!/\.log$/.test(i.file)) return true;
    const limit = kept.get(i.file);
    return limit !== undefined && (i.position === null || i.position < limit);
  });
  return { dir, actions: state.actions, cut: state.cut, before, after, remaining, completed: [] };
}

// ------------------------------------------------------------------ backup and execution

function copyRange(src: string, dst: string, from: number, to: number): void {
  const CH = 1 << 20;
  const fdIn = fs.openSync(src, 'r');
  const tmp = dst + TEMP_SUFFIX;
  const fdOut = fs.openSync(tmp, 'w', 0o644);
  try {
    const buf = Buffer.allocUnsafe(CH);
    for (let p = from; p < to; ) {
      const n = fs.readSync(fdIn, buf, 0, Math.min(CH, to - p), p);
      if (n === 0) throw new Error(`${src} shrank while being backed up`);
      fs.writeSync(fdOut, buf, 0, n);
      p += n;
    }
    fs.fsyncSync(fdOut);
  } finally {
    fs.closeSync(fdIn);
    fs.closeSync(fdOut);
  }
  fs.renameSync(tmp, dst);
}

/**
 * Copy everything the plan removes or replaces into a fresh sub-directory of `root`, with a
 * manifest.json saying where each piece came from (byte ranges of truncated files included).
 */
function backupPlan(plan: RecoveryPlan, root: string): string {
  const stamp = new Date().toISOString().replace(/[:.]/g, '-');
  const dest = path.join(path.resolve(root), `${path.basename(path.resolve(plan.dir))}-${stamp}`);
  const manifest: Record<string, unknown>[] = [];
  try {
    fs.mkdirSync(dest, { recursive: true });
    // Names at execution time can differ from names now (swaps are renamed first): back up the current bytes.
    const realNow = new Map<string, string>();
    for (const a of plan.actions) {
      if (a.type === 'rename') realNow.set(a.to, realNow.get(a.from) ?? path.join(plan.dir, a.from));
    }
    const source = (name: string): string => realNow.get(name) ?? path.join(plan.dir, name);
    let n = 0;
    for (const a of plan.actions) {
      faultPoint(`backup ${a.type} ${'file' in a ? a.file : a.from}`);
      if (a.type === 'delete' || (a.type === 'write' && a.existed)) {
        const saved = `${String(++n).padStart(4, '0')}-${a.file}`;
        const src = source(a.file);
        copyRange(src, path.join(dest, saved), 0, fs.statSync(src).size);
        manifest.push({ action: a.type, file: a.file, saved, reason: a.reason });
      } else if (a.type === 'truncate') {
        const saved = `${String(++n).padStart(4, '0')}-${a.file}.bytes-${a.size}-${a.fromSize}`;
        copyRange(source(a.file), path.join(dest, saved), a.size, a.fromSize);
        manifest.push({ action: 'truncate', file: a.file, saved, fromPosition: a.size, toPosition: a.fromSize, reason: a.reason, restore: `cat ${saved} >> ${a.file}` });
      } else if (a.type === 'rename') {
        manifest.push({ action: 'rename', from: a.from, to: a.to, reason: a.reason });
      } else {
        manifest.push({ action: 'write', file: a.file, created: true, reason: a.reason });
      }
    }
    writeFileAtomic(dest, 'manifest.json', JSON.stringify({ partition: path.resolve(plan.dir), createdAt: new Date().toISOString(), actions: manifest }, null, 2) + '\n');
    fsyncDir(dest);
  } catch (e) {
    if (e instanceof KsegError || e instanceof SimulatedCrash) throw e;
    throw ioError(e, dest);
  }
  return dest;
}

function execute(plan: RecoveryPlan): void {
  const dir = plan.dir;
  for (const a of plan.actions) {
    switch (a.type) {
      case 'delete':
        removeDurable(dir, a.file);
        fsyncDir(dir);
        break;
      case 'rename':
        renameDurable(dir, a.from, a.to);
        break;
      case 'write':
        writeFileAtomic(dir, a.file, a.data);
        break;
      case 'truncate':
        truncateDurable(dir, a.file, a.size);
        break;
    }
  }
}

/** Recover a partition directory (or only plan it with dryRun). */
export function recover(dir: string, opts: RecoverOptions = {}): RecoverResult {
  const completing = RECOVERY_PHASES.filter((p) => p.complete);
  if (completing.length && !opts.dryRun) assertNotLocked(dir, opts.force ?? false);
  const completed = completing.flatMap((p) => p.complete!(dir, { dryRun: !!opts.dryRun, force: !!opts.force }));
  const plan = planRecovery(dir, opts);
  plan.completed = completed;
  const changed: string[] = [];
  const removed: string[] = [];
  for (const a of plan.actions) {
    if (a.type === 'delete') removed.push(a.file);
    else if (a.type === 'rename') {
      removed.push(a.from);
      changed.push(a.to);
    } else changed.push(a.file);
  }
  const result: RecoverResult = { ...plan, applied: false, changed: [...new Set(changed)], removed: [...new Set(removed)], backupDir: null };
  result.applied = completed.length > 0 && !opts.dryRun;
  if (opts.dryRun || plan.actions.length === 0) return result;
  assertNotLocked(dir, opts.force ?? false);
  if (opts.backup) result.backupDir = backupPlan(plan, opts.backup);
  execute(plan);
  result.applied = true;
  return result;
}
