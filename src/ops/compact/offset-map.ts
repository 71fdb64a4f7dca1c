import { UsageError } from '../../format/errors.js';
import { md5Into } from './md5.js';

/**
 * Kafka's SkimpyOffsetMap (format doc 7.2): a fixed-size open-addressing table in one
 * preallocated buffer. A slot is 24 bytes: the 16-byte MD5 digest of a key, then the latest offset
 * seen for it. Probe i reads the big-endian int at digest byte min(i, 12), plus (i - 12) once past
 * the digest (then it degrades to linear probing); slot = |probe| mod slots. An all-zero slot is
 * empty. No per-key JavaScript objects: memory is the buffer, whatever the number of keys.
 */
export const HASH_SIZE = 16;
export const BYTES_PER_ENTRY = HASH_SIZE + 8;
/** Kafka's log.cleaner.io.buffer.load.factor default: the map counts as full at 90 % of its slots. */
export const DEFAULT_LOAD_FACTOR = 0.9;
/** log.cleaner.dedupe.buffer.size default (one cleaner thread). */
export const DEFAULT_OFFSET_MAP_BYTES = 128 * 1024 * 1024;

export class OffsetMap {
  readonly slots: number;
  /** put() beyond this many distinct keys is refused by the caller (Kafka's maxDesiredMapSize). */
  readonly maxDesiredSize: number;
  readonly bytes: number;
  /** Hash words (4 per slot at slot*6) and offsets (Float64 at slot*3 + 2) over one ArrayBuffer. */
  private readonly words: Int32Array;
  private readonly offsets: Float64Array;
  private readonly hash = new Uint8Array(HASH_SIZE);
  private readonly hw = new Int32Array(4);
  private entries = 0;
  private lastOffset = -1;
  /** Whether any slot was written since the last clear (a fresh buffer is already zero). */
  private touched = false;
  lookups = 0;
  probes = 0;

  /** Throws UsageError when `memory` cannot hold even one key (Kafka asserts the same). */
  static validate(memory: number, loadFactor = DEFAULT_LOAD_FACTOR): { slots: number; maxDesired: number } {
    const slots = Math.floor(Math.min(memory, 2 ** 31 - 1) / BYTES_PER_ENTRY);
    const maxDesired = Math.floor(slots * loadFactor);
    if (maxDesired < 1) {
      throw new UsageError(`--offset-map-bytes ${memory} is too small to hold even one key (${BYTES_PER_ENTRY} bytes per slot, load factor ${loadFactor})`);
    }
    return { slots, maxDesired };
  }

  constructor(memory: number, loadFactor = DEFAULT_LOAD_FACTOR) {
    const { slots, maxDesired } = OffsetMap.validate(memory, loadFactor);
    this.slots = slots;
    this.maxDesiredSize = maxDesired;
    this.bytes = slots * BYTES_PER_ENTRY;
    const buf = new ArrayBuffer(this.bytes);
    this.words = new Int32Array(buf);
    this.offsets = new Float64Array(buf);
  }

  get size(): number {
    return this.entries;
  }

  get latestOffset(): number {
    return this.lastOffset;
  }

  updateLatestOffset(offset: number): void {
    this.lastOffset = offset;
  }

  utilization(): number {
    return this.entries / this.slots;
  }

  clear(): void {
    if (this.touched) this.words.fill(0);
    this.touched = false;
    this.entries = 0;
    this.lastOffset = -1;
    this.lookups = 0;
    this.probes = 0;
  }

  private digest(key: Uint8Array, start: number, end: number): void {
    md5Into(key, start, end, this.hash);
    const h = this.hash;
    for (let i = 0; i < 4; i++) this.hw[i] = h[i * 4]! | (h[i * 4 + 1]! << 8) | (h[i * 4 + 2]! << 16) | (h[i * 4 + 3]! << 24);
  }

  /** Kafka's positionOf: slot index of probe `attempt` for the current digest. */
  private slotOf(attempt: number): number {
    const h = this.hash;
    const at = attempt < HASH_SIZE - 4 ? attempt : HASH_SIZE - 4;
    const extra = attempt > HASH_SIZE - 4 ? attempt - HASH_SIZE + 4 : 0;
    const probe = (((h[at]! << 24) | (h[at + 1]! << 16) | (h[at + 2]! << 8) | h[at + 3]!) + extra) | 0;
    this.probes++;
    // Utils.abs: Integer.MIN_VALUE maps to 0.
    return (probe === -2147483648 ? 0 : Math.abs(probe)) % this.slots;
  }

  private isEmpty(slot: number): boolean {
    const w = slot * 6;
    const ws = this.words;
    return ws[w] === 0 && ws[w + 1] === 0 && ws[w + 2] === 0 && ws[w + 3] === 0 && this.offsets[slot * 3 + 2] === 0;
  }

  private matches(slot: number): boolean {
    const w = slot * 6;
    const ws = this.words;
    const hw = this.hw;
    return ws[w] === hw[0] && ws[w + 1] === hw[1] && ws[w + 2] === hw[2] && ws[w + 3] === hw[3];
  }

  /** Record `offset` as the latest offset of the key `key[start, end)`. */
  put(key: Uint8Array, start: number, end: number, offset: number): void {
    if (this.entries >= this.slots) throw new Error('Attempt to add a new entry to a full offset map.');
    this.lookups++;
    this.digest(key, start, end);
    let attempt = 0;
    let slot = this.slotOf(attempt);
    while (!this.isEmpty(slot)) {
      if (this.matches(slot)) {
        this.offsets[slot * 3 + 2] = offset;
        this.lastOffset = offset;
        return;
      }
      slot = this.slotOf(++attempt);
    }
    const w = slot * 6;
    this.touched = true;
    this.words.set(this.hw, w);
    this.offsets[slot * 3 + 2] = offset;
    this.lastOffset = offset;
    this.entries++;
  }

  /** The latest offset recorded for the key, or -1. */
  get(key: Uint8Array, start: number, end: number): number {
    this.lookups++;
    this.digest(key, start, end);
    const maxAttempts = this.slots + HASH_SIZE - 4;
    for (let attempt = 0; attempt < maxAttempts; attempt++) {
      const slot = this.slotOf(attempt);
      if (this.isEmpty(slot)) return -1;
      if (this.matches(slot)) return this.offsets[slot * 3 + 2]!;
    }
    return -1;
  }
}
