import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { encodeEndTxnMarker, encodeV2Batch } from '../src/format/encode.js';
import { encodeCoordinatorKey, encodeCoordinatorValue, encodeMessage, schemaByName } from '../src/format/kafka-messages/index.js';
import { segmentFileName } from '../src/storage/segments.js';
import { DEFAULT_OFFSETS_RETENTION_MS, groups, offsets } from '../src/ops/groups.js';
import { HAVE_REAL, kseg, REAL, readNdjson, tmpDir } from './helpers.js';
import { buildPartition } from './partition-builder.js';

const T0 = 1_700_000_000_000;
const DAY = 86_400_000;

type Entry = { recs: { key: Buffer; value: Buffer | null; ts: number }[]; pid?: number; txn?: boolean } | { marker: 'COMMIT' | 'ABORT'; pid: number; ts: number };

/** A __consumer_offsets partition written with kseg's encoders: one batch per entry, one segment. */
async function writeLog(dir: string, entries: Entry[]): Promise<void> {
  fs.mkdirSync(dir, { recursive: true });
  const bufs: Buffer[] = [];
  let offset = 0;
  for (const e of entries) {
    if ('marker' in e) {
      bufs.push(encodeEndTxnMarker({ baseOffset: offset++, type: e.marker, producerId: e.pid, producerEpoch: 0, coordinatorEpoch: 1, timestamp: e.ts }));
      continue;
    }
    bufs.push(
      await encodeV2Batch({
        baseOffset: offset,
        records: e.recs.map((r, i) => ({ offsetDelta: i, timestamp: r.ts, key: r.key, value: r.value })),
        isTransactional: !!e.txn,
        producerId: e.pid ?? -1,
        producerEpoch: e.pid !== undefined ? 0 : -1,
        baseSequence: e.pid !== undefined ? 0 : -1,
      }),
    );
    offset += e.recs.length;
  }
  fs.writeFileSync(path.join(dir, segmentFileName(0, 'log')), Buffer.concat(bufs));
}

const O = 'offsets' as const;
const commitKey = (group: string, topic: string, partition: number) => encodeCoordinatorKey(O, 1, { group, topic, partition });
const commitValue = (offset: number, commitTimestamp: number, version = 3, extra: Record<string, unknown> = {}) =>
  encodeCoordinatorValue(O, 1, version, { offset, leaderEpoch: 4, metadata: 'm', commitTimestamp, ...extra });
const commit = (group: string, topic: string, partition: number, offset: number, ts: number) => ({ key: commitKey(group, topic, partition), value: commitValue(offset, ts), ts });
const subscription = (topics: string[]) => {
  const body = encodeMessage(schemaByName('ConsumerProtocolSubscription')!, 0, { topics, userData: null });
  return Buffer.concat([Buffer.from([0, 0]), body]).toString('base64');
};
const assignment = (topic: string, partitions: number[]) => {
  const body = encodeMessage(schemaByName('ConsumerProtocolAssignment')!, 0, { assignedPartitions: [{ topic, partitions }], userData: null });
  return Buffer.concat([Buffer.from([0, 0]), body]).toString('base64');
};
const groupMeta = (group: string, ts: number, members: { id: string; topics: string[] }[], currentStateTimestamp = ts) => ({
  key: encodeCoordinatorKey(O, 2, { group }),
  value: encodeCoordinatorValue(O, 2, 3, {
    protocolType: 'consumer',
    generation: 7,
    protocol: members.length ? 'range' : null,
    leader: members[0]?.id ?? null,
    currentStateTimestamp,
    members: members.map((m) => ({
      memberId: m.id,
      groupInstanceId: null,
      clientId: `c-${m.id}`,
      clientHost: '/10.0.0.1',
      rebalanceTimeout: 300000,
      sessionTimeout: 45000,
      subscription: subscription(m.topics),
      assignment: assignment(m.topics[0]!, [0, 1]),
    })),
  }),
  ts,
});
const rec = (id: number, key: Record<string, unknown>, value: Record<string, unknown> | null, ts: number) => ({
  key: encodeCoordinatorKey(O, id, key),
  value: value ? encodeCoordinatorValue(O, id, 0, value) : null,
  ts,
});

/**
 * Known answers (GroupMetadataManager.loadGroupsAndOffsets / OffsetMetadataManager.replay):
 * g1 (classic consumer, Stable, member subscribed to orders):
 *   orders-0: 5 then 7 -> 7 | orders-1: 3 then tombstone -> gone | payments-0: 9, not subscribed -> expires T0+retention
 *   orders-2: txn(100) 42 + COMMIT -> 42 | orders-3: 10, txn(101) 11, plain 12, COMMIT(101) -> 12 (later plain commit wins)
 *   orders-4: txn(102) 50 + ABORT -> none | orders-5: txn(103) 60, no marker -> pending
 * solo (no group metadata): v1 value with expireTimestamp T0+DAY; v0 value (commit T0) -> standalone rule
 * empty (classic, no members, currentStateTimestamp T0+2d): offsets expire at T0+2d+retention
 * gone: group + offset tombstoned -> Dead
 * n1 (new consumer protocol): epoch 5 = assignment epoch = member epoch -> Stable; n2: epoch 3 > assignment 2 -> Assigning
 */
async function scenario(dir: string): Promise<void> {
  await writeLog(dir, [
    { recs: [groupMeta('g1', T0, [{ id: 'm1', topics: ['orders'] }]), commit('g1', 'orders', 0, 5, T0), commit('g1', 'orders', 1, 3, T0), commit('g1', 'payments', 0, 9, T0)] },
    { recs: [commit('g1', 'orders', 0, 7, T0 + 1), { key: commitKey('g1', 'orders', 1), value: null, ts: T0 + 1 }] },
    { recs: [commit('g1', 'orders', 2, 42, T0 + 2)], pid: 100, txn: true },
    { marker: 'COMMIT', pid: 100, ts: T0 + 3 },
    { recs: [commit('g1', 'orders', 3, 10, T0 + 4)] },
    { recs: [commit('g1', 'orders', 3, 11, T0 + 5)], pid: 101, txn: true },
    { recs: [commit('g1', 'orders', 3, 12, T0 + 6)] },
    { marker: 'COMMIT', pid: 101, ts: T0 + 7 },
    { recs: [commit('g1', 'orders', 4, 50, T0 + 8)], pid: 102, txn: true },
    { marker: 'ABORT', pid: 102, ts: T0 + 9 },
    { recs: [commit('g1', 'orders', 5, 60, T0 + 10)], pid: 103, txn: true },
    {
      recs: [
        { key: commitKey('solo', 'orders', 0), value: commitValue(1, T0, 1, { expireTimestamp: T0 + DAY }), ts: T0 },
        {
          key: encodeCoordinatorKey(O, 0, { group: 'solo', topic: 'orders', partition: 1 }),
          value: encodeCoordinatorValue(O, 1, 0, { offset: 2, metadata: '', commitTimestamp: T0 }),
          ts: T0,
        },
        groupMeta('empty', T0, [], T0 + 2 * DAY),
        commit('empty', 'orders', 0, 3, T0),
        groupMeta('gone', T0, []),
        commit('gone', 'orders', 0, 1, T0),
        { key: commitKey('gone', 'orders', 0), value: null, ts: T0 + 1 },
        { key: encodeCoordinatorKey(O, 2, { group: 'gone' }), value: null, ts: T0 + 1 },
        rec(3, { groupId: 'n1' }, { epoch: 5 }, T0),
        rec(6, { groupId: 'n1' }, { assignmentEpoch: 5 }, T0),
        rec(
          5,
          { groupId: 'n1', memberId: 'x1' },
          { clientId: 'cx', clientHost: '/10.0.0.2', subscribedTopicNames: ['orders'], rebalanceTimeoutMs: 1000, serverAssignor: 'uniform' },
          T0,
        ),
        rec(
          8,
          { groupId: 'n1', memberId: 'x1' },
          { memberEpoch: 5, previousMemberEpoch: 4, state: 0, assignedPartitions: [{ topicId: 'AAAAAAAAAAAAAAAAAAAAAQ', partitions: [0, 1] }], partitionsPendingRevocation: [] },
          T0,
        ),
        commit('n1', 'orders', 0, 100, T0),
        commit('n1', 'audit', 0, 5, T0),
        rec(3, { groupId: 'n2' }, { epoch: 3 }, T0),
        rec(6, { groupId: 'n2' }, { assignmentEpoch: 2 }, T0),
        rec(5, { groupId: 'n2', memberId: 'y1' }, { clientId: 'cy', subscribedTopicNames: ['orders'] }, T0),
      ],
    },
  ]);
}

describe('offsets / groups: GroupMetadataManager.loadGroupsAndOffsets offline', () => {
  it('latest commit per partition, tombstones, transactional commits (COMMIT applies unless a later plain commit, ABORT drops, no marker = pending)', async () => {
    const dir = path.join(tmpDir('kseg-groups-'), '__consumer_offsets-0');
    await scenario(dir);
    const r = offsets([dir], { groups: ['g1'], referenceTime: T0 });
    const g = r.groups[0]!;
    expect(g).toMatchObject({ group: 'g1', type: 'classic', state: 'Stable', protocolType: 'consumer', generation: 7, partitionDir: '__consumer_offsets-0' });
    expect(g.offsets.map((o) => [o.topic, o.partition, o.offset])).toEqual([
      ['orders', 0, 7],
      ['orders', 2, 42],
      ['orders', 3, 12],
      ['payments', 0, 9],
    ]);
    expect(g.offsets.find((o) => o.partition === 2 && o.topic === 'orders')).toMatchObject({
      producerId: 100,
      leaderEpoch: 4,
      metadata: 'm',
      valueVersion: 3,
      file: '00000000000000000000.log',
    });
    expect(g.pending.map((o) => [o.topic, o.partition, o.offset, o.producerId])).toEqual([['orders', 5, 60, 103]]);
    expect(r.problems).toEqual([]);
    // No orders-N directories beside it: no lag.
    expect(g.offsets[0]).toMatchObject({ logEndOffset: null, lag: null, outOfRange: null });
  });

  it('lag against the consumed partition when the log dir holds it; a committed offset past the log end is out of range', async () => {
    const logDir = tmpDir('kseg-groups-lag-');
    await scenario(path.join(logDir, '__consumer_offsets-0'));
    const ten = Array.from({ length: 10 }, (_, i) => ({ key: `k${i}`, value: 'v' }));
    await buildPartition(path.join(logDir, 'orders-0'), [{ kind: 'data', producerId: -1, transactional: false, records: ten }]);
    await buildPartition(path.join(logDir, 'orders-2'), [{ kind: 'data', producerId: -1, transactional: false, records: ten }]);
    const g = offsets([logDir], { groups: ['g1'], referenceTime: T0 }).groups[0]!;
    const by = (p: number) => g.offsets.find((o) => o.topic === 'orders' && o.partition === p)!;
    expect(by(0)).toMatchObject({ offset: 7, logStartOffset: 0, logEndOffset: 10, lag: 3, outOfRange: false });
    expect(by(2)).toMatchObject({ offset: 42, logEndOffset: 10, lag: -32, outOfRange: true });
    expect(by(3)).toMatchObject({ lag: null, outOfRange: null });
    expect(kseg(['offsets', logDir, '--group', 'g1']).stdout).toMatch(/│ orders\s+│ 2\s+│ 42\s+│ 10\s+│ -32 \(out of range\)/);
  });

  it("expiry by Kafka's rules (GroupMetadata.removeExpiredOffsets): subscribed never, not subscribed and standalone by commit time, empty group by state time, v1 expireTimestamp", async () => {
    const dir = path.join(tmpDir('kseg-groups-'), '__consumer_offsets-0');
    await scenario(dir);
    const ret = DEFAULT_OFFSETS_RETENTION_MS;
    const at = (t: number) => offsets([dir], { referenceTime: t });
    const find = (r: ReturnType<typeof at>, group: string, topic: string, p: number) =>
      r.groups.find((g) => g.group === group)!.offsets.find((o) => o.topic === topic && o.partition === p)!;
    const r = at(T0 + ret);
    expect(find(r, 'g1', 'orders', 0)).toMatchObject({ expiryRule: 'subscribed', expiresAt: null, expired: false });
    expect(find(r, 'g1', 'payments', 0)).toMatchObject({ expiryRule: 'not-subscribed', expiresAt: T0 + ret, expired: true });
    expect(find(r, 'solo', 'orders', 0)).toMatchObject({ expiryRule: 'expire-timestamp', expiresAt: T0 + DAY, expired: true, expireTimestamp: T0 + DAY, valueVersion: 1 });
    expect(find(r, 'solo', 'orders', 1)).toMatchObject({ expiryRule: 'standalone', expiresAt: T0 + ret, expired: true, valueVersion: 0, leaderEpoch: null });
    expect(find(r, 'empty', 'orders', 0)).toMatchObject({ expiryRule: 'empty-group', expiresAt: T0 + 2 * DAY + ret, expired: false });
    expect(find(r, 'n1', 'orders', 0)).toMatchObject({ expiryRule: 'subscribed', expired: false });
    expect(find(r, 'n1', 'audit', 0)).toMatchObject({ expiryRule: 'not-subscribed', expiresAt: T0 + ret, expired: true });
    expect(find(at(T0 + ret - 1), 'g1', 'payments', 0).expired).toBe(false);
    // orders-5 has only a pending commit (not listed); a committed offset with a pending one does not expire:
    // g1 is Stable and subscribes to orders, so check through 'empty', which has no pending commit.
    expect(find(at(T0 + 2 * DAY + ret), 'empty', 'orders', 0).expired).toBe(true);
    // 'gone' has no offsets left: not listed; asked for by name it is listed as Dead with none.
    expect(r.groups.map((g) => g.group)).toEqual(['empty', 'g1', 'n1', 'solo']);
    expect(offsets([dir], { groups: ['gone', 'nope'] })).toMatchObject({ groups: [{ group: 'gone', state: 'Dead', offsets: [] }], notFound: ['nope'] });
    expect(offsets([dir], { referenceTime: 'log' })).toMatchObject({ referenceTimeSource: 'log', referenceTime: T0 + 10 });
    // With --group, other groups' records are skipped undecoded, but 'log' is still the newest of all.
    expect(offsets([dir], { groups: ['solo'], referenceTime: 'log' })).toMatchObject({ referenceTime: T0 + 10, groups: [{ group: 'solo' }] });
  });

  it('groups: classic and new-protocol groups with state, generation/epoch and members (ConsumerGroup.maybeUpdateGroupState)', async () => {
    const dir = path.join(tmpDir('kseg-groups-'), '__consumer_offsets-0');
    await scenario(dir);
    const r = groups([dir]);
    expect(r.groups.map((g) => [g.group, g.type, g.state, g.generation, g.members.length, g.committedOffsets, g.pendingTransactionalOffsets])).toEqual([
      ['empty', 'classic', 'Empty', 7, 0, 1, 0],
      ['g1', 'classic', 'Stable', 7, 1, 4, 1],
      ['n1', 'consumer', 'Stable', 5, 1, 2, 0],
      ['n2', 'consumer', 'Assigning', 3, 1, 0, 0],
      ['solo', 'offsets-only', 'Empty', null, 0, 2, 0],
    ]);
    const g1 = r.groups[1]!;
    expect(g1).toMatchObject({ protocol: 'range', leader: 'm1', currentStateTimestamp: T0 });
    expect(g1.members[0]).toMatchObject({
      memberId: 'm1',
      clientId: 'c-m1',
      clientHost: '/10.0.0.1',
      sessionTimeoutMs: 45000,
      rebalanceTimeoutMs: 300000,
      subscribedTopics: ['orders'],
      assignment: [{ topic: 'orders', partitions: [0, 1] }],
    });
    expect(r.groups[2]!.members[0]).toMatchObject({
      memberId: 'x1',
      clientId: 'cx',
      subscribedTopics: ['orders'],
      memberEpoch: 5,
      assignment: [{ topic: 'AAAAAAAAAAAAAAAAAAAAAQ', partitions: [0, 1] }],
    });
    expect(groups([dir], { includeDead: true }).groups.find((g) => g.group === 'gone')).toMatchObject({ state: 'Dead' });
  });

  it('an offset with a pending transactional commit for the same partition does not expire yet (OffsetMetadataManager.cleanupExpiredOffsets)', async () => {
    const dir = path.join(tmpDir('kseg-groups-'), '__consumer_offsets-2');
    await writeLog(dir, [{ recs: [commit('s', 't', 0, 4, T0), commit('s', 't', 1, 4, T0)] }, { recs: [commit('s', 't', 0, 9, T0 + 1)], pid: 77, txn: true }]);
    const g = offsets([dir], { referenceTime: T0 + DEFAULT_OFFSETS_RETENTION_MS }).groups[0]!;
    expect(g.offsets.map((o) => [o.partition, o.offset, o.expiryRule, o.expired])).toEqual([
      [0, 4, 'standalone', false],
      [1, 4, 'standalone', true],
    ]);
    expect(g.pending.map((o) => [o.partition, o.offset])).toEqual([[0, 9]]);
  });

  it('a tombstoned group whose offsets remain loads as a group without metadata (standalone expiry)', async () => {
    const dir = path.join(tmpDir('kseg-groups-'), '__consumer_offsets-1');
    await writeLog(dir, [
      { recs: [groupMeta('h', T0, [{ id: 'm', topics: ['t'] }]), commit('h', 't', 0, 4, T0), { key: encodeCoordinatorKey(O, 2, { group: 'h' }), value: null, ts: T0 + 1 }] },
    ]);
    expect(groups([dir]).groups.map((g) => [g.group, g.type, g.state, g.committedOffsets])).toEqual([['h', 'offsets-only', 'Empty', 1]]);
    expect(offsets([dir], { referenceTime: T0 }).groups[0]!.offsets[0]).toMatchObject({ expiryRule: 'standalone', expiresAt: T0 + DEFAULT_OFFSETS_RETENTION_MS });
  });

  it('a record that does not decode is a problem with file, position and offset; the rest is still read', async () => {
    const dir = path.join(tmpDir('kseg-groups-'), '__consumer_offsets-3');
    const bad = Buffer.concat([commitValue(1, T0), Buffer.from([1, 2, 3])]);
    await writeLog(dir, [{ recs: [{ key: commitKey('g', 't', 0), value: bad, ts: T0 }, commit('g', 't', 1, 8, T0)] }]);
    const r = offsets([dir], { referenceTime: T0 });
    expect(r.groups[0]!.offsets.map((o) => [o.partition, o.offset])).toEqual([[1, 8]]);
    expect(r.problems).toEqual([
      expect.objectContaining({ file: path.join(dir, '00000000000000000000.log'), position: 0, offset: 0, message: expect.stringMatching(/does not decode/) }),
    ]);
  });

  it('CLI: a log dir reads every __consumer_offsets-N; text and --json; wrong paths are clear errors', async () => {
    const logDir = tmpDir('kseg-groups-logdir-');
    await scenario(path.join(logDir, '__consumer_offsets-0'));
    await writeLog(path.join(logDir, '__consumer_offsets-1'), [{ recs: [commit('other', 'x', 0, 1, T0)] }]);
    fs.mkdirSync(path.join(logDir, 'orders-0'));
    const t = kseg(['offsets', logDir, '--group', 'g1', '--reference-time', String(T0)]);
    expect(t.status).toBe(0);
    expect(t.stdout).toMatch(/2 __consumer_offsets partitions read/);
    expect(t.stdout).toMatch(/group "g1"\s+classic consumer, Stable, generation 7; __consumer_offsets-0/);
    expect(t.stdout).toMatch(/pending transactional commit by producer 103: orders-5 offset 60/);
    const j = JSON.parse(kseg(['offsets', logDir, '--json', '--reference-time', 'log']).stdout);
    expect(j.groups.map((g: { group: string }) => g.group)).toEqual(['empty', 'g1', 'n1', 'other', 'solo']);
    const gj = JSON.parse(kseg(['groups', logDir, '--json']).stdout);
    expect(gj.partitions).toHaveLength(2);
    expect(kseg(['groups', logDir, '--members']).stdout).toMatch(/m1\s+client c-m1 \/10\.0\.0\.1/);
    const nf = kseg(['offsets', logDir, '--group', 'nope']);
    expect(nf.stderr).toMatch(/group "nope" has no record/);
    expect(nf.status).toBe(1);
    expect(kseg(['groups', logDir, '--group', 'nope']).status).toBe(1);
    expect(kseg(['offsets', logDir, '--group', 'nope', '--group', 'g1']).status).toBe(0);
    expect(kseg(['offsets', path.join(logDir, 'orders-0')]).status).toBe(4);
    expect(kseg(['offsets', tmpDir()]).status).toBe(4);
    expect(kseg(['groups', '/nonexistent/dir']).status).toBe(4);
  });

  it.skipIf(!HAVE_REAL)("real Kafka 3.7 log dir: what Kafka's JsonConverter output (expected-internal) implies for group DEVSmileCDR (skipped without ../shared/real)", () => {
    const logDir = path.join(REAL, 'ldi-poc', 'kafka-logs');
    // The model from Kafka's own decoding: the last GroupMetadataValue and the last OffsetCommit per partition.
    const expected = readNdjson(path.join(REAL, 'expected-internal', 'ldi-poc', 'kafka-logs', '__consumer_offsets-6.records.ndjson'));
    const last = new Map<string, number>();
    let meta: Record<string, any> | null = null;
    for (const e of expected) {
      if (e.key.type === 'OffsetCommitKey') last.set(`${e.key.data.topic}-${e.key.data.partition}`, e.value.data.offset);
      if (e.key.type === 'GroupMetadataKey') meta = e.value.data;
    }
    const r = offsets([logDir], { groups: ['DEVSmileCDR'], referenceTime: 'log' });
    // KRaft: __cluster_metadata-0 says __consumer_offsets has 50 partitions, so only the group's own is read.
    expect(r.partitions.map((p) => path.basename(p))).toEqual(['__consumer_offsets-6']);
    expect(r.partitionCountFrom).toBe(path.join(logDir, '__cluster_metadata-0'));
    expect(offsets([logDir], { referenceTime: 'log' })).toMatchObject({
      partitionCountFrom: null,
      partitions: expect.arrayContaining([path.join(logDir, '__consumer_offsets-49')]),
    });
    expect(offsets([logDir], { referenceTime: 'log' }).partitions).toHaveLength(49);
    expect(r.problems).toEqual([]);
    const g = r.groups[0]!;
    expect(new Map(g.offsets.map((o) => [`${o.topic}-${o.partition}`, o.offset]))).toEqual(last);
    expect(g.offsets.every((o) => o.expiryRule === 'subscribed' && !o.expired)).toBe(true);
    const gr = groups([logDir]).groups;
    expect(gr).toHaveLength(1);
    expect(gr[0]).toMatchObject({ group: 'DEVSmileCDR', type: 'classic', state: 'Stable', generation: meta!.generation, protocol: meta!.protocol, leader: meta!.leader });
    expect(gr[0]!.members.map((m) => m.memberId).sort()).toEqual(meta!.members.map((m: { memberId: string }) => m.memberId).sort());
  });
});
