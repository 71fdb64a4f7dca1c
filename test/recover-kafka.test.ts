import fs from 'node:fs';
import path from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { recover } from '../src/ops/recover/index.js';
import { verify } from '../src/ops/verify/index.js';
import { generate } from '../src/ops/generate.js';
import { assignEpoch, encodeLeaderEpochCheckpoint, parseLeaderEpochCheckpoint, type LeaderEpochEntry } from '../src/format/checkpoints.js';
import { encodeV2BatchSync } from '../src/format/encode.js';
import { encodeProducerSnapshot } from '../src/format/snapshot.js';
import { rebuildIndex } from '../src/ops/rebuild-index.js';
import { buildPartition, readPartition, type Spec } from './partition-builder.js';
import { kseg, tmpDir } from './helpers.js';
import { exitCodeFor } from '../src/cli/exit-codes.js';

const seg = (base: number, ext: string): string => `${String(base).padStart(20, '0')}.${ext}`;
const checkpoint = (entries: [string, number, number][]): string => `0\n${entries.length}\n${entries.map((e) => e.join(' ') + '\n').join('')}`;
const epochsOf = (dir: string): LeaderEpochEntry[] => parseLeaderEpochCheckpoint(fs.readFileSync(path.join(dir, 'leader-epoch-checkpoint'), 'utf8'));

/** `n` single-record batches without producer, in segments of about `segmentBytes`. */
function dataSpecs(n: number): Spec[] {
  return Array.from({ length: n }, (_, i) => ({
    kind: 'data' as const,
    records: [{ key: `k${i}`, value: `value-${i}-${'x'.repeat(i % 7)}` }],
    producerId: -1,
    transactional: false,
  }));
}

/** A partition `topic-0` in a fresh log dir (files: log-dir files by name), built from specs. */
async function partition(specs: Spec[], opts: Parameters<typeof buildPartition>[2], logDirFiles: Record<string, string> = {}): Promise<string> {
  const logDir = tmpDir('kseg-rk-');
  const dir = path.join(logDir, 'topic-0');
  await buildPartition(dir, specs, opts);
  for (const [name, text] of Object.entries(logDirFiles)) fs.writeFileSync(path.join(logDir, name), text);
  return dir;
}

/**
 * LeaderEpochFileCache, transcribed literally: a map sorted by epoch; assign checks
 * isUpdateNeeded against the entry with the highest epoch, then removes from the highest epoch
 * down while the entry's epoch >= the new one or its start offset >= the new one, then puts.
 */
function modelAssign(cache: Map<number, number>, epoch: number, startOffset: number): void {
  const keys = [...cache.keys()].sort((a, b) => a - b);
  const last = keys.length ? keys[keys.length - 1]! : undefined;
  if (last !== undefined && !(epoch !== last || startOffset < cache.get(last)!)) return;
  for (let i = keys.length - 1; i >= 0; i--) {
    const k = keys[i]!;
    if (k >= epoch || cache.get(k)! >= startOffset) cache.delete(k);
    else break;
  }
  cache.set(epoch, startOffset);
}

describe('recover: leader epochs assigned during recovery (LogSegment.recover -> LeaderEpochFileCache.assign)', () => {
  it('LeaderEpochFileCache.assign: assignEpoch equals a literal transcription of the cache on random sequences', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.nat(6), fc.nat(40)), { maxLength: 30 }), (seq) => {
        const model = new Map<number, number>();
        let mine: LeaderEpochEntry[] = [];
        for (const [e, o] of seq) {
          modelAssign(model, e, o);
          mine = assignEpoch(mine, e, o);
        }
        const expected = [...model.entries()].sort((a, b) => a[0] - b[0]).map(([epoch, startOffset]) => ({ epoch, startOffset }));
        expect(mine).toEqual(expected);
        // The cache stays ordered by epoch and by start offset.
        for (let i = 1; i < mine.length; i++) expect(mine[i]!.epoch > mine[i - 1]!.epoch && mine[i]!.startOffset > mine[i - 1]!.startOffset).toBe(true);
      }),
      { numRuns: 300 },
    );
    expect(() => assignEpoch([], -1, 0)).toThrow(RangeError);
  });

  it('LogSegment.recover: epochs of recovered batches missing from the checkpoint are assigned (the checkpoint lost its tail in a crash)', async () => {
    const dir = await partition(dataSpecs(60), { segmentBytes: 1024, epochEvery: 10 });
    const full = epochsOf(dir);
    expect(full.length).toBe(6);
    fs.writeFileSync(path.join(dir, 'leader-epoch-checkpoint'), encodeLeaderEpochCheckpoint(full.slice(0, 2)));
    const r = recover(dir); // no log-dir files: recovered from offset 0, as Kafka without a recovery point
    expect(r.mode.kind).toBe('no-log-dir');
    const w = r.actions.find((a) => a.type === 'write' && a.file === 'leader-epoch-checkpoint');
    expect(w?.reason).toMatch(/assign epoch 2 from offset 20 .*LogSegment\.recover/);
    expect(epochsOf(dir)).toEqual(full);
    // A second run changes nothing.
    expect(recover(dir).actions).toEqual([]);
  });

  it('LogSegment.recover: a missing leader-epoch-checkpoint is created with the recovered epochs', async () => {
    const dir = await partition(dataSpecs(30), { segmentBytes: 1024, epochEvery: 10 });
    const full = epochsOf(dir);
    fs.rmSync(path.join(dir, 'leader-epoch-checkpoint'));
    const r = recover(dir, { dryRun: true });
    expect(r.actions).toContainEqual(expect.objectContaining({ type: 'write', file: 'leader-epoch-checkpoint', existed: false }));
    recover(dir);
    expect(epochsOf(dir)).toEqual(full);
  });

  it("LogLoader.recoverLog: only segments from the recovery point are recovered, so an epoch that began earlier is assigned at that segment's first batch", async () => {
    const dir = await partition(dataSpecs(60), { segmentBytes: 1024, epochEvery: 10 }, {});
    const segs = readPartition(dir).segments;
    expect(segs.length).toBeGreaterThanOrEqual(3);
    const last = segs[segs.length - 1]!;
    const lastFirstEpoch = last.batches[0]!.partitionLeaderEpoch;
    const full = epochsOf(dir);
    // The checkpoint only knows epoch 0; the partition's recovery point is the last segment's base.
    fs.writeFileSync(path.join(dir, 'leader-epoch-checkpoint'), encodeLeaderEpochCheckpoint([{ epoch: 0, startOffset: 0 }]));
    fs.writeFileSync(path.join(path.dirname(dir), 'recovery-point-offset-checkpoint'), checkpoint([['topic', 0, last.base]]));
    recover(dir);
    const expected: LeaderEpochEntry[] = [{ epoch: 0, startOffset: 0 }];
    if (lastFirstEpoch > 0) expected.push({ epoch: lastFirstEpoch, startOffset: last.base });
    for (const e of full) if (e.startOffset > last.base) expected.push(e);
    expect(epochsOf(dir)).toEqual(expected);
  });

  it('LogLoader.recoverLog: after a clean shutdown nothing is recovered, so no epoch is assigned', async () => {
    const dir = await partition(dataSpecs(40), { segmentBytes: 1024, epochEvery: 10 }, { '.kafka_cleanshutdown': '' });
    const partial = epochsOf(dir).slice(0, 1);
    fs.writeFileSync(path.join(dir, 'leader-epoch-checkpoint'), encodeLeaderEpochCheckpoint(partial));
    const r = recover(dir);
    expect(r.mode.kind).toBe('clean-shutdown');
    expect(r.actions).toEqual([]);
    expect(epochsOf(dir)).toEqual(partial);
  });

  it('LeaderEpochFileCache: the checkpoint is loaded through assign (non-monotonic entries dropped), then truncateFromEnd drops epochs of the cut', async () => {
    const dir = await partition(dataSpecs(40), { segmentBytes: 1024, epochEvery: 10 });
    const full = epochsOf(dir);
    // An entry for a lower epoch after a higher one: loading it drops the higher one.
    const bad = [...full, { epoch: 1, startOffset: 35 }];
    fs.writeFileSync(path.join(dir, 'leader-epoch-checkpoint'), encodeLeaderEpochCheckpoint(bad));
    expect(verify([dir]).issues.map((i) => i.code)).toContain('LEADER_EPOCH_NOT_INCREASING');
    const r = recover(dir);
    expect(r.actions.find((a) => a.file === 'leader-epoch-checkpoint')?.reason).toMatch(/non-monotonic/);
    expect(verify([dir]).issues.map((i) => i.code)).not.toContain('LEADER_EPOCH_NOT_INCREASING');
    expect(r.remaining.map((i) => i.code)).not.toContain('LEADER_EPOCH_NOT_INCREASING');
    // Loaded: [0@0, 1@35] (1@35 removed 3@30, 2@20, 1@10); recovery then assigns 2@20, which
    // removes 1@35 (start offset >= 20), and 3@30: epoch 1 is gone, as in Kafka.
    let model: LeaderEpochEntry[] = [];
    for (const e of bad) model = assignEpoch(model, e.epoch, e.startOffset);
    for (const e of full) if (e.epoch > model[model.length - 1]!.epoch) model = assignEpoch(model, e.epoch, e.startOffset);
    expect(epochsOf(dir)).toEqual(model);
    expect(epochsOf(dir)).toEqual([full[0], full[2], full[3]]);
  });

  it('LogLoader: a recovery cut drops the epochs assigned from batches after it (truncateFromEnd at the new log end)', async () => {
    const dir = await partition(dataSpecs(40), { segmentBytes: 1024, epochEvery: 10 });
    const full = epochsOf(dir);
    const segs = readPartition(dir).segments;
    const last = segs[segs.length - 1]!;
    // Flip a byte inside the CRC-covered part of the last segment's 3rd batch.
    const b = last.batches[2]!;
    const log = path.join(dir, last.file);
    const buf = fs.readFileSync(log);
    buf[b.position + 70] ^= 0xff;
    fs.writeFileSync(log, buf);
    fs.writeFileSync(path.join(dir, 'leader-epoch-checkpoint'), encodeLeaderEpochCheckpoint(full.slice(0, 1)));
    const r = recover(dir);
    expect(r.cut).toMatchObject({ file: last.file, position: b.position });
    const leo = r.after.logEndOffset!;
    expect(epochsOf(dir)).toEqual(full.filter((e) => e.startOffset < leo));
  });
});

/** Set the base offset field (not covered by the v2 CRC) of batch `i` of segment `s` to `offset`. */
function setBaseOffset(dir: string, file: string, position: number, offset: number): void {
  const p = path.join(dir, file);
  const buf = fs.readFileSync(p);
  buf.writeBigInt64BE(BigInt(offset), position);
  fs.writeFileSync(p, buf);
}

describe('recover: InvalidOffsetException during recovery empties the segment (LogLoader.recoverLog)', () => {
  it('LogLoader.recoverLog: offsets going back at an index point make OffsetIndex.append throw; the segment is truncated to its base offset and later segments deleted', async () => {
    // index.interval.bytes 0: every batch but the first gets an index entry.
    const dir = await partition(dataSpecs(60), { segmentBytes: 1024, indexIntervalBytes: 0 });
    const segs = readPartition(dir).segments;
    expect(segs.length).toBeGreaterThanOrEqual(3);
    const mid = segs[1]!;
    setBaseOffset(dir, mid.file, mid.batches[2]!.position, mid.batches[1]!.baseOffset);
    // verify's finding is unchanged: offsets not increasing, nothing for its size/CRC recovery to cut.
    const v = verify([dir]);
    expect(v.issues.map((i) => i.code)).toContain('OFFSET_NOT_INCREASING');
    expect(v.recoverable).toBeNull();
    const r = recover(dir, { indexIntervalBytes: 0 });
    expect(r.cut).toMatchObject({ file: mid.file, position: 0, code: 'OFFSET_NOT_INCREASING', kind: 'recovery', segmentsDeleted: segs.slice(2).map((s) => s.file) });
    expect(r.actions.find((a) => a.type === 'truncate')?.reason).toMatch(/InvalidOffsetException.*LogLoader\.recoverLog/);
    const total = (ss: typeof segs) => ss.reduce((n, x) => n + x.batches.reduce((m, b) => m + b.count, 0), 0);
    expect(r.actions.find((a) => a.type === 'truncate')).toMatchObject({ records: total([mid]) });
    expect(r.cut!.records).toBe(total(segs.slice(1)));
    expect(r.after.records).toBe(total(segs.slice(0, 1)));
    expect(fs.statSync(path.join(dir, mid.file)).size).toBe(0);
    expect(fs.statSync(path.join(dir, seg(mid.base, 'index'))).size).toBe(0);
    expect(fs.statSync(path.join(dir, seg(mid.base, 'timeindex'))).size).toBe(0);
    for (const s of segs.slice(2)) expect(fs.existsSync(path.join(dir, s.file))).toBe(false);
    expect(r.after.logEndOffset).toBe(mid.base);
    expect(verify([dir]).issues.filter((i) => i.severity === 'error')).toEqual([]);
  });

  it('LogLoader.recoverLog: the same fault below the recovery point is kept (Kafka does not recover that segment)', async () => {
    const dir = await partition(dataSpecs(60), { segmentBytes: 1024, indexIntervalBytes: 0 });
    const segs = readPartition(dir).segments;
    const mid = segs[1]!;
    setBaseOffset(dir, mid.file, mid.batches[2]!.position, mid.batches[1]!.baseOffset);
    fs.writeFileSync(path.join(path.dirname(dir), 'recovery-point-offset-checkpoint'), checkpoint([['topic', 0, segs[2]!.base]]));
    const r = recover(dir, { indexIntervalBytes: 0 });
    expect(r.cuts).toEqual([]);
    expect(r.actions.filter((a) => a.type === 'truncate' || a.type === 'delete')).toEqual([]);
  });

  it('LogSegment.recover: offsets going back between index points are not seen by Kafka (nothing cut)', async () => {
    const dir = await partition(dataSpecs(60), { segmentBytes: 4096, indexIntervalBytes: 100_000 });
    const s = readPartition(dir).segments[0]!;
    setBaseOffset(dir, s.file, s.batches[5]!.position, s.batches[4]!.baseOffset);
    const r = recover(dir);
    expect(r.cuts).toEqual([]);
  });

  it("generate --corrupt offsets-backwards: recover agrees with the generator's model of LogSegment.recover + recoverLog", async () => {
    let emptied = 0;
    for (let seed = 1; seed <= 12; seed++) {
      const dir = path.join(tmpDir('kseg-rk-gen-'), 'topic-0');
      const s = await generate(dir, {
        records: 300,
        recordsPerBatch: { min: 1, max: 1 },
        segmentBytes: 4096,
        indexIntervalBytes: 1,
        fsync: false,
        seed,
        corrupt: 'offsets-backwards',
      });
      const k = s.corruption!;
      const r = recover(dir, { dryRun: true, indexIntervalBytes: 1 });
      if (k.recoverToPosition === null) {
        expect(r.cuts, `seed ${seed}`).toEqual([]);
        continue;
      }
      emptied++;
      expect({ seed, file: r.cut?.file, position: r.cut?.position, deleted: r.cut?.segmentsDeleted, leo: r.after.logEndOffset }).toEqual({
        seed,
        file: k.recoverFile,
        position: k.recoverToPosition,
        deleted: k.segmentsDeletedByRecovery,
        leo: k.logEndOffsetAfterRecovery,
      });
      expect(r.after.records).toBe(k.recordsSurvivingRecovery);
    }
    expect(emptied).toBeGreaterThan(0);
  });
});

/** One-segment partition `txn-0`: data at 0, a control batch of producer 7 at 1 with the given first record, then data at 2..4 (unless !trailing). */
function controlPartition(key: Buffer | null, value: Buffer | null, trailing = true): string {
  const dir = path.join(tmpDir('kseg-rk-ctl-'), 'txn-0');
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
  return dir;
}

describe('verify: one CONTROL_RECORD_INVALID per bad transaction marker (EndTransactionMarker.deserialize via ProducerAppendInfo)', () => {
  const goodValue = Buffer.from([0, 0, 0, 0, 0, 3]);
  const controlIssues = (dir: string) => verify([dir]).issues.filter((i) => i.code === 'CONTROL_RECORD_INVALID');

  it('null key / null value (NullPointerException: the broker fails to load the partition): one issue, saying so', () => {
    for (const [key, value] of [
      [null, goodValue],
      [Buffer.from([0, 0, 0, 1]), null],
    ] as const) {
      const issues = controlIssues(controlPartition(key, value));
      expect(issues).toHaveLength(1);
      expect(issues[0]!.message).toMatch(/NullPointerException.*does not load the partition/);
    }
  });

  it('a 2-byte key (InvalidRecordException) with batches after it: one issue at the cut, saying Kafka truncates after the batch', () => {
    const issues = controlIssues(controlPartition(Buffer.from([0, 0]), goodValue));
    expect(issues).toHaveLength(1);
    expect(issues[0]!.message).toMatch(/truncates the segment after it/);
  });

  it('a 2-byte key as the last batch (Kafka truncates nothing): still reported once, by the record check', () => {
    const issues = controlIssues(controlPartition(Buffer.from([0, 0]), goodValue, false));
    expect(issues).toHaveLength(1);
    expect(issues[0]!.message).toMatch(/control record at offset 1/);
  });
});

describe('recover: -delete, -stray and -future partition directories (LogManager.loadLog, LogLoader.load)', () => {
  const UUID = '0123456789abcdef0123456789abcdef';
  async function named(suffix: string): Promise<string> {
    const logDir = tmpDir('kseg-rk-kind-');
    const dir = path.join(logDir, `topic-0.${UUID}-${suffix}`);
    await buildPartition(dir, dataSpecs(30), { segmentBytes: 1024 });
    // A torn tail Kafka's recovery would cut.
    const last = readPartition(dir).segments.at(-1)!;
    fs.appendFileSync(path.join(dir, last.file), Buffer.from([0, 0, 0, 0, 0, 0, 0, 30, 0, 0, 0, 99, 1, 2, 3]));
    fs.writeFileSync(path.join(logDir, 'recovery-point-offset-checkpoint'), checkpoint([['topic', 0, 0]]));
    return dir;
  }
  const snapshot = (dir: string) =>
    fs
      .readdirSync(dir)
      .sort()
      .map((f) => [f, fs.statSync(path.join(dir, f)).size]);

  it('LogLoader.load skips recoverLog for a -delete dir and LogManager.loadLog deletes it: refused (exit 2), nothing changed, even a dry run', async () => {
    const dir = await named('delete');
    const before = snapshot(dir);
    let err: unknown;
    try {
      recover(dir);
    } catch (e) {
      err = e;
    }
    expect(err).toMatchObject({ code: 'PARTITION_DIR_DELETED' });
    expect(exitCodeFor(err)).toBe(2);
    expect(() => recover(dir, { dryRun: true })).toThrow(/deletes it at startup/);
    expect(snapshot(dir)).toEqual(before);
    const cli = kseg(['recover', dir, '--json']);
    expect(cli.status).toBe(2);
    expect(cli.stdout).toBe('');
    expect(JSON.parse(cli.stderr.trim().split('\n').at(-1)!)).toMatchObject({ error: { code: 'PARTITION_DIR_DELETED' } });
    expect(snapshot(dir)).toEqual(before);
  });

  it('--full recovers a -delete dir on request, and the plan says so', async () => {
    const dir = await named('delete');
    const r = recover(dir, { full: true });
    expect(r.mode.kind).toBe('full');
    expect(r.mode.reason).toMatch(/-delete directory.*--full/);
    expect(r.cut).toMatchObject({ code: 'PARTIAL_TAIL' });
  });

  it('-stray (KIP-858) and -future dirs are recovered as Kafka loads them (from the recovery point), with a note', async () => {
    for (const kind of ['stray', 'future']) {
      const dir = await named(kind);
      const r = recover(dir);
      expect(r.mode.kind).toBe('recovery-point');
      expect(r.mode.reason).toContain(`a -${kind} directory`);
      expect(r.cut).toMatchObject({ code: 'PARTIAL_TAIL' });
    }
  });
});

describe('recover: producer snapshots after a clean shutdown (UnifiedLog.rebuildProducerState)', () => {
  async function clean(): Promise<{ dir: string; bases: number[]; leo: number }> {
    const dir = await partition(dataSpecs(40), { segmentBytes: 1024 }, { '.kafka_cleanshutdown': '' });
    const segs = readPartition(dir).segments;
    return { dir, bases: segs.map((s) => s.base), leo: segs.at(-1)!.batches.at(-1)!.lastOffset + 1 };
  }
  const good = encodeProducerSnapshot([]);
  const corrupt = (): Buffer => {
    const b = Buffer.from(good);
    b[3]! ^= 0xff;
    return b;
  };
  const snaps = (dir: string) =>
    fs
      .readdirSync(dir)
      .filter((f) => f.endsWith('.snapshot'))
      .sort();

  it('rebuildProducerState: the last snapshot files are kept when deleting them would make Kafka assume an empty producer state instead of replaying', async () => {
    const { dir, bases, leo } = await clean();
    // Only a corrupt snapshot at a segment base, and one beyond the log end.
    fs.writeFileSync(path.join(dir, seg(bases[1]!, 'snapshot')), corrupt());
    fs.writeFileSync(path.join(dir, seg(leo + 5, 'snapshot')), good);
    const r = recover(dir);
    expect(r.mode.kind).toBe('clean-shutdown');
    expect(r.actions.filter((a) => a.file.endsWith('.snapshot'))).toEqual([]);
    expect(r.notRecovered.map((n) => [n.file, n.code])).toEqual([
      [seg(bases[1]!, 'snapshot'), 'SNAPSHOT_CRC_MISMATCH'],
      [seg(leo + 5, 'snapshot'), 'SNAPSHOT_BEYOND_LOG_END'],
    ]);
    expect(r.notRecovered[0]!.reason).toMatch(/rebuildProducerState/);
    expect(snaps(dir)).toEqual([seg(bases[1]!, 'snapshot'), seg(leo + 5, 'snapshot')]);
  });

  it('rebuildProducerState: with a valid snapshot left, the corrupt and out-of-range ones go as Kafka deletes them', async () => {
    const { dir, bases, leo } = await clean();
    fs.writeFileSync(path.join(dir, seg(bases[1]!, 'snapshot')), corrupt());
    fs.writeFileSync(path.join(dir, seg(bases[2]!, 'snapshot')), good);
    fs.writeFileSync(path.join(dir, seg(leo + 5, 'snapshot')), good);
    const r = recover(dir);
    expect(r.notRecovered).toEqual([]);
    expect(snaps(dir)).toEqual([seg(bases[2]!, 'snapshot')]);
  });

  it('removeStraySnapshots runs before that decision: stray snapshots go even when none is left', async () => {
    const { dir, bases } = await clean();
    fs.writeFileSync(path.join(dir, seg(bases[1]! + 1, 'snapshot')), good);
    const r = recover(dir);
    expect(r.actions).toContainEqual(expect.objectContaining({ type: 'delete', file: seg(bases[1]! + 1, 'snapshot') }));
    expect(snaps(dir)).toEqual([]);
  });

  it('after an unclean shutdown every snapshot Kafka deletes is deleted (rebuildProducerState always replays then)', async () => {
    const dir = await partition(dataSpecs(40), { segmentBytes: 1024 }, { 'recovery-point-offset-checkpoint': checkpoint([['topic', 0, 0]]) });
    const bases = readPartition(dir).segments.map((s) => s.base);
    fs.writeFileSync(path.join(dir, seg(bases[1]!, 'snapshot')), corrupt());
    recover(dir);
    expect(snaps(dir)).toEqual([]);
  });
});
