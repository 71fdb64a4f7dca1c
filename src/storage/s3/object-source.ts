import { CorruptDataError } from '../../format/errors.js';
import type { AccessPattern, ByteSource } from '../source.js';
import type { S3Bridge } from './bridge.js';

/**
 * A ByteSource over one object (or a byte range of one: an index inside Aiven's `.indexes`),
 * read with ranged GETs into aligned blocks. 'sequential' (dump, verify): 8 MiB blocks, and the
 * next block is fetched while the caller parses this one. 'random' (a lookup's index search and
 * scan): 16 KiB blocks, only those read (the blocks a read spans that are not cached come in one
 * GET). Memory stays bounded: the provider's block cache (32 MiB, shared by its sources) and two
 * read-ahead blocks in the worker; a read of more than two blocks gets a buffer of its own. Buffers
 * are never reused, so views the caller holds stay valid after their block leaves the cache.
 */
export const SEQUENTIAL_BLOCK = 8 * 1024 * 1024;
export const RANDOM_BLOCK = 16 * 1024;

/**
 * Blocks shared by every source of one provider (a lookup opens a segment twice: its scan and its
 * record read the same block), least recently used first out, bounded in bytes.
 */
export class BlockCache {
  private readonly blocks = new Map<string, Buffer>();
  private bytes = 0;
  constructor(readonly maxBytes = 32 * 1024 * 1024) {}

  get(k: string): Buffer | undefined {
    const b = this.blocks.get(k);
    if (b) {
      this.blocks.delete(k);
      this.blocks.set(k, b);
    }
    return b;
  }

  has(k: string): boolean {
    return this.blocks.has(k);
  }

  set(k: string, b: Buffer): void {
    const old = this.blocks.get(k);
    if (old) this.bytes -= old.length;
    this.blocks.delete(k);
    this.blocks.set(k, b);
    this.bytes += b.length;
    while (this.bytes > this.maxBytes && this.blocks.size > 1) {
      const [first, v] = this.blocks.entries().next().value!;
      this.blocks.delete(first);
      this.bytes -= v.length;
    }
  }
}

export interface ObjectRef {
  bucket: string;
  key: string;
  /** Where the source's byte 0 is in the object (a slice of a larger object) and its length. */
  offset: number;
  size: number;
  /** The s3:// URL errors name. */
  url: string;
}

export class S3ObjectSource implements ByteSource {
  // a positional reader's contract: bytes come from reads, nothing is mapped
  readonly kind = 'pread' as const;
  readonly path: string;
  readonly size: number;
  bytesRequested = 0;
  private readonly block: number;
  /** This object's blocks in the provider's cache: `${prefix}${block number}`. */
  private readonly prefix: string;
  private prefetched = -1;
  private closed = false;

  constructor(
    private readonly bridge: S3Bridge,
    private readonly cache: BlockCache,
    private readonly ref: ObjectRef,
    path: string,
    pattern: AccessPattern,
    blockSize?: number,
  ) {
    this.path = path;
    this.size = ref.size;
    const block = pattern === 'random' ? RANDOM_BLOCK : SEQUENTIAL_BLOCK;
    this.block = Math.max(1, Math.min(block, blockSize ?? block));
    this.sequential = pattern === 'sequential';
    this.prefix = `${ref.bucket}\0${ref.key}\0${ref.offset}\0${this.block}\0`;
  }

  private readonly sequential: boolean;

  read(pos: number, len: number): Buffer {
    if (this.closed) throw new Error(`${this.path}: read after close`);
    if (!Number.isInteger(pos) || !Number.isInteger(len) || pos < 0 || len < 0 || pos + len > this.size) {
      throw new CorruptDataError('READ_PAST_END', `read of ${len} bytes at ${pos} is outside the ${this.size}-byte object`, { file: this.path, position: pos });
    }
    this.bytesRequested += len;
    if (len === 0) return Buffer.alloc(0);
    const first = Math.floor(pos / this.block);
    const last = Math.floor((pos + len - 1) / this.block);
    if (first === last) {
      const b = this.blockAt(first);
      const at = pos - first * this.block;
      return b.subarray(at, at + len);
    }
    if (len > 2 * this.block) {
      // a read of more than two blocks: its own buffer, fetched in block-sized GETs
      const out = Buffer.allocUnsafe(len);
      for (let at = 0; at < len; at += SEQUENTIAL_BLOCK) {
        const n = Math.min(SEQUENTIAL_BLOCK, len - at);
        this.fetch(pos + at, pos + at + n).copy(out, at);
      }
      return out;
    }
    this.fill(first, last);
    const out = Buffer.allocUnsafe(len);
    let at = 0;
    for (let i = first; i <= last; i++) {
      const b = this.blockAt(i);
      const from = i === first ? pos - first * this.block : 0;
      const to = Math.min(b.length, pos + len - i * this.block);
      b.copy(out, at, from, to);
      at += to - from;
    }
    return out;
  }

  /** Fetch the blocks first..last that are not cached, each run of missing ones in one GET. */
  private fill(first: number, last: number): void {
    for (let i = first; i <= last; i++) {
      if (this.cache.has(this.prefix + i)) continue;
      let j = i;
      while (j < last && !this.cache.has(this.prefix + (j + 1))) j++;
      const start = i * this.block;
      const bytes = this.fetch(start, Math.min(this.size, (j + 1) * this.block));
      for (let k = i; k <= j; k++) this.cache.set(this.prefix + k, bytes.subarray((k - i) * this.block, (k - i + 1) * this.block));
      i = j;
    }
  }

  /** Sequential: start fetching the block after `i` while the caller parses this one. */
  private readAhead(i: number): void {
    const next = i + 1;
    const start = next * this.block;
    if (start >= this.size || this.prefetched >= next || this.cache.has(this.prefix + next)) return;
    this.prefetched = next;
    this.bridge.prefetch(this.ref.bucket, this.ref.key, this.ref.offset + start, this.ref.offset + Math.min(this.size, start + this.block));
  }

  private blockAt(i: number): Buffer {
    let b = this.cache.get(this.prefix + i);
    if (!b) {
      const start = i * this.block;
      b = this.fetch(start, Math.min(this.size, start + this.block));
      this.cache.set(this.prefix + i, b);
    }
    if (this.sequential) this.readAhead(i);
    return b;
  }

  private fetch(start: number, end: number): Buffer {
    const o = this.ref.offset;
    return this.bridge.get(this.ref.bucket, this.ref.key, o + start, o + end, { url: this.ref.url, range: [o + start, o + end] });
  }

  close(): void {
    this.closed = true;
  }
}
