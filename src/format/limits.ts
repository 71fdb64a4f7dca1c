/**
 * The per-batch limit on decompressed bytes (see codecs.ts): DEFAULT_MAX_DECOMPRESSED_BYTES unless
 * set. format/ reads no environment: storage/environment.ts applies KSEG_MAX_DECOMPRESSED_BYTES
 * and passes the value on to worker threads.
 */
export const DEFAULT_MAX_DECOMPRESSED_BYTES = 128 * 1024 * 1024;
let maxOut = DEFAULT_MAX_DECOMPRESSED_BYTES;

/** Set the per-batch limit for this thread (undefined: the default). */
export function setMaxDecompressedBytes(n: number | undefined): void {
  if (n !== undefined && (!Number.isSafeInteger(n) || n < 1)) throw new RangeError(`max decompressed bytes must be a positive integer, not ${n}`);
  maxOut = n ?? DEFAULT_MAX_DECOMPRESSED_BYTES;
}

export function maxDecompressedBytes(): number {
  return maxOut;
}
