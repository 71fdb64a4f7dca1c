/**
 * Index files are preallocated (AbstractIndex maps maxIndexSize bytes) and trimmed to their
 * entries when the segment rolls or the broker shuts down cleanly; an untrimmed file ends in
 * all-zero slots.
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
