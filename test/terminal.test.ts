import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { FIXTURES, ROOT } from './helpers.js';

/**
 * Issue 18, "Colours and terminals": the CLI run on a pseudo-terminal (util-linux `script -qc`),
 * as an operator's shell runs it. Skipped with a note when `script` is absent.
 */
const SCRIPT = ['/usr/bin/script', '/bin/script'].find((p) => fs.existsSync(p));
const KSEG = path.join(ROOT, 'bin', 'kseg.js');
const ESC = '\u001b[';

function onTty(args: string[], env: Record<string, string | undefined>): string {
  const cmd = [process.execPath, KSEG, ...args].map((a) => `'${a.replace(/'/g, `'\\''`)}'`).join(' ');
  // An operator's interactive shell, not the caller's: CI runners set CI=1 or TERM=dumb, which
  // make supports-color (rightly) paint nothing, so only PATH and HOME are carried over.
  const clean: NodeJS.ProcessEnv = { PATH: process.env.PATH, HOME: process.env.HOME, TERM: 'xterm-256color' };
  for (const [k, v] of Object.entries(env))
    if (v === undefined) delete clean[k];
    else clean[k] = v;
  const r = spawnSync(SCRIPT!, ['-qc', cmd, '/dev/null'], { encoding: 'utf8', env: clean });
  return r.stdout;
}

const PARTITION = (() => {
  const found = fs.readdirSync(FIXTURES, { recursive: true, withFileTypes: true }).find((e) => e.isFile() && e.name.endsWith('.log'));
  return found ? path.join(found.parentPath ?? (found as unknown as { path: string }).path) : undefined;
})();

describe.skipIf(!SCRIPT || !PARTITION)('colours on a terminal (no-color.org)', () => {
  if (!SCRIPT) console.log('note: util-linux script(1) absent, pseudo-terminal colour tests skipped');
  it('paints on a terminal by default (the baseline the other cases are measured against)', () => {
    expect(onTty(['info', PARTITION!], {})).toContain(ESC);
  });
  it('NO_COLOR=1 turns colours off on a terminal (chalk/supports-color ignores it; theme.ts applies it)', () => {
    const out = onTty(['info', PARTITION!], { NO_COLOR: '1' });
    expect(out).toContain('segment base');
    expect(out).not.toContain(ESC);
  });
  it('an empty NO_COLOR does not disable colours (no-color.org: only a non-empty value)', () => {
    expect(onTty(['info', PARTITION!], { NO_COLOR: '' })).toContain(ESC);
  });
  it('NO_COLOR wins over FORCE_COLOR, as commander does for help', () => {
    expect(onTty(['info', PARTITION!], { NO_COLOR: '1', FORCE_COLOR: '1' })).not.toContain(ESC);
  });
  it('--no-color turns colours off on a terminal', () => {
    expect(onTty(['--no-color', 'info', PARTITION!], {})).not.toContain(ESC);
  });
});

describe('singular and plural in human text (issue 18: "1 segments")', () => {
  it('count() says 1 segment, 0 batches, 2 entries, 1 byte', async () => {
    const { count } = await import('../src/cli/plural.js');
    expect(count(1, 'segment')).toBe('1 segment');
    expect(count(0, 'batch')).toBe('0 batches');
    expect(count(2, 'entry')).toBe('2 entries');
    expect(count(1n, 'byte')).toBe('1 byte');
    expect(count('1', 'record')).toBe('1 record');
    expect(count(11, 'file')).toBe('11 files');
  });

  it('bytesWithUnit() keeps the exact bytes and adds KiB/MiB/GiB from 1 KiB on', async () => {
    const { bytesWithUnit } = await import('../src/cli/plural.js');
    expect(bytesWithUnit(1)).toBe('1 byte');
    expect(bytesWithUnit(1023)).toBe('1023 bytes');
    expect(bytesWithUnit(1024)).toBe('1024 bytes (1.0 KiB)');
    expect(bytesWithUnit(536870912)).toBe('536870912 bytes (512.0 MiB)');
    expect(bytesWithUnit(3 * 2 ** 30 + 2 ** 29)).toBe('3758096384 bytes (3.5 GiB)');
  });

  it('info and verify of a one-segment, one-batch partition say "1 segment, 1 batch"', async () => {
    const { kseg, tmpDir } = await import('./helpers.js');
    const dir = path.join(tmpDir(), 'p-0');
    expect(kseg(['generate', dir, '--records', '1', '--seed', '1']).status).toBe(0);
    const info = kseg(['info', dir]);
    expect(info.status).toBe(0);
    expect(info.stdout).toMatch(/ 1 segment, 1 batch, 1 record, \d+ bytes/);
    const verify = kseg(['verify', dir]);
    expect(verify.stdout).toMatch(/ 1 segment, 1 batch, 1 record, /);
    expect(verify.stdout).not.toMatch(/\b1 (segments|batches|records)\b/);
  });

  it('info and verify show a person the size in MiB beside the bytes', async () => {
    const { kseg, tmpDir } = await import('./helpers.js');
    const dir = path.join(tmpDir(), 'p-0');
    expect(kseg(['generate', dir, '--bytes', '2m', '--seed', '1', '--no-fsync']).status).toBe(0);
    expect(kseg(['info', dir]).stdout).toMatch(/ \d+ bytes \(2\.\d MiB\)/);
    expect(kseg(['verify', dir]).stdout).toMatch(/ \d+ bytes \(2\.\d MiB\)/);
  });
});

describe('tables fit the terminal width (issue 18: info was 156 columns at COLUMNS=60)', () => {
  it('info at COLUMNS=60 draws no table line wider than 60; without a width the rows stay unwrapped', async () => {
    const { kseg, tmpDir } = await import('./helpers.js');
    const dir = path.join(tmpDir(), 'p-0');
    expect(kseg(['generate', dir, '--records', '50', '--seed', '1', '--no-fsync']).status).toBe(0);
    const narrow = kseg(['info', dir], { env: { COLUMNS: '60' } });
    expect(narrow.status).toBe(0);
    const tableLines = narrow.stdout.split('\n').filter((l) => /^[┌│├└]/.test(l));
    expect(tableLines.length).toBeGreaterThan(3);
    for (const l of tableLines) expect([...l].length).toBeLessThanOrEqual(60);
    const wide = kseg(['info', dir], { env: { COLUMNS: '' } });
    const wideLines = wide.stdout.split('\n').filter((l) => /^[┌│├└]/.test(l));
    expect(Math.max(...wideLines.map((l) => [...l].length))).toBeGreaterThan(60);
    expect(wide.stdout).toContain('segment base');
  });
});
