import { inRange, type FieldSchema, type MessageSchema } from './schema.js';
import { defaultOf, isDefault, isFlexible, nullable, type StructContext } from './codec.js';

/**
 * The writer of Kafka's generated message format: the inverse of codec.ts's reader, from the same
 * JSON-ready values (used by tests and `generate --internal`).
 */
export class MessageWriter {
  private chunks: Buffer[] = [];
  private cur = Buffer.alloc(256);
  private len = 0;

  private ensure(n: number): void {
    if (this.len + n <= this.cur.length) return;
    this.chunks.push(this.cur.subarray(0, this.len));
    this.cur = Buffer.alloc(Math.max(256, n));
    this.len = 0;
  }
  int8(v: number): void {
    this.ensure(1);
    this.cur.writeInt8(v, this.len++);
  }
  int16(v: number): void {
    this.ensure(2);
    this.cur.writeInt16BE(v, this.len);
    this.len += 2;
  }
  uint16(v: number): void {
    this.ensure(2);
    this.cur.writeUInt16BE(v, this.len);
    this.len += 2;
  }
  int32(v: number): void {
    this.ensure(4);
    this.cur.writeInt32BE(v, this.len);
    this.len += 4;
  }
  uint32(v: number): void {
    this.ensure(4);
    this.cur.writeUInt32BE(v, this.len);
    this.len += 4;
  }
  int64(v: number | bigint): void {
    this.ensure(8);
    this.cur.writeBigInt64BE(BigInt(v), this.len);
    this.len += 8;
  }
  float64(v: number): void {
    this.ensure(8);
    this.cur.writeDoubleBE(v, this.len);
    this.len += 8;
  }
  uvarint(v: number): void {
    this.ensure(5);
    let x = v >>> 0;
    while (x >= 0x80) {
      this.cur[this.len++] = (x & 0x7f) | 0x80;
      x >>>= 7;
    }
    this.cur[this.len++] = x;
  }
  raw(b: Uint8Array): void {
    this.ensure(b.length);
    this.cur.set(b, this.len);
    this.len += b.length;
  }
  finish(): Buffer {
    return Buffer.concat([...this.chunks, this.cur.subarray(0, this.len)]);
  }
}

export function writeStruct(w: MessageWriter, fields: readonly FieldSchema[], data: Record<string, unknown>, ctx: StructContext, what: string): void {
  const tagged: FieldSchema[] = [];
  for (const f of fields) {
    if (!inRange(f.versions, ctx.version)) continue;
    if (ctx.flexible && inRange(f.taggedVersions, ctx.version)) {
      tagged.push(f);
      continue;
    }
    const v = f.name in data ? data[f.name] : defaultOf(f, ctx);
    writeField(w, f, v, ctx, false, `${what}.${f.name}`);
  }
  if (!ctx.flexible) return;
  const present = tagged.filter((f) => f.name in data && !isDefault(data[f.name], f, ctx)).sort((a, b) => (a.tag ?? 0) - (b.tag ?? 0));
  w.uvarint(present.length);
  for (const f of present) {
    const inner = new MessageWriter();
    writeField(inner, f, data[f.name], ctx, true, `${what}.${f.name}`);
    const body = inner.finish();
    w.uvarint(f.tag ?? 0);
    w.uvarint(body.length);
    w.raw(body);
  }
}

function writeField(w: MessageWriter, f: FieldSchema, v: unknown, ctx: StructContext, tagged: boolean, what: string): void {
  if (f.array) {
    if (v === null) {
      if (!nullable(f, ctx.version)) throw new TypeError(`${what}: null in a non-nullable array`);
      if (ctx.flexible) w.uvarint(0);
      else w.int32(-1);
      return;
    }
    const a = v as unknown[];
    if (ctx.flexible) w.uvarint(a.length + 1);
    else w.int32(a.length);
    for (const x of a) writeOne(w, f, x, ctx, false, what);
    return;
  }
  writeOne(w, f, v, ctx, tagged, what);
}

function writeOne(w: MessageWriter, f: FieldSchema, v: unknown, ctx: StructContext, tagged: boolean, what: string): void {
  switch (f.type) {
    case 'bool':
      return w.int8(v ? 1 : 0);
    case 'int8':
      return w.int8(v as number);
    case 'int16':
      return w.int16(v as number);
    case 'uint16':
      return w.uint16(v as number);
    case 'int32':
      return w.int32(v as number);
    case 'uint32':
      return w.uint32(v as number);
    case 'int64':
      return w.int64(v as number | bigint);
    case 'float64':
      return w.float64(v as number);
    case 'uuid': {
      const b = Buffer.from(v as string, 'base64url');
      if (b.length !== 16) throw new TypeError(`${what}: uuid '${String(v)}' is not 16 bytes`);
      return w.raw(b);
    }
    case 'string':
    case 'bytes':
    case 'records': {
      if (v === null) {
        if (!nullable(f, ctx.version) || (f.type === 'string' && f.array)) throw new TypeError(`${what}: null in a non-nullable field`);
        if (ctx.flexible) w.uvarint(0);
        else if (f.type === 'string') w.int16(-1);
        else w.int32(-1);
        return;
      }
      const b = f.type === 'string' ? Buffer.from(v as string, 'utf8') : Buffer.from(v as string, 'base64');
      if (ctx.flexible) w.uvarint(b.length + 1);
      else if (f.type === 'string') w.int16(b.length);
      else w.int32(b.length);
      return w.raw(b);
    }
    case 'struct': {
      if (!f.array && nullable(f, ctx.version)) {
        if (v === null) {
          if (tagged) w.uvarint(0);
          else w.int8(-1);
          return;
        }
        if (tagged) w.uvarint(1);
        else w.int8(1);
      } else if (v === null) throw new TypeError(`${what}: null in a non-nullable struct`);
      return writeStruct(w, f.fields ?? [], v as Record<string, unknown>, ctx, what);
    }
  }
}

/** Encode a message body (no version prefix). */
export function encodeMessage(schema: MessageSchema, version: number, data: Record<string, unknown>): Buffer {
  const w = new MessageWriter();
  writeStruct(w, schema.fields, data, { version, flexible: isFlexible(schema, version) }, schema.name);
  return w.finish();
}
