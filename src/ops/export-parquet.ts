import os from 'node:os';
import { isUtf8 } from 'node:buffer';
import { UsageError } from '../format/errors.js';
import { nativeDisabled } from '../format/native.js';
import { EXPORT_COLUMNS, type BatchFields, type RowRecord } from './export-row.js';
import type { WalkedRecords } from './export-walk.js';
import type { ColumnSpec, ParquetCompression, SchemaElement, SentColumn, SentGroup } from './export-parquet-pages.js';
import { openPageSink, type PageSink } from './export-parquet-io.js';
export type { ParquetCompression, SchemaElement } from './export-parquet-pages.js';

/**
 * The Parquet file of `kseg export`, written column by column from typed arrays: no object per
 * row or per value. Each row group keeps, per leaf column, its values already in Parquet's PLAIN
 * layout (INT32 / INT64 little-endian in an Int32Array, BYTE_ARRAY as 4-byte length + bytes in one
 * growing buffer, BOOLEAN one byte per value until the page packs them) and its definition /
 * repetition levels in byte arrays (shared memory). A full row group goes to the page writer
 * (export-parquet-pages.ts, in export's writer thread: export-parquet-io.ts), which makes the
 * pages as views of that memory, compresses and writes them, while this thread fills the next
 * group; at most MAX_IN_FLIGHT groups are with the writer. Pages are DATA_PAGE_V2, PLAIN; key and
 * value are cut into ~1 MiB pages at row boundaries.
 * (hyparquet-writer's own column writer takes one JS value per cell and was 10x slower: README.)
 */

type ColKind = 'string' | 'int32' | 'int64' | 'bool' | 'binary' | 'headers';
const COLUMN_KINDS: Record<(typeof EXPORT_COLUMNS)[number], ColKind> = {
  topic: 'string',
  partition: 'int32',
  file: 'string',
  position: 'int64',
  baseOffset: 'int64',
  lastOffset: 'int64',
  entryOffset: 'int64',
  magic: 'int32',
  compression: 'string',
  batchAttributes: 'int32',
  batchCrc: 'int64',
  crcValid: 'bool',
  producerId: 'int64',
  producerEpoch: 'int32',
  baseSequence: 'int32',
  partitionLeaderEpoch: 'int32',
  isTransactional: 'bool',
  isControl: 'bool',
  firstTimestamp: 'int64',
  maxTimestamp: 'int64',
  lastOffsetDelta: 'int32',
  recordCount: 'int32',
  batchSize: 'int32',
  offset: 'int64',
  timestamp: 'int64',
  timestampType: 'string',
  recordAttributes: 'int32',
  offsetDelta: 'int32',
  timestampDelta: 'int64',
  recordMagic: 'int32',
  key: 'binary',
  value: 'binary',
  headers: 'headers',
  snappyXerial: 'bool',
};

/** Columns that can hold nulls (OPTIONAL); every other one is REQUIRED. */
const NULLABLE = new Set<string>(['topic', 'partition', 'offset', 'timestamp', 'recordAttributes', 'offsetDelta', 'timestampDelta', 'recordMagic', 'key', 'value', 'snappyXerial']);
/** Columns with min/max statistics in each row group (pruning on offset and time ranges). */
const WITH_STATISTICS = new Set<string>(['offset', 'timestamp']);

/** The Parquet schema of an export (headers a LIST of key/value structs). */
export function parquetSchema(): SchemaElement[] {
  const s: SchemaElement[] = [{ name: 'root', num_children: EXPORT_COLUMNS.length }];
  for (const c of EXPORT_COLUMNS) {
    const k = COLUMN_KINDS[c];
    const repetition_type = NULLABLE.has(c) ? 'OPTIONAL' : 'REQUIRED';
    if (k === 'headers') {
      s.push({ name: c, repetition_type: 'REQUIRED', num_children: 1, converted_type: 'LIST' });
      s.push({ name: 'list', repetition_type: 'REPEATED', num_children: 1 });
      s.push({ name: 'element', repetition_type: 'REQUIRED', num_children: 2 });
      s.push({ name: 'key', type: 'BYTE_ARRAY', converted_type: 'UTF8', repetition_type: 'REQUIRED' });
      s.push({ name: 'value', type: 'BYTE_ARRAY', repetition_type: 'OPTIONAL' });
    } else if (k === 'string') s.push({ name: c, type: 'BYTE_ARRAY', converted_type: 'UTF8', repetition_type });
    else if (k === 'binary') s.push({ name: c, type: 'BYTE_ARRAY', repetition_type });
    else if (k === 'bool') s.push({ name: c, type: 'BOOLEAN', repetition_type });
    else if (k === 'int32') s.push({ name: c, type: 'INT32', repetition_type });
    else s.push({ name: c, type: 'INT64', repetition_type });
  }
  return s;
}

const TWO_32 = 4294967296;

/**
 * A header key that is not valid UTF-8, as the row has it (export-row.ts: decoded with replacement
 * characters, as NDJSON and CSV write it): the headers.key column is UTF8, and DuckDB refuses a
 * file holding invalid UTF-8 there.
 */
function utf8Key(b: Uint8Array): Buffer {
  return Buffer.from(Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('utf8'), 'utf8');
}
const PAGE_BYTES = 1 << 20;
/** Row groups handed to the page writer and not yet given back (each ~3 MiB of values: RSS stays flat). */
const MAX_IN_FLIGHT = 2;

/**
 * `a` with room for `need` entries: doubled, but not past `cap` when `need` fits under it. Levels,
 * numbers and value ends in shared memory: the writer thread reads a finished group's arrays where
 * they are (a transfer there and back detached ~50 buffers per group, ~2 ms each time in the
 * writer thread). BYTE_ARRAY bytes (`shared` false) in ordinary memory, moved to the writer and
 * back with the group (a few buffers): V8 copies a value into shared memory with relaxed atomics,
 * byte by byte when source and target are not equally aligned (a value anywhere in a batch), ~2 us
 * per 1 KB value against ~0.3 us into ordinary memory (the main thread's largest item, 2.1 of ~7 s).
 */
function grow<T extends Int32Array | Uint8Array>(a: T, need: number, cap = Infinity, shared = true): T {
  if (need <= a.length) return a;
  let n = Math.max(a.length * 2, 1024);
  while (n < need) n *= 2;
  if (need <= cap) n = Math.min(n, cap);
  const size = n * a.BYTES_PER_ELEMENT;
  const b = new (a.constructor as new (buffer: ArrayBufferLike) => T)(shared ? new SharedArrayBuffer(size) : new ArrayBuffer(size));
  b.set(a);
  return b;
}

/**
 * One leaf column of a row group. `levels` entries (rows, or list slots for the headers leaves);
 * `count` non-null values. Values: i32 (INT32: one int; INT64: low, high words; BOOLEAN: 0/1 in u8)
 * or, for BYTE_ARRAY, PLAIN bytes in `bytes` with each value's end in `ends`.
 */
class Column {
  levels = 0;
  count = 0;
  def: Uint8Array = new Uint8Array(0);
  rep: Uint8Array = new Uint8Array(0);
  i32: Int32Array = new Int32Array(0);
  u8: Uint8Array = new Uint8Array(0);
  bytes: Uint8Array = new Uint8Array(0);
  byteLength = 0;
  ends: Int32Array = new Int32Array(0);
  min = Infinity;
  max = -Infinity;
  readonly maxDef: number;
  /** Growth cap of `bytes`: a row group's byte budget plus a page, so one group never doubles past it. */
  bytesCap = Infinity;
  constructor(
    readonly name: string,
    readonly path: SchemaElement[],
    readonly type: string,
    readonly repeated: boolean,
    readonly stats: boolean,
  ) {
    this.maxDef = path.filter((p) => p.repetition_type === 'OPTIONAL' || p.repetition_type === 'REPEATED').length;
  }
  reset(): void {
    this.levels = this.count = this.byteLength = 0;
    this.min = Infinity;
    this.max = -Infinity;
  }
  spec(): ColumnSpec {
    return { type: this.type, maxDef: this.maxDef, repeated: this.repeated, stats: this.stats, path: this.path.slice(1).map((p) => p.name) };
  }
  /** The column's cells for the page writer (its arrays, in shared memory: see grow). */
  take(): SentColumn {
    const t = this.type;
    const def = this.maxDef > 0 ? this.def : null;
    const rep = this.repeated ? this.rep : null;
    const values = t === 'BOOLEAN' ? this.u8 : t === 'BYTE_ARRAY' ? this.bytes : this.i32;
    const ends = t === 'BYTE_ARRAY' ? this.ends : null;
    const s = this.sent;
    const col: SentColumn = {
      levels: this.levels,
      count: this.count,
      min: this.min,
      max: this.max,
      def: s !== null && s[0] === def ? undefined : def,
      rep: s !== null && s[1] === rep ? undefined : rep,
      // (BYTE_ARRAY bytes are moved to the writer thread with every group: see grow)
      values: s !== null && s[2] === values && t !== 'BYTE_ARRAY' ? undefined : values,
      ends: s !== null && s[3] === ends ? undefined : ends,
    };
    this.sent = [def, rep, values, ends];
    return col;
  }
  /** The arrays given to the page writer last time (SentGroup: only new ones are sent again). */
  private sent: [Uint8Array | null, Uint8Array | null, Int32Array | Uint8Array, Int32Array | null] | null = null;
  /** `n` rows of one value (a batch field); null: n nulls. */
  fill(v: number | boolean | string | null, n: number): void {
    if (this.maxDef > 0) {
      this.def = grow(this.def, this.levels + n);
      this.def.fill(v === null ? 0 : 1, this.levels, this.levels + n);
    }
    this.levels += n;
    if (v === null) return;
    if (this.type === 'INT64') this.int64s(v as number, n);
    else if (this.type === 'INT32') {
      this.i32 = grow(this.i32, this.count + n);
      this.i32.fill(v as number, this.count, this.count + n);
      this.count += n;
    } else if (this.type === 'BOOLEAN') {
      this.u8 = grow(this.u8, this.count + n);
      this.u8.fill(v ? 1 : 0, this.count, this.count + n);
      this.count += n;
    } else {
      this.repeatBin(Buffer.from(String(v), 'utf8'), n);
    }
  }
  /** `n` copies of one BYTE_ARRAY value: written once, then doubled with copyWithin. */
  private repeatBin(b: Uint8Array, n: number): void {
    if (n <= 0) return;
    const at = this.byteLength;
    const one = 4 + b.length;
    const end = at + n * one;
    if (end > this.bytes.length) this.bytes = grow(this.bytes, end, this.bytesCap, false);
    const x = this.bytes;
    const len = b.length;
    x[at] = len & 0xff;
    x[at + 1] = (len >>> 8) & 0xff;
    x[at + 2] = (len >>> 16) & 0xff;
    x[at + 3] = len >>> 24;
    x.set(b, at + 4);
    for (let have = one; have < n * one; have *= 2) x.copyWithin(at + have, at, at + Math.min(have, n * one - have));
    this.byteLength = end;
    if (this.count + n > this.ends.length) this.ends = grow(this.ends, this.count + n);
    const ends = this.ends;
    for (let i = 0, e = at + one; i < n; i++, e += one) ends[this.count + i] = e;
    this.count += n;
  }
  private int64s(v: number, n: number): void {
    this.i32 = grow(this.i32, 2 * (this.count + n));
    const lo = v >>> 0;
    const hi = Math.floor(v / TWO_32) | 0;
    for (let i = 2 * this.count, e = 2 * (this.count + n); i < e; i += 2) {
      this.i32[i] = lo;
      this.i32[i + 1] = hi;
    }
    this.count += n;
    if (this.stats) {
      if (v < this.min) this.min = v;
      if (v > this.max) this.max = v;
    }
  }
  /** One row's INT64 (a safe integer). */
  int64(v: number): void {
    if (this.maxDef > 0) {
      if (this.levels >= this.def.length) this.def = grow(this.def, this.levels + 1);
      this.def[this.levels] = 1;
    }
    this.levels++;
    if (2 * this.count + 2 > this.i32.length) this.i32 = grow(this.i32, 2 * this.count + 2);
    this.i32[2 * this.count] = v >>> 0;
    this.i32[2 * this.count + 1] = Math.floor(v / TWO_32) | 0;
    this.count++;
    if (this.stats) {
      if (v < this.min) this.min = v;
      if (v > this.max) this.max = v;
    }
  }
  int32(v: number): void {
    if (this.maxDef > 0) {
      if (this.levels >= this.def.length) this.def = grow(this.def, this.levels + 1);
      this.def[this.levels] = 1;
    }
    this.levels++;
    if (this.count >= this.i32.length) this.i32 = grow(this.i32, this.count + 1);
    this.i32[this.count++] = v;
  }
  nullRow(): void {
    if (this.levels >= this.def.length) this.def = grow(this.def, this.levels + 1);
    this.def[this.levels++] = 0;
  }
  /** One row's BYTE_ARRAY value (null: a null). */
  binary(b: Uint8Array | null): void {
    if (this.levels >= this.def.length) this.def = grow(this.def, this.levels + 1);
    this.def[this.levels++] = b === null ? 0 : 1;
    if (b !== null) this.bin(b);
  }
  /** One row's BYTE_ARRAY value src[s, s + n) (n < 0: a null). */
  binaryAt(src: Buffer, s: number, n: number): void {
    if (this.levels >= this.def.length) this.def = grow(this.def, this.levels + 1);
    this.def[this.levels++] = n < 0 ? 0 : 1;
    if (n >= 0) this.binRange(src, s, s + n);
  }
  /**
   * Rows k0..k1-1 of a walked batch: the value of row k is src[starts[k], starts[k] + lens[k]), a
   * null when lens[k] < 0; the values in ascending positions. The bytes from the first value to the
   * end of the last are copied once, then each value is moved left into place behind its 4-byte
   * length (memmove within the buffer): no view and no native call per value from the mapped
   * bytes. A value never lies closer than 4 bytes behind the previous one's end in a v2 batch (the
   * next record's length, attributes, deltas, key length and value length come between:
   * DefaultRecord); where one would, it is copied from `src` instead.
   */
  binaryRun(src: Buffer, starts: Int32Array, lens: Int32Array, k0: number, k1: number): void {
    if (this.levels + (k1 - k0) > this.def.length) this.def = grow(this.def, this.levels + (k1 - k0));
    if (this.count + (k1 - k0) > this.ends.length) this.ends = grow(this.ends, this.count + (k1 - k0));
    let first = -1;
    let last = -1;
    for (let k = k0; k < k1; k++) {
      if (lens[k]! < 0) continue;
      if (first < 0) first = k;
      last = k;
    }
    const def = this.def;
    if (first < 0) {
      def.fill(0, this.levels, this.levels + (k1 - k0));
      this.levels += k1 - k0;
      return;
    }
    const s0 = starts[first]!;
    const region = starts[last]! + lens[last]! - s0;
    const base = this.byteLength + 4;
    if (base + region > this.bytes.length) this.bytes = grow(this.bytes, base + region, this.bytesCap, false);
    const x = this.bytes;
    src.copy(x, base, s0, s0 + region);
    const ends = this.ends;
    let out = this.byteLength;
    let levels = this.levels;
    let count = this.count;
    for (let k = k0; k < k1; k++) {
      const n = lens[k]!;
      if (n < 0) {
        def[levels++] = 0;
        continue;
      }
      def[levels++] = 1;
      const from = base + starts[k]! - s0;
      x[out] = n & 0xff;
      x[out + 1] = (n >>> 8) & 0xff;
      x[out + 2] = (n >>> 16) & 0xff;
      x[out + 3] = n >>> 24;
      if (from < out + 4) src.copy(x, out + 4, starts[k]!, starts[k]! + n);
      else if (from !== out + 4) x.copyWithin(out + 4, from, from + n);
      out += 4 + n;
      ends[count++] = out;
    }
    this.byteLength = out;
    this.levels = levels;
    this.count = count;
  }
  /** A slot of a headers leaf with its value src[s, e) when s >= 0. */
  slotAt(rep: number, def: number, src: Buffer, s: number, e: number): void {
    if (this.levels >= this.def.length) {
      this.def = grow(this.def, this.levels + 1);
      this.rep = grow(this.rep, this.levels + 1);
    }
    this.rep[this.levels] = rep;
    this.def[this.levels++] = def;
    if (s >= 0) this.binRange(src, s, e);
  }
  private binRange(src: Buffer, s: number, e: number): void {
    const at = this.byteLength;
    const n = e - s;
    const end = at + 4 + n;
    if (end > this.bytes.length) this.bytes = grow(this.bytes, end, this.bytesCap, false);
    const x = this.bytes;
    x[at] = n & 0xff;
    x[at + 1] = (n >>> 8) & 0xff;
    x[at + 2] = (n >>> 16) & 0xff;
    x[at + 3] = n >>> 24;
    // (no view per value: a native copy, or a loop for the short ones)
    if (n > 32) src.copy(x, at + 4, s, e);
    else for (let i = 0; i < n; i++) x[at + 4 + i] = src[s + i]!;
    this.byteLength = end;
    if (this.count >= this.ends.length) this.ends = grow(this.ends, this.count + 1);
    this.ends[this.count++] = end;
  }
  private bin(b: Uint8Array): void {
    const at = this.byteLength;
    const end = at + 4 + b.length;
    if (end > this.bytes.length) this.bytes = grow(this.bytes, end, this.bytesCap, false);
    const x = this.bytes;
    const n = b.length;
    x[at] = n & 0xff;
    x[at + 1] = (n >>> 8) & 0xff;
    x[at + 2] = (n >>> 16) & 0xff;
    x[at + 3] = n >>> 24;
    x.set(b, at + 4);
    this.byteLength = end;
    if (this.count >= this.ends.length) this.ends = grow(this.ends, this.count + 1);
    this.ends[this.count++] = end;
  }
  /** A slot of a headers leaf: repetition `rep`, definition `def`, and the value when defined at the leaf. */
  slot(rep: number, def: number, b: Uint8Array | null): void {
    if (this.levels >= this.def.length) {
      this.def = grow(this.def, this.levels + 1);
      this.rep = grow(this.rep, this.levels + 1);
    }
    this.rep[this.levels] = rep;
    this.def[this.levels++] = def;
    if (b !== null) this.bin(b);
  }
}

export interface ParquetFileOptions {
  compression: ParquetCompression;
  rowGroupRows: number;
  rowGroupBytes: number;
}

/** The leaf columns of one row group, by name, with the record columns at hand. */
class Group {
  readonly cols: Column[] = [];
  readonly byName = new Map<string, Column>();
  readonly head: Column[];
  /** The BYTE_ARRAY columns. */
  readonly binary: Column[];
  readonly tail: Column[];
  readonly c: Record<'offset' | 'timestamp' | 'timestampType' | 'recordAttributes' | 'offsetDelta' | 'timestampDelta' | 'recordMagic' | 'key' | 'value' | 'hk' | 'hv', Column>;
  rows = 0;
  constructor(
    s: SchemaElement[],
    bytesCap: number,
    /** Which of the writer's groups this is (SentGroup). */
    readonly slot = 0,
  ) {
    const root = s[0]!;
    const h = s.findIndex((e) => e.name === 'headers');
    for (let i = 1; i < s.length; i++) {
      const e = s[i]!;
      if (e.num_children) continue;
      const inHeaders = i > h && i <= h + 4;
      const name = inHeaders ? `headers.${e.name}` : e.name;
      const col = new Column(name, inHeaders ? [root, ...s.slice(h, h + 3), e] : [root, e], e.type!, inHeaders, WITH_STATISTICS.has(name));
      if (name === 'key' || name === 'value') col.bytesCap = bytesCap;
      this.cols.push(col);
      this.byName.set(name, col);
    }
    this.binary = this.cols.filter((c) => c.type === 'BYTE_ARRAY');
    const at = (n: string) => this.byName.get(n)!;
    this.head = EXPORT_COLUMNS.slice(0, EXPORT_COLUMNS.indexOf('offset')).map(at);
    this.tail = EXPORT_COLUMNS.slice(EXPORT_COLUMNS.indexOf('headers') + 1).map(at);
    this.c = {
      offset: at('offset'),
      timestamp: at('timestamp'),
      timestampType: at('timestampType'),
      recordAttributes: at('recordAttributes'),
      offsetDelta: at('offsetDelta'),
      timestampDelta: at('timestampDelta'),
      recordMagic: at('recordMagic'),
      key: at('key'),
      value: at('value'),
      hk: at('headers.key'),
      hv: at('headers.value'),
    };
  }
  reset(): void {
    this.rows = 0;
    for (const col of this.cols) col.reset();
  }
  /** The group for the page writer; `moved`: its BYTE_ARRAY columns' bytes, which the writer thread takes and gives back (see grow). */
  take(): SentGroup {
    return { slot: this.slot, rows: this.rows, cols: this.cols.map((c) => c.take()), moved: this.binary.map((c) => c.bytes.buffer as ArrayBuffer) };
  }
  /** The bytes the writer thread gave back (`moved` of take, in order). */
  takeBack(moved: ArrayBuffer[]): void {
    for (let i = 0; i < this.binary.length; i++) this.binary[i]!.bytes = new Uint8Array(moved[i]!);
  }
}

/**
 * A Parquet file being written: `addBatch` rows, `finish` the footer; the caller owns the fd.
 * A full row group goes to the page writer (export-parquet-io.ts: export's writer thread, which
 * compresses and writes it) and the next one fills meanwhile; `addBatch` returns a promise only
 * when MAX_IN_FLIGHT groups are with the writer and it must wait for the oldest to come back.
 */
export class ParquetFileWriter {
  private readonly schema = parquetSchema();
  private group: Group;
  /** Groups given back by the page writer, to fill again. */
  private readonly free: Group[] = [];
  /** Groups with the page writer, oldest first (each resolves to the group when written). */
  private readonly inFlight: Promise<Group>[] = [];

  private constructor(
    private readonly sink: PageSink,
    private readonly opts: ParquetFileOptions,
  ) {
    this.group = new Group(this.schema, opts.rowGroupBytes + PAGE_BYTES);
  }

  static async open(fd: number, opts: ParquetFileOptions): Promise<ParquetFileWriter> {
    if (os.endianness() !== 'LE') throw new UsageError('kseg export --format parquet needs a little-endian machine');
    const schema = parquetSchema();
    const columns = new Group(schema, 0).cols.map((c) => c.spec());
    const sink = await openPageSink(fd, { compression: opts.compression, native: !nativeDisabled(), schema, columns });
    return new ParquetFileWriter(sink, opts);
  }

  /** The rows of one batch (one per record; one with null record fields for a batch without records). */
  addBatch(b: BatchFields, records: readonly RowRecord[]): void | Promise<void> {
    const g = this.group;
    const n = records.length === 0 ? 1 : records.length;
    for (const col of g.head) col.fill(b[col.name as keyof BatchFields] as number | string | boolean | null, n);
    for (const col of g.tail) col.fill(b[col.name as keyof BatchFields] as number | string | boolean | null, n);
    const c = g.c;
    if (records.length === 0) {
      for (const col of [c.offset, c.timestamp, c.recordAttributes, c.offsetDelta, c.timestampDelta, c.recordMagic, c.key, c.value]) col.nullRow();
      c.timestampType.fill(b.timestampType, 1);
      c.hk.slot(0, 0, null);
      c.hv.slot(0, 0, null);
    }
    let tsType = '';
    let tsRun = 0;
    for (let i = 0; i < records.length; i++) {
      const r = records[i]!;
      if (r.timestampType !== tsType) {
        if (tsRun) c.timestampType.fill(tsType, tsRun);
        tsType = r.timestampType;
        tsRun = 0;
      }
      tsRun++;
      c.offset.int64(r.offset);
      c.timestamp.int64(r.timestamp);
      c.recordAttributes.int32(r.attributes);
      c.recordMagic.int32(r.magic);
      if (r.magic >= 2) {
        c.offsetDelta.int32(r.offsetDelta);
        c.timestampDelta.int64(r.timestampDelta);
      } else {
        c.offsetDelta.nullRow();
        c.timestampDelta.nullRow();
      }
      c.key.binary(r.key);
      c.value.binary(r.value);
      const hs = r.headers;
      if (hs.length === 0) {
        c.hk.slot(0, 0, null);
        c.hv.slot(0, 0, null);
      } else {
        // LIST<element{key, value?}>: repetition 0 on a row's first header, 1 on the next;
        // definition 1 = a header (its key), 2 = a header with a non-null value.
        for (let j = 0; j < hs.length; j++) {
          const h = hs[j]!;
          c.hk.slot(j === 0 ? 0 : 1, 1, isUtf8(h.key) ? h.key : utf8Key(h.key));
          c.hv.slot(j === 0 ? 0 : 1, h.value === null ? 1 : 2, h.value);
        }
      }
    }
    if (tsRun) c.timestampType.fill(tsType, tsRun);
    g.rows += n;
    if (g.rows >= this.opts.rowGroupRows || c.value.byteLength + c.key.byteLength + c.hv.byteLength + c.hk.byteLength >= this.opts.rowGroupBytes) return this.flushGroup();
  }

  /** The rows of a walked v2 batch (export-walk.ts): the same cells as addBatch of its records. */
  addWalked(b: BatchFields, r: WalkedRecords): void | Promise<void> {
    const g = this.group;
    const n = r.count;
    for (const col of g.head) col.fill(b[col.name as keyof BatchFields] as number | string | boolean | null, n);
    for (const col of g.tail) col.fill(b[col.name as keyof BatchFields] as number | string | boolean | null, n);
    const c = g.c;
    c.timestampType.fill(r.timestampType, n);
    c.recordMagic.fill(r.magic, n);
    const { src, w, baseOffset, logAppend, maxTimestamp } = r;
    const hdr = w.headers;
    c.value.binaryRun(src, w.valueStart, w.valueLen, 0, n);
    for (let k = 0; k < n; k++) {
      const od = w.offsetDelta[k]!;
      c.offset.int64(baseOffset + od);
      c.timestamp.int64(logAppend ? maxTimestamp : w.timestamp[k]!);
      c.recordAttributes.int32(w.attributes[k]!);
      c.offsetDelta.int32(od);
      c.timestampDelta.int64(w.timestampDelta[k]!);
      c.key.binaryAt(src, w.keyStart[k]!, w.keyLen[k]!);
      const hc = w.headerCount[k]!;
      if (hc === 0) {
        c.hk.slot(0, 0, null);
        c.hv.slot(0, 0, null);
      } else {
        for (let j = 0, at = 4 * w.headerIndex[k]!; j < hc; j++, at += 4) {
          const ks = hdr[at]!;
          const ke = hdr[at + 1]!;
          if (isUtf8(src.subarray(ks, ke))) c.hk.slotAt(j === 0 ? 0 : 1, 1, src, ks, ke);
          else c.hk.slot(j === 0 ? 0 : 1, 1, utf8Key(src.subarray(ks, ke)));
          const vs = hdr[at + 2]!;
          c.hv.slotAt(j === 0 ? 0 : 1, vs < 0 ? 1 : 2, src, vs, hdr[at + 3]!);
        }
      }
    }
    g.rows += n;
    if (g.rows >= this.opts.rowGroupRows || c.value.byteLength + c.key.byteLength + c.hv.byteLength + c.hk.byteLength >= this.opts.rowGroupBytes) return this.flushGroup();
  }

  /** Hand the full group to the page writer and fill a free one (after the oldest in flight is back, when MAX_IN_FLIGHT are out). */
  private async flushGroup(): Promise<void> {
    const g = this.group;
    if (g.rows === 0) return;
    while (this.inFlight.length >= MAX_IN_FLIGHT) this.free.push(await this.inFlight.shift()!);
    const sent = this.sink.write(g.take()).then((moved) => {
      if (moved) g.takeBack(moved);
      g.reset();
      return g;
    });
    sent.catch(() => {}); // seen where it is awaited
    this.inFlight.push(sent);
    this.group = this.free.pop() ?? new Group(this.schema, this.opts.rowGroupBytes + PAGE_BYTES, this.groups++);
  }
  /** Groups made so far (each one's slot). */
  private groups = 1;

  /** The last row group, then the footer (FileMetaData) and the closing magic. */
  async finish(): Promise<void> {
    await this.flushGroup();
    while (this.inFlight.length > 0) this.free.push(await this.inFlight.shift()!);
    await this.sink.finish();
    await this.sink.close();
  }

  /** After an error or Ctrl-C: once this resolves nothing more is written to the descriptor. */
  async settle(): Promise<void> {
    await this.sink.close();
    for (const p of this.inFlight.splice(0)) await p.catch(() => {});
  }
}
