import { s3Options } from '../options.js';
import type { KsegCommand } from '../program.js';
import { info, type PartitionInfo } from '../../ops/info.js';
import { toJson } from '../output.js';
import { FitTable, fitText } from '../table-fit.js';
import { theme } from '../theme.js';
import { isoTime } from '../time.js';
import { resolveArchiveArgs } from '../../storage/archive.js';
import { bytesWithUnit, count } from '../plural.js';

export function register(program: KsegCommand): void {
  program
    .command('info')
    .description('a table per partition: one row per segment with offsets, batches, records, bytes, index entries, time range, magics, codecs')
    .argument('<path...>', 'partition directory, .log file or KRaft snapshot (.checkpoint) file')
    .option('--json', 'JSON array, one object per partition')
    .with(s3Options())
    .addHelpText(
      'after',
      `
Examples:
  kseg info /var/lib/kafka/orders-3
  kseg info orders-3 --json | jq '.[0].segments[] | {file, records}'`,
    )
    .action((paths: string[], flags: { json?: boolean }) => {
      const parts = info(resolveArchiveArgs(paths));
      if (flags.json) {
        process.stdout.write(toJson(parts) + '\n');
        return;
      }
      for (const p of parts) process.stdout.write(fitText(renderPartition(p)) + '\n');
    });
}

function range(a: number | null, b: number | null): string {
  return a === null || b === null ? '-' : a === b ? String(a) : `${a}..${b}`;
}

export function renderPartition(p: PartitionInfo): string {
  const heading =
    `${theme.file(p.dir)}  log ${p.logStartOffset ?? '-'}..${p.logEndOffset ?? '-'} (end exclusive)  ${count(p.segments.length, 'segment')}, ${count(p.batches, 'batch')}, ${count(p.records, 'record')}, ${bytesWithUnit(p.bytes)}` +
    (p.topicId ? `  topicId ${p.topicId}` : '') +
    (p.leaderEpochs && p.leaderEpochs.length ? `  leader epochs ${p.leaderEpochs.map((e) => `${e.epoch}@${e.startOffset}`).join(' ')}` : '');
  const head = ['segment base', 'offsets', 'batches', 'records', 'bytes', 'index', 'timeindex', 'txnindex', 'time range', 'magic', 'codecs', 'notes'];
  const rows: string[][] = [];
  for (const s of p.segments) {
    const notes: string[] = [];
    if (s.invalidCrcBatches) notes.push(theme.bad(`${s.invalidCrcBatches} CRC mismatch`));
    if (s.stop.reason !== 'eof') notes.push(theme.warn(`${s.stop.reason} at ${s.stop.position} (${s.stop.trailingBytes} B${s.stop.zeroTail ? ' zeros' : ''})`));
    if (s.problem) notes.push(theme.bad(s.problem));
    if (s.firstOffset !== null && s.firstOffset > s.baseOffset) notes.push('starts above base');
    if (s.indexZeroTailEntries) notes.push(`index zero tail ${s.indexZeroTailEntries}`);
    rows.push([
      String(s.baseOffset),
      range(s.firstOffset, s.lastOffset),
      String(s.batches),
      String(s.records),
      String(s.bytes),
      s.indexEntries === null ? '-' : String(s.indexEntries),
      s.timeIndexEntries === null ? '-' : String(s.timeIndexEntries),
      s.txnIndexEntries === null ? '-' : String(s.txnIndexEntries),
      s.minTimestamp === null ? '-' : `${isoTime(s.minTimestamp)}\n${isoTime(s.maxTimestamp!)}`,
      s.magics.join(',') || '-',
      s.codecs.join(',') || '-',
      notes.join('\n'),
    ]);
  }
  const extra: string[] = [];
  if (p.snapshots.length) extra.push(`producer snapshots: ${p.snapshots.join(', ')}`);
  for (const k of p.kraftSnapshots) {
    const what = k.endOffset === null ? 'KRaft bootstrap snapshot' : `KRaft snapshot end offset ${k.endOffset} epoch ${k.epoch}`;
    const state = k.complete ? theme.good('complete') : theme.bad(`incomplete: ${k.problems.join('; ')}`);
    extra.push(`${what}: ${k.file}  ${count(k.batches, 'batch')}, ${count(k.records, 'record')}, ${bytesWithUnit(k.bytes)}  ${state}`);
  }
  if (p.leftovers.length) extra.push(theme.warn(`leftovers (unfinished delete/clean/swap): ${p.leftovers.join(', ')}`));
  if (p.orphans.length) extra.push(theme.warn(`index files without a .log: ${p.orphans.join(', ')}`));
  const table = new FitTable(head);
  table.push(...rows);
  return [heading, table.toString(), ...extra].join('\n');
}
