/**
 * Progress of long operations, as data: an op that accepts `onProgress` calls it with the bytes
 * done and the bytes it will read in all. Ops never print; the CLI (src/cli/progress.ts) draws.
 * Calls are throttled to one per PROGRESS_STEP bytes so the hot path pays a comparison per batch.
 */
/**
 * `phase` names a pass when an op reads in more than one (compact: 'reading', then 'cleaning'):
 * bytes restart from 0 in each and the CLI starts a new bar.
 */
export type OnProgress = (bytesDone: number, bytesTotal: number, phase?: string) => void;

export const PROGRESS_STEP = 4 * 1024 * 1024;

export class ProgressMeter {
  private base = 0;
  private next = PROGRESS_STEP;
  constructor(
    private readonly cb: OnProgress,
    private readonly total: number,
    private readonly phase?: string,
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
    this.cb(Math.min(d, this.total), this.total, this.phase);
  }
}

/**
 * Progress of a header scan of a whole partition (loadPartition's hooks): the total is known at
 * `begin` (the .log sizes of the listing), bytes move per batch and per finished segment.
 */
export class PartitionReadProgress {
  private meter: ProgressMeter | null = null;
  constructor(
    private readonly cb: OnProgress,
    private readonly phase?: string,
  ) {}

  begin(listing: { segments: readonly { logSize: number }[] }): void {
    this.meter = new ProgressMeter(
      this.cb,
      listing.segments.reduce((n, s) => n + s.logSize, 0),
      this.phase,
    );
  }

  /** A batch at byte `position` of the current segment. */
  batch(position: number): void {
    this.meter?.at(position);
  }

  segmentDone(seg: { logSize: number }): void {
    this.meter?.fileDone(seg.logSize);
  }
}
