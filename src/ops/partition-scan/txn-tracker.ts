import type { Batch } from '../../format/batch.js';

export interface CompletedTxn {
  producerId: number;
  firstOffset: number;
  /** Offset of the COMMIT/ABORT marker. */
  lastOffset: number;
  lastStableOffset: number;
  aborted: boolean;
  /** The replay saw the transaction's first batch (false: firstOffset defaulted to the marker). */
  startSeen: boolean;
}

/**
 * Producer transaction state as Kafka's ProducerStateManager replays it during recovery: a
 * transactional data batch opens a transaction at its baseOffset (if the producer has none open);
 * a COMMIT/ABORT marker closes it. The last stable offset recorded for an aborted transaction is
 * the first offset of the earliest transaction still open from another producer, else the marker
 * offset + 1 (ProducerStateManager.lastStableOffset).
 */
export class TxnTracker {
  private readonly ongoing = new Map<number, number>();
  /**
   * Set once the replay passed bytes it could not trust (bad CRC, unframeable region, offsets
   * going backwards): transaction starts seen after that are no longer claimed as certain.
   */
  uncertain = false;

  /** Feed every v2 batch in log order; `marker` is the control type of a control batch's record. */
  onBatch(b: Batch, marker: 'ABORT' | 'COMMIT' | null): CompletedTxn | null {
    if (b.magic < 2 || b.producerId < 0) return null;
    if (b.isControl) {
      if (marker === null) return null;
      const pid = b.producerId;
      const open = this.ongoing.get(pid);
      let minOther = Infinity;
      for (const [other, first] of this.ongoing) if (other !== pid && first < minOther) minOther = first;
      this.ongoing.delete(pid);
      return {
        producerId: pid,
        firstOffset: open ?? b.baseOffset,
        lastOffset: b.baseOffset,
        lastStableOffset: minOther === Infinity ? b.baseOffset + 1 : minOther,
        aborted: marker === 'ABORT',
        startSeen: open !== undefined && !this.uncertain,
      };
    }
    if (b.isTransactional && !this.ongoing.has(b.producerId)) this.ongoing.set(b.producerId, b.baseOffset);
    return null;
  }
}
