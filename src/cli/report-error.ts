import { CommanderError } from 'commander';
import { KsegError } from '../format/errors.js';
import { SimulatedCrash } from '../storage/atomic.js';
import { EXIT, exitCodeFor } from './exit-codes.js';
import { toJson } from './output.js';

/**
 * Write an error the way OUTPUT.md says (one `kseg: ...` line on stderr; with --json/--ndjson also
 * `{"error":{...}}` on stderr) and return its exit code. `dump` calls it for errors it reports and
 * goes on from; main.ts for the error that ends a command.
 */
export function reportError(e: unknown, wantsJson: boolean): number {
  const code = exitCodeFor(e);
  if (e instanceof CommanderError) {
    if (code !== EXIT.ok && wantsJson) process.stderr.write(toJson({ error: { code: 'USAGE', message: e.message.replace(/^error: /, '') } }) + '\n');
    return code;
  }
  if (e instanceof KsegError) {
    // A message that already names its file (no partition found in DIR: ...) is not followed by it again.
    const named = e.file !== undefined && e.position === undefined && e.message.includes(e.file);
    const where = e.file !== undefined && !named ? ` (${e.file}${e.position !== undefined ? ` at byte ${e.position}` : ''})` : '';
    process.stderr.write(`kseg: ${e.message}${where}\n`);
    if (wantsJson) {
      const err: Record<string, unknown> = { code: e.code, message: e.message };
      if (e.file !== undefined) err.file = e.file;
      if (e.position !== undefined) err.position = e.position;
      process.stderr.write(toJson({ error: err }) + '\n');
    }
    return code;
  }
  if (e instanceof SimulatedCrash) {
    process.stderr.write(`kseg: ${e.message}\n`);
    return code;
  }
  const err = e as Error;
  process.stderr.write(`kseg: internal error (a bug): ${err?.stack ?? String(e)}\nPlease report it with the command line and, if you can, the file that triggered it.\n`);
  return EXIT.internal;
}
