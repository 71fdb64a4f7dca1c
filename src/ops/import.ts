import fs from 'node:fs';
import path from 'node:path';
import readline from 'node:readline';
import { ATTR_DELETE_HORIZON, ATTR_TIMESTAMP_TYPE, CRC_OFFSET, LEGACY_CRC_OFFSET } from '../format/batch.js';
import { assignEpoch, encodeLeaderEpochCheckpoint, type LeaderEpochEntry } from '../format/checkpoints.js';
import { COMPRESSION_NAMES, type CompressionWriteName } from '../format/compression.js';
import { decodeControlRecord } from '../format/control.js';
import { encodeEmptyBatch, encodeLegacyMessage, encodeLegacyWrapper, encodeV2Batch } from '../format/encode.js';
import { CorruptDataError, IoError, UsageError } from '../format/errors.js';
import { encodeProducerSnapshot } from '../format/snapshot.js';
import { fsyncDir } from '../storage/atomic.js';
import { parseSegmentName, segmentFileName } from '../storage/segments.js';
import { EXPORT_COLUMNS, type ExportRow } from './export.js';
import { ProducerStateModel } from './generate/producer-state.js';
import { rebuildIndexSteps, type RebuildResult } from './rebuild-index.js';
import { runStoppable, safePoint, type StopState } from './interrupt.js';
import { PROGRESS_STEP, type OnProgress } from './progress.js';
import { writeSynced } from './fresh-partition.js';

/**
 * `kseg import`: rows of a `kseg export` (Parquet, NDJSON or CSV, possibly filtered or edited in
 * between) back into a partition directory. Consecutive rows with the same (file, position) are one
 * batch, re-encoded from the exported header fields with the format layer's encoder; an unmodified
 * export gives the original .log bytes. Every batch's new CRC is compared with the exported one:
 * equal (and the same size) means the bytes are the original ones. Indexes are then rebuilt as
 * Kafka's recovery writes them (LogLoader), .txnindex included, in a temporary directory renamed
 * into place, together with what a broker leaves after a clean shutdown (see PartitionTail):
 * leader-epoch-checkpoint and producer snapshots.
 */
export type ImportFormat = 'parquet' | 'ndjson' | 'csv';

export interface RewrittenBatch {
  file: string;
  /** Position in the export (original file) and in the imported file. */
  exportedPosition: number;
  position: number;
  baseOffset: number;
  /** 'recompressed': every record is there but the codec produced other bytes (codec library version); 'edited': rows or fields differ from the exported batch. */
  reason: 'recompressed' | 'edited' | 'crc-repaired';
  exportedCrc: number;
  crc: number;
  exportedSize: number;
  size: number;
}

export interface ImportedSegment {
  file: string;
  batches: number;
  records: number;
  bytes: number;
}

export interface ImportResult {
  input: string;
  format: ImportFormat;
  output: string;
  rows: number;
  batches: number;
  records: number;
  /** Batches whose bytes are the exported batch's (CRC and size equal). */
  identical: number;
  /** Batches written with new bytes (first 1000 listed in `rewrittenBatches`). */
  rewritten: number;
  recompressed: number;
  edited: number;
  /** Batches exported with an invalid stored CRC, written with a correct one. */
  crcRepaired: number;
  rewrittenBatches: RewrittenBatch[];
  segments: ImportedSegment[];
  indexes: { changed: string[] };
  /** Offset after the last imported batch. */
  logEndOffset: number;
  /** leader-epoch-checkpoint as written (empty when no v2 batch carries an epoch). */
  leaderEpochs: LeaderEpochEntry[];
  /** Producer snapshot files written (one per later segment's base offset and one at the log end). */
  snapshots: string[];
}

const MAX_LISTED = 1000;

export function importFormatOf(file: string, given?: string): ImportFormat {
  if (given !== undefined) {
    if (given !== 'parquet' && given !== 'ndjson' && given !== 'csv') throw new UsageError(`--format must be parquet, ndjson or csv (got ${given})`);
    return given;
  }
  if (/\.parquet$/i.test(file)) return 'parquet';
  if (/\.(nd)?jsonl?$/i.test(file)) return 'ndjson';
  if (/\.csv$/i.test(file)) return 'csv';
  throw new UsageError(`cannot tell the format of ${file} from its name: give --format parquet|ndjson|csv`);
}

// ---------------------------------------------------------------- reading rows

type Raw = Record<string, unknown>;

function bad(file: string, row: number, message: string): CorruptDataError {
  return new CorruptDataError('IMPORT_ROW', `row ${row}: ${message}`, { file });
}

function num(v: unknown, col: string, file: string, row: number, nullable = false): number | null {
  if (v === null || v === undefined || v === '') {
    if (nullable) return null;
    throw bad(file, row, `${col} is missing`);
  }
  const n = typeof v === 'bigint' ? Number(v) : typeof v === 'number' ? v : typeof v === 'string' ? Number(v) : NaN;
  if (!Number.isSafeInteger(n)) throw bad(file, row, `${col} is not an integer (${String(v)})`);
  return n;
}

function str(v: unknown): string | null {
  if (v === null || v === undefined) return null;
  if (v instanceof Uint8Array) return Buffer.from(v.buffer, v.byteOffset, v.byteLength).toString('utf8');
  return String(v);
}

function bool(v: unknown, col: string, file: string, row: number): boolean {
  if (v === true || v === 'true' || v === 1 || v === 1n) return true;
  if (v === false || v === 'false' || v === 0 || v === 0n) return false;
  throw bad(file, row, `${col} is not a boolean (${String(v)})`);
}

/** Binary fields: raw bytes (Parquet) or base64 text (NDJSON, CSV). */
function bin(v: unknown, textual: boolean, col: string, file: string, row: number): Buffer | null {
  if (v === null || v === undefined) return null;
  if (v instanceof Uint8Array) return Buffer.from(v.buffer, v.byteOffset, v.byteLength);
  if (typeof v === 'string') {
    if (!textual) return Buffer.from(v, 'utf8');
    if (!/^[A-Za-z0-9+/]*={0,2}$/.test(v)) throw bad(file, row, `${col} is not base64`);
    return Buffer.from(v, 'base64');
  }
  throw bad(file, row, `${col} is not binary`);
}

/** One raw row (as a reader gives it) as an ExportRow, every field checked. */
export function normalizeRow(r: Raw, textual: boolean, file: string, row: number): ExportRow {
  const n = (c: string, nullable = false) => num(r[c], c, file, row, nullable);
  let headers = r.headers;
  if (typeof headers === 'string') {
    try {
      headers = headers === '' ? [] : JSON.parse(headers);
    } catch {
      throw bad(file, row, 'headers is not a JSON array');
    }
  }
  if (headers === null || headers === undefined) headers = [];
  if (!Array.isArray(headers)) throw bad(file, row, 'headers is not a list');
  const fileName = str(r.file);
  if (fileName === null) throw bad(file, row, 'file is missing');
  return {
    topic: str(r.topic),
    partition: n('partition', true),
    file: fileName,
    position: n('position')!,
    baseOffset: n('baseOffset')!,
    lastOffset: n('lastOffset')!,
    entryOffset: n('entryOffset')!,
    magic: n('magic')!,
    compression: str(r.compression) ?? 'none',
    batchAttributes: n('batchAttributes')!,
    batchCrc: n('batchCrc')!,
    crcValid: bool(r.crcValid, 'crcValid', file, row),
    producerId: n('producerId')!,
    producerEpoch: n('producerEpoch')!,
    baseSequence: n('baseSequence')!,
    partitionLeaderEpoch: n('partitionLeaderEpoch')!,
    isTransactional: bool(r.isTransactional, 'isTransactional', file, row),
    isControl: bool(r.isControl, 'isControl', file, row),
    firstTimestamp: n('firstTimestamp')!,
    maxTimestamp: n('maxTimestamp')!,
    lastOffsetDelta: n('lastOffsetDelta')!,
    recordCount: n('recordCount')!,
    batchSize: n('batchSize')!,
    offset: n('offset', true),
    timestamp: n('timestamp', true),
    timestampType: str(r.timestampType) ?? 'CreateTime',
    recordAttributes: n('recordAttributes', true),
    offsetDelta: n('offsetDelta', true),
    timestampDelta: n('timestampDelta', true),
    recordMagic: n('recordMagic', true),
    key: bin(r.key, textual, 'key', file, row),
    value: bin(r.value, textual, 'value', file, row),
    snappyXerial: r.snappyXerial === null || r.snappyXerial === undefined ? null : bool(r.snappyXerial, 'snappyXerial', file, row),
    headers: (headers as Raw[]).map((h) => {
      const key = str(h?.key);
      if (key === null) throw bad(file, row, 'a header has no key');
      return { key, value: bin(h.value, textual, 'header value', file, row) };
    }),
  };
}

async function* ndjsonRows(file: string, read: ReadBytes): AsyncGenerator<ExportRow> {
  const input = fs.createReadStream(file);
  const rl = readline.createInterface({ input, crlfDelay: Infinity });
  let row = 0;
  for await (const line of rl) {
    row++;
    read.bytes = input.bytesRead;
    if (line.trim() === '') continue;
    let o: unknown;
    try {
      o = JSON.parse(line);
    } catch (e) {
      throw bad(file, row, `not JSON: ${(e as Error).message}`);
    }
    if (o === null || typeof o !== 'object') throw bad(file, row, 'not a JSON object');
    yield normalizeRow(o as Raw, true, file, row);
  }
}

/** RFC 4180 records from a stream (quoted fields may hold commas, quotes and line breaks). */
async function* csvRecords(file: string, read: ReadBytes): AsyncGenerator<string[]> {
  let field = '';
  let rec: string[] = [];
  let quoted = false;
  let afterQuote = false;
  const input = fs.createReadStream(file, { encoding: 'utf8' });
  for await (const chunk of input) {
    const s = chunk as string;
    read.bytes = input.bytesRead;
    for (let i = 0; i < s.length; i++) {
      const ch = s[i]!;
      if (quoted) {
        if (ch === '"') {
          if (s[i + 1] === '"') {
            field += '"';
            i++;
          } else if (i + 1 === s.length) {
            quoted = false; // a doubled quote split across chunks is handled below
            afterQuote = true;
          } else {
            quoted = false;
            afterQuote = true;
          }
        } else field += ch;
        continue;
      }
      if (afterQuote && ch === '"') {
        // "" split across two chunks
        field += '"';
        quoted = true;
        afterQuote = false;
        continue;
      }
      afterQuote = false;
      if (ch === '"' && field === '') quoted = true;
      else if (ch === ',') {
        rec.push(field);
        field = '';
      } else if (ch === '\n') {
        rec.push(field.endsWith('\r') ? field.slice(0, -1) : field);
        yield rec;
        rec = [];
        field = '';
      } else field += ch;
    }
  }
  if (field !== '' || rec.length > 0) {
    rec.push(field);
    yield rec;
  }
}

async function* csvRows(file: string, read: ReadBytes): AsyncGenerator<ExportRow> {
  let header: string[] | null = null;
  let row = 0;
  for await (const rec of csvRecords(file, read)) {
    row++;
    if (header === null) {
      header = rec;
      continue;
    }
    if (rec.length === 1 && rec[0] === '') continue;
    if (rec.length !== header.length) throw bad(file, row, `${rec.length} fields, the header has ${header.length}`);
    const o: Raw = {};
    header.forEach((h, i) => (o[h] = rec[i] === '' ? null : rec[i]));
    yield normalizeRow(o, true, file, row);
  }
}

async function* parquetRows(file: string, read: ReadBytes): AsyncGenerator<ExportRow> {
  const hp = await import('hyparquet');
  let buf;
  try {
    buf = await hp.asyncBufferFromFile(file);
  } catch (e) {
    throw new IoError((e as NodeJS.ErrnoException).code ?? 'EIO', (e as Error).message, { file });
  }
  let meta;
  try {
    meta = await hp.parquetMetadataAsync(buf);
  } catch (e) {
    throw new CorruptDataError('PARQUET', `not a readable Parquet file: ${(e as Error).message}`, { file });
  }
  const names = new Set(meta.schema.map((s) => s.name));
  const missing = EXPORT_COLUMNS.filter((c) => !names.has(c) && c !== 'topic' && c !== 'partition' && c !== 'snappyXerial');
  if (missing.length) throw new CorruptDataError('IMPORT_COLUMNS', `missing columns of a kseg export: ${missing.join(', ')}`, { file });
  // One row group at a time: memory holds one group.
  let start = 0;
  const totalRows = Number(meta.num_rows) || 1;
  for (const rg of meta.row_groups) {
    const end = start + Number(rg.num_rows);
    const rows = (await hp.parquetReadObjects({ file: buf, metadata: meta, rowStart: start, rowEnd: end, utf8: false })) as Raw[];
    // Bytes read, as the share of rows decoded so far (row groups are read one at a time).
    read.bytes = Math.round((buf.byteLength * end) / totalRows);
    for (let i = 0; i < rows.length; i++) yield normalizeRow(rows[i]!, false, file, start + i + 1);
    start = end;
  }
}

/** Bytes of the export file read so far (import's progress). */
export interface ReadBytes {
  bytes: number;
}

export function readExportRows(file: string, format: ImportFormat, read: ReadBytes = { bytes: 0 }): AsyncGenerator<ExportRow> {
  if (format === 'ndjson') return ndjsonRows(file, read);
  if (format === 'csv') return csvRows(file, read);
  return parquetRows(file, read);
}

// ---------------------------------------------------------------- encoding batches

function codecOf(row: ExportRow, file: string): CompressionWriteName {
  const id = COMPRESSION_NAMES.indexOf(row.compression as (typeof COMPRESSION_NAMES)[number]);
  if (id < 0) throw new CorruptDataError('IMPORT_ROW', `batch at ${row.file}:${row.position} has codec ${row.compression}, which kseg cannot write`, { file });
  // Kafka's producer writes snappy with the xerial framing (SnappyOutputStream); other clients raw.
  return id === 2 ? (row.snappyXerial === false ? 'snappy' : 'snappy-xerial') : COMPRESSION_NAMES[id]!;
}

/** The batch of `rows` (one exported batch, possibly with rows removed or edited) as bytes. */
export async function encodeBatch(rows: ExportRow[], file: string): Promise<Buffer> {
  const h = rows[0]!;
  const recs = rows.filter((r) => r.offset !== null);
  const codec = codecOf(h, file);
  if (h.magic >= 2) {
    const logAppend = (h.batchAttributes & ATTR_TIMESTAMP_TYPE) !== 0;
    const common = {
      baseOffset: h.baseOffset,
      timestampType: logAppend ? ('LogAppendTime' as const) : ('CreateTime' as const),
      isTransactional: h.isTransactional,
      isControl: h.isControl,
      deleteHorizonMs: (h.batchAttributes & ATTR_DELETE_HORIZON) !== 0 ? h.firstTimestamp : null,
      partitionLeaderEpoch: h.partitionLeaderEpoch,
      producerId: h.producerId,
      producerEpoch: h.producerEpoch,
      baseSequence: h.baseSequence,
      lastOffsetDelta: h.lastOffsetDelta,
      baseTimestamp: h.firstTimestamp,
      maxTimestamp: h.maxTimestamp,
      attributes: h.batchAttributes & ~0x07,
    };
    if (recs.length === 0) return encodeEmptyBatch(common);
    return encodeV2Batch({
      ...common,
      compression: codec,
      records: recs.map((r) => ({
        offsetDelta: r.offset! - h.baseOffset,
        timestamp: r.timestamp ?? h.firstTimestamp,
        // CreateTime: the stored delta is timestamp - baseTimestamp; LogAppendTime hides it.
        timestampDelta: logAppend ? (r.timestampDelta ?? 0) : (r.timestamp ?? h.firstTimestamp) - h.firstTimestamp,
        key: r.key,
        value: r.value,
        headers: r.headers,
        attributes: r.recordAttributes ?? 0,
      })),
    });
  }
  if (recs.length === 0)
    throw new CorruptDataError('IMPORT_ROW', `v${h.magic} entry at ${h.file}:${h.position} has no record rows (Kafka cannot write an empty v0/v1 entry)`, { file });
  const magic = h.magic as 0 | 1;
  const logAppend = magic === 1 && (h.batchAttributes & ATTR_TIMESTAMP_TYPE) !== 0;
  if (codec === 'none') {
    if (recs.length !== 1) throw new CorruptDataError('IMPORT_ROW', `uncompressed v${magic} entry at ${h.file}:${h.position} has ${recs.length} record rows`, { file });
    const r = recs[0]!;
    return encodeLegacyMessage({ offset: r.offset!, magic, timestamp: r.timestamp ?? -1, key: r.key, value: r.value, attributes: r.recordAttributes ?? h.batchAttributes });
  }
  return encodeLegacyWrapper({
    magic,
    compression: codec as 'gzip' | 'snappy-xerial' | 'lz4',
    messages: recs.map((r) => ({ offset: r.offset!, timestamp: r.timestamp ?? -1, key: r.key, value: r.value })),
    timestampType: logAppend ? 'LogAppendTime' : 'CreateTime',
    wrapperTimestamp: logAppend ? h.maxTimestamp : undefined,
  });
}

function crcOf(entry: Buffer): number {
  return entry.readUInt32BE(entry[16]! >= 2 ? CRC_OFFSET : LEGACY_CRC_OFFSET);
}

/**
 * The partition state a broker derives from the batches and writes beside the segments, built while
 * the batches are written (no batch held):
 * - leader-epoch-checkpoint: LeaderEpochFileCache.assign(partitionLeaderEpoch, baseOffset) for every
 *   v2 batch, in offset order (LogSegment.recover does the same at load);
 * - producer snapshots: ProducerStateManager.takeSnapshot at each segment roll (the snapshot named
 *   after the new segment's base offset holds the state before it) and at the log end on a clean
 *   shutdown. Markers (COMMIT/ABORT control batches) end the producer's transaction, as
 *   ProducerAppendInfo.appendEndTxnMarker does; other control batches are skipped.
 * The same rules as salvage/slice's fresh-partition writer, applied as a stream.
 */
class PartitionTail {
  private readonly model = new ProducerStateModel();
  epochs: LeaderEpochEntry[] = [];
  readonly snapshots: { offset: number; data: Buffer }[] = [];
  anyV2 = false;

  /** A new segment starts at `baseOffset`: the roll's snapshot (not for the first segment). */
  roll(baseOffset: number, first: boolean): void {
    if (!first) this.snapshots.push({ offset: baseOffset, data: encodeProducerSnapshot(this.model.snapshot()) });
  }

  /** One written batch: `h` its first row (the batch fields), `lastOffset` its last offset. */
  batch(h: ExportRow, lastOffset: number): void {
    if (h.magic < 2) return;
    this.anyV2 = true;
    if (h.partitionLeaderEpoch >= 0) {
      const latest = this.epochs[this.epochs.length - 1];
      if (!latest || h.partitionLeaderEpoch > latest.epoch) this.epochs = assignEpoch(this.epochs, h.partitionLeaderEpoch, h.baseOffset);
    }
    if (h.producerId < 0) return;
    let marker: { type: 'COMMIT' | 'ABORT'; coordinatorEpoch: number } | null = null;
    if (h.isControl) {
      if (h.offset === null) return;
      const c = decodeControlRecord(h.key, h.value);
      if (c.type !== 'COMMIT' && c.type !== 'ABORT') return;
      marker = { type: c.type, coordinatorEpoch: c.coordinatorEpoch ?? -1 };
    }
    const t = this.model.apply({ ...h, lastOffset, marker });
    if (t) this.model.completeTxn(t);
  }

  /** The clean-shutdown snapshot at the log end offset. */
  end(logEndOffset: number): void {
    if (!this.snapshots.some((x) => x.offset === logEndOffset)) this.snapshots.push({ offset: logEndOffset, data: encodeProducerSnapshot(this.model.snapshot()) });
  }
}

// ---------------------------------------------------------------- writing the partition

export interface ImportOptions {
  format?: ImportFormat;
  indexIntervalBytes?: number;
  /** Bytes of the export file read, and its size (at most once per PROGRESS_STEP, 4 MiB); the index rebuild reports as phase 'indexing'. */
  onProgress?: OnProgress;
  /**
   * Stop at the next safe point once aborted (the CLI aborts it on SIGINT / SIGTERM): while rows
   * are read and written (every 4 MiB of input, 'import-read'), in the index rebuild, and before
   * the rename ('import-rename'). Throws Interrupted: the output directory was not created.
   */
  signal?: AbortSignal;
}

/** Refuse an output that exists and is not an empty directory. */
function checkOutput(out: string): void {
  let st: fs.Stats;
  try {
    st = fs.statSync(out);
  } catch {
    return;
  }
  if (!st.isDirectory()) throw new UsageError(`${out} exists and is not a directory`);
  if (fs.readdirSync(out).length > 0) throw new UsageError(`${out} is not empty: kseg import writes a new partition directory`);
}

export async function importPartition(input: string, output: string, opts: ImportOptions = {}): Promise<ImportResult> {
  const format = importFormatOf(input, opts.format);
  if (!fs.existsSync(input)) throw new IoError('ENOENT', 'no such file', { file: input });
  if (fs.statSync(input).isDirectory())
    throw new UsageError(`${input} is a directory: import one exported partition file (kseg export of a log directory writes one per partition)`);
  checkOutput(output);
  const outAbs = path.resolve(output);
  const tmp = path.join(path.dirname(outAbs), `.${path.basename(outAbs)}.kseg-import`);
  if (fs.existsSync(tmp)) throw new UsageError(`${tmp} exists (left by an interrupted import?): remove it first`);
  fs.mkdirSync(path.dirname(outAbs), { recursive: true });
  fs.mkdirSync(tmp);
  const result: ImportResult = {
    input,
    format,
    output,
    rows: 0,
    batches: 0,
    records: 0,
    identical: 0,
    rewritten: 0,
    recompressed: 0,
    edited: 0,
    crcRepaired: 0,
    rewrittenBatches: [],
    segments: [],
    indexes: { changed: [] },
    logEndOffset: 0,
    leaderEpochs: [],
    snapshots: [],
  };
  const state = new PartitionTail();
  let fd: number | null = null;
  let seg: ImportedSegment | null = null;
  let lastFile: string | null = null;
  let lastPos = -1;
  let lastEnd = -1;
  const closeSeg = () => {
    if (fd !== null) {
      fs.fsyncSync(fd);
      fs.closeSync(fd);
      fd = null;
    }
  };
  const flushBatch = async (rows: ExportRow[]) => {
    const h = rows[0]!;
    if (h.file !== lastFile) {
      const parsed = parseSegmentName(h.file);
      if (!parsed || parsed.kind !== 'log' || parsed.leftover !== undefined || parsed.irregular || path.basename(h.file) !== h.file)
        throw new CorruptDataError('IMPORT_ROW', `file ${JSON.stringify(h.file)} is not a segment name (20 digits + .log)`, { file: input });
      if (lastFile !== null && h.file <= lastFile)
        throw new CorruptDataError('IMPORT_ROW', `rows of ${h.file} come after ${lastFile}: rows must stay in export order`, { file: input });
      closeSeg();
      state.roll(parsed.baseOffset, lastFile === null);
      fd = fs.openSync(path.join(tmp, h.file), 'wx');
      seg = { file: h.file, batches: 0, records: 0, bytes: 0 };
      result.segments.push(seg);
      lastFile = h.file;
      lastPos = -1;
    }
    if (h.position <= lastPos)
      throw new CorruptDataError('IMPORT_ROW', `batch at ${h.file}:${h.position} comes after position ${lastPos}: rows must stay in export order`, { file: input });
    if (h.baseOffset <= lastEnd && rows.some((r) => r.offset !== null)) {
      throw new CorruptDataError('IMPORT_ROW', `batch at ${h.file}:${h.position} starts at offset ${h.baseOffset}, not above the previous batch's last offset ${lastEnd}`, {
        file: input,
      });
    }
    lastPos = h.position;
    const bytes = await encodeBatch(rows, input);
    const recCount = rows.filter((r) => r.offset !== null).length;
    const crc = crcOf(bytes);
    const complete = recCount === h.recordCount || (h.recordCount === 0 && recCount === 0);
    if (crc === h.batchCrc && bytes.length === h.batchSize && complete) result.identical++;
    else {
      result.rewritten++;
      const reason = complete && !h.crcValid ? 'crc-repaired' : complete && h.compression !== 'none' ? 'recompressed' : 'edited';
      if (reason === 'recompressed') result.recompressed++;
      else if (reason === 'edited') result.edited++;
      else result.crcRepaired++;
      if (result.rewrittenBatches.length < MAX_LISTED) {
        result.rewrittenBatches.push({
          file: h.file,
          exportedPosition: h.position,
          position: seg!.bytes,
          baseOffset: h.baseOffset,
          reason,
          exportedCrc: h.batchCrc,
          crc,
          exportedSize: h.batchSize,
          size: bytes.length,
        });
      }
    }
    fs.writeSync(fd!, bytes);
    seg!.batches++;
    seg!.records += recCount;
    seg!.bytes += bytes.length;
    result.batches++;
    result.records += recCount;
    const batchLast = h.magic >= 2 ? h.baseOffset + h.lastOffsetDelta : (rows[rows.length - 1]!.offset ?? lastEnd);
    state.batch(h, batchLast);
    lastEnd = Math.max(lastEnd, batchLast);
  };
  const at: StopState = { state: `import stopped before its output was complete: ${output} was not created (its temporary directory was removed); ${input} is unchanged` };
  const size = fs.statSync(input).size;
  const read: ReadBytes = { bytes: 0 };
  let nextStop = 0;
  try {
    let group: ExportRow[] = [];
    for await (const row of readExportRows(input, format, read)) {
      result.rows++;
      if (group.length > 0 && (row.file !== group[0]!.file || row.position !== group[0]!.position)) {
        await flushBatch(group);
        group = [];
        if (read.bytes >= nextStop) {
          nextStop = read.bytes + PROGRESS_STEP;
          opts.onProgress?.(read.bytes, size);
          await safePoint(opts.signal, 'import-read', () => at.state);
        }
      }
      group.push(row);
    }
    if (group.length > 0) await flushBatch(group);
    closeSeg();
    if (result.segments.length === 0) throw new UsageError(`${input} holds no rows: nothing to import`);
    const indexing = opts.onProgress ? (done: number, total: number) => opts.onProgress!(done, total, 'indexing') : undefined;
    const rebuilt: RebuildResult = await runStoppable(rebuildIndexSteps(tmp, { indexIntervalBytes: opts.indexIntervalBytes, onProgress: indexing }), opts.signal, at);
    result.indexes.changed = rebuilt.changed;
    result.logEndOffset = lastEnd + 1;
    state.end(result.logEndOffset);
    if (state.anyV2) {
      writeSynced(tmp, 'leader-epoch-checkpoint', encodeLeaderEpochCheckpoint(state.epochs));
      result.leaderEpochs = state.epochs;
      for (const snap of state.snapshots) {
        const name = segmentFileName(snap.offset, 'snapshot');
        writeSynced(tmp, name, snap.data);
        result.snapshots.push(name);
      }
    }
    fsyncDir(tmp);
    await safePoint(opts.signal, 'import-rename', () => at.state);
    if (fs.existsSync(outAbs)) fs.rmdirSync(outAbs); // checked empty above
    fs.renameSync(tmp, outAbs);
    fsyncDir(path.dirname(outAbs));
  } catch (e) {
    if (fd !== null) fs.closeSync(fd);
    fs.rmSync(tmp, { recursive: true, force: true });
    throw e;
  }
  return result;
}
