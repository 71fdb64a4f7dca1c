import path from 'node:path';
import type { Batch } from '../../format/batch.js';
import { batchRecords } from '../../format/batch.js';
import { parseTxnIndex, type AbortedTxn } from '../../format/indexes.js';
import { readWholeFile } from '../../storage/source.js';
import type { SegmentInfo } from '../partition-state.js';

/**
 * Kafka's CleanedTransactionMetadata (format doc 7.5): which batches belong to aborted
 * transactions, and which transaction markers may go. Aborted transactions come from the
 * .txnindex files; a min-heap by first offset releases them as the cleaner reaches their data.
 */
export class CleanedTransactionMetadata {
  private readonly ongoingCommitted = new Set<number>();
  private readonly ongoingAborted = new Map<number, { txn: AbortedTxn; lastObservedBatchOffset: number | null }>();
  private readonly heap: AbortedTxn[] = [];
  /** Where retained ABORT markers re-append their entry (the cleaned segment's .txnindex). */
  cleanedIndex: ((txn: AbortedTxn) => void) | null = null;

  addAbortedTransactions(txns: AbortedTxn[]): void {
    for (const t of txns) this.push(t);
  }

  private push(t: AbortedTxn): void {
    const h = this.heap;
    h.push(t);
    let i = h.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (h[parent]!.firstOffset <= t.firstOffset) break;
      h[i] = h[parent]!;
      i = parent;
    }
    h[i] = t;
  }

  private pop(): AbortedTxn {
    const h = this.heap;
    const top = h[0]!;
    const last = h.pop()!;
    if (h.length > 0) {
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        if (l >= h.length) break;
        const r = l + 1;
        const c = r < h.length && h[r]!.firstOffset < h[l]!.firstOffset ? r : l;
        if (h[c]!.firstOffset >= last.firstOffset) break;
        h[i] = h[c]!;
        i = c;
      }
      h[i] = last;
    }
    return top;
  }

  private consumeAbortedTxnsUpTo(offset: number): void {
    while (this.heap.length > 0 && this.heap[0]!.firstOffset <= offset) {
      const t = this.pop();
      if (!this.ongoingAborted.has(t.producerId)) this.ongoingAborted.set(t.producerId, { txn: t, lastObservedBatchOffset: null });
    }
  }

  /** A control batch: true when it may be discarded (its transaction has no data left in this pass). */
  onControlBatchRead(batch: Batch): boolean {
    this.consumeAbortedTxnsUpTo(batch.lastOffset);
    if (batch.recordCount === 0) return true; // an empty control batch was already cleaned
    let first = null;
    for (const r of batchRecords(batch)) {
      first = r;
      break;
    }
    if (!first) return true;
    const type = first.control?.type;
    const pid = batch.producerId;
    if (type === 'ABORT') {
      const meta = this.ongoingAborted.get(pid);
      this.ongoingAborted.delete(pid);
      // Keep the marker until every batch of the transaction is gone.
      if (meta && meta.lastObservedBatchOffset !== null) {
        this.cleanedIndex?.(meta.txn);
        return false;
      }
      return true;
    }
    if (type === 'COMMIT') return !this.ongoingCommitted.delete(pid);
    return false;
  }

  /** A data batch: true when it belongs to an aborted transaction (and may be discarded). */
  onBatchRead(batch: Batch): boolean {
    this.consumeAbortedTxnsUpTo(batch.lastOffset);
    if (!batch.isTransactional) return false;
    const meta = this.ongoingAborted.get(batch.producerId);
    if (meta) {
      meta.lastObservedBatchOffset = batch.lastOffset;
      return true;
    }
    this.ongoingCommitted.add(batch.producerId);
    return false;
  }
}

/**
 * UnifiedLog.collectAbortedTransactions: from the segment holding `from` onward, the .txnindex
 * entries with lastOffset >= logStartOffset and firstOffset < upperBound, stopping after a segment
 * that holds an entry whose lastStableOffset >= upperBound (the search is complete).
 */
export class AbortedTxnSource {
  private readonly cache = new Map<string, AbortedTxn[]>();
  constructor(
    private readonly dir: string,
    private readonly segments: SegmentInfo[],
    private readonly logStartOffset: number,
  ) {}

  private entries(seg: SegmentInfo): AbortedTxn[] {
    if (!seg.txnindex) return [];
    let e = this.cache.get(seg.txnindex);
    if (!e) {
      e = parseTxnIndex(readWholeFile(path.join(this.dir, seg.txnindex)), seg.txnindex).entries;
      this.cache.set(seg.txnindex, e);
    }
    return e;
  }

  collect(from: number, upperBound: number): AbortedTxn[] {
    let i = 0;
    for (let j = 0; j < this.segments.length; j++) if (this.segments[j]!.baseOffset <= from) i = j;
    const out: AbortedTxn[] = [];
    for (; i < this.segments.length; i++) {
      for (const t of this.entries(this.segments[i]!)) {
        if (t.lastOffset >= this.logStartOffset && t.firstOffset < upperBound) out.push(t);
        if (t.lastStableOffset >= upperBound) return out;
      }
    }
    return out;
  }
}
