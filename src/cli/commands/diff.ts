import path from 'node:path';
import { EXIT } from '../exit-codes.js';
import type { KsegCommand } from '../program.js';
import { diff, type BatchDiff, type BatchHeader, type DiffResult, type IndexLanding, type ReplicaInfo } from '../../ops/diff.js';
import { UsageError } from '../../format/errors.js';
import { nonNegative, s3Options } from '../options.js';
import { Output, toJson } from '../output.js';
import { theme } from '../theme.js';
import { fitText } from '../table-fit.js';
import { bytesWithUnit, count } from '../plural.js';
import { resolveArchiveArg } from '../../storage/archive.js';

interface DiffFlags {
  json?: boolean;
  maxDiffs: number;
  maxRecords: number;
  deep?: boolean;
}

export function register(program: KsegCommand): void {
  program
    .command('diff')
    .description('compare two replicas of a partition: first diverging offset, differing batches, log start/end, records in one only, index lookups that would land elsewhere')
    .argument('<dir-a>', "partition directory (e.g. the leader's, or the copy before a repair)")
    .argument('<dir-b>', "partition directory (e.g. a follower's, or the copy after a repair)")
    .with(s3Options())
    .option('--json', 'one JSON object')
    .option('--deep', 'also compare the bytes of batches whose headers agree (reads both logs fully; finds a damaged copy whose stored CRC was kept)')
    .option('--max-diffs <n>', 'list at most N differing batches and index lookups (all are counted)', nonNegative('--max-diffs'), 100)
    .option('--max-records <n>', 'list at most N record offsets of each kind per differing batch', nonNegative('--max-records'), 20)
    .addHelpText(
      'after',
      `
Batch headers are compared first (offsets, length, stored CRC, leader epoch, attributes, max
timestamp, producer id/epoch/sequence, record count); records are decoded only where headers
disagree. CRCs are not recomputed: run kseg verify on each replica for that. Offset index
differences are reported only when a lookup would land on another batch than the log says;
per-append vs per-batch entries are layout only.

Exit codes: 0 the replicas are the same, 1 they differ, 2 usage, 4 I/O error.

Examples:
  kseg diff /data/broker-1/orders-3 /data/broker-2/orders-3
  kseg diff orders-3.before orders-3 --json | jq .firstDivergingOffset`,
    )
    .action(async (a: string, b: string, flags: DiffFlags) => {
      if (flags.maxDiffs === undefined) throw new UsageError('--max-diffs needs a number');
      const r = diff(resolveArchiveArg(a), resolveArchiveArg(b), { maxDiffs: flags.maxDiffs, maxRecords: flags.maxRecords, deep: flags.deep });
      const out = new Output();
      if (flags.json) out.line(toJson(r));
      else for (const l of renderDiff(r)) out.line(fitText(l));
      await out.flush();
      return r.same ? EXIT.ok : EXIT.notFound;
    });
}

function replicaLine(name: string, r: ReplicaInfo): string {
  const start =
    r.logStartOffset === null ? 'no segments' : `log start ${r.logStartOffset}${r.logStartOffsetSource === 'log-start-offset-checkpoint' ? ' (log-start-offset-checkpoint)' : ''}`;
  const end = r.logEndOffset === null ? '' : `, log end ${r.logEndOffset}`;
  const stop = r.stoppedAt ? theme.bad(`; reading stopped at ${r.stoppedAt.file} byte ${r.stoppedAt.position}: ${r.stoppedAt.message}`) : '';
  return `${name}: ${r.dir}  ${start}${end}, ${count(r.segments, 'segment')}, ${count(r.batches, 'batch')}, ${bytesWithUnit(r.bytes)}${stop}`;
}

function fieldDiff(f: string, a: BatchHeader | null, b: BatchHeader | null): string {
  if (!a || !b || !(f in a)) return f;
  const k = f as keyof BatchHeader;
  return `${f} ${a[k]} vs ${b[k]}`;
}

function batchLine(d: BatchDiff): string {
  const range = theme.offset(`${d.baseOffset}..${d.lastOffset}`);
  const where = (h: BatchHeader | null) => (h ? `${h.file}@${h.position}` : '-');
  if (d.kind === 'only-a') return `  ${range} only in A (${where(d.a)}, ${count(d.a!.recordCount, 'record')})`;
  if (d.kind === 'only-b') return `  ${range} only in B (${where(d.b)}, ${count(d.b!.recordCount, 'record')})`;
  let s =
    d.kind === 'boundaries'
      ? `  ${range} batch boundaries differ: A ${d.a!.baseOffset}..${d.a!.lastOffset}, B ${d.b!.baseOffset}..${d.b!.lastOffset}`
      : `  ${range} differs: ${d.fields.map((f) => fieldDiff(f, d.a, d.b)).join(', ')} (A ${where(d.a)}, B ${where(d.b)})`;
  const r = d.records;
  if (r) {
    if (r.error) s += theme.bad(`; records not compared: ${r.error}`);
    else if (r.differing + r.onlyA + r.onlyB === 0) s += '; records identical';
    else {
      const parts: string[] = [];
      if (r.differing) parts.push(`${r.differing} differ (${offsets(r.differingOffsets, r.differing)})`);
      if (r.onlyA) parts.push(`${r.onlyA} only in A (${offsets(r.onlyAOffsets, r.onlyA)})`);
      if (r.onlyB) parts.push(`${r.onlyB} only in B (${offsets(r.onlyBOffsets, r.onlyB)})`);
      s += `; records: ${parts.join(', ')}`;
    }
  }
  return s;
}

function offsets(listed: number[], total: number): string {
  return listed.join(', ') + (total > listed.length ? ', …' : '');
}

function landingText(l: IndexLanding | null): string {
  return l ? `${l.baseOffset}..${l.lastOffset} @${l.position}` : 'nothing';
}

export function renderDiff(r: DiffResult): string[] {
  const lines: string[] = [replicaLine('A', r.a), replicaLine('B', r.b)];
  const nameA = path.basename(path.resolve(r.a.dir));
  const nameB = path.basename(path.resolve(r.b.dir));
  if (nameA !== nameB) lines.push(theme.warn(`note: the directory names differ (${nameA}, ${nameB}): are these replicas of the same partition?`));
  if (r.a.logStartOffset !== r.b.logStartOffset) lines.push(`log start offsets differ: A ${r.a.logStartOffset}, B ${r.b.logStartOffset}`);
  if (r.a.logEndOffset !== r.b.logEndOffset) lines.push(`log end offsets differ: A ${r.a.logEndOffset}, B ${r.b.logEndOffset}`);
  lines.push(`first diverging offset: ${r.firstDivergingOffset === null ? 'none' : theme.offset(String(r.firstDivergingOffset))}`);
  lines.push(`batches: ${r.batchesCompared} compared, ${r.batchesDiffering} differ${r.batchesDiffering > r.batches.length ? ` (first ${r.batches.length} listed)` : ''}`);
  for (const d of r.batches) lines.push(batchLine(d));
  const ranges = (x: [number, number][]) => x.map(([f, t]) => (f === t ? `${f}` : `${f}..${t}`)).join(', ');
  if (r.onlyInA.length) lines.push(`offsets only in A: ${ranges(r.onlyInA)}`);
  if (r.onlyInB.length) lines.push(`offsets only in B: ${ranges(r.onlyInB)}`);
  if (r.recordsOnlyInA || r.recordsOnlyInB) lines.push(`records only in A: ${r.recordsOnlyInA}, only in B: ${r.recordsOnlyInB}`);
  const le = r.leaderEpochs;
  if (!le.same) {
    const show = (e: typeof le.a, err?: string) => (err ? `unreadable (${err})` : e === null ? 'none' : e.map((x) => `${x.epoch}@${x.startOffset}`).join(' ') || 'empty');
    lines.push(`leader-epoch-checkpoint differs: A ${show(le.a, le.errorA)}; B ${show(le.b, le.errorB)}`);
  }
  const ix = r.indexes;
  lines.push(
    `offset indexes: ${ix.identical} identical, ${ix.layoutOnly.length} layout only${ix.layoutOnly.length ? ` (${ix.layoutOnly.join(', ')})` : ''}, ${count(ix.mattering, 'lookup')} landing elsewhere`,
  );
  for (const d of ix.differences) {
    lines.push(`  ${d.replica === 'a' ? 'A' : 'B'} ${d.segment}: a lookup of offset ${d.offset} lands on ${landingText(d.lands)}, the log has it in ${landingText(d.expected)}`);
  }
  if (ix.onlyInA.length) lines.push(`segments only in A: ${ix.onlyInA.join(', ')}`);
  if (ix.onlyInB.length) lines.push(`segments only in B: ${ix.onlyInB.join(', ')}`);
  lines.push(r.same ? theme.good('same') : theme.bad('different'));
  return lines;
}
