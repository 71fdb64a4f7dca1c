/**
 * MD5 of many short keys at once: a WebAssembly SIMD function hashes four single-block messages
 * per pass (one per 32-bit lane), a loop over groups of four per call. The offset map build hashes
 * every key of the dirty range; MD5 is a chain of dependent steps, so one key at a time leaves most
 * of the core idle, four lanes do not. Keys of 56 bytes or more (two or more blocks) are hashed by
 * md5.ts. The module is generated here (a few kB, no toolchain) and checked against md5.ts on load;
 * without WebAssembly SIMD, or if anything fails, `Md5x4.create()` returns null and callers use md5.ts.
 */
import { MD5_WORDS, md5Words } from './md5.js';

/** Keys per call at most (the input area holds 128 groups of four 64-byte blocks). */
export const MD5X4_MAX_KEYS = 512;
/** Longest key that fits one block (with the 0x80 marker and the 8-byte length). */
export const MD5X4_MAX_KEY = 55;

/** The parts of the WebAssembly API used here (the project's TypeScript libs do not declare it). */
interface WasmApi {
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object) => { exports: Record<string, unknown> };
}
interface WasmMemory {
  buffer: ArrayBuffer;
}
const wasm = (globalThis as unknown as { WebAssembly?: WasmApi }).WebAssembly;

const IN_WORDS = 0; // 128 groups x 64 words (lane-interleaved message words)
const OUT_BYTES = 32768; // 128 groups x 16 words (a, b, c, d, each four lanes)

function leb(n: number): number[] {
  const out: number[] = [];
  do {
    let b = n & 0x7f;
    n >>>= 7;
    if (n !== 0) b |= 0x80;
    out.push(b);
  } while (n !== 0);
  return out;
}

function sleb(n: number): number[] {
  const out: number[] = [];
  for (;;) {
    const b = n & 0x7f;
    n >>= 7;
    if ((n === 0 && (b & 0x40) === 0) || (n === -1 && (b & 0x40) !== 0)) {
      out.push(b);
      return out;
    }
    out.push(b | 0x80);
  }
}

const S = [7, 12, 17, 22, 5, 9, 14, 20, 4, 11, 16, 23, 6, 10, 15, 21];
const K = Array.from({ length: 64 }, (_, i) => Math.floor(Math.abs(Math.sin(i + 1)) * 2 ** 32) | 0);
const INIT = [0x67452301, 0xefcdab89 | 0, 0x98badcfe | 0, 0x10325476];

/** The module's bytes: memory "m" (1 page) and function "f"(groups) hashing `groups` groups. Its source is md5x4.wat (test/wasm-sources.test.ts checks they agree). */
export function moduleBytes(): Uint8Array {
  const SIMD = 0xfd;
  const op = (code: number): number[] => [SIMD, ...leb(code)];
  const V128_LOAD = 0x00;
  const V128_STORE = 0x0b;
  const V128_CONST = 0x0c;
  const NOT = 0x4d;
  const OR = 0x50;
  const XOR = 0x51;
  const BITSELECT = 0x52;
  const SHL = 0xab;
  const SHR_U = 0xad;
  const ADD = 0xae;
  const get = (i: number) => [0x20, ...leb(i)];
  const set = (i: number) => [0x21, ...leb(i)];
  const tee = (i: number) => [0x22, ...leb(i)];
  const i32 = (v: number) => [0x41, ...sleb(v)];
  const splat = (v: number): number[] => {
    const b = [SIMD, ...leb(V128_CONST)];
    for (let l = 0; l < 4; l++) b.push(v & 0xff, (v >>> 8) & 0xff, (v >>> 16) & 0xff, (v >>> 24) & 0xff);
    return b;
  };
  // locals: 0 groups (param), 1 pin, 2 pout; v128: 3..6 a b c d, 7..22 m0..m15, 23 t
  const PIN = 1;
  const POUT = 2;
  const A = 3;
  const M0 = 7;
  const T = 23;
  const code: number[] = [];
  const emit = (...xs: number[][]) => {
    for (const x of xs) code.push(...x);
  };
  emit(i32(IN_WORDS * 4), set(PIN), i32(OUT_BYTES), set(POUT));
  emit([0x02, 0x40], [0x03, 0x40]); // block, loop
  emit(get(0), [0x45], [0x0d, 1]); // if groups == 0: break
  for (let j = 0; j < 16; j++) emit(get(PIN), [SIMD, ...leb(V128_LOAD), 4, ...leb(j * 16)], set(M0 + j));
  for (let j = 0; j < 4; j++) emit(splat(INIT[j]!), set(A + j));
  let v = [A, A + 1, A + 2, A + 3];
  for (let i = 0; i < 64; i++) {
    const [a, b, c, d] = v as [number, number, number, number];
    const round = i >> 4;
    let g: number;
    if (round === 0) {
      emit(get(c), get(d), get(b), op(BITSELECT)); // (b & c) | (~b & d)
      g = i;
    } else if (round === 1) {
      emit(get(b), get(c), get(d), op(BITSELECT)); // (d & b) | (~d & c)
      g = (5 * i + 1) % 16;
    } else if (round === 2) {
      emit(get(b), get(c), op(XOR), get(d), op(XOR));
      g = (3 * i + 5) % 16;
    } else {
      emit(get(c), get(b), get(d), op(NOT), op(OR), op(XOR)); // c ^ (b | ~d)
      g = (7 * i) % 16;
    }
    const s = S[round * 4 + (i & 3)]!;
    emit(get(a), op(ADD), get(M0 + g), op(ADD), splat(K[i]!), op(ADD), tee(T));
    emit(i32(s), op(SHL), get(T), i32(32 - s), op(SHR_U), op(OR), get(b), op(ADD), set(a));
    v = [d, a, b, c];
  }
  for (let j = 0; j < 4; j++) emit(get(POUT), get(A + j), splat(INIT[j]!), op(ADD), [SIMD, ...leb(V128_STORE), 4, ...leb(j * 16)]);
  emit(get(PIN), i32(256), [0x6a], set(PIN)); // pin += 256
  emit(get(POUT), i32(64), [0x6a], set(POUT)); // pout += 64
  emit(get(0), i32(1), [0x6b], set(0)); // groups -= 1
  emit([0x0c, 0], [0x0b], [0x0b]); // br loop; end loop; end block
  code.push(0x0b); // end function
  const locals = [2, ...leb(2), 0x7f, ...leb(21), 0x7b];
  const body = [...locals, ...code];
  const section = (id: number, bytes: number[]) => [id, ...leb(bytes.length), ...bytes];
  const name = (s: string) => [...leb(s.length), ...[...s].map((ch) => ch.charCodeAt(0))];
  const bytes = [
    0x00,
    0x61,
    0x73,
    0x6d,
    1,
    0,
    0,
    0,
    ...section(1, [1, 0x60, 1, 0x7f, 0]), // type 0: (i32) -> ()
    ...section(3, [1, 0]), // function 0: type 0
    ...section(5, [1, 0x00, 1]), // memory 0: min 1 page
    ...section(7, [2, ...name('m'), 0x02, 0, ...name('f'), 0x00, 0]), // exports
    ...section(10, [1, ...leb(body.length), ...body]),
  ];
  return Uint8Array.from(bytes);
}

export class Md5x4 {
  private readonly mem: Int32Array;
  private readonly fn: (groups: number) => void;
  /** Keys queued for the next run() and their lane slots. */
  private n = 0;

  private constructor(instance: { exports: Record<string, unknown> }) {
    const ex = instance.exports as { m: WasmMemory; f: (groups: number) => void };
    this.mem = new Int32Array(ex.m.buffer);
    this.fn = ex.f;
  }

  /** null when WebAssembly SIMD is not available (or the self-check fails). */
  static create(): Md5x4 | null {
    if (process.env.KSEG_NO_WASM_MD5 === '1' || !wasm) return null;
    try {
      const h = new Md5x4(new wasm.Instance(new wasm.Module(moduleBytes())));
      return h.selfCheck() ? h : null;
    } catch {
      return null;
    }
  }

  private selfCheck(): boolean {
    const key = new Uint8Array(64);
    for (let i = 0; i < key.length; i++) key[i] = (i * 37 + 11) & 0xff;
    for (let len = 0; len <= MD5X4_MAX_KEY; len += 5) {
      this.reset();
      for (let k = 0; k < 6; k++) this.add(key, k, k + Math.max(0, len - k));
      this.run();
      for (let k = 0; k < 6; k++) {
        md5Words(key, k, k + Math.max(0, len - k));
        for (let w = 0; w < 4; w++) if (this.word(k, w) !== MD5_WORDS[w]) return false;
      }
    }
    this.reset();
    return true;
  }

  reset(): void {
    this.n = 0;
  }

  get size(): number {
    return this.n;
  }

  /** Queue the key src[start, end) (at most MD5X4_MAX_KEY bytes; at most MD5X4_MAX_KEYS queued); returns its index. */
  add(src: Uint8Array, start: number, end: number): number {
    const i = this.n++;
    const m = this.mem;
    let p = IN_WORDS + (i >> 2) * 64 + (i & 3);
    const len = end - start;
    let q = start;
    let j = 0;
    for (; end - q >= 4; q += 4, j++, p += 4) m[p] = src[q]! | (src[q + 1]! << 8) | (src[q + 2]! << 16) | (src[q + 3]! << 24);
    let w = 0;
    let shift = 0;
    for (; q < end; q++, shift += 8) w |= src[q]! << shift;
    m[p] = w | (0x80 << shift);
    p += 4;
    for (j++; j < 14; j++, p += 4) m[p] = 0;
    m[p] = (len * 8) | 0;
    m[p + 4] = 0;
    return i;
  }

  /** Hash every queued key. */
  run(): void {
    if (this.n > 0) this.fn((this.n + 3) >> 2);
  }

  /** Word w (0..3, as MD5_WORDS) of the digest of queued key i, after run(). */
  word(i: number, w: number): number {
    return this.mem[OUT_BYTES / 4 + (i >> 2) * 16 + w * 4 + (i & 3)]!;
  }
}
