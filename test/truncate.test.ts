import fs from 'node:fs';
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { truncate, truncateEpochsFromStart } from '../src/ops/truncate.js';
import { completeIntents, INTENT_FILE, readIntent } from '../src/ops/intent.js';
import { recover } from '../src/ops/recover/index.js';
import { verify } from '../src/ops/verify/index.js';
import { parseLeaderEpochCheckpoint } from '../src/format/checkpoints.js';
import { parseTimeIndex, parseOffsetIndex } from '../src/format/indexes.js';
import { recordFaultPoints, setFaultPoint, SimulatedCrash } from '../src/storage/atomic.js';
import { scanPartitionDir } from '../src/storage/segments.js';
import { copyPartition, FIXTURES, kseg, tmpDir } from './helpers.js';
import { allRecords, buildPartition, readPartition, type ReadRecord, type Spec } from './partition-builder.js';

const fixture = (c: string) => path.join(FIXTURES, c, 'topic-0');

function verifyClean(dir: string): void {
  const r = verify([dir]);
  const bad = r.issues.filter((i) => i.severity !== 'info');
  expect(bad, JSON.stringify(bad.slice(0, 3))).toEqual([]);
}

/** Kafka's truncateTo as a model over the batches read back: what survives, and the new log end. */
function modelTruncateTo(dir: string, target: number): { records: ReadRecord[]; logEndOffset: number } {
  const segs = readPartition(dir).segments;
  const last = segs[segs.length - 1]!;
  const lastBatch = last.batches[last.batches.length - 1];
  const leo = lastBatch ? lastBatch.lastOffset + 1 : last.base;
  const all = segs.flatMap((s) => s.batches);
  if (target >= leo) return { records: all.flatMap((b) => b.records), logEndOffset: leo };
  if (segs[0]!.base > target) return { records: [], logEndOffset: target };
  let cut = 0;
  segs.forEach((s, i) => {
    if (s.base <= target) cut = i;
  });
  const kept = segs.slice(0, cut).flatMap((s) => s.batches);
  let end = segs[cut]!.base;
  for (const b of segs[cut]!.batches) {
    if (b.lastOffset >= target) break;
    kept.push(b);
    end = b.lastOffset + 1;
  }
  return { records: kept.flatMap((b) => b.records), logEndOffset: end };
}

function epochsOf(dir: string) {
  const p = path.join(dir, 'leader-epoch-checkpoint');
  return fs.existsSync(p) ? parseLeaderEpochCheckpoint(fs.readFileSync(p, 'utf8')) : null;
}

function leoOf(dir: string): number {
  const segs = readPartition(dir).segments;
  const last = segs[segs.length - 1]!;
  const b = last.batches[last.batches.length - 1];
  return b ? b.lastOffset + 1 : last.base;
}

describe('truncate --to-offset on fixtures', () => {
  it('v2-txn: a straddling batch goes whole; later segments, index entries, txn entries and epochs above the new end go', () => {
    const dir = copyPartition(fixture('v2-txn'));
    const model = modelTruncateTo(dir, 300);
    const r = truncate(dir, { toOffset: 300 });
    expect(r.straddlingBatch).toMatchObject({ baseOffset: 299, lastOffset: 305 });
    expect(r.after.logEndOffset).toBe(299);
    expect(model.logEndOffset).toBe(299);
    expect(allRecords(dir)).toEqual(model.records);
    expect(leoOf(dir)).toBe(299);
    expect(epochsOf(dir)!.every((e) => e.startOffset < 299)).toBe(true);
    const part = scanPartitionDir(dir);
    expect(part.segments.map((s) => s.baseOffset)).toEqual([0, 121, 239]);
    const last = part.segments[2]!;
    const idx = parseOffsetIndex(fs.readFileSync(path.join(dir, last.index!)), 239).entries;
    expect(idx.every((e) => e.offset < 299 && e.position < last.logSize)).toBe(true);
    const tidx = parseTimeIndex(fs.readFileSync(path.join(dir, last.timeindex!)), 239).entries;
    expect(tidx.every((e) => e.offset < 299)).toBe(true);
    expect(fs.existsSync(path.join(dir, INTENT_FILE))).toBe(false);
    verifyClean(dir);
  });

  it('v2-per-append: every target in a range matches the model and verifies clean', () => {
    for (const target of [0, 1, 117, 118, 119, 500, 777, 1199, 1200, 5000]) {
      const dir = copyPartition(fixture('v2-per-append'));
      const model = modelTruncateTo(dir, target);
      truncate(dir, { toOffset: target });
      expect(allRecords(dir), `target ${target}`).toEqual(model.records);
      expect(leoOf(dir)).toBe(model.logEndOffset);
      verifyClean(dir);
    }
  });

  it('a segment whose base offset is the target is kept, emptied; a target below the first segment restarts the log there', () => {
    const dir = copyPartition(fixture('v2-multiseg'));
    const bases = scanPartitionDir(dir).segments.map((s) => s.baseOffset);
    truncate(dir, { toOffset: bases[3]! });
    const after = scanPartitionDir(dir).segments;
    expect(after.map((s) => s.baseOffset)).toEqual(bases.slice(0, 4));
    expect(after[3]!.logSize).toBe(0);
    verifyClean(dir);

    const high = copyPartition(fixture('v2-high-offset'));
    const r = truncate(high, { toOffset: 1000 });
    expect(r.full).toBe(true);
    const segs = scanPartitionDir(high).segments;
    expect(segs.map((s) => [s.baseOffset, s.logSize])).toEqual([[1000, 0]]);
    expect(epochsOf(high)).toEqual([]);
    expect(leoOf(high)).toBe(1000);
    verifyClean(high);
  });

  it('dry run changes nothing and reports what goes; --json has changed/removed/before/after', () => {
    const dir = copyPartition(fixture('v2-txn'));
    const before = fs.readdirSync(dir).map((f) => [f, fs.readFileSync(path.join(dir, f)).toString('base64')]);
    const res = kseg(['truncate', dir, '--to-offset', '300', '--dry-run', '--json']);
    expect(res.status).toBe(0);
    const j = JSON.parse(res.stdout);
    expect(Object.keys(j).slice(0, 4)).toEqual(['changed', 'removed', 'before', 'after']);
    expect(j.dryRun).toBe(true);
    expect(j.removed).toContain('00000000000000000354.log');
    expect(j.after).toMatchObject({ logEndOffset: 299, records: 299 });
    expect(j.segments.find((s: any) => s.action === 'cut')).toMatchObject({ file: '00000000000000000239.log', position: 4176, batches: 15, records: 55 });
    expect(fs.readdirSync(dir).map((f) => [f, fs.readFileSync(path.join(dir, f)).toString('base64')])).toEqual(before);
    const text = kseg(['truncate', dir, '--to-offset', '300', '--dry-run']);
    expect(text.stdout).toContain('goes whole');
  });

  it('target at or beyond the log end is a no-op; bad flags exit 2; a missing directory exits 4', () => {
    const dir = copyPartition(fixture('v2-none'));
    const r = truncate(dir, { toOffset: 300 });
    expect(r.noop).toBe(true);
    expect(kseg(['truncate', dir]).status).toBe(2);
    expect(kseg(['truncate', dir, '--to-offset', '-1']).status).toBe(2);
    expect(kseg(['truncate', dir, '--to-offset', '1', '--start-offset', '2']).status).toBe(2);
    const missing = kseg(['truncate', path.join(dir, 'nope'), '--to-offset', '1']);
    expect(missing.status).toBe(4);
    expect(missing.stderr).toMatch(/^kseg: .*nope/);
  });

  it('refuses a directory locked by a running broker (exit 4) unless --force; --dry-run still works', async () => {
    const root = tmpDir();
    const dir = path.join(root, 'topic-0');
    fs.cpSync(fixture('v2-multiseg'), dir, { recursive: true });
    const lockFile = path.join(root, '.lock');
    fs.writeFileSync(lockFile, '');
    const holder: ChildProcess = spawn('flock', ['-x', lockFile, 'sleep', '30'], { stdio: 'ignore' });
    try {
      const ino = fs.statSync(lockFile).ino;
      for (let i = 0; i < 100 && !fs.readFileSync('/proc/locks', 'utf8').includes(`:${ino} `); i++) await new Promise((r) => setTimeout(r, 20));
      const locked = kseg(['truncate', dir, '--to-offset', '500', '--json']);
      expect(locked.status).toBe(4);
      expect(locked.stderr).toMatch(/locked by a running broker/);
      expect(locked.stdout).toBe('');
      expect(kseg(['truncate', dir, '--to-offset', '500', '--dry-run']).status).toBe(0);
      expect(kseg(['truncate', dir, '--to-offset', '500', '--force']).status).toBe(0);
      expect(leoOf(dir)).toBeLessThanOrEqual(500);
    } finally {
      holder.kill();
    }
  });

  it('refuses a directory holding an unfinished intent or swap (exit 3)', () => {
    const dir = copyPartition(fixture('v2-multiseg'));
    fs.writeFileSync(path.join(dir, '00000000000000000000.log.swap'), '');
    const r = kseg(['truncate', dir, '--to-offset', '10']);
    expect(r.status).toBe(3);
    expect(r.stderr).toMatch(/recover/);
  });
});

describe('truncate --start-offset', () => {
  it('drops whole segments below the one holding N (never the last) and truncates epochs from the start', () => {
    const dir = copyPartition(fixture('v2-multiseg'));
    const segs = scanPartitionDir(dir).segments;
    const epochs = epochsOf(dir)!;
    const n = segs[4]!.baseOffset + 3;
    const keptRecords = allRecords(dir).filter((r) => r.offset >= segs[4]!.baseOffset);
    const r = truncate(dir, { startOffset: n });
    expect(r.after.logStartOffset).toBe(segs[4]!.baseOffset);
    expect(scanPartitionDir(dir).segments.map((s) => s.baseOffset)).toEqual(segs.slice(4).map((s) => s.baseOffset));
    expect(allRecords(dir)).toEqual(keptRecords);
    expect(epochsOf(dir)).toEqual(truncateEpochsFromStart(epochs, segs[4]!.baseOffset));
    verifyClean(dir);
    // The last (active) segment never goes, even when N is past its base.
    const d2 = copyPartition(fixture('v2-multiseg'));
    truncate(d2, { startOffset: 1200 });
    expect(scanPartitionDir(d2).segments.map((s) => s.baseOffset)).toEqual([segs[segs.length - 1]!.baseOffset]);
    expect(kseg(['truncate', d2, '--start-offset', '999999']).status).toBe(2);
  });

  it('truncateFromStart re-adds the last dropped epoch at the new start', () => {
    expect(
      truncateEpochsFromStart(
        [
          { epoch: 0, startOffset: 0 },
          { epoch: 2, startOffset: 50 },
          { epoch: 3, startOffset: 90 },
        ],
        60,
      ),
    ).toEqual([
      { epoch: 2, startOffset: 60 },
      { epoch: 3, startOffset: 90 },
    ]);
    expect(truncateEpochsFromStart([{ epoch: 1, startOffset: 70 }], 60)).toEqual([{ epoch: 1, startOffset: 70 }]);
  });
});

describe('truncate: log-dir checkpoint, snapshots', () => {
  it('removes producer snapshots above the new end and lowers log-start-offset-checkpoint below the new end', () => {
    const root = tmpDir();
    const dir = path.join(root, 'orders-3');
    fs.cpSync(fixture('v2-multiseg'), dir, { recursive: true });
    const segs = scanPartitionDir(dir).segments;
    for (const s of segs) fs.writeFileSync(path.join(dir, `${s.name}.snapshot`), Buffer.from('000148674bc700000000', 'hex'));
    fs.writeFileSync(path.join(root, 'log-start-offset-checkpoint'), `0\n2\norders 3 500\nother 0 7\n`);
    truncate(dir, { toOffset: 400 });
    const end = leoOf(dir);
    const snaps = scanPartitionDir(dir).snapshots.map((s) => s.offset);
    expect(snaps.every((o) => o <= end)).toBe(true);
    expect(snaps.length).toBeGreaterThan(0);
    expect(fs.readFileSync(path.join(root, 'log-start-offset-checkpoint'), 'utf8')).toBe(`0\n2\nother 0 7\norders 3 ${end}\n`);
  });
});

// ------------------------------------------------------------------------------------ crash safety

function crashEveryStep(makeDir: () => string, run: (dir: string) => void): { points: number; outcomes: Set<string> } {
  const probe = makeDir();
  const old = allRecords(probe);
  const log = recordFaultPoints(true);
  run(probe);
  const labels = [...log];
  recordFaultPoints(false);
  const fresh = allRecords(probe);
  expect(labels.length).toBeGreaterThan(0);
  const outcomes = new Set<string>();
  for (let n = 1; n <= labels.length; n++) {
    const dir = makeDir();
    setFaultPoint(n);
    let crashed = false;
    try {
      run(dir);
    } catch (e) {
      if (!(e instanceof SimulatedCrash)) throw e;
      crashed = true;
    } finally {
      setFaultPoint(null);
    }
    expect(crashed, `fault point ${n} (${labels[n - 1]})`).toBe(true);
    recover(dir);
    expect(fs.existsSync(path.join(dir, INTENT_FILE))).toBe(false);
    const got = allRecords(dir);
    const which = JSON.stringify(got) === JSON.stringify(fresh) ? 'new' : JSON.stringify(got) === JSON.stringify(old) ? 'old' : 'neither';
    expect(which, `crash at ${n}: ${labels[n - 1]}`).not.toBe('neither');
    outcomes.add(which);
    verifyClean(dir);
  }
  return { points: labels.length, outcomes };
}

describe('truncate crash safety: a crash at every fault point, then recover, gives the old or the new partition', () => {
  it('--to-offset across segments (delete, cut, epochs, snapshots)', () => {
    const r = crashEveryStep(
      () => {
        const d = copyPartition(fixture('v2-txn'));
        fs.writeFileSync(path.join(d, '00000000000000000467.snapshot'), Buffer.from('000148674bc700000000', 'hex'));
        return d;
      },
      (d) => truncate(d, { toOffset: 300 }),
    );
    expect(r.points).toBeGreaterThan(15);
    // Once the intent is durable the truncation is completed: most crash points end "new".
    expect(r.outcomes.has('new')).toBe(true);
  });

  it('--to-offset below the first segment (truncateFullyAndStartAt) and --start-offset', () => {
    crashEveryStep(
      () => copyPartition(fixture('v2-high-offset')),
      (d) => truncate(d, { toOffset: 1000 }),
    );
    crashEveryStep(
      () => copyPartition(fixture('v2-multiseg')),
      (d) => truncate(d, { startOffset: 700 }),
    );
  });

  it('completeIntents alone finishes an interrupted truncation, and is idempotent', () => {
    const dir = copyPartition(fixture('v2-txn'));
    const expected = modelTruncateTo(dir, 300);
    setFaultPoint(1, /^delete /);
    expect(() => truncate(dir, { toOffset: 300 })).toThrow(SimulatedCrash);
    setFaultPoint(null);
    expect(readIntent(dir)).not.toBeNull();
    const r = completeIntents(dir);
    expect(r.completed).toHaveLength(1);
    expect(allRecords(dir)).toEqual(expected.records);
    expect(completeIntents(dir).completed).toHaveLength(0);
    verifyClean(dir);
  });

  it('an intent that no longer matches the directory is refused, not applied', () => {
    const dir = copyPartition(fixture('v2-txn'));
    setFaultPoint(1, /^delete /);
    expect(() => truncate(dir, { toOffset: 300 })).toThrow(SimulatedCrash);
    setFaultPoint(null);
    const intent = readIntent(dir)!;
    fs.truncateSync(path.join(dir, `${intent.cut!.segment}.log`), 10);
    const res = kseg(['recover', dir]);
    expect(res.status).toBe(3);
    expect(res.stderr).toMatch(/intent/);
    expect(fs.existsSync(path.join(dir, INTENT_FILE))).toBe(true);
  });
});

// ------------------------------------------------------------------------------------ model tests

const keyArb = fc.constantFrom('a', 'b', 'c', 'd', 'e', 'f');
const specArb: fc.Arbitrary<Spec> = fc.oneof(
  {
    weight: 8,
    arbitrary: fc.record({
      kind: fc.constant('data' as const),
      records: fc.array(fc.record({ key: fc.option(keyArb, { freq: 10 }), value: fc.option(fc.string({ maxLength: 12 }), { freq: 5 }) }), { minLength: 1, maxLength: 5 }),
      producerId: fc.constantFrom(-1, 1, 2),
      transactional: fc.boolean(),
      compression: fc.constantFrom('none' as const, 'none' as const, 'gzip' as const),
    }),
  },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('marker' as const), producerId: fc.constantFrom(1, 2), commit: fc.boolean() }) },
  { weight: 1, arbitrary: fc.constant({ kind: 'roll' as const }) },
);

describe('truncate model test (fast-check): random partitions and targets', () => {
  it('records left equal Kafka batch-granular truncation; leader epochs and indexes stay consistent', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(specArb, { minLength: 1, maxLength: 40 }),
        fc.nat({ max: 120 }),
        fc.integer({ min: 150, max: 900 }),
        fc.nat({ max: 3 }),
        async (specs, target, segmentBytes, startOffset) => {
          const dir = path.join(tmpDir(), 'topic-0');
          await buildPartition(dir, specs, { segmentBytes, indexIntervalBytes: 100, epochEvery: 4, startOffset: startOffset * 5 });
          const model = modelTruncateTo(dir, target);
          const epochsBefore = epochsOf(dir)!;
          const full = scanPartitionDir(dir).segments[0]!.baseOffset > target;
          truncate(dir, { toOffset: target });
          expect(allRecords(dir)).toEqual(model.records);
          expect(leoOf(dir)).toBe(model.logEndOffset);
          expect(epochsOf(dir)).toEqual(full ? [] : epochsBefore.filter((e) => e.startOffset < model.logEndOffset));
          verifyClean(dir);
        },
      ),
      { numRuns: 40 },
    );
  });
});
