/**
 * Progress of long operations, as data: an op that accepts `onProgress` calls it with the bytes
 * done and the bytes it will read in all. Ops never print; the CLI (src/cli/progress.ts) draws.
 * Calls are throttled to one per PROGRESS_STEP bytes so the hot path pays a comparison per batch.
 */
export type OnProgress = (bytesDone: number, bytesTotal: number) => void;

export const PROGRESS_STEP = 4 * 1024 * 1024;

export class ProgressMeter {
  private base = 0;
  private next = PROGRESS_STEP;
  constructor(
    private readonly cb: OnProgress,
    private readonly total: number,
  ) {}

  /** At byte `pos` of the current file. */
  at(pos: number): void {
    const d = this.base + pos;
    if (d >= this.next) this.emit(d);
  }

  /** The current file (of `size` bytes) is done. */
  fileDone(size: number): void {
    this.base += size;
    if (this.base >= this.next || this.base >= this.total) this.emit(this.base);
  }

  private emit(d: number): void {
    this.next = d + PROGRESS_STEP;
    this.cb(Math.min(d, this.total), this.total);
  }
}
