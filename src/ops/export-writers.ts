import fs from 'node:fs';
import path from 'node:path';
import { IoError } from '../format/errors.js';
import { fsyncDir, TEMP_SUFFIX } from '../storage/atomic.js';
import { EXPORT_COLUMNS, type BatchFields, type ExportRow, type RowRecord } from './export-row.js';
import { ParquetFileWriter } from './export-parquet.js';
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
  /** Flush, fsync and rename into place. */
  commit(): Promise<void>;
  /** Remove the temporary file (after an error). */
  abort(): void;
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

/** Buffered text output to a file (1 MiB chunks). */
class TextFile {
  private fd: number;
  private parts: string[] = [];
  private size = 0;
  constructor(readonly target: string) {
    try {
      this.fd = fs.openSync(target + TMP, 'w');
    } catch (e) {
      throw ioErr(e, target);
    }
  }
  add(s: string): void {
    this.parts.push(s);
    this.size += s.length;
    if (this.size >= 1 << 20) this.flush();
  }
  flush(): void {
    if (this.parts.length === 0) return;
    try {
      fs.writeSync(this.fd, this.parts.join(''));
    } catch (e) {
      throw ioErr(e, this.target);
    }
    this.parts = [];
    this.size = 0;
  }
  close(): void {
    this.flush();
    fs.closeSync(this.fd);
  }
  closeQuietly(): void {
    try {
      fs.closeSync(this.fd);
    } catch {
      /* closed */
    }
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

/*
 * The text formats write a batch's columns once per batch: EXPORT_COLUMNS is the batch's fields
 * (topic .. batchSize), then the record's (offset .. headers), then snappyXerial. Each line is the
 * batch's head + the record's part + the batch's tail: byte for byte what JSON.stringify(rowToJson(row))
 * gives (test/export-import-formats.test.ts holds them equal).
 */
const FIRST_RECORD_COLUMN = EXPORT_COLUMNS.indexOf('offset');
const LAST_RECORD_COLUMN = EXPORT_COLUMNS.indexOf('headers');
const BATCH_HEAD = EXPORT_COLUMNS.slice(0, FIRST_RECORD_COLUMN) as readonly (keyof BatchFields)[];
const BATCH_TAIL = EXPORT_COLUMNS.slice(LAST_RECORD_COLUMN + 1) as readonly (keyof BatchFields)[];
const RECORD_COLUMNS = ['offset', 'timestamp', 'timestampType', 'recordAttributes', 'offsetDelta', 'timestampDelta', 'recordMagic', 'key', 'value', 'headers'];
if (EXPORT_COLUMNS.slice(FIRST_RECORD_COLUMN, LAST_RECORD_COLUMN + 1).join() !== RECORD_COLUMNS.join()) throw new Error('internal: export-row.ts column order changed');

/** A JSON string of bytes in base64 (base64 needs no escaping), or null. */
const b64Json = (b: Buffer | null): string => (b === null ? 'null' : '"' + b.toString('base64') + '"');

function headersJson(hs: RowRecord['headers']): string {
  if (hs.length === 0) return '[]';
  let s = '[';
  for (let i = 0; i < hs.length; i++) {
    const h = hs[i]!;
    s += (i ? ',{"key":' : '{"key":') + JSON.stringify(h.key.toString('utf8')) + ',"value":' + b64Json(h.value) + '}';
  }
  return s + ']';
}

/** A sink writing one text file: rows are added to `out`; commit closes and renames it into place. */
abstract class TextSink implements RowSink {
  protected readonly out: TextFile;
  constructor(target: string) {
    this.out = new TextFile(target);
  }
  abstract writeBatch(b: BatchFields, records: readonly RowRecord[]): void;
  async commit(): Promise<void> {
    this.out.close();
    finishFile(this.out.target);
  }
  abort(): void {
    this.out.closeQuietly();
    removeTmp(this.out.target);
  }
}

class NdjsonSink extends TextSink {
  writeBatch(b: BatchFields, records: readonly RowRecord[]): void {
    let head = '{';
    for (const c of BATCH_HEAD) head += JSON.stringify(c) + ':' + JSON.stringify(b[c]) + ',';
    let tail = '';
    for (const c of BATCH_TAIL) tail += ',' + JSON.stringify(c) + ':' + JSON.stringify(b[c]);
    tail += '}\n';
    if (records.length === 0) {
      this.out.add(
        head +
          `"offset":null,"timestamp":null,"timestampType":${JSON.stringify(b.timestampType)},"recordAttributes":null,"offsetDelta":null,"timestampDelta":null,"recordMagic":null,"key":null,"value":null,"headers":[]` +
          tail,
      );
      return;
    }
    for (let i = 0; i < records.length; i++) {
      const r = records[i]!;
      const v2 = r.magic >= 2;
      this.out.add(
        head +
          '"offset":' +
          r.offset +
          ',"timestamp":' +
          r.timestamp +
          ',"timestampType":' +
          JSON.stringify(r.timestampType) +
          ',"recordAttributes":' +
          r.attributes +
          ',"offsetDelta":' +
          (v2 ? r.offsetDelta : 'null') +
          ',"timestampDelta":' +
          (v2 ? r.timestampDelta : 'null') +
          ',"recordMagic":' +
          r.magic +
          ',"key":' +
          b64Json(r.key) +
          ',"value":' +
          b64Json(r.value) +
          ',"headers":' +
          headersJson(r.headers) +
          tail,
      );
    }
  }
}

/** RFC 4180 field: quoted when it holds a comma, quote, CR or LF. */
function csvField(v: unknown): string {
  if (v === null || v === undefined) return '';
  const s = typeof v === 'string' ? v : typeof v === 'object' ? JSON.stringify(v) : String(v);
  return /[",\r\n]/.test(s) ? '"' + s.replace(/"/g, '""') + '"' : s;
}

class CsvSink extends TextSink {
  constructor(target: string) {
    super(target);
    this.out.add(EXPORT_COLUMNS.join(',') + '\r\n');
  }
  writeBatch(b: BatchFields, records: readonly RowRecord[]): void {
    let head = '';
    for (const c of BATCH_HEAD) head += csvField(b[c]) + ',';
    let tail = '';
    for (const c of BATCH_TAIL) tail += ',' + csvField(b[c]);
    tail += '\r\n';
    if (records.length === 0) {
      this.out.add(head + `,,${csvField(b.timestampType)},,,,,,,[]` + tail);
      return;
    }
    for (let i = 0; i < records.length; i++) {
      const r = records[i]!;
      const v2 = r.magic >= 2;
      this.out.add(
        head +
          r.offset +
          ',' +
          r.timestamp +
          ',' +
          csvField(r.timestampType) +
          ',' +
          r.attributes +
          ',' +
          (v2 ? r.offsetDelta : '') +
          ',' +
          (v2 ? r.timestampDelta : '') +
          ',' +
          r.magic +
          ',' +
          (r.key === null ? '' : r.key.toString('base64')) +
          ',' +
          (r.value === null ? '' : r.value.toString('base64')) +
          ',' +
          (r.headers.length === 0 ? '[]' : csvField(headersJson(r.headers))) +
          tail,
      );
    }
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
      if ((e as NodeJS.ErrnoException).code) throw ioErr(e, target);
      throw e;
    }
  }

  writeBatch(b: BatchFields, records: readonly RowRecord[]): void | Promise<void> {
    const w = this.w.addBatch(b, records);
    if (!w) return;
    return w.catch((e: unknown) => {
      throw (e as NodeJS.ErrnoException).code ? ioErr(e, this.target) : e;
    });
  }

  async commit(): Promise<void> {
    try {
      await this.w.finish();
      fs.closeSync(this.fd);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code) throw ioErr(e, this.target);
      throw e;
    }
    finishFile(this.target);
  }

  abort(): void {
    try {
      fs.closeSync(this.fd);
    } catch {
      /* closed */
    }
    removeTmp(this.target);
  }
}

export async function openSink(format: ExportFormat, target: string, opts: SinkOptions = {}): Promise<RowSink> {
  if (format === 'ndjson') return new NdjsonSink(target);
  if (format === 'csv') return new CsvSink(target);
  return ParquetSink.open(target, opts);
}
