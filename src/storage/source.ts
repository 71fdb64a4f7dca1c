import fs from 'node:fs';
import { CorruptDataError } from '../format/errors.js';
import { nativeLoadFailure, optionalNative } from '../format/native.js';
import { calibrateReader, forcedReader } from './calibration.js';
import { checkRange, openForRead, PositionalReader, preadFully } from './positional-reader.js';
import { providerFor } from './vfs.js';

/**
 * Read-only byte access to one file. `read` returns a view that stays valid for as long as the
 * caller holds it (buffers are never reused), so batches and records can point into it without
 * copies. Two implementations: memory-mapped windows (mmap-io fork, optional native module) and
 * positional reads into fresh chunks (always available). Nothing here ever writes to the file.
 */
export interface ByteSource {
  readonly path: string;
  readonly size: number;
  readonly kind: 'mmap' | 'pread';
  /** Bytes [pos, pos + len). Throws if the range is outside the file. */
  read(pos: number, len: number): Buffer;
  /** Bytes handed out so far (each `read` counts its length). */
  readonly bytesRequested: number;
  close(): void;
}

interface MmapModule {
  PROT_READ: number;
  MAP_SHARED: number;
  MADV_SEQUENTIAL: number;
  MADV_RANDOM: number;
  MADV_DONTNEED: number;
  PAGESIZE: number;
  advise(buf: Buffer, advice: number): void;
  map(size: number, prot: number, flags: number, fd: number, offset?: number, advise?: number): Buffer;
}

export type AccessPattern = 'sequential' | 'random';

export interface OpenOptions {
  /**
   * Force a reader: 'pread' never maps; 'auto' maps when possible, except that a sequential read
   * uses positional reads where the calibration (storage/calibration.ts) found them faster.
   */
  reader?: 'auto' | 'pread';
  pattern?: AccessPattern;
  /**
   * Map only files at least this large; smaller ones use positional reads (a lookup reading one
   * small index then needs no native module: loading it costs more than the read).
   */
  mapMinBytes?: number;
  /** Window and chunk sizes (tests use tiny ones to exercise boundaries). */
  mmapWindow?: number;
  chunkSize?: number;
}

/** One map is limited to 2 GiB - 4 KiB by the module's 32-bit size argument. */
const MAX_MAP = 2 ** 31 - 4096;
const DEFAULT_WINDOW = 64 * 1024 * 1024;
const DEFAULT_CHUNK = 1024 * 1024;

export function mmapModule(): MmapModule | null {
  return optionalNative<MmapModule>('@riaskov/mmap-io');
}

/**
 * Live memory maps. The module cannot unmap: a map is released when the garbage collector frees
 * its Buffer, and nothing makes the collector run because maps cost the JS heap nothing. A
 * directory of 20,000 segments then held 60,000 maps (log, index, time index each), past
 * vm.max_map_count (65,530): V8's next own mmap failed and the process died by SIGABRT. So maps
 * are counted from creation until the collector releases them (FinalizationRegistry on the
 * ArrayBuffer, which outlives every view into it), and past a budget new reads use positional
 * reads until maps are released again. The budget: an eighth of vm.max_map_count, at most 4096
 * (KSEG_MAX_MAPS overrides it).
 */
let liveMaps = 0;
let mapBudget: number | undefined;
const mapReleased = new FinalizationRegistry<null>(() => {
  liveMaps--;
});

function maxMaps(): number {
  if (mapBudget === undefined) {
    let limit = 65530;
    try {
      const v = Number(fs.readFileSync('/proc/sys/vm/max_map_count', 'utf8').trim());
      if (Number.isInteger(v) && v > 0) limit = v;
    } catch {
      /* not Linux: keep the Linux default */
    }
    mapBudget = envInt('KSEG_MAX_MAPS') ?? Math.max(16, Math.min(4096, Math.floor(limit / 8)));
  }
  return mapBudget;
}

/** Memory maps created and not yet released by the collector (for tests and diagnostics). */
export function liveMapCount(): number {
  return liveMaps;
}

function envInt(name: string): number | undefined {
  const v = process.env[name];
  if (!v) return undefined;
  const n = Number(v);
  return Number.isInteger(n) && n > 0 ? n : undefined;
}

export function openSource(path: string, opts: OpenOptions = {}): ByteSource {
  const v = providerFor(path);
  if (v) return v.open(path, opts);
  const { fd, size } = openForRead(path);
  let mm: MmapModule | null = null;
  try {
    mm = opts.reader === 'pread' || size < (opts.mapMinBytes ?? 0) ? null : mapsFor(path, fd, size, opts.pattern ?? 'sequential');
  } catch (e) {
    fs.closeSync(fd);
    throw e;
  }
  if (mm && size > 0 && liveMaps < maxMaps()) {
    try {
      return new MappedSource(path, fd, size, mm, opts.mmapWindow ?? envInt('KSEG_MMAP_WINDOW') ?? DEFAULT_WINDOW, opts.pattern ?? 'sequential');
    } catch {
      // fall through to positional reads
    }
  }
  return new PositionalReader(path, { lifetime: 'owned', size: opts.chunkSize ?? envInt('KSEG_CHUNK_SIZE') ?? DEFAULT_CHUNK }, { fd, size }, true);
}

/** A read-only shared map of [pos, pos + len) of `fd`, counted against the map budget until the collector releases it. */
function mapCounted(mm: MmapModule, fd: number, pos: number, len: number, advise: number): Buffer {
  if (liveMaps >= maxMaps()) throw new Error('map budget spent');
  const buf = mm.map(len, mm.PROT_READ, mm.MAP_SHARED, fd, pos, advise);
  liveMaps++;
  mapReleased.register(buf.buffer, null);
  return buf;
}

/**
 * The mapping module when this read should map: KSEG_READER forces either reader; otherwise a
 * sequential read follows the reader calibration (measured here on the first large file), and a
 * random one maps (a lookup's few scattered reads).
 */
function mapsFor(path: string, fd: number, size: number, pattern: AccessPattern): MmapModule | null {
  const forced = forcedReader();
  if (forced !== null) return forced === 'mmap' ? mmapModule() : null;
  const mm = mmapModule();
  if (mm === null || pattern !== 'sequential') return mm;
  const probe = {
    path,
    size,
    map: (pos: number, len: number): Buffer => mapCounted(mm, fd, pos, len, mm.MADV_SEQUENTIAL),
    pread: (into: Buffer, pos: number): void => preadFully(fd, path, into, pos),
  };
  const c = calibrateReader(probe);
  return c === null || c.chosen === 'mmap' ? mm : null;
}

class MappedSource implements ByteSource {
  readonly kind = 'mmap' as const;
  bytesRequested = 0;
  private win: Buffer;
  private winPos = 0;
  private closed = false;
  private readonly page: number;
  /** Chunked positional reads once no further window may be mapped (shares the descriptor). */
  private fallback: PositionalReader<'owned'> | null = null;

  constructor(
    readonly path: string,
    private readonly fd: number,
    readonly size: number,
    private readonly mm: MmapModule,
    private readonly window: number,
    private readonly pattern: AccessPattern,
  ) {
    this.page = mm.PAGESIZE || 4096;
    this.win = this.map(0, Math.min(size, this.window));
  }

  private map(pos: number, len: number): Buffer {
    return mapCounted(this.mm, this.fd, pos, len, this.pattern === 'random' ? this.mm.MADV_RANDOM : this.mm.MADV_SEQUENTIAL);
  }

  read(pos: number, len: number): Buffer {
    checkRange(this, pos, len);
    this.bytesRequested += len;
    if (pos >= this.winPos && pos + len <= this.winPos + this.win.length) {
      return this.win.subarray(pos - this.winPos, pos - this.winPos + len);
    }
    const base = Math.floor(pos / this.page) * this.page;
    const need = pos + len - base;
    if (need > MAX_MAP) {
      // A single read larger than one map allows: copy it out with positional reads.
      const buf = Buffer.allocUnsafe(len);
      preadFully(this.fd, this.path, buf, pos);
      return buf;
    }
    const winLen = Math.min(Math.max(this.window, need), this.size - base, MAX_MAP);
    // The module cannot unmap; dropping the old window's pages keeps resident memory to about one
    // window however large the file (a shared file mapping refaults from the page cache if a view
    // into it is still read later, so handed-out views stay valid).
    try {
      this.mm.advise(this.win, this.mm.MADV_DONTNEED);
    } catch {
      /* advisory only */
    }
    if (this.fallback) return this.fallback.read(pos, len);
    try {
      this.win = this.map(base, winLen);
    } catch {
      // Map budget spent (or the kernel refused): positional reads in chunks from here on.
      this.fallback = new PositionalReader(this.path, { lifetime: 'owned', size: DEFAULT_CHUNK }, { fd: this.fd, size: this.size });
      return this.fallback.read(pos, len);
    }
    this.winPos = base;
    return this.win.subarray(pos - base, pos - base + len);
  }

  close(): void {
    // Mappings are released by the garbage collector when no view refers to them; until then the
    // last window's pages would count as resident, so drop them now (a view still read later
    // refaults from the page cache).
    if (!this.closed) {
      this.closed = true;
      try {
        this.mm.advise(this.win, this.mm.MADV_DONTNEED);
      } catch {
        /* advisory only */
      }
      fs.closeSync(this.fd);
    }
  }
}

/** Kafka maps index files whole with a 32-bit size (AbstractIndex); nothing read whole may be larger. */
export const MAX_WHOLE_FILE = 2 ** 31 - 1;

/** Read a whole (small) file: index, checkpoint, snapshot files. */
export function readWholeFile(path: string, opts: OpenOptions = {}): Buffer {
  const src = openSource(path, { ...opts, pattern: opts.pattern ?? 'sequential' });
  if (src.size > MAX_WHOLE_FILE) {
    src.close();
    throw new CorruptDataError(
      'FILE_TOO_LARGE',
      `file is ${src.size} bytes, more than the ${MAX_WHOLE_FILE} an index, checkpoint or snapshot can be (Kafka maps and reads them with 32-bit sizes)`,
      { file: path },
    );
  }
  try {
    return src.size === 0 ? Buffer.alloc(0) : src.read(0, src.size);
  } finally {
    src.close();
  }
}

/**
 * A small text file (checkpoints, partition.metadata) as UTF-8. Local files: `fs.readFileSync`, its
 * errors unchanged (callers test `code === 'ENOENT'`); virtual files (storage/vfs.ts) through
 * their provider, a missing one an error with code ENOENT too.
 */
export function readTextFile(path: string): string {
  if (providerFor(path) === null) return fs.readFileSync(path, 'utf8');
  return readWholeFile(path).toString('utf8');
}

export function readerKind(): string {
  if (process.env.KSEG_READER === 'pread') return 'positional reads (KSEG_READER=pread)';
  if (process.env.KSEG_READER === 'mmap' && mmapModule()) return 'mmap (@riaskov/mmap-io) with positional-read fallback (KSEG_READER=mmap)';
  if (mmapModule()) return 'mmap (@riaskov/mmap-io) with positional-read fallback';
  const why = nativeLoadFailure('@riaskov/mmap-io');
  return `positional reads (mmap module not available${why !== undefined ? `: @riaskov/mmap-io ${why}` : ''})`;
}
