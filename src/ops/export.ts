import fs from 'node:fs';
import path from 'node:path';
import { batchRecords, LOG_OVERHEAD, RECORDS_OFFSET, type Batch, type KafkaRecord } from '../format/batch.js';
import { isXerial } from '../format/codecs.js';
import { CorruptDataError, IoError, UsageError } from '../format/errors.js';
import { logEntries, type StopInfo } from '../storage/log-reader.js';
import { topicPartitionOfDir } from '../storage/log-dir.js';
import { scanPartitionDir, subdirectories, type PartitionDir } from '../storage/segments.js';
import { openSource } from '../storage/source.js';
import { rowOf, type BatchFields, type ExportRow, type RowRecord } from './export-row.js';
import { openSink, type ExportFormat, type PageCompression } from './export-writers.js';
import { walkedRecords, type WalkedRecords } from './export-walk.js';
import { ProgressMeter, type OnProgress } from './progress.js';
import { safePoint } from './interrupt.js';
import { RecordWalker } from '../format/record-walk.js';

/**
 * `kseg export`: one row per record of a partition, each carrying its batch's header fields, so
 * that `kseg import` can lay the batches out again byte for byte (format doc 1.2-1.4: every input
 * of Kafka's MemoryRecordsBuilder / legacy message layout is a column). A v2 batch without records
 * (left by the cleaner, LogCleaner: retained empty batches) is one row with a null `offset`.
 * Reads one batch at a time: memory is bounded by the largest batch.
 * The row and its column order are in export-row.ts (the writers and `kseg import` use them too).
 */
export { EXPORT_COLUMNS, type BatchFields, type ExportRow, type RowRecord } from './export-row.js';

export interface ExportedLog {
  file: string;
  batches: number;
  records: number;
  /** Why reading stopped; anything but 'eof' means bytes at the tail were not exported. */
  stop: StopInfo['reason'];
  trailingBytes: number;
}

export interface ExportPartitionSummary {
  dir: string;
  topic: string | null;
  partition: number | null;
  batches: number;
  records: number;
  logs: ExportedLog[];
}

/** The partitions of PARTITION_OR_LOG_DIR: itself when it holds .log files, else its partition sub-directories. */
export function exportTargets(p: string): PartitionDir[] {
  const own = scanPartitionDir(p);
  if (own.segments.length > 0 || topicPartitionOfDir(p) !== null) return [own];
  const subs = subdirectories(p)
    .filter((d) => topicPartitionOfDir(d) !== null)
    .sort()
    .map((d) => path.join(p, d))
    .map((d) => scanPartitionDir(d))
    .filter((d) => d.segments.length > 0);
  if (subs.length === 0) throw new UsageError(`${p}: neither a partition directory (topic-N) nor a log directory holding any`);
  return subs;
}

/** One batch of a partition: its fields and its records (none for a v2 batch left empty by the cleaner). */
export interface ExportBatch {
  fields: BatchFields;
  records: readonly RowRecord[];
}

/** A batch as the export writers take it: walked (export-walk.ts, the hot path) or as record objects. */
interface SinkBatch {
  fields: BatchFields;
  walked: WalkedRecords | null;
  records: readonly RowRecord[] | null;
}

const NO_RECORDS: readonly RowRecord[] = [];

/**
 * The batches of one partition, segment by segment. An undecodable entry stops the export with its
 * file and byte position (run `kseg recover` first); a torn tail ends the segment as it ends
 * Kafka's read (FileLogInputStream) and is reported in the summary. With a walker, v2 batches the
 * fast walk takes come as `walked` (valid until the next batch); every other one as records.
 */
function* segmentBatches(part: PartitionDir, summary: ExportPartitionSummary, walker: RecordWalker | null, progress: ProgressMeter | null): Generator<SinkBatch> {
  const tp = topicPartitionOfDir(part.dir);
  summary.topic = tp?.topic ?? null;
  summary.partition = tp?.partition ?? null;
  for (const seg of part.segments) {
    const file = path.join(part.dir, seg.log);
    const src = openSource(file, { pattern: 'sequential' });
    const log: ExportedLog = { file: seg.log, batches: 0, records: 0, stop: 'eof', trailingBytes: 0 };
    try {
      const it = logEntries(src, { file });
      for (;;) {
        const n = it.next();
        if (n.done) {
          log.stop = n.value.reason;
          log.trailingBytes = n.value.trailingBytes;
          break;
        }
        const item = n.value;
        if (item.kind === 'bad-entry') throw item.error;
        const batch = item.batch;
        log.batches++;
        progress?.at(batch.position);
        const fields = batchFieldsOf(batch, seg.log, summary.topic, summary.partition);
        const walked = walker === null ? null : walkedRecords(batch, walker);
        if (walked !== null) {
          log.records += walked.count;
          yield { fields, walked, records: null };
          continue;
        }
        let recs: KafkaRecord[];
        try {
          recs = [...batchRecords(batch)];
        } catch (e) {
          if (e instanceof CorruptDataError) throw e.at({ file, position: batch.position });
          throw e;
        }
        log.records += recs.length;
        yield { fields, walked: null, records: recs };
      }
    } finally {
      src.close();
    }
    progress?.fileDone(seg.logSize);
    summary.batches += log.batches;
    summary.records += log.records;
    summary.logs.push(log);
  }
}

/** The batches of one partition with their records as objects (see segmentBatches). */
export function* partitionBatches(part: PartitionDir, summary: ExportPartitionSummary): Generator<ExportBatch> {
  for (const b of segmentBatches(part, summary, null, null)) yield { fields: b.fields, records: b.records ?? NO_RECORDS };
}

/** The rows of one partition (one per record; one with null record fields for a batch without records). */
export function* partitionRows(part: PartitionDir, summary: ExportPartitionSummary): Generator<ExportRow> {
  for (const { fields, records } of partitionBatches(part, summary)) {
    if (records.length === 0) yield rowOf(fields, null);
    for (const r of records) yield rowOf(fields, r);
  }
}

function batchFieldsOf(b: Batch, file: string, topic: string | null, partition: number | null): BatchFields {
  return {
    topic,
    partition,
    file,
    position: b.position,
    baseOffset: b.baseOffset,
    lastOffset: b.lastOffset,
    entryOffset: b.entryOffset,
    magic: b.magic,
    compression: b.compression,
    snappyXerial: b.compressionId === 2 ? isXerial(compressedPayload(b)) : null,
    batchAttributes: b.attributes,
    batchCrc: b.crc >>> 0,
    crcValid: b.crcValid,
    producerId: b.producerId,
    producerEpoch: b.producerEpoch,
    baseSequence: b.baseSequence,
    partitionLeaderEpoch: b.partitionLeaderEpoch,
    isTransactional: b.isTransactional,
    isControl: b.isControl,
    firstTimestamp: b.magic >= 2 ? b.baseTimestamp : -1,
    maxTimestamp: b.maxTimestamp,
    lastOffsetDelta: b.lastOffsetDelta,
    recordCount: b.recordCount,
    batchSize: b.size,
    timestampType: b.timestampType,
  };
}

/** The compressed bytes of a batch: v2 records area; v0/v1 the wrapper message's value. */
function compressedPayload(b: Batch): Buffer {
  if (b.magic >= 2) return b.bytes.subarray(b.start + RECORDS_OFFSET, b.start + b.size);
  const end = b.start + b.size;
  let p = b.start + LOG_OVERHEAD + 4 + 1 + 1 + (b.magic === 1 ? 8 : 0);
  const keyLen = p + 4 <= end ? b.bytes.readInt32BE(p) : -1;
  p += 4 + Math.max(0, keyLen) + 4;
  return b.bytes.subarray(Math.min(p, end), end);
}

export interface ExportOptions {
  format: ExportFormat;
  /** A file (one partition) or a directory (one file per partition: DIR/<topic>-<partition>.<ext>). */
  output: string;
  compression?: PageCompression;
  rowGroupRows?: number;
  /** Overwrite existing output files. */
  force?: boolean;
  /** Bytes of the partitions' .log files read so far, of all of them (ops/progress.ts). */
  onProgress?: OnProgress;
  /**
   * Ctrl-C (ops/interrupt.ts): checked every SAFE_STEP bytes of batches; when aborted, the output
   * being written is removed (its temporary file) and Interrupted says which outputs are complete.
   */
  signal?: AbortSignal;
}

/** Bytes of batches exported between two safe points. */
const SAFE_STEP = 8 * 1024 * 1024;

export interface ExportOutput extends ExportPartitionSummary {
  output: string;
  bytesWritten: number;
}

export interface ExportResult {
  format: ExportFormat;
  compression: PageCompression | null;
  partitions: ExportOutput[];
  batches: number;
  records: number;
}

const EXTENSIONS: Record<ExportFormat, string> = { parquet: 'parquet', ndjson: 'ndjson', csv: 'csv' };

function isDir(p: string): boolean {
  try {
    return fs.statSync(p).isDirectory();
  } catch {
    return false;
  }
}

/** Export every partition of `input` (a partition directory or a log directory) to `opts.output`. */
export async function exportPartitions(input: string, opts: ExportOptions): Promise<ExportResult> {
  const parts = exportTargets(input);
  const toDir = parts.length > 1 || isDir(opts.output) || opts.output.endsWith(path.sep);
  if (toDir) {
    try {
      fs.mkdirSync(opts.output, { recursive: true });
    } catch (e) {
      throw new IoError((e as NodeJS.ErrnoException).code ?? 'EIO', (e as Error).message, { file: opts.output });
    }
  }
  const progress = opts.onProgress
    ? new ProgressMeter(
        opts.onProgress,
        parts.reduce((n, p) => n + p.segments.reduce((m, s) => m + s.logSize, 0), 0),
      )
    : null;
  const walker = new RecordWalker();
  const result: ExportResult = { format: opts.format, compression: opts.format === 'parquet' ? (opts.compression ?? 'snappy') : null, partitions: [], batches: 0, records: 0 };
  for (const part of parts) {
    const name = path.basename(path.resolve(part.dir));
    const target = toDir ? path.join(opts.output, `${name}.${EXTENSIONS[opts.format]}`) : opts.output;
    if (!opts.force && fs.existsSync(target)) throw new UsageError(`${target} exists (give --force to overwrite it)`);
    const summary: ExportPartitionSummary = { dir: part.dir, topic: null, partition: null, batches: 0, records: 0, logs: [] };
    const sink = await openSink(opts.format, target, { compression: opts.compression, rowGroupRows: opts.rowGroupRows });
    const done = result.partitions.map((p) => p.output);
    const state = (): string =>
      `export interrupted: ${target} was not written (its temporary file was removed)` + (done.length ? `; complete before it: ${done.join(', ')}` : '; nothing else was written');
    let sinceSafe = 0;
    try {
      for (const b of segmentBatches(part, summary, walker, progress)) {
        const w = b.walked !== null ? sink.writeWalked(b.fields, b.walked) : sink.writeBatch(b.fields, b.records!);
        if (w) await w;
        sinceSafe += b.fields.batchSize;
        if (sinceSafe >= SAFE_STEP && opts.signal) {
          sinceSafe = 0;
          await safePoint(opts.signal, 'export-batches', state);
        }
      }
      await safePoint(opts.signal, `export-commit-${done.length + 1}`, state);
      await sink.commit();
    } catch (e) {
      await sink.abort();
      throw e;
    }
    result.partitions.push({ ...summary, output: target, bytesWritten: fs.statSync(target).size });
    result.batches += summary.batches;
    result.records += summary.records;
  }
  return result;
}
