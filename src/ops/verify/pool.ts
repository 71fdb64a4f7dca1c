import fs from 'node:fs';
import { fileURLToPath } from 'node:url';
import { MessageChannel, receiveMessageOnPort, Worker, type MessagePort } from 'node:worker_threads';
import { frameEntry, HEADER_SIZE_UP_TO_MAGIC, RECORD_BATCH_OVERHEAD } from '../../format/batch.js';
import type { ByteSource } from '../../storage/source.js';
import { ALL_SELF, ChunkReader, claim, CTRL_WORDS, DONE, FRAMED, NEXT, PUBLISHED, type ChunkResult, type SegmentJob } from './chunks.js';
import { headerSource } from '../../storage/positional-reader.js';
import { workerSpecs } from '../../storage/vfs.js';

/**
 * `verify --jobs N`: the expensive part of verifying a batch — its CRC and the walk over its
 * records — depends on nothing but the batch. So the main thread frames a segment (reading each
 * batch's 61-byte header with positional reads, kept for its walk), cuts it into chunks of whole batches, and N-1 worker threads plus the main thread itself
 * check those chunks. A chunk's result is the list of batches that are not plainly clean (bad
 * CRC, control batch, any record finding, anything unusual). The main thread then runs the normal,
 * sequential walk of the segment: a clean batch's CRC and record walk are skipped, every other
 * batch is checked exactly as with one thread. Findings are therefore identical by construction;
 * the workers only ever say "nothing to see here".
 *
 * The main thread stays synchronous: chunks are claimed through a SharedArrayBuffer counter,
 * results come back on MessagePorts read with receiveMessageOnPort, and the main thread waits with
 * Atomics.wait — or, while the chunk it needs next is not done, checks the next unclaimed chunk
 * itself (so it never idles and a slow-starting worker costs nothing).
 */

/**
 * Chunk size: at most 64 MiB, about 16 chunks per segment (at least 4 MiB each): enough chunks to
 * balance the threads (claimed one at a time, so a slow thread takes fewer), few enough that the
 * per-chunk costs (a claim, a message) are negligible.
 *
 * Chunks are read with positional reads into one reused buffer per thread rather than mapped:
 * measured on 1 GiB with two threads, mapping chunks costs as much CPU or more (in a threaded
 * process every unmap or MADV_DONTNEED interrupts the other threads' CPUs to flush their TLBs) and
 * holds 90-200 MB resident against 77 MB; the copy lands in a buffer that stays in the L2 cache,
 * where the CRC and the record walk then run. On one thread the two cost the same CPU (1 GiB of
 * 200-record batches: 415 ms mapped, 414 ms read), so verify without --jobs keeps its zero-copy
 * views over mapped memory.
 */
const DEFAULT_CHUNK = 64 * 1024 * 1024;
/** Batch headers (61 bytes each) kept from framing for the walk, at most this many bytes. */
const HEADER_CACHE = 8 * 1024 * 1024;

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
   * chunk checks (framed and published) and the header reader the main thread's walk should use.
   */
  segment(path: string, file: string, size: number): { checks: SegmentChecks; src: ByteSource } | null {
    if (!this.splits(path, size)) return null;
    const chunk = chunkFor(size, this.fixedChunk);
    const src = headerSource(path);
    if (!this.started) this.start();
    const maxChunks = Math.ceil(src.size / Math.min(chunk, this.fixedChunk ?? MIN_CHUNK)) + 1;
    const ctrlBuf = new SharedArrayBuffer(CTRL_WORDS * 4);
    const boundsBuf = new SharedArrayBuffer(maxChunks * 2 * 8);
    const gen = ++this.gen;
    const job: SegmentJob = { gen, path, file, ctrl: ctrlBuf, bounds: boundsBuf };
    for (const w of this.workers) w.worker.postMessage(job);
    try {
      return {
        checks: new SegmentChecks(
          this,
          gen,
          job,
          src,
          this.workers.map((w) => w.port),
          chunk,
        ),
        src,
      };
    } catch (e) {
      // Framing failed (an I/O error): release the workers waiting for this segment's chunks.
      const ctrl = new Int32Array(ctrlBuf);
      Atomics.store(ctrl, NEXT, 1 << 30);
      Atomics.store(ctrl, FRAMED, 1);
      Atomics.notify(ctrl, PUBLISHED);
      src.close();
      throw e;
    }
  }

  close(): void {
    for (const w of this.workers) {
      w.port.close();
      void w.worker.terminate();
    }
    this.workers = [];
  }
}

/** Chunk results of one segment, consumed in file order by the main thread's walk. */
export class SegmentChecks {
  private readonly ctrl: Int32Array;
  private readonly bounds: Float64Array;
  private readonly results: (number[] | null | undefined)[] = [];
  /** Where the framed range ends: batches from here on are not covered. */
  end = 0;
  private chunks = 0;
  private k = 0; // current chunk
  private selfIdx = 0;
  private cur: number[] | null = null;
  private own: ChunkReader | null = null;
  /** The first `headerCount` batch headers (61 bytes each), read while framing. */
  private headers: Buffer = Buffer.alloc(0);
  private headerCount = 0;
  private batch = -1; // index of the batch last passed to clean()

  constructor(
    private readonly pool: VerifyPool,
    private readonly gen: number,
    private readonly job: SegmentJob,
    src: ByteSource,
    private readonly ports: MessagePort[],
    private readonly chunk: number,
  ) {
    this.ctrl = new Int32Array(job.ctrl);
    this.bounds = new Float64Array(job.bounds);
    this.frame(src);
  }

  /** Walk the size fields like walkLog does; stop at the first position that is not a whole entry. */
  private frame(src: ByteSource): void {
    const size = src.size;
    const chunk = this.chunk;
    const fixed = this.pool.fixedChunk !== null;
    let pos = 0;
    let chunkStart = 0;
    let cache = Buffer.allocUnsafe(RECORD_BATCH_OVERHEAD * 1024);
    let n = 0;
    let caching = true;
    while (pos < size) {
      if (size - pos <= HEADER_SIZE_UP_TO_MAGIC) break;
      const hdr = src.read(pos, Math.min(RECORD_BATCH_OVERHEAD, size - pos));
      const f = frameEntry(hdr, 0, pos, size);
      if (f.kind !== 'entry') break;
      if (caching) {
        // Keep the headers for the walk (it then reads nothing again), up to HEADER_CACHE bytes.
        if ((n + 1) * RECORD_BATCH_OVERHEAD > cache.length) {
          if (cache.length * 2 > HEADER_CACHE) caching = false;
          else cache = Buffer.concat([cache, Buffer.allocUnsafe(cache.length)]);
        }
        if (caching) hdr.copy(cache, n++ * RECORD_BATCH_OVERHEAD);
      }
      pos += f.size;
      // Chunks shrink towards the end (an eighth of what is left, at least MIN_CHUNK), so the
      // threads finish together instead of one waiting for another's last large chunk.
      if (pos - chunkStart >= (fixed ? chunk : Math.max(MIN_CHUNK, Math.min(chunk, (size - chunkStart) / 8)))) {
        this.publish(chunkStart, pos);
        chunkStart = pos;
      }
    }
    if (pos > chunkStart) this.publish(chunkStart, pos);
    this.end = pos;
    this.headers = cache;
    this.headerCount = n;
    Atomics.store(this.ctrl, FRAMED, 1);
    Atomics.notify(this.ctrl, PUBLISHED);
  }

  private publish(start: number, end: number): void {
    const k = this.chunks++;
    this.bounds[2 * k] = start;
    this.bounds[2 * k + 1] = end;
    Atomics.store(this.ctrl, PUBLISHED, this.chunks);
    Atomics.notify(this.ctrl, PUBLISHED);
  }

  private drain(): void {
    for (const p of this.ports) {
      for (;;) {
        const m = receiveMessageOnPort(p) as { message: ChunkResult } | undefined;
        if (!m) break;
        const r = m.message;
        if (r.gen === this.gen && this.results[r.chunk] === undefined) {
          this.results[r.chunk] = r.self;
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
    let r: number[] | null;
    try {
      r = this.own.check(this.bounds[2 * j]!, this.bounds[2 * j + 1]!, this.job.file);
    } catch {
      r = null;
    }
    if (this.results[j] === undefined) this.results[j] = r;
    stats.ownMs += performance.now() - t;
  }

  private await(k: number): void {
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
      // Chunk k is being checked by a worker.
      stats.waits++;
      const tw = performance.now();
      const w = Atomics.wait(this.ctrl, DONE, seen, 50);
      stats.waitMs += performance.now() - tw;
      if (w === 'timed-out') {
        waited += 50;
        // A worker that died or hangs: check the chunk here (its late result is ignored).
        if (waited >= 20_000) this.checkOwn(k);
      }
    }
  }

  /**
   * Whether the batch at `pos` (called for every batch before `end`, in order) was found clean:
   * its CRC is valid and its records give no finding.
   */
  clean(pos: number): boolean {
    this.batch++;
    while (pos >= this.bounds[2 * this.k + 1]!) {
      this.results[this.k] = undefined;
      this.k++;
      this.cur = null;
    }
    if (this.cur === null) {
      this.await(this.k);
      const r = this.results[this.k]!;
      this.cur = r === null ? [ALL_SELF] : r;
      this.selfIdx = 0;
    }
    const c = this.cur;
    if (c[0] === ALL_SELF) return false;
    while (this.selfIdx < c.length && c[this.selfIdx]! < pos) this.selfIdx++;
    return !(this.selfIdx < c.length && c[this.selfIdx] === pos);
  }

  /** The header of the batch last passed to clean(), when framing kept it (a clean batch has all 61 bytes). */
  header(): Buffer | null {
    const i = this.batch;
    return i < this.headerCount ? this.headers.subarray(i * RECORD_BATCH_OVERHEAD, (i + 1) * RECORD_BATCH_OVERHEAD) : null;
  }

  /** The segment is done (or abandoned): stop handing out chunks, release the second mapping. */
  finish(): void {
    Atomics.store(this.ctrl, NEXT, 1 << 30);
    Atomics.store(this.ctrl, FRAMED, 1);
    Atomics.notify(this.ctrl, PUBLISHED);
    this.own?.close();
    this.own = null;
    this.results.length = 0;
    this.headers = Buffer.alloc(0);
    this.headerCount = 0;
  }
}
