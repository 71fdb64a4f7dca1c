import { spawnSync } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { FIXTURES, kseg, tmpDir } from './helpers.js';
import { BIN, interruptAt } from './interrupt-helpers.js';

/**
 * Issue 18, "Ctrl-C: exit 130 and say what state the partition is in", for the commands whose ops
 * were synchronous: truncate, recover, rebuild-index, salvage, import, generate. Their bodies
 * yield safe points (ops/interrupt.ts) that the CLI steps through, so a signal stops them there.
 * KSEG_TEST_PAUSE holds the op at one exact safe point; after the signal: exit 130 (143 for
 * SIGTERM), one stderr line saying the state, no stack trace, no lock or temporary file left, and
 * the data either untouched (byte for byte) or, where the line says so, finished by one more run
 * to exactly what an uninterrupted run gives. Kafka's reference: UnifiedLog.truncateTo and
 * LogLoader's recovery are crash-safe because every step is a rename of a complete file or a
 * truncation; the safe points sit between such steps, never between a write and its fsync+rename.
 */

function records(dir: string): string {
  const r = kseg(['dump', dir, '--ndjson']);
  expect(r.status, r.stderr).toBe(0);
  return r.stdout;
}

/** Every file of a directory with a hash of its bytes: "unchanged" means byte for byte. */
function files(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const f of fs.readdirSync(dir).sort())
    out[f] = crypto
      .createHash('sha1')
      .update(fs.readFileSync(path.join(dir, f)))
      .digest('hex');
  return out;
}

function copy(fixture: string, name = 'topic-0'): string {
  const dir = path.join(tmpDir(), name);
  fs.cpSync(path.join(FIXTURES, fixture, 'topic-0'), dir, { recursive: true });
  return dir;
}

/** v2-multiseg (10 segments) with a torn tail in its 5th segment: recover --full cuts it and deletes the 5 segments after it. */
function tornTail(): string {
  const dir = copy('v2-multiseg');
  const f = path.join(dir, '00000000000000000472.log');
  fs.truncateSync(f, fs.statSync(f).size - 10);
  return dir;
}

function expectOneStateLine(stderr: string, state: RegExp): void {
  const lines = stderr.split('\n').filter((l) => l.startsWith('kseg: interrupted:'));
  expect(lines, stderr).toHaveLength(1);
  expect(lines[0]).toMatch(state);
  expect(stderr).not.toMatch(/\n\s+at /);
}

function leftovers(dir: string): string[] {
  return fs.readdirSync(dir).filter((f) => /kseg\.lock|kseg-intent|kseg-tmp|\.tmp$|kseg-import/.test(f));
}

describe('Ctrl-C during kseg truncate (spawned CLI)', () => {
  const TRUNCATE = ['--to-offset', '300', '--yes'];
  it('while the partition is scanned: exit 130, "the partition is unchanged", byte for byte, verify clean, no lock left', async () => {
    const dir = copy('v2-multiseg');
    const before = files(dir);
    const r = await interruptAt(['truncate', dir, ...TRUNCATE], 'scan-segment-2');
    expect(r.status).toBe(130);
    expectOneStateLine(r.stderr, /^kseg: interrupted: truncate stopped before any file changed: the partition is unchanged$/);
    expect(files(dir)).toEqual(before);
    expect(leftovers(dir)).toEqual([]);
    expect(kseg(['verify', dir]).status).toBe(0);
  }, 120_000);

  it('just before the intent is written, with SIGTERM: exit 143, unchanged; a second run equals an uninterrupted truncation', async () => {
    const dir = copy('v2-multiseg');
    const ref = copy('v2-multiseg', 'ref-0');
    expect(kseg(['truncate', ref, ...TRUNCATE]).status).toBe(0);
    const before = files(dir);
    expect(records(ref)).not.toBe(records(dir)); // the truncation changes something, so "unchanged" can fail
    const r = await interruptAt(['truncate', dir, ...TRUNCATE], 'truncate-apply', 'SIGTERM');
    expect(r.status).toBe(143);
    expectOneStateLine(r.stderr, /truncate stopped before any file changed: the partition is unchanged/);
    expect(r.stdout).toBe('');
    expect(files(dir)).toEqual(before);
    expect(kseg(['truncate', dir, ...TRUNCATE]).status).toBe(0);
    expect(kseg(['verify', dir]).status).toBe(0);
    expect(records(dir)).toBe(records(ref));
  }, 120_000);

  it("in the cut segment's walk: unchanged", async () => {
    const dir = copy('v2-multiseg');
    const before = files(dir);
    const r = await interruptAt(['truncate', dir, ...TRUNCATE], 'truncate-cut');
    expect(r.status).toBe(130);
    expect(files(dir)).toEqual(before);
  }, 120_000);
});

describe('Ctrl-C during kseg recover --full (spawned CLI)', () => {
  it('during the scan and just before the first change: exit 130, the partition byte for byte unchanged', async () => {
    for (const step of ['scan-segment-3', 'recover-apply']) {
      const dir = tornTail();
      const before = files(dir);
      const r = await interruptAt(['recover', dir, '--full', '--yes'], step);
      expect(r.status, step).toBe(130);
      expectOneStateLine(r.stderr, /^kseg: interrupted: recover stopped before any file changed: the partition is unchanged$/);
      expect(files(dir)).toEqual(before);
      expect(leftovers(dir)).toEqual([]);
    }
  }, 120_000);

  it('between its changes: "run kseg recover again"; the second run gives exactly an uninterrupted recovery, verify clean', async () => {
    const dir = tornTail();
    const ref = tornTail();
    expect(kseg(['recover', ref, '--full', '--yes']).status).toBe(0);
    const r = await interruptAt(['recover', dir, '--full', '--yes'], 'recover-action-4');
    expect(r.status).toBe(130);
    expectOneStateLine(r.stderr, /^kseg: interrupted: recover stopped after 3 of 19 planned changes: the partition is partly recovered .*; run kseg recover again to finish it$/);
    expect(fs.readdirSync(dir)).not.toContain('00000000000000001084.log'); // the first actions ran
    expect(fs.readdirSync(dir)).toContain('00000000000000000965.log'); // ... and no more
    expect(leftovers(dir)).toEqual([]);
    expect(kseg(['recover', dir, '--full', '--yes']).status).toBe(0);
    expect(kseg(['verify', dir]).status).toBe(0);
    expect(files(dir)).toEqual(files(ref));
  }, 120_000);

  it('while --backup copies: unchanged, the line names the incomplete backup', async () => {
    const dir = tornTail();
    const backup = tmpDir();
    const before = files(dir);
    const r = await interruptAt(['recover', dir, '--full', '--yes', '--backup', backup], 'recover-backup');
    expect(r.status).toBe(130);
    expectOneStateLine(
      r.stderr,
      /recover stopped while backing up, before any file of the partition changed: the partition is unchanged \(the incomplete backup .* can be deleted\)/,
    );
    expect(files(dir)).toEqual(before);
  }, 120_000);
});

describe('Ctrl-C during kseg rebuild-index (spawned CLI)', () => {
  function noIndexes(): string {
    const dir = copy('v2-multiseg');
    for (const f of fs.readdirSync(dir)) if (f.endsWith('.index')) fs.rmSync(path.join(dir, f));
    return dir;
  }
  it('during the scan and before the writes: exit 130, unchanged (the missing indexes stay missing); a second run rebuilds them all', async () => {
    for (const step of ['scan-segment-2', 'rebuild-index-write']) {
      const dir = noIndexes();
      const before = files(dir);
      const r = await interruptAt(['rebuild-index', dir, '--yes'], step);
      expect(r.status, step).toBe(130);
      expectOneStateLine(r.stderr, /^kseg: interrupted: rebuild-index stopped before any index file was written: the partition is unchanged$/);
      expect(files(dir)).toEqual(before);
      expect(leftovers(dir)).toEqual([]);
      const ref = noIndexes();
      expect(kseg(['rebuild-index', ref, '--yes']).status).toBe(0);
      expect(files(ref)).not.toEqual(before); // the rebuild writes files, so "unchanged" can fail
      expect(kseg(['rebuild-index', dir, '--yes']).status).toBe(0);
      expect(files(dir)).toEqual(files(ref));
    }
  }, 120_000);
});

describe('Ctrl-C during kseg salvage (spawned CLI)', () => {
  it('while reading the input and while writing the output: exit 130, the output not created, no temporary directory left, the input unchanged', async () => {
    for (const step of ['salvage-segment-2', 'write-segment-3', 'write-rename']) {
      const input = tornTail();
      const parent = tmpDir();
      const out = path.join(parent, 'salvaged-0');
      const before = files(input);
      const r = await interruptAt(['salvage', input, '-o', out], step);
      expect(r.status, step).toBe(130);
      expectOneStateLine(
        r.stderr,
        /^kseg: interrupted: salvage stopped before its output was complete: .*salvaged-0 was not created \(its temporary directory was removed\); the input is unchanged$/,
      );
      expect(fs.readdirSync(parent)).toEqual([]);
      expect(files(input)).toEqual(before);
    }
  }, 120_000);
});

describe('Ctrl-C during kseg import (spawned CLI)', () => {
  it('while reading rows, in the index rebuild and before the rename: exit 130, no output, no temporary directory; a second import succeeds and equals the source', async () => {
    const src = path.join(FIXTURES, 'v2-multiseg', 'topic-0');
    const exported = path.join(tmpDir(), 'p.ndjson');
    expect(kseg(['export', src, '--format', 'ndjson', '-o', exported]).status).toBe(0);
    for (const [step, sig, code] of [
      ['import-read', 'SIGINT', 130],
      ['scan-segment-2', 'SIGTERM', 143],
      ['import-rename', 'SIGINT', 130],
    ] as const) {
      const parent = tmpDir();
      const out = path.join(parent, 'imported-0');
      const r = await interruptAt(['import', exported, '-o', out], step, sig);
      expect(r.status, step).toBe(code);
      expectOneStateLine(
        r.stderr,
        /^kseg: interrupted: import stopped before its output was complete: .*imported-0 was not created \(its temporary directory was removed\); .*p\.ndjson is unchanged$/,
      );
      expect(fs.readdirSync(parent)).toEqual([]);
      expect(kseg(['import', exported, '-o', out]).status).toBe(0);
      expect(kseg(['verify', out]).status).toBe(0);
      expect(records(out)).toBe(records(src));
    }
  }, 180_000);
});

describe('Ctrl-C during kseg export (spawned CLI)', () => {
  it('before a file is committed: exit 130, its temporary file removed, the outputs finished before it complete; an uninterrupted export writes them all', async () => {
    // a log dir of two partitions: stop before the first one's rename, then before the second one's
    const logDir = tmpDir();
    for (const f of ['v2-multiseg', 'v2-none']) fs.cpSync(path.join(FIXTURES, f, 'topic-0'), path.join(logDir, `${f}-0`), { recursive: true });
    for (const [step, sig, code, complete] of [
      ['export-commit-1', 'SIGINT', 130, []],
      ['export-commit-2', 'SIGTERM', 143, ['v2-multiseg']],
    ] as const) {
      for (const format of ['parquet', 'ndjson']) {
        const out = tmpDir();
        const r = await interruptAt(['export', logDir, '--format', format, '-o', out], step, sig);
        expect(r.status, `${step} ${format}`).toBe(code);
        expect(r.stdout).toBe('');
        const written = fs.readdirSync(out).sort();
        expect(written).toHaveLength(complete.length);
        expect(leftovers(out)).toEqual([]);
        if (complete.length === 0) {
          expectOneStateLine(
            r.stderr,
            /^kseg: interrupted: export interrupted: .*\.(parquet|ndjson) was not written \(its temporary file was removed\); nothing else was written$/,
          );
        } else {
          expectOneStateLine(
            r.stderr,
            /^kseg: interrupted: export interrupted: .*v2-none-0\.(parquet|ndjson) was not written \(its temporary file was removed\); complete before it: .*v2-multiseg-0\.(parquet|ndjson)$/,
          );
          // the one finished before the signal is the whole partition
          const ref = tmpDir();
          expect(kseg(['export', path.join(logDir, 'v2-multiseg-0'), '--format', format, '-o', path.join(ref, written[0]!)]).status).toBe(0);
          expect(fs.readFileSync(path.join(out, written[0]!))).toEqual(fs.readFileSync(path.join(ref, written[0]!)));
        }
      }
    }
    // not a test of nothing: the same export uninterrupted writes both files
    const all = tmpDir();
    expect(kseg(['export', logDir, '--format', 'ndjson', '-o', all]).status).toBe(0);
    expect(fs.readdirSync(all).sort()).toEqual(['v2-multiseg-0.ndjson', 'v2-none-0.ndjson']);
  }, 120_000);
});

describe('Ctrl-C during kseg generate (spawned CLI)', () => {
  it('between appends: exit 130, the directory it created is removed', async () => {
    const parent = tmpDir();
    const out = path.join(parent, 'gen-0');
    const r = await interruptAt(['generate', out, '--records', '20000', '--segment-bytes', '64k'], 'generate-append');
    expect(r.status).toBe(130);
    expectOneStateLine(r.stderr, /^kseg: interrupted: generate stopped: .*gen-0 was removed \(this run had created it\)$/);
    expect(fs.readdirSync(parent)).toEqual([]);
  }, 120_000);

  it('into an existing empty directory, before the injected fault: the files it wrote are removed, the directory stays', async () => {
    const out = tmpDir();
    const r = await interruptAt(['generate', out, '--records', '2000', '--segment-bytes', '8k', '--corrupt', 'crc'], 'generate-corrupt', 'SIGTERM');
    expect(r.status).toBe(143);
    expectOneStateLine(r.stderr, /generate stopped: the files this run had written in .* were removed/);
    expect(fs.readdirSync(out)).toEqual([]);
  }, 120_000);
});

const SCRIPT = ['/usr/bin/script', '/bin/script'].find((p) => fs.existsSync(p));

describe.skipIf(!SCRIPT)('Ctrl-C on a pseudo-terminal (script -qc) during kseg truncate', () => {
  if (!SCRIPT) console.log('note: util-linux script(1) absent, pseudo-terminal interrupt test skipped');
  it('exit 130, the state line after a fresh line, the partition unchanged', () => {
    const dir = copy('v2-multiseg');
    const before = files(dir);
    const ready = path.join(tmpDir(), 'ready');
    const q = (a: string) => `'${a.replace(/'/g, `'\\''`)}'`;
    // The shell inside the pty runs kseg in the background and sends it SIGINT (what the terminal
    // sends its foreground job on Ctrl-C) once it waits at the step.
    const cmd =
      `KSEG_TEST_PAUSE=scan-segment-3:${q(ready)} ${[process.execPath, BIN, 'truncate', dir, '--to-offset', '300', '--yes'].map(q).join(' ')} & ` +
      `while [ ! -e ${q(ready)} ]; do sleep 0.05; done; kill -INT $!; wait $!; echo "exit=$?"`;
    const r = spawnSync(SCRIPT!, ['-qec', cmd, '/dev/null'], {
      encoding: 'utf8',
      timeout: 60_000,
      env: { PATH: process.env.PATH, HOME: process.env.HOME, TERM: 'xterm-256color', NO_COLOR: '1' },
    });
    const out = r.stdout.replace(/\r/g, '');
    expect(out).toMatch(/\nkseg: interrupted: truncate stopped before any file changed: the partition is unchanged\n/);
    expect(out).toMatch(/exit=130/);
    expect(files(dir)).toEqual(before);
    expect(kseg(['verify', dir]).status).toBe(0);
  }, 120_000);
});

describe('library: the step forms', () => {
  it('runStoppable(truncateSteps) with an aborted signal throws Interrupted with the state and releases the lock; runToEnd equals truncate', async () => {
    const { truncateSteps, truncate, runStoppable, runToEnd, Interrupted } = await import('../src/index.js');
    const dir = copy('v2-multiseg');
    const before = files(dir);
    const ac = new AbortController();
    ac.abort();
    const at = { state: '' };
    const e = await runStoppable(truncateSteps(dir, { toOffset: 300 }, at), ac.signal, at).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(Interrupted);
    expect((e as InstanceType<typeof Interrupted>).state).toBe('truncate stopped before any file changed: the partition is unchanged');
    expect(files(dir)).toEqual(before); // no .kseg.lock either
    const ref = copy('v2-multiseg', 'ref-0');
    const a = runToEnd(truncateSteps(dir, { toOffset: 300 }));
    const b = truncate(ref, { toOffset: 300 });
    expect(a.after).toEqual(b.after);
    expect(records(dir)).toBe(records(ref));
  });
});
