import type { Command } from 'commander';
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

export const DECODER_HELP = 'utf8 | hex | base64 | json | int32 | int64 | none';

const ISO_RE = /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:[.,](\d{1,9}))?)?(Z|[+-]\d{2}:?\d{2})?)?$/i;

/**
 * One parser for every timestamp flag (`--timestamp`, `--from-timestamp`, `--to-timestamp`):
 * milliseconds since the epoch, or ISO 8601 — `2025-12-30T06:29:00Z`, seconds and fractions
 * optional (`06:29Z`, `06:29:00.123Z`; digits past milliseconds are dropped, since Kafka keeps
 * milliseconds), a zone `Z` or `+01:00`/`-0530`, a space instead of `T`. A date alone is midnight UTC.
 * A time without a zone is refused: the broker's clock and the operator's shell rarely share one,
 * so the flag names the fix (append Z for UTC) instead of guessing.
 */
export function parseTimestamp(flag: string, v: string): number {
  const s = v.trim();
  if (/^-?\d+$/.test(s)) return intArg(flag)(s);
  const m = ISO_RE.exec(s);
  const hint = 'e.g. 2025-12-30T06:29:00Z, 2025-12-30T07:29:00.250+01:00, 2025-12-30, or epoch milliseconds';
  if (!m) throw new UsageError(`${flag}: '${v}' is neither milliseconds since the epoch nor an ISO 8601 time (${hint})`);
  const [, y, mo, d, h, mi, sec, frac, zone] = m;
  if (h !== undefined && zone === undefined) throw new UsageError(`${flag}: '${v}' has no time zone; append Z for UTC (${s}Z) or an offset such as +01:00`);
  const num = (x: string | undefined): number => (x === undefined ? 0 : Number(x));
  const [Y, M, D, H, Mi, S] = [num(y), num(mo), num(d), num(h), num(mi), num(sec)];
  const days = new Date(Date.UTC(Y, M, 0)).getUTCDate();
  if (M < 1 || M > 12 || D < 1 || D > days || H > 23 || Mi > 59 || S > 59) throw new UsageError(`${flag}: '${v}' is not a valid date and time`);
  let offsetMin = 0;
  if (zone && zone.toUpperCase() !== 'Z') {
    const z = /^([+-])(\d{2}):?(\d{2})$/.exec(zone)!;
    const zh = Number(z[2]);
    const zm = Number(z[3]);
    if (zh > 23 || zm > 59) throw new UsageError(`${flag}: '${v}' has an invalid zone offset ${zone}`);
    offsetMin = (z[1] === '-' ? -1 : 1) * (zh * 60 + zm);
  }
  const ms = frac === undefined ? 0 : Number(frac.padEnd(3, '0').slice(0, 3));
  const date = new Date(0);
  date.setUTCFullYear(Y, M - 1, D);
  date.setUTCHours(H, Mi, S, ms);
  return date.getTime() - offsetMin * 60_000;
}

export function timestampArg(flag: string): (v: string) => number {
  return (v: string) => parseTimestamp(flag, v);
}

/** Help text shared by the timestamp flags. */
export const TIMESTAMP_HELP = 'epoch milliseconds or ISO 8601 with a zone (2025-12-30T06:29:00Z, …:00.250+01:00; a date alone is 00:00 UTC)';

/**
 * Option groups several commands share, each added where it stands in a command's chain
 * (`.with(decoderOptions())`, KsegCommand.with) so that --help lists it in the same place. The
 * help text that differs between commands is a parameter; the flags, placeholders and parsers are not.
 */
export type OptionGroup = <C extends Command>(cmd: C) => C;

/** --decoder and the key/value/header decoders (dump, lookup, grep). */
export function decoderOptions(decoderHelp = `key, value and header decoder: ${DECODER_HELP}`): OptionGroup {
  return (cmd) =>
    cmd.option('--decoder <d>', decoderHelp).option('--key-decoder <d>', DECODER_HELP).option('--value-decoder <d>', DECODER_HELP).option('--header-decoder <d>', DECODER_HELP);
}

/**
 * --from-offset N .. --to-offset N, inclusive (dump, grep, slice). --from-offset is never negative;
 * --to-offset is any integer unless `toNonNegative` (a negative one then selects nothing).
 */
export function offsetRangeOptions(help: { from: string; to: string }, o: { requiredFrom?: boolean; toNonNegative?: boolean } = {}): OptionGroup {
  return (cmd) => {
    if (o.requiredFrom) cmd.requiredOption('--from-offset <n>', help.from, nonNegative('--from-offset'));
    else cmd.option('--from-offset <n>', help.from, nonNegative('--from-offset'));
    return cmd.option('--to-offset <n>', help.to, o.toNonNegative ? nonNegative('--to-offset') : intArg('--to-offset'));
  };
}

/** --from-timestamp T .. --to-timestamp T, inclusive, each `help` followed by the accepted forms (TIMESTAMP_HELP). */
export function timestampRangeOptions(help: { from: string; to: string }): OptionGroup {
  return (cmd) => cmd.option('--from-timestamp <t>', help.from, timestampArg('--from-timestamp')).option('--to-timestamp <t>', help.to, timestampArg('--to-timestamp'));
}

/** --json then --ndjson, with their help (dump, scan); `assertOneJsonFormat` refuses both at once. */
export function jsonOptions(help: { json: string; ndjson: string }): OptionGroup {
  return (cmd) => cmd.option('--json', help.json).option('--ndjson', help.ndjson);
}

/** --json and --ndjson are two shapes of one output: at most one. */
export function assertOneJsonFormat(flags: { json?: boolean; ndjson?: boolean }): void {
  if (flags.json && flags.ndjson) throw new UsageError('--json and --ndjson are exclusive');
}

/**
 * --endpoint and --region for `s3://bucket/prefix/...` paths (dump, info, verify, lookup; README
 * "S3 and tiered storage"). Credentials come from the AWS SDK's default chain (environment,
 * ~/.aws/credentials and config, AWS_PROFILE). main.ts registers the s3 provider with them.
 */
export function s3Options(): OptionGroup {
  return (cmd) =>
    cmd
      .option('--endpoint <url>', 's3:// paths: an S3-compatible server (MinIO, Ceph, LocalStack; path-style addressing); also KSEG_S3_ENDPOINT', endpointArg)
      .option('--region <region>', "s3:// paths: the bucket's region (default AWS_REGION, the profile's, or us-east-1 with --endpoint)")
      .option('--fetch-stats', 's3:// paths: print the S3 requests and bytes fetched on stderr at the end');
}

export function endpointArg(v: string): string {
  let u: URL;
  try {
    u = new URL(v);
  } catch {
    throw new UsageError(`--endpoint: '${v}' is not a URL (e.g. http://127.0.0.1:9000)`);
  }
  if (u.protocol !== 'http:' && u.protocol !== 'https:') throw new UsageError(`--endpoint: '${v}' must be an http:// or https:// URL`);
  return v;
}
