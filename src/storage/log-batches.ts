import {
  ATTR_COMPRESSION_MASK,
  ATTR_CONTROL,
  ATTR_DELETE_HORIZON,
  ATTR_TIMESTAMP_TYPE,
  ATTR_TRANSACTIONAL,
  ATTRIBUTES_OFFSET,
  BASE_SEQUENCE_OFFSET,
  BASE_TIMESTAMP_OFFSET,
  CRC_OFFSET,
  decodeBatch,
  frameEntry,
  HEADER_SIZE_UP_TO_MAGIC,
  LAST_OFFSET_DELTA_OFFSET,
  MAGIC_OFFSET,
  MAX_TIMESTAMP_OFFSET,
  PARTITION_LEADER_EPOCH_OFFSET,
  PRODUCER_EPOCH_OFFSET,
  PRODUCER_ID_OFFSET,
  RECORD_BATCH_OVERHEAD,
  RECORDS_COUNT_OFFSET,
  type Batch,
} from '../format/batch.js';
import { compressionName } from '../format/compression.js';
import { crc32c } from '../format/crc.js';
import { readInt16, readInt32, readInt64, readUInt32 } from '../format/int64.js';
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
    if (magic >= 2 && entrySize >= RECORD_BATCH_OVERHEAD) return this.decodeV2(at, entrySize, pos, file, checkCrc, magic);
    try {
      return decodeBatch(b, at, entrySize, pos, file, checkCrc);
    } catch (e) {
      if (!(e instanceof CorruptDataError)) throw e;
      this.bad = { position: pos, size: entrySize, error: e.at({ file, position: pos }) };
      return BAD;
    }
  }

  /**
   * decodeBatch of a v2 header (at least 61 bytes), into one Batch object this reader reuses: the
   * batch it returns is valid until the next call, like its bytes.
   */
  private decodeV2(at: number, size: number, position: number, file: string | undefined, checkCrc: boolean, magic: number): Batch {
    const b = this.r.bytes;
    const r = this.reused;
    const attributes = readInt16(b, at + ATTRIBUTES_OFFSET);
    const lastOffsetDelta = readInt32(b, at + LAST_OFFSET_DELTA_OFFSET);
    const baseOffset = readInt64(b, at);
    const baseTimestamp = readInt64(b, at + BASE_TIMESTAMP_OFFSET);
    const crc = readUInt32(b, at + CRC_OFFSET);
    const computedCrc = checkCrc ? crc32c(b, at + ATTRIBUTES_OFFSET, at + size) : -1;
    const compressionId = attributes & ATTR_COMPRESSION_MASK;
    r.file = file;
    r.position = position;
    r.size = size;
    r.magic = magic;
    r.baseOffset = baseOffset;
    r.lastOffset = baseOffset + lastOffsetDelta;
    r.entryOffset = baseOffset;
    r.crc = crc;
    r.crcValid = crc === computedCrc;
    r.computedCrc = computedCrc;
    r.attributes = attributes;
    r.compressionId = compressionId;
    r.compression = compressionName(compressionId);
    r.timestampType = (attributes & ATTR_TIMESTAMP_TYPE) !== 0 ? 'LogAppendTime' : 'CreateTime';
    r.isTransactional = (attributes & ATTR_TRANSACTIONAL) !== 0;
    r.isControl = (attributes & ATTR_CONTROL) !== 0;
    r.deleteHorizonMs = (attributes & ATTR_DELETE_HORIZON) !== 0 ? baseTimestamp : null;
    r.partitionLeaderEpoch = readInt32(b, at + PARTITION_LEADER_EPOCH_OFFSET);
    r.lastOffsetDelta = lastOffsetDelta;
    r.baseTimestamp = baseTimestamp;
    r.maxTimestamp = readInt64(b, at + MAX_TIMESTAMP_OFFSET);
    r.producerId = readInt64(b, at + PRODUCER_ID_OFFSET);
    r.producerEpoch = readInt16(b, at + PRODUCER_EPOCH_OFFSET);
    r.baseSequence = readInt32(b, at + BASE_SEQUENCE_OFFSET);
    r.recordCount = readInt32(b, at + RECORDS_COUNT_OFFSET);
    r.bytes = b;
    r.start = at;
    return r;
  }

  private readonly reused: Batch = {
    file: undefined,
    position: 0,
    size: 0,
    magic: 2,
    baseOffset: 0,
    lastOffset: 0,
    entryOffset: 0,
    crc: 0,
    crcValid: false,
    computedCrc: -1,
    attributes: 0,
    compressionId: 0,
    compression: 'none',
    timestampType: 'CreateTime',
    isTransactional: false,
    isControl: false,
    deleteHorizonMs: null,
    partitionLeaderEpoch: 0,
    lastOffsetDelta: 0,
    baseTimestamp: 0,
    maxTimestamp: 0,
    producerId: 0,
    producerEpoch: 0,
    baseSequence: 0,
    recordCount: 0,
    bytes: Buffer.alloc(0),
    start: 0,
  };

  private end(stop: StopInfo): null {
    this.stop = stop;
    return null;
  }

  close(): void {
    this.r.close();
  }
}
