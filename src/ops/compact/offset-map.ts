import { UsageError } from '../../format/errors.js';
import { mmapModule } from '../../storage/source.js';
import { MD5_WORDS, md5Words } from './md5.js';

/**
 * Kafka's SkimpyOffsetMap (format doc 7.2): a fixed-size open-addressing table in one
 * preallocated buffer. A slot is 24 bytes: the 16-byte MD5 digest of a key, then the latest offset
 * seen for it. Probe i reads the big-endian int at digest byte min(i, 12), plus (i - 12) once past
 * the digest (then it degrades to linear probing); slot = |probe| mod slots. An all-zero slot is
 * empty. No per-key JavaScript objects: memory is the buffer, whatever the number of keys.
 *
 * Capacity and fullness are Kafka's: `maxDesiredSize` = 90 % of all slots. Where a digest sits is
 * not observable, so the table probes only a prefix of the buffer ("region") while the map is small
 * — the modulus is the region instead of all slots — and doubles it, re-placing the entries in
 * place, when half of it is used. A few hundred thousand keys then stay within a few MiB (caches,
 * TLB, resident memory) instead of touching every page of a 128 MiB buffer. Once the region is the
 * whole buffer every position is exactly Kafka's.
 */
export const HASH_SIZE = 16;
export const BYTES_PER_ENTRY = HASH_SIZE + 8;
/** Kafka's log.cleaner.io.buffer.load.factor default: the map counts as full at 90 % of its slots. */
export const DEFAULT_LOAD_FACTOR = 0.9;
/** log.cleaner.dedupe.buffer.size default (one cleaner thread). */
export const DEFAULT_OFFSET_MAP_BYTES = 128 * 1024 * 1024;
/** Slots probed while the map is small (1.5 MiB). */
const INITIAL_REGION = 1 << 16;
/** Offsets whose fate the map tracks at most (two bits each: 16 MiB). */
export const MAX_FATE_OFFSETS = 64 * 1024 * 1024;

const MAP_PRIVATE = 0x02;
const MAP_ANONYMOUS = 0x20;
const MADV_HUGEPAGE = 14;

/**
 * Zeroed memory for the table. On Linux with the optional mmap module: an anonymous private
 * mapping advised MADV_HUGEPAGE, so the kernel can back it with 2 MiB pages — the probes land at
 * random places in the region, and with 4 KiB pages nearly every one is a TLB miss (expensive under
 * virtualization). Pages are still only allocated when touched. Else a plain ArrayBuffer.
 */
function allocTable(bytes: number): ArrayBuffer {
  if (process.platform === 'linux' && process.env.KSEG_NO_HUGEPAGE !== '1' && bytes >= 4 * 1024 * 1024) {
    const mm = mmapModule();
    if (mm) {
      try {
        const b = mm.map(bytes, 1 | 2 /* PROT_READ | PROT_WRITE */, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        try {
          mm.advise(b, MADV_HUGEPAGE);
        } catch {
          /* advisory only */
        }
        if (b.byteOffset === 0 && b.length === bytes) return b.buffer as ArrayBuffer;
      } catch {
        /* fall back */
      }
    }
  }
  return new ArrayBuffer(bytes);
}

export class OffsetMap {
  readonly slots: number;
  /** put() beyond this many distinct keys is refused by the caller (Kafka's maxDesiredMapSize). */
  readonly maxDesiredSize: number;
  readonly bytes: number;
  /** Hash words (4 per slot at slot*6) and offsets (Float64 at slot*3 + 2) over one ArrayBuffer. */
  private readonly words: Int32Array;
  private readonly offsets: Float64Array;
  private entries = 0;
  private lastOffset = -1;
  /** Slots in use as the table: [0, region). */
  private region: number;
  lookups = 0;
  probes = 0;
  /**
   * Record fates (see trackFates): two bitmaps over offsets [fateBase, fateBase + fateCap) — the
   * record at that offset was put, and a later put of the same digest replaced it.
   */
  private fateBase = 0;
  private fateCap = 0;
  private mappedBits: Int32Array = new Int32Array(0);
  private supersededBits: Int32Array = new Int32Array(0);
  private fatesValid = false;
  private lastPut = -1;

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
    const buf = allocTable(this.bytes);
    this.words = new Int32Array(buf);
    this.offsets = new Float64Array(buf);
    this.region = Math.min(slots, INITIAL_REGION);
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

  /** Bytes of memory the map has used since clear(): the probed part of the table and the fate bitmaps. */
  get bytesUsed(): number {
    return this.region * BYTES_PER_ENTRY + 8 * ((this.fateCap + 31) >>> 5);
  }

  /** Slots currently probed (tests and diagnostics). */
  get regionSlots(): number {
    return this.region;
  }

  clear(): void {
    if (this.entries > 0) this.words.fill(0, 0, this.region * 6);
    this.region = Math.min(this.slots, INITIAL_REGION);
    this.entries = 0;
    this.lastOffset = -1;
    this.lookups = 0;
    this.probes = 0;
    this.fatesValid = false;
    this.fateCap = 0;
    this.lastPut = -1;
  }

  /**
   * Track, while the map is built, which records put into it are still the latest for their key,
   * for offsets [base, end) (at most MAX_FATE_OFFSETS of them). The cleaning pass then asks
   * fateOf(offset) instead of hashing the key again: every put of a digest after the first replaces
   * exactly the offset of the previous put of that digest, so "a later put replaced this one" is
   * the same as "offset < get(key)" — provided puts come in strictly increasing offset order, which
   * is checked (otherwise fateOf answers "unknown" for the round). Call after clear().
   */
  trackFates(base: number, end: number): void {
    const cap = Math.max(0, Math.min(end - base, MAX_FATE_OFFSETS));
    const words = (cap + 31) >>> 5;
    if (this.mappedBits.length < words) {
      this.mappedBits = new Int32Array(words);
      this.supersededBits = new Int32Array(words);
    } else {
      this.mappedBits.fill(0, 0, words);
      this.supersededBits.fill(0, 0, words);
    }
    this.fateBase = base;
    this.fateCap = cap;
    this.fatesValid = cap > 0;
    this.lastPut = -1;
  }

  /**
   * For a record at `offset` whose key was put while fates were tracked: 1 when it is the latest
   * for its key (offset >= get(key)), 0 when a later record replaced it; -1 when unknown (not put,
   * outside the tracked range, or tracking was abandoned) — then ask get().
   */
  fateOf(offset: number): number {
    const i = offset - this.fateBase;
    if (!this.fatesValid || i < 0 || i >= this.fateCap) return -1;
    const w = i >>> 5;
    const bit = 1 << (i & 31);
    if ((this.mappedBits[w]! & bit) === 0) return -1;
    return (this.supersededBits[w]! & bit) === 0 ? 1 : 0;
  }

  private noteFate(offset: number, replaced: number): void {
    if (offset <= this.lastPut) {
      this.fatesValid = false;
      return;
    }
    this.lastPut = offset;
    let i = offset - this.fateBase;
    if (i >= 0 && i < this.fateCap) this.mappedBits[i >>> 5]! |= 1 << (i & 31);
    if (replaced >= 0) {
      i = replaced - this.fateBase;
      if (i >= 0 && i < this.fateCap) this.supersededBits[i >>> 5]! |= 1 << (i & 31);
    }
  }

  /**
   * Kafka's positionOf for the digest in (h0..h3) (MD5 words, little-endian bytes) and probe
   * `attempt`, modulo `mod`.
   */
  private static slotOf(h0: number, h1: number, h2: number, h3: number, attempt: number, mod: number): number {
    let probe: number;
    if (attempt === 0) {
      probe = ((h0 & 0xff) << 24) | ((h0 & 0xff00) << 8) | ((h0 >>> 8) & 0xff00) | (h0 >>> 24);
    } else {
      const at = attempt < HASH_SIZE - 4 ? attempt : HASH_SIZE - 4;
      const extra = attempt > HASH_SIZE - 4 ? attempt - HASH_SIZE + 4 : 0;
      probe = (OffsetMap.beInt(h0, h1, h2, h3, at) + extra) | 0;
    }
    // Utils.abs: Integer.MIN_VALUE maps to 0.
    return (probe === -2147483648 ? 0 : probe < 0 ? -probe : probe) % mod;
  }

  /** The big-endian int at digest bytes [at, at + 4) (0 <= at <= 12), from the little-endian words. */
  private static beInt(h0: number, h1: number, h2: number, h3: number, at: number): number {
    const wi = at >>> 2;
    const sh = (at & 3) * 8;
    const lo = wi === 0 ? h0 : wi === 1 ? h1 : wi === 2 ? h2 : h3;
    // Four digest bytes starting at byte `sh / 8` of word wi, spilling into the next word.
    let le = lo >>> sh;
    if (sh !== 0) le |= (wi === 0 ? h1 : wi === 1 ? h2 : h3) << (32 - sh);
    // le holds the bytes little-endian; swap to big-endian.
    return ((le & 0xff) << 24) | ((le & 0xff00) << 8) | ((le >>> 8) & 0xff00) | (le >>> 24);
  }

  private isEmpty(slot: number): boolean {
    const w = slot * 6;
    const ws = this.words;
    return ws[w] === 0 && ws[w + 1] === 0 && ws[w + 2] === 0 && ws[w + 3] === 0 && this.offsets[slot * 3 + 2] === 0;
  }

  /** Record `offset` as the latest offset of the key `key[start, end)`. */
  put(key: Uint8Array, start: number, end: number, offset: number): void {
    md5Words(key, start, end);
    this.putDigest(MD5_WORDS[0]!, MD5_WORDS[1]!, MD5_WORDS[2]!, MD5_WORDS[3]!, offset);
  }

  /**
   * Read the slot a digest whose first word is h0 probes first, so that its cache line is on its
   * way while the caller hashes the next keys (the table is far larger than the caches: a probe is
   * a memory access). No effect on the map; returns a word to fold into something the caller keeps.
   */
  touch(h0: number): number {
    const probe = ((h0 & 0xff) << 24) | ((h0 & 0xff00) << 8) | ((h0 >>> 8) & 0xff00) | (h0 >>> 24);
    const slot = (probe === -2147483648 ? 0 : probe < 0 ? -probe : probe) % this.region;
    // A slot is 24 bytes: a quarter of them span two cache lines; read both ends.
    return this.words[slot * 6]! ^ this.words[slot * 6 + 5]!;
  }

  /** put() for a key whose MD5 digest words are h0..h3. */
  putDigest(h0: number, h1: number, h2: number, h3: number, offset: number): void {
    if (this.entries >= this.slots) throw new Error('Attempt to add a new entry to a full offset map.');
    this.lookups++;
    const ws = this.words;
    const offs = this.offsets;
    const mod = this.region;
    for (let attempt = 0; ; attempt++) {
      this.probes++;
      const slot = OffsetMap.slotOf(h0, h1, h2, h3, attempt, mod);
      const w = slot * 6;
      const s0 = ws[w]!;
      const s1 = ws[w + 1]!;
      const s2 = ws[w + 2]!;
      const s3 = ws[w + 3]!;
      if (s0 === h0 && s1 === h1 && s2 === h2 && s3 === h3) {
        if (this.fatesValid) this.noteFate(offset, offs[slot * 3 + 2]!);
        offs[slot * 3 + 2] = offset;
        this.lastOffset = offset;
        return;
      }
      if (s0 === 0 && s1 === 0 && s2 === 0 && s3 === 0 && offs[slot * 3 + 2] === 0) {
        // An empty slot: the map grows by one.
        ws[w] = h0;
        ws[w + 1] = h1;
        ws[w + 2] = h2;
        ws[w + 3] = h3;
        offs[slot * 3 + 2] = offset;
        if (this.fatesValid) this.noteFate(offset, -1);
        this.lastOffset = offset;
        this.entries++;
        if (this.region < this.slots && this.entries * 2 > this.region) this.grow();
        return;
      }
    }
  }

  /** The latest offset recorded for the key, or -1. */
  get(key: Uint8Array, start: number, end: number): number {
    this.lookups++;
    md5Words(key, start, end);
    const h0 = MD5_WORDS[0]!;
    const h1 = MD5_WORDS[1]!;
    const h2 = MD5_WORDS[2]!;
    const h3 = MD5_WORDS[3]!;
    const ws = this.words;
    const offs = this.offsets;
    const mod = this.region;
    const maxAttempts = mod + HASH_SIZE - 4;
    for (let attempt = 0; attempt < maxAttempts; attempt++) {
      this.probes++;
      const slot = OffsetMap.slotOf(h0, h1, h2, h3, attempt, mod);
      const w = slot * 6;
      const s0 = ws[w]!;
      const s1 = ws[w + 1]!;
      const s2 = ws[w + 2]!;
      const s3 = ws[w + 3]!;
      if (s0 === h0 && s1 === h1 && s2 === h2 && s3 === h3) return offs[slot * 3 + 2]!;
      if (s0 === 0 && s1 === 0 && s2 === 0 && s3 === 0 && offs[slot * 3 + 2] === 0) return -1;
    }
    return -1;
  }

  /**
   * Double the region (or take the whole buffer) and re-place every entry in place. Entries still
   * in their old place are marked (offset stored as -offset-1); placing an entry on a marked slot
   * swaps it out and places that one next, so a probe chain never runs over a slot that is emptied
   * later.
   */
  private grow(): void {
    const old = this.region;
    const next = old * 2 > this.slots / 2 ? this.slots : old * 2;
    const ws = this.words;
    const offs = this.offsets;
    for (let s = 0; s < old; s++) if (!this.isEmpty(s)) offs[s * 3 + 2] = -offs[s * 3 + 2]! - 1;
    this.region = next;
    for (let s = 0; s < old; s++) {
      const o = offs[s * 3 + 2]!;
      if (o >= 0) continue; // empty, or already re-placed here
      let h0 = ws[s * 6]!;
      let h1 = ws[s * 6 + 1]!;
      let h2 = ws[s * 6 + 2]!;
      let h3 = ws[s * 6 + 3]!;
      let off = -o - 1;
      ws[s * 6] = ws[s * 6 + 1] = ws[s * 6 + 2] = ws[s * 6 + 3] = 0;
      offs[s * 3 + 2] = 0;
      for (let attempt = 0; ; attempt++) {
        const slot = OffsetMap.slotOf(h0, h1, h2, h3, attempt, next);
        const w = slot * 6;
        const so = offs[slot * 3 + 2]!;
        const empty = so === 0 && ws[w] === 0 && ws[w + 1] === 0 && ws[w + 2] === 0 && ws[w + 3] === 0;
        if (!empty && so >= 0) continue; // a re-placed entry: probe on
        const t0 = ws[w]!;
        const t1 = ws[w + 1]!;
        const t2 = ws[w + 2]!;
        const t3 = ws[w + 3]!;
        ws[w] = h0;
        ws[w + 1] = h1;
        ws[w + 2] = h2;
        ws[w + 3] = h3;
        offs[slot * 3 + 2] = off;
        if (empty) break;
        // Took a marked slot: place the entry that was there next.
        h0 = t0;
        h1 = t1;
        h2 = t2;
        h3 = t3;
        off = -so - 1;
        attempt = -1;
      }
    }
  }
}
