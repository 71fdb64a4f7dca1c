import type { ProgressMeter } from '../progress.js';
import { batchRecords, MAX_TIMESTAMP_OFFSET, type Batch, type KafkaRecord } from '../../format/batch.js';
import { encodeLegacyWrapper, encodeV2Batch } from '../../format/encode.js';
import { CorruptDataError } from '../../format/errors.js';
import { readInt64 } from '../../format/int64.js';
import type { StopInfo } from '../../storage/log-reader.js';
import { BAD, LogBatchReader } from '../../storage/log-batches.js';
import { assertCleanFraming, type SegmentInfo } from '../partition-state.js';
import type { OffsetMap } from './offset-map.js';
import type { LastRecord } from './producers.js';
import { MD5_WORDS, md5Words } from './md5.js';
import { MD5X4_MAX_KEY, MD5X4_MAX_KEYS, Md5x4 } from './md5x4.js';
import { emptyBatchOf, rebuildCodec, rebuildV2, rebuildV2Sync, RecordWalk } from './records.js';
import { AbortedTxnSource, CleanedTransactionMetadata } from './txn.js';
import type { CleanedSegmentWriter } from './writer.js';

/**
 * Kafka's Cleaner (format doc 7.2-7.7) over one partition: buildOffsetMap over the dirty range,
 * then cleanInto for every segment below the map's end, batch by batch (MemoryRecords.filterTo).
 * Memory: the offset map, one batch (decompressed when compressed) and per-record typed arrays
 * sized to the largest batch.
 */

export interface SegmentCleanStats {
  file: string;
  baseOffset: number;
  batchesIn: number;
  recordsIn: number;
  bytesIn: number;
  batchesOut: number;
  recordsOut: number;
  bytesOut: number;
  /** Records removed because a later record has the same key. */
  supersededRemoved: number;
  /** Tombstones removed (their delete horizon had passed). */
  tombstonesRemoved: number;
  /** Tombstones kept (latest for their key, horizon not reached or just set). */
  tombstonesRetained: number;
  /** Records of aborted transactions removed. */
  abortedRemoved: number;
  /** Transaction markers removed. */
  markersRemoved: number;
  /** Records without a key removed (Kafka counts them as invalid). */
  unkeyedRemoved: number;
  /** Batches rebuilt with a delete horizon for the first time. */
  horizonsSet: number;
  /** Batches kept with no records (producer state, or the round's last offset). */
  emptyBatchesKept: number;
}

export function newStats(seg: SegmentInfo): SegmentCleanStats {
  return {
    file: seg.log,
    baseOffset: seg.baseOffset,
    batchesIn: 0,
    recordsIn: 0,
    bytesIn: seg.logSize,
    batchesOut: 0,
    recordsOut: 0,
    bytesOut: 0,
    supersededRemoved: 0,
    tombstonesRemoved: 0,
    tombstonesRetained: 0,
    abortedRemoved: 0,
    markersRemoved: 0,
    unkeyedRemoved: 0,
    horizonsSet: 0,
    emptyBatchesKept: 0,
  };
}

/** A reader over a segment that must frame cleanly (the batches are read with nextBatch). */
function openSegment(seg: SegmentInfo, what: string): LogBatchReader {
  assertCleanFraming(seg, what);
  return new LogBatchReader(seg.path);
}

/** The next batch, or null at the end; what Kafka's cleaner would fail on throws. */
function nextBatch(src: LogBatchReader, seg: SegmentInfo, checkCrc: boolean, what: string): Batch | null {
  const b = src.next(seg.log, checkCrc);
  if (b === null) {
    const stop: StopInfo = src.stop!;
    if (stop.reason !== 'eof')
      throw new CorruptDataError('NEEDS_RECOVERY', `${what}: ${seg.log} changed while being read (framing stopped: ${stop.reason})`, { file: seg.log, position: stop.position });
    return null;
  }
  if (b === BAD) {
    const bad = src.bad!;
    throw new CorruptDataError(bad.error.code, `${what}: ${bad.error.message}; run \`kseg recover\` first`, { file: seg.log, position: bad.position });
  }
  return b as Batch;
}

// ------------------------------------------------------------------------------------ offset map

/** MD5 words of the keys of the batch being mapped (4 per record). */
let digests = new Int32Array(256);
/** Four keys per step when WebAssembly SIMD is there (md5x4.ts); undefined until first asked. */
let hasher: Md5x4 | null | undefined;
let lanes = new Int32Array(MD5X4_MAX_KEYS);

/** digests[4r..4r+4) = MD5 of record r's key, for every keyed record of the walk. */
function hashKeys(walk: RecordWalk, n: number): void {
  const buf = walk.buf;
  const keyLen = walk.keyLen;
  const keyStart = walk.keyStart;
  if (hasher === undefined) hasher = Md5x4.create();
  const h = hasher;
  for (let r0 = 0; r0 < n; r0 += MD5X4_MAX_KEYS) {
    const r1 = Math.min(n, r0 + MD5X4_MAX_KEYS);
    if (h) h.reset();
    for (let r = r0; r < r1; r++) {
      const kl = keyLen[r]!;
      if (kl < 0) continue;
      const ks = keyStart[r]!;
      if (h && kl <= MD5X4_MAX_KEY) {
        lanes[r - r0] = h.add(buf, ks, ks + kl);
        continue;
      }
      lanes[r - r0] = -1;
      md5Words(buf, ks, ks + kl);
      const d = r * 4;
      digests[d] = MD5_WORDS[0]!;
      digests[d + 1] = MD5_WORDS[1]!;
      digests[d + 2] = MD5_WORDS[2]!;
      digests[d + 3] = MD5_WORDS[3]!;
    }
    if (!h || h.size === 0) continue;
    h.run();
    for (let r = r0; r < r1; r++) {
      if (keyLen[r]! < 0) continue;
      const lane = lanes[r - r0]!;
      if (lane < 0) continue;
      const d = r * 4;
      digests[d] = h.word(lane, 0);
      digests[d + 1] = h.word(lane, 1);
      digests[d + 2] = h.word(lane, 2);
      digests[d + 3] = h.word(lane, 3);
    }
  }
}
/** Puts queued by MapBuilder before their slots are touched together. */
const QUEUE = 128;
/** Folds the touched words so the reads are not optimized away (a sink: nothing reads it). */
let touched = 0;

/**
 * buildOffsetMap's work, batch by batch: key -> latest offset over [start, end) of the dirty
 * segments. Skips control batches, batches of aborted transactions, records without keys and
 * records below `start`. Stops (possibly mid-batch) when the map holds maxDesiredSize keys. Fed
 * either by buildOffsetMap's own read of the dirty segments or by the header scan that reads the
 * partition anyway (compact.ts, first round).
 */
export class MapBuilder {
  /** The map filled (as of the events applied so far: call flush() first for an exact answer). */
  full = false;
  recordsMapped = 0;
  private readonly txn = new CleanedTransactionMetadata();
  private readonly maxDesired: number;
  /**
   * Puts and latest-offset updates waiting to be applied in order: keys are hashed as their batch
   * is read, the puts wait until QUEUE of them are there, so that touching their first slots puts
   * that many memory accesses in flight at once.
   */
  private qn = 0;
  private readonly qDigest = new Int32Array(QUEUE * 4);
  /** Offset of a put, or the latest offset of an update (qPut 0). */
  private readonly qOffset = new Float64Array(QUEUE + 4);
  private readonly qPut = new Uint8Array(QUEUE + 4);
  private qPuts = 0;

  constructor(
    private readonly map: OffsetMap,
    private readonly walk: RecordWalk,
    private readonly start: number,
    end: number,
    txns: AbortedTxnSource,
  ) {
    map.clear();
    map.trackFates(start, end);
    this.txn.addAbortedTransactions(txns.collect(start, end));
    this.maxDesired = map.maxDesiredSize;
  }

  private latest(offset: number): void {
    if (this.qn >= this.qOffset.length) this.flush();
    this.qPut[this.qn] = 0;
    this.qOffset[this.qn++] = offset;
  }

  /** Apply the queued events in order (stopping where the map fills). */
  flush(): void {
    const n = this.qn;
    if (n === 0) return;
    this.qn = 0;
    this.qPuts = 0;
    if (this.full) return;
    const map = this.map;
    const qd = this.qDigest;
    const qo = this.qOffset;
    const qp = this.qPut;
    let t = 0;
    for (let i = 0, d = 0; i < n; i++) if (qp[i]) t ^= map.touch(qd[d++ * 4]!);
    touched ^= t;
    for (let i = 0, d = 0; i < n; i++) {
      if (qp[i] === 0) {
        map.updateLatestOffset(qo[i]!);
        continue;
      }
      if (map.size >= this.maxDesired) {
        // Full: put may still update a key already present, but Kafka stops here.
        this.full = true;
        return;
      }
      const k = d++ * 4;
      map.putDigest(qd[k]!, qd[k + 1]!, qd[k + 2]!, qd[k + 3]!, qo[i]!);
      this.recordsMapped++;
    }
  }

  /** One batch of a dirty segment, in log order (its bytes are read now, not kept). */
  onBatch(batch: Batch): void {
    if (this.full) return;
    const { map, walk, txn, start } = this;
    if (batch.isControl) txn.onControlBatchRead(batch);
    else if (!txn.onBatchRead(batch)) {
      if (batch.magic >= 2) {
        walk.walkKeys(batch);
        const base = batch.baseOffset;
        const n = walk.count;
        if (digests.length < n * 4) digests = new Int32Array(Math.max(n * 4, digests.length * 2));
        hashKeys(walk, n);
        for (let r = 0; r < n; r++) {
          const offset = base + walk.offsetDelta[r]!;
          if (walk.keyLen[r]! < 0 || offset < start) continue;
          if (this.qPuts >= QUEUE || this.qn >= this.qOffset.length) this.flush();
          if (this.full) return;
          const d = r * 4;
          const q = this.qPuts++ * 4;
          this.qDigest[q] = digests[d]!;
          this.qDigest[q + 1] = digests[d + 1]!;
          this.qDigest[q + 2] = digests[d + 2]!;
          this.qDigest[q + 3] = digests[d + 3]!;
          this.qPut[this.qn] = 1;
          this.qOffset[this.qn++] = offset;
        }
      } else {
        this.flush();
        for (const r of batchRecords(batch)) {
          if (this.full) return;
          if (r.key === null || r.offset < start) continue;
          if (map.size >= this.maxDesired) {
            this.full = true;
            return;
          }
          map.put(r.key, 0, r.key.length, r.offset);
          this.recordsMapped++;
        }
      }
    }
    if (batch.lastOffset >= start) this.latest(batch.lastOffset);
  }

  /** A dirty segment was read to its end; the next one starts at `nextSegmentStart` (or the range ends there). */
  endSegment(nextSegmentStart: number): void {
    // Offset gaps between segments: fast forward to the last offset this segment could hold.
    if (!this.full) this.latest(nextSegmentStart - 1);
  }

  result(): { full: boolean; recordsMapped: number } {
    this.flush();
    return { full: this.full, recordsMapped: this.recordsMapped };
  }
}

/** buildOffsetMap over the dirty segments [start, end); returns whether the map filled. */
export function buildOffsetMap(
  dirty: SegmentInfo[],
  start: number,
  end: number,
  map: OffsetMap,
  txns: AbortedTxnSource,
  walk: RecordWalk,
): { full: boolean; recordsMapped: number } {
  const builder = new MapBuilder(map, walk, start, end, txns);
  for (let i = 0; i < dirty.length; i++) {
    // Whether the map filled decides whether the next segment is read at all (and checked).
    builder.flush();
    if (builder.full) break;
    const seg = dirty[i]!;
    const src = openSegment(seg, 'compact');
    try {
      while (!builder.full) {
        const batch = nextBatch(src, seg, false, 'compact');
        if (batch === null) break;
        builder.onBatch(batch);
      }
    } catch (e) {
      // Read past the point where the map filled (its puts were still queued): Kafka stops there
      // and never sees this.
      builder.flush();
      if (!builder.full) throw e;
    } finally {
      src.close();
    }
    builder.endSegment(i + 1 < dirty.length ? dirty[i + 1]!.baseOffset : end);
  }
  return builder.result();
}

// ------------------------------------------------------------------------------------ cleaning

export interface CleanContext {
  map: OffsetMap;
  now: number;
  deleteRetentionMs: number;
  /** Cleaner.doClean's legacyDeleteHorizonMs (v0/v1 tombstones). */
  legacyDeleteHorizonMs: number;
  activeProducers: Map<number, LastRecord>;
  /** First uncleanable offset: a batch ending just below it is kept even if empty. */
  upperBoundOffsetOfCleaningRound: number;
  txn: CleanedTransactionMetadata;
  txns: AbortedTxnSource;
  walk: RecordWalk;
  /** Bytes of the segments cleaned (compact's 'cleaning' progress): per batch and per segment. */
  progress?: ProgressMeter | null;
  /** Awaited before each segment: a safe point where an interrupt stops the round (ops/interrupt.ts). */
  checkpoint?: () => Promise<void>;
}

export interface GroupOutput {
  stats: SegmentCleanStats[];
  /** Sizes and counts of what was (or would be) written. */
  bytes: number;
  batches: number;
  records: number;
  nextOffset: number;
  /** Retained aborted-transaction entries (the new .txnindex). */
  txnEntries: number;
}

/** Where a cleaned batch goes: a writer, or nowhere (dry run, counting only). */
export interface BatchSink {
  append(bytes: Uint8Array, lastOffset: number, maxTimestamp: number, records: number): void;
  /** Room to build the next batch in place (CleanedSegmentWriter.reserve), committed by commitReserved. */
  reserve?(len: number): Buffer | null;
  commitReserved?(len: number, lastOffset: number, maxTimestamp: number, records: number): void;
}

/**
 * Clean a group of segments into one new segment (Cleaner.cleanSegments): per source segment,
 * collect its aborted transactions, then filter its batches into `sink`. `onLastBatch` receives the
 * substitute Kafka's loader needs to cover a segment (see compact.ts) for the segment named by
 * `coverCandidate`.
 */
export async function cleanGroup(
  group: SegmentInfo[],
  ctx: CleanContext,
  sink: BatchSink,
  writer: CleanedSegmentWriter | null,
  coverCandidate: SegmentInfo | null,
): Promise<GroupOutput & { cover: { bytes: Buffer; lastOffset: number; maxTimestamp: number; records: number } | null }> {
  const out: GroupOutput = { stats: [], bytes: 0, batches: 0, records: 0, nextOffset: group[0]!.baseOffset, txnEntries: 0 };
  let cover: { bytes: Buffer; lastOffset: number; maxTimestamp: number; records: number } | null = null;
  ctx.txn.cleanedIndex = (t) => {
    out.txnEntries++;
    writer?.appendAbortedTxn(t);
  };
  const reserve = sink.reserve && sink.commitReserved ? (len: number) => sink.reserve!(len) : undefined;
  let lastLegacyBytes: Buffer | null = null;
  const count = (bytes: Uint8Array, lastOffset: number, records: number, st: SegmentCleanStats) => {
    out.bytes += bytes.length;
    out.batches++;
    out.records += records;
    out.nextOffset = lastOffset + 1;
    st.batchesOut++;
    st.recordsOut += records;
    st.bytesOut += bytes.length;
  };
  const emit = (bytes: Uint8Array, lastOffset: number, maxTimestamp: number, records: number, st: SegmentCleanStats) => {
    sink.append(bytes, lastOffset, maxTimestamp, records);
    count(bytes, lastOffset, records, st);
  };
  for (let i = 0; i < group.length; i++) {
    const seg = group[i]!;
    if (ctx.checkpoint) await ctx.checkpoint();
    const next = group[i + 1];
    const upper = next ? next.baseOffset : seg.stats.nextOffset;
    ctx.txn.addAbortedTransactions(ctx.txns.collect(seg.baseOffset, upper));
    const retainLegacyDeletes = seg.mtimeMs > ctx.legacyDeleteHorizonMs;
    const st = newStats(seg);
    out.stats.push(st);
    let lastOfSegment: Batch | null = null;
    const src = openSegment(seg, 'compact');
    try {
      for (let batch = nextBatch(src, seg, true, 'compact'); batch !== null; batch = nextBatch(src, seg, true, 'compact')) {
        if (!batch.crcValid) {
          throw new CorruptDataError(
            'CRC_MISMATCH',
            `compact: batch at offset ${batch.baseOffset} fails its CRC (stored ${batch.crc}, computed ${batch.computedCrc}); cleaning would hide the corruption — run \`kseg verify\` / \`kseg recover\` first`,
            { file: seg.log, position: batch.position },
          );
        }
        st.batchesIn++;
        st.recordsIn += batch.recordCount;
        ctx.progress?.at(batch.position);
        lastOfSegment = batch;
        // The batch's bytes live in the reader's buffer until the next batch is read: the cover
        // batch of a legacy segment is copied now.
        if (coverCandidate === seg && batch.magic < 2) lastLegacyBytes = Buffer.from(batch.bytes.subarray(batch.start, batch.start + batch.size));
        let r = filterBatch(batch, ctx, retainLegacyDeletes, st, reserve);
        if (r instanceof Promise) r = await r;
        if (r) {
          if (r.inPlace) {
            sink.commitReserved!(r.bytes.length, r.lastOffset, r.maxTimestamp, r.records);
            count(r.bytes, r.lastOffset, r.records, st);
          } else emit(r.bytes, r.lastOffset, r.maxTimestamp, r.records, st);
        }
      }
    } finally {
      src.close();
    }
    ctx.progress?.fileDone(seg.logSize);
    if (coverCandidate === seg && lastOfSegment) {
      const b = lastOfSegment;
      cover =
        b.magic >= 2
          ? { bytes: emptyBatchOf(b), lastOffset: b.lastOffset, maxTimestamp: b.maxTimestamp, records: 0 }
          : { bytes: lastLegacyBytes!, lastOffset: b.lastOffset, maxTimestamp: b.maxTimestamp, records: b.recordCount };
    }
  }
  ctx.txn.cleanedIndex = null;
  return { ...out, cover };
}

interface Filtered {
  /** Built in the sink's reserved room (commit it), rather than to be appended. */
  inPlace?: boolean;
  bytes: Uint8Array;
  lastOffset: number;
  maxTimestamp: number;
  records: number;
}

const enum Retention {
  DELETE,
  DELETE_EMPTY,
  RETAIN_EMPTY,
}

let keep = new Uint8Array(64);

/** MemoryRecords.filterTo with the cleaner's RecordFilter, for one batch. */
function filterBatch(
  batch: Batch,
  ctx: CleanContext,
  retainLegacyDeletes: boolean,
  st: SegmentCleanStats,
  reserve: ((len: number) => Buffer | null) | undefined,
): Filtered | null | Promise<Filtered | null> {
  const now = ctx.now;
  const canDiscardBatch = batch.isControl ? ctx.txn.onControlBatchRead(batch) : ctx.txn.onBatchRead(batch);
  const discardBatchRecords = batch.isControl ? canDiscardBatch && batch.deleteHorizonMs !== null && batch.deleteHorizonMs <= now : canDiscardBatch;
  let isLastOfProducer = false;
  if (batch.producerId >= 0 && batch.magic >= 2) {
    const last = ctx.activeProducers.get(batch.producerId);
    if (last) isLastOfProducer = last.lastDataOffset !== null ? batch.lastOffset === last.lastDataOffset : batch.isControl && batch.producerEpoch === last.producerEpoch;
  }
  const retention = isLastOfProducer
    ? Retention.RETAIN_EMPTY
    : batch.lastOffset + 1 === ctx.upperBoundOffsetOfCleaningRound
      ? Retention.RETAIN_EMPTY
      : discardBatchRecords
        ? Retention.DELETE
        : Retention.DELETE_EMPTY;
  const containsMarkerForEmptyTxn = canDiscardBatch && batch.isControl;

  if (retention === Retention.DELETE) {
    if (batch.isControl) st.markersRemoved += batch.recordCount;
    else st.abortedRemoved += batch.recordCount;
    return null;
  }
  if (batch.magic < 2) return filterLegacy(batch, ctx, retainLegacyDeletes, retention, st);

  const w = ctx.walk;
  w.walk(batch);
  const n = w.count;
  if (keep.length < n) keep = new Uint8Array(Math.max(n, keep.length * 2));
  const map = ctx.map;
  const latest = map.latestOffset;
  const horizon = batch.deleteHorizonMs;
  const retainDeletes = horizon === null || now < horizon;
  let retained = 0;
  let containsTombstones = false;
  for (let i = 0; i < n; i++) {
    let k = false;
    const tomb = w.valueLen[i]! < 0;
    if (discardBatchRecords) {
      if (batch.isControl) st.markersRemoved++;
      else st.abortedRemoved++;
    } else if (batch.isControl) {
      k = true;
    } else {
      const offset = batch.baseOffset + w.offsetDelta[i]!;
      if (offset > latest) k = true;
      else if (w.keyLen[i]! < 0) st.unkeyedRemoved++;
      else {
        // The fate the map build recorded, else the key's latest offset from the map.
        const fate = map.fateOf(offset);
        let superseded: boolean;
        if (fate >= 0) superseded = fate === 0;
        else {
          const ks = w.keyStart[i]!;
          superseded = offset < map.get(w.buf, ks, ks + w.keyLen[i]!);
        }
        if (superseded) st.supersededRemoved++;
        else if (tomb && !retainDeletes) st.tombstonesRemoved++;
        else k = true;
      }
    }
    keep[i] = k ? 1 : 0;
    if (k) {
      retained++;
      if (tomb) {
        containsTombstones = true;
        st.tombstonesRetained++;
      }
    }
  }
  if (retained > 0) {
    const needHorizon = (containsTombstones || containsMarkerForEmptyTxn) && horizon === null;
    if (retained === n && !needHorizon) {
      return { bytes: batch.bytes.subarray(batch.start, batch.start + batch.size), lastOffset: batch.lastOffset, maxTimestamp: batch.maxTimestamp, records: n };
    }
    const newHorizon = needHorizon ? now + ctx.deleteRetentionMs : horizon;
    if (needHorizon) st.horizonsSet++;
    if (w.canonical && batch.compressionId === 0) {
      let reserved = false;
      const bytes = rebuildV2Sync(
        batch,
        w,
        keep,
        newHorizon,
        reserve
          ? (len) => {
              const room = reserve(len);
              reserved = room !== null;
              return room;
            }
          : undefined,
      );
      return { inPlace: reserved, bytes, lastOffset: batch.lastOffset, maxTimestamp: readInt64(bytes, MAX_TIMESTAMP_OFFSET), records: retained };
    }
    const rebuilt = w.canonical ? rebuildV2(batch, w, keep, newHorizon) : reencodeV2(batch, keep, newHorizon);
    return rebuilt.then((bytes) => ({ bytes, lastOffset: batch.lastOffset, maxTimestamp: readInt64(bytes, MAX_TIMESTAMP_OFFSET), records: retained }));
  }
  if (retention === Retention.RETAIN_EMPTY) {
    st.emptyBatchesKept++;
    return { bytes: emptyBatchOf(batch), lastOffset: batch.lastOffset, maxTimestamp: batch.maxTimestamp, records: 0 };
  }
  return null;
}

/** Rare path: a batch whose records use non-minimal varints is re-encoded field by field, as Kafka's builder does. */
async function reencodeV2(batch: Batch, keepMask: Uint8Array, deleteHorizonMs: number | null): Promise<Buffer> {
  const recs: KafkaRecord[] = [];
  let i = 0;
  for (const r of batchRecords(batch)) if (keepMask[i++]) recs.push(r);
  return encodeV2Batch({
    baseOffset: batch.baseOffset,
    records: recs.map((r) => ({ offsetDelta: r.offsetDelta, timestamp: r.timestamp, key: r.key, value: r.value, headers: r.headers, attributes: 0 })),
    compression: rebuildCodec(batch.compressionId),
    timestampType: batch.timestampType === 'LogAppendTime' ? 'LogAppendTime' : 'CreateTime',
    isTransactional: batch.isTransactional,
    isControl: batch.isControl,
    deleteHorizonMs,
    partitionLeaderEpoch: batch.partitionLeaderEpoch,
    producerId: batch.producerId,
    producerEpoch: batch.producerEpoch,
    baseSequence: batch.baseSequence,
    lastOffsetDelta: batch.lastOffsetDelta,
    maxTimestamp: batch.timestampType === 'LogAppendTime' ? batch.maxTimestamp : undefined,
  });
}

/**
 * v0/v1 entries: an uncompressed message is kept or dropped; a compressed wrapper whose records
 * change is re-wrapped (first kept offset as base, wrapper offset = last kept offset, v1 inner
 * offsets relative again), which also repairs inner messages whose magic differs (KAFKA-4298).
 * Tombstones follow the legacy rule: kept while the segment is newer than legacyDeleteHorizonMs.
 */
async function filterLegacy(batch: Batch, ctx: CleanContext, retainLegacyDeletes: boolean, retention: Retention, st: SegmentCleanStats): Promise<Filtered | null> {
  const recs = [...batchRecords(batch)];
  const kept: KafkaRecord[] = [];
  let magicOk = true;
  let superseded = 0;
  let tombstones = 0;
  let unkeyed = 0;
  const latest = ctx.map.latestOffset;
  for (const r of recs) {
    let k = false;
    if (r.offset > latest) k = true;
    else if (r.key === null) unkeyed++;
    else {
      const found = ctx.map.get(r.key, 0, r.key.length);
      if (r.offset < found) superseded++;
      else if (r.value === null && !retainLegacyDeletes) tombstones++;
      else k = true;
    }
    if (k) {
      kept.push(r);
      if (r.magic !== batch.magic) magicOk = false;
    }
  }
  const original = (): Filtered => {
    st.tombstonesRetained += recs.filter((r) => r.value === null).length;
    return { bytes: batch.bytes.subarray(batch.start, batch.start + batch.size), lastOffset: batch.lastOffset, maxTimestamp: batch.maxTimestamp, records: recs.length };
  };
  // Kafka cannot write an empty v0/v1 batch (its cleaner fails on such a partition): when the
  // batch must be retained and nothing in it survives, it is kept as it is.
  if ((kept.length === recs.length && magicOk) || (kept.length === 0 && retention === Retention.RETAIN_EMPTY)) return original();
  st.supersededRemoved += superseded;
  st.tombstonesRemoved += tombstones;
  st.unkeyedRemoved += unkeyed;
  st.tombstonesRetained += kept.filter((r) => r.value === null).length;
  if (kept.length === 0) return null;
  const logAppend = batch.timestampType === 'LogAppendTime';
  const bytes = await encodeLegacyWrapper({
    magic: batch.magic as 0 | 1,
    compression: rebuildCodec(batch.compressionId) as 'gzip' | 'snappy-xerial' | 'lz4',
    messages: kept.map((r) => ({ offset: r.offset, timestamp: r.timestamp, key: r.key, value: r.value })),
    timestampType: logAppend ? 'LogAppendTime' : 'CreateTime',
    wrapperTimestamp: logAppend ? batch.maxTimestamp : undefined,
  });
  const last = kept[kept.length - 1]!;
  const maxTimestamp = batch.magic === 0 ? -1 : readInt64(bytes, 18);
  return { bytes, lastOffset: last.offset, maxTimestamp, records: kept.length };
}
