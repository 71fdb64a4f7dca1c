import type { KsegCommand } from '../program.js';
import { metadata, type MetadataReport } from '../../ops/metadata.js';
import { nonNegative, s3Options } from '../options.js';
import { toJson } from '../output.js';
import { theme } from '../theme.js';
import { FitTable, fitText } from '../table-fit.js';
import { isoTime } from '../time.js';
import { count } from '../plural.js';
import { resolveArchiveArg } from '../../storage/archive.js';

const PROTOCOLS: Record<number, string> = { 0: 'PLAINTEXT', 1: 'SSL', 2: 'SASL_PLAINTEXT', 3: 'SASL_SSL' };

export function register(program: KsegCommand): void {
  program
    .command('metadata')
    .description(
      'the cluster a KRaft __cluster_metadata log describes, at its end or at an offset: brokers, topics with ids, partitions with leaders/ISR/epochs, features, configs (latest snapshot + the log after it)',
    )
    .argument('<path>', '__cluster_metadata-0 directory, a log dir holding one, or one .checkpoint snapshot (bootstrap.checkpoint too)')
    .option('--at-offset <n>', 'the state after the record at this offset (default: the end of the log)', nonNegative('--at-offset'))
    .option('--partitions', 'list every partition (leader, leader epoch, partition epoch, replicas, ISR)')
    .option('--topic <name>', 'only this topic in the tables (repeatable)', (v: string, prev: string[] = []) => [...prev, v])
    .with(s3Options())
    .option('--json', 'one JSON object (README, "JSON contract")')
    .addHelpText(
      'after',
      `
Examples:
  kseg metadata /var/lib/kafka/data/__cluster_metadata-0
  kseg metadata /var/lib/kafka/data --partitions --topic orders
  kseg metadata __cluster_metadata-0 --at-offset 1200 --json | jq '.topics[] | {name, topicId, partitionCount}'
  kseg metadata /var/lib/kafka/data/bootstrap.checkpoint`,
    )
    .action((p: string, flags: { atOffset?: number; partitions?: boolean; topic?: string[]; json?: boolean }) => {
      const r = metadata(resolveArchiveArg(p, { allowLogDir: true }), { atOffset: flags.atOffset });
      for (const x of r.problems)
        process.stderr.write(`kseg: note: ${x.message} (${x.file}${x.position >= 0 ? ` at byte ${x.position}` : ''}${x.offset >= 0 ? `, offset ${x.offset}` : ''})\n`);
      if (flags.json) {
        process.stdout.write(toJson(r) + '\n');
        return;
      }
      process.stdout.write(fitText(renderMetadata(r, !!flags.partitions, flags.topic)));
    });
}

const list = (a: number[] | null): string => (a === null ? '-' : `[${a.join(',')}]`);
const table = (head: string[]) => new FitTable(head);

export function renderMetadata(r: MetadataReport, partitions: boolean, only?: string[]): string {
  const out: string[] = [];
  const from = r.snapshot ? `snapshot ${r.snapshot.file} (${count(r.snapshot.records, 'record')}) + ` : '';
  const log = r.logEndOffset === null ? (r.snapshot ? 'no log' : 'empty log') : `log ${r.logStartOffset ?? '-'}..${r.logEndOffset} (end exclusive)`;
  out.push(
    `${theme.file(r.dir)}  ${from}${log}; state ${r.atOffset === null ? 'at the end' : `after offset ${r.atOffset}`}: last record applied ${r.lastAppliedOffset}${r.lastAppliedTimestamp !== null && r.lastAppliedTimestamp >= 0 ? ` (${isoTime(r.lastAppliedTimestamp)})` : ''}, ${count(r.recordsApplied, 'record')} applied`,
  );
  if (r.quorumLeader)
    out.push(
      `controller quorum leader ${r.quorumLeader.leaderId}, epoch ${r.quorumLeader.epoch} (LeaderChange at ${r.quorumLeader.offset})${r.voters ? `; voters ${r.voters.join(',')}` : ''}`,
    );
  out.push(
    `features: ${
      Object.entries(r.features)
        .map(([k, v]) => `${k}=${v}`)
        .join(', ') || '-'
    }${r.zkMigrationState !== null ? `; zk migration state ${r.zkMigrationState}` : ''}${r.producerIds ? `; next producer id ${r.producerIds.nextProducerId} (block of broker ${r.producerIds.brokerId})` : ''}`,
  );
  const c = r.counts;
  if (c.acls || c.clientQuotas || c.scramCredentials || c.delegationTokens)
    out.push(`ACLs ${c.acls}, client quotas ${c.clientQuotas}, SCRAM credentials ${c.scramCredentials}, delegation tokens ${c.delegationTokens}`);
  if (r.openTransaction)
    out.push(
      theme.warn(
        `metadata transaction begun at ${r.openTransaction.offset}${r.openTransaction.name ? ` (${r.openTransaction.name})` : ''} is not finished: its ${count(r.openTransaction.records, 'record')} are not applied`,
      ),
    );

  const bt = table(['broker', 'epoch', 'state', 'rack', 'endpoints', 'incarnation', 'registered at']);
  for (const b of r.brokers) {
    const state = b.fenced ? theme.bad('fenced') : b.inControlledShutdown ? theme.warn('controlled shutdown') : theme.good('active');
    bt.push([
      String(b.brokerId),
      String(b.brokerEpoch),
      state,
      b.rack ?? '-',
      b.endPoints
        .map((e) => `${e.name}://${e.host}:${e.port}${PROTOCOLS[e.securityProtocol] && PROTOCOLS[e.securityProtocol] !== e.name ? ` (${PROTOCOLS[e.securityProtocol]})` : ''}`)
        .join('\n'),
      b.incarnationId,
      String(b.registeredAt),
    ]);
  }
  out.push('', `brokers (${r.brokers.length}):`, r.brokers.length ? bt.toString() : '  none registered');
  if (r.controllers.length)
    out.push(`controllers: ${r.controllers.map((x) => `${x.controllerId} ${x.endPoints.map((e) => `${e.name}://${e.host}:${e.port}`).join(' ')}`).join('; ')}`);

  const topics = only && only.length ? r.topics.filter((t) => only.includes(t.name)) : r.topics;
  const tt = table(['topic', 'topic id', 'partitions', 'RF', 'under-replicated', 'offline', 'configs']);
  for (const t of topics) {
    tt.push([
      t.name,
      t.topicId,
      String(t.partitionCount),
      String(t.replicationFactor),
      t.underReplicated ? theme.warn(String(t.underReplicated)) : '0',
      t.offline ? theme.bad(String(t.offline)) : '0',
      Object.entries(t.configs)
        .map(([k, v]) => `${k}=${v}`)
        .join('\n'),
    ]);
  }
  out.push('', `topics (${topics.length}):`, topics.length ? tt.toString() : '  none');
  if (partitions) {
    const pt = table(['topic', 'partition', 'leader', 'leader epoch', 'partition epoch', 'replicas', 'isr', 'adding', 'removing', 'elr']);
    for (const t of topics) {
      for (const p of t.partitions)
        pt.push([
          t.name,
          String(p.partition),
          p.leader < 0 ? theme.bad(String(p.leader)) : String(p.leader),
          String(p.leaderEpoch),
          String(p.partitionEpoch),
          list(p.replicas),
          p.isr.length < p.replicas.length ? theme.warn(list(p.isr)) : list(p.isr),
          list(p.addingReplicas),
          list(p.removingReplicas),
          list(p.eligibleLeaderReplicas),
        ]);
    }
    out.push('', 'partitions:', pt.toString());
  }
  const bc = Object.entries(r.configs.brokers);
  const oc = Object.entries(r.configs.other);
  if (bc.length || oc.length) {
    out.push('', 'configs:');
    for (const [k, m] of bc)
      out.push(
        `  broker ${k === '' ? '(cluster default)' : k}: ${Object.entries(m)
          .map(([a, b]) => `${a}=${b}`)
          .join(', ')}`,
      );
    for (const [k, m] of oc)
      out.push(
        `  ${k}: ${Object.entries(m)
          .map(([a, b]) => `${a}=${b}`)
          .join(', ')}`,
      );
  }
  const na = Object.entries(r.notApplied);
  if (na.length) out.push('', `record types not applied by kseg: ${na.map(([k, v]) => `${k} ×${v}`).join(', ')}`);
  return out.join('\n') + '\n';
}
