/**
 * "1 segment", "2 segments", "0 batches": the one helper for counts in human text (issue 18).
 * `n` may be a number, bigint or an already formatted number; only exactly one is singular.
 */
const IRREGULAR: Record<string, string> = { batch: 'batches', entry: 'entries', match: 'matches', index: 'indexes' };

export function count(n: number | bigint | string | null | undefined, singular: string, plural = IRREGULAR[singular] ?? `${singular}s`): string {
  return `${n} ${String(n) === '1' ? singular : plural}`;
}
