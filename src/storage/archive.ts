import fs from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { CorruptDataError, IoError, KsegError, NotFoundError, UsageError, ioError } from '../format/errors.js';
import { storageNote } from './notes.js';
import { openForRead } from './positional-reader.js';
import { isGzip } from './tar-index.js';
import { TarVfs } from './tar-vfs.js';
import { providerFor, readOnlyMessage, registerProvider } from './vfs.js';

/**
 * Tarred log dirs and partitions, as they arrive in support tickets: `logs.tar`, `logs.tar.gz`,
 * `logs.tgz`, optionally followed by `#PATH` naming a partition directory (or one file) inside the
 * archive. The archive is never modified.
 *
 * An uncompressed archive (told by its first bytes, not its name) is read in place: tar-vfs.ts
 * indexes its headers and registers a virtual file system (storage/vfs.ts) serving the member as
 * `ARCHIVE#/PATH`; segment listing, stats and reads go through it, each read a positional read of
 * the archive. A gzip-compressed archive has no random access: its chosen member is extracted,
 * streaming, into a private temporary directory (only regular files and directories; absolute
 * paths and `..` are refused by the tar reader), the command reads that copy, and the copy is
 * removed when the process exits. Memory stays bounded (the reader streams); disk use is the
 * chosen member's size.
 */

const ARCHIVE_RE = /\.(tar|tar\.gz|tgz)$/i;

export interface ArchiveSpec {
  archive: string;
  /** Path inside the archive (without leading `./` or trailing `/`), or null for "choose". */
  member: string | null;
}

/** `logs.tar`, `logs.tar.gz#orders-3`, ...; null when the argument names no archive. */
export function parseArchivePath(arg: string): ArchiveSpec | null {
  const hash = arg.indexOf('#');
  const archive = hash >= 0 ? arg.slice(0, hash) : arg;
  if (!ARCHIVE_RE.test(archive)) return null;
  // A directory that happens to end in .tar is read as a directory.
  try {
    if (fs.statSync(archive).isDirectory()) return null;
  } catch {
    /* missing: reported by the extraction, naming the archive */
  }
  const member = hash >= 0 ? normalizeMember(arg.slice(hash + 1)) : null;
  return { archive, member: member === '' ? null : member };
}

function normalizeMember(p: string): string {
  return p
    .replace(/\\/g, '/')
    .replace(/^\/+/, '')
    .replace(/^(\.\/)+/, '')
    .replace(/\/+$/, '');
}

interface TarEntry {
  path: string;
  type: string;
  size: number;
  resume(): void;
}

interface TarModule {
  t(opts: { file: string; sync: true; strict: boolean; onentry: (e: TarEntry) => void }): void;
  x(opts: { file: string; sync: true; strict: boolean; cwd: string; filter: (p: string, e: TarEntry) => boolean; preserveOwner: false; noMtime?: boolean }): void;
}

let tarModule: TarModule | null = null;
/** Loaded only when an argument names an archive (the tar reader costs start-up time otherwise). */
function tar(): TarModule {
  return (tarModule ??= createRequire(import.meta.url)('tar') as TarModule);
}

function tarError(e: unknown, archive: string): KsegError {
  if (e instanceof KsegError) return e;
  const err = e as NodeJS.ErrnoException & { tarCode?: string };
  if (err?.code === 'ENOENT' || err?.code === 'EACCES' || err?.code === 'EISDIR' || err?.code === 'ENOSPC') return ioError(e, archive);
  const code = err?.tarCode ?? err?.code ?? 'TAR_BAD_ARCHIVE';
  return new CorruptDataError('TAR_BAD_ARCHIVE', `not a readable tar archive (${code}: ${err?.message ?? String(e)})`, { file: archive });
}

/** Regular files and directories in the archive, normalized paths, in archive order. */
export function listArchive(archive: string): { path: string; type: 'file' | 'dir'; size: number }[] {
  const out: { path: string; type: 'file' | 'dir'; size: number }[] = [];
  try {
    fs.accessSync(archive, fs.constants.R_OK);
    tar().t({
      file: archive,
      sync: true,
      strict: true,
      onentry: (e) => {
        const p = normalizeMember(e.path);
        if (e.type === 'File' || e.type === 'OldFile' || e.type === 'ContiguousFile') out.push({ path: p, type: 'file', size: e.size });
        else if (e.type === 'Directory') out.push({ path: p, type: 'dir', size: 0 });
      },
    });
  } catch (e) {
    throw tarError(e, archive);
  }
  if (out.length === 0) throw new CorruptDataError('TAR_EMPTY', 'the archive holds no files (or is not a tar archive)', { file: archive });
  return out;
}

/** Directories of the archive that hold at least one `.log` file: the partitions. */
export function archivePartitions(entries: { path: string; type: 'file' | 'dir' }[]): string[] {
  const dirs = new Set<string>();
  for (const e of entries) if (e.type === 'file' && e.path.endsWith('.log')) dirs.add(path.posix.dirname(e.path));
  return [...dirs].sort();
}

export interface OpenedArchive {
  /** Local path to pass to the command (a directory or file inside the extraction). */
  path: string;
  /** Removes the extracted copy (also done at process exit). */
  cleanup(): void;
}

export interface ResolveOptions {
  /** The command takes a partition or a log dir (verify, grep, txn, ...): with several partitions and no `#`, the directory holding them. */
  allowLogDir?: boolean;
  /** The command takes log dirs only (scan, coordinator --log-dirs): without `#`, the directory holding the partitions, even one. */
  logDirOnly?: boolean;
}

/**
 * The member an archive argument names: `#PATH` as given; without it the one partition directory in
 * the archive, or with several the directory holding them all when a log dir is allowed (verify).
 */
function chooseMember(spec: ArchiveSpec, entries: { path: string; type: 'file' | 'dir' }[], opts: ResolveOptions): string {
  if (spec.member !== null) return spec.member;
  const parts = archivePartitions(entries);
  if (opts.logDirOnly && parts.length > 0) return parts.length === 1 ? path.posix.dirname(parts[0]!) : commonDir(parts);
  if (parts.length === 1) return parts[0]!;
  if (parts.length === 0) throw new NotFoundError('TAR_NO_PARTITION', 'the archive holds no .log file; name a file inside it with ARCHIVE#PATH', { file: spec.archive });
  if (opts.allowLogDir) return commonDir(parts);
  throw new UsageError(
    `${spec.archive} holds ${parts.length} partitions (${parts.slice(0, 8).join(', ')}${parts.length > 8 ? ', ...' : ''}); choose one with ${spec.archive}#PARTITION`,
    'TAR_AMBIGUOUS',
  );
}

/**
 * Make the archive member an argument names readable as a local path. Without `#PATH`: the one
 * partition directory in the archive; with several, verify (allowLogDir) reads the directory that
 * holds them all, other commands ask for `#PATH`.
 */
export function openArchivePath(spec: ArchiveSpec, opts: ResolveOptions = {}): OpenedArchive {
  const entries = listArchive(spec.archive);
  const member = chooseMember(spec, entries, opts);
  const isRoot = member === '' || member === '.';
  const hit = isRoot ? undefined : entries.find((e) => e.path === member);
  const under = isRoot ? entries : entries.filter((e) => e.path.startsWith(member + '/'));
  if (!isRoot && !hit && under.length === 0) {
    throw new NotFoundError('ENOENT', `no ${member} in the archive (partitions in it: ${archivePartitions(entries).slice(0, 8).join(', ') || 'none'})`, { file: spec.archive });
  }
  sweepStaleCopies();
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), `kseg-tar-${process.pid}-`));
  let removed = false;
  const cleanup = (): void => {
    if (removed) return;
    removed = true;
    fs.rmSync(tmp, { recursive: true, force: true });
  };
  process.once('exit', cleanup);
  try {
    tar().x({
      file: spec.archive,
      sync: true,
      strict: true,
      cwd: tmp,
      preserveOwner: false,
      filter: (p, e) => {
        if (e.type !== 'File' && e.type !== 'OldFile' && e.type !== 'ContiguousFile' && e.type !== 'Directory') return false;
        const n = normalizeMember(p);
        return isRoot || n === member || n.startsWith(member + '/');
      },
    });
  } catch (e) {
    cleanup();
    throw tarError(e, spec.archive);
  }
  const local = isRoot ? tmp : path.join(tmp, ...member!.split('/'));
  if (!fs.existsSync(local)) {
    cleanup();
    throw new IoError('ENOENT', `${member} could not be extracted from the archive`, { file: spec.archive });
  }
  storageNote(`reading ${spec.archive}${isRoot ? '' : `#${member}`} from its extracted copy ${local} (removed when kseg exits); file paths in the output name that copy`);
  return { path: local, cleanup };
}

/**
 * A kseg killed by a signal (Ctrl-C keeps its default: see lock.ts) leaves its extracted copy
 * behind. Copies are named kseg-tar-<pid>-*; those whose process is gone are removed by the next
 * run that opens an archive. A live pid (or one reused since) keeps its copy; errors are ignored
 * (another user's copy in a shared /tmp).
 */
export function sweepStaleCopies(dir = os.tmpdir()): void {
  let names: string[];
  try {
    names = fs.readdirSync(dir);
  } catch {
    return;
  }
  for (const n of names) {
    const m = /^kseg-tar-(\d+)-[A-Za-z0-9]{6}$/.exec(n);
    if (!m) continue;
    const pid = Number(m[1]);
    if (pid === process.pid || pidAlive(pid)) continue;
    try {
      fs.rmSync(path.join(dir, n), { recursive: true, force: true });
    } catch {
      /* not ours to remove */
    }
  }
}

function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function commonDir(dirs: string[]): string {
  let common = dirs[0]!.split('/');
  for (const d of dirs.slice(1)) {
    const parts = d.split('/');
    let i = 0;
    while (i < common.length && i < parts.length && common[i] === parts[i]) i++;
    common = common.slice(0, i);
  }
  return common.join('/');
}

/** Whether the file's first bytes are gzip's magic (a file too short or unreadable: false; opening it reports that). */
function gzipped(archive: string): boolean {
  let fd: number;
  try {
    fd = openForRead(archive).fd;
  } catch (e) {
    throw tarError(e, archive);
  }
  try {
    return isGzip(fd);
  } finally {
    fs.closeSync(fd);
  }
}

const opened = new Map<string, TarVfs>();

/**
 * The tar provider for an uncompressed archive, registered once per archive for the rest of the
 * process (storage/vfs.ts); its index is read at the first call.
 */
export function tarProvider(archive: string): TarVfs {
  const key = path.resolve(archive);
  let v = opened.get(key);
  if (!v) {
    v = TarVfs.open(archive);
    opened.set(key, v);
    registerProvider(v);
  }
  return v;
}

/**
 * The path naming an archive member in place (uncompressed archives): `ARCHIVE#/MEMBER`, served by
 * the archive's tar provider. The member is chosen as openArchivePath does.
 */
export function openArchiveInPlace(spec: ArchiveSpec, opts: ResolveOptions = {}): string {
  const v = tarProvider(spec.archive);
  const entries = v.index.members.filter((m) => m.type !== 'other').map((m) => ({ path: m.path, type: m.type as 'file' | 'dir' }));
  if (!entries.some((e) => e.type === 'file')) throw new CorruptDataError('TAR_EMPTY', 'the archive holds no files (or is not a tar archive)', { file: spec.archive });
  const member = chooseMember(spec, entries, opts);
  const p = v.pathOf(member === '.' ? '' : member);
  try {
    v.stat(p);
  } catch (e) {
    if (!(e instanceof KsegError) || e.code !== 'ENOENT') throw e;
    throw new NotFoundError('ENOENT', `no ${member} in the archive (partitions in it: ${archivePartitions(entries).slice(0, 8).join(', ') || 'none'})`, { file: spec.archive });
  }
  return p;
}

/**
 * Replace every archive argument by a path the read path can open (other arguments, `s3://` URLs
 * included, pass through unchanged: main.ts registers their provider): uncompressed archives in
 * place (`ARCHIVE#/MEMBER`), gzip-compressed ones as an extracted copy. The one resolution every
 * read-only input of every read command goes through (README "Archives": which commands read them).
 */
export function resolveArchiveArgs(args: readonly string[], opts: ResolveOptions = {}): string[] {
  return args.map((a) => resolveArchiveArg(a, opts));
}

/** `resolveArchiveArgs` for one argument (undefined passes through: an option not given). */
export function resolveArchiveArg<T extends string | undefined>(arg: T, opts: ResolveOptions = {}): T {
  if (arg === undefined) return arg;
  const spec = parseArchivePath(arg);
  if (!spec) return arg;
  return (gzipped(spec.archive) ? openArchivePath(spec, opts).path : openArchiveInPlace(spec, opts)) as T;
}

/**
 * Output paths (generate's directory, `-o` of salvage, slice, import and export) are written with
 * local file calls: an `s3://` URL there would become a local directory named `s3:`. Refused instead.
 */
export function refuseRemoteOutput(command: string, p: string | undefined): void {
  if (p !== undefined && /^s3:\//i.test(p))
    throw new UsageError(`${command} writes local files only: ${p} is an S3 path; write to a local directory and upload that (e.g. aws s3 cp --recursive)`, 'READ_ONLY');
}

/**
 * Commands that change a partition (recover, truncate, compact, rebuild-index) refuse an archive
 * or a virtual path (`s3://...`): a UsageError saying to copy it out first; nothing is written.
 */
export function refuseReadOnlyPaths(command: string, args: string[]): void {
  for (const a of args) {
    const v = providerFor(a);
    const scheme = v ? v.scheme : /^s3:\/\/?/i.test(a) ? 's3' : parseArchivePath(a) ? 'tar' : null;
    if (scheme) throw new UsageError(readOnlyMessage(command, a, scheme), 'READ_ONLY');
  }
}
