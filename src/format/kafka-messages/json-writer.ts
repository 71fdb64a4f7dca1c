import { escapeJsonBody, writeSafeInt, writeUint31 } from '../json-bytes.js';
import type { MessageSchema } from './schema.js';
import { FRAME_VERSION, type InternalDecoder } from './internal.js';
import {
  BOOL,
  BYTES,
  FLOAT64,
  INT16,
  INT64,
  INT8,
  INT32,
  STRING,
  STRUCT,
  UINT16,
  UINT32,
  messageOp,
  partHead,
  recordOpFor,
  RecordOp,
  type FieldOp,
  type StructOp,
} from './record-programs.js';

/**
 * The NDJSON `decoded` member written as bytes straight from a record's key and value bytes into
 * an output buffer: no objects, no strings per record. The programs (record-programs.ts: per
 * (message schema, version) a StructOp, per (record type, version) a RecordOp) are run by one
 * interpreter (writeStruct / writeField / writeValue) here.
 *
 * Two interpreters run the same programs. `kseg dump` runs src/cli/json-escape.wat's `drec` first
 * (WebAssembly: the record's bytes staged in its memory, the common shapes); what that one leaves,
 * and everything when WebAssembly is off or the batch is not staged, is written here; what this
 * one leaves goes to the object path. Why interpreters and not generated code: `kseg dump` of a
 * coordinator topic meets every record type and version in turn, and one generated function per
 * (type, version) was 14-78 KB of machine code each (~700 KB for the offsets topic): the
 * processor's caches, not the work, set the pace. The interpreter's code is a few KB, always hot
 * (paired runs: decoded dump -28 % CPU with the same bytes out).
 *
 * The text is exactly decodedPartJson(decodeInternalRecordForJson(...)) (the object path of
 * codec.ts / internal.ts, which stays the reference: a property test holds the two together).
 * Anything that path would report or print differently is not written here: a writer returns -1
 * ("not written") on every bounds or rule violation, on an unknown record type or version, and
 * when the output buffer has no room. The caller then decodes that record on the object path,
 * which gives the same text, the `{"unknown":true}` parts and their notes, or the error naming
 * file, offset and byte.
 *
 * Layout (Kafka's CoordinatorRecordSerde / AbstractApiMessageSerde): see internal.ts.
 */

/** A part writer: `{"type":…,"version":V,"data":{…}}` of the message at src[p, end) into dst[d, cap). */
type PartWriter = (src: Uint8Array, p: number, end: number, dst: Buffer, d: number, cap: number) => number;

// ---------------------------------------------------------------- value writers

const B64 = Buffer.from('ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/', 'latin1');
const B64URL = Buffer.from('ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_', 'latin1');

/** Shared state of the helpers: the position after the last uv(), the scratch copy of tagged values. */
const H = { np: 0 };

/** Unsigned varint of at most 5 bytes and at most 2^32-1 (codec.ts's uvarint), or -1; H.np: the position after it. */
function uv(src: Uint8Array, p: number, end: number): number {
  if (p < end && src[p]! < 128) {
    H.np = p + 1;
    return src[p]!;
  }
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
}

/** Digits of an int32 (String(v)). */
function i32(dst: Uint8Array, d: number, v: number): number {
  if (v < 0) {
    dst[d++] = 0x2d;
    v = -v;
  }
  return writeUint31(dst, d, v);
}

/** Digits of a safe integer (String(v)). */
const int = writeSafeInt;

/** An int64 at src[p]: digits, exact beyond 2^53. */
function int64(dst: Uint8Array, d: number, src: Uint8Array, p: number): number {
  const hi = (src[p]! << 24) | (src[p + 1]! << 16) | (src[p + 2]! << 8) | src[p + 3]! | 0;
  const lo = ((src[p + 4]! << 24) | (src[p + 5]! << 16) | (src[p + 6]! << 8) | src[p + 7]!) >>> 0;
  if (hi === 0) return writeUint31(dst, d, lo);
  if (hi >= -0x200000 && hi < 0x200000) return int(dst, d, hi * 4294967296 + lo);
  return latin1(dst, d, ((BigInt(hi) << 32n) | BigInt(lo)).toString());
}

/** An ASCII string's bytes at dst[d]. */
function latin1(dst: Uint8Array, d: number, s: string): number {
  for (let i = 0; i < s.length; i++) dst[d++] = s.charCodeAt(i);
  return d;
}

function f64(dst: Uint8Array, d: number, src: Uint8Array, p: number): number {
  const x = new DataView(src.buffer, src.byteOffset + p, 8).getFloat64(0);
  return latin1(dst, d, JSON.stringify(x) ?? 'null');
}

/** Kafka's Uuid.toString: `"` + URL-safe base64 of the 16 bytes, no padding + `"` (24 bytes). */
function uuid(dst: Uint8Array, d: number, src: Uint8Array, p: number): number {
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
}

/** `"` + standard base64 with padding + `"` (4 * ceil(n / 3) + 2 bytes). */
function b64(dst: Uint8Array, d: number, src: Uint8Array, s: number, e: number): number {
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
}

/**
 * JSON.stringify of the UTF-8 text src[s, e) (at most 6 * n + 2 bytes). Printable ASCII is copied
 * by the loop here (the common case: group, member and topic names); from the first byte that is
 * not, json-bytes.ts's escaper takes over; text that is not valid UTF-8 is decoded with
 * replacement characters as Buffer.toString does.
 */
function str(dst: Uint8Array, d: number, src: Uint8Array, s: number, e: number): number {
  dst[d] = 0x22;
  let o = d + 1;
  let i = s;
  for (; i < e; i++) {
    const c = src[i]!;
    if (c < 0x20 || c >= 0x80 || c === 0x22 || c === 0x5c) break;
    dst[o++] = c;
  }
  if (i < e) {
    o = escapeJsonBody(src, i, e, dst, o);
    if (o < 0) return utf8(dst, d, src, s, e);
  }
  dst[o] = 0x22;
  return o + 1;
}

/** str() of text that is not valid UTF-8 (rare: its own function, out of the hot one). */
function utf8(dst: Uint8Array, d: number, src: Uint8Array, s: number, e: number): number {
  const t = Buffer.from(JSON.stringify(Buffer.from(src.buffer, src.byteOffset + s, e - s).toString('utf8')), 'utf8');
  dst.set(t, d);
  return d + t.length;
}

// ---------------------------------------------------------------- programs and their interpreter

/** Where a read stopped: the position after the last struct, field or value written. */
let P = 0;

/** Constants longer than this are copied natively (TypedArray set: no allocation), shorter ones by a loop. */
const PUT_LOOP = 16;
/** Constant bytes at dst[d] (-1: no room). */
function put(dst: Uint8Array, d: number, cap: number, b: Uint8Array): number {
  const n = b.length;
  if (d + n > cap) return -1;
  if (n > PUT_LOOP) dst.set(b, d);
  else for (let i = 0; i < n; i++) dst[d + i] = b[i]!;
  return d + n;
}

/** A flexible version's unsigned varint length or count, minus one (null: -1), or -2 when it does not read; P: after it. */
function flexLength(src: Uint8Array, p: number, end: number): number {
  const n = uv(src, p, end);
  if (n < 0) return -2;
  P = H.np;
  return n - 1;
}

/** Skip a tagged-field section (unknown tags are not printed): the position after it, or -1. */
function skipTags(src: Uint8Array, p: number, end: number): number {
  let c = uv(src, p, end);
  if (c < 0) return -1;
  p = H.np;
  for (; c > 0; c--) {
    if (uv(src, p, end) < 0) return -1;
    const z = uv(src, H.np, end);
    if (z < 0) return -1;
    p = H.np;
    if (z > end - p) return -1;
    p += z;
  }
  return p;
}

/** The JSON object of a struct at src[p, end) into dst[d, cap): the new end or -1; P: the position after it. */
function writeStruct(st: StructOp, src: Uint8Array, p: number, end: number, dst: Uint8Array, d: number, cap: number): number {
  if (st.taggedCount > 0) return writeTaggedStruct(st, src, p, end, dst, d, cap);
  const fields = st.fields;
  if (fields.length === 0) {
    if (d + 1 > cap) return -1;
    dst[d++] = 0x7b;
  }
  for (let i = 0; i < fields.length; i++) {
    const f = fields[i]!;
    d = put(dst, d, cap, f.key);
    if (d < 0) return -1;
    d = writeField(f, false, src, p, end, dst, d, cap);
    if (d < 0) return -1;
    p = P;
  }
  if (st.flexible) {
    p = skipTags(src, p, end);
    if (p < 0) return -1;
  }
  if (d + 1 > cap) return -1;
  dst[d++] = 0x7d;
  P = p;
  return d;
}

/**
 * A struct with tagged fields in this version. The regular fields come first on the wire, the tag
 * section after them; the JSON members are in spec order. A first pass skips the regular fields
 * (skipField: lengths and counts only) to find the tag section, which says where each known tag's
 * value is (a tag given twice is left to the object path); then the members are written in spec
 * order, every value checked as it is written: a tagged value is kept when its text is not its
 * default's (JsonConverter).
 */
function writeTaggedStruct(st: StructOp, src: Uint8Array, p: number, end: number, dst: Uint8Array, d: number, cap: number): number {
  const fields = st.fields;
  const start = p;
  for (let i = 0; i < fields.length; i++) {
    const f = fields[i]!;
    if (f.tagged >= 0) continue;
    p = skipField(f, src, p, end);
    if (p < 0) return -1;
  }
  const at = st.at;
  at.fill(-1);
  let c = uv(src, p, end);
  if (c < 0) return -1;
  p = H.np;
  for (; c > 0; c--) {
    const tag = uv(src, p, end);
    if (tag < 0) return -1;
    const z = uv(src, H.np, end);
    if (z < 0) return -1;
    p = H.np;
    if (z > end - p) return -1;
    for (let i = 0; i < fields.length; i++) {
      const f = fields[i]!;
      if (f.tagged < 0 || f.tag !== tag) continue;
      if (at[2 * f.tagged]! >= 0) return -1;
      at[2 * f.tagged] = p;
      at[2 * f.tagged + 1] = p + z;
    }
    p += z;
  }
  const after = p;
  if (d + 1 > cap) return -1;
  dst[d++] = 0x7b;
  p = start;
  let first = true;
  for (let i = 0; i < fields.length; i++) {
    const f = fields[i]!;
    const k0 = d;
    let s = p;
    let e = end;
    if (f.tagged >= 0) {
      s = at[2 * f.tagged]!;
      e = at[2 * f.tagged + 1]!;
      if (s < 0) continue;
    }
    if (!first) {
      if (d + 1 > cap) return -1;
      dst[d++] = 0x2c;
    }
    d = put(dst, d, cap, f.key);
    if (d < 0) return -1;
    const v0 = d;
    d = writeField(f, f.tagged >= 0, src, s, e, dst, d, cap);
    if (d < 0) return -1;
    if (f.tagged < 0) p = P;
    else {
      if (P !== e) return -1;
      if (same(dst, v0, d, f.def!)) {
        d = k0;
        continue;
      }
    }
    first = false;
  }
  if (d + 1 > cap) return -1;
  dst[d++] = 0x7d;
  P = after;
  return d;
}

/**
 * An array member's element count at src[p]: a flexible version's unsigned varint + 1, else an
 * int32; -1 for null; below -1 when it does not read or is no count (an int32 below -1). P: after it.
 */
function arrayCount(f: FieldOp, src: Uint8Array, p: number, end: number): number {
  if (f.flexible) return flexLength(src, p, end);
  if (p + 4 > end) return -2;
  P = p + 4;
  return (src[p]! << 24) | (src[p + 1]! << 16) | (src[p + 2]! << 8) | src[p + 3]!;
}

/**
 * The position after a member's bytes at src[p, end), or -1 when they do not fit (the checks that
 * do not move the position, such as UTF-8 and presence markers, are writeField's: it reads the same
 * bytes again).
 */
function skipField(f: FieldOp, src: Uint8Array, p: number, end: number): number {
  let n = 1;
  if (f.array) {
    n = arrayCount(f, src, p, end);
    if (n < -1) return -1;
    p = P;
    if (n > end - p && (f.kind !== STRUCT || f.flexible || n > 1 << 20)) return -1;
  }
  const kind = f.kind;
  for (let j = 0; j < n; j++) {
    if (kind < STRING) {
      p += kind === BOOL || kind === INT8 ? 1 : kind <= UINT16 ? 2 : kind <= UINT32 ? 4 : kind <= FLOAT64 ? 8 : 16;
      if (p > end) return -1;
    } else if (kind === STRUCT) {
      const st = f.struct!;
      if (!f.array && f.nullable) {
        if (p + 1 > end) return -1;
        if (src[p++]! >= 128) continue;
      }
      for (const g of st.fields) {
        if (g.tagged >= 0) continue;
        p = skipField(g, src, p, end);
        if (p < 0) return -1;
      }
      if (st.flexible) p = skipTags(src, p, end);
      if (p < 0) return -1;
    } else {
      let len: number;
      if (f.flexible) {
        len = flexLength(src, p, end);
        if (len < -1) return -1;
        p = P;
      } else if (kind === STRING) {
        if (p + 2 > end) return -1;
        len = ((src[p]! << 24) >> 16) | src[p + 1]!;
        p += 2;
      } else {
        if (p + 4 > end) return -1;
        len = (src[p]! << 24) | (src[p + 1]! << 16) | (src[p + 2]! << 8) | src[p + 3]!;
        p += 4;
      }
      if (len > end - p) return -1;
      if (len > 0) p += len;
    }
  }
  return p;
}

/** Whether dst[s, e) holds the bytes `b`. */
function same(dst: Uint8Array, s: number, e: number, b: Uint8Array): boolean {
  if (e - s !== b.length) return false;
  for (let i = 0; i < b.length; i++) if (dst[s + i] !== b[i]) return false;
  return true;
}

/** A member's value (an array, or one value); `tagged`: read from its tagged-field bytes. */
function writeField(f: FieldOp, tagged: boolean, src: Uint8Array, p: number, end: number, dst: Uint8Array, d: number, cap: number): number {
  if (!f.array) return writeValue(f, f.nullable, false, tagged, src, p, end, dst, d, cap);
  const n = arrayCount(f, src, p, end);
  if (n < -1) return -1;
  p = P;
  if (n < 0) {
    if (!f.nullable || d + 4 > cap) return -1;
    P = p;
    return nul(dst, d);
  }
  // every element takes at least one byte (codec.ts: a count beyond the bytes left is corrupt)
  if (f.kind !== STRUCT || f.flexible) {
    if (n > end - p) return -1;
  } else if (n > end - p && n > 1 << 20) return -1;
  if (d + 1 > cap) return -1;
  dst[d++] = 0x5b;
  for (let j = 0; j < n; j++) {
    if (j > 0) {
      if (d + 1 > cap) return -1;
      dst[d++] = 0x2c;
    }
    d = f.kind === STRUCT ? writeStruct(f.struct!, src, p, end, dst, d, cap) : writeValue(f, false, true, false, src, p, end, dst, d, cap);
    if (d < 0) return -1;
    p = P;
  }
  if (d + 1 > cap) return -1;
  dst[d++] = 0x5d;
  P = p;
  return d;
}

function nul(dst: Uint8Array, d: number): number {
  dst[d] = 0x6e;
  dst[d + 1] = 0x75;
  dst[d + 2] = 0x6c;
  dst[d + 3] = 0x6c;
  return d + 4;
}

/** One value (an array element when `element`). */
function writeValue(f: FieldOp, nullable: boolean, element: boolean, tagged: boolean, src: Uint8Array, p: number, end: number, dst: Uint8Array, d: number, cap: number): number {
  const kind = f.kind;
  if (kind < STRING) {
    // fixed size: at most 24 bytes of text
    const size = kind === BOOL || kind === INT8 ? 1 : kind <= UINT16 ? 2 : kind <= UINT32 ? 4 : kind <= FLOAT64 ? 8 : 16;
    if (p + size > end || d + 24 > cap) return -1;
    switch (kind) {
      case BOOL:
        if (src[p] !== 0) {
          dst[d] = 0x74;
          dst[d + 1] = 0x72;
          dst[d + 2] = 0x75;
          dst[d + 3] = 0x65;
          d += 4;
        } else {
          dst[d] = 0x66;
          dst[d + 1] = 0x61;
          dst[d + 2] = 0x6c;
          dst[d + 3] = 0x73;
          dst[d + 4] = 0x65;
          d += 5;
        }
        break;
      case INT8:
        d = i32(dst, d, (src[p]! << 24) >> 24);
        break;
      case INT16:
        d = i32(dst, d, ((src[p]! << 24) >> 16) | src[p + 1]!);
        break;
      case UINT16:
        d = writeUint31(dst, d, (src[p]! << 8) | src[p + 1]!);
        break;
      case INT32:
        d = i32(dst, d, (src[p]! << 24) | (src[p + 1]! << 16) | (src[p + 2]! << 8) | src[p + 3]!);
        break;
      case UINT32:
        d = writeUint31(dst, d, ((src[p]! << 24) | (src[p + 1]! << 16) | (src[p + 2]! << 8) | src[p + 3]!) >>> 0);
        break;
      case INT64:
        d = int64(dst, d, src, p);
        break;
      case FLOAT64:
        d = f64(dst, d, src, p);
        break;
      default:
        d = uuid(dst, d, src, p);
    }
    P = p + size;
    return d;
  }
  if (kind === STRUCT) {
    if (!element && nullable) {
      // presence marker: int8 -1 = null, 1 = present; tagged: unsigned varint 0 = null, else present
      if (p + 1 > end) return -1;
      if (tagged ? src[p] === 0 : src[p]! >= 128) {
        if (d + 4 > cap) return -1;
        P = p + 1;
        return nul(dst, d);
      }
      if (tagged) {
        if (uv(src, p, end) < 0) return -1;
        p = H.np;
      } else {
        if (src[p] !== 1) return -1;
        p++;
      }
    }
    return writeStruct(f.struct!, src, p, end, dst, d, cap);
  }
  // string, bytes, records
  const isString = kind === STRING;
  let n: number;
  if (f.flexible) {
    n = flexLength(src, p, end);
    if (n < -1) return -1;
    p = P;
  } else if (isString) {
    if (p + 2 > end) return -1;
    n = ((src[p]! << 24) >> 16) | src[p + 1]!;
    p += 2;
  } else {
    if (p + 4 > end) return -1;
    n = (src[p]! << 24) | (src[p + 1]! << 16) | (src[p + 2]! << 8) | src[p + 3]!;
    p += 4;
  }
  if (n < 0) {
    // (a null string element is refused, as codec.ts refuses it)
    if (!nullable || (isString && element) || n < -1 || d + 4 > cap) return -1;
    P = p;
    return nul(dst, d);
  }
  if (n > end - p) return -1;
  if (isString) {
    if (n > 32767 || d + 6 * n + 2 > cap) return -1;
    d = str(dst, d, src, p, p + n);
  } else {
    if (d + 4 * (((n + 2) / 3) | 0) + 2 > cap) return -1;
    d = b64(dst, d, src, p, p + n);
  }
  P = p + n;
  return d;
}

/** The writer of `{"type":NAME,"version":V,"data":{…}}` for a message schema at a version. */
export function compilePartWriter(schema: MessageSchema, version: number, typeName = schema.name): PartWriter {
  const st = messageOp(schema, version);
  const head = Buffer.from(partHead(typeName, version), 'utf8');
  return (src, p, end, dst, d, cap) => {
    d = put(dst, d, cap, head);
    if (d < 0) return -1;
    d = writeStruct(st, src, p, end, dst, d, cap);
    if (d < 0 || P !== end || d + 1 > cap) return -1;
    dst[d] = 0x7d;
    return d + 1;
  };
}

function writeRecord(r: RecordOp, src: Uint8Array, ks: number, ke: number, vs: number, ve: number, dst: Uint8Array, d: number, cap: number): number {
  d = put(dst, d, cap, r.a);
  if (d < 0) return -1;
  if (r.key !== null) {
    d = writeStruct(r.key, src, ks + 2, ke, dst, d, cap);
    if (d < 0 || P !== ke) return -1;
    d = put(dst, d, cap, r.b);
    if (d < 0) return -1;
  }
  if (r.value !== null) {
    d = writeStruct(r.value, src, vs + r.skip, ve, dst, d, cap);
    if (d < 0 || P !== ve) return -1;
    d = put(dst, d, cap, r.c);
  }
  return d;
}
// ---------------------------------------------------------------- dispatch

/**
 * `,"decoded":{"key":K,"value":V}` for a record of an internal topic's data batch, its key at
 * src[ks, ke) and value at src[vs, ve) (start -1: null), into dst[d, cap): the new end, or -1 when
 * the record is left to the object path (see the module comment). Control batches are not handled.
 */
export type DecodedRecordWriter = (src: Uint8Array, ks: number, ke: number, vs: number, ve: number, dst: Buffer, d: number, cap: number) => number;

/** Records of (type or apiKey, value version) below these bounds are looked up in a flat array; others in a map. */
const IDS = 256;
const VERSIONS = 63;
/** Per decoder: slot (id * 64 + version + 1, version -1 = tombstone) → record program; undefined: not built yet; null: left to the object path. */
const TABLES = new Map<InternalDecoder, (RecordOp | null | undefined)[]>();
const OTHERS = new Map<string, RecordOp | null>();

function lookup(decoder: InternalDecoder, table: (RecordOp | null | undefined)[], id: number, version: number): RecordOp | null {
  if (id >= 0 && id < IDS && version < VERSIONS) {
    const slot = id * 64 + version + 1;
    let r = table[slot];
    if (r === undefined) table[slot] = r = recordOpFor(decoder, id, version);
    return r;
  }
  if (id < 0 || id > 4096 || version > 4096) return null;
  const k = `${decoder}/${id}/${version}`;
  let r = OTHERS.get(k);
  if (r === undefined) OTHERS.set(k, (r = recordOpFor(decoder, id, version)));
  return r;
}

/** writeDecodedRecordJson for one decoder, its table looked up once. */
export function decodedRecordWriter(decoder: InternalDecoder): DecodedRecordWriter {
  let table = TABLES.get(decoder);
  if (table === undefined) TABLES.set(decoder, (table = new Array<RecordOp | null | undefined>(IDS * 64).fill(undefined)));
  const t = table;
  if (decoder === 'cluster-metadata' || decoder === 'remote-log-metadata') {
    // no key; value: unsigned varints frame version, apiKey, version (one byte each here), then the struct
    return (src, ks, ke, vs, ve, dst, d, cap) => {
      let r: RecordOp | null;
      if (vs < 0) r = lookup(decoder, t, 0, -1);
      else {
        if (vs + 3 > ve || src[vs] !== FRAME_VERSION || src[vs + 1]! >= 128 || src[vs + 2]! >= 128) return -1;
        r = lookup(decoder, t, src[vs + 1]!, src[vs + 2]!);
      }
      return r === null ? -1 : writeRecord(r, src, ks, ke, vs, ve, dst, d, cap);
    };
  }
  // coordinator topics: key = int16 record type + key struct (v0); value = int16 version + value struct
  return (src, ks, ke, vs, ve, dst, d, cap) => {
    if (ks < 0 || ke - ks < 2) return -1;
    const id = ((src[ks]! << 24) >> 16) | src[ks + 1]!;
    let version = -1;
    if (vs >= 0) {
      if (ve - vs < 2) return -1;
      version = ((src[vs]! << 24) >> 16) | src[vs + 1]!;
      if (version < 0) return -1;
    }
    let r: RecordOp | null | undefined;
    if (id >= 0 && id < IDS && version < VERSIONS) {
      r = t[id * 64 + version + 1];
      if (r === undefined) r = lookup(decoder, t, id, version);
    } else r = lookup(decoder, t, id, version);
    return r === null ? -1 : writeRecord(r, src, ks, ke, vs, ve, dst, d, cap);
  };
}

export function writeDecodedRecordJson(decoder: InternalDecoder, src: Uint8Array, ks: number, ke: number, vs: number, ve: number, dst: Buffer, d: number, cap: number): number {
  return decodedRecordWriter(decoder)(src, ks, ke, vs, ve, dst, d, cap);
}
