import { CorruptDataError } from '../../format/errors.js';
import { TXN_INDEX_ENTRY_SIZE } from '../../format/indexes.js';
import { readInt64 } from '../../format/int64.js';
import { CLEAN_SHUTDOWN_FILE, LOG_START_OFFSET_CHECKPOINT } from '../../storage/log-dir.js';
import { ProgressMeter } from '../progress.js';
import { compareSegment } from '../rebuild-index.js';
import { scanPartitionSteps, type SegmentScan } from '../partition-scan/index.js';
import { ISSUE_CODES } from '../verify/codes.js';
import { planDelete, planWrite, viewOfPlan } from './state.js';
import type { EpochReplay, RecoverCut, RecoveryPhase } from './types.js';

/** Codes of problems in .index, .timeindex and .txnindex files: the log phase rebuilds a segment's side files when one is reported. */
export const INDEX_KINDS = new Set(ISSUE_CODES.filter((c) => c.kind === 'index' || c.kind === 'timeindex' || c.kind === 'txnindex').map((c) => c.code));

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
export const logPhase: RecoveryPhase = {
  name: 'log',
  *plan(state) {
    const view = viewOfPlan(state);
    const cb = state.opts.onProgress;
    const progress = cb
      ? new ProgressMeter(
          cb,
          view.partition.segments.reduce((n, s) => n + s.logSize, 0),
        )
      : null;
    const scan = yield* scanPartitionSteps(view, { buildIndexes: { indexIntervalBytes: state.opts.indexIntervalBytes }, recordSet: false, progress });
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
      emptiedWhy.set(
        i,
        `InvalidOffsetException while rebuilding the indexes: ${inv.message}; Kafka's recovery empties the segment (LogLoader.recoverLog truncates it to its base offset)`,
      );
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
        state.notRecovered.push({
          file: s.segment.log,
          position: s.cut.position,
          code: s.cut.code,
          offset: s.cut.offset,
          records: s.recordsFromCut,
          reason: `${why}; kept (kseg verify shows it, kseg recover --full cuts here)`,
        });
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
      if (s.overflow)
        throw new CorruptDataError('OFFSET_OVERFLOW', 'offsets more than 2^31-1 above the segment base: Kafka splits such a segment, which recover does not do', {
          file: s.segment.log,
        });
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
      state.notRecovered.push({
        file: mode.logStartOffsetSource ?? LOG_START_OFFSET_CHECKPOINT,
        position: null,
        code: 'LOG_END_BELOW_LOG_START',
        offset: lsoCp,
        records: 0,
        reason: `the log end offset ${state.logEndOffset} is below the log start offset ${lsoCp}: Kafka's startup deletes every segment of such a log (LogLoader); kseg leaves them, check the checkpoint and the segments first`,
      });
    }
    const truncate = (i: number, kind: RecoverCut['kind']): void => {
      const cs = segs[i]!;
      const c = cs.cut!;
      const where = emptiedWhy.has(i) ? `${c.code} (offset ${c.offset})` : `${c.code} at byte ${c.position}${c.offset !== null ? ` (offset ${c.offset})` : ''}`;
      const why =
        emptiedWhy.get(i) ??
        (kind === 'recovery' ? "Kafka's recovery truncates here" : `Kafka recovers this segment when it loads it (${loadReasons.get(i)}) and truncates here; later segments stay`);
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
      const flagged =
        cutAt.has(i) || [`${name}.index`, `${name}.timeindex`, `${name}.txnindex`].some((f) => [...(scan.reporter.byFile.get(f) ?? [])].some((c) => INDEX_KINDS.has(c)));
      if (!flagged && !loadReasons.has(i)) continue;
      for (const c of compareSegment(s)) {
        if (c.status === 'same') continue;
        const was = c.bytesOnDiskTooLarge !== undefined ? `a ${c.bytesOnDiskTooLarge}-byte file Kafka cannot map` : `${c.entriesOnDisk}`;
        planWrite(
          state,
          c.file,
          s.rebuilt![c.kind],
          c.status === 'missing' ? `create: Kafka rebuilds a missing ${c.kind}` : `rebuild: ${c.entriesRebuilt} entr${c.entriesRebuilt === 1 ? 'y' : 'ies'} (was ${was})`,
        );
      }
    }
    // The recovery cut comes last: its segment stays in scope until then, so an interrupted run
    // is finished by the next one.
    for (const [i, kind] of cutAt) if (kind === 'recovery') truncate(i, kind);
  },
};
