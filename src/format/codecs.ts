import type zlibTypes from 'node:zlib';
import { constants as bufferConstants } from 'node:buffer';
import { CorruptDataError } from './errors.js';
import type { CompressionWriteName } from './compression.js';
import { maxDecompressedBytes } from './limits.js';
import { optionalNative, requireModule } from './native.js';

/**
 * Codec payloads as Kafka stores them. Libraries do the compression; the framing Kafka adds or
 * tolerates is ours: xerial snappy framing (and raw snappy beside it), the LZ4 frame with Kafka's
 * magic-0 header-checksum quirk. Modules load on first use so `kseg --help` loads none of them.
 */

let zlibMod: typeof zlibTypes | null = null;
const zlib = (): typeof zlibTypes => (zlibMod ??= requireModule<typeof zlibTypes>('node:zlib'));

// ---------------------------------------------------------------- output limit
/**
 * The most bytes one batch payload may decompress to. Kafka puts no bound on it (its readers
 * stream record by record), so a small valid batch can expand to gigabytes: a zstd frame of
 * 135 KB to 13 GB. kseg holds a batch's records in memory, so it stops a payload whose output
 * passes this limit with DECOMPRESSED_TOO_LARGE instead of growing until the OOM killer fires.
 * The record count cannot bound the size usefully (one v2 record may be 2 GiB), and Kafka's
 * size limits (message.max.bytes, 1 MiB by default) apply to the compressed batch; 128 MiB is
 * over a hundred times the default batch limit and keeps a run on a broker host far from the
 * OOM killer. `--max-decompressed-bytes` (KSEG_MAX_DECOMPRESSED_BYTES, setMaxDecompressedBytes:
 * limits.ts) changes it.
 */
export { DEFAULT_MAX_DECOMPRESSED_BYTES, maxDecompressedBytes, setMaxDecompressedBytes } from './limits.js';

function tooLarge(codec: string, what: string, limit: number): CorruptDataError {
  return new CorruptDataError('DECOMPRESSED_TOO_LARGE', `${codec}: ${what} the limit of ${limit} bytes per batch (--max-decompressed-bytes)`);
}

/** Unsigned varint (snappy's uncompressed-length preamble); null when malformed. */
function uvarint32(data: Uint8Array, pos: number): number | null {
  let v = 0;
  for (let i = 0; i < 5; i++) {
    const b = data[pos + i];
    if (b === undefined) return null;
    v += (b & 0x7f) * 2 ** (7 * i);
    if ((b & 0x80) === 0) return v;
  }
  return null;
}

// ---------------------------------------------------------------- snappy
interface SnappyModule {
  uncompressSync(data: Uint8Array, opts: { asBuffer: true; copyOutputData?: boolean }): Buffer;
  compressSync(data: Uint8Array): Buffer;
  compress(data: Uint8Array, opts?: { copyOutputData?: boolean }): Promise<Buffer>;
}
let snappyMod: SnappyModule | null = null;
const snappy = (): SnappyModule => (snappyMod ??= requireModule<SnappyModule>('snappy'));

/** "\x82SNAPPY\0" — only these 8 bytes are checked; version fields vary (Redpanda writes them LE). */
const XERIAL_MAGIC = Buffer.from([0x82, 0x53, 0x4e, 0x41, 0x50, 0x50, 0x59, 0x00]);
const XERIAL_HEADER = 16;
const XERIAL_BLOCK = 32 * 1024;

export function isXerial(data: Uint8Array): boolean {
  if (data.length < XERIAL_HEADER) return false;
  for (let i = 0; i < 8; i++) if (data[i] !== XERIAL_MAGIC[i]) return false;
  return true;
}

function snappyRaw(data: Uint8Array, limit = Infinity): Buffer {
  // The block starts with its uncompressed length: refuse before the library allocates it.
  const declared = uvarint32(data, 0);
  if (declared !== null && declared > limit) throw tooLarge('snappy', `the block declares ${declared} decompressed bytes, above`, limit);
  try {
    // copyOutputData: the result lives in memory V8 accounts for, so the collector runs as it
    // fills. An external napi buffer is invisible to V8: verify of 1 GiB of snappy batches then
    // held every decompressed payload until exit (1.1 GB resident).
    return snappy().uncompressSync(data, { asBuffer: true, copyOutputData: true });
  } catch (e) {
    throw new CorruptDataError('DECOMPRESSION_ERROR', `snappy: ${(e as Error).message}`);
  }
}

export function snappyDecompress(data: Uint8Array, limit = maxDecompressedBytes()): Buffer {
  if (data.length === 0) throw new CorruptDataError('DECOMPRESSION_ERROR', 'snappy: empty compressed payload');
  if (!isXerial(data)) return snappyRaw(data, limit);
  const parts: Buffer[] = [];
  let pos = XERIAL_HEADER;
  let total = 0;
  while (pos < data.length) {
    if (pos + 4 > data.length) throw new CorruptDataError('DECOMPRESSION_ERROR', `snappy (xerial): truncated block length at payload byte ${pos}`);
    const len = ((data[pos]! << 24) | (data[pos + 1]! << 16) | (data[pos + 2]! << 8) | data[pos + 3]!) >>> 0;
    pos += 4;
    if (len > data.length - pos) throw new CorruptDataError('DECOMPRESSION_ERROR', `snappy (xerial): block of ${len} bytes at payload byte ${pos - 4} runs past the payload end`);
    const declared = uvarint32(data, pos);
    if (declared !== null && total + declared > limit)
      throw tooLarge('snappy (xerial)', `blocks up to payload byte ${pos - 4} declare ${total + declared} decompressed bytes, above`, limit);
    const part = snappyRaw(data.subarray(pos, pos + len));
    total += part.length;
    parts.push(part);
    pos += len;
  }
  return parts.length === 1 ? parts[0]! : Buffer.concat(parts);
}

/**
 * snappyDecompress into dst[0, n) when the blocks' declared lengths (their uncompressed-length
 * preambles) add up to at most min(dst.length, limit); null otherwise, and for anything the
 * pre-walk does not understand (snappyDecompress then decodes or reports it). The library has no
 * output-buffer option, so each block is still decoded into a buffer of its own and copied once;
 * what this saves is the xerial blocks' concatenation and the caller's copy.
 */
function snappyInto(data: Uint8Array, dst: Buffer, limit: number): number | null {
  const room = Math.min(dst.length, limit);
  if (!isXerial(data)) {
    const declared = uvarint32(data, 0);
    if (declared === null || declared > room) return null;
    const out = snappyRaw(data, limit);
    if (out.length > room) return null;
    out.copy(dst, 0);
    return out.length;
  }
  let total = 0;
  for (let pos = XERIAL_HEADER; pos < data.length;) {
    if (pos + 4 > data.length) return null;
    const len = ((data[pos]! << 24) | (data[pos + 1]! << 16) | (data[pos + 2]! << 8) | data[pos + 3]!) >>> 0;
    pos += 4;
    if (len > data.length - pos) return null;
    const declared = uvarint32(data, pos);
    if (declared === null) return null;
    total += declared;
    if (total > room) return null;
    pos += len;
  }
  let at = 0;
  for (let pos = XERIAL_HEADER; pos < data.length;) {
    const len = ((data[pos]! << 24) | (data[pos + 1]! << 16) | (data[pos + 2]! << 8) | data[pos + 3]!) >>> 0;
    pos += 4;
    const part = snappyRaw(data.subarray(pos, pos + len));
    // (a block decodes to exactly its preamble's length, so the pre-walk's total bounds this)
    if (at + part.length > room) return null;
    part.copy(dst, at);
    at += part.length;
    pos += len;
  }
  return at;
}

/** Raw snappy on the libuv thread pool (the native module's async task): callers overlap it with their own work. */
export function snappyCompressAsync(data: Uint8Array): Promise<Buffer> {
  // copyOutputData: the block in memory V8 accounts for, so the collector runs as blocks pile up
  // (export's writer thread, which makes few objects of its own, held 730 MiB of external ones)
  return snappy().compress(data, { copyOutputData: true });
}

export function snappyCompress(data: Uint8Array, xerial: boolean): Buffer {
  if (!xerial) return snappy().compressSync(data);
  const parts: Buffer[] = [Buffer.from([...XERIAL_MAGIC, 0, 0, 0, 1, 0, 0, 0, 1])];
  for (let off = 0; off < data.length || off === 0; off += XERIAL_BLOCK) {
    const block = snappy().compressSync(data.subarray(off, Math.min(data.length, off + XERIAL_BLOCK)));
    const len = Buffer.alloc(4);
    len.writeUInt32BE(block.length);
    parts.push(len, block);
    if (data.length === 0) break;
  }
  return Buffer.concat(parts);
}

// ---------------------------------------------------------------- lz4
interface Lz4Module {
  uncompressSync(data: Uint8Array): Buffer;
  compressSync(data: Buffer): Buffer;
}
interface XxhModule {
  xxh32(data: Uint8Array, seed?: number): number;
}
let lz4Mod: Lz4Module | null = null;
let xxhMod: XxhModule | null = null;
const lz4 = (): Lz4Module => (lz4Mod ??= requireModule<Lz4Module>('lz4-napi'));
const xxh = (): XxhModule => (xxhMod ??= requireModule<XxhModule>('@node-rs/xxhash'));

const LZ4_MAGIC = 0x184d2204;
const LZ4_BLOCK_UNCOMPRESSED = 0x80000000;

function lz4Error(msg: string): CorruptDataError {
  return new CorruptDataError('DECOMPRESSION_ERROR', `lz4: ${msg}`);
}

/**
 * Decode an LZ4 frame with Kafka's reader rules (KafkaLZ4BlockInputStream): version 01,
 * independent blocks, block size code 4..7, reserved bits 0. For magic 0 the header checksum is
 * not checked (old Kafka computed it over the magic bytes too); for magic >= 1 it must match.
 * Block checksums are verified when present; the content checksum is skipped, as Kafka does.
 */
export function lz4Decompress(data: Uint8Array, magic: number, limit = maxDecompressedBytes()): Buffer {
  return lz4Frame(data, magic, limit, null) as Buffer;
}

/**
 * The frame walk of lz4Decompress. With `dst`, blocks are copied into dst[0, n) while they fit
 * and the result is n; once one does not fit, what is in dst moves to a fresh buffer and the
 * result is the whole payload as a Buffer, exactly as without dst.
 */
function lz4Frame(data: Uint8Array, magic: number, limit: number, dst: Buffer | null): Buffer | number {
  const n = data.length;
  if (n < 7) throw lz4Error('Stream ended prematurely (frame header)');
  const magicLE = (data[0]! | (data[1]! << 8) | (data[2]! << 16) | (data[3]! << 24)) >>> 0;
  if (magicLE !== LZ4_MAGIC) throw lz4Error(`Invalid frame magic 0x${magicLE.toString(16).padStart(8, '0')}`);
  const flg = data[4]!;
  const bd = data[5]!;
  const version = (flg >> 6) & 3;
  if (version !== 1) throw lz4Error(`Frame version ${version} unsupported`);
  if ((flg & 0x02) !== 0 || (flg & 0x01) !== 0) throw lz4Error('Reserved bits in FLG set');
  if ((flg & 0x20) === 0) throw lz4Error('Dependent block stream is unsupported');
  const blockChecksum = (flg & 0x10) !== 0;
  const contentSize = (flg & 0x08) !== 0;
  const contentChecksum = (flg & 0x04) !== 0;
  if ((bd & 0x80) !== 0 || (bd & 0x0f) !== 0) throw lz4Error('Reserved bits in BD set');
  const sizeCode = (bd >> 4) & 7;
  if (sizeCode < 4) throw lz4Error(`Invalid block size code ${sizeCode}`);
  const maxBlock = 1 << (2 * sizeCode + 8);
  let pos = 6;
  if (contentSize) pos += 8;
  if (pos >= n) throw lz4Error('Stream ended prematurely (frame header)');
  const hc = data[pos]!;
  if (magic >= 1) {
    const expect = (xxh().xxh32(data.subarray(4, pos), 0) >>> 8) & 0xff;
    if (hc !== expect) throw lz4Error(`Stream frame descriptor corrupted (header checksum 0x${hc.toString(16)}, expected 0x${expect.toString(16)})`);
  }
  pos++;
  const parts: Buffer[] = [];
  let prefix: Buffer | null = null;
  let total = 0;
  for (;;) {
    if (pos + 4 > n) throw lz4Error('Stream ended prematurely (block size)');
    const word = (data[pos]! | (data[pos + 1]! << 8) | (data[pos + 2]! << 16) | (data[pos + 3]! << 24)) >>> 0;
    pos += 4;
    if (word === 0) break;
    const stored = (word & LZ4_BLOCK_UNCOMPRESSED) !== 0;
    const size = word & 0x7fffffff;
    if (size > maxBlock) throw lz4Error(`Block size ${size} exceeded max: ${maxBlock}`);
    if (pos + size > n) throw lz4Error('Stream ended prematurely (block data)');
    const block = data.subarray(pos, pos + size);
    pos += size;
    if (blockChecksum) {
      if (pos + 4 > n) throw lz4Error('Stream ended prematurely (block checksum)');
      const stored32 = (data[pos]! | (data[pos + 1]! << 8) | (data[pos + 2]! << 16) | (data[pos + 3]! << 24)) >>> 0;
      pos += 4;
      if (xxh().xxh32(block, 0) >>> 0 !== stored32) throw lz4Error('Block checksum mismatch');
    }
    if (stored) {
      total += size;
      if (total > limit) throw tooLarge('lz4', `blocks up to payload byte ${pos} decompress to more than`, limit);
      if (dst !== null && total <= dst.length) dst.set(block, total - size);
      else {
        if (dst !== null) [parts[0], dst] = [Buffer.from(dst.subarray(0, total - size)), null];
        parts.push(Buffer.from(block.buffer, block.byteOffset, block.byteLength));
      }
    } else {
      // lz4-napi takes a block prefixed with its (maximum) decompressed size, little-endian.
      if (prefix === null || prefix.length < size + 4) prefix = Buffer.allocUnsafe(Math.max(size + 4, 4096));
      prefix.writeUInt32LE(maxBlock, 0);
      prefix.set(block, 4);
      let out: Buffer;
      try {
        out = lz4().uncompressSync(prefix.subarray(0, size + 4));
      } catch (e) {
        throw lz4Error(`corrupt block: ${(e as Error).message}`);
      }
      // Each block is at most 4 MiB, so counting block by block bounds memory by the limit.
      total += out.length;
      if (total > limit) throw tooLarge('lz4', `blocks up to payload byte ${pos} decompress to more than`, limit);
      if (dst !== null && total <= dst.length) out.copy(dst, total - out.length);
      else {
        if (dst !== null) [parts[0], dst] = [Buffer.from(dst.subarray(0, total - out.length)), null];
        parts.push(out);
      }
    }
  }
  if (contentChecksum) {
    if (pos + 4 > n) throw lz4Error('Stream ended prematurely (content checksum)');
  }
  if (dst !== null) return total;
  return parts.length === 1 ? parts[0]! : Buffer.concat(parts);
}

/** Encode an LZ4 frame exactly as Kafka's Java producer frames it: FLG 0x60, BD 0x40 (64 KiB blocks). */
export function lz4Compress(data: Uint8Array, magic: number): Buffer {
  const header = Buffer.from([0x04, 0x22, 0x4d, 0x18, 0x60, 0x40, 0]);
  // magic 0: Kafka 0.8-0.9 hashed the magic bytes too (the "broken" checksum it still writes for v0).
  header[6] = (xxh().xxh32(magic === 0 ? header.subarray(0, 6) : header.subarray(4, 6), 0) >>> 8) & 0xff;
  const parts: Buffer[] = [header];
  const BLOCK = 64 * 1024;
  const src = Buffer.from(data.buffer, data.byteOffset, data.byteLength);
  for (let off = 0; off < src.length; off += BLOCK) {
    const chunk = src.subarray(off, Math.min(src.length, off + BLOCK));
    const compressed = lz4().compressSync(chunk).subarray(4);
    const size = Buffer.alloc(4);
    if (compressed.length >= chunk.length) {
      size.writeUInt32LE((chunk.length | LZ4_BLOCK_UNCOMPRESSED) >>> 0);
      parts.push(size, chunk);
    } else {
      size.writeUInt32LE(compressed.length);
      parts.push(size, compressed);
    }
  }
  parts.push(Buffer.alloc(4));
  return Buffer.concat(parts);
}

// ---------------------------------------------------------------- zstd
interface ZstdNapi {
  compress(data: Uint8Array, params?: Record<string, unknown>): Buffer;
  decompress(data: Uint8Array): Buffer;
}
let zstdNative: ZstdNapi | null | undefined;
const zstdNapi = (): ZstdNapi | null => (zstdNative === undefined ? (zstdNative = optionalNative<ZstdNapi>('zstd-napi')) : zstdNative);

interface ZstdDCtx {
  decompress(dst: Uint8Array, src: Uint8Array): number;
  decompressStream(dst: Uint8Array, src: Uint8Array): [number, number, number];
}
interface ZstdBinding {
  DCtx: new () => ZstdDCtx;
  getFrameContentSize(frame: Uint8Array): number | null;
  findFrameCompressedSize(frame: Uint8Array): number;
}
let zstdBindingMod: ZstdBinding | null | undefined;
const zstdBinding = (): ZstdBinding | null =>
  zstdBindingMod === undefined ? (zstdBindingMod = zstdNapi() ? optionalNative<ZstdBinding>('zstd-napi/binding') : null) : zstdBindingMod;
let sharedDCtx: ZstdDCtx | null = null;

/**
 * The decompressed size the frames declare, when every frame declares one (null otherwise).
 * Counting stops at `limit + 1`, so a frame claiming 2^40 bytes is refused without allocating.
 */
function zstdDeclaredSize(b: ZstdBinding, data: Uint8Array, limit: number): number | null {
  let total = 0;
  let frame = data;
  try {
    while (frame.length > 0) {
      const size = b.getFrameContentSize(frame);
      if (size === null) return null;
      total += size;
      if (total > limit) return total;
      frame = frame.subarray(b.findFrameCompressedSize(frame));
    }
  } catch {
    return null; // not a frame the fast path understands: the streaming decoder reports it
  }
  return total;
}

const ZSTD_MAGIC = 0xfd2fb528;
const FCS_FIELD_BYTES = [0, 2, 4, 8];
const DICT_ID_BYTES = [0, 1, 2, 4];

/**
 * zstdDeclaredSize without the native module: the frames' Frame_Content_Size fields summed (RFC
 * 8878 section 3.1.1), walking each frame's block headers to find the next frame; skippable frames
 * count 0. Counting stops once the sum passes `limit`. null when a frame declares no size, is
 * truncated or is not a zstd frame: the decoder then reports it (or stops at the limit).
 */
export function zstdFramesDeclaredSize(data: Uint8Array, limit: number): number | null {
  const len = data.length;
  const u32 = (at: number): number => (data[at]! | (data[at + 1]! << 8) | (data[at + 2]! << 16) | (data[at + 3]! << 24)) >>> 0;
  let total = 0;
  let p = 0;
  while (p < len) {
    if (p + 8 > len) return null;
    const magic = u32(p);
    if ((magic & 0xfffffff0) >>> 0 === 0x184d2a50) {
      p += 8 + u32(p + 4);
      if (p > len) return null;
      continue;
    }
    if (magic !== ZSTD_MAGIC) return null;
    const fhd = data[p + 4]!;
    if (fhd & 0x08) return null; // the reserved bit
    const single = (fhd >> 5) & 1;
    const fcsFlag = fhd >> 6;
    const fcsBytes = fcsFlag === 0 ? single : FCS_FIELD_BYTES[fcsFlag]!;
    if (fcsBytes === 0) return null;
    let q = p + 5 + (single ? 0 : 1) + DICT_ID_BYTES[fhd & 3]!;
    if (q + fcsBytes > len) return null;
    const size = fcsBytes === 1 ? data[q]! : fcsBytes === 2 ? (data[q]! | (data[q + 1]! << 8)) + 256 : fcsBytes === 4 ? u32(q) : u32(q) + u32(q + 4) * 2 ** 32;
    total += size;
    if (total > limit) return total;
    q += fcsBytes;
    for (;;) {
      if (q + 3 > len) return null;
      const h = data[q]! | (data[q + 1]! << 8) | (data[q + 2]! << 16);
      const type = (h >> 1) & 3;
      if (type === 3) return null;
      q += 3 + (type === 1 ? 1 : h >>> 3);
      if (h & 1) break;
    }
    if (fhd & 0x04) q += 4; // Content_Checksum
    if (q > len) return null;
    p = q;
  }
  return total;
}

/** Streaming decompression into chunks no larger than what is left under the limit. */
function zstdStream(b: ZstdBinding, data: Uint8Array, limit: number): Buffer {
  const dctx = new b.DCtx();
  const parts: Buffer[] = [];
  let total = 0;
  let rest = data;
  let pending = 1;
  while (rest.length > 0 || pending !== 0) {
    const room = Math.min(Math.max(128 * 1024, rest.length), limit - total + 1);
    const chunk = Buffer.allocUnsafe(room);
    const [hint, produced, consumed] = dctx.decompressStream(chunk, rest);
    total += produced;
    if (total > limit) throw tooLarge('zstd', 'the payload decompresses to more than', limit);
    if (produced > 0) parts.push(chunk.subarray(0, produced));
    rest = rest.subarray(consumed);
    pending = hint;
    if (produced === 0 && consumed === 0) throw new CorruptDataError('DECOMPRESSION_ERROR', 'zstd: truncated frame');
  }
  return parts.length === 1 ? parts[0]! : Buffer.concat(parts, total);
}

export function zstdDecompress(data: Uint8Array, limit = maxDecompressedBytes()): Buffer {
  try {
    const b = zstdBinding();
    if (b) {
      const declared = zstdDeclaredSize(b, data, limit);
      if (declared !== null && declared > limit) throw tooLarge('zstd', `the frame headers declare ${declared} decompressed bytes, above`, limit);
      if (declared === null) return zstdStream(b, data, limit);
      const out = Buffer.allocUnsafe(declared);
      const n = (sharedDCtx ??= new b.DCtx()).decompress(out, data);
      if (n !== declared) throw new CorruptDataError('DECOMPRESSION_ERROR', `zstd: frame declares ${declared} bytes but holds ${n}`);
      return out;
    }
    // Without the native module: the same refusal of frames that declare too much, read from the
    // frame headers here, before fzstd allocates anything.
    const declared = zstdFramesDeclaredSize(data, limit);
    if (declared !== null && declared > limit) throw tooLarge('zstd', `the frame headers declare ${declared} decompressed bytes, above`, limit);
    const f = requireModule<{ Decompress: new (ondata: (d: Uint8Array) => void) => { push(d: Uint8Array, final?: boolean): void } }>('fzstd');
    const parts: Buffer[] = [];
    let total = 0;
    const d = new f.Decompress((chunk) => {
      total += chunk.length;
      if (total > limit) throw tooLarge('zstd', 'the payload decompresses to more than', limit);
      parts.push(Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength));
    });
    d.push(data, true);
    return parts.length === 1 ? parts[0]! : Buffer.concat(parts, total);
  } catch (e) {
    if (e instanceof CorruptDataError) throw e;
    throw new CorruptDataError('DECOMPRESSION_ERROR', `zstd: ${(e as Error).message}`);
  }
}

/**
 * zstdDecompress into dst[0, n) when the native decoder is loaded and the frames declare a total
 * of at most min(dst.length, limit) bytes: the frames are decoded straight into dst (no buffer of
 * their own, no copy). null otherwise (zstdDecompress then decodes or reports it).
 */
function zstdInto(data: Uint8Array, dst: Buffer, limit: number): number | null {
  const b = zstdBinding();
  if (!b) return null;
  const declared = zstdDeclaredSize(b, data, limit);
  if (declared === null || declared > dst.length || declared > limit) return null;
  let n: number;
  try {
    // (exactly the declared size, as zstdDecompress gives it: a frame holding more fails alike)
    n = (sharedDCtx ??= new b.DCtx()).decompress(dst.subarray(0, declared), data);
  } catch {
    return null;
  }
  return n === declared ? n : null;
}

export async function zstdCompress(data: Uint8Array): Promise<Buffer> {
  const z = zstdNapi();
  if (z) return z.compress(data);
  const m = requireModule<{ compress(b: Buffer, level?: number): Promise<Buffer> }>('@mongodb-js/zstd');
  return m.compress(Buffer.from(data.buffer, data.byteOffset, data.byteLength), 3);
}

/** A synchronous zstd compressor when the native zstd-napi module is loaded (Parquet page compression needs one), else null. */
export function zstdCompressSyncImpl(): ((data: Uint8Array) => Buffer) | null {
  const z = zstdNapi();
  return z ? (d) => z.compress(d) : null;
}

// ---------------------------------------------------------------- dispatch
/**
 * Decompress a batch payload (v2: bytes 61..end; v0/v1: the wrapper's value). `magic` selects the
 * LZ4 header-checksum rule. Throws CorruptDataError (code DECOMPRESSION_ERROR) on bad input.
 */
export function decompress(codecId: number, data: Uint8Array, magic: number, limit = maxDecompressedBytes()): Buffer {
  switch (codecId) {
    case 1:
      try {
        // zlib stops (and drops what it made) once the output passes maxOutputLength.
        return zlib().gunzipSync(data, { maxOutputLength: Math.min(limit, bufferConstants.MAX_LENGTH) });
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE') throw tooLarge('gzip', 'the payload decompresses to more than', limit);
        throw new CorruptDataError('DECOMPRESSION_ERROR', `gzip: ${(e as Error).message}`);
      }
    case 2:
      return snappyDecompress(data, limit);
    case 3:
      return lz4Decompress(data, magic, limit);
    case 4:
      if (magic < 2) throw new CorruptDataError('DECOMPRESSION_ERROR', `zstd is not allowed in message format v${magic}`);
      return zstdDecompress(data, limit);
    default:
      throw new CorruptDataError('UNKNOWN_COMPRESSION', `Unknown compression type id: ${codecId}`);
  }
}

/**
 * `decompress` that writes into the caller's `dst` when the output fits (and the codec can):
 * returns the number of bytes written to dst[0, n), or the payload as a fresh Buffer when it does
 * not fit or the codec has no such path (gzip, zstd without its native module). Same result bytes,
 * same errors, same limit as `decompress`.
 *
 * LIFETIME: the bytes in dst — and every view of them — stay valid only until dst is written
 * again; a caller that hands views out beyond that must use `decompress`.
 */
export function decompressInto(codecId: number, data: Uint8Array, magic: number, dst: Buffer, limit = maxDecompressedBytes()): number | Buffer {
  switch (codecId) {
    case 2:
      if (data.length > 0) return snappyInto(data, dst, limit) ?? snappyDecompress(data, limit);
      break;
    case 3:
      return lz4Frame(data, magic, limit, dst);
    case 4:
      if (magic >= 2) return zstdInto(data, dst, limit) ?? zstdDecompress(data, limit);
      break;
  }
  return decompress(codecId, data, magic, limit);
}

export async function compress(codec: CompressionWriteName, data: Uint8Array, magic: number): Promise<Buffer> {
  switch (codec) {
    case 'none':
      return Buffer.from(data.buffer, data.byteOffset, data.byteLength);
    case 'gzip':
      return zlib().gzipSync(data);
    case 'snappy':
      return snappyCompress(data, false);
    case 'snappy-xerial':
      return snappyCompress(data, true);
    case 'lz4':
      return lz4Compress(data, magic);
    case 'zstd':
      return zstdCompress(data);
  }
}

/** Which codec implementations are in use (for diagnostics). */
export function codecImplementations(): Record<string, string> {
  return {
    gzip: 'zlib',
    snappy: 'snappy (napi) + kseg xerial framing',
    lz4: 'lz4-napi blocks + kseg LZ4 frame',
    zstd: zstdNapi() ? 'zstd-napi' : 'fzstd (decompress) / @mongodb-js/zstd (compress)',
  };
}
