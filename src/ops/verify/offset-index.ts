import type { Batch } from '../../format/batch.js';
import { OFFSET_INDEX_ENTRY_SIZE } from '../../format/indexes.js';
import { readInt32 } from '../../format/int64.js';
import type { Segment } from '../../storage/segments.js';
import type { IssueCodeName } from './codes.js';
import type { Reporter } from './reporter.js';
import { sortEntries, zeroTailStart } from './index-slots.js';

/**
 * The checks of a segment's .index (OffsetIndex: 8-byte entries, relative offset and position):
 * its own order when read, then each entry against the batches of the log walk, in position order.
 */
export class OffsetIndexCheck {
  private readonly file: string;
  private readonly n: number;
  private readonly slot: Int32Array;
  private readonly rel: Int32Array;
  private readonly pos: Int32Array;
  private readonly reported: Uint8Array;
  private k = 0;
  private readonly tailStart: number;
  private readonly slots: number;

  constructor(
    buf: Buffer,
    private readonly seg: Segment,
    private readonly active: boolean,
    private readonly rep: Reporter,
  ) {
    this.file = seg.index!;
    const file = this.file;
    if (buf.length % OFFSET_INDEX_ENTRY_SIZE !== 0) {
      rep.add(
        'INDEX_SIZE_NOT_MULTIPLE',
        file,
        buf.length - (buf.length % OFFSET_INDEX_ENTRY_SIZE),
        null,
        `file is ${buf.length} bytes (expected a multiple of ${OFFSET_INDEX_ENTRY_SIZE}, found ${buf.length % OFFSET_INDEX_ENTRY_SIZE} extra bytes)`,
      );
    }
    this.slots = Math.floor(buf.length / OFFSET_INDEX_ENTRY_SIZE);
    this.tailStart = zeroTailStart(buf, OFFSET_INDEX_ENTRY_SIZE);
    const n = this.tailStart;
    const slot = new Int32Array(n);
    const rel = new Int32Array(n);
    const pos = new Int32Array(n);
    let sorted = true;
    let prevRel = -1;
    let prevPos = -1;
    for (let i = 0; i < n; i++) {
      const r = readInt32(buf, i * 8);
      const p = readInt32(buf, i * 8 + 4);
      slot[i] = i;
      rel[i] = r;
      pos[i] = p;
      const abs = seg.baseOffset + r;
      if (r < 0) rep.add('INDEX_OFFSET_BELOW_BASE', file, i * 8, abs, `entry ${i} has relative offset ${r} (expected >= 0, found ${r})`);
      else if (i > 0 && r <= prevRel)
        rep.add(
          'INDEX_OFFSET_NOT_INCREASING',
          file,
          i * 8,
          abs,
          `entry ${i} offset ${abs} follows offset ${seg.baseOffset + prevRel} (expected > ${seg.baseOffset + prevRel}, found ${abs})`,
        );
      else if (i > 0 && p <= prevPos)
        rep.add('INDEX_POSITION_NOT_INCREASING', file, i * 8, abs, `entry ${i} position ${p} follows position ${prevPos} (expected > ${prevPos}, found ${p})`);
      if (i > 0 && p < prevPos) sorted = false;
      prevRel = r;
      prevPos = p;
    }
    if (!sorted) {
      sortEntries(pos, [slot, rel, pos]);
    }
    this.n = n;
    this.slot = slot;
    this.rel = rel;
    this.pos = pos;
    this.reported = new Uint8Array(n);
  }

  private flag(j: number, code: IssueCodeName, message: string): void {
    if (this.reported[j]) return;
    this.reported[j] = 1;
    this.rep.add(code, this.file, this.slot[j]! * 8, this.seg.baseOffset + this.rel[j]!, message);
  }

  /**
   * Entries pointing into [from, to), bytes that hold no readable batch. An entry at `from` points
   * at the start of the broken entry, whose problem is already reported; the others point into it.
   */
  onSkip(from: number, to: number): void {
    while (this.k < this.n && this.pos[this.k]! < from) {
      const p = this.pos[this.k]!;
      this.flag(
        this.k,
        'INDEX_POSITION_NOT_BATCH_START',
        `entry ${this.slot[this.k]} points to ${p}, which is not a batch start (expected ${from} or an earlier batch start, found ${p})`,
      );
      this.k++;
    }
    while (this.k < this.n && this.pos[this.k]! < to) {
      const p = this.pos[this.k]!;
      if (p > from)
        this.flag(this.k, 'INDEX_POSITION_NOT_BATCH_START', `entry ${this.slot[this.k]} points to ${p}, inside bytes that are not a valid batch (expected a batch start)`);
      this.k++;
    }
  }

  /** An entry Kafka frames but whose header could not be decoded: only its start is a valid position. */
  onOpaque(start: number, size: number): void {
    this.inside(start, size);
  }

  onBatch(b: Batch): void {
    this.inside(b.position, b.size, b);
  }

  private inside(start: number, size: number, b?: Batch): void {
    while (this.k < this.n && this.pos[this.k]! < start) {
      const p = this.pos[this.k]!;
      this.flag(
        this.k,
        'INDEX_POSITION_NOT_BATCH_START',
        `entry ${this.slot[this.k]} points to ${p}, which is not a batch start (expected ${start}, the next batch start, found ${p})`,
      );
      this.k++;
    }
    while (this.k < this.n && this.pos[this.k]! === start) {
      // At an entry whose header is not believed, only the position can be judged.
      if (!b) this.reported[this.k] = 1;
      else {
        const abs = this.seg.baseOffset + this.rel[this.k]!;
        if (abs < b.baseOffset)
          this.flag(
            this.k,
            'INDEX_OFFSET_MISMATCH',
            `entry ${this.slot[this.k]} (offset ${abs}) points to the batch at ${start} whose offsets start at ${b.baseOffset} (expected offset >= ${b.baseOffset}, normally ${b.lastOffset}; found ${abs})`,
          );
      }
      this.k++;
    }
    while (this.k < this.n && this.pos[this.k]! < start + size) {
      const p = this.pos[this.k]!;
      this.flag(
        this.k,
        'INDEX_POSITION_NOT_BATCH_START',
        `entry ${this.slot[this.k]} (offset ${this.seg.baseOffset + this.rel[this.k]!}) points to ${p}, inside the batch at ${start} (expected ${start}, found ${p})`,
      );
      this.k++;
    }
  }

  /** Returns the number of preallocated zero slots on the active segment (not an issue there). */
  finish(lastOffset: number | null, validEnd: number, fileSize: number): number {
    for (; this.k < this.n; this.k++) {
      const p = this.pos[this.k]!;
      const where = p >= fileSize ? `beyond the end of the file (${fileSize} bytes)` : `past the end of the valid data (${validEnd})`;
      this.flag(this.k, 'INDEX_POSITION_BEYOND_LOG_END', `entry ${this.slot[this.k]} points to ${p}, ${where} (expected < ${validEnd}, found ${p})`);
    }
    for (let j = 0; j < this.n; j++) {
      const abs = this.seg.baseOffset + this.rel[j]!;
      if (lastOffset === null || abs > lastOffset) {
        this.flag(
          j,
          'INDEX_OFFSET_BEYOND_LOG_END',
          `entry ${this.slot[j]} has offset ${abs}, above the segment's last offset (expected <= ${lastOffset ?? this.seg.baseOffset - 1}, found ${abs})`,
        );
      }
    }
    const zeros = this.slots - this.tailStart;
    if (zeros > 0 && !this.active) {
      this.rep.add(
        'INDEX_ZERO_TAIL',
        this.file,
        this.tailStart * 8,
        null,
        `${zeros} all-zero entries from byte ${this.tailStart * 8} on an inactive segment (expected the file trimmed to ${this.tailStart * 8} bytes, found ${this.slots * 8})`,
      );
      return 0;
    }
    return zeros;
  }
}
