import type { HeaderInput } from '../../format/encode.js';
import type { GenerateOptions } from './options.js';
import { Prng } from './prng.js';

/** One record as a producer sends it. */
export interface GenRecord {
  offset: number;
  /** Create time (the producer's clock, possibly lagging by the jitter). */
  timestamp: number;
  key: Buffer | null;
  value: Buffer | null;
  headers: HeaderInput[];
}

const WORDS = (
  'alpha bravo charlie delta echo foxtrot golf hotel india juliett kilo lima mike november oscar papa ' +
  'quebec romeo sierra tango uniform victor whiskey xray yankee zulu order created updated shipped ' +
  'delivered cancelled payment refund cart item user session click view store region price amount ' +
  'status mobile web apac emea amer'
).split(' ');

const HEADER_KEYS = ['trace-id', 'content-type', 'source', 'schema-version', 'retry', 'Ünïcødé-ключ', 'ヘッダー', 'emoji-🙂', 'x'].map((k) => Buffer.from(k, 'utf8'));
const HEADER_TEXT = ['application/json', 'text/plain', 'orders-service', 'v1', 'v2', '0', '1'].map((v) => Buffer.from(v, 'utf8'));
const EMPTY = Buffer.alloc(0);
/** Longest header key and value `header()` makes, in bytes. */
export const MAX_HEADER_BYTES = Math.max(...HEADER_KEYS.map((k) => k.length)) + 16;
const POOL_SIZE = 256 * 1024;
const KEY_CACHE_LIMIT = 1 << 16;

/**
 * Record contents: keys from the key space, values of the requested sizes (`<offset>|words...`,
 * text so codecs have something to compress), tombstones, headers and create times. Draws come
 * from their own stream, so record N is the same whatever the batch structure or codecs.
 */
export class RecordContent {
  private readonly rng: Prng;
  private readonly pool: Buffer;
  /** The pool as a plain Uint8Array: its subarray views are cheaper than Buffer's. */
  private readonly poolView: Uint8Array;
  private readonly keys: (Buffer | undefined)[] = [];
  /** The producers' wall clock (ms); advances 0-2 ms per record. */
  clock: number;

  constructor(private readonly o: GenerateOptions) {
    this.rng = new Prng(o.seed, 'content');
    this.clock = o.startTimestamp;
    this.pool = o.valueSize.max > 0 ? textPool(new Prng(o.seed, 'text')) : EMPTY;
    this.poolView = new Uint8Array(this.pool.buffer, this.pool.byteOffset, this.pool.length);
  }

  /** One record, every field its own Buffer. */
  next(offset: number): GenRecord {
    const d = this.draw(offset, freshDraw());
    let value: Buffer | null = null;
    if (d.valueLength >= 0) {
      value = Buffer.allocUnsafe(d.valueLength);
      this.writeValue(d, value, 0);
    }
    return { offset, timestamp: d.timestamp, key: d.key, value, headers: d.headers };
  }

  /**
   * The same record as `next` (same draws, in the same order) into a reused struct, the value left
   * to `writeValue`: the hot path of uncompressed v2 batches allocates nothing per record.
   */
  draw(offset: number, out: DrawnRecord): DrawnRecord {
    const rng = this.rng;
    this.clock += rng.int(0, 2);
    out.offset = offset;
    out.timestamp = this.o.timestampJitter > 0 ? this.clock - rng.int(0, this.o.timestampJitter) : this.clock;
    out.key = this.o.keySpace > 0 ? this.key(rng.int(0, this.o.keySpace - 1)) : null;
    if (rng.chance(this.o.tombstoneRatio)) out.valueLength = -1;
    else {
      out.valueLength = rng.range(this.o.valueSize);
      out.poolStart = this.pool.length ? rng.int(0, this.pool.length - 1) : 0;
    }
    if (this.o.headers > 0) {
      const n = rng.int(0, this.o.headers);
      out.headers = [];
      for (let i = 0; i < n; i++) out.headers.push(this.header());
    } else if (out.headers.length) out.headers = [];
    return out;
  }

  /** The drawn value, exactly `valueLength` bytes: the offset, a bar, then text from the pool. */
  writeValue(d: DrawnRecord, target: Uint8Array, at: number): void {
    const size = d.valueLength;
    let pos = at + writeDecimal(target, at, size, d.offset);
    if (pos - at < size) target[pos++] = 0x7c; // '|'
    const end = at + size;
    const pool = this.poolView;
    let from = d.poolStart;
    while (pos < end) {
      const n = Math.min(end - pos, pool.length - from);
      if (n < 32) for (let i = 0; i < n; i++) target[pos + i] = pool[from + i]!;
      else target.set(pool.subarray(from, from + n), pos);
      pos += n;
      from = 0;
    }
  }

  /** Longest key this content can have (for buffer bounds). */
  get maxKeyLength(): number {
    return this.o.keySpace > 0 ? Math.max(10, 4 + String(this.o.keySpace - 1).length) : 0;
  }

  private key(k: number): Buffer {
    if (k < KEY_CACHE_LIMIT) {
      const cached = this.keys[k];
      if (cached) return cached;
      return (this.keys[k] = Buffer.from(`key-${String(k).padStart(6, '0')}`, 'latin1'));
    }
    return Buffer.from(`key-${String(k).padStart(6, '0')}`, 'latin1');
  }

  /** Repeated keys, non-ASCII keys, null / empty / binary / text values. */
  private header(): HeaderInput {
    const rng = this.rng;
    const key = rng.pick(HEADER_KEYS);
    const kind = rng.int(0, 5);
    let value: Buffer | null;
    if (kind === 0) value = null;
    else if (kind === 1) value = EMPTY;
    else if (kind === 2) {
      value = Buffer.allocUnsafe(rng.int(1, 16));
      rng.fill(value);
    } else if (kind === 3) value = Buffer.from(rng.u32().toString(16).padStart(8, '0') + rng.u32().toString(16).padStart(8, '0'), 'latin1');
    else value = rng.pick(HEADER_TEXT);
    return { key, value };
  }
}

/** A record drawn but not yet written (see RecordContent.draw). */
export interface DrawnRecord {
  offset: number;
  timestamp: number;
  key: Buffer | null;
  /** -1 for a tombstone. */
  valueLength: number;
  poolStart: number;
  headers: HeaderInput[];
}

export function freshDraw(): DrawnRecord {
  return { offset: 0, timestamp: 0, key: null, valueLength: -1, poolStart: 0, headers: [] };
}

const DIGITS = new Uint8Array(20);

/** Decimal digits of a non-negative safe integer at `at`, at most `max` of them (the leading ones); returns how many. */
function writeDecimal(target: Uint8Array, at: number, max: number, n: number): number {
  let len = 0;
  do {
    DIGITS[len++] = 48 + (n % 10);
    n = Math.floor(n / 10);
  } while (n > 0);
  const count = Math.min(len, max);
  for (let i = 0; i < count; i++) target[at + i] = DIGITS[len - 1 - i]!;
  return count;
}

function textPool(rng: Prng): Buffer {
  const pool = Buffer.allocUnsafe(POOL_SIZE);
  let pos = 0;
  while (pos < POOL_SIZE) {
    pos += pool.write(rng.pick(WORDS), pos, 'latin1');
    if (pos < POOL_SIZE) pool[pos++] = 0x20;
  }
  return pool;
}
