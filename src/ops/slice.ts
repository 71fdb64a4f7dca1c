import { safePoint } from './interrupt.js';
import { ProgressMeter, type OnProgress } from './progress.js';
import fs from 'node:fs';
import path from 'node:path';
import { checkBatchCrc } from '../format/batch.js';
import { CorruptDataError, ioError, NotFoundError, UsageError } from '../format/errors.js';
import { faultPoint, fsyncDir, TEMP_SUFFIX } from '../storage/atomic.js';
import { logEntries } from '../storage/log-reader.js';
import { openSource, readWholeFile, type ByteSource } from '../storage/source.js';
import { copyEntries, keptEntry, writeFreshPartition, type KeptEntry, type OutSegment } from './fresh-partition.js';
import { DEFAULT_INDEX_INTERVAL_BYTES, resolveSegmentTarget } from './rebuild-index.js';
import { redactEntry, type RedactOptions } from './redact.js';

/**
 * kseg slice: the entries (v2 batches, v0/v1 messages or compressed wrappers) that hold any offset
 * of [fromOffset, toOffset], copied byte for byte into a standalone partition (or one .log file):
 * the minimal reproduction of a problem to attach to a ticket. Entries are whole, so the slice can
 * start below fromOffset and end above toOffset (a batch is the unit Kafka stores and fetches).
 */
export interface SliceOptions {
  fromOffset: number;
  /** Inclusive; defaults to fromOffset. */
  toOffset?: number;
  /** Write one .log file at `out` instead of a partition directory. */
  singleFile?: boolean;
  indexIntervalBytes?: number;
  /** Re-encode with these fields replaced by same-length keyed hashes (redact.ts). */
  redact?: RedactOptions;
  /** Bytes of the input .log files read (the segments that hold the range). */
  onProgress?: OnProgress;
  /** Stop between input segments once aborted (throws Interrupted: nothing was written). */
  signal?: AbortSignal;
}

export interface SliceSegment {
  /** Input .log file. */
  file: string;
  /** Output .log file (the partition's segment, or the single file). */
  output: string;
  /** Byte range [position, endPosition) of the input file that was copied (entries are contiguous). */
  position: number;
  endPosition: number;
  batches: number;
  records: number;
  bytes: number;
  baseOffset: number;
  lastOffset: number;
}

export interface SliceResult {
  input: string;
  output: string;
  singleFile: boolean;
  fromOffset: number;
  toOffset: number;
  /** First and last offset of the copied entries (may lie outside [fromOffset, toOffset]: entries are copied whole). */
  firstOffset: number;
  lastOffset: number;
  batches: number;
  records: number;
  bytes: number;
  segments: SliceSegment[];
  files: string[];
  /** With --redact: the fields replaced, records rewritten, and compressed batches whose size changed when compressed again. */
  redacted: { fields: string[]; records: number; batches: number; compressedSizeChanged: number } | null;
}

export async function slice(input: string, out: string, opts: SliceOptions): Promise<SliceResult> {
  const from = opts.fromOffset;
  const to = opts.toOffset ?? from;
  if (!Number.isSafeInteger(from) || from < 0) throw new UsageError(`--from-offset must be a non-negative integer (got ${from})`);
  if (!Number.isSafeInteger(to) || to < from) throw new UsageError(`--to-offset ${to} is below --from-offset ${from}`);
  const { dir, partition, target } = resolveSegmentTarget(input);
  const all = partition.segments.filter((s) => target === null || s.baseOffset === target);
  if (all.length === 0) throw new CorruptDataError('NO_SEGMENTS', `${dir} holds no .log segment`, { file: dir });
  if (fs.existsSync(out) && (opts.singleFile || !fs.statSync(out).isDirectory() || fs.readdirSync(out).length > 0)) {
    throw new UsageError(`${out} already exists${opts.singleFile ? '' : ' and is not an empty directory'}; give a new path (nothing is ever overwritten)`);
  }
  const redacted = opts.redact ? { fields: [...opts.redact.fields], records: 0, batches: 0, compressedSizeChanged: 0 } : null;
  const sources: ByteSource[] = [];
  const outSegs: (OutSegment & { file: string })[] = [];
  const inRange = all.filter((s, i) => !(all[i + 1] && all[i + 1]!.baseOffset <= from) && s.baseOffset <= to);
  const progress = opts.onProgress
    ? new ProgressMeter(
        opts.onProgress,
        inRange.reduce((n, s) => n + s.logSize, 0),
      )
    : null;
  try {
    for (let i = 0; i < all.length; i++) {
      const seg = all[i]!;
      const next = all[i + 1];
      // A segment holds offsets below the next one's base: skip those entirely below the range, stop above it.
      if (next && next.baseOffset <= from) continue;
      if (seg.baseOffset > to) break;
      await safePoint(opts.signal, `slice-segment-${i + 1}`, () => `slice interrupted while reading ${seg.log}: nothing was written (${out} was not created)`);
      const src = openSource(path.join(dir, seg.log), { pattern: 'sequential' });
      sources.push(src);
      const kept: KeptEntry[] = [];
      const it = logEntries(src, { file: seg.log, checkCrc: false });
      let done = false;
      for (;;) {
        const n = it.next();
        if (n.done) {
          // A torn or zero-filled tail is the end of data (Kafka reads it so); a bad length field mid-file is damage.
          if (n.value.reason === 'corrupt-size' && !n.value.zeroTail && !done) {
            throw new CorruptDataError(
              'SIZE_TOO_SMALL',
              `length field ${n.value.sizeField} at byte ${n.value.position} cannot be framed; run kseg salvage first and slice its output`,
              { file: seg.log, position: n.value.position },
            );
          }
          break;
        }
        const item = n.value;
        if (item.kind === 'bad-entry')
          throw new CorruptDataError(item.error.code, `${item.error.message}; run kseg salvage first and slice its output`, { file: seg.log, position: item.position });
        const b = item.batch;
        progress?.at(b.position);
        if (b.lastOffset < from) continue;
        if (b.baseOffset > to) {
          done = true;
          break;
        }
        checkBatchCrc(b);
        if (!b.crcValid)
          throw new CorruptDataError(
            'CRC_MISMATCH',
            `the batch at offsets ${b.baseOffset}..${b.lastOffset} fails its CRC (stored 0x${b.crc.toString(16)}, computed 0x${b.computedCrc.toString(16)}); run kseg salvage first and slice its output`,
            { file: seg.log, position: b.position },
          );
        const prev = kept[kept.length - 1] ?? outSegs[outSegs.length - 1]?.batches.at(-1);
        if (prev && b.baseOffset <= prev.lastOffset)
          throw new CorruptDataError(
            'OFFSET_NOT_INCREASING',
            `offsets ${b.baseOffset}..${b.lastOffset} do not follow ${prev.lastOffset}; run kseg salvage first and slice its output`,
            { file: seg.log, position: b.position },
          );
        kept.push(keptEntry(b));
        if (opts.redact) {
          const r = await redactEntry(b, opts.redact);
          const k = kept[kept.length - 1]!;
          k.data = r.bytes;
          redacted!.records += r.records;
          redacted!.batches++;
          if (r.sizeChanged) redacted!.compressedSizeChanged++;
        }
      }
      if (kept.length > 0) outSegs.push({ baseOffset: kept[0]!.baseOffset, batches: kept, src, file: seg.log });
      progress?.fileDone(seg.logSize);
      if (done) break;
    }
    if (outSegs.length === 0) throw new NotFoundError('OFFSET_NOT_FOUND', `no batch holds an offset in [${from}, ${to}]`, { file: dir });
    const segments: SliceSegment[] = outSegs.map((s) => {
      const first = s.batches[0]!;
      const last = s.batches[s.batches.length - 1]!;
      return {
        file: s.file,
        output: opts.singleFile ? path.basename(out) : `${s.baseOffset.toString().padStart(20, '0')}.log`,
        position: first.position,
        endPosition: last.position + last.size,
        batches: s.batches.length,
        records: s.batches.reduce((a, b) => a + b.recordCount, 0),
        bytes: s.batches.reduce((a, b) => a + (b.data?.length ?? b.size), 0),
        baseOffset: first.baseOffset,
        lastOffset: last.lastOffset,
      };
    });
    let files: string[];
    if (opts.singleFile) {
      writeSingleFile(out, outSegs);
      files = [path.basename(out)];
    } else {
      const pm = partition.partitionMetadata ? path.join(dir, partition.partitionMetadata) : null;
      let partitionMetadata: Buffer | undefined;
      try {
        if (pm) partitionMetadata = readWholeFile(pm);
      } catch (e) {
        throw ioError(e, pm!);
      }
      files = writeFreshPartition(out, outSegs, { partitionMetadata, indexIntervalBytes: opts.indexIntervalBytes ?? DEFAULT_INDEX_INTERVAL_BYTES }).files;
    }
    return {
      input: dir,
      output: out,
      singleFile: !!opts.singleFile,
      fromOffset: from,
      toOffset: to,
      firstOffset: segments[0]!.baseOffset,
      lastOffset: segments[segments.length - 1]!.lastOffset,
      batches: segments.reduce((a, s) => a + s.batches, 0),
      records: segments.reduce((a, s) => a + s.records, 0),
      bytes: segments.reduce((a, s) => a + s.bytes, 0),
      segments,
      files,
      redacted,
    };
  } finally {
    for (const s of sources) s.close();
  }
}

/** --single-file: every entry in one file, written to a temporary name, fsynced, renamed into place. */
function writeSingleFile(out: string, segs: OutSegment[]): void {
  const tmp = out + TEMP_SUFFIX;
  const dir = path.dirname(path.resolve(out));
  try {
    faultPoint(`write ${path.basename(out)}`);
    const fd = fs.openSync(tmp, 'wx', 0o644);
    try {
      for (const s of segs) if (s.src) copyEntries(fd, out, s.src, s.batches);
      fs.fsyncSync(fd);
    } finally {
      fs.closeSync(fd);
    }
    faultPoint(`rename ${path.basename(out)}`);
    fs.renameSync(tmp, out);
    fsyncDir(dir);
  } catch (e) {
    try {
      fs.rmSync(tmp, { force: true });
    } catch {
      /* best effort */
    }
    if ((e as NodeJS.ErrnoException).syscall) throw ioError(e, out);
    throw e;
  }
}
