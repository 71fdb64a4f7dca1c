/**
 * MD5 (RFC 1321) of a byte range, written into a caller-owned 16-byte array without allocating.
 * The log cleaner hashes every key twice (offset map build, then the cleaning lookup); Kafka's
 * SkimpyOffsetMap stores MD5 digests, so the map holds the same 16 bytes per key as Kafka's.
 * Unrolled with the constants inline: ~0.1 µs for a short key, where node:crypto spends ~0.7 µs in
 * per-call overhead.
 */
const M = new Int32Array(16);
/** The digest of the last md5Words call as four little-endian words (digest bytes 0-3, 4-7, ...). */
export const MD5_WORDS = new Int32Array(4);
const H = MD5_WORDS;

/** One 64-byte block from M into H. */
function block(): void {
  const m0 = M[0]!,
    m1 = M[1]!,
    m2 = M[2]!,
    m3 = M[3]!,
    m4 = M[4]!,
    m5 = M[5]!,
    m6 = M[6]!,
    m7 = M[7]!;
  const m8 = M[8]!,
    m9 = M[9]!,
    m10 = M[10]!,
    m11 = M[11]!,
    m12 = M[12]!,
    m13 = M[13]!,
    m14 = M[14]!,
    m15 = M[15]!;
  let a = H[0]!;
  let b = H[1]!;
  let c = H[2]!;
  let d = H[3]!;
  let x = 0;
  x = (a + ((b & c) | (~b & d)) + m0 + -680876936) | 0;
  a = (b + ((x << 7) | (x >>> 25))) | 0;
  x = (d + ((a & b) | (~a & c)) + m1 + -389564586) | 0;
  d = (a + ((x << 12) | (x >>> 20))) | 0;
  x = (c + ((d & a) | (~d & b)) + m2 + 606105819) | 0;
  c = (d + ((x << 17) | (x >>> 15))) | 0;
  x = (b + ((c & d) | (~c & a)) + m3 + -1044525330) | 0;
  b = (c + ((x << 22) | (x >>> 10))) | 0;
  x = (a + ((b & c) | (~b & d)) + m4 + -176418897) | 0;
  a = (b + ((x << 7) | (x >>> 25))) | 0;
  x = (d + ((a & b) | (~a & c)) + m5 + 1200080426) | 0;
  d = (a + ((x << 12) | (x >>> 20))) | 0;
  x = (c + ((d & a) | (~d & b)) + m6 + -1473231341) | 0;
  c = (d + ((x << 17) | (x >>> 15))) | 0;
  x = (b + ((c & d) | (~c & a)) + m7 + -45705983) | 0;
  b = (c + ((x << 22) | (x >>> 10))) | 0;
  x = (a + ((b & c) | (~b & d)) + m8 + 1770035416) | 0;
  a = (b + ((x << 7) | (x >>> 25))) | 0;
  x = (d + ((a & b) | (~a & c)) + m9 + -1958414417) | 0;
  d = (a + ((x << 12) | (x >>> 20))) | 0;
  x = (c + ((d & a) | (~d & b)) + m10 + -42063) | 0;
  c = (d + ((x << 17) | (x >>> 15))) | 0;
  x = (b + ((c & d) | (~c & a)) + m11 + -1990404162) | 0;
  b = (c + ((x << 22) | (x >>> 10))) | 0;
  x = (a + ((b & c) | (~b & d)) + m12 + 1804603682) | 0;
  a = (b + ((x << 7) | (x >>> 25))) | 0;
  x = (d + ((a & b) | (~a & c)) + m13 + -40341101) | 0;
  d = (a + ((x << 12) | (x >>> 20))) | 0;
  x = (c + ((d & a) | (~d & b)) + m14 + -1502002290) | 0;
  c = (d + ((x << 17) | (x >>> 15))) | 0;
  x = (b + ((c & d) | (~c & a)) + m15 + 1236535329) | 0;
  b = (c + ((x << 22) | (x >>> 10))) | 0;
  x = (a + ((b & d) | (c & ~d)) + m1 + -165796510) | 0;
  a = (b + ((x << 5) | (x >>> 27))) | 0;
  x = (d + ((a & c) | (b & ~c)) + m6 + -1069501632) | 0;
  d = (a + ((x << 9) | (x >>> 23))) | 0;
  x = (c + ((d & b) | (a & ~b)) + m11 + 643717713) | 0;
  c = (d + ((x << 14) | (x >>> 18))) | 0;
  x = (b + ((c & a) | (d & ~a)) + m0 + -373897302) | 0;
  b = (c + ((x << 20) | (x >>> 12))) | 0;
  x = (a + ((b & d) | (c & ~d)) + m5 + -701558691) | 0;
  a = (b + ((x << 5) | (x >>> 27))) | 0;
  x = (d + ((a & c) | (b & ~c)) + m10 + 38016083) | 0;
  d = (a + ((x << 9) | (x >>> 23))) | 0;
  x = (c + ((d & b) | (a & ~b)) + m15 + -660478335) | 0;
  c = (d + ((x << 14) | (x >>> 18))) | 0;
  x = (b + ((c & a) | (d & ~a)) + m4 + -405537848) | 0;
  b = (c + ((x << 20) | (x >>> 12))) | 0;
  x = (a + ((b & d) | (c & ~d)) + m9 + 568446438) | 0;
  a = (b + ((x << 5) | (x >>> 27))) | 0;
  x = (d + ((a & c) | (b & ~c)) + m14 + -1019803690) | 0;
  d = (a + ((x << 9) | (x >>> 23))) | 0;
  x = (c + ((d & b) | (a & ~b)) + m3 + -187363961) | 0;
  c = (d + ((x << 14) | (x >>> 18))) | 0;
  x = (b + ((c & a) | (d & ~a)) + m8 + 1163531501) | 0;
  b = (c + ((x << 20) | (x >>> 12))) | 0;
  x = (a + ((b & d) | (c & ~d)) + m13 + -1444681467) | 0;
  a = (b + ((x << 5) | (x >>> 27))) | 0;
  x = (d + ((a & c) | (b & ~c)) + m2 + -51403784) | 0;
  d = (a + ((x << 9) | (x >>> 23))) | 0;
  x = (c + ((d & b) | (a & ~b)) + m7 + 1735328473) | 0;
  c = (d + ((x << 14) | (x >>> 18))) | 0;
  x = (b + ((c & a) | (d & ~a)) + m12 + -1926607734) | 0;
  b = (c + ((x << 20) | (x >>> 12))) | 0;
  x = (a + (b ^ c ^ d) + m5 + -378558) | 0;
  a = (b + ((x << 4) | (x >>> 28))) | 0;
  x = (d + (a ^ b ^ c) + m8 + -2022574463) | 0;
  d = (a + ((x << 11) | (x >>> 21))) | 0;
  x = (c + (d ^ a ^ b) + m11 + 1839030562) | 0;
  c = (d + ((x << 16) | (x >>> 16))) | 0;
  x = (b + (c ^ d ^ a) + m14 + -35309556) | 0;
  b = (c + ((x << 23) | (x >>> 9))) | 0;
  x = (a + (b ^ c ^ d) + m1 + -1530992060) | 0;
  a = (b + ((x << 4) | (x >>> 28))) | 0;
  x = (d + (a ^ b ^ c) + m4 + 1272893353) | 0;
  d = (a + ((x << 11) | (x >>> 21))) | 0;
  x = (c + (d ^ a ^ b) + m7 + -155497632) | 0;
  c = (d + ((x << 16) | (x >>> 16))) | 0;
  x = (b + (c ^ d ^ a) + m10 + -1094730640) | 0;
  b = (c + ((x << 23) | (x >>> 9))) | 0;
  x = (a + (b ^ c ^ d) + m13 + 681279174) | 0;
  a = (b + ((x << 4) | (x >>> 28))) | 0;
  x = (d + (a ^ b ^ c) + m0 + -358537222) | 0;
  d = (a + ((x << 11) | (x >>> 21))) | 0;
  x = (c + (d ^ a ^ b) + m3 + -722521979) | 0;
  c = (d + ((x << 16) | (x >>> 16))) | 0;
  x = (b + (c ^ d ^ a) + m6 + 76029189) | 0;
  b = (c + ((x << 23) | (x >>> 9))) | 0;
  x = (a + (b ^ c ^ d) + m9 + -640364487) | 0;
  a = (b + ((x << 4) | (x >>> 28))) | 0;
  x = (d + (a ^ b ^ c) + m12 + -421815835) | 0;
  d = (a + ((x << 11) | (x >>> 21))) | 0;
  x = (c + (d ^ a ^ b) + m15 + 530742520) | 0;
  c = (d + ((x << 16) | (x >>> 16))) | 0;
  x = (b + (c ^ d ^ a) + m2 + -995338651) | 0;
  b = (c + ((x << 23) | (x >>> 9))) | 0;
  x = (a + (c ^ (b | ~d)) + m0 + -198630844) | 0;
  a = (b + ((x << 6) | (x >>> 26))) | 0;
  x = (d + (b ^ (a | ~c)) + m7 + 1126891415) | 0;
  d = (a + ((x << 10) | (x >>> 22))) | 0;
  x = (c + (a ^ (d | ~b)) + m14 + -1416354905) | 0;
  c = (d + ((x << 15) | (x >>> 17))) | 0;
  x = (b + (d ^ (c | ~a)) + m5 + -57434055) | 0;
  b = (c + ((x << 21) | (x >>> 11))) | 0;
  x = (a + (c ^ (b | ~d)) + m12 + 1700485571) | 0;
  a = (b + ((x << 6) | (x >>> 26))) | 0;
  x = (d + (b ^ (a | ~c)) + m3 + -1894986606) | 0;
  d = (a + ((x << 10) | (x >>> 22))) | 0;
  x = (c + (a ^ (d | ~b)) + m10 + -1051523) | 0;
  c = (d + ((x << 15) | (x >>> 17))) | 0;
  x = (b + (d ^ (c | ~a)) + m1 + -2054922799) | 0;
  b = (c + ((x << 21) | (x >>> 11))) | 0;
  x = (a + (c ^ (b | ~d)) + m8 + 1873313359) | 0;
  a = (b + ((x << 6) | (x >>> 26))) | 0;
  x = (d + (b ^ (a | ~c)) + m15 + -30611744) | 0;
  d = (a + ((x << 10) | (x >>> 22))) | 0;
  x = (c + (a ^ (d | ~b)) + m6 + -1560198380) | 0;
  c = (d + ((x << 15) | (x >>> 17))) | 0;
  x = (b + (d ^ (c | ~a)) + m13 + 1309151649) | 0;
  b = (c + ((x << 21) | (x >>> 11))) | 0;
  x = (a + (c ^ (b | ~d)) + m4 + -145523070) | 0;
  a = (b + ((x << 6) | (x >>> 26))) | 0;
  x = (d + (b ^ (a | ~c)) + m11 + -1120210379) | 0;
  d = (a + ((x << 10) | (x >>> 22))) | 0;
  x = (c + (a ^ (d | ~b)) + m2 + 718787259) | 0;
  c = (d + ((x << 15) | (x >>> 17))) | 0;
  x = (b + (d ^ (c | ~a)) + m9 + -343485551) | 0;
  b = (c + ((x << 21) | (x >>> 11))) | 0;
  H[0] = H[0]! + a;
  H[1] = H[1]! + b;
  H[2] = H[2]! + c;
  H[3] = H[3]! + d;
}

/** Little-endian word j of M from src[p..p+4). */
function loadBlock(src: Uint8Array, p: number): void {
  for (let j = 0; j < 16; j++, p += 4) M[j] = src[p]! | (src[p + 1]! << 8) | (src[p + 2]! << 16) | (src[p + 3]! << 24);
}

/** MD5 of `src[start, end)` into `out[0..16)` (the digest bytes in their usual order). */
export function md5Into(src: Uint8Array, start: number, end: number, out: Uint8Array): void {
  md5Words(src, start, end);
  for (let i = 0; i < 4; i++) {
    const v = H[i]!;
    out[i * 4] = v & 0xff;
    out[i * 4 + 1] = (v >>> 8) & 0xff;
    out[i * 4 + 2] = (v >>> 16) & 0xff;
    out[i * 4 + 3] = v >>> 24;
  }
}

/** MD5 of `src[start, end)` into MD5_WORDS. */
export function md5Words(src: Uint8Array, start: number, end: number): void {
  H[0] = 0x67452301;
  H[1] = 0xefcdab89;
  H[2] = 0x98badcfe;
  H[3] = 0x10325476;
  const len = end - start;
  let p = start;
  for (; end - p >= 64; p += 64) {
    loadBlock(src, p);
    block();
  }
  // The last 0..63 bytes, the 0x80 marker and zero padding, straight into the words.
  M.fill(0);
  const rem = end - p;
  const whole = rem >> 2;
  for (let j = 0; j < whole; j++, p += 4) M[j] = src[p]! | (src[p + 1]! << 8) | (src[p + 2]! << 16) | (src[p + 3]! << 24);
  let w = 0;
  let shift = 0;
  for (; p < end; p++, shift += 8) w |= src[p]! << shift;
  M[whole] = w | (0x80 << shift);
  if (rem >= 56) {
    block();
    M.fill(0);
  }
  M[14] = (len * 8) | 0;
  M[15] = Math.floor(len / 0x20000000) | 0;
  block();
}
