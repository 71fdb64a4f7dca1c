import fs from 'node:fs';
import path from 'node:path';
import { encodePartitionMetadata, type LeaderEpochEntry } from '../format/checkpoints.js';
import { IoError, UsageError, ioError } from '../format/errors.js';
import { assertNotLocked, TEMP_SUFFIX } from '../storage/atomic.js';
import { assertNoKsegLock } from '../storage/lock.js';
import { parseSegmentName, statError } from '../storage/segments.js';
import { applyCorruption, type CorruptionReport } from './generate/corrupt.js';
import { resolveGenerateOptions, type GenerateOptions } from './generate/options.js';
import { Prng } from './generate/prng.js';
import { Workload } from './generate/workload.js';
import { safePoint, type StopState } from './interrupt.js';
import { PartitionWriter, type AppendInfo, type SegmentSummary } from './generate/writer.js';

export { CORRUPT_KINDS, GENERATE_CODECS, GENERATE_DEFAULTS, resolveGenerateOptions, type CorruptKind, type GenerateOptions } from './generate/options.js';
export type { CorruptionReport } from './generate/corrupt.js';
export type { AppendInfo, SegmentSummary } from './generate/writer.js';

/**
 * `kseg generate OUT_DIR`: write a partition directory the way a broker would — clients'
 * batches (workload.ts), the broker's segment/index/producer-state bookkeeping (writer.ts), then
 * optionally one injected fault (corrupt.ts). Same options and seed give byte-identical files.
 */
export interface GenerateHooks {
  /** Called after every append with where its batches went (tests, tools). */
  onAppend?: (a: AppendInfo) => void;
  /**
   * CRCs and .log writes on a helper thread: 'auto' (default) for runs expected to write 32 MiB
   * or more (the thread costs tens of milliseconds to start), or always / never.
   */
  ioWorker?: 'auto' | boolean;
  /** Called every few appends and at the end. */
  onProgress?: (p: GenerateProgress) => void;
  /**
   * Stop at the next safe point once aborted (the CLI aborts it on SIGINT / SIGTERM): between
   * appends, at most every 100 ms ('generate-append'), and before an injected fault
   * ('generate-corrupt'). Throws Interrupted after removing what the run wrote.
   */
  signal?: AbortSignal;
}

export interface GenerateProgress {
  dataRecords: number;
  bytes: number;
  /** Budget: data records asked for, and bytes when --bytes was given. */
  targetRecords: number;
  targetBytes: number | null;
  done: boolean;
}

export interface GenerateSummary {
  /** The verify summary fields (OUTPUT.md): counts over the generated .log files. */
  segments: number;
  batches: number;
  /** Records including control records (transaction markers). */
  records: number;
  bytes: number;
  logStartOffset: number;
  logEndOffset: number;
  dataRecords: number;
  controlRecords: number;
  transactions: { committed: number; aborted: number };
  producers: number;
  /** The leader-epoch-checkpoint entries (v2), else null. */
  leaderEpochs: LeaderEpochEntry[] | null;
  topicId: string;
  snapshots: string[];
  segmentList: SegmentSummary[];
  /** The options in effect (`records` is null when only a byte budget limited the run). */
  config: Omit<GenerateOptions, 'force' | 'fsync' | 'corrupt' | 'records'> & { records: number | null };
  /** Partition files that were in OUT_DIR and were replaced (--force). */
  replacedFiles: string[];
  corruption?: CorruptionReport;
}

/**
 * Write a partition directory into outDir as a broker would: segments, indexes, snapshots and
 * checkpoints from a seeded workload (the same options give the same bytes), with an optional injected fault.
 */
export async function generate(outDir: string, input: Partial<GenerateOptions> = {}, hooks: GenerateHooks = {}): Promise<GenerateSummary> {
  const o = resolveGenerateOptions(input);
  const { createdDir, replacedFiles } = prepareDir(outDir, o.force);
  const topicId = o.topicId ?? topicIdFromSeed(o.seed);
  const writer = new PartitionWriter({
    dir: outDir,
    startOffset: o.startOffset,
    segmentBytes: o.segmentBytes,
    indexIntervalBytes: o.indexIntervalBytes,
    layout: o.layout,
    magic: o.magic,
    fsync: o.fsync,
    ioWorker: hooks.ioWorker === undefined || hooks.ioWorker === 'auto' ? expectedBytes(o) >= IO_WORKER_MIN_BYTES : hooks.ioWorker,
    onAppend: hooks.onAppend,
  });
  const at: StopState = {
    state: createdDir ? `generate stopped: ${outDir} was removed (this run had created it)` : `generate stopped: the files this run had written in ${outDir} were removed`,
  };
  try {
    writer.writeSideFile('partition.metadata', encodePartitionMetadata(topicId));
    const workload = new Workload(o);
    workload.reserve = (bytes) => writer.reserve(bytes);
    const progress = (done: boolean): void =>
      hooks.onProgress?.({ dataRecords: workload.dataRecordsWritten, bytes: writer.logBytes, targetRecords: o.records, targetBytes: o.bytes, done });
    let appends = 0;
    let lastYield = performance.now();
    for (;;) {
      const stop = o.bytes !== null && writer.logBytes >= o.bytes;
      const a = await workload.next(stop);
      if (!a) break;
      writer.append(a.entries);
      if (writer.backlogged) await writer.drain();
      if (++appends % 64 === 0) {
        progress(false);
        // Let timers (the progress bar) and signal handlers run during long runs.
        if (appends === 64 || performance.now() - lastYield > 100) {
          if (hooks.signal) await safePoint(hooks.signal, 'generate-append', () => at.state);
          else await new Promise((r) => setImmediate(r));
          lastYield = performance.now();
        }
      }
    }
    const w = await writer.finish();
    progress(true);
    const { force: _f, fsync: _s, corrupt: _c, ...config } = o;
    const summary: GenerateSummary = {
      segments: w.segments.length,
      batches: w.batches,
      records: w.records,
      bytes: w.bytes,
      logStartOffset: w.logStartOffset,
      logEndOffset: w.logEndOffset,
      dataRecords: w.records - w.controlRecords,
      controlRecords: w.controlRecords,
      transactions: { committed: workload.transactionsCommitted, aborted: workload.transactionsAborted },
      producers: w.producers,
      leaderEpochs: o.magic >= 2 ? w.leaderEpochs : null,
      topicId,
      snapshots: w.snapshots,
      segmentList: w.segments,
      config: { ...config, records: o.bytes !== null && o.records === Number.MAX_SAFE_INTEGER ? null : o.records, topicId },
      replacedFiles,
    };
    if (o.corrupt) {
      await safePoint(hooks.signal, 'generate-corrupt', () => at.state);
      summary.corruption = applyCorruption(outDir, o, w);
    }
    return summary;
  } catch (e) {
    await writer.abort();
    if (createdDir) fs.rmSync(outDir, { recursive: true, force: true });
    throw e;
  }
}

const IO_WORKER_MIN_BYTES = 32 * 1024 * 1024;

/** About how many .log bytes these options produce (for choosing the write path only). */
function expectedBytes(o: GenerateOptions): number {
  const perRecord = 20 + (o.valueSize.min + o.valueSize.max) / 2 + (o.keySpace > 0 ? 11 : 0) + o.headers * 15;
  const byRecords = o.records * perRecord;
  return o.bytes !== null ? Math.min(o.bytes, byRecords) : byRecords;
}

/** Files Kafka keeps in a partition directory (what --force replaces); anything else is left alone. */
function isPartitionFile(name: string): boolean {
  return parseSegmentName(name) !== null || name === 'leader-epoch-checkpoint' || name === 'partition.metadata' || name.endsWith(TEMP_SUFFIX);
}

function prepareDir(dir: string, force: boolean): { createdDir: boolean; replacedFiles: string[] } {
  let st: fs.Stats | undefined;
  try {
    st = fs.statSync(dir);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw statError(e, dir);
    let link = false;
    try {
      link = fs.lstatSync(dir).isSymbolicLink();
    } catch {
      /* not there: created below */
    }
    if (link) throw statError(e, dir); // a dangling link: say so rather than create its target
  }
  if (!st) {
    try {
      fs.mkdirSync(dir, { recursive: true });
    } catch (e) {
      throw ioError(e, dir);
    }
    return { createdDir: true, replacedFiles: [] };
  }
  if (!st.isDirectory()) throw new IoError('ENOTDIR', 'OUT_DIR exists and is not a directory', { file: dir });
  assertNotLocked(dir, false);
  assertNoKsegLock(dir);
  let names: string[];
  try {
    names = fs.readdirSync(dir).sort();
  } catch (e) {
    throw ioError(e, dir);
  }
  if (names.length === 0) return { createdDir: false, replacedFiles: [] };
  if (!force) throw new UsageError(`${dir} is not empty (${names.length} entr${names.length === 1 ? 'y' : 'ies'}); pass --force to replace the partition files in it`);
  const replaced = names.filter(isPartitionFile);
  for (const name of replaced) {
    try {
      fs.rmSync(path.join(dir, name), { force: true });
    } catch (e) {
      throw ioError(e, path.join(dir, name));
    }
  }
  return { createdDir: false, replacedFiles: replaced };
}

/** A topic id as Kafka's Uuid.randomUuid makes them (not zero, not the metadata id, no leading '-'), from the seed. */
export function topicIdFromSeed(seed: number): string {
  const rng = new Prng(seed, 'topic-id');
  const bytes = Buffer.alloc(16);
  for (;;) {
    rng.fill(bytes);
    const id = bytes.toString('base64url');
    const zeroOrOne = bytes.subarray(0, 15).every((b) => b === 0) && bytes[15]! <= 1;
    if (!zeroOrOne && !id.startsWith('-')) return id;
  }
}
