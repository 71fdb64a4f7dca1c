import type { Batch } from '../../format/batch.js';
import { TXN_INDEX_ENTRY_SIZE } from '../../format/indexes.js';
import { readInt16, readInt64 } from '../../format/int64.js';
import type { Segment } from '../../storage/segments.js';
import type { CompletedTxn } from '../partition-scan/txn-tracker.js';
import type { Reporter } from './reporter.js';

/**
 * The checks of a segment's .txnindex (TransactionIndex: 34-byte AbortedTxn entries): its own
 * order when read, then each entry against the ABORT markers and the transactions the replay
 * (TxnTracker) completes in the segment.
 */
interface TxnEntry {
  slot: number;
  producerId: number;
  firstOffset: number;
  lastOffset: number;
  lastStableOffset: number;
}

export class TxnIndexCheck {
  private readonly file: string;
  private readonly entries: TxnEntry[] = [];
  private readonly byLast = new Map<number, TxnEntry>();
  private readonly markers = new Map<number, { producerId: number; type: 'ABORT' | 'COMMIT' }>();
  /** ABORT markers the replay completed that have no entry (checked at the end). */
  private readonly pendingMissing: CompletedTxn[] = [];
  /** The cleaner keeps an ABORT marker with a delete horizon but drops its entry once its data is gone. */
  private readonly horizonMarkers = new Set<number>();

  constructor(
    buf: Buffer,
    private readonly seg: Segment,
    private readonly rep: Reporter,
  ) {
    const file = (this.file = seg.txnindex!);
    if (buf.length % TXN_INDEX_ENTRY_SIZE !== 0) {
      rep.add(
        'TXNINDEX_SIZE_NOT_MULTIPLE',
        file,
        buf.length - (buf.length % TXN_INDEX_ENTRY_SIZE),
        null,
        `file is ${buf.length} bytes (expected a multiple of ${TXN_INDEX_ENTRY_SIZE}, found ${buf.length % TXN_INDEX_ENTRY_SIZE} extra bytes)`,
      );
    }
    const n = Math.floor(buf.length / TXN_INDEX_ENTRY_SIZE);
    let prevLast: number | null = null;
    for (let i = 0; i < n; i++) {
      const p = i * TXN_INDEX_ENTRY_SIZE;
      const version = readInt16(buf, p);
      const e: TxnEntry = {
        slot: i,
        producerId: readInt64(buf, p + 2),
        firstOffset: readInt64(buf, p + 10),
        lastOffset: readInt64(buf, p + 18),
        lastStableOffset: readInt64(buf, p + 26),
      };
      if (buf[p]! > 0 || version < 0) {
        rep.add('TXNINDEX_BAD_VERSION', file, p, e.lastOffset, `entry ${i} has version ${version} (expected 0, found ${version})`);
        continue;
      }
      if (prevLast !== null && e.lastOffset <= prevLast)
        rep.add('TXNINDEX_NOT_INCREASING', file, p, e.lastOffset, `entry ${i} lastOffset ${e.lastOffset} follows ${prevLast} (expected > ${prevLast}, found ${e.lastOffset})`);
      if (e.firstOffset > e.lastOffset)
        rep.add(
          'TXNINDEX_FIRST_AFTER_LAST',
          file,
          p,
          e.lastOffset,
          `entry ${i} firstOffset ${e.firstOffset} is above its lastOffset (expected <= ${e.lastOffset}, found ${e.firstOffset})`,
        );
      if (e.lastOffset < seg.baseOffset)
        rep.add(
          'TXNINDEX_OFFSET_OUT_OF_SEGMENT',
          file,
          p,
          e.lastOffset,
          `entry ${i} lastOffset ${e.lastOffset} is below the segment base (expected >= ${seg.baseOffset}, found ${e.lastOffset})`,
        );
      prevLast = e.lastOffset;
      this.entries.push(e);
      if (!this.byLast.has(e.lastOffset)) this.byLast.set(e.lastOffset, e);
    }
  }

  onAbortMarker(b: Batch): void {
    this.markers.set(b.baseOffset, { producerId: b.producerId, type: 'ABORT' });
    if (b.deleteHorizonMs !== null) this.horizonMarkers.add(b.baseOffset);
  }

  onCommitMarker(b: Batch): void {
    this.markers.set(b.baseOffset, { producerId: b.producerId, type: 'COMMIT' });
  }

  /** A transaction completed by a marker in this segment (replayed from the log). */
  onCompleted(t: CompletedTxn): void {
    if (!t.aborted) return;
    const e = this.byLast.get(t.lastOffset);
    if (!e) {
      this.pendingMissing.push(t);
      return;
    }
    if (t.startSeen && e.producerId === t.producerId && t.firstOffset < e.firstOffset) {
      this.rep.add(
        'TXNINDEX_FIRST_OFFSET_MISMATCH',
        this.file,
        e.slot * TXN_INDEX_ENTRY_SIZE,
        e.lastOffset,
        `entry ${e.slot} of producer ${e.producerId} says the aborted transaction starts at ${e.firstOffset}, but its first batch in the log is at ${t.firstOffset} (expected ${t.firstOffset}, found ${e.firstOffset})`,
      );
    }
  }

  finish(lastOffset: number | null): void {
    for (const e of this.entries) {
      const p = e.slot * TXN_INDEX_ENTRY_SIZE;
      if (e.lastOffset < this.seg.baseOffset) continue;
      if (lastOffset === null || e.lastOffset > lastOffset) {
        this.rep.add(
          'TXNINDEX_OFFSET_OUT_OF_SEGMENT',
          this.file,
          p,
          e.lastOffset,
          `entry ${e.slot} lastOffset ${e.lastOffset} is above the segment's last offset (expected <= ${lastOffset ?? this.seg.baseOffset - 1}, found ${e.lastOffset})`,
        );
        continue;
      }
      const m = this.markers.get(e.lastOffset);
      if (!m)
        this.rep.add(
          'TXNINDEX_MARKER_MISSING',
          this.file,
          p,
          e.lastOffset,
          `entry ${e.slot}: no ABORT marker at offset ${e.lastOffset} (expected an ABORT marker of producer ${e.producerId}, found none)`,
        );
      else if (m.type !== 'ABORT' || m.producerId !== e.producerId) {
        this.rep.add(
          'TXNINDEX_MARKER_MISSING',
          this.file,
          p,
          e.lastOffset,
          `entry ${e.slot}: the marker at offset ${e.lastOffset} is a ${m.type} of producer ${m.producerId} (expected an ABORT of producer ${e.producerId})`,
        );
      }
    }
    for (const t of this.pendingMissing) {
      if (this.horizonMarkers.has(t.lastOffset)) continue;
      this.rep.add(
        'TXNINDEX_ENTRY_MISSING',
        this.file,
        this.entries.length * TXN_INDEX_ENTRY_SIZE,
        t.lastOffset,
        `ABORT marker of producer ${t.producerId} at offset ${t.lastOffset} has no entry in ${this.file}`,
      );
    }
  }
}
