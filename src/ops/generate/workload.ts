import type { CompressionWriteName } from '../../format/compression.js';
import {
  encodeEndTxnMarker,
  encodeLegacyMessage,
  encodeLegacyWrapper,
  encodeV2Batch,
  encodeV2BatchSync,
  setLegacyLogAppendTime,
  type V2BatchInput,
} from '../../format/encode.js';
import { ATTR_TIMESTAMP_TYPE } from '../../format/batch.js';
import { RecordContent, type GenRecord } from './content.js';
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
  records: GenRecord[];
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
  transactionsCommitted = 0;
  transactionsAborted = 0;

  constructor(private readonly o: GenerateOptions) {
    this.structure = new Prng(o.seed, 'structure');
    this.codecs = new Prng(o.seed, 'codecs');
    this.content = new RecordContent(o);
    this.nextOffset = o.startOffset;
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
      const records: GenRecord[] = new Array(count);
      for (let i = 0; i < count; i++) records[i] = this.content.next(baseOffset + i);
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
        records,
        producerId: producer?.producerId ?? -1,
        producerEpoch: producer?.producerEpoch ?? -1,
        baseSequence,
        isTransactional: producer?.transactional ?? false,
        codec: this.codecs.pick(o.compression),
      });
    }
    // The broker's clock when the append arrives (LogAppendTime), never behind an earlier append.
    const appendTime = (this.brokerClock = Math.max(this.brokerClock, this.content.clock + this.structure.int(0, 3)));
    const entries: Entry[] = [];
    for (const p of plans) {
      if (p.kind === 'marker') entries.push(markerEntry(p, this.leaderEpoch));
      else entries.push(...(await this.encode(p, appendTime)));
    }
    this.dataWritten += dataRecords;
    return { entries, dataRecords };
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
    const recs = plan.records;
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
