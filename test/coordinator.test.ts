import fs from 'node:fs';
import path from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { coordinator, coordinatorPartition, javaStringHashCode, kafkaAbs } from '../src/ops/coordinator.js';
import { HAVE_REAL, kseg, REAL, tmpDir } from './helpers.js';

/**
 * Vectors printed by OpenJDK 17 (`String.hashCode()`, then Kafka's Utils.abs and `% 50`, `% 7`)
 * for the same strings, written here as JS escapes (UTF-16 code units, as Java holds them).
 */
const JAVA: [string, number, number, number][] = [
  ['', 0, 0, 0],
  ['hello', 99162322, 22, 0],
  ['polygenelubricants', -2147483648, 0, 0],
  ['DEVSmileCDR', 551467806, 6, 1],
  ['console-consumer-12345', 158455506, 6, 6],
  ['caf\u00e9', 3045921, 21, 4],
  ['\u65e5\u672c\u8a9e-group', 695781065, 15, 0],
  ['emoji-\uD83D\uDE00-grp', -573712158, 8, 5],
  ['lone-\uD800', -1097077395, 45, 1],
  ['a-very-long-transactional-id-with-many-characters-0123456789-abcdefghijklmnopqrstuvwxyz', 89726817, 17, 5],
  ['tx-1', 3572520, 20, 0],
  ['payments', 1382682413, 13, 0],
  ['zzzzzzzzzzzzzzzzzzzzzzzzzzzzzzz', -443481158, 8, 1],
];

/** An independent model: the polynomial over UTF-16 code units in BigInt, reduced to a signed int32. */
function modelHash(s: string): number {
  let h = 0n;
  for (let i = 0; i < s.length; i++) h = (h * 31n + BigInt(s.charCodeAt(i))) % (1n << 32n);
  return Number(BigInt.asIntN(32, h));
}

describe('coordinator: GroupMetadataManager/TransactionStateManager.partitionFor = Utils.abs(String.hashCode) % partitions', () => {
  it('String.hashCode and partition agree with a JVM, incl. non-ASCII, surrogate pairs, a lone surrogate and Integer.MIN_VALUE', () => {
    for (const [s, hash, p50, p7] of JAVA) {
      expect(javaStringHashCode(s), s).toBe(hash);
      expect(coordinatorPartition(s, 50), s).toBe(p50);
      expect(coordinatorPartition(s, 7), s).toBe(p7);
    }
  });

  it('Utils.abs maps Integer.MIN_VALUE to 0 and is Math.abs otherwise (not n & 0x7fffffff, which would give 40 for the emoji id)', () => {
    expect(kafkaAbs(-2147483648)).toBe(0);
    expect(kafkaAbs(-573712158)).toBe(573712158);
    expect((-573712158 & 0x7fffffff) % 50).toBe(40);
    expect(coordinatorPartition('emoji-\uD83D\uDE00-grp', 50)).toBe(8);
  });

  it('hashCode equals a BigInt model for any string (property)', () => {
    fc.assert(
      fc.property(
        fc.oneof(fc.string(), fc.string({ unit: 'binary' }), fc.string({ unit: fc.integer({ min: 0, max: 0xffff }).map((c) => String.fromCharCode(c)) })),
        fc.integer({ min: 1, max: 1000 }),
        (s, n) => {
          expect(javaStringHashCode(s)).toBe(modelHash(s));
          const p = coordinatorPartition(s, n);
          expect(p >= 0 && p < n).toBe(true);
        },
      ),
      { numRuns: 2000 },
    );
  });

  it('needs an id and a positive partition count', () => {
    expect(() => coordinator({})).toThrow(/--group/);
    expect(() => coordinator({ groups: ['g'], partitions: 0 })).toThrow(/positive/);
  });

  it('with --log-dirs: infers the partition count from the directories present, finds the replica and its segments', () => {
    const a = tmpDir('kseg-coord-a-');
    const b = tmpDir('kseg-coord-b-');
    // Broker a holds __consumer_offsets-0..6 except 6, broker b holds 6 and 7; __transaction_state absent.
    for (let p = 0; p < 6; p++) fs.mkdirSync(path.join(a, `__consumer_offsets-${p}`));
    for (const p of [6, 7]) fs.mkdirSync(path.join(b, `__consumer_offsets-${p}`));
    fs.writeFileSync(path.join(b, '__consumer_offsets-6', '00000000000000000000.log'), Buffer.alloc(0));
    fs.mkdirSync(path.join(a, '__consumer_offsets-7.0123456789abcdef0123456789abcdef-delete'));
    // console-consumer-12345: |158455506| % 8 = 2; DEVSmileCDR: 551467806 % 8 = 6.
    const [g1, g2, t] = coordinator({ groups: ['console-consumer-12345', 'DEVSmileCDR'], transactionalIds: ['tx-1'], logDirs: [a, b] });
    expect(g1).toMatchObject({ kind: 'group', partitions: 8, partitionsSource: 'log-dirs', partition: 2, partitionDir: '__consumer_offsets-2' });
    expect(g1!.locations!.map((l) => l.dir)).toEqual([path.join(a, '__consumer_offsets-2')]);
    expect(g2).toMatchObject({ partition: 6 });
    expect(g2!.locations![0]).toMatchObject({ logDir: b, segments: [{ file: '00000000000000000000.log', baseOffset: 0, bytes: 0 }], logStartOffset: 0, logEndOffset: 0 });
    expect(t).toMatchObject({ kind: 'transactionalId', topic: '__transaction_state', partitions: 50, partitionsSource: 'default', partition: 20, locations: [] });
    expect(t!.notes.join(' ')).toMatch(/no log dir given holds __transaction_state-20/);
    // --partitions wins over the inference.
    expect(coordinator({ groups: ['payments'], partitions: 50, logDirs: [a, b] })[0]).toMatchObject({ partitions: 50, partitionsSource: 'flag', partition: 13, locations: [] });
  });

  it('CLI: text and --json; a missing log dir is an I/O error naming it', () => {
    const r = kseg(['coordinator', '--group', 'payments', '--transactional-id', 'tx-1', '--json']);
    expect(r.status).toBe(0);
    const j = JSON.parse(r.stdout);
    expect(j.map((x: { partitionDir: string }) => x.partitionDir)).toEqual(['__consumer_offsets-13', '__transaction_state-20']);
    expect(j[0]).toMatchObject({ id: 'payments', hashCode: 1382682413, partitions: 50, locations: null });
    const t = kseg(['coordinator', '--group', 'payments']);
    expect(t.stdout).toMatch(/group "payments" -> __consumer_offsets-13/);
    const bad = kseg(['coordinator', '--group', 'g', '--log-dirs', '/nonexistent/kseg-dir']);
    expect(bad.status).toBe(4);
    expect(bad.stderr).toMatch(/\/nonexistent\/kseg-dir/);
    expect(kseg(['coordinator']).status).toBe(2);
  });

  it.skipIf(!HAVE_REAL)('real Kafka 3.7 log dir: group DEVSmileCDR committed into __consumer_offsets-6, where the broker put it (skipped without ../shared/real)', () => {
    const logDir = path.join(REAL, 'ldi-poc', 'kafka-logs');
    // The partition count comes from __cluster_metadata-0 (50), although __consumer_offsets-14 has no directory here.
    const [r, t] = coordinator({ groups: ['DEVSmileCDR'], transactionalIds: ['my-tx'], logDirs: [logDir] });
    expect(r).toMatchObject({ partitions: 50, partitionsSource: 'cluster-metadata', partition: 6 });
    expect(r!.locations![0]!.bytes).toBeGreaterThan(0);
    expect(t).toMatchObject({ partitionsSource: 'default', partition: 11, locations: [] });
    expect(t!.notes.join(' ')).toMatch(/has no __transaction_state topic yet/);
    // Without the metadata log the count is inferred from the directories, with a note about the missing one.
    const copy = tmpDir('kseg-coord-real-');
    for (const f of fs.readdirSync(logDir)) if (f.startsWith('__consumer_offsets-')) fs.mkdirSync(path.join(copy, f));
    const [inferred] = coordinator({ groups: ['DEVSmileCDR'], logDirs: [copy] });
    expect(inferred).toMatchObject({ partitions: 50, partitionsSource: 'log-dirs', partition: 6 });
    expect(inferred!.notes.join(' ')).toMatch(/no directory in these log dirs: 14/);
  });
});
