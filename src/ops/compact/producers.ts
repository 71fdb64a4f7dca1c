import type { Batch } from '../../format/batch.js';

/**
 * Producer state as the broker would hold it, rebuilt from batch headers of the whole log (format
 * doc 7.6 needs it for RETAIN_EMPTY; 7.1 for the last stable offset). Producer snapshots are not
 * read: every producer whose batches are still in the log is seen by the scan, and one whose
 * batches are all gone cannot make the cleaner keep a batch.
 *
 * The assumption an offline cleaner has to make (README): a producer is *active* — its last batch
 * is kept even when empty, as the broker keeps it to validate the producer's next sequence number
 * or epoch — when its last batch (data or marker) has a timestamp within `producerExpirationMs`
 * (Kafka's producer.id.expiration.ms, default 1 day) before `now`, or it has an open transaction.
 * The broker expires producers on a timer measured the same way.
 */
export interface ProducerEntry {
  producerEpoch: number;
  /** Last offset of the producer's last data batch in the current epoch, -1 when none. */
  lastDataOffset: number;
  /** Max timestamp of its last batch (data or marker). */
  lastTimestamp: number;
  /** First offset of its open transaction, -1 when none. */
  currentTxnFirstOffset: number;
}

export interface LastRecord {
  /** Last data offset, or null when the producer's last entry is a marker of its current epoch. */
  lastDataOffset: number | null;
  producerEpoch: number;
}

export class ProducerStateScan {
  readonly producers = new Map<number, ProducerEntry>();

  /** Feed batch headers in log order. */
  visit(b: Batch): void {
    if (b.magic < 2 || b.producerId < 0) return;
    let e = this.producers.get(b.producerId);
    if (!e) {
      e = { producerEpoch: b.producerEpoch, lastDataOffset: -1, lastTimestamp: -1, currentTxnFirstOffset: -1 };
      this.producers.set(b.producerId, e);
    }
    if (b.producerEpoch !== e.producerEpoch) {
      // ProducerStateEntry.maybeUpdateProducerEpoch: a new epoch clears the batch metadata.
      e.producerEpoch = b.producerEpoch;
      e.lastDataOffset = -1;
    }
    e.lastTimestamp = b.maxTimestamp;
    if (b.isControl) {
      if (b.isTransactional) e.currentTxnFirstOffset = -1;
      return;
    }
    e.lastDataOffset = b.lastOffset;
    if (b.isTransactional && e.currentTxnFirstOffset < 0) e.currentTxnFirstOffset = b.baseOffset;
  }

  /** UnifiedLog.lastRecordsOfActiveProducers under the expiry assumption above. */
  activeProducers(now: number, producerExpirationMs: number): Map<number, LastRecord> {
    const out = new Map<number, LastRecord>();
    for (const [pid, e] of this.producers) {
      const expired = e.currentTxnFirstOffset < 0 && now - e.lastTimestamp >= producerExpirationMs;
      if (expired) continue;
      out.set(pid, { lastDataOffset: e.lastDataOffset >= 0 ? e.lastDataOffset : null, producerEpoch: e.producerEpoch });
    }
    return out;
  }

  /** First offset of the earliest open transaction, else the log end offset (high watermark = log end offline). */
  lastStableOffset(logEndOffset: number): number {
    let lso = logEndOffset;
    for (const e of this.producers.values()) if (e.currentTxnFirstOffset >= 0 && e.currentTxnFirstOffset < lso) lso = e.currentTxnFirstOffset;
    return lso;
  }
}
