import type { MessagePort } from 'node:worker_threads';
import { SIZE_OFFSET } from '../../format/batch.js';
import { readInt32 } from '../../format/int64.js';
import { PositionalReader } from '../../storage/positional-reader.js';
import { batchClean } from './record-rules.js';

/**
 * The chunk checks of `verify --jobs` (see pool.ts), shared by the main thread and the workers:
 * the words of a segment's control block, the messages, reading a chunk and judging its batches
 * (records.ts batchClean), and a worker's loop.
 */

// ctrl words (Int32Array over a SharedArrayBuffer, one per segment)
export const PUBLISHED = 0; // chunks framed and claimable
export const NEXT = 1; // next chunk to claim
export const FRAMED = 2; // 1 once framing is complete (PUBLISHED is final)
export const DONE = 3; // results posted by workers (a counter to wait on)
export const CTRL_WORDS = 4;

/** A chunk whose batches the main thread checks itself, all of them (a worker failed on it). */
export const ALL_SELF = -1;

export interface SegmentJob {
  gen: number;
  path: string;
  file: string;
  ctrl: SharedArrayBuffer;
  bounds: SharedArrayBuffer;
}

export interface ChunkResult {
  gen: number;
  chunk: number;
  /** Positions of the batches that are not clean, ascending; null: check every batch (an error). */
  self: number[] | null;
}

/** The next published chunk nobody has claimed, or -1. */
export function claim(ctrl: Int32Array): number {
  for (;;) {
    const j = Atomics.load(ctrl, NEXT);
    if (j >= Atomics.load(ctrl, PUBLISHED)) return -1;
    if (Atomics.compareExchange(ctrl, NEXT, j, j + 1) === j) return j;
  }
}

/** Positional reads of whole batches into one reused buffer that fits a core's L2 cache (grown for a larger batch). */
const READ_BUFFER = 512 * 1024;

/**
 * How a thread reads the chunks of one segment: positional reads of whole batches into one
 * borrowed buffer (storage/positional-reader), no page-table work, which in a multi-threaded
 * process costs TLB shootdowns on every unmap.
 */
export class ChunkReader {
  private r: PositionalReader<'borrowed'> | null = null;

  constructor(private readonly path: string) {}

  /** Positions in [start, end) of the batches that are not plainly clean. */
  check(start: number, end: number, file: string): number[] {
    // Opened on first use: a file that cannot be opened fails this chunk (rechecked by the main thread), not the worker.
    const r = (this.r ??= new PositionalReader(this.path, { lifetime: 'borrowed', size: READ_BUFFER }));
    const self: number[] = [];
    let pos = start;
    while (pos < end) {
      const got = r.window(pos, Math.min(12, end - pos), end);
      const buf = r.bytes;
      const at = r.offsetOf(pos);
      let off = 0;
      for (;;) {
        if (off + 12 > got) break;
        const size = LOG_OVERHEAD_PLUS(readInt32(buf, at + off + SIZE_OFFSET));
        if (off + size > got) break;
        if (!batchClean(buf, at + off, size, pos + off, file)) self.push(pos + off);
        off += size;
      }
      if (off === 0) {
        // One batch larger than what is buffered: read it whole (the buffer grows to fit it). One
        // that runs past the chunk fails the chunk: the main thread's walk checks it.
        const size = LOG_OVERHEAD_PLUS(readInt32(buf, at + SIZE_OFFSET));
        if (pos + size > end) throw new Error(`batch at ${pos} runs past its chunk's end ${end}`);
        r.window(pos, size, end);
        continue;
      }
      pos += off;
    }
    return self;
  }

  close(): void {
    this.r?.close();
    this.r = null;
  }
}

const LOG_OVERHEAD_PLUS = (sizeField: number): number => 12 + sizeField;

/** Worker side: check the chunks of each segment it is sent until none are left to claim. */
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
      let self: number[] | null;
      try {
        self = reader.check(bounds[2 * j]!, bounds[2 * j + 1]!, job.file);
      } catch {
        self = null;
      }
      const r: ChunkResult = { gen: job.gen, chunk: j, self };
      port.postMessage(r);
      Atomics.add(ctrl, DONE, 1);
      Atomics.notify(ctrl, DONE);
    }
  } finally {
    reader.close();
  }
}
