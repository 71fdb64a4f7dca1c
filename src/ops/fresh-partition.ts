import fs from 'node:fs';
import path from 'node:path';
import { batchRecords, type Batch } from '../format/batch.js';
import { encodeLeaderEpochCheckpoint, type LeaderEpochEntry } from '../format/checkpoints.js';
import { ioError, UsageError } from '../format/errors.js';
import { encodeProducerSnapshot } from '../format/snapshot.js';
import { faultPoint, fsyncDir } from '../storage/atomic.js';
import type { ByteSource } from '../storage/source.js';
import { scanPartitionDir, segmentFileName } from '../storage/segments.js';
import { ProducerStateModel } from './generate/producer-state.js';
import { DEFAULT_INDEX_INTERVAL_BYTES } from './rebuild-index.js';
import { scanPartitionSteps, viewOf } from './partition-scan/index.js';
import { runToEnd, SCAN_STEP, type Steps } from './interrupt.js';

/**
 * Write a new partition directory (salvage, slice) from entries copied byte for byte out of
 * existing .log files, then add what a broker would find after a clean shutdown: indexes rebuilt
 * with Kafka's index.interval.bytes rule, .txnindex from the ABORT markers, leader-epoch-checkpoint
 * from the batches' partitionLeaderEpoch (LeaderEpochFileCache.assign keeps only increasing epochs),
 * producer snapshots (see producerSnapshots) and the
 * input's partition.metadata. Everything goes to a temporary sibling directory, each file fsynced,
 * then one rename puts the directory in place: an interrupted run leaves no OUT_DIR.
 */
export interface OutSegment {
  baseOffset: number;
  /** Entries to copy, in offset order, all from `src`. */
  batches: KeptEntry[];
  src: ByteSource | null;
}

/** What the writer needs of a copied entry: where it is, and the header fields of epochs and producer state (no bytes held). */
export interface KeptEntry {
  position: number;
  size: number;
  magic: number;
  baseOffset: number;
  lastOffset: number;
  recordCount: number;
  partitionLeaderEpoch: number;
  producerId: number;
  producerEpoch: number;
  baseSequence: number;
  maxTimestamp: number;
  isTransactional: boolean;
  isControl: boolean;
  /** COMMIT/ABORT of a v2 control batch, else null. */
  marker: { type: 'COMMIT' | 'ABORT'; coordinatorEpoch: number } | null;
  /** New bytes to write instead of the source's (slice --redact). */
  data?: Buffer;
}

export function keptEntry(b: Batch): KeptEntry {
  let marker: KeptEntry['marker'] = null;
  if (b.magic >= 2 && b.isControl) {
    try {
      const first = batchRecords(b).next();
      const c = first.done ? undefined : first.value.control;
      if (c && (c.type === 'COMMIT' || c.type === 'ABORT')) marker = { type: c.type, coordinatorEpoch: c.coordinatorEpoch ?? -1 };
    } catch {
      /* an undecodable control record: not a marker */
    }
  }
  return {
    position: b.position,
    size: b.size,
    magic: b.magic,
    baseOffset: b.baseOffset,
    lastOffset: b.lastOffset,
    recordCount: b.recordCount,
    partitionLeaderEpoch: b.partitionLeaderEpoch,
    producerId: b.producerId,
    producerEpoch: b.producerEpoch,
    baseSequence: b.baseSequence,
    maxTimestamp: b.maxTimestamp,
    isTransactional: b.isTransactional,
    isControl: b.isControl,
    marker,
  };
}

export interface FreshPartitionResult {
  files: string[];
  logStartOffset: number;
  logEndOffset: number;
  leaderEpochs: LeaderEpochEntry[];
}

/** Refuse an OUT_DIR that exists and is not an empty directory. */
export function assertFreshOutDir(out: string): void {
  let st: fs.Stats;
  try {
    st = fs.statSync(out);
  } catch {
    return;
  }
  if (!st.isDirectory()) throw new UsageError(`${out} exists and is not a directory; give a new directory for the output`);
  if (fs.readdirSync(out).length > 0) throw new UsageError(`${out} is not empty; give a new or empty directory for the output (nothing is ever overwritten)`);
}

const COPY_CHUNK = 4 << 20;

/** Append the entries' bytes, read again from `src`, to an open file: adjacent entries are copied as one range, in chunks of up to 4 MiB. */
export function copyEntries(fd: number, file: string, src: ByteSource, batches: KeptEntry[]): number {
  return runToEnd(copyEntriesSteps(fd, file, src, batches));
}

/** copyEntries as steps (ops/interrupt.ts): a safe point ('copy') every SCAN_STEP bytes written. */
export function* copyEntriesSteps(fd: number, file: string, src: ByteSource, batches: KeptEntry[]): Steps<number> {
  let written = 0;
  let nextStop = SCAN_STEP;
  const write = (buf: Uint8Array): void => {
    try {
      fs.writeSync(fd, buf, 0, buf.length);
    } catch (e) {
      throw ioError(e, file);
    }
    written += buf.length;
  };
  let runStart = -1;
  let runEnd = -1;
  for (let i = 0; i <= batches.length; i++) {
    const b = batches[i];
    // The run of adjacent entries ends here (a gap, an entry with its own bytes, or the end): copy it.
    if (runStart >= 0 && (!b || b.data || b.position !== runEnd)) {
      for (let p = runStart; p < runEnd; p += COPY_CHUNK) {
        write(src.read(p, Math.min(COPY_CHUNK, runEnd - p)));
        if (written >= nextStop) {
          yield 'copy';
          nextStop = written + SCAN_STEP;
        }
      }
      runStart = runEnd = -1;
    }
    if (!b) break;
    if (b.data) {
      write(b.data);
      continue;
    }
    if (runStart < 0) runStart = b.position;
    runEnd = b.position + b.size;
  }
  return written;
}

/** Write a new file (never an existing one) and fsync it; a fault point for the crash tests. */
export function writeSynced(dir: string, name: string, data: Uint8Array | string): void {
  faultPoint(`write ${name}`);
  const p = path.join(dir, name);
  try {
    const fd = fs.openSync(p, 'wx', 0o644);
    try {
      fs.writeFileSync(fd, data);
      fs.fsyncSync(fd);
    } finally {
      fs.closeSync(fd);
    }
  } catch (e) {
    throw ioError(e, p);
  }
}

/**
 * Producer snapshots as a broker leaves them: one at each later segment's base offset (taken at the
 * roll, ProducerStateManager.takeSnapshot) and one at the log end offset (clean shutdown), each
 * holding the state of the v2 batches before it.
 */
function producerSnapshots(segments: OutSegment[], logEndOffset: number): { offset: number; data: Buffer }[] {
  const model = new ProducerStateModel();
  const out: { offset: number; data: Buffer }[] = [];
  segments.forEach((s, i) => {
    if (i > 0) out.push({ offset: s.baseOffset, data: encodeProducerSnapshot(model.snapshot()) });
    for (const b of s.batches) {
      if (b.magic < 2 || b.producerId < 0) continue;
      if (b.isControl && !b.marker) continue;
      const t = model.apply(b);
      if (t) model.completeTxn(t);
    }
  });
  if (!out.some((x) => x.offset === logEndOffset)) out.push({ offset: logEndOffset, data: encodeProducerSnapshot(model.snapshot()) });
  return out;
}

/** LeaderEpochFileCache.assign over the batches in offset order: a new entry when the epoch grows. */
export function epochsOf(segments: OutSegment[]): LeaderEpochEntry[] {
  const out: LeaderEpochEntry[] = [];
  for (const s of segments) {
    for (const b of s.batches) {
      if (b.magic < 2 || b.partitionLeaderEpoch < 0) continue;
      const last = out[out.length - 1];
      if (!last || b.partitionLeaderEpoch > last.epoch) out.push({ epoch: b.partitionLeaderEpoch, startOffset: b.baseOffset });
    }
  }
  return out;
}

export function writeFreshPartition(out: string, segments: OutSegment[], opts: { partitionMetadata?: Buffer; indexIntervalBytes?: number }): FreshPartitionResult {
  return runToEnd(writeFreshPartitionSteps(out, segments, opts));
}

/**
 * writeFreshPartition as steps (ops/interrupt.ts): safe points before each segment written
 * ('write-segment-N'), every few MiB of a copy and of the index rebuild, and before the temporary
 * directory is renamed to `out` ('write-rename'). Stopped at any of them, the temporary directory
 * is removed: `out` does not exist (or stays empty).
 */
export function* writeFreshPartitionSteps(out: string, segments: OutSegment[], opts: { partitionMetadata?: Buffer; indexIntervalBytes?: number }): Steps<FreshPartitionResult> {
  assertFreshOutDir(out);
  const parent = path.dirname(path.resolve(out));
  const tmp = path.join(parent, `.${path.basename(path.resolve(out))}.kseg-tmp-${process.pid}`);
  const files: string[] = [];
  let settled = false; // renamed into place, or removed by the catch below
  try {
    fs.rmSync(tmp, { recursive: true, force: true });
    fs.mkdirSync(tmp);
    for (const [i, s] of segments.entries()) {
      yield `write-segment-${i + 1}`;
      const name = segmentFileName(s.baseOffset, 'log');
      faultPoint(`write ${name}`);
      const p = path.join(tmp, name);
      const fd = fs.openSync(p, 'wx', 0o644);
      try {
        if (s.src) yield* copyEntriesSteps(fd, name, s.src, s.batches);
        fs.fsyncSync(fd);
      } finally {
        fs.closeSync(fd);
      }
      files.push(name);
    }
    const scan = yield* scanPartitionSteps(viewOf(scanPartitionDir(tmp)), {
      buildIndexes: { indexIntervalBytes: opts.indexIntervalBytes ?? DEFAULT_INDEX_INTERVAL_BYTES },
      maxIssues: 0,
    });
    for (const s of scan.segments) {
      const r = s.rebuilt!;
      const name = s.segment.name;
      writeSynced(tmp, `${name}.index`, r.index);
      writeSynced(tmp, `${name}.timeindex`, r.timeindex);
      files.push(`${name}.index`, `${name}.timeindex`);
      if (r.txnIndexEntries > 0) {
        writeSynced(tmp, `${name}.txnindex`, r.txnindex);
        files.push(`${name}.txnindex`);
      }
    }
    const lastSeg = segments[segments.length - 1];
    const lastBatch = lastSeg?.batches[lastSeg.batches.length - 1];
    const logStartOffset = segments[0]?.baseOffset ?? 0;
    const logEndOffset = lastBatch ? lastBatch.lastOffset + 1 : (lastSeg?.baseOffset ?? 0);
    const leaderEpochs = epochsOf(segments);
    if (segments.some((s) => s.batches.some((b) => b.magic >= 2))) {
      writeSynced(tmp, 'leader-epoch-checkpoint', encodeLeaderEpochCheckpoint(leaderEpochs));
      files.push('leader-epoch-checkpoint');
      for (const snap of producerSnapshots(segments, logEndOffset)) {
        const name = segmentFileName(snap.offset, 'snapshot');
        writeSynced(tmp, name, snap.data);
        files.push(name);
      }
    }
    if (opts.partitionMetadata) {
      writeSynced(tmp, 'partition.metadata', opts.partitionMetadata);
      files.push('partition.metadata');
    }
    fsyncDir(tmp);
    yield 'write-rename';
    faultPoint(`rename ${path.basename(out)}`);
    if (fs.existsSync(out)) fs.rmdirSync(out); // empty (checked above)
    fs.renameSync(tmp, out);
    settled = true;
    fsyncDir(parent);
    return { files, logStartOffset, logEndOffset, leaderEpochs };
  } catch (e) {
    try {
      fs.rmSync(tmp, { recursive: true, force: true });
    } catch {
      /* best effort */
    }
    settled = true;
    if (e instanceof Error && 'code' in e && typeof (e as NodeJS.ErrnoException).syscall === 'string') throw ioError(e, out);
    throw e;
  } finally {
    // Stopped at a safe point (the generator was closed): nothing of the output stays.
    if (!settled) fs.rmSync(tmp, { recursive: true, force: true });
  }
}
