import fs from 'node:fs';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { FIXTURES, ROOT, kseg, tmpDir } from './helpers.js';

// issue 18 "One confirmation policy": every mutating command shows its plan and asks on a terminal
// unless --yes; scripts (stdin not a TTY) are never asked. Run under a pseudo-terminal with script(1).
const HAVE_SCRIPT = spawnSync('script', ['--version'], { encoding: 'utf8' }).status === 0;

function q(s: string): string {
  return `'${s.replace(/'/g, `'\\''`)}'`;
}

/** Run kseg in a pseudo-terminal (stdin, stdout, stderr all TTYs), typing `answer`. */
function ptyKseg(args: string[], answer: string): { status: number | null; out: string } {
  const cmd = [process.execPath, path.join(ROOT, 'bin', 'kseg.js'), ...args].map(q).join(' ');
  const r = spawnSync('script', ['-qec', cmd, '/dev/null'], { encoding: 'utf8', input: answer, env: { ...process.env, NO_COLOR: '1' }, timeout: 60_000 });
  return { status: r.status, out: r.stdout.replace(/\x1b\[[0-9;]*[A-Za-z]/g, '') };
}

/** A partition with 100 bytes of garbage after the last batch of its last segment (recovery cuts it). */
function damaged(): { dir: string; log: string; size: number } {
  const dir = path.join(tmpDir(), 'orders-0');
  fs.cpSync(path.join(FIXTURES, 'v2-multiseg', 'topic-0'), dir, { recursive: true });
  const log = path.join(
    dir,
    fs
      .readdirSync(dir)
      .filter((f) => f.endsWith('.log'))
      .sort()
      .pop()!,
  );
  fs.appendFileSync(log, Buffer.alloc(100, 0x41));
  return { dir, log, size: fs.statSync(log).size };
}

function withoutIndex(): { dir: string; index: string } {
  const dir = path.join(tmpDir(), 'orders-0');
  fs.cpSync(path.join(FIXTURES, 'v2-multiseg', 'topic-0'), dir, { recursive: true });
  const index = path.join(
    dir,
    fs
      .readdirSync(dir)
      .filter((f) => f.endsWith('.index'))
      .sort()[0]!,
  );
  fs.rmSync(index);
  return { dir, index };
}

describe.skipIf(!HAVE_SCRIPT)('confirmation on a terminal (script -qc pseudo-terminal)', () => {
  it('recover shows the plan, suggests --backup, and changes nothing when the answer is no', () => {
    const { dir, log, size } = damaged();
    const r = ptyKseg(['recover', dir], 'n\n');
    expect(r.status).toBe(0);
    expect(r.out).toMatch(/plan for .*orders-0:/);
    expect(r.out).toMatch(/truncate\s+\S+\.log at byte \d+ \(100 bytes, 0 records\)/);
    expect(r.out).toContain('add --backup DIR');
    expect(r.out).toContain('Apply this recovery? [y/N]');
    expect(r.out).toContain('nothing changed');
    expect(fs.statSync(log).size).toBe(size);
  });

  it('recover applies on yes', () => {
    const { dir, log, size } = damaged();
    const r = ptyKseg(['recover', dir], 'y\n');
    expect(r.status).toBe(0);
    expect(r.out).toMatch(/recovered .*orders-0:/);
    expect(fs.statSync(log).size).toBe(size - 100);
  });

  it('recover --backup does not suggest --backup; --yes and --dry-run never ask', () => {
    const { dir, log, size } = damaged();
    const b = ptyKseg(['recover', dir, '--backup', tmpDir()], 'n\n');
    expect(b.out).toContain('Apply this recovery?');
    expect(b.out).not.toContain('add --backup');
    expect(fs.statSync(log).size).toBe(size);
    const d = ptyKseg(['recover', dir, '--dry-run'], 'n\n');
    expect(d.out).not.toContain('[y/N]');
    expect(fs.statSync(log).size).toBe(size);
    const y = ptyKseg(['recover', dir, '--yes'], 'n\n');
    expect(y.out).not.toContain('[y/N]');
    expect(fs.statSync(log).size).toBe(size - 100);
  });

  it('rebuild-index shows the files and asks before rewriting', () => {
    const { dir, index } = withoutIndex();
    const r = ptyKseg(['rebuild-index', dir], 'n\n');
    expect(r.out).toMatch(/dry run: \d+ files? would be rewritten/);
    expect(r.out).toMatch(/Rewrite \d+ index files?\? \[y\/N\]/);
    expect(r.out).toContain('nothing changed');
    expect(fs.existsSync(index)).toBe(false);
    const y = ptyKseg(['rebuild-index', dir], 'yes\n');
    expect(y.out).toMatch(/\d+ files? rewritten/);
    expect(fs.existsSync(index)).toBe(true);
    // --check never asks: it writes nothing.
    expect(ptyKseg(['rebuild-index', dir, '--check'], 'n\n').out).not.toContain('[y/N]');
  });

  it('truncate asks on a terminal (prompt on stderr since the shared helper)', () => {
    const { dir } = withoutIndex();
    const r = ptyKseg(['truncate', dir, '--to-offset', '100'], 'n\n');
    expect(r.out).toContain('Apply this truncation? [y/N]');
    expect(r.out).toContain('nothing changed');
  });
});

describe('scripts are never asked (stdin not a terminal)', () => {
  it('recover and rebuild-index run without a prompt when stdin is a pipe', () => {
    const { dir, log, size } = damaged();
    const r = kseg(['recover', dir], { input: '' });
    expect(r.status).toBe(0);
    expect(r.stdout + r.stderr).not.toContain('[y/N]');
    expect(fs.statSync(log).size).toBe(size - 100);
    const w = withoutIndex();
    const b = kseg(['rebuild-index', w.dir], { input: '' });
    expect(b.stdout + b.stderr).not.toContain('[y/N]');
    expect(fs.existsSync(w.index)).toBe(true);
  });
});
