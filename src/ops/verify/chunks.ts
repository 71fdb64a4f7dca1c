import type { MessagePort } from 'node:worker_threads';
import { frameEntry, LOG_OVERHEAD, RECORD_BATCH_OVERHEAD } from '../../format/batch.js';
import { checkEntryAt, resyncWithin } from '../../storage/log-reader.js';
import { headerSource, PositionalReader } from '../../storage/positional-reader.js';
import type { ByteSource } from '../../storage/source.js';
import { batchClean } from './record-rules.js';

/**
 * The range checks of `verify --jobs` (see pool.ts), shared by the main thread and the workers:
 * the words of a segment's control block, the messages, framing and judging the batches of one
 * byte range (record-rules.ts batchClean), and a worker's loop.
 *
 * A range [from, to) of a segment is checked by whoever claims it, from its own first batch: the
 * first entry at or after `from` framed forward from the offset index's largest position at or
 * before `from` (the hint, Kafka's lookup) when a valid entry starts there, else the first
 * position in the range where a valid entry starts
 * (storage/log-reader.ts resyncWithin, as Kafka-style recovery scans: framing, magic, offset
 * bounds, CRC). From there it frames entries exactly as the main thread's walk does
 * (format/batch.ts frameEntry) until the first one that starts at or after `to`, so its last
 * batch may run past `to` and its walk ends where the next range's walk should begin. It stops
 * early at an entry that cannot be framed (the main thread's walk reports that one).
 */

// ctrl words (Int32Array over a SharedArrayBuffer, one per segment)
export const PUBLISHED = 0; // ranges claimable (all of them, from the start)
export const NEXT = 1; // next range to claim
export const FRAMED = 2; // 1 once PUBLISHED is final
export const DONE = 3; // results posted by workers (a counter to wait on)
export const CTRL_WORDS = 4;

export interface SegmentJob {
  gen: number;
  path: string;
  file: string;
  ctrl: SharedArrayBuffer;
  /** Float64 triples per range: from, to, hint (a position from the offset index, or -1). */
  bounds: SharedArrayBuffer;
  /** Offsets a batch of this segment may start at (resynchronising ignores entries outside). */
  minOffset: number;
  maxOffset: number;
}

/** What one range's walk found. */
export interface RangeResult {
  /** Position of its first batch, or -1: none starts in the range (or the check failed). */
  start: number;
  /** Where its walk ended: the first entry at or after `to`, or the first that cannot be framed. */
  end: number;
  /** Batches framed from `start`. */
  count: number;
  /** Positions of the framed batches that are not plainly clean, ascending. */
  self: number[];
  /** The first RECORD_BATCH_OVERHEAD bytes of each framed batch (fewer for a shorter entry), or null (over HEADER_CAP). */
  headers: Uint8Array | null;
}

export interface ChunkResult {
  gen: number;
  chunk: number;
  result: RangeResult;
}

/** A range nobody could check (an I/O error): the main thread's walk checks its batches itself. */
export const NO_RANGE: RangeResult = { start: -1, end: -1, count: 0, self: [], headers: null };

/** The next range nobody has claimed, or -1. */
export function claim(ctrl: Int32Array): number {
  for (;;) {
    const j = Atomics.load(ctrl, NEXT);
    if (j >= Atomics.load(ctrl, PUBLISHED)) return -1;
    if (Atomics.compareExchange(ctrl, NEXT, j, j + 1) === j) return j;
  }
}

/** Positional reads of whole batches into one reused buffer that fits a core's L2 cache (grown for a larger batch). */
const READ_BUFFER = 512 * 1024;
/** A hint further than this before its range's start is not framed forward from (a sparse or damaged index). */
const MAX_HINT_SCAN = 1024 * 1024;
/** Headers kept per range for the main thread's walk, at most this many bytes (beyond: it reads them itself). */
const HEADER_CAP = 4 * 1024 * 1024;

/**
 * How a thread reads the ranges of one segment: positional reads of whole batches into one
 * borrowed buffer (storage/positional-reader), no page-table work, which in a multi-threaded
 * process costs TLB shootdowns on every unmap.
 */
export class ChunkReader {
  private r: PositionalReader<'borrowed'> | null = null;
  private src: ByteSource | null = null;

  constructor(private readonly path: string) {}

  /**
   * The first batch of range [from, to): byte 0 for range 0; else framed forward from the hint
   * (the index's largest position at or before `from`) when a valid entry starts there and the
   * framing reaches `from` (the first entry at or after it); else the first position in the range
   * where a valid entry starts. -1: none.
   */
  private startOf(from: number, to: number, hint: number, job: Pick<SegmentJob, 'file' | 'minOffset' | 'maxOffset'>): number {
    if (from === 0) return 0;
    const src = (this.src ??= headerSource(this.path));
    const opts = { minOffset: job.minOffset, maxOffset: job.maxOffset, file: job.file };
    if (hint >= 0 && hint <= from && from - hint <= MAX_HINT_SCAN && checkEntryAt(src, hint, opts).ok) {
      let pos = hint;
      while (pos < from) {
        const f = frameEntry(src.read(pos, Math.min(LOG_OVERHEAD, src.size - pos)), 0, pos, src.size);
        if (f.kind !== 'entry') break;
        pos += f.size;
      }
      if (pos >= from && pos < to) return pos;
    }
    return resyncWithin(src, from, to, opts)?.position ?? -1;
  }

  /** Frame and judge the batches of range [from, to) (see the top of this file). */
  check(from: number, to: number, hint: number, job: Pick<SegmentJob, 'file' | 'minOffset' | 'maxOffset'>): RangeResult {
    // Opened on first use: a file that cannot be opened fails this range (checked by the main thread), not the worker.
    const r = (this.r ??= new PositionalReader(this.path, { lifetime: 'borrowed', size: READ_BUFFER }));
    const start = this.startOf(from, to, hint, job);
    if (start < 0) return NO_RANGE;
    const size = r.size;
    const file = job.file;
    const self: number[] = [];
    let headers: Uint8Array | null = new Uint8Array(Math.min(HEADER_CAP, Math.max(RECORD_BATCH_OVERHEAD * 64, Math.ceil((to - from) / 4096) * RECORD_BATCH_OVERHEAD)));
    let count = 0;
    let pos = start;
    while (pos < to) {
      let got = r.window(pos, Math.min(LOG_OVERHEAD, size - pos), size);
      let at = r.offsetOf(pos);
      const f = frameEntry(r.bytes, at, pos, size);
      if (f.kind !== 'entry') break;
      const n = f.size;
      if (n > got) {
        got = r.window(pos, n, size);
        at = r.offsetOf(pos);
      }
      const buf = r.bytes;
      if (!batchClean(buf, at, n, pos, file)) self.push(pos);
      if (headers !== null) {
        const h = count * RECORD_BATCH_OVERHEAD;
        if (h + RECORD_BATCH_OVERHEAD > headers.length) {
          if (headers.length * 2 > HEADER_CAP) headers = null;
          else {
            const grown: Uint8Array = new Uint8Array(headers.length * 2);
            grown.set(headers);
            headers = grown;
          }
        }
        if (headers !== null) headers.set(buf.subarray(at, at + Math.min(n, RECORD_BATCH_OVERHEAD)), h);
      }
      count++;
      pos += n;
    }
    return { start, end: pos, count, self, headers: headers === null ? null : headers.subarray(0, count * RECORD_BATCH_OVERHEAD) };
  }

  close(): void {
    this.r?.close();
    this.r = null;
    this.src?.close();
    this.src = null;
  }
}

/** Range j's [from, to) and hint, as the main thread published them. */
export function rangeOf(bounds: Float64Array, j: number): [from: number, to: number, hint: number] {
  return [bounds[3 * j]!, bounds[3 * j + 1]!, bounds[3 * j + 2]!];
}

/** Worker side: check the ranges of each segment it is sent until none are left to claim. */
export function runWorker(port: MessagePort, job: SegmentJob): void {
  const ctrl = new Int32Array(job.ctrl);
  const bounds = new Float64Array(job.bounds);
  const reader = new ChunkReader(job.path);
  try {
    for (;;) {
      // Read FRAMED before claiming: when it was already set, a failed claim means nothing is left.
      const framed = Atomics.load(ctrl, FRAMED) === 1;
      const published = Atomics.load(ctrl, PUBLISHED);
      const j = claim(ctrl);
      if (j < 0) {
        if (framed) break;
        Atomics.wait(ctrl, PUBLISHED, published, 20);
        continue;
      }
      let result: RangeResult;
      try {
        const [from, to, hint] = rangeOf(bounds, j);
        result = reader.check(from, to, hint, job);
      } catch {
        result = NO_RANGE;
      }
      const m: ChunkResult = { gen: job.gen, chunk: j, result };
      port.postMessage(m, result.headers ? [result.headers.buffer as ArrayBuffer] : []);
      Atomics.add(ctrl, DONE, 1);
      Atomics.notify(ctrl, DONE);
    }
  } finally {
    reader.close();
  }
}
