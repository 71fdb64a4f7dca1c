import { CommanderError } from 'commander';
import { CorruptDataError, InternalError, IoError, NotFoundError, UsageError } from '../format/errors.js';
import { SimulatedCrash } from '../storage/atomic.js';

/**
 * kseg's exit codes (README "Exit codes", docs/OUTPUT.md): the one table. Errors carry a kind (their
 * class) and a code; only the CLI entry (main.ts) turns them into a process exit code, through
 * `exitCodeFor`. Handlers return their status (EXIT.ok, EXIT.notFound, ...) as data.
 */
export const EXIT = {
  ok: 0,
  /** verify found errors; lookup, offsets, groups found nothing; grep matched nothing; diff: replicas differ. */
  notFound: 1,
  usage: 2,
  corrupt: 3,
  io: 4,
  internal: 70,
  /** KSEG_FAULT_AT=N (the crash-safety tests' hook) stopped a mutating command at its N-th write step. */
  simulatedCrash: 75,
  /** dump interrupted by SIGINT / SIGTERM (128 + signal number, as a shell reports a signal's death). */
  sigint: 130,
  sigterm: 143,
} as const;

/** Error kind -> exit code. The first class an error is an instance of wins; any other error is a bug (70). */
const ERROR_EXITS: readonly (readonly [abstract new (...args: never[]) => Error, number])[] = [
  [NotFoundError, EXIT.notFound],
  [UsageError, EXIT.usage],
  [CorruptDataError, EXIT.corrupt],
  [IoError, EXIT.io],
  [InternalError, EXIT.internal],
  [SimulatedCrash, EXIT.simulatedCrash],
];

/** The exit code for an error a command threw (or reported and went on: dump). */
export function exitCodeFor(e: unknown): number {
  if (e instanceof CommanderError) return e.code === 'commander.helpDisplayed' || e.code === 'commander.version' || e.code === 'commander.help' ? EXIT.ok : EXIT.usage;
  for (const [kind, code] of ERROR_EXITS) if (e instanceof kind) return code;
  return EXIT.internal;
}

/**
 * End the process now, for the two events that cannot return through the entry: a signal while
 * dump awaits its output (interrupt.ts) and a failed write to stdout (output.ts).
 */
export function exitNow(code: number): never {
  process.exit(code);
}
