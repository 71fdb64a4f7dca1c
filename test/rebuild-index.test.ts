import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { rebuildIndex } from '../src/ops/rebuild-index.js';
import { verify } from '../src/ops/verify/index.js';
import { CorruptDataError } from '../src/format/errors.js';
import { recordFaultPoints, setFaultPoint, SimulatedCrash } from '../src/storage/atomic.js';
import { copyPartition, FIXTURES, HAVE_REAL, healthyCases, kseg, REAL } from './helpers.js';

const caseDir = (c: string): string => path.join(FIXTURES, c, 'topic-0');
const config = (c: string): { indexIntervalBytes: number; layout: string } => JSON.parse(fs.readFileSync(path.join(FIXTURES, c, 'expected', 'summary.json'), 'utf8')).config;
const perBatch = healthyCases().filter((c) => config(c).layout === 'per-batch');
const sideFiles = (dir: string): string[] =>
  fs
    .readdirSync(dir)
    .filter((f) => /\.(index|timeindex|txnindex)$/.test(f))
    .sort();

describe('rebuilt indexes are byte-identical to the fixtures (per-batch layout)', () => {
  it.each(perBatch)('%s', (c) => {
    const dir = copyPartition(caseDir(c));
    const originals = sideFiles(dir);
    for (const f of originals) fs.rmSync(path.join(dir, f));
    const r = rebuildIndex(dir, { indexIntervalBytes: config(c).indexIntervalBytes });
    expect(r.applied).toBe(true);
    // .txnindex files appear only for segments with aborted transactions, as with Kafka.
    expect(sideFiles(dir)).toEqual(originals);
    for (const f of originals) expect(fs.readFileSync(path.join(dir, f)).equals(fs.readFileSync(path.join(caseDir(c), f))), f).toBe(true);
    // And a check of the untouched fixture finds nothing to change.
    const check = rebuildIndex(caseDir(c), { check: true, indexIntervalBytes: config(c).indexIntervalBytes });
    expect(check.differences).toBe(0);
    expect(check.applied).toBe(false);
  });

  it("one segment's .txnindex takes firstOffset from an earlier segment (v2-txn, segment 467)", () => {
    const dir = copyPartition(caseDir('v2-txn'));
    const f = '00000000000000000467.txnindex';
    fs.rmSync(path.join(dir, f));
    const r = rebuildIndex(path.join(dir, '00000000000000000467.log'), { indexIntervalBytes: 1024 });
    expect(r.changed).toEqual([f]);
    expect(fs.readFileSync(path.join(dir, f)).equals(fs.readFileSync(path.join(caseDir('v2-txn'), f)))).toBe(true);
    // Its first entry's transaction started at 407, in segment 354.
    expect(fs.readFileSync(path.join(dir, f)).readBigInt64BE(10)).toBe(407n);
  });
});

describe.skipIf(!HAVE_REAL)('real broker segments written without a restart match a rebuild', () => {
  it.each(['pinterest-tiered-storage/ts-common/timeindex_test', 'pinterest-tiered-storage/ts-segment-uploader/test_topic_a-0'])('%s', (d) => {
    expect(rebuildIndex(path.join(REAL, d), { check: true }).differences).toBe(0);
  });
});

describe('--check and the layouts brokers really write', () => {
  it('per-append layout differs from a rebuild but is valid; after a rebuild it is per-batch and still valid', () => {
    const dir = copyPartition(caseDir('v2-per-append'));
    const check = rebuildIndex(dir, { check: true, indexIntervalBytes: 800 });
    expect(check.differences).toBeGreaterThan(0);
    const d = check.files.find((f) => f.status === 'differs')!;
    expect(d.firstDifference).toMatchObject({ entry: 0, position: 0 });
    expect(d.firstDifference!.disk).not.toEqual(d.firstDifference!.rebuilt);
    expect(verify([dir]).ok).toBe(true);
    rebuildIndex(dir, { indexIntervalBytes: 800 });
    expect(rebuildIndex(dir, { check: true, indexIntervalBytes: 800 }).differences).toBe(0);
    const v = verify([dir]);
    expect(v.errors + v.warnings).toBe(0);
  });

  it("the active segment's preallocated zero tail is ignored; an inactive one's is a difference", () => {
    const dir = copyPartition(caseDir('v2-multiseg'));
    const logs = fs
      .readdirSync(dir)
      .filter((f) => f.endsWith('.log'))
      .sort();
    const active = logs.at(-1)!.replace('.log', '');
    const inactive = logs[2]!.replace('.log', '');
    fs.appendFileSync(path.join(dir, `${active}.index`), Buffer.alloc(4096));
    fs.appendFileSync(path.join(dir, `${active}.timeindex`), Buffer.alloc(4092));
    let r = rebuildIndex(dir, { check: true, indexIntervalBytes: 800 });
    expect(r.differences).toBe(0);
    expect(r.files.find((f) => f.file === `${active}.index`)!.zeroTailSlots).toBe(512);
    fs.appendFileSync(path.join(dir, `${inactive}.index`), Buffer.alloc(80));
    r = rebuildIndex(dir, { check: true, indexIntervalBytes: 800 });
    expect(r.files.filter((f) => f.status !== 'same').map((f) => f.file)).toEqual([`${inactive}.index`]);
  });

  it('a different index.interval.bytes gives a different index', () => {
    const r = rebuildIndex(caseDir('v2-none'), { check: true, indexIntervalBytes: 1000 });
    expect(r.files.find((f) => f.kind === 'index')!.status).toBe('differs');
    expect(r.after.indexEntries).toBeGreaterThan(r.before.indexEntries);
  });

  it('--dry-run writes nothing and lists what it would write', () => {
    const dir = copyPartition(caseDir('corrupt-index-bad-position'));
    const before = fs.readFileSync(path.join(dir, '00000000000000000312.index'));
    const r = rebuildIndex(dir, { dryRun: true, indexIntervalBytes: 1024 });
    expect(r.changed).toEqual(['00000000000000000312.index']);
    expect(r.applied).toBe(false);
    expect(fs.readFileSync(path.join(dir, '00000000000000000312.index')).equals(before)).toBe(true);
    rebuildIndex(dir, { indexIntervalBytes: 1024 });
    expect(verify([dir]).errors).toBe(0);
  });
});

describe('rebuild-index refuses what it cannot index', () => {
  it("a log Kafka's recovery would cut: exit 3 naming file and byte position", () => {
    let err: unknown;
    try {
      rebuildIndex(caseDir('corrupt-crc'), { check: true });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(CorruptDataError);
    expect((err as CorruptDataError).file).toBe('00000000000000000243.log');
    expect((err as CorruptDataError).position).toBe(1327);
    const cli = kseg(['rebuild-index', caseDir('corrupt-crc')]);
    expect(cli.status).toBe(3);
    expect(cli.stdout).toBe('');
    expect(cli.stderr.trim()).toMatch(/^kseg: .*kseg recover.* \(00000000000000000243\.log at byte 1327\)$/);
  });

  it('a segment before the cut can still be rebuilt; a file that is not a segment is a usage error', () => {
    expect(rebuildIndex(path.join(caseDir('corrupt-crc'), '00000000000000000122.index'), { check: true, indexIntervalBytes: 1024 }).differences).toBe(0);
    expect(kseg(['rebuild-index', path.join(caseDir('v2-none'), 'partition.metadata')]).status).toBe(2);
  });
});

describe('crash safety: every write is temp file + fsync + rename', () => {
  it('a crash at any point leaves each index either old or new, and a rerun finishes', () => {
    const make = (): string => {
      const dir = copyPartition(caseDir('v2-multiseg'));
      for (const f of sideFiles(dir)) fs.writeFileSync(path.join(dir, f), Buffer.alloc(fs.statSync(path.join(dir, f)).size, 0x11));
      return dir;
    };
    const ref = make();
    const old = Object.fromEntries(sideFiles(ref).map((f) => [f, fs.readFileSync(path.join(ref, f)).toString('hex')]));
    const points = recordFaultPoints(true);
    rebuildIndex(ref, { indexIntervalBytes: 800 });
    const labels = [...points];
    recordFaultPoints(false);
    const done = Object.fromEntries(sideFiles(ref).map((f) => [f, fs.readFileSync(path.join(ref, f)).toString('hex')]));
    expect(labels.length).toBe(3 * Object.keys(done).length);
    for (let n = 1; n <= labels.length; n++) {
      const dir = make();
      setFaultPoint(n);
      expect(() => rebuildIndex(dir, { indexIntervalBytes: 800 })).toThrow(SimulatedCrash);
      setFaultPoint(null);
      for (const f of sideFiles(dir)) expect([old[f], done[f]]).toContain(fs.readFileSync(path.join(dir, f)).toString('hex'));
      rebuildIndex(dir, { indexIntervalBytes: 800 });
      for (const f of fs.readdirSync(dir).filter((x) => x.endsWith('.kseg-tmp'))) fs.rmSync(path.join(dir, f));
      expect(Object.fromEntries(sideFiles(dir).map((f) => [f, fs.readFileSync(path.join(dir, f)).toString('hex')]))).toEqual(done);
    }
  });
});

describe('kseg rebuild-index (CLI)', () => {
  it('--check: exit 0 when equal, 1 when different, JSON lists the files', () => {
    expect(kseg(['rebuild-index', caseDir('v2-none'), '--check']).status).toBe(0);
    const r = kseg(['rebuild-index', caseDir('v2-per-append'), '--check', '--index-interval-bytes', '800', '--json']);
    expect(r.status).toBe(1);
    const j = JSON.parse(r.stdout);
    expect(j.same).toBe(false);
    expect(j.files.length).toBe(36);
  });

  it('writes with the mutating-command JSON shape', () => {
    const dir = copyPartition(caseDir('corrupt-index-nonmonotonic'));
    const r = kseg(['rebuild-index', dir, '--index-interval-bytes', '1024', '--json']);
    expect(r.status).toBe(0);
    const j = JSON.parse(r.stdout);
    expect(Object.keys(j).slice(0, 4)).toEqual(['changed', 'removed', 'before', 'after']);
    expect(j.changed).toEqual(['00000000000000000159.index']);
    expect(kseg(['verify', dir]).status).toBe(0);
  });
});
