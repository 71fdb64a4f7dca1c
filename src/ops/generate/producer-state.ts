import type { ProducerSnapshotEntry } from '../../format/snapshot.js';
import type { Entry } from './workload.js';

/** A transaction ended by a marker: first data offset, marker offset, aborted or not. */
export interface CompletedTxn {
  producerId: number;
  firstOffset: number;
  lastOffset: number;
  isAborted: boolean;
}

const INT32_MAX = 2147483647;

function lastSequence(baseSequence: number, delta: number): number {
  if (baseSequence < 0) return -1;
  if (baseSequence > INT32_MAX - delta) return delta - (INT32_MAX - baseSequence) - 1;
  return baseSequence + delta;
}

/**
 * The broker's producer state (ProducerStateManager) as far as the files show it: one entry per
 * producer id (last batch metadata, epoch, coordinator epoch, open transaction) for `.snapshot`
 * files, and the ongoing transactions ordered by first offset for the last-stable-offset rule of
 * `.txnindex` entries.
 */
export class ProducerStateModel {
  private readonly producers = new Map<number, ProducerSnapshotEntry>();
  /** firstOffset -> producerId; insertion order is first-offset order (offsets only grow). */
  private readonly ongoing = new Map<number, number>();

  /** Apply one v2 batch; returns the transaction it completes (still counted as ongoing until `completeTxn`). */
  apply(
    e: Pick<Entry, 'magic' | 'producerId' | 'producerEpoch' | 'maxTimestamp' | 'marker' | 'baseOffset' | 'lastOffset' | 'baseSequence' | 'isTransactional'>,
  ): CompletedTxn | null {
    if (e.magic < 2 || e.producerId < 0) return null;
    let p = this.producers.get(e.producerId);
    if (!p) {
      p = {
        producerId: e.producerId,
        producerEpoch: e.producerEpoch,
        lastSequence: -1,
        lastOffset: -1,
        offsetDelta: 0,
        timestamp: -1,
        coordinatorEpoch: -1,
        currentTxnFirstOffset: -1,
      };
      this.producers.set(e.producerId, p);
    }
    p.producerEpoch = e.producerEpoch;
    p.timestamp = e.maxTimestamp;
    if (e.marker) {
      p.coordinatorEpoch = e.marker.coordinatorEpoch;
      const first = p.currentTxnFirstOffset;
      p.currentTxnFirstOffset = -1;
      if (first < 0) return null; // a marker without an open transaction completes nothing
      return { producerId: e.producerId, firstOffset: first, lastOffset: e.lastOffset, isAborted: e.marker.type === 'ABORT' };
    }
    const delta = e.lastOffset - e.baseOffset;
    p.lastSequence = lastSequence(e.baseSequence, delta);
    p.lastOffset = e.lastOffset;
    p.offsetDelta = delta;
    if (e.isTransactional && p.currentTxnFirstOffset < 0) {
      p.currentTxnFirstOffset = e.baseOffset;
      this.ongoing.set(e.baseOffset, e.producerId);
    }
    return null;
  }

  /**
   * ProducerStateManager.lastStableOffset(completedTxn): the first offset of the earliest ongoing
   * transaction of another producer, else the marker offset + 1.
   */
  lastStableOffset(t: CompletedTxn): number {
    for (const [firstOffset, producerId] of this.ongoing) if (producerId !== t.producerId) return firstOffset;
    return t.lastOffset + 1;
  }

  completeTxn(t: CompletedTxn): void {
    this.ongoing.delete(t.firstOffset);
  }

  /** Snapshot entries, ordered by producer id. */
  snapshot(): ProducerSnapshotEntry[] {
    return [...this.producers.values()].sort((a, b) => a.producerId - b.producerId).map((p) => ({ ...p }));
  }

  get size(): number {
    return this.producers.size;
  }
}
