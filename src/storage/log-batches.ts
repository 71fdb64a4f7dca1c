import { decodeBatch, decodeV2HeaderInto, frameEntry, HEADER_SIZE_UP_TO_MAGIC, MAGIC_OFFSET, newBatch, RECORD_BATCH_OVERHEAD, type Batch } from '../format/batch.js';
import { CorruptDataError } from '../format/errors.js';
import { stopAt, type StopInfo } from './log-reader.js';
import { PositionalReader } from './positional-reader.js';

/**
 * Sequential batch iteration over one .log file for the commands that rewrite partitions
 * (compact, truncate): storage/log-reader's logEntries framing (format doc 1.1, Kafka's
 * FileLogInputStream: frameEntry and stopAt, the same stop reasons and positions), without an
 * object per entry, through one pooled 1 MiB borrowed PositionalReader: no fresh memory per chunk,
 * nothing mapped (page faults on mapped files cost more than the copy here: 103 vs 63 ms for
 * 192 MB), nothing counted in RSS beyond the buffer.
 *
 * A returned batch's `bytes` is the reader's buffer (the batch at `start`), and a v2 batch is one
 * object this reader reuses: both are borrowed, valid until the next batch is read. Callers copy
 * what they keep (the cleaner appends batches to its writer at once).
 */
const CHUNK = 1024 * 1024;

/** What LogBatchReader.next() returns for an entry whose header cannot be decoded. */
export const BAD = Object.freeze({ bad: true });

export class LogBatchReader {
  private readonly r: PositionalReader<'borrowed'>;
  readonly size: number;

  /** `bufferSize`: tests use tiny ones to cross buffer boundaries; only the default size is pooled. */
  constructor(
    readonly path: string,
    bufferSize = CHUNK,
  ) {
    this.r = new PositionalReader(path, { lifetime: 'borrowed', size: bufferSize, pooled: bufferSize === CHUNK });
    this.size = this.r.size;
  }

  /** Why next() returned null. */
  stop: StopInfo | null = null;
  /** The entry next() returned BAD for. */
  bad: { position: number; size: number; error: CorruptDataError } | null = null;
  private pos = 0;

  /**
   * The next entry from position 0 on, as logEntries yields them (no objects besides the batch):
   * a batch, BAD for an entry whose header cannot be decoded (this.bad; framing goes on past it),
   * or null at the end (this.stop says why).
   */
  next(file: string | undefined, checkCrc: boolean): Batch | typeof BAD | null {
    const size = this.size;
    const pos = this.pos;
    if (pos >= size) return this.end({ reason: 'eof', position: pos, trailingBytes: 0 });
    const r = this.r;
    const hat = r.locate(pos, Math.min(HEADER_SIZE_UP_TO_MAGIC, size - pos));
    const frame = frameEntry(r.bytes, hat, pos, size);
    if (frame.kind !== 'entry') return this.end(stopAt(frame, pos, r));
    const entrySize = frame.size;
    const at = r.locate(pos, entrySize);
    const b = r.bytes;
    this.pos = pos + entrySize;
    const magic = (b[at + MAGIC_OFFSET]! << 24) >> 24;
    if (magic >= 2 && entrySize >= RECORD_BATCH_OVERHEAD) return this.decodeV2(at, entrySize, pos, file, checkCrc);
    try {
      return decodeBatch(b, at, entrySize, pos, file, checkCrc);
    } catch (e) {
      if (!(e instanceof CorruptDataError)) throw e;
      this.bad = { position: pos, size: entrySize, error: e.at({ file, position: pos }) };
      return BAD;
    }
  }

  /**
   * decodeBatch of a v2 header (at least 61 bytes), into one Batch object this reader reuses
   * (format/batch.ts decodeV2HeaderInto, the one v2 header decoder): the batch it returns is valid
   * until the next call, like its bytes.
   */
  private decodeV2(at: number, size: number, position: number, file: string | undefined, checkCrc: boolean): Batch {
    return decodeV2HeaderInto(this.r.bytes, at, size, position, file, checkCrc, this.reused);
  }

  private readonly reused: Batch = newBatch();

  private end(stop: StopInfo): null {
    this.stop = stop;
    return null;
  }

  close(): void {
    this.r.close();
  }
}
