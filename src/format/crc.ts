import { optionalNative, requireModule } from './native.js';

/**
 * CRC-32C (Castagnoli) for v2 batches and producer snapshots; CRC-32 (IEEE) for v0/v1 messages.
 *
 * CRC-32C has two implementations: `sse4_crc32` (the SSE4.2 instruction, node-gyp, optional) and
 * `@node-rs/crc32` (prebuilt, always there). Which is faster depends on the CPU (on one AMD EPYC
 * sse4 is 1.8x faster; on one Intel Xeon @node-rs is 2.9x faster), so the choice is made by
 * measurement: storage/calibration.ts times both once per machine and Node version and calls
 * useCrc32c(). Until then (and for commands that check only a few bytes) the order below applies.
 * CRC-32 uses zlib.crc32 (Node >= 20.15) or `@node-rs/crc32`.
 */
type Crc32cFn = (data: Uint8Array, initial?: number) => number;

/** A CRC-32C implementation that loaded on this install. */
export interface Crc32cCandidate {
  /** Short name, as `KSEG_CRC` takes it: 'sse4' or 'node-rs'. */
  readonly id: 'sse4' | 'node-rs';
  /** What `kseg --version --verbose` prints. */
  readonly name: string;
  readonly fn: Crc32cFn;
}

let candidates: Crc32cCandidate[] | null = null;
let crc32cImpl: Crc32cFn | null = null;
let crc32cName = '';
let crc32cNote = '';
let crc32Impl: Crc32cFn | null = null;
let crc32Name = '';

/** Every CRC-32C implementation that loads here, in the default order of preference. */
export function crc32cCandidates(): readonly Crc32cCandidate[] {
  if (candidates) return candidates;
  const list: Crc32cCandidate[] = [];
  const sse = optionalNative<{ hardware_support: boolean; sse42_crc: (b: Uint8Array, c?: number) => number }>('sse4_crc32');
  if (sse && sse.hardware_support) {
    const f = sse.sse42_crc;
    list.push({ id: 'sse4', name: 'sse4_crc32 (hardware)', fn: (data, initial = 0) => f(data, initial) >>> 0 });
  }
  const rs = requireModule<{ crc32c: (b: Uint8Array, c?: number | null) => number }>('@node-rs/crc32');
  list.push({ id: 'node-rs', name: '@node-rs/crc32', fn: (data, initial = 0) => rs.crc32c(data, initial) >>> 0 });
  return (candidates = list);
}

function loadCrc32c(): Crc32cFn {
  const first = crc32cCandidates()[0];
  crc32cName = first.name;
  return first.fn;
}

/**
 * Use candidate `id` for every later crc32c() call in this thread; `note` says why (shown by
 * `kseg --version --verbose`). Returns false, changing nothing, when `id` did not load here.
 */
export function useCrc32c(id: string, note = ''): boolean {
  const c = crc32cCandidates().find((x) => x.id === id);
  if (!c) return false;
  crc32cImpl = c.fn;
  crc32cName = c.name;
  crc32cNote = note;
  return true;
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

/** Which implementations are in use (for `kseg --version --verbose`, `info`, bench). */
export function crcImplementations(): { crc32c: string; crc32: string; crc32cChoice: string } {
  crc32cImpl ??= loadCrc32c();
  crc32Impl ??= loadCrc32();
  return { crc32c: crc32cName, crc32: crc32Name, crc32cChoice: crc32cNote };
}
