import fs from 'node:fs';
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
  HEADER_SIZE_UP_TO_MAGIC,
  LAST_OFFSET_DELTA_OFFSET,
  LOG_OVERHEAD,
  MAGIC_OFFSET,
  MAX_TIMESTAMP_OFFSET,
  PARTITION_LEADER_EPOCH_OFFSET,
  PRODUCER_EPOCH_OFFSET,
  PRODUCER_ID_OFFSET,
  RECORD_BATCH_OVERHEAD,
  RECORD_OVERHEAD_V0,
  RECORDS_COUNT_OFFSET,
  SIZE_OFFSET,
  type Batch,
} from '../../format/batch.js';
import { compressionName } from '../../format/compression.js';
import { crc32c } from '../../format/crc.js';
import { readInt16, readInt32, readInt64, readUInt32 } from '../../format/int64.js';
import { CorruptDataError, IoError, ioError } from '../../format/errors.js';
import type { LogItem, StopInfo } from '../../storage/log-reader.js';
import { openForRead } from '../../storage/source.js';

/**
 * Sequential batch iteration over one .log file for the commands that rewrite partitions
 * (compact, truncate): the framing rules of storage/log-reader's logEntries (format doc 1.1, the
 * same stop reasons and positions), but reading through one reusable 1 MiB buffer with positional
 * reads: no fresh memory per chunk, nothing mapped (page faults on mapped files cost more than the
 * copy here: 103 vs 63 ms for 192 MB), nothing counted in RSS beyond the buffer.
 *
 * A returned batch's `bytes` is that buffer (the batch at `start`), and a v2 batch is one object
 * the reader reuses: both are valid until the next batch is read. Callers copy what they keep
 * (the cleaner appends batches to its writer at once).
 */
const CHUNK = 1024 * 1024;

/** What SegmentReader.next() returns for an entry whose header cannot be decoded. */
export const BAD = Object.freeze({ bad: true });


/** Buffers kept for the next reader (one per nesting level; readers are used one at a time). */
const pool: Buffer[] = [];

export class SegmentReader {
  private readonly fd: number;
  readonly size: number;
  private buf: Buffer;
  /** File position of buf[0] and the number of valid bytes in buf. */
  private bufPos = 0;
  private fill = 0;
  private closed = false;

  constructor(readonly path: string) {
    ({ fd: this.fd, size: this.size } = openForRead(path));
    this.buf = pool.pop() ?? Buffer.allocUnsafe(CHUNK);
  }

  /** Make [pos, pos + len) available in the buffer; returns its start within the buffer. */
  private ensure(pos: number, len: number): number {
    if (pos >= this.bufPos && pos + len <= this.bufPos + this.fill) return pos - this.bufPos;
    if (len > this.buf.length) {
      let cap = this.buf.length;
      while (cap < len) cap *= 2;
      this.buf = Buffer.allocUnsafe(cap);
    }
    const want = Math.min(this.buf.length, this.size - pos);
    let done = 0;
    while (done < want) {
      let n: number;
      try {
        n = fs.readSync(this.fd, this.buf, done, want - done, pos + done);
      } catch (e) {
        throw ioError(e, this.path);
      }
      if (n === 0) break;
      done += n;
    }
    if (done < len) throw new IoError('EOF', `file shrank while reading (expected ${len} bytes at ${pos})`, { file: this.path, position: pos });
    this.bufPos = pos;
    this.fill = done;
    return 0;
  }

  /** A view of [pos, pos + len) of the file, valid until the next read. */
  read(pos: number, len: number): Buffer {
    const at = this.ensure(pos, len);
    return this.buf.subarray(at, at + len);
  }

  private isZero(pos: number): boolean {
    for (let p = pos; p < this.size; ) {
      const n = Math.min(this.buf.length, this.size - p);
      const at = this.ensure(p, n);
      const b = this.buf;
      for (let i = at; i < at + n; i++) if (b[i] !== 0) return false;
      p += n;
    }
    return true;
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
    // frameEntry, inline
    if (pos >= size - HEADER_SIZE_UP_TO_MAGIC) return this.end({ reason: 'short-tail', position: pos, trailingBytes: Math.max(0, size - pos), zeroTail: this.isZero(pos) });
    const hat = this.ensure(pos, HEADER_SIZE_UP_TO_MAGIC);
    const b = this.buf;
    const sizeField = (b[hat + SIZE_OFFSET]! << 24) | (b[hat + SIZE_OFFSET + 1]! << 16) | (b[hat + SIZE_OFFSET + 2]! << 8) | b[hat + SIZE_OFFSET + 3]!;
    if (sizeField < RECORD_OVERHEAD_V0) return this.end({ reason: 'corrupt-size', position: pos, trailingBytes: size - pos, sizeField, zeroTail: this.isZero(pos) });
    const entrySize = LOG_OVERHEAD + sizeField;
    if (pos > size - entrySize) return this.end({ reason: 'partial-batch', position: pos, trailingBytes: size - pos, sizeField: entrySize - 12, zeroTail: false });
    const at = this.ensure(pos, entrySize);
    this.pos = pos + entrySize;
    const magic = (this.buf[at + MAGIC_OFFSET]! << 24) >> 24;
    if (magic >= 2 && entrySize >= RECORD_BATCH_OVERHEAD) return this.decodeV2(at, entrySize, pos, file, checkCrc, magic);
    try {
      return decodeBatch(this.buf, at, entrySize, pos, file, checkCrc);
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
    const b = this.buf;
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

  /**
   * The entries of the file from position 0, as logEntries yields them; the return value says why
   * iteration stopped.
   */
  *entries(file: string | undefined, checkCrc: boolean): Generator<LogItem, StopInfo> {
    for (;;) {
      const b = this.next(file, checkCrc);
      if (b === null) return this.stop!;
      if (b === BAD) yield { kind: 'bad-entry', ...this.bad! };
      else yield { kind: 'batch', batch: b as Batch };
    }
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    if (this.buf.length === CHUNK && pool.length < 4) pool.push(this.buf);
    try {
      fs.closeSync(this.fd);
    } catch (e) {
      throw ioError(e, this.path);
    }
  }
}
