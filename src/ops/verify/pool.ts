import fs from 'node:fs';
import { fileURLToPath } from 'node:url';
import { MessageChannel, receiveMessageOnPort, Worker, type MessagePort } from 'node:worker_threads';
import { frameEntry, HEADER_SIZE_UP_TO_MAGIC, RECORD_BATCH_OVERHEAD } from '../../format/batch.js';
import { OFFSET_INDEX_ENTRY_SIZE } from '../../format/indexes.js';
import { readInt32 } from '../../format/int64.js';
import type { ByteSource } from '../../storage/source.js';
import { ChunkReader, claim, CTRL_WORDS, DONE, FRAMED, NEXT, NO_RANGE, PUBLISHED, rangeOf, type ChunkResult, type RangeResult, type SegmentJob } from './chunks.js';
import { headerSource } from '../../storage/positional-reader.js';
import { workerSpecs } from '../../storage/vfs.js';

/**
 * `verify --jobs N`: the expensive part of verifying a batch — its CRC and the walk over its
 * records — depends on nothing but the batch's bytes. So a segment is cut into byte ranges, and
 * N-1 worker threads plus the main thread itself each claim ranges and frame and judge their
 * batches (chunks.ts: a range's walk starts at its first batch, found from the offset index or by
 * resynchronising, and ends at the first entry at or after the range's end). A range's result is
 * where its walk started and ended, the batches that are not plainly clean (bad CRC, control
 * batch, any record finding, anything unusual) and the batch headers. The main thread then runs
 * the normal, sequential walk of the segment: a batch that a range's walk framed at the same
 * position and found clean skips its CRC and record walk (its header comes from the result);
 * every other batch is checked exactly as with one thread. Findings are therefore identical by
 * construction; the ranges only ever say "nothing to see here" about bytes they framed the same way.
 *
 * Nothing is framed before the threads start: the ranges are published at once, so the only
 * serial work left is the main thread's walk over headers and the index checks.
 *
 * The main thread stays synchronous: ranges are claimed through a SharedArrayBuffer counter,
 * results come back on MessagePorts read with receiveMessageOnPort, and the main thread waits with
 * Atomics.wait — or, while the range it needs next is not done, checks the next unclaimed range
 * itself (so it never idles and a slow-starting worker costs nothing).
 */

/**
 * Range size: at most 64 MiB, about 16 ranges per segment (at least 4 MiB each), shrinking towards
 * the end (an eighth of what is left) so the threads finish together: enough ranges to balance
 * the threads (claimed one at a time, so a slow thread takes fewer), few enough that the
 * per-range costs (a claim, finding its first batch, a message) are negligible.
 *
 * Ranges are read with positional reads into one reused buffer per thread rather than mapped:
 * measured on 1 GiB with two threads, mapping costs as much CPU or more (in a threaded
 * process every unmap or MADV_DONTNEED interrupts the other threads' CPUs to flush their TLBs) and
 * holds 90-200 MB resident against 77 MB; the copy lands in a buffer that stays in the L2 cache,
 * where the CRC and the record walk then run. On one thread the two cost the same CPU (1 GiB of
 * 200-record batches: 415 ms mapped, 414 ms read), so verify without --jobs keeps its zero-copy
 * views over mapped memory.
 */
const DEFAULT_CHUNK = 64 * 1024 * 1024;

/**
 * Tests: KSEG_VERIFY_CHUNK_BYTES makes small fixtures split; KSEG_VERIFY_MAIN_CHECKS=0 keeps the
 * main thread from checking chunks itself (so the workers' results are what the walk uses).
 */
function mainChecks(): boolean {
  return process.env.KSEG_VERIFY_MAIN_CHECKS !== '0';
}

function fixedChunkBytes(): number | null {
  const v = Number(process.env.KSEG_VERIFY_CHUNK_BYTES);
  return Number.isInteger(v) && v > 0 ? v : null;
}

/** Segments smaller than twice this are checked by the main thread alone. */
const MIN_CHUNK = 4 * 1024 * 1024;

/** The chunk size for a segment of `size` bytes: about 16 chunks, 4 to 64 MiB each. */
export function chunkFor(size: number, fixed: number | null = fixedChunkBytes()): number {
  return fixed ?? Math.min(DEFAULT_CHUNK, Math.max(MIN_CHUNK, Math.ceil(size / 16)));
}

/**
 * Where the chunks went (KSEG_VERIFY_DEBUG=1 prints it at exit): checked by the main thread and by
 * workers, the main thread's time checking and waiting, and when the first worker result arrived
 * (ms after the threads were started).
 */
export const stats = { own: 0, workers: 0, waits: 0, waitMs: 0, ownMs: 0, firstWorkerMs: -1, t0: 0 };
if (process.env.KSEG_VERIFY_DEBUG) {
  process.on('exit', () => {
    const { t0, ...s } = stats;
    void t0;
    process.stderr.write(`verify --jobs: ${JSON.stringify({ ...s, waitMs: Math.round(s.waitMs), ownMs: Math.round(s.ownMs) })}\n`);
  });
}

/**
 * Batches averaging under this size are not worth splitting: the main thread's share per batch
 * (framing, the walk, index checks: a few microseconds) is then about what a worker would save it.
 */
const MIN_AVG_BATCH = 32 * 1024;

/** Whether the first 4 MiB of a segment hold batches averaging under MIN_AVG_BATCH. */
function smallBatches(src: ByteSource): boolean {
  const limit = Math.min(src.size, 4 * 1024 * 1024);
  let pos = 0;
  let n = 0;
  while (pos < limit && src.size - pos > HEADER_SIZE_UP_TO_MAGIC) {
    const f = frameEntry(src.read(pos, HEADER_SIZE_UP_TO_MAGIC), 0, pos, src.size);
    if (f.kind !== 'entry') break;
    pos += f.size;
    n++;
  }
  return n > 0 && pos / n < MIN_AVG_BATCH;
}

/** Threads that check chunks; started on the first segment worth splitting. */
export class VerifyPool {
  private workers: { worker: Worker; port: MessagePort }[] = [];
  private started = false;
  private gen = 0;
  readonly fixedChunk = fixedChunkBytes();
  readonly mainChecks = mainChecks();

  constructor(private readonly extraThreads: number) {}

  private start(): void {
    this.started = true;
    stats.t0 = performance.now();
    const url = new URL('./verify-worker.js', import.meta.url);
    // Under a TypeScript runner (tests from src/) there is no .js beside this module: the main
    // thread then checks every chunk itself, through the same code path.
    if (url.protocol !== 'file:' || !fs.existsSync(fileURLToPath(url))) return;
    for (let i = 0; i < this.extraThreads; i++) {
      const { port1, port2 } = new MessageChannel();
      const worker = new Worker(url, { workerData: { port: port2, vfs: workerSpecs() ?? [] }, transferList: [port2] });
      worker.unref();
      // Errors surface as missing results (the main thread then checks the chunk itself).
      worker.on('error', () => {});
      this.workers.push({ worker, port: port1 });
    }
  }

  /** Whether segments are split, by path (decided once: it reads a sample of batch headers). */
  private readonly decided = new Map<string, boolean>();

  private splits(path: string, size: number): boolean {
    let d = this.decided.get(path);
    if (d === undefined) {
      d = size >= 2 * chunkFor(size, this.fixedChunk);
      if (d && this.fixedChunk === null) {
        try {
          const src = headerSource(path);
          try {
            d = !smallBatches(src);
          } finally {
            src.close();
          }
        } catch {
          d = false; // the walk reports what is wrong with the file
        }
      }
      this.decided.set(path, d);
    }
    return d;
  }

  /** Start the threads now if the segment at `path` will be split (they take a while to boot). */
  warm(path: string, size: number): void {
    if (!this.started && this.splits(path, size)) this.start();
  }

  /**
   * Begin a segment of `size` bytes: returns null when it is not worth splitting; otherwise the
   * range checks (published) and the header reader the main thread's walk should use. `index`:
   * the segment's .index bytes (their positions are where ranges look for their first batch
   * first); `minOffset`/`maxOffset`: the offsets its batches may start at.
   */
  segment(path: string, file: string, size: number, where: { index?: Buffer; minOffset: number; maxOffset: number }): { checks: SegmentChecks; src: ByteSource } | null {
    if (!this.splits(path, size)) return null;
    const src = headerSource(path);
    if (!this.started) this.start();
    const ranges = rangesFor(src.size, chunkFor(src.size, this.fixedChunk), this.fixedChunk !== null, where.index);
    const ctrlBuf = new SharedArrayBuffer(CTRL_WORDS * 4);
    const boundsBuf = new SharedArrayBuffer(Math.max(1, ranges.length) * 8);
    new Float64Array(boundsBuf).set(ranges);
    const ctrl = new Int32Array(ctrlBuf);
    Atomics.store(ctrl, PUBLISHED, ranges.length / 3);
    Atomics.store(ctrl, FRAMED, 1);
    const gen = ++this.gen;
    const job: SegmentJob = { gen, path, file, ctrl: ctrlBuf, bounds: boundsBuf, minOffset: where.minOffset, maxOffset: where.maxOffset };
    for (const w of this.workers) w.worker.postMessage(job);
    return {
      checks: new SegmentChecks(
        this,
        gen,
        job,
        src.size,
        this.workers.map((w) => w.port),
      ),
      src,
    };
  }

  close(): void {
    for (const w of this.workers) {
      w.port.close();
      void w.worker.terminate();
    }
    this.workers = [];
  }
}

/**
 * The ranges of a segment of `size` bytes as Float64 triples (from, to, hint): `chunk` bytes each
 * (unless `fixed`, shrinking to an eighth of what is left near the end, at least MIN_CHUNK); the
 * hint is the offset index's largest position at or before the range's start, or -1.
 */
export function rangesFor(size: number, chunk: number, fixed: boolean, index?: Buffer): number[] {
  const out: number[] = [];
  const entries = index ? Math.floor(index.length / OFFSET_INDEX_ENTRY_SIZE) : 0;
  let e = 0;
  let hint = -1;
  for (let from = 0; from < size;) {
    const len = fixed ? chunk : Math.max(MIN_CHUNK, Math.min(chunk, Math.ceil((size - from) / 8)));
    const to = size - from - len < MIN_CHUNK / 2 && !fixed ? size : Math.min(size, from + len);
    // The largest index position at or before `from` (Kafka's lookup: the entry, then a forward
    // scan). Positions only grow in a sound index; one that does not only loses its hints.
    while (e < entries && readInt32(index!, e * OFFSET_INDEX_ENTRY_SIZE + 4) <= from) {
      hint = readInt32(index!, e * OFFSET_INDEX_ENTRY_SIZE + 4);
      e++;
    }
    out.push(from, to, hint);
    from = to;
  }
  return out;
}

/**
 * Range results of one segment, consumed in file order by the main thread's walk. The walk is "in
 * step" with range k from the moment it reaches that range's first batch until it leaves the
 * range's walk (a jump after an unframeable entry, or the range's end); in step, every batch it
 * meets is one the range framed at the same position.
 */
export class SegmentChecks {
  private readonly ctrl: Int32Array;
  private readonly bounds: Float64Array;
  private readonly results: (RangeResult | undefined)[] = [];
  /** The walk asks about batches before this position (the whole segment). */
  readonly end: number;
  private readonly count: number;
  private k = 0; // current range
  private cur: RangeResult | null = null;
  private inStep = false;
  private expect = -1; // the position the walk reaches next while in step
  private selfIdx = 0;
  private batch = -1; // index in the current range of the batch last passed to clean(), or -1
  private own: ChunkReader | null = null;

  constructor(
    private readonly pool: VerifyPool,
    private readonly gen: number,
    private readonly job: SegmentJob,
    size: number,
    private readonly ports: MessagePort[],
  ) {
    this.ctrl = new Int32Array(job.ctrl);
    this.bounds = new Float64Array(job.bounds);
    this.count = Atomics.load(this.ctrl, PUBLISHED);
    this.end = size;
  }

  private drain(): void {
    for (const p of this.ports) {
      for (;;) {
        const m = receiveMessageOnPort(p) as { message: ChunkResult } | undefined;
        if (!m) break;
        const r = m.message;
        if (r.gen === this.gen && r.chunk >= this.k && this.results[r.chunk] === undefined) {
          this.results[r.chunk] = r.result;
          stats.workers++;
          if (stats.firstWorkerMs < 0) stats.firstWorkerMs = Math.round(performance.now() - stats.t0);
        }
      }
    }
  }

  private checkOwn(j: number): void {
    stats.own++;
    const t = performance.now();
    this.own ??= new ChunkReader(this.job.path);
    let r: RangeResult;
    try {
      const [from, to, hint] = rangeOf(this.bounds, j);
      r = this.own.check(from, to, hint, this.job);
    } catch {
      r = NO_RANGE;
    }
    if (this.results[j] === undefined) this.results[j] = r;
    stats.ownMs += performance.now() - t;
  }

  private await(k: number): RangeResult {
    let waited = 0;
    while (this.results[k] === undefined) {
      const seen = Atomics.load(this.ctrl, DONE);
      this.drain();
      if (this.results[k] !== undefined) break;
      const j = this.pool.mainChecks || this.ports.length === 0 ? claim(this.ctrl) : -1;
      if (j >= 0) {
        this.checkOwn(j);
        continue;
      }
      // Range k is being checked by a worker.
      stats.waits++;
      const tw = performance.now();
      const w = Atomics.wait(this.ctrl, DONE, seen, 50);
      stats.waitMs += performance.now() - tw;
      if (w === 'timed-out') {
        waited += 50;
        // A worker that died or hangs: check the range here (its late result is ignored).
        if (waited >= 20_000) this.checkOwn(k);
      }
    }
    return this.results[k]!;
  }

  /** Move to range k + 1 (dropping range k's result). */
  private advance(): void {
    this.results[this.k] = undefined;
    this.k++;
    this.cur = null;
    this.inStep = false;
  }

  /**
   * Whether the batch of `size` bytes at `pos` (called for every entry the walk frames, in file
   * order) was framed at `pos` by a range and found clean: its CRC is valid and its records give
   * no finding.
   */
  clean(pos: number, size: number): boolean {
    this.batch = -1;
    for (;;) {
      if (this.k >= this.count) return false;
      const r = (this.cur ??= this.await(this.k));
      // A range with no batch of its own, or one the walk has passed: the next range.
      if (r.start < 0 || pos >= r.end) {
        this.advance();
        continue;
      }
      if (pos < r.start) return false; // before the range's first batch: not framed by any range
      if (pos === r.start) {
        this.inStep = true;
        this.selfIdx = 0;
        this.batch = 0;
      } else if (this.inStep && pos === this.expect) {
        this.batch = this.batchNext;
      } else {
        this.inStep = false;
        return false;
      }
      this.batchNext = this.batch + 1;
      this.expect = pos + size;
      const c = r.self;
      while (this.selfIdx < c.length && c[this.selfIdx]! < pos) this.selfIdx++;
      return !(this.selfIdx < c.length && c[this.selfIdx] === pos);
    }
  }

  private batchNext = 0;

  /** The header of the batch last passed to clean() when it was clean and its range kept headers. */
  header(): Buffer | null {
    const h = this.cur?.headers;
    const i = this.batch;
    if (!h || i < 0 || (i + 1) * RECORD_BATCH_OVERHEAD > h.length) return null;
    return Buffer.from(h.buffer, h.byteOffset + i * RECORD_BATCH_OVERHEAD, RECORD_BATCH_OVERHEAD);
  }

  /** The segment is done (or abandoned): stop handing out ranges, release the reader. */
  finish(): void {
    Atomics.store(this.ctrl, NEXT, 1 << 30);
    Atomics.store(this.ctrl, FRAMED, 1);
    Atomics.notify(this.ctrl, PUBLISHED);
    this.own?.close();
    this.own = null;
    this.results.length = 0;
    this.cur = null;
  }
}
