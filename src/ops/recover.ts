import fs from 'node:fs';
import { ProgressMeter, type OnProgress } from './progress.js';
import path from 'node:path';
import { CorruptDataError, ioError, KsegError, UsageError } from '../format/errors.js';
import { assignEpoch, encodeLeaderEpochCheckpoint, parseLeaderEpochCheckpoint, truncateEpochsFromEnd, truncateEpochsFromStart, type LeaderEpochEntry } from '../format/checkpoints.js';
import { TXN_INDEX_ENTRY_SIZE } from '../format/indexes.js';
import { readInt64 } from '../format/int64.js';
import { parseProducerSnapshot } from '../format/snapshot.js';
import { decodeBatch, frameEntry, HEADER_SIZE_UP_TO_MAGIC } from '../format/batch.js';
import { assertNotLocked, faultPoint, fsyncDir, removeDurable, renameDurable, SimulatedCrash, TEMP_SUFFIX, truncateDurable, writeFileAtomic } from '../storage/atomic.js';
import { CLEAN_SHUTDOWN_FILE, LOG_START_OFFSET_CHECKPOINT, partitionDirKind, readLogDirContext } from '../storage/log-dir.js';
import { withPartitionLock } from '../storage/lock.js';
import { openSource, readWholeFile } from '../storage/source.js';
import { KSEG_LOCK_FILE, parseSegmentName, partitionFromEntries, readDirEntries, requirePartition, scanPartitionDir, subdirectories, type DirEntry, type PartitionDir } from '../storage/segments.js';
import { compareSegment, DEFAULT_INDEX_INTERVAL_BYTES } from './rebuild-index.js';
import { intentRecoveryPhase } from './intent.js';
import { scanPartition, viewOf, type PartitionScan, type PartitionView, type SegmentScan } from './partition-scan/index.js';
import { ISSUE_CODES } from './verify/codes.js';
import type { VerifyIssue, VerifySummary } from './verify/reporter.js';

/**
 * `recover DIR`: Kafka's startup recovery done offline (format doc 6.1/6.2), ordered so that a
 * crash at any step leaves a partition that the next run finishes (8.1):
 *
 *   1. leftovers  delete .deleted; drop .swap files at or above the smallest .cleaned offset and
 *                 all .cleaned; complete the remaining swaps (delete the old files they replace,
 *                 strip .swap)
 *   2. strays     delete kseg temp files and index files without a .log
 *   3. log        within Kafka's recovery scope (RecoveryMode: recovery point, clean shutdown,
 *                 --full), find the first segment with an invalid entry (size/CRC, torn or zero
 *                 tail, just after an unparseable transaction marker); delete every later segment
 *                 (highest base offset first), write its rebuilt .index/.timeindex/.txnindex, then
 *                 truncate it (to 0 when rebuilding its index throws InvalidOffsetException); cut
 *                 segments Kafka recovers when loading them on their own; rebuild the side files of
 *                 other segments whose indexes are missing or invalid
 *   4. epochs     leader-epoch-checkpoint: loaded through assign, epochs of recovered batches
 *                 assigned, truncateFromEnd(log end), truncateFromStart(log start)
 *   5. snapshots  delete producer snapshots as ProducerStateManager's load does (never the last
 *                 ones after a clean shutdown); none is written
 *
 * A `-delete` partition directory is refused unless --full (Kafka deletes it without recovery).
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
  /**
   * Recover every segment (cut at the first invalid batch anywhere, delete every later segment)
   * instead of Kafka's scope (from the recovery point; nothing after a clean shutdown).
   */
  full?: boolean;
  force?: boolean;
  /** Copy every removed or replaced byte here before changing anything. */
  backup?: string;
  indexIntervalBytes?: number;
  /** Called with .log bytes scanned and the total, at most once per PROGRESS_STEP (4 MiB) and per segment. */
  onProgress?: OnProgress;
}

export interface RecoverSummary extends VerifySummary {
  logEndOffset: number | null;
}

/**
 * Which segments the recovery checks, as Kafka decides it at startup (LogManager.loadLogs ->
 * LogLoader.recoverLog): nothing after a clean shutdown, else the segments from the one holding the
 * partition's recovery point on. `full` is kseg's whole-partition recovery (`--full`).
 */
export interface RecoveryMode {
  kind: 'recovery-point' | 'clean-shutdown' | 'full' | 'no-log-dir';
  /** The partition's recovery point (0 without a checkpoint entry or outside a log dir); null with --full, or after a clean shutdown without an entry. */
  recoveryPoint: number | null;
  /** The recovery-point-offset-checkpoint file read, or null. */
  source: string | null;
  /** The first segment the log phase recovers (null: none, e.g. after a clean shutdown). */
  firstSegmentChecked: string | null;
  /** The clean-shutdown marker found in the log directory, or null. */
  cleanShutdownFile: string | null;
  /** Log start offset used for snapshots: max(log-start-offset-checkpoint entry, first segment's base). */
  logStartOffset: number | null;
  /** The log-start-offset-checkpoint file read, or null. */
  logStartOffsetSource: string | null;
  /** Why this mode, in words. */
  reason: string;
}

/** A truncation the recovery makes in one segment. */
export interface RecoverCut {
  file: string;
  position: number;
  code: string;
  offset: number | null;
  records: number;
  bytes: number;
  segmentsDeleted: string[];
  /** 'recovery': Kafka's recoverLog (later segments deleted); 'segment-load': the segment alone is recovered when it is loaded (missing .index, .txnindex failing its sanity check). */
  kind: 'recovery' | 'segment-load';
}

/** Corruption the recovery leaves as it is because Kafka's startup would not touch it. */
export interface NotRecovered {
  file: string;
  position: number | null;
  code: string;
  offset: number | null;
  /** Records from there to the end of the segment that `--full` would cut (later segments not counted). */
  records: number;
  reason: string;
}

export interface RecoveryPlan {
  dir: string;
  actions: RecoverAction[];
  /** Which segments were checked and why. */
  mode: RecoveryMode;
  /** What the log phase cuts (the first of `cuts`; null: nothing is cut). */
  cut: RecoverCut | null;
  /** Every segment the log phase cuts, in offset order. */
  cuts: RecoverCut[];
  /** Corruption kept because Kafka's recovery does not reach it (below the recovery point, or after a clean shutdown). */
  notRecovered: NotRecovered[];
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

/** The epoch starts of one recovered segment that LogSegment.recover may assign to the leader-epoch cache. */
interface EpochReplay {
  file: string;
  starts: { epoch: number; offset: number; position: number }[];
}

/** The planned state of the directory: name -> size and the real path holding its bytes now. */
interface PlanFile {
  size: number;
  real: string;
}

export interface PlanState {
  dir: string;
  opts: Required<Pick<RecoverOptions, 'indexIntervalBytes'>> & Pick<RecoverOptions, 'onProgress'>;
  files: Map<string, PlanFile>;
  actions: RecoverAction[];
  mode: RecoveryMode;
  /** The partition's log-start-offset-checkpoint entry (0 without one, as LogManager defaults it). */
  logStartOffsetCheckpoint: number;
  /** Set by the log phase: its scan, and how many actions earlier phases planned. */
  scan?: PartitionScan;
  actionsBeforeLog?: number;
  cuts: RecoverCut[];
  notRecovered: NotRecovered[];
  /** Per scanned segment (by .log name): where it ends after recovery (Infinity: untouched), absent when deleted. */
  kept?: Map<string, number>;
  /** Base offsets of the segments the log phase deletes. */
  deletedBases: Set<number>;
  /** Set by the log phase: the scanned segments as recovery sees them (a segment Kafka empties has its cut at 0). */
  segs?: SegmentScan[];
  /** Set by the log phase: leader epochs Kafka's recovery assigns, per recovered segment, in recovery order. */
  epochReplay?: EpochReplay[];
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

/**
 * Why Kafka recovers a segment when it loads it, whatever the recovery point or a clean shutdown
 * say (LogLoader.loadSegmentFiles -> LogSegment.sanityCheck): its .index is missing
 * (NoSuchFileException), or its .txnindex holds an entry ending below the segment's base offset
 * (TransactionIndex.sanityCheck's CorruptIndexException). Null: no such reason.
 */
function loadTimeRecoveryReason(s: SegmentScan): string | null {
  if (!s.segment.index) return `${s.segment.name}.index is missing`;
  const txn = s.disk.txnindex;
  if (txn) {
    for (let p = 0; p + TXN_INDEX_ENTRY_SIZE <= txn.length; p += TXN_INDEX_ENTRY_SIZE) {
      const lastOffset = readInt64(txn, p + TXN_LAST_OFFSET_IN_ENTRY);
      if (lastOffset < s.segment.baseOffset) return `${s.segment.name}.txnindex has an aborted transaction ending at ${lastOffset}, below the segment's base offset`;
    }
  }
  return null;
}
/** AbortedTxn: version int16 | producerId int64 | firstOffset int64 | lastOffset int64 | lastStableOffset int64. */
const TXN_LAST_OFFSET_IN_ENTRY = 2 + 8 + 8;

/**
 * Phase 3: Kafka's segment recovery (size/CRC rule), later segments deleted first, then the cut.
 *
 * Scope (LogLoader.recoverLog): with --full every segment; after a clean shutdown none; otherwise
 * the segments from the one holding the recovery point on (LogSegments.values(recoveryPoint, ∞)).
 * The first segment in scope that loses bytes is cut and every later one deleted. Independently,
 * a segment that Kafka recovers when loading it (loadTimeRecoveryReason) is cut alone, later
 * segments kept (its second pass in recoverLog then truncates nothing). Corruption elsewhere is
 * reported (notRecovered) and kept.
 */
const logPhase: RecoveryPhase = {
  name: 'log',
  plan(state) {
    const view = viewOfPlan(state);
    const cb = state.opts.onProgress;
    const progress = cb ? new ProgressMeter(cb, view.partition.segments.reduce((n, s) => n + s.logSize, 0)) : null;
    const scan = scanPartition(view, { buildIndexes: { indexIntervalBytes: state.opts.indexIntervalBytes }, recordSet: false, progress });
    state.scan = scan;
    state.actionsBeforeLog = state.actions.length;
    const mode = state.mode;
    const scanned = scan.segments;
    let scopeStart: number;
    if (mode.kind === 'full') scopeStart = 0;
    else if (mode.kind === 'clean-shutdown') scopeStart = scanned.length;
    else {
      const rp = mode.recoveryPoint ?? 0;
      scopeStart = 0;
      for (let i = 0; i < scanned.length; i++) if (scanned[i]!.segment.baseOffset <= rp) scopeStart = i;
    }
    mode.firstSegmentChecked = scanned[scopeStart]?.segment.log ?? null;
    if (scanned.length > 0) mode.logStartOffset = Math.max(state.logStartOffsetCheckpoint, scanned[0]!.segment.baseOffset);
    const loadReasons = new Map<number, string>();
    if (mode.kind !== 'full') {
      for (let i = 0; i < scanned.length; i++) {
        const r = loadTimeRecoveryReason(scanned[i]!);
        if (r) loadReasons.set(i, r);
      }
    }
    // LogLoader.recoverLog: when LogSegment.recover throws InvalidOffsetException (rebuilding the
    // offset or time index meets offsets going backwards at an index point), the segment is
    // truncated to its base offset, i.e. emptied, and every later segment deleted. A segment
    // recovered while loading (loadSegmentFiles) does not catch it: the broker fails to load the
    // partition, so kseg leaves such a segment as it is and says so.
    const emptiedWhy = new Map<number, string>();
    const segs = scanned.map((s, i) => {
      const inv = s.invalidOffset;
      if (!inv) return s;
      if (loadReasons.has(i)) {
        state.notRecovered.push({
          file: s.segment.log,
          position: inv.position,
          code: 'OFFSET_NOT_INCREASING',
          offset: inv.offset,
          records: s.records + s.undecodedRecords,
          reason: `rebuilding its indexes throws InvalidOffsetException (${inv.message}) while Kafka loads the segment (${loadReasons.get(i)}): LogLoader.loadSegmentFiles does not catch it and the broker fails to load the partition; kept (kseg recover --full empties the segment, as recoverLog would)`,
        });
        return s;
      }
      if (i < scopeStart) return s;
      emptiedWhy.set(i, `InvalidOffsetException while rebuilding the indexes: ${inv.message}; Kafka's recovery empties the segment (LogLoader.recoverLog truncates it to its base offset)`);
      const empty = Buffer.alloc(0);
      const emptied: SegmentScan = {
        ...s,
        cut: { position: 0, code: 'OFFSET_NOT_INCREASING', offset: inv.offset },
        batchesBeforeCut: 0,
        recordsBeforeCut: 0,
        nextOffsetBeforeCut: s.segment.baseOffset,
        recordsFromCut: s.records + s.undecodedRecords,
        rebuilt: { index: empty, timeindex: empty, txnindex: empty, indexEntries: 0, timeIndexEntries: 0, txnIndexEntries: 0 },
      };
      return emptied;
    });
    state.segs = segs;

    // Decide each segment's fate: cut (and why), kept whole, or deleted after the recovery cut.
    const cutAt = new Map<number, RecoverCut['kind']>();
    let recoveryCut = -1;
    for (let i = 0; i < segs.length; i++) {
      const s = segs[i]!;
      const loadReason = loadReasons.get(i);
      if (!s.cut) continue;
      if (loadReason) cutAt.set(i, 'segment-load');
      else if (i >= scopeStart) {
        cutAt.set(i, 'recovery');
        recoveryCut = i;
        break;
      } else {
        const why =
          mode.kind === 'clean-shutdown'
            ? `the log directory was shut down cleanly (${CLEAN_SHUTDOWN_FILE}): Kafka's startup recovers no segment`
            : `below the recovery point ${mode.recoveryPoint}: Kafka's startup does not recover this segment`;
        state.notRecovered.push({ file: s.segment.log, position: s.cut.position, code: s.cut.code, offset: s.cut.offset, records: s.recordsFromCut, reason: `${why}; kept (kseg verify shows it, kseg recover --full cuts here)` });
      }
    }
    // The batches whose leader epochs Kafka's recovery assigns (LogSegment.recover), in the order it
    // recovers segments: those recovered while loading (file order), then recoverLog's from the
    // recovery point up to the segment it cuts. Each stops at its cut, or where an index append throws.
    const replayOf = (s: SegmentScan): EpochReplay => {
      const stop = Math.min(s.cut?.position ?? Infinity, s.invalidOffset?.position ?? Infinity);
      return { file: s.segment.log, starts: s.epochStarts.filter((e) => e.position < stop) };
    };
    state.epochReplay = [...loadReasons.keys()].sort((a, b) => a - b).map((i) => replayOf(scanned[i]!));
    if (mode.kind !== 'clean-shutdown') {
      for (let i = scopeStart; i < scanned.length && (recoveryCut < 0 || i <= recoveryCut); i++) state.epochReplay.push(replayOf(scanned[i]!));
    }
    const survivors = recoveryCut >= 0 ? segs.slice(0, recoveryCut + 1) : segs;
    for (const s of survivors) {
      if (s.overflow) throw new CorruptDataError('OFFSET_OVERFLOW', 'offsets more than 2^31-1 above the segment base: Kafka splits such a segment, which recover does not do', { file: s.segment.log });
    }
    const deleted: string[] = [];
    if (recoveryCut >= 0) {
      const cs = segs[recoveryCut]!;
      for (const later of segs.slice(recoveryCut + 1).reverse()) {
        const seg = later.segment;
        const why = `later segment: recovery cut ${cs.segment.log} at byte ${cs.cut!.position}`;
        planDelete(state, seg.log, why);
        for (const f of [seg.index, seg.timeindex, seg.txnindex]) if (f) planDelete(state, f, why);
        deleted.push(seg.log);
        state.deletedBases.add(seg.baseOffset);
      }
      deleted.reverse();
    }
    state.kept = new Map(survivors.map((s, i) => [s.segment.log, cutAt.has(i) ? s.cut!.position : Infinity]));
    for (const [i, kind] of cutAt) {
      const cs = segs[i]!;
      const later = kind === 'recovery' ? segs.slice(i + 1) : [];
      state.cuts.push({
        file: cs.segment.log,
        position: cs.cut!.position,
        code: cs.cut!.code,
        offset: cs.cut!.offset,
        records: cs.recordsFromCut + later.reduce((n, s) => n + s.records + s.undecodedRecords, 0),
        bytes: cs.logSize - cs.cut!.position + later.reduce((n, s) => n + s.logSize, 0),
        segmentsDeleted: kind === 'recovery' ? deleted : [],
        kind,
      });
    }
    const last = survivors[survivors.length - 1];
    state.logEndOffset = last ? (cutAt.has(survivors.length - 1) ? last.nextOffsetBeforeCut : scan.logEndOffset) : null;
    const lsoCp = state.logStartOffsetCheckpoint;
    if (state.logEndOffset !== null && lsoCp > state.logEndOffset) {
      state.notRecovered.push({ file: mode.logStartOffsetSource ?? LOG_START_OFFSET_CHECKPOINT, position: null, code: 'LOG_END_BELOW_LOG_START', offset: lsoCp, records: 0, reason: `the log end offset ${state.logEndOffset} is below the log start offset ${lsoCp}: Kafka's startup deletes every segment of such a log (LogLoader); kseg leaves them, check the checkpoint and the segments first` });
    }
    const truncate = (i: number, kind: RecoverCut['kind']): void => {
      const cs = segs[i]!;
      const c = cs.cut!;
      const where = emptiedWhy.has(i) ? `${c.code} (offset ${c.offset})` : `${c.code} at byte ${c.position}${c.offset !== null ? ` (offset ${c.offset})` : ''}`;
      const why = emptiedWhy.get(i) ?? (kind === 'recovery' ? "Kafka's recovery truncates here" : `Kafka recovers this segment when it loads it (${loadReasons.get(i)}) and truncates here; later segments stay`);
      state.actions.push({ type: 'truncate', file: cs.segment.log, size: c.position, fromSize: cs.logSize, records: cs.recordsFromCut, reason: `${where}: ${why}` });
      state.files.set(cs.segment.log, { ...state.files.get(cs.segment.log)!, size: c.position });
    };
    // A segment recovered at load is truncated before its side files are written: writing them
    // first would remove the reason (missing .index, bad .txnindex), and a run interrupted in
    // between would then leave the corruption below the recovery point, never cut.
    for (const [i, kind] of cutAt) if (kind === 'segment-load') truncate(i, kind);
    // Rebuilt side files: cut segments, and any surviving segment whose indexes have problems
    // (never a segment whose corruption is kept: its rebuilt indexes would cover only a prefix).
    for (let i = 0; i < survivors.length; i++) {
      const s = survivors[i]!;
      const name = s.segment.name;
      if (s.cut && !cutAt.has(i)) continue;
      const flagged = cutAt.has(i) || [`${name}.index`, `${name}.timeindex`, `${name}.txnindex`].some((f) => [...(scan.reporter.byFile.get(f) ?? [])].some((c) => INDEX_KINDS.has(c)));
      if (!flagged && !loadReasons.has(i)) continue;
      for (const c of compareSegment(s)) {
        if (c.status === 'same') continue;
        const was = c.bytesOnDiskTooLarge !== undefined ? `a ${c.bytesOnDiskTooLarge}-byte file Kafka cannot map` : `${c.entriesOnDisk}`;
        planWrite(state, c.file, s.rebuilt![c.kind], c.status === 'missing' ? `create: Kafka rebuilds a missing ${c.kind}` : `rebuild: ${c.entriesRebuilt} entr${c.entriesRebuilt === 1 ? 'y' : 'ies'} (was ${was})`);
      }
    }
    // The recovery cut comes last: its segment stays in scope until then, so an interrupted run
    // is finished by the next one.
    for (const [i, kind] of cutAt) if (kind === 'recovery') truncate(i, kind);
  },
};

/**
 * Phase 4: leader-epoch-checkpoint as LogLoader.load leaves it. The cache loads the file by
 * assigning its entries in order (LeaderEpochFileCache: non-monotonic entries are dropped); every
 * segment Kafka recovers assigns the epoch of each v2 batch above the cache's latest epoch at the
 * batch's base offset (LogSegment.recover); then truncateFromEnd(log end) drops the entries
 * starting at or after the log end and truncateFromStart(log-start-offset checkpoint) folds the
 * entries at or below it into one starting there. The file is written (atomically) when that
 * differs from what it holds, and created when it is missing and recovery assigned epochs.
 */
const epochsPhase: RecoveryPhase = {
  name: 'epochs',
  plan(state) {
    const name = 'leader-epoch-checkpoint';
    const f = state.files.get(name);
    if (state.logEndOffset === null) return;
    let entries: LeaderEpochEntry[] = [];
    if (f) {
      try {
        entries = parseLeaderEpochCheckpoint(readWholeFile(f.real).toString('utf8'), name);
      } catch (e) {
        if (e instanceof CorruptDataError) return; // reported by verify; Kafka would refuse it too
        throw e;
      }
      // Kafka refuses negative epochs or offsets (IllegalArgumentException): leave such a file alone.
      if (entries.some((e) => e.epoch < 0 || e.startOffset < 0)) return;
    }
    let cache = entries.reduce<LeaderEpochEntry[]>((c, e) => assignEpoch(c, e.epoch, e.startOffset), []);
    const reasons: string[] = [];
    const normalized = entries.length - cache.length;
    if (!sameEpochs(cache, entries)) reasons.push(`drop ${normalized} non-monotonic entr${normalized === 1 ? 'y' : 'ies'} as the cache does when it loads the file`);
    const assigned: string[] = [];
    for (const r of state.epochReplay ?? []) {
      for (const e of r.starts) {
        const latest = cache[cache.length - 1];
        if (latest && e.epoch <= latest.epoch) continue;
        cache = assignEpoch(cache, e.epoch, e.offset);
        assigned.push(`epoch ${e.epoch} from offset ${e.offset} (${r.file} byte ${e.position})`);
      }
    }
    const leo = state.logEndOffset;
    const fromEnd = truncateEpochsFromEnd(cache, leo);
    const kept = truncateEpochsFromStart(fromEnd, state.logStartOffsetCheckpoint);
    if (f ? sameEpochs(kept, entries) : kept.length === 0) return;
    if (assigned.length) reasons.push(`assign ${assigned.slice(0, 5).join(', ')}${assigned.length > 5 ? ` and ${assigned.length - 5} more` : ''}, seen in recovered batches (LogSegment.recover)`);
    const dropped = cache.length - fromEnd.length;
    if (dropped > 0) reasons.push(`drop ${dropped} epoch entr${dropped === 1 ? 'y' : 'ies'} starting at or after the log end offset ${leo}`);
    if (!sameEpochs(kept, fromEnd)) reasons.push(`fold the entries at or below the log start offset ${state.logStartOffsetCheckpoint} into one starting there`);
    planWrite(state, name, Buffer.from(encodeLeaderEpochCheckpoint(kept)), `${reasons.join('; ')} (LeaderEpochFileCache)`);
  },
};

function sameEpochs(a: LeaderEpochEntry[], b: LeaderEpochEntry[]): boolean {
  return a.length === b.length && a.every((e, i) => e.epoch === b[i]!.epoch && e.startOffset === b[i]!.startOffset);
}

/**
 * Phase 5: producer snapshots as Kafka's load leaves them: those of segments the recovery deleted
 * (UnifiedLog.deleteProducerSnapshots); stray ones, i.e. not at a segment's base offset, except the
 * newest if it is not below the last segment's base (ProducerStateManager.removeStraySnapshots);
 * those beyond the log end or at or below the log start offset (truncateAndReload); corrupt ones
 * (loadFromSnapshot deletes a corrupt one and rebuilds producer state from the log).
 */
const snapshotsPhase: RecoveryPhase = {
  name: 'snapshots',
  plan(state) {
    if (!state.scan) return;
    const part = listing(state);
    const bases = new Set(part.segments.map((s) => s.baseOffset));
    const maxBase = part.segments.length ? part.segments[part.segments.length - 1]!.baseOffset : null;
    let snaps = part.snapshots;
    for (const s of snaps.filter((x) => state.deletedBases.has(x.offset))) planDelete(state, s.file, `snapshot of segment ${s.file.replace(/\.snapshot$/, '.log')}, deleted by the recovery`);
    snaps = snaps.filter((x) => state.files.has(x.file));
    const strays = snaps.filter((x) => !bases.has(x.offset));
    for (const [i, s] of strays.entries()) {
      const newest = i === strays.length - 1;
      if (!newest) planDelete(state, s.file, 'stray snapshot (no segment starts at its offset and a newer stray exists): ProducerStateManager.removeStraySnapshots deletes it');
      else if (maxBase !== null && s.offset < maxBase) planDelete(state, s.file, `stray snapshot below the last segment's base offset ${maxBase}: ProducerStateManager.removeStraySnapshots deletes it`);
    }
    snaps = snaps.filter((x) => state.files.has(x.file));
    const lso = state.mode.logStartOffset;
    // What truncateAndReload (out of range) and loadFromSnapshot (corrupt) delete.
    const planned: { file: string; offset: number; code: string; reason: string }[] = [];
    for (const s of snaps) {
      if (state.logEndOffset !== null && s.offset > state.logEndOffset) {
        planned.push({ file: s.file, offset: s.offset, code: 'SNAPSHOT_BEYOND_LOG_END', reason: `snapshot beyond the log end offset ${state.logEndOffset}: ProducerStateManager.truncateAndReload deletes it` });
        continue;
      }
      if (lso !== null && s.offset <= lso) {
        planned.push({ file: s.file, offset: s.offset, code: 'SNAPSHOT_AT_OR_BELOW_LOG_START', reason: `snapshot at or below the log start offset ${lso}: ProducerStateManager.truncateAndReload deletes it` });
        continue;
      }
      try {
        const snap = parseProducerSnapshot(readWholeFile(state.files.get(s.file)!.real), s.file);
        if (!snap.crcValid) planned.push({ file: s.file, offset: s.offset, code: 'SNAPSHOT_CRC_MISMATCH', reason: 'corrupt snapshot (CRC mismatch): Kafka deletes it when it reads it and rebuilds producer state from the log' });
      } catch (e) {
        if (!(e instanceof CorruptDataError)) throw e;
        planned.push({ file: s.file, offset: s.offset, code: e.code, reason: `corrupt snapshot (${e.code}): Kafka deletes it when it reads it and rebuilds producer state from the log` });
      }
    }
    // After a clean shutdown, a partition without any snapshot file is taken to have no producer
    // state (UnifiedLog.rebuildProducerState writes empty snapshots instead of replaying the log).
    // Kafka decides that before truncateAndReload deletes anything: deleting every remaining
    // snapshot here would turn Kafka's replay into an empty producer state, so keep them.
    if (state.mode.kind === 'clean-shutdown' && snaps.length > 0 && planned.length === snaps.length) {
      for (const p of planned) {
        state.notRecovered.push({
          file: p.file,
          position: null,
          code: p.code,
          offset: p.offset,
          records: 0,
          reason: `${p.reason.replace(/: .*$/, '')}; kept: it is the last snapshot file after a clean shutdown, and without one Kafka (UnifiedLog.rebuildProducerState) would take the producer state to be empty instead of rebuilding it from the log`,
        });
      }
      return;
    }
    for (const p of planned) planDelete(state, p.file, p.reason);
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
  const files = new Map<string, PlanFile>();
  for (const e of readDirEntries(dir)) {
    if (e.type !== 'file' || e.name.startsWith(KSEG_LOCK_FILE)) continue;
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
  const subdirs = subdirectories(dir).filter((d) => /-\d+$/.test(d));
  if (subdirs.length > 0) {
    throw new UsageError(`${dir} is a log directory (${subdirs.length} partition directories in it); give one partition directory, e.g. ${path.join(dir, subdirs[0]!)}`);
  }
  requirePartition(part);
}

/**
 * Refuse a `-delete` partition directory unless --full: Kafka never recovers one (LogLoader.load
 * skips recoverLog for it) and deletes it (LogManager.loadLog -> addLogToBeDeleted). Checked
 * before anything else runs, intent completion included.
 */
export function assertRecoverableDir(dir: string, full: boolean): void {
  if (full || partitionDirKind(dir) !== 'delete') return;
  throw new UsageError(
    `${dir} is a deleted partition directory (-delete): a broker never recovers it and deletes it at startup (LogManager.loadLog). Nothing was changed; to salvage its data, run kseg recover --full on it (or on a copy)`,
    'PARTITION_DIR_DELETED',
  );
}

/** The note the plan's reason carries for -delete (with --full), -stray and -future directories. */
function dirKindNote(dir: string): string {
  switch (partitionDirKind(dir)) {
    case 'delete':
      return '; a -delete directory, which Kafka deletes without recovering: recovered because --full was given';
    case 'stray':
      return '; a -stray directory (KIP-858): Kafka loads and recovers it like any log but does not serve it';
    case 'future':
      return '; a -future directory (a replica being moved between log dirs): Kafka loads and recovers it like any log';
    default:
      return '';
  }
}

/**
 * Kafka's recovery scope for this partition (LogManager.loadLogs / loadLog, LogLoader.recoverLog).
 * A recovery-point checkpoint that does not parse is refused: Kafka would reset the recovery points
 * of the whole log dir to 0, i.e. recover everything, which only --full does.
 */
export function recoveryModeOf(dir: string, full: boolean): { mode: RecoveryMode; logStartOffsetCheckpoint: number } {
  let ctx;
  try {
    ctx = readLogDirContext(dir);
  } catch (e) {
    if (!(e instanceof CorruptDataError)) throw e;
    if (full) return { mode: fullMode(`--full: every segment is recovered (${e.file ?? 'a log-dir checkpoint'} does not parse: ${e.message})`), logStartOffsetCheckpoint: 0 };
    throw new CorruptDataError(
      e.code,
      `${e.message}. Kafka reads a recovery-point-offset-checkpoint it cannot parse as recovery point 0 for every partition of the log dir, i.e. recovers whole partitions; run kseg recover --full to do that, or fix the file`,
      { file: e.file, position: e.position },
    );
  }
  const lsoEntry = ctx.logStartOffset?.offset ?? null;
  const base = {
    firstSegmentChecked: null,
    cleanShutdownFile: ctx.cleanShutdown,
    logStartOffset: null,
    logStartOffsetSource: lsoEntry !== null ? ctx.logStartOffset!.file : null,
  };
  const lso = lsoEntry ?? 0;
  const lsoNote = ctx.logStartOffsetError ? `; ${ctx.logStartOffsetError.file ?? LOG_START_OFFSET_CHECKPOINT} does not parse (${ctx.logStartOffsetError.message}): the first segment's base offset is the log start offset, as Kafka falls back` : '';
  if (full) return { mode: { ...fullMode('--full: every segment is recovered'), ...base, reason: `--full: every segment is recovered${lsoNote}` }, logStartOffsetCheckpoint: lso };
  if (!ctx.isLogDir) {
    return { mode: { kind: 'no-log-dir', recoveryPoint: 0, source: null, ...base, reason: `${ctx.logDir} holds no Kafka log-dir files (checkpoints, ${CLEAN_SHUTDOWN_FILE}): recovered from offset 0, as Kafka does without a recovery point${lsoNote}` }, logStartOffsetCheckpoint: lso };
  }
  if (ctx.topicPartition?.topic === '__cluster_metadata') {
    // KafkaMetadataLog opens the KRaft metadata log with recovery point 0, log start 0 and
    // lastShutdownClean = false: every start recovers it whole, whatever the log dir's files say.
    return {
      mode: { kind: 'recovery-point', recoveryPoint: 0, source: null, ...base, logStartOffsetSource: null, reason: `the KRaft metadata log: Kafka (KafkaMetadataLog) recovers it from offset 0 at every start, ignoring the log dir's checkpoints and ${CLEAN_SHUTDOWN_FILE}` },
      logStartOffsetCheckpoint: 0,
    };
  }
  const rpFile = ctx.recoveryPoint?.file ?? null;
  const rp = ctx.recoveryPoint?.offset ?? null;
  const tpName = ctx.topicPartition ? `${ctx.topicPartition.topic}-${ctx.topicPartition.partition}` : path.basename(path.resolve(dir));
  if (ctx.cleanShutdown) {
    return {
      mode: { kind: 'clean-shutdown', recoveryPoint: rp, source: rpFile, ...base, reason: `${ctx.cleanShutdown} is present: the broker shut down cleanly and Kafka recovers no segment at startup (only leftovers, orphaned files and segments without a .index)${lsoNote}` },
      logStartOffsetCheckpoint: lso,
    };
  }
  const why =
    rpFile === null
      ? `${ctx.logDir} is a log dir without recovery-point-offset-checkpoint: recovery point 0`
      : rp === null
        ? `${tpName} has no entry in ${rpFile}: recovery point 0, as Kafka defaults it`
        : `${rpFile} says ${tpName} is flushed up to offset ${rp}: segments from the one holding it on are recovered`;
  return { mode: { kind: 'recovery-point', recoveryPoint: rp ?? 0, source: rpFile, ...base, reason: `no ${CLEAN_SHUTDOWN_FILE} (unclean shutdown): ${why}${lsoNote}` }, logStartOffsetCheckpoint: lso };
}

function fullMode(reason: string): RecoveryMode {
  return { kind: 'full', recoveryPoint: null, source: null, firstSegmentChecked: null, cleanShutdownFile: null, logStartOffset: null, logStartOffsetSource: null, reason };
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
  assertRecoverableDir(dir, !!opts.full);
  const indexIntervalBytes = opts.indexIntervalBytes ?? DEFAULT_INDEX_INTERVAL_BYTES;
  const { mode, logStartOffsetCheckpoint } = recoveryModeOf(dir, !!opts.full);
  mode.reason += dirKindNote(dir);
  const state: PlanState = {
    dir,
    opts: { indexIntervalBytes, onProgress: opts.onProgress },
    files: dirEntries(dir),
    actions: [],
    mode,
    logStartOffsetCheckpoint,
    cuts: [],
    notRecovered: [],
    deletedBases: new Set(),
    logEndOffset: null,
  };
  for (const phase of RECOVERY_PHASES) phase.plan?.(state);
  const scan = state.scan!;
  // "before" describes the directory as it is: it differs from the log phase's view only when
  // completing a swap renamed or replaced segments.
  const segmentsMoved = state.actions.slice(0, state.actionsBeforeLog).some((a) => a.type === 'rename' || (a.type === 'delete' && a.file.endsWith('.log')));
  const before = segmentsMoved ? summaryOf(scanPartition(viewOf(scanPartitionDir(dir)), { recordSet: false, maxIssues: 0 })) : summaryOf(scan);
  const kept = state.kept!;
  const survivors = state.segs!.filter((s) => kept.has(s.segment.log));
  const cutHere = (s: SegmentScan): boolean => kept.get(s.segment.log) !== Infinity;
  const after: RecoverSummary = {
    segments: survivors.length,
    batches: survivors.reduce((n, s) => n + (cutHere(s) ? s.batchesBeforeCut : s.batches), 0),
    records: survivors.reduce((n, s) => n + (cutHere(s) ? s.recordsBeforeCut : s.records), 0),
    bytes: survivors.reduce((n, s) => n + (cutHere(s) ? s.cut!.position : s.logSize), 0),
    logEndOffset: state.logEndOffset,
  };
  // Side files of segments whose corruption is kept are not rebuilt: their problems remain too.
  const untouched = new Set(state.notRecovered.map((n) => n.file.replace(/\.log$/, '')));
  const epochsRewritten = state.actions.some((a) => a.type === 'write' && a.file === 'leader-epoch-checkpoint');
  const remaining = scan.reporter.issues.filter((i) => {
    if (i.severity === 'info') return false;
    if (/\.log$/.test(i.file)) {
      const limit = kept.get(i.file);
      return limit !== undefined && (i.position === null || i.position < limit);
    }
    const m = /^(\d{20})\.(index|timeindex|txnindex)$/.exec(i.file);
    if (m && untouched.has(m[1]!)) return true;
    // The epochs phase rewrites a checkpoint whose entries are out of order (the cache's load drops them).
    if (i.code === 'LEADER_EPOCH_NOT_INCREASING' && epochsRewritten) return false;
    return !FIXED_CODES.has(i.code);
  });
  return { dir, mode, actions: state.actions, cut: state.cuts[0] ?? null, cuts: state.cuts, notRecovered: state.notRecovered, before, after, remaining, completed: [] };
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

/** Recover a partition directory (or only plan it with dryRun); a real run holds kseg's partition lock (storage/lock.ts). */
export function recover(dir: string, opts: RecoverOptions = {}): RecoverResult {
  assertRecoverableDir(dir, !!opts.full);
  if (opts.dryRun) return recoverPartition(dir, opts);
  return withPartitionLock(dir, 'recover', () => recoverPartition(dir, opts));
}

function recoverPartition(dir: string, opts: RecoverOptions): RecoverResult {
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
