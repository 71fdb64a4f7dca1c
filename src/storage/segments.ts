import fs from 'node:fs';
import path from 'node:path';
import { IoError, ioError, type KsegError, UsageError } from '../format/errors.js';
import { providerFor, resolvePath, type VfsProvider } from './vfs.js';

/** Suffixes of segment files; `.snapshot` shares the 20-digit naming but is not part of a segment. */
export type SegmentFileKind = 'log' | 'index' | 'timeindex' | 'txnindex' | 'snapshot';
export type Leftover = 'deleted' | 'cleaned' | 'swap';

export type FileKind =
  | SegmentFileKind
  | 'leader-epoch-checkpoint'
  | 'partition.metadata'
  | 'checkpoint' // recovery-point-offset-checkpoint and friends (log-dir level)
  | 'kraft-checkpoint' // KRaft snapshot <offset>-<epoch>.checkpoint
  | 'unknown';

const SEGMENT_RE = /^(\d{20})\.(log|index|timeindex|txnindex|snapshot)(?:\.(deleted|cleaned|swap))?$/;
const LOOSE_RE = /^(\d+)\.(log|index|timeindex|txnindex|snapshot)(?:\.(deleted|cleaned|swap))?$/;

export interface ParsedName {
  baseOffset: number;
  kind: SegmentFileKind;
  leftover?: Leftover;
  /** The offset part is not exactly 20 digits (Kafka still parses it, but did not write it). */
  irregular: boolean;
}

/** A KRaft snapshot file: `<20-digit end offset>-<10-digit epoch>.checkpoint`, or `bootstrap.checkpoint`. */
export type KraftSnapshotName = { bootstrap: true } | { bootstrap: false; endOffset: number; epoch: number };

export function parseKraftSnapshotName(name: string): KraftSnapshotName | null {
  if (name === 'bootstrap.checkpoint') return { bootstrap: true };
  const m = /^(\d{20})-(\d{10})\.checkpoint$/.exec(name);
  if (!m) return null;
  return { bootstrap: false, endOffset: Number(m[1]), epoch: Number(m[2]) };
}

/** Parse `<20-digit offset>.<suffix>[.deleted|.cleaned|.swap]`. */
export function parseSegmentName(name: string): ParsedName | null {
  const m = SEGMENT_RE.exec(name) ?? LOOSE_RE.exec(name);
  if (!m) return null;
  const baseOffset = Number(m[1]);
  if (!Number.isSafeInteger(baseOffset)) return null;
  return { baseOffset, kind: m[2] as SegmentFileKind, leftover: m[3] as Leftover | undefined, irregular: m[1]!.length !== 20 };
}

export function classifyFile(name: string): FileKind {
  const p = parseSegmentName(name);
  if (p && !p.leftover) return p.kind;
  // A renamed copy (e.g. `suspect.log`) is still read by its suffix, as kafka-dump-log.sh does.
  const suffix = /\.(log|index|timeindex|txnindex|snapshot)$/.exec(name);
  if (suffix) return suffix[1] as SegmentFileKind;
  if (name === 'leader-epoch-checkpoint') return 'leader-epoch-checkpoint';
  if (name === 'partition.metadata') return 'partition.metadata';
  if (parseKraftSnapshotName(name)) return 'kraft-checkpoint';
  if (/-checkpoint$/.test(name)) return 'checkpoint';
  return 'unknown';
}

export function segmentFileName(baseOffset: number, suffix: string): string {
  return `${String(baseOffset).padStart(20, '0')}.${suffix}`;
}

export interface Segment {
  baseOffset: number;
  /** 20-digit name prefix as found on disk. */
  name: string;
  log: string; // file name (within dir)
  logSize: number;
  index?: string;
  indexSize?: number;
  timeindex?: string;
  timeindexSize?: number;
  txnindex?: string;
  txnindexSize?: number;
}

export interface PartitionDir {
  dir: string;
  /** Segments with a .log file, in base-offset order. */
  segments: Segment[];
  snapshots: { offset: number; file: string; size: number }[];
  /** Index files with no .log beside them (Kafka deletes them at startup). */
  orphans: string[];
  /** Files with .deleted / .cleaned / .swap suffixes (unfinished deletes and cleaner/split work). */
  leftovers: { file: string; kind: Leftover; baseOffset: number; fileKind: SegmentFileKind }[];
  /** Segment-like names that are not 20 digits. */
  irregular: string[];
  leaderEpochCheckpoint?: string;
  partitionMetadata?: string;
  other: string[];
}

/** One directory entry: a regular file with its size, a sub-directory, or something else. */
export interface DirEntry {
  name: string;
  type: 'file' | 'dir' | 'other';
  /** Size in bytes (files only; read lazily by `scanPartitionDir`). */
  size?: number;
}

/** List a partition directory (does not open any file). */
export function scanPartitionDir(dir: string): PartitionDir {
  return partitionFromEntries(dir, readDirEntries(dir));
}

/** kseg's own lock file in a partition directory (storage/lock.ts); not part of the partition. */
export const KSEG_LOCK_FILE = '.kseg.lock';

/**
 * Classify one directory entry the way Kafka's File APIs see it: a symbolic link counts as what
 * it points to (operators spread partitions over disks with links). A link with a partition file's
 * name that points nowhere (dangling), into a loop, or at a directory is an IoError naming it:
 * passing over it would silently leave its records out. Broken links with other names stay 'other'.
 */
export function entryType(dir: string, ent: fs.Dirent): DirEntry['type'] {
  if (ent.isFile()) return 'file';
  if (ent.isDirectory()) return 'dir';
  if (!ent.isSymbolicLink()) return 'other';
  const p = path.join(dir, ent.name);
  const matters = classifyFile(ent.name) !== 'unknown' || parseSegmentName(ent.name) !== null;
  let st: fs.Stats;
  try {
    st = fs.statSync(p);
  } catch (e) {
    if (!matters) return 'other';
    throw brokenLink(e, p);
  }
  if (st.isFile()) return 'file';
  if (st.isDirectory()) {
    if (matters) throw new IoError('SYMLINK_TO_DIRECTORY', `symbolic link to a directory (${linkText(p)}) where a file is expected`, { file: p });
    return 'dir';
  }
  if (matters) throw new IoError('ENOTFILE', `symbolic link to something that is not a regular file (${linkText(p)})`, { file: p });
  return 'other';
}

function linkText(p: string): string {
  try {
    return `-> ${fs.readlinkSync(p)}`;
  } catch {
    return 'unreadable link';
  }
}

/** A link `stat` could not follow: dangling (ENOENT), a loop (ELOOP), or anything else. */
export function brokenLink(e: unknown, p: string): IoError {
  const code = (e as NodeJS.ErrnoException)?.code;
  if (code === 'ENOENT') return new IoError('DANGLING_SYMLINK', `dangling symbolic link (${linkText(p)}: no such file or directory)`, { file: p });
  if (code === 'ELOOP') return new IoError('SYMLINK_LOOP', `symbolic link loop (${linkText(p)})`, { file: p });
  return ioError(e, p) as IoError;
}

/** List a directory with each entry's type, symbolic links followed (see `entryType`). */
export function readDirEntries(dir: string): DirEntry[] {
  const v = providerFor(dir);
  if (v) return virtualEntries(v, dir);
  let entries: fs.Dirent[];
  try {
    entries = fs.readdirSync(dir, { withFileTypes: true });
  } catch (e) {
    throw ioError(e, dir);
  }
  return entries.map((e) => ({ name: e.name, type: entryType(dir, e) }));
}

/** A virtual directory's entries (storage/vfs.ts), sizes included: a provider lists them with the names. */
function virtualEntries(v: VfsProvider, dir: string): DirEntry[] {
  return v.readdir(dir).map((e) => (e.type === 'file' ? { name: e.name, type: e.type, size: e.size } : { name: e.name, type: e.type }));
}

/** Names in a directory (`fs.readdirSync`'s errors unchanged; a virtual directory's from its provider). */
export function readDirNames(dir: string): string[] {
  const v = providerFor(dir);
  if (v) return v.readdir(dir).map((e) => e.name);
  return fs.readdirSync(dir);
}

/** Sub-directories of `dir` (symbolic links to directories included, as Kafka's LogManager lists them). */
export function subdirectories(dir: string): string[] {
  const v = providerFor(dir);
  if (v) return v.readdir(dir).flatMap((e) => (e.type === 'dir' ? [e.name] : []));
  let entries: fs.Dirent[];
  try {
    entries = fs.readdirSync(dir, { withFileTypes: true });
  } catch (e) {
    throw ioError(e, dir);
  }
  const out: string[] = [];
  for (const e of entries) {
    if (e.isDirectory()) out.push(e.name);
    else if (e.isSymbolicLink()) {
      try {
        if (fs.statSync(path.join(dir, e.name)).isDirectory()) out.push(e.name);
      } catch {
        /* a broken link is not a partition directory */
      }
    }
  }
  return out;
}

/** A segment's `.log` file, without its size (see `listSegments`). */
export interface SegmentFiles {
  baseOffset: number;
  name: string;
  log: string;
  index?: string;
  timeindex?: string;
  txnindex?: string;
}

export interface SegmentListing {
  /** What `scanPartitionDir(dir).segments` lists, in the same order; index names not yet filled in. */
  segments: SegmentFiles[];
  /** Fill in the segment's `index`, `timeindex` and `txnindex` (those that are regular files). */
  withIndexes(seg: SegmentFiles): SegmentFiles;
}

const LOG_NAME = /^\d+\.log$/;

/**
 * The segments of a partition directory by name only: no file is stat'ed, and the names of a
 * segment's index files are looked up when it is used. For `lookup`, which binary-searches
 * thousands of segments and reads one or two: at start-up the per-file work here is what costs
 * (matching `parseSegmentName`'s rules for `.log` files only, and keeping the others in a map).
 */
export function listSegments(dir: string): SegmentListing {
  const v = providerFor(dir);
  if (v) return listVirtualSegments(v, dir);
  let entries: fs.Dirent[];
  try {
    entries = fs.readdirSync(dir, { withFileTypes: true });
  } catch (e) {
    throw ioError(e, dir);
  }
  const segments: SegmentFiles[] = [];
  const others = new Map<string, fs.Dirent>();
  for (let i = 0; i < entries.length; i++) {
    const ent = entries[i]!;
    const name = ent.name;
    if (!name.endsWith('.log')) {
      others.set(name, ent);
      continue;
    }
    if (!LOG_NAME.test(name) || entryType(dir, ent) !== 'file') continue;
    const prefix = name.slice(0, name.length - 4);
    const baseOffset = Number(prefix);
    if (Number.isSafeInteger(baseOffset)) segments.push({ baseOffset, name: prefix, log: name });
  }
  segments.sort((a, b) => a.baseOffset - b.baseOffset || a.name.localeCompare(b.name));
  const filled = new Set<SegmentFiles>();
  return {
    segments,
    withIndexes(seg) {
      if (filled.has(seg)) return seg;
      filled.add(seg);
      for (const kind of ['index', 'timeindex', 'txnindex'] as const) {
        const f = `${seg.name}.${kind}`;
        const ent = others.get(f);
        if (ent && entryType(dir, ent) === 'file') seg[kind] = f;
      }
      return seg;
    },
  };
}

/** listSegments of a virtual directory (storage/vfs.ts): one listing gives names and types. */
function listVirtualSegments(v: VfsProvider, dir: string): SegmentListing {
  const files = new Set<string>();
  const segments: SegmentFiles[] = [];
  for (const e of v.readdir(dir)) {
    if (e.type !== 'file') continue;
    files.add(e.name);
    if (!LOG_NAME.test(e.name)) continue;
    const prefix = e.name.slice(0, e.name.length - 4);
    const baseOffset = Number(prefix);
    if (Number.isSafeInteger(baseOffset)) segments.push({ baseOffset, name: prefix, log: e.name });
  }
  segments.sort((a, b) => a.baseOffset - b.baseOffset || a.name.localeCompare(b.name));
  return {
    segments,
    withIndexes(seg) {
      for (const kind of ['index', 'timeindex', 'txnindex'] as const) {
        const f = `${seg.name}.${kind}`;
        if (files.has(f)) seg[kind] = f;
      }
      return seg;
    },
  };
}

/**
 * Classify a listing of a partition directory (real or planned, e.g. a recovery plan's "after"
 * view). Sizes missing from `entries` are read with stat.
 */
export function partitionFromEntries(dir: string, entries: DirEntry[]): PartitionDir {
  const out: PartitionDir = { dir, segments: [], snapshots: [], orphans: [], leftovers: [], irregular: [], other: [] };
  const byBase = new Map<string, Partial<Segment> & { baseOffset: number; name: string }>();
  const sizes = new Map(entries.map((e) => [e.name, e.size]));
  const size = (f: string): number => {
    const known = sizes.get(f);
    if (known !== undefined) return known;
    return statPath(path.join(dir, f)).size;
  };
  for (const ent of entries) {
    const name = ent.name;
    if (ent.type !== 'file') {
      if (ent.type !== 'dir') out.other.push(name);
      continue;
    }
    const p = parseSegmentName(name);
    if (p) {
      if (p.irregular) out.irregular.push(name);
      if (p.leftover) {
        out.leftovers.push({ file: name, kind: p.leftover, baseOffset: p.baseOffset, fileKind: p.kind });
        continue;
      }
      if (p.kind === 'snapshot') {
        out.snapshots.push({ offset: p.baseOffset, file: name, size: size(name) });
        continue;
      }
      const prefix = name.slice(0, name.indexOf('.'));
      let seg = byBase.get(prefix);
      if (!seg) byBase.set(prefix, (seg = { baseOffset: p.baseOffset, name: prefix }));
      seg[p.kind] = name;
      seg[`${p.kind}Size`] = size(name);
      continue;
    }
    if (name.startsWith(KSEG_LOCK_FILE)) continue; // kseg's lock and its short-lived helper files (lock.ts)
    if (name === 'leader-epoch-checkpoint') out.leaderEpochCheckpoint = name;
    else if (name === 'partition.metadata') out.partitionMetadata = name;
    else out.other.push(name);
  }
  for (const seg of byBase.values()) {
    if (seg.log === undefined) {
      for (const k of ['index', 'timeindex', 'txnindex'] as const) if (seg[k]) out.orphans.push(seg[k]!);
      continue;
    }
    out.segments.push(seg as Segment);
  }
  out.segments.sort((a, b) => a.baseOffset - b.baseOffset || a.name.localeCompare(b.name));
  out.snapshots.sort((a, b) => a.offset - b.offset);
  out.leftovers.sort((a, b) => a.baseOffset - b.baseOffset || a.file.localeCompare(b.file));
  out.orphans.sort();
  out.other.sort();
  return out;
}

export interface InputFile {
  path: string;
  /** Name within its directory. */
  name: string;
  kind: FileKind;
  /** Base offset parsed from the 20-digit name, when it has one. */
  baseOffset?: number;
}

export type Input = { type: 'dir'; path: string; partition: PartitionDir } | { type: 'file'; file: InputFile };

/** Resolve command-line paths: each is a partition directory or a single file. */
export function resolveInputs(paths: string[]): Input[] {
  if (paths.length === 0) throw new UsageError('no PATH given (a partition directory or a segment/index/checkpoint file)');
  return paths.map((p) => {
    let st: PathStats;
    try {
      st = statVirtualOr(p);
    } catch (e) {
      throw statError(e, p);
    }
    if (st.isDirectory()) return { type: 'dir', path: p, partition: scanPartitionDir(p) };
    if (!st.isFile()) throw new IoError('ENOTFILE', 'not a regular file or directory', { file: p });
    const name = path.basename(p);
    const parsed = parseSegmentName(name);
    return { type: 'file', file: { path: p, name, kind: classifyFile(name), baseOffset: parsed?.baseOffset } };
  });
}

/** What the read path uses of a stat: `fs.Stats` has it, and so does a virtual file's (storage/vfs.ts). */
export interface PathStats {
  size: number;
  mtimeMs: number;
  isFile(): boolean;
  isDirectory(): boolean;
}

/** `fs.statSync(p)`, or the provider's stat when a virtual file system serves `p`. */
function statVirtualOr(p: string): PathStats {
  const v = providerFor(p);
  if (v === null) return fs.statSync(p);
  const e = v.stat(p);
  return { size: e.size, mtimeMs: e.mtimeMs, isFile: () => e.type === 'file', isDirectory: () => e.type === 'dir' };
}

/**
 * `stat(p)` of a path (links followed; a virtual file's stat from its provider, storage/vfs.ts); a
 * failure is an `ioError` naming it.
 */
export function statPath(p: string): PathStats {
  try {
    return statVirtualOr(p);
  } catch (e) {
    throw ioError(e, p);
  }
}

/** An error from `stat(p)`: a broken symbolic link says so, anything else as `ioError`. */
export function statError(e: unknown, p: string): KsegError {
  if (providerFor(p) !== null) return ioError(e, p);
  try {
    if (fs.lstatSync(p).isSymbolicLink()) return brokenLink(e, p);
  } catch {
    /* not there at all */
  }
  return ioError(e, p);
}

const PARTITION_DIR_RE = /-\d+(\.[0-9a-f]{32}-(delete|future|stray))?$/;

/**
 * Anything that belongs to a partition: segments, their leftovers and orphans, producer snapshots,
 * epoch/metadata files, KRaft snapshots (`<offset>-<epoch>.checkpoint` in __cluster_metadata-0).
 */
export function hasPartitionFiles(part: PartitionDir): boolean {
  return (
    part.segments.length > 0 ||
    part.leftovers.length > 0 ||
    part.orphans.length > 0 ||
    part.snapshots.length > 0 ||
    part.leaderEpochCheckpoint !== undefined ||
    part.partitionMetadata !== undefined ||
    part.other.some((o) => classifyFile(o) === 'kraft-checkpoint')
  );
}

function hasSegmentLog(dir: string): boolean {
  try {
    const v = providerFor(dir);
    if (v) return v.readdir(dir).some((e) => e.type === 'file' && /^\d+\.log$/.test(e.name));
    return fs.readdirSync(dir).some((f) => /^\d+\.log$/.test(f));
  } catch {
    return false;
  }
}

/**
 * Directories below `dir` (up to three levels, at most 300 directories read) that hold partition
 * directories: where an operator who typed the log dir's parent (`/var/lib/kafka` for
 * `/var/lib/kafka/data`) meant to point. A partition directory found is not descended into.
 */
export function partitionHoldersBelow(dir: string, maxDepth = 3): { dir: string; partitions: number }[] {
  const holders = new Map<string, number>();
  let budget = 300;
  let level = [dir];
  // Level 0 is `dir` itself: read its sub-directories, then theirs, down to holders `maxDepth` below.
  for (let depth = 0; depth <= maxDepth && level.length > 0 && budget > 0; depth++) {
    const next: string[] = [];
    for (const d of level) {
      if (budget-- <= 0) break;
      let subs: string[];
      try {
        subs = subdirectories(d);
      } catch {
        continue;
      }
      for (const s of subs.sort()) {
        const p = path.join(d, s);
        if (PARTITION_DIR_RE.test(s) && hasSegmentLog(p)) holders.set(d, (holders.get(d) ?? 0) + 1);
        else if (!s.startsWith('.')) next.push(p);
      }
    }
    level = next;
  }
  return [...holders].map(([d, n]) => ({ dir: d, partitions: n }));
}

/**
 * The error for a directory where no partition was found (exit 4): says what was looked for and,
 * when partition directories sit below it, which directory holds them.
 */
export function noPartitionError(dir: string): IoError {
  const below = partitionHoldersBelow(dir).filter((h) => resolvePath(h.dir) !== resolvePath(dir));
  const looked = 'looked for segment files (<20-digit offset>.log and their indexes) and <topic>-<partition> directories holding them';
  let hint = '';
  if (below.length > 0) {
    const shown = below.slice(0, 3).map((h) => `${h.dir} (${h.partitions} partition${h.partitions === 1 ? '' : 's'})`);
    hint = `; partition directories are below, in ${shown.join(', ')}${below.length > 3 ? ` and ${below.length - 3} more` : ''}: pass ${below.length === 1 ? 'that directory (a log dir) or one of its partitions' : 'one of those log dirs or one of their partitions'}`;
  }
  return new IoError('NO_PARTITION', `no Kafka partition found in ${dir}: ${looked}${hint}`, { file: dir });
}

/** Throw `noPartitionError` unless the directory holds partition files. */
export function requirePartition(part: PartitionDir): void {
  if (!hasPartitionFiles(part)) throw noPartitionError(part.dir);
}
