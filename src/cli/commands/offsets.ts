import { EXIT } from '../exit-codes.js';
import type { KsegCommand } from '../program.js';
import { DEFAULT_OFFSETS_RETENTION_MS, offsets, type OffsetsReport } from '../../ops/groups.js';
import { UsageError } from '../../format/errors.js';
import { intArg, nonNegative, s3Options } from '../options.js';
import { toJson } from '../output.js';
import { theme } from '../theme.js';
import { FitTable, fitText } from '../table-fit.js';
import { count } from '../plural.js';
import { isoTime } from '../time.js';
import { resolveArchiveArgs } from '../../storage/archive.js';

const collect = (v: string, prev: string[] = []): string[] => [...prev, v];

export function referenceArg(flag: string, allowLog: boolean): (v: string) => number | 'now' | 'log' {
  return (v: string) => {
    if (v === 'now') return 'now';
    if (allowLog && v === 'log') return 'log';
    if (/^\d+$/.test(v)) return intArg(flag)(v);
    const t = Date.parse(v);
    if (Number.isNaN(t)) throw new UsageError(`${flag}: '${v}' is not a timestamp in ms, an ISO date${allowLog ? ", 'log'" : ''} or 'now'`);
    return t;
  };
}

export function register(program: KsegCommand): void {
  program
    .command('offsets')
    .description(
      "committed offsets of consumer groups as of the end of __consumer_offsets: latest commit per topic-partition, tombstones and transactional commits applied, expiry by Kafka's rules",
    )
    .argument('<path...>', 'broker log dir (every __consumer_offsets-N in it) or __consumer_offsets-N directories')
    .option('--group <id>', 'group id (repeatable; default: every group with committed offsets)', collect)
    .option(
      '--reference-time <ms|now|log>',
      "the 'now' expiry is measured against: 'now' (default, the clock), 'log' (the newest record read) or a time",
      referenceArg('--reference-time', true),
    )
    .option('--retention-ms <ms>', `offsets.retention.minutes in ms (default ${DEFAULT_OFFSETS_RETENTION_MS}: 7 days)`, nonNegative('--retention-ms'))
    .with(s3Options())
    .option('--json', 'one JSON object (README, "JSON contract")')
    .addHelpText(
      'after',
      `
Examples:
  kseg offsets /var/lib/kafka/data --group payments-consumer
  kseg offsets /var/lib/kafka/data/__consumer_offsets-13 --group payments-consumer --json
  kseg offsets /var/lib/kafka/data --reference-time log     # every group, expiry as of the last write`,
    )
    .action((paths: string[], flags: { group?: string[]; referenceTime?: number | 'now' | 'log'; retentionMs?: number; json?: boolean }) => {
      const r = offsets(resolveArchiveArgs(paths, { allowLogDir: true }), { groups: flags.group, referenceTime: flags.referenceTime, retentionMs: flags.retentionMs });
      for (const p of r.problems)
        process.stderr.write(`kseg: note: ${p.message} (${p.file}${p.position >= 0 ? ` at byte ${p.position}` : ''}${p.offset >= 0 ? `, offset ${p.offset}` : ''})\n`);
      for (const g of r.notFound)
        process.stderr.write(
          `kseg: note: group ${JSON.stringify(g)} has no record in ${count(r.partitions.length, '__consumer_offsets partition')} read (kseg coordinator --group says which one holds it)\n`,
        );
      process.stdout.write(flags.json ? toJson(r) + '\n' : fitText(renderOffsets(r)));
      // Like lookup: nothing found for any group asked for is exit 1 (OUTPUT.md).
      if (flags.group?.length && r.notFound.length === flags.group.length) return EXIT.notFound;
    });
}

function time(ts: number | null): string {
  return ts === null || ts < 0 ? '-' : isoTime(ts);
}

export function renderOffsets(r: OffsetsReport): string {
  const out: string[] = [];
  out.push(
    `${count(r.partitions.length, '__consumer_offsets partition')} read${r.partitionCountFrom ? " (the groups' coordinator partitions, by the partition count in " + r.partitionCountFrom + ')' : ''}; expiry as of ${isoTime(r.referenceTime)} (${r.referenceTimeSource === 'clock' ? 'now' : r.referenceTimeSource === 'log' ? 'newest record read' : '--reference-time'}), retention ${r.retentionMs} ms`,
  );
  if (r.groups.length === 0) out.push('no committed offsets');
  for (const g of r.groups) {
    const kind =
      g.type === 'classic'
        ? `classic ${g.protocolType ?? ''}`.trim()
        : g.type === 'offsets-only'
          ? 'no group metadata (standalone consumer or group gone)'
          : `${g.type} (new protocol)`;
    out.push(
      '',
      `${theme.bold(`group ${JSON.stringify(g.group)}`)}  ${kind}, ${g.state}${g.generation !== null ? `, generation ${g.generation}` : ''}; ${theme.file(g.partitionDir)}`,
    );
    if (g.offsets.length) {
      const t = new FitTable(['topic', 'partition', 'offset', 'log end', 'lag', 'leader epoch', 'committed at', 'expires', 'metadata', 'record']);
      for (const o of g.offsets) {
        const expires = o.expired
          ? theme.bad(`expired ${time(o.expiresAt)}`)
          : o.expiresAt === null
            ? o.expiryRule === 'subscribed'
              ? 'no (subscribed)'
              : 'no'
            : time(o.expiresAt);
        const lag = o.lag === null || o.lag === undefined ? '-' : o.outOfRange ? theme.bad(`${o.lag} (out of range)`) : String(o.lag);
        t.push([
          o.topic,
          String(o.partition),
          String(o.offset),
          o.logEndOffset == null ? '-' : String(o.logEndOffset),
          lag,
          o.leaderEpoch === null || o.leaderEpoch < 0 ? '-' : String(o.leaderEpoch),
          time(o.commitTimestamp),
          expires,
          o.metadata ?? '',
          `${o.recordOffset}${o.producerId !== null ? ' (txn)' : ''}`,
        ]);
      }
      out.push(t.toString());
    } else out.push('  no committed offsets');
    for (const p of g.pending)
      out.push(
        `  ${theme.warn('pending')} transactional commit by producer ${p.producerId}: ${p.topic}-${p.partition} offset ${p.offset} (record ${p.recordOffset}; no COMMIT/ABORT marker yet)`,
      );
  }
  return out.join('\n') + '\n';
}
