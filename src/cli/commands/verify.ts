import { EXIT } from '../exit-codes.js';
import type { KsegCommand } from '../program.js';
import { ISSUE_CODES, verify, type PartitionReport, type Recoverable, type VerifyIssue, type VerifyReport } from '../../ops/verify/index.js';
import os from 'node:os';
import { UsageError } from '../../format/errors.js';
import { nonNegative, s3Options } from '../options.js';
import { toJson } from '../output.js';
import { theme } from '../theme.js';
import { fitText } from '../table-fit.js';
import { resolveArchiveArgs } from '../../storage/archive.js';
import { bytesWithUnit, count } from '../plural.js';
import { startProgress } from '../progress.js';

interface VerifyFlags {
  json?: boolean;
  strict?: boolean;
  recordSet?: boolean;
  maxIssues?: number;
  codes?: boolean;
  jobs?: number;
}

/** --jobs N or --jobs auto (the number of cores). */
function jobsArg(v: string): number {
  if (v.trim() === 'auto') return os.availableParallelism?.() ?? os.cpus().length;
  const n = nonNegative('--jobs')(v);
  if (n < 1) throw new UsageError('--jobs: must be at least 1 (or auto)');
  return n;
}

export function register(program: KsegCommand): void {
  program
    .command('verify')
    .description('check every batch, index, snapshot and checkpoint; report each problem with its file, byte position and offset')
    .argument('[path...]', 'partition directory, log directory (all its partitions) or single file')
    .option('--json', 'JSON report (README, "JSON contract")')
    .option('--strict', 'treat warnings as errors')
    .option('--record-set', '.log files are record sets cut from fetch responses: a partial last batch is normal (auto-detected for directories holding only .log files)')
    .option('--no-record-set', 'treat .log files as broker segments even when no index files are present')
    .option('--max-issues <n>', 'list at most N issues (all are counted)', nonNegative('--max-issues'), 10000)
    .option('--jobs <n>', 'threads checking batch CRCs and records: a number, or auto for the number of cores (default 1)', jobsArg, 1)
    .option('--codes', 'print the table of issue codes with their severity and exit')
    .with(s3Options())
    .addHelpText(
      'after',
      `
Every issue has a stable code, a severity (error, warning, info), the file name within its partition
directory, the byte position in that file (for index problems: of the entry) and the offset when known.
Facts that are normal in real clusters (follower index layout, time-index entries inside a batch,
compacted segments above their base offset, offset gaps, the active segment's preallocated index tail,
empty segments) are never reported. "recoverable" says what Kafka's startup recovery (kseg recover)
would cut. Run "kseg verify --codes" for the list of codes.

--jobs N splits large segments into chunks of whole batches that N threads check at once (CRC and
records); the walk that relates batches to each other, the indexes and the report stay on one thread,
so the findings and their order are the same for every N. Segments under 8 MiB, and segments of
small batches (under 32 KiB on average), are checked on one thread. Memory stays bounded: each thread reads its chunks through one 512 KiB buffer.

Exit codes: 0 no errors (warnings allowed unless --strict), 1 errors found, 2 usage, 4 I/O error.

Examples:
  kseg verify /var/lib/kafka/orders-3
  kseg verify /var/lib/kafka --json | jq '.partitions[] | select(.ok == false)'
  kseg verify orders-3/00000000000000368769.index
  kseg verify capture/topic-0 --record-set
  kseg verify /var/lib/kafka/orders-3 --jobs auto`,
    )
    .action((paths: string[], flags: VerifyFlags) => {
      if (flags.codes) {
        process.stdout.write(flags.json ? toJson(ISSUE_CODES) + '\n' : renderCodes());
        return;
      }
      const progress = startProgress('verifying');
      let report: VerifyReport;
      try {
        report = verify(resolveArchiveArgs(paths, { allowLogDir: true }), {
          strict: flags.strict,
          recordSet: flags.recordSet,
          maxIssues: flags.maxIssues,
          jobs: flags.jobs,
          onProgress: progress.onProgress,
        });
      } finally {
        progress.stop();
      }
      process.stdout.write(flags.json ? toJson(report) + '\n' : fitText(renderReport(report, paths.join(' '))));
      if (report.errors > 0) return EXIT.notFound;
    });
}

export function renderCodes(): string {
  const w = Math.max(...ISSUE_CODES.map((c) => c.code.length));
  return ISSUE_CODES.map((c) => `${sev(c.severity)}${' '.repeat(8 - c.severity.length)}${c.code.padEnd(w)}  ${c.meaning}`).join('\n') + '\n';
}

function sev(s: VerifyIssue['severity']): string {
  return s === 'error' ? theme.bad('error') : s === 'warning' ? theme.warn('warning') : theme.dim('info');
}

function where(i: VerifyIssue): string {
  return `${i.file}${i.position !== null ? `@${i.position}` : ''}`;
}

function recoverLine(r: Recoverable): string {
  const lost = `${r.recordsLostEstimated ? 'about ' : ''}${count(r.recordsLost, 'record')}`;
  return `  ${theme.warn('recovery')} would truncate ${theme.file(r.file)} at byte ${r.truncateAtPosition} (later segments deleted): ${lost} lost (kseg recover)`;
}

function summaryLine(p: { summary: VerifyReport['summary'] }): string {
  const s = p.summary;
  return theme.dim(`${count(s.segments, 'segment')}, ${count(s.batches, 'batch')}, ${count(s.records, 'record')}, ${bytesWithUnit(s.bytes)}`);
}

/** Readable report: one block per partition, one line per issue. */
export function renderReport(r: VerifyReport, label?: string): string {
  const out: string[] = [];
  if (!r.partitions && label) out.push(theme.file(label));
  const parts: (PartitionReport | null)[] = r.partitions ?? [null];
  const codeW = Math.min(32, Math.max(0, ...r.issues.map((i) => i.code.length)));
  const whereW = Math.min(44, Math.max(0, ...r.issues.map((i) => where(i).length)));
  for (const p of parts) {
    const issues = p ? r.issues.filter((i) => i.partition === p.partition) : r.issues;
    if (p) {
      const status = p.ok ? (p.warnings ? theme.warn('ok') : theme.good('ok')) : theme.bad('FAILED');
      if (p.logDir) {
        const n = p.filesChecked ?? 0;
        out.push(`${theme.file(p.partition)}  ${status}  ${theme.dim(`log dir: ${count(n, 'broker file')} checked (checkpoints, KRaft snapshots)`)}`);
      } else out.push(`${theme.file(p.partition)}  ${status}  ${summaryLine(p)}${p.mode === 'record-set' ? theme.dim('  (record set)') : ''}`);
    }
    for (const i of issues) {
      const off = i.offset !== null ? theme.offset(`offset ${i.offset}`) + ' ' : '';
      const line = `  ${sev(i.severity)}${' '.repeat(Math.max(1, 8 - i.severity.length))}${i.code.padEnd(codeW)}  ${where(i).padEnd(whereW)}  ${off}${i.message}`;
      out.push(i.severity === 'info' ? theme.dim(line) : line);
    }
    const rec = p ? p.recoverable : r.recoverable;
    if (rec) out.push(recoverLine(rec));
  }
  if (r.issuesOmitted) out.push(theme.dim(`  … ${r.issuesOmitted} more issues not listed (--max-issues)`));
  const infos = r.issues.filter((i) => i.severity === 'info').length;
  const counts = `${count(r.errors, 'error')}, ${count(r.warnings, 'warning')}${infos ? `, ${count(infos, 'note')}` : ''}`;
  const nParts = r.partitions ? r.partitions.filter((p) => !p.logDir).length : 0;
  const partsText = nParts > 1 ? theme.dim(`${count(nParts, 'partition')}, `) : '';
  out.push(`${r.ok ? theme.good('✓ ok') : theme.bad('✗ errors found')}: ${counts}  ${partsText}${summaryLine(r)}`);
  return out.join('\n') + '\n';
}
