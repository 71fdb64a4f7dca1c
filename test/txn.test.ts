import fs from 'node:fs';
import path from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { encodeAbortedTxn, parseTxnIndex } from '../src/format/indexes.js';
import { encodeProducerSnapshot } from '../src/format/snapshot.js';
import { abortCommand, txn, txnLogDir } from '../src/ops/txn.js';
import { buildPartition, type Spec } from './partition-builder.js';
import { encodeV2Batch } from '../src/format/encode.js';
import { encodeCoordinatorKey, encodeCoordinatorValue } from '../src/format/kafka-messages/index.js';
import { segmentFileName } from '../src/storage/segments.js';
import { FIXTURES, HAVE_REAL, kseg, REAL, tmpDir } from './helpers.js';

const T0 = 1_700_000_000_000;
const data = (producerId: number, n: number, transactional = true): Spec => ({
  kind: 'data',
  producerId,
  transactional,
  records: Array.from({ length: n }, (_, i) => ({ key: `k${i}`, value: `v${i}` })),
});
const marker = (producerId: number, commit: boolean): Spec => ({ kind: 'marker', producerId, commit });

/**
 * offsets: p1 0..2, COMMIT@3 | p2 4..5, ABORT@6 (.txnindex lastStableOffset 7) | p9 idempotent 7..8 |
 * p3 9..10 (left open) | p1 11 | p2 12, ABORT@13 (lastStableOffset 9: p3 and p1 open) | p1 COMMIT@14 |
 * p4 15 (left open). Log end 16.
 */
async function scenario(dir: string) {
  return buildPartition(
    dir,
    [data(1, 3), marker(1, true), data(2, 2), marker(2, false), data(9, 2, false), data(3, 2), data(1, 1), data(2, 1), marker(2, false), marker(1, true), data(4, 1)],
    { segmentBytes: 400, startTimestamp: T0 },
  );
}

describe('txn: ProducerStateManager / UnifiedLog.lastStableOffset offline', () => {
  it("lists committed, aborted and open transactions per producer, the LSO and its holder, with the builder's known answers", async () => {
    const dir = path.join(tmpDir('kseg-txn-'), 'orders-3');
    const built = await scenario(dir);
    expect([...built.openTxns]).toEqual([
      [3, 9],
      [4, 15],
    ]);
    const r = txn(dir, { all: true });
    expect(r).toMatchObject({ topic: 'orders', partition: 3, logStartOffset: 0, logEndOffset: 16, lastStableOffset: 9 });
    expect(r.counts).toEqual({ producers: 5, transactionalProducers: 4, open: 2, committed: 2, aborted: 2 });
    expect(r.lastStableOffsetHeldBy).toMatchObject({ producerId: 3, state: 'open', firstOffset: 9, lastOffset: 10, batches: 1, records: 2 });
    expect(r.open.map((t) => [t.producerId, t.firstOffset])).toEqual([
      [3, 9],
      [4, 15],
    ]);
    expect(r.transactions.map((t) => [t.producerId, t.state, t.firstOffset, t.lastOffset, t.markerOffset])).toEqual([
      [1, 'committed', 0, 2, 3],
      [2, 'aborted', 4, 5, 6],
      [3, 'open', 9, 10, null],
      [1, 'committed', 11, 11, 14],
      [2, 'aborted', 12, 12, 13],
      [4, 'open', 15, 15, null],
    ]);
    expect(r.transactions[1]).toMatchObject({ coordinatorEpoch: 5, batches: 1, records: 2, file: '00000000000000000000.log', position: expect.any(Number) });
    const p1 = r.producers.find((p) => p.producerId === 1)!;
    expect(p1).toMatchObject({ committed: 2, aborted: 0, open: null, lastOffset: 14 });
    // The .txnindex the builder wrote (Kafka's LSO rule at each abort) agrees with the log.
    expect(r.txnIndex.entries).toBe(2);
    expect(r.findings).toEqual([]);
    // Without --all only open and aborted ones are listed.
    expect(txn(dir).transactions.map((t) => t.state)).toEqual(['aborted', 'open', 'aborted', 'open']);
  });

  it('hanging candidates (TransactionsCommand find-hanging): open and the producer silent longer than the timeout, with the abort command', async () => {
    const dir = path.join(tmpDir('kseg-txn-'), 'orders-3');
    await scenario(dir);
    const lastTs = txn(dir).maxTimestamp!;
    // Measured against the log's own last timestamp: producer 4 wrote last, producer 3 a few ms before.
    expect(txn(dir).hanging).toEqual([]);
    const p3Last = txn(dir).producers.find((p) => p.producerId === 3)!.lastTimestamp;
    const r = txn(dir, { referenceTime: lastTs + 60_000, hangingTimeoutMs: 60_000, bootstrapServer: 'b1:9092' });
    // producer 3 idle 60000 + (lastTs - p3Last) > 60000; producer 4 idle exactly 60000: not more than the timeout.
    expect(r.hanging.map((h) => [h.producerId, h.firstOffset])).toEqual([[3, 9]]);
    expect(r.hanging[0]).toMatchObject({
      idleMs: 60_000 + (lastTs - p3Last),
      command: 'kafka-transactions.sh --bootstrap-server b1:9092 abort --topic orders --partition 3 --start-offset 9',
    });
    expect(txn(dir, { referenceTime: lastTs + 900_001 }).hanging.map((h) => h.producerId)).toEqual([3, 4]);
    expect(txn(dir, { referenceTime: 'now' }).referenceTimeSource).toBe('clock');
  });

  it('abort command quotes a topic name the shell would split', () => {
    expect(abortCommand('<host:port>', "it's a topic", 0, 5)).toBe(
      `kafka-transactions.sh --bootstrap-server <host:port> abort --topic 'it'\\''s a topic' --partition 0 --start-offset 5`,
    );
    expect(abortCommand('h:1', null, null, 5)).toContain('--topic <topic> --partition <partition>');
  });

  it('.txnindex cross-check: a missing entry, a wrong lastStableOffset and an entry with no ABORT in the log are each found', async () => {
    const dir = path.join(tmpDir('kseg-txn-'), 'orders-3');
    await scenario(dir);
    const idx = fs
      .readdirSync(dir)
      .filter((f) => f.endsWith('.txnindex'))
      .sort();
    const all = idx.flatMap((f) => parseTxnIndex(fs.readFileSync(path.join(dir, f))).entries.map((e) => ({ f, e })));
    expect(all.map(({ e }) => [e.producerId, e.firstOffset, e.lastOffset, e.lastStableOffset])).toEqual([
      [2, 4, 6, 7],
      [2, 12, 13, 9],
    ]);
    // Drop the first entry's file, rewrite the second with a wrong LSO, add an entry for a marker that does not exist.
    for (const f of idx) fs.rmSync(path.join(dir, f));
    const second = all[1]!;
    fs.writeFileSync(
      path.join(dir, second.f),
      Buffer.concat([encodeAbortedTxn({ ...second.e, lastStableOffset: 13 }), encodeAbortedTxn({ producerId: 3, firstOffset: 9, lastOffset: 10, lastStableOffset: 11 })]),
    );
    const f = txn(dir).findings;
    expect(f.map((x) => [x.code, x.producerId, x.offset])).toEqual(
      expect.arrayContaining([
        ['INDEX_LSO_DIFFERS', 2, 13],
        ['INDEX_WITHOUT_ABORT', 3, 10],
        ['ABORT_NOT_INDEXED', 2, 6],
      ]),
    );
    expect(f).toHaveLength(3);
    expect(f.find((x) => x.code === 'INDEX_WITHOUT_ABORT')).toMatchObject({ file: second.f, position: 34 });
  });

  it('producer snapshot cross-check: open transactions at the snapshot offset agree, a different one is reported', async () => {
    const dir = path.join(tmpDir('kseg-txn-'), 'orders-3');
    await scenario(dir);
    const entry = (producerId: number, currentTxnFirstOffset: number) => ({
      producerId,
      producerEpoch: 0,
      lastSequence: 0,
      lastOffset: 10,
      offsetDelta: 0,
      timestamp: T0,
      coordinatorEpoch: -1,
      currentTxnFirstOffset,
    });
    // At offset 11: p3 is open since 9 (p1 and p2 are not). At 12: p1 open since 11 as well.
    fs.writeFileSync(path.join(dir, '00000000000000000011.snapshot'), encodeProducerSnapshot([entry(3, 9), entry(9, -1)]));
    fs.writeFileSync(path.join(dir, '00000000000000000012.snapshot'), encodeProducerSnapshot([entry(3, 9)]));
    const r = txn(dir);
    expect(r.snapshots.map((s) => [s.offset, s.agrees])).toEqual([
      [11, true],
      [12, false],
    ]);
    expect(r.findings).toEqual([
      expect.objectContaining({
        code: 'SNAPSHOT_OPEN_DIFFERS',
        file: '00000000000000000012.snapshot',
        message: expect.stringMatching(/producer 1 open from 11 in the log, not in the snapshot/),
      }),
    ]);
    // An unreadable snapshot is a finding, not a crash.
    fs.writeFileSync(path.join(dir, '00000000000000000013.snapshot'), Buffer.from([0, 1, 2]));
    expect(txn(dir).findings.map((x) => x.code)).toContain('SNAPSHOT_UNREADABLE');
  });

  it('model check (property): open transactions, LSO and counts equal what the builder wrote, and its .txnindex agrees', async () => {
    const specArb = fc.array(
      fc.oneof(
        fc.record({ kind: fc.constant('data' as const), pid: fc.integer({ min: 1, max: 4 }), n: fc.integer({ min: 1, max: 3 }), tx: fc.boolean() }),
        fc.record({ kind: fc.constant('marker' as const), pid: fc.integer({ min: 1, max: 4 }), commit: fc.boolean() }),
        fc.constant({ kind: 'roll' as const }),
      ),
      { maxLength: 40 },
    );
    let run = 0;
    await fc.assert(
      fc.asyncProperty(specArb, async (ops) => {
        const dir = path.join(tmpDir('kseg-txn-prop-'), `t-${run++}`);
        const specs: Spec[] = ops.map((o) => (o.kind === 'data' ? data(o.pid, o.n, o.tx) : o.kind === 'marker' ? marker(o.pid, o.commit) : { kind: 'roll' }));
        // Model: a marker only counts when its producer has an open transaction (the builder skips the others).
        const open = new Map<number, boolean>();
        let committed = 0;
        let aborted = 0;
        for (const o of ops) {
          if (o.kind === 'data' && o.tx) open.set(o.pid, true);
          if (o.kind === 'marker' && open.get(o.pid)) {
            open.delete(o.pid);
            if (o.commit) committed++;
            else aborted++;
          }
        }
        const built = await buildPartition(dir, specs, { segmentBytes: 300 });
        const r = txn(dir);
        expect(r.counts).toMatchObject({ open: built.openTxns.size, committed, aborted });
        expect(new Map(r.open.map((t) => [t.producerId, t.firstOffset]))).toEqual(built.openTxns);
        const lso = built.openTxns.size ? Math.min(...built.openTxns.values()) : built.logEndOffset;
        expect(r.lastStableOffset).toBe(lso);
        expect(r.findings).toEqual([]);
        fs.rmSync(path.dirname(dir), { recursive: true, force: true });
      }),
      { numRuns: 100 },
    );
  });

  it('agrees with kseg generate --transactions (committed/aborted counts, .txnindex, every producer snapshot)', () => {
    const dir = path.join(tmpDir('kseg-txn-gen-'), 'payments-7');
    const g = kseg(['generate', dir, '--transactions', '--records', '2000', '--segment-bytes', '16k', '--seed', '7', '--json']);
    expect(g.status).toBe(0);
    const summary = JSON.parse(g.stdout);
    const r = txn(dir);
    expect(r.counts).toMatchObject({ committed: summary.transactions.committed, aborted: summary.transactions.aborted, open: 0 });
    expect(r.lastStableOffset).toBe(summary.logEndOffset);
    expect(r.snapshots.length).toBeGreaterThan(3);
    expect(r.snapshots.every((s) => s.agrees === true)).toBe(true);
    expect(r.txnIndex.entries).toBe(summary.transactions.aborted);
    expect(r.findings).toEqual([]);
  });

  it('independent fixture v2-txn: 27 committed and 13 aborted, every aborted one in its .txnindex', () => {
    const r = txn(path.join(FIXTURES, 'v2-txn', 'topic-0'));
    expect(r.counts).toMatchObject({ producers: 3, transactionalProducers: 3, committed: 27, aborted: 13, open: 0 });
    expect(r.txnIndex.entries).toBe(13);
    expect(r.findings).toEqual([]);
  });

  it('CLI: text shows the LSO holder and the abort command; --json; a torn tail is a finding; not a partition is exit 2 or 4', async () => {
    const dir = path.join(tmpDir('kseg-txn-cli-'), 'orders-3');
    await scenario(dir);
    const t = kseg(['txn', dir, '--reference-time', String(T0 + 3_600_000), '--bootstrap-server', 'b1:9092']);
    expect(t.status).toBe(0);
    expect(t.stdout).toMatch(/last stable offset 9, held by the open transaction of producer 3/);
    expect(t.stdout).toContain('kafka-transactions.sh --bootstrap-server b1:9092 abort --topic orders --partition 3 --start-offset 9');
    expect(t.stdout).toContain('kafka-transactions.sh --bootstrap-server b1:9092 abort --topic orders --partition 3 --start-offset 15');
    const j = JSON.parse(kseg(['txn', dir, '--json']).stdout);
    expect(j).toMatchObject({ lastStableOffset: 9, referenceTimeSource: 'log', hangingTimeoutMs: 900000, counts: { open: 2 } });
    // Torn append at the end of the last segment.
    const logs = fs
      .readdirSync(dir)
      .filter((f) => f.endsWith('.log'))
      .sort();
    fs.appendFileSync(path.join(dir, logs[logs.length - 1]!), Buffer.from([0, 0, 0, 0, 0, 0, 0, 99, 0, 0, 1, 0, 0, 0, 0, 0, 2, 7, 7, 7]));
    const torn = JSON.parse(kseg(['txn', dir, '--json']).stdout);
    expect(torn.findings).toEqual([expect.objectContaining({ code: 'LOG_TAIL', file: logs[logs.length - 1] })]);
    expect(torn.lastStableOffset).toBe(9);
    expect(kseg(['txn', path.join(dir, logs[0]!)]).status).toBe(2);
    expect(kseg(['txn', '/nonexistent/orders-0']).status).toBe(4);
    expect(kseg(['txn', dir, '--reference-time', 'yesterday']).status).toBe(2);
  });

  it.skipIf(!HAVE_REAL)('real Kafka 3.7 idempotent topic: producers but no transactions, LSO = log end (skipped without ../shared/real)', () => {
    const r = txn(path.join(REAL, 'ldi-poc', 'kafka-logs', 'TestTopicPatient-0'));
    expect(r.counts).toMatchObject({ transactionalProducers: 0, open: 0, committed: 0, aborted: 0 });
    expect(r.counts.producers).toBeGreaterThan(0);
    expect(r.lastStableOffset).toBe(r.logEndOffset);
    expect(r.findings).toEqual([]);
  });

  it('joins __transaction_state (TransactionStateManager): transactional ids and coordinator states; find-hanging drops what the coordinator still tracks', async () => {
    const logDir = tmpDir('kseg-txn-ts-');
    const dir = path.join(logDir, 'orders-3');
    await scenario(dir);
    const key = (id: string) => encodeCoordinatorKey('transaction', 0, { transactionalId: id });
    const value = (producerId: number, transactionStatus: number, partitions: { topic: string; partitionIds: number[] }[]) =>
      encodeCoordinatorValue('transaction', 0, 0, {
        producerId,
        producerEpoch: 0,
        transactionTimeoutMs: 60000,
        transactionStatus,
        transactionPartitions: partitions,
        transactionLastUpdateTimestampMs: T0,
        transactionStartTimestampMs: T0,
      });
    const ts = path.join(logDir, '__transaction_state-7');
    fs.mkdirSync(ts);
    const recs = [
      { key: key('tx-1'), value: value(1, 4, []) },
      { key: key('tx-3'), value: value(3, 1, [{ topic: 'orders', partitionIds: [3] }]) },
      { key: key('tx-3'), value: value(3, 4, []) }, // later: CompleteCommit, so orders-3's open transaction is hanging
      { key: key('tx-4'), value: value(4, 1, [{ topic: 'orders', partitionIds: [2, 3] }]) },
      { key: key('tx-1'), value: null }, // expired transactional id
    ];
    fs.writeFileSync(
      path.join(ts, segmentFileName(0, 'log')),
      await encodeV2Batch({ baseOffset: 0, records: recs.map((r, i) => ({ offsetDelta: i, timestamp: T0, key: r.key, value: r.value })) }),
    );
    const r = txn(dir, { referenceTime: T0 + 3_600_000 });
    expect(r.transactionState).toEqual({ partitions: [ts], transactionalIds: 2, problems: 0 });
    expect(r.producers.map((p) => [p.producerId, p.transactionalId, p.coordinator?.state ?? null])).toEqual([
      [1, null, null],
      [2, null, null],
      [3, 'tx-3', 'CompleteCommit'],
      [4, 'tx-4', 'Ongoing'],
    ]);
    expect(r.hanging.map((h) => [h.producerId, h.transactionalId, h.coordinatorState])).toEqual([[3, 'tx-3', 'CompleteCommit']]);
    expect(r.awaitingMarker.map((h) => [h.producerId, h.transactionalId])).toEqual([[4, 'tx-4']]);
    // Without it: both are candidates.
    expect(txn(dir, { referenceTime: T0 + 3_600_000, transactionState: false }).hanging.map((h) => h.producerId)).toEqual([3, 4]);
    const t = kseg(['txn', dir, '--reference-time', String(T0 + 3_600_000)]);
    expect(t.stdout).toMatch(/transactional id "tx-3" is CompleteCommit without this partition/);
    expect(t.stdout).toMatch(/transactional id "tx-4" is Ongoing with this partition: the coordinator will write its marker/);
  });

  it('a broker log dir: every partition (find-hanging --broker-id offline), only those with transactions listed; an empty dir is exit 4', async () => {
    const logDir = tmpDir('kseg-txn-logdir-');
    await scenario(path.join(logDir, 'orders-3'));
    await buildPartition(path.join(logDir, 'plain-0'), [data(9, 3, false)]);
    fs.mkdirSync(path.join(logDir, 'orders-1.0123456789abcdef0123456789abcdef-delete'));
    const r = txnLogDir(logDir, { referenceTime: T0 + 3_600_000 });
    expect(r.partitionsRead).toBe(2);
    expect(r.partitions.map((p) => [p.topic, p.partition, p.lastStableOffset])).toEqual([['orders', 3, 9]]);
    expect(r.counts).toEqual({ open: 2, hanging: 2, awaitingMarker: 0, findings: 0 });
    const t = kseg(['txn', logDir, '--reference-time', String(T0 + 3_600_000)]);
    expect(t.status).toBe(0);
    expect(t.stdout).toMatch(/2 partitions read, 1 with transactions: 2 open, 2 hanging candidates/);
    expect(t.stdout).toContain('kafka-transactions.sh --bootstrap-server <host:port> abort --topic orders --partition 3 --start-offset 15');
    expect(JSON.parse(kseg(['txn', logDir, '--json']).stdout)).toMatchObject({ partitionsRead: 2, counts: { open: 2 } });
    expect(kseg(['txn', tmpDir()]).status).toBe(4);
  });
});
