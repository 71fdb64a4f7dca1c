import fs from 'node:fs';
import path from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { KsegError } from '../src/format/errors.js';
import { encodeV2Batch } from '../src/format/encode.js';
import { encodeApiFramed, encodeCoordinatorKey, encodeCoordinatorValue } from '../src/format/kafka-messages/index.js';
import { segmentFileName } from '../src/storage/segments.js';
import { groups, offsets } from '../src/ops/groups.js';
import { metadata } from '../src/ops/metadata.js';
import { txn } from '../src/ops/txn.js';
import { buildPartition } from './partition-builder.js';
import { tmpDir } from './helpers.js';

const T0 = 1_700_000_000_000;

/** Flip, zero or cut bytes of every .log in `dir`; the commands must return or throw a KsegError, never anything else. */
function mutate(dir: string, seed: { pos: number; byte: number; cut: boolean }[]): void {
  for (const f of fs.readdirSync(dir).filter((x) => x.endsWith('.log'))) {
    const p = path.join(dir, f);
    let b = fs.readFileSync(p);
    if (b.length === 0) continue;
    for (const m of seed) {
      const at = m.pos % b.length;
      if (m.cut) b = b.subarray(0, at);
      else b[at] = m.byte;
      if (b.length === 0) break;
    }
    fs.writeFileSync(p, b);
  }
}

const mutations = fc.array(fc.record({ pos: fc.nat(), byte: fc.integer({ min: 0, max: 255 }), cut: fc.integer({ min: 0, max: 4 }).map((x) => x === 0) }), {
  minLength: 1,
  maxLength: 6,
});

function onlyKsegErrors(fn: () => unknown): void {
  try {
    fn();
  } catch (e) {
    if (!(e instanceof KsegError)) throw e;
  }
}

describe('txn, offsets, groups, metadata on corrupted input: results or a KsegError, never a crash', () => {
  it('offsets / groups over a mutated __consumer_offsets partition', async () => {
    const base = tmpDir('kseg-fuzz-co-');
    const src = path.join(base, 'src', '__consumer_offsets-0');
    fs.mkdirSync(src, { recursive: true });
    const O = 'offsets' as const;
    const recs = [
      {
        key: encodeCoordinatorKey(O, 2, { group: 'g' }),
        value: encodeCoordinatorValue(O, 2, 3, { protocolType: 'consumer', generation: 1, protocol: 'range', leader: 'm', currentStateTimestamp: T0, members: [] }),
      },
      {
        key: encodeCoordinatorKey(O, 1, { group: 'g', topic: 't', partition: 0 }),
        value: encodeCoordinatorValue(O, 1, 3, { offset: 5, leaderEpoch: 1, metadata: '', commitTimestamp: T0 }),
      },
      { key: encodeCoordinatorKey(O, 3, { groupId: 'n' }), value: encodeCoordinatorValue(O, 3, 0, { epoch: 2 }) },
      { key: encodeCoordinatorKey(O, 5, { groupId: 'n', memberId: 'x' }), value: encodeCoordinatorValue(O, 5, 0, { clientId: 'c', subscribedTopicNames: ['t'] }) },
    ];
    const log = Buffer.concat(await Promise.all(recs.map((r, i) => encodeV2Batch({ baseOffset: i, records: [{ offsetDelta: 0, timestamp: T0, key: r.key, value: r.value }] }))));
    fs.writeFileSync(path.join(src, segmentFileName(0, 'log')), log);
    let n = 0;
    fc.assert(
      fc.property(mutations, (m) => {
        const dir = path.join(base, `m${n++}`, '__consumer_offsets-0');
        fs.cpSync(src, dir, { recursive: true });
        mutate(dir, m);
        onlyKsegErrors(() => offsets([dir], { referenceTime: T0 }));
        onlyKsegErrors(() => groups([dir], { includeDead: true }));
      }),
      { numRuns: 150 },
    );
  });

  it('metadata over a mutated __cluster_metadata-0', async () => {
    const base = tmpDir('kseg-fuzz-md-');
    const src = path.join(base, 'src', '__cluster_metadata-0');
    fs.mkdirSync(src, { recursive: true });
    const M = 'cluster-metadata' as const;
    const id = 'AAAAAAAAAAAAAAAAAAAAAQ';
    const values = [
      encodeApiFramed(M, 0, 3, { brokerId: 1, incarnationId: id, brokerEpoch: 5, endPoints: [{ name: 'PLAINTEXT', host: 'h', port: 9092, securityProtocol: 0 }], fenced: true }),
      encodeApiFramed(M, 2, 0, { name: 't', topicId: id }),
      encodeApiFramed(M, 3, 0, { partitionId: 0, topicId: id, replicas: [1], isr: [1], removingReplicas: [], addingReplicas: [], leader: 1, leaderEpoch: 0, partitionEpoch: 0 }),
      encodeApiFramed(M, 5, 0, { partitionId: 0, topicId: id, leader: -1 }),
      encodeApiFramed(M, 17, 0, { brokerId: 1, brokerEpoch: 5, fenced: -1 }),
      encodeApiFramed(M, 9, 0, { topicId: id }),
    ];
    const log = Buffer.concat(await Promise.all(values.map((v, i) => encodeV2Batch({ baseOffset: i, records: [{ offsetDelta: 0, timestamp: T0, key: null, value: v }] }))));
    fs.writeFileSync(path.join(src, segmentFileName(0, 'log')), log);
    let n = 0;
    fc.assert(
      fc.property(mutations, (m) => {
        const dir = path.join(base, `m${n++}`, '__cluster_metadata-0');
        fs.cpSync(src, dir, { recursive: true });
        mutate(dir, m);
        onlyKsegErrors(() => metadata(dir));
        onlyKsegErrors(() => metadata(dir, { atOffset: 3 }));
      }),
      { numRuns: 150 },
    );
  });

  it('txn over a mutated transactional partition', async () => {
    const base = tmpDir('kseg-fuzz-txn-');
    const src = path.join(base, 'src', 'orders-0');
    const d = (pid: number) => ({
      kind: 'data' as const,
      producerId: pid,
      transactional: true,
      records: [
        { key: 'k', value: 'v' },
        { key: 'k2', value: 'v2' },
      ],
    });
    await buildPartition(src, [d(1), d(2), { kind: 'marker', producerId: 1, commit: false }, d(3), { kind: 'marker', producerId: 2, commit: true }, d(1)], { segmentBytes: 300 });
    let n = 0;
    fc.assert(
      fc.property(mutations, (m) => {
        const dir = path.join(base, `m${n++}`, 'orders-0');
        fs.cpSync(src, dir, { recursive: true });
        mutate(dir, m);
        onlyKsegErrors(() => txn(dir, { referenceTime: T0 * 2 }));
      }),
      { numRuns: 150 },
    );
  });
});
