import { runStoppable, safePoint } from './interrupt.js';
import { PartitionReadProgress, ProgressMeter, type OnProgress } from './progress.js';
import fs from 'node:fs';
import path from 'node:path';
import { CorruptDataError, UsageError } from './../format/errors.js';
import { assertNotLocked, faultPoint, fsyncDir, removeDurable, renameDurable, SimulatedCrash, writeFileAtomic } from '../storage/atomic.js';
import { withLogDirLock, withPartitionLock } from '../storage/lock.js';
import { segmentFileName } from '../storage/segments.js';
import { buildOffsetMap, cleanGroup, MapBuilder, type BatchSink, type SegmentCleanStats } from './compact/cleaner.js';
import { DEFAULT_OFFSET_MAP_BYTES, OffsetMap } from './compact/offset-map.js';
import { assertSettled, loadPartition, loadPartitionSteps, readLogDirCheckpointEntry, summarize, type PartitionState, type SegmentInfo, type Summary } from './partition-state.js';
import { ProducerStateScan } from './compact/producers.js';
import { RecordWalk } from './compact/records.js';
import { AbortedTxnSource, CleanedTransactionMetadata } from './compact/txn.js';
import { CLEANED_SUFFIX, CleanedSegmentWriter, type WrittenSegment } from './compact/writer.js';
import { encodeLogDirCheckpoint } from './intent.js';

/**
 * `compact DIR`: Kafka's log cleaner run offline on one partition (format doc 7).
 *
 * A round: the dirty range is [first dirty offset, first uncleanable offset) — the first dirty
 * offset from --first-dirty-offset, else the log-dir's cleaner-offset-checkpoint, else the log
 * start; the first uncleanable offset is the active (last) segment's base, lowered to the segment
 * holding the last stable offset (an open transaction) or the first segment younger than
 * --min-compaction-lag-ms. The offset map (MD5 of each key -> latest offset, a fixed table of
 * --offset-map-bytes) is built over it; every segment below the map's end is then cleaned, in
 * groups of at most --segment-bytes, each group into one new segment. When the map fills before
 * the dirty range ends, the round ends where the map stopped and another round follows, as the
 * broker's next cleaning would. Each round is committed on its own.
 *
 * Commit (7.7, 8.1): every group's `.cleaned` files are written and fsynced first; then all are
 * renamed to `.swap` (highest base offset first), all replaced segments to `.deleted`, all `.swap`
 * files to their final names; the `.deleted` files go last. Kafka's own loader (and `kseg
 * recover`) finishes or undoes that at any step: `.swap` files above the lowest `.cleaned` one are
 * dropped; otherwise old files inside [lowest swap base, highest swap end) are deleted. For the
 * last part to cover every replaced segment, the round keeps the last batch of the highest
 * non-empty replaced segment (as an empty batch for v2) when nothing else at or above its base
 * offset would remain — in Kafka's own runs that batch is usually kept anyway (the round's last
 * batch).
 */
export interface CompactOptions {
  dryRun?: boolean;
  force?: boolean;
  /** Cleaning time (ms since the epoch); default the current time. */
  now?: number;
  deleteRetentionMs?: number;
  offsetMapBytes?: number;
  firstDirtyOffset?: number;
  minCompactionLagMs?: number;
  producerExpirationMs?: number;
  segmentBytes?: number;
  segmentIndexBytes?: number;
  indexIntervalBytes?: number;
  /**
   * Bytes of .log read, in two phases: 'reading' (the whole partition's batch headers) and, per
   * round, 'cleaning' (the segments read and rewritten, counted as each group is done); later
   * rounds say their number ('reading (round 2)', 'cleaning (round 2)'), each a new bar.
   */
  onProgress?: OnProgress;
  /**
   * Stop at the next safe point once aborted (between groups, before a round's swap): throws
   * Interrupted saying whether the partition is unchanged or which rounds completed.
   */
  signal?: AbortSignal;
}

export const COMPACT_DEFAULTS = {
  deleteRetentionMs: 86400000,
  offsetMapBytes: DEFAULT_OFFSET_MAP_BYTES,
  minCompactionLagMs: 0,
  producerExpirationMs: 86400000,
  segmentBytes: 1073741824,
  segmentIndexBytes: 10485760,
  indexIntervalBytes: 4096,
};

export const PRODUCER_ASSUMPTION =
  'producer state is rebuilt from the batch headers of the whole log (snapshots are not read); a producer counts as active — its last batch is kept, empty if need be — when its last batch has a timestamp within --producer-expiration-ms of --now or its transaction is still open';

export interface GroupResult {
  baseOffset: number;
  file: string;
  /** The segments it replaces. */
  segments: string[];
  bytes: number;
  batches: number;
  records: number;
  nextOffset: number;
  txnIndexEntries: number;
}

export interface CompactRound {
  firstDirtyOffset: number;
  firstUncleanableOffset: number;
  /** The map's latest offset + 1: everything below it was cleaned in this round. */
  endOffset: number;
  mapFull: boolean;
  mapKeys: number;
  mapSlots: number;
  mapMaxKeys: number;
  /** Bytes of the map's memory this round used (the probed part of the table, record fates). */
  mapBytesUsed: number;
  recordsMapped: number;
  segments: SegmentCleanStats[];
  groups: GroupResult[];
  /** The batch kept so that every replaced segment is covered by a swap (null when not needed). */
  coverBatch: { file: string; lastOffset: number; bytes: number } | null;
}

export interface CompactTotals {
  recordsIn: number;
  recordsOut: number;
  recordsRemoved: number;
  supersededRemoved: number;
  tombstonesRemoved: number;
  tombstonesRetained: number;
  abortedRemoved: number;
  markersRemoved: number;
  unkeyedRemoved: number;
  horizonsSet: number;
  emptyBatchesKept: number;
  bytesIn: number;
  bytesOut: number;
}

export interface CompactResult {
  operation: 'compact';
  dryRun: boolean;
  noop: boolean;
  reason: string | null;
  now: number;
  deleteRetentionMs: number;
  offsetMapBytes: number;
  firstDirtyOffset: number;
  firstUncleanableOffset: number | null;
  lastStableOffset: number;
  activeSegment: string | null;
  activeProducers: number;
  producerAssumption: string;
  rounds: CompactRound[];
  /** Dry run only: the map filled, so more rounds would follow the one shown. */
  moreRounds: boolean;
  totals: CompactTotals;
  cleanerOffsetCheckpoint: { file: string; before: number | null; after: number } | null;
  changed: string[];
  removed: string[];
  before: Summary;
  after: Summary;
}

function positive(name: string, v: number | undefined, dflt: number, min = 0): number {
  const x = v ?? dflt;
  if (!Number.isSafeInteger(x) || x < min) throw new UsageError(`${name} must be an integer >= ${min} (got ${v})`);
  return x;
}

/** Cleaner.groupSegmentsBySize. */
export function groupSegmentsBySize(segs: SegmentInfo[], maxSize: number, maxIndexSize: number, firstUncleanableOffset: number): SegmentInfo[][] {
  const groups: SegmentInfo[][] = [];
  let i = 0;
  while (i < segs.length) {
    const first = segs[i]!;
    const group = [first];
    let logSize = first.logSize;
    let indexSize = first.indexSize ?? 0;
    let timeIndexSize = first.timeindexSize ?? 0;
    i++;
    while (i < segs.length) {
      const s = segs[i]!;
      const lastOffsetEstimate = i + 1 < segs.length ? segs[i + 1]!.baseOffset - 1 : firstUncleanableOffset - 1;
      const fits =
        logSize + s.logSize <= maxSize &&
        indexSize + (s.indexSize ?? 0) <= maxIndexSize &&
        timeIndexSize + (s.timeindexSize ?? 0) <= maxIndexSize &&
        (s.logSize === 0 || lastOffsetEstimate - first.baseOffset <= 2147483647);
      if (!fits) break;
      group.push(s);
      logSize += s.logSize;
      indexSize += s.indexSize ?? 0;
      timeIndexSize += s.timeindexSize ?? 0;
      i++;
    }
    groups.push(group);
  }
  return groups;
}

/** The first uncleanable offset (LogCleanerManager.cleanableOffsets + calculateCleanableBytes). */
function firstUncleanable(state: PartitionState, firstDirty: number, lso: number, now: number, lagMs: number): number {
  const segs = state.segments;
  const active = segs[segs.length - 1]!;
  let uncleanable = Math.min(lso, active.baseOffset);
  if (lagMs > 0) {
    const young = segs.slice(0, -1).find((s, i) => segs[i + 1]!.baseOffset > firstDirty && s.stats.maxTimestamp > now - lagMs);
    if (young) uncleanable = Math.min(uncleanable, young.baseOffset);
  }
  // Rounded down to the base offset of the segment holding it (nonActiveLogSegmentsFrom(...).head,
  // else the active segment).
  if (uncleanable >= active.baseOffset) return active.baseOffset;
  let base = segs[0]!.baseOffset;
  for (const s of segs) if (s.baseOffset <= uncleanable) base = s.baseOffset;
  return base;
}

/** LocalLog.logSegments(from, to): the segment holding `from` and every later one starting below `to`. */
function segmentsBetween(segs: SegmentInfo[], from: number, to: number): SegmentInfo[] {
  let start = 0;
  for (let i = 0; i < segs.length; i++) if (segs[i]!.baseOffset <= from) start = i;
  return segs.slice(start).filter((s) => s.baseOffset < to);
}

interface Speculation {
  map: OffsetMap;
  builder: MapBuilder;
  start: number;
  end: number;
  /** Base offset of each dirty segment -> where the next one starts (the range end for the last). */
  dirty: Map<number, number>;
  failed: boolean;
}

/**
 * The first round's map, built during the header scan (one read of the partition fewer): the
 * dirty range as compact() will find it in the usual case — from the first dirty offset (before
 * the log end check, which needs the scan) to the active segment's base (no open transaction
 * below it, no --min-compaction-lag-ms). compact() uses it only when the real range is the same;
 * any error while building makes it fall back to buildOffsetMap, which fails in its usual place.
 */
function speculate(
  dir: string,
  segs: SegmentInfo[],
  logStartOffset: number,
  tp: PartitionState['topicPartition'],
  firstDirtyOpt: number | undefined,
  offsetMapBytes: number,
  walk: RecordWalk,
): Speculation | null {
  if (segs.length < 2) return null;
  const cp = readLogDirCheckpointEntry(dir, 'cleaner-offset-checkpoint', tp);
  let start = firstDirtyOpt ?? cp?.entry?.offset ?? logStartOffset;
  if (start < logStartOffset) start = logStartOffset;
  const end = segs[segs.length - 1]!.baseOffset;
  if (start >= end) return null;
  const dirtyList = segmentsBetween(segs, start, end);
  const dirty = new Map<number, number>();
  dirtyList.forEach((s, i) => dirty.set(s.baseOffset, i + 1 < dirtyList.length ? dirtyList[i + 1]!.baseOffset : end));
  const map = new OffsetMap(offsetMapBytes);
  const builder = new MapBuilder(map, walk, start, end, new AbortedTxnSource(dir, segs, logStartOffset));
  return { map, builder, start, end, dirty, failed: false };
}

function emptyTotals(): CompactTotals {
  return {
    recordsIn: 0,
    recordsOut: 0,
    recordsRemoved: 0,
    supersededRemoved: 0,
    tombstonesRemoved: 0,
    tombstonesRetained: 0,
    abortedRemoved: 0,
    markersRemoved: 0,
    unkeyedRemoved: 0,
    horizonsSet: 0,
    emptyBatchesKept: 0,
    bytesIn: 0,
    bytesOut: 0,
  };
}

/** Compact a partition directory, holding kseg's partition lock unless it is a dry run (storage/lock.ts). */
export async function compact(dir: string, opts: CompactOptions = {}): Promise<CompactResult> {
  if (opts.dryRun) return compactPartition(dir, opts);
  return withPartitionLock(dir, 'compact', () => compactPartition(dir, opts));
}

async function compactPartition(dir: string, opts: CompactOptions): Promise<CompactResult> {
  const dryRun = opts.dryRun ?? false;
  const now = opts.now ?? Date.now();
  if (!Number.isSafeInteger(now)) throw new UsageError(`--now must be an integer (ms since the epoch), got ${opts.now}`);
  const deleteRetentionMs = positive('--delete-retention-ms', opts.deleteRetentionMs, COMPACT_DEFAULTS.deleteRetentionMs);
  const offsetMapBytes = positive('--offset-map-bytes', opts.offsetMapBytes, COMPACT_DEFAULTS.offsetMapBytes, 1);
  const lagMs = positive('--min-compaction-lag-ms', opts.minCompactionLagMs, COMPACT_DEFAULTS.minCompactionLagMs);
  const producerExpirationMs = positive('--producer-expiration-ms', opts.producerExpirationMs, COMPACT_DEFAULTS.producerExpirationMs);
  const segmentBytes = positive('--segment-bytes', opts.segmentBytes, COMPACT_DEFAULTS.segmentBytes, 14);
  const segmentIndexBytes = positive('--segment-index-bytes', opts.segmentIndexBytes, COMPACT_DEFAULTS.segmentIndexBytes, 8);
  const indexIntervalBytes = positive('--index-interval-bytes', opts.indexIntervalBytes, COMPACT_DEFAULTS.indexIntervalBytes);
  if (opts.firstDirtyOffset !== undefined) positive('--first-dirty-offset', opts.firstDirtyOffset, 0);
  OffsetMap.validate(offsetMapBytes);
  if (!dryRun) assertNotLocked(dir, opts.force ?? false);

  const producers = new ProducerStateScan();
  let map: OffsetMap | null = null;
  const walk = new RecordWalk();
  // The first round's offset map is built while the partition is read for its batch headers,
  // assuming the usual dirty range (see speculate); used only if that range turns out right.
  let spec: Speculation | null = null;
  const readProgress = opts.onProgress ? new PartitionReadProgress(opts.onProgress, 'reading') : null;
  let state = loadPartition(dir, {
    begin(listing, logStartOffset, tp) {
      readProgress?.begin(listing);
      if (lagMs > 0) return; // the range would depend on segment timestamps
      try {
        spec = speculate(dir, listing.segments as SegmentInfo[], logStartOffset, tp, opts.firstDirtyOffset, offsetMapBytes, walk);
        if (spec) map = spec.map;
      } catch {
        spec = null; // whatever failed fails again, in its place, on the normal path
      }
    },
    visit(b, seg) {
      readProgress?.batch(b.position);
      producers.visit(b);
      const sp = spec as Speculation | null;
      if (sp && !sp.failed && sp.dirty.has(seg.baseOffset)) {
        try {
          sp.builder.onBatch(b);
        } catch {
          sp.failed = true;
        }
      }
    },
    segmentDone(seg) {
      readProgress?.segmentDone(seg);
      const sp = spec as Speculation | null;
      if (!sp || sp.failed || !sp.dirty.has(seg.baseOffset)) return;
      if (seg.stats.badEntry || seg.stats.stop.reason !== 'eof') sp.failed = true;
      else sp.builder.endSegment(sp.dirty.get(seg.baseOffset)!);
    },
  });
  assertSettled(state.listing, 'compact');
  const before = state.summary;
  const segs0 = state.segments;
  const lso = producers.lastStableOffset(state.logEndOffset);
  const active = producers.activeProducers(now, producerExpirationMs);
  const cleanerCp = readLogDirCheckpointEntry(dir, 'cleaner-offset-checkpoint', state.topicPartition);
  let firstDirty = opts.firstDirtyOffset ?? cleanerCp?.entry?.offset ?? state.logStartOffset;
  if (firstDirty < state.logStartOffset || firstDirty > state.logEndOffset) firstDirty = state.logStartOffset;

  const result: CompactResult = {
    operation: 'compact',
    dryRun,
    noop: false,
    reason: null,
    now,
    deleteRetentionMs,
    offsetMapBytes,
    firstDirtyOffset: firstDirty,
    firstUncleanableOffset: null,
    lastStableOffset: lso,
    activeSegment: segs0.length ? segs0[segs0.length - 1]!.log : null,
    activeProducers: active.size,
    producerAssumption: PRODUCER_ASSUMPTION,
    rounds: [],
    moreRounds: false,
    totals: emptyTotals(),
    cleanerOffsetCheckpoint: null,
    changed: [],
    removed: [],
    before,
    after: before,
  };
  if (segs0.length < 2) {
    result.noop = true;
    result.reason = segs0.length === 0 ? 'the directory has no segments' : 'only the active segment exists; Kafka never cleans it';
    return result;
  }

  map ??= new OffsetMap(offsetMapBytes);
  const changed = new Set<string>();
  const removed = new Set<string>();
  let dryAfter: Summary | null = null;
  let finalSegments: Parameters<typeof summarize>[0] | null = null;
  // What an interrupt leaves: nothing changed before the first swap; after one, the rounds done.
  const interruptedState = (): string =>
    dryRun
      ? 'compaction dry run interrupted: nothing was changed'
      : result.rounds.length === 0
        ? 'compaction interrupted before its swap: the partition is unchanged (its .cleaned files were removed)'
        : `compaction interrupted after ${result.rounds.length} round${result.rounds.length === 1 ? '' : 's'}: the partition is consistent, cleaned below offset ${firstDirty}; run kseg compact again to clean the rest`;

  for (;;) {
    const segs = state.segments;
    const fu = firstUncleanable(state, firstDirty, lso, now, lagMs);
    result.firstUncleanableOffset ??= fu;
    if (firstDirty >= fu) {
      if (result.rounds.length === 0) {
        result.noop = true;
        result.reason = `nothing is dirty: the dirty range [${firstDirty}, ${fu}) is empty (the active segment ${segs[segs.length - 1]!.log} and anything from the last stable offset ${lso} on are never cleaned)`;
      }
      break;
    }
    const txns = new AbortedTxnSource(dir, segs, state.logStartOffset);
    const dirty = segmentsBetween(segs, firstDirty, fu);
    const sp = spec as Speculation | null;
    const built =
      result.rounds.length === 0 && sp && !sp.failed && sp.start === firstDirty && sp.end === fu && sp.dirty.size === dirty.length && dirty.every((s) => sp.dirty.has(s.baseOffset))
        ? sp.builder.result()
        : buildOffsetMap(dirty, firstDirty, fu, map, txns, walk);
    spec = null;
    const endOffset = map.latestOffset + 1;
    const toClean = segs.filter((s) => s.baseOffset < endOffset);
    const groups = groupSegmentsBySize(toClean, segmentBytes, segmentIndexBytes, fu);
    const clean = segs.filter((s) => s.baseOffset < firstDirty);
    const legacyDeleteHorizonMs = clean.length ? clean[clean.length - 1]!.mtimeMs - deleteRetentionMs : 0;
    // The highest replaced segment that is not the first of its group and holds batches: a crash
    // during the swap is finished by Kafka's loader only if some swap's end offset lies above it.
    let coverCandidate: SegmentInfo | null = null;
    for (const g of groups) for (const s of g.slice(1)) if (s.stats.batches > 0) coverCandidate = s;

    const round: CompactRound = {
      firstDirtyOffset: firstDirty,
      firstUncleanableOffset: fu,
      endOffset,
      mapFull: built.full,
      mapKeys: map.size,
      mapSlots: map.slots,
      mapMaxKeys: map.maxDesiredSize,
      mapBytesUsed: map.bytesUsed,
      recordsMapped: built.recordsMapped,
      segments: [],
      groups: [],
      coverBatch: null,
    };
    const ctx = {
      map,
      now,
      deleteRetentionMs,
      legacyDeleteHorizonMs,
      activeProducers: active,
      upperBoundOffsetOfCleaningRound: fu,
      txn: new CleanedTransactionMetadata(),
      txns,
      walk,
      progress: null as ProgressMeter | null,
      checkpoint: opts.signal ? () => safePoint(opts.signal, 'compact-segment', interruptedState) : undefined,
    };
    const writers: (CleanedSegmentWriter | null)[] = [];
    const outputs: { nextOffset: number; bytes: number; batches: number; records: number; txnEntries: number }[] = [];
    let cover: { groupIdx: number; bytes: Buffer; lastOffset: number; maxTimestamp: number; records: number } | null = null;
    const finished: (WrittenSegment | undefined)[] = [];
    const cleanProgress = opts.onProgress
      ? new ProgressMeter(
          opts.onProgress,
          groups.flat().reduce((n, s) => n + s.logSize, 0),
          result.rounds.length === 0 ? 'cleaning' : `cleaning (round ${result.rounds.length + 1})`,
        )
      : null;
    ctx.progress = cleanProgress;
    try {
      for (let gi = 0; gi < groups.length; gi++) {
        const g = groups[gi]!;
        await safePoint(opts.signal, `compact-group-${gi + 1}`, interruptedState);
        const writer = dryRun ? null : new CleanedSegmentWriter(dir, g[0]!.baseOffset, indexIntervalBytes);
        writers.push(writer);
        const sink: BatchSink = writer ?? { append() {} };
        const out = await cleanGroup(g, ctx, sink, writer, g.includes(coverCandidate!) ? coverCandidate : null);
        round.segments.push(...out.stats);
        outputs.push(out);
        if (out.cover) cover = { groupIdx: gi, ...out.cover };
        writer?.seal();
        // A group that cannot receive the cover batch is finished now (its .cleaned files written
        // and fsynced), so that its index entries are not held while the later groups are cleaned.
        if (writer && !g.includes(coverCandidate!)) finished[gi] = writer.finish(g[g.length - 1]!.mtimeMs, g[0]!.txnindex !== undefined);
      }
      // Coverage (see above): keep the candidate's last batch when no output reaches past its base.
      const maxNext = Math.max(...outputs.map((o) => o.nextOffset));
      if (coverCandidate && cover && maxNext <= coverCandidate.baseOffset) {
        const o = outputs[cover.groupIdx]!;
        writers[cover.groupIdx]?.appendLate(cover.bytes, cover.lastOffset, cover.maxTimestamp, cover.records);
        o.bytes += cover.bytes.length;
        o.batches++;
        o.records += cover.records;
        o.nextOffset = cover.lastOffset + 1;
        const st = round.segments.find((s) => s.file === coverCandidate!.log)!;
        st.batchesOut++;
        st.bytesOut += cover.bytes.length;
        st.recordsOut += cover.records;
        if (cover.records === 0) st.emptyBatchesKept++;
        round.coverBatch = { file: coverCandidate.log, lastOffset: cover.lastOffset, bytes: cover.bytes.length };
      }
      const written: WrittenSegment[] = [];
      for (let gi = 0; gi < groups.length; gi++) {
        const g = groups[gi]!;
        const w = writers[gi];
        const keepTxnFile = g[0]!.txnindex !== undefined;
        if (w) written.push(finished[gi] ?? w.finish(g[g.length - 1]!.mtimeMs, keepTxnFile));
        const o = outputs[gi]!;
        round.groups.push({
          baseOffset: g[0]!.baseOffset,
          file: segmentFileName(g[0]!.baseOffset, 'log'),
          segments: g.map((s) => s.log),
          bytes: o.bytes,
          batches: o.batches,
          records: o.records,
          nextOffset: o.nextOffset,
          txnIndexEntries: o.txnEntries,
        });
      }
      await safePoint(opts.signal, 'compact-swap', interruptedState);
      if (!dryRun) {
        const eff = commitSwap(dir, groups, written);
        // The partition now: the new segments and those above the round (what a rescan would find).
        finalSegments = [
          ...written.map((w) => ({ logSize: w.logSize, baseOffset: w.baseOffset, stats: { batches: w.batches, records: w.records, nextOffset: w.nextOffset } })),
          ...segs.filter((s) => s.baseOffset >= endOffset),
        ];
        for (const f of eff.changed) {
          changed.add(f);
          removed.delete(f);
        }
        for (const f of eff.removed) if (!changed.has(f)) removed.add(f);
      }
    } catch (e) {
      for (const w of writers) {
        if (e instanceof SimulatedCrash) w?.abandon();
        else w?.discard();
      }
      throw e;
    }
    result.rounds.push(round);
    addTotals(result.totals, round.segments);
    firstDirty = endOffset;
    if (dryRun) {
      const untouched = segs.filter((s) => s.baseOffset >= endOffset);
      const last = untouched[untouched.length - 1];
      dryAfter = {
        segments: groups.length + untouched.length,
        batches: outputs.reduce((n, o) => n + o.batches, 0) + untouched.reduce((n, s) => n + s.stats.batches, 0),
        records: outputs.reduce((n, o) => n + o.records, 0) + untouched.reduce((n, s) => n + s.stats.records, 0),
        bytes: outputs.reduce((n, o) => n + o.bytes, 0) + untouched.reduce((n, s) => n + s.logSize, 0),
        logStartOffset: before.logStartOffset,
        logEndOffset: last ? last.stats.nextOffset : outputs[outputs.length - 1]!.nextOffset,
      };
      result.moreRounds = endOffset < fu;
      break;
    }
    if (!built.full) break;
    // The next round reads the partition again: its own bar, and safe points per segment / few MiB.
    const reread = opts.onProgress ? new PartitionReadProgress(opts.onProgress, `reading (round ${result.rounds.length + 1})`) : null;
    state = await runStoppable(
      loadPartitionSteps(dir, reread ? { begin: (l) => reread.begin(l), visit: (b) => reread.batch(b.position), segmentDone: (sg) => reread.segmentDone(sg) } : undefined),
      opts.signal,
      {
        get state() {
          return interruptedState();
        },
      },
    );
  }

  if (!dryRun && result.rounds.length > 0 && cleanerCp) {
    const tp = state.topicPartition!;
    // Other partitions' entries as they are now (a kseg on another partition may have changed them).
    withLogDirLock(path.dirname(cleanerCp.file), 'compact', () => {
      const now = readLogDirCheckpointEntry(dir, 'cleaner-offset-checkpoint', tp);
      const entries = (now ?? cleanerCp).entries.filter((e) => !(e.topic === tp.topic && e.partition === tp.partition));
      entries.push({ topic: tp.topic, partition: tp.partition, offset: firstDirty });
      writeFileAtomic(path.dirname(cleanerCp.file), path.basename(cleanerCp.file), encodeLogDirCheckpoint(entries));
    });
    result.cleanerOffsetCheckpoint = { file: path.basename(cleanerCp.file), before: cleanerCp.entry?.offset ?? null, after: firstDirty };
    changed.add(path.join('..', path.basename(cleanerCp.file)));
  }
  result.changed = [...changed];
  result.removed = [...removed];
  result.after = dryRun ? (dryAfter ?? before) : finalSegments ? summarize(finalSegments) : before;
  return result;
}

function addTotals(t: CompactTotals, stats: SegmentCleanStats[]): void {
  for (const s of stats) {
    t.recordsIn += s.recordsIn;
    t.recordsOut += s.recordsOut;
    t.supersededRemoved += s.supersededRemoved;
    t.tombstonesRemoved += s.tombstonesRemoved;
    t.tombstonesRetained += s.tombstonesRetained;
    t.abortedRemoved += s.abortedRemoved;
    t.markersRemoved += s.markersRemoved;
    t.unkeyedRemoved += s.unkeyedRemoved;
    t.horizonsSet += s.horizonsSet;
    t.emptyBatchesKept += s.emptyBatchesKept;
    t.bytesIn += s.bytesIn;
    t.bytesOut += s.bytesOut;
  }
  t.recordsRemoved = t.recordsIn - t.recordsOut;
}

/**
 * LocalLog.replaceSegments for every group of the round at once: `.cleaned` -> `.swap` (highest
 * base offset first), replaced segments -> `.deleted`, `.swap` -> final names, then the `.deleted`
 * files go. Returns the final names written and the names that no longer exist.
 */
function commitSwap(dir: string, groups: SegmentInfo[][], written: WrittenSegment[]): { changed: string[]; removed: string[] } {
  const exists = (f: string) => fs.existsSync(path.join(dir, f));
  for (const w of [...written].reverse()) {
    for (const f of w.files) {
      if (!exists(f + CLEANED_SUFFIX)) throw new CorruptDataError('CLEANED_MISSING', `compact: ${f}${CLEANED_SUFFIX} disappeared before the swap`, { file: f + CLEANED_SUFFIX });
      renameDurable(dir, f + CLEANED_SUFFIX, f + '.swap');
    }
  }
  const old: string[] = [];
  for (const g of groups) for (const s of g) for (const f of [s.log, s.index, s.timeindex, s.txnindex]) if (f) old.push(f);
  for (const f of old) renameDurable(dir, f, f + '.deleted');
  const fresh: string[] = [];
  for (const w of written) {
    for (const f of w.files) {
      renameDurable(dir, f + '.swap', f);
      fresh.push(f);
    }
  }
  fsyncDir(dir);
  for (const f of old) removeDurable(dir, f + '.deleted');
  faultPoint('fsync directory after deleting replaced segments');
  fsyncDir(dir);
  const freshSet = new Set(fresh);
  return { changed: fresh, removed: old.filter((f) => !freshSet.has(f)) };
}
