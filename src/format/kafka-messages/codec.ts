import { CorruptDataError } from '../errors.js';
import { inRange, type FieldSchema, type MessageSchema } from './schema.js';

/**
 * One generic reader and one generic writer for Kafka's generated-message wire rules, driven by
 * the schema table (no code per record type). Values are JSON-ready, exactly as Kafka's generated
 * JsonConverter writes them:
 * - int8/int16/uint16/int32/uint32/float64: number; int64: number, or bigint beyond 2^53
 *   (printed as exact digits by `internalJson`); bool: boolean;
 * - uuid: Kafka's Uuid.toString (URL-safe base64 of the 16 bytes, no padding);
 * - string: string | null; bytes/records: standard base64 | null;
 * - arrays: JSON arrays | null; structs: objects with the fields present in that version, in spec
 *   order; a tagged field only when it is not its default; unknown tags are skipped.
 *
 * Wire rules (Kafka's MessageDataGenerator): in a flexible version strings, bytes and arrays are
 * "compact" (unsigned varint length + 1, 0 = null) and every struct ends with a tagged-field section
 * (unsigned varint count, then tag, size, value per field); otherwise strings have an int16 length,
 * bytes and arrays an int32 length, -1 = null. A nullable struct has an int8 presence marker
 * (-1 null, 1 present); a tagged one an unsigned varint (0 null, 1 present). Every read is bounds
 * checked first; a violation is a CorruptDataError with the byte position.
 */

const UUID_ZERO = 'AAAAAAAAAAAAAAAAAAAAAA';
const TWO_53 = 2n ** 53n;

export class MessageReader {
  pos: number;
  /** Where the reader is (struct and field names), joined into error messages only. */
  private readonly path: string[] = [];
  constructor(
    readonly buf: Buffer,
    start = 0,
    public end = buf.length,
    /** Added to positions in error messages (e.g. the value's position in the file). */
    readonly base = 0,
  ) {
    this.pos = start;
  }

  enter(name: string): void {
    this.path.push(name);
  }
  leave(): void {
    this.path.pop();
  }

  fail(what: string, at = this.pos): never {
    const where = this.path.length ? `${this.path.join('.')}: ` : '';
    throw new CorruptDataError('BAD_MESSAGE', `${where}${what} at byte ${this.base + at}`, { position: this.base + at });
  }

  need(n: number, what: string): void {
    if (n < 0 || this.pos + n > this.end) this.fail(`${what} needs ${n} bytes, ${this.end - this.pos} left`);
  }

  int8(): number {
    this.need(1, 'int8');
    return this.buf.readInt8(this.pos++);
  }
  int16(): number {
    this.need(2, 'int16');
    const v = this.buf.readInt16BE(this.pos);
    this.pos += 2;
    return v;
  }
  uint16(): number {
    this.need(2, 'uint16');
    const v = this.buf.readUInt16BE(this.pos);
    this.pos += 2;
    return v;
  }
  int32(): number {
    this.need(4, 'int32');
    const v = this.buf.readInt32BE(this.pos);
    this.pos += 4;
    return v;
  }
  uint32(): number {
    this.need(4, 'uint32');
    const v = this.buf.readUInt32BE(this.pos);
    this.pos += 4;
    return v;
  }
  int64(): number | bigint {
    this.need(8, 'int64');
    const b = this.buf;
    const p = this.pos;
    this.pos += 8;
    const hi = b.readInt32BE(p);
    // |value| < 2^53: exact as a number; beyond: bigint (printed as exact digits)
    if (hi >= -0x200000 && hi < 0x200000) return hi * 4294967296 + b.readUInt32BE(p + 4);
    return b.readBigInt64BE(p);
  }
  float64(): number {
    this.need(8, 'float64');
    const v = this.buf.readDoubleBE(this.pos);
    this.pos += 8;
    return v;
  }
  uuid(): string {
    this.need(16, 'uuid');
    const s = this.buf.toString('base64url', this.pos, this.pos + 16);
    this.pos += 16;
    return s;
  }
  /** Unsigned varint, at most 5 bytes, as Kafka's ByteUtils.readUnsignedVarint. */
  uvarint(what: string): number {
    const start = this.pos;
    let v = 0;
    for (let i = 0; i < 5; i++) {
      if (this.pos >= this.end) this.fail(`${what} ends early`, start);
      const b = this.buf[this.pos++]!;
      v += (b & 0x7f) * 2 ** (7 * i);
      if ((b & 0x80) === 0) {
        if (v > 0xffffffff) this.fail(`${what} is too large`, start);
        return v;
      }
    }
    this.fail(`${what} is longer than 5 bytes`, start);
  }
  /** The next n bytes as a string in an encoding (bounds checked). */
  text(n: number, what: string, enc: 'utf8' | 'base64'): string {
    this.need(n, what);
    const s = this.buf.toString(enc, this.pos, this.pos + n);
    this.pos += n;
    return s;
  }
}

export interface StructContext {
  version: number;
  flexible: boolean;
}

/** Decode one struct at r.pos (advancing it). */
export function readStruct(r: MessageReader, fields: readonly FieldSchema[], ctx: StructContext, what: string): Record<string, unknown> {
  r.enter(what);
  const out: Record<string, unknown> = {};
  let tagged: FieldSchema[] | null = null;
  const v = ctx.version;
  for (let i = 0; i < fields.length; i++) {
    const f = fields[i]!;
    const fv = f.versions;
    if (fv === null || v < fv[0] || v > fv[1]) continue;
    if (ctx.flexible && inRange(f.taggedVersions, v)) {
      (tagged ??= []).push(f);
      out[f.name] = undefined; // keeps spec order when the tag is present
      continue;
    }
    r.enter(f.name);
    out[f.name] = readField(r, f, ctx, false);
    r.leave();
  }
  if (ctx.flexible) {
    const n = r.uvarint('tagged field count');
    for (let i = 0; i < n; i++) {
      const tag = r.uvarint('tag');
      const size = r.uvarint('tagged field size');
      r.need(size, `tagged field ${tag}`);
      const f = tagged?.find((t) => t.tag === tag);
      if (!f) {
        r.pos += size; // an unknown tag: JsonConverter does not print it
        continue;
      }
      const end = r.pos + size;
      const saveEnd = r.end;
      r.end = end;
      r.enter(f.name);
      out[f.name] = readField(r, f, ctx, true);
      if (r.pos !== end) r.fail(`tagged field ${tag} declares ${size} bytes but its value used ${size - (end - r.pos)}`);
      r.leave();
      r.end = saveEnd;
    }
    // JsonConverter prints a tagged field only when it differs from its default.
    if (tagged) for (const f of tagged) if (out[f.name] === undefined || isDefault(out[f.name], f, ctx)) delete out[f.name];
  }
  r.leave();
  return out;
}

export function nullable(f: FieldSchema, v: number): boolean {
  return inRange(f.nullableVersions, v);
}

function readField(r: MessageReader, f: FieldSchema, ctx: StructContext, tagged: boolean): unknown {
  if (f.array) {
    const start = r.pos;
    let n: number;
    if (ctx.flexible) n = r.uvarint('array length') - 1;
    else n = r.int32();
    if (n < 0) {
      if (n < -1 || !nullable(f, ctx.version)) r.fail(n < -1 ? `negative array length ${n}` : 'null array in a non-nullable field', start);
      return null;
    }
    // Every element takes at least one byte: a count beyond the bytes left is corrupt, not a reason to allocate.
    if (n > r.end - r.pos && (f.type !== 'struct' || ctx.flexible || n > 1 << 20)) r.fail(`array of ${n} elements in ${r.end - r.pos} bytes`, start);
    const out: unknown[] = new Array(n);
    for (let i = 0; i < n; i++) out[i] = readOne(r, f, ctx, false);
    return out;
  }
  return readOne(r, f, ctx, tagged);
}

function readOne(r: MessageReader, f: FieldSchema, ctx: StructContext, tagged: boolean): unknown {
  switch (f.type) {
    case 'bool':
      return r.int8() !== 0;
    case 'int8':
      return r.int8();
    case 'int16':
      return r.int16();
    case 'uint16':
      return r.uint16();
    case 'int32':
      return r.int32();
    case 'uint32':
      return r.uint32();
    case 'int64':
      return r.int64();
    case 'float64':
      return r.float64();
    case 'uuid':
      return r.uuid();
    case 'string': {
      const start = r.pos;
      const n = ctx.flexible ? r.uvarint('string length') - 1 : r.int16();
      if (n < 0) {
        if (n < -1 || !nullable(f, ctx.version) || f.array) r.fail(n < -1 ? `negative string length ${n}` : 'null in a non-nullable string', start);
        return null;
      }
      if (n > 0x7fff) r.fail(`string length ${n} is longer than the maximum 32767`, start);
      return r.text(n, 'string', 'utf8');
    }
    case 'bytes':
    case 'records': {
      const start = r.pos;
      const n = ctx.flexible ? r.uvarint('bytes length') - 1 : r.int32();
      if (n < 0) {
        if (n < -1 || !nullable(f, ctx.version)) r.fail(n < -1 ? `negative bytes length ${n}` : 'null in non-nullable bytes', start);
        return null;
      }
      return r.text(n, 'bytes', 'base64');
    }
    case 'struct': {
      if (!f.array && nullable(f, ctx.version)) {
        const start = r.pos;
        const marker = tagged ? r.uvarint('presence') : r.int8();
        if (tagged ? marker <= 0 : marker < 0) return null;
        if (!tagged && marker !== 1) r.fail(`struct presence byte ${marker} (expected -1 or 1)`, start);
      }
      return readStruct(r, f.fields ?? [], ctx, f.structName ?? f.name);
    }
  }
}

/**
 * The same walk as readStruct, writing the JSON text directly (no objects): the dump's NDJSON path.
 * Tagged fields (rare) go through readField and the default check. Equal to
 * internalJson(readStruct(...)) — a property test holds the two together.
 */
export function readStructJson(r: MessageReader, fields: readonly FieldSchema[], ctx: StructContext): string {
  const plan = planOf(fields, ctx);
  if (plan !== null) return planJson(r, plan, ctx);
  let out = '{';
  let tagged: FieldSchema[] | null = null;
  const v = ctx.version;
  for (let i = 0; i < fields.length; i++) {
    const f = fields[i]!;
    const fv = f.versions;
    if (fv === null || v < fv[0] || v > fv[1]) continue;
    if (ctx.flexible && inRange(f.taggedVersions, v)) {
      (tagged ??= []).push(f);
      out += `${out.length > 1 ? ',' : ''}\u0000${f.name}\u0000`; // placeholder, filled after the tag section
      continue;
    }
    out += (out.length > 1 ? ',' : '') + keyOf(f) + jsonField(r, f, ctx);
  }
  if (ctx.flexible) {
    const values = tagged ? new Map<string, unknown>() : null;
    const n = r.uvarint('tagged field count');
    for (let i = 0; i < n; i++) {
      const tag = r.uvarint('tag');
      const size = r.uvarint('tagged field size');
      r.need(size, `tagged field ${tag}`);
      const f = tagged?.find((t) => t.tag === tag);
      if (!f) {
        r.pos += size;
        continue;
      }
      const end = r.pos + size;
      const saveEnd = r.end;
      r.end = end;
      values!.set(f.name, readField(r, f, ctx, true));
      if (r.pos !== end) r.fail(`tagged field ${tag} declares ${size} bytes but its value used ${size - (end - r.pos)}`);
      r.end = saveEnd;
    }
    if (tagged) {
      for (const f of tagged) {
        const val = values!.get(f.name);
        const hole = `\u0000${f.name}\u0000`;
        const keep = val !== undefined && !isDefault(val, f, ctx);
        const at = out.indexOf(hole);
        // drop the placeholder together with its comma
        if (!keep) out = at > 1 ? out.slice(0, at - 1) + out.slice(at + hole.length) : out.slice(0, at) + out.slice(at + hole.length + (out[at + hole.length] === ',' ? 1 : 0));
        else out = out.slice(0, at) + `${JSON.stringify(f.name)}:${internalJson(val)}` + out.slice(at + hole.length);
      }
    }
  }
  return out + '}';
}

/**
 * A struct's fields as they are on the wire in one version, compiled once per (fields, version,
 * flexible): the `"name":` keys with their commas, an integer type code, nullability. Structs with
 * tagged fields in that version are not planned (the general walk above handles them).
 */
interface Step {
  key: string;
  code: number;
  array: boolean;
  nullable: boolean;
  f: FieldSchema;
}
const T_BOOL = 0, T_INT8 = 1, T_INT16 = 2, T_UINT16 = 3, T_INT32 = 4, T_UINT32 = 5, T_INT64 = 6, T_FLOAT64 = 7, T_UUID = 8, T_STRING = 9, T_BYTES = 10, T_STRUCT = 11; // prettier-ignore
const CODES: Record<string, number> = {
  bool: T_BOOL,
  int8: T_INT8,
  int16: T_INT16,
  uint16: T_UINT16,
  int32: T_INT32,
  uint32: T_UINT32,
  int64: T_INT64,
  float64: T_FLOAT64,
  uuid: T_UUID,
  string: T_STRING,
  bytes: T_BYTES,
  records: T_BYTES,
  struct: T_STRUCT,
};
const PLANS = new WeakMap<readonly FieldSchema[], Map<number, Step[] | null>>();

// Plans hang off the fields array itself (indexed by version, flexible or not): one property load
// instead of a WeakMap and a Map lookup per struct read.
const PLAN_OF = Symbol('kseg.plans');
type Planned = { [PLAN_OF]?: (Step[] | null | undefined)[] };

function planOf(fields: readonly FieldSchema[], ctx: StructContext): Step[] | null {
  const i = ctx.flexible ? 2 * ctx.version + 1 : 2 * ctx.version;
  let plans = (fields as Planned)[PLAN_OF];
  if (plans === undefined) {
    if (!Object.isExtensible(fields)) return planOfSlow(fields, ctx);
    plans = [];
    Object.defineProperty(fields, PLAN_OF, { value: plans, enumerable: false });
  }
  const hit = i >= 0 ? plans[i] : undefined;
  if (hit !== undefined) return hit;
  const plan = planOfSlow(fields, ctx);
  if (i >= 0 && i < 1024) plans[i] = plan;
  return plan;
}

function planOfSlow(fields: readonly FieldSchema[], ctx: StructContext): Step[] | null {
  let byVersion = PLANS.get(fields);
  if (byVersion === undefined) PLANS.set(fields, (byVersion = new Map()));
  const k = ctx.flexible ? -1 - ctx.version : ctx.version;
  let plan = byVersion.get(k);
  if (plan !== undefined) return plan;
  plan = [];
  const v = ctx.version;
  for (const f of fields) {
    const fv = f.versions;
    if (fv === null || v < fv[0] || v > fv[1]) continue;
    if (ctx.flexible && inRange(f.taggedVersions, v)) {
      plan = null;
      break;
    }
    const code = CODES[f.type];
    if (code === undefined) {
      plan = null;
      break;
    }
    plan.push({ key: (plan.length > 0 ? ',' : '') + JSON.stringify(f.name) + ':', code, array: f.array === true, nullable: nullable(f, v), f });
  }
  byVersion.set(k, plan);
  return plan;
}

/** readStructJson for a planned struct (no tagged fields in this version): the same checks and text. */
function planJson(r: MessageReader, plan: Step[], ctx: StructContext): string {
  let out = '{';
  for (let i = 0; i < plan.length; i++) {
    const st = plan[i]!;
    out += st.key;
    if (st.array) {
      const start = r.pos;
      const n = ctx.flexible ? r.uvarint('array length') - 1 : r.int32();
      if (n < 0) {
        if (n < -1 || !st.nullable) r.fail(n < -1 ? `negative array length ${n}` : 'null array in a non-nullable field', start);
        out += 'null';
        continue;
      }
      if (n > r.end - r.pos && (st.code !== T_STRUCT || ctx.flexible || n > 1 << 20)) r.fail(`array of ${n} elements in ${r.end - r.pos} bytes`, start);
      out += '[';
      for (let j = 0; j < n; j++) {
        if (j > 0) out += ',';
        // array elements: a struct element has no presence marker; a null string element is refused
        out += st.code === T_STRUCT ? readStructJson(r, st.f.fields ?? [], ctx) : stepOne(r, st, ctx, true);
      }
      out += ']';
    } else out += stepOne(r, st, ctx, false);
  }
  if (ctx.flexible) {
    // No tagged fields are printed in this version: unknown tags are skipped, as in the general walk.
    const n = r.uvarint('tagged field count');
    for (let i = 0; i < n; i++) {
      const tag = r.uvarint('tag');
      const size = r.uvarint('tagged field size');
      r.need(size, `tagged field ${tag}`);
      r.pos += size;
    }
  }
  return out + '}';
}

function stepOne(r: MessageReader, st: Step, ctx: StructContext, element: boolean): string {
  switch (st.code) {
    case T_BOOL:
      return r.int8() !== 0 ? 'true' : 'false';
    case T_INT8:
      return '' + r.int8();
    case T_INT16:
      return '' + r.int16();
    case T_UINT16:
      return '' + r.uint16();
    case T_INT32:
      return '' + r.int32();
    case T_UINT32:
      return '' + r.uint32();
    case T_INT64:
      return '' + r.int64();
    case T_FLOAT64:
      return JSON.stringify(r.float64()) ?? 'null';
    case T_UUID:
      return '"' + r.uuid() + '"';
    case T_STRING: {
      const start = r.pos;
      const n = ctx.flexible ? r.uvarint('string length') - 1 : r.int16();
      if (n < 0) {
        if (n < -1 || !st.nullable || element) r.fail(n < -1 ? `negative string length ${n}` : 'null in a non-nullable string', start);
        return 'null';
      }
      if (n > 0x7fff) r.fail(`string length ${n} is longer than the maximum 32767`, start);
      r.need(n, 'string');
      const b = r.buf;
      const p = r.pos;
      const e = p + n;
      r.pos = e;
      // Printable ASCII without '"' or '\\' needs no escaping and no UTF-8 decoding.
      let plain = true;
      for (let i = p; i < e; i++) {
        const c = b[i]!;
        if (c < 0x20 || c > 0x7e || c === 0x22 || c === 0x5c) {
          plain = false;
          break;
        }
      }
      return plain ? '"' + b.toString('latin1', p, e) + '"' : JSON.stringify(b.toString('utf8', p, e));
    }
    case T_BYTES: {
      const start = r.pos;
      const n = ctx.flexible ? r.uvarint('bytes length') - 1 : r.int32();
      if (n < 0) {
        if (n < -1 || !st.nullable) r.fail(n < -1 ? `negative bytes length ${n}` : 'null in non-nullable bytes', start);
        return 'null';
      }
      return '"' + r.text(n, 'bytes', 'base64') + '"';
    }
    default: {
      // struct (not an array element)
      if (st.nullable) {
        const start = r.pos;
        const marker = r.int8();
        if (marker < 0) return 'null';
        if (marker !== 1) r.fail(`struct presence byte ${marker} (expected -1 or 1)`, start);
      }
      return readStructJson(r, st.f.fields ?? [], ctx);
    }
  }
}

const KEYS = new WeakMap<FieldSchema, string>();
/** `"name":` of a field, made once. */
function keyOf(f: FieldSchema): string {
  let k = KEYS.get(f);
  if (k === undefined) KEYS.set(f, (k = JSON.stringify(f.name) + ':'));
  return k;
}

function jsonField(r: MessageReader, f: FieldSchema, ctx: StructContext): string {
  if (f.array) {
    const start = r.pos;
    let n: number;
    if (ctx.flexible) n = r.uvarint('array length') - 1;
    else n = r.int32();
    if (n < 0) {
      if (n < -1 || !nullable(f, ctx.version)) r.fail(n < -1 ? `negative array length ${n}` : 'null array in a non-nullable field', start);
      return 'null';
    }
    if (n > r.end - r.pos && (f.type !== 'struct' || ctx.flexible || n > 1 << 20)) r.fail(`array of ${n} elements in ${r.end - r.pos} bytes`, start);
    let out = '[';
    for (let i = 0; i < n; i++) out += (i > 0 ? ',' : '') + jsonOne(r, f, ctx);
    return out + ']';
  }
  return jsonOne(r, f, ctx);
}

function jsonOne(r: MessageReader, f: FieldSchema, ctx: StructContext): string {
  switch (f.type) {
    case 'bool':
      return r.int8() !== 0 ? 'true' : 'false';
    case 'int8':
      return String(r.int8());
    case 'int16':
      return String(r.int16());
    case 'uint16':
      return String(r.uint16());
    case 'int32':
      return String(r.int32());
    case 'uint32':
      return String(r.uint32());
    case 'int64':
      return String(r.int64());
    case 'float64':
      return JSON.stringify(r.float64()) ?? 'null';
    case 'uuid':
      return `"${r.uuid()}"`;
    case 'bytes':
    case 'records': {
      const v = readOne(r, f, ctx, false);
      return v === null ? 'null' : `"${v as string}"`;
    }
    case 'string': {
      const v = readOne(r, f, ctx, false);
      return v === null ? 'null' : JSON.stringify(v);
    }
    case 'struct': {
      if (!f.array && nullable(f, ctx.version)) {
        const start = r.pos;
        const marker = r.int8();
        if (marker < 0) return 'null';
        if (marker !== 1) r.fail(`struct presence byte ${marker} (expected -1 or 1)`, start);
      }
      return readStructJson(r, f.fields ?? [], ctx);
    }
  }
}

/** decodeMessage's JSON text (same checks, same errors). */
export function decodeMessageJson(schema: MessageSchema, version: number, buf: Buffer, start = 0, end = buf.length, base = 0): string {
  const r = new MessageReader(buf, start, end, base);
  let json: string;
  try {
    json = readStructJson(r, schema.fields, { version, flexible: isFlexible(schema, version) });
  } catch (e) {
    // The fast walk keeps no path: the object walk fails at the same byte and names the field.
    if (e instanceof CorruptDataError) decodeMessage(schema, version, buf, start, end, base);
    throw e;
  }
  if (r.pos !== end) r.fail(`${schema.name} v${version}: ${end - r.pos} bytes left over after the struct`);
  return json;
}

/** The value a field has when it is not on the wire (spec default, else the type's zero). */
export function defaultOf(f: FieldSchema, ctx: StructContext): unknown {
  if (f.default !== undefined) return f.default;
  if (f.array) return [];
  switch (f.type) {
    case 'bool':
      return false;
    case 'string':
      return '';
    case 'bytes':
    case 'records':
      return '';
    case 'uuid':
      return UUID_ZERO;
    case 'struct': {
      const out: Record<string, unknown> = {};
      for (const g of f.fields ?? []) {
        if (!inRange(g.versions, ctx.version)) continue;
        const d = defaultOf(g, ctx);
        if (ctx.flexible && inRange(g.taggedVersions, ctx.version)) continue;
        out[g.name] = d;
      }
      return out;
    }
    default:
      return 0;
  }
}

export function isDefault(v: unknown, f: FieldSchema, ctx: StructContext): boolean {
  return sameJson(v, defaultOf(f, ctx));
}

function sameJson(a: unknown, b: unknown): boolean {
  if (typeof a === 'bigint' || typeof b === 'bigint') return BigInt(a as number) === BigInt(b as number);
  if (a === b) return true;
  if (a === null || b === null || typeof a !== 'object' || typeof b !== 'object') return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  const ka = Object.keys(a);
  const kb = Object.keys(b);
  if (ka.length !== kb.length) return false;
  return ka.every((k) => sameJson((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k]));
}

export function isFlexible(schema: MessageSchema, version: number): boolean {
  return inRange(schema.flexibleVersions, version);
}

export function supports(schema: MessageSchema, version: number): boolean {
  return inRange(schema.validVersions, version);
}

/** Decode a whole message body (no version prefix) that must end exactly at `end`. */
export function decodeMessage(schema: MessageSchema, version: number, buf: Buffer, start = 0, end = buf.length, base = 0): Record<string, unknown> {
  const r = new MessageReader(buf, start, end, base);
  const data = readStruct(r, schema.fields, { version, flexible: isFlexible(schema, version) }, schema.name);
  if (r.pos !== end) r.fail(`${schema.name} v${version}: ${end - r.pos} bytes left over after the struct`);
  return data;
}

/** JSON text of a decoded value, int64 beyond 2^53 printed as exact digits (as Jackson does). */
export function internalJson(v: unknown): string {
  try {
    return JSON.stringify(v) ?? 'null';
  } catch (e) {
    if (!(e instanceof TypeError)) throw e;
    return slowJson(v); // a bigint somewhere (JSON.stringify refuses them)
  }
}

function slowJson(v: unknown): string {
  if (typeof v === 'bigint') return v.toString();
  if (v === null || typeof v !== 'object') return JSON.stringify(v) ?? 'null';
  if (Array.isArray(v)) return `[${v.map(slowJson).join(',')}]`;
  const parts: string[] = [];
  for (const k of Object.keys(v)) {
    const x = (v as Record<string, unknown>)[k];
    if (x === undefined) continue;
    parts.push(`${JSON.stringify(k)}:${slowJson(x)}`);
  }
  return `{${parts.join(',')}}`;
}
