import fs from 'node:fs';
import path from 'node:path';
import { zstdCompressSyncImpl } from '../format/codecs.js';
import { IoError, UsageError } from '../format/errors.js';
import { fsyncDir, TEMP_SUFFIX } from '../storage/atomic.js';
import { EXPORT_COLUMNS, type ExportRow } from './export-row.js';

/**
 * Row sinks of `kseg export`. Each writes to `<target>.kseg-tmp`, and `commit` fsyncs and renames it
 * over the target, so an interrupted export leaves no half file under the final name.
 */
export type ExportFormat = 'parquet' | 'ndjson' | 'csv';
export type PageCompression = 'snappy' | 'zstd' | 'none';

export interface RowSink {
  write(row: ExportRow): void | Promise<void>;
  /** Flush, fsync and rename into place. */
  commit(): Promise<void>;
  /** Remove the temporary file (after an error). */
  abort(): void;
}

export interface SinkOptions {
  compression?: PageCompression;
  /** Rows per Parquet row group (default 25 000; a group is also cut at 32 MiB of key/value bytes). */
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

/** A sink writing one text file: rows are added to `out`; commit closes and renames it into place. */
abstract class TextSink implements RowSink {
  protected readonly out: TextFile;
  constructor(target: string) {
    this.out = new TextFile(target);
  }
  abstract write(row: ExportRow): void;
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
  write(row: ExportRow): void {
    this.out.add(JSON.stringify(rowToJson(row)) + '\n');
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
  write(row: ExportRow): void {
    const o = rowToJson(row);
    this.out.add(EXPORT_COLUMNS.map((c) => csvField(o[c])).join(',') + '\r\n');
  }
}

type ColKind = 'string' | 'int32' | 'int64' | 'bool' | 'binary' | 'headers';
const COLUMN_KINDS: Record<(typeof EXPORT_COLUMNS)[number], ColKind> = {
  topic: 'string',
  partition: 'int32',
  file: 'string',
  position: 'int64',
  baseOffset: 'int64',
  lastOffset: 'int64',
  entryOffset: 'int64',
  magic: 'int32',
  compression: 'string',
  batchAttributes: 'int32',
  batchCrc: 'int64',
  crcValid: 'bool',
  producerId: 'int64',
  producerEpoch: 'int32',
  baseSequence: 'int32',
  partitionLeaderEpoch: 'int32',
  isTransactional: 'bool',
  isControl: 'bool',
  firstTimestamp: 'int64',
  maxTimestamp: 'int64',
  lastOffsetDelta: 'int32',
  recordCount: 'int32',
  batchSize: 'int32',
  offset: 'int64',
  timestamp: 'int64',
  timestampType: 'string',
  recordAttributes: 'int32',
  offsetDelta: 'int32',
  timestampDelta: 'int64',
  recordMagic: 'int32',
  key: 'binary',
  value: 'binary',
  headers: 'headers',
  snappyXerial: 'bool',
};

/** The Parquet schema of an export (all leaf columns OPTIONAL; headers a LIST of key/value structs). */
export function parquetSchema(): Record<string, unknown>[] {
  const s: Record<string, unknown>[] = [{ name: 'root', num_children: EXPORT_COLUMNS.length }];
  for (const c of EXPORT_COLUMNS) {
    const k = COLUMN_KINDS[c];
    if (k === 'headers') {
      s.push({ name: c, repetition_type: 'REQUIRED', num_children: 1, converted_type: 'LIST' });
      s.push({ name: 'list', repetition_type: 'REPEATED', num_children: 1 });
      s.push({ name: 'element', repetition_type: 'REQUIRED', num_children: 2 });
      s.push({ name: 'key', type: 'BYTE_ARRAY', converted_type: 'UTF8', repetition_type: 'REQUIRED' });
      s.push({ name: 'value', type: 'BYTE_ARRAY', repetition_type: 'OPTIONAL' });
    } else if (k === 'string') s.push({ name: c, type: 'BYTE_ARRAY', converted_type: 'UTF8', repetition_type: 'OPTIONAL' });
    else if (k === 'binary') s.push({ name: c, type: 'BYTE_ARRAY', repetition_type: 'OPTIONAL' });
    else if (k === 'bool') s.push({ name: c, type: 'BOOLEAN', repetition_type: 'OPTIONAL' });
    else if (k === 'int32') s.push({ name: c, type: 'INT32', repetition_type: 'OPTIONAL' });
    else s.push({ name: c, type: 'INT64', repetition_type: 'OPTIONAL' });
  }
  return s;
}

const ROW_GROUP_BYTES = 32 << 20;

interface ParquetWriterLike {
  write(o: { columnData: { name: string; data: unknown[]; statistics?: boolean; encoding?: string }[]; rowGroupSize?: number }): void | Promise<void>;
  finish(): void | Promise<void>;
}

/**
 * Parquet through hyparquet-writer's incremental ParquetWriter: rows are gathered into column
 * arrays and written as one row group when the group is full, so memory holds one row group.
 */
class ParquetSink implements RowSink {
  private cols: unknown[][] = EXPORT_COLUMNS.map(() => []);
  private rows = 0;
  private bytes = 0;
  private constructor(
    readonly target: string,
    private w: ParquetWriterLike,
    private groupRows: number,
  ) {}

  static async open(target: string, opts: SinkOptions): Promise<ParquetSink> {
    const hp = await import('hyparquet-writer');
    const compression = opts.compression ?? 'snappy';
    const compressors: Record<string, (d: Uint8Array) => Uint8Array> = {};
    if (compression === 'zstd') {
      const z = zstdCompressSyncImpl();
      if (!z) throw new UsageError('--compression zstd needs the optional native module zstd-napi, which is not loaded here (see kseg --version --verbose); use snappy');
      compressors.ZSTD = z;
    }
    const codec = compression === 'zstd' ? 'ZSTD' : compression === 'none' ? 'UNCOMPRESSED' : 'SNAPPY';
    let writer;
    try {
      writer = hp.fileWriter(target + TMP);
    } catch (e) {
      throw ioErr(e, target);
    }
    const w = new hp.ParquetWriter({
      writer,
      schema: parquetSchema() as never,
      codec,
      compressors,
      createdBy: 'kseg export',
      kvMetadata: [{ key: 'kseg.export.version', value: '1' }],
    });
    return new ParquetSink(target, w as unknown as ParquetWriterLike, opts.rowGroupRows ?? 25_000);
  }

  async write(row: ExportRow): Promise<void> {
    for (let i = 0; i < EXPORT_COLUMNS.length; i++) {
      const c = EXPORT_COLUMNS[i]!;
      const k = COLUMN_KINDS[c];
      const v = row[c];
      this.cols[i]!.push(k === 'int64' && v !== null ? BigInt(v as number) : v);
    }
    this.rows++;
    this.bytes += (row.key?.length ?? 0) + (row.value?.length ?? 0) + 200;
    if (this.rows >= this.groupRows || this.bytes >= ROW_GROUP_BYTES) await this.flushGroup();
  }

  private async flushGroup(): Promise<void> {
    if (this.rows === 0) return;
    // Min/max statistics on the scalar columns (row-group pruning on offset, timestamp, ...); none
    // on key, value and headers, and no dictionary attempt on value (rarely repeats): both cost
    // more than the rest of the export on large payloads.
    const columnData = EXPORT_COLUMNS.map((name, i) => {
      const k = COLUMN_KINDS[name];
      const big = k === 'binary' || k === 'headers';
      return { name, data: this.cols[i]!, ...(big ? { statistics: false } : {}), ...(name === 'value' ? { encoding: 'PLAIN' as const } : {}) };
    });
    try {
      await this.w.write({ columnData, rowGroupSize: this.rows });
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code) throw ioErr(e, this.target);
      throw e;
    }
    this.cols = EXPORT_COLUMNS.map(() => []);
    this.rows = 0;
    this.bytes = 0;
  }

  async commit(): Promise<void> {
    await this.flushGroup();
    try {
      await this.w.finish();
    } catch (e) {
      throw ioErr(e, this.target);
    }
    finishFile(this.target);
  }

  abort(): void {
    removeTmp(this.target);
  }
}

export async function openSink(format: ExportFormat, target: string, opts: SinkOptions = {}): Promise<RowSink> {
  if (format === 'ndjson') return new NdjsonSink(target);
  if (format === 'csv') return new CsvSink(target);
  return ParquetSink.open(target, opts);
}
