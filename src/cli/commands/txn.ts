import type { KsegCommand } from '../program.js';
import { DEFAULT_HANGING_TIMEOUT_MS, txnPath, type Transaction, type TxnLogDirReport, type TxnReport } from '../../ops/txn.js';
import { UsageError } from '../../format/errors.js';
import { intArg, nonNegative, s3Options } from '../options.js';
import { toJson } from '../output.js';
import { theme } from '../theme.js';
import { FitTable, fitText } from '../table-fit.js';
import { isoTime } from '../time.js';
import { count } from '../plural.js';
import { resolveArchiveArg, resolveArchiveArgs } from '../../storage/archive.js';

interface TxnFlags {
  hangingTimeoutMs?: number;
  referenceTime?: string;
  bootstrapServer?: string;
  all?: boolean;
  limit?: number;
  transactionState?: string[] | false;
  json?: boolean;
}

export function register(program: KsegCommand): void {
  program
    .command('txn')
    .description(
      'transaction forensics of a partition: open, committed and aborted transactions per producer id, the last stable offset and what holds it, hanging transactions and the command that aborts one',
    )
    .argument('<path>', 'partition directory, or a broker log dir (every partition in it: find-hanging --broker-id offline)')
    .option(
      '--hanging-timeout-ms <ms>',
      `an open transaction whose producer wrote nothing for longer than this is a hanging candidate (default ${DEFAULT_HANGING_TIMEOUT_MS}: kafka-transactions.sh find-hanging's 15-minute max transaction timeout)`,
      nonNegative('--hanging-timeout-ms'),
    )
    .option('--reference-time <ms|now>', "the 'now' hanging candidates are measured against (default: the largest timestamp in the log)")
    .option('--bootstrap-server <host:port>', 'broker address to put in the printed abort commands')
    .option('--all', 'list committed transactions too (default: open and aborted ones)')
    .option('--limit <n>', 'most transactions listed, open ones always included (default 10000; counts are always complete)', nonNegative('--limit'))
    .option(
      '--transaction-state <dirs>',
      "__transaction_state log dirs or partition dirs to name each producer's transactional id and coordinator state (default: the partition's own log dir, when it holds __transaction_state-N)",
      (v: string, prev: string[] = []) => [...prev, ...v.split(',').filter(Boolean)],
    )
    .option('--no-transaction-state', 'do not read __transaction_state')
    .with(s3Options())
    .option('--json', 'one JSON object (README, "JSON contract")')
    .addHelpText(
      'after',
      `
Examples:
  kseg txn /var/lib/kafka/data/orders-3
  kseg txn orders-3 --bootstrap-server broker1:9092 --hanging-timeout-ms 600000
  kseg txn orders-3 --reference-time now --json | jq '.hanging[].command'
  kseg txn /var/lib/kafka/data --reference-time now       # every partition of the broker`,
    )
    .action((dir: string, flags: TxnFlags) => {
      let referenceTime: number | 'now' | undefined;
      if (flags.referenceTime !== undefined) referenceTime = flags.referenceTime === 'now' ? 'now' : referenceTimeArg(flags.referenceTime);
      const r = txnPath(resolveArchiveArg(dir, { allowLogDir: true }), {
        hangingTimeoutMs: flags.hangingTimeoutMs,
        referenceTime,
        bootstrapServer: flags.bootstrapServer,
        all: flags.all,
        limit: flags.limit,
        transactionState: flags.transactionState && resolveArchiveArgs(flags.transactionState, { allowLogDir: true }),
      });
      if (flags.json) process.stdout.write(toJson(r.report) + '\n');
      else process.stdout.write(fitText(r.kind === 'partition' ? renderTxn(r.report) : renderLogDir(r.report)));
    });
}

function referenceTimeArg(v: string): number {
  if (/^\d+$/.test(v)) return intArg('--reference-time')(v);
  const t = Date.parse(v);
  if (Number.isNaN(t)) throw new UsageError(`--reference-time: '${v}' is not a timestamp in ms, an ISO date or 'now'`);
  return t;
}

function duration(ms: number): string {
  const s = Math.floor(ms / 1000);
  const d = Math.floor(s / 86400);
  const h = Math.floor((s % 86400) / 3600);
  const m = Math.floor((s % 3600) / 60);
  if (d) return `${d}d ${h}h ${m}m`;
  if (h) return `${h}h ${m}m`;
  if (m) return `${m}m ${s % 60}s`;
  return `${(ms / 1000).toFixed(ms < 10000 ? 1 : 0)}s`;
}

function time(ts: number | null): string {
  return ts === null ? '-' : isoTime(ts);
}

function offsets(t: Transaction): string {
  if (t.firstOffset === null) return '(before log start)';
  return t.firstOffset === t.lastOffset ? String(t.firstOffset) : `${t.firstOffset}..${t.lastOffset}`;
}

export function renderTxn(r: TxnReport): string {
  const out: string[] = [];
  const c = r.counts;
  out.push(`${theme.file(r.dir)}  log ${r.logStartOffset ?? '-'}..${r.logEndOffset ?? '-'} (end exclusive)`);
  if (r.lastStableOffsetHeldBy) {
    const h = r.lastStableOffsetHeldBy;
    out.push(
      `last stable offset ${theme.warn(String(r.lastStableOffset))}, held by the open transaction of producer ${h.producerId} (epoch ${h.producerEpoch}) since ${time(h.firstTimestamp)}; ${r.logEndOffset! - r.lastStableOffset!} offsets above it are invisible to read_committed consumers`,
    );
  } else {
    out.push(`last stable offset ${r.lastStableOffset ?? '-'} (= log end offset: no open transaction)`);
  }
  out.push(`producers: ${c.producers} (${c.transactionalProducers} transactional); transactions: ${c.committed} committed, ${c.aborted} aborted, ${c.open} open`);
  const agree = r.snapshots.filter((s) => s.agrees === true).length;
  out.push(
    `.txnindex: ${count(r.txnIndex.files, 'file')}, ${r.txnIndex.entries} aborted transactions; producer snapshots: ${r.snapshots.length}${r.snapshots.length ? ` (${agree} checked against the log and agreeing)` : ''}`,
  );

  if (r.transactionState)
    out.push(`__transaction_state: ${count(r.transactionState.partitions.length, 'partition')} read, ${r.transactionState.transactionalIds} transactional ids`);
  if (r.producers.length) {
    const ts = r.transactionState !== null;
    const t = new FitTable([
      'producer id',
      'epoch',
      'committed',
      'aborted',
      'open since offset',
      'last offset',
      'last timestamp',
      ...(ts ? ['transactional id', 'coordinator state'] : []),
    ]);
    for (const p of r.producers) {
      const row = [
        String(p.producerId),
        String(p.producerEpoch),
        String(p.committed),
        String(p.aborted),
        p.open ? theme.warn(String(p.open.firstOffset)) : '-',
        String(p.lastOffset),
        time(p.lastTimestamp),
      ];
      if (ts) row.push(p.transactionalId ?? '-', p.coordinator ? `${p.coordinator.state} (epoch ${p.coordinator.producerEpoch}, ${p.coordinator.partitionDir})` : '-');
      t.push(row);
    }
    out.push('', t.toString());
  }
  if (r.transactions.length) {
    const t = new FitTable(['producer id', 'state', 'offsets', 'batches', 'records', 'first timestamp', 'last timestamp', 'marker', 'coord. epoch']);
    for (const x of r.transactions) {
      const state = x.state === 'open' ? theme.warn('open') : x.state === 'aborted' ? theme.bad('aborted') : theme.good('committed');
      t.push([
        String(x.producerId),
        state,
        offsets(x),
        String(x.batches),
        String(x.records),
        time(x.firstTimestamp),
        time(x.lastTimestamp),
        x.markerOffset === null ? '-' : String(x.markerOffset),
        x.coordinatorEpoch === null ? '-' : String(x.coordinatorEpoch),
      ]);
    }
    out.push(
      '',
      `${r.transactions.length === r.open.length ? 'open transactions' : 'transactions'}${r.omittedTransactions ? ` (${r.omittedTransactions} more not listed: --limit)` : ''}:`,
      t.toString(),
    );
  }
  const ref =
    r.referenceTime === null
      ? '-'
      : `${isoTime(r.referenceTime)} (${r.referenceTimeSource === 'log' ? "the log's last timestamp; --reference-time now to use the clock" : r.referenceTimeSource === 'clock' ? 'now' : '--reference-time'})`;
  if (r.hanging.length) {
    out.push('', theme.bad(`hanging transaction candidates: open, producer silent for more than ${duration(r.hangingTimeoutMs)} before ${ref}:`));
    for (const h of r.hanging) {
      const who =
        h.transactionalId !== undefined
          ? h.transactionalId === null
            ? '; no transactional id in __transaction_state uses this producer id'
            : `; transactional id ${JSON.stringify(h.transactionalId)} is ${h.coordinatorState} without this partition`
          : '';
      out.push(`  producer ${h.producerId} epoch ${h.producerEpoch}, open since offset ${h.firstOffset}, last write ${time(h.lastTimestamp)} (${duration(h.idleMs)} before)${who}`);
      out.push(`    ${h.command}`);
    }
    out.push(
      "  Before aborting, confirm with the cluster: kafka-transactions.sh ... find-hanging --topic T --partition P, and describe the producer's transactional id (an abort is final).",
    );
  }
  for (const h of r.awaitingMarker) {
    out.push(
      `open since offset ${h.firstOffset} (producer ${h.producerId}, silent ${duration(h.idleMs)}), but transactional id ${JSON.stringify(h.transactionalId)} is ${h.coordinatorState} with this partition: the coordinator will write its marker (not hanging)`,
    );
  }
  if (!r.hanging.length && r.open.length && !r.awaitingMarker.length) {
    out.push('', `no hanging candidates: every open transaction's producer wrote within ${duration(r.hangingTimeoutMs)} of ${ref}`);
  }
  if (r.findings.length) {
    out.push('', 'checks against .txnindex and producer snapshots:');
    for (const f of r.findings) out.push(`  ${theme.bad(f.code)} ${f.message}${f.file ? ` (${f.file}${f.position !== undefined ? ` at byte ${f.position}` : ''})` : ''}`);
  }
  return out.join('\n') + '\n';
}

export function renderLogDir(r: TxnLogDirReport): string {
  const c = r.counts;
  const out = [
    `${theme.file(r.logDir)}  ${count(r.partitionsRead, 'partition')} read, ${r.partitions.length} with transactions: ${c.open} open, ${c.hanging} hanging candidates, ${c.awaitingMarker} awaiting their marker, ${c.findings} findings`,
  ];
  if (r.partitions.length) {
    const t = new FitTable(['partition', 'log end', 'last stable offset', 'held by producer', 'producers', 'committed', 'aborted', 'open', 'hanging', 'findings']);
    for (const p of r.partitions) {
      const name = p.topic !== null ? `${p.topic}-${p.partition}` : p.dir;
      t.push([
        name,
        String(p.logEndOffset ?? '-'),
        p.lastStableOffsetHeldBy ? theme.warn(String(p.lastStableOffset)) : String(p.lastStableOffset ?? '-'),
        p.lastStableOffsetHeldBy ? String(p.lastStableOffsetHeldBy.producerId) : '-',
        String(p.counts.transactionalProducers),
        String(p.counts.committed),
        String(p.counts.aborted),
        String(p.counts.open),
        p.hanging.length ? theme.bad(String(p.hanging.length)) : '0',
        p.findings.length ? theme.bad(String(p.findings.length)) : '0',
      ]);
    }
    out.push(t.toString());
  }
  const hanging = r.partitions.flatMap((p) => p.hanging);
  if (hanging.length) {
    out.push('', theme.bad('hanging transaction candidates (kseg txn PARTITION for details):'));
    for (const h of hanging) out.push(`  ${h.command}`);
  }
  return out.join('\n') + '\n';
}
