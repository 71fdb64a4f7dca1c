/**
 * The slots of an .index or .timeindex as the checks hold them. Index files are preallocated
 * (AbstractIndex maps maxIndexSize bytes) and trimmed to their entries when the segment rolls or
 * the broker shuts down cleanly; an untrimmed file ends in all-zero slots.
 */
/** Slots [tailStart, slots) are all zero bytes; returns tailStart. */
export function zeroTailStart(buf: Buffer, entrySize: number): number {
  const slots = Math.floor(buf.length / entrySize);
  let i = slots;
  while (i > 0) {
    const p = (i - 1) * entrySize;
    let zero = true;
    for (let k = 0; k < entrySize; k++) {
      if (buf[p + k] !== 0) {
        zero = false;
        break;
      }
    }
    if (!zero) break;
    i--;
  }
  return i;
}

/**
 * Reorder the entries held in parallel arrays (one of them `key`) by `key` ascending, equal keys
 * in slot order: the checks then meet a broken index's entries in the order the walk needs them.
 */
export function sortEntries(key: Int32Array, arrays: (Int32Array | Float64Array)[]): void {
  const n = key.length;
  const order = Array.from({ length: n }, (_, i) => i).sort((a, b) => key[a]! - key[b]! || a - b);
  const copies = arrays.map((a) => a.slice());
  arrays.forEach((a, k) => {
    const from = copies[k]!;
    for (let i = 0; i < n; i++) a[i] = from[order[i]!]!;
  });
}
