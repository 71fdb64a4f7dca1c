import fs from 'node:fs';
import { snappyCompress, snappyCompressAsync, zstdCompressSyncImpl } from '../format/codecs.js';
import { InternalError, KsegError, UsageError } from '../format/errors.js';

/**
 * The second half of `kseg export --format parquet`: a finished row group's columns (plain arrays,
 * export-parquet.ts fills them) become pages, compressed and written, and the file ends with the
 * footer. Runs in export's writer thread (export-worker.ts) while the main thread fills the next
 * row group, or in the main thread itself where no worker file is at hand (tests from src/):
 * the same code, the same bytes.
 *
 * Pages are DATA_PAGE_V2, PLAIN: BYTE_ARRAY columns of flat rows cut every ~1 MiB at row
 * boundaries, every other column one page per row group. Levels go through hyparquet-writer's
 * RLE/bit-packed hybrid encoder, page headers and the footer through its thrift writers
 * (writePageHeader, writeMetadata); values through the page compressor (the native snappy or zstd
 * modules kseg loads for batches; hyparquet-writer's JS snappy when the native one does not load).
 */

export interface SchemaElement {
  name: string;
  type?: string;
  repetition_type?: string;
  converted_type?: string;
  num_children?: number;
}

export type ParquetCompression = 'snappy' | 'zstd' | 'none';

/** What does not change between row groups: one per leaf column, in file order. */
export interface ColumnSpec {
  type: string;
  maxDef: number;
  repeated: boolean;
  stats: boolean;
  /** path_in_schema */
  path: string[];
}

/**
 * One leaf column of a finished row group: `levels` entries (rows, or list slots for the headers
 * leaves), `count` non-null values. `values`: INT32 one int each, INT64 low and high words,
 * BOOLEAN one byte (0/1) each, BYTE_ARRAY PLAIN bytes (4-byte length + bytes) with each value's
 * end in `ends`. The arrays may be longer than what they hold; the writer thread reads them in
 * shared memory and leaves them to the main thread to fill again once it has replied.
 */
export interface ColumnData {
  levels: number;
  count: number;
  min: number;
  max: number;
  def: Uint8Array | null;
  rep: Uint8Array | null;
  values: Int32Array | Uint8Array;
  ends: Int32Array | null;
}

export interface GroupData {
  rows: number;
  cols: ColumnData[];
}

/**
 * A row group as sent to the page writer: its columns' arrays only where they are not the ones
 * sent last time with the same `slot` (the main thread's group object, filled again once written).
 * Each shared array in a message costs both threads: ~100 of them per group made postMessage the
 * main thread's largest item (1.2 of ~8 s); once the arrays have grown to their working size a
 * group is sent as numbers only.
 */
export interface SentGroup {
  slot: number;
  rows: number;
  cols: SentColumn[];
  /** The BYTE_ARRAY columns' buffers (ordinary memory): the writer thread takes them and gives them back in its reply. */
  moved: ArrayBuffer[];
}

/** ColumnData with `undefined` for an array that is the one of the slot's last group. */
export type SentColumn = Omit<ColumnData, 'def' | 'rep' | 'values' | 'ends'> & {
  def: Uint8Array | null | undefined;
  rep: Uint8Array | null | undefined;
  values: Int32Array | Uint8Array | undefined;
  ends: Int32Array | null | undefined;
};

/** How a file's pages are written: sent once per file (export-worker.ts gets it as a message). */
export interface PagesOptions {
  compression: ParquetCompression;
  /** Whether the optional native modules may load (format/native.ts's switch, as the caller has it). */
  native: boolean;
  schema: SchemaElement[];
  columns: ColumnSpec[];
}

// The parts of hyparquet-writer used here.
interface ByteWriterLike {
  offset: number;
  index: number;
  buffer: ArrayBuffer;
  appendUint32(v: number): void;
}
interface HyparquetParts {
  ByteWriter: new (size?: number) => ByteWriterLike;
  writePageHeader: (w: ByteWriterLike, h: unknown) => void;
  writeRleBitPackedHybrid: (w: ByteWriterLike, values: ArrayLike<number>, bitWidth: number) => number;
  writeMetadata: (w: ByteWriterLike, m: unknown) => void;
}

type Compress = (d: Uint8Array) => Uint8Array | Promise<Uint8Array>;

/** A page planned: levels encoded, values plain (a view of the column's memory until written), compression started. */
interface Page {
  levels: Uint8Array;
  plain: Uint8Array;
  data: Uint8Array | Promise<Uint8Array>;
  numValues: number;
  numNulls: number;
  numRows: number;
  defLen: number;
  repLen: number;
}

const PAGE_BYTES = 1 << 20;
/** Write-back is started every this many bytes written (see writeGroup). */
const SYNC_BYTES = 64 << 20;
const PARQUET_MAGIC = Buffer.from('PAR1');

let parts: Promise<HyparquetParts> | null = null;
function hyparquet(): Promise<HyparquetParts> {
  return (parts ??= Promise.all([
    import('hyparquet-writer'),
    import('hyparquet-writer/src/datapage.js'),
    import('hyparquet-writer/src/encoding.js'),
    import('hyparquet-writer/src/metadata.js'),
  ]).then(
    ([{ ByteWriter }, { writePageHeader }, { writeRleBitPackedHybrid }, { writeMetadata }]) =>
      ({ ByteWriter, writePageHeader, writeRleBitPackedHybrid, writeMetadata }) as unknown as HyparquetParts,
  ));
}

/** The page compressor of `compression` (null: none). Throws UsageError when zstd is not loaded. */
async function compressorOf(compression: ParquetCompression): Promise<Compress | null> {
  if (compression === 'none') return null;
  if (compression === 'zstd') {
    const z = zstdCompressSyncImpl();
    if (!z) throw new UsageError('--compression zstd needs the optional native module zstd-napi, which is not loaded here (see kseg --version --verbose); use snappy');
    return z;
  }
  // Parquet's SNAPPY is the raw block format: the native module when it loads (on the thread pool:
  // a row group's pages are compressed side by side), else hyparquet-writer's JS one.
  try {
    snappyCompress(new Uint8Array(1), false);
    return snappyCompressAsync;
  } catch {
    return (await import('hyparquet-writer/src/snappy.js')).snappyCompress;
  }
}

/**
 * One Parquet file's pages and footer, written at the end of `fd` (the caller owns it, and has
 * nothing else write to it). The leading magic is written by `open`.
 */
export class ParquetPages {
  private readonly rowGroups: unknown[] = [];
  private numRows = 0;
  private offset = 0;
  private readonly codec: string;
  private readonly queued: Uint8Array[] = [];
  /** Write-back started early (see writeGroup): the offset it covers, and the sync in flight. */
  private syncedAt = 0;
  private syncing: Promise<void> | null = null;

  private constructor(
    private readonly fd: number,
    private readonly hp: HyparquetParts,
    private readonly opts: PagesOptions,
    private readonly compress: Compress | null,
  ) {
    this.codec = opts.compression === 'zstd' ? 'ZSTD' : opts.compression === 'none' ? 'UNCOMPRESSED' : 'SNAPPY';
    this.queue(PARQUET_MAGIC);
    this.drain();
  }

  static async open(fd: number, opts: PagesOptions): Promise<ParquetPages> {
    const [hp, compress] = await Promise.all([hyparquet(), compressorOf(opts.compression)]);
    return new ParquetPages(fd, hp, opts, compress);
  }

  /** Bytes written so far. */
  get size(): number {
    return this.offset;
  }

  private queue(b: Uint8Array): void {
    if (b.length === 0) return;
    this.queued.push(b);
    this.offset += b.length;
  }

  /** Everything queued, with as few writev calls as the kernel allows. */
  private drain(): void {
    const q = this.queued;
    let i = 0;
    while (i < q.length) {
      let n = fs.writevSync(this.fd, i === 0 ? q : q.slice(i));
      // a short write: on from the first part not written in full
      while (i < q.length && n >= q[i]!.length) n -= q[i++]!.length;
      if (n > 0) q[i] = q[i]!.subarray(n);
    }
    q.length = 0;
  }

  /** The last writeGroup: groups are written one after the other, in the order given. */
  private last: Promise<void> = Promise.resolve();

  /** The arrays last sent with each slot (see SentGroup). */
  private readonly slots = new Map<number, ColumnData[]>();

  /** A sent group with its arrays, taken from the slot's previous group where left out (in the order sent). */
  private resolve(sent: SentGroup): GroupData {
    const prev = this.slots.get(sent.slot);
    const cols = sent.cols.map((c, i): ColumnData => {
      const p = prev?.[i];
      const values = c.values ?? p?.values;
      if (values === undefined || (c.def === undefined && !p) || (c.rep === undefined && !p) || (c.ends === undefined && !p)) {
        throw new InternalError(`export writer: row group slot ${sent.slot} column ${i} left out an array it never sent`);
      }
      return {
        levels: c.levels,
        count: c.count,
        min: c.min,
        max: c.max,
        def: c.def !== undefined ? c.def : p!.def,
        rep: c.rep !== undefined ? c.rep : p!.rep,
        values,
        ends: c.ends !== undefined ? c.ends : p!.ends,
      };
    });
    this.slots.set(sent.slot, cols);
    return { rows: sent.rows, cols };
  }

  /** Write one row group's column chunks, in column order, after the groups given before it; keep its RowGroup for the footer. */
  writeGroup(sent: SentGroup): Promise<void> {
    let g: GroupData;
    try {
      g = this.resolve(sent);
    } catch (e) {
      return Promise.reject(e);
    }
    const next = this.last.then(() => {
      if (this.failed !== null) throw this.failed;
      return this.writeGroupNow(g);
    });
    // (a failure is the caller's, through `next`; every later group fails with it, unwritten)
    this.last = next.catch((e: unknown) => {
      this.failed ??= e;
    });
    return next;
  }
  private failed: unknown = null;

  private async writeGroupNow(g: GroupData): Promise<void> {
    const chunks = g.cols.map((col, ci) => this.plan(this.opts.columns[ci]!, col));
    const datas = await Promise.all(chunks.map((pages) => Promise.all(pages.map((p) => p.data))));
    const start = this.offset;
    const columns: unknown[] = [];
    let total = 0n;
    for (let ci = 0; ci < g.cols.length; ci++) {
      const spec = this.opts.columns[ci]!;
      const col = g.cols[ci]!;
      const chunkStart = this.offset;
      let uncompressed = 0;
      const pages = chunks[ci]!;
      for (let pi = 0; pi < pages.length; pi++) uncompressed += this.queuePage(pages[pi]!, datas[ci]![pi]!);
      const meta: Record<string, unknown> = {
        type: spec.type,
        encodings: ['PLAIN', 'RLE'],
        path_in_schema: spec.path,
        codec: this.codec,
        num_values: BigInt(col.levels),
        total_compressed_size: BigInt(this.offset - chunkStart),
        total_uncompressed_size: BigInt(uncompressed),
        data_page_offset: BigInt(chunkStart),
      };
      if (spec.stats) {
        const nulls = BigInt(col.levels - col.count);
        meta.statistics = col.count > 0 ? { min_value: BigInt(col.min), max_value: BigInt(col.max), null_count: nulls } : { null_count: nulls };
      }
      total += BigInt(uncompressed);
      columns.push({ meta_data: meta, file_offset: BigInt(chunkStart) });
    }
    this.drain();
    // Start the write-back of what is written so far on the thread pool while the next groups are
    // encoded, so the final fsync has little left (the file is ~1/3 of the partition).
    if (this.syncing === null && this.offset - this.syncedAt >= SYNC_BYTES) {
      this.syncedAt = this.offset;
      const fd = this.fd;
      this.syncing = new Promise<void>((resolve) => fs.fdatasync(fd, () => resolve())).then(() => {
        // (an error comes again from the caller's final fsync)
        this.syncing = null;
      });
    }
    this.rowGroups.push({ columns, total_byte_size: total, num_rows: BigInt(g.rows), total_compressed_size: BigInt(this.offset - start), file_offset: BigInt(start) });
    this.numRows += g.rows;
  }

  /** A column chunk's pages: BYTE_ARRAY columns of flat rows cut after the value that takes a page to PAGE_BYTES, the others one page. */
  private plan(spec: ColumnSpec, col: ColumnData): Page[] {
    const pages: Page[] = [];
    let level = 0;
    let value = 0;
    while (level < col.levels) {
      let levelEnd = col.levels;
      let valueEnd = col.count;
      if (spec.type === 'BYTE_ARRAY' && !spec.repeated) {
        const ends = col.ends!;
        const startByte = value === 0 ? 0 : ends[value - 1]!;
        const def = col.def;
        const maxDef = spec.maxDef;
        let v = value;
        let l = level;
        while (l < col.levels) {
          const defined = maxDef === 0 || def![l] === maxDef;
          if (defined) v++;
          l++;
          if (defined && ends[v - 1]! - startByte >= PAGE_BYTES) break;
        }
        levelEnd = l;
        valueEnd = v;
      }
      pages.push(this.page(spec, col, level, levelEnd, value, valueEnd));
      level = levelEnd;
      value = valueEnd;
    }
    return pages;
  }

  /** One DATA_PAGE_V2 of levels [l0, l1) and values [v0, v1): levels encoded, compression started. */
  private page(spec: ColumnSpec, col: ColumnData, l0: number, l1: number, v0: number, v1: number): Page {
    const hp = this.hp;
    const levels = new hp.ByteWriter(64);
    let repLen = 0;
    let defLen = 0;
    let numRows = l1 - l0;
    if (spec.repeated) {
      const rep = col.rep!;
      repLen = hp.writeRleBitPackedHybrid(levels, rep.subarray(l0, l1), 1);
      numRows = 0;
      for (let i = l0; i < l1; i++) if (rep[i] === 0) numRows++;
    }
    if (spec.maxDef > 0) defLen = hp.writeRleBitPackedHybrid(levels, col.def!.subarray(l0, l1), Math.ceil(Math.log2(spec.maxDef + 1)));
    let plain: Uint8Array;
    const vals = col.values;
    if (spec.type === 'INT64') plain = new Uint8Array(vals.buffer, vals.byteOffset + v0 * 8, (v1 - v0) * 8);
    else if (spec.type === 'INT32') plain = new Uint8Array(vals.buffer, vals.byteOffset + v0 * 4, (v1 - v0) * 4);
    else if (spec.type === 'BOOLEAN') {
      plain = new Uint8Array(Math.ceil((v1 - v0) / 8));
      for (let i = v0; i < v1; i++) if (vals[i]) plain[(i - v0) >> 3]! |= 1 << ((i - v0) & 7);
    } else {
      const ends = col.ends!;
      const from = v0 === 0 ? 0 : ends[v0 - 1]!;
      const to = v1 === 0 ? 0 : ends[v1 - 1]!;
      plain = (vals as Uint8Array).subarray(from, to);
    }
    return {
      levels: new Uint8Array(levels.buffer, 0, levels.index),
      plain,
      data: this.compress ? this.compress(plain) : plain,
      numValues: l1 - l0,
      numNulls: l1 - l0 - (v1 - v0),
      numRows,
      defLen,
      repLen,
    };
  }

  /** Queue a page's header, levels and (compressed) values; returns its uncompressed size with header. */
  private queuePage(p: Page, data: Uint8Array): number {
    const header = new this.hp.ByteWriter(64);
    this.hp.writePageHeader(header, {
      type: 'DATA_PAGE_V2',
      uncompressed_page_size: p.levels.length + p.plain.length,
      compressed_page_size: p.levels.length + data.length,
      data_page_header_v2: {
        num_values: p.numValues,
        num_nulls: p.numNulls,
        num_rows: p.numRows,
        encoding: 'PLAIN',
        definition_levels_byte_length: p.defLen,
        repetition_levels_byte_length: p.repLen,
        is_compressed: this.compress !== null,
      },
    });
    const headerBytes = new Uint8Array(header.buffer, 0, header.index);
    this.queue(headerBytes);
    this.queue(p.levels);
    // (uncompressed values are the column's memory: written before the group is filled again)
    this.queue(data);
    return headerBytes.length + p.levels.length + p.plain.length;
  }

  /** The footer (FileMetaData) and the closing magic, once the early write-back has settled. */
  async finish(): Promise<void> {
    await this.last;
    if (this.syncing) await this.syncing;
    const w = new this.hp.ByteWriter(1 << 16);
    this.hp.writeMetadata(w, {
      version: 2,
      created_by: 'kseg export',
      schema: this.opts.schema,
      num_rows: BigInt(this.numRows),
      row_groups: this.rowGroups,
      key_value_metadata: [{ key: 'kseg.export.version', value: '1' }],
    });
    const footer = new Uint8Array(w.buffer, 0, w.index);
    const len = Buffer.alloc(4);
    len.writeUInt32LE(footer.length);
    this.queue(footer);
    this.queue(len);
    this.queue(PARQUET_MAGIC);
    this.drain();
  }

  /** Wait for the early write-back (before the caller closes the descriptor). */
  async settle(): Promise<void> {
    await this.last;
    if (this.syncing) await this.syncing;
  }
}

/** The messages of export's writer thread (export-worker.ts): one request, one reply with the same id. */
export type WriterRequest =
  | { op: 'open'; id: number; file: number; fd: number; opts: PagesOptions }
  | { op: 'group'; id: number; file: number; group: SentGroup }
  | { op: 'finish'; id: number; file: number }
  | { op: 'close'; id: number; file: number };

export interface WriterError {
  name: string;
  message: string;
  code?: string;
}

export type WriterReply = { id: number; error?: WriterError; moved?: ArrayBuffer[] };

/** What a failure becomes on the way to the main thread: KsegErrors keep their class name, system errors their code. */
export function writerError(e: unknown): WriterError {
  if (e instanceof KsegError) return { name: e.constructor.name, message: e.message, code: e.code };
  const err = e as NodeJS.ErrnoException;
  return { name: 'Error', message: String(err?.message ?? e), code: typeof err?.code === 'string' ? err.code : undefined };
}
