import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { exportPartitions } from '../src/ops/export.js';
import { importPartition } from '../src/ops/import.js';
import { generate, type GenerateOptions } from '../src/ops/generate.js';
import { recover } from '../src/ops/recover/index.js';
import { rebuildIndex } from '../src/ops/rebuild-index.js';
import { verify } from '../src/index.js';
import { FIXTURES, healthyCases, tmpDir } from './helpers.js';

/**
 * kseg import writes a complete partition (issue 15): besides the segments and their indexes, what
 * Kafka's LogLoader and a clean shutdown leave: .txnindex entries for aborted transactions
 * (LogSegment.updateTxnIndex / TransactionIndex), leader-epoch-checkpoint (LeaderEpochFileCache.assign
 * over the batches' partitionLeaderEpoch) and producer snapshots (ProducerStateManager.takeSnapshot
 * at each roll and at the log end). The expected files come from independent writers: `kseg generate`
 * (which models the broker while producing) and `kseg recover --full` on a copy without them.
 */

const gen = (dir: string, o: Partial<GenerateOptions>) => generate(dir, { fsync: false, ...o }, { ioWorker: false });
const verifiesClean = (dir: string): void => expect(verify([dir]).issues.filter((i) => i.severity === 'error' || i.severity === 'warning')).toEqual([]);
const stateFiles = (dir: string) =>
  fs
    .readdirSync(dir)
    .filter((f) => f.endsWith('.snapshot') || f.endsWith('.txnindex') || f === 'leader-epoch-checkpoint')
    .sort();
const read = (dir: string, f: string) => fs.readFileSync(path.join(dir, f));

async function roundTrip(dir: string, format: 'parquet' | 'ndjson' | 'csv' = 'parquet') {
  const root = tmpDir();
  const f = path.join(root, `x.${format}`);
  await exportPartitions(dir, { format, output: f });
  const out = path.join(root, 'imp', path.basename(dir));
  const r = await importPartition(f, out);
  return { out, r };
}

const cases: [string, Partial<GenerateOptions>][] = [
  ['transactions with aborts, 3 producers', { records: 3000, transactions: true, abortRatio: 0.4, segmentBytes: 24 * 1024 }],
  ['idempotent producers', { records: 2000, idempotent: true, producers: 4, segmentBytes: 32 * 1024, compression: ['none', 'zstd'] }],
  ['leader epochs', { records: 2000, leaderEpochs: 5, segmentBytes: 16 * 1024 }],
  [
    'transactions, epochs, idempotent, LogAppendTime',
    { records: 2500, transactions: true, leaderEpochs: 4, timestampType: 'LogAppendTime', segmentBytes: 20 * 1024, compression: ['lz4', 'none'] },
  ],
];

describe('kseg import: a complete partition', () => {
  it.each(cases)('generated (%s): .txnindex, leader-epoch-checkpoint and snapshots equal what generate wrote', async (_n, o) => {
    const dir = path.join(tmpDir(), 'g-0');
    await gen(dir, o);
    const { out, r } = await roundTrip(dir);
    expect(r.rewritten).toBe(0);
    const want = stateFiles(dir);
    expect(want).toContain('leader-epoch-checkpoint');
    expect(want.some((f) => f.endsWith('.snapshot'))).toBe(true);
    if (o.transactions) expect(want.some((f) => f.endsWith('.txnindex'))).toBe(true);
    expect(stateFiles(out)).toEqual(want);
    for (const f of want) expect(read(out, f).equals(read(dir, f)), f).toBe(true);
    expect(r.snapshots).toEqual(want.filter((f) => f.endsWith('.snapshot')));
    if (o.leaderEpochs) expect(r.leaderEpochs.length).toBeGreaterThan(1);
    verifiesClean(out);
    expect(rebuildIndex(out, { check: true }).differences).toBe(0);
  });

  it.each(cases)('generated (%s): recover --full on the import changes nothing', async (_n, o) => {
    const dir = path.join(tmpDir(), 'g-0');
    await gen(dir, o);
    const { out } = await roundTrip(dir, 'ndjson');
    const plan = recover(out, { full: true, dryRun: true });
    expect(plan.actions.map((a) => ({ ...a, data: undefined }))).toEqual([]);
  });

  it('recover --full on the bare .log files writes the same leader-epoch-checkpoint as import', async () => {
    const dir = path.join(tmpDir(), 'g-0');
    await gen(dir, { records: 1500, transactions: true, leaderEpochs: 3, segmentBytes: 16 * 1024 });
    const { out, r } = await roundTrip(dir);
    // the same log with only its segments: what Kafka's recovery derives from it
    const bare = path.join(tmpDir(), 'g-0');
    fs.mkdirSync(bare);
    for (const f of fs.readdirSync(out).filter((f) => f.endsWith('.log'))) fs.copyFileSync(path.join(out, f), path.join(bare, f));
    recover(bare, { full: true });
    expect(read(bare, 'leader-epoch-checkpoint').equals(read(out, 'leader-epoch-checkpoint'))).toBe(true);
    // recover --full leaves producer snapshots alone (the generate comparison above checks them)
    expect(r.leaderEpochs.length).toBeGreaterThan(1);
  });

  it.each(healthyCases())("fixture %s: the import verifies clean and carries the fixture's epochs", async (c) => {
    const dir = path.join(FIXTURES, c, 'topic-0');
    const { out, r } = await roundTrip(dir);
    verifiesClean(out);
    const lec = path.join(dir, 'leader-epoch-checkpoint');
    if (fs.existsSync(lec) && r.leaderEpochs.length > 0) expect(read(out, 'leader-epoch-checkpoint').toString()).toBe(read(dir, 'leader-epoch-checkpoint').toString());
  });
});
