import { DIGIT_PAIRS, escapeJsonBody, writeUint31 } from '../json-bytes.js';
import { inRange, type FieldSchema, type MessageSchema } from './schema.js';
import { defaultOf, internalJson, isFlexible, supports } from './codec.js';
import { FRAME_VERSION, schemaFor, type InternalDecoder } from './internal.js';

/**
 * The NDJSON `decoded` member written as bytes straight from a record's key and value bytes into
 * an output buffer: no objects, no strings per record. Each (message schema, version) is compiled
 * once, at first use, from the schema table into one function (`new Function`): the struct's
 * fields in wire order, nested structs and arrays inlined, the `"name":` keys as byte stores.
 *
 * The text is exactly decodedPartJson(decodeInternalRecordForJson(...)) (the object path of
 * codec.ts / internal.ts, which stays the reference: a property test holds the two together).
 * Anything that path would report or print differently is not written here: a compiled writer
 * returns -1 ("not written") on every bounds or rule violation, on a non-empty tagged-field
 * section, on an unknown record type or version, and when the output buffer has no room. The
 * caller then decodes that record on the object path, which gives the same text, the
 * `{"unknown":true}` parts and their notes, or the error naming file, offset and byte.
 *
 * Layout (Kafka's CoordinatorRecordSerde / AbstractApiMessageSerde): see internal.ts.
 */

/** A compiled writer: the part `{"type":…,"version":V,"data":{…}}` of the message at src[p, end) into dst[d, cap). */
type PartWriter = (src: Uint8Array, p: number, end: number, dst: Buffer, d: number, cap: number) => number;

// ---------------------------------------------------------------- helpers the compiled code calls

const B64 = Buffer.from('ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/', 'latin1');
const B64URL = Buffer.from('ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_', 'latin1');
/** The helpers of the compiled writers (one object: `H.x(...)` in the generated code). */
const H = {
  /** New position after the last uv(). */
  np: 0,
  /** Unsigned varint of at most 5 bytes and at most 2^32-1 (codec.ts's uvarint), or -1. */
  uv(src: Uint8Array, p: number, end: number): number {
    let v = 0;
    for (let i = 0; i < 5; i++) {
      if (p >= end) return -1;
      const b = src[p++]!;
      v += (b & 0x7f) * 2 ** (7 * i);
      if ((b & 0x80) === 0) {
        if (v > 0xffffffff) return -1;
        H.np = p;
        return v;
      }
    }
    return -1;
  },
  /** Whether dst[s, e) holds the bytes `b`. */
  eq(dst: Uint8Array, s: number, e: number, b: readonly number[]): boolean {
    if (e - s !== b.length) return false;
    for (let i = 0; i < b.length; i++) if (dst[s + i] !== b[i]) return false;
    return true;
  },
  /** Scratch copy of tagged values written past a struct's end. */
  tmp: Buffer.alloc(4096),
  save(dst: Buffer, s: number, e: number): void {
    if (H.tmp.length < e - s) H.tmp = Buffer.alloc(2 * (e - s));
    dst.copy(H.tmp, 0, s, e);
  },
  /** Insert [`,`] key tmp[a, b) [`,`] at dst[h] (the bytes from h to d move up): the new end, or -1 without room. */
  splice(dst: Buffer, d: number, cap: number, h: number, lead: boolean, key: string, a: number, b: number, trail: boolean): number {
    const n = (lead ? 1 : 0) + key.length + (b - a) + (trail ? 1 : 0);
    if (d + n > cap) return -1;
    dst.copyWithin(h + n, h, d);
    if (lead) dst[h++] = 0x2c;
    h += dst.write(key, h, 'latin1');
    H.tmp.copy(dst, h, a, b);
    if (trail) dst[h + b - a] = 0x2c;
    return d + n;
  },
  /** Digits of a safe integer (String(v)). */
  int(dst: Uint8Array, d: number, v: number): number {
    if (v < 0) {
      dst[d++] = 0x2d;
      v = -v;
    }
    if (v <= 0x7fffffff) return writeUint31(dst, d, v);
    const hi = Math.floor(v / 1e8);
    d = writeUint31(dst, d, hi);
    let lo = v - hi * 1e8;
    for (let p = d + 8; p > d;) {
      const q = (lo / 100) | 0;
      const r = (lo - q * 100) << 1;
      dst[--p] = DIGIT_PAIRS[r + 1]!;
      dst[--p] = DIGIT_PAIRS[r]!;
      lo = q;
    }
    return d + 8;
  },
  /** An int64 at src[p]: digits, exact beyond 2^53. */
  int64(dst: Buffer, d: number, src: Uint8Array, p: number): number {
    const hi = (src[p]! << 24) | (src[p + 1]! << 16) | (src[p + 2]! << 8) | src[p + 3]! | 0;
    const lo = ((src[p + 4]! << 24) | (src[p + 5]! << 16) | (src[p + 6]! << 8) | src[p + 7]!) >>> 0;
    if (hi >= -0x200000 && hi < 0x200000) return H.int(dst, d, hi * 4294967296 + lo);
    const s = ((BigInt(hi) << 32n) | BigInt(lo)).toString();
    return d + dst.write(s, d, 'latin1');
  },
  f64(dst: Buffer, d: number, src: Uint8Array, p: number): number {
    const x = Buffer.from(src.buffer, src.byteOffset + p, 8).readDoubleBE(0);
    return d + dst.write(JSON.stringify(x) ?? 'null', d, 'latin1');
  },
  /** Kafka's Uuid.toString: `"` + URL-safe base64 of the 16 bytes, no padding + `"` (24 bytes). */
  uuid(dst: Uint8Array, d: number, src: Uint8Array, p: number): number {
    dst[d++] = 0x22;
    for (let i = 0; i < 15; i += 3) {
      const n = (src[p + i]! << 16) | (src[p + i + 1]! << 8) | src[p + i + 2]!;
      dst[d] = B64URL[n >> 18]!;
      dst[d + 1] = B64URL[(n >> 12) & 63]!;
      dst[d + 2] = B64URL[(n >> 6) & 63]!;
      dst[d + 3] = B64URL[n & 63]!;
      d += 4;
    }
    const last = src[p + 15]!;
    dst[d] = B64URL[last >> 2]!;
    dst[d + 1] = B64URL[(last & 3) << 4]!;
    dst[d + 2] = 0x22;
    return d + 3;
  },
  /** `"` + standard base64 with padding + `"` (4 * ceil(n / 3) + 2 bytes). */
  b64(dst: Uint8Array, d: number, src: Uint8Array, s: number, e: number): number {
    dst[d++] = 0x22;
    let i = s;
    for (; i + 3 <= e; i += 3) {
      const n = (src[i]! << 16) | (src[i + 1]! << 8) | src[i + 2]!;
      dst[d] = B64[n >> 18]!;
      dst[d + 1] = B64[(n >> 12) & 63]!;
      dst[d + 2] = B64[(n >> 6) & 63]!;
      dst[d + 3] = B64[n & 63]!;
      d += 4;
    }
    if (e - i === 1) {
      const n = src[i]! << 16;
      dst[d] = B64[n >> 18]!;
      dst[d + 1] = B64[(n >> 12) & 63]!;
      dst[d + 2] = 0x3d;
      dst[d + 3] = 0x3d;
      d += 4;
    } else if (e - i === 2) {
      const n = (src[i]! << 16) | (src[i + 1]! << 8);
      dst[d] = B64[n >> 18]!;
      dst[d + 1] = B64[(n >> 12) & 63]!;
      dst[d + 2] = B64[(n >> 6) & 63]!;
      dst[d + 3] = 0x3d;
      d += 4;
    }
    dst[d] = 0x22;
    return d + 1;
  },
  /**
   * JSON.stringify of the UTF-8 text src[s, e) (at most 6 * n + 2 bytes): printable ASCII copied,
   * `"` `\` and controls escaped as JSON.stringify escapes them, other UTF-8 copied; text that is
   * not valid UTF-8 is decoded with replacement characters as Buffer.toString does.
   */
  str(dst: Buffer, d: number, src: Uint8Array, s: number, e: number): number {
    dst[d] = 0x22;
    const end = escapeJsonBody(src, s, e, dst, d + 1);
    if (end < 0) return d + dst.write(JSON.stringify(Buffer.from(src.buffer, src.byteOffset + s, e - s).toString('utf8')), d, 'utf8');
    dst[end] = 0x22;
    return end + 1;
  },
};

// ---------------------------------------------------------------- the compiler

/**
 * Code for one message version. The generated function keeps `p` (read position in src) and `d`
 * (write position in dst) in locals; every read is bounds checked against `end`, every write
 * against `cap` (constant bytes are collected and stored together with the room check of the
 * value that follows them).
 */
class Compiler {
  private readonly lines: string[] = [];
  private pending: number[] = [];
  private readonly consts: number[][] = [];
  private n = 0;

  constructor(
    private readonly version: number,
    private readonly flexible: boolean,
  ) {}

  private id(prefix: string): string {
    return `${prefix}${this.n++}`;
  }

  emit(code: string): void {
    this.lines.push(code);
  }

  /** Constant text, written with the next flush. */
  lit(s: string): void {
    for (const b of Buffer.from(s, 'utf8')) this.pending.push(b);
  }

  /** Store the pending constant bytes, checking room for them plus `extra` (a JS expression) bytes. */
  flush(extra = '0'): void {
    const k = this.pending.length;
    if (k === 0 && extra === '0') return;
    this.emit(`if (d + ${k} + ${extra} > cap) return -1;`);
    if (k === 0) return;
    this.emit(this.pending.map((b, i) => `dst[d${i ? ' + ' + i : ''}] = ${b};`).join(' ') + ` d += ${k};`);
    this.pending = [];
  }

  /** Read a length into a new variable: flexible: unsigned varint - 1; else int16 or int32. */
  private length(kind: 'int16' | 'int32'): string {
    const v = this.id('n');
    if (this.flexible) {
      this.emit(`let ${v}; if (p < end && src[p] < 128) ${v} = src[p++] - 1; else { ${v} = H.uv(src, p, end); if (${v} < 0) return -1; p = H.np; ${v} -= 1; }`);
    } else if (kind === 'int16') {
      this.emit(`if (p + 2 > end) return -1; const ${v} = ((src[p] << 24) >> 16) | src[p + 1]; p += 2;`);
    } else {
      this.emit(`if (p + 4 > end) return -1; const ${v} = (src[p] << 24) | (src[p + 1] << 16) | (src[p + 2] << 8) | src[p + 3]; p += 4;`);
    }
    return v;
  }

  struct(fields: readonly FieldSchema[]): void {
    const v = this.version;
    const present = fields.filter((f) => inRange(f.versions, v));
    const tagged = this.flexible ? present.filter((f) => inRange(f.taggedVersions, v)) : [];
    if (tagged.length > 0) {
      this.taggedStruct(present, tagged);
      return;
    }
    this.lit('{');
    let first = true;
    for (const f of present) {
      this.lit(`${first ? '' : ','}${JSON.stringify(f.name)}:`);
      first = false;
      this.field(f, false);
    }
    // the tagged-field section: unknown tags are skipped (JsonConverter does not print them)
    if (this.flexible) this.skipTags();
    this.lit('}');
  }

  private skipTags(): void {
    const c = this.id('c');
    this.emit(`if (p >= end) return -1; let ${c} = src[p]; if (${c} < 128) p++; else { ${c} = H.uv(src, p, end); if (${c} < 0) return -1; p = H.np; }`);
    this.emit(
      `for (; ${c} > 0; ${c}--) { if (H.uv(src, p, end) < 0) return -1; p = H.np; const z = H.uv(src, p, end); if (z < 0) return -1; p = H.np; if (z > end - p) return -1; p += z; }`,
    );
  }

  /**
   * A struct with tagged fields in this version. The regular fields are written with the place of
   * each tagged one noted (h); after the tag section is read, each tagged value present is written
   * past the end, kept when it is not its default (JsonConverter), and moved into its place with
   * its key and comma: JSON members in spec order.
   */
  private taggedStruct(present: readonly FieldSchema[], tagged: readonly FieldSchema[]): void {
    const ctx = { version: this.version, flexible: true };
    const firstRegular = present.findIndex((f) => !tagged.includes(f));
    const ids = tagged.map(() => this.id('t'));
    this.lit('{');
    let first = true;
    for (let i = 0; i < present.length; i++) {
      const f = present[i]!;
      const t = tagged.indexOf(f);
      if (t >= 0) {
        this.flush();
        this.emit(`const ${ids[t]}h = d; let ${ids[t]}s = -1, ${ids[t]}e = -1, ${ids[t]}a = -1, ${ids[t]}b = -1;`);
        continue;
      }
      this.lit(`${first ? '' : ','}${JSON.stringify(f.name)}:`);
      first = false;
      this.field(f, false);
    }
    this.flush();
    // the tag section: where each known tag's value is (a tag given twice is left to the object path)
    const c = this.id('c');
    this.emit(`if (p >= end) return -1; let ${c} = src[p]; if (${c} < 128) p++; else { ${c} = H.uv(src, p, end); if (${c} < 0) return -1; p = H.np; }`);
    this.emit(
      `for (; ${c} > 0; ${c}--) { const tag = H.uv(src, p, end); if (tag < 0) return -1; p = H.np; const z = H.uv(src, p, end); if (z < 0) return -1; p = H.np; if (z > end - p) return -1;`,
    );
    this.emit('switch (tag) {');
    tagged.forEach((f, t) => this.emit(`case ${f.tag}: if (${ids[t]}s >= 0) return -1; ${ids[t]}s = p; ${ids[t]}e = p + z; break;`));
    this.emit('} p += z; }');
    // the values past the end, in spec order; those equal to their default are dropped
    const base = this.id('w');
    this.emit(`const ${base} = d;`);
    tagged.forEach((f, t) => {
      const x = ids[t]!;
      // a tagged field is printed only when it is not its default (the same text is the same value)
      const def = Buffer.from(internalJson(defaultOf(f, ctx)), 'utf8');
      this.emit(`if (${x}s >= 0) { const sp = p, se = end; p = ${x}s; end = ${x}e; const v0 = d;`);
      this.field(f, true);
      this.flush();
      this.emit(`if (p !== end) return -1; p = sp; end = se;`);
      this.emit(`if (H.eq(dst, v0, d, ${this.constant(def)})) d = v0; else { ${x}a = v0 - ${base}; ${x}b = d - ${base}; } }`);
    });
    // move them into their places, last first (earlier places do not move)
    this.emit(`const ${base}n = d - ${base}; if (${base}n > 0) { H.save(dst, ${base}, d); d = ${base};`);
    for (let t = tagged.length - 1; t >= 0; t--) {
      const x = ids[t]!;
      const at = present.indexOf(tagged[t]!);
      const before = tagged
        .slice(0, t)
        .filter((g) => present.indexOf(g) < at)
        .map((g) => `${ids[tagged.indexOf(g)]}a >= 0`);
      let lead: string;
      let trail: string;
      if (firstRegular >= 0 && firstRegular < at) {
        lead = 'true';
        trail = 'false';
      } else {
        lead = before.length ? before.join(' || ') : 'false';
        const between = tagged
          .slice(t + 1)
          .filter((g) => firstRegular >= 0 && present.indexOf(g) < firstRegular)
          .map((g) => `${ids[tagged.indexOf(g)]}a < 0`);
        trail = firstRegular < 0 ? 'false' : between.length ? between.join(' && ') : 'true';
      }
      const key = JSON.stringify(JSON.stringify(tagged[t]!.name) + ':');
      this.emit(`if (${x}a >= 0) { d = H.splice(dst, d, cap, ${x}h, ${lead}, ${key}, ${x}a, ${x}b, ${trail}); if (d < 0) return -1; }`);
    }
    this.emit('}');
    this.lit('}');
  }

  private field(f: FieldSchema, tagged: boolean): void {
    const nullable = inRange(f.nullableVersions, this.version);
    if (!f.array) {
      this.one(f, nullable, false, tagged);
      return;
    }
    const n = this.length('int32');
    this.flush();
    this.emit(`if (${n} < 0) {`);
    if (nullable) {
      this.emit(`if (${n} < -1) return -1;`);
      this.lit('null');
      this.flush();
    } else this.emit('return -1;');
    this.emit('} else {');
    // every element takes at least one byte (codec.ts: a count beyond the bytes left is corrupt)
    if (f.type !== 'struct' || this.flexible) this.emit(`if (${n} > end - p) return -1;`);
    else this.emit(`if (${n} > end - p && ${n} > ${1 << 20}) return -1;`);
    const j = this.id('j');
    this.lit('[');
    this.flush();
    this.emit(`for (let ${j} = 0; ${j} < ${n}; ${j}++) {`);
    this.emit(`if (${j} > 0) { if (d + 1 > cap) return -1; dst[d++] = 44; }`);
    if (f.type === 'struct') this.struct(f.fields ?? []);
    else this.one(f, false, true, false);
    this.flush();
    this.emit('}');
    this.lit(']');
    this.flush();
    this.emit('}');
  }

  /** One value (an array element when `element`). */
  private one(f: FieldSchema, nullable: boolean, element: boolean, tagged: boolean): void {
    const fixed = (size: number, read: string, write: string): void => {
      this.flush('24');
      this.emit(`if (p + ${size} > end) return -1; ${read ? read + ' ' : ''}${write} p += ${size};`);
    };
    switch (f.type) {
      case 'bool':
        this.flush('5');
        this.emit(
          'if (p + 1 > end) return -1; if (src[p++] !== 0) { dst[d] = 116; dst[d + 1] = 114; dst[d + 2] = 117; dst[d + 3] = 101; d += 4; } else { dst[d] = 102; dst[d + 1] = 97; dst[d + 2] = 108; dst[d + 3] = 115; dst[d + 4] = 101; d += 5; }',
        );
        return;
      case 'int8':
        return fixed(1, '', 'd = H.int(dst, d, (src[p] << 24) >> 24);');
      case 'int16':
        return fixed(2, '', 'd = H.int(dst, d, ((src[p] << 24) >> 16) | src[p + 1]);');
      case 'uint16':
        return fixed(2, '', 'd = H.int(dst, d, (src[p] << 8) | src[p + 1]);');
      case 'int32':
        return fixed(4, '', 'd = H.int(dst, d, (src[p] << 24) | (src[p + 1] << 16) | (src[p + 2] << 8) | src[p + 3]);');
      case 'uint32':
        return fixed(4, '', 'd = H.int(dst, d, ((src[p] << 24) | (src[p + 1] << 16) | (src[p + 2] << 8) | src[p + 3]) >>> 0);');
      case 'int64':
        return fixed(8, '', 'd = H.int64(dst, d, src, p);');
      case 'float64':
        return fixed(8, '', 'd = H.f64(dst, d, src, p);');
      case 'uuid':
        return fixed(16, '', 'd = H.uuid(dst, d, src, p);');
      case 'string':
      case 'bytes':
      case 'records': {
        const str = f.type === 'string';
        const n = this.length(str ? 'int16' : 'int32');
        this.flush();
        this.emit(`if (${n} < 0) {`);
        // (a null string element is refused, as codec.ts refuses it)
        if (nullable && !(str && element)) {
          this.emit(`if (${n} < -1) return -1;`);
          this.lit('null');
          this.flush();
        } else this.emit('return -1;');
        this.emit('} else {');
        if (str) this.emit(`if (${n} > 32767) return -1;`);
        this.emit(`if (${n} > end - p) return -1;`);
        if (str) this.emit(`if (d + 6 * ${n} + 2 > cap) return -1; d = H.str(dst, d, src, p, p + ${n}); p += ${n};`);
        else this.emit(`if (d + 4 * ((${n} + 2) / 3 | 0) + 2 > cap) return -1; d = H.b64(dst, d, src, p, p + ${n}); p += ${n};`);
        this.emit('}');
        return;
      }
      case 'struct': {
        if (!element && nullable) {
          // presence marker: int8 -1 = null, 1 = present; tagged: unsigned varint 0 = null, else present
          this.flush();
          this.emit('if (p + 1 > end) return -1;');
          this.emit(tagged ? 'if (src[p] === 0) {' : 'if (src[p] >= 128) {');
          this.emit('p++;');
          this.lit('null');
          this.flush();
          this.emit('} else {');
          this.emit(tagged ? 'if (H.uv(src, p, end) < 0) return -1; p = H.np;' : 'if (src[p] !== 1) return -1; p++;');
          this.struct(f.fields ?? []);
          this.flush();
          this.emit('}');
          return;
        }
        this.struct(f.fields ?? []);
        return;
      }
    }
  }

  /** Constant byte arrays of the code (`K[i]`: the tagged fields' default texts). */
  constant(b: Buffer): string {
    this.consts.push([...b]);
    return `K[${this.consts.length - 1}]`;
  }

  finish(name: string): PartWriter {
    this.flush();
    const body = `"use strict"; return function ${name}(src, p, end, dst, d, cap) {\n${this.lines.join('\n')}\nif (p !== end) return -1;\nreturn d;\n};`;
    return new Function('H', 'K', body)(H, this.consts) as PartWriter;
  }
}

/** Compile the writer of `{"type":NAME,"version":V,"data":{…}}` for a message schema at a version. */
export function compilePartWriter(schema: MessageSchema, version: number, typeName = schema.name): PartWriter {
  const c = new Compiler(version, isFlexible(schema, version));
  c.lit(`{"type":${JSON.stringify(typeName)},"version":${version},"data":`);
  c.struct(schema.fields);
  c.lit('}');
  return c.finish(`${schema.name.replace(/\W/g, '')}_v${version}`);
}

/** Compiled writers by record type (or apiKey) and version; null: no such type/version in the table. */
type WriterTable = (PartWriter | null | undefined)[][];
const TABLES = new Map<string, WriterTable>();

function tableOf(decoder: InternalDecoder, kind: 'coordinator-key' | 'coordinator-value' | 'metadata'): WriterTable {
  let t = TABLES.get(`${decoder}/${kind}`);
  if (t === undefined) TABLES.set(`${decoder}/${kind}`, (t = []));
  return t;
}

function writerIn(table: WriterTable, decoder: InternalDecoder, kind: 'coordinator-key' | 'coordinator-value' | 'metadata', id: number, version: number): PartWriter | null {
  const byVersion = id >= 0 && id < 4096 ? (table[id] ??= []) : null;
  if (byVersion === null || version < 0 || version > 4096) return null;
  let w = byVersion[version];
  if (w === undefined) {
    const schema = schemaFor(decoder, kind, id);
    byVersion[version] = w = schema === undefined || !supports(schema, version) ? null : compilePartWriter(schema, version);
  }
  return w;
}

// ---------------------------------------------------------------- framing

const OPEN = Buffer.from(',"decoded":{"key":', 'latin1');
const VALUE = Buffer.from(',"value":', 'latin1');
const NULL_NULL = Buffer.from('null,"value":null}', 'latin1');

function put(dst: Buffer, d: number, b: Buffer): number {
  for (let i = 0; i < b.length; i++) dst[d + i] = b[i]!;
  return d + b.length;
}

/**
 * `,"decoded":{"key":K,"value":V}` for a record of an internal topic's data batch, its key at
 * src[ks, ke) and value at src[vs, ve) (start -1: null), into dst[d, cap): the new end, or -1 when
 * the record is left to the object path (see the module comment). Control batches are not handled.
 */
export type DecodedRecordWriter = (src: Uint8Array, ks: number, ke: number, vs: number, ve: number, dst: Buffer, d: number, cap: number) => number;

/** writeDecodedRecordJson for one decoder, its tables looked up once. */
export function decodedRecordWriter(decoder: InternalDecoder): DecodedRecordWriter {
  const keys = tableOf(decoder, 'coordinator-key');
  const values = tableOf(decoder, 'coordinator-value');
  const metadata = tableOf(decoder, 'metadata');
  const apiFramed = decoder === 'cluster-metadata' || decoder === 'remote-log-metadata';
  return (src, ks, ke, vs, ve, dst, d, cap) => {
    if (d + 64 > cap) return -1;
    d = put(dst, d, OPEN);
    if (apiFramed) {
      // no key; value: unsigned varints frame version, apiKey, version, then the struct
      if (vs < 0) {
        d = put(dst, d, NULL_NULL);
        return d;
      }
      let p = vs;
      if (p + 3 > ve || src[p] !== FRAME_VERSION || src[p + 1]! >= 128 || src[p + 2]! >= 128) return -1;
      const apiKey = src[p + 1]!;
      const version = src[p + 2]!;
      p += 3;
      const w = writerIn(metadata, decoder, 'metadata', apiKey, version);
      if (w === null) return -1;
      dst[d++] = 0x6e; // null
      dst[d++] = 0x75;
      dst[d++] = 0x6c;
      dst[d++] = 0x6c;
      d = put(dst, d, VALUE);
      d = w(src, p, ve, dst, d, cap - 1);
      if (d < 0) return -1;
      dst[d++] = 0x7d;
      return d;
    }
    // coordinator topics: key = int16 record type + key struct (v0); value = int16 version + value struct
    if (ks < 0 || ke - ks < 2) return -1;
    const id = ((src[ks]! << 24) >> 16) | src[ks + 1]!;
    const kw = writerIn(keys, decoder, 'coordinator-key', id, 0);
    if (kw === null) return -1;
    d = kw(src, ks + 2, ke, dst, d, cap - 16);
    if (d < 0) return -1;
    d = put(dst, d, VALUE);
    if (vs < 0) {
      dst[d++] = 0x6e;
      dst[d++] = 0x75;
      dst[d++] = 0x6c;
      dst[d++] = 0x6c;
      dst[d++] = 0x7d;
      return d;
    }
    if (ve - vs < 2) return -1;
    const version = ((src[vs]! << 24) >> 16) | src[vs + 1]!;
    const vw = writerIn(values, decoder, 'coordinator-value', id, version);
    if (vw === null) return -1;
    d = vw(src, vs + 2, ve, dst, d, cap - 1);
    if (d < 0) return -1;
    dst[d++] = 0x7d;
    return d;
  };
}

export function writeDecodedRecordJson(decoder: InternalDecoder, src: Uint8Array, ks: number, ke: number, vs: number, ve: number, dst: Buffer, d: number, cap: number): number {
  return decodedRecordWriter(decoder)(src, ks, ke, vs, ve, dst, d, cap);
}
