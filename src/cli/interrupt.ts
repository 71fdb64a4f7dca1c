import { Interrupted, runStoppable, type Steps, type StopState } from '../ops/interrupt.js';
import { EXIT, exitNow } from './exit-codes.js';
import type { OnProgress } from '../ops/progress.js';
import { startProgress } from './progress.js';

/**
 * Ctrl-C (SIGINT) and SIGTERM while a command that awaits between steps runs: say what state the
 * data is in and exit 130 / 143 (128 + signal number, as a shell reports a signal's death).
 * Node runs these handlers only between event-loop turns, so install them only around work that
 * yields (dump awaits its output): around a synchronous loop a handler would delay the interrupt
 * until the work ends, which is worse than the default (immediate death; every write protocol is
 * crash-safe and lock files are taken over).
 */
export function onInterrupt(state: string): () => void {
  const handler = (sig: NodeJS.Signals): void => {
    process.stderr.write(`${process.stderr.isTTY ? '\n' : ''}kseg: interrupted: ${state}\n`);
    exitNow(sig === 'SIGINT' ? EXIT.sigint : EXIT.sigterm);
  };
  process.once('SIGINT', handler);
  process.once('SIGTERM', handler);
  return () => {
    process.off('SIGINT', handler);
    process.off('SIGTERM', handler);
  };
}

/**
 * Ctrl-C / SIGTERM for a command whose op stops at safe points (ops/interrupt.ts): the first
 * signal aborts `signal` (the op then throws Interrupted at its next safe point, leaving the data
 * readable); a second one ends the process at once, as the default would. `finish(e)` turns the
 * op's Interrupted into the one stderr line and exit 130 / 143; after an op that completed
 * although a signal came (it came after the last safe point), `after(state)` says so and exits.
 */
export interface InterruptWatch {
  signal: AbortSignal;
  /** Rethrows anything but Interrupted; for Interrupted prints its state and exits 130/143. */
  fail(e: unknown): never;
  /** Call when the op returned: exits 130/143 with `state` when a signal came meanwhile. */
  done(state: string): void;
}

export function watchInterrupt(): InterruptWatch {
  const ctl = new AbortController();
  let got: NodeJS.Signals | null = null;
  const handler = (sig: NodeJS.Signals): void => {
    if (got) exitNow(sig === 'SIGINT' ? EXIT.sigint : EXIT.sigterm);
    got = sig;
    ctl.abort();
  };
  process.on('SIGINT', handler);
  process.on('SIGTERM', handler);
  const off = (): void => {
    process.off('SIGINT', handler);
    process.off('SIGTERM', handler);
  };
  const exitWith = (state: string): never => {
    off();
    process.stderr.write(`${process.stderr.isTTY ? '\n' : ''}kseg: interrupted: ${state}\n`);
    exitNow(got === 'SIGTERM' ? EXIT.sigterm : EXIT.sigint);
  };
  return {
    signal: ctl.signal,
    fail(e) {
      if (e instanceof Interrupted) exitWith(e.state);
      off();
      throw e;
    },
    done(state) {
      off();
      if (got) exitWith(state);
    },
  };
}

/**
 * Run an op written as steps (ops/interrupt.ts) with Ctrl-C: it stops at its next safe point, and
 * the CLI prints `at.state` and exits 130 / 143. `stop` clears the progress bar first. The caller
 * prints the result and then calls `watch.done(...)` (a signal after the last safe point).
 */
export async function runInterruptible<T>(steps: Steps<T>, at: StopState, stop: () => void = () => {}): Promise<{ r: T; watch: InterruptWatch }> {
  const watch = watchInterrupt();
  let r: T;
  try {
    r = await runStoppable(steps, watch.signal, at);
  } catch (e) {
    stop();
    return watch.fail(e);
  }
  stop();
  return { r, watch };
}

/**
 * runInterruptible with the progress bar (stderr, terminal only, after a moment; cleared before the
 * state line or the result): `op` gets the bar's callback and the StopState to pass to the op.
 */
export function runWithBar<T>(label: string, op: (onProgress: OnProgress | undefined, at: StopState) => Steps<T>, enabled = true): Promise<{ r: T; watch: InterruptWatch }> {
  const progress = startProgress(label, enabled);
  const at: StopState = { state: '' };
  return runInterruptible(op(progress.onProgress, at), at, () => progress.stop());
}
