import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { FIXTURES, kseg, tmpDir } from './helpers.js';
import { BIN, interruptAt } from './interrupt-helpers.js';

/**
 * Issue 18, "Ctrl-C: exit 130 and say what state the partition is in". The CLI is spawned as a
 * user runs it; KSEG_TEST_PAUSE=<step>:<file> (ops/interrupt.ts) holds the op at one safe point so
 * the signal arrives exactly there. After the signal: exit 130 (SIGINT) or 143 (SIGTERM), one
 * stderr line naming the state, `kseg verify` clean, and the records either the old or the new
 * ones (dumps compared). Kafka's LogCleaner swaps cleaned segments in only once they are complete
 * (LogCleaner / UnifiedLog.replaceSegments); kseg's safe points sit before that swap.
 */
function records(dir: string): string {
  const r = kseg(['dump', dir, '--ndjson']);
  expect(r.status, r.stderr).toBe(0);
  return r.stdout;
}

function compactable(): string {
  const dir = path.join(tmpDir(), 'compact-0');
  fs.cpSync(path.join(FIXTURES, 'v2-compact', 'topic-0'), dir, { recursive: true });
  return dir;
}

// Small output segments: several groups, so there are safe points between them.
const COMPACT = ['--now', '1700000100000', '--segment-bytes', '16384', '--yes'];

describe('Ctrl-C during kseg compact (spawned CLI)', () => {
  it('before the first group: exit 130, "the partition is unchanged", verify clean, records unchanged, no .cleaned left', async () => {
    const dir = compactable();
    const before = records(dir);
    const r = await interruptAt(['compact', dir, ...COMPACT], 'compact-group-1');
    expect(r.status).toBe(130);
    expect(r.stderr).toMatch(/^kseg: interrupted: compaction interrupted before its swap: the partition is unchanged/m);
    expect(r.stderr).not.toMatch(/\n\s+at /);
    expect(kseg(['verify', dir]).status).toBe(0);
    expect(records(dir)).toBe(before);
    expect(fs.readdirSync(dir).filter((f) => /\.cleaned|\.swap|kseg-intent/.test(f))).toEqual([]);
  }, 120_000);

  it('between groups (some .cleaned files written) with SIGTERM: exit 143, unchanged, the .cleaned files removed', async () => {
    const dir = compactable();
    const before = records(dir);
    const r = await interruptAt(['compact', dir, ...COMPACT], 'compact-group-2', 'SIGTERM');
    expect(r.status).toBe(143);
    expect(r.stderr).toMatch(/interrupted: compaction interrupted before its swap: the partition is unchanged/);
    expect(kseg(['verify', dir]).status).toBe(0);
    expect(records(dir)).toBe(before);
    expect(fs.readdirSync(dir).filter((f) => /\.cleaned|\.swap|kseg-intent/.test(f))).toEqual([]);
  }, 120_000);

  it('just before the swap: unchanged; run to the end afterwards, the records equal an uninterrupted compaction', async () => {
    const dir = compactable();
    const ref = compactable();
    expect(kseg(['compact', ref, ...COMPACT]).status).toBe(0);
    const before = records(dir);
    const r = await interruptAt(['compact', dir, ...COMPACT], 'compact-swap');
    expect(r.status).toBe(130);
    expect(records(dir)).toBe(before);
    expect(kseg(['compact', dir, ...COMPACT]).status).toBe(0);
    expect(kseg(['verify', dir]).status).toBe(0);
    expect(records(dir)).toBe(records(ref));
  }, 120_000);

  it('inside a group, before one of its segments is cleaned: unchanged, nothing left behind', async () => {
    const dir = compactable();
    const before = records(dir);
    const r = await interruptAt(['compact', dir, ...COMPACT], 'compact-segment');
    expect(r.status).toBe(130);
    expect(r.stderr).toMatch(/interrupted: compaction interrupted before its swap: the partition is unchanged/);
    expect(kseg(['verify', dir]).status).toBe(0);
    expect(records(dir)).toBe(before);
    expect(fs.readdirSync(dir).filter((f) => /\.cleaned|\.swap|kseg-intent/.test(f))).toEqual([]);
  }, 120_000);

  it('a dry run interrupted says nothing was changed', async () => {
    const dir = compactable();
    const r = await interruptAt(['compact', dir, '--dry-run', '--now', '1700000100000'], 'compact-group-1');
    expect(r.status).toBe(130);
    expect(r.stderr).toMatch(/interrupted: compaction dry run interrupted: nothing was changed/);
  }, 120_000);
});

describe('Ctrl-C during kseg slice (spawned CLI)', () => {
  it('while reading the input: exit 130, nothing written, the input untouched', async () => {
    const dir = path.join(tmpDir(), 'multi-0');
    fs.cpSync(path.join(FIXTURES, 'v2-multiseg', 'topic-0'), dir, { recursive: true });
    const out = path.join(tmpDir(), 'slice-0');
    const before = records(dir);
    const r = await interruptAt(['slice', dir, '--from-offset', '100', '--to-offset', '300', '-o', out], 'slice-segment-2');
    expect(r.status).toBe(130);
    expect(r.stderr).toMatch(/^kseg: interrupted: slice interrupted while reading 0+\d+\.log: nothing was written/m);
    expect(fs.existsSync(out)).toBe(false);
    expect(records(dir)).toBe(before);
  }, 120_000);
});

const SCRIPT = ['/usr/bin/script', '/bin/script'].find((p) => fs.existsSync(p));

describe.skipIf(!SCRIPT)('Ctrl-C on a pseudo-terminal (script -qc)', () => {
  if (!SCRIPT) console.log('note: util-linux script(1) absent, pseudo-terminal interrupt test skipped');
  it('kseg compact interrupted by SIGINT on a terminal: exit 130 and the state line', async () => {
    const dir = compactable();
    const ready = path.join(tmpDir(), 'ready');
    const q = (a: string) => `'${a.replace(/'/g, `'\\''`)}'`;
    // The shell inside the pty runs kseg in the background and sends it SIGINT once it waits at the step.
    const cmd =
      `KSEG_TEST_PAUSE=compact-group-1:${q(ready)} ${[process.execPath, BIN, 'compact', dir, ...COMPACT].map(q).join(' ')} & ` +
      `while [ ! -e ${q(ready)} ]; do sleep 0.05; done; kill -INT $!; wait $!; echo "exit=$?"`;
    const r = spawnSync(SCRIPT!, ['-qec', cmd, '/dev/null'], {
      encoding: 'utf8',
      timeout: 60_000,
      env: { PATH: process.env.PATH, HOME: process.env.HOME, TERM: 'xterm-256color', NO_COLOR: '1' },
    });
    const out = r.stdout.replace(/\r/g, '');
    expect(out).toMatch(/kseg: interrupted: compaction interrupted before its swap: the partition is unchanged/);
    expect(out).toMatch(/exit=130/);
    expect(kseg(['verify', dir]).status).toBe(0);
  }, 120_000);
});
