import fs from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { IoError, KsegError, NotFoundError } from '../src/format/errors.js';
import { dump } from '../src/ops/dump.js';
import { info } from '../src/ops/info.js';
import { lookup } from '../src/ops/lookup.js';
import { verify } from '../src/ops/verify/index.js';
import { readLogDirContext } from '../src/storage/log-dir.js';
import { PositionalReader, headerSource, readRange } from '../src/storage/positional-reader.js';
import { listSegments, readDirEntries, readDirNames, resolveInputs, scanPartitionDir, statPath, subdirectories } from '../src/storage/segments.js';
import { openSource, readTextFile, readWholeFile, type ByteSource, type OpenOptions } from '../src/storage/source.js';
import { isMissingError, providerFor, registerProvider, type VfsEntry, type VfsProvider } from '../src/storage/vfs.js';
import { FIXTURES } from './helpers.js';

/**
 * The routing of storage/vfs.ts, with a provider that serves files from memory (`mem://...`): what
 * a tar or S3 provider plugs into. Every read-path entry (listing, stat, open, whole-file reads,
 * log-dir checkpoints, positional readers) must ask the provider, and dump/info/verify/lookup on
 * the in-memory copy of a fixture must equal their results on the directory itself.
 */

class MemSource implements ByteSource {
  readonly kind = 'pread' as const;
  bytesRequested = 0;
  closed = false;
  constructor(
    readonly path: string,
    private readonly bytes: Buffer,
    private readonly count: (n: number) => void,
  ) {}
  get size(): number {
    return this.bytes.length;
  }
  read(pos: number, len: number): Buffer {
    if (pos < 0 || len < 0 || pos + len > this.bytes.length) throw new IoError('EOF', `read of ${len} at ${pos} outside ${this.bytes.length}`, { file: this.path });
    this.bytesRequested += len;
    this.count(len);
    return Buffer.from(this.bytes.subarray(pos, pos + len));
  }
  close(): void {
    this.closed = true;
  }
}

/** `mem://NAME/...`: files in a map; directories implied by file paths. Accepts `mem:/` (path.join's spelling). */
class MemVfs implements VfsProvider {
  readonly scheme = 'mem';
  readonly files = new Map<string, Buffer>();
  fetched = 0;
  calls: string[] = [];
  opened: MemSource[] = [];
  private key(p: string): string {
    return p.replace(/^mem:\/\/?/, '').replace(/\/+$/, '');
  }
  claims(p: string): boolean {
    return p.startsWith('mem:/');
  }
  readdir(dir: string): VfsEntry[] {
    this.calls.push(`readdir ${dir}`);
    const k = this.key(dir);
    if (this.files.has(k)) throw new IoError('ENOTDIR', 'not a directory', { file: dir });
    const out = new Map<string, VfsEntry>();
    for (const [f, b] of this.files) {
      if (!f.startsWith(k + '/')) continue;
      const rest = f.slice(k.length + 1);
      const slash = rest.indexOf('/');
      if (slash < 0) out.set(rest, { name: rest, type: 'file', size: b.length, mtimeMs: 1_700_000_000_000 });
      else out.set(rest.slice(0, slash), { name: rest.slice(0, slash), type: 'dir', size: 0, mtimeMs: NaN });
    }
    if (out.size === 0) throw new NotFoundError('ENOENT', `no ${k}`, { file: dir });
    return [...out.values()];
  }
  stat(p: string): VfsEntry {
    this.calls.push(`stat ${p}`);
    const k = this.key(p);
    const b = this.files.get(k);
    if (b) return { name: path.posix.basename(k), type: 'file', size: b.length, mtimeMs: 1_700_000_000_000 };
    if ([...this.files.keys()].some((f) => f.startsWith(k + '/'))) return { name: path.posix.basename(k), type: 'dir', size: 0, mtimeMs: NaN };
    throw new NotFoundError('ENOENT', `no ${k}`, { file: p });
  }
  open(p: string, _opts?: OpenOptions): ByteSource {
    this.calls.push(`open ${p}`);
    const b = this.files.get(this.key(p));
    if (!b) throw new NotFoundError('ENOENT', `no ${this.key(p)}`, { file: p });
    const s = new MemSource(p, b, (n) => (this.fetched += n));
    this.opened.push(s);
    return s;
  }
  bytesFetched(): number {
    return this.fetched;
  }
  /** Load a local directory tree under `mem://prefix/`. */
  load(local: string, prefix: string): void {
    for (const e of fs.readdirSync(local, { withFileTypes: true, recursive: true })) {
      if (!e.isFile()) continue;
      const abs = path.join(e.parentPath, e.name);
      this.files.set(`${prefix}/${path.relative(local, abs).split(path.sep).join('/')}`, fs.readFileSync(abs));
    }
  }
}

let unregister: (() => void) | null = null;
afterEach(() => {
  unregister?.();
  unregister = null;
});

function mem(): MemVfs {
  const v = new MemVfs();
  unregister = registerProvider(v);
  return v;
}

describe('storage/vfs.ts routing with an in-memory provider', () => {
  it('register, claim, unregister: providerFor is null without a provider and after unregistering', () => {
    expect(providerFor('mem://x/y')).toBeNull();
    const v = new MemVfs();
    const off = registerProvider(v);
    expect(providerFor('mem://x/y')).toBe(v);
    expect(providerFor('mem:/x/y')).toBe(v);
    expect(providerFor('/var/lib/kafka/orders-0')).toBeNull();
    // A later registration is asked first.
    const w = new MemVfs();
    const off2 = registerProvider(w);
    expect(providerFor('mem://x/y')).toBe(w);
    off2();
    expect(providerFor('mem://x/y')).toBe(v);
    off();
    expect(providerFor('mem://x/y')).toBeNull();
  });

  it('list, stat, open, read whole files, read text, positional readers: all through the provider', () => {
    const v = mem();
    v.load(path.join(FIXTURES, 'v2-multiseg'), 'b/logs');
    const dir = 'mem://b/logs/topic-0';
    const local = path.join(FIXTURES, 'v2-multiseg', 'topic-0');
    expect(readDirNames(dir).sort()).toEqual(fs.readdirSync(local).sort());
    expect(readDirEntries(dir).every((e) => e.type === 'file' && typeof e.size === 'number')).toBe(true);
    expect(subdirectories('mem://b/logs').sort()).toEqual(
      fs
        .readdirSync(path.join(FIXTURES, 'v2-multiseg'))
        .filter((n) => fs.statSync(path.join(FIXTURES, 'v2-multiseg', n)).isDirectory())
        .sort(),
    );
    const part = scanPartitionDir(dir);
    const want = scanPartitionDir(local);
    expect({ ...part, dir: '' }).toEqual({ ...want, dir: '' });
    const ls = listSegments(dir);
    const lw = listSegments(local);
    expect(ls.segments.map((s) => ls.withIndexes(s))).toEqual(lw.segments.map((s) => lw.withIndexes(s)));
    const logName = want.segments[1]!.log;
    const st = statPath(path.join(dir, logName));
    expect(st.isFile()).toBe(true);
    expect(st.isDirectory()).toBe(false);
    expect(st.size).toBe(fs.statSync(path.join(local, logName)).size);
    expect(statPath(dir).isDirectory()).toBe(true);
    const [inp] = resolveInputs([dir]);
    expect(inp!.type).toBe('dir');
    const src = openSource(path.join(dir, logName), { pattern: 'sequential' });
    expect(src.size).toBe(st.size);
    expect(Buffer.compare(src.read(0, src.size), fs.readFileSync(path.join(local, logName)))).toBe(0);
    src.close();
    const idx = want.segments[1]!.index!;
    expect(Buffer.compare(readWholeFile(path.join(dir, idx)), fs.readFileSync(path.join(local, idx)))).toBe(0);
    expect(readTextFile(path.join(dir, 'leader-epoch-checkpoint'))).toBe(fs.readFileSync(path.join(local, 'leader-epoch-checkpoint'), 'utf8'));
    expect(Buffer.compare(readRange(path.join(dir, logName), 61, 100), fs.readFileSync(path.join(local, logName)).subarray(61, 161))).toBe(0);
    // A borrowed reader with a tiny buffer crosses refills; an owned header reader keeps its views.
    const r = new PositionalReader(path.join(dir, logName), { lifetime: 'borrowed', size: 7 });
    const bytes = fs.readFileSync(path.join(local, logName));
    for (let pos = 0; pos + 13 <= r.size; pos += 11) expect(Buffer.compare(r.read(pos, 13), bytes.subarray(pos, pos + 13))).toBe(0);
    r.close();
    const h = headerSource(path.join(dir, logName));
    const a = h.read(0, 61);
    h.read(5000, 61);
    expect(Buffer.compare(a, bytes.subarray(0, 61))).toBe(0);
    h.close();
    // Every source the routing opened was closed again.
    expect(v.opened.every((s) => s.closed)).toBe(true);
    expect(v.bytesFetched()).toBeGreaterThan(0);
  });

  it('missing paths: stat and text reads say ENOENT; scanPartitionDir names the directory', () => {
    mem();
    expect(() => statPath('mem://b/none')).toThrow(KsegError);
    try {
      readTextFile('mem://b/none/leader-epoch-checkpoint');
    } catch (e) {
      expect(isMissingError(e)).toBe(true);
    }
    expect(() => scanPartitionDir('mem://b/none')).toThrow(expect.objectContaining({ code: 'ENOENT' }));
  });

  it('log-dir context: checkpoints and the clean-shutdown marker beside a virtual partition are read through the provider', () => {
    const v = mem();
    v.load(path.join(FIXTURES, 'v2-multiseg'), 'b/logs');
    v.files.set('b/logs/.kafka_cleanshutdown', Buffer.alloc(0));
    v.files.set('b/logs/recovery-point-offset-checkpoint', Buffer.from('0\n1\ntopic 0 1200\n'));
    v.files.set('b/logs/log-start-offset-checkpoint', Buffer.from('0\n1\ntopic 0 7\n'));
    const ctx = readLogDirContext('mem://b/logs/topic-0');
    expect(ctx.isLogDir).toBe(true);
    expect(ctx.cleanShutdown).toMatch(/\.kafka_cleanshutdown$/);
    expect(ctx.recoveryPoint?.offset).toBe(1200);
    expect(ctx.logStartOffset?.offset).toBe(7);
    // No local file was touched: every path the provider saw is its own.
    expect(v.calls.every((c) => c.split(' ')[1]!.startsWith('mem:/'))).toBe(true);
  });

  for (const c of ['v2-multiseg', 'v2-txn', 'v1-gzip', 'v0-none']) {
    it(`${c}: dump, info, verify and lookup on the in-memory copy equal the local results (paths aside)`, () => {
      const v = mem();
      v.load(path.join(FIXTURES, c), 'b');
      const dir = 'mem://b/topic-0';
      const local = path.join(FIXTURES, c, 'topic-0');
      const strip = (x: unknown): string =>
        JSON.stringify(x, (_k, val) => (typeof val === 'bigint' ? String(val) : val))
          .split(local)
          .join('ROOT')
          .split(dir)
          .join('ROOT')
          .split('mem:/b/topic-0')
          .join('ROOT');
      const events = (p: string): string => strip([...dump([p], { records: true })].map((e) => ({ ...e })));
      expect(events(dir)).toBe(events(local));
      expect(strip(info([dir]))).toBe(strip(info([local])));
      expect(strip(verify([dir]))).toBe(strip(verify([local])));
      expect(strip(verify([dir], { jobs: 3 }))).toBe(strip(verify([local])));
      const { logStartOffset: first, logEndOffset: end } = info([local])[0]!;
      for (const off of [first, Math.floor((first + end!) / 2), end! - 1]) {
        const a = lookup(dir, { offset: off });
        const b = lookup(local, { offset: off });
        expect(strip({ o: a.record?.offset, s: a.segment, p: a.batch?.position })).toBe(strip({ o: b.record?.offset, s: b.segment, p: b.batch?.position }));
      }
      expect(v.calls.some((x) => x.startsWith('open '))).toBe(true);
    });
  }
});
