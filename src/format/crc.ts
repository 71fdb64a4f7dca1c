import { optionalNative, requireModule } from './native.js';

/**
 * CRC-32C (Castagnoli) for v2 batches and producer snapshots; CRC-32 (IEEE) for v0/v1 messages.
 * Fastest available path first: `sse4_crc32` (hardware instruction, node-gyp, optional), then
 * `@node-rs/crc32` (prebuilt). CRC-32 uses zlib.crc32 (Node >= 20.15) or `@node-rs/crc32`.
 */
type Crc32cFn = (data: Uint8Array, initial?: number) => number;

let crc32cImpl: Crc32cFn | null = null;
let crc32cName = '';
let crc32Impl: Crc32cFn | null = null;
let crc32Name = '';

function loadCrc32c(): Crc32cFn {
  const sse = optionalNative<{ hardware_support: boolean; sse42_crc: (b: Uint8Array, c?: number) => number }>('sse4_crc32');
  if (sse && sse.hardware_support) {
    crc32cName = 'sse4_crc32 (hardware)';
    const f = sse.sse42_crc;
    return (data, initial = 0) => f(data, initial) >>> 0;
  }
  const rs = requireModule<{ crc32c: (b: Uint8Array, c?: number | null) => number }>('@node-rs/crc32');
  crc32cName = '@node-rs/crc32';
  return (data, initial = 0) => rs.crc32c(data, initial) >>> 0;
}

function loadCrc32(): Crc32cFn {
  // node:zlib loads on first use (it costs start-up time commands without a v0/v1 CRC do not need).
  const z = requireModule<{ crc32?: (data: Uint8Array, value?: number) => number }>('node:zlib');
  if (typeof z.crc32 === 'function') {
    crc32Name = 'zlib.crc32';
    const f = z.crc32;
    return (data, initial = 0) => f(data, initial) >>> 0;
  }
  const rs = requireModule<{ crc32: (b: Uint8Array, c?: number | null) => number }>('@node-rs/crc32');
  crc32Name = '@node-rs/crc32';
  return (data, initial = 0) => rs.crc32(data, initial) >>> 0;
}

/** CRC-32C of `data[start, end)`. */
export function crc32c(data: Uint8Array, start = 0, end = data.length): number {
  const f = (crc32cImpl ??= loadCrc32c());
  return f(start === 0 && end === data.length ? data : data.subarray(start, end));
}

/** CRC-32 (IEEE) of `data[start, end)`. */
export function crc32(data: Uint8Array, start = 0, end = data.length): number {
  const f = (crc32Impl ??= loadCrc32());
  return f(start === 0 && end === data.length ? data : data.subarray(start, end));
}

/** Which implementations were loaded (for `kseg --version --verbose`, `info`, bench). */
export function crcImplementations(): { crc32c: string; crc32: string } {
  crc32cImpl ??= loadCrc32c();
  crc32Impl ??= loadCrc32();
  return { crc32c: crc32cName, crc32: crc32Name };
}
