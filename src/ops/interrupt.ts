import fs from 'node:fs';
import { acquirePartitionLock } from '../storage/lock.js';

/**
 * Stopping a long op at a safe point (issue 18, Ctrl-C). An op that accepts `signal` awaits
 * `safePoint(signal, step)` where stopping leaves the partition readable (before a swap, between
 * segments); when the signal was aborted (the CLI aborts it on SIGINT / SIGTERM) it throws
 * Interrupted with one sentence saying what state the data is in. Ops never print.
 */
export class Interrupted extends Error {
  constructor(readonly state: string) {
    super(`interrupted: ${state}`);
    this.name = 'Interrupted';
  }
}

/**
 * Yield to the event loop (so a signal handler can run), then stop if the signal was aborted.
 * Tests: KSEG_TEST_PAUSE=<step>:<file> makes the op create <file> at that step and wait there (up
 * to 60 s) until it is interrupted, so a test can send the signal at an exact point.
 */
export async function safePoint(signal: AbortSignal | undefined, step: string, state: () => string): Promise<void> {
  if (!signal) return;
  await new Promise<void>((resolve) => setImmediate(resolve));
  const pause = process.env.KSEG_TEST_PAUSE;
  if (pause && pause.slice(0, pause.indexOf(':')) === step) {
    fs.writeFileSync(pause.slice(pause.indexOf(':') + 1), step);
    const until = Date.now() + 60_000;
    while (!signal.aborted && Date.now() < until) await new Promise((r) => setTimeout(r, 10));
  }
  if (signal.aborted) throw new Interrupted(state());
}

/**
 * The body of a long synchronous op written once as a generator that yields at its safe points
 * (a step name: between files, and every SCAN_STEP bytes inside a long segment walk). The
 * library's sync entry runs it to the end with runToEnd (a yield costs a generator resume per
 * few MiB, nothing per record); the CLI steps it with runStoppable, which awaits safePoint at each
 * yield so SIGINT/SIGTERM are handled within one step.
 */
export type Steps<T> = Generator<string, T, void>;

/** Bytes a segment walk covers between two safe points (well under 100 ms at 1 GiB/s). */
export const SCAN_STEP = 8 * 1024 * 1024;

/** What an op says at a safe point about the data: `state` is read when it stops there. */
export interface StopState {
  state: string;
}

/** Run an op's steps to completion, synchronously (the library's entry). */
export function runToEnd<T>(steps: Steps<T>): T {
  for (;;) {
    const r = steps.next();
    if (r.done) return r.value;
  }
}

/**
 * Run an op's steps, stopping at the first safe point after `signal` was aborted: the generator is
 * closed (its finally blocks close files and release the lock) and Interrupted is thrown with the
 * op's current `at.state`. Without a signal it is runToEnd with one await per step.
 */
export async function runStoppable<T>(steps: Steps<T>, signal: AbortSignal | undefined, at: StopState): Promise<T> {
  if (!signal) return runToEnd(steps);
  for (;;) {
    const r = steps.next();
    if (r.done) return r.value;
    try {
      await safePoint(signal, r.value, () => at.state);
    } catch (e) {
      steps.return(undefined as never);
      throw e;
    }
  }
}

/** Steps run holding kseg's partition lock (storage/lock.ts), released however they end (also when stopped). */
export function* lockedSteps<T>(dir: string, command: string, body: () => Steps<T>): Steps<T> {
  const lock = acquirePartitionLock(dir, command);
  try {
    return yield* body();
  } finally {
    lock.release();
  }
}
