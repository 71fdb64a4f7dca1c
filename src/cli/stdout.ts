import fs from 'node:fs';
import { outputFailed } from './output.js';

/**
 * Synchronous writes to file descriptor 1 that do not create `process.stdout`: for a pipe that
 * stream is a net.Socket whose set-up costs about as much as the rest of `kseg lookup`'s own
 * start-up. For the small outputs of lookup, help and --version. If a write cannot complete that
 * way (EAGAIN on a full non-blocking pipe, EPIPE, anything), the rest goes through process.stdout,
 * which then behaves as it always has (including how it reports the error).
 */
let direct = process.platform !== 'win32';
/** The reader went away (EPIPE, e.g. `kseg --help | head -1`): later output is dropped. */
let gone = false;

function viaStream(data: string | Buffer): void {
  if (process.stdout.listenerCount('error') === 0) {
    process.stdout.on('error', (e: NodeJS.ErrnoException) => {
      gone = true;
      // A reader that went away ends output quietly (the command keeps its exit code); disk
      // full, EIO... end the run as for dump's output: one line, exit 4.
      if (e.code !== 'EPIPE') outputFailed(e);
    });
  }
  process.stdout.write(data);
}

export function writeStdout(s: string): void {
  if (gone) return;
  if (!direct) {
    viaStream(s);
    return;
  }
  const buf = Buffer.from(s, 'utf8');
  let off = 0;
  try {
    while (off < buf.length) off += fs.writeSync(1, buf, off, buf.length - off);
  } catch (e) {
    direct = false;
    if ((e as NodeJS.ErrnoException).code === 'EPIPE') {
      gone = true;
      return;
    }
    viaStream(buf.subarray(off));
  }
}

/** Whether fd 1 may be a terminal, without creating process.stdout (a terminal is a character device). */
export function stdoutMayBeTty(): boolean {
  try {
    return fs.fstatSync(1).isCharacterDevice();
  } catch {
    return true;
  }
}
