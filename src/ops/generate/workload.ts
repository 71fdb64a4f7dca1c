import type { CompressionWriteName } from '../../format/compression.js';
import {
  encodeEndTxnMarker,
  encodeLegacyMessage,
  encodeLegacyWrapper,
  encodeV2Batch,
  encodeV2BatchSync,
  setLegacyLogAppendTime,
  V2_RECORD_OVERHEAD,
  V2BatchWriter,
  type V2BatchInput,
} from '../../format/encode.js';
import { ATTR_TIMESTAMP_TYPE, RECORDS_OFFSET } from '../../format/batch.js';
import { freshDraw, MAX_HEADER_BYTES, RecordContent, type GenRecord } from './content.js';
import { InternalRecordContent } from './internal-content.js';
import type { GenerateOptions } from './options.js';
import { Prng } from './prng.js';

/**
 * The client side: producers that send batches (plain, idempotent or transactional), the
 * transaction coordinator that writes COMMIT/ABORT markers, and leader changes. It yields appends
 * (what one append call of the broker receives) already encoded; the broker side (writer.ts)
 * decides where they go.
 */

/** One .log entry ready to write, with what the broker needs to know about it. */
export interface Entry {
  bytes: Buffer;
  magic: number;
  baseOffset: number;
  lastOffset: number;
  /** v2 maxTimestamp, v1 message/wrapper timestamp, -1 for v0. */
  maxTimestamp: number;
  records: number;
  producerId: number;
  producerEpoch: number;
  baseSequence: number;
  isTransactional: boolean;
  /** COMMIT/ABORT markers only. */
  marker: { type: 'COMMIT' | 'ABORT'; coordinatorEpoch: number } | null;
  /** A v2 batch whose CRC field is still 0: the broker side fills it in (PartitionWriter's io worker). */
  crcDeferred?: boolean;
  partitionLeaderEpoch: number;
  compression: CompressionWriteName;
}

export interface Append {
  entries: Entry[];
  /** Data records in this append (markers excluded). */
  dataRecords: number;
}

interface Producer {
  producerId: number;
  producerEpoch: number;
  nextSequence: number;
  transactional: boolean;
  coordinatorEpoch: number;
  inTxn: boolean;
  txnBatches: number;
}

/** A batch decided at planning time (offsets, producer fields, sequence); encoded afterwards. */
interface DataPlan {
  kind: 'data';
  baseOffset: number;
  count: number;
  /** Drawn records (generic path), or the batch already streamed into the arena (fast path). */
  records: GenRecord[] | null;
  stream: { writer: V2BatchWriter; baseTimestamp: number; maxCreate: number } | null;
  producerId: number;
  producerEpoch: number;
  baseSequence: number;
  isTransactional: boolean;
  codec: CompressionWriteName;
}

interface MarkerPlan {
  kind: 'marker';
  baseOffset: number;
  type: 'COMMIT' | 'ABORT';
  producerId: number;
  producerEpoch: number;
  coordinatorEpoch: number;
  timestamp: number;
}

const INT32_MAX = 2147483647;
/** Appends whose uncompressed v2 batches could need more than this are encoded the generic way. */
const MAX_ARENA = 256 * 1024 * 1024;

export class Workload {
  private readonly structure: Prng;
  private readonly codecs: Prng;
  private readonly content: RecordContent;
  private readonly txnProducers: Producer[] = [];
  private readonly idempotentProducers: Producer[] = [];
  /** Data-record counts at which the leader changes, largest first (popped from the end). */
  private readonly epochChanges: number[] = [];
  private nextOffset: number;
  private dataWritten = 0;
  private leaderEpoch = 0;
  private brokerClock = 0;
  /** Reused per append: uncompressed v2 batches are written here record by record (the writer copies them out). */
  private arena = Buffer.allocUnsafe(1 << 20);
  private readonly drawn = freshDraw();
  private readonly maxRecordBytes: number;
  /** Room in the broker's write buffer for an append, when the broker offers it (PartitionWriter.reserve). */
  reserve: ((bytes: number) => { buf: Buffer; at: number; deferCrc: boolean } | null) | null = null;
  transactionsCommitted = 0;
  transactionsAborted = 0;

  constructor(private readonly o: GenerateOptions) {
    this.structure = new Prng(o.seed, 'structure');
    this.codecs = new Prng(o.seed, 'codecs');
    this.content = o.internal ? new InternalRecordContent(o, o.internal) : new RecordContent(o);
    this.nextOffset = o.startOffset;
    this.maxRecordBytes = V2_RECORD_OVERHEAD + this.content.maxKeyLength + o.valueSize.max + 5 + o.headers * (MAX_HEADER_BYTES + 10);
    const ids = new Prng(o.seed, 'producers');
    const used = new Set<number>();
    const newProducer = (transactional: boolean): Producer => {
      let producerId: number;
      do producerId = ids.int(1000, 999999);
      while (used.has(producerId));
      used.add(producerId);
      return { producerId, producerEpoch: ids.int(0, 5), nextSequence: 0, transactional, coordinatorEpoch: ids.int(0, 20), inTxn: false, txnBatches: 0 };
    };
    if (o.magic === 2) {
      if (o.transactions) for (let i = 0; i < o.producers; i++) this.txnProducers.push(newProducer(true));
      if (o.idempotent) for (let i = 0; i < o.producers; i++) this.idempotentProducers.push(newProducer(false));
      if (o.leaderEpochs > 0) {
        // Spread over the records asked for, or over the records a byte budget should hold.
        const perRecord = (o.valueSize.min + o.valueSize.max) / 2 + (o.keySpace > 0 ? 10 : 0) + o.headers * 12 + 12 + 61 / ((o.recordsPerBatch.min + o.recordsPerBatch.max) / 2);
        const span = Math.max(2, o.bytes !== null ? Math.min(o.records, Math.ceil(o.bytes / perRecord)) : o.records);
        const eps = new Prng(o.seed, 'leader-epochs');
        for (let i = 0; i < o.leaderEpochs; i++) this.epochChanges.push(eps.int(1, span - 1));
        this.epochChanges.sort((a, b) => b - a);
      }
    }
  }

  get dataRecordsWritten(): number {
    return this.dataWritten;
  }

  /**
   * The next append, or null when done. `stop` says the byte budget is used up: only the markers
   * that end still-open transactions follow, one per append, as a coordinator writes them.
   */
  async next(stop: boolean): Promise<Append | null> {
    const o = this.o;
    const dataLeft = o.records - this.dataWritten;
    if (stop || dataLeft <= 0) {
      const open = this.txnProducers.find((p) => p.inTxn);
      if (!open) return null;
      return { entries: [markerEntry(this.planMarker(open, this.structure.chance(o.abortRatio) ? 'ABORT' : 'COMMIT'), this.leaderEpoch)], dataRecords: 0 };
    }
    while (this.epochChanges.length && this.epochChanges[this.epochChanges.length - 1]! <= this.dataWritten) {
      this.epochChanges.pop();
      this.leaderEpoch += this.structure.chance(0.25) ? 2 : 1;
    }
    const batches = this.structure.range(o.batchesPerAppend);
    const plans: (DataPlan | MarkerPlan)[] = [];
    let dataRecords = 0;
    for (let b = 0; b < batches && dataRecords < dataLeft; b++) {
      const producer = this.pickProducer();
      if (producer && producer.transactional && producer.inTxn && producer.txnBatches > 0 && this.structure.chance(0.3)) {
        plans.push(this.planMarker(producer, this.structure.chance(o.abortRatio) ? 'ABORT' : 'COMMIT'));
        continue;
      }
      const count = Math.min(this.structure.range(o.recordsPerBatch), dataLeft - dataRecords);
      const baseOffset = this.nextOffset;
      this.nextOffset += count;
      dataRecords += count;
      let baseSequence = -1;
      if (producer) {
        baseSequence = producer.nextSequence;
        producer.nextSequence = incrementSequence(producer.nextSequence, count);
        if (producer.transactional) {
          producer.inTxn = true;
          producer.txnBatches++;
        }
      }
      plans.push({
        kind: 'data',
        baseOffset,
        count,
        records: null,
        stream: null,
        producerId: producer?.producerId ?? -1,
        producerEpoch: producer?.producerEpoch ?? -1,
        baseSequence,
        isTransactional: producer?.transactional ?? false,
        codec: this.codecs.pick(o.compression),
      });
    }
    // Records, in offset order: uncompressed v2 batches stream into an arena — the broker's write
    // buffer itself when the whole append is such batches — others are drawn whole.
    let arenaBytes = 0;
    let streamedOnly = true;
    for (const p of plans) {
      if (p.kind === 'data' && o.magic === 2 && p.codec === 'none' && !o.internal) arenaBytes += RECORDS_OFFSET + p.count * this.maxRecordBytes;
      else streamedOnly = false;
    }
    const stream = arenaBytes <= MAX_ARENA;
    let target = stream && streamedOnly && this.reserve ? this.reserve(arenaBytes) : null;
    if (stream && !target) {
      if (arenaBytes > this.arena.length) this.arena = Buffer.allocUnsafe(Math.max(arenaBytes, this.arena.length * 2));
      target = { buf: this.arena, at: 0, deferCrc: false };
    }
    const deferCrc = target?.deferCrc ?? false;
    let at = target?.at ?? 0;
    for (const p of plans) {
      if (p.kind !== 'data') {
        p.timestamp = this.content.clock; // the coordinator writes the marker after the batches before it
        continue;
      }
      if (target && o.magic === 2 && p.codec === 'none' && !o.internal) {
        p.stream = this.streamRecords(p, target.buf, at);
        at += p.stream.writer.size;
      } else {
        p.records = new Array(p.count);
        for (let i = 0; i < p.count; i++) p.records[i] = this.content.next(p.baseOffset + i);
      }
    }
    // The broker's clock when the append arrives (LogAppendTime), never behind an earlier append.
    const appendTime = (this.brokerClock = Math.max(this.brokerClock, this.content.clock + this.structure.int(0, 3)));
    const entries: Entry[] = [];
    for (const p of plans) {
      if (p.kind === 'marker') entries.push(markerEntry(p, this.leaderEpoch));
      else if (p.stream) entries.push(this.finishStreamed(p, appendTime, deferCrc));
      else entries.push(...(await this.encode(p, appendTime)));
    }
    this.dataWritten += dataRecords;
    return { entries, dataRecords };
  }

  /** Draw and write a batch's records straight into the arena (header written later, by finishStreamed). */
  private streamRecords(p: DataPlan, arena: Buffer, at: number): NonNullable<DataPlan['stream']> {
    const writer = new V2BatchWriter(arena, at);
    const d = this.drawn;
    const content = this.content;
    let baseTimestamp = -1;
    let maxCreate = -1;
    for (let i = 0; i < p.count; i++) {
      content.draw(p.baseOffset + i, d);
      if (i === 0) baseTimestamp = d.timestamp;
      if (d.timestamp > maxCreate) maxCreate = d.timestamp;
      const at = writer.beginRecord(i, d.timestamp - baseTimestamp, d.key, d.valueLength, d.headers.length ? (d.headers as { key: Buffer; value: Buffer | null }[]) : undefined);
      if (d.valueLength > 0) content.writeValue(d, arena, at);
      writer.endRecord();
    }
    return { writer, baseTimestamp, maxCreate };
  }

  private finishStreamed(p: DataPlan, appendTime: number, deferCrc: boolean): Entry {
    const { writer, baseTimestamp, maxCreate } = p.stream!;
    const logAppend = this.o.timestampType === 'LogAppendTime';
    const maxTimestamp = logAppend ? appendTime : maxCreate;
    const size = writer.finish(
      {
        baseOffset: p.baseOffset,
        timestampType: this.o.timestampType,
        baseTimestamp,
        maxTimestamp,
        isTransactional: p.isTransactional,
        partitionLeaderEpoch: this.leaderEpoch,
        producerId: p.producerId,
        producerEpoch: p.producerEpoch,
        baseSequence: p.baseSequence,
      },
      deferCrc,
    );
    return {
      crcDeferred: deferCrc,
      bytes: writer.buf.subarray(writer.start, writer.start + size),
      magic: 2,
      baseOffset: p.baseOffset,
      lastOffset: p.baseOffset + p.count - 1,
      maxTimestamp,
      records: p.count,
      producerId: p.producerId,
      producerEpoch: p.producerEpoch,
      baseSequence: p.baseSequence,
      isTransactional: p.isTransactional,
      marker: null,
      partitionLeaderEpoch: this.leaderEpoch,
      compression: 'none',
    };
  }

  /** Transactional producer, idempotent producer, or null for a plain (non-idempotent) one. */
  private pickProducer(): Producer | null {
    const rng = this.structure;
    if (this.txnProducers.length && (!this.o.idempotent || rng.chance(0.7)) && rng.chance(0.7)) return rng.pick(this.txnProducers);
    if (this.idempotentProducers.length) return rng.pick(this.idempotentProducers);
    return null;
  }

  /** The coordinator ends the producer's transaction: one marker at the next offset. */
  private planMarker(p: Producer, type: 'COMMIT' | 'ABORT'): MarkerPlan {
    p.inTxn = false;
    p.txnBatches = 0;
    if (type === 'COMMIT') this.transactionsCommitted++;
    else this.transactionsAborted++;
    return {
      kind: 'marker',
      baseOffset: this.nextOffset++,
      type,
      producerId: p.producerId,
      producerEpoch: p.producerEpoch,
      coordinatorEpoch: p.coordinatorEpoch,
      timestamp: this.content.clock,
    };
  }

  private async encode(plan: DataPlan, appendTime: number): Promise<Entry[]> {
    const o = this.o;
    const recs = plan.records!;
    const baseOffset = plan.baseOffset;
    const logAppend = o.timestampType === 'LogAppendTime';
    let maxCreate = -1;
    for (const r of recs) if (r.timestamp > maxCreate) maxCreate = r.timestamp;
    const base: Omit<Entry, 'bytes' | 'maxTimestamp'> = {
      magic: o.magic,
      baseOffset,
      lastOffset: baseOffset + recs.length - 1,
      records: recs.length,
      producerId: plan.producerId,
      producerEpoch: plan.producerEpoch,
      baseSequence: plan.baseSequence,
      isTransactional: plan.isTransactional,
      marker: null,
      partitionLeaderEpoch: o.magic === 2 ? this.leaderEpoch : -1,
      compression: plan.codec,
    };
    if (o.magic === 2) {
      const input: V2BatchInput = {
        baseOffset,
        records: recs,
        compression: plan.codec,
        timestampType: o.timestampType,
        maxTimestamp: logAppend ? appendTime : maxCreate,
        isTransactional: plan.isTransactional,
        partitionLeaderEpoch: this.leaderEpoch,
        producerId: plan.producerId,
        producerEpoch: plan.producerEpoch,
        baseSequence: plan.baseSequence,
      };
      const bytes = plan.codec === 'none' ? encodeV2BatchSync(input) : await encodeV2Batch(input);
      return [{ ...base, bytes, maxTimestamp: input.maxTimestamp! }];
    }
    const magic = o.magic;
    if (plan.codec === 'none') {
      // An uncompressed v0/v1 message set: every message is its own entry.
      return recs.map((r) => {
        const timestamp = magic === 0 ? -1 : logAppend ? appendTime : r.timestamp;
        const bytes = encodeLegacyMessage({ offset: r.offset, magic, timestamp, key: r.key, value: r.value, attributes: logAppend ? ATTR_TIMESTAMP_TYPE : 0 });
        return { ...base, bytes, baseOffset: r.offset, lastOffset: r.offset, records: 1, maxTimestamp: timestamp };
      });
    }
    // A compressed wrapper as the producer built it; for LogAppendTime the broker stamps it in place.
    const bytes = await encodeLegacyWrapper({
      magic,
      compression: plan.codec as Exclude<CompressionWriteName, 'none' | 'zstd'>,
      messages: recs.map((r) => ({ offset: r.offset, timestamp: magic === 1 ? r.timestamp : undefined, key: r.key, value: r.value })),
      timestampType: 'CreateTime',
      wrapperTimestamp: magic === 1 ? maxCreate : -1,
    });
    if (magic === 1 && logAppend) setLegacyLogAppendTime(bytes, appendTime);
    return [{ ...base, bytes, maxTimestamp: magic === 0 ? -1 : logAppend ? appendTime : maxCreate }];
  }
}

function markerEntry(m: MarkerPlan, partitionLeaderEpoch: number): Entry {
  const bytes = encodeEndTxnMarker({ ...m, partitionLeaderEpoch });
  return {
    bytes,
    magic: 2,
    baseOffset: m.baseOffset,
    lastOffset: m.baseOffset,
    maxTimestamp: m.timestamp,
    records: 1,
    producerId: m.producerId,
    producerEpoch: m.producerEpoch,
    baseSequence: -1,
    isTransactional: true,
    marker: { type: m.type, coordinatorEpoch: m.coordinatorEpoch },
    partitionLeaderEpoch,
    compression: 'none',
  };
}

/** Kafka's DefaultRecordBatch.incrementSequence: wraps to 0 after Integer.MAX_VALUE. */
export function incrementSequence(sequence: number, increment: number): number {
  if (sequence > INT32_MAX - increment) return increment - (INT32_MAX - sequence) - 1;
  return sequence + increment;
}
