import fs from 'node:fs';
import path from 'node:path';
import { IoError, KsegError } from '../format/errors.js';
import { fsyncDir, TEMP_SUFFIX } from '../storage/atomic.js';
import { EXPORT_COLUMNS, type BatchFields, type ExportRow, type RowRecord } from './export-row.js';
import { ParquetFileWriter } from './export-parquet.js';
import { ByteFile, CsvWriter, NdjsonWriter, type TextWriter } from './export-text.js';
import type { WalkedRecords } from './export-walk.js';
export { parquetSchema } from './export-parquet.js';

/**
 * Row sinks of `kseg export`. Each writes to `<target>.kseg-tmp`, and `commit` fsyncs and renames it
 * over the target, so an interrupted export leaves no half file under the final name.
 */
export type ExportFormat = 'parquet' | 'ndjson' | 'csv';
export type PageCompression = 'snappy' | 'zstd' | 'none';

export interface RowSink {
  /** The rows of one batch: one per record, or one with null record fields when `records` is empty. */
  writeBatch(b: BatchFields, records: readonly RowRecord[]): void | Promise<void>;
  /** The rows of a v2 batch whose records export-walk.ts walked (the same rows as writeBatch of its records). */
  writeWalked(b: BatchFields, r: WalkedRecords): void | Promise<void>;
  /** Flush, fsync and rename into place. */
  commit(): Promise<void>;
  /** Remove the temporary file (after an error; Parquet: once its work in flight has settled). */
  abort(): void | Promise<void>;
}

export interface SinkOptions {
  compression?: PageCompression;
  /** Rows per Parquet row group (default 100 000; a group is also cut at 3 MiB of key/value/header bytes: peak RSS stays under 300 MiB). */
  rowGroupRows?: number;
}

// kseg's one temp suffix (storage/atomic.ts).
const TMP = TEMP_SUFFIX;

function ioErr(e: unknown, file: string): IoError {
  const err = e as NodeJS.ErrnoException;
  return new IoError(err.code ?? 'EIO', err.message, { file });
}

/** A system error (it has an errno code) as the IoError naming `file`; kseg's own errors as they are. */
function asIoErr(e: unknown, file: string): unknown {
  return !(e instanceof KsegError) && (e as NodeJS.ErrnoException).code ? ioErr(e, file) : e;
}

function finishFile(target: string): void {
  const tmp = target + TMP;
  try {
    const fd = fs.openSync(tmp, 'r+');
    try {
      fs.fsyncSync(fd);
    } finally {
      fs.closeSync(fd);
    }
    fs.renameSync(tmp, target);
  } catch (e) {
    throw ioErr(e, target);
  }
  fsyncDir(path.dirname(path.resolve(target)));
}

function removeTmp(target: string): void {
  try {
    fs.unlinkSync(target + TMP);
  } catch {
    /* already gone */
  }
}

const b64 = (b: Buffer | null): string | null => (b === null ? null : b.toString('base64'));

/** The JSON form of a row (NDJSON line, and CSV's headers cell): binary fields in base64. */
export function rowToJson(row: ExportRow): Record<string, unknown> {
  const o: Record<string, unknown> = {};
  for (const c of EXPORT_COLUMNS) {
    if (c === 'key' || c === 'value') o[c] = b64(row[c]);
    else if (c === 'headers') o[c] = row.headers.map((h) => ({ key: h.key, value: b64(h.value) }));
    else o[c] = row[c];
  }
  return o;
}

/** A sink writing one text file through export-text.ts's byte writers; commit fsyncs and renames it into place. */
class TextSink implements RowSink {
  private readonly w: TextWriter;
  constructor(
    private readonly out: ByteFile,
    csv: boolean,
  ) {
    this.w = csv ? new CsvWriter(out) : new NdjsonWriter(out);
  }
  writeBatch(b: BatchFields, records: readonly RowRecord[]): void {
    this.w.batch(b, records);
  }
  writeWalked(b: BatchFields, r: WalkedRecords): void {
    this.w.walked(b, r);
  }
  async commit(): Promise<void> {
    this.out.close();
    try {
      fs.renameSync(this.out.target + TMP, this.out.target);
    } catch (e) {
      throw ioErr(e, this.out.target);
    }
    fsyncDir(path.dirname(path.resolve(this.out.target)));
  }
  abort(): void {
    this.out.closeQuietly();
    removeTmp(this.out.target);
  }
}

const ROW_GROUP_BYTES = 3 << 20;

/** Parquet: rows go column by column into the row group of export-parquet.ts, written to `<target>.kseg-tmp`. */
class ParquetSink implements RowSink {
  private constructor(
    readonly target: string,
    private readonly fd: number,
    private readonly w: ParquetFileWriter,
  ) {}

  static async open(target: string, opts: SinkOptions): Promise<ParquetSink> {
    let fd: number;
    try {
      fd = fs.openSync(target + TMP, 'w');
    } catch (e) {
      throw ioErr(e, target);
    }
    try {
      const w = await ParquetFileWriter.open(fd, { compression: opts.compression ?? 'snappy', rowGroupRows: opts.rowGroupRows ?? 100_000, rowGroupBytes: ROW_GROUP_BYTES });
      return new ParquetSink(target, fd, w);
    } catch (e) {
      fs.closeSync(fd);
      removeTmp(target);
      throw asIoErr(e, target);
    }
  }

  writeBatch(b: BatchFields, records: readonly RowRecord[]): void | Promise<void> {
    const w = this.w.addBatch(b, records);
    if (!w) return;
    return w.catch((e: unknown) => {
      throw asIoErr(e, this.target);
    });
  }

  writeWalked(b: BatchFields, r: WalkedRecords): void | Promise<void> {
    const w = this.w.addWalked(b, r);
    if (!w) return;
    return w.catch((e: unknown) => {
      throw asIoErr(e, this.target);
    });
  }

  async commit(): Promise<void> {
    try {
      await this.w.finish();
      fs.closeSync(this.fd);
    } catch (e) {
      throw asIoErr(e, this.target);
    }
    finishFile(this.target);
  }

  async abort(): Promise<void> {
    await this.w.settle();
    try {
      fs.closeSync(this.fd);
    } catch {
      /* closed */
    }
    removeTmp(this.target);
  }
}

export async function openSink(format: ExportFormat, target: string, opts: SinkOptions = {}): Promise<RowSink> {
  if (format === 'ndjson' || format === 'csv') return new TextSink(new ByteFile(target), format === 'csv');
  return ParquetSink.open(target, opts);
}
