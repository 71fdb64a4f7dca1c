/**
 * "1 segment", "2 segments", "0 batches": the one helper for counts in human text (issue 18).
 * `n` may be a number, bigint or an already formatted number; only exactly one is singular.
 */
const IRREGULAR: Record<string, string> = { batch: 'batches', entry: 'entries', match: 'matches', index: 'indexes' };

export function count(n: number | bigint | string | null | undefined, singular: string, plural = IRREGULAR[singular] ?? `${singular}s`): string {
  return `${n} ${String(n) === '1' ? singular : plural}`;
}

/** "107 bytes", "1048576 bytes (1.0 MiB)": exact bytes, with a binary unit beside them from 1 KiB on. */
export function bytesWithUnit(n: number): string {
  const units = ['KiB', 'MiB', 'GiB', 'TiB', 'PiB'];
  let v = n;
  let u = -1;
  while (v >= 1024 && u < units.length - 1) {
    v /= 1024;
    u++;
  }
  return u < 0 ? count(n, 'byte') : `${count(n, 'byte')} (${v.toFixed(1)} ${units[u]})`;
}

/** "812 B", "1.5 MiB": the short size for progress bars and rates (bytesWithUnit keeps the exact bytes). */
export function shortSize(n: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let i = 0;
  while (n >= 1024 && i < units.length - 1) {
    n /= 1024;
    i++;
  }
  return `${i === 0 ? Math.round(n) : n.toFixed(1)} ${units[i]}`;
}

/** A table cell of bytes: "812", "1048576 (1.0 MiB)" (the column heading says bytes). */
export function bytesCell(n: number): string {
  return n < 1024 ? String(n) : `${n} (${shortSize(n)})`;
}
