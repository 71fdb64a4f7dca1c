import path from 'node:path';
import { parseLeaderEpochCheckpoint, type LeaderEpochEntry } from '../format/checkpoints.js';
import { batchRecords, type Batch, type KafkaRecord } from '../format/batch.js';
import { KsegError, UsageError } from '../format/errors.js';
import { parseOffsetIndex, type OffsetIndexEntry } from '../format/indexes.js';
import { logEntries } from '../storage/log-reader.js';
import { openSource, readTextFile, readWholeFile, type ByteSource } from '../storage/source.js';
import { readDirEntries, scanPartitionDir, type PartitionDir, type Segment } from '../storage/segments.js';
import { floorIndex } from './floor.js';
import { logStartOffsetOf, type LogStartSource } from './lookup.js';
import { parsePartitionDirName } from './scan.js';

/**
 * `kseg diff A B`: two replicas of one partition (leader and follower, before and after a repair).
 * Both logs are walked batch header by batch header, aligned by offset; headers (offsets, length,
 * stored CRC, leader epoch, attributes, producer fields) are compared without computing CRCs or
 * decoding records, and only batches whose headers disagree are decoded to name the records that
 * differ. Offset indexes whose bytes differ are judged by lookups: a difference matters when a
 * lookup would land on another batch than the log says (UnifiedLog.read / LogSegment.translateOffset),
 * and is layout only when every lookup lands right in both (per-append vs per-batch entries).
 */
export interface DiffOptions {
  /** List at most this many differing batches and index differences (all are counted). */
  maxDiffs?: number;
  /** Record offsets listed per differing batch pair (all are counted). */
  maxRecords?: number;
  /** Also compare the bytes of batches whose headers agree (reads both logs fully). */
  deep?: boolean;
}

export interface ReplicaInfo {
  dir: string;
  logStartOffset: number | null;
  logStartOffsetSource: LogStartSource | null;
  /** Offset after the last readable batch (null: no batches). */
  logEndOffset: number | null;
  segments: number;
  batches: number;
  bytes: number;
  /** The read stopped at corrupt data here (the rest of that .log is not compared). */
  stoppedAt?: { file: string; position: number; message: string };
}

/** The compared fields of a batch header. */
export interface BatchHeader {
  file: string;
  position: number;
  baseOffset: number;
  lastOffset: number;
  size: number;
  magic: number;
  crc: number;
  partitionLeaderEpoch: number;
  attributes: number;
  maxTimestamp: number;
  producerId: number;
  producerEpoch: number;
  baseSequence: number;
  recordCount: number;
}

export type BatchDiffKind =
  /** Same offsets, some header field differs. */
  | 'differs'
  /** Overlapping batches with different offset ranges. */
  | 'boundaries'
  | 'only-a'
  | 'only-b';

export interface RecordDiff {
  /** Offsets present in both batches whose record differs (key, value, headers, timestamp, attributes). */
  differing: number;
  onlyA: number;
  onlyB: number;
  /** The first few offsets of each kind. */
  differingOffsets: number[];
  onlyAOffsets: number[];
  onlyBOffsets: number[];
  /** A batch's records could not be decoded (the message says why). */
  error?: string;
}

export interface BatchDiff {
  kind: BatchDiffKind;
  /** Offsets covered by the two batches together. */
  baseOffset: number;
  lastOffset: number;
  /** Header fields that differ (kind 'differs'). */
  fields: string[];
  a: BatchHeader | null;
  b: BatchHeader | null;
  records?: RecordDiff;
}

export interface IndexLanding {
  /** Offset range of the batch a lookup ends on, or null when it ends on none. */
  baseOffset: number;
  lastOffset: number;
  position: number;
}

export interface IndexDiff {
  /** The replica whose index answers wrong. */
  replica: 'a' | 'b';
  /** Its .index file. */
  segment: string;
  /** The looked-up offset (an entry of either replica's index). */
  offset: number;
  /** Where its log says the offset is: the first batch with lastOffset >= offset. */
  expected: IndexLanding | null;
  /** Where a lookup through its .index lands. */
  lands: IndexLanding | null;
}

export interface DiffResult {
  same: boolean;
  a: ReplicaInfo;
  b: ReplicaInfo;
  /** The smallest offset at which the two logs differ (a batch, or one log ending or starting), null when they agree. */
  firstDivergingOffset: number | null;
  batchesCompared: number;
  batchesDiffering: number;
  /** Up to maxDiffs of them, in offset order. */
  batches: BatchDiff[];
  /** Offset ranges [from, to] (inclusive) whose batches exist in one replica only. */
  onlyInA: [number, number][];
  onlyInB: [number, number][];
  /** Records found only in one replica (in only-a/only-b batches and inside differing batch pairs). */
  recordsOnlyInA: number;
  recordsOnlyInB: number;
  /**
   * leader-epoch-checkpoint of each (null: no file; `error` when it cannot be parsed). Replicas of
   * the same log answer OffsetsForLeaderEpoch the same only when these agree.
   */
  leaderEpochs: { same: boolean; a: LeaderEpochEntry[] | null; b: LeaderEpochEntry[] | null; errorA?: string; errorB?: string };
  indexes: {
    /** Segments (by name) present in both whose .index entries are identical. */
    identical: number;
    /** "A:<file>" / "B:<file>": indexes that differ from the other replica's but answer every lookup right. */
    layoutOnly: string[];
    /** Lookups that land elsewhere (up to maxDiffs; all counted in `mattering`). */
    mattering: number;
    differences: IndexDiff[];
    /** Segments present in one replica only (by name). */
    onlyInA: string[];
    onlyInB: string[];
  };
}

interface Item {
  batch: Batch;
  seg: Segment;
}

function header(b: Batch): BatchHeader {
  return {
    file: b.file ?? '',
    position: b.position,
    baseOffset: b.baseOffset,
    lastOffset: b.lastOffset,
    size: b.size,
    magic: b.magic,
    crc: b.crc,
    partitionLeaderEpoch: b.partitionLeaderEpoch,
    attributes: b.attributes,
    maxTimestamp: b.maxTimestamp,
    producerId: b.producerId,
    producerEpoch: b.producerEpoch,
    baseSequence: b.baseSequence,
    recordCount: b.recordCount,
  };
}

const COMPARED: (keyof BatchHeader)[] = [
  'size',
  'magic',
  'crc',
  'partitionLeaderEpoch',
  'attributes',
  'maxTimestamp',
  'producerId',
  'producerEpoch',
  'baseSequence',
  'recordCount',
];

/** Every batch of a partition in order, without CRC checks; corrupt data ends that .log (noted in info). */
function* batchesOf(part: PartitionDir, info: ReplicaInfo, deep: boolean): Generator<Item> {
  for (const seg of part.segments) {
    const p = path.join(part.dir, seg.log);
    let src: ByteSource;
    try {
      // Mapped with 'random' advice, only the pages holding batch headers are read from disk (no
      // read-ahead through the bodies); --deep reads every byte, in sequence.
      src = openSource(p, { pattern: deep ? 'sequential' : 'random' });
    } catch (e) {
      if (!(e instanceof KsegError)) throw e;
      info.stoppedAt ??= { file: seg.log, position: 0, message: e.message };
      continue;
    }
    try {
      info.bytes += src.size;
      const gen = logEntries(src, { file: seg.log, checkCrc: false });
      for (;;) {
        const n = gen.next();
        if (n.done) {
          const stop = n.value;
          if (stop.reason === 'corrupt-size' && !stop.zeroTail)
            info.stoppedAt ??= { file: seg.log, position: stop.position, message: `record size ${stop.sizeField} is below the minimum of 14` };
          break;
        }
        if (n.value.kind === 'bad-entry') {
          info.stoppedAt ??= { file: seg.log, position: n.value.position, message: n.value.error.message };
          continue;
        }
        info.batches++;
        info.logEndOffset = n.value.batch.lastOffset + 1;
        yield { batch: n.value.batch, seg };
      }
    } finally {
      src.close();
    }
  }
}

function sameRecord(x: KafkaRecord, y: KafkaRecord): boolean {
  if (x.timestamp !== y.timestamp || x.attributes !== y.attributes) return false;
  if (!bufEq(x.key, y.key) || !bufEq(x.value, y.value)) return false;
  if (x.headers.length !== y.headers.length) return false;
  for (let i = 0; i < x.headers.length; i++) {
    if (!x.headers[i]!.key.equals(y.headers[i]!.key) || !bufEq(x.headers[i]!.value, y.headers[i]!.value)) return false;
  }
  return true;
}

function bufEq(x: Buffer | null, y: Buffer | null): boolean {
  return x === null || y === null ? x === y : x.equals(y);
}

/** Records of batches that overlap, compared offset by offset. */
function compareRecords(as: Batch[], bs: Batch[], max: number): RecordDiff {
  const d: RecordDiff = { differing: 0, onlyA: 0, onlyB: 0, differingOffsets: [], onlyAOffsets: [], onlyBOffsets: [] };
  const ra = new Map<number, KafkaRecord>();
  const rb = new Map<number, KafkaRecord>();
  try {
    for (const b of as) for (const r of batchRecords(b)) ra.set(r.offset, r);
    for (const b of bs) for (const r of batchRecords(b)) rb.set(r.offset, r);
  } catch (e) {
    if (!(e instanceof KsegError)) throw e;
    d.error = `${e.message}${e.file ? ` (${e.file}${e.position !== undefined ? ` at byte ${e.position}` : ''})` : ''}`;
    return d;
  }
  for (const [o, r] of ra) {
    const s = rb.get(o);
    if (!s) {
      d.onlyA++;
      if (d.onlyAOffsets.length < max) d.onlyAOffsets.push(o);
    } else if (!sameRecord(r, s)) {
      d.differing++;
      if (d.differingOffsets.length < max) d.differingOffsets.push(o);
    }
  }
  for (const o of rb.keys()) {
    if (!ra.has(o)) {
      d.onlyB++;
      if (d.onlyBOffsets.length < max) d.onlyBOffsets.push(o);
    }
  }
  d.differingOffsets.sort((x, y) => x - y);
  d.onlyAOffsets.sort((x, y) => x - y);
  d.onlyBOffsets.sort((x, y) => x - y);
  return d;
}

function recordCountOf(b: Batch): number {
  return b.magic >= 2 ? b.recordCount : b.lastOffset - b.baseOffset + 1;
}

function addRange(ranges: [number, number][], from: number, to: number): void {
  const last = ranges[ranges.length - 1];
  if (last && last[1] + 1 >= from) last[1] = Math.max(last[1], to);
  else ranges.push([from, to]);
}

export function diff(dirA: string, dirB: string, opts: DiffOptions = {}): DiffResult {
  const maxDiffs = opts.maxDiffs ?? 100;
  const maxRecords = opts.maxRecords ?? 20;
  if (path.resolve(dirA) === path.resolve(dirB)) throw new UsageError(`${dirA} and ${dirB} are the same directory`);
  const partA = scanPartitionDir(dirA);
  const partB = scanPartitionDir(dirB);
  for (const part of [partA, partB]) {
    if (part.segments.length > 0) continue;
    const sub = readDirEntries(part.dir).find((e) => e.type === 'dir' && parsePartitionDirName(e.name));
    if (sub)
      throw new UsageError(`${part.dir} holds partition directories (${sub.name}, ...): kseg diff compares two partition directories, e.g. ${path.join(part.dir, sub.name)}`);
  }
  const replica = (part: PartitionDir): ReplicaInfo => {
    const ls = part.segments.length > 0 ? logStartOffsetOf(part.dir, part.segments[0]!.baseOffset) : null;
    return {
      dir: part.dir,
      logStartOffset: ls?.logStartOffset ?? null,
      logStartOffsetSource: ls?.source ?? null,
      logEndOffset: null,
      segments: part.segments.length,
      batches: 0,
      bytes: 0,
    };
  };
  const a = replica(partA);
  const b = replica(partB);
  const res: DiffResult = {
    same: true,
    a,
    b,
    firstDivergingOffset: null,
    batchesCompared: 0,
    batchesDiffering: 0,
    batches: [],
    onlyInA: [],
    onlyInB: [],
    recordsOnlyInA: 0,
    recordsOnlyInB: 0,
    leaderEpochs: { same: true, a: null, b: null },
    indexes: { identical: 0, layoutOnly: [], mattering: 0, differences: [], onlyInA: [], onlyInB: [] },
  };
  const ea = readEpochs(dirA);
  const eb = readEpochs(dirB);
  res.leaderEpochs = { same: JSON.stringify(ea.entries) === JSON.stringify(eb.entries) && ea.error === eb.error, a: ea.entries, b: eb.entries };
  if (ea.error) res.leaderEpochs.errorA = ea.error;
  if (eb.error) res.leaderEpochs.errorB = eb.error;
  if (!res.leaderEpochs.same) res.same = false;
  const diverge = (o: number): void => {
    if (res.firstDivergingOffset === null || o < res.firstDivergingOffset) res.firstDivergingOffset = o;
  };
  const report = (d: BatchDiff): void => {
    res.batchesDiffering++;
    if (res.batches.length < maxDiffs) res.batches.push(d);
  };
  const ga = batchesOf(partA, a, opts.deep === true);
  const gb = batchesOf(partB, b, opts.deep === true);
  const nextOf = (g: Generator<Item>): Item | null => {
    const n = g.next();
    return n.done ? null : n.value;
  };
  let x = nextOf(ga);
  let y = nextOf(gb);
  while (x || y) {
    if (x && (!y || x.batch.lastOffset < y.batch.baseOffset)) {
      // Only in A
      const bx = x.batch;
      addRange(res.onlyInA, bx.baseOffset, bx.lastOffset);
      res.recordsOnlyInA += recordCountOf(bx);
      report({ kind: 'only-a', baseOffset: bx.baseOffset, lastOffset: bx.lastOffset, fields: [], a: header(bx), b: null });
      diverge(bx.baseOffset);
      x = nextOf(ga);
      continue;
    }
    if (y && (!x || y.batch.lastOffset < x.batch.baseOffset)) {
      const by = y.batch;
      addRange(res.onlyInB, by.baseOffset, by.lastOffset);
      res.recordsOnlyInB += recordCountOf(by);
      report({ kind: 'only-b', baseOffset: by.baseOffset, lastOffset: by.lastOffset, fields: [], a: null, b: header(by) });
      diverge(by.baseOffset);
      y = nextOf(gb);
      continue;
    }
    // Overlapping batches.
    const bx = x!.batch;
    const by = y!.batch;
    res.batchesCompared++;
    if (bx.baseOffset === by.baseOffset && bx.lastOffset === by.lastOffset) {
      const ha = header(bx);
      const hb = header(by);
      const fields = COMPARED.filter((f) => ha[f] !== hb[f]);
      if (fields.length > 0) {
        const records = compareRecords([bx], [by], maxRecords);
        res.recordsOnlyInA += records.onlyA;
        res.recordsOnlyInB += records.onlyB;
        report({ kind: 'differs', baseOffset: bx.baseOffset, lastOffset: bx.lastOffset, fields, a: ha, b: hb, records });
        diverge(bx.baseOffset);
      } else if (opts.deep && !bx.bytes.subarray(bx.start, bx.start + bx.size).equals(by.bytes.subarray(by.start, by.start + by.size))) {
        // Same header and stored CRC, other bytes: one copy is damaged (verify says which).
        const records = compareRecords([bx], [by], maxRecords);
        res.recordsOnlyInA += records.onlyA;
        res.recordsOnlyInB += records.onlyB;
        report({ kind: 'differs', baseOffset: bx.baseOffset, lastOffset: bx.lastOffset, fields: ['bytes'], a: ha, b: hb, records });
        diverge(bx.baseOffset);
      }
      x = nextOf(ga);
      y = nextOf(gb);
      continue;
    }
    // Different boundaries: gather the run of overlapping batches on both sides until they end together.
    const as: Batch[] = [bx];
    const bs: Batch[] = [by];
    x = nextOf(ga);
    y = nextOf(gb);
    let endA = bx.lastOffset;
    let endB = by.lastOffset;
    while (endA !== endB) {
      if (endA < endB && x && x.batch.baseOffset <= endB) {
        as.push(x.batch);
        endA = x.batch.lastOffset;
        x = nextOf(ga);
      } else if (endB < endA && y && y.batch.baseOffset <= endA) {
        bs.push(y.batch);
        endB = y.batch.lastOffset;
        y = nextOf(gb);
      } else break;
    }
    const base = Math.min(bx.baseOffset, by.baseOffset);
    const last = Math.max(endA, endB);
    const records = compareRecords(as, bs, maxRecords);
    res.recordsOnlyInA += records.onlyA;
    res.recordsOnlyInB += records.onlyB;
    report({ kind: 'boundaries', baseOffset: base, lastOffset: last, fields: ['baseOffset/lastOffset'], a: header(bx), b: header(by), records });
    // The first record that differs when the records say so; else (same records, other batching) the run's start.
    const firsts = [records.differingOffsets[0], records.onlyAOffsets[0], records.onlyBOffsets[0]].filter((o): o is number => o !== undefined);
    diverge(firsts.length > 0 && !records.error ? Math.min(...firsts) : base);
  }
  // An empty last segment (rolled, or truncated to its base) puts the log end at its base offset.
  for (const [info, part] of [
    [a, partA],
    [b, partB],
  ] as const) {
    const lastBase = part.segments[part.segments.length - 1]?.baseOffset;
    if (lastBase !== undefined && (info.logEndOffset === null || info.logEndOffset < lastBase)) info.logEndOffset = lastBase;
  }
  if (a.logStartOffset !== b.logStartOffset) res.same = false;
  if (a.logEndOffset !== b.logEndOffset) res.same = false;
  if (res.batchesDiffering > 0) res.same = false;
  compareIndexes(partA, partB, res, maxDiffs);
  if (res.indexes.mattering > 0) res.same = false;
  if (a.stoppedAt || b.stoppedAt) res.same = false;
  return res;
}

interface SegBatches {
  position: number[];
  baseOffset: number[];
  lastOffset: number[];
}

function segmentBatches(dir: string, seg: Segment): SegBatches {
  const src = openSource(path.join(dir, seg.log), { pattern: 'sequential' });
  const r: SegBatches = { position: [], baseOffset: [], lastOffset: [] };
  try {
    const gen = logEntries(src, { file: seg.log, checkCrc: false });
    for (;;) {
      const n = gen.next();
      if (n.done) break;
      if (n.value.kind !== 'batch') break;
      r.position.push(n.value.batch.position);
      r.baseOffset.push(n.value.batch.baseOffset);
      r.lastOffset.push(n.value.batch.lastOffset);
    }
  } finally {
    src.close();
  }
  return r;
}

/** The first batch at or after slot `from` with lastOffset >= target. */
function firstEnding(s: SegBatches, from: number, target: number): IndexLanding | null {
  for (let i = from; i < s.position.length; i++) {
    if (s.lastOffset[i]! >= target) return { baseOffset: s.baseOffset[i]!, lastOffset: s.lastOffset[i]!, position: s.position[i]! };
  }
  return null;
}

/**
 * Where a lookup of `target` through the index lands: the largest entry with offset <= target
 * (OffsetIndex.lookup), then forward from its position to the first batch ending at or after the
 * target (LogSegment.translateOffset). An entry position that is not a batch start lands nowhere.
 */
function landing(entries: OffsetIndexEntry[], s: SegBatches, target: number): IndexLanding | null {
  const found = floorIndex(entries, target, offsetOf);
  const pos = found < 0 ? 0 : entries[found]!.position;
  let slot = 0;
  if (pos > 0) {
    slot = s.position.indexOf(pos);
    if (slot < 0) return null;
  }
  return firstEnding(s, slot, target);
}

const offsetOf = (e: OffsetIndexEntry): number => e.offset;

function sameLanding(x: IndexLanding | null, y: IndexLanding | null): boolean {
  return x === null || y === null ? x === y : x.baseOffset === y.baseOffset && x.lastOffset === y.lastOffset;
}

function loadIndex(dir: string, seg: Segment): { bytes: Buffer; entries: OffsetIndexEntry[] } | null {
  if (!seg.index) return null;
  try {
    const bytes = readWholeFile(path.join(dir, seg.index), { pattern: 'random' });
    return { bytes, entries: parseOffsetIndex(bytes, seg.baseOffset).entries };
  } catch (e) {
    if (e instanceof KsegError) return null;
    throw e;
  }
}

/**
 * Offset indexes. A segment whose .index holds the same entries as the same-named segment of the
 * other replica is identical. Otherwise each replica's index is judged against its own log by the
 * lookups both indexes' entries ask for: a difference matters when a lookup would land on another
 * batch than the log says; when every lookup lands right it is layout only (per-append vs
 * per-batch entries, another index.interval.bytes, segments rolled at other offsets).
 */
function compareIndexes(partA: PartitionDir, partB: PartitionDir, res: DiffResult, maxDiffs: number): void {
  const byNameA = new Map(partA.segments.map((s) => [s.name, s]));
  const byNameB = new Map(partB.segments.map((s) => [s.name, s]));
  res.indexes.onlyInA = partA.segments.filter((s) => !byNameB.has(s.name)).map((s) => s.log);
  res.indexes.onlyInB = partB.segments.filter((s) => !byNameA.has(s.name)).map((s) => s.log);
  const identical = new Set<string>();
  for (const sa of partA.segments) {
    const sb = byNameB.get(sa.name);
    if (!sb) continue;
    const ia = loadIndex(partA.dir, sa);
    const ib = loadIndex(partB.dir, sb);
    if (ia && ib && entriesEqual(ia.entries, ib.entries)) identical.add(sa.name);
  }
  res.indexes.identical = identical.size;
  const layout = new Set<string>();
  for (const [replica, part, other] of [
    ['a', partA, partB],
    ['b', partB, partA],
  ] as const) {
    const segs = part.segments;
    for (let i = 0; i < segs.length; i++) {
      const seg = segs[i]!;
      if (identical.has(seg.name)) continue;
      const nextBase = segs[i + 1]?.baseOffset ?? Infinity;
      const own = loadIndex(part.dir, seg)?.entries ?? [];
      const targets = new Set<number>(own.map((e) => e.offset));
      // The other replica's entries that fall in this segment's offsets ask the same questions.
      for (const os of other.segments) {
        if (os.baseOffset >= nextBase) break;
        for (const e of loadIndex(other.dir, os)?.entries ?? []) if (e.offset >= seg.baseOffset && e.offset < nextBase) targets.add(e.offset);
      }
      if (targets.size === 0) continue;
      const batches = segmentBatches(part.dir, seg);
      let matters = false;
      for (const t of [...targets].sort((p, q) => p - q)) {
        const expected = firstEnding(batches, 0, t);
        const lands = landing(own, batches, t);
        if (sameLanding(lands, expected)) continue;
        matters = true;
        res.indexes.mattering++;
        if (res.indexes.differences.length < maxDiffs) res.indexes.differences.push({ replica, segment: seg.index ?? `${seg.name}.index`, offset: t, expected, lands });
      }
      if (!matters) layout.add(`${replica === 'a' ? 'A' : 'B'}:${seg.index ?? seg.name + '.index (missing)'}`);
    }
  }
  res.indexes.layoutOnly = [...layout];
}

function entriesEqual(x: OffsetIndexEntry[], y: OffsetIndexEntry[]): boolean {
  if (x.length !== y.length) return false;
  for (let i = 0; i < x.length; i++) if (x[i]!.offset !== y[i]!.offset || x[i]!.position !== y[i]!.position) return false;
  return true;
}

function readEpochs(dir: string): { entries: LeaderEpochEntry[] | null; error?: string } {
  const file = path.join(dir, 'leader-epoch-checkpoint');
  let text: string;
  try {
    text = readTextFile(file);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return { entries: null };
    return { entries: null, error: (e as Error).message };
  }
  try {
    return { entries: parseLeaderEpochCheckpoint(text, 'leader-epoch-checkpoint') };
  } catch (e) {
    if (e instanceof KsegError) return { entries: null, error: e.message };
    throw e;
  }
}
