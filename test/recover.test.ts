import fs from 'node:fs';
import path from 'node:path';
import { spawn, type ChildProcess } from 'node:child_process';
import { afterAll, describe, expect, it } from 'vitest';
import { recover, RECOVERY_PHASES, type RecoverOptions } from '../src/ops/recover/index.js';
import { rebuildIndex } from '../src/ops/rebuild-index.js';
import { verify } from '../src/ops/verify/index.js';
import { dump } from '../src/ops/dump.js';
import { recordFaultPoints, setFaultPoint, SimulatedCrash } from '../src/storage/atomic.js';
import { encodeProducerSnapshot } from '../src/format/snapshot.js';
import { CORRUPT_KINDS, generate, type CorruptKind } from '../src/ops/generate.js';
import { KsegError } from '../src/format/errors.js';
import { exitCodeFor } from '../src/cli/exit-codes.js';
import { copyPartition, corruptCases, FIXTURES, kseg, tmpDir } from './helpers.js';

const caseDir = (c: string): string => path.join(FIXTURES, c, 'topic-0');
const seg = (base: number, ext: string): string => `${String(base).padStart(20, '0')}.${ext}`;

/** Names and bytes of every file in a directory. */
function state(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const f of fs.readdirSync(dir).sort()) {
    const p = path.join(dir, f);
    if (fs.statSync(p).isFile()) out[f] = fs.readFileSync(p).toString('base64');
  }
  return out;
}

/** Offsets of every record our reader can read (data and control records); never throws for corrupt data. */
function readableOffsets(dir: string): number[] {
  const out: number[] = [];
  for (const ev of dump([dir], { records: true })) if (ev.type === 'record') out.push(ev.record.offset);
  return out;
}

describe.each(corruptCases())('recover %s', (c) => {
  const exp = JSON.parse(fs.readFileSync(path.join(FIXTURES, c, 'expected', 'verify.json'), 'utf8'));

  it(`leaves exactly the ${exp.recordsSurvivingRecovery} records Kafka's recovery keeps`, () => {
    const dir = copyPartition(caseDir(c));
    const before = readableOffsets(dir);
    const r = recover(dir);
    const after = readableOffsets(dir);
    expect(after).toHaveLength(exp.recordsSurvivingRecovery);
    expect(after).toEqual(before.slice(0, exp.recordsSurvivingRecovery));
    expect(r.after.records).toBe(exp.recordsSurvivingRecovery);
    expect(r.after.logEndOffset).toBe(exp.logEndOffsetAfterRecovery);
    for (const s of exp.segmentsDeletedByRecovery) expect(fs.existsSync(path.join(dir, s))).toBe(false);
    if (exp.recoverFile) {
      expect(fs.statSync(path.join(dir, exp.recoverFile)).size).toBe(exp.recoverToPosition);
      expect(r.cut).toMatchObject({
        file: exp.recoverFile,
        position: exp.recoverToPosition,
        records: exp.recordsBefore - exp.recordsSurvivingRecovery,
        segmentsDeleted: exp.segmentsDeletedByRecovery,
      });
    }
    // Everything recover can fix is fixed; what Kafka keeps (a bad magic behind a valid CRC) is listed.
    const v = verify([dir]);
    expect(v.issues.filter((i) => i.severity !== 'info').map((i) => i.code)).toEqual(r.remaining.map((i) => i.code));
    expect(v.recoverable).toBeNull();
    // A second run has nothing to do.
    expect(recover(dir).actions).toEqual([]);
  });
});

describe('recover agrees with the outcome generate --corrupt computes independently', () => {
  const kinds = (Object.keys(CORRUPT_KINDS) as CorruptKind[]).filter((k) => k !== 'timeindex-nonmonotonic');
  it.each(kinds)('%s', async (kind) => {
    const dir = path.join(tmpDir(), 'p-0');
    const s = await generate(dir, {
      records: 2000,
      segmentBytes: 32768,
      indexIntervalBytes: 1024,
      transactions: true,
      compression: ['none', 'lz4'],
      fsync: false,
      seed: 3,
      corrupt: kind,
    });
    const k = s.corruption!;
    const r = recover(dir);
    // Record counts come from batch headers; record-decode lowers one header's count.
    const header = (k as { recordsCount?: { old: number; new: number } }).recordsCount;
    expect(r.after.records).toBe(k.recordsSurvivingRecovery - (header ? header.old - header.new : 0));
    // A batch whose records do not parse (valid CRC) stays, but our reader cannot list its records.
    if (kind !== 'record-decode') expect(readableOffsets(dir)).toHaveLength(k.recordsSurvivingRecovery);
    for (const f of k.segmentsDeletedByRecovery) expect(fs.existsSync(path.join(dir, f))).toBe(false);
    const v = verify([dir]);
    // What Kafka's rule keeps is all that may remain: a bad magic (valid CRC), offsets going back, a broken record.
    expect(
      v.issues
        .filter((i) => i.severity !== 'info')
        .map((i) => i.code)
        .filter((c) => !['BAD_MAGIC', 'OFFSET_NOT_INCREASING', 'RECORD_DECODE_ERROR'].includes(c)),
    ).toEqual([]);
  });
});

describe('recover: healthy partitions are left alone', () => {
  it.each(['v2-txn', 'v2-per-append', 'v0-none', 'v1-gzip', 'v2-compact'])('%s', (c) => {
    const dir = copyPartition(caseDir(c));
    const s0 = state(dir);
    const r = recover(dir);
    expect(r.actions).toEqual([]);
    expect(r.remaining).toEqual([]);
    expect(state(dir)).toEqual(s0);
  });
});

describe('recover: plan, dry run, backup', () => {
  it('--dry-run changes nothing and plans exactly what a real run does', () => {
    const dir = copyPartition(caseDir('corrupt-size'));
    const s0 = state(dir);
    const plan = recover(dir, { dryRun: true });
    expect(state(dir)).toEqual(s0);
    expect(plan.applied).toBe(false);
    const done = recover(dir);
    expect(done.actions.map(({ type, ...a }) => ({ type, ...a }))).toEqual(plan.actions);
    expect(done.after).toEqual(plan.after);
    // Later segments go first, highest base offset first; the cut comes last.
    expect(plan.actions.map((a) => `${a.type} ${'file' in a ? a.file : a.from}`)).toEqual([
      'delete 00000000000000000397.log',
      'delete 00000000000000000397.index',
      'delete 00000000000000000397.timeindex',
      'delete 00000000000000000320.log',
      'delete 00000000000000000320.index',
      'delete 00000000000000000320.timeindex',
      'write 00000000000000000241.index',
      'write 00000000000000000241.timeindex',
      'truncate 00000000000000000241.log',
    ]);
  });

  it('--backup keeps every removed byte: restoring the backup gives back the original directory', () => {
    const dir = copyPartition(caseDir('corrupt-crc'));
    const s0 = state(dir);
    const backupRoot = tmpDir();
    const r = recover(dir, { backup: backupRoot });
    expect(r.backupDir).not.toBeNull();
    const manifest = JSON.parse(fs.readFileSync(path.join(r.backupDir!, 'manifest.json'), 'utf8'));
    // Undo in reverse order.
    for (const m of [...manifest.actions].reverse()) {
      const target = path.join(dir, m.file ?? m.to);
      if (m.action === 'truncate') fs.appendFileSync(target, fs.readFileSync(path.join(r.backupDir!, m.saved)));
      else if (m.action === 'delete' || (m.action === 'write' && m.saved)) fs.copyFileSync(path.join(r.backupDir!, m.saved), target);
      else if (m.action === 'write') fs.rmSync(target);
    }
    expect(state(dir)).toEqual(s0);
  });

  it('refuses a broker log directory (exit 2): one partition at a time', () => {
    const logDir = tmpDir();
    fs.cpSync(caseDir('corrupt-crc'), path.join(logDir, 'orders-0'), { recursive: true });
    fs.cpSync(caseDir('v2-none'), path.join(logDir, 'orders-1'), { recursive: true });
    const r = kseg(['recover', logDir]);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/is a log directory .*orders-0/);
    expect(kseg(['rebuild-index', logDir, '--check']).status).toBe(2);
  });

  it('refuses a directory locked by a running broker (exit 4) unless --force', async () => {
    const logDir = tmpDir();
    const dir = path.join(logDir, 'topic-0');
    fs.cpSync(caseDir('corrupt-zero-tail'), dir, { recursive: true });
    for (const f of fs.readdirSync(dir)) fs.chmodSync(path.join(dir, f), 0o644);
    const lockFile = path.join(logDir, '.lock');
    fs.writeFileSync(lockFile, '');
    const holder: ChildProcess = spawn('flock', ['-x', lockFile, 'sleep', '30'], { stdio: 'ignore' });
    try {
      const ino = fs.statSync(lockFile).ino;
      for (let i = 0; i < 100 && !fs.readFileSync('/proc/locks', 'utf8').includes(`:${ino} `); i++) await new Promise((r) => setTimeout(r, 20));
      let err: unknown;
      try {
        recover(dir);
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(KsegError);
      expect(exitCodeFor(err)).toBe(4);
      expect((err as KsegError).code).toBe('LOCKED');
      const cli = kseg(['recover', dir]);
      expect(cli.status).toBe(4);
      expect(cli.stderr).toMatch(/locked by a running broker/);
      // A dry run only reads.
      expect(recover(dir, { dryRun: true }).actions).toHaveLength(1);
      expect(recover(dir, { force: true }).applied).toBe(true);
    } finally {
      holder.kill();
    }
  });
});

// ------------------------------------------------------------------ leftovers, strays, epochs, snapshots

/** v2-multiseg with an unfinished clean: segments 0 and 1 merged into 0.*.swap, plus other leftovers. */
function swapScenario(): { dir: string; bases: number[] } {
  const dir = copyPartition(caseDir('v2-multiseg'));
  const bases = fs
    .readdirSync(dir)
    .filter((f) => f.endsWith('.log'))
    .map((f) => Number(f.slice(0, 20)))
    .sort((a, b) => a - b);
  const work = tmpDir();
  fs.writeFileSync(
    path.join(work, seg(bases[0]!, 'log')),
    Buffer.concat([fs.readFileSync(path.join(dir, seg(bases[0]!, 'log'))), fs.readFileSync(path.join(dir, seg(bases[1]!, 'log')))]),
  );
  rebuildIndex(work, { indexIntervalBytes: 800 });
  for (const ext of ['log', 'index', 'timeindex']) fs.copyFileSync(path.join(work, seg(bases[0]!, ext)), path.join(dir, seg(bases[0]!, `${ext}.swap`)));
  // A snapshot inside the replaced range goes with the old segments.
  fs.writeFileSync(path.join(dir, seg(bases[1]!, 'snapshot')), encodeProducerSnapshot([]));
  fs.copyFileSync(path.join(dir, seg(bases[5]!, 'index')), path.join(dir, seg(bases[5]!, 'index.deleted')));
  // An incomplete second clean: .cleaned, and a .swap above it, are both discarded.
  fs.copyFileSync(path.join(dir, seg(bases[7]!, 'log')), path.join(dir, seg(bases[7]!, 'log.cleaned')));
  fs.copyFileSync(path.join(dir, seg(bases[8]!, 'log')), path.join(dir, seg(bases[8]!, 'log.swap')));
  fs.writeFileSync(path.join(dir, seg(bases[2]!, 'timeindex.kseg-tmp')), 'partial');
  fs.writeFileSync(path.join(dir, seg(99999, 'index')), Buffer.alloc(16));
  return { dir, bases };
}

describe('recover: leftovers and strays (Kafka LogLoader steps 1-3)', () => {
  it('completes a swap, discards .cleaned and the swaps above it, deletes .deleted, temp and orphan files', () => {
    const { dir, bases } = swapScenario();
    const offsets = readableOffsets(copyPartition(caseDir('v2-multiseg')));
    const plan = recover(dir, { dryRun: true });
    expect(plan.before.segments).toBe(10);
    expect(plan.after.segments).toBe(9);
    const r = recover(dir);
    const files = fs.readdirSync(dir);
    expect(files.filter((f) => /\.(swap|cleaned|deleted|kseg-tmp)$/.test(f))).toEqual([]);
    expect(files).not.toContain(seg(bases[1]!, 'log'));
    expect(files).not.toContain(seg(bases[1]!, 'snapshot'));
    expect(files).not.toContain(seg(99999, 'index'));
    expect(fs.statSync(path.join(dir, seg(bases[0]!, 'log'))).size).toBe(
      fs.statSync(path.join(caseDir('v2-multiseg'), seg(bases[0]!, 'log'))).size + fs.statSync(path.join(caseDir('v2-multiseg'), seg(bases[1]!, 'log'))).size,
    );
    expect(readableOffsets(dir)).toEqual(offsets);
    expect(r.removed).toEqual(expect.arrayContaining([seg(bases[1]!, 'log'), seg(bases[0]!, 'log.swap')]));
    const v = verify([dir]);
    expect(v.errors + v.warnings).toBe(0);
  });

  it('drops leader epochs and snapshots beyond the new log end, and corrupt snapshots', () => {
    const dir = copyPartition(caseDir('corrupt-truncate'));
    fs.writeFileSync(path.join(dir, 'leader-epoch-checkpoint'), '0\n3\n0 0\n4 398\n5 399\n');
    fs.writeFileSync(path.join(dir, seg(400, 'snapshot')), encodeProducerSnapshot([]));
    fs.writeFileSync(path.join(dir, seg(319, 'snapshot')), encodeProducerSnapshot([]));
    const bad = encodeProducerSnapshot([]);
    bad[3] ^= 0xff;
    fs.writeFileSync(path.join(dir, seg(232, 'snapshot')), bad);
    recover(dir);
    // LeaderEpochFileCache.truncateFromEnd(398): the entry starting exactly at the new log end goes too.
    expect(fs.readFileSync(path.join(dir, 'leader-epoch-checkpoint'), 'utf8')).toBe('0\n1\n0 0\n');
    expect(fs.readdirSync(dir).filter((f) => f.endsWith('.snapshot'))).toEqual([seg(319, 'snapshot')]);
  });

  it("has a phase list with room for completing other commands' interrupted work", () => {
    // 'intents' (ops/intent.ts) finishes an interrupted kseg truncate before Kafka's own steps.
    expect(RECOVERY_PHASES.map((p) => p.name)).toEqual(['intents', 'leftovers', 'strays', 'log', 'epochs', 'snapshots']);
    const marker = tmpDir();
    const phase = {
      name: 'test-intent',
      complete: (dir: string, o: { dryRun: boolean }) => {
        if (!o.dryRun) fs.writeFileSync(path.join(marker, 'ran'), dir);
        return ['finished an imaginary intent'];
      },
    };
    RECOVERY_PHASES.unshift(phase);
    try {
      const dir = copyPartition(caseDir('v2-none'));
      expect(recover(dir, { dryRun: true }).completed).toEqual(['finished an imaginary intent']);
      expect(fs.existsSync(path.join(marker, 'ran'))).toBe(false);
      const r = recover(dir);
      expect(r.completed).toEqual(['finished an imaginary intent']);
      expect(fs.readFileSync(path.join(marker, 'ran'), 'utf8')).toBe(dir);
    } finally {
      RECOVERY_PHASES.shift();
    }
  });
});

// ------------------------------------------------------------------ crash at every write step

interface CrashScenario {
  name: string;
  make: () => string;
  opts: RecoverOptions;
  /**
   * Completing a swap deletes the replaced segments before renaming the .swap files in (Kafka's
   * protocol, format doc 8.1): in between, their records live only in the .swap files.
   */
  swap?: boolean;
  /** The recovery cuts a segment in the middle and keeps later ones: the result is not a prefix of the old offsets. */
  middle?: boolean;
}

/** Records in the pending .log.swap files of a directory. */
function swapOffsets(dir: string): number[] {
  const work = tmpDir();
  for (const f of fs.readdirSync(dir).filter((x) => x.endsWith('.log.swap'))) fs.copyFileSync(path.join(dir, f), path.join(work, f.slice(0, -'.swap'.length)));
  return fs.readdirSync(work).length ? readableOffsets(work) : [];
}

const scenarios: CrashScenario[] = [
  { name: 'corrupt-size (delete later segments, rebuild, cut) with --backup', make: () => copyPartition(caseDir('corrupt-size')), opts: { backup: '' } },
  { name: 'corrupt-crc', make: () => copyPartition(caseDir('corrupt-crc')), opts: {} },
  { name: 'unfinished clean (swap, cleaned, deleted, strays)', make: () => swapScenario().dir, opts: {}, swap: true },
  {
    name: 'torn tail with epochs and snapshots to drop',
    make: () => {
      const dir = copyPartition(caseDir('corrupt-truncate'));
      fs.writeFileSync(path.join(dir, 'leader-epoch-checkpoint'), '0\n2\n0 0\n5 399\n');
      fs.writeFileSync(path.join(dir, seg(400, 'snapshot')), encodeProducerSnapshot([]));
      return dir;
    },
    opts: {},
  },
  {
    // LogLoader.loadSegmentFiles: a segment without .index below the recovery point is recovered alone.
    name: 'segment without .index below the recovery point (cut alone, later segment kept)',
    make: () => {
      const dir = copyPartition(caseDir('corrupt-crc'));
      fs.writeFileSync(path.join(path.dirname(dir), 'recovery-point-offset-checkpoint'), '0\n1\ntopic 0 365\n');
      fs.rmSync(path.join(dir, seg(243, 'index')));
      return dir;
    },
    opts: { backup: '' },
    middle: true,
  },
  {
    // LogLoader.recoverLog: InvalidOffsetException while rebuilding 238's index empties it; later
    // segments deleted; the missing leader-epoch-checkpoint is created from the recovered batches.
    name: 'offsets going back at an index point (segment emptied), leader-epoch-checkpoint created',
    make: () => {
      const dir = copyPartition(caseDir('v2-multiseg'));
      const idx = fs.readFileSync(path.join(dir, seg(238, 'index')));
      const first = 238 + idx.readInt32BE(0);
      const pos = idx.readInt32BE(12);
      const log = fs.readFileSync(path.join(dir, seg(238, 'log')));
      const lastOffsetDelta = log.readInt32BE(pos + 23);
      log.writeBigInt64BE(BigInt(first - lastOffsetDelta), pos);
      fs.writeFileSync(path.join(dir, seg(238, 'log')), log);
      fs.rmSync(path.join(dir, 'leader-epoch-checkpoint'));
      return dir;
    },
    opts: { indexIntervalBytes: 800 },
  },
];

describe.each(scenarios)('recover crash safety: $name', ({ make, opts, swap, middle }) => {
  const withBackup = (o: RecoverOptions): RecoverOptions => (o.backup === '' ? { ...o, backup: tmpDir() } : o);
  // The reference: one uninterrupted run, recording every fault point it passes.
  const ref = make();
  const oldOffsets = readableOffsets(ref);
  const points = recordFaultPoints(true);
  recover(ref, withBackup(opts));
  const labels = [...points];
  recordFaultPoints(false);
  const recovered = state(ref);
  const recoveredOffsets = readableOffsets(ref);
  afterAll(() => setFaultPoint(null));

  it('passes fault points at every write, rename, delete and truncate', () => {
    expect(labels.length).toBeGreaterThan(3);
    expect(labels.some((l) => /^(delete|truncate|rename|write) /.test(l))).toBe(true);
  });

  it.each(labels.map((l, i) => [i + 1, l] as const))('crash at point %i (%s): still readable, and a second run gives the recovered state', (n) => {
    const dir = make();
    setFaultPoint(n);
    expect(() => recover(dir, withBackup(opts))).toThrow(SimulatedCrash);
    setFaultPoint(null);
    // Readable by our reader, and between the old and the recovered state.
    const mid = readableOffsets(dir);
    for (const o of mid) expect(oldOffsets).toContain(o);
    if (swap) {
      const kept = new Set([...mid, ...swapOffsets(dir)]);
      for (const o of oldOffsets) expect(kept.has(o)).toBe(true);
    } else if (middle) {
      for (const o of recoveredOffsets) expect(mid).toContain(o);
    } else {
      expect(mid.slice(0, recoveredOffsets.length)).toEqual(recoveredOffsets);
    }
    recover(dir, { indexIntervalBytes: opts.indexIntervalBytes });
    expect(state(dir)).toEqual(recovered);
  });
});

describe('kseg recover (CLI)', () => {
  it('--dry-run --json prints the mutating-command shape and changes nothing', () => {
    const dir = copyPartition(caseDir('corrupt-crc'));
    const s0 = state(dir);
    const r = kseg(['recover', dir, '--dry-run', '--json']);
    expect(r.status).toBe(0);
    const j = JSON.parse(r.stdout);
    expect(Object.keys(j).slice(0, 4)).toEqual(['changed', 'removed', 'before', 'after']);
    expect(j.removed).toEqual(['00000000000000000365.log', '00000000000000000365.index', '00000000000000000365.timeindex']);
    expect(j.changed).toContain('00000000000000000243.log');
    expect(j.cut).toMatchObject({ file: '00000000000000000243.log', position: 1327, records: 137 });
    expect(j.before.records).toBe(400);
    expect(j.after.records).toBe(263);
    expect(state(dir)).toEqual(s0);
  });

  it('human output names the cut and the records lost; a missing directory is exit 4', () => {
    const dir = copyPartition(caseDir('corrupt-truncate'));
    const r = kseg(['recover', dir]);
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/truncate\s+00000000000000000319\.log at byte 7460/);
    expect(r.stdout).toMatch(/2 records/);
    const miss = kseg(['recover', path.join(dir, 'nope')]);
    expect(miss.status).toBe(4);
    expect(miss.stderr.trim().split('\n')).toHaveLength(1);
  });

  it('a crash injected through KSEG_FAULT_AT leaves a directory the next run finishes', () => {
    const dir = copyPartition(caseDir('corrupt-size'));
    const crashed = kseg(['recover', dir], { env: { KSEG_FAULT_AT: '5' } });
    expect(crashed.status).toBe(75);
    const ref = copyPartition(caseDir('corrupt-size'));
    recover(ref);
    expect(kseg(['recover', dir]).status).toBe(0);
    expect(state(dir)).toEqual(state(ref));
  });
});
