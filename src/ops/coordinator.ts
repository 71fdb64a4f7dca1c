import path from 'node:path';
import { ioError, KsegError, UsageError } from '../format/errors.js';
import { partitionBounds } from '../storage/bounds.js';
import { metadata } from './metadata.js';
import { listPartitions } from './scan.js';
import { statPath } from '../storage/segments.js';
import { pathExists } from '../storage/vfs.js';

/**
 * Which internal partition coordinates a consumer group or a transactional id, and where it is on
 * disk. Kafka: GroupMetadataManager.partitionFor / GroupCoordinatorService.partitionFor and
 * TransactionStateManager.partitionFor all compute `Utils.abs(id.hashCode()) % partitionCount`,
 * where `hashCode` is java.lang.String's (over UTF-16 code units, int32 overflow) and Utils.abs is
 * `n == Integer.MIN_VALUE ? 0 : Math.abs(n)` (not `n & 0x7fffffff`, which is Utils.toPositive).
 */
export const OFFSETS_TOPIC = '__consumer_offsets';
export const TRANSACTION_TOPIC = '__transaction_state';
/** offsets.topic.num.partitions and transaction.state.log.num.partitions defaults. */
export const DEFAULT_OFFSETS_PARTITIONS = 50;
export const DEFAULT_TRANSACTION_PARTITIONS = 50;

/** java.lang.String.hashCode: s[0]*31^(n-1) + ... + s[n-1] over UTF-16 code units, in int32. */
export function javaStringHashCode(s: string): number {
  let h = 0;
  for (let i = 0; i < s.length; i++) h = (Math.imul(h, 31) + s.charCodeAt(i)) | 0;
  return h;
}

/** org.apache.kafka.common.utils.Utils.abs: Math.abs, except Integer.MIN_VALUE maps to 0. */
export function kafkaAbs(n: number): number {
  return n === -2147483648 ? 0 : Math.abs(n);
}

/** `Utils.abs(id.hashCode()) % partitions` (GroupMetadataManager / TransactionStateManager.partitionFor). */
export function coordinatorPartition(id: string, partitions: number): number {
  return kafkaAbs(javaStringHashCode(id)) % partitions;
}

export type CoordinatorKind = 'group' | 'transactionalId';

export interface CoordinatorOptions {
  groups?: string[];
  transactionalIds?: string[];
  /** Partition count of the internal topic; default: inferred from --log-dirs, else 50. */
  partitions?: number;
  logDirs?: string[];
}

export interface CoordinatorSegment {
  file: string;
  baseOffset: number;
  bytes: number;
}

export interface CoordinatorLocation {
  logDir: string;
  /** The partition directory (absolute or as given). */
  dir: string;
  segments: CoordinatorSegment[];
  /** Bytes of the .log files. */
  bytes: number;
  logStartOffset: number | null;
  /** Next offset after the last batch of the last segment (only that segment is read). */
  logEndOffset: number | null;
  producerSnapshots: number;
}

export interface CoordinatorResult {
  kind: CoordinatorKind;
  id: string;
  /** java.lang.String.hashCode of the id. */
  hashCode: number;
  topic: string;
  partitions: number;
  /**
   * Where the partition count came from: `flag` (--partitions), `cluster-metadata` (the topic's
   * partitions in a `__cluster_metadata-0` under --log-dirs), `log-dirs` (highest N + 1 found),
   * `default` (50).
   */
  partitionsSource: 'flag' | 'cluster-metadata' | 'log-dirs' | 'default';
  partition: number;
  /** `<topic>-<partition>`: the directory name on a broker holding a replica. */
  partitionDir: string;
  /** With --log-dirs: each log dir holding that partition directory (empty: none of them does). */
  locations: CoordinatorLocation[] | null;
  notes: string[];
}

export function coordinator(opts: CoordinatorOptions): CoordinatorResult[] {
  const asks: { kind: CoordinatorKind; id: string; topic: string }[] = [
    ...(opts.groups ?? []).map((id) => ({ kind: 'group' as const, id, topic: OFFSETS_TOPIC })),
    ...(opts.transactionalIds ?? []).map((id) => ({ kind: 'transactionalId' as const, id, topic: TRANSACTION_TOPIC })),
  ];
  if (asks.length === 0) throw new UsageError('give --group G or --transactional-id T (either may be repeated)');
  if (opts.partitions !== undefined && (!Number.isInteger(opts.partitions) || opts.partitions < 1)) {
    throw new UsageError(`--partitions must be a positive integer, got ${opts.partitions}`);
  }
  const logDirs = opts.logDirs ?? [];
  const present = new Map<string, { partition: number; logDir: string; dir: string }[]>();
  const metaCounts = new Map<string, { count: number; dir: string }>();
  let metaNote: string | null = null;
  let metaRead: string | null = null;
  if (logDirs.length) {
    for (const d of logDirs) {
      try {
        if (!statPath(d).isDirectory()) throw new UsageError(`${d} is not a directory (--log-dirs takes broker log.dirs)`);
      } catch (e) {
        throw ioError(e, d);
      }
    }
    // KRaft: the metadata log knows each internal topic's partition count.
    for (const d of logDirs) {
      if (metaCounts.size || !pathExists(path.join(d, '__cluster_metadata-0'))) continue;
      try {
        metaRead = path.join(d, '__cluster_metadata-0');
        for (const t of metadata(metaRead).topics) {
          if (t.name === OFFSETS_TOPIC || t.name === TRANSACTION_TOPIC) metaCounts.set(t.name, { count: t.partitionCount, dir: path.join(d, '__cluster_metadata-0') });
        }
      } catch (e) {
        if (!(e instanceof KsegError)) throw e;
        metaNote = `could not read ${path.join(d, '__cluster_metadata-0')} for partition counts: ${e.message}`;
      }
    }
    for (const t of listPartitions(logDirs)) {
      if (t.state !== 'live' || (t.topic !== OFFSETS_TOPIC && t.topic !== TRANSACTION_TOPIC)) continue;
      const list = present.get(t.topic) ?? [];
      list.push({ partition: t.partition, logDir: t.logDir, dir: t.dir });
      present.set(t.topic, list);
    }
  }
  return asks.map(({ kind, id, topic }) => {
    const notes: string[] = [];
    let partitions = opts.partitions;
    let partitionsSource: CoordinatorResult['partitionsSource'] = 'flag';
    const found = present.get(topic) ?? [];
    if (metaNote) notes.push(metaNote);
    const fromMeta = metaCounts.get(topic);
    if (partitions === undefined && fromMeta) {
      partitions = fromMeta.count;
      partitionsSource = 'cluster-metadata';
      notes.push(`partition count ${partitions} from ${fromMeta.dir} (the topic's partitions at the end of the metadata log)`);
    }
    if (partitions === undefined && metaRead && !fromMeta) {
      notes.push(
        `${metaRead} has no ${topic} topic yet: the broker creates it on first use with ${topic === OFFSETS_TOPIC ? 'offsets.topic.num.partitions' : 'transaction.state.log.num.partitions'} partitions`,
      );
    }
    if (partitions === undefined) {
      if (found.length) {
        partitions = Math.max(...found.map((f) => f.partition)) + 1;
        partitionsSource = 'log-dirs';
        const seen = new Set(found.map((f) => f.partition));
        const missing = [...Array(partitions).keys()].filter((p) => !seen.has(p));
        notes.push(
          `partition count ${partitions} inferred from the highest ${topic}-N directory in the log dirs; pass --partitions if the topic has more partitions than these log dirs hold`,
        );
        if (missing.length)
          notes.push(
            `${missing.length} of ${partitions} ${topic} partitions have no directory in these log dirs: ${missing.slice(0, 10).join(', ')}${missing.length > 10 ? ', …' : ''}`,
          );
      } else {
        partitions = topic === OFFSETS_TOPIC ? DEFAULT_OFFSETS_PARTITIONS : DEFAULT_TRANSACTION_PARTITIONS;
        partitionsSource = 'default';
        notes.push(
          `partition count ${partitions} is Kafka's default (${topic === OFFSETS_TOPIC ? 'offsets.topic.num.partitions' : 'transaction.state.log.num.partitions'}); pass --partitions if the cluster sets another`,
        );
      }
    }
    const hashCode = javaStringHashCode(id);
    const partition = kafkaAbs(hashCode) % partitions;
    const partitionDir = `${topic}-${partition}`;
    let locations: CoordinatorLocation[] | null = null;
    if (logDirs.length) {
      locations = found.filter((f) => f.partition === partition).map((f) => locate(f.logDir, f.dir));
      if (locations.length === 0) notes.push(`no log dir given holds ${partitionDir} (the replica is on another broker or log dir)`);
    }
    return { kind, id, hashCode, topic, partitions, partitionsSource, partition, partitionDir, locations, notes };
  });
}

function locate(logDir: string, dir: string): CoordinatorLocation {
  const b = partitionBounds(dir);
  return {
    logDir,
    dir,
    segments: b.segments,
    bytes: b.segments.reduce((a, s) => a + s.bytes, 0),
    logStartOffset: b.logStartOffset,
    logEndOffset: b.logEndOffset,
    producerSnapshots: b.producerSnapshots,
  };
}
