import { EXIT, exitNow } from './exit-codes.js';

/**
 * Buffered stdout with backpressure: lines collect into a chunk that is written when large; the
 * caller awaits `flushIfFull()` so memory stays flat however much is dumped. A closed pipe (e.g.
 * `kseg dump … | head`) ends the run quietly.
 */
export class Output {
  private parts: string[] = [];
  private pending = 0;
  private closed = false;
  constructor(
    private readonly stream: NodeJS.WritableStream = process.stdout,
    private readonly threshold = 1 << 16,
  ) {
    stream.on('error', (e: NodeJS.ErrnoException) => {
      this.closed = true;
      outputFailed(e);
    });
  }

  line(s: string): void {
    this.parts.push(s, '\n');
    this.pending += s.length + 1;
  }

  get full(): boolean {
    return this.pending >= this.threshold;
  }

  /** Write the collected chunk; resolves when the stream can take more. */
  async flush(): Promise<void> {
    if (this.pending === 0 || this.closed) return;
    const chunk = this.parts.join('');
    this.parts = [];
    this.pending = 0;
    if (!this.stream.write(chunk)) await drained(this.stream);
  }

  async flushIfFull(): Promise<void> {
    if (this.pending >= this.threshold) await this.flush();
  }
}

/** Resolves when `stream` drains, or fails or closes (which it then never does). */
export function drained(stream: NodeJS.WritableStream): Promise<void> {
  return new Promise<void>((resolve) => {
    const done = (): void => {
      stream.off('drain', done);
      stream.off('error', done);
      stream.off('close', done);
      resolve();
    };
    stream.on('drain', done);
    stream.on('error', done);
    stream.on('close', done);
  });
}

/**
 * A write to stdout failed: a closed pipe (e.g. `kseg dump … | head`) ends the run quietly; any
 * other error (disk full, EIO) is an I/O error, exit 4 (OUTPUT.md).
 */
export function outputFailed(e: NodeJS.ErrnoException): never {
  if (e.code === 'EPIPE') exitNow(EXIT.ok);
  process.stderr.write(`kseg: cannot write the output: ${e.message}\n`);
  exitNow(EXIT.io);
}

/** JSON.stringify that writes int64 values beyond 2^53 as strings (OUTPUT.md). */
export function toJson(value: unknown, space?: number): string {
  return JSON.stringify(
    value,
    (_k, v) => (typeof v === 'number' && Number.isInteger(v) && !Number.isSafeInteger(v) ? BigInt(v).toString() : typeof v === 'bigint' ? v.toString() : v),
    space,
  );
}
