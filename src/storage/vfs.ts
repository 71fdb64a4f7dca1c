import type { ByteSource, OpenOptions } from './source.js';

/**
 * Read-only virtual file layer for partitions that do not sit in the local file system: members of
 * an uncompressed tar archive (`logs.tar#topic-0/...`) and objects in an S3-compatible store
 * (`s3://bucket/prefix/...`). The read path (segment listing, `openSource`, `readWholeFile`, log-dir
 * checkpoints, the stats of dump/info/verify/lookup) asks `providerFor(path)` first and falls back to
 * the local file system when no provider claims the path.
 *
 * Everything here is synchronous, like the rest of the read path: a provider whose backing store is
 * asynchronous (S3) bridges to it itself (e.g. a worker thread and `Atomics.wait`).
 *
 * Paths: callers build child paths with `path.join(dir, name)`, which turns `s3://b/p` into
 * `s3:/b/p`; a provider must accept both spellings of its own paths.
 */

export interface VfsEntry {
  /** Base name (no directory part). */
  name: string;
  type: 'file' | 'dir' | 'other';
  size: number;
  /** Modification time in ms since the epoch (S3: LastModified; tar: the member's mtime); NaN when unknown. */
  mtimeMs: number;
}

export interface VfsProvider {
  /** Short name for messages and `--version --verbose`: 'tar', 's3'. */
  readonly scheme: string;
  /** True when this provider serves `path` (cheap: a prefix test, no I/O). */
  claims(path: string): boolean;
  /** Entries of a directory (one level). Throws NotFoundError when it does not exist. */
  readdir(dir: string): VfsEntry[];
  /** Throws NotFoundError when the path does not exist. */
  stat(path: string): VfsEntry;
  /** Random access to one file's bytes. `opts.pattern` says whether to read ahead. */
  open(path: string, opts?: OpenOptions): ByteSource;
  /** Bytes fetched from the backing store so far (for `--json` stats and tests); 0 when not counted. */
  bytesFetched(): number;
}

const providers: VfsProvider[] = [];

/** Register a provider; later registrations are asked first. Returns a function that removes it. */
export function registerProvider(p: VfsProvider): () => void {
  providers.unshift(p);
  return () => {
    const i = providers.indexOf(p);
    if (i >= 0) providers.splice(i, 1);
  };
}

/** The provider serving `path`, or null for the local file system. */
export function providerFor(path: string): VfsProvider | null {
  if (providers.length === 0) return null;
  for (const p of providers) if (p.claims(path)) return p;
  return null;
}
