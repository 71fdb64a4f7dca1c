/**
 * Seeded mutations of Kafka partition files for the fuzz harness. Every input is a pure function of
 * (run seed, input number), so a hang or a crash found by a long run is re-created from two numbers.
 *
 * Mutations are byte-level (flips, byte sets, cuts, zero fills, splices, inserts) and
 * structure-aware (a batch header field, a record varint, an index entry set to 0 / -1 / 2^31-1 /
 * -2^31, over-long varints, codec bits). Afterwards the CRCs are re-fixed most of the time
 * (v2: CRC-32C over attributes..end; v0/v1: CRC-32 over magic..end; producer snapshots: CRC-32C
 * over count..end), so a mutation gets past the checksum and reaches the parsers behind it.
 */
import { crc32, crc32c } from '../../src/format/crc.js';

/** splitmix32-style mixer: a well-spread 32-bit hash of two numbers. */
export function mix(a: number, b: number): number {
  let h = (Math.imul(a ^ 0x9e3779b9, 0x85ebca6b) ^ Math.imul(b + 0x7f4a7c15, 0xc2b2ae35)) >>> 0;
  h ^= h >>> 16;
  h = Math.imul(h, 0x7feb352d) >>> 0;
  h ^= h >>> 15;
  h = Math.imul(h, 0x846ca68b) >>> 0;
  h ^= h >>> 16;
  return h >>> 0;
}

/** mulberry32: small, fast, seeded. */
export class Rng {
  private s: number;
  constructor(seed: number) {
    this.s = seed >>> 0;
  }
  u32(): number {
    let t = (this.s = (this.s + 0x6d2b79f5) >>> 0);
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (t ^ (t >>> 14)) >>> 0;
  }
  /** Integer in [0, n). */
  int(n: number): number {
    return n <= 0 ? 0 : Math.floor((this.u32() / 4294967296) * n);
  }
  chance(p: number): boolean {
    return this.u32() / 4294967296 < p;
  }
  pick<T>(a: readonly T[]): T {
    return a[this.int(a.length)]!;
  }
}

/** Values that break length, count and delta fields. */
export const INT32_EDGES = [0, -1, 1, 2147483647, -2147483648, 0x7ffffff0, 61, 12, 14, 65536] as const;
export const INT64_EDGES = [0n, -1n, 1n, 2147483647n, 9007199254740991n, 9007199254740993n, 9223372036854775807n, -9223372036854775808n] as const;

export type FileKind = 'log' | 'index' | 'timeindex' | 'txnindex' | 'snapshot' | 'text';

/** Where the framed entries (batches / legacy messages) of a .log buffer are: [position, size, magic]. */
export function frames(buf: Uint8Array): { pos: number; size: number; magic: number }[] {
  const out: { pos: number; size: number; magic: number }[] = [];
  const dv = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  let pos = 0;
  while (pos + 17 <= buf.length) {
    const len = dv.getInt32(pos + 8);
    if (len < 14 || pos + 12 + len > buf.length) break;
    out.push({ pos, size: 12 + len, magic: buf[pos + 16]! });
    pos += 12 + len;
  }
  return out;
}

/** Recompute the CRC of every framed entry (those that still frame) and of a snapshot. */
export function refixCrcs(buf: Buffer, kind: FileKind): void {
  if (kind === 'snapshot') {
    if (buf.length >= 10) buf.writeUInt32BE(crc32c(buf, 6, buf.length), 2);
    return;
  }
  if (kind !== 'log') return;
  for (const f of frames(buf)) {
    const end = f.pos + f.size;
    if (f.magic === 2 && f.size >= 61) buf.writeUInt32BE(crc32c(buf, f.pos + 21, end), f.pos + 17);
    else if ((f.magic === 0 || f.magic === 1) && f.size >= 26) buf.writeUInt32BE(crc32(buf, f.pos + 16, end), f.pos + 12);
  }
}

/** Byte positions of the first record fields inside an uncompressed v2 batch (record length, attributes, deltas). */
function v2RecordStarts(buf: Buffer, f: { pos: number; size: number }): number[] {
  const out: number[] = [];
  const end = f.pos + f.size;
  let p = f.pos + 61;
  for (let n = 0; n < 64 && p < end; n++) {
    out.push(p);
    // zig-zag varint record length
    let v = 0;
    let shift = 0;
    let q = p;
    while (q < end && shift < 35) {
      const b = buf[q++]!;
      v |= (b & 0x7f) << shift;
      shift += 7;
      if (!(b & 0x80)) break;
    }
    const len = (v >>> 1) ^ -(v & 1);
    if (len <= 0) break;
    p = q + len;
  }
  return out;
}

function writeZigzagVarint(value: number): number[] {
  let v = ((value << 1) ^ (value >> 31)) >>> 0;
  const out: number[] = [];
  while (v >= 0x80) {
    out.push((v & 0x7f) | 0x80);
    v >>>= 7;
  }
  out.push(v);
  return out;
}

/** A varint that never ends within 10 bytes, or a valid but over-long encoding of a small number. */
function longVarint(rng: Rng): number[] {
  if (rng.chance(0.5)) return new Array(10 + rng.int(4)).fill(0xff);
  const out = new Array(5 + rng.int(6)).fill(0x80);
  out.push(rng.int(3));
  return out;
}

/** v2 batch header fields: [offset within the batch, width]. */
const V2_FIELDS: [number, number][] = [
  [0, 8], // baseOffset
  [8, 4], // batchLength
  [12, 4], // partitionLeaderEpoch
  [16, 1], // magic
  [21, 2], // attributes
  [23, 4], // lastOffsetDelta
  [27, 8], // baseTimestamp
  [35, 8], // maxTimestamp
  [43, 8], // producerId
  [51, 2], // producerEpoch
  [53, 4], // baseSequence
  [57, 4], // recordsCount
];
/** v0/v1 message fields: offset, size, magic, attributes, timestamp (v1), key length. */
const LEGACY_FIELDS: [number, number][] = [
  [0, 8],
  [8, 4],
  [16, 1],
  [17, 1],
  [18, 8],
  [18, 4],
  [26, 4],
];

function setField(buf: Buffer, at: number, width: number, rng: Rng): void {
  if (at + width > buf.length) return;
  switch (width) {
    case 1:
      buf[at] = rng.pick([0, 1, 2, 3, 0x7f, 0x80, 0xff, rng.int(256)]);
      break;
    case 2:
      buf.writeInt16BE(rng.pick([0, -1, 1, 0x7fff, -0x8000, rng.int(65536) - 32768]), at);
      break;
    case 4:
      buf.writeInt32BE(rng.chance(0.8) ? rng.pick(INT32_EDGES) : rng.u32() | 0, at);
      break;
    case 8:
      buf.writeBigInt64BE(rng.chance(0.8) ? rng.pick(INT64_EDGES) : BigInt.asIntN(64, (BigInt(rng.u32()) << 32n) | BigInt(rng.u32())), at);
      break;
  }
}

/** Insert or overwrite bytes at `at`. */
function put(buf: Buffer, at: number, bytes: number[], insert: boolean): Buffer {
  if (insert) return Buffer.concat([buf.subarray(0, at), Buffer.from(bytes), buf.subarray(at)]);
  for (let i = 0; i < bytes.length && at + i < buf.length; i++) buf[at + i] = bytes[i]!;
  return buf;
}

export interface Mutation {
  ops: string[];
  crcFixed: boolean;
}

/**
 * Mutate a copy of `orig` (a file of the given kind). `donor` is another seed file for splices.
 * Returns the new bytes and a description of what was done (saved with failing inputs).
 */
export function mutate(orig: Buffer, kind: FileKind, rng: Rng, donor: Buffer): { bytes: Buffer; mutation: Mutation } {
  let buf: Buffer = Buffer.from(orig);
  const ops: string[] = [];
  const n = 1 + (rng.chance(0.3) ? rng.int(4) : 0);
  for (let k = 0; k < n; k++) {
    const len = buf.length;
    const at = rng.int(Math.max(1, len));
    const op = structured(kind) && rng.chance(0.55) ? 'field' : rng.pick(['flip', 'set', 'cut', 'zero', 'splice', 'insert', 'delete', 'flip', 'set'] as const);
    switch (op) {
      case 'flip': {
        if (!len) break;
        const bit = rng.int(8);
        buf[at] = buf[at]! ^ (1 << bit);
        ops.push(`flip@${at}.${bit}`);
        break;
      }
      case 'set': {
        if (!len) break;
        const v = rng.pick([0, 0xff, 0x7f, 0x80, 1, rng.int(256)]);
        buf[at] = v;
        ops.push(`set@${at}=${v}`);
        break;
      }
      case 'cut': {
        const to = rng.chance(0.5) ? at : Math.max(0, len - 1 - rng.int(Math.min(len, 80)));
        buf = buf.subarray(0, to);
        ops.push(`cut@${to}`);
        break;
      }
      case 'zero': {
        const zlen = rng.chance(0.5) ? rng.int(16) + 1 : rng.int(Math.max(1, len - at)) + 1;
        buf.fill(0, at, Math.min(len, at + zlen));
        ops.push(`zero@${at}+${zlen}`);
        break;
      }
      case 'splice': {
        if (!donor.length) break;
        const from = rng.int(donor.length);
        const slen = 1 + rng.int(Math.min(256, donor.length - from));
        const piece = [...donor.subarray(from, from + slen)];
        const ins = rng.chance(0.4);
        buf = put(buf, at, piece, ins);
        ops.push(`splice@${at}<${from}+${slen}${ins ? ':ins' : ''}`);
        break;
      }
      case 'insert': {
        const bytes = Array.from({ length: 1 + rng.int(12) }, () => rng.int(256));
        buf = put(buf, at, bytes, true);
        ops.push(`insert@${at}+${bytes.length}`);
        break;
      }
      case 'delete': {
        const dlen = 1 + rng.int(Math.min(64, Math.max(1, len - at)));
        buf = Buffer.concat([buf.subarray(0, at), buf.subarray(Math.min(len, at + dlen))]);
        ops.push(`delete@${at}+${dlen}`);
        break;
      }
      case 'field':
        buf = fieldMutation(buf, kind, rng, ops);
        break;
    }
  }
  const crcFixed = rng.chance(0.85);
  if (crcFixed) refixCrcs(buf, kind);
  return { bytes: buf, mutation: { ops, crcFixed } };
}

function structured(kind: FileKind): boolean {
  return kind !== 'text';
}

function fieldMutation(buf: Buffer, kind: FileKind, rng: Rng, ops: string[]): Buffer {
  switch (kind) {
    case 'log': {
      const fs = frames(buf);
      if (!fs.length) return buf;
      const f = rng.pick(fs);
      const what = rng.int(10);
      if (f.magic === 2 && f.size >= 61) {
        if (what < 5) {
          const [off, w] = rng.pick(V2_FIELDS);
          setField(buf, f.pos + off, w, rng);
          ops.push(`v2field@${f.pos}+${off}`);
        } else if (what < 6) {
          // codec bits (and the other attribute bits now and then)
          const cur = buf.readUInt16BE(f.pos + 21);
          const v = rng.chance(0.7) ? (cur & ~7) | rng.int(8) : cur ^ (1 << rng.int(16));
          buf.writeUInt16BE(v & 0xffff, f.pos + 21);
          ops.push(`v2attr@${f.pos}=${v & 0xffff}`);
        } else {
          // record-level: a varint inside the records (uncompressed) set to an edge or over-long
          const starts = v2RecordStarts(buf, f);
          if (!starts.length) return buf;
          const p = rng.pick(starts) + (rng.chance(0.5) ? 0 : rng.int(8));
          const long = rng.chance(0.4);
          const bytes = long ? longVarint(rng) : writeZigzagVarint(rng.pick([0, -1, 1, 2147483647, -2147483648, 1 << 20]));
          const ins = rng.chance(0.5);
          ops.push(`v2varint@${p}${long ? ':long' : ''}${ins ? ':ins' : ''}`);
          buf = put(buf, p, bytes, ins);
          if (ins) buf.writeInt32BE(buf.readInt32BE(f.pos + 8) + bytes.length, f.pos + 8);
        }
      } else {
        if (what < 7) {
          const [off, w] = rng.pick(LEGACY_FIELDS);
          setField(buf, f.pos + off, w, rng);
          ops.push(`legacyfield@${f.pos}+${off}`);
        } else {
          const v = rng.int(256);
          if (f.pos + 17 < buf.length) buf[f.pos + 17] = rng.chance(0.7) ? (buf[f.pos + 17]! & ~7) | (v & 7) : v;
          ops.push(`legacyattr@${f.pos}`);
        }
      }
      return buf;
    }
    case 'index':
    case 'timeindex':
    case 'txnindex':
    case 'snapshot': {
      const entry = kind === 'index' ? 8 : kind === 'timeindex' ? 12 : kind === 'txnindex' ? 34 : 46;
      const head = kind === 'snapshot' ? 10 : 0;
      if (kind === 'snapshot' && rng.chance(0.3)) {
        const [off, w] = rng.pick([
          [0, 2],
          [6, 4],
        ] as [number, number][]);
        setField(buf, off, w, rng);
        ops.push(`snaphead+${off}`);
        return buf;
      }
      const count = Math.floor((buf.length - head) / entry);
      if (count <= 0) {
        if (rng.chance(0.5)) (ops.push('append-zero'), (buf = Buffer.concat([buf, Buffer.alloc(entry * (1 + rng.int(3)))])));
        return buf;
      }
      const slot = rng.int(count);
      const base = head + slot * entry;
      if (rng.chance(0.15)) {
        // a preallocated zero tail, or a partial entry at the end
        const extra = rng.chance(0.5) ? entry * (1 + rng.int(4)) : 1 + rng.int(entry - 1);
        ops.push(`tail+${extra}`);
        return Buffer.concat([buf, Buffer.alloc(extra)]);
      }
      const fields: [number, number][] =
        kind === 'index'
          ? [
              [0, 4],
              [4, 4],
            ]
          : kind === 'timeindex'
            ? [
                [0, 8],
                [8, 4],
              ]
            : kind === 'txnindex'
              ? [
                  [0, 2],
                  [2, 8],
                  [10, 8],
                  [18, 8],
                  [26, 8],
                ]
              : [
                  [0, 8],
                  [8, 2],
                  [10, 4],
                  [14, 8],
                  [22, 4],
                  [26, 8],
                  [34, 4],
                  [38, 8],
                ];
      const [off, w] = rng.pick(fields);
      setField(buf, base + off, w, rng);
      ops.push(`${kind}field@${base + off}`);
      return buf;
    }
    default:
      return buf;
  }
}

/** Text checkpoint mutations: numbers at their edges, dropped or doubled lines, junk. */
export function mutateText(orig: Buffer, rng: Rng): { bytes: Buffer; mutation: Mutation } {
  const lines = orig.toString('latin1').split('\n');
  const ops: string[] = [];
  const n = 1 + rng.int(3);
  for (let k = 0; k < n; k++) {
    if (lines.length === 0) lines.push('');
    const i = rng.int(lines.length);
    switch (rng.int(6)) {
      case 0:
        lines[i] = (lines[i] ?? '').replace(/-?\d+/, rng.pick(['-1', '0', '2147483648', '9223372036854775807', '99999999999999999999', '1e3', '0x10', '', ' ']));
        ops.push(`num@${i}`);
        break;
      case 1:
        lines.splice(i, 1);
        ops.push(`drop@${i}`);
        break;
      case 2:
        lines.splice(i, 0, lines[i] ?? '');
        ops.push(`dup@${i}`);
        break;
      case 3:
        lines[i] = (lines[i] ?? '') + rng.pick([' ', '\t', ' 1', '\r', '\u0000', ' x']);
        ops.push(`append@${i}`);
        break;
      case 4:
        lines[0] = rng.pick(['0', '1', '2', '-1', 'x', '']);
        ops.push('version');
        break;
      default:
        lines.splice(i, 0, rng.pick(['', '1 2 3', '0 0', 'a b', '2147483647 9223372036854775807', 'version: 0', 'topic_id: AAAAAAAAAAAAAAAAAAAAAA']));
        ops.push(`junk@${i}`);
    }
  }
  return { bytes: Buffer.from(lines.join('\n'), 'latin1'), mutation: { ops, crcFixed: false } };
}
