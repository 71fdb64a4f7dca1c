import { inRange, type FieldSchema, type FieldType, type MessageSchema } from './schema.js';
import { defaultOf, internalJson, isFlexible, supports } from './codec.js';
import { schemaFor, type InternalDecoder } from './internal.js';

/**
 * The programs of the decoded-member writers: each (message schema, version) turned once, at first
 * use, into a StructOp (its members in spec order, each with its `"name":` key as constant bytes,
 * nested structs as their own StructOp), and per (record type, version) one RecordOp: the framing as
 * three constant byte runs around the key's and the value's struct. Two interpreters run them:
 * json-writer.ts (JavaScript, every rule) and src/cli/json-escape.wat's `drec` (WebAssembly, the
 * common shapes), which reads them as laid out in its memory by programBytes() below.
 */

// Value kinds of a FieldOp.
export const BOOL = 0;
export const INT8 = 1;
export const INT16 = 2;
export const UINT16 = 3;
export const INT32 = 4;
export const UINT32 = 5;
export const INT64 = 6;
export const FLOAT64 = 7;
export const UUID = 8;
export const STRING = 9;
export const BYTES = 10;
export const STRUCT = 11;
const KINDS: Record<FieldType, number> = {
  bool: BOOL,
  int8: INT8,
  int16: INT16,
  uint16: UINT16,
  int32: INT32,
  uint32: UINT32,
  int64: INT64,
  float64: FLOAT64,
  uuid: UUID,
  string: STRING,
  bytes: BYTES,
  records: BYTES,
  struct: STRUCT,
};

/** One member of a struct at one version. */
export class FieldOp {
  constructor(
    /** Bytes before the value: `{"name":` (first member) or `,"name":`; `"name":` in a struct with tagged fields (commas are written as members come). */
    readonly key: Buffer,
    readonly kind: number,
    readonly array: boolean,
    readonly nullable: boolean,
    /** Lengths and counts are unsigned varints + 1 (a flexible version), else int16 (strings) or int32. */
    readonly flexible: boolean,
    readonly struct: StructOp | null,
    /** Tagged in this version: its place among the struct's tagged fields, its tag, its default's JSON text (dropped when equal); else -1. */
    readonly tagged: number,
    readonly tag: number,
    readonly def: Buffer | null,
  ) {}
}

/** A struct at one version: its members in spec order. */
export class StructOp {
  /** Per tagged field: where its value is (start, end; -1: absent), filled per struct read. */
  readonly at: Int32Array;
  constructor(
    readonly fields: readonly FieldOp[],
    readonly flexible: boolean,
    /** How many fields are tagged in this version (then the members are written in a second pass). */
    readonly taggedCount: number,
  ) {
    this.at = new Int32Array(2 * taggedCount);
  }
}

export function structOp(fields: readonly FieldSchema[], version: number, flexible: boolean): StructOp {
  const present = fields.filter((f) => inRange(f.versions, version));
  const tagged = flexible ? present.filter((f) => inRange(f.taggedVersions, version)) : [];
  const ops = present.map((f, i) => {
    const t = tagged.indexOf(f);
    const name = JSON.stringify(f.name) + ':';
    const key = Buffer.from(tagged.length > 0 ? name : (i === 0 ? '{' : ',') + name, 'utf8');
    const sub = f.type === 'struct' ? structOp(f.fields ?? [], version, flexible) : null;
    const def = t < 0 ? null : Buffer.from(internalJson(defaultOf(f, { version, flexible: true })), 'utf8');
    return new FieldOp(key, KINDS[f.type], f.array === true, inRange(f.nullableVersions, version), flexible, sub, t, t < 0 ? -1 : f.tag!, def);
  });
  return new StructOp(ops, flexible, tagged.length);
}

/** The structs of message schemas by version, built once. */
const STRUCTS = new Map<MessageSchema, StructOp[]>();

export function messageOp(schema: MessageSchema, version: number): StructOp {
  let byVersion = STRUCTS.get(schema);
  if (byVersion === undefined) STRUCTS.set(schema, (byVersion = []));
  return (byVersion[version] ??= structOp(schema.fields, version, isFlexible(schema, version)));
}

export const partHead = (typeName: string, version: number): string => `{"type":${JSON.stringify(typeName)},"version":${version},"data":`;

/**
 * A record: `,"decoded":{"key":K,"value":V}` from its key at src[ks, ke) and value at src[vs, ve),
 * for one combination of key and value schema and version: constant bytes a, the key's struct,
 * constant bytes b, the value's struct, constant bytes c.
 * - coordinator topics: key = int16 type + key struct v0; value = int16 version + value struct, or
 *   null (value === null: a tombstone).
 * - API-framed topics (key === null): no key; value = varints frame version, apiKey, version (one
 *   byte each: the dispatcher checks them) + struct.
 */
export class RecordOp {
  readonly a: Buffer;
  readonly b: Buffer;
  readonly c: Buffer;
  readonly key: StructOp | null;
  readonly value: StructOp | null;
  /** Bytes of the value before its struct. */
  readonly skip: number;
  constructor(key: MessageSchema | null, value: MessageSchema | null, version: number) {
    this.key = key === null ? null : messageOp(key, 0);
    this.value = value === null ? null : messageOp(value, version);
    const valueHead = value === null ? 'null}' : partHead(value.name, version);
    if (key !== null) {
      this.a = Buffer.from(',"decoded":{"key":' + partHead(key.name, 0), 'utf8');
      this.b = Buffer.from('},"value":' + valueHead, 'utf8');
      this.skip = 2;
    } else {
      this.a = Buffer.from(',"decoded":{"key":null,"value":' + valueHead, 'utf8');
      this.b = Buffer.alloc(0);
      this.skip = 3;
    }
    this.c = Buffer.from(value === null ? '' : '}}', 'utf8');
  }
}

export function recordOpFor(decoder: InternalDecoder, id: number, version: number): RecordOp | null {
  if (decoder === 'cluster-metadata' || decoder === 'remote-log-metadata') {
    if (version < 0) return new RecordOp(null, null, -1);
    const schema = schemaFor(decoder, 'metadata', id);
    return schema === undefined || !supports(schema, version) ? null : new RecordOp(null, schema, version);
  }
  const key = schemaFor(decoder, 'coordinator-key', id);
  if (key === undefined || !supports(key, 0)) return null;
  if (version < 0) return new RecordOp(key, null, -1);
  const value = schemaFor(decoder, 'coordinator-value', id);
  return value === undefined || !supports(value, version) ? null : new RecordOp(key, value, version);
}

/**
 * A record program as json-escape.wat's `drec` reads it, laid out for the address `base` (a multiple
 * of 4): six little-endian u32 (a, key struct or 0, b, value struct or 0, c, the value's bytes before
 * its struct), the templates (u32 length + bytes), and the structs: u32 member count, u32 flags
 * (1: a flexible version; 2: its tagged members, if any, come after the others in spec order, so the
 * members can be written in wire order), then 24 bytes per member (kind, array, nullable, flexible as
 * u8; u32 tag + 1 when tagged in this version, else 0; the addresses of its `"name":` template, of
 * its struct, and of its default's JSON text when tagged; u32 0). 16 bytes of padding at the end:
 * the wasm copies templates in 16-byte blocks.
 */
export function programBytes(r: RecordOp, base: number): Buffer {
  const parts: Buffer[] = [];
  let size = 24;
  const place = (b: Buffer): number => {
    const at = base + size;
    const padded = Buffer.alloc((b.length + 3) & ~3);
    b.copy(padded);
    parts.push(padded);
    size += padded.length;
    return at;
  };
  const template = (bytes: Buffer): number => {
    const b = Buffer.alloc(4 + bytes.length);
    b.writeUInt32LE(bytes.length, 0);
    bytes.copy(b, 4);
    return place(b);
  };
  const placed = new Map<StructOp, number>();
  const struct = (st: StructOp): number => {
    const known = placed.get(st);
    if (known !== undefined) return known;
    const fields = st.fields;
    // nested structs and keys first: the member table holds their addresses
    const subs = fields.map((f) => (f.struct === null ? 0 : struct(f.struct)));
    const keys = fields.map((f) => template(st.taggedCount > 0 ? f.key : f.key.subarray(1)));
    const defs = fields.map((f) => (f.def === null ? 0 : template(f.def)));
    const firstTagged = fields.findIndex((f) => f.tagged >= 0);
    const taggedLast = firstTagged < 0 || fields.slice(firstTagged).every((f) => f.tagged >= 0);
    const b = Buffer.alloc(8 + 24 * fields.length);
    b.writeUInt32LE(fields.length, 0);
    b.writeUInt32LE((st.flexible ? 1 : 0) | (taggedLast ? 2 : 0), 4);
    fields.forEach((f, i) => {
      const o = 8 + 24 * i;
      b[o] = f.kind;
      b[o + 1] = f.array ? 1 : 0;
      b[o + 2] = f.nullable ? 1 : 0;
      b[o + 3] = f.flexible ? 1 : 0;
      b.writeUInt32LE(f.tagged >= 0 ? f.tag + 1 : 0, o + 4);
      b.writeUInt32LE(keys[i]!, o + 8);
      b.writeUInt32LE(subs[i]!, o + 12);
      b.writeUInt32LE(defs[i]!, o + 16);
    });
    const at = place(b);
    placed.set(st, at);
    return at;
  };
  const head = Buffer.alloc(24);
  head.writeUInt32LE(template(r.a), 0);
  head.writeUInt32LE(r.key === null ? 0 : struct(r.key), 4);
  head.writeUInt32LE(template(r.b), 8);
  head.writeUInt32LE(r.value === null ? 0 : struct(r.value), 12);
  head.writeUInt32LE(template(r.c), 16);
  head.writeUInt32LE(r.skip, 20);
  return Buffer.concat([head, ...parts, Buffer.alloc(16)]);
}
