import fs from 'node:fs';

/**
 * Synchronous writes to file descriptor 1 that do not create `process.stdout`: for a pipe that
 * stream is a net.Socket whose set-up costs about as much as the rest of `kseg lookup`'s own
 * start-up. For the small outputs of lookup, help and --version. If a write cannot complete that
 * way (EAGAIN on a full non-blocking pipe, EPIPE, anything), the rest goes through process.stdout,
 * which then behaves as it always has (including how it reports the error).
 */
let direct = process.platform !== 'win32';

export function writeStdout(s: string): void {
  if (!direct) {
    process.stdout.write(s);
    return;
  }
  const buf = Buffer.from(s, 'utf8');
  let off = 0;
  try {
    while (off < buf.length) off += fs.writeSync(1, buf, off, buf.length - off);
  } catch {
    direct = false;
    process.stdout.write(buf.subarray(off));
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
