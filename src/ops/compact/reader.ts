import fs from 'node:fs';
import { decodeBatch, frameEntry, HEADER_SIZE_UP_TO_MAGIC, type Batch } from '../../format/batch.js';
import { CorruptDataError, IoError, ioError } from '../../format/errors.js';
import type { LogItem, StopInfo } from '../../storage/log-reader.js';

/**
 * Sequential batch iteration over one .log file for the commands that rewrite partitions
 * (compact, truncate): the framing rules of storage/log-reader's logEntries (format doc 1.1, the
 * same stop reasons and positions), but reading through one reusable 1 MiB buffer with positional
 * reads: no fresh memory per chunk, nothing mapped (page faults on mapped files cost more than the
 * copy here: 103 vs 63 ms for 192 MB), nothing counted in RSS beyond the buffer.
 *
 * A yielded batch's `bytes` is that buffer (the batch at `start`): valid until the next item is
 * requested. Callers copy what they keep (the cleaner appends batches to its writer at once).
 */
const CHUNK = 1024 * 1024;


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
    try {
      this.fd = fs.openSync(path, 'r');
    } catch (e) {
      throw ioError(e, path);
    }
    try {
      this.size = fs.fstatSync(this.fd).size;
    } catch (e) {
      fs.closeSync(this.fd);
      throw ioError(e, path);
    }
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

  /**
   * The entries of the file from position 0, as logEntries yields them; the return value says why
   * iteration stopped.
   */
  *entries(file: string | undefined, checkCrc: boolean): Generator<LogItem, StopInfo> {
    const size = this.size;
    let pos = 0;
    for (;;) {
      if (pos >= size) return { reason: 'eof', position: pos, trailingBytes: 0 };
      const hdrLen = Math.min(HEADER_SIZE_UP_TO_MAGIC, size - pos);
      const hat = this.ensure(pos, hdrLen);
      const frame = frameEntry(this.buf, hat, pos, size);
      if (frame.kind === 'short-tail') return { reason: 'short-tail', position: pos, trailingBytes: frame.trailing, zeroTail: this.isZero(pos) };
      if (frame.kind === 'corrupt-size') return { reason: 'corrupt-size', position: pos, trailingBytes: size - pos, sizeField: frame.sizeField, zeroTail: this.isZero(pos) };
      if (frame.kind === 'partial') return { reason: 'partial-batch', position: pos, trailingBytes: frame.trailing, sizeField: frame.size - 12, zeroTail: false };
      const at = this.ensure(pos, frame.size);
      let batch: Batch;
      try {
        batch = decodeBatch(this.buf, at, frame.size, pos, file, checkCrc);
      } catch (e) {
        if (!(e instanceof CorruptDataError)) throw e;
        yield { kind: 'bad-entry', position: pos, size: frame.size, error: e.at({ file, position: pos }) };
        pos += frame.size;
        continue;
      }
      yield { kind: 'batch', batch };
      pos += frame.size;
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
