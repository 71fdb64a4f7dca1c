import fs from 'node:fs';
import { escapeJsonBody, writeSafeInt, writeUint31 } from '../format/json-bytes.js';
import { IoError } from '../format/errors.js';
import { TEMP_SUFFIX } from '../storage/atomic.js';
import { EXPORT_COLUMNS, type BatchFields, type RowRecord } from './export-row.js';
import type { WalkedRecords } from './export-walk.js';

/**
 * The NDJSON and CSV writers of `kseg export`, as bytes. A batch's columns are rendered once per
 * batch (EXPORT_COLUMNS is the batch's fields topic .. batchSize, then the record's offset ..
 * headers, then snappyXerial): each line is the batch's head + the record's part + the batch's
 * tail. The record's part of a walked v2 batch (export-walk.ts) is written from the walker's typed
 * arrays straight into one reused output buffer: digits, base64 (Node's native encoder), header
 * keys through format/json-bytes.ts; no row object and no string per record but the base64 text
 * Node returns. Other batches (legacy, empty) go through strings: the same bytes.
 * The bytes are exactly JSON.stringify(rowToJson(row)) (NDJSON) and RFC 4180 fields of it (CSV):
 * test/export-import-formats.test.ts holds them equal on every fixture.
 *
 * Output: an 8 MiB buffer written with fs.writeSync to `<target>.kseg-tmp`, fsynced before the
 * rename. (An fdatasync every 256 MiB on the thread pool, to start the write-back early, was not
 * faster in paired runs on the 1 GiB bench partition: wall 1.08x, CPU 0.92x; not kept.)
 */

const OUT_SIZE = 8 << 20;

function ioErr(e: unknown, file: string): IoError {
  const err = e as NodeJS.ErrnoException;
  return new IoError(err.code ?? 'EIO', err.message, { file });
}

/** A file written through one reused byte buffer. */
export class ByteFile {
  private fd: number;
  buf = Buffer.allocUnsafe(OUT_SIZE);
  pos = 0;
  private closed = false;
  constructor(readonly target: string) {
    try {
      this.fd = fs.openSync(target + TEMP_SUFFIX, 'w');
    } catch (e) {
      throw ioErr(e, target);
    }
  }

  /** Room for `n` more bytes at `pos`. */
  ensure(n: number): void {
    if (this.pos + n <= this.buf.length) return;
    this.flush();
    if (n > this.buf.length) this.buf = Buffer.allocUnsafe(n);
  }

  /** A string's UTF-8 bytes. */
  text(s: string): void {
    this.ensure(s.length * 3);
    this.pos += this.buf.write(s, this.pos, 'utf8');
  }

  flush(): void {
    let done = 0;
    try {
      while (done < this.pos) done += fs.writeSync(this.fd, this.buf, done, this.pos - done);
    } catch (e) {
      throw ioErr(e, this.target);
    }
    this.pos = 0;
    // back to the usual size after a record that needed more
    if (this.buf.length > OUT_SIZE) this.buf = Buffer.allocUnsafe(OUT_SIZE);
  }

  /** Write out, fsync and close (the rename is the caller's). */
  close(): void {
    this.flush();
    try {
      fs.fsyncSync(this.fd);
      fs.closeSync(this.fd);
      this.closed = true;
    } catch (e) {
      throw ioErr(e, this.target);
    }
  }

  /** Close without writing (after an error). */
  closeQuietly(): void {
    if (this.closed) return;
    this.closed = true;
    try {
      fs.closeSync(this.fd);
    } catch {
      /* closed */
    }
  }
}

// ---------------------------------------------------------------- bytes of values

const enc = (s: string): Buffer => Buffer.from(s, 'utf8');
const TWO_31 = 0x80000000;

/** A number as JSON.stringify / String write it, at dst[d]: integers without a string. */
export function writeNumber(dst: Buffer, d: number, v: number): number {
  if (v >= 0 && v < TWO_31) return writeUint31(dst, d, v);
  if (!Number.isSafeInteger(v)) return d + dst.write(String(v), d, 'latin1');
  return writeSafeInt(dst, d, v);
}

/** base64 of src[s, e) at dst[d] (Node's native encoder: measured faster than a JS table loop here). */
function writeBase64(dst: Buffer, d: number, src: Buffer, s: number, e: number): number {
  return s === e ? d : d + dst.write(src.toString('base64', s, e), d, 'latin1');
}

/** A JSON string of the UTF-8 header key src[s, e) at dst[d] (invalid UTF-8: replacement characters, as Buffer#toString gives). */
function writeJsonKey(dst: Buffer, d: number, src: Buffer, s: number, e: number): number {
  dst[d] = 0x22;
  const r = escapeJsonBody(src, s, e, dst, d + 1);
  if (r < 0) return d + dst.write(JSON.stringify(src.toString('utf8', s, e)), d, 'utf8');
  dst[r] = 0x22;
  return r + 1;
}

const H_KEY = enc('{"key":');
const H_VALUE = enc(',"value":');
const NULL = enc('null');

/** The headers of walked record k as JSON (`[...]`) at dst[d]. */
function writeHeadersJson(dst: Buffer, d: number, src: Buffer, hdr: Int32Array, first: number, hc: number): number {
  dst[d++] = 0x5b;
  for (let h = 0, at = 4 * first; h < hc; h++, at += 4) {
    if (h > 0) dst[d++] = 0x2c;
    dst.set(H_KEY, d);
    d += H_KEY.length;
    d = writeJsonKey(dst, d, src, hdr[at]!, hdr[at + 1]!);
    dst.set(H_VALUE, d);
    d += H_VALUE.length;
    const vs = hdr[at + 2]!;
    if (vs < 0) {
      dst.set(NULL, d);
      d += 4;
    } else {
      dst[d++] = 0x22;
      d = writeBase64(dst, d, src, vs, hdr[at + 3]!);
      dst[d++] = 0x22;
    }
    dst[d++] = 0x7d;
  }
  dst[d++] = 0x5d;
  return d;
}

/**
 * Bytes a walked record's line can take besides the batch's head and tail: base64 is 4/3 of its
 * bytes, a header key at most 6 bytes a byte (`\u00XX`; in CSV an escaped quote `\""` is 3), the
 * rest a constant per header and per record.
 */
function recordBound(w: WalkedRecords['w'], k: number, start: number): number {
  const hc = w.headerCount[k]!;
  let n = 2 * (w.recEnd[k]! - start) + 64 * hc + 256;
  const hdr = w.headers;
  for (let h = 0, at = 4 * w.headerIndex[k]!; h < hc; h++, at += 4) n += 5 * (hdr[at + 1]! - hdr[at]!);
  return n;
}

// ---------------------------------------------------------------- strings (legacy and empty batches)

/** A JSON string of bytes in base64 (base64 needs no escaping), or null. */
const b64Json = (b: Buffer | null): string => (b === null ? 'null' : '"' + b.toString('base64') + '"');

function headersJson(hs: RowRecord['headers']): string {
  if (hs.length === 0) return '[]';
  let s = '[';
  for (let i = 0; i < hs.length; i++) {
    const h = hs[i]!;
    s += (i ? ',{"key":' : '{"key":') + JSON.stringify(h.key.toString('utf8')) + ',"value":' + b64Json(h.value) + '}';
  }
  return s + ']';
}

/** RFC 4180 field: quoted when it holds a comma, quote, CR or LF. */
function csvField(v: unknown): string {
  if (v === null || v === undefined) return '';
  const s = typeof v === 'string' ? v : typeof v === 'object' ? JSON.stringify(v) : String(v);
  return /[",\r\n]/.test(s) ? '"' + s.replace(/"/g, '""') + '"' : s;
}

const FIRST_RECORD_COLUMN = EXPORT_COLUMNS.indexOf('offset');
const LAST_RECORD_COLUMN = EXPORT_COLUMNS.indexOf('headers');
const BATCH_HEAD = EXPORT_COLUMNS.slice(0, FIRST_RECORD_COLUMN) as readonly (keyof BatchFields)[];
const BATCH_TAIL = EXPORT_COLUMNS.slice(LAST_RECORD_COLUMN + 1) as readonly (keyof BatchFields)[];
const RECORD_COLUMNS = ['offset', 'timestamp', 'timestampType', 'recordAttributes', 'offsetDelta', 'timestampDelta', 'recordMagic', 'key', 'value', 'headers'];
if (EXPORT_COLUMNS.slice(FIRST_RECORD_COLUMN, LAST_RECORD_COLUMN + 1).join() !== RECORD_COLUMNS.join()) throw new Error('internal: export-row.ts column order changed');

// ---------------------------------------------------------------- the two formats

/** One text format: its batch head and tail, and its record part for record objects and for walked records. */
export abstract class TextWriter {
  constructor(readonly out: ByteFile) {}
  abstract batch(b: BatchFields, records: readonly RowRecord[]): void;
  abstract walked(b: BatchFields, r: WalkedRecords): void;
}

const N_OFFSET = enc('"offset":');
const N_TIMESTAMP = enc(',"timestamp":');
const N_TS_ATTR: Record<string, Buffer> = {};
for (const t of ['CreateTime', 'LogAppendTime', 'NoTimestampType']) N_TS_ATTR[t] = enc(`,"timestampType":${JSON.stringify(t)},"recordAttributes":`);
const N_OFFSET_DELTA = enc(',"offsetDelta":');
const N_TIMESTAMP_DELTA = enc(',"timestampDelta":');
const N_MAGIC_KEY = enc(',"recordMagic":2,"key":');
const N_VALUE = enc(',"value":');
const N_HEADERS = enc(',"headers":');

export class NdjsonWriter extends TextWriter {
  private head(b: BatchFields): string {
    let head = '{';
    for (const c of BATCH_HEAD) head += JSON.stringify(c) + ':' + JSON.stringify(b[c]) + ',';
    return head;
  }
  private tail(b: BatchFields): string {
    let tail = '';
    for (const c of BATCH_TAIL) tail += ',' + JSON.stringify(c) + ':' + JSON.stringify(b[c]);
    return tail + '}\n';
  }

  batch(b: BatchFields, records: readonly RowRecord[]): void {
    const head = this.head(b);
    const tail = this.tail(b);
    const out = this.out;
    if (records.length === 0) {
      out.text(
        head +
          `"offset":null,"timestamp":null,"timestampType":${JSON.stringify(b.timestampType)},"recordAttributes":null,"offsetDelta":null,"timestampDelta":null,"recordMagic":null,"key":null,"value":null,"headers":[]` +
          tail,
      );
      return;
    }
    for (let i = 0; i < records.length; i++) {
      const r = records[i]!;
      const v2 = r.magic >= 2;
      out.text(
        head +
          '"offset":' +
          r.offset +
          ',"timestamp":' +
          r.timestamp +
          ',"timestampType":' +
          JSON.stringify(r.timestampType) +
          ',"recordAttributes":' +
          r.attributes +
          ',"offsetDelta":' +
          (v2 ? r.offsetDelta : 'null') +
          ',"timestampDelta":' +
          (v2 ? r.timestampDelta : 'null') +
          ',"recordMagic":' +
          r.magic +
          ',"key":' +
          b64Json(r.key) +
          ',"value":' +
          b64Json(r.value) +
          ',"headers":' +
          headersJson(r.headers) +
          tail,
      );
    }
  }

  walked(b: BatchFields, r: WalkedRecords): void {
    const head = enc(this.head(b));
    const tail = enc(this.tail(b));
    const tsAttr = N_TS_ATTR[r.timestampType]!;
    const { src, w, count, baseOffset, logAppend, maxTimestamp } = r;
    const offsetDeltaA = w.offsetDelta;
    const timestampA = w.timestamp;
    const tsDeltaA = w.timestampDelta;
    const attributesA = w.attributes;
    const keyStartA = w.keyStart;
    const keyLenA = w.keyLen;
    const valueStartA = w.valueStart;
    const valueLenA = w.valueLen;
    const recEndA = w.recEnd;
    const headerCountA = w.headerCount;
    const headerIndexA = w.headerIndex;
    const hdr = w.headers;
    const out = this.out;
    const fixed = head.length + tail.length;
    let recStart = r.start;
    for (let k = 0; k < count; k++) {
      out.ensure(fixed + recordBound(w, k, recStart));
      recStart = recEndA[k]!;
      const dst = out.buf;
      let d = out.pos;
      head.copy(dst, d);
      d += head.length;
      N_OFFSET.copy(dst, d);
      d = writeNumber(dst, d + N_OFFSET.length, baseOffset + offsetDeltaA[k]!);
      N_TIMESTAMP.copy(dst, d);
      d = writeNumber(dst, d + N_TIMESTAMP.length, logAppend ? maxTimestamp : timestampA[k]!);
      tsAttr.copy(dst, d);
      d = writeUint31(dst, d + tsAttr.length, attributesA[k]!);
      N_OFFSET_DELTA.copy(dst, d);
      d = writeNumber(dst, d + N_OFFSET_DELTA.length, offsetDeltaA[k]!);
      N_TIMESTAMP_DELTA.copy(dst, d);
      d = writeNumber(dst, d + N_TIMESTAMP_DELTA.length, tsDeltaA[k]!);
      N_MAGIC_KEY.copy(dst, d);
      d += N_MAGIC_KEY.length;
      const kl = keyLenA[k]!;
      if (kl < 0) {
        NULL.copy(dst, d);
        d += 4;
      } else {
        dst[d++] = 0x22;
        d = writeBase64(dst, d, src, keyStartA[k]!, keyStartA[k]! + kl);
        dst[d++] = 0x22;
      }
      N_VALUE.copy(dst, d);
      d += N_VALUE.length;
      const vl = valueLenA[k]!;
      if (vl < 0) {
        NULL.copy(dst, d);
        d += 4;
      } else {
        dst[d++] = 0x22;
        d = writeBase64(dst, d, src, valueStartA[k]!, valueStartA[k]! + vl);
        dst[d++] = 0x22;
      }
      N_HEADERS.copy(dst, d);
      d = writeHeadersJson(dst, d + N_HEADERS.length, src, hdr, headerIndexA[k]!, headerCountA[k]!);
      tail.copy(dst, d);
      out.pos = d + tail.length;
    }
  }
}

const C_TS: Record<string, Buffer> = {};
for (const t of ['CreateTime', 'LogAppendTime', 'NoTimestampType']) C_TS[t] = enc(`,${t},`);
const C_MAGIC = enc(',2,');
const CSV_NO_HEADERS = enc(',[]');
const CSV_HEADERS_OPEN = enc(',"[');
const CSV_KEY = enc('{""key"":');
const CSV_VALUE = enc(',""value"":');

export class CsvWriter extends TextWriter {
  /** Scratch for a header key's JSON before its quotes are doubled. */
  private scratch = Buffer.allocUnsafe(1 << 16);

  constructor(out: ByteFile) {
    super(out);
    out.text(EXPORT_COLUMNS.join(',') + '\r\n');
  }

  private head(b: BatchFields): string {
    let head = '';
    for (const c of BATCH_HEAD) head += csvField(b[c]) + ',';
    return head;
  }
  private tail(b: BatchFields): string {
    let tail = '';
    for (const c of BATCH_TAIL) tail += ',' + csvField(b[c]);
    return tail + '\r\n';
  }

  batch(b: BatchFields, records: readonly RowRecord[]): void {
    const head = this.head(b);
    const tail = this.tail(b);
    const out = this.out;
    if (records.length === 0) {
      out.text(head + `,,${csvField(b.timestampType)},,,,,,,[]` + tail);
      return;
    }
    for (let i = 0; i < records.length; i++) {
      const r = records[i]!;
      const v2 = r.magic >= 2;
      out.text(
        head +
          r.offset +
          ',' +
          r.timestamp +
          ',' +
          csvField(r.timestampType) +
          ',' +
          r.attributes +
          ',' +
          (v2 ? r.offsetDelta : '') +
          ',' +
          (v2 ? r.timestampDelta : '') +
          ',' +
          r.magic +
          ',' +
          (r.key === null ? '' : r.key.toString('base64')) +
          ',' +
          (r.value === null ? '' : r.value.toString('base64')) +
          ',' +
          (r.headers.length === 0 ? '[]' : csvField(headersJson(r.headers))) +
          tail,
      );
    }
  }

  /** The headers cell (a JSON array, so always quoted, its quotes doubled) at dst[d]. */
  private headersCell(dst: Buffer, d: number, src: Buffer, hdr: Int32Array, first: number, hc: number): number {
    CSV_HEADERS_OPEN.copy(dst, d);
    d += CSV_HEADERS_OPEN.length;
    for (let h = 0, at = 4 * first; h < hc; h++, at += 4) {
      if (h > 0) dst[d++] = 0x2c;
      CSV_KEY.copy(dst, d);
      d += CSV_KEY.length;
      const ks = hdr[at]!;
      const ke = hdr[at + 1]!;
      if (this.scratch.length < 6 * (ke - ks) + 8) this.scratch = Buffer.allocUnsafe(6 * (ke - ks) + 8);
      const s = this.scratch;
      const n = writeJsonKey(s, 0, src, ks, ke);
      for (let i = 0; i < n; i++) {
        const c = s[i]!;
        dst[d++] = c;
        if (c === 0x22) dst[d++] = 0x22;
      }
      CSV_VALUE.copy(dst, d);
      d += CSV_VALUE.length;
      const vs = hdr[at + 2]!;
      if (vs < 0) {
        NULL.copy(dst, d);
        d += 4;
      } else {
        dst[d++] = 0x22;
        dst[d++] = 0x22;
        d = writeBase64(dst, d, src, vs, hdr[at + 3]!);
        dst[d++] = 0x22;
        dst[d++] = 0x22;
      }
      dst[d++] = 0x7d;
    }
    dst[d++] = 0x5d;
    dst[d++] = 0x22;
    return d;
  }

  walked(b: BatchFields, r: WalkedRecords): void {
    const head = enc(this.head(b));
    const tail = enc(this.tail(b));
    const ts = C_TS[r.timestampType]!;
    const { src, w, count, baseOffset, logAppend, maxTimestamp } = r;
    const offsetDeltaA = w.offsetDelta;
    const timestampA = w.timestamp;
    const tsDeltaA = w.timestampDelta;
    const attributesA = w.attributes;
    const keyStartA = w.keyStart;
    const keyLenA = w.keyLen;
    const valueStartA = w.valueStart;
    const valueLenA = w.valueLen;
    const recEndA = w.recEnd;
    const headerCountA = w.headerCount;
    const headerIndexA = w.headerIndex;
    const hdr = w.headers;
    const out = this.out;
    const fixed = head.length + tail.length;
    let recStart = r.start;
    for (let k = 0; k < count; k++) {
      out.ensure(fixed + recordBound(w, k, recStart));
      recStart = recEndA[k]!;
      const dst = out.buf;
      let d = out.pos;
      head.copy(dst, d);
      d = writeNumber(dst, d + head.length, baseOffset + offsetDeltaA[k]!);
      dst[d++] = 0x2c;
      d = writeNumber(dst, d, logAppend ? maxTimestamp : timestampA[k]!);
      ts.copy(dst, d);
      d = writeUint31(dst, d + ts.length, attributesA[k]!);
      dst[d++] = 0x2c;
      d = writeNumber(dst, d, offsetDeltaA[k]!);
      dst[d++] = 0x2c;
      d = writeNumber(dst, d, tsDeltaA[k]!);
      C_MAGIC.copy(dst, d);
      d += C_MAGIC.length;
      const kl = keyLenA[k]!;
      if (kl > 0) d = writeBase64(dst, d, src, keyStartA[k]!, keyStartA[k]! + kl);
      dst[d++] = 0x2c;
      const vl = valueLenA[k]!;
      if (vl > 0) d = writeBase64(dst, d, src, valueStartA[k]!, valueStartA[k]! + vl);
      const hc = headerCountA[k]!;
      if (hc === 0) {
        CSV_NO_HEADERS.copy(dst, d);
        d += CSV_NO_HEADERS.length;
      } else d = this.headersCell(dst, d, src, hdr, headerIndexA[k]!, hc);
      tail.copy(dst, d);
      out.pos = d + tail.length;
    }
  }
}
