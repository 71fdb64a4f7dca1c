import path from 'node:path';
import { scanBatchRecords } from '../format/batch.js';
import { KsegError, UsageError } from '../format/errors.js';
import { parseOffsetIndex, parseTimeIndex, parseTxnIndex } from '../format/indexes.js';
import { parseLeaderEpochCheckpoint, parsePartitionMetadata, type LeaderEpochEntry } from '../format/checkpoints.js';
import { logEntries, type StopInfo } from '../storage/log-reader.js';
import { openSource, readWholeFile } from '../storage/source.js';
import { requirePartition, resolveInputs, type PartitionDir, type Segment } from '../storage/segments.js';
import { checkKraftSnapshot } from './kraft-snapshot.js';
import { kraftSnapshotFiles } from './dump.js';

/** A KRaft snapshot (`<end offset>-<epoch>.checkpoint`, `bootstrap.checkpoint`) listed under its directory. */
export interface KraftSnapshotInfo {
  file: string;
  /** From the file name; null for bootstrap.checkpoint. */
  endOffset: number | null;
  epoch: number | null;
  bytes: number;
  batches: number;
  records: number;
  lastContainedLogTimestamp: number | null;
  /** SnapshotHeader first, SnapshotFooter last, consecutive offsets, every record decodes. */
  complete: boolean;
  problems: string[];
}

/** Per-segment summary of a partition (one pass over each .log reading batch headers). */
export interface SegmentInfo {
  file: string;
  baseOffset: number;
  firstOffset: number | null;
  lastOffset: number | null;
  nextOffset: number;
  batches: number;
  records: number;
  controlRecords: number;
  bytes: number;
  validBytes: number;
  indexEntries: number | null;
  indexZeroTailEntries: number;
  timeIndexEntries: number | null;
  txnIndexEntries: number | null;
  minTimestamp: number | null;
  maxTimestamp: number | null;
  magics: number[];
  codecs: string[];
  invalidCrcBatches: number;
  stop: StopInfo;
  problem?: string;
}

export interface PartitionInfo {
  dir: string;
  logStartOffset: number | null;
  logEndOffset: number | null;
  segments: SegmentInfo[];
  records: number;
  batches: number;
  bytes: number;
  topicId: string | null;
  leaderEpochs: LeaderEpochEntry[] | null;
  snapshots: string[];
  leftovers: string[];
  orphans: string[];
  /** KRaft snapshot files (in __cluster_metadata-0, or bootstrap.checkpoint in a log dir), by end offset. */
  kraftSnapshots: KraftSnapshotInfo[];
}

/** One PartitionInfo per partition directory (or file) given: per-segment offsets, batches, records, bytes, indexes and codecs. */
export function info(paths: string[]): PartitionInfo[] {
  return resolveInputs(paths).map((input) => {
    if (input.type === 'dir') {
      requirePartition(input.partition);
      return partitionInfo(input.partition);
    }
    // A single .log file: summarise it as a one-segment partition.
    const dir = path.dirname(input.file.path);
    const seg: Segment = { baseOffset: input.file.baseOffset ?? 0, name: input.file.name, log: input.file.name, logSize: 0 };
    if (input.file.kind === 'kraft-checkpoint') return partitionInfo({ dir, segments: [], snapshots: [], orphans: [], leftovers: [], irregular: [], other: [input.file.name] });
    if (input.file.kind !== 'log') throw new UsageError(`info takes a partition directory or a .log file, not ${input.file.name}`);
    return partitionInfo({ dir, segments: [seg], snapshots: [], orphans: [], leftovers: [], irregular: [], other: [] }, true);
  });
}

function partitionInfo(part: PartitionDir, single = false): PartitionInfo {
  const segments = part.segments.map((s) => segmentInfo(part.dir, s, single));
  let topicId: string | null = null;
  let leaderEpochs: LeaderEpochEntry[] | null = null;
  try {
    if (part.partitionMetadata) topicId = parsePartitionMetadata(readWholeFile(path.join(part.dir, part.partitionMetadata)).toString('utf8'), part.partitionMetadata).topicId;
  } catch {
    topicId = null;
  }
  try {
    if (part.leaderEpochCheckpoint)
      leaderEpochs = parseLeaderEpochCheckpoint(readWholeFile(path.join(part.dir, part.leaderEpochCheckpoint)).toString('utf8'), part.leaderEpochCheckpoint);
  } catch {
    leaderEpochs = null;
  }
  const last = segments[segments.length - 1];
  return {
    dir: part.dir,
    logStartOffset: segments.length ? segments[0]!.baseOffset : null,
    logEndOffset: last ? last.nextOffset : null,
    segments,
    records: segments.reduce((n, s) => n + s.records, 0),
    batches: segments.reduce((n, s) => n + s.batches, 0),
    bytes: segments.reduce((n, s) => n + s.bytes, 0),
    topicId,
    leaderEpochs,
    snapshots: part.snapshots.map((s) => s.file),
    leftovers: part.leftovers.map((l) => l.file),
    orphans: part.orphans,
    kraftSnapshots: kraftSnapshotFiles(part.other).map((f) => kraftSnapshotInfo(part.dir, f)),
  };
}

function kraftSnapshotInfo(dir: string, file: string): KraftSnapshotInfo {
  const p = path.join(dir, file);
  const bytes = openSource(p).size;
  try {
    const s = checkKraftSnapshot(p);
    const problems = s.findings.map((f) => `${f.code}: ${f.message}`);
    return {
      file,
      endOffset: s.endOffset,
      epoch: s.epoch,
      bytes,
      batches: s.batches,
      records: s.records,
      lastContainedLogTimestamp: s.lastContainedLogTimestamp,
      complete: problems.length === 0,
      problems,
    };
  } catch (e) {
    if (!(e instanceof KsegError)) throw e;
    return { file, endOffset: null, epoch: null, bytes, batches: 0, records: 0, lastContainedLogTimestamp: null, complete: false, problems: [e.message] };
  }
}

function segmentInfo(dir: string, seg: Segment, single: boolean): SegmentInfo {
  const src = openSource(path.join(dir, seg.log), { pattern: 'sequential' });
  const si: SegmentInfo = {
    file: seg.log,
    baseOffset: seg.baseOffset,
    firstOffset: null,
    lastOffset: null,
    nextOffset: seg.baseOffset,
    batches: 0,
    records: 0,
    controlRecords: 0,
    bytes: src.size,
    validBytes: 0,
    indexEntries: null,
    indexZeroTailEntries: 0,
    timeIndexEntries: null,
    txnIndexEntries: null,
    minTimestamp: null,
    maxTimestamp: null,
    magics: [],
    codecs: [],
    invalidCrcBatches: 0,
    stop: { reason: 'eof', position: 0, trailingBytes: 0 },
  };
  try {
    const gen = logEntries(src, { file: seg.log });
    for (;;) {
      const n = gen.next();
      if (n.done) {
        si.stop = n.value;
        si.validBytes = n.value.position;
        break;
      }
      const item = n.value;
      if (item.kind === 'bad-entry') {
        si.problem ??= `${item.error.message} at byte ${item.position}`;
        continue;
      }
      const b = item.batch;
      si.batches++;
      if (!b.crcValid) si.invalidCrcBatches++;
      const count = b.recordCount;
      let first = b.baseOffset;
      if (b.magic >= 2 && count > 0 && count < b.lastOffsetDelta + 1) {
        // Compacted batch: the first record can be above baseOffset; read it.
        try {
          const s = scanBatchRecords(b);
          first = b.baseOffset + s.firstOffsetDelta;
        } catch {
          /* keep the header's view */
        }
      }
      si.records += count;
      if (b.isControl) si.controlRecords += count;
      if (count > 0) {
        if (si.firstOffset === null) si.firstOffset = first;
        si.lastOffset = b.lastOffset;
      }
      si.nextOffset = b.lastOffset + 1;
      if (b.maxTimestamp >= 0) {
        const minTs = b.magic >= 2 && b.deleteHorizonMs === null && b.baseTimestamp >= 0 ? b.baseTimestamp : b.maxTimestamp;
        si.minTimestamp = si.minTimestamp === null ? minTs : Math.min(si.minTimestamp, minTs);
        si.maxTimestamp = si.maxTimestamp === null ? b.maxTimestamp : Math.max(si.maxTimestamp, b.maxTimestamp);
      }
      if (!si.magics.includes(b.magic)) si.magics.push(b.magic);
      if (!si.codecs.includes(b.compression)) si.codecs.push(b.compression);
    }
  } catch (e) {
    if (!(e instanceof KsegError)) throw e;
    si.problem = `${e.message}${e.position !== undefined ? ` at byte ${e.position}` : ''}`;
  } finally {
    src.close();
  }
  if (!single) {
    const base = seg.baseOffset;
    const side = (f: string | undefined) => (f ? readWholeFile(path.join(dir, f)) : null);
    try {
      const idx = side(seg.index);
      if (idx) {
        const p = parseOffsetIndex(idx, base);
        si.indexEntries =
          p.entries.length === 1 && idx.length > 8 && p.zeroTailEntries > 0 && p.entries[0]!.relativeOffset === 0 && p.entries[0]!.position === 0 ? 0 : p.entries.length;
        si.indexZeroTailEntries = p.zeroTailEntries + (si.indexEntries === 0 && p.entries.length === 1 ? 1 : 0);
      }
      const tidx = side(seg.timeindex);
      if (tidx) si.timeIndexEntries = parseTimeIndex(tidx, base).entries.filter((e) => e.timestamp !== 0 || e.relativeOffset !== 0).length;
      const txn = side(seg.txnindex);
      si.txnIndexEntries = txn ? parseTxnIndex(txn, seg.txnindex).entries.length : seg.txnindex ? 0 : null;
    } catch (e) {
      if (!(e instanceof KsegError)) throw e;
      si.problem ??= e.message;
    }
  }
  return si;
}
