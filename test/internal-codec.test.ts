import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { KsegError, CorruptDataError } from '../src/format/errors.js';
import {
  allSchemas,
  decodeControlPayload,
  decodeInternalRecord,
  decodeMessage,
  decodeMessageJson,
  defaultOf,
  encodeApiFramed,
  encodeControlRecord,
  encodeCoordinatorKey,
  encodeCoordinatorValue,
  encodeMessage,
  inRange,
  internalJson,
  isFlexible,
  type FieldSchema,
  type InternalDecoder,
  type MessageSchema,
} from '../src/format/kafka-messages/index.js';
import { ROOT } from './helpers.js';
import { damaged, internalRecordArb, structArb, versionsOf } from './internal-arbs.js';
import { compilePartWriter, writeDecodedRecordJson } from '../src/format/kafka-messages/json-writer.js';
import { decodeInternalRecordForJson, decodedPartJson } from '../src/format/kafka-messages/index.js';

describe('generic message codec: decode(encode(x)) = x for every record type and version of the schema table', () => {
  const schemas = allSchemas();
  it('covers every spec (84 from Kafka + 4 remote-log-metadata)', () => {
    expect(schemas.length).toBe(88);
  });
  for (const s of schemas) {
    for (const v of versionsOf(s)) {
      it(`${s.group}/${s.name} v${v}`, () => {
        fc.assert(
          fc.property(structArb(s.fields, v, isFlexible(s, v), 0), (data) => {
            const bytes = encodeMessage(s, v, data);
            const back = decodeMessage(s, v, bytes);
            expect(internalJson(back)).toBe(internalJson(data));
            // The direct-to-JSON walk (dump's NDJSON path) writes the same text.
            expect(decodeMessageJson(s, v, bytes)).toBe(internalJson(data));
            // One byte less is always an error naming a byte position, never a crash or a wrong value.
            if (bytes.length > 0) {
              try {
                decodeMessage(s, v, bytes.subarray(0, bytes.length - 1));
                throw new Error('a truncated message decoded');
              } catch (e) {
                expect(e).toBeInstanceOf(CorruptDataError);
              }
              try {
                decodeMessageJson(s, v, bytes.subarray(0, bytes.length - 1));
                throw new Error('a truncated message decoded');
              } catch (e) {
                expect(e).toBeInstanceOf(CorruptDataError);
                expect((e as CorruptDataError).message).toMatch(/at byte \d+/);
              }
            }
            // One byte more is "left over" (DumpLogSegments would also reject it).
            expect(() => decodeMessage(s, v, Buffer.concat([bytes, Buffer.from([0])]))).toThrow(/left over after the struct/);
          }),
          { numRuns: 25 },
        );
      });
    }
  }
});

describe('framings (CoordinatorRecordSerde, MetadataRecordSerde, ControlRecordUtils)', () => {
  const coordinator: [InternalDecoder, string][] = [
    ['offsets', 'group-coordinator'],
    ['transaction', 'transaction-coordinator'],
    ['share-group-state', 'share-coordinator'],
  ];
  for (const [decoder, group] of coordinator) {
    it(`${decoder}: every coordinator record type round-trips through key + value framing, null value = tombstone`, () => {
      const keys = allSchemas().filter((s) => s.group === group && s.kind === 'coordinator-key');
      expect(keys.length).toBeGreaterThan(0);
      for (const ks of keys) {
        const vs = allSchemas().find((s) => s.group === group && s.kind === 'coordinator-value' && s.apiKey === ks.apiKey)!;
        for (const v of versionsOf(vs)) {
          fc.assert(
            fc.property(structArb(ks.fields, 0, isFlexible(ks, 0), 0), structArb(vs.fields, v, isFlexible(vs, v), 0), (kd, vd) => {
              const key = encodeCoordinatorKey(decoder, ks.apiKey!, kd);
              expect(key.readInt16BE(0)).toBe(ks.apiKey);
              const value = encodeCoordinatorValue(decoder, ks.apiKey!, v, vd);
              expect(value.readInt16BE(0)).toBe(v);
              const d = decodeInternalRecord(decoder, key, value);
              expect(JSON.parse(internalJson(d))).toEqual(
                JSON.parse(internalJson({ key: { type: ks.name, version: 0, data: kd }, value: { type: vs.name, version: v, data: vd }, id: ks.apiKey, kind: 'coordinator' })),
              );
              expect(decodeInternalRecord(decoder, key, null).value).toBeNull();
            }),
            { numRuns: 5 },
          );
        }
      }
    });
  }
  for (const decoder of ['cluster-metadata', 'remote-log-metadata'] as const) {
    it(`${decoder}: every record type and version round-trips through the frame version 1 / apiKey / version framing`, () => {
      const group = decoder === 'cluster-metadata' ? 'metadata' : 'remote-log-metadata';
      for (const s of allSchemas().filter((x) => x.group === group)) {
        for (const v of versionsOf(s)) {
          fc.assert(
            fc.property(structArb(s.fields, v, isFlexible(s, v), 0), (data) => {
              const bytes = encodeApiFramed(decoder, s.apiKey!, v, data);
              expect(bytes[0]).toBe(1); // frame version
              const d = decodeInternalRecord(decoder, null, bytes);
              expect(d.key).toBeNull();
              expect(internalJson(d.value)).toBe(internalJson({ type: s.name, version: v, data }));
            }),
            { numRuns: 5 },
          );
        }
      }
    });
  }

  it('unknown record types and versions are {unknown:true,type,version}, never a crash', () => {
    const key = Buffer.from([0x00, 0x63, 0x00, 0x01, 0x61]); // record type 99
    expect(decodeInternalRecord('offsets', key, Buffer.from([0x00, 0x07]))).toMatchObject({
      key: { unknown: true, type: 99, version: 0 },
      value: { unknown: true, type: 99, version: 7 },
    });
    // OffsetCommitValue v99
    const k = encodeCoordinatorKey('offsets', 1, { group: 'g', topic: 't', partition: 0 });
    expect(decodeInternalRecord('offsets', k, Buffer.from([0x00, 0x63, 1, 2, 3]))).toMatchObject({
      key: { type: 'OffsetCommitKey' },
      value: { unknown: true, type: 1, version: 99 },
    });
    // metadata apiKey 200, and a version beyond PartitionRecord's range
    expect(decodeInternalRecord('cluster-metadata', null, Buffer.from([1, 0xc8, 0x01, 0, 0])).value).toEqual({ unknown: true, type: 200, version: 0 });
    expect(decodeInternalRecord('cluster-metadata', null, Buffer.from([1, 3, 99, 0])).value).toEqual({ unknown: true, type: 3, version: 99 });
    // MetadataRecordSerde: an unknown frame version is not decoded
    expect(decodeInternalRecord('cluster-metadata', null, Buffer.from([0, 12, 0, 0])).value).toEqual({ unknown: true, type: 12, version: 0 });
  });

  it('hand-built byte vectors (GroupCoordinatorRecordSerde / MetadataRecordSerde wire layout)', () => {
    // OffsetCommitKey: int16 type 1 | string group "g" | string topic "t" | int32 partition 5
    const key = Buffer.from('0001' + '000167' + '000174' + '00000005', 'hex');
    // OffsetCommitValue v3: int16 3 | int64 offset 42 | int32 leaderEpoch 7 | string metadata "" | int64 commitTimestamp 1000
    const value = Buffer.from('0003' + '000000000000002a' + '00000007' + '0000' + '00000000000003e8', 'hex');
    expect(decodeInternalRecord('offsets', key, value)).toEqual({
      key: { type: 'OffsetCommitKey', version: 0, data: { group: 'g', topic: 't', partition: 5 } },
      value: { type: 'OffsetCommitValue', version: 3, data: { offset: 42, leaderEpoch: 7, metadata: '', commitTimestamp: 1000 } },
      id: 1,
      kind: 'coordinator',
    });
    // OffsetCommitValue v4 (flexible): compact string metadata, tagged topicId (tag 0, 16 bytes)
    const uuid = Buffer.alloc(16, 0xab);
    const v4 = Buffer.concat([Buffer.from('0004' + '000000000000002a' + 'ffffffff' + '01' + '00000000000003e8' + '01' + '00' + '10', 'hex'), uuid]);
    expect(decodeInternalRecord('offsets', key, v4).value).toEqual({
      type: 'OffsetCommitValue',
      version: 4,
      data: { offset: 42, leaderEpoch: -1, metadata: '', commitTimestamp: 1000, topicId: uuid.toString('base64url') },
    });
    // FeatureLevelRecord v0: frame 1 | apiKey 12 | version 0 | compact string "metadata.version" | int16 19 | no tags
    const name = Buffer.from('metadata.version');
    const feature = Buffer.concat([Buffer.from([1, 12, 0, name.length + 1]), name, Buffer.from('001300', 'hex')]);
    expect(decodeInternalRecord('cluster-metadata', null, feature).value).toEqual({ type: 'FeatureLevelRecord', version: 0, data: { name: 'metadata.version', featureLevel: 19 } });
    // int64 beyond 2^53 keeps full precision
    const big = Buffer.from('0003' + '7fffffffffffffff' + '00000007' + '0000' + '00000000000003e8', 'hex');
    expect(internalJson(decodeInternalRecord('offsets', key, big).value)).toContain('"offset":9223372036854775807');
    // leftover bytes are an error naming the byte position within the value
    expect(() => decodeInternalRecord('offsets', key, Buffer.concat([value, Buffer.from([9])]))).toThrow(
      /value: OffsetCommitValue v3: 1 bytes left over after the struct at byte 24/,
    );
  });

  it('control records: COMMIT marker, LeaderChange, SnapshotHeader/Footer, KRaftVersion, Voters', () => {
    const commit = encodeControlRecord(1, { coordinatorEpoch: 5 });
    expect(decodeControlPayload(commit.key, commit.value)).toEqual({
      key: { type: 'COMMIT', version: 0, data: {} },
      value: { type: 'EndTxnMarker', version: 0, data: { coordinatorEpoch: 5 } },
      id: 1,
      kind: 'control',
    });
    const lc = encodeControlRecord(2, { version: 0, leaderId: 1, voters: [{ voterId: 1 }], grantingVoters: [{ voterId: 1 }] });
    expect(decodeControlPayload(lc.key, lc.value).value).toEqual({
      type: 'LeaderChangeMessage',
      version: 0,
      data: { version: 0, leaderId: 1, voters: [{ voterId: 1 }], grantingVoters: [{ voterId: 1 }] },
    });
    for (const id of [3, 4, 5, 6]) {
      const s = allSchemas().find((x) => x.name === ['SnapshotHeaderRecord', 'SnapshotFooterRecord', 'KRaftVersionRecord', 'VotersRecord'][id - 3])!;
      fc.assert(
        fc.property(structArb(s.fields, 0, true, 0), (data) => {
          const r = encodeControlRecord(id, data);
          expect(internalJson(decodeControlPayload(r.key, r.value).value)).toBe(internalJson({ type: s.name, version: data.version, data }));
        }),
        { numRuns: 10 },
      );
    }
    expect(decodeControlPayload(Buffer.from([0, 0, 0, 42]), Buffer.alloc(0)).key).toEqual({ unknown: true, type: 42, version: 0 });
  });

  it('mutated bytes only ever give a result or a KsegError (never another exception or a hang)', () => {
    const samples: [InternalDecoder, Buffer | null, Buffer][] = [];
    for (const s of allSchemas().filter((x) => x.kind === 'metadata' && x.group === 'metadata')) {
      samples.push(['cluster-metadata', null, encodeApiFramed('cluster-metadata', s.apiKey!, s.validVersions![1], {})]);
    }
    const k = encodeCoordinatorKey('offsets', 2, { group: 'g' });
    samples.push([
      'offsets',
      k,
      encodeCoordinatorValue('offsets', 2, 3, { protocolType: 'consumer', generation: 1, protocol: 'range', leader: 'a', currentStateTimestamp: 1, members: [] }),
    ]);
    fc.assert(
      fc.property(fc.integer({ min: 0, max: samples.length - 1 }), fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { maxLength: 4 }), fc.nat(), (i, flips, cut) => {
        const [d, key, value] = samples[i]!;
        const v = Buffer.from(value);
        for (const [p, b] of flips) if (v.length) v[p % v.length] = b;
        const cutV = v.subarray(0, cut % (v.length + 1));
        try {
          decodeInternalRecord(d, key, cutV);
        } catch (e) {
          expect(e).toBeInstanceOf(KsegError);
        }
      }),
      { numRuns: 2000 },
    );
  });
});

const SPECS = path.resolve(ROOT, '..', 'shared', 'kafka-specs');
describe.skipIf(!fs.existsSync(SPECS))('generated schema table', () => {
  it('src/format/kafka-messages/schemas.generated.ts is what scripts/gen-kafka-schemas.mjs makes from ../shared/kafka-specs', () => {
    const out = execFileSync(process.execPath, ['scripts/gen-kafka-schemas.mjs', '--check', SPECS], { cwd: ROOT, encoding: 'utf8' });
    expect(out).toMatch(/up to date \(84 specs\)/);
  });
});

describe("DumpLogSegmentsTest's asserted parser output (Java tool, kafka4 format), rebuilt from our encoder", async () => {
  const { kafka4Parts } = await import('../src/cli/internal-text.js');
  const { MessageWriter } = await import('../src/format/kafka-messages/index.js');
  const { schemaByName } = await import('../src/format/kafka-messages/index.js');
  const prefixed = (name: string, version: number, data: Record<string, unknown>): string => {
    const w = new MessageWriter();
    w.int16(version);
    w.raw(encodeMessage(schemaByName(name)!, version, data));
    return w.finish().toString('base64');
  };

  it('OffsetsMessageParser: ConsumerGroupMetadata key/value, tombstone, unknown record type 32767', () => {
    const key = encodeCoordinatorKey('offsets', 3, { groupId: 'group' });
    expect(kafka4Parts('offsets', decodeInternalRecord('offsets', key, encodeCoordinatorValue('offsets', 3, 0, { epoch: 10 })), 0)).toEqual({
      key: '{"type":"3","data":{"groupId":"group"}}',
      payload: '{"version":"0","data":{"epoch":10}}',
    });
    expect(kafka4Parts('offsets', decodeInternalRecord('offsets', key, null), 0)).toEqual({ key: '{"type":"3","data":{"groupId":"group"}}', payload: '<DELETE>' });
    const unknown = Buffer.alloc(2);
    unknown.writeInt16BE(32767);
    expect(kafka4Parts('offsets', decodeInternalRecord('offsets', unknown, Buffer.alloc(0)), 0)).toEqual({ key: 'Unknown record type 32767 at offset 0, skipping.' });
  });

  it('OffsetsMessageParser: GroupMetadataValue v4 with the consumer protocol expanded, or kept as bytes when malformed', () => {
    const member = (subscription: string, assignment: string) => ({
      memberId: 'member',
      groupInstanceId: 'instance',
      clientId: 'client',
      clientHost: 'host',
      rebalanceTimeout: 1000,
      sessionTimeout: 100,
      subscription,
      assignment,
    });
    const key = encodeCoordinatorKey('offsets', 2, { group: 'group' });
    const value = (m: object) =>
      encodeCoordinatorValue('offsets', 2, 4, { protocolType: 'consumer', generation: 10, protocol: 'range', leader: 'member', currentStateTimestamp: -1, members: [m] });
    // ConsumerProtocol.serializeSubscription / serializeAssignment: highest version (3), int16 version prefix
    const sub = prefixed('ConsumerProtocolSubscription', 3, {
      topics: ['foo'],
      userData: null,
      ownedPartitions: [{ topic: 'foo', partitions: [0] }],
      generationId: 0,
      rackId: 'rack',
    });
    const asg = prefixed('ConsumerProtocolAssignment', 3, { assignedPartitions: [{ topic: 'foo', partitions: [0] }], userData: null });
    expect(kafka4Parts('offsets', decodeInternalRecord('offsets', key, value(member(sub, asg))), 0).payload).toBe(
      '{"version":"4","data":{"protocolType":"consumer","generation":10,"protocol":"range",' +
        '"leader":"member","currentStateTimestamp":-1,"members":[{"memberId":"member",' +
        '"groupInstanceId":"instance","clientId":"client","clientHost":"host",' +
        '"rebalanceTimeout":1000,"sessionTimeout":100,"subscription":{"topics":["foo"],' +
        '"userData":null,"ownedPartitions":[{"topic":"foo","partitions":[0]}],' +
        '"generationId":0,"rackId":"rack"},"assignment":{"assignedPartitions":' +
        '[{"topic":"foo","partitions":[0]}],"userData":null}}]}}',
    );
    const bad = member(Buffer.from('Subscription').toString('base64'), Buffer.from('Assignment').toString('base64'));
    expect(kafka4Parts('offsets', decodeInternalRecord('offsets', key, value(bad)), 0).payload).toContain('"subscription":"U3Vic2NyaXB0aW9u","assignment":"QXNzaWdubWVudA=="');
  });

  it('OffsetsMessageParser: a value that does not follow its schema is an error naming the byte (Kafka: "Error at offset 0, skipping")', () => {
    const key = encodeCoordinatorKey('offsets', 3, { groupId: 'group' });
    // ConsumerGroupMemberMetadataValue v0 bytes put under a ConsumerGroupMetadataValue record type
    const value = encodeCoordinatorValue('offsets', 5, 0, {});
    expect(() => decodeInternalRecord('offsets', key, value)).toThrow(CorruptDataError);
  });

  it('TransactionLogMessageParser: v0 and v1 values, status by its TransactionState name', () => {
    const key = encodeCoordinatorKey('transaction', 0, { transactionalId: 'txnId' });
    const v0 = encodeCoordinatorValue('transaction', 0, 0, {
      producerId: 123,
      producerEpoch: 0,
      transactionTimeoutMs: 0,
      transactionStatus: 0,
      transactionPartitions: [],
      transactionLastUpdateTimestampMs: 0,
      transactionStartTimestampMs: 0,
    });
    expect(kafka4Parts('transaction', decodeInternalRecord('transaction', key, v0), 0)).toEqual({
      key: '{"type":"0","data":{"transactionalId":"txnId"}}',
      payload:
        '{"version":"0","data":{"producerId":123,"producerEpoch":0,"transactionTimeoutMs":0,"transactionStatus":"Empty","transactionPartitions":[],"transactionLastUpdateTimestampMs":0,"transactionStartTimestampMs":0}}',
    });
    const v1 = encodeCoordinatorValue('transaction', 0, 1, {
      producerId: 12,
      previousProducerId: 11,
      nextProducerId: 10,
      producerEpoch: 2,
      transactionTimeoutMs: 14,
      transactionStatus: 0,
      transactionPartitions: [
        { topic: 'topic1', partitionIds: [0, 1, 2] },
        { topic: 'topic2', partitionIds: [3, 4, 5] },
      ],
      transactionLastUpdateTimestampMs: 123,
      transactionStartTimestampMs: 13,
      clientTransactionVersion: 0,
    });
    expect(kafka4Parts('transaction', decodeInternalRecord('transaction', key, v1), 0).payload).toBe(
      '{"version":"1","data":{"producerId":12,"previousProducerId":11,"nextProducerId":10,' +
        '"producerEpoch":2,"transactionTimeoutMs":14,"transactionStatus":"Empty",' +
        '"transactionPartitions":[{"topic":"topic1","partitionIds":[0,1,2]},' +
        '{"topic":"topic2","partitionIds":[3,4,5]}],"transactionLastUpdateTimestampMs":123,' +
        '"transactionStartTimestampMs":13}}',
    );
    expect(kafka4Parts('transaction', decodeInternalRecord('transaction', key, null), 0).payload).toBe('<DELETE>');
  });
});

/** The compiled writer's text, or null when it leaves the message to the object path (-1). */
function compiledText(s: MessageSchema, v: number, bytes: Buffer, cap = 1 << 16): string | null {
  const dst = Buffer.alloc(cap + 64);
  const src = Buffer.concat([Buffer.from([0xee, 0xee]), bytes, Buffer.from([0xee])]); // not at 0, bytes around it
  const e = compilePartWriter(s, v)(src, 2, 2 + bytes.length, dst, 5, cap);
  return e < 0 ? null : dst.toString('utf8', 5, e);
}

/** The object path's text of the same part, or the error it throws. */
function objectText(s: MessageSchema, v: number, bytes: Buffer): string | Error {
  try {
    return `{"type":${JSON.stringify(s.name)},"version":${v},"data":${decodeMessageJson(s, v, bytes)}}`;
  } catch (e) {
    return e as Error;
  }
}

describe('compiled byte writers (json-writer.ts, the NDJSON path of kseg dump) = the object path, byte for byte', () => {
  for (const s of allSchemas()) {
    for (const v of versionsOf(s)) {
      it(`${s.group}/${s.name} v${v}: encoded structs, then mutated and cut bytes`, () => {
        fc.assert(
          fc.property(
            structArb(s.fields, v, isFlexible(s, v), 0),
            fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { maxLength: 3 }),
            fc.nat(),
            (data, flips, cut) => {
              const bytes = encodeMessage(s, v, data);
              const want = objectText(s, v, bytes);
              expect(want).toBe(`{"type":${JSON.stringify(s.name)},"version":${v},"data":${internalJson(data)}}`);
              // the compiled writer writes all of them (tagged fields included), or leaves none it should write
              expect(compiledText(s, v, bytes)).toBe(want);
              // without room: nothing written, never past cap
              if ((want as string).length > 8) expect(compiledText(s, v, bytes, 8)).toBeNull();
              // mutated bytes: either the object path's exact text, or -1 where the object path gives an error
              const m = Buffer.from(bytes);
              for (const [p, b] of flips) if (m.length) m[p % m.length] = b;
              const mc = m.subarray(0, flips.length === 0 ? cut % (m.length + 1) : m.length);
              const got = compiledText(s, v, mc);
              const ref = objectText(s, v, mc);
              if (ref instanceof Error) {
                expect(ref).toBeInstanceOf(CorruptDataError);
                expect(got).toBeNull();
              } else if (got !== null) expect(got).toBe(ref);
            },
          ),
          { numRuns: 30 },
        );
      });
    }
  }

  it('framing: writeDecodedRecordJson = decodedPartJson(decodeInternalRecordForJson(...)) for every coordinator and metadata record type', () => {
    const cases: [InternalDecoder, Buffer | null, Buffer | null][] = [];
    for (const d of ['offsets', 'transaction', 'share-group-state'] as InternalDecoder[]) {
      for (const ks of allSchemas().filter((x) => x.kind === 'coordinator-key' && x.apiKey !== null)) {
        const vs = allSchemas().find((x) => x.kind === 'coordinator-value' && x.group === ks.group && x.apiKey === ks.apiKey);
        if (!vs || !['group-coordinator', 'transaction-coordinator', 'share-coordinator'][['offsets', 'transaction', 'share-group-state'].indexOf(d)]!.includes(ks.group)) continue;
        const kd = fc.sample(structArb(ks.fields, 0, isFlexible(ks, 0), 0), 1)[0]!;
        const key = encodeCoordinatorKey(d, ks.apiKey!, kd);
        cases.push([d, key, null]);
        for (const v of versionsOf(vs)) cases.push([d, key, encodeCoordinatorValue(d, ks.apiKey!, v, fc.sample(structArb(vs.fields, v, isFlexible(vs, v), 0), 1)[0]!)]);
        // unknown value version, short value: left to the object path
        cases.push([d, key, Buffer.from([0x7f, 0x7f])]);
        cases.push([d, key, Buffer.from([0])]);
      }
      cases.push([d, Buffer.from([0x7f, 0x00]), Buffer.from([0, 0])]);
      cases.push([d, null, Buffer.from([0, 0])]);
    }
    for (const s of allSchemas().filter((x) => x.kind === 'metadata' && x.group === 'metadata')) {
      for (const v of versionsOf(s))
        cases.push(['cluster-metadata', null, encodeApiFramed('cluster-metadata', s.apiKey!, v, fc.sample(structArb(s.fields, v, isFlexible(s, v), 0), 1)[0]!)]);
    }
    cases.push(['cluster-metadata', null, null]);
    cases.push(['cluster-metadata', null, Buffer.from([2, 0, 0])]);
    let written = 0;
    for (const [d, key, value] of cases) {
      const src = Buffer.concat([key ?? Buffer.alloc(0), value ?? Buffer.alloc(0)]);
      const ks = key ? 0 : -1;
      const ke = key ? key.length : -1;
      const vs = value ? (ke < 0 ? 0 : ke) : -1;
      const ve = value ? vs + value.length : -1;
      const dst = Buffer.alloc(1 << 16);
      const e = writeDecodedRecordJson(d, src, ks, ke, vs, ve, dst, 0, dst.length);
      let ref: string | null;
      try {
        const x = decodeInternalRecordForJson(d, key, value);
        const unknown = [x.key, x.value].some((p) => p !== null && 'unknown' in p);
        ref = unknown ? null : `,"decoded":{"key":${decodedPartJson(x.key)},"value":${decodedPartJson(x.value)}}`;
      } catch (err) {
        expect(err).toBeInstanceOf(CorruptDataError);
        ref = null;
      }
      // unknown types and errors are left to the object path (its notes and messages)
      if (ref === null) expect(e).toBe(-1);
      else {
        expect(dst.toString('utf8', 0, e)).toBe(ref);
        written++;
      }
    }
    expect(written).toBeGreaterThan(80);
  });

  // The record writers (one RecordOp per key type and value version: framing + key struct + value
  // struct in one run) against the object path over whole records, as kseg dump feeds them: key
  // and value side by side in one buffer, then bytes flipped or cut in either, and too little room.
  it('records: writeDecodedRecordJson = the object path over encoded, mutated and cut records; -1 never writes at or past cap', () => {
    const recordArb = internalRecordArb();
    fc.assert(
      fc.property(
        recordArb,
        fc.array(fc.tuple(fc.boolean(), fc.nat(), fc.integer({ min: 0, max: 255 })), { maxLength: 3 }),
        fc.option(fc.tuple(fc.boolean(), fc.nat())),
        fc.nat(),
        fc.option(fc.tuple(fc.boolean(), fc.integer({ min: 0, max: 255 }))),
        ([d, key0, value0], flips, cut, room, extra) => {
          let [k, value] = damaged(key0, value0, flips, cut);
          // a byte left over after the key's or the value's struct
          if (extra && extra[0] && k) k = Buffer.concat([k, Buffer.from([extra[1]])]);
          else if (extra && value) value = Buffer.concat([value, Buffer.from([extra[1]])]);
          const src = Buffer.concat([Buffer.from([0xee]), k ?? Buffer.alloc(0), value ?? Buffer.alloc(0), Buffer.from([0xee])]);
          const ks = k ? 1 : -1;
          const ke = k ? 1 + k.length : -1;
          const vs = value ? 1 + (k ? k.length : 0) : -1;
          const ve = value ? vs + value.length : -1;
          let ref: string | null;
          try {
            const x = decodeInternalRecordForJson(d, k, value);
            const unknown = [x.key, x.value].some((p) => p !== null && 'unknown' in p);
            ref = unknown ? null : `,"decoded":{"key":${decodedPartJson(x.key)},"value":${decodedPartJson(x.value)}}`;
          } catch (err) {
            expect(err).toBeInstanceOf(CorruptDataError);
            ref = null;
          }
          const dst = Buffer.alloc(1 << 16, 0xaa);
          const e = writeDecodedRecordJson(d, src, ks, ke, vs, ve, dst, 3, dst.length - 64);
          if (ref === null) expect(e).toBe(-1);
          else expect(dst.toString('utf8', 3, e)).toBe(ref);
          // with less room than the text needs: -1, and nothing at or past cap
          if (ref !== null && ref.length > 4) {
            const small = Buffer.alloc(ref.length + 64, 0xaa);
            const cap = 3 + (room % (Buffer.byteLength(ref) - 1));
            expect(writeDecodedRecordJson(d, src, ks, ke, vs, ve, small, 3, cap)).toBe(-1);
            expect(small.subarray(cap).every((b) => b === 0xaa)).toBe(true);
          }
        },
      ),
      { numRuns: 1500 },
    );
  });
});
