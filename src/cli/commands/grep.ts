import os from 'node:os';
import path from 'node:path';
import { EXIT } from '../exit-codes.js';
import type { KsegCommand } from '../program.js';
import { UsageError, ioError } from '../../format/errors.js';
import { validateCriteria, type GrepCriteria, type GrepStats } from '../../ops/grep.js';
import { listPartitions, type ScanTarget } from '../../ops/scan.js';
import { noPartitionError, readDirNames, statPath } from '../../storage/segments.js';
import { decodeStats, resolveDecoders, type Decoders } from '../decoders.js';
import { grepToSink, type GrepMode, type PartitionOutcome } from '../grep-render.js';
import { assertOneJsonFormat, decoderOptions, DECODER_HELP, nonNegative, offsetRangeOptions, TIMESTAMP_HELP, timestampRangeOptions, s3Options } from '../options.js';
import { Output, toJson } from '../output.js';
import { bytesWithUnit, count } from '../plural.js';
import { resolveArchiveArgs } from '../../storage/archive.js';

interface GrepFlags {
  key?: string;
  keyRegex?: string;
  header?: string[];
  valueContains?: string;
  valueRegex?: string;
  fromOffset?: number;
  toOffset?: number;
  fromTimestamp?: number;
  toTimestamp?: number;
  count?: boolean;
  ndjson?: boolean;
  json?: boolean;
  jobs?: number;
  stats?: boolean;
  decoder?: string;
  keyDecoder?: string;
  valueDecoder?: string;
  headerDecoder?: string;
}

export function register(program: KsegCommand): void {
  program
    .command('grep')
    .description('print the records of partitions that match a key, header, value, offset or time range')
    .argument('<path...>', 'partition directory, or broker log.dir (every partition under it, in parallel)')
    .option('--key <k>', 'records whose key is exactly K (text, or hex:0a0b for bytes)')
    .option('--key-regex <re>', 'records whose key (as UTF-8) matches the JavaScript regular expression RE')
    .option('--header <name[=value]>', 'records with a header NAME (whose value is exactly VALUE; text or hex:..); repeat to require several', collect, [])
    .option('--value-contains <s>', 'records whose value contains S (text, or hex:0a0b for bytes)')
    .option('--value-regex <re>', 'records whose value (as UTF-8) matches the JavaScript regular expression RE')
    .with(offsetRangeOptions({ from: 'first offset searched (segments below it are not read; the offset index finds the start)', to: 'last offset searched, inclusive' }))
    .with(
      timestampRangeOptions({
        from: `records with timestamp >= T (${TIMESTAMP_HELP}); rolled segments whose time index ends below T are not read`,
        to: `records with timestamp <= T (${TIMESTAMP_HELP})`,
      }),
    )
    .option('-c, --count', 'print only the number of matching records (per partition for a log dir)')
    .option('--ndjson', 'one JSON line per matching record, the same object as dump --ndjson (log dirs add "partition")')
    .with(s3Options())
    .option('--json', 'with -c: one JSON object with the counts')
    .option('--jobs <n>', 'worker threads for a log dir (default: the number of cores)', nonNegative('--jobs'))
    .option('--stats', 'print what was read and skipped to stderr')
    .with(decoderOptions(`key, value and header decoder for output: ${DECODER_HELP}`))
    .addHelpText(
      'after',
      `
All given criteria must hold. Text arguments are matched as UTF-8 bytes; prefix hex: for raw bytes
(--key hex:00ff) or text: for text that starts with "hex:". Regular expressions see the bytes
decoded as UTF-8. A null key or value never matches a key or value criterion.

Exit codes: 0 some record matched, 1 none, 2 usage, 3 corrupt data stopped reading a .log (the
other segments and partitions are still searched), 4 I/O error.

Examples:
  kseg grep /var/lib/kafka/data/orders-3 --key order-1842
  kseg grep /var/lib/kafka/data --key order-1842 -c              every partition, in parallel
  kseg grep orders-3 --header trace-id=4bf92f35 --ndjson
  kseg grep orders-3 --value-contains hex:deadbeef --from-timestamp 2026-12-07T03:00:00Z --to-timestamp 2026-12-07T03:10:00Z
  kseg grep orders-3 --key-regex '^user-(17|42)$' --from-offset 368770 --to-offset 368790`,
    )
    .action(async (paths: string[], flags: GrepFlags) => {
      return runGrep(paths, flags);
    });
}

function collect(v: string, prev: string[]): string[] {
  return [...prev, v];
}

/** `hex:0a0b` → bytes, `text:...` → the rest as UTF-8, anything else → UTF-8. */
export function bytesOf(v: string, flag: string): Buffer {
  if (v.startsWith('hex:')) {
    const h = v.slice(4);
    if (!/^([0-9a-fA-F]{2})*$/.test(h)) throw new UsageError(`${flag}: '${v}' is not an even number of hex digits after hex:`);
    return Buffer.from(h, 'hex');
  }
  if (v.startsWith('text:')) return Buffer.from(v.slice(5), 'utf8');
  return Buffer.from(v, 'utf8');
}

function regexOf(v: string, flag: string): RegExp {
  try {
    return new RegExp(v, 'u');
  } catch (e) {
    throw new UsageError(`${flag}: ${(e as Error).message}`);
  }
}

export function criteriaOf(f: GrepFlags): GrepCriteria {
  const c: GrepCriteria = {
    fromOffset: f.fromOffset,
    toOffset: f.toOffset,
    fromTimestamp: f.fromTimestamp,
    toTimestamp: f.toTimestamp,
  };
  if (f.key !== undefined) c.key = bytesOf(f.key, '--key');
  if (f.keyRegex !== undefined) c.keyRegex = regexOf(f.keyRegex, '--key-regex');
  if (f.valueContains !== undefined) c.valueContains = bytesOf(f.valueContains, '--value-contains');
  if (f.valueRegex !== undefined) c.valueRegex = regexOf(f.valueRegex, '--value-regex');
  if (f.header && f.header.length > 0) {
    c.headers = f.header.map((h) => {
      const eq = h.indexOf('=');
      if (eq === 0) throw new UsageError(`--header: '${h}' has no header name before '='`);
      return eq < 0 ? { name: Buffer.from(h, 'utf8') } : { name: Buffer.from(h.slice(0, eq), 'utf8'), value: bytesOf(h.slice(eq + 1), '--header') };
    });
  }
  validateCriteria(c);
  return c;
}

interface Target {
  dir: string;
  /** Set when grepping more than one partition. */
  label?: string;
}

/** A directory holding segment files is a partition; otherwise it is a log dir of partitions. */
function resolveTargets(paths: string[]): Target[] {
  const partitions: string[] = [];
  const logDirs: string[] = [];
  for (const p of paths) {
    let names: string[];
    try {
      if (!statPath(p).isDirectory()) throw new UsageError(`${p}: not a directory (kseg grep takes a partition directory or a broker log.dir)`);
      names = readDirNames(p);
    } catch (e) {
      if (e instanceof UsageError) throw e;
      throw ioError(e, p);
    }
    if (names.length === 0) throw noPartitionError(p);
    if (names.some((n) => /^\d+\.log$/.test(n))) partitions.push(p);
    else logDirs.push(p);
  }
  const found: ScanTarget[] = logDirs.length > 0 ? listPartitions(logDirs) : [];
  found.sort((a, b) => a.logDir.localeCompare(b.logDir) || a.topic.localeCompare(b.topic) || a.partition - b.partition || a.name.localeCompare(b.name));
  const many = partitions.length + found.length > 1;
  const oneLogDir = logDirs.length === 1 && partitions.length === 0;
  return [...partitions.map((dir) => ({ dir, label: many ? dir : undefined })), ...found.map((t) => ({ dir: t.dir, label: oneLogDir ? t.name : t.dir }))];
}

async function runGrep(paths: string[], flags: GrepFlags): Promise<number> {
  assertOneJsonFormat(flags);
  if (flags.json && !flags.count) throw new UsageError('--json goes with -c (counts); matching records are printed with --ndjson, one per line');
  if (flags.jobs === 0) throw new UsageError('--jobs must be at least 1');
  const criteria = criteriaOf(flags);
  const decoders = resolveDecoders(flags);
  const mode: GrepMode = flags.count ? 'count' : flags.ndjson ? 'ndjson' : 'text';
  const targets = resolveTargets(resolveArchiveArgs(paths, { allowLogDir: true }));
  if (targets.length === 0) throw new UsageError(`${paths.join(', ')}: no partition directories found`);
  const out = new Output();
  const results: { target: Target; outcome: PartitionOutcome | null; failure?: PartitionFailure }[] = [];
  if (targets.length === 1) {
    const t = targets[0]!;
    const outcome = await grepToSink(t.dir, criteria, decoders, mode, t.label, {
      out: (l) => out.line(l),
      err: (l) => process.stderr.write(l + '\n'),
      maybeFlush: () => out.flushIfFull(),
    });
    results.push({ target: t, outcome });
  } else {
    const { grepInParallel } = await import('../grep-pool.js');
    for await (const r of grepInParallel(targets, criteria, decoders, mode, flags.jobs ?? os.availableParallelism?.() ?? os.cpus().length, out)) results.push(r);
  }
  let matches = 0;
  let errors = 0;
  for (const r of results) {
    matches += r.outcome?.stats.matches ?? 0;
    errors += r.outcome ? r.outcome.errors : 1;
  }
  if (mode === 'count') {
    if (flags.json || flags.ndjson) {
      const rows = results.map((r) => countJson(r.target, r.outcome, r.failure));
      if (flags.ndjson) for (const row of rows) out.line(toJson(row));
      else out.line(toJson({ matches, partitions: rows }));
    } else if (targets.length === 1 && targets[0]!.label === undefined) out.line(String(matches));
    else for (const r of results) out.line(`${r.target.label}: ${r.outcome ? r.outcome.stats.matches : 'failed'}`);
  }
  await out.flush();
  if (flags.stats) {
    const s = sumStats(results.map((r) => r.outcome?.stats));
    process.stderr.write(
      `kseg: grep: ${count(s.matches, 'matching record')}; ${count(s.segmentsRead, 'segment')} read, ${s.segmentsSkipped} skipped; ${count(s.batchesRead, 'batch')} read, ${s.batchesSkipped} skipped without decoding; ${count(s.recordsDecoded, 'record')} decoded; ${bytesWithUnit(s.bytesRead)}\n`,
    );
  }
  if (decodeStats.invalidUtf8 > 0)
    process.stderr.write(
      `kseg: warning: ${decodeStats.invalidUtf8} payloads were not valid UTF-8 and were printed with replacement characters (use --decoder hex or base64 for exact bytes)\n`,
    );
  if (errors > 0) return EXIT.corrupt;
  return matches > 0 ? EXIT.ok : EXIT.notFound;
}

export interface PartitionFailure {
  code: string;
  message: string;
  file?: string;
  position?: number;
}

function countJson(t: Target, o: PartitionOutcome | null, failure?: PartitionFailure): Record<string, unknown> {
  const row: Record<string, unknown> = { partition: t.label ?? path.basename(path.resolve(t.dir)), dir: t.dir, matches: o ? o.stats.matches : null };
  if (o) {
    row.ok = o.errors === 0;
    row.stats = o.stats;
    if (o.firstError) row.error = o.firstError;
  } else {
    row.ok = false;
    row.error = failure ?? null;
  }
  return row;
}

function sumStats(all: (GrepStats | undefined)[]): GrepStats {
  const s: GrepStats = { segmentsRead: 0, segmentsSkipped: 0, batchesRead: 0, batchesSkipped: 0, recordsDecoded: 0, matches: 0, crcMismatches: 0, bytesRead: 0 };
  for (const x of all) if (x) for (const k of Object.keys(s) as (keyof GrepStats)[]) s[k] += x[k];
  return s;
}

export type { Decoders };
