import { ProgressMeter, type OnProgress } from './progress.js';
import path from 'node:path';
import { decodeBatch, frameEntry, HEADER_SIZE_UP_TO_MAGIC, type Batch } from '../format/batch.js';
import { CorruptDataError, ioError, UsageError } from '../format/errors.js';
import { checkEntryAt, resyncFrom } from '../storage/log-reader.js';
import { openSource, readWholeFile, type ByteSource } from '../storage/source.js';
import { segmentFileName, type Segment } from '../storage/segments.js';
import { writeFreshPartitionSteps, assertFreshOutDir, keptEntry, type KeptEntry, type OutSegment } from './fresh-partition.js';
import { DEFAULT_INDEX_INTERVAL_BYTES, resolveSegmentTarget } from './rebuild-index.js';
import { runToEnd, SCAN_STEP, type Steps, type StopState } from './interrupt.js';

/**
 * kseg salvage: copy every valid entry of a damaged partition into a fresh partition. Where Kafka's
 * recovery (LogSegment.recover) truncates at the first entry that fails its size or CRC check and
 * loses everything after it, salvage scans forward from the damage for the next position where an
 * entry validates (framing, magic, an offset inside the segment's range, CRC) and carries on there.
 * Entries are copied byte for byte, offsets kept (gaps allowed, as after compaction); an entry whose
 * offsets do not increase is reported and dropped (LogValidator/LogSegment require monotonic offsets).
 */
const INT32_MAX = 2147483647;

export interface DamagedRange {
  /** Byte range [position, endPosition) of the input .log file that holds no valid entry. */
  position: number;
  endPosition: number;
  bytes: number;
  /** Why the entry at `position` failed (verify's codes: CRC_MISMATCH, SIZE_TOO_SMALL, PARTIAL_TAIL, ZERO_TAIL, …). */
  code: string;
  message: string;
  /** The range is all zero bytes (preallocated or zero-filled). */
  zeroFilled: boolean;
  /** Entries framed in the range when their length fields chain exactly to its end; null when the framing is broken. */
  batchesLost: number | null;
  /** Records of those entries, from their headers (null when unknown). */
  recordsLost: number | null;
  /**
   * Offsets the range can have held: from the last kept offset + 1 (at least the segment's base
   * offset) to the next kept entry's baseOffset - 1 (`to` null: nothing valid follows, the end is
   * unknown). null for a zero-filled range (it held no data). An upper bound: compaction gaps count too.
   */
  offsetsLost: { from: number; to: number | null } | null;
}

export interface DroppedBatch {
  position: number;
  size: number;
  baseOffset: number;
  lastOffset: number;
  records: number;
  code: 'OFFSET_NOT_INCREASING' | 'OFFSET_OVERFLOW';
  message: string;
}

export interface SalvageSegment {
  file: string;
  baseOffset: number;
  size: number;
  /** Output .log file of this segment (same base offset), or null when nothing of it was kept. */
  output: string | null;
  batches: number;
  records: number;
  bytes: number;
  bytesLost: number;
  damaged: DamagedRange[];
  dropped: DroppedBatch[];
}

export interface SalvageTotals {
  segments: number;
  batches: number;
  records: number;
  bytes: number;
}

export interface SalvageResult {
  input: string;
  output: string;
  segments: SalvageSegment[];
  kept: SalvageTotals;
  lost: { bytes: number; damagedRanges: number; droppedBatches: number; batches: number | null; records: number | null };
  /** True when every byte of every segment was kept. */
  complete: boolean;
  logStartOffset: number;
  logEndOffset: number;
  files: string[];
  indexIntervalBytes: number;
  dryRun: boolean;
}

export interface SalvageOptions {
  indexIntervalBytes?: number;
  /** Scan and report; write nothing. */
  dryRun?: boolean;
  /** Bytes of the input .log files scanned (per kept batch and per segment). */
  onProgress?: OnProgress;
}

/** Best-effort account of a damaged range: walk length fields from its start; if they chain exactly to its end, count entries and records. */
function accountRange(src: ByteSource, from: number, to: number, file: string): { batches: number | null; records: number | null } {
  let pos = from;
  let batches = 0;
  let records: number | null = 0;
  while (pos < to) {
    if (to - pos < HEADER_SIZE_UP_TO_MAGIC) return { batches: null, records: null };
    const f = frameEntry(src.read(pos, HEADER_SIZE_UP_TO_MAGIC), 0, pos, to);
    if (f.kind !== 'entry') return { batches: null, records: null };
    try {
      const b = decodeBatch(src.read(pos, f.size), 0, f.size, pos, file, false);
      if (records !== null) records = b.recordCount >= 0 ? records + b.recordCount : null;
    } catch {
      records = null;
    }
    batches++;
    pos += f.size;
  }
  return pos === to ? { batches, records } : { batches: null, records: null };
}

function isZeroRange(src: ByteSource, from: number, to: number): boolean {
  const CH = 1 << 20;
  for (let p = from; p < to; p += CH) {
    const b = src.read(p, Math.min(CH, to - p));
    for (let i = 0; i < b.length; i++) if (b[i] !== 0) return false;
  }
  return true;
}

function* salvageSegment(seg: Segment, src: ByteSource, state: { lastOffset: number; progress: ProgressMeter | null }): Steps<{ report: SalvageSegment; kept: KeptEntry[] }> {
  const w = salvageWalk(seg, src, state);
  // The walk itself is a plain function (the hot loop stays out of the generator).
  for (let pos = 0, until = SCAN_STEP; (pos = w.run(pos, until)) >= 0; until += SCAN_STEP) yield 'scan';
  return { report: w.report, kept: w.kept };
}

/** One segment's walk; `run(pos, until)` walks from `pos` until an entry starts at or beyond `until` (returns its position) or the segment ends (-1). */
function salvageWalk(
  seg: Segment,
  src: ByteSource,
  state: { lastOffset: number; progress: ProgressMeter | null },
): { report: SalvageSegment; kept: KeptEntry[]; run(pos: number, until: number): number } {
  const file = seg.log;
  const bounds = { minOffset: seg.baseOffset, maxOffset: seg.baseOffset + INT32_MAX, file };
  const report: SalvageSegment = { file, baseOffset: seg.baseOffset, size: src.size, output: null, batches: 0, records: 0, bytes: 0, bytesLost: 0, damaged: [], dropped: [] };
  const kept: KeptEntry[] = [];
  const openRanges: DamagedRange[] = [];
  const keep = (b: Batch): void => {
    state.progress?.at(b.position);
    if (b.baseOffset <= state.lastOffset) {
      report.dropped.push({
        position: b.position,
        size: b.size,
        baseOffset: b.baseOffset,
        lastOffset: b.lastOffset,
        records: b.recordCount,
        code: 'OFFSET_NOT_INCREASING',
        message: `offsets ${b.baseOffset}..${b.lastOffset} do not follow the last kept offset ${state.lastOffset}`,
      });
      report.bytesLost += b.size;
      return;
    }
    if (b.lastOffset - seg.baseOffset > INT32_MAX) {
      report.dropped.push({
        position: b.position,
        size: b.size,
        baseOffset: b.baseOffset,
        lastOffset: b.lastOffset,
        records: b.recordCount,
        code: 'OFFSET_OVERFLOW',
        message: `last offset ${b.lastOffset} is more than 2^31-1 above the segment base ${seg.baseOffset}`,
      });
      report.bytesLost += b.size;
      return;
    }
    for (const r of openRanges.splice(0)) {
      if (!r.offsetsLost) continue;
      r.offsetsLost.to = b.baseOffset - 1;
      // Kept neighbours with consecutive offsets: the damaged bytes held no record of this log.
      if (r.offsetsLost.to < r.offsetsLost.from && r.batchesLost === null) {
        r.batchesLost = 0;
        r.recordsLost = 0;
      }
    }
    kept.push(keptEntry(b));
    report.batches++;
    report.records += b.recordCount;
    report.bytes += b.size;
    state.lastOffset = b.lastOffset;
  };
  const run = (start: number, until: number): number => {
    let pos = start;
    while (pos < src.size) {
      if (pos >= until) return pos;
      const r = checkEntryAt(src, pos, bounds);
      if (r.ok) {
        keep(r.batch);
        pos += r.batch.size;
        continue;
      }
      const next = resyncFrom(src, pos + 1, bounds);
      const end = next ? next.position : src.size;
      const zeroFilled = isZeroRange(src, pos, end);
      const acc = zeroFilled ? { batches: 0, records: 0 } : accountRange(src, pos, end, file);
      const range: DamagedRange = {
        position: pos,
        endPosition: end,
        bytes: end - pos,
        code: zeroFilled ? 'ZERO_TAIL' : r.code,
        message: zeroFilled ? `${end - pos} zero bytes` : r.message,
        zeroFilled,
        batchesLost: acc.batches,
        recordsLost: acc.records,
        offsetsLost: zeroFilled ? null : { from: Math.max(state.lastOffset + 1, seg.baseOffset), to: null },
      };
      if (range.offsetsLost) openRanges.push(range);
      report.damaged.push(range);
      report.bytesLost += range.bytes;
      if (!next) return -1;
      pos = next.position;
    }
    return -1;
  };
  return { report, kept, run };
}

/** Salvage the partition directory (or the one segment named by a .log file) `input` into `out`. */
export function salvage(input: string, out: string, opts: SalvageOptions = {}): SalvageResult {
  return runToEnd(salvageSteps(input, out, opts));
}

/**
 * salvage as steps (ops/interrupt.ts), for a caller that stops it on Ctrl-C: safe points before
 * each input segment ('salvage-segment-N') and every few MiB of its walk, then those of
 * writeFreshPartitionSteps (the output is built in a temporary directory renamed at the end).
 * Stopped anywhere, the input is unchanged and the output directory was not created.
 */
export function* salvageSteps(input: string, out: string, opts: SalvageOptions = {}, at: StopState = { state: '' }): Steps<SalvageResult> {
  at.state = opts.dryRun
    ? 'salvage dry run stopped: nothing was changed'
    : `salvage stopped before its output was complete: ${out} was not created (its temporary directory was removed); the input is unchanged`;
  const indexIntervalBytes = opts.indexIntervalBytes ?? DEFAULT_INDEX_INTERVAL_BYTES;
  if (path.resolve(out) === path.resolve(input) || path.resolve(out).startsWith(path.resolve(input) + path.sep))
    throw new UsageError(`the output ${out} must not be the input or inside it`);
  const { dir, partition, target } = resolveSegmentTarget(input);
  const segs = partition.segments.filter((s) => target === null || s.baseOffset === target);
  if (segs.length === 0) throw new CorruptDataError('NO_SEGMENTS', `${dir} holds no .log segment to salvage`, { file: dir });
  if (!opts.dryRun) assertFreshOutDir(out);
  const state = {
    lastOffset: -1,
    progress: opts.onProgress
      ? new ProgressMeter(
          opts.onProgress,
          segs.reduce((n, s) => n + s.logSize, 0),
        )
      : null,
  };
  const reports: SalvageSegment[] = [];
  const outSegs: OutSegment[] = [];
  const sources: ByteSource[] = [];
  try {
    for (const [i, seg] of segs.entries()) {
      yield `salvage-segment-${i + 1}`;
      const src = openSource(path.join(dir, seg.log), { pattern: 'sequential' });
      sources.push(src);
      const lastBefore = state.lastOffset;
      const { report, kept } = yield* salvageSegment(seg, src, state);
      state.progress?.fileDone(seg.logSize);
      reports.push(report);
      if (kept.length > 0) {
        // Input segments that overlap (SEGMENT_OVERLAP): name the output segment by its first kept offset so it starts above the previous one.
        const baseOffset = seg.baseOffset <= lastBefore ? kept[0]!.baseOffset : seg.baseOffset;
        outSegs.push({ baseOffset, batches: kept, src });
        report.output = segmentFileName(baseOffset, 'log');
      }
    }
    // A last segment that was empty on input (a freshly rolled active segment) keeps the log end offset.
    const lastIn = segs[segs.length - 1]!;
    const lastReport = reports[reports.length - 1]!;
    if (lastReport.size === 0 && lastIn.baseOffset > state.lastOffset) {
      outSegs.push({ baseOffset: lastIn.baseOffset, batches: [], src: null });
      lastReport.output = segmentFileName(lastIn.baseOffset, 'log');
    }
    if (outSegs.length === 0) {
      outSegs.push({ baseOffset: segs[0]!.baseOffset, batches: [], src: null });
      reports[0]!.output = segmentFileName(segs[0]!.baseOffset, 'log');
    }
    let files: string[] = [];
    let logStartOffset = outSegs[0]!.baseOffset;
    const lastOut = outSegs[outSegs.length - 1]!;
    let logEndOffset = lastOut.batches.length ? lastOut.batches[lastOut.batches.length - 1]!.lastOffset + 1 : lastOut.baseOffset;
    if (!opts.dryRun) {
      let partitionMetadata: Buffer | undefined;
      if (partition.partitionMetadata) {
        try {
          partitionMetadata = readWholeFile(path.join(dir, partition.partitionMetadata));
        } catch (e) {
          throw ioError(e, path.join(dir, partition.partitionMetadata));
        }
      }
      const w = yield* writeFreshPartitionSteps(out, outSegs, { partitionMetadata, indexIntervalBytes });
      files = w.files;
      logStartOffset = w.logStartOffset;
      logEndOffset = w.logEndOffset;
    }
    const kept: SalvageTotals = { segments: outSegs.length, batches: 0, records: 0, bytes: 0 };
    let bytesLost = 0;
    let damagedRanges = 0;
    let droppedBatches = 0;
    let batchesLost: number | null = 0;
    let recordsLost: number | null = 0;
    for (const r of reports) {
      kept.batches += r.batches;
      kept.records += r.records;
      kept.bytes += r.bytes;
      bytesLost += r.bytesLost;
      damagedRanges += r.damaged.length;
      droppedBatches += r.dropped.length;
      for (const d of r.damaged) {
        batchesLost = batchesLost === null || d.batchesLost === null ? null : batchesLost + d.batchesLost;
        recordsLost = recordsLost === null || d.recordsLost === null ? null : recordsLost + d.recordsLost;
      }
      for (const d of r.dropped) {
        if (batchesLost !== null) batchesLost++;
        if (recordsLost !== null) recordsLost += d.records;
      }
    }
    return {
      input: dir,
      output: out,
      segments: reports,
      kept,
      lost: { bytes: bytesLost, damagedRanges, droppedBatches, batches: batchesLost, records: recordsLost },
      complete: bytesLost === 0,
      logStartOffset,
      logEndOffset,
      files,
      indexIntervalBytes,
      dryRun: !!opts.dryRun,
    };
  } finally {
    for (const s of sources) s.close();
  }
}
