import { encodeOffsetIndexEntry, encodeTimeIndexEntry, OFFSET_INDEX_ENTRY_SIZE, TIME_INDEX_ENTRY_SIZE } from './indexes.js';

/**
 * Kafka's rule for sparse index entries (format doc 3.3), as recovery and (since KAFKA-806)
 * appends apply it per batch. Feed batches in file order with `add`; `finish` appends the final
 * time-index entry (roll / clean close / end of recovery) and returns files trimmed to their
 * entries. The first batch of a segment is never indexed.
 *
 * For the pre-2025 once-per-append layout call `add` once per append with the append's first
 * position, its total size, the last offset of the whole append and its max timestamp / offset.
 */
export interface IndexBuilderOptions {
  baseOffset: number;
  indexIntervalBytes: number;
}

export class IndexBuilder {
  readonly baseOffset: number;
  readonly indexIntervalBytes: number;
  private offsets: number[] = []; // relative offset, position pairs
  private times: number[] = []; // timestamp, relative offset pairs
  private bytesSinceLastIndexEntry = 0;
  private maxTimestampSoFar = -1;
  private offsetOfMaxTimestampSoFar = -1;
  /**
   * The first append at which Kafka's OffsetIndex.append / TimeIndex.maybeAppend would throw
   * InvalidOffsetException (offsets going backwards at an index point), or null. `position` is the
   * batch being added (null: the final time-index append of `finish`). The entry itself is skipped
   * here, so the rebuilt files stay valid.
   */
  invalidOffset: { position: number | null; offset: number; message: string } | null = null;

  constructor(opts: IndexBuilderOptions) {
    this.baseOffset = opts.baseOffset;
    this.indexIntervalBytes = opts.indexIntervalBytes;
  }

  /**
   * One batch (or one append) at `position` of `size` bytes whose last offset is `lastOffset` and
   * whose max timestamp is `maxTimestamp`, reached at `offsetOfMaxTimestamp` (normally lastOffset).
   */
  add(position: number, size: number, lastOffset: number, maxTimestamp: number, offsetOfMaxTimestamp = lastOffset): void {
    if (maxTimestamp > this.maxTimestampSoFar) {
      this.maxTimestampSoFar = maxTimestamp;
      this.offsetOfMaxTimestampSoFar = offsetOfMaxTimestamp;
    }
    if (this.bytesSinceLastIndexEntry > this.indexIntervalBytes) {
      this.appendOffset(lastOffset, position);
      this.maybeAppendTime(this.maxTimestampSoFar, this.offsetOfMaxTimestampSoFar, position);
      this.bytesSinceLastIndexEntry = 0;
    }
    this.bytesSinceLastIndexEntry += size;
  }

  private appendOffset(offset: number, position: number): void {
    const rel = offset - this.baseOffset;
    const n = this.offsets.length;
    if (n > 0 && rel <= this.offsets[n - 2]!) {
      // Kafka would throw InvalidOffsetException; keep the index valid. (An offset outside the
      // segment's relative range makes Kafka split the segment instead: not recorded.)
      if (rel >= 0 && rel <= 0x7fffffff)
        this.invalidOffset ??= {
          position,
          offset,
          message: `offset index entry for offset ${offset} (batch at byte ${position}) is not above the last one (${this.offsets[n - 2]! + this.baseOffset})`,
        };
      return;
    }
    this.offsets.push(rel, position);
  }

  /** TimeIndex.maybeAppend: only when the timestamp is larger than the last entry's (initially -1). */
  private maybeAppendTime(timestamp: number, offset: number, position: number | null): void {
    const n = this.times.length;
    if (n > 0 && offset - this.baseOffset < this.times[n - 1]!) {
      this.invalidOffset ??= {
        position,
        offset,
        message: `time index entry for offset ${offset}${position === null ? ' (the final entry of the segment)' : ` (batch at byte ${position})`} is below the last one (${this.times[n - 1]! + this.baseOffset})`,
      };
    }
    const lastTs = n === 0 ? -1 : this.times[n - 2]!;
    if (timestamp > lastTs) this.times.push(timestamp, offset - this.baseOffset);
  }

  get maxTimestamp(): number {
    return this.maxTimestampSoFar;
  }

  get offsetOfMaxTimestamp(): number {
    return this.offsetOfMaxTimestampSoFar;
  }

  get indexEntries(): number {
    return this.offsets.length / 2;
  }

  /** Final time-index entry and the trimmed file contents. */
  finish(): { index: Buffer; timeindex: Buffer } {
    this.maybeAppendTime(this.maxTimestampSoFar, this.offsetOfMaxTimestampSoFar, null);
    const index = Buffer.alloc((this.offsets.length / 2) * OFFSET_INDEX_ENTRY_SIZE);
    for (let i = 0; i < this.offsets.length; i += 2) encodeOffsetIndexEntry(index, i / 2, this.offsets[i]!, this.offsets[i + 1]!);
    const timeindex = Buffer.alloc((this.times.length / 2) * TIME_INDEX_ENTRY_SIZE);
    for (let i = 0; i < this.times.length; i += 2) encodeTimeIndexEntry(timeindex, i / 2, this.times[i]!, this.times[i + 1]!);
    return { index, timeindex };
  }
}
