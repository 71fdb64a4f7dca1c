import fs from 'node:fs';
import path from 'node:path';
import { encodeLeaderEpochCheckpoint } from '../src/format/checkpoints.js';
import { encodeEndTxnMarker, encodeV2Batch, type RecordInput } from '../src/format/encode.js';
import type { CompressionWriteName } from '../src/format/compression.js';
import { IndexBuilder } from '../src/format/index-rule.js';
import { encodeAbortedTxn } from '../src/format/indexes.js';
import { batchRecords, decodeBatch, type Batch } from '../src/format/batch.js';
import { logEntries } from '../src/storage/log-reader.js';
import { openSource } from '../src/storage/source.js';
import { scanPartitionDir, segmentFileName } from '../src/storage/segments.js';

/**
 * Test partitions written with the format layer's encoder and Kafka's index rule: segments rolled
 * at segmentBytes, per-batch .index/.timeindex, .txnindex entries for aborted transactions,
 * leader-epoch-checkpoint. Small and fully controlled (producers, transactions, tombstones).
 */
export type Spec =
  | {
      kind: 'data';
      records: { key: string | null; value: string | null }[];
      /** -1: no producer. */
      producerId: number;
      transactional: boolean;
      compression?: CompressionWriteName;
      /** Extra offsets the batch spans beyond its records (compacted input). */
      gapAfter?: number;
    }
  | { kind: 'marker'; producerId: number; commit: boolean }
  /** Start a new segment before the next batch. */
  | { kind: 'roll' }
  /** Leave an offset gap (as compaction leaves when it removes a segment's last batches). */
  | { kind: 'skip'; offsets: number };

export interface BuildOptions {
  segmentBytes?: number;
  indexIntervalBytes?: number;
  startOffset?: number;
  startTimestamp?: number;
  /** Leader epoch bumps every this many batches (0: always epoch 0). */
  epochEvery?: number;
}

export interface BuiltPartition {
  dir: string;
  logEndOffset: number;
  /** Open transactions left at the end (pid -> first offset). */
  openTxns: Map<number, number>;
}

interface SegmentBuf {
  base: number;
  chunks: Buffer[];
  size: number;
  index: IndexBuilder;
  txn: Buffer[];
}

export async function buildPartition(dir: string, specs: Spec[], opts: BuildOptions = {}): Promise<BuiltPartition> {
  fs.mkdirSync(dir, { recursive: true });
  const segmentBytes = opts.segmentBytes ?? 4096;
  const interval = opts.indexIntervalBytes ?? 256;
  let offset = opts.startOffset ?? 0;
  let ts = opts.startTimestamp ?? 1_700_000_000_000;
  const segments: SegmentBuf[] = [];
  let cur: SegmentBuf | null = null;
  let forceRoll = false;
  const seq = new Map<number, number>();
  const openTxn = new Map<number, number>();
  const epochs: { epoch: number; startOffset: number }[] = [];
  let batchNo = 0;
  const append = (b: Buffer, lastOffset: number, maxTs: number) => {
    if (!cur || forceRoll || (cur.size > 0 && cur.size + b.length > segmentBytes)) {
      const base = Number(b.readBigInt64BE(0));
      cur = { base, chunks: [], size: 0, index: new IndexBuilder({ baseOffset: base, indexIntervalBytes: interval }), txn: [] };
      segments.push(cur);
      forceRoll = false;
    }
    cur.index.add(cur.size, b.length, lastOffset, maxTs);
    cur.chunks.push(b);
    cur.size += b.length;
  };
  for (const s of specs) {
    if (s.kind === 'roll') {
      forceRoll = true;
      continue;
    }
    if (s.kind === 'skip') {
      offset += s.offsets;
      continue;
    }
    const epoch = opts.epochEvery ? Math.floor(batchNo / opts.epochEvery) : 0;
    const noteEpoch = () => {
      if (epochs.length === 0 || epochs[epochs.length - 1]!.epoch < epoch) epochs.push({ epoch, startOffset: offset });
      batchNo++;
    };
    if (s.kind === 'marker') {
      const first = openTxn.get(s.producerId);
      if (first === undefined) continue;
      noteEpoch();
      ts += 1;
      const b = encodeEndTxnMarker({
        baseOffset: offset,
        type: s.commit ? 'COMMIT' : 'ABORT',
        producerId: s.producerId,
        producerEpoch: 0,
        coordinatorEpoch: 5,
        timestamp: ts,
        partitionLeaderEpoch: epoch,
      });
      append(b, offset, ts);
      if (!s.commit) {
        // LSO when the abort completes: the first offset of the earliest other open transaction, else the marker + 1.
        let lso = offset + 1;
        for (const [pid, f] of openTxn) if (pid !== s.producerId && f < lso) lso = f;
        cur!.txn.push(encodeAbortedTxn({ producerId: s.producerId, firstOffset: first, lastOffset: offset, lastStableOffset: lso }));
      }
      openTxn.delete(s.producerId);
      offset++;
      continue;
    }
    if (s.records.length === 0) continue;
    noteEpoch();
    const pid = s.producerId;
    const transactional = s.transactional && pid >= 0;
    if (transactional && !openTxn.has(pid)) openTxn.set(pid, offset);
    const base = offset;
    const records: RecordInput[] = s.records.map((r, i) => ({ offsetDelta: i, timestamp: (ts += 1 + (i % 3)), key: r.key, value: r.value }));
    const baseSequence = pid >= 0 ? (seq.get(pid) ?? 0) : -1;
    const lastOffsetDelta = s.records.length - 1 + (s.gapAfter ?? 0);
    if (pid >= 0) seq.set(pid, baseSequence + lastOffsetDelta + 1);
    const b = await encodeV2Batch({
      baseOffset: base,
      records,
      compression: s.compression ?? 'none',
      isTransactional: transactional,
      producerId: pid,
      producerEpoch: pid >= 0 ? 0 : -1,
      baseSequence,
      partitionLeaderEpoch: epoch,
      lastOffsetDelta,
    });
    const maxTs = Math.max(...records.map((r) => r.timestamp));
    append(b, base + lastOffsetDelta, maxTs);
    offset = base + lastOffsetDelta + 1;
  }
  for (const seg of segments) {
    fs.writeFileSync(path.join(dir, segmentFileName(seg.base, 'log')), Buffer.concat(seg.chunks));
    const { index, timeindex } = seg.index.finish();
    fs.writeFileSync(path.join(dir, segmentFileName(seg.base, 'index')), index);
    fs.writeFileSync(path.join(dir, segmentFileName(seg.base, 'timeindex')), timeindex);
    if (seg.txn.length) fs.writeFileSync(path.join(dir, segmentFileName(seg.base, 'txnindex')), Buffer.concat(seg.txn));
  }
  if (segments.length === 0) {
    const base = opts.startOffset ?? 0;
    for (const s of ['log', 'index', 'timeindex']) fs.writeFileSync(path.join(dir, segmentFileName(base, s)), Buffer.alloc(0));
  }
  fs.writeFileSync(path.join(dir, 'leader-epoch-checkpoint'), encodeLeaderEpochCheckpoint(epochs));
  return { dir, logEndOffset: offset, openTxns: openTxn };
}

// ------------------------------------------------------------------------------ reading back

export interface ReadRecord {
  offset: number;
  timestamp: number;
  key: string | null;
  value: string | null;
  control: string | null;
}

export interface ReadBatch {
  file: string;
  baseOffset: number;
  lastOffset: number;
  count: number;
  producerId: number;
  producerEpoch: number;
  isTransactional: boolean;
  isControl: boolean;
  deleteHorizonMs: number | null;
  maxTimestamp: number;
  magic: number;
  /** Byte position in the .log and the batch's partition leader epoch. */
  position: number;
  partitionLeaderEpoch: number;
  records: ReadRecord[];
}

const str = (b: Buffer | null) => (b === null ? null : b.toString('latin1'));

/** Every batch of every segment with its records (our reader; CRCs checked). */
export function readPartition(dir: string): { segments: { base: number; file: string; batches: ReadBatch[] }[] } {
  const part = scanPartitionDir(dir);
  return {
    segments: part.segments.map((seg) => {
      const src = openSource(path.join(dir, seg.log));
      const batches: ReadBatch[] = [];
      try {
        const gen = logEntries(src, { file: seg.log });
        for (;;) {
          const n = gen.next();
          if (n.done) {
            if (n.value.reason !== 'eof') throw new Error(`${seg.log}: framing stopped (${n.value.reason}) at ${n.value.position}`);
            break;
          }
          if (n.value.kind !== 'batch') throw n.value.error;
          const b: Batch = n.value.batch;
          if (!b.crcValid) throw new Error(`${seg.log}: CRC mismatch at ${b.position}`);
          batches.push({
            file: seg.log,
            baseOffset: b.baseOffset,
            lastOffset: b.lastOffset,
            count: b.recordCount,
            producerId: b.producerId,
            producerEpoch: b.producerEpoch,
            isTransactional: b.isTransactional,
            isControl: b.isControl,
            deleteHorizonMs: b.deleteHorizonMs,
            maxTimestamp: b.maxTimestamp,
            magic: b.magic,
            position: b.position,
            partitionLeaderEpoch: b.partitionLeaderEpoch,
            records: [...batchRecords(b)].map((r) => ({
              offset: r.offset,
              timestamp: r.timestamp,
              key: b.isControl ? null : str(r.key),
              value: b.isControl ? null : str(r.value),
              control: r.control?.type ?? null,
            })),
          });
        }
      } finally {
        src.close();
      }
      return { base: seg.baseOffset, file: seg.log, batches };
    }),
  };
}

export function allRecords(dir: string): ReadRecord[] {
  return readPartition(dir).segments.flatMap((s) => s.batches.flatMap((b) => b.records));
}

/** Re-decode one batch from raw bytes (tests that compare encodings). */
export function decodeOne(buf: Buffer): Batch {
  return decodeBatch(buf, 0, buf.length, 0);
}
