import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { IoError, ioError } from '../format/errors.js';
import { storageNote } from './notes.js';
import { KSEG_LOCK_FILE } from './segments.js';

/**
 * kseg's own exclusive lock on a partition directory, so two kseg writers (two compactions, a
 * truncate during a recover) never interleave. Node has no flock, so the lock is a file created
 * with O_EXCL: `<partition>/.kseg.lock` holding who took it. It is removed when the command ends,
 * on error and on process exit. SIGINT/SIGTERM keep their default, dying at once: a JavaScript
 * handler would only run once the (mostly synchronous) work had finished, so Ctrl-C would wait for
 * the whole command; every write path is crash-safe, and the lock left behind is stale. A lock
 * whose holder is gone (same host, pid not running, or the pid now names a process started at
 * another time) is stale and taken over with a note. Kafka's broker lock (`<log.dir>/.lock`, an fcntl lock) is checked separately
 * (atomic.ts `assertNotLocked`).
 *
 * File content (one JSON object):
 *   {"pid":N,"host":"…","command":"compact","argv":"…","startedAt":"ISO-8601","processStart":"…","token":"…"}
 */
export interface LockHolder {
  pid: number;
  host: string;
  command: string;
  /** The command line, for the message a second writer gets. */
  argv?: string;
  startedAt: string;
  /** Linux: start time of the process (field 22 of /proc/PID/stat), to tell a reused pid. */
  processStart?: string;
  token: string;
}

export interface PartitionLock {
  file: string;
  holder: LockHolder;
  /** The stale lock this acquisition replaced, if any. */
  tookOver?: LockHolder;
  release(): void;
}

interface Held {
  file: string;
  holder: LockHolder;
  count: number;
}

const held = new Map<string, Held>();

function processStart(pid: number): string | undefined {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    // "pid (comm) state ppid …": comm may hold spaces and parentheses; fields restart after the last ')'.
    const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return rest[19]; // field 22 overall: starttime
  } catch {
    return undefined;
  }
}

/** Whether the process that wrote `h` may still be running (only answerable on the same host). */
export function holderAlive(h: LockHolder): boolean | 'unknown' {
  if (h.host !== os.hostname()) return 'unknown';
  if (h.pid === process.pid) return [...held.values()].some((x) => x.holder.token === h.token);
  try {
    process.kill(h.pid, 0);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ESRCH') return false;
    // EPERM: alive, owned by another user.
  }
  if (h.processStart !== undefined) {
    const now = processStart(h.pid);
    if (now !== undefined && now !== h.processStart) return false; // the pid was reused
  }
  return true;
}

export function describeHolder(h: LockHolder): string {
  return `pid ${h.pid} on ${h.host}, \`kseg ${h.argv ?? h.command}\`, since ${h.startedAt}`;
}

function parseHolder(text: string): LockHolder | null {
  try {
    const o = JSON.parse(text) as Partial<LockHolder>;
    if (typeof o.pid === 'number' && typeof o.host === 'string' && typeof o.command === 'string' && typeof o.startedAt === 'string' && typeof o.token === 'string')
      return o as LockHolder;
  } catch {
    /* below */
  }
  return null;
}

function readHolder(file: string): { text: string; holder: LockHolder | null } | null {
  try {
    const text = fs.readFileSync(file, 'utf8');
    return { text, holder: parseHolder(text) };
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw ioError(e, file);
  }
}

/**
 * The live kseg holding `dir`'s lock, if any (for commands that only need to stay out of its way).
 * An unreadable lock file counts as held, by an unknown holder with pid 0.
 */
export function ksegLockHolder(dir: string): LockHolder | null {
  let file: string;
  try {
    file = path.join(fs.realpathSync(dir), KSEG_LOCK_FILE);
  } catch {
    return null;
  }
  const r = readHolder(file);
  if (!r) return null;
  if (!r.holder) return { pid: 0, host: '?', command: '?', startedAt: '?', token: '' };
  return holderAlive(r.holder) === false ? null : r.holder;
}

/** Throw KSEG_LOCKED (exit 4) if a live kseg holds `dir`'s lock; for writers that do not take it themselves. */
export function assertNoKsegLock(dir: string): void {
  let file: string;
  try {
    file = path.join(fs.realpathSync(dir), KSEG_LOCK_FILE);
  } catch {
    return;
  }
  const r = readHolder(file);
  if (!r) return;
  const alive = r.holder ? holderAlive(r.holder) : true;
  if (alive !== false) throw lockedError(file, r.holder, alive, 'the partition');
}

function lockedError(file: string, h: LockHolder | null, alive: boolean | 'unknown', what: string): IoError {
  if (!h) {
    return new IoError('KSEG_LOCKED', `${what} is locked by another kseg, but its lock file is unreadable; if no kseg is running on it, delete ${file}`, { file });
  }
  const remote = alive === 'unknown' ? `; it was taken on another host, so kseg cannot tell whether it still runs: if it does not, delete ${file}` : '';
  return new IoError('KSEG_LOCKED', `${what} is being changed by another kseg (${describeHolder(h)}); wait for it to finish${remote}`, { file });
}

/**
 * Take the partition's kseg lock or throw IoError KSEG_LOCKED (exit 4) naming the holder. The
 * same process may take it again (counted); `release` undoes one acquisition.
 */
export function acquirePartitionLock(dir: string, command: string, what = 'the partition'): PartitionLock {
  let real: string;
  try {
    real = fs.realpathSync(dir);
  } catch (e) {
    throw ioError(e, dir);
  }
  const file = path.join(real, KSEG_LOCK_FILE);
  // Not a directory: nothing to lock; the command reports the path the way it always has.
  if (!fs.statSync(real).isDirectory())
    return { file, holder: { pid: process.pid, host: os.hostname(), command, startedAt: new Date().toISOString(), token: '' }, release: () => {} };
  const mine = held.get(file);
  if (mine) {
    mine.count++;
    return { file, holder: mine.holder, release: once(() => releaseOne(file)) };
  }
  const holder: LockHolder = {
    pid: process.pid,
    host: os.hostname(),
    command,
    argv: process.argv.length > 2 ? process.argv.slice(2).join(' ') : undefined,
    startedAt: new Date().toISOString(),
    processStart: processStart(process.pid),
    token: crypto.randomBytes(8).toString('hex'),
  };
  // The exit handler first: from the moment the lock file exists, an exit removes it.
  installHandlers();
  held.set(file, { file, holder, count: 1 });
  try {
    const tookOver = createLock(file, JSON.stringify(holder) + '\n', what);
    if (tookOver) storageNote(`took over a stale kseg lock (${describeHolder(tookOver)}: no longer running) on ${real}`);
    return { file, holder, tookOver, release: once(() => releaseOne(file)) };
  } catch (e) {
    held.delete(file);
    if (held.size === 0) removeHandlers();
    // A read-only file system: nobody can change this directory, so there is nothing to exclude;
    // a run with nothing to do still succeeds, and a write fails with EROFS as it would have.
    if (e instanceof IoError && e.code === 'EROFS') return { file, holder, release: () => {} };
    throw e;
  }
}

/**
 * Create `file` holding `text`, or throw KSEG_LOCKED. The content is written to a private temp
 * name first and hard-linked to the lock name (link fails if the name exists, like O_EXCL), so
 * the lock file is never seen empty; file systems without hard links get O_EXCL and a write.
 * Returns the stale holder it replaced, if any.
 */
function createLock(file: string, text: string, what: string): LockHolder | undefined {
  let tookOver: LockHolder | undefined;
  for (let attempt = 0; attempt < 5; attempt++) {
    let created: boolean;
    try {
      created = linkNew(file, text);
    } catch (e) {
      throw ioError(e, file);
    }
    if (created) return tookOver;
    const cur = readHolder(file);
    if (!cur) continue; // released meanwhile
    const alive = cur.holder ? holderAlive(cur.holder) : true;
    if (alive !== false) throw lockedError(file, cur.holder, alive, what);
    if (takeOverStale(file, cur.text)) tookOver = cur.holder!;
  }
  const cur = readHolder(file);
  throw lockedError(file, cur?.holder ?? null, true, what);
}

/** True if `file` was created with `text`; false if it exists. */
function linkNew(file: string, text: string): boolean {
  const tmp = `${file}.${process.pid}.${crypto.randomBytes(4).toString('hex')}`;
  fs.writeFileSync(tmp, text, { flag: 'wx', mode: 0o644 });
  try {
    const fd = fs.openSync(tmp, 'r');
    try {
      fs.fsyncSync(fd);
    } finally {
      fs.closeSync(fd);
    }
    try {
      fs.linkSync(tmp, file);
      return true;
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code === 'EEXIST') return false;
      if (code !== 'EPERM' && code !== 'ENOTSUP' && code !== 'EOPNOTSUPP' && code !== 'ENOSYS') throw e;
    }
  } finally {
    fs.rmSync(tmp, { force: true });
  }
  // No hard links here: O_EXCL, then the content (a reader may briefly see it empty: "unreadable").
  let fd: number;
  try {
    fd = fs.openSync(file, 'wx', 0o644);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw e;
  }
  try {
    fs.writeSync(fd, text);
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
  return true;
}

/**
 * Move a stale lock aside and delete it, unless another process replaced it in the meantime (then
 * it is put back if the name is still free). True if the stale lock was removed.
 */
function takeOverStale(file: string, staleText: string): boolean {
  const aside = `${file}.stale-${process.pid}-${crypto.randomBytes(4).toString('hex')}`;
  try {
    fs.renameSync(file, aside);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return false;
    throw ioError(e, file);
  }
  let moved = '';
  try {
    moved = fs.readFileSync(aside, 'utf8');
  } catch {
    /* treated as different */
  }
  if (moved !== staleText) {
    try {
      fs.linkSync(aside, file);
    } catch {
      /* someone else holds the name now; their lock stands */
    }
    fs.rmSync(aside, { force: true });
    return false;
  }
  fs.rmSync(aside, { force: true });
  return true;
}

function once(fn: () => void): () => void {
  let done = false;
  return () => {
    if (done) return;
    done = true;
    fn();
  };
}

function releaseOne(file: string): void {
  const h = held.get(file);
  if (!h) return;
  if (--h.count > 0) return;
  held.delete(file);
  removeIfOurs(h);
  if (held.size === 0) removeHandlers();
}

function removeIfOurs(h: Held): void {
  try {
    const cur = readHolder(h.file);
    if (cur?.holder?.token === h.holder.token) fs.rmSync(h.file, { force: true });
  } catch {
    /* the directory may be gone (generate's cleanup) or read-only now; nothing else to do */
  }
}

/**
 * Helper files a killed kseg left beside the lock (`.kseg.lock.<pid>.<hex>` before the link,
 * `.kseg.lock.stale-<pid>-<hex>` during a takeover) whose process is gone. Names within `dir`.
 */
export function leftoverLockFiles(dir: string): string[] {
  let names: string[];
  try {
    names = fs.readdirSync(dir);
  } catch (e) {
    throw ioError(e, dir);
  }
  const out: string[] = [];
  for (const n of names) {
    const m = /^\.kseg\.lock\.(?:stale-)?(\d+)[.-][0-9a-f]+$/.exec(n);
    if (!m) continue;
    const pid = Number(m[1]);
    if (pid === process.pid) continue;
    try {
      process.kill(pid, 0);
      continue;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ESRCH') continue;
    }
    out.push(n);
  }
  return out.sort();
}

/** Remove every lock this process holds (process exit). */
export function releaseAllLocks(): void {
  for (const h of held.values()) removeIfOurs(h);
  held.clear();
  removeHandlers();
}

/** Run `fn` holding the partition's kseg lock; released when `fn` returns, throws or its promise settles. */
export function withPartitionLock<T>(dir: string, command: string, fn: () => T): T {
  const lock = acquirePartitionLock(dir, command);
  let r: T;
  try {
    r = fn();
  } catch (e) {
    lock.release();
    throw e;
  }
  if (r instanceof Promise) return r.finally(() => lock.release()) as T;
  lock.release();
  return r;
}

/**
 * Run `fn` holding kseg's lock on a broker log directory, for the read-modify-write of the
 * log-dir checkpoint files several partitions share (cleaner-offset-checkpoint,
 * log-start-offset-checkpoint). Those sections take milliseconds, so a second kseg waits for the
 * lock (up to `waitMs`) instead of failing after its whole run; `fn` must re-read the file.
 */
export function withLogDirLock<T>(logDir: string, command: string, fn: () => T, waitMs = 10_000): T {
  const deadline = Date.now() + waitMs;
  for (;;) {
    let lock: PartitionLock;
    try {
      lock = acquirePartitionLock(logDir, command, 'the log directory (its shared checkpoint files)');
    } catch (e) {
      if (!(e instanceof IoError) || e.code !== 'KSEG_LOCKED' || Date.now() >= deadline) throw e;
      sleepSync(20);
      continue;
    }
    try {
      return fn();
    } finally {
      lock.release();
    }
  }
}

function sleepSync(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

let installed = false;

function onExit(): void {
  releaseAllLocks();
}

function installHandlers(): void {
  if (installed) return;
  installed = true;
  process.on('exit', onExit);
}

function removeHandlers(): void {
  if (!installed) return;
  installed = false;
  process.removeListener('exit', onExit);
}
