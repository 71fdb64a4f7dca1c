import fs from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { encodeV2BatchSync, type RecordInput } from '../src/format/encode.js';
import { encodeApiFramed, encodeControlRecord, encodeCoordinatorKey, encodeCoordinatorValue } from '../src/format/kafka-messages/index.js';
import { HAVE_REAL, kseg, ndjsonLines, REAL, tmpDir } from './helpers.js';

const LDI = path.join(REAL, 'ldi-poc', 'kafka-logs');
const EXPECTED = path.join(REAL, 'expected-internal', 'ldi-poc', 'kafka-logs');
const HAVE_INTERNAL = HAVE_REAL && fs.existsSync(EXPECTED);

const readExpected = (name: string): any[] => ndjsonLines(fs.readFileSync(path.join(EXPECTED, name), 'utf8'));
const strip = (p: any): unknown => (p === null ? null : { type: p.type, version: p.version, data: p.data });

describe.skipIf(!HAVE_INTERNAL)('kseg dump --ndjson of real Kafka 3.7 internal topics (expected-internal/)', () => {
  for (const target of ['__consumer_offsets-6', '__cluster_metadata-0', 'bootstrap.checkpoint']) {
    it(`${target}: "decoded" equals what Kafka's JsonConverter gives, no notes, exit 0 (auto-selected by name)`, () => {
      const r = kseg(['dump', path.join(LDI, target), '--ndjson']);
      expect(r.stderr).toBe('');
      expect(r.status).toBe(0);
      const got = ndjsonLines(r.stdout);
      const exp = readExpected(`${target}.records.ndjson`);
      expect(got.map((l) => ({ offset: l.offset, key: l.decoded.key, value: l.decoded.value }))).toEqual(
        exp.map((e) => ({ offset: e.offset, key: strip(e.key), value: strip(e.value) })),
      );
    });
  }
  it('__consumer_offsets-6 --expand-consumer-protocol: members as kafka-dump-log.sh --offsets-decoder prints them', () => {
    const r = kseg(['dump', path.join(LDI, '__consumer_offsets-6'), '--ndjson', '--expand-consumer-protocol']);
    const exp = readExpected('__consumer_offsets-6.records.consumer-protocol.ndjson');
    expect(ndjsonLines(r.stdout).map((l) => l.decoded.value)).toEqual(exp.map((e) => strip(e.value)));
  });
  it('the 49 other __consumer_offsets partitions hold no records, and dump them without notes', () => {
    const dirs = fs.readdirSync(LDI).filter((n) => /^__consumer_offsets-\d+$/.test(n) && n !== '__consumer_offsets-6');
    for (const d of dirs) expect(readExpected(`${d}.records.ndjson`)).toEqual([]);
    const r = kseg(['dump', ...dirs.map((d) => path.join(LDI, d)), '--ndjson']);
    expect(r.status).toBe(0);
    expect(r.stdout).toBe('');
    expect(r.stderr).toBe('');
  });
  it('--format kafka on __cluster_metadata-0: metadata records as DumpLogSegments JSON payloads', () => {
    const r = kseg(['dump', path.join(LDI, '__cluster_metadata-0'), '--format', 'kafka', '--to-offset', '3']);
    const lines = r.stdout.split('\n').filter((l) => l.startsWith('| offset: 2 '));
    expect(lines).toEqual([
      '| offset: 2 CreateTime: 1769791434545 keySize: -1 valueSize: 23 sequence: -1 headerKeys: [] payload: {"type":"FEATURE_LEVEL_RECORD","version":0,"data":{"name":"metadata.version","featureLevel":19}}',
    ]);
  });
  it('bootstrap.checkpoint --format kafka: "KRaft bootstrap snapshot" header and snapshot control lines', () => {
    const r = kseg(['dump', path.join(LDI, 'bootstrap.checkpoint'), '--format', 'kafka']);
    expect(r.status).toBe(0);
    const lines = r.stdout.split('\n');
    expect(lines[1]).toBe('KRaft bootstrap snapshot');
    expect(lines.filter((l) => l.startsWith('|'))).toEqual([
      '| offset: 0 CreateTime: 1769791430952 keySize: 4 valueSize: 11 sequence: -1 headerKeys: [] SnapshotHeader {"version":0,"lastContainedLogTimestamp":0}',
      '| offset: 1 CreateTime: 1769791430996 keySize: -1 valueSize: 23 sequence: -1 headerKeys: [] payload: {"type":"FEATURE_LEVEL_RECORD","version":0,"data":{"name":"metadata.version","featureLevel":19}}',
      '| offset: 2 CreateTime: 1769791430997 keySize: 4 valueSize: 3 sequence: -1 headerKeys: [] SnapshotFooter {"version":0}',
    ]);
  });
});

// ------------------------------------------------------------------------------------------------
// Built partitions: every coordinator framing case, unknown types, leftover bytes, the flags.

const T0 = 1_700_000_000_000;
function writeLog(dir: string, batches: Buffer[], name = '00000000000000000000.log'): string {
  fs.mkdirSync(dir, { recursive: true });
  const p = path.join(dir, name);
  fs.writeFileSync(p, Buffer.concat(batches));
  return p;
}
const rec = (offset: number, key: Buffer | null, value: Buffer | null): RecordInput => ({ offset, timestamp: T0 + offset, key, value });

let root: string;
let offsets: string;
beforeAll(() => {
  root = tmpDir('kseg-internal-');
  offsets = path.join(root, '__consumer_offsets-7');
  const ck = encodeCoordinatorKey('offsets', 1, { group: 'g1', topic: 'orders', partition: 3 });
  const gk = encodeCoordinatorKey('offsets', 2, { group: 'g1' });
  const unknownKey = Buffer.from([0x00, 0x63, 0x00, 0x00]); // record type 99
  const good = encodeCoordinatorValue('offsets', 1, 3, { offset: 42, leaderEpoch: 5, metadata: 'm', commitTimestamp: T0 });
  writeLog(offsets, [
    encodeV2BatchSync({ baseOffset: 0, records: [rec(0, ck, good)] }),
    encodeV2BatchSync({
      baseOffset: 1,
      records: [
        rec(1, gk, encodeCoordinatorValue('offsets', 2, 3, { protocolType: 'consumer', generation: 4, protocol: 'range', leader: 'm1', currentStateTimestamp: T0, members: [] })),
      ],
    }),
    encodeV2BatchSync({ baseOffset: 2, records: [rec(2, ck, null)] }), // tombstone
    encodeV2BatchSync({ baseOffset: 3, records: [rec(3, unknownKey, Buffer.from([0, 0]))] }),
    encodeV2BatchSync({ baseOffset: 4, records: [rec(4, ck, Buffer.concat([good, Buffer.from([7, 7])]))] }), // 2 bytes left over
    encodeV2BatchSync({ baseOffset: 5, records: [rec(5, ck, encodeCoordinatorValue('offsets', 1, 1, { offset: 9, metadata: '', commitTimestamp: T0, expireTimestamp: T0 + 1 }))] }),
  ]);
});

describe('kseg dump of an internal topic built with the encoder', () => {
  it('NDJSON: decoded key/value per record, null for a tombstone, {unknown} with one note, decodeError + exit 3 for leftover bytes', () => {
    const r = kseg(['dump', offsets, '--ndjson']);
    expect(r.status).toBe(3);
    const lines = ndjsonLines(r.stdout);
    expect(lines.map((l) => l.offset)).toEqual([0, 1, 2, 3, 4, 5]);
    expect(lines[0].decoded).toEqual({
      key: { type: 'OffsetCommitKey', version: 0, data: { group: 'g1', topic: 'orders', partition: 3 } },
      value: { type: 'OffsetCommitValue', version: 3, data: { offset: 42, leaderEpoch: 5, metadata: 'm', commitTimestamp: T0 } },
    });
    expect(lines[0].key).toBe(encodeCoordinatorKey('offsets', 1, { group: 'g1', topic: 'orders', partition: 3 }).toString('base64'));
    expect(lines[2].decoded.value).toBeNull();
    expect(lines[3].decoded).toEqual({ key: { unknown: true, type: 99, version: 0 }, value: { unknown: true, type: 99, version: 0 } });
    expect(lines[4].decoded).toBeNull();
    expect(lines[4].decodeError).toMatch(
      /record at offset 4 \(batch at byte \d+\) does not decode: value: OffsetCommitValue v3: 2 bytes left over after the struct at byte 25 of the value/,
    );
    expect(lines[5].decoded.value).toEqual({ type: 'OffsetCommitValue', version: 1, data: { offset: 9, metadata: '', commitTimestamp: T0, expireTimestamp: T0 + 1 } });
    expect(r.stderr).toMatch(/note: 00000000000000000000\.log: offset 3: coordinator key of unknown type 99 version 0/);
    expect(r.stderr).toMatch(/kseg: record at offset 4 .* does not decode: .* \(00000000000000000000\.log\)/);
    expect(r.stderr).toMatch(/"code":"BAD_MESSAGE"/);
  });

  it('dump and lookup share the notes: dump notes an unknown type once per file and says so, lookup notes its one record; a record that does not decode is exit 3 in both', () => {
    const d = kseg(['dump', offsets, '--ndjson']);
    expect(d.stderr).toContain(
      'kseg: note: 00000000000000000000.log: offset 3: coordinator key of unknown type 99 version 0 (printed as {"unknown":true}; later records of that type are not noted again)\n',
    );
    const l = kseg(['lookup', offsets, '--offset', '3', '--json']);
    expect(l.status).toBe(0);
    expect(l.stderr.split('\n')).toContain('kseg: note: 00000000000000000000.log: offset 3: coordinator key of unknown type 99 version 0 (printed as {"unknown":true})');
    const bad = kseg(['lookup', offsets, '--offset', '4', '--json']);
    expect(bad.status).toBe(3);
    expect(JSON.parse(bad.stderr.split('\n')[1]!).error.code).toBe('BAD_MESSAGE');
  });

  it('--decoder hex turns decoding off (raw bytes as before); --internal-decoder offsets with it turns it back on; --internal-decoder none', () => {
    const off = ndjsonLines(kseg(['dump', offsets, '--ndjson', '--decoder', 'hex']).stdout);
    expect(off[0].decoded).toBeUndefined();
    expect(off[0].key).toBe(encodeCoordinatorKey('offsets', 1, { group: 'g1', topic: 'orders', partition: 3 }).toString('hex'));
    const on = ndjsonLines(kseg(['dump', offsets, '--ndjson', '--decoder', 'hex', '--internal-decoder', 'offsets']).stdout);
    expect(on[0].decoded.key.type).toBe('OffsetCommitKey');
    expect(on[0].key).toBe(off[0].key);
    expect(ndjsonLines(kseg(['dump', offsets, '--ndjson', '--internal-decoder', 'none']).stdout)[0].decoded).toBeUndefined();
  });

  it('a copy under another name is decoded only when forced (--offsets-decoder, Kafka spelling)', () => {
    const other = path.join(root, 'copy-0');
    fs.cpSync(offsets, other, { recursive: true });
    expect(ndjsonLines(kseg(['dump', other, '--ndjson']).stdout)[0].decoded).toBeUndefined();
    expect(ndjsonLines(kseg(['dump', other, '--ndjson', '--offsets-decoder']).stdout)[0].decoded.key.type).toBe('OffsetCommitKey');
    expect(kseg(['dump', other, '--offsets-decoder', '--cluster-metadata-decoder']).status).toBe(2);
  });

  it('--format kafka prints what the 3.x dump tool prints (GroupMetadataManager.formatRecordKeyAndValue)', () => {
    const r = kseg(['dump', offsets, '--format', 'kafka']);
    const tails = r.stdout
      .split('\n')
      .filter((l) => l.startsWith('|'))
      .map((l) => l.replace(/^.*headerKeys: \[\]/, ''));
    expect(tails).toEqual([
      ' key: offset_commit::group=g1,partition=orders-3 payload: offset=42,metadata=m',
      ' key: group_metadata::group=g1 payload: {"protocolType":"consumer","protocol":"range","generationId":4,"assignment":"{}"}',
      ' key: offset_commit::group=g1,partition=orders-3 payload: <DELETE>',
      ' key: unknown::version=99',
      expect.stringMatching(/^ key: Error at offset 4, skipping\. /),
      ' key: offset_commit::group=g1,partition=orders-3 payload: offset=9',
    ]);
  });

  it('--format kafka4 prints what the Java tool prints (CoordinatorRecordMessageParser)', () => {
    const r = kseg(['dump', offsets, '--format', 'kafka4']);
    const tails = r.stdout
      .split('\n')
      .filter((l) => l.startsWith('|'))
      .map((l) => l.replace(/^.*headerKeys: \[\]/, ''));
    expect(tails[0]).toBe(
      ` key: {"type":"1","data":{"group":"g1","topic":"orders","partition":3}} payload: {"version":"3","data":{"offset":42,"leaderEpoch":5,"metadata":"m","commitTimestamp":${T0}}}`,
    );
    expect(tails[2]).toBe(' key: {"type":"1","data":{"group":"g1","topic":"orders","partition":3}} payload: <DELETE>');
    expect(tails[3]).toBe(' key: Unknown record type 99 at offset 3, skipping.');
  });

  it('text: the decoded record instead of raw bytes, <DELETE> for a tombstone', () => {
    const out = kseg(['dump', offsets]).stdout.split('\n');
    expect(out.find((l) => /^ {2}0 /.test(l))).toContain('OffsetCommitKey v0 {"group":"g1","topic":"orders","partition":3} => OffsetCommitValue v3 {"offset":42');
    expect(out.find((l) => /^ {2}2 /.test(l))).toMatch(/=> <DELETE>$/);
  });
});

describe('KRaft snapshot files in __cluster_metadata-0', () => {
  it('<offset>-<epoch>.checkpoint: dumped with its header, records decoded as metadata, and after the log in a directory dump', () => {
    const dir = path.join(root, '__cluster_metadata-0');
    const topic = encodeApiFramed('cluster-metadata', 2, 0, { name: 'orders', topicId: 'AAAAAAAAAAAAAAAAAAAAAQ' });
    writeLog(dir, [encodeV2BatchSync({ baseOffset: 0, records: [rec(0, null, topic)] })]);
    const h = encodeControlRecord(3, { version: 0, lastContainedLogTimestamp: T0 });
    const f = encodeControlRecord(4, { version: 0 });
    writeLog(
      dir,
      [
        encodeV2BatchSync({ baseOffset: 0, isControl: true, records: [rec(0, h.key, h.value)] }),
        encodeV2BatchSync({ baseOffset: 1, records: [rec(1, null, topic)] }),
        encodeV2BatchSync({ baseOffset: 2, isControl: true, records: [rec(2, f.key, f.value)] }),
      ],
      '00000000000000000001-0000000007.checkpoint',
    );
    const k = kseg(['dump', path.join(dir, '00000000000000000001-0000000007.checkpoint'), '--format', 'kafka']);
    expect(k.status).toBe(0);
    expect(k.stdout.split('\n')[1]).toBe('Snapshot end offset: 1, epoch: 7');
    expect(k.stdout).toContain('payload: {"type":"TOPIC_RECORD","version":0,"data":{"name":"orders","topicId":"AAAAAAAAAAAAAAAAAAAAAQ"}}');
    const all = ndjsonLines(kseg(['dump', dir, '--ndjson']).stdout);
    expect(all.map((l) => [l.batch.file, l.offset])).toEqual([
      ['00000000000000000000.log', 0],
      ['00000000000000000001-0000000007.checkpoint', 0],
      ['00000000000000000001-0000000007.checkpoint', 1],
      ['00000000000000000001-0000000007.checkpoint', 2],
    ]);
    expect(all[2].decoded).toEqual({ key: null, value: { type: 'TopicRecord', version: 0, data: { name: 'orders', topicId: 'AAAAAAAAAAAAAAAAAAAAAQ' } } });
    expect(all[3].decoded).toEqual({ key: { type: 'SNAPSHOT_FOOTER', version: 0, data: {} }, value: { type: 'SnapshotFooterRecord', version: 0, data: { version: 0 } } });
  });
});

describe('verify and info of KRaft snapshots (RecordsSnapshotReader: header first, footer last, offsets from 0)', () => {
  function snapshot(dir: string, name: string, footer: boolean, gap = 0): string {
    const h = encodeControlRecord(3, { version: 0, lastContainedLogTimestamp: T0 });
    const f = encodeControlRecord(4, { version: 0 });
    const topic = encodeApiFramed('cluster-metadata', 2, 0, { name: 't', topicId: 'AAAAAAAAAAAAAAAAAAAAAg' });
    const batches = [
      encodeV2BatchSync({ baseOffset: 0, isControl: true, records: [rec(0, h.key, h.value)] }),
      encodeV2BatchSync({ baseOffset: 1 + gap, records: [rec(1 + gap, null, topic)] }),
    ];
    if (footer) batches.push(encodeV2BatchSync({ baseOffset: 2 + gap, isControl: true, records: [rec(2 + gap, f.key, f.value)] }));
    return writeLog(dir, batches, name);
  }
  it('a complete snapshot verifies clean; info lists it with its end offset and epoch', () => {
    const dir = path.join(root, 'snap-ok', '__cluster_metadata-0');
    const p = snapshot(dir, '00000000000000000123-0000000004.checkpoint', true);
    const v = kseg(['verify', p, '--json']);
    expect(v.status).toBe(0);
    const i = JSON.parse(kseg(['info', dir, '--json']).stdout)[0];
    expect(i.kraftSnapshots).toEqual([
      {
        file: '00000000000000000123-0000000004.checkpoint',
        endOffset: 123,
        epoch: 4,
        bytes: fs.statSync(p).size,
        batches: 3,
        records: 3,
        lastContainedLogTimestamp: T0,
        complete: true,
        problems: [],
      },
    ]);
  });
  it('no footer → SNAPSHOT_FOOTER_MISSING; an offset gap → SNAPSHOT_OFFSET_GAP (file and directory verify)', () => {
    const dir = path.join(root, 'snap-bad', '__cluster_metadata-0');
    const p = snapshot(dir, '00000000000000000010-0000000001.checkpoint', false);
    const v = JSON.parse(kseg(['verify', p, '--json']).stdout);
    expect(v.issues.map((i: any) => i.code)).toEqual(['SNAPSHOT_FOOTER_MISSING']);
    const q = snapshot(dir, '00000000000000000020-0000000001.checkpoint', true, 5);
    expect(JSON.parse(kseg(['verify', q, '--json']).stdout).issues.map((i: any) => [i.code, i.offset])).toEqual([['SNAPSHOT_OFFSET_GAP', 6]]);
    const d = kseg(['verify', dir, '--json']);
    expect(d.status).toBe(1);
    const codes = JSON.parse(d.stdout).issues.map((i: any) => `${i.file}:${i.code}`);
    expect(codes).toContain('00000000000000000010-0000000001.checkpoint:SNAPSHOT_FOOTER_MISSING');
    expect(codes).toContain('00000000000000000020-0000000001.checkpoint:SNAPSHOT_OFFSET_GAP');
  });
});

describe('KRaft snapshots and offset ranges', () => {
  it('a directory dump with --from-offset leaves the snapshots out (their offsets are not log offsets)', () => {
    const dir = path.join(root, '__cluster_metadata-0');
    const all = ndjsonLines(kseg(['dump', dir, '--ndjson']).stdout);
    expect(all.some((l) => l.batch.file.endsWith('.checkpoint'))).toBe(true);
    const ranged = ndjsonLines(kseg(['dump', dir, '--ndjson', '--from-offset', '0']).stdout);
    expect(ranged.map((l) => l.batch.file)).toEqual(['00000000000000000000.log']);
  });
});

describe('generate --internal: every record type and version of the topic, decoded back with no unknown type or error', () => {
  const cases: [string, string, string, string][] = [
    ['offsets', 'offsets', 'group-coordinator', 'coordinator-value'],
    ['transactions', 'transaction', 'transaction-coordinator', 'coordinator-value'],
    ['share-group-state', 'share-group-state', 'share-coordinator', 'coordinator-value'],
    ['metadata', 'cluster-metadata', 'metadata', 'metadata'],
  ];
  for (const [kind, decoder, group, specKind] of cases) {
    it(`${kind}`, async () => {
      const { allSchemas: all } = await import('../src/format/kafka-messages/index.js');
      const want = new Set<string>();
      for (const s of all().filter((x) => x.group === group && x.kind === specKind)) for (let v = s.validVersions![0]; v <= s.validVersions![1]; v++) want.add(`${s.name} v${v}`);
      const dir = path.join(root, `gen-${kind}-0`);
      const g = kseg([
        'generate',
        dir,
        '--internal',
        kind,
        '--records',
        String(Math.max(60, want.size * 3)),
        '--tombstone-ratio',
        '0.1',
        '--compression',
        'none,zstd',
        '--no-fsync',
      ]);
      expect(g.status).toBe(0);
      const r = kseg(['dump', dir, '--ndjson', '--internal-decoder', decoder]);
      expect(r.stderr).toBe('');
      expect(r.status).toBe(0);
      const lines = ndjsonLines(r.stdout);
      const seen = new Set(lines.filter((l) => l.decoded.value).map((l) => `${l.decoded.value.type} v${l.decoded.value.version}`));
      expect([...want].filter((w) => !seen.has(w))).toEqual([]);
      if (decoder !== 'cluster-metadata') expect(lines.some((l) => l.decoded.value === null)).toBe(true);
      expect(kseg(['verify', dir]).status).toBe(0);
    });
  }
});

describe('KRaft voters control record (DumpLogSegments printControlRecord)', () => {
  it('--format kafka prints " KRaftVoters {json}" as the dump tool does', () => {
    const dir = path.join(root, 'voters', '__cluster_metadata-0');
    const voters = {
      version: 0,
      voters: [
        {
          voterId: 1,
          voterDirectoryId: 'AAAAAAAAAAAAAAAAAAAAAQ',
          endpoints: [{ name: 'CONTROLLER', host: 'localhost', port: 9093 }],
          kRaftVersionFeature: { minSupportedVersion: 0, maxSupportedVersion: 1 },
        },
      ],
    };
    const c = encodeControlRecord(6, voters);
    writeLog(dir, [encodeV2BatchSync({ baseOffset: 0, isControl: true, records: [rec(0, c.key, c.value)] })]);
    const r = kseg(['dump', dir, '--format', 'kafka']);
    expect(r.stdout.split('\n').find((l) => l.startsWith('|'))).toBe(
      `| offset: 0 CreateTime: ${T0} keySize: 4 valueSize: ${c.value.length} sequence: -1 headerKeys: [] KRaftVoters ${JSON.stringify(voters)}`,
    );
    const j = ndjsonLines(kseg(['dump', dir, '--ndjson']).stdout)[0];
    expect(j.decoded).toEqual({ key: { type: 'KRAFT_VOTERS', version: 0, data: {} }, value: { type: 'VotersRecord', version: 0, data: voters } });
  });
});

describe('LEADER_CHANGE control record (DumpLogSegments printControlRecord: 3.x Scala vs the Java port)', () => {
  it('--format kafka prints "controlType: LEADER_CHANGE(2)" as the 3.x tool does; kafka4 prints "LeaderChange: {json}"', () => {
    const dir = path.join(root, 'leader-change', '__cluster_metadata-0');
    const lc = { version: 0, leaderId: 1, voters: [{ voterId: 1 }], grantingVoters: [{ voterId: 1 }] };
    const c = encodeControlRecord(2, lc);
    writeLog(dir, [encodeV2BatchSync({ baseOffset: 0, isControl: true, records: [rec(0, c.key, c.value)] })]);
    const head = `| offset: 0 CreateTime: ${T0} keySize: 4 valueSize: ${c.value.length} sequence: -1 headerKeys: []`;
    const line = (format: string) =>
      kseg(['dump', dir, '--format', format])
        .stdout.split('\n')
        .find((l) => l.startsWith('|'));
    expect(line('kafka')).toBe(`${head} controlType: LEADER_CHANGE(2)`);
    expect(line('kafka4')).toBe(`${head} LeaderChange: ${JSON.stringify(lc)}`);
  });
});
