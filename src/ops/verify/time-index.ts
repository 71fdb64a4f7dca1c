import type { Batch } from '../../format/batch.js';
import { TIME_INDEX_ENTRY_SIZE } from '../../format/indexes.js';
import { readInt32, readInt64 } from '../../format/int64.js';
import type { Segment } from '../../storage/segments.js';
import type { IssueCodeName } from './codes.js';
import type { Reporter } from './reporter.js';
import { sortEntries, zeroTailStart } from './index-slots.js';

/**
 * The checks of a segment's .timeindex (TimeIndex: 12-byte entries, timestamp and relative offset):
 * its own order when read, then each entry against the running largest batch timestamp of the walk.
 */
export class TimeIndexCheck {
  private readonly file: string;
  private readonly n: number;
  private readonly slot: Int32Array;
  private readonly ts: Float64Array;
  private readonly rel: Int32Array;
  private readonly reported: Uint8Array;
  private k = 0;
  private readonly slots: number;
  private tailStart: number;
  /** Slot 0 is all zero: an entry (0, base) or the start of a zero tail; decided at the end. */
  private readonly slot0Zero: boolean;
  private runningMax = -1;
  /**
   * Batches were skipped (unframeable bytes) or had a bad CRC: the true running maximum may be
   * larger than what was seen, so only an entry below it is provably wrong.
   */
  private uncertain = false;

  constructor(
    buf: Buffer,
    private readonly seg: Segment,
    private readonly active: boolean,
    private readonly rep: Reporter,
  ) {
    this.file = seg.timeindex!;
    const file = this.file;
    if (buf.length % TIME_INDEX_ENTRY_SIZE !== 0) {
      rep.add(
        'TIMEINDEX_SIZE_NOT_MULTIPLE',
        file,
        buf.length - (buf.length % TIME_INDEX_ENTRY_SIZE),
        null,
        `file is ${buf.length} bytes (expected a multiple of ${TIME_INDEX_ENTRY_SIZE}, found ${buf.length % TIME_INDEX_ENTRY_SIZE} extra bytes)`,
      );
    }
    this.slots = Math.floor(buf.length / TIME_INDEX_ENTRY_SIZE);
    this.tailStart = zeroTailStart(buf, TIME_INDEX_ENTRY_SIZE);
    this.slot0Zero = this.tailStart === 0 && this.slots > 0;
    const n = this.tailStart;
    const slot = new Int32Array(n);
    const ts = new Float64Array(n);
    const rel = new Int32Array(n);
    let sorted = true;
    for (let i = 0; i < n; i++) {
      const t = readInt64(buf, i * 12);
      const r = readInt32(buf, i * 12 + 8);
      slot[i] = i;
      ts[i] = t;
      rel[i] = r;
      const abs = seg.baseOffset + r;
      if (r < 0) rep.add('TIMEINDEX_OFFSET_BELOW_BASE', file, i * 12, abs, `entry ${i} has relative offset ${r} (expected >= 0, found ${r})`);
      else if (i > 0 && t <= ts[i - 1]!)
        rep.add('TIMEINDEX_NOT_INCREASING', file, i * 12, abs, `entry ${i} timestamp ${t} follows ${ts[i - 1]} (expected > ${ts[i - 1]}, found ${t})`);
      else if (i > 0 && r < rel[i - 1]!)
        rep.add(
          'TIMEINDEX_OFFSET_NOT_INCREASING',
          file,
          i * 12,
          abs,
          `entry ${i} offset ${abs} follows offset ${seg.baseOffset + rel[i - 1]!} (expected >= ${seg.baseOffset + rel[i - 1]!}, found ${abs})`,
        );
      if (i > 0 && r < rel[i - 1]!) sorted = false;
    }
    if (!sorted) {
      sortEntries(rel, [slot, ts, rel]);
    }
    this.n = n;
    this.slot = slot;
    this.ts = ts;
    this.rel = rel;
    this.reported = new Uint8Array(n);
  }

  private flag(j: number, code: IssueCodeName, message: string): void {
    if (this.reported[j]) return;
    this.reported[j] = 1;
    this.rep.add(code, this.file, this.slot[j]! * 12, this.seg.baseOffset + this.rel[j]!, message);
  }

  private checkTs(j: number, expected: number): void {
    const t = this.ts[j]!;
    if (t < expected || (t > expected && !this.uncertain)) {
      this.flag(
        j,
        'TIMEINDEX_TIMESTAMP_MISMATCH',
        `entry ${this.slot[j]} (offset ${this.seg.baseOffset + this.rel[j]!}) says the largest timestamp so far is ${t} (expected ${expected}, the largest batch maxTimestamp up to that offset, found ${t})`,
      );
    }
  }

  /** Bytes that hold no readable batch were skipped. */
  onSkip(): void {
    this.uncertain = true;
  }

  onBatch(b: Batch): void {
    const base = this.seg.baseOffset;
    while (this.k < this.n && base + this.rel[this.k]! < b.baseOffset) {
      const abs = base + this.rel[this.k]!;
      this.checkTs(this.k, this.runningMax);
      if (!this.uncertain) this.flag(this.k, 'TIMEINDEX_OFFSET_NOT_FOUND', `entry ${this.slot[this.k]} offset ${abs} is in no batch (the next batch starts at ${b.baseOffset})`);
      this.k++;
    }
    if (!b.crcValid) this.uncertain = true;
    else if (b.maxTimestamp > this.runningMax) this.runningMax = b.maxTimestamp;
    while (this.k < this.n && base + this.rel[this.k]! <= b.lastOffset) {
      this.checkTs(this.k, this.runningMax);
      this.k++;
    }
  }

  finish(lastOffset: number | null): number {
    for (; this.k < this.n; this.k++) {
      const abs = this.seg.baseOffset + this.rel[this.k]!;
      if (this.uncertain) {
        // Unreadable batches may hold this offset: only a timestamp below what was seen is wrong.
        this.checkTs(this.k, this.runningMax);
        continue;
      }
      this.flag(
        this.k,
        'TIMEINDEX_OFFSET_BEYOND_LOG_END',
        `entry ${this.slot[this.k]} has offset ${abs}, above the segment's last offset (expected <= ${lastOffset ?? this.seg.baseOffset - 1}, found ${abs})`,
      );
    }
    // A single all-zero entry (timestamp 0 at the base offset) is real when the data says so.
    if (this.slot0Zero && this.runningMax === 0 && lastOffset !== null) this.tailStart = 1;
    const zeros = this.slots - this.tailStart;
    if (zeros > 0 && !this.active) {
      this.rep.add(
        'TIMEINDEX_ZERO_TAIL',
        this.file,
        this.tailStart * 12,
        null,
        `${zeros} all-zero entries from byte ${this.tailStart * 12} on an inactive segment (expected the file trimmed to ${this.tailStart * 12} bytes, found ${this.slots * 12}); Kafka would read this segment's largest timestamp as 0`,
      );
      return 0;
    }
    return zeros;
  }
}
