import fs from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { InternalError, UsageError } from '../format/errors.js';
import { ParquetPages, type PagesOptions, type SentGroup, type WriterError, type WriterReply, type WriterRequest } from './export-parquet-pages.js';

/**
 * Where `kseg export --format parquet` sends its finished row groups: to export's writer thread
 * (export-worker.ts), which compresses and writes them while the main thread fills the next ones,
 * or, where no worker file is at hand (a TypeScript runner running src/), to the same page writer
 * in this thread. Either way a group's arrays are filled again only once it is written.
 */
export interface PageSink {
  /**
   * Write a row group (in the order given); once this resolves its arrays may be filled again,
   * with its `moved` buffers as given back (null: they never left this thread).
   */
  write(g: SentGroup): Promise<ArrayBuffer[] | null>;
  /** The footer, after every group sent. */
  finish(): Promise<void>;
  /** Nothing more is written to the descriptor once this resolves (after an error or Ctrl-C: groups sent before are written or dropped). */
  close(): Promise<void>;
}

/** The error a reply carries, as the main thread throws it (a system error keeps its code: the sink names the file). */
function errorOf(e: WriterError): Error {
  if (e.name === 'UsageError') return new UsageError(e.message, e.code);
  if (e.name === 'Error' && e.code) return Object.assign(new Error(e.message), { code: e.code });
  return new InternalError(`export's Parquet writer thread: ${e.message}`);
}

/** The writer thread: started on first use, kept for the process (idle, it does not keep it alive). */
class WriterThread {
  private readonly worker: Worker;
  private nextId = 0;
  private readonly waiting = new Map<number, { resolve: (r: WriterReply) => void; reject: (e: Error) => void }>();
  private dead: Error | null = null;

  constructor(url: URL) {
    // (the thread runs a module file: a parent started as `node --input-type=module -e …` would
    // pass it an option that fails for a file)
    this.worker = new Worker(url, { execArgv: process.execArgv.filter((a) => !a.startsWith('--input-type')) });
    this.worker.unref();
    this.worker.on('message', (m: WriterReply) => {
      const w = this.waiting.get(m.id);
      if (!w) return;
      this.waiting.delete(m.id);
      if (this.waiting.size === 0) this.worker.unref();
      if (m.error) w.reject(errorOf(m.error));
      else w.resolve(m);
    });
    const fail = (e: Error): void => {
      this.dead ??= new InternalError(`export's Parquet writer thread stopped: ${e.message}`);
      for (const w of this.waiting.values()) w.reject(this.dead);
      this.waiting.clear();
      if (thread === this) thread = null;
    };
    this.worker.on('error', fail);
    this.worker.on('exit', (code) => fail(new Error(`exit code ${code}`)));
  }

  request(m: WriterRequest, transfer: ArrayBuffer[] = []): Promise<WriterReply> {
    if (this.dead) return Promise.reject(this.dead);
    return new Promise((resolve, reject) => {
      if (this.waiting.size === 0) this.worker.ref();
      this.waiting.set(m.id, { resolve, reject });
      this.worker.postMessage(m, transfer);
    });
  }

  id(): number {
    return this.nextId++;
  }
}

let thread: WriterThread | null = null;
let nextFile = 0;

function writerThread(): WriterThread | null {
  if (thread) return thread;
  const url = new URL('./export-worker.js', import.meta.url);
  // Under a TypeScript runner (tests from src/) there is no .js beside this module: the pages are
  // then written in this thread, by the same code.
  if (url.protocol !== 'file:' || !fs.existsSync(fileURLToPath(url))) return null;
  return (thread = new WriterThread(url));
}

class ThreadSink implements PageSink {
  private constructor(
    private readonly t: WriterThread,
    private readonly file: number,
  ) {}

  static async open(t: WriterThread, fd: number, opts: PagesOptions): Promise<ThreadSink> {
    const file = nextFile++;
    await t.request({ op: 'open', id: t.id(), file, fd, opts });
    return new ThreadSink(t, file);
  }

  async write(g: SentGroup): Promise<ArrayBuffer[] | null> {
    const reply = await this.t.request({ op: 'group', id: this.t.id(), file: this.file, group: g }, g.moved);
    if (reply.moved?.length !== g.moved.length) throw new InternalError("export's Parquet writer thread did not give a row group's bytes back");
    return reply.moved;
  }

  async finish(): Promise<void> {
    await this.t.request({ op: 'finish', id: this.t.id(), file: this.file });
  }

  async close(): Promise<void> {
    try {
      await this.t.request({ op: 'close', id: this.t.id(), file: this.file });
    } catch {
      /* the thread is gone: it writes nothing more */
    }
  }
}

class InThreadSink implements PageSink {
  constructor(private readonly pages: ParquetPages) {}
  async write(g: SentGroup): Promise<ArrayBuffer[] | null> {
    await this.pages.writeGroup(g);
    return null;
  }
  finish(): Promise<void> {
    return this.pages.finish();
  }
  close(): Promise<void> {
    return this.pages.settle();
  }
}

/** A page sink for the Parquet file being written to `fd` (its leading magic written). */
export async function openPageSink(fd: number, opts: PagesOptions): Promise<PageSink> {
  const t = writerThread();
  if (t) return ThreadSink.open(t, fd, opts);
  return new InThreadSink(await ParquetPages.open(fd, opts));
}
