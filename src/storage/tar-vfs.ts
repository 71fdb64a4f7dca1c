import fs from 'node:fs';
import path from 'node:path';
import { CorruptDataError, IoError, NotFoundError, ioError } from '../format/errors.js';
import { checkRange, preadFully } from './positional-reader.js';
import { classifyFile } from './segments.js';
import type { ByteSource, OpenOptions } from './source.js';
import { indexTar, type TarIndex, type TarMember } from './tar-index.js';
import type { VfsEntry, VfsProvider } from './vfs.js';

/**
 * An uncompressed tar archive as a read-only directory tree (storage/vfs.ts), read in place: the
 * header-only index of tar-index.ts gives every member's data range, and a member is opened as a
 * ByteSource over that range of the archive (positional reads; nothing is copied or extracted).
 *
 * Paths: `ARCHIVE#/MEMBER/PATH`, `ARCHIVE#` (or `ARCHIVE#/`) being the archive's root. The archive
 * may be spelled as given on the command line or absolute (`path.resolve` of a partition directory
 * inside it keeps the `#`); `path.join(dir, name)` of a member directory gives a member path again.
 * Directories come from member paths: a member `a/b/c.log` implies `a` and `a/b` even when the
 * archive has no entry for them. A later member with the same path replaces an earlier one
 * (`tar -r` appends). Symbolic and hard links are not followed: a link with the name of a Kafka
 * file is an error naming the archive and the link's header position (leaving it out would drop
 * its records silently), others are listed as 'other'.
 */

interface Node {
  entry: VfsEntry;
  member: TarMember | null;
  /** Directories only: children by name. */
  children: Map<string, Node> | null;
}

/** Reads of a sequentially read member come in chunks of this size (one fresh buffer per chunk). */
const CHUNK = 1024 * 1024;

export class TarVfs implements VfsProvider {
  readonly scheme = 'tar';
  /** `ARCHIVE#` in every spelling this provider answers to. */
  private readonly prefixes: string[];
  private readonly root: Node;
  private fetched = 0;
  private fd: number | null = null;

  constructor(
    readonly index: TarIndex,
    spelling: string = index.archive,
  ) {
    this.prefixes = [...new Set([spelling, path.normalize(spelling), path.resolve(spelling), index.archive, path.resolve(index.archive)])].map((s) => `${s}#`);
    this.root = { entry: { name: path.basename(index.archive), type: 'dir', size: 0, mtimeMs: NaN }, member: null, children: new Map() };
    for (const m of index.members) this.add(m);
  }

  /** Index `archive` (header blocks only) and serve it. */
  static open(archive: string): TarVfs {
    return new TarVfs(indexTar(archive), archive);
  }

  /** The path naming `member` (relative to the archive's root) in this provider's spelling. */
  pathOf(member: string): string {
    return `${this.prefixes[0]}/${member}`;
  }

  private add(m: TarMember): void {
    const parts = m.path.split('/').filter((p) => p !== '' && p !== '.');
    if (parts.length === 0) return; // `./` itself: the root
    let dir = this.root;
    for (let i = 0; i < parts.length - 1; i++) dir = this.child(dir, parts[i]!, null);
    const name = parts[parts.length - 1]!;
    if (m.type === 'dir') {
      const d = this.child(dir, name, m);
      d.entry.mtimeMs = m.mtimeMs;
      return;
    }
    dir.children!.set(name, { entry: { name, type: m.type, size: m.size, mtimeMs: m.mtimeMs }, member: m, children: null });
  }

  /** The sub-directory `name` of `dir`, made when missing (or when a file of that name came before). */
  private child(dir: Node, name: string, member: TarMember | null): Node {
    let n = dir.children!.get(name);
    if (!n || n.children === null) {
      n = { entry: { name, type: 'dir', size: 0, mtimeMs: member?.mtimeMs ?? NaN }, member, children: new Map() };
      dir.children!.set(name, n);
    }
    return n;
  }

  claims(p: string): boolean {
    for (const pre of this.prefixes) if (p.startsWith(pre)) return true;
    return false;
  }

  private memberPart(p: string): string {
    for (const pre of this.prefixes) if (p.startsWith(pre)) return p.slice(pre.length);
    throw new IoError('ENOENT', `${p} is not inside ${this.index.archive}`, { file: p });
  }

  private find(p: string): Node {
    const rel = this.memberPart(p);
    let n = this.root;
    for (const part of rel.replace(/\\/g, '/').split('/')) {
      if (part === '' || part === '.') continue;
      const next = n.children?.get(part);
      if (!next) {
        if (n.children === null) throw new IoError('ENOTDIR', `not a directory in the archive`, { file: p });
        throw new NotFoundError('ENOENT', `no ${rel.replace(/^\/+/, '')} in the archive`, { file: this.index.archive });
      }
      n = next;
    }
    return n;
  }

  readdir(dir: string): VfsEntry[] {
    const n = this.find(dir);
    if (n.children === null) throw new IoError('ENOTDIR', 'not a directory (a file in the archive)', { file: dir });
    const out: VfsEntry[] = [];
    for (const c of n.children.values()) {
      if (c.entry.type === 'other' && classifyFile(c.entry.name) !== 'unknown') throw this.linkError(c.member!);
      out.push({ ...c.entry });
    }
    return out;
  }

  /** A link or special member named directly cannot be followed: its error, as `open` gives it. */
  stat(p: string): VfsEntry {
    const n = this.find(p);
    if (n.entry.type === 'other') throw this.linkError(n.member!);
    return { ...n.entry };
  }

  open(p: string, opts: OpenOptions = {}): ByteSource {
    const n = this.find(p);
    if (n.entry.type === 'dir') throw new IoError('EISDIR', 'is a directory (in the archive)', { file: p });
    if (n.entry.type !== 'file') throw this.linkError(n.member!);
    const m = n.member!;
    if (this.fd === null) {
      try {
        this.fd = fs.openSync(this.index.archive, 'r');
      } catch (e) {
        throw ioError(e, this.index.archive);
      }
      // The archive must still be the one indexed: a member's range past its end would read garbage.
      const size = fs.fstatSync(this.fd).size;
      if (size < this.index.size) throw new IoError('EOF', `archive shrank since it was indexed (${this.index.size} -> ${size} bytes)`, { file: this.index.archive });
    }
    const chunk = opts.pattern === 'random' ? 0 : (opts.chunkSize ?? CHUNK);
    return new TarRangeSource(p, this.fd, m.dataOffset, m.size, chunk, (n) => (this.fetched += n));
  }

  private linkError(m: TarMember): CorruptDataError {
    const what = m.linkpath !== null ? `a link (-> ${m.linkpath})` : 'not a regular file (a device, fifo or other special member)';
    return new CorruptDataError('TAR_NOT_A_FILE', `member ${m.path} is ${what}; links are not followed inside an archive: extract it (tar -xf) to read it`, {
      file: this.index.archive,
      position: m.headerOffset,
    });
  }

  bytesFetched(): number {
    return this.fetched;
  }

  close(): void {
    if (this.fd !== null) {
      fs.closeSync(this.fd);
      this.fd = null;
    }
  }
}

/**
 * One member's bytes: [offset, offset + size) of the archive. With `chunk` > 0 (sequential reads:
 * dump, verify) a read outside the current chunk fetches the next `chunk` bytes into a fresh
 * buffer (views stay valid: the ByteSource contract); with 0 (random: indexes, lookup) every read
 * fetches exactly what it asks for. The archive's descriptor is the provider's (not closed here).
 */
class TarRangeSource implements ByteSource {
  readonly kind = 'pread' as const;
  bytesRequested = 0;
  private buf: Buffer = Buffer.alloc(0);
  private bufPos = 0;

  constructor(
    readonly path: string,
    private readonly fd: number,
    private readonly offset: number,
    readonly size: number,
    private readonly chunk: number,
    private readonly count: (n: number) => void,
  ) {}

  read(pos: number, len: number): Buffer {
    checkRange(this, pos, len);
    this.bytesRequested += len;
    if (pos >= this.bufPos && pos + len <= this.bufPos + this.buf.length) return this.buf.subarray(pos - this.bufPos, pos - this.bufPos + len);
    const want = Math.max(len, Math.min(this.chunk, this.size - pos));
    const buf = Buffer.allocUnsafe(want);
    if (want > 0) preadFully(this.fd, this.path, buf, this.offset + pos);
    this.count(want);
    if (this.chunk > 0) {
      this.buf = buf;
      this.bufPos = pos;
      return buf.subarray(0, len);
    }
    return buf;
  }

  close(): void {
    this.buf = Buffer.alloc(0);
  }
}
