import { batchRecords, v2PayloadInto, type Batch } from '../format/batch.js';
import { DIGIT_PAIRS, escapeJsonBody, HEX_DIGITS, writeSafeInt, writeUint31 } from '../format/json-bytes.js';
import { RecordWalker, WALK_HEADERS } from '../format/record-walk.js';
import { decodeStats, type Decoders } from './decoders.js';
import { drained, outputFailed } from './output.js';
import { batchPartString, recordNdjson } from './render.js';
import { writeBatchPart } from './batch-part.js';
import { JSON_ESCAPE_WASM } from './json-escape-wasm.js';
import { DecodedPrograms, isFramed } from './decoded-wasm.js';
import type { InternalDecoder } from '../format/kafka-messages/internal.js';

/**
 * The JSON / NDJSON writer of `kseg dump`: lines are encoded straight into reusable 1 MiB output
 * buffers that are handed to the stream as they fill, with backpressure. Records of v2 batches are
 * written from the batch's bytes without building record objects or strings. The batch's records
 * are copied into wasm memory once, and json-escape.wat's `walk` decodes and writes the plain ones
 * (no headers, valid UTF-8, room in the buffer) in one call: varints, digits, pre-encoded
 * templates, SIMD escaping / hex / base64. The record it stops at is found by format/record-walk.ts
 * (the walk every reader of records uses) and written piece by piece, then the wasm walk resumes;
 * without wasm that walk finds all the batch's records at once. The bytes are exactly those of
 * `recordNdjson` (render.ts) followed by a newline — test/ndjson-writer.test.ts keeps that path as
 * the oracle. Anything unusual (legacy and control batches, the json decoder, a record that does
 * not decode) is written by that path itself, so errors and their order stay the same.
 *
 * Memory: input staging, constants, five output slots and the internal topics' record programs
 * (decoded-wasm.ts) live in one fixed wasm memory (it never
 * grows, so views handed to `stream.write` stay valid); a slot is reused once its write completes.
 * Without WebAssembly (or KSEG_NO_WASM=1) the same code runs with JS loops and Buffer slots.
 */

// ---------------------------------------------------------------- wasm module and memory layout

interface EscapeExports {
  mem: { buffer: ArrayBuffer };
  esc(s: number, e: number, d: number): number;
  hex(s: number, e: number, d: number): number;
  b64(s: number, e: number, d: number): number;
  copy(d: number, s: number, n: number): void;
  rec(d: number, offset: number, timestamp: number, keyKind: number, ks: number, ke: number, valueKind: number, vs: number, ve: number, sequence: number): number;
  setup(
    baseOffset: number,
    baseTimestamp: number,
    maxTimestamp: number,
    logAppend: number,
    baseSequence: number,
    from: number,
    to: number,
    keyKind: number,
    valueKind: number,
    array: number,
    tailLen: number,
  ): void;
  walk(p: number, end: number, i: number, count: number, d: number, dEnd: number): number;
  drec(table: number, framed: number, ks: number, ke: number, vs: number, ve: number, d: number, cap: number): number;
  dsetup(table: number, framed: number): void;
  gdn: { value: number };
  gp: { value: number };
  gi: { value: number };
  gd: { value: number };
  gfirst: { value: number };
}

const SLOT = 1 << 20;
/** Bytes kept free at the end of every output buffer for SIMD stores that run past the end. */
const SLACK = 64;
const IN_SIZE = 4 << 20;
const CONST_AT = IN_SIZE + SLACK;
const CONST_SIZE = (64 << 10) - SLACK;
// the templates of json-escape.wat's `rec` (u32 length + bytes each) and its digit pairs
const T_HEAD = CONST_AT;
const T_TIMESTAMP = CONST_AT + 64;
const T_TS_TYPE_KEY = CONST_AT + 128;
const T_VALUE = CONST_AT + 256;
const T_HEADERS = CONST_AT + 320;
const T_SEQUENCE = CONST_AT + 384;
const T_PAIRS = CONST_AT + 448;
const T_TAIL = CONST_AT + 1024;
const TAIL_MAX = CONST_SIZE - 1024 - 4;
const SLOTS_AT = IN_SIZE + (64 << 10);
const WASM_SLOTS = 5;
/** After the slots: the decoded writer's record programs (decoded-wasm.ts), up to the wasm's own base64 tables in the last 128 bytes. */
const PROGRAMS_AT = SLOTS_AT + WASM_SLOTS * SLOT;

let wasmCode: unknown;

/** A fresh instance (its own memory) of the compiled module, or null without WebAssembly / SIMD. */
function loadWasm(): EscapeExports | null {
  // (the project's TypeScript lib has no WebAssembly declarations)
  const wa = (globalThis as { WebAssembly?: { Module: new (b: Uint8Array) => unknown; Instance: new (m: unknown, i: object) => { exports: unknown } } }).WebAssembly;
  if (process.env.KSEG_NO_WASM === '1' || wa === undefined || wasmCode === null) return null;
  try {
    wasmCode ??= new wa.Module(Buffer.from(JSON_ESCAPE_WASM, 'base64'));
    const ex = new wa.Instance(wasmCode, {}).exports as EscapeExports;
    if (ex.mem.buffer.byteLength >= SLOTS_AT + WASM_SLOTS * SLOT) return ex;
  } catch {
    // no SIMD support: the JS loops below do the same work
  }
  wasmCode = null;
  return null;
}

// ---------------------------------------------------------------- byte helpers

const enc = (s: string): Buffer => Buffer.from(s, 'utf8');
const HEAD = enc('{"offset":');
const TIMESTAMP = enc(',"timestamp":');
const TS_TYPE: Record<string, Buffer> = {
  CreateTime: enc(',"timestampType":"CreateTime"'),
  LogAppendTime: enc(',"timestampType":"LogAppendTime"'),
  NoTimestampType: enc(',"timestampType":"NoTimestampType"'),
};
/** batch()'s T_TS_TYPE_KEY template by timestamp type: [with the key member, without]. */
const TS_TYPE_KEY: Record<string, [string, string]> = Object.fromEntries(Object.entries(TS_TYPE).map(([t, b]) => [t, [b.toString('latin1') + ',"key":', b.toString('latin1')]]));
const KEY = enc(',"key":');
const VALUE = enc(',"value":');
const NULL = enc('null');
const HEADERS_OPEN = enc(',"headers":[');
const HEADER_KEY = enc('{"key":');
const SEQUENCE = enc(',"sequence":');
const MAX_SAFE = Number.MAX_SAFE_INTEGER;
/** Decoder kinds of json-escape.wat's `rec` (-1: not handled there). */
const REC_KIND: Record<string, number> = { none: 0, utf8: 1, hex: 2, base64: 3, json: -1, int32: -1, int64: -1 };

function hexJs(src: Uint8Array, s: number, e: number, dst: Uint8Array, d: number): number {
  for (let i = s; i < e; i++) {
    const c = src[i]!;
    dst[d++] = HEX_DIGITS[c >> 4]!;
    dst[d++] = HEX_DIGITS[c & 15]!;
  }
  return d;
}

const EMPTY = Buffer.alloc(0);

// ---------------------------------------------------------------- the writer

/** What a batch's record lines share (recordLine): its staged records, decoders and batch part. */
interface LineParts {
  src: Buffer;
  staged: boolean;
  /** The wasm `rec` can write lines: staged records, its templates set for this batch. */
  recOk: boolean;
  d: Decoders;
  tsType: Buffer;
  kindK: number;
  kindV: number;
  /** The batch part: in wasm memory at tailAt (-1: not there), always in `tail`. */
  tailAt: number;
  tail: Buffer;
  tailLen: number;
  /** The record walker's header positions (set after each walk). */
  headers: Int32Array;
}

interface Slot {
  buf: Buffer;
  /** Address of buf[0] in wasm memory, or -1. */
  base: number;
}

/**
 * Writes the members added to an internal-topic record's line (`,"decoded":{…}`) for the record
 * whose key is src[ks, ke) and value src[vs, ve) (start -1: null) into dst[d, cap): the new end,
 * or -1 to leave the record to the caller.
 */
export type DecodedTail = (src: Buffer, ks: number, ke: number, vs: number, ve: number, offset: number, dst: Buffer, d: number, cap: number) => number;

export interface JsonLinesWriterOptions {
  /** `--json`: one array (`[` before the first line, `,` before the others, `]` at the end). */
  array?: boolean;
  /** Use the WebAssembly escaper when it loads (default true). */
  wasm?: boolean;
}

export class JsonLinesWriter {
  private readonly wasm: EscapeExports | null;
  private readonly mem: Buffer | null;
  private readonly slots: Slot[] = [];
  private readonly free: number[] = [];
  private slot = -1;
  private buf: Buffer;
  private base = -1;
  private pos = 0;
  private cap = 0;
  private inflight = 0;
  private mustDrain = false;
  private first = true;
  private readonly array: boolean;
  private readonly threshold = (SLOT * 3) >> 2;
  /** Finds the parts of the records it writes (reused for every batch). */
  private readonly walker = new RecordWalker();
  /** The record programs of the wasm decoded writer (internal topics), made at first use. */
  private programs: DecodedPrograms | null = null;
  /** How many records' decoded member the wasm writer wrote (the rest: the JS writer or the object path). */
  decodedByWasm = 0;
  /** Where batch() decompresses a payload (mem's staging area with wasm); valid until the next batch. */
  private scratch: Buffer | null = null;

  constructor(
    private readonly stream: NodeJS.WritableStream,
    private readonly d: Decoders,
    opts: JsonLinesWriterOptions = {},
  ) {
    this.array = opts.array === true;
    this.wasm = opts.wasm === false ? null : loadWasm();
    this.mem = this.wasm ? Buffer.from(this.wasm.mem.buffer) : null;
    if (this.wasm) {
      for (let i = 0; i < WASM_SLOTS; i++) {
        const base = SLOTS_AT + i * SLOT;
        this.slots.push({ buf: this.mem!.subarray(base, base + SLOT), base });
        this.free.push(WASM_SLOTS - 1 - i);
      }
      this.template(T_HEAD, '{"offset":');
      this.template(T_TIMESTAMP, ',"timestamp":');
      this.template(T_VALUE, d.value === 'none' ? '' : ',"value":');
      this.template(T_HEADERS, ',"headers":[]');
      this.template(T_SEQUENCE, ',"sequence":');
      this.mem!.set(DIGIT_PAIRS, T_PAIRS);
    }
    this.buf = EMPTY;
    this.take(0);
    stream.on('error', outputFailed);
  }

  /** A template of `rec` in wasm memory; false when it does not fit. */
  private template(at: number, str: string, max = 60): boolean {
    const mem = this.mem!;
    if (str.length * 3 > max) return false;
    mem.writeUInt32LE(mem.write(str, at + 4, 'utf8'), at);
    if (at === T_TS_TYPE_KEY) this.tsTypeKey = str;
    return true;
  }

  /** What T_TS_TYPE_KEY holds (batch() writes it again only when it changes: small batches). */
  private tsTypeKey = '';

  /** template(), skipped when T_TS_TYPE_KEY holds `str` already. */
  private sameTemplate(at: number, str: string, max: number): boolean {
    return (at === T_TS_TYPE_KEY && this.tsTypeKey === str) || this.template(at, str, max);
  }

  /** Whether the WebAssembly escaper is in use (false: the JS loops). */
  get usesWasm(): boolean {
    return this.wasm !== null;
  }

  /** Whether the caller should `await flush()` now (between events). */
  get full(): boolean {
    return this.pos >= this.threshold || this.mustDrain || this.slot < 0;
  }

  /** One JSON text as a line (with the array punctuation in --json mode). */
  line(s: string): void {
    this.ensure(s.length * 3 + 2);
    this.prefix();
    this.pos += this.buf.write(s, this.pos, 'utf8');
    this.buf[this.pos++] = 0x0a;
  }

  /** A JSON object text with `members` (`,"k":v…`) added before its closing brace (internal-topic records). */
  lineExtended(obj: string, members: string): void {
    this.ensure((obj.length + members.length) * 3 + 3);
    this.prefix();
    // One write of one string (the closing brace dropped, the members and `}\n` added).
    this.pos += this.buf.write(obj.slice(0, -1) + members + '}\n', this.pos, 'utf8');
  }

  /** A line without array punctuation (the closing `]`). */
  raw(s: string): void {
    this.ensure(s.length * 3 + 1);
    this.pos += this.buf.write(s, this.pos, 'utf8');
    this.buf[this.pos++] = 0x0a;
  }

  /** `--json`: close the array. */
  end(): void {
    if (this.array) this.raw(this.first ? '[]' : ']');
  }

  /** Hand the collected bytes to the stream; resolves when it can take more and a buffer is free. */
  async flush(): Promise<void> {
    this.writeOut();
    if (this.mustDrain) {
      this.mustDrain = false;
      await drained(this.stream);
    }
    // Write callbacks run on the next tick; give them a turn when every slot is in flight.
    while (this.free.length === 0 && this.inflight > 0 && this.slots.length >= WASM_SLOTS) await new Promise<void>((resolve) => setImmediate(resolve));
    this.take(0);
  }

  // ---------------------------------------------------------------- buffers

  private take(min: number): void {
    let i = this.free.pop();
    if (i === undefined && !this.wasm) {
      this.slots.push({ buf: Buffer.allocUnsafe(SLOT), base: -1 });
      i = this.slots.length - 1;
    }
    if (i === undefined || min > SLOT - SLACK) {
      // every wasm slot is in flight, or one line is larger than a slot: a one-off buffer
      if (i !== undefined) this.free.push(i);
      this.slot = -1;
      this.buf = Buffer.allocUnsafe(Math.max(min, SLOT) + SLACK);
      this.base = -1;
    } else {
      this.slot = i;
      this.buf = this.slots[i]!.buf;
      this.base = this.slots[i]!.base;
    }
    this.pos = 0;
    this.cap = this.buf.length - SLACK;
  }

  /** Write out what the current buffer holds (its slot comes back when the write completes). */
  private writeOut(): void {
    const slot = this.slot;
    if (this.pos > 0) {
      this.inflight++;
      const ok = this.stream.write(this.buf.subarray(0, this.pos), () => {
        this.inflight--;
        if (slot >= 0) this.free.push(slot);
      });
      if (!ok) this.mustDrain = true;
    } else if (slot >= 0) this.free.push(slot);
    this.slot = -1;
    this.buf = EMPTY;
    this.base = -1;
    this.pos = 0;
    this.cap = 0;
  }

  /** Write out the current buffer and continue in one with room for `min` bytes. */
  private spill(min: number): void {
    this.writeOut();
    this.take(min);
  }

  private ensure(n: number): void {
    if (this.pos + n > this.cap) this.spill(n);
  }

  private prefix(): void {
    if (this.array) {
      this.buf[this.pos++] = this.first ? 0x5b : 0x2c;
      this.first = false;
    }
  }

  private bytes(b: Uint8Array): void {
    const buf = this.buf;
    let p = this.pos;
    for (let i = 0; i < b.length; i++) buf[p++] = b[i]!;
    this.pos = p;
  }

  /** A JSON number as render.ts's `num` writes it (integers beyond 2^53 as strings). */
  private num(v: number): void {
    if (v >= 0 && v <= 0x7fffffff) {
      this.pos = writeUint31(this.buf, this.pos, v);
    } else if (Number.isSafeInteger(v)) {
      this.pos = writeSafeInt(this.buf, this.pos, v);
    } else {
      this.pos += this.buf.write(`"${BigInt(v)}"`, this.pos, 'latin1');
    }
  }

  /** The JSON string of the UTF-8 bytes src[s, e), as JSON.stringify(utf8(bytes)) would encode. */
  private utf8String(src: Buffer, s: number, e: number, staged: boolean): void {
    const start = this.pos;
    const buf = this.buf;
    buf[this.pos++] = 0x22;
    if (e > s) {
      let r: number;
      if (staged && this.base >= 0) {
        r = this.wasm!.esc(s, e, this.base + this.pos);
        if (r >= 0) r -= this.base;
      } else r = escapeJsonBody(src, s, e, buf, this.pos);
      if (r < 0) {
        // not valid UTF-8: Node's replacement characters, counted as decoders.utf8 counts them
        decodeStats.invalidUtf8++;
        this.pos = start + buf.write(JSON.stringify(src.toString('utf8', s, e)), start, 'utf8');
        return;
      }
      this.pos = r;
    }
    buf[this.pos++] = 0x22;
  }

  private field(name: Buffer, src: Buffer, s: number, e: number, decoder: Decoders['key'], staged: boolean): void {
    if (decoder === 'none') return;
    this.bytes(name);
    this.value(src, s, e, decoder, staged);
  }

  /** A decoded byte string (s < 0: null). */
  private value(src: Buffer, s: number, e: number, decoder: Decoders['key'], staged: boolean): void {
    if (s < 0) {
      this.bytes(NULL);
      return;
    }
    if (decoder === 'utf8') {
      this.utf8String(src, s, e, staged);
      return;
    }
    const buf = this.buf;
    buf[this.pos++] = 0x22;
    if (decoder === 'hex') {
      if (staged && this.base >= 0) this.pos = this.wasm!.hex(s, e, this.base + this.pos) - this.base;
      else this.pos = hexJs(src, s, e, buf, this.pos);
    } else if (staged && this.base >= 0) {
      this.pos = this.wasm!.b64(s, e, this.base + this.pos) - this.base;
    } else {
      this.pos += buf.write(src.toString('base64', s, e), this.pos, 'latin1');
    }
    buf[this.pos++] = 0x22;
  }

  // ---------------------------------------------------------------- records

  /**
   * Every record of a batch within [from, to] as `recordNdjson` lines. Throws what batchRecords
   * throws (after writing the records before the bad one), like the record events of ops/dump.
   */
  batch(b: Batch, from?: number, to?: number): void {
    const d = this.d;
    if (b.magic < 2 || b.isControl || REC_KIND[d.key]! < 0 || REC_KIND[d.value]! < 0 || REC_KIND[d.header]! < 0) {
      this.exact(b, from, to, 0);
      return;
    }
    const count = b.recordCount;
    if (count <= 0) {
      if (count < 0) this.exact(b, from, to, 0);
      return;
    }
    const mem = this.mem;
    let staging;
    try {
      staging = this.records(b);
    } catch {
      this.exact(b, from, to, 0);
      return;
    }
    const { src, end, staged } = staging;
    let p = staging.p;
    // The batch part (plus the newline) once per batch, in wasm memory when it fits.
    let tail: Buffer;
    let tailAt = -1;
    let tailLen: number;
    let recOk = false;
    const partEnd = mem !== null ? writeBatchPart(mem, T_TAIL + 4, T_TAIL + 4 + TAIL_MAX, b, 0x2c, 0x0a) : -1;
    if (partEnd >= 0 || (mem !== null && this.template(T_TAIL, ',' + batchPartString(b) + '\n', TAIL_MAX))) {
      if (partEnd >= 0) mem!.writeUInt32LE(partEnd - T_TAIL - 4, T_TAIL);
      tailAt = T_TAIL + 4;
      tailLen = mem!.readUInt32LE(T_TAIL);
      tail = mem!.subarray(tailAt, tailAt + tailLen);
      recOk = staged && REC_KIND[d.key]! >= 0 && REC_KIND[d.value]! >= 0 && this.sameTemplate(T_TS_TYPE_KEY, TS_TYPE_KEY[b.timestampType]![d.key === 'none' ? 1 : 0], 124);
    } else {
      tail = enc(',' + batchPartString(b) + '\n');
      tailLen = tail.length;
    }
    const kindK = REC_KIND[d.key]!;
    const kindV = REC_KIND[d.value]!;
    const logAppend = b.timestampType === 'LogAppendTime';
    const { baseOffset, baseTimestamp, maxTimestamp, baseSequence } = b;
    const wasm = this.wasm;
    const w = this.walker;
    const line: LineParts = { src, staged, recOk, d, tsType: TS_TYPE[b.timestampType]!, kindK, kindV, tailAt, tail, tailLen, headers: w.headers };
    if (recOk) wasm!.setup(baseOffset, baseTimestamp, maxTimestamp, logAppend ? 1 : 0, baseSequence, from ?? -Infinity, to ?? Infinity, kindK, kindV, this.array ? 1 : 0, tailLen);
    let i = 0;
    while (i < count) {
      const inWasm = recOk && this.base >= 0;
      if (inWasm) {
        // plain records in wasm (json-escape.wat's walk); it stops at a record for the code below
        wasm!.gfirst.value = this.first ? 1 : 0;
        const status = wasm!.walk(p, end, i, count, this.base + this.pos, this.base + this.cap);
        p = wasm!.gp.value;
        i = wasm!.gi.value;
        this.pos = wasm!.gd.value - this.base;
        this.first = wasm!.gfirst.value !== 0;
        if (status === 0) break;
        if (status === 1) return;
      }
      // format/record-walk.ts finds the records' parts: after a wasm stop the one record it stopped
      // at, else all the rest. Where the walk stops, the exact path takes over (and reports).
      const n = inWasm ? 1 : count - i;
      w.walkFast(src, p, end, n, baseTimestamp, WALK_HEADERS);
      const got = w.count;
      const offsetDeltaA = w.offsetDelta;
      const timestampA = w.timestamp;
      const keyStartA = w.keyStart;
      const keyLenA = w.keyLen;
      const valueStartA = w.valueStart;
      const valueLenA = w.valueLen;
      const recEndA = w.recEnd;
      const headerCountA = w.headerCount;
      const headerIndexA = w.headerIndex;
      line.headers = w.headers;
      let recStart = p;
      for (let k = 0; k < got; k++) {
        const length = recEndA[k]! - recStart;
        recStart = recEndA[k]!;
        const offsetDelta = offsetDeltaA[k]!;
        const offset = baseOffset + offsetDelta;
        if (from !== undefined && offset < from) continue;
        if (to !== undefined && offset > to) return;
        const timestamp = logAppend ? maxTimestamp : timestampA[k]!;
        const kl = keyLenA[k]!;
        const ks = kl < 0 ? -1 : keyStartA[k]!;
        const ke = kl < 0 ? -1 : ks + kl;
        const vl = valueLenA[k]!;
        const vs = vl < 0 ? -1 : valueStartA[k]!;
        const ve = vl < 0 ? -1 : vs + vl;
        const hc = headerCountA[k]!;
        this.ensure(6 * length + 96 * hc + 320 + tailLen);
        this.prefix();
        const seq = baseSequence >= 0 ? lastSequenceFor(baseSequence, offsetDelta) : -1;
        this.recordLine(line, offset, timestamp, ks, ke, vs, ve, hc, headerIndexA[k]!, seq);
      }
      i += got;
      p = w.next;
      if (got < n) {
        // record i does not decode: the exact path from there
        this.exact(b, from, to, i);
        return;
      }
    }
    // the records end before the batch does: the exact path reports it
    if (p !== end) this.exact(b, from, to, count);
  }

  /**
   * kseg dump's internal topics: the records of a v2 data batch from index `start` within [from, to]
   * as batch() writes them, each line ending with what `tail` writes before the closing brace (the
   * `decoded` member). Returns -1 when it wrote them all; the index of a record it did not write
   * (`tail` gave -1, the record does not decode, or the records end before the batch does: index =
   * count), which the caller writes on the object path before calling again from the next one;
   * -2 for a batch it does not write at all (legacy, control, a decoder not written here).
   */
  decodedBatch(b: Batch, from: number | undefined, to: number | undefined, start: number, tail: DecodedTail, d: Decoders = this.d, decoder?: InternalDecoder): number {
    const { key: dk, value: dv, header: dh } = d;
    if (b.magic < 2 || b.isControl || REC_KIND[dk]! < 0 || REC_KIND[dv]! < 0 || REC_KIND[dh]! < 0) return -2;
    const count = b.recordCount;
    if (count < 0) return -2;
    const mem = this.mem;
    let staging;
    try {
      staging = this.records(b);
    } catch {
      return -2;
    }
    const { src, end, staged } = staging;
    let p = staging.p;
    // the batch part without the record's closing brace: the decoded member and `}\n` follow it
    // (as bytes, batch-part.ts, unless it does not fit or holds an unsafe integer: then the string)
    const tailStr = (): string => ',' + batchPartString(b).slice(0, -1);
    let batchTail: Buffer;
    let tailAt = -1;
    let tailLen: number;
    let recOk = false;
    const partEnd = mem !== null ? writeBatchPart(mem, T_TAIL + 4, T_TAIL + 4 + TAIL_MAX, b, 0x2c, 0) : -1;
    if (partEnd >= 0 || (mem !== null && this.template(T_TAIL, tailStr(), TAIL_MAX))) {
      if (partEnd >= 0) mem!.writeUInt32LE(partEnd - 1 - T_TAIL - 4, T_TAIL);
      tailAt = T_TAIL + 4;
      tailLen = mem!.readUInt32LE(T_TAIL);
      batchTail = mem!.subarray(tailAt, tailAt + tailLen);
      // (the value template was made for the writer's own decoders)
      recOk = staged && (dv === 'none') === (this.d.value === 'none') && this.sameTemplate(T_TS_TYPE_KEY, TS_TYPE_KEY[b.timestampType]![dk === 'none' ? 1 : 0], 124);
    } else {
      batchTail = enc(tailStr());
      tailLen = batchTail.length;
    }
    const kindK = REC_KIND[dk]!;
    const kindV = REC_KIND[dv]!;
    const logAppend = b.timestampType === 'LogAppendTime';
    const { baseOffset, baseTimestamp, maxTimestamp, baseSequence } = b;
    const wasm = this.wasm;
    const w = this.walker;
    const line: LineParts = { src, staged, recOk, d, tsType: TS_TYPE[b.timestampType]!, kindK, kindV, tailAt, tail: batchTail, tailLen, headers: w.headers };
    // the decoded member in wasm when the records are staged (positions are addresses of its memory)
    let table = -1;
    if (decoder !== undefined && staged && wasm !== null) {
      this.programs ??= new DecodedPrograms(mem!, PROGRAMS_AT, mem!.length - 128);
      table = this.programs.table(decoder);
    }
    const framed = decoder !== undefined && isFramed(decoder) ? 1 : 0;
    if (recOk) {
      wasm!.setup(baseOffset, baseTimestamp, maxTimestamp, logAppend ? 1 : 0, baseSequence, from ?? -Infinity, to ?? Infinity, kindK, kindV, this.array ? 1 : 0, tailLen);
      if (table >= 0) wasm!.dsetup(table, framed);
    }
    // the records before `start` were written by an earlier call: find where record `start` begins
    let i = 0;
    if (start > 0) {
      w.walkFast(src, p, end, start, baseTimestamp, WALK_HEADERS);
      if (w.count < start) return w.count;
      p = w.next;
      i = start;
    }
    while (i < count) {
      const inWasm = recOk && table >= 0 && this.base >= 0;
      if (inWasm) {
        // whole lines, decoded member included, in wasm (json-escape.wat's walk with drec); it stops
        // at a record for the code below (one it leaves, no room, a program not laid out yet)
        wasm!.gfirst.value = this.first ? 1 : 0;
        wasm!.gdn.value = 0;
        const status = wasm!.walk(p, end, i, count, this.base + this.pos, this.base + this.cap);
        p = wasm!.gp.value;
        i = wasm!.gi.value;
        this.pos = wasm!.gd.value - this.base;
        this.first = wasm!.gfirst.value !== 0;
        this.decodedByWasm += wasm!.gdn.value;
        if (status === 0) break;
        if (status === 1) return -1;
      }
      // format/record-walk.ts finds the records' parts: after a wasm stop the one record it stopped
      // at, else all the rest
      const n = inWasm ? 1 : count - i;
      w.walkFast(src, p, end, n, baseTimestamp, WALK_HEADERS);
      const got = w.count;
      line.headers = w.headers;
      let recStart = p;
      for (let k = 0; k < got; k++) {
        const length = w.recEnd[k]! - recStart;
        recStart = w.recEnd[k]!;
        const offsetDelta = w.offsetDelta[k]!;
        const offset = baseOffset + offsetDelta;
        if (from !== undefined && offset < from) continue;
        if (to !== undefined && offset > to) return -1;
        const timestamp = logAppend ? maxTimestamp : w.timestamp[k]!;
        const kl = w.keyLen[k]!;
        const ks = kl < 0 ? -1 : w.keyStart[k]!;
        const ke = kl < 0 ? -1 : ks + kl;
        const vl = w.valueLen[k]!;
        const vs = vl < 0 ? -1 : w.valueStart[k]!;
        const ve = vl < 0 ? -1 : vs + vl;
        const hc = w.headerCount[k]!;
        const seq = baseSequence >= 0 ? lastSequenceFor(baseSequence, offsetDelta) : -1;
        // twice at most: when the decoded member has no room, once more at the start of a fresh buffer
        for (let attempt = 0; ; attempt++) {
          this.ensure(14 * length + 96 * hc + 1024 + tailLen);
          const lineStart = this.pos;
          const first = this.first;
          this.prefix();
          this.recordLine(line, offset, timestamp, ks, ke, vs, ve, hc, w.headerIndex[k]!, seq);
          let e = -1;
          if (table >= 0 && this.base >= 0) {
            const at = this.base + this.pos;
            const capAt = this.base + this.cap - 2;
            e = wasm!.drec(table, framed, ks, ke, vs, ve, at, capAt);
            if (e === -2) {
              this.programs!.build(decoder!, table, ks, vs);
              e = wasm!.drec(table, framed, ks, ke, vs, ve, at, capAt);
            }
            if (e >= 0) {
              e -= this.base;
              this.decodedByWasm++;
            } else e = -1;
          }
          if (e < 0) e = tail(src, ks, ke, vs, ve, offset, this.buf, this.pos, this.cap - 2);
          if (e >= 0) {
            this.buf[e] = 0x7d;
            this.buf[e + 1] = 0x0a;
            this.pos = e + 2;
            break;
          }
          this.pos = lineStart;
          this.first = first;
          if (attempt > 0 || lineStart === 0) return i + k;
          this.spill(SLOT - SLACK);
        }
      }
      i += got;
      p = w.next;
      if (got < n) return i;
    }
    // the records end before the batch does: the exact path reports it
    return p !== end ? count : -1;
  }

  /**
   * One record's line after its --json punctuation, ending with the batch part: in one wasm call
   * when it can be (no headers, safe-integer offset and timestamp, staged records; the call gives -1
   * for a key or value that is not valid UTF-8), else here.
   */
  private recordLine(x: LineParts, offset: number, timestamp: number, ks: number, ke: number, vs: number, ve: number, hc: number, headerIndex: number, seq: number): void {
    if (x.recOk && hc === 0 && this.base >= 0 && offset <= MAX_SAFE && offset >= -MAX_SAFE && timestamp <= MAX_SAFE && timestamp >= -MAX_SAFE) {
      const r = this.wasm!.rec(this.base + this.pos, offset, timestamp, x.kindK, ks, ke, x.kindV, vs, ve, seq);
      if (r >= 0) {
        this.pos = r - this.base;
        return;
      }
    }
    const { src, staged, d } = x;
    this.bytes(HEAD);
    this.num(offset);
    this.bytes(TIMESTAMP);
    this.num(timestamp);
    this.bytes(x.tsType);
    this.field(KEY, src, ks, ke, d.key, staged);
    this.field(VALUE, src, vs, ve, d.value, staged);
    this.bytes(HEADERS_OPEN);
    const hdr = x.headers;
    for (let h = 0, at = 4 * headerIndex; h < hc; h++, at += 4) {
      if (h > 0) this.buf[this.pos++] = 0x2c;
      this.bytes(HEADER_KEY);
      this.utf8String(src, hdr[at]!, hdr[at + 1]!, staged);
      if (d.header !== 'none') {
        this.bytes(VALUE);
        this.value(src, hdr[at + 2]!, hdr[at + 3]!, d.header, staged);
      }
      this.buf[this.pos++] = 0x7d;
    }
    this.buf[this.pos++] = 0x5d;
    if (seq >= 0) {
      this.bytes(SEQUENCE);
      this.num(seq);
    }
    if (x.tailAt >= 0 && this.base >= 0) this.wasm!.copy(this.base + this.pos, x.tailAt, x.tailLen);
    else x.tail.copy(this.buf, this.pos);
    this.pos += x.tailLen;
  }

  /**
   * A v2 batch's records, staged in wasm memory when they fit so the wasm code can read them: a
   * compressed payload is decompressed straight into the staging area (this.scratch without wasm),
   * an uncompressed one copied there. Valid until the next call: every view of it is done with
   * before the next batch. Throws what v2PayloadInto throws.
   */
  private records(b: Batch): { src: Buffer; p: number; end: number; staged: boolean } {
    const mem = this.mem;
    const payload = v2PayloadInto(b, (this.scratch ??= mem !== null ? mem.subarray(0, IN_SIZE) : Buffer.allocUnsafe(IN_SIZE)));
    const { buf, pos, end } = payload;
    if (mem === null) return { src: buf, p: pos, end, staged: false };
    if (payload.inScratch) return { src: mem, p: pos, end, staged: true };
    if (end - pos > IN_SIZE) return { src: buf, p: pos, end, staged: false };
    buf.copy(mem, 0, pos, end);
    return { src: mem, p: 0, end: end - pos, staged: true };
  }

  /** The record path of ops/dump + render.ts, skipping the first `skip` records. */
  private exact(b: Batch, from: number | undefined, to: number | undefined, skip: number): void {
    let i = 0;
    for (const r of batchRecords(b)) {
      if (i++ < skip) continue;
      if (from !== undefined && r.offset < from) continue;
      if (to !== undefined && r.offset > to) break;
      this.line(recordNdjson(r, b, this.d));
    }
  }
}

// batch.ts's lastSequenceFor
function lastSequenceFor(baseSequence: number, delta: number): number {
  if (baseSequence < 0) return -1;
  if (baseSequence > 0x7fffffff - delta) return delta - (0x7fffffff - baseSequence) - 1;
  return baseSequence + delta;
}
