import fs from 'node:fs';
import path from 'node:path';
import { IoError, ioError } from '../format/errors.js';
import { storageNote } from './notes.js';
import { brokenLink } from './segments.js';
import { PositionalReader } from './positional-reader.js';

/**
 * Crash-safe file changes: write to a temporary name, fsync, rename over the target, fsync the
 * directory. Every step passes a named fault point so tests can "crash" the process there
 * (`setFaultPoint`) and check that the directory is still readable and either old or new.
 */
export class SimulatedCrash extends Error {
  constructor(readonly point: string) {
    super(`simulated crash at ${point}`);
  }
}

let faultPlan: { label: RegExp | null; countdown: number } | null = null;
let faultLog: string[] | null = null;

/**
 * Arm a fault: the `n`-th fault point (1-based) whose label matches `label` throws SimulatedCrash.
 * `KSEG_FAULT_AT=N` in the environment does the same for the CLI (any label).
 */
export function setFaultPoint(n: number | null, label?: RegExp): void {
  faultPlan = n === null ? null : { label: label ?? null, countdown: n };
}

/** Record the labels of fault points passed (for tests that enumerate every step). */
export function recordFaultPoints(on: boolean): string[] {
  faultLog = on ? [] : null;
  return faultLog ?? [];
}

export function faultPoint(label: string): void {
  faultLog?.push(label);
  if (faultPlan === null && process.env.KSEG_FAULT_AT) {
    faultPlan = { label: null, countdown: Number(process.env.KSEG_FAULT_AT) };
  }
  if (faultPlan && (faultPlan.label === null || faultPlan.label.test(label))) {
    faultPlan.countdown--;
    if (faultPlan.countdown === 0) {
      faultPlan = null;
      throw new SimulatedCrash(label);
    }
  }
}

export function fsyncDir(dir: string): void {
  let fd: number | undefined;
  try {
    fd = fs.openSync(dir, 'r');
    fs.fsyncSync(fd);
  } catch (e) {
    // Some file systems refuse fsync on directories (EINVAL/EISDIR); the rename is still ordered.
    const code = (e as NodeJS.ErrnoException).code;
    if (code !== 'EINVAL' && code !== 'EISDIR' && code !== 'EPERM') throw ioError(e, dir);
  } finally {
    if (fd !== undefined) fs.closeSync(fd);
  }
}

export const TEMP_SUFFIX = '.kseg-tmp';

/**
 * Where a write to `dir/name` really goes. A symbolic link to a regular file is written through:
 * the new content replaces the link's target in the target's own directory (temp file beside it,
 * rename over it, fsync that directory), and the link stays as the operator made it (Kafka's File
 * APIs follow links the same way). A broken link is an IoError naming it; a new name is `dir/name`.
 */
export function resolveWriteTarget(dir: string, name: string): { dir: string; name: string; link?: string } {
  const p = path.join(dir, name);
  let lst: fs.Stats;
  try {
    lst = fs.lstatSync(p);
  } catch {
    return { dir, name };
  }
  if (!lst.isSymbolicLink()) return { dir, name };
  let real: string;
  try {
    real = fs.realpathSync(p);
    if (!fs.statSync(real).isFile()) throw new IoError('ENOTFILE', `symbolic link to something that is not a regular file (-> ${fs.readlinkSync(p)})`, { file: p });
  } catch (e) {
    throw e instanceof IoError ? e : brokenLink(e, p);
  }
  return { dir: path.dirname(real), name: path.basename(real), link: p };
}

/** Write `data` to `dir/name` atomically (temp file, fsync, rename, fsync dir); through a symbolic link, see `resolveWriteTarget`. */
export function writeFileAtomic(dir: string, name: string, data: Uint8Array | string): void {
  const to = resolveWriteTarget(dir, name);
  const target = path.join(to.dir, to.name);
  const tmp = target + TEMP_SUFFIX;
  try {
    faultPoint(`write ${name}`);
    const fd = fs.openSync(tmp, 'w', 0o644);
    try {
      fs.writeFileSync(fd, data);
      faultPoint(`fsync ${name}`);
      fs.fsyncSync(fd);
    } finally {
      fs.closeSync(fd);
    }
    faultPoint(`rename ${name}`);
    fs.renameSync(tmp, target);
    fsyncDir(to.dir);
  } catch (e) {
    if (e instanceof SimulatedCrash) throw e;
    try {
      fs.rmSync(tmp, { force: true });
    } catch {
      /* best effort */
    }
    throw ioError(e, target);
  }
}

/**
 * Temp files of interrupted atomic writes through symbolic links: `writeFileAtomic` puts them
 * beside the link's target, outside `dir`. Absolute paths, for `recover` to delete.
 */
export function linkedTempFiles(dir: string): string[] {
  let ents: fs.Dirent[];
  try {
    ents = fs.readdirSync(dir, { withFileTypes: true });
  } catch (e) {
    throw ioError(e, dir);
  }
  const out = new Set<string>();
  for (const e of ents) {
    if (!e.isSymbolicLink()) continue;
    try {
      const tmp = fs.realpathSync(path.join(dir, e.name)) + TEMP_SUFFIX;
      if (fs.lstatSync(tmp).isFile()) out.add(tmp);
    } catch {
      /* broken link or no temp file */
    }
  }
  return [...out].sort();
}

/** Rename with a fault point and a directory fsync (a symbolic link is renamed itself, as Kafka's FileRecords.renameTo / Files.move does). */
export function renameDurable(dir: string, from: string, to: string): void {
  faultPoint(`rename ${from} -> ${to}`);
  try {
    fs.renameSync(path.join(dir, from), path.join(dir, to));
  } catch (e) {
    throw ioError(e, path.join(dir, from));
  }
  fsyncDir(dir);
}

/**
 * Delete with a fault point (no error if already gone). A symbolic link is removed itself, never
 * its target: Kafka's segment delete acts on the link the same way (LogSegment.changeFileSuffixes
 * moves the link to .deleted with Files.move; FileRecords.deleteIfExists calls
 * Files.deleteIfExists, which removes a link, not its target). The target is left for the operator.
 */
export function removeDurable(dir: string, name: string): void {
  faultPoint(`delete ${name}`);
  const p = path.join(dir, name);
  let target: string | null = null;
  try {
    if (fs.lstatSync(p).isSymbolicLink()) target = path.resolve(dir, fs.readlinkSync(p));
  } catch {
    /* gone already, or not a link */
  }
  try {
    fs.rmSync(p, { force: true });
  } catch (e) {
    throw ioError(e, p);
  }
  if (target !== null && fs.existsSync(target))
    storageNote(`removed the symbolic link ${p}; its target ${target} was left in place (as Kafka leaves it): delete it by hand when it is no longer needed`);
}

/** Truncate a file in place to `size` bytes and fsync it. */
export function truncateDurable(dir: string, name: string, size: number): void {
  faultPoint(`truncate ${name}`);
  const p = path.join(dir, name);
  try {
    const fd = fs.openSync(p, 'r+');
    try {
      fs.ftruncateSync(fd, size);
      fs.fsyncSync(fd);
    } finally {
      fs.closeSync(fd);
    }
  } catch (e) {
    throw ioError(e, p);
  }
}

/**
 * Whether a running broker holds the log dir: Kafka keeps an exclusive POSIX lock on
 * `<log.dir>/.lock`. On Linux /proc/locks lists held locks by device and inode; elsewhere only the
 * presence of the file is known (returns 'unknown').
 */
export function brokerLockState(partitionDir: string): { locked: boolean | 'unknown'; lockFile?: string; pid?: number } {
  const logDir = path.dirname(path.resolve(partitionDir));
  const candidates = [path.join(path.resolve(partitionDir), '.lock'), path.join(logDir, '.lock')];
  for (const lockFile of candidates) {
    let st: fs.Stats;
    try {
      st = fs.statSync(lockFile);
    } catch {
      continue;
    }
    let locks: string;
    try {
      locks = fs.readFileSync('/proc/locks', 'utf8');
    } catch {
      return { locked: 'unknown', lockFile };
    }
    for (const line of locks.split('\n')) {
      // e.g. "1: POSIX  ADVISORY  WRITE 1234 08:01:5678 0 EOF" (pid, major:minor:inode). The inode is
      // matched alone: device numbers are printed differently across kernels and overlay mounts.
      const m = /\s(\d+)\s+[0-9a-f]+:[0-9a-f]+:(\d+)\s/.exec(line);
      if (m && Number(m[2]) === st.ino) return { locked: true, lockFile, pid: Number(m[1]) };
    }
    return { locked: false, lockFile };
  }
  return { locked: false };
}

/** Refuse (exit 4) when a broker holds the directory, unless forced. */
export function assertNotLocked(partitionDir: string, force: boolean): void {
  if (force) return;
  const s = brokerLockState(partitionDir);
  if (s.locked === true) {
    throw new IoError('LOCKED', `the log directory is locked by a running broker${s.pid ? ` (pid ${s.pid})` : ''}; stop the broker or pass --force`, { file: s.lockFile });
  }
}

/**
 * Copy bytes [from, to) of `src` into a new file `dst` (written as dst + TEMP_SUFFIX, fsynced,
 * renamed): recover's backups of what it cuts or replaces. Reads through one borrowed 1 MiB buffer;
 * a source that shrinks under it is an IoError naming the file and position.
 */
export function copyRangeDurable(src: string, dst: string, from: number, to: number): void {
  const CH = 1 << 20;
  const r = new PositionalReader(src, { lifetime: 'borrowed', size: CH });
  const tmp = dst + TEMP_SUFFIX;
  let fdOut = -1;
  try {
    try {
      fdOut = fs.openSync(tmp, 'w', 0o644);
    } catch (e) {
      throw ioError(e, tmp);
    }
    for (let p = from; p < to;) {
      const n = Math.min(CH, to - p);
      const view = r.read(p, n);
      fs.writeSync(fdOut, view, 0, n);
      p += n;
    }
    fs.fsyncSync(fdOut);
  } finally {
    r.close();
    if (fdOut >= 0) fs.closeSync(fdOut);
  }
  fs.renameSync(tmp, dst);
}
