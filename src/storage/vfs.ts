import fs from 'node:fs';
import nodePath from 'node:path';
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
  /** Release what the provider holds (descriptors, connections); called by `unregister`'s caller. Optional. */
  close?(): void;
  /**
   * How a worker thread (verify --jobs) makes the same provider: a scheme whose factory the worker
   * has loaded (`registerProviderFactory`) and structured-cloneable options. Optional: without it
   * verify checks this provider's paths on the main thread alone.
   */
  workerSpec?(): VfsWorkerSpec;
}

export interface VfsWorkerSpec {
  scheme: string;
  options: unknown;
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

/**
 * `path.resolve(p)` for local paths; a virtual path is already absolute in its provider's terms
 * (`s3://b/p` must not become `$PWD/s3:/b/p`), so only its trailing slashes are dropped.
 */
export function resolvePath(p: string): string {
  if (providerFor(p) === null) return nodePath.resolve(p);
  return p.length > 1 ? p.replace(/\/+$/, '') : p;
}

/**
 * `fs.existsSync(p)` for any path: a virtual one (tar member, s3:// key prefix) is asked of its
 * provider, whose errors other than "not found" propagate (a broken archive or an unreachable
 * store is not "absent").
 */
export function pathExists(p: string): boolean {
  const v = providerFor(p);
  if (v === null) return fs.existsSync(p);
  try {
    v.stat(p);
    return true;
  } catch (e) {
    if (isMissingError(e)) return false;
    throw e;
  }
}

const factories = new Map<string, (options: unknown) => VfsProvider>();

/** Make providers of `scheme` from a VfsWorkerSpec's options (a module registers its own at load). */
export function registerProviderFactory(scheme: string, make: (options: unknown) => VfsProvider): void {
  factories.set(scheme, make);
}

/** The specs of every registered provider, or null when one of them has none (it cannot be re-made in a worker). */
export function workerSpecs(): VfsWorkerSpec[] | null {
  const out: VfsWorkerSpec[] = [];
  for (const p of providers) {
    const s = p.workerSpec?.();
    if (!s) return null;
    out.push(s);
  }
  return out;
}

/**
 * In a worker thread: register the providers the main thread had, from their specs, in the same
 * order. A spec whose scheme has no factory loaded here, or whose provider fails to open, is
 * skipped: paths it serves then fail in the worker, and the main thread checks those itself.
 */
export function registerFromSpecs(specs: readonly VfsWorkerSpec[]): void {
  for (let i = specs.length - 1; i >= 0; i--) {
    const make = factories.get(specs[i]!.scheme);
    if (!make) continue;
    try {
      registerProvider(make(specs[i]!.options));
    } catch {
      /* see above */
    }
  }
}

/** Providers registered now (for `--version --verbose` and the worker pools' "virtual path" test). */
export function registeredProviders(): readonly VfsProvider[] {
  return providers;
}

/**
 * Whether an error from a provider (or from `fs`) says the path does not exist: `ENOENT` or
 * `ENOTDIR`, the codes a provider's NotFoundError carries as well.
 */
export function isMissingError(e: unknown): boolean {
  const code = (e as { code?: unknown } | null)?.code;
  return code === 'ENOENT' || code === 'ENOTDIR';
}

/**
 * The usage error of a command that writes (recover, truncate, compact, rebuild-index, ...) given a
 * path a provider serves: virtual files are read-only, nothing is written anywhere.
 */
export function readOnlyMessage(command: string, p: string, scheme: string): string {
  return `read-only: ${p} is read in place from ${scheme === 'tar' ? 'a tar archive' : `an ${scheme} store`}; kseg ${command} changes files and cannot work on it: copy it out first (${scheme === 'tar' ? 'tar -xf' : 'download it'}) and run kseg ${command} on the copy`;
}
