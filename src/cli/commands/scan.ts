import os from 'node:os';
import { EXIT } from '../exit-codes.js';
import type { KsegCommand } from '../program.js';
import { scan, type ScanMode, type ScanResult } from '../../ops/scan.js';
import { UsageError } from '../../format/errors.js';
import { assertOneJsonFormat, jsonOptions, nonNegative, s3Options } from '../options.js';
import { Output, toJson } from '../output.js';
import { theme } from '../theme.js';
import { startProgress } from '../progress.js';
import { onInterrupt } from '../interrupt.js';
import { FitTable, fitText } from '../table-fit.js';
import { bytesCell, count } from '../plural.js';
import { resolveArchiveArgs } from '../../storage/archive.js';

interface ScanFlags {
  jobs?: number;
  summary?: boolean;
  strict?: boolean;
  json?: boolean;
  ndjson?: boolean;
  host?: string;
  maxIssues: number;
  progress?: boolean;
}

export function register(program: KsegCommand): void {
  program
    .command('scan')
    .description('verify (or summarise with --summary) every partition under one or more broker log.dirs, in parallel')
    .argument('<log-dir...>', 'broker log.dir(s) holding <topic>-<partition> directories')
    .option('--jobs <n>', 'worker threads (default: the number of cores)', nonNegative('--jobs'))
    .option('--summary', 'summarise partitions (offsets, records, bytes) instead of verifying them')
    .option('--strict', 'treat warnings as errors')
    .with(s3Options())
    .with(jsonOptions({ json: 'one JSON object for the whole scan', ndjson: 'one JSON line per partition as it finishes (lines from several hosts merge with cat)' }))
    .option('--host <name>', 'host name written into JSON lines (default: this host)')
    .option('--max-issues <n>', 'list at most N issues per partition (all are counted)', nonNegative('--max-issues'), 1000)
    .option('--no-progress', 'no progress bar (it is only shown on a terminal anyway)')
    .addHelpText(
      'after',
      `
A broker's data lives on that broker: scan a fleet by running kseg on each broker and merging the
NDJSON lines (README, "Scanning a fleet").

Exit codes: 0 no errors, 1 errors found in some partition, 2 usage, 4 I/O error.

Examples:
  kseg scan /var/lib/kafka/data
  kseg scan /data/kafka-1 /data/kafka-2 --jobs 8 --ndjson > scan-$(hostname).ndjson
  kseg scan /var/lib/kafka/data --summary`,
    )
    .action(async (logDirs: string[], flags: ScanFlags) => {
      assertOneJsonFormat(flags);
      if (flags.jobs === 0) throw new UsageError('--jobs must be at least 1');
      return runScan(resolveArchiveArgs(logDirs, { logDirOnly: true }), flags);
    });
}

function resultJson(r: ScanResult, host: string): Record<string, unknown> {
  const o: Record<string, unknown> = {
    host,
    logDir: r.target.logDir,
    partition: r.target.name,
    topic: r.target.topic,
    partitionId: r.target.partition,
    state: r.target.state,
    mode: r.mode,
    ok: r.ok,
    errors: r.errors,
    warnings: r.warnings,
    logStartOffset: r.logStartOffset,
    logEndOffset: r.logEndOffset,
    summary: r.summary,
  };
  if (r.mode === 'verify') {
    o.recoverable = r.recoverable;
    o.issues = r.issues;
  }
  if (r.failure) o.failure = r.failure;
  o.elapsedMs = Math.round(r.elapsedMs);
  return o;
}

async function runScan(logDirs: string[], flags: ScanFlags): Promise<number> {
  const host = flags.host ?? os.hostname();
  const mode: ScanMode = flags.summary ? 'info' : 'verify';
  const out = new Output();
  const results: ScanResult[] = [];
  // One bar over the .log bytes of all partitions, moving while partitions are read (workers
  // report bytes), on a terminal's stderr only (progress.ts); --no-progress turns it off.
  const progress = startProgress(mode === 'verify' ? 'scanning' : 'summarising', flags.progress !== false);
  const t0 = performance.now();
  // The main thread only waits for the workers here, so Ctrl-C is handled at once.
  const offInterrupt = onInterrupt('scan reads only: nothing was changed');
  for await (const r of scan(logDirs, {
    jobs: flags.jobs,
    mode,
    strict: flags.strict,
    maxIssues: flags.maxIssues,
    onBytes: progress.onProgress,
  })) {
    results.push(r);
    if (flags.ndjson) {
      out.line(toJson(resultJson(r, host)));
      await out.flushIfFull();
    }
  }
  progress.stop();
  offInterrupt();
  const elapsed = (performance.now() - t0) / 1000;
  const failed = results.filter((r) => !r.ok).length;
  const errors = results.reduce((n, r) => n + r.errors, 0);
  const warnings = results.reduce((n, r) => n + r.warnings, 0);
  results.sort(
    (a, b) =>
      a.target.logDir.localeCompare(b.target.logDir) ||
      a.target.topic.localeCompare(b.target.topic) ||
      a.target.partition - b.target.partition ||
      a.target.name.localeCompare(b.target.name),
  );
  if (flags.json) {
    const totals = { partitions: results.length, failed, errors, warnings, segments: 0, batches: 0, records: 0, bytes: 0 };
    for (const r of results) {
      totals.segments += r.summary.segments;
      totals.batches += r.summary.batches;
      totals.records += r.summary.records;
      totals.bytes += r.summary.bytes;
    }
    out.line(toJson({ host, logDirs, mode, ok: failed === 0, totals, partitions: results.map((r) => resultJson(r, host)) }));
  } else if (!flags.ndjson) {
    for (const line of renderTable(results, mode)) out.line(fitText(line));
    out.line(
      fitText(
        `${count(results.length, 'partition')} in ${elapsed.toFixed(1)} s` +
          (mode === 'verify' ? `: ${failed === 0 ? theme.good('all ok') : theme.bad(`${failed} with errors`)} (${count(errors, 'error')}, ${count(warnings, 'warning')})` : ''),
      ),
    );
    for (const r of results.filter((x) => !x.ok)) {
      out.line(
        fitText(
          theme.bad(`  ${r.target.dir}: `) +
            (r.failure
              ? `${r.failure.message}${r.failure.file ? ` (${r.failure.file}${r.failure.position !== undefined ? ` at byte ${r.failure.position}` : ''})` : ''}`
              : `${count(r.errors, 'error')} — run: kseg verify ${r.target.dir}`),
        ),
      );
    }
  }
  await out.flush();
  return failed > 0 ? EXIT.notFound : EXIT.ok;
}

function renderTable(results: ScanResult[], mode: ScanMode): string[] {
  const byTopic = new Map<string, ScanResult[]>();
  for (const r of results) {
    const key = `${r.target.topic}${r.target.state === 'live' ? '' : ` (${r.target.state})`}`;
    let l = byTopic.get(key);
    if (!l) byTopic.set(key, (l = []));
    l.push(r);
  }
  const head = ['topic', 'partitions', 'segments', 'records', 'bytes'];
  if (mode === 'verify') head.push('ok', 'errors', 'warnings');
  const table = new FitTable(head);
  for (const [topic, rs] of byTopic) {
    const sum = (f: (r: ScanResult) => number) => rs.reduce((n, r) => n + f(r), 0);
    const row = [topic, String(rs.length), String(sum((r) => r.summary.segments)), String(sum((r) => r.summary.records)), bytesCell(sum((r) => r.summary.bytes))];
    if (mode === 'verify') {
      const bad = rs.filter((r) => !r.ok).length;
      row.push(bad === 0 ? theme.good('✓') : theme.bad(`${bad} ✗`), String(sum((r) => r.errors)), String(sum((r) => r.warnings)));
    }
    table.push(row);
  }
  return [table.toString()];
}
