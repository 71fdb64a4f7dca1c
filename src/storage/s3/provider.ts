import { IoError, NotFoundError } from '../../format/errors.js';
import type { ByteSource, OpenOptions } from '../source.js';
import { registerProvider, registerProviderFactory, type VfsEntry, type VfsProvider, type VfsWorkerSpec } from '../vfs.js';
import { S3Bridge } from './bridge.js';
import { buildView, type DirView, type ListedObject, type Target } from './layouts.js';
import { BlockCache, S3ObjectSource } from './object-source.js';
import type { S3ClientConfig } from './protocol.js';
import { baseName, isS3Path, parentKey, parseS3Path, s3Url, type S3Location } from './url.js';

/**
 * The `s3://` provider of the virtual file layer (vfs.ts): directories are key prefixes listed one
 * level at a time (ListObjectsV2, Delimiter '/', every page), files are objects read with ranged
 * GETs (object-source.ts), tiered-storage layouts are shown as partition directories (layouts.ts).
 * Listings are cached for the process (a command reads a snapshot of the bucket).
 */
export interface S3Options {
  /** An S3-compatible server (MinIO, Ceph, s3rver, LocalStack): path-style addressing. */
  endpoint?: string;
  region?: string;
  /** Per-request deadline in ms (default 30000, KSEG_S3_TIMEOUT_MS). */
  timeoutMs?: number;
  /** SDK attempts per request (default 3). */
  maxAttempts?: number;
}

export class S3Provider implements VfsProvider {
  readonly scheme = 's3';
  readonly bridge: S3Bridge;
  private readonly views = new Map<string, DirView>();
  private readonly blocks = new BlockCache();
  private readonly opts: S3Options;

  constructor(opts: S3Options = {}) {
    this.opts = { endpoint: opts.endpoint, region: opts.region, timeoutMs: opts.timeoutMs, maxAttempts: opts.maxAttempts };
    const env = Number(process.env.KSEG_S3_TIMEOUT_MS);
    const config: S3ClientConfig = {
      endpoint: opts.endpoint ?? (process.env.KSEG_S3_ENDPOINT || undefined),
      region: opts.region,
      timeoutMs: opts.timeoutMs ?? (Number.isInteger(env) && env > 0 ? env : 30_000),
      maxAttempts: opts.maxAttempts ?? 3,
    };
    this.bridge = new S3Bridge(config);
  }

  claims(path: string): boolean {
    return isS3Path(path);
  }

  /**
   * A worker thread (grep's and scan's pools, verify --jobs) makes its own provider with the same
   * endpoint and region: its own SDK worker, listings and block cache. Its requests and bytes are
   * not in this provider's counters (--fetch-stats counts the main thread's).
   */
  workerSpec(): VfsWorkerSpec {
    this.workersMade = true;
    return { scheme: 's3', options: this.opts };
  }

  /** Whether worker threads were handed this provider's spec (their requests are not in `requests()` / `bytesFetched()`). */
  workersMade = false;

  bytesFetched(): number {
    return this.bridge.bytesFetched;
  }

  /** GET and LIST requests sent so far. */
  requests(): number {
    return this.bridge.requests;
  }

  readdir(dir: string): VfsEntry[] {
    const view = this.view(parseS3Path(dir), true)!;
    const out: VfsEntry[] = view.dirs.map((name) => ({ name, type: 'dir', size: 0, mtimeMs: NaN }));
    for (const [name, t] of view.files) out.push({ name, type: 'file', size: t.size, mtimeMs: t.mtimeMs });
    return out.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  }

  stat(path: string): VfsEntry {
    const loc = parseS3Path(path);
    if (loc.key === '') {
      this.view(loc, true); // the bucket exists (NoSuchBucket otherwise)
      return { name: loc.bucket, type: 'dir', size: 0, mtimeMs: NaN };
    }
    const t = this.target(loc);
    if (t) return { name: baseName(loc.key), type: 'file', size: t.size, mtimeMs: t.mtimeMs };
    if (this.isDir(loc)) return { name: baseName(loc.key), type: 'dir', size: 0, mtimeMs: NaN };
    throw new NotFoundError('ENOENT', 'no such object or prefix', { file: s3Url(loc) });
  }

  open(path: string, opts: OpenOptions = {}): ByteSource {
    const loc = parseS3Path(path);
    const url = s3Url(loc);
    const t = this.target(loc);
    if (!t) {
      if (loc.key === '' || this.isDir(loc)) throw new IoError('EISDIR', 'is a directory (a key prefix)', { file: url });
      throw new NotFoundError('ENOENT', 'no such object', { file: url });
    }
    if (t.kind === 'unsupported') throw new IoError(t.code, t.why, { file: s3Url({ bucket: loc.bucket, key: t.key }) });
    const ref = { bucket: loc.bucket, key: t.key, offset: t.kind === 'slice' ? t.offset : 0, size: t.size, url: s3Url({ bucket: loc.bucket, key: t.key }) };
    // no pattern but positional reads in chunks asked for (lookup's scan): read only what is asked
    const pattern = opts.pattern ?? (opts.reader === 'pread' || opts.chunkSize !== undefined ? 'random' : 'sequential');
    return new S3ObjectSource(this.bridge, this.blocks, ref, path, pattern, opts.chunkSize);
  }

  /** The object (or slice) a file path reads, or null when there is none. */
  private target(loc: S3Location): Target | null {
    if (loc.key === '') return null;
    const parent = { bucket: loc.bucket, key: parentKey(loc.key) };
    const name = baseName(loc.key);
    const cached = this.views.get(s3Url(parent));
    if (cached) return cached.files.get(name) ?? null;
    // a name the read path built from a listing has its parent's view cached; anything else is
    // asked for directly, and a tiered layout's presented name through its parent's listing
    try {
      const h = this.bridge.head(loc.bucket, loc.key, { url: s3Url(loc) });
      return { kind: 'object', key: loc.key, size: h.size, mtimeMs: h.mtimeMs };
    } catch (e) {
      if (!(e instanceof NotFoundError)) throw e;
    }
    if (!/^\d{20}\.[a-z]+$|^leader-epoch-checkpoint$/.test(name)) return null;
    return this.view(parent, false)?.files.get(name) ?? null;
  }

  /**
   * Whether any key lies below `loc`: one page of a listing without the delimiter (no MaxKeys=1:
   * s3rver answers it with HTTP 500).
   */
  private isDir(loc: S3Location): boolean {
    if (this.views.has(s3Url(loc))) return true;
    return this.bridge.list(loc.bucket, `${loc.key}/`, undefined, { url: s3Url(loc) }, true).objects.length > 0;
  }

  /** The presented directory at `loc`; null (or NotFoundError when `must`) when no key has that prefix. */
  private view(loc: S3Location, must: boolean): DirView | null {
    const url = s3Url(loc);
    const cached = this.views.get(url);
    if (cached) return cached;
    const prefix = loc.key === '' ? '' : `${loc.key}/`;
    const objects: ListedObject[] = [];
    const dirs: string[] = [];
    let token: string | undefined;
    do {
      const page = this.bridge.list(loc.bucket, prefix, token, { url });
      for (const o of page.objects) {
        const name = o.key.slice(prefix.length);
        if (name !== '' && !name.includes('/')) objects.push({ name, key: o.key, size: o.size, mtimeMs: o.mtimeMs });
      }
      for (const p of page.prefixes) dirs.push(p.slice(prefix.length).replace(/\/$/, ''));
      token = page.next;
    } while (token);
    if (objects.length === 0 && dirs.length === 0) this.deeperDirs(loc, prefix, dirs);
    if (objects.length === 0 && dirs.length === 0 && loc.key !== '') {
      if (!must) return null;
      throw new NotFoundError('ENOENT', 'no such prefix (no object key starts with it)', { file: url });
    }
    const view = buildView(
      objects,
      dirs,
      (keys) => (keys.length === 0 ? [] : this.bridge.getMany(loc.bucket, keys, { url })),
      (key) => s3Url({ bucket: loc.bucket, key }),
    );
    this.views.set(url, view);
    return view;
  }

  /**
   * Some S3-compatible servers (s3rver) leave out a common prefix whose keys all lie two or more
   * levels down. An empty delimited listing is checked without the delimiter (on S3 itself that
   * answer is empty too, at the cost of one request), reading at most 100 pages.
   */
  private deeperDirs(loc: S3Location, prefix: string, dirs: string[]): void {
    const seen = new Set<string>();
    let token: string | undefined;
    let pages = 0;
    do {
      const page = this.bridge.list(loc.bucket, prefix, token, { url: s3Url(loc) }, true);
      for (const o of page.objects) {
        const rest = o.key.slice(prefix.length);
        const slash = rest.indexOf('/');
        if (slash > 0) seen.add(rest.slice(0, slash));
      }
      token = page.next;
    } while (token && ++pages < 100);
    dirs.push(...[...seen].sort());
  }

  close(): void {
    this.bridge.close();
  }
}

let registered: S3Provider | null = null;

/** Register the s3:// provider (once; later options are ignored). Returns it for its counters. */
export function registerS3Provider(opts: S3Options = {}): S3Provider {
  if (!registered) {
    registered = new S3Provider(opts);
    registerProvider(registered);
  }
  return registered;
}

registerProviderFactory('s3', (o) => new S3Provider(o as S3Options));

export { isS3Path } from './url.js';
