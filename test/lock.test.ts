import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { compact } from '../src/ops/compact.js';
import { rebuildIndex } from '../src/ops/rebuild-index.js';
import { recover } from '../src/ops/recover/index.js';
import { truncate } from '../src/ops/truncate.js';
import { verify } from '../src/ops/verify/index.js';
import { KsegError } from '../src/format/errors.js';
import { acquirePartitionLock, type LockHolder } from '../src/storage/lock.js';
import { onStorageNote } from '../src/storage/notes.js';
import { copyPartition, FIXTURES, kseg, ROOT, tmpDir } from './helpers.js';
import { allRecords } from './partition-builder.js';
import { exitCodeFor } from '../src/cli/exit-codes.js';

// Issue 12, item 5: two kseg writers on one partition must not interleave. kseg's own lock is
// `<partition>/.kseg.lock` (O_EXCL), stale when its pid is gone; a second writer exits 4 at once.

const LOCK = '.kseg.lock';
const fixture = (c: string) => path.join(FIXTURES, c, 'topic-0');
const roots: string[] = [];
const children: ChildProcess[] = [];

afterAll(() => {
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  for (const r of roots) fs.rmSync(r, { recursive: true, force: true });
});

function partition(c = 'v2-multiseg'): string {
  const dir = copyPartition(fixture(c));
  roots.push(path.dirname(dir));
  return dir;
}

function holder(over: Partial<LockHolder>): LockHolder {
  return { pid: 1, host: os.hostname(), command: 'compact', argv: 'compact /x', startedAt: '2026-12-07T03:00:00.000Z', token: 'feedfacefeedface', ...over };
}

/** The pid of a process that has exited. */
function deadPid(): number {
  const r = spawnSync(process.execPath, ['-e', '0']);
  return r.pid!;
}

function thrown(fn: () => unknown): KsegError {
  try {
    fn();
  } catch (e) {
    if (e instanceof KsegError) return e;
    throw e;
  }
  throw new Error('did not throw');
}

describe('kseg partition lock (in process)', () => {
  it('is created with O_EXCL content naming the holder, taken again by the same process, removed on release', () => {
    const dir = partition();
    const a = acquirePartitionLock(dir, 'truncate');
    const text = JSON.parse(fs.readFileSync(path.join(dir, LOCK), 'utf8'));
    expect(text).toMatchObject({ pid: process.pid, host: os.hostname(), command: 'truncate' });
    expect(Date.parse(text.startedAt)).not.toBeNaN();
    const b = acquirePartitionLock(dir, 'recover');
    b.release();
    expect(fs.existsSync(path.join(dir, LOCK))).toBe(true);
    a.release();
    a.release();
    expect(fs.existsSync(path.join(dir, LOCK))).toBe(false);
  });

  it('a live holder (another pid on this host) makes truncate, recover, rebuild-index and compact fail with KSEG_LOCKED, exit 4, naming it; the lock stays', async () => {
    const dir = partition();
    const sleeper = spawn('sleep', ['60']);
    children.push(sleeper);
    const lockText = JSON.stringify(holder({ pid: sleeper.pid!, argv: 'compact /data/orders-3' })) + '\n';
    fs.writeFileSync(path.join(dir, LOCK), lockText);
    const before = allRecords(dir);
    for (const run of [() => truncate(dir, { toOffset: 10 }), () => recover(dir), () => rebuildIndex(dir)]) {
      const e = thrown(run);
      expect(e).toMatchObject({ code: 'KSEG_LOCKED', file: path.join(fs.realpathSync(dir), LOCK) });
      expect(exitCodeFor(e)).toBe(4);
      expect(e.message).toContain(`pid ${sleeper.pid} on ${os.hostname()}, \`kseg compact /data/orders-3\`, since 2026-12-07T03:00:00.000Z`);
    }
    await expect(compact(dir, { now: 1_700_000_000_000 })).rejects.toMatchObject({ code: 'KSEG_LOCKED' });
    expect(fs.readFileSync(path.join(dir, LOCK), 'utf8')).toBe(lockText);
    expect(allRecords(dir)).toEqual(before);
    // Readers and dry runs do not need the lock, and verify does not report kseg's lock file.
    expect(truncate(dir, { toOffset: 10, dryRun: true }).dryRun).toBe(true);
    const v = verify([dir]);
    expect(v.ok).toBe(true);
    expect(v.issues.filter((i) => i.file?.includes(LOCK))).toEqual([]);
    sleeper.kill('SIGKILL');
  });

  it('a lock whose pid is gone is stale: taken over with a note, and removed at the end', () => {
    const dir = partition();
    const pid = deadPid();
    fs.writeFileSync(path.join(dir, LOCK), JSON.stringify(holder({ pid })));
    const notes: string[] = [];
    const prev = onStorageNote((m) => notes.push(m));
    try {
      truncate(dir, { toOffset: 500 });
    } finally {
      onStorageNote(prev);
    }
    expect(notes).toHaveLength(1);
    expect(notes[0]).toContain(`took over a stale kseg lock (pid ${pid} on ${os.hostname()}`);
    expect(fs.readdirSync(dir).filter((f) => f.startsWith(LOCK))).toEqual([]);
    expect(Math.max(...allRecords(dir).map((r) => r.offset))).toBeLessThan(500);
  });

  it.runIf(fs.existsSync('/proc/self/stat'))('a reused pid (same pid, other process start time) is stale', () => {
    const dir = partition();
    const sleeper = spawn('sleep', ['60']);
    children.push(sleeper);
    fs.writeFileSync(path.join(dir, LOCK), JSON.stringify(holder({ pid: sleeper.pid!, processStart: '1' })));
    const l = acquirePartitionLock(dir, 'recover');
    expect(l.tookOver?.pid).toBe(sleeper.pid);
    l.release();
    sleeper.kill('SIGKILL');
  });

  it('a lock from another host is never assumed stale; an unreadable lock is refused too', () => {
    const dir = partition();
    fs.writeFileSync(path.join(dir, LOCK), JSON.stringify(holder({ pid: deadPid(), host: 'other-host.example' })));
    const e = thrown(() => truncate(dir, { toOffset: 10 }));
    expect(e).toMatchObject({ code: 'KSEG_LOCKED' });
    expect(exitCodeFor(e)).toBe(4);
    expect(e.message).toMatch(/on other-host\.example.*another host/);
    fs.writeFileSync(path.join(dir, LOCK), '');
    expect(thrown(() => truncate(dir, { toOffset: 10 })).message).toMatch(/unreadable/);
  });

  it('on a read-only file system no lock is needed: a recover with nothing to do still succeeds', () => {
    const dir = partition();
    const real = fs.writeFileSync;
    const spy = vi.spyOn(fs, 'writeFileSync').mockImplementation(((p: fs.PathOrFileDescriptor, ...rest: unknown[]) => {
      if (typeof p === 'string' && path.basename(p).startsWith(LOCK)) throw Object.assign(new Error('read-only file system'), { code: 'EROFS' });
      return (real as (...a: unknown[]) => void)(p, ...rest);
    }) as typeof fs.writeFileSync);
    try {
      expect(recover(dir).actions).toEqual([]);
    } finally {
      spy.mockRestore();
    }
    expect(fs.existsSync(path.join(dir, LOCK))).toBe(false);
  });

  it('released when the command fails (truncate refusing unfinished compaction work)', () => {
    const dir = partition();
    fs.copyFileSync(path.join(dir, '00000000000000000000.log'), path.join(dir, '00000000000000000000.log.swap'));
    expect(() => truncate(dir, { toOffset: 10 })).toThrow(KsegError);
    expect(fs.existsSync(path.join(dir, LOCK))).toBe(false);
  });

  it('released after compact, also when compact fails', async () => {
    const dir = partition('v2-compact');
    await compact(dir, { now: 1_700_000_000_000 });
    expect(fs.existsSync(path.join(dir, LOCK))).toBe(false);
    fs.copyFileSync(path.join(dir, '00000000000000000000.log'), path.join(dir, '00000000000000000000.log.swap'));
    await expect(compact(dir, { now: 1_700_000_000_000 })).rejects.toBeInstanceOf(KsegError);
    expect(fs.existsSync(path.join(dir, LOCK))).toBe(false);
  });
});

// ------------------------------------------------------------------------------------- CLI, spawned

describe('kseg partition lock across processes (built CLI)', () => {
  let big = '';
  beforeAll(() => {
    const root = tmpDir();
    roots.push(root);
    big = path.join(root, 'orders-0');
    const r = kseg(['generate', big, '--records', '100000', '--key-space', '1000', '--segment-bytes', '2m']);
    expect(r.status, r.stderr).toBe(0);
  });

  function copyBig(): string {
    const root = tmpDir();
    roots.push(root);
    const dir = path.join(root, 'orders-0');
    fs.cpSync(big, dir, { recursive: true });
    return dir;
  }

  function startCompaction(dir: string): ChildProcess {
    const c = spawn(process.execPath, [path.join(ROOT, 'bin', 'kseg.js'), 'compact', dir, '--now', '1700000000000', '--json'], {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, NO_COLOR: '1' },
    });
    children.push(c);
    return c;
  }

  /** Wait until the child has taken the lock (or fail if it ended first). */
  async function lockTaken(c: ChildProcess, dir: string): Promise<void> {
    const f = path.join(dir, LOCK);
    while (!fs.existsSync(f)) {
      if (c.exitCode !== null || c.signalCode !== null) throw new Error(`the compaction ended (${c.exitCode ?? c.signalCode}) before its lock was seen`);
      await new Promise((r) => setTimeout(r, 1));
    }
  }

  const exited = (c: ChildProcess) =>
    new Promise<{ code: number | null; signal: string | null }>((resolve) => {
      if (c.exitCode !== null || c.signalCode !== null) resolve({ code: c.exitCode, signal: c.signalCode });
      else c.once('exit', (code, signal) => resolve({ code, signal }));
    });

  it('two compactions at once: the second exits 4 at once naming the first; the first completes', async () => {
    const dir = copyBig();
    const first = startCompaction(dir);
    await lockTaken(first, dir);
    first.kill('SIGSTOP'); // hold it mid-compaction, whatever the machine's speed
    try {
      const second = kseg(['compact', dir, '--now', '1700000000000', '--json']);
      expect(second.status).toBe(4);
      expect(second.stdout).toBe('');
      expect(second.stderr).toContain(`the partition is being changed by another kseg (pid ${first.pid} on ${os.hostname()}, \`kseg compact ${dir} --now 1700000000000 --json\``);
      expect(JSON.parse(second.stderr.split('\n')[1]!).error.code).toBe('KSEG_LOCKED');
      // Another mutating command is refused the same way; a reader is not.
      expect(kseg(['truncate', dir, '--to-offset', '5', '--json']).status).toBe(4);
      expect(kseg(['info', dir, '--json']).status).toBe(0);
    } finally {
      first.kill('SIGCONT');
    }
    expect(await exited(first)).toEqual({ code: 0, signal: null });
    expect(fs.readdirSync(dir).filter((f) => f.startsWith(LOCK) || /\.(cleaned|swap|deleted)$/.test(f))).toEqual([]);
    expect(verify([dir]).ok).toBe(true);
  });

  // SIGTERM and SIGINT stop compact at a safe point (issue 18, src/cli/interrupt.ts): its lock goes with it.
  for (const [sig, code] of [
    ['SIGTERM', 143],
    ['SIGINT', 130],
  ] as const) {
    it(`${sig} mid-compaction stops at a safe point: exit ${code}, one line saying the state, its lock and scratch files gone, verify clean`, async () => {
      const dir = copyBig();
      const before = allRecords(dir).length;
      const c = startCompaction(dir);
      let err = '';
      c.stderr!.on('data', (d: Buffer) => (err += d.toString()));
      await lockTaken(c, dir);
      c.kill(sig);
      expect(await exited(c)).toEqual({ code, signal: null });
      expect(err).toMatch(/^kseg: interrupted: /m);
      expect(fs.readdirSync(dir).filter((f) => f.startsWith(LOCK) || /\.(cleaned|swap|deleted|kseg-tmp)$/.test(f))).toEqual([]);
      expect(verify([dir]).ok).toBe(true);
      expect(allRecords(dir).length).toBeLessThanOrEqual(before);
    });
  }

  for (const sig of ['SIGKILL'] as const) {
    it(`${sig} mid-compaction dies at once and leaves its lock; the next kseg takes it over with a note and recover completes the work`, async () => {
      const dir = copyBig();
      const before = allRecords(dir).length;
      const c = startCompaction(dir);
      await lockTaken(c, dir);
      c.kill(sig);
      expect(await exited(c)).toEqual({ code: null, signal: sig });
      expect(JSON.parse(fs.readFileSync(path.join(dir, LOCK), 'utf8')).pid).toBe(c.pid);
      const r = kseg(['recover', dir, '--json']);
      expect(r.status, r.stderr).toBe(0);
      expect(r.stderr).toContain(`kseg: note: took over a stale kseg lock (pid ${c.pid} on ${os.hostname()}`);
      expect(fs.readdirSync(dir).filter((f) => f.startsWith(LOCK) || /\.(cleaned|swap|deleted|kseg-tmp)$/.test(f))).toEqual([]);
      expect(verify([dir]).ok).toBe(true);
      expect(allRecords(dir).length).toBeLessThanOrEqual(before);
    });
  }

  it('generate --force refuses a directory a running kseg holds', () => {
    const dir = partition('v2-none');
    const sleeper = spawn('sleep', ['60']);
    children.push(sleeper);
    fs.writeFileSync(path.join(dir, LOCK), JSON.stringify(holder({ pid: sleeper.pid! })));
    const r = kseg(['generate', dir, '--force', '--records', '10']);
    expect(r.status).toBe(4);
    expect(r.stderr).toContain(`another kseg (pid ${sleeper.pid}`);
    sleeper.kill('SIGKILL');
  });
});

describe('lock helper files a killed kseg left', () => {
  it('are not reported by verify and are deleted by recover when their pid is gone', () => {
    const dir = partition('v2-none');
    const pid = deadPid();
    const names = [`${LOCK}.${pid}.0a1b2c3d`, `${LOCK}.stale-${pid}-0a1b2c3d`];
    for (const n of names) fs.writeFileSync(path.join(dir, n), '{}');
    expect(verify([dir]).issues.filter((i) => i.code === 'UNKNOWN_FILE')).toEqual([]);
    recover(dir);
    expect(fs.readdirSync(dir).filter((f) => f.startsWith(LOCK))).toEqual([]);
  });
});

describe('log-dir checkpoint files shared by partitions (kseg lock on the log dir)', () => {
  it('compact re-reads cleaner-offset-checkpoint before writing: an entry another kseg wrote meanwhile survives (LogCleanerManager: one file per log dir)', async () => {
    const root = tmpDir();
    roots.push(root);
    const dir = path.join(root, 'orders-3');
    fs.cpSync(fixture('v2-compact'), dir, { recursive: true });
    const cp = path.join(root, 'cleaner-offset-checkpoint');
    fs.writeFileSync(cp, '0\n1\nother 1 5\n');
    const running = compact(dir, { now: 1_700_000_000_000 }); // has read the checkpoint, not yet written it
    fs.writeFileSync(cp, '0\n2\nother 1 5\npayments 0 42\n');
    const r = await running;
    expect(fs.readFileSync(cp, 'utf8')).toBe(`0\n3\nother 1 5\npayments 0 42\norders 3 ${r.rounds[0]!.endOffset}\n`);
    expect(fs.existsSync(path.join(root, LOCK))).toBe(false);
  });

  it('a second kseg waits for the log dir lock while another holds it briefly, then fails naming the holder if it does not end', async () => {
    const root = tmpDir();
    roots.push(root);
    const lockJs = path.join(ROOT, 'dist', 'storage', 'lock.js');
    const child = spawn(
      process.execPath,
      [
        '--input-type=module',
        '-e',
        `const { acquirePartitionLock } = await import(${JSON.stringify(lockJs)}); const l = acquirePartitionLock(${JSON.stringify(root)}, 'truncate'); console.log('held'); setTimeout(() => { l.release(); }, 300);`,
      ],
      { stdio: ['ignore', 'pipe', 'inherit'] },
    );
    children.push(child);
    await new Promise<void>((resolve) => child.stdout!.once('data', () => resolve()));
    const { withLogDirLock } = await import('../src/storage/lock.js');
    // Waits (the child releases after 300 ms), then runs.
    expect(withLogDirLock(root, 'compact', () => 'ran')).toBe('ran');
    // A holder that stays: refused after the wait, naming it.
    const sleeper = spawn('sleep', ['60']);
    children.push(sleeper);
    fs.writeFileSync(path.join(root, LOCK), JSON.stringify(holder({ pid: sleeper.pid! })));
    const e = thrown(() => withLogDirLock(root, 'compact', () => 'ran', 100));
    expect(e).toMatchObject({ code: 'KSEG_LOCKED' });
    expect(exitCodeFor(e)).toBe(4);
    expect(e.message).toContain(`the log directory (its shared checkpoint files) is being changed by another kseg (pid ${sleeper.pid}`);
    sleeper.kill('SIGKILL');
  });
});
