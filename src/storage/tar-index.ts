import fs from 'node:fs';
import { createRequire } from 'node:module';
import { CorruptDataError, NotFoundError, UsageError, ioError } from '../format/errors.js';
import { checkRange, openForRead, preadFully } from './positional-reader.js';
import type { ByteSource } from './source.js';

/**
 * Random access to the members of an uncompressed tar archive, without extracting it.
 *
 * `indexTar` walks the archive header by header with positional reads (512-byte blocks): each
 * header is decoded by node-tar's own Header class (ustar prefix, base-256 sizes, checksum), pax
 * extended headers (`x`, `g`) by node-tar's Pax parser, GNU long names (`L`, `K`) from their data
 * block. Member data is skipped, never read, so indexing a multi-GiB archive reads a few KiB.
 * `openTarMember` then serves one regular member as a ByteSource over
 * `[dataOffset, dataOffset + size)` of the archive, named `ARCHIVE#MEMBER`.
 *
 * Refused (CorruptDataError naming the archive and the header's byte position): a bad header
 * checksum, a member running past the archive's end, GNU sparse members (type `S` or pax
 * `GNU.sparse.*`: their bytes on disk are not the file's bytes). Compressed archives are not
 * random-access; they stay on the extraction path in archive.ts.
 */

export interface TarMember {
  /** Normalized path (no leading `./`, no trailing `/`). */
  path: string;
  type: 'file' | 'dir' | 'other';
  size: number;
  /** Byte position of the member's first data byte in the archive. */
  dataOffset: number;
  /** Byte position of the member's (first) header block, for error messages. */
  headerOffset: number;
  /** Modification time in ms since the epoch (ustar: whole seconds; pax: finer); NaN when absent. */
  mtimeMs: number;
  /** Target of a symbolic or hard link member ('other'), else null. */
  linkpath: string | null;
}

export interface TarIndex {
  archive: string;
  size: number;
  members: TarMember[];
}

export interface HeaderLike {
  path: string | null;
  size: number | null;
  type: string;
  cksumValid: boolean;
  nullBlock: boolean;
  linkpath: string | null;
  mtime: Date | null;
}
interface TarInternals {
  Header: new (buf: Buffer, off: number, ex?: object | null, gex?: object | null) => HeaderLike;
  Pax: { parse(s: string, ex?: object | null, global?: boolean): object };
  typeNames: Map<string, string>;
}
let internals: TarInternals | null = null;
function tarInternals(): TarInternals {
  if (!internals) {
    const req = createRequire(import.meta.url);
    internals = {
      Header: req('tar/lib/header.js') as TarInternals['Header'],
      Pax: req('tar/lib/pax.js') as TarInternals['Pax'],
      typeNames: (req('tar/lib/types.js') as { name: Map<string, string> }).name,
    };
  }
  return internals;
}

/** `buf[off, off + size)` up to its first NUL, as UTF-8 (node-tar's decString). */
function cString(buf: Buffer, off: number, size: number): string {
  let end = off;
  while (end < off + size && buf[end] !== 0) end++;
  // node-tar strips /\0.*/, and `.` stops at a line break: past the NUL, a line break (or any
  // non-ASCII byte, which may be U+2028/U+2029) keeps what follows it. Rare: decode as it does.
  for (let i = end + 1; i < off + size; i++) {
    const c = buf[i]!;
    if (c === 0x0a || c === 0x0d || c >= 0x80) return buf.toString('utf8', off, off + size).replace(/\0.*/, '');
  }
  return buf.toString('utf8', off, end);
}

/**
 * An octal number field (node-tar's decSmallNumber: up to the first NUL, spaces trimmed): the value,
 * null when it holds no digit, undefined for what only node-tar's parser takes (base-256, a sign).
 */
function octal(buf: Buffer, off: number, size: number): number | null | undefined {
  const end = off + size;
  for (let j = off; j < end; j++) if (buf[j]! >= 0x80) return undefined;
  let i = off;
  while (i < end && (buf[i] === 0x20 || (buf[i]! >= 0x09 && buf[i]! <= 0x0d))) i++;
  if (i < end && (buf[i] === 0x2b || buf[i] === 0x2d)) return undefined;
  let n = 0;
  let digits = 0;
  while (i < end && buf[i]! >= 0x30 && buf[i]! <= 0x37) {
    n = n * 8 + (buf[i]! - 0x30);
    digits++;
    i++;
  }
  return digits === 0 ? null : n;
}

/**
 * A header block decoded as node-tar's Header decodes one (same fields, same checksum and
 * end-of-archive rules) without its per-field string work: indexing an archive of a 1,000-segment
 * partition (4,000 members) spent most of its time there. Only for blocks with no pax values in
 * effect; undefined when a field needs node-tar's own parser (base-256 numbers, signs).
 */
export function quickHeader(buf: Buffer, off: number, typeNames: Map<string, string> = tarInternals().typeNames): HeaderLike | undefined {
  const size = octal(buf, off + 124, 12);
  const mtime = octal(buf, off + 136, 12);
  const cksum = octal(buf, off + 148, 12);
  if (size === undefined || mtime === undefined || cksum === undefined) return undefined;
  // mode, uid, gid, devmajor, devminor: not used, but a base-256 value there may be one node-tar rejects.
  if ((buf[off + 100]! | buf[off + 108]! | buf[off + 116]! | buf[off + 329]! | buf[off + 337]!) & 0x80) return undefined;
  let path = cString(buf, off, 100);
  let code = buf[off + 156] === 0 ? '0' : cString(buf, off + 156, 1);
  if (code === '') code = '0';
  if (code === '0' && path.endsWith('/')) code = '5';
  const linkpath = cString(buf, off + 157, 100);
  // magic "ustar\0" + version "00": POSIX ustar, whose prefix field extends the name.
  if (buf.toString('latin1', off + 257, off + 265) === 'ustar\u000000') {
    if (buf[off + 475] !== 0) path = cString(buf, off + 345, 155) + '/' + path;
    else {
      const prefix = cString(buf, off + 345, 130);
      if (prefix) path = prefix + '/' + path;
    }
  }
  let sum = 8 * 0x20;
  for (let i = off; i < off + 148; i++) sum += buf[i]!;
  for (let i = off + 156; i < off + 512; i++) sum += buf[i]!;
  return {
    path,
    size: code === '5' ? 0 : size,
    type: typeNames.get(code) ?? code,
    cksumValid: sum === cksum,
    nullBlock: cksum === null && sum === 8 * 0x20,
    linkpath,
    mtime: mtime === null ? null : new Date(mtime * 1000),
  };
}

/** Metadata blocks (long names, pax headers) above this size are refused, not read into memory. */
const MAX_META = 1024 * 1024;

export function normalizeMemberPath(p: string): string {
  return p
    .replace(/\\/g, '/')
    .replace(/^\/+/, '')
    .replace(/^(\.\/)+/, '')
    .replace(/\/+$/, '');
}

/** True when the archive's first bytes are gzip's magic (then it is not random-access). */
export function isGzip(fd: number): boolean {
  const b = Buffer.alloc(2);
  const n = fs.readSync(fd, b, 0, 2, 0);
  return n === 2 && b[0] === 0x1f && b[1] === 0x8b;
}

export function indexTar(archive: string): TarIndex {
  const { fd, size } = openForRead(archive);
  try {
    if (isGzip(fd)) throw new UsageError(`${archive} is gzip-compressed: members can only be read by streaming, not in place`, 'TAR_COMPRESSED');
    return { archive, size, members: walk(fd, archive, size) };
  } finally {
    fs.closeSync(fd);
  }
}

function walk(fd: number, archive: string, size: number): TarMember[] {
  const { Header, Pax, typeNames } = tarInternals();
  const members: TarMember[] = [];
  const block = Buffer.alloc(512);
  let pos = 0;
  let ex: object | null = null;
  let gex: object | null = null;
  let longPath: string | null = null;
  let firstHeader = -1;
  const bad = (code: string, msg: string, at: number): CorruptDataError => new CorruptDataError(code, msg, { file: archive, position: at });
  const readMeta = (at: number, len: number, hdrAt: number): string => {
    if (len > MAX_META) throw bad('TAR_META_TOO_LARGE', `tar metadata block of ${len} bytes (limit ${MAX_META})`, hdrAt);
    if (at + len > size) throw bad('TAR_TRUNCATED', `tar metadata block runs past the end of the archive (${size} bytes)`, hdrAt);
    const b = Buffer.alloc(len);
    preadFully(fd, archive, b, at);
    return b.toString('utf8');
  };
  while (pos + 512 <= size) {
    preadFully(fd, archive, block, pos);
    let h: HeaderLike;
    try {
      h = (ex === null && gex === null ? quickHeader(block, 0, typeNames) : undefined) ?? new Header(block, 0, ex, gex);
    } catch (e) {
      throw bad('TAR_BAD_HEADER', `unreadable tar header (${(e as Error).message})`, pos);
    }
    if (h.nullBlock) break; // end-of-archive marker (two zero blocks; one is enough to stop)
    if (!h.cksumValid) throw bad('TAR_BAD_CHECKSUM', 'tar header checksum mismatch (not a tar archive, or a damaged one)', pos);
    // Header applies pax values before its ustar prefix, so pax path/size are taken here (as
    // node-tar's ReadEntry does): extended header first, then global, then the block's own fields.
    const exv = ex as { path?: string | null; size?: number | null; linkpath?: string | null } | null;
    const gexv = gex as { size?: number | null } | null;
    const len = exv?.size ?? gexv?.size ?? h.size ?? 0;
    if (!Number.isSafeInteger(len) || len < 0) throw bad('TAR_BAD_HEADER', `tar header has an invalid size (${String(h.size)})`, pos);
    const dataAt = pos + 512;
    const next = dataAt + Math.ceil(len / 512) * 512;
    if (firstHeader < 0) firstHeader = pos;
    switch (h.type) {
      case 'ExtendedHeader':
      case 'OldExtendedHeader': {
        const body = readMeta(dataAt, len, pos);
        if (body.includes('GNU.sparse.')) throw bad('TAR_SPARSE', 'GNU sparse member (pax GNU.sparse.*) cannot be read in place', pos);
        ex = Pax.parse(body, ex, false);
        break;
      }
      case 'GlobalExtendedHeader':
        gex = Pax.parse(readMeta(dataAt, len, pos), gex, true);
        break;
      case 'NextFileHasLongPath':
      case 'OldGnuLongPath':
        longPath = readMeta(dataAt, len, pos).replace(/\0.*$/s, '');
        break;
      case 'NextFileHasLongLinkpath':
        readMeta(dataAt, len, pos); // validated, not needed
        break;
      case 'SparseFile':
        throw bad('TAR_SPARSE', `GNU sparse member ${h.path ?? ''} cannot be read in place`, pos);
      default: {
        const p = normalizeMemberPath(longPath ?? exv?.path ?? h.path ?? '');
        const type = h.type === 'File' || h.type === 'OldFile' || h.type === 'ContiguousFile' ? 'file' : h.type === 'Directory' ? 'dir' : 'other';
        if (type === 'file' && dataAt + len > size) throw bad('TAR_TRUNCATED', `member ${p} (${len} bytes) runs past the end of the archive (${size} bytes)`, firstHeader);
        // `..` would name something outside the archive's tree: a hostile or broken archive (tar -x refuses it too).
        if (p.split('/').includes('..')) throw bad('TAR_UNSAFE_PATH', `member ${p} has a '..' path component (refused: it names a file outside the archive's tree)`, firstHeader);
        const mtime = h.mtime?.getTime();
        const linkpath = type === 'other' ? (exv?.linkpath ?? h.linkpath ?? null) : null;
        members.push({ path: p, type, size: type === 'dir' ? 0 : len, dataOffset: dataAt, headerOffset: firstHeader, mtimeMs: mtime ?? NaN, linkpath });
        ex = null;
        longPath = null;
        firstHeader = -1;
      }
    }
    pos = next;
  }
  return members;
}

/** A regular member of an indexed archive as a ByteSource; reads are positional and counted. */
export function openTarMember(index: TarIndex, member: string): ByteSource {
  const want = normalizeMemberPath(member);
  // A later member with the same path replaces an earlier one (tar append semantics).
  let hit: TarMember | undefined;
  for (const m of index.members) if (m.path === want) hit = m;
  if (!hit || hit.type !== 'file') {
    if (hit) throw new UsageError(`${index.archive}#${want} is a ${hit.type === 'dir' ? 'directory' : 'link or special file'}, not a regular file`, 'TAR_NOT_A_FILE');
    throw new NotFoundError('ENOENT', `no regular file ${want} in the archive`, { file: index.archive });
  }
  let fd: number;
  try {
    fd = fs.openSync(index.archive, 'r');
  } catch (e) {
    throw ioError(e, index.archive);
  }
  return new TarMemberSource(`${index.archive}#${want}`, fd, hit.dataOffset, hit.size);
}

class TarMemberSource implements ByteSource {
  readonly kind = 'pread' as const;
  bytesRequested = 0;
  /** Bytes actually read from the archive (each read is exactly the range asked for). */
  bytesRead = 0;
  reads = 0;
  private closed = false;

  constructor(
    readonly path: string,
    private readonly fd: number,
    readonly offset: number,
    readonly size: number,
  ) {}

  read(pos: number, len: number): Buffer {
    checkRange(this, pos, len);
    this.bytesRequested += len;
    const buf = Buffer.allocUnsafe(len);
    if (len > 0) {
      preadFully(this.fd, this.path, buf, this.offset + pos);
      this.bytesRead += len;
      this.reads++;
    }
    return buf;
  }

  close(): void {
    if (!this.closed) {
      this.closed = true;
      fs.closeSync(this.fd);
    }
  }
}
