import { UsageError } from '../format/errors.js';

/** Parse a non-negative integer flag value (offsets, byte counts). */
export function intArg(flag: string): (v: string) => number {
  return (v: string) => {
    if (!/^-?\d+$/.test(v.trim())) throw new UsageError(`${flag}: '${v}' is not an integer`);
    const n = Number(v);
    if (!Number.isSafeInteger(n)) throw new UsageError(`${flag}: ${v} is out of range`);
    return n;
  };
}

export function nonNegative(flag: string): (v: string) => number {
  const p = intArg(flag);
  return (v: string) => {
    const n = p(v);
    if (n < 0) throw new UsageError(`${flag}: must not be negative (got ${n})`);
    return n;
  };
}

/** Byte sizes: 4096, 64k, 1m, 2g (binary units). */
export function bytesArg(flag: string): (v: string) => number {
  return (v: string) => {
    const m = /^(\d+)\s*([kmg]i?b?)?$/i.exec(v.trim());
    if (!m) throw new UsageError(`${flag}: '${v}' is not a byte size (e.g. 4096, 64k, 1m)`);
    const mult = { k: 1024, m: 1024 ** 2, g: 1024 ** 3 }[(m[2] ?? '').charAt(0).toLowerCase() as 'k' | 'm' | 'g'] ?? 1;
    return Number(m[1]) * mult;
  };
}

export const DECODER_HELP = 'utf8 | hex | base64 | json | none';
