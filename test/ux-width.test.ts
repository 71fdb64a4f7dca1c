import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { FIXTURES, ROOT, kseg, tmpDir } from './helpers.js';
import { fitTable, fitText } from '../src/cli/table-fit.js';

/**
 * Issue 18, "tables ignore terminal width": every command's human text fits COLUMNS (60, 80, 120)
 * — tables through FitTable, long summary lines wrapped with an indent — run as a user runs it
 * (spawned CLI, COLUMNS set, not a terminal; and once on a pseudo-terminal whose width is 60).
 */
// eslint-disable-next-line no-control-regex
const ANSI = /\u001b\[[0-9;?]*[A-Za-z]/g;
const widest = (s: string): number =>
  Math.max(
    0,
    ...s
      .replace(ANSI, '')
      .split('\n')
      .map((l) => [...l].length),
  );

let W = '';
const NOW = '1700000100000';

function copy(fixture: string, name: string, parent = W): void {
  fs.cpSync(path.join(FIXTURES, fixture, 'topic-0'), path.join(parent, name), { recursive: true });
}

beforeAll(() => {
  W = fs.realpathSync(tmpDir('kseg-width-'));
  copy('v2-txn', 'orders-0');
  copy('v2-multiseg', 'multi-0');
  copy('v2-compact', 'compact-0');
  copy('corrupt-crc', 'crc-0');
  copy('corrupt-index-bad-position', 'badindex-0');
  fs.mkdirSync(path.join(W, 'logdir'));
  copy('v2-txn', 'orders-0', path.join(W, 'logdir'));
  copy('corrupt-crc', 'payments-0', path.join(W, 'logdir'));
  fs.mkdirSync(path.join(W, 'internal'));
  for (const [kind, name] of [
    ['offsets', '__consumer_offsets-0'],
    ['metadata', '__cluster_metadata-0'],
  ] as const) {
    expect(kseg(['generate', path.join(W, 'internal', name), '--internal', kind, '--seed', '1', '--no-fsync']).status).toBe(0);
  }
}, 120_000);

/** Every command that prints a table or a summary a person reads. */
const COMMANDS: string[][] = [
  ['info', 'multi-0'],
  ['info', 'crc-0'],
  ['verify', 'crc-0'],
  ['verify', 'badindex-0'],
  ['scan', 'logdir', '--jobs', '1'],
  ['txn', 'orders-0', '--reference-time', NOW],
  ['txn', 'logdir', '--reference-time', NOW],
  ['groups', 'internal/__consumer_offsets-0'],
  ['offsets', 'internal/__consumer_offsets-0', '--reference-time', NOW],
  ['metadata', 'internal/__cluster_metadata-0', '--partitions'],
  ['compact', 'compact-0', '--dry-run', '--now', NOW],
  ['recover', 'crc-0', '--dry-run'],
  ['truncate', 'multi-0', '--to-offset', '500', '--dry-run'],
  ['rebuild-index', 'badindex-0', '--check'],
  ['salvage', 'crc-0', '-o', 'salvaged-0', '--dry-run'],
  ['diff', 'crc-0', 'logdir/payments-0'],
  ['coordinator', '--group', 'payments-consumer', '--transactional-id', 'orders-tx-1', '--partitions', '50'],
];

describe('human text fits COLUMNS (spawned CLI)', () => {
  for (const cols of [60, 80, 120]) {
    it.each(COMMANDS.map((c) => [c.join(' '), c] as const))(`COLUMNS=${cols}: kseg %s`, (_name, args) => {
      const r = kseg(args, { cwd: W, env: { NO_COLOR: '1', COLUMNS: String(cols), TZ: 'UTC' } });
      expect(r.status === 0 || r.status === 1, r.stderr).toBe(true);
      expect(r.stdout.length).toBeGreaterThan(0);
      expect(widest(r.stdout), r.stdout).toBeLessThanOrEqual(cols);
    });
  }

  it('without COLUMNS and off a terminal nothing is wrapped (a pipe or file gets whole lines)', () => {
    const r = kseg(['verify', 'crc-0'], { cwd: W, env: { NO_COLOR: '1', COLUMNS: '' } });
    expect(r.stdout).toMatch(/offset 263 CRC-32C mismatch: expected 0x0a081886 \(computed\), found 0xe7635801 \(stored\)\n/);
  });

  it('slice and generate summaries fit too (they write files)', () => {
    const out = path.join(W, 'slice-60');
    const s = kseg(['slice', 'multi-0', '--from-offset', '100', '--to-offset', '130', '-o', out], { cwd: W, env: { NO_COLOR: '1', COLUMNS: '60' } });
    expect(s.status, s.stderr).toBe(0);
    expect(widest(s.stdout), s.stdout).toBeLessThanOrEqual(60);
    const g = kseg(['generate', path.join(W, 'gen-0'), '--records', '50', '--seed', '3'], { cwd: W, env: { NO_COLOR: '1', COLUMNS: '60' } });
    expect(g.status, g.stderr).toBe(0);
    expect(widest(g.stdout), g.stdout).toBeLessThanOrEqual(60);
  });
});

describe('fitText / fitTable', () => {
  it('wraps at the last space that fits, continuation indented two more, words kept whole', () => {
    const line = '  error   CRC_MISMATCH  00000000000000000243.log@1327  offset 263 CRC-32C mismatch: expected 0x0a081886';
    const out = fitText(line, 40).split('\n');
    expect(out.every((l) => l.length <= 40)).toBe(true);
    expect(out[0]).toBe('  error   CRC_MISMATCH');
    expect(out.slice(1).every((l) => l.startsWith('    ') && !l.startsWith('     '))).toBe(true);
    const words = (x: string) => x.split(/\s+/).filter(Boolean);
    expect(words(out.join(' '))).toEqual(words(line));
  });

  it('cuts a word longer than the line, keeps colour codes out of the count, leaves table lines alone', () => {
    expect(fitText('x'.repeat(50), 20).split('\n')[0]).toBe('x'.repeat(20));
    const red = '\u001b[31m' + 'word '.repeat(10) + '\u001b[39m';
    expect(widest(fitText(red, 22))).toBeLessThanOrEqual(22);
    const table = '│ ' + 'a'.repeat(80) + ' │';
    expect(fitText(table, 40)).toBe(table);
    expect(fitText('short', undefined)).toBe('short');
  });

  it('fitTable: headings wrap between words before data cells shrink; {} when it fits', () => {
    expect(fitTable(['a', 'b'], [['1', '2']], 80)).toEqual({});
    const head = ['segment', 'records in', 'tombstones gone/kept'];
    const rows = [['00000000000000000000.log', '131', '0/0']];
    const fit = fitTable(head, rows, 50);
    expect(fit.colWidths![0]).toBe(26); // the data cell keeps its width
    expect(fit.colWidths!.reduce((a, b) => a + b, 0) + 4).toBeLessThanOrEqual(50);
  });
});

const SCRIPT = ['/usr/bin/script', '/bin/script'].find((p) => fs.existsSync(p));

describe.skipIf(!SCRIPT)('on a pseudo-terminal 60 columns wide (script -qc, stty cols 60)', () => {
  if (!SCRIPT) console.log('note: util-linux script(1) absent, pseudo-terminal width test skipped');
  it.each([
    ['info', 'multi-0'],
    ['scan', 'logdir', '--jobs', '1'],
    ['txn', 'orders-0', '--reference-time', NOW],
    ['verify', 'crc-0'],
  ])('kseg %s …', (...args) => {
    const cmd = `stty cols 60; ${[process.execPath, path.join(ROOT, 'bin', 'kseg.js'), ...args].map((a) => `'${a}'`).join(' ')}`;
    const r = spawnSync(SCRIPT!, ['-qc', cmd, '/dev/null'], {
      cwd: W,
      encoding: 'utf8',
      env: { PATH: process.env.PATH, HOME: process.env.HOME, TERM: 'xterm-256color', TZ: 'UTC' },
    });
    const text = r.stdout.replace(/\r/g, '');
    expect(text.length).toBeGreaterThan(100);
    expect(widest(text), text).toBeLessThanOrEqual(60);
  });
});
