import { CorruptDataError } from '../../format/errors.js';
import type { AccessPattern, ByteSource } from '../source.js';
import type { S3Bridge } from './bridge.js';

/**
 * A ByteSource over one object (or a byte range of one: an index inside Aiven's `.indexes`),
 * read with ranged GETs into aligned blocks. 'sequential' (dump, verify): 8 MiB blocks, and the
 * next block is fetched while the caller parses this one. 'random' (a lookup's index search and
 * scan): 64 KiB blocks, only those read. Memory stays bounded: a few blocks per source; a read
 * larger than a block is fetched into a buffer of its own. Buffers are never reused, so views the
 * caller holds stay valid after their block leaves the cache.
 */
export const SEQUENTIAL_BLOCK = 8 * 1024 * 1024;
export const RANDOM_BLOCK = 64 * 1024;

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
  private readonly maxBlocks: number;
  /** Block number → bytes, in use order (oldest first). */
  private readonly cache = new Map<number, Buffer>();
  private prefetched = -1;
  private closed = false;

  constructor(
    private readonly bridge: S3Bridge,
    private readonly ref: ObjectRef,
    path: string,
    pattern: AccessPattern,
    blockSize?: number,
  ) {
    this.path = path;
    this.size = ref.size;
    this.block = blockSize ?? (pattern === 'random' ? RANDOM_BLOCK : SEQUENTIAL_BLOCK);
    this.maxBlocks = pattern === 'random' ? 64 : 2;
    this.sequential = pattern === 'sequential';
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
      // a read larger than the cache holds: its own buffer, fetched in block-sized GETs
      const out = Buffer.allocUnsafe(len);
      for (let at = 0; at < len; at += SEQUENTIAL_BLOCK) {
        const n = Math.min(SEQUENTIAL_BLOCK, len - at);
        this.fetch(pos + at, pos + at + n).copy(out, at);
      }
      return out;
    }
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

  private blockAt(i: number): Buffer {
    let b = this.cache.get(i);
    if (b) {
      this.cache.delete(i);
      this.cache.set(i, b);
      return b;
    }
    const start = i * this.block;
    const end = Math.min(this.size, start + this.block);
    b = this.fetch(start, end);
    this.cache.set(i, b);
    while (this.cache.size > this.maxBlocks) this.cache.delete(this.cache.keys().next().value!);
    if (this.sequential && end < this.size && this.prefetched !== i + 1) {
      this.prefetched = i + 1;
      this.bridge.prefetch(this.ref.bucket, this.ref.key, this.ref.offset + end, this.ref.offset + Math.min(this.size, end + this.block));
    }
    return b;
  }

  private fetch(start: number, end: number): Buffer {
    const o = this.ref.offset;
    return this.bridge.get(this.ref.bucket, this.ref.key, o + start, o + end, { url: this.ref.url, range: [o + start, o + end] });
  }

  close(): void {
    this.closed = true;
    this.cache.clear();
  }
}
