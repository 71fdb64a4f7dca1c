import fs from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { compact } from '../src/ops/compact.js';
import { dump } from '../src/ops/dump.js';
import { info } from '../src/ops/info.js';
import { completeIntents } from '../src/ops/intent.js';
import { lookup } from '../src/ops/lookup.js';
import { rebuildIndex } from '../src/ops/rebuild-index.js';
import { recover } from '../src/ops/recover/index.js';
import { truncate } from '../src/ops/truncate.js';
import { verify } from '../src/ops/verify/index.js';
import { KsegError } from '../src/format/errors.js';
import { recordFaultPoints, setFaultPoint, SimulatedCrash, TEMP_SUFFIX, writeFileAtomic } from '../src/storage/atomic.js';
import { onStorageNote } from '../src/storage/notes.js';
import { scanPartitionDir } from '../src/storage/segments.js';
import { copyPartition, FIXTURES, kseg, tmpDir } from './helpers.js';
import { allRecords } from './partition-builder.js';
import { exitCodeFor } from '../src/cli/exit-codes.js';

// Operators spread a partition over disks with symbolic links; Kafka's LogLoader lists the
// directory with java.io.File, whose isFile()/length()/FileChannel.open follow links, so a linked
// segment is a segment like any other. These tests fail when kseg takes such a link for an
// unknown file (issue 12, item 1).

const fixture = (c: string) => path.join(FIXTURES, c, 'topic-0');
const START = 1_700_000_000_000;
const roots: string[] = [];

afterAll(() => {
  for (const r of roots) fs.rmSync(r, { recursive: true, force: true });
});

/** A copy of a fixture whose segments `bases` live in a sibling `disk2/` and are linked into the partition. */
function spread(c: string, bases: number[], opts: { relative?: boolean } = {}): { dir: string; disk2: string; plain: string } {
  const plain = copyPartition(fixture(c));
  roots.push(path.dirname(plain));
  const root = tmpDir();
  roots.push(root);
  const dir = path.join(root, 'topic-0');
  fs.cpSync(plain, dir, { recursive: true });
  const disk2 = path.join(root, 'disk2');
  fs.mkdirSync(disk2);
  for (const f of fs.readdirSync(dir)) {
    const base = /^(\d{20})\./.exec(f);
    if (!base || !bases.includes(Number(base[1]))) continue;
    fs.renameSync(path.join(dir, f), path.join(disk2, f));
    fs.symlinkSync(opts.relative ? path.join('..', 'disk2', f) : path.join(disk2, f), path.join(dir, f));
  }
  return { dir, disk2, plain };
}

const isLink = (p: string) => fs.lstatSync(p).isSymbolicLink();
const seg = (base: number, suffix: string) => `${String(base).padStart(20, '0')}.${suffix}`;

function verifyClean(dir: string): void {
  const r = verify([dir]);
  const bad = r.issues.filter((i) => i.severity !== 'info' || i.code === 'UNKNOWN_FILE');
  expect(bad, JSON.stringify(bad.slice(0, 3))).toEqual([]);
}

describe('symbolic links to segment files are read as the files (LogLoader follows links)', () => {
  it('discovery lists a linked .log and its indexes as the segment, not as unknown files or orphans', () => {
    const { dir } = spread('v2-multiseg', [472]);
    const p = scanPartitionDir(dir);
    expect(p.segments.map((s) => s.baseOffset)).toContain(472);
    const s = p.segments.find((x) => x.baseOffset === 472)!;
    expect(s).toMatchObject({ log: seg(472, 'log'), index: seg(472, 'index'), timeindex: seg(472, 'timeindex') });
    expect(s.logSize).toBe(fs.statSync(path.join(dir, seg(472, 'log'))).size);
    expect(p.other).toEqual([]);
    expect(p.orphans).toEqual([]);
  });

  it("verify counts the linked segment's records (same summary as the plain copy, no UNKNOWN_FILE)", () => {
    const { dir, plain } = spread('v2-multiseg', [0, 472, 1084]);
    const linked = verify([dir]);
    expect(linked.summary).toEqual(verify([plain]).summary);
    expect(linked.summary.records).toBe(1200);
    expect(linked.ok).toBe(true);
    expect(linked.issues.filter((i) => i.code === 'UNKNOWN_FILE')).toEqual([]);
  });

  it('dump, info and lookup read through the link', () => {
    const { dir, plain } = spread('v2-multiseg', [472]);
    const count = (d: string) => [...dump([d], { records: true })].filter((e) => e.type === 'record').length;
    expect(count(dir)).toBe(1200);
    expect(count(plain)).toBe(1200);
    const a = info([dir])[0]!;
    const b = info([plain])[0]!;
    expect({ ...a, dir: '', segments: a.segments.map((s) => ({ ...s, file: undefined, path: undefined })) }).toEqual({
      ...b,
      dir: '',
      segments: b.segments.map((s) => ({ ...s, file: undefined, path: undefined })),
    });
    expect(a.records).toBe(1200);
    const l = lookup(dir, { offset: 500 });
    expect(l.segmentBaseOffset).toBe(472);
    expect(l.record.offset).toBe(500);
  });

  it('the partition directory itself may be a link (/var/lib/kafka -> /data/kafka)', () => {
    const plain = copyPartition(fixture('v2-multiseg'));
    roots.push(path.dirname(plain));
    const alias = path.join(tmpDir(), 'topic-0');
    roots.push(path.dirname(alias));
    fs.symlinkSync(plain, alias);
    expect(verify([alias]).summary.records).toBe(1200);
    truncate(alias, { toOffset: 500 });
    expect(Math.max(...allRecords(plain).map((r) => r.offset))).toBeLessThan(500);
    expect(fs.readdirSync(plain)).not.toContain('.kseg.lock');
    verifyClean(alias);
  });
});

describe('writers through symbolic links', () => {
  it('truncate --to-offset cuts the records in the link target (UnifiedLog.truncateTo), the link stays', () => {
    const { dir, disk2, plain } = spread('v2-multiseg', [472, 587]);
    truncate(plain, { toOffset: 500 });
    truncate(dir, { toOffset: 500 });
    expect(allRecords(dir)).toEqual(allRecords(plain));
    expect(Math.max(...allRecords(dir).map((r) => r.offset))).toBeLessThan(500);
    expect(isLink(path.join(dir, seg(472, 'log')))).toBe(true);
    expect(fs.statSync(path.join(disk2, seg(472, 'log'))).size).toBe(fs.statSync(path.join(plain, seg(472, 'log'))).size);
    // The time index was rewritten atomically beside its target, not over the link.
    expect(isLink(path.join(dir, seg(472, 'timeindex')))).toBe(true);
    expect(fs.readFileSync(path.join(disk2, seg(472, 'timeindex')))).toEqual(fs.readFileSync(path.join(plain, seg(472, 'timeindex'))));
    // A deleted segment loses its link; the target is left, as Kafka's segment delete leaves it.
    expect(fs.existsSync(path.join(dir, seg(587, 'log')))).toBe(false);
    expect(fs.existsSync(path.join(disk2, seg(587, 'log')))).toBe(true);
    expect(fs.readdirSync(disk2).filter((f) => f.endsWith(TEMP_SUFFIX))).toEqual([]);
    verifyClean(dir);
  });

  it('deleting a linked segment notes that its target stays', () => {
    const { dir, disk2 } = spread('v2-multiseg', [1084]);
    const notes: string[] = [];
    const prev = onStorageNote((m) => notes.push(m));
    try {
      truncate(dir, { toOffset: 1000 });
    } finally {
      onStorageNote(prev);
    }
    expect(notes.some((n) => n.includes(path.join(disk2, seg(1084, 'log'))) && /left in place/.test(n))).toBe(true);
  });

  it('recover keeps the indexes of a linked segment (not orphans) and cuts a bad tail in the target (LogSegment.recover)', () => {
    const { dir, disk2, plain } = spread('v2-multiseg', [1084]);
    for (const d of [plain, disk2]) fs.appendFileSync(path.join(d, seg(1084, 'log')), Buffer.alloc(100));
    const want = recover(plain);
    const r = recover(dir);
    expect(r.removed.filter((f) => f.startsWith(seg(1084, '').slice(0, 20)) && !f.endsWith('.log'))).toEqual(
      want.removed.filter((f) => f.startsWith('00000000000000001084') && !f.endsWith('.log')),
    );
    for (const s of ['log', 'index', 'timeindex']) {
      expect(isLink(path.join(dir, seg(1084, s))), s).toBe(true);
      expect(fs.readFileSync(path.join(disk2, seg(1084, s))), s).toEqual(fs.readFileSync(path.join(plain, seg(1084, s))));
    }
    expect(allRecords(dir)).toEqual(allRecords(plain));
    verifyClean(dir);
  });

  it('recover on a healthy spread partition changes nothing', () => {
    const { dir } = spread('v2-multiseg', [0, 472]);
    const before = fs.readdirSync(dir).sort();
    const r = recover(dir);
    expect(r.removed).toEqual([]);
    expect(fs.readdirSync(dir).sort()).toEqual(before);
  });

  it('rebuild-index writes the rebuilt index into the link target, leaving the link', () => {
    const { dir, disk2, plain } = spread('v2-multiseg', [472]);
    fs.writeFileSync(path.join(disk2, seg(472, 'index')), Buffer.alloc(80));
    fs.writeFileSync(path.join(plain, seg(472, 'index')), Buffer.alloc(80));
    rebuildIndex(plain);
    rebuildIndex(dir);
    for (const s of ['index', 'timeindex']) {
      expect(isLink(path.join(dir, seg(472, s)))).toBe(true);
      expect(fs.readFileSync(path.join(disk2, seg(472, s)))).toEqual(fs.readFileSync(path.join(plain, seg(472, s))));
    }
    expect(fs.readdirSync(disk2).filter((f) => f.endsWith(TEMP_SUFFIX))).toEqual([]);
    expect(rebuildIndex(dir, { check: true }).differences).toBe(0);
  });

  it('compact compacts a linked segment too (LogCleaner), links of replaced segments removed, targets kept', async () => {
    const { dir, disk2, plain } = spread('v2-compact', [131, 268], { relative: true });
    await compact(plain, { now: START });
    await compact(dir, { now: START });
    expect(allRecords(dir)).toEqual(allRecords(plain));
    expect(fs.readdirSync(dir).sort()).toEqual(fs.readdirSync(plain).sort());
    expect(fs.readdirSync(disk2).length).toBe(6);
    verifyClean(dir);
  });

  it('writeFileAtomic through a link: a crash before the rename leaves a temp file beside the target, which recover deletes', () => {
    const root = tmpDir();
    roots.push(root);
    const dir = path.join(root, 'p');
    const other = path.join(root, 'other');
    fs.mkdirSync(dir);
    fs.mkdirSync(other);
    fs.writeFileSync(path.join(other, 'leader-epoch-checkpoint'), '0\n0\n');
    fs.symlinkSync(path.join(other, 'leader-epoch-checkpoint'), path.join(dir, 'leader-epoch-checkpoint'));
    setFaultPoint(1, /^rename /);
    expect(() => writeFileAtomic(dir, 'leader-epoch-checkpoint', '0\n1\n0 0\n')).toThrow(SimulatedCrash);
    setFaultPoint(null);
    expect(fs.readdirSync(other).sort()).toEqual(['leader-epoch-checkpoint', 'leader-epoch-checkpoint' + TEMP_SUFFIX]);
    expect(fs.readdirSync(dir)).toEqual(['leader-epoch-checkpoint']);
    expect(completeIntents(dir).tempFilesRemoved).toEqual([path.join(other, 'leader-epoch-checkpoint' + TEMP_SUFFIX)]);
    expect(fs.readdirSync(other)).toEqual(['leader-epoch-checkpoint']);
    writeFileAtomic(dir, 'leader-epoch-checkpoint', '0\n1\n0 0\n');
    expect(isLink(path.join(dir, 'leader-epoch-checkpoint'))).toBe(true);
    expect(fs.readFileSync(path.join(other, 'leader-epoch-checkpoint'), 'utf8')).toBe('0\n1\n0 0\n');
  });
});

describe('broken symbolic links with partition file names are clear errors, never skipped', () => {
  const cases: [string, (dir: string, name: string) => void, string][] = [
    ['dangling', (dir, name) => fs.symlinkSync(path.join(dir, 'gone'), path.join(dir, name)), 'DANGLING_SYMLINK'],
    [
      'a loop',
      (dir, name) => {
        fs.symlinkSync(path.join(dir, 'b'), path.join(dir, name));
        fs.symlinkSync(path.join(dir, name), path.join(dir, 'b'));
      },
      'SYMLINK_LOOP',
    ],
    ['to a directory', (dir, name) => fs.symlinkSync(path.dirname(dir), path.join(dir, name)), 'SYMLINK_TO_DIRECTORY'],
  ];
  for (const [what, make, code] of cases) {
    it(`${what}: verify, truncate and recover fail with ${code} naming the link`, () => {
      const dir = copyPartition(fixture('v2-multiseg'));
      roots.push(path.dirname(dir));
      const name = seg(5000, 'log');
      make(dir, name);
      for (const run of [() => verify([dir]), () => truncate(dir, { toOffset: 10 }), () => recover(dir)]) {
        let err: unknown;
        try {
          run();
        } catch (e) {
          err = e;
        }
        expect(err).toBeInstanceOf(KsegError);
        expect(err).toMatchObject({ code, file: path.join(dir, name) });
        expect(exitCodeFor(err)).toBe(4);
      }
      expect(fs.readdirSync(dir).filter((f) => f.endsWith('.log')).length).toBe(11);
    });
  }

  it('CLI: kseg verify exits 4 with one line naming the dangling link', () => {
    const dir = copyPartition(fixture('v2-none'));
    roots.push(path.dirname(dir));
    fs.symlinkSync('/nonexistent/disk/00000000000000000100.log', path.join(dir, seg(100, 'log')));
    const r = kseg(['verify', dir, '--json']);
    expect(r.status).toBe(4);
    expect(r.stderr).toContain(`dangling symbolic link (-> /nonexistent/disk/00000000000000000100.log: no such file or directory) (${path.join(dir, seg(100, 'log'))})`);
    expect(r.stdout).toBe('');
  });

  it('CLI: generate into a dangling link names it instead of failing on the missing target', () => {
    const root = tmpDir();
    roots.push(root);
    fs.symlinkSync(path.join(root, 'gone'), path.join(root, 'orders-0'));
    const r = kseg(['generate', path.join(root, 'orders-0'), '--records', '10', '--json']);
    expect(r.status).toBe(4);
    expect(JSON.parse(r.stderr.split('\n')[1]!).error).toMatchObject({ code: 'DANGLING_SYMLINK', file: path.join(root, 'orders-0') });
    expect(fs.existsSync(path.join(root, 'gone'))).toBe(false);
  });

  it('a broken link with a name kseg does not read stays an UNKNOWN_FILE note', () => {
    const dir = copyPartition(fixture('v2-none'));
    roots.push(path.dirname(dir));
    fs.symlinkSync('/nonexistent', path.join(dir, 'notes.txt'));
    const r = verify([dir]);
    expect(r.ok).toBe(true);
    expect(r.issues.map((i) => i.code)).toContain('UNKNOWN_FILE');
  });
});

describe('crash safety through symbolic links: a crash at every fault point, then recover, gives the old or the new partition', () => {
  async function crashLoop(c: string, bases: number[], run: (dir: string) => unknown): Promise<Set<string>> {
    const probe = spread(c, bases);
    const old = JSON.stringify(allRecords(probe.dir));
    const log = recordFaultPoints(true);
    await run(probe.dir);
    const labels = [...log];
    recordFaultPoints(false);
    const fresh = JSON.stringify(allRecords(probe.dir));
    expect(fresh).not.toBe(old);
    const outcomes = new Set<string>();
    for (let n = 1; n <= labels.length; n++) {
      const { dir, disk2 } = spread(c, bases);
      setFaultPoint(n);
      let crashed = false;
      try {
        await run(dir);
      } catch (e) {
        if (!(e instanceof SimulatedCrash)) throw e;
        crashed = true;
      } finally {
        setFaultPoint(null);
      }
      expect(crashed, labels[n - 1]).toBe(true);
      recover(dir);
      const got = JSON.stringify(allRecords(dir));
      const which = got === fresh ? 'new' : got === old ? 'old' : 'neither';
      expect(which, `crash at ${n}: ${labels[n - 1]}`).not.toBe('neither');
      outcomes.add(which);
      expect(
        fs.readdirSync(disk2).filter((f) => f.endsWith(TEMP_SUFFIX)),
        labels[n - 1],
      ).toEqual([]);
      expect(
        fs.readdirSync(dir).filter((f) => f.startsWith('.kseg.lock')),
        labels[n - 1],
      ).toEqual([]);
      verifyClean(dir);
      fs.rmSync(path.dirname(dir), { recursive: true, force: true });
    }
    return outcomes;
  }

  it('truncate --to-offset into a linked segment (UnifiedLog.truncateTo)', async () => {
    const outcomes = await crashLoop('v2-multiseg', [472, 587], (d) => truncate(d, { toOffset: 500 }));
    expect([...outcomes].sort()).toEqual(['new', 'old']);
  });

  it('compact of linked segments (LogCleaner swap)', async () => {
    const outcomes = await crashLoop('v2-compact', [131, 268], (d) => compact(d, { now: START }));
    expect(outcomes.has('new')).toBe(true);
  });
});
