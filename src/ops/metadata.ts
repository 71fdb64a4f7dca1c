import path from 'node:path';
import { batchRecords } from '../format/batch.js';
import { CorruptDataError, IoError, UsageError } from '../format/errors.js';
import { decodeControlPayload, decodeInternalRecord, type DecodedMessage } from '../format/kafka-messages/index.js';
import { logEntries } from '../storage/log-reader.js';
import { parseKraftSnapshotName, readDirNames, scanPartitionDir, statPath } from '../storage/segments.js';
import { openSource } from '../storage/source.js';
import { checkKraftSnapshot } from './kraft-snapshot.js';
import { pathExists } from '../storage/vfs.js';

/**
 * The cluster as a KRaft `__cluster_metadata` log describes it, at its end or at an offset: the
 * latest snapshot (`<end offset>-<epoch>.checkpoint`) at or below the offset, then the log records
 * after it, applied with the semantics of Kafka's MetadataDelta (TopicsDelta, ClusterDelta,
 * FeaturesDelta, ConfigurationsDelta, ProducerIdsDelta, AclsDelta, ...):
 * - TopicRecord adds a topic; RemoveTopicRecord removes it and its partitions.
 * - PartitionRecord sets a partition; PartitionChangeRecord merges into it as
 *   PartitionRegistration.merge does: a null list is "unchanged", leader -2 (NO_LEADER_CHANGE) keeps
 *   leader and leader epoch, any other leader value bumps the leader epoch; the partition epoch is
 *   always bumped; leaderRecoveryState -1 is "unchanged".
 * - RegisterBrokerRecord sets a broker; UnregisterBrokerRecord removes it; Fence/UnfenceBrokerRecord
 *   and BrokerRegistrationChangeRecord (fenced 1 fence / -1 unfence / 0 none; inControlledShutdown 1)
 *   change it when the broker epoch matches (ClusterDelta.getBrokerOrThrow).
 * - FeatureLevelRecord sets a finalized feature; level 0 removes it (except metadata.version).
 * - ConfigRecord sets (value null: deletes) a config of a resource; ProducerIdsRecord gives the
 *   next producer id block; ACL, quota, SCRAM and delegation-token records are counted.
 * - KIP-868 metadata transactions: records between BeginTransactionRecord and EndTransactionRecord
 *   apply together; AbortTransactionRecord drops them; an unfinished one at the end is not applied.
 * - LeaderChange control records give the controller quorum leader and its epoch.
 * Offline, the high watermark is unknown: the log end stands for it.
 */

export interface MetadataPartition {
  partition: number;
  leader: number;
  leaderEpoch: number;
  partitionEpoch: number;
  replicas: number[];
  isr: number[];
  removingReplicas: number[];
  addingReplicas: number[];
  leaderRecoveryState: number;
  eligibleLeaderReplicas: number[] | null;
  lastKnownElr: number[] | null;
  directories: string[] | null;
}

export interface MetadataTopic {
  name: string;
  topicId: string;
  partitionCount: number;
  replicationFactor: number;
  /** Partitions whose ISR is smaller than the replica set. */
  underReplicated: number;
  /** Partitions with no leader (-1). */
  offline: number;
  partitions: MetadataPartition[];
  configs: Record<string, string>;
}

export interface MetadataBroker {
  brokerId: number;
  brokerEpoch: number;
  incarnationId: string;
  fenced: boolean;
  inControlledShutdown: boolean;
  rack: string | null;
  endPoints: { name: string; host: string; port: number; securityProtocol: number }[];
  logDirs: string[] | null;
  isMigratingZkBroker: boolean;
  /** Offset of the record that registered it. */
  registeredAt: number;
}

export interface MetadataController {
  controllerId: number;
  incarnationId: string;
  endPoints: { name: string; host: string; port: number; securityProtocol: number }[];
}

export interface MetadataProblem {
  file: string;
  position: number;
  offset: number;
  message: string;
}

export interface MetadataReport {
  dir: string;
  /** --at-offset (inclusive), null for the end of the log. */
  atOffset: number | null;
  snapshot: { file: string; endOffset: number; epoch: number; records: number } | null;
  /** Offset of the last record applied (log or snapshot), -1 when none. */
  lastAppliedOffset: number;
  lastAppliedTimestamp: number | null;
  logStartOffset: number | null;
  logEndOffset: number | null;
  recordsApplied: number;
  quorumLeader: { leaderId: number; epoch: number; offset: number } | null;
  voters: number[] | null;
  features: Record<string, number>;
  zkMigrationState: number | null;
  brokers: MetadataBroker[];
  controllers: MetadataController[];
  topics: MetadataTopic[];
  /** ConfigRecord values by resource: `broker` keyed by broker id ("" = cluster default), `other` by `type:name`. */
  configs: { brokers: Record<string, Record<string, string>>; other: Record<string, Record<string, string>> };
  producerIds: { brokerId: number; brokerEpoch: number; nextProducerId: number } | null;
  counts: { acls: number; clientQuotas: number; scramCredentials: number; delegationTokens: number };
  /** A KIP-868 metadata transaction begun and not finished at the offset read to (not applied). */
  openTransaction: { name: string | null; offset: number; records: number } | null;
  /** Record types seen that kseg does not apply (name -> count). */
  notApplied: Record<string, number>;
  problems: MetadataProblem[];
}

export interface MetadataOptions {
  atOffset?: number;
}

/** A numbered KRaft snapshot, `<end offset>-<epoch>.checkpoint` (not bootstrap.checkpoint), or null. */
function numberedSnapshot(name: string): { endOffset: number; epoch: number } | null {
  const k = parseKraftSnapshotName(name);
  return k && !k.bootstrap ? k : null;
}
const CONFIG_BROKER = 4;
const CONFIG_TOPIC = 2;
const CONFIG_TYPES: Record<number, string> = { 0: 'unknown', 2: 'topic', 4: 'broker', 8: 'broker-logger', 16: 'client-metrics', 32: 'group' };
const NO_LEADER_CHANGE = -2;

interface State {
  topics: Map<string, { name: string; topicId: string; partitions: Map<number, MetadataPartition> }>;
  names: Map<string, string>;
  brokers: Map<number, MetadataBroker>;
  controllers: Map<number, MetadataController>;
  features: Map<string, number>;
  configs: Map<string, Map<string, string>>;
  producerIds: MetadataReport['producerIds'];
  acls: Set<string>;
  quotas: Set<string>;
  scram: Set<string>;
  tokens: Set<string>;
  zkMigrationState: number | null;
  notApplied: Record<string, number>;
}

function emptyState(): State {
  return {
    topics: new Map(),
    names: new Map(),
    brokers: new Map(),
    controllers: new Map(),
    features: new Map(),
    configs: new Map(),
    producerIds: null,
    acls: new Set(),
    quotas: new Set(),
    scram: new Set(),
    tokens: new Set(),
    zkMigrationState: null,
    notApplied: {},
  };
}

const nums = (v: unknown): number[] => (Array.isArray(v) ? (v as number[]) : []);
const numsOrNull = (v: unknown): number[] | null => (Array.isArray(v) ? (v as number[]) : null);
const n = (v: unknown): number => (typeof v === 'bigint' ? Number(v) : (v as number));

type Where = { file: string; position: number; offset: number };

function apply(s: State, rec: DecodedMessage, where: Where, problems: MetadataProblem[]): void {
  const d = rec.data as Record<string, any>;
  const problem = (message: string) => problems.push({ ...where, message: `${rec.type}: ${message}` });
  switch (rec.type) {
    case 'TopicRecord':
      s.topics.set(d.topicId, { name: d.name, topicId: d.topicId, partitions: new Map() });
      s.names.set(d.name, d.topicId);
      break;
    case 'RemoveTopicRecord': {
      const t = s.topics.get(d.topicId);
      if (!t) problem(`unknown topic id ${d.topicId}`);
      else {
        s.topics.delete(d.topicId);
        if (s.names.get(t.name) === d.topicId) s.names.delete(t.name);
        s.configs.delete(`${CONFIG_TOPIC}:${t.name}`);
      }
      break;
    }
    case 'PartitionRecord': {
      const t = s.topics.get(d.topicId);
      if (!t) {
        problem(`partition ${d.partitionId} of unknown topic id ${d.topicId}`);
        break;
      }
      t.partitions.set(d.partitionId, {
        partition: d.partitionId,
        leader: d.leader,
        leaderEpoch: d.leaderEpoch,
        partitionEpoch: d.partitionEpoch,
        replicas: nums(d.replicas),
        isr: nums(d.isr),
        removingReplicas: nums(d.removingReplicas),
        addingReplicas: nums(d.addingReplicas),
        leaderRecoveryState: d.leaderRecoveryState ?? 0,
        eligibleLeaderReplicas: numsOrNull(d.eligibleLeaderReplicas),
        lastKnownElr: numsOrNull(d.lastKnownElr),
        directories: Array.isArray(d.directories) ? d.directories : null,
      });
      break;
    }
    case 'PartitionChangeRecord': {
      const p = s.topics.get(d.topicId)?.partitions.get(d.partitionId);
      if (!p) {
        problem(`change of unknown partition ${d.topicId}-${d.partitionId}`);
        break;
      }
      if (Array.isArray(d.replicas)) p.replicas = d.replicas;
      if (Array.isArray(d.isr)) p.isr = d.isr;
      if (Array.isArray(d.removingReplicas)) p.removingReplicas = d.removingReplicas;
      if (Array.isArray(d.addingReplicas)) p.addingReplicas = d.addingReplicas;
      if (Array.isArray(d.directories)) p.directories = d.directories;
      if (Array.isArray(d.eligibleLeaderReplicas)) p.eligibleLeaderReplicas = d.eligibleLeaderReplicas;
      if (Array.isArray(d.lastKnownElr)) p.lastKnownElr = d.lastKnownElr;
      if (d.leader !== undefined && d.leader !== NO_LEADER_CHANGE) {
        p.leader = d.leader;
        p.leaderEpoch++;
      }
      if (d.leaderRecoveryState !== undefined && d.leaderRecoveryState !== -1) p.leaderRecoveryState = d.leaderRecoveryState;
      p.partitionEpoch++;
      break;
    }
    case 'ClearElrRecord': {
      const ids = d.topicName ? [s.names.get(d.topicName)].filter((x): x is string => !!x) : [...s.topics.keys()];
      for (const id of ids) {
        for (const p of s.topics.get(id)!.partitions.values()) {
          if ((p.eligibleLeaderReplicas?.length ?? 0) === 0 && (p.lastKnownElr?.length ?? 0) === 0) continue;
          p.eligibleLeaderReplicas = [];
          p.lastKnownElr = [];
          p.partitionEpoch++;
        }
      }
      break;
    }
    case 'RegisterBrokerRecord':
      s.brokers.set(d.brokerId, {
        brokerId: d.brokerId,
        brokerEpoch: n(d.brokerEpoch),
        incarnationId: d.incarnationId,
        fenced: d.fenced ?? true,
        inControlledShutdown: d.inControlledShutdown ?? false,
        rack: d.rack ?? null,
        endPoints: (d.endPoints ?? []).map((e: Record<string, unknown>) => ({ name: e.name, host: e.host, port: e.port, securityProtocol: e.securityProtocol })),
        logDirs: Array.isArray(d.logDirs) ? d.logDirs : null,
        isMigratingZkBroker: !!d.isMigratingZkBroker,
        registeredAt: where.offset,
      });
      break;
    case 'UnregisterBrokerRecord':
      if (!s.brokers.delete(d.brokerId)) problem(`broker ${d.brokerId} is not registered`);
      break;
    case 'FenceBrokerRecord':
    case 'UnfenceBrokerRecord':
    case 'BrokerRegistrationChangeRecord': {
      const id = rec.type === 'BrokerRegistrationChangeRecord' ? d.brokerId : d.id;
      const epoch = n(rec.type === 'BrokerRegistrationChangeRecord' ? d.brokerEpoch : d.epoch);
      const b = s.brokers.get(id);
      if (!b) {
        problem(`broker ${id} is not registered`);
        break;
      }
      if (b.brokerEpoch !== epoch) {
        problem(`broker ${id} has epoch ${b.brokerEpoch}, the record says ${epoch}; not applied (ClusterDelta.getBrokerOrThrow)`);
        break;
      }
      if (rec.type === 'FenceBrokerRecord') b.fenced = true;
      else if (rec.type === 'UnfenceBrokerRecord') b.fenced = false;
      else {
        if (d.fenced === 1) b.fenced = true;
        else if (d.fenced === -1) b.fenced = false;
        if (d.inControlledShutdown === 1) b.inControlledShutdown = true;
        if (Array.isArray(d.logDirs) && d.logDirs.length) b.logDirs = d.logDirs;
      }
      break;
    }
    case 'RegisterControllerRecord':
      s.controllers.set(d.controllerId, {
        controllerId: d.controllerId,
        incarnationId: d.incarnationId,
        endPoints: (d.endPoints ?? []).map((e: Record<string, unknown>) => ({ name: e.name, host: e.host, port: e.port, securityProtocol: e.securityProtocol })),
      });
      break;
    case 'FeatureLevelRecord':
      if (d.featureLevel === 0 && d.name !== 'metadata.version') s.features.delete(d.name);
      else s.features.set(d.name, d.featureLevel);
      break;
    case 'ZkMigrationStateRecord':
      s.zkMigrationState = d.zkMigrationState;
      break;
    case 'ConfigRecord': {
      const key = `${d.resourceType}:${d.resourceName}`;
      let m = s.configs.get(key);
      if (!m) s.configs.set(key, (m = new Map()));
      if (d.value === null) m.delete(d.name);
      else m.set(d.name, d.value);
      break;
    }
    case 'ProducerIdsRecord':
      s.producerIds = { brokerId: d.brokerId, brokerEpoch: n(d.brokerEpoch), nextProducerId: n(d.nextProducerId) };
      break;
    case 'AccessControlEntryRecord':
      s.acls.add(d.id);
      break;
    case 'RemoveAccessControlEntryRecord':
      s.acls.delete(d.id);
      break;
    case 'ClientQuotaRecord': {
      const key = JSON.stringify([d.entity, d.key]);
      if (d.remove) s.quotas.delete(key);
      else s.quotas.add(key);
      break;
    }
    case 'UserScramCredentialRecord':
      s.scram.add(`${d.name}\u0000${d.mechanism}`);
      break;
    case 'RemoveUserScramCredentialRecord':
      s.scram.delete(`${d.name}\u0000${d.mechanism}`);
      break;
    case 'DelegationTokenRecord':
      s.tokens.add(d.tokenId);
      break;
    case 'RemoveDelegationTokenRecord':
      s.tokens.delete(d.tokenId);
      break;
    case 'NoOpRecord':
      break;
    default:
      s.notApplied[rec.type] = (s.notApplied[rec.type] ?? 0) + 1;
  }
}

interface Source {
  file: string;
  /** Full path. */
  path: string;
  snapshot: boolean;
}

/** Resolve the argument: a `__cluster_metadata-0` directory, a log dir holding one, or a single .checkpoint / .log file. */
function resolveMetadataPath(p: string): { dir: string; single: string | null } {
  const st = statPath(p);
  if (st.isFile()) return { dir: path.dirname(p), single: p };
  const inner = path.join(p, '__cluster_metadata-0');
  if (!/__cluster_metadata-\d+$/.test(path.resolve(p)) && pathExists(inner)) return { dir: inner, single: null };
  const names = readDirNames(p);
  if (!names.some((f) => /\.log$/.test(f) || numberedSnapshot(f) !== null))
    throw new IoError('NO_PARTITION', 'no __cluster_metadata-0 log segments or snapshots here', { file: p });
  return { dir: p, single: null };
}

export function metadata(p: string, opts: MetadataOptions = {}): MetadataReport {
  const at = opts.atOffset;
  if (at !== undefined && (!Number.isSafeInteger(at) || at < 0)) throw new UsageError(`--at-offset must be a non-negative integer, got ${at}`);
  const { dir, single } = resolveMetadataPath(p);
  const problems: MetadataProblem[] = [];
  const s = emptyState();
  let snapshot: MetadataReport['snapshot'] = null;
  let logStartOffset: number | null = null;
  let logEndOffset: number | null = null;
  const sources: Source[] = [];
  if (single) {
    const name = path.basename(single);
    sources.push({ file: name, path: single, snapshot: /\.checkpoint$/.test(name) });
    const k = numberedSnapshot(name);
    if (k) snapshot = { file: name, endOffset: k.endOffset, epoch: k.epoch, records: 0 };
    else if (name === 'bootstrap.checkpoint') snapshot = { file: name, endOffset: 0, epoch: 0, records: 0 };
  } else {
    const snaps = readDirNames(dir)
      .map((f) => ({ f, k: numberedSnapshot(f) }))
      .filter((x): x is { f: string; k: { endOffset: number; epoch: number } } => x.k !== null)
      .map(({ f, k }) => ({ file: f, endOffset: k.endOffset, epoch: k.epoch }))
      .sort((a, b) => a.endOffset - b.endOffset || a.epoch - b.epoch);
    // The latest complete snapshot whose records all lie at or below the offset (its end offset is
    // exclusive). One without its SnapshotHeader/Footer is skipped, as Kafka never loads one.
    const usable = snaps.filter((x) => at === undefined || x.endOffset <= at + 1);
    let chosen: (typeof usable)[number] | undefined;
    for (let i = usable.length - 1; i >= 0 && !chosen; i--) {
      const c = usable[i]!;
      const bad = checkKraftSnapshot(path.join(dir, c.file)).findings.filter(
        (f) => f.code === 'SNAPSHOT_HEADER_MISSING' || f.code === 'SNAPSHOT_FOOTER_MISSING' || f.code === 'SNAPSHOT_OFFSET_GAP',
      );
      if (bad.length === 0) chosen = c;
      else problems.push({ file: c.file, position: bad[0]!.position ?? 0, offset: -1, message: `snapshot not used: ${bad.map((f) => f.message).join('; ')}` });
    }
    if (chosen) {
      snapshot = { ...chosen, records: 0 };
      sources.push({ file: chosen.file, path: path.join(dir, chosen.file), snapshot: true });
    }
    const part = scanPartitionDir(dir);
    if (part.segments.length) logStartOffset = part.segments[0]!.baseOffset;
    for (const seg of part.segments) sources.push({ file: seg.log, path: path.join(dir, seg.log), snapshot: false });
    if (!chosen && logStartOffset !== null && logStartOffset > 0) {
      problems.push({
        file: part.segments[0]!.log,
        position: 0,
        offset: logStartOffset,
        message: `the log starts at offset ${logStartOffset} and no snapshot covers the offsets before it: records before it are missing from this state`,
      });
    }
  }

  let lastAppliedOffset = -1;
  let lastAppliedTimestamp: number | null = null;
  let recordsApplied = 0;
  let quorumLeader: MetadataReport['quorumLeader'] = null;
  let voters: number[] | null = null;
  let txn: { name: string | null; offset: number; records: { rec: DecodedMessage; where: Where; ts: number }[] } | null = null;
  const snapEnd = snapshot && !single ? snapshot.endOffset : 0;

  for (const src of sources) {
    const bs = openSource(src.path, { pattern: 'sequential' });
    try {
      const it = logEntries(bs, { file: src.file });
      for (;;) {
        const nx = it.next();
        if (nx.done) {
          const stop = nx.value;
          if (stop.reason !== 'eof' && !stop.zeroTail)
            problems.push({
              file: src.file,
              position: stop.position,
              offset: -1,
              message: `data ends at byte ${stop.position} (${stop.reason}); ${stop.trailingBytes} bytes after it are not read`,
            });
          break;
        }
        if (nx.value.kind === 'bad-entry') {
          problems.push({ file: src.file, position: nx.value.position, offset: -1, message: nx.value.error.message });
          continue;
        }
        const b = nx.value.batch;
        if (!src.snapshot && b.lastOffset + 1 > (logEndOffset ?? -1)) logEndOffset = b.lastOffset + 1;
        if (!src.snapshot && b.lastOffset < snapEnd) continue; // covered by the snapshot
        if (!b.crcValid)
          problems.push({
            file: src.file,
            position: b.position,
            offset: b.baseOffset,
            message: `batch CRC mismatch (expected 0x${b.crc.toString(16)}, computed 0x${b.computedCrc.toString(16)}); its records are applied as they are`,
          });
        let recs;
        try {
          recs = [...batchRecords(b)];
        } catch (e) {
          if (!(e instanceof CorruptDataError)) throw e;
          problems.push({ file: src.file, position: b.position, offset: b.baseOffset, message: e.message });
          continue;
        }
        for (const r of recs) {
          if (!src.snapshot && (r.offset < snapEnd || (at !== undefined && r.offset > at))) continue;
          const where = { file: src.file, position: b.position, offset: r.offset };
          try {
            if (b.isControl) {
              const c = decodeControlPayload(r.key, r.value);
              const v = c.value;
              if (v && !('unknown' in v)) {
                if (v.type === 'LeaderChangeMessage') quorumLeader = { leaderId: (v.data as Record<string, number>).leaderId!, epoch: b.partitionLeaderEpoch, offset: r.offset };
                if (v.type === 'VotersRecord') voters = ((v.data.voters as Record<string, number>[]) ?? []).map((x) => x.voterId!);
              }
              continue;
            }
            const dec = decodeInternalRecord('cluster-metadata', r.key, r.value);
            const v = dec.value;
            if (!v) continue;
            if ('unknown' in v) {
              problems.push({ ...where, message: `metadata record type ${v.type} version ${v.version} is not in kseg's schema table; not applied` });
              continue;
            }
            lastAppliedOffset = r.offset;
            lastAppliedTimestamp = r.timestamp;
            if (src.snapshot && snapshot) snapshot.records++;
            if (v.type === 'BeginTransactionRecord') {
              if (txn) problems.push({ ...where, message: `BeginTransactionRecord inside the transaction begun at ${txn.offset}` });
              txn = { name: (v.data.name as string | null) ?? null, offset: r.offset, records: [] };
              continue;
            }
            if (v.type === 'EndTransactionRecord' || v.type === 'AbortTransactionRecord') {
              if (!txn) {
                problems.push({ ...where, message: `${v.type} without a BeginTransactionRecord` });
                continue;
              }
              if (v.type === 'EndTransactionRecord') {
                for (const x of txn.records) {
                  apply(s, x.rec, x.where, problems);
                  recordsApplied++;
                }
              }
              txn = null;
              continue;
            }
            if (txn) {
              txn.records.push({ rec: v, where, ts: r.timestamp });
              continue;
            }
            apply(s, v, where, problems);
            recordsApplied++;
          } catch (e) {
            if (!(e instanceof CorruptDataError)) throw e;
            problems.push({ ...where, message: `record does not decode: ${e.message}` });
          }
        }
      }
    } finally {
      bs.close();
    }
  }

  const topics: MetadataTopic[] = [...s.topics.values()]
    .map((t) => {
      const partitions = [...t.partitions.values()].sort((a, b) => a.partition - b.partition);
      return {
        name: t.name,
        topicId: t.topicId,
        partitionCount: partitions.length,
        replicationFactor: partitions.length ? Math.max(...partitions.map((p) => p.replicas.length)) : 0,
        underReplicated: partitions.filter((p) => p.isr.length < p.replicas.length).length,
        offline: partitions.filter((p) => p.leader < 0).length,
        partitions,
        configs: Object.fromEntries(s.configs.get(`${CONFIG_TOPIC}:${t.name}`) ?? []),
      };
    })
    .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  const brokerConfigs: Record<string, Record<string, string>> = {};
  const other: Record<string, Record<string, string>> = {};
  for (const [key, m] of s.configs) {
    const i = key.indexOf(':');
    const type = Number(key.slice(0, i));
    const name = key.slice(i + 1);
    if (type === CONFIG_TOPIC) {
      if (!s.names.has(name)) other[`topic:${name}`] = Object.fromEntries(m);
    } else if (type === CONFIG_BROKER) brokerConfigs[name] = Object.fromEntries(m);
    else other[`${CONFIG_TYPES[type] ?? type}:${name}`] = Object.fromEntries(m);
  }
  return {
    dir,
    atOffset: at ?? null,
    snapshot,
    lastAppliedOffset,
    lastAppliedTimestamp,
    logStartOffset,
    logEndOffset,
    recordsApplied,
    quorumLeader,
    voters,
    features: Object.fromEntries([...s.features].sort()),
    zkMigrationState: s.zkMigrationState,
    brokers: [...s.brokers.values()].sort((a, b) => a.brokerId - b.brokerId),
    controllers: [...s.controllers.values()].sort((a, b) => a.controllerId - b.controllerId),
    topics,
    configs: { brokers: brokerConfigs, other },
    producerIds: s.producerIds,
    counts: { acls: s.acls.size, clientQuotas: s.quotas.size, scramCredentials: s.scram.size, delegationTokens: s.tokens.size },
    openTransaction: txn
      ? { name: (txn as { name: string | null }).name, offset: (txn as { offset: number }).offset, records: (txn as { records: unknown[] }).records.length }
      : null,
    notApplied: s.notApplied,
    problems,
  };
}
