import { Worker } from 'node:worker_threads';
import { InternalError } from '../format/errors.js';
import { workerSpecs } from '../storage/vfs.js';

/**
 * A pool of worker threads running one module, for jobs 0..count-1 that are independent (one
 * partition each: `kseg scan`, `kseg grep LOG_DIR`). Each worker is sent one job at a time, in job
 * order; when `onReply` says a reply finished the worker's job it gets the next one, and a worker
 * left without a job is terminated. The caller keeps the replies (in its own order) and waits for
 * the next with `waitForReply`.
 *
 * Workers read with positional reads: in a process with several threads every munmap /
 * MADV_DONTNEED of a finished map window interrupts the other threads (TLB shootdowns) and page
 * faults contend on one mmap lock; measured on a 32-partition log.dir, 2 scan workers went from
 * 1.35x to 1.5x of 1 worker with reads instead of maps.
 */
export class WorkerPool<Job, Reply extends { id: number }> {
  private readonly workers: Worker[] = [];
  /** The worker running each job, by job id. */
  private readonly owners: Worker[] = [];
  private nextJob = 0;
  private wake: (() => void) | null = null;
  private failure: Error | null = null;

  /**
   * @param name       what the workers do, for the internal error a worker's crash becomes ('scan', 'grep')
   * @param file       the worker module, a URL made from import.meta.url in the caller's own file
   *                   (scripts/build-cli.mjs finds it there and bundles the worker)
   * @param size       how many workers (at most `count`, at least 1)
   * @param jobOf      the message that starts job `id`
   * @param onReply    keeps a reply; true when it ends the job of the worker that sent it
   */
  constructor(
    private readonly name: string,
    file: URL,
    size: number,
    private readonly count: number,
    private readonly jobOf: (id: number) => Job,
    onReply: (reply: Reply) => boolean,
  ) {
    for (let i = 0; i < size; i++) {
      // (a worker re-makes this thread's tar / s3 providers from workerData.vfs: storage/vfs-workers.ts; a
      // provider without a spec is left out, and its paths fail in the worker with the path named)
      const w = new Worker(file, { env: { ...process.env, KSEG_READER: 'pread' }, workerData: { vfs: workerSpecs() ?? [] } });
      this.workers.push(w);
      w.on('message', (m: Reply) => {
        if (onReply(m)) this.dispatch(w);
        this.wake?.();
      });
      w.on('error', (e) => {
        this.failure = e;
        this.wake?.();
      });
      this.dispatch(w);
    }
  }

  private dispatch(w: Worker): void {
    if (this.nextJob >= this.count) {
      void w.terminate();
      return;
    }
    const id = this.nextJob++;
    this.owners[id] = w;
    w.postMessage(this.jobOf(id));
  }

  /** Throws, as an internal error (exit 70), when a worker crashed. */
  assertHealthy(): void {
    if (this.failure) throw new InternalError(`${this.name} worker failed: ${this.failure.message}`);
  }

  /** Resolves when the next reply, or a worker's crash, arrives. */
  async waitForReply(): Promise<void> {
    await new Promise<void>((resolve) => (this.wake = resolve));
    this.wake = null;
  }

  /** Sends a message to the worker running job `id` (e.g. grep's ack of an output chunk). */
  postTo(id: number, message: unknown): void {
    this.owners[id]!.postMessage(message);
  }

  /** Terminates every worker. */
  async close(): Promise<void> {
    await Promise.all(this.workers.map((w) => w.terminate()));
  }
}
