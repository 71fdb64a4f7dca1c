import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { planRecovery, recover } from '../src/ops/recover/index.js';
import { verify } from '../src/ops/verify/index.js';
import { dump } from '../src/ops/dump.js';
import { encodeProducerSnapshot } from '../src/format/snapshot.js';
import { encodeEndTxnMarker, encodeV2BatchSync } from '../src/format/encode.js';
import { truncateEpochsFromEnd, truncateEpochsFromStart } from '../src/format/checkpoints.js';
import { controlRecoveryOutcome } from '../src/format/control.js';
import { KsegError } from '../src/format/errors.js';
import { exitCodeFor } from '../src/cli/exit-codes.js';
import { rebuildIndex } from '../src/ops/rebuild-index.js';
import { topicPartitionOfDir } from '../src/storage/log-dir.js';
import { FIXTURES, HAVE_REAL, kseg, REAL, tmpDir } from './helpers.js';

const seg = (base: number, ext: string): string => `${String(base).padStart(20, '0')}.${ext}`;

/** The corrupt-crc fixture: segments 0, 122, 243 (CRC_MISMATCH at byte 1327, offset 263), 365; 400 records. */
const CRC = path.join(FIXTURES, 'corrupt-crc', 'topic-0');

/**
 * A copy of `src` as partition `topic-0` inside a fresh log dir holding the given log-dir files
 * (name -> content); no files: the partition sits in a plain directory (no log dir).
 */
function inLogDir(src: string, files: Record<string, string> = {}): string {
  const logDir = tmpDir('kseg-logdir-');
  const dst = path.join(logDir, 'topic-0');
  fs.cpSync(src, dst, { recursive: true });
  for (const f of fs.readdirSync(dst)) fs.chmodSync(path.join(dst, f), 0o644);
  for (const [name, text] of Object.entries(files)) fs.writeFileSync(path.join(logDir, name), text);
  return dst;
}

const checkpoint = (entries: [string, number, number][]): string => `0\n${entries.length}\n${entries.map((e) => e.join(' ') + '\n').join('')}`;
const rp = (offset: number): Record<string, string> => ({
  'recovery-point-offset-checkpoint': checkpoint([
    ['other', 0, 5],
    ['topic', 0, offset],
  ]),
});

function files(dir: string): string[] {
  return fs.readdirSync(dir).sort();
}

describe('recover scope: LogLoader.recoverLog from the recovery point', () => {
  it('LogLoader.recoverLog: corruption below the recovery point is reported and kept; nothing is cut', () => {
    const dir = inLogDir(CRC, rp(365));
    const before = files(dir).map((f) => [f, fs.statSync(path.join(dir, f)).size]);
    const r = recover(dir);
    expect(r.mode).toMatchObject({ kind: 'recovery-point', recoveryPoint: 365, firstSegmentChecked: seg(365, 'log') });
    expect(r.mode.source).toBe(path.join(path.dirname(dir), 'recovery-point-offset-checkpoint'));
    expect(r.cut).toBeNull();
    expect(r.cuts).toEqual([]);
    expect(r.actions).toEqual([]);
    expect(r.notRecovered).toEqual([expect.objectContaining({ file: seg(243, 'log'), position: 1327, code: 'CRC_MISMATCH', offset: 263 })]);
    expect(r.remaining.map((i) => [i.code, i.file, i.position])).toContainEqual(['CRC_MISMATCH', seg(243, 'log'), 1327]);
    expect(r.after.records).toBe(r.before.records);
    expect(files(dir).map((f) => [f, fs.statSync(path.join(dir, f)).size])).toEqual(before);
    // verify still finds it.
    expect(verify([dir]).recoverable).toMatchObject({ file: seg(243, 'log'), truncateAtPosition: 1327 });
  });

  it('LogLoader.recoverLog: corruption at or above the recovery point is cut and later segments deleted (LogSegments.values(recoveryPoint, ∞) starts at the segment holding it)', () => {
    for (const point of [130, 243, 300]) {
      const dir = inLogDir(CRC, rp(point));
      const r = recover(dir);
      expect(r.mode.firstSegmentChecked).toBe(seg(point < 243 ? 122 : 243, 'log'));
      expect(r.cut).toMatchObject({ file: seg(243, 'log'), position: 1327, kind: 'recovery', segmentsDeleted: [seg(365, 'log')] });
      expect(r.after.records).toBe(263);
      expect(fs.existsSync(path.join(dir, seg(365, 'log')))).toBe(false);
      expect(fs.statSync(path.join(dir, seg(243, 'log'))).size).toBe(1327);
      expect(r.notRecovered).toEqual([]);
    }
  });

  it('LogManager.loadLog: a partition missing from the checkpoint has recovery point 0', () => {
    const dir = inLogDir(CRC, { 'recovery-point-offset-checkpoint': checkpoint([['other', 0, 500]]) });
    const r = recover(dir, { dryRun: true });
    expect(r.mode).toMatchObject({ kind: 'recovery-point', recoveryPoint: 0, firstSegmentChecked: seg(0, 'log') });
    expect(r.mode.reason).toMatch(/no entry/);
    expect(r.cut).toMatchObject({ file: seg(243, 'log'), position: 1327 });
  });

  it('LogManager.loadLogs: after a clean shutdown (.kafka_cleanshutdown) no segment is recovered', () => {
    const dir = inLogDir(CRC, { ...rp(0), '.kafka_cleanshutdown': '{"version":0,"brokerEpoch":12}' });
    const r = recover(dir);
    expect(r.mode).toMatchObject({ kind: 'clean-shutdown', recoveryPoint: 0, firstSegmentChecked: null });
    expect(r.mode.cleanShutdownFile).toBe(path.join(path.dirname(dir), '.kafka_cleanshutdown'));
    expect(r.actions).toEqual([]);
    expect(r.notRecovered).toHaveLength(1);
    expect(r.notRecovered[0]!.reason).toMatch(/shut down cleanly/);
    expect(fs.existsSync(path.join(dir, seg(365, 'log')))).toBe(true);
    // recover leaves the broker's marker alone.
    expect(fs.existsSync(path.join(path.dirname(dir), '.kafka_cleanshutdown'))).toBe(true);
  });

  it('--full cuts at the first invalid batch anywhere, as before, whatever the log dir says', () => {
    for (const extra of [rp(365), { ...rp(365), '.kafka_cleanshutdown': '' }]) {
      const dir = inLogDir(CRC, extra);
      const r = recover(dir, { full: true });
      expect(r.mode.kind).toBe('full');
      expect(r.cut).toMatchObject({ file: seg(243, 'log'), position: 1327, segmentsDeleted: [seg(365, 'log')] });
      expect(r.after.records).toBe(263);
    }
  });

  it('LogLoader: without a log dir the partition is recovered from offset 0', () => {
    const dir = inLogDir(CRC);
    const r = recover(dir, { dryRun: true });
    expect(r.mode).toMatchObject({ kind: 'no-log-dir', recoveryPoint: 0, source: null, firstSegmentChecked: seg(0, 'log') });
    expect(r.cut).toMatchObject({ file: seg(243, 'log'), position: 1327 });
  });

  it('a recovery-point checkpoint that does not parse is refused naming file and line (Kafka would reset every recovery point to 0); --full still runs', () => {
    const dir = inLogDir(CRC, { 'recovery-point-offset-checkpoint': '0\n2\ntopic 0 12\ntopic x 7\n' });
    let err: unknown;
    try {
      planRecovery(dir);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(KsegError);
    expect(exitCodeFor(err)).toBe(3);
    expect((err as KsegError).file).toBe(path.join(path.dirname(dir), 'recovery-point-offset-checkpoint'));
    expect((err as KsegError).message).toMatch(/line 4/);
    expect((err as KsegError).message).toMatch(/--full/);
    expect(planRecovery(dir, { full: true }).cut).toMatchObject({ file: seg(243, 'log') });
  });

  it('LogLoader.loadSegmentFiles: a segment without .index is recovered when loaded even below the recovery point, alone (later segments stay)', () => {
    const dir = inLogDir(CRC, rp(365));
    fs.rmSync(path.join(dir, seg(243, 'index')));
    const r = recover(dir);
    expect(r.cuts).toEqual([expect.objectContaining({ file: seg(243, 'log'), position: 1327, kind: 'segment-load', segmentsDeleted: [] })]);
    expect(fs.statSync(path.join(dir, seg(243, 'log'))).size).toBe(1327);
    expect(fs.existsSync(path.join(dir, seg(243, 'index')))).toBe(true);
    expect(fs.existsSync(path.join(dir, seg(365, 'log')))).toBe(true);
    expect(r.after.logEndOffset).toBe(r.before.logEndOffset);
    expect(recover(dir).actions).toEqual([]);
  });

  it('LogLoader.loadSegmentFiles runs after a clean shutdown too: a segment without .index is recovered alone', () => {
    const dir = inLogDir(CRC, { ...rp(0), '.kafka_cleanshutdown': '' });
    fs.rmSync(path.join(dir, seg(243, 'index')));
    const r = recover(dir, { dryRun: true });
    expect(r.mode.kind).toBe('clean-shutdown');
    expect(r.cuts).toEqual([expect.objectContaining({ file: seg(243, 'log'), position: 1327, kind: 'segment-load', segmentsDeleted: [] })]);
    expect(r.notRecovered).toEqual([]);
  });

  it('UnifiedLog.parseTopicPartitionName: topic-N, and -delete/-future/-stray directories name their partition', () => {
    expect(topicPartitionOfDir('/x/orders-3')).toEqual({ topic: 'orders', partition: 3 });
    expect(topicPartitionOfDir('/x/my-topic-12')).toEqual({ topic: 'my-topic', partition: 12 });
    expect(topicPartitionOfDir(`/x/orders-3.${'a'.repeat(32)}-future`)).toEqual({ topic: 'orders', partition: 3 });
    expect(topicPartitionOfDir('/x/not a partition')).toBeNull();
  });

  it('KafkaMetadataLog: the KRaft metadata log is recovered from offset 0 whatever the log dir says', () => {
    const logDir = tmpDir('kseg-logdir-');
    const dir = path.join(logDir, '__cluster_metadata-0');
    fs.cpSync(CRC, dir, { recursive: true });
    fs.writeFileSync(path.join(logDir, '.kafka_cleanshutdown'), '');
    fs.writeFileSync(path.join(logDir, 'recovery-point-offset-checkpoint'), checkpoint([['__cluster_metadata', 0, 400]]));
    const r = planRecovery(dir);
    expect(r.mode).toMatchObject({ kind: 'recovery-point', recoveryPoint: 0, firstSegmentChecked: seg(0, 'log') });
    expect(r.cut).toMatchObject({ file: seg(243, 'log'), position: 1327 });
  });

  it('LogSegment.sanityCheck: a .txnindex entry ending below the segment base makes Kafka recover that segment when loading it', () => {
    const dir = inLogDir(CRC, rp(365));
    const bad = Buffer.alloc(34);
    bad.writeBigInt64BE(7n, 2); // producerId
    bad.writeBigInt64BE(10n, 10); // firstOffset
    bad.writeBigInt64BE(11n, 18); // lastOffset < 243
    fs.writeFileSync(path.join(dir, seg(243, 'txnindex')), bad);
    const r = recover(dir, { dryRun: true });
    expect(r.cuts).toEqual([expect.objectContaining({ file: seg(243, 'log'), kind: 'segment-load' })]);
    expect(r.actions.find((a) => a.type === 'truncate')?.reason).toMatch(/txnindex/);
  });

  it('CLI: the plan names the mode, the kept corruption, and --full; JSON has mode and notRecovered', () => {
    const dir = inLogDir(CRC, rp(365));
    const h = kseg(['recover', dir, '--dry-run']);
    expect(h.status).toBe(0);
    expect(h.stdout).toMatch(/mode: recovery point 365 \(from 00000000000000000365\.log\)/);
    expect(h.stdout).toMatch(/Kafka's startup would not recover, kept/);
    expect(h.stdout).toMatch(/CRC_MISMATCH 00000000000000000243\.log@1327/);
    const j = JSON.parse(kseg(['recover', dir, '--dry-run', '--json']).stdout);
    expect(j.mode).toMatchObject({ kind: 'recovery-point', recoveryPoint: 365, firstSegmentChecked: seg(365, 'log') });
    expect(j.notRecovered).toEqual([expect.objectContaining({ file: seg(243, 'log'), position: 1327, code: 'CRC_MISMATCH' })]);
    expect(j.cuts).toEqual([]);
    const f = JSON.parse(kseg(['recover', dir, '--dry-run', '--json', '--full']).stdout);
    expect(f.mode.kind).toBe('full');
    expect(f.cut).toMatchObject({ file: seg(243, 'log'), position: 1327 });
    const bad = inLogDir(CRC, { 'recovery-point-offset-checkpoint': '0\n1\ngarbage\n' });
    const e = kseg(['recover', bad, '--dry-run']);
    expect(e.status).toBe(3);
    expect(e.stderr).toMatch(/recovery-point-offset-checkpoint/);
    expect(e.stderr.trim().split('\n')).toHaveLength(1);
  });
});

describe('leader-epoch-checkpoint (LeaderEpochFileCache)', () => {
  it('truncateFromEnd(L) keeps only entries starting below L; truncateFromStart(S) folds those at or below S into one at S', () => {
    const e = [
      { epoch: 0, startOffset: 0 },
      { epoch: 3, startOffset: 50 },
      { epoch: 5, startOffset: 80 },
    ];
    expect(truncateEpochsFromEnd(e, 80)).toEqual(e.slice(0, 2));
    expect(truncateEpochsFromEnd(e, 81)).toEqual(e);
    expect(truncateEpochsFromEnd(e, 50)).toEqual(e.slice(0, 1));
    expect(truncateEpochsFromStart(e, 60)).toEqual([
      { epoch: 3, startOffset: 60 },
      { epoch: 5, startOffset: 80 },
    ]);
    expect(truncateEpochsFromStart(e, 50)).toEqual([
      { epoch: 3, startOffset: 50 },
      { epoch: 5, startOffset: 80 },
    ]);
  });

  it('LogLoader.load: an entry starting exactly at the log end goes even when nothing is cut; entries below the log-start checkpoint are folded', () => {
    const dir = inLogDir(path.join(FIXTURES, 'v2-none', 'topic-0'), {
      'log-start-offset-checkpoint': checkpoint([['topic', 0, 10]]),
      'recovery-point-offset-checkpoint': checkpoint([]),
    });
    const leo = planRecovery(dir, { dryRun: true }).before.logEndOffset!;
    fs.writeFileSync(path.join(dir, 'leader-epoch-checkpoint'), `0\n4\n0 0\n1 5\n2 20\n3 ${leo}\n`);
    const r = recover(dir);
    expect(r.cut).toBeNull();
    expect(fs.readFileSync(path.join(dir, 'leader-epoch-checkpoint'), 'utf8')).toBe('0\n2\n1 10\n2 20\n');
  });
});

describe('producer snapshots (ProducerStateManager)', () => {
  it('removeStraySnapshots and truncateAndReload: stray, below-log-start, deleted-segment and corrupt snapshots go; segment-base and the newest in the active segment stay', () => {
    // corrupt-crc with recovery point 0: cut in 243, 365 deleted; new log end 263.
    const dir = inLogDir(CRC, { ...rp(0), 'log-start-offset-checkpoint': checkpoint([['topic', 0, 5]]) });
    const snap = encodeProducerSnapshot([]);
    const bad = Buffer.from(snap);
    bad[3]! ^= 0xff;
    for (const o of [0, 5, 60, 100, 122, 250, 365]) fs.writeFileSync(path.join(dir, seg(o, 'snapshot')), snap);
    fs.writeFileSync(path.join(dir, seg(243, 'snapshot')), bad);
    const r = recover(dir);
    const reasons = Object.fromEntries(r.actions.filter((a) => a.type === 'delete' && a.file.endsWith('.snapshot')).map((a) => [a.file, (a as { reason: string }).reason]));
    expect(reasons[seg(365, 'snapshot')]).toMatch(/deleted by the recovery/);
    expect(reasons[seg(60, 'snapshot')]).toMatch(/stray/);
    expect(reasons[seg(100, 'snapshot')]).toMatch(/stray/);
    expect(reasons[seg(0, 'snapshot')]).toMatch(/log start offset 5/);
    expect(reasons[seg(5, 'snapshot')]).toMatch(/stray/);
    expect(reasons[seg(243, 'snapshot')]).toMatch(/corrupt/);
    // 122 is a segment base; 250 is the newest stray and lies in the last segment (base 243).
    expect(files(dir).filter((f) => f.endsWith('.snapshot'))).toEqual([seg(122, 'snapshot'), seg(250, 'snapshot')]);
  });
});

/** One-segment partition: data at 0, a control batch of producer 7 at 1 with the given first record, data at 2..4. */
function controlPartition(key: Buffer | null, value: Buffer | null, trailing = true): { dir: string; controlEnd: number } {
  const logDir = tmpDir('kseg-ctl-');
  const dir = path.join(logDir, 'txn-0');
  fs.mkdirSync(dir);
  const data = (o: number, n: number): Buffer =>
    encodeV2BatchSync({
      baseOffset: o,
      records: Array.from({ length: n }, (_, i) => ({ offsetDelta: i, timestamp: 1_700_000_000_000 + o + i, key: `k${o + i}`, value: `v${o + i}` })),
    });
  const ctl = encodeV2BatchSync({
    baseOffset: 1,
    records: [{ offsetDelta: 0, timestamp: 1_700_000_000_001, key, value }],
    isTransactional: true,
    isControl: true,
    producerId: 7,
    producerEpoch: 0,
    baseSequence: -1,
  });
  const parts = [data(0, 1), ctl];
  if (trailing) parts.push(data(2, 3));
  fs.writeFileSync(path.join(dir, seg(0, 'log')), Buffer.concat(parts));
  rebuildIndex(dir);
  return { dir, controlEnd: parts[0]!.length + ctl.length };
}

describe('control batch whose marker Kafka cannot parse (LogSegment.recover -> ProducerAppendInfo.append -> EndTransactionMarker.deserialize)', () => {
  const goodValue = Buffer.from([0, 0, 0, 0, 0, 3]);

  it('the pure rule: InvalidRecordException cases truncate after the batch; IllegalArgument/NullPointer cases fail the load', () => {
    expect(controlRecoveryOutcome(Buffer.from([0, 0, 0, 1]), goodValue).kind).toBe('ok');
    expect(controlRecoveryOutcome(Buffer.from([0, 0]), goodValue).kind).toBe('truncate-after');
    expect(controlRecoveryOutcome(Buffer.from([0xff, 0xff, 0, 1]), goodValue).kind).toBe('truncate-after');
    expect(controlRecoveryOutcome(Buffer.from([0, 0, 0, 0]), Buffer.from([0, 0, 1])).kind).toBe('truncate-after');
    expect(controlRecoveryOutcome(Buffer.from([0, 0, 0, 0]), Buffer.from([0x80, 0, 0, 0, 0, 1])).kind).toBe('truncate-after');
    expect(controlRecoveryOutcome(Buffer.from([0, 0, 0, 2]), goodValue).kind).toBe('load-fails');
    expect(controlRecoveryOutcome(null, goodValue).kind).toBe('load-fails');
    expect(controlRecoveryOutcome(Buffer.from([0, 0, 0, 1]), null).kind).toBe('load-fails');
    // A newer key version is read as version 0 (ControlRecordType.parseTypeId).
    expect(controlRecoveryOutcome(Buffer.from([0, 5, 0, 1]), goodValue).kind).toBe('ok');
  });

  it('a 2-byte control key (valid CRC): recover keeps the batch and truncates right after it', () => {
    const { dir, controlEnd } = controlPartition(Buffer.from([0, 0]), goodValue);
    expect(verify([dir]).recoverable).toMatchObject({ file: seg(0, 'log'), truncateAtPosition: controlEnd, recordsLost: 3 });
    const r = recover(dir);
    expect(r.cut).toMatchObject({ file: seg(0, 'log'), position: controlEnd, code: 'CONTROL_RECORD_INVALID', offset: 2, records: 3 });
    expect(fs.statSync(path.join(dir, seg(0, 'log'))).size).toBe(controlEnd);
    expect(r.after.logEndOffset).toBe(2);
    // The kept marker is still reported, and a second run has nothing to do.
    expect(r.remaining.map((i) => i.code)).toContain('CONTROL_RECORD_INVALID');
    expect(recover(dir).actions).toEqual([]);
  });

  it('a bad marker at the end of the segment truncates nothing (Kafka truncates 0 bytes and goes on)', () => {
    const { dir } = controlPartition(Buffer.from([0, 0]), goodValue, false);
    expect(recover(dir, { dryRun: true }).cut).toBeNull();
  });

  it('a LEADER_CHANGE record in a producer batch makes Kafka fail the load: reported, nothing cut', () => {
    const { dir } = controlPartition(Buffer.from([0, 0, 0, 2]), goodValue);
    const r = recover(dir, { dryRun: true });
    expect(r.cut).toBeNull();
    expect(r.remaining.filter((i) => i.code === 'CONTROL_RECORD_INVALID').map((i) => i.message)).toContainEqual(expect.stringMatching(/does not load the partition/));
  });

  it('a valid ABORT marker is not touched', () => {
    const logDir = tmpDir('kseg-ctl-');
    const dir = path.join(logDir, 'txn-0');
    fs.mkdirSync(dir);
    const d = encodeV2BatchSync({
      baseOffset: 0,
      records: [{ offsetDelta: 0, timestamp: 1, key: 'a', value: 'b' }],
      isTransactional: true,
      producerId: 7,
      producerEpoch: 0,
      baseSequence: 0,
    });
    const m = encodeEndTxnMarker({ baseOffset: 1, type: 'ABORT', producerId: 7, producerEpoch: 0, coordinatorEpoch: 0, timestamp: 2 });
    const e = encodeV2BatchSync({ baseOffset: 2, records: [{ offsetDelta: 0, timestamp: 3, key: 'c', value: 'd' }] });
    fs.writeFileSync(path.join(dir, seg(0, 'log')), Buffer.concat([d, m, e]));
    rebuildIndex(dir);
    expect(recover(dir, { dryRun: true }).actions).toEqual([]);
  });
});

describe.skipIf(!HAVE_REAL)('recover on a real Kafka 3.7 log dir (ldi-poc), copied', () => {
  it('TestTopicPatient-0 (no .index files, unclean shutdown, recovery point 0 in the checkpoint): plan names the mode and creates the indexes', () => {
    const src = path.join(REAL, 'ldi-poc', 'kafka-logs');
    const logDir = tmpDir('kseg-real-');
    for (const f of ['recovery-point-offset-checkpoint', 'log-start-offset-checkpoint', 'replication-offset-checkpoint', 'meta.properties'])
      fs.copyFileSync(path.join(src, f), path.join(logDir, f));
    const dir = path.join(logDir, 'TestTopicPatient-0');
    fs.cpSync(path.join(src, 'TestTopicPatient-0'), dir, { recursive: true });
    const r = planRecovery(dir);
    expect(r.mode.kind).toBe('recovery-point');
    expect(r.mode.source).toBe(path.join(logDir, 'recovery-point-offset-checkpoint'));
    expect(r.cut).toBeNull();
    expect(r.actions.map((a) => a.type === 'write' && a.file)).toContain(seg(0, 'index'));
  });
});

describe('dump of a corrupt producer snapshot (ProducerStateManager.readSnapshot, DumpLogSegments.dumpProducerIdSnapshot)', () => {
  const entry = { producerId: 7, producerEpoch: 1, lastSequence: 4, lastOffset: 9, offsetDelta: 0, timestamp: 5, coordinatorEpoch: 0, currentTxnFirstOffset: -1 };
  function snapshots(): { dir: string; bad: string; good: string; stored: number; computed: number } {
    const dir = tmpDir('kseg-snap-');
    const good = encodeProducerSnapshot([entry]);
    const bad = Buffer.from(good);
    bad[bad.length - 1]! ^= 0x01;
    fs.writeFileSync(path.join(dir, seg(10, 'snapshot')), bad);
    fs.writeFileSync(path.join(dir, seg(20, 'snapshot')), good);
    const stored = bad.readUInt32BE(2);
    const computed = verifyCrc(bad);
    return { dir, bad: path.join(dir, seg(10, 'snapshot')), good: path.join(dir, seg(20, 'snapshot')), stored, computed };
  }
  const verifyCrc = (b: Buffer): number => {
    const ev = [...dump([writeTmp(b)], {})].find((e) => e.type === 'error') as { error: KsegError } | undefined;
    const m = /Computed crc: (\d+)/.exec(ev?.error.message ?? '');
    return m ? Number(m[1]) : -1;
  };
  const writeTmp = (b: Buffer): string => {
    const p = path.join(tmpDir('kseg-snap1-'), seg(1, 'snapshot'));
    fs.writeFileSync(p, b);
    return p;
  };

  it('ops: a CRC mismatch is an error event naming the file, never snapshot data', () => {
    const { bad, stored } = snapshots();
    const events = [...dump([bad], {})];
    expect(events.some((e) => e.type === 'snapshot')).toBe(false);
    const err = events.find((e) => e.type === 'error') as { error: KsegError };
    expect(err.error).toMatchObject({ code: 'SNAPSHOT_CRC_MISMATCH', file: seg(10, 'snapshot'), position: 2 });
    expect(err.error.message).toMatch(new RegExp(`^Snapshot is corrupt \\(CRC is no longer valid\\)\\. Stored crc: ${stored}\\. Computed crc: \\d+$`));
  });

  it('--format kafka / kafka4: the exception message on stderr, no entries, the next file still dumped', () => {
    const { bad, good, stored, computed } = snapshots();
    for (const format of ['kafka', 'kafka4']) {
      const r = kseg(['dump', bad, good, '--format', format]);
      expect(r.stderr).toBe(`Snapshot is corrupt (CRC is no longer valid). Stored crc: ${stored}. Computed crc: ${computed}\n`);
      const lines = r.stdout.split('\n');
      expect(lines.slice(0, 2)).toEqual([`Dumping ${bad}`, `Dumping ${good}`]);
      expect(lines[2]).toMatch(/^producerId: 7 producerEpoch: 1 /);
      expect(lines.slice(3)).toEqual(['']);
      expect(r.status).toBe(3);
    }
  });

  it('--json / --ndjson: a stderr error object naming the file, exit 3, the good snapshot still printed', () => {
    const { bad, good } = snapshots();
    for (const format of ['json', 'ndjson']) {
      const r = kseg(['dump', bad, good, '--format', format]);
      expect(r.status).toBe(3);
      const errLine = r.stderr
        .trim()
        .split('\n')
        .map((l) => {
          try {
            return JSON.parse(l);
          } catch {
            return null;
          }
        })
        .find((o) => o?.error);
      expect(errLine.error).toMatchObject({ code: 'SNAPSHOT_CRC_MISMATCH', file: seg(10, 'snapshot'), position: 2 });
      expect(r.stdout).not.toMatch(/00000000000000000010\.snapshot/);
      expect(r.stdout).toMatch(/00000000000000000020\.snapshot/);
    }
  });
});
