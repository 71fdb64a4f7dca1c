import path from 'node:path';
import { partitionBounds, type PartitionBounds } from '../storage/bounds.js';
import { expandConsumerProtocol, type DecodedMessage, type DecodedPart } from '../format/kafka-messages/index.js';
import { KsegError, UsageError } from '../format/errors.js';
import { coordinatorPartition, OFFSETS_TOPIC } from './coordinator.js';
import { metadata } from './metadata.js';
import { parsePartitionDirName } from './scan.js';
import { internalPartitions, replay, type InternalPartition, type ReplayProblem } from './internal-log.js';
import { pathExists } from '../storage/vfs.js';

/**
 * Consumer groups and their committed offsets as of the end of `__consumer_offsets`, replayed the
 * way the group coordinator loads its partitions:
 * - GroupMetadataManager.loadGroupsAndOffsets (classic) / OffsetMetadataManager.replay (new
 *   coordinator): the latest OffsetCommit record per group + topic-partition wins, a tombstone
 *   removes it. Offsets written in a transactional batch (TxnOffsetCommit) stay pending per
 *   producer id until its COMMIT marker (then they replace the committed offset unless a later
 *   plain commit is already there: GroupMetadata.completePendingTxnOffsetCommit) or ABORT (dropped).
 * - GroupMetadataValue (classic groups): the latest one wins; a tombstone removes the group. A
 *   loaded group with members is Stable, without members Empty (GroupMetadata.loadGroup).
 * - New-protocol groups (KIP-848 consumer, share, streams): <Kind>GroupMetadata gives the group
 *   epoch, <Kind>GroupMemberMetadata the members, <Kind>GroupCurrentMemberAssignment their epochs,
 *   <Kind>GroupTargetAssignmentMetadata the assignment epoch; state as ConsumerGroup.maybeUpdateGroupState.
 *
 * Expiry (GroupMetadata.removeExpiredOffsets; OffsetExpirationConditionImpl in the new coordinator),
 * at a reference time and offsets.retention.ms (default 7 days):
 * - a value with expireTimestamp (OffsetCommitValue v1): expired when referenceTime >= expireTimestamp;
 * - classic group, Empty: expired when referenceTime - (currentStateTimestamp, else commitTimestamp) >= retention;
 * - classic "consumer" group, Stable, members' subscriptions known: offsets of topics no member
 *   subscribes to expire by commitTimestamp + retention; subscribed ones never;
 * - no group metadata (standalone consumers, assign() + commitSync): commitTimestamp + retention;
 * - new-protocol group: Empty → commitTimestamp + retention; with members, not subscribed → the same; subscribed → never;
 * - otherwise (e.g. a non-consumer protocol with members, share groups): never. An offset with a
 *   pending transactional commit for the same partition does not expire yet.
 * The broker writes tombstones when it expires offsets, so an offset still in the log may be
 * "expired" only because the broker has not run its cleanup yet (or is down).
 */
export const DEFAULT_OFFSETS_RETENTION_MS = 7 * 24 * 60 * 60 * 1000;

export type GroupType = 'classic' | 'consumer' | 'share' | 'streams';

export interface CommittedOffset {
  group: string;
  topic: string;
  partition: number;
  offset: number;
  leaderEpoch: number | null;
  metadata: string | null;
  commitTimestamp: number | null;
  /** Only in OffsetCommitValue v1. */
  expireTimestamp: number | null;
  topicId: string | null;
  /** OffsetCommitValue version. */
  valueVersion: number;
  /** Where the record is: internal partition directory name, .log file, batch position, record offset. */
  partitionDir: string;
  file: string;
  position: number;
  recordOffset: number;
  /** Producer id of a transactional commit (TxnOffsetCommit), else null. */
  producerId: number | null;
  /**
   * The consumed partition's own directory when a log dir read holds it (this replica's view):
   * its offsets, the lag (logEndOffset - offset) and whether the committed offset lies outside
   * [logStartOffset, logEndOffset] (the consumer would then reset by auto.offset.reset). Null when not on these log dirs.
   */
  logStartOffset?: number | null;
  logEndOffset?: number | null;
  lag?: number | null;
  outOfRange?: boolean | null;
  /** When it expires (null: never, as long as the group state stays), and whether it has at the reference time. */
  expiresAt: number | null;
  expired: boolean;
  /** Which expiry rule applies (see the module comment). */
  expiryRule: 'expire-timestamp' | 'empty-group' | 'not-subscribed' | 'standalone' | 'subscribed' | 'never';
}

export interface GroupMember {
  memberId: string;
  groupInstanceId: string | null;
  clientId: string | null;
  clientHost: string | null;
  /** Classic: session timeout; new protocol: null. */
  sessionTimeoutMs: number | null;
  rebalanceTimeoutMs: number | null;
  /** Topics the member subscribes to (classic consumer protocol decoded, or the new protocol's subscribedTopicNames). */
  subscribedTopics: string[] | null;
  subscribedTopicRegex?: string | null;
  /** Assigned partitions (classic: decoded ConsumerProtocolAssignment; new: by topic id). */
  assignment: { topic: string; partitions: number[] }[] | null;
  /** New protocol only. */
  memberEpoch?: number | null;
}

export interface GroupInfo {
  group: string;
  type: GroupType | 'offsets-only';
  /** Classic: Empty, Stable, Dead (tombstoned); new protocol: Empty, Assigning, Reconciling, Stable, Dead. */
  state: string;
  protocolType: string | null;
  /** Classic: the assignor the group chose; new: null. */
  protocol: string | null;
  /** Classic generation, or the new protocol's group epoch. */
  generation: number | null;
  leader: string | null;
  currentStateTimestamp: number | null;
  members: GroupMember[];
  committedOffsets: number;
  pendingTransactionalOffsets: number;
  /** Internal partition directory holding the group, and the offset/time of its last record. */
  partitionDir: string;
  lastRecordOffset: number;
  lastRecordTimestamp: number;
}

interface GroupModel {
  group: string;
  partitionDir: string;
  classic: { version: number; data: Record<string, unknown> } | null;
  classicDeleted: boolean;
  kind: 'consumer' | 'share' | 'streams' | null;
  epoch: number | null;
  assignmentEpoch: number | null;
  newDeleted: boolean;
  members: Map<string, Record<string, unknown>>;
  memberAssignments: Map<string, Record<string, unknown>>;
  offsets: Map<string, CommittedOffset>;
  pending: Map<number, Map<string, CommittedOffset | null>>;
  lastRecordOffset: number;
  lastRecordTimestamp: number;
}

export interface GroupsState {
  partitions: string[];
  groups: Map<string, GroupModel>;
  problems: ReplayProblem[];
  /** Largest batch timestamp read. */
  maxTimestamp: number | null;
  /** The `__cluster_metadata-0` whose partition count chose the coordinator partitions read (null: all were read). */
  partitionCountFrom: string | null;
}

const NEW_KINDS: Record<string, 'consumer' | 'share' | 'streams'> = { ConsumerGroup: 'consumer', ShareGroup: 'share', StreamsGroup: 'streams' };

function model(state: GroupsState, group: string, partitionDir: string): GroupModel {
  let g = state.groups.get(group);
  if (!g) {
    g = {
      group,
      partitionDir,
      classic: null,
      classicDeleted: false,
      kind: null,
      epoch: null,
      assignmentEpoch: null,
      newDeleted: false,
      members: new Map(),
      memberAssignments: new Map(),
      offsets: new Map(),
      pending: new Map(),
      lastRecordOffset: -1,
      lastRecordTimestamp: -1,
    };
    state.groups.set(group, g);
  }
  return g;
}

/** Replay every `__consumer_offsets` partition under `paths` (log dirs or partition dirs). */
export function loadGroups(paths: string[], only?: string[]): GroupsState {
  const all = internalPartitions(paths, OFFSETS_TOPIC);
  const { parts, from } = coordinatorPartitionsOnly(paths, all, only);
  const state: GroupsState = { partitions: parts.map((p) => p.dir), groups: new Map(), problems: [], maxTimestamp: null, partitionCountFrom: from };
  const want = only && only.length ? new Set(only) : null;
  const accept = want
    ? (k: DecodedPart) => {
        if (!k || 'unknown' in k) return true;
        const d = k.data as Record<string, unknown>;
        return want.has((d.group ?? d.groupId) as string);
      }
    : undefined;
  for (const p of parts) replayPartition(state, p, accept);
  return state;
}

/**
 * With --group and broker log dirs holding `__cluster_metadata-0` (KRaft: the authoritative
 * partition count of __consumer_offsets), only the groups' coordinator partitions need reading:
 * the coordinator writes a group's records to `__consumer_offsets-<partitionFor(group)>` only.
 */
function coordinatorPartitionsOnly(paths: string[], parts: InternalPartition[], only?: string[]): { parts: InternalPartition[]; from: string | null } {
  if (!only || only.length === 0) return { parts, from: null };
  if (paths.some((p) => parsePartitionDirName(path.basename(path.resolve(p)))?.topic === OFFSETS_TOPIC)) return { parts, from: null };
  for (const d of paths) {
    const m = path.join(d, '__cluster_metadata-0');
    if (!pathExists(m)) continue;
    let count: number | undefined;
    try {
      count = metadata(m).topics.find((t) => t.name === OFFSETS_TOPIC)?.partitionCount;
    } catch (e) {
      if (!(e instanceof KsegError)) throw e;
    }
    if (!count) continue;
    const want = new Set(only.map((g) => coordinatorPartition(g, count)));
    return { parts: parts.filter((p) => want.has(p.partition)), from: m };
  }
  return { parts, from: null };
}

function replayPartition(state: GroupsState, part: InternalPartition, accept?: (k: DecodedPart) => boolean): void {
  // Pending transactional offsets are per producer id within one partition.
  const pendingGroups = new Map<number, Set<GroupModel>>();
  const stats = { maxTimestamp: state.maxTimestamp };
  for (const item of replay(part, 'offsets', state.problems, { acceptKey: accept, stats })) {
    state.maxTimestamp = stats.maxTimestamp;
    if (item.kind === 'marker') {
      const pid = item.batch.producerId;
      for (const g of pendingGroups.get(pid) ?? []) {
        const pend = g.pending.get(pid);
        g.pending.delete(pid);
        if (!pend || item.type === 'ABORT') continue;
        for (const [k, v] of pend) {
          const cur = g.offsets.get(k);
          if (v === null) g.offsets.delete(k);
          else if (!cur || cur.recordOffset < v.recordOffset) g.offsets.set(k, v);
        }
      }
      pendingGroups.delete(pid);
      continue;
    }
    const d = item.decoded;
    const key = d.key;
    if (!key || 'unknown' in key) continue;
    const kdata = key.data as Record<string, unknown>;
    const value = d.value && !('unknown' in d.value) ? d.value : null;
    if (d.value && 'unknown' in d.value) continue;
    const groupId = (kdata.group ?? kdata.groupId) as string | undefined;
    if (typeof groupId !== 'string') continue;
    const g = model(state, groupId, part.name);
    g.lastRecordOffset = item.offset;
    g.lastRecordTimestamp = item.timestamp;
    if (key.type === 'OffsetCommitKey' || key.type === 'LegacyOffsetCommitKey') {
      const tp = `${kdata.topic as string}\u0000${kdata.partition as number}`;
      const entry = value ? offsetEntry(groupId, kdata, value, part.name, item.file, item.position, item.offset, item.batch.isTransactional ? item.batch.producerId : null) : null;
      if (item.batch.isTransactional && item.batch.producerId >= 0) {
        const pid = item.batch.producerId;
        let pend = g.pending.get(pid);
        if (!pend) g.pending.set(pid, (pend = new Map()));
        pend.set(tp, entry);
        let set = pendingGroups.get(pid);
        if (!set) pendingGroups.set(pid, (set = new Set()));
        set.add(g);
      } else if (entry) g.offsets.set(tp, entry);
      else g.offsets.delete(tp);
      continue;
    }
    if (key.type === 'GroupMetadataKey') {
      if (value) {
        g.classic = {
          version: value.version,
          data: expandConsumerProtocol(d).value ? ((expandConsumerProtocol(d).value as DecodedMessage).data as Record<string, unknown>) : value.data,
        };
        g.classicDeleted = false;
      } else {
        g.classic = null;
        g.classicDeleted = true;
      }
      continue;
    }
    const m = /^(ConsumerGroup|ShareGroup|StreamsGroup)(Metadata|MemberMetadata|CurrentMemberAssignment|TargetAssignmentMetadata)Key$/.exec(key.type);
    if (!m) continue;
    const kind = NEW_KINDS[m[1]!]!;
    const vdata = value?.data as Record<string, unknown> | undefined;
    switch (m[2]) {
      case 'Metadata':
        if (vdata) {
          g.kind = kind;
          g.epoch = vdata.epoch as number;
          g.newDeleted = false;
        } else {
          // The group's tombstone comes last, after its members' and assignments' tombstones.
          g.newDeleted = true;
          g.epoch = null;
        }
        break;
      case 'MemberMetadata':
        g.kind ??= kind;
        if (vdata) g.members.set(kdata.memberId as string, vdata);
        else g.members.delete(kdata.memberId as string);
        break;
      case 'CurrentMemberAssignment':
        if (vdata) g.memberAssignments.set(kdata.memberId as string, vdata);
        else g.memberAssignments.delete(kdata.memberId as string);
        break;
      case 'TargetAssignmentMetadata':
        g.assignmentEpoch = vdata ? (vdata.assignmentEpoch as number) : null;
        break;
    }
  }
  state.maxTimestamp = stats.maxTimestamp;
}

function num(v: unknown): number | null {
  return typeof v === 'number' ? v : typeof v === 'bigint' ? Number(v) : null;
}

function offsetEntry(
  group: string,
  k: Record<string, unknown>,
  v: DecodedMessage,
  partitionDir: string,
  file: string,
  position: number,
  recordOffset: number,
  producerId: number | null,
): CommittedOffset {
  const d = v.data as Record<string, unknown>;
  return {
    group,
    topic: k.topic as string,
    partition: k.partition as number,
    offset: num(d.offset)!,
    leaderEpoch: 'leaderEpoch' in d ? num(d.leaderEpoch) : null,
    metadata: (d.metadata as string | null) ?? null,
    commitTimestamp: num(d.commitTimestamp),
    expireTimestamp: 'expireTimestamp' in d ? num(d.expireTimestamp) : null,
    topicId: (d.topicId as string | undefined) ?? null,
    valueVersion: v.version,
    partitionDir,
    file,
    position,
    recordOffset,
    producerId,
    expiresAt: null,
    expired: false,
    expiryRule: 'never',
  };
}

// ------------------------------------------------------------------------------ group views

function classicMembers(data: Record<string, unknown>): GroupMember[] {
  const members = (data.members as Record<string, unknown>[] | null) ?? [];
  return members.map((m) => {
    const sub = m.subscription && typeof m.subscription === 'object' ? (m.subscription as Record<string, unknown>) : null;
    const asg = m.assignment && typeof m.assignment === 'object' ? (m.assignment as Record<string, unknown>) : null;
    return {
      memberId: m.memberId as string,
      groupInstanceId: (m.groupInstanceId as string | null | undefined) ?? null,
      clientId: (m.clientId as string) ?? null,
      clientHost: (m.clientHost as string) ?? null,
      sessionTimeoutMs: num(m.sessionTimeout),
      rebalanceTimeoutMs: num(m.rebalanceTimeout),
      subscribedTopics: sub ? ((sub.topics as string[] | null) ?? []) : null,
      assignment: asg ? ((asg.assignedPartitions as { topic: string; partitions: number[] }[] | null) ?? []).map((a) => ({ topic: a.topic, partitions: a.partitions })) : null,
    };
  });
}

function newMembers(g: GroupModel): GroupMember[] {
  return [...g.members].map(([memberId, v]) => {
    const a = g.memberAssignments.get(memberId);
    const assigned = (a?.assignedPartitions ?? a?.activeTasks ?? null) as Record<string, unknown>[] | null;
    return {
      memberId,
      groupInstanceId: (v.instanceId as string | null | undefined) ?? null,
      clientId: (v.clientId as string | undefined) ?? null,
      clientHost: (v.clientHost as string | undefined) ?? null,
      sessionTimeoutMs: null,
      rebalanceTimeoutMs: num(v.rebalanceTimeoutMs),
      subscribedTopics: (v.subscribedTopicNames as string[] | undefined) ?? null,
      subscribedTopicRegex: (v.subscribedTopicRegex as string | null | undefined) ?? null,
      assignment: assigned ? assigned.map((x) => ({ topic: String(x.topicId ?? x.subtopologyId ?? ''), partitions: (x.partitions as number[]) ?? [] })) : null,
      memberEpoch: a ? num(a.memberEpoch) : null,
    };
  });
}

function view(g: GroupModel): GroupInfo {
  const pendingCount = [...g.pending.values()].reduce((a, m) => a + m.size, 0);
  const base = {
    group: g.group,
    committedOffsets: g.offsets.size,
    pendingTransactionalOffsets: pendingCount,
    partitionDir: g.partitionDir,
    lastRecordOffset: g.lastRecordOffset,
    lastRecordTimestamp: g.lastRecordTimestamp,
  };
  if (g.kind && (g.epoch !== null || g.members.size > 0) && !g.newDeleted) {
    const members = newMembers(g);
    let state = 'Stable';
    if (members.length === 0) state = 'Empty';
    else if (g.epoch !== null && g.assignmentEpoch !== null && g.epoch > g.assignmentEpoch) state = 'Assigning';
    else if (members.some((m) => m.memberEpoch !== g.assignmentEpoch)) state = 'Reconciling';
    return {
      ...base,
      type: g.kind,
      state,
      protocolType: g.kind === 'consumer' ? 'consumer' : g.kind,
      protocol: null,
      generation: g.epoch,
      leader: null,
      currentStateTimestamp: null,
      members,
    };
  }
  if (g.classic) {
    const d = g.classic.data;
    const members = classicMembers(d);
    return {
      ...base,
      type: 'classic',
      state: members.length ? 'Stable' : 'Empty',
      protocolType: (d.protocolType as string) ?? null,
      protocol: (d.protocol as string | null) ?? null,
      generation: num(d.generation),
      leader: (d.leader as string | null) ?? null,
      currentStateTimestamp: 'currentStateTimestamp' in d ? num(d.currentStateTimestamp) : null,
      members,
    };
  }
  // A tombstoned group whose offsets remain loads as a group without metadata (loadGroupsAndOffsets).
  const deleted = (g.classicDeleted || g.newDeleted) && g.offsets.size === 0 && pendingCount === 0;
  return {
    ...base,
    type: deleted ? (g.kind ?? 'classic') : 'offsets-only',
    state: deleted ? 'Dead' : g.offsets.size ? 'Empty' : 'Dead',
    protocolType: null,
    protocol: null,
    generation: null,
    leader: null,
    currentStateTimestamp: null,
    members: [],
  };
}

/** Apply the expiry rules (module comment) to the group's committed offsets. */
function applyExpiry(g: GroupModel, info: GroupInfo, referenceTime: number, retentionMs: number): CommittedOffset[] {
  const subscribed = new Set<string>();
  let subscriptionsKnown = info.members.length > 0;
  for (const m of info.members) {
    if (m.subscribedTopics === null) subscriptionsKnown = false;
    else for (const t of m.subscribedTopics) subscribed.add(t);
  }
  const hasRegex = info.members.some((m) => m.subscribedTopicRegex);
  const out: CommittedOffset[] = [];
  for (const o of g.offsets.values()) {
    const e = { ...o };
    const ct = o.commitTimestamp ?? 0;
    if (o.expireTimestamp !== null && o.expireTimestamp >= 0) {
      e.expiryRule = 'expire-timestamp';
      e.expiresAt = o.expireTimestamp;
    } else if (info.type === 'classic') {
      if (info.state === 'Empty') {
        e.expiryRule = 'empty-group';
        e.expiresAt = (info.currentStateTimestamp ?? ct) + retentionMs;
      } else if (info.protocolType === 'consumer' && subscriptionsKnown) {
        if (subscribed.has(o.topic)) e.expiryRule = 'subscribed';
        else {
          e.expiryRule = 'not-subscribed';
          e.expiresAt = ct + retentionMs;
        }
      } else e.expiryRule = 'never';
    } else if (info.type === 'offsets-only') {
      e.expiryRule = 'standalone';
      e.expiresAt = ct + retentionMs;
    } else if (info.state === 'Empty' || info.state === 'Dead') {
      e.expiryRule = 'empty-group';
      e.expiresAt = ct + retentionMs;
    } else if (subscribed.has(o.topic) || hasRegex) {
      // With a regex subscription kseg cannot tell which topics match offline: treated as subscribed.
      e.expiryRule = 'subscribed';
    } else {
      e.expiryRule = 'not-subscribed';
      e.expiresAt = ct + retentionMs;
    }
    if (info.type === 'share') {
      // ShareGroup.offsetExpirationCondition: not supported (share groups keep no offsets here).
      e.expiryRule = 'never';
      e.expiresAt = null;
    }
    // Not while a transactional commit for the partition is pending (OffsetMetadataManager.cleanupExpiredOffsets).
    const pendingHere = [...g.pending.values()].some((m) => m.has(`${o.topic}\u0000${o.partition}`));
    e.expired = e.expiresAt !== null && referenceTime >= e.expiresAt && !pendingHere;
    out.push(e);
  }
  return out.sort((a, b) => (a.topic < b.topic ? -1 : a.topic > b.topic ? 1 : a.partition - b.partition));
}

// ------------------------------------------------------------------------------ commands

export interface OffsetsOptions {
  groups?: string[];
  /** "Now" for expiry: ms, 'now' (default: the clock) or 'log' (the largest timestamp read). */
  referenceTime?: number | 'now' | 'log';
  retentionMs?: number;
}

export interface GroupOffsets {
  group: string;
  type: GroupInfo['type'];
  state: string;
  protocolType: string | null;
  generation: number | null;
  partitionDir: string;
  offsets: CommittedOffset[];
  /** Transactional offset commits whose COMMIT/ABORT marker is not in the log yet. */
  pending: CommittedOffset[];
}

export interface OffsetsReport {
  partitions: string[];
  /** With --group: the `__cluster_metadata-0` whose __consumer_offsets partition count chose which partitions to read; null when all were read. */
  partitionCountFrom: string | null;
  referenceTime: number;
  referenceTimeSource: 'clock' | 'log' | 'flag';
  retentionMs: number;
  groups: GroupOffsets[];
  /** Groups asked for with --group that have no record in these partitions. */
  notFound: string[];
  problems: ReplayProblem[];
}

function reference(state: GroupsState, r: OffsetsOptions['referenceTime']): { referenceTime: number; referenceTimeSource: OffsetsReport['referenceTimeSource'] } {
  if (r === 'log') return { referenceTime: state.maxTimestamp ?? 0, referenceTimeSource: 'log' };
  if (typeof r === 'number') return { referenceTime: r, referenceTimeSource: 'flag' };
  return { referenceTime: Date.now(), referenceTimeSource: 'clock' };
}

export function offsets(paths: string[], opts: OffsetsOptions = {}): OffsetsReport {
  const retentionMs = opts.retentionMs ?? DEFAULT_OFFSETS_RETENTION_MS;
  if (!(retentionMs >= 0)) throw new UsageError('--retention-ms must not be negative');
  const state = loadGroups(paths, opts.groups);
  const ref = reference(state, opts.referenceTime);
  const wanted = opts.groups && opts.groups.length ? opts.groups : [...state.groups.keys()].sort();
  const logDirs = [...new Set(state.partitions.map((d) => path.dirname(path.resolve(d))))];
  const boundsCache = new Map<string, PartitionBounds | null>();
  const groups: GroupOffsets[] = [];
  const notFound: string[] = [];
  for (const id of wanted) {
    const g = state.groups.get(id);
    if (!g) {
      notFound.push(id);
      continue;
    }
    const info = view(g);
    const pending = [...g.pending.values()].flatMap((m) => [...m.values()].filter((x): x is CommittedOffset => x !== null));
    const offs = applyExpiry(g, info, ref.referenceTime, retentionMs);
    for (const o of offs) addLag(o, logDirs, boundsCache);
    if (!opts.groups?.length && offs.length === 0 && pending.length === 0) continue;
    groups.push({
      group: id,
      type: info.type,
      state: info.state,
      protocolType: info.protocolType,
      generation: info.generation,
      partitionDir: g.partitionDir,
      offsets: offs,
      pending,
    });
  }
  return { partitions: state.partitions, partitionCountFrom: state.partitionCountFrom, ...ref, retentionMs, groups, notFound, problems: state.problems };
}

/** Lag against the consumed partition's directory in one of the log dirs read, when it is there. */
function addLag(o: CommittedOffset, logDirs: string[], cache: Map<string, PartitionBounds | null>): void {
  const name = `${o.topic}-${o.partition}`;
  let b = cache.get(name);
  if (b === undefined) {
    b = null;
    for (const d of logDirs) {
      const dir = path.join(d, name);
      if (!pathExists(dir)) continue;
      try {
        b = partitionBounds(dir);
      } catch (e) {
        if (!(e instanceof KsegError)) throw e;
      }
      break;
    }
    cache.set(name, b);
  }
  if (!b || b.logEndOffset === null) {
    Object.assign(o, { logStartOffset: null, logEndOffset: null, lag: null, outOfRange: null });
    return;
  }
  Object.assign(o, {
    logStartOffset: b.logStartOffset,
    logEndOffset: b.logEndOffset,
    lag: b.logEndOffset - o.offset,
    outOfRange: o.offset > b.logEndOffset || (b.logStartOffset !== null && o.offset < b.logStartOffset),
  });
}

export interface GroupsReport {
  partitions: string[];
  partitionCountFrom: string | null;
  groups: GroupInfo[];
  problems: ReplayProblem[];
}

export function groups(paths: string[], opts: { groups?: string[]; includeDead?: boolean } = {}): GroupsReport {
  const state = loadGroups(paths, opts.groups);
  const want = opts.groups && opts.groups.length ? new Set(opts.groups) : null;
  const list = [...state.groups.values()]
    .filter((g) => !want || want.has(g.group))
    .map(view)
    .filter((g) => opts.includeDead || want || g.state !== 'Dead')
    .sort((a, b) => (a.group < b.group ? -1 : a.group > b.group ? 1 : 0));
  return { partitions: state.partitions, partitionCountFrom: state.partitionCountFrom, groups: list, problems: state.problems };
}
