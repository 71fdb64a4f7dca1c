import { setMaxDecompressedBytes as setLimit } from '../format/limits.js';
import { setNativeDisabled } from '../format/native.js';

/**
 * What the process environment says to format/ (which reads none): KSEG_NO_NATIVE switches the
 * optional native modules off, KSEG_MAX_DECOMPRESSED_BYTES sets the per-batch decompression limit.
 * Each entry point applies it once before any work: the CLI, the library entry and every worker
 * thread (workers inherit the environment of the thread that starts them).
 */
export function applyEnvironment(env: NodeJS.ProcessEnv = process.env): void {
  const off = env.KSEG_NO_NATIVE;
  setNativeDisabled(off !== undefined && off !== '' && off !== '0');
  const n = Number(env.KSEG_MAX_DECOMPRESSED_BYTES);
  if (Number.isSafeInteger(n) && n > 0) setLimit(n);
}

/**
 * Set the per-batch decompression limit for this process and the worker threads it starts later
 * (through KSEG_MAX_DECOMPRESSED_BYTES in their environment); undefined: the default.
 */
export function setMaxDecompressedBytes(n: number | undefined): void {
  setLimit(n);
  if (n === undefined) delete process.env.KSEG_MAX_DECOMPRESSED_BYTES;
  else process.env.KSEG_MAX_DECOMPRESSED_BYTES = String(n);
}
