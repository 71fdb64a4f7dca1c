import fs from 'node:fs';

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
