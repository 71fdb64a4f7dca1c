import { EXIT, exitNow } from './exit-codes.js';

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
