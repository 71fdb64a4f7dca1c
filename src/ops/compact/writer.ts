import fs from 'node:fs';
import path from 'node:path';
import { CorruptDataError, ioError } from '../../format/errors.js';
import { IndexBuilder } from '../../format/index-rule.js';
import { encodeAbortedTxn, type AbortedTxn } from '../../format/indexes.js';
import { faultPoint, SimulatedCrash } from '../../storage/atomic.js';
import { segmentFileName } from '../../storage/segments.js';

export const CLEANED_SUFFIX = '.cleaned';
const BUFFER_BYTES = 4 << 20;
const MAX_RELATIVE_OFFSET = 2147483647;

export interface WrittenSegment {
  baseOffset: number;
  /** Final names (without .cleaned): log, index, timeindex and txnindex when it has entries. */
  files: string[];
  log: string;
  logSize: number;
  batches: number;
  records: number;
  /** Offset after the last batch, or the base offset when empty (readNextOffset). */
  nextOffset: number;
  indexEntries: number;
  txnEntries: number;
}

/**
 * A new segment written as `<base>.log.cleaned` (+ `.index.cleaned`, `.timeindex.cleaned`,
 * `.txnindex.cleaned`), the names Kafka's cleaner uses before the swap. Batches are appended through
 * a 4 MiB buffer; the offset and time indexes follow Kafka's per-batch rule (IndexBuilder) and are
 * written trimmed when the segment is finished, with the final max-timestamp entry, as on roll.
 */
export class CleanedSegmentWriter {
  readonly baseOffset: number;
  private readonly dir: string;
  private fd: number | null = null;
  private buf: Buffer | null = Buffer.allocUnsafe(BUFFER_BYTES);
  private fill = 0;
  private position = 0;
  private readonly index: IndexBuilder;
  private readonly txn: Buffer[] = [];
  private batches = 0;
  private records = 0;
  private nextOffset: number;
  private readonly written: string[] = [];

  constructor(dir: string, baseOffset: number, indexIntervalBytes: number) {
    this.dir = dir;
    this.baseOffset = baseOffset;
    this.nextOffset = baseOffset;
    this.index = new IndexBuilder({ baseOffset, indexIntervalBytes });
    const name = segmentFileName(baseOffset, 'log') + CLEANED_SUFFIX;
    faultPoint(`write ${name}`);
    this.fd = this.open(name);
  }

  private open(name: string): number {
    const p = path.join(this.dir, name);
    try {
      const fd = fs.openSync(p, 'w', 0o644);
      this.written.push(name);
      return fd;
    } catch (e) {
      throw ioError(e, p);
    }
  }

  /**
   * Room for a batch of `len` bytes to be written in place (the next thing appended), as a view
   * into the write buffer; null when it does not fit the buffer (then build it and append()).
   */
  reserve(len: number): Buffer | null {
    const buf = this.buf;
    if (!buf || len > BUFFER_BYTES) return null;
    if (this.fill + len > BUFFER_BYTES) this.flush();
    return buf.subarray(this.fill, this.fill + len);
  }

  /** Append the `len` bytes written into the view reserve() returned. */
  commitReserved(len: number, lastOffset: number, maxTimestamp: number, records: number): void {
    this.checkOffset(lastOffset);
    this.index.add(this.position, len, lastOffset, maxTimestamp);
    this.fill += len;
    this.position += len;
    this.batches++;
    this.records += records;
    this.nextOffset = lastOffset + 1;
  }

  private checkOffset(lastOffset: number): void {
    if (lastOffset - this.baseOffset > MAX_RELATIVE_OFFSET || lastOffset < this.baseOffset) {
      throw new CorruptDataError('OFFSET_OVERFLOW', `offset ${lastOffset} cannot be stored in a segment with base offset ${this.baseOffset} (relative offsets are int32)`, {
        file: segmentFileName(this.baseOffset, 'log'),
      });
    }
  }

  /** Append one batch (its exact bytes) with its last offset, max timestamp and record count. */
  append(bytes: Uint8Array, lastOffset: number, maxTimestamp: number, records: number): void {
    this.checkOffset(lastOffset);
    this.index.add(this.position, bytes.length, lastOffset, maxTimestamp);
    const buf = this.buf;
    if (buf && this.fill + bytes.length > BUFFER_BYTES) this.flush();
    if (!buf || bytes.length > BUFFER_BYTES) this.writeOut(bytes);
    else {
      buf.set(bytes, this.fill);
      this.fill += bytes.length;
    }
    this.position += bytes.length;
    this.batches++;
    this.records += records;
    this.nextOffset = lastOffset + 1;
  }

  /**
   * Done appending for now: write out the buffer, release it and close the file (a round can have
   * many groups; each is finished only when the whole round is written).
   */
  seal(): void {
    this.flush();
    this.buf = null;
    this.closeFd();
  }

  /** Append after seal() (the batch that keeps a replaced segment covered by the swap). */
  appendLate(bytes: Uint8Array, lastOffset: number, maxTimestamp: number, records: number): void {
    const name = segmentFileName(this.baseOffset, 'log') + CLEANED_SUFFIX;
    faultPoint(`append ${name}`);
    this.fd = this.reopen(name, 'a');
    try {
      this.append(bytes, lastOffset, maxTimestamp, records);
    } finally {
      this.closeFd();
    }
  }

  private reopen(name: string, flags: string): number {
    const p = path.join(this.dir, name);
    try {
      return fs.openSync(p, flags);
    } catch (e) {
      throw ioError(e, p);
    }
  }

  private closeFd(): void {
    if (this.fd !== null) {
      const fd = this.fd;
      this.fd = null;
      try {
        fs.closeSync(fd);
      } catch (e) {
        throw ioError(e, path.join(this.dir, this.written[0]!));
      }
    }
  }

  appendAbortedTxn(t: AbortedTxn): void {
    this.txn.push(encodeAbortedTxn(t));
  }

  get size(): number {
    return this.position;
  }

  get next(): number {
    return this.nextOffset;
  }

  private writeOut(b: Uint8Array): void {
    let done = 0;
    try {
      while (done < b.length) done += fs.writeSync(this.fd!, b, done, b.length - done);
    } catch (e) {
      throw ioError(e, path.join(this.dir, this.written[0]!));
    }
  }

  private flush(): void {
    if (this.buf && this.fill > 0) this.writeOut(this.buf.subarray(0, this.fill));
    this.fill = 0;
  }

  private writeSide(name: string, data: Buffer): void {
    const cleaned = name + CLEANED_SUFFIX;
    faultPoint(`write ${cleaned}`);
    const fd = this.open(cleaned);
    try {
      let done = 0;
      while (done < data.length) done += fs.writeSync(fd, data, done, data.length - done);
      faultPoint(`fsync ${cleaned}`);
      fs.fsyncSync(fd);
    } catch (e) {
      if (e instanceof SimulatedCrash) throw e;
      throw ioError(e, path.join(this.dir, cleaned));
    } finally {
      fs.closeSync(fd);
    }
  }

  /**
   * Flush and fsync the .log, write the indexes (and the .txnindex when it has entries, or when
   * `keepTxnFile` asks for one — an empty file then replaces the old segment's), and give every
   * file the modification time `mtimeMs` (Kafka keeps the last replaced segment's).
   */
  finish(mtimeMs: number, keepTxnFile = false): WrittenSegment {
    const log = segmentFileName(this.baseOffset, 'log');
    const cleanedLog = log + CLEANED_SUFFIX;
    if (this.fd === null) this.fd = this.reopen(cleanedLog, 'r+');
    this.flush();
    this.buf = null;
    try {
      faultPoint(`fsync ${cleanedLog}`);
      fs.fsyncSync(this.fd!);
    } catch (e) {
      if (e instanceof SimulatedCrash) throw e;
      throw ioError(e, path.join(this.dir, cleanedLog));
    } finally {
      this.closeFd();
    }
    const { index, timeindex } = this.index.finish();
    const files = [log];
    const indexName = segmentFileName(this.baseOffset, 'index');
    const timeName = segmentFileName(this.baseOffset, 'timeindex');
    this.writeSide(indexName, index);
    this.writeSide(timeName, timeindex);
    files.push(indexName, timeName);
    if (this.txn.length > 0 || keepTxnFile) {
      const txnName = segmentFileName(this.baseOffset, 'txnindex');
      this.writeSide(txnName, Buffer.concat(this.txn));
      files.push(txnName);
    }
    const t = new Date(mtimeMs);
    for (const f of files) {
      try {
        fs.utimesSync(path.join(this.dir, f + CLEANED_SUFFIX), t, t);
      } catch (e) {
        throw ioError(e, path.join(this.dir, f + CLEANED_SUFFIX));
      }
    }
    return {
      baseOffset: this.baseOffset,
      files,
      log,
      logSize: this.position,
      batches: this.batches,
      records: this.records,
      nextOffset: this.nextOffset,
      indexEntries: index.length / 8,
      txnEntries: this.txn.length,
    };
  }

  /** After a simulated crash: close the file, leave everything as a crash would. */
  abandon(): void {
    if (this.fd !== null) {
      try {
        fs.closeSync(this.fd);
      } catch {
        /* already closed */
      }
      this.fd = null;
    }
  }

  /** After a real error (not a simulated crash): close and delete what was written. */
  discard(): void {
    if (this.fd !== null) {
      try {
        fs.closeSync(this.fd);
      } catch {
        /* already closed */
      }
      this.fd = null;
    }
    for (const f of this.written) fs.rmSync(path.join(this.dir, f), { force: true });
  }
}
