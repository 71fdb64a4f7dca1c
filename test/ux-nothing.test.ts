import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { FIXTURES, HAVE_REAL, REAL, kseg, tmpDir } from './helpers.js';

// issue 18 "ok on nothing": a reading command given an empty directory or a log dir's parent exits 4
// saying what it looked for, and points at the directory below that holds partitions.
function layout(): { empty: string; parent: string; logDir: string } {
  const root = tmpDir();
  const empty = path.join(root, 'empty');
  fs.mkdirSync(empty);
  const parent = path.join(root, 'kafka');
  const logDir = path.join(parent, 'data');
  fs.mkdirSync(logDir, { recursive: true });
  fs.cpSync(path.join(FIXTURES, 'v2-multiseg', 'topic-0'), path.join(logDir, 'orders-0'), { recursive: true });
  fs.writeFileSync(path.join(logDir, 'recovery-point-offset-checkpoint'), '0\n1\norders 0 0\n');
  return { empty, parent, logDir };
}

const COMMANDS: string[][] = [
  ['verify'],
  ['verify', '--json'],
  ['scan'],
  ['info'],
  ['info', '--json'],
  ['dump'],
  ['lookup', '--offset', '0'],
  ['grep', '-c'],
  ['txn'],
  ['rebuild-index', '--check'],
  ['recover', '--dry-run'],
];

describe('no partition found is an error (exit 4), never "ok"', () => {
  const { empty, parent, logDir } = layout();
  it.each(COMMANDS.map((c) => [c.join(' '), c]))('%s on an empty directory', (_n, c) => {
    const r = kseg([...c, empty]);
    expect(r.status).toBe(4);
    expect(r.stdout).toBe('');
    expect(r.stderr).toContain(`no Kafka partition found in ${empty}: looked for segment files`);
    expect(r.stderr).not.toMatch(/\bok\b|at .*\.js:\d+/);
  });

  it.each(COMMANDS.map((c) => [c.join(' '), c]))("%s on a log dir's parent suggests the log dir below", (_n, c) => {
    const r = kseg([...c, parent]);
    expect(r.status).toBe(4);
    expect(r.stdout).toBe('');
    expect(r.stderr).toContain(`partition directories are below, in ${logDir} (1 partition)`);
  });

  it('the JSON error names the code and the directory', () => {
    const r = kseg(['verify', parent, '--json']);
    const e = JSON.parse(r.stderr.trim().split('\n').pop()!).error;
    expect(e.code).toBe('NO_PARTITION');
    expect(e.file).toBe(parent);
  });

  it('the search below is bounded to three levels', () => {
    const root = tmpDir();
    const deep = path.join(root, 'a', 'b', 'c', 'd');
    fs.mkdirSync(deep, { recursive: true });
    fs.cpSync(path.join(FIXTURES, 'v2-multiseg', 'topic-0'), path.join(deep, 'orders-0'), { recursive: true });
    const r = kseg(['verify', root]);
    expect(r.status).toBe(4);
    expect(r.stderr).not.toContain('below');
    expect(kseg(['verify', path.join(root, 'a')]).stderr).toContain(`below, in ${deep}`);
  });

  it('verify LOG_DIR does not list the log dir as a partition; it says what it checked', () => {
    const r = kseg(['verify', logDir]);
    expect(r.status).toBe(0);
    const lines = r.stdout.split('\n');
    expect(lines[0]).toBe(`${logDir}  ok  log dir: 1 broker file checked (checkpoints, KRaft snapshots)`);
    expect(lines[0]).not.toMatch(/0 segments/);
    expect(lines[1]).toMatch(/orders-0  ok  10 segments, 216 batches, 1200 records, \d+ bytes/);
    const j = JSON.parse(kseg(['verify', logDir, '--json']).stdout);
    expect(j.partitions[0]).toMatchObject({ partition: logDir, logDir: true, filesChecked: 1 });
    expect(j.partitions[1].logDir).toBeUndefined();
  });

  it('summaries say how much was checked, singular right', () => {
    const d = tmpDir();
    fs.copyFileSync(path.join(FIXTURES, 'v2-multiseg', 'topic-0', '00000000000000000000.log'), path.join(d, '00000000000000000000.log'));
    const r = kseg(['verify', d]);
    expect(r.stdout).toMatch(/1 segment, \d+ batches, \d+ records, \d+ bytes/);
  });
});

describe.skipIf(!HAVE_REAL)('real broker data (../shared/real)', () => {
  it('verify and info on kafkajs/ (a parent of captured partitions) exit 4 and name the directories holding them', () => {
    const parent = path.join(REAL, 'kafkajs');
    for (const c of ['verify', 'info', 'dump']) {
      const r = kseg([c, parent]);
      expect(r.status).toBe(4);
      expect(r.stderr).toContain(`no Kafka partition found in ${parent}`);
      expect(r.stderr).toMatch(/partition directories are below, in .*kafkajs\/\S+ \(\d+ partitions?\)/);
      // the message names the directory already: not repeated after the hint, where it read as an example partition
      expect(r.stderr.split('\n')[0]).not.toMatch(/partitions? \(\/[^)]*\)$/);
    }
  });
});
