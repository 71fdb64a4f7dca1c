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
  private readonly keys: (Buffer | undefined)[] = [];
  /** The producers' wall clock (ms); advances 0-2 ms per record. */
  clock: number;

  constructor(private readonly o: GenerateOptions) {
    this.rng = new Prng(o.seed, 'content');
    this.clock = o.startTimestamp;
    this.pool = o.valueSize.max > 0 ? textPool(new Prng(o.seed, 'text')) : EMPTY;
  }

  next(offset: number): GenRecord {
    const rng = this.rng;
    this.clock += rng.int(0, 2);
    const timestamp = this.o.timestampJitter > 0 ? this.clock - rng.int(0, this.o.timestampJitter) : this.clock;
    const key = this.o.keySpace > 0 ? this.key(rng.int(0, this.o.keySpace - 1)) : null;
    const value = rng.chance(this.o.tombstoneRatio) ? null : this.value(offset, rng.range(this.o.valueSize));
    const headers: HeaderInput[] = [];
    if (this.o.headers > 0) {
      const n = rng.int(0, this.o.headers);
      for (let i = 0; i < n; i++) headers.push(this.header());
    }
    return { offset, timestamp, key, value, headers };
  }

  private key(k: number): Buffer {
    if (k < KEY_CACHE_LIMIT) {
      const cached = this.keys[k];
      if (cached) return cached;
      return (this.keys[k] = Buffer.from(`key-${String(k).padStart(6, '0')}`, 'latin1'));
    }
    return Buffer.from(`key-${String(k).padStart(6, '0')}`, 'latin1');
  }

  /** Exactly `size` bytes: the offset, a bar, then text from the pool (starting anywhere). */
  private value(offset: number, size: number): Buffer {
    const start = this.pool.length ? this.rng.int(0, this.pool.length - 1) : 0;
    const out = Buffer.allocUnsafe(size);
    let pos = out.write(`${offset}|`, 0, size, 'latin1');
    let from = start;
    while (pos < size) {
      const n = Math.min(size - pos, this.pool.length - from);
      this.pool.copy(out, pos, from, from + n);
      pos += n;
      from = 0;
    }
    return out;
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

function textPool(rng: Prng): Buffer {
  const pool = Buffer.allocUnsafe(POOL_SIZE);
  let pos = 0;
  while (pos < POOL_SIZE) {
    pos += pool.write(rng.pick(WORDS), pos, 'latin1');
    if (pos < POOL_SIZE) pool[pos++] = 0x20;
  }
  return pool;
}
