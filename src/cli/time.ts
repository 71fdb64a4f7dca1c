/** A timestamp (epoch milliseconds) as ISO 8601 UTC, or '-' where a JavaScript Date cannot hold it (Kafka stores any int64). */
export function isoTime(ts: number): string {
  if (ts < 0 || ts > 8.64e15) return '-';
  return new Date(ts).toISOString();
}
