import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { listSegments, scanPartitionDir } from '../src/storage/segments.js';
import { FIXTURES, ROOT, fixtureCases, kseg, tmpDir } from './helpers.js';

/** What scanPartitionDir says about the segments, without the sizes listSegments does not read. */
function segmentsByScan(dir: string): unknown[] {
  return scanPartitionDir(dir).segments.map((s) => {
    const o: Record<string, unknown> = { baseOffset: s.baseOffset, name: s.name, log: s.log };
    for (const k of ['index', 'timeindex', 'txnindex'] as const) if (s[k] !== undefined) o[k] = s[k];
    return o;
  });
}

function segmentsByList(dir: string): unknown[] {
  const listing = listSegments(dir);
  return listing.segments.map((s) => {
    listing.withIndexes(s);
    const o: Record<string, unknown> = { baseOffset: s.baseOffset, name: s.name, log: s.log };
    for (const k of ['index', 'timeindex', 'txnindex'] as const) if (s[k] !== undefined) o[k] = s[k];
    return o;
  });
}

describe('listSegments (lookup start-up) lists what scanPartitionDir lists', () => {
  it('on every fixture partition', () => {
    for (const c of fixtureCases()) {
      const dir = path.join(FIXTURES, c, 'topic-0');
      expect(segmentsByList(dir), c).toEqual(segmentsByScan(dir));
    }
  });

  it('on odd names: short and long offsets, leftovers, snapshots, orphans, directories and links named like segments', () => {
    const dir = tmpDir();
    const files = [
      '00000000000000000000.log',
      '00000000000000000000.index',
      '00000000000000000000.timeindex',
      '00000000000000000100.log',
      '00000000000000000100.txnindex',
      '200.log',
      '0200.log',
      '0200.index', // irregular names: same base offset, two segments
      '00000000000000000300.log.deleted',
      '00000000000000000300.index.deleted',
      '00000000000000000400.log.swap',
      '00000000000000000400.log.cleaned',
      '00000000000000000500.snapshot',
      '00000000000000000600.index', // orphan index
      '99999999999999999999.log', // beyond 2^53: not a segment
      'x.log',
      '12a.log',
      '.log',
      'leader-epoch-checkpoint',
      'partition.metadata',
    ];
    for (const f of files) fs.writeFileSync(path.join(dir, f), '');
    fs.mkdirSync(path.join(dir, '00000000000000000700.log'));
    fs.mkdirSync(path.join(dir, '00000000000000000000.txnindex'));
    fs.symlinkSync(path.join(dir, '00000000000000000100.log'), path.join(dir, '00000000000000000800.log'));
    fs.symlinkSync(path.join(dir, '00000000000000000000.index'), path.join(dir, '00000000000000000100.index'));
    const listed = segmentsByList(dir);
    expect(listed).toEqual(segmentsByScan(dir));
    // Links to regular files are the files (LogLoader lists with java.io.File, which follows them).
    expect(listed.map((s) => (s as { log: string }).log)).toEqual(['00000000000000000000.log', '00000000000000000100.log', '0200.log', '200.log', '00000000000000000800.log']);
    expect(listed[1]).toMatchObject({ index: '00000000000000000100.index', txnindex: '00000000000000000100.txnindex' });
  });
});

describe('start-up', () => {
  it('kseg --help and lookup output are the same through the bundle, a pipe or a file', () => {
    const dir = path.join(FIXTURES, fixtureCases()[0]!, 'topic-0');
    const viaPipe = kseg(['lookup', dir, '--offset', '0', '--explain']);
    expect(viaPipe.status).toBe(0);
    const out = path.join(tmpDir(), 'out.txt');
    const fd = fs.openSync(out, 'w');
    try {
      const r = spawnSync(process.execPath, [path.join(ROOT, 'bin', 'kseg.js'), 'lookup', dir, '--offset', '0', '--explain'], {
        stdio: ['ignore', fd, 'pipe'],
        env: { ...process.env, NO_COLOR: '1' },
      });
      expect(r.status).toBe(0);
    } finally {
      fs.closeSync(fd);
    }
    expect(fs.readFileSync(out, 'utf8')).toBe(viaPipe.stdout);
    const help = kseg(['--help']);
    expect(help.status).toBe(0);
    expect(help.stdout).toMatch(/^Usage: kseg \[options\] \[command\]/);
    expect(help.stdout).toContain('lookup');
  });
});

describe('a reader that goes away', () => {
  it('`kseg X --help | head -c 1` ends quietly: no EPIPE stack trace, exit 0', async () => {
    const { spawn } = await import('node:child_process');
    for (const cmd of ['generate', 'compact', 'verify', 'dump']) {
      for (let i = 0; i < 3; i++) {
        const child = spawn(process.execPath, [path.join(ROOT, 'bin', 'kseg.js'), cmd, '--help'], { stdio: ['ignore', 'pipe', 'pipe'] });
        let stderr = '';
        child.stderr.on('data', (d) => (stderr += d));
        // Close our end at once (i = 0) or after the first chunk: the help's writes hit a closed pipe.
        if (i === 0) child.stdout.destroy();
        else child.stdout.once('data', () => child.stdout.destroy());
        const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
        expect(stderr, `${cmd} --help`).not.toMatch(/EPIPE|Error|at /);
        expect(code, `${cmd} --help`).toBe(0);
      }
    }
  });
});

describe('a standard output that fails', () => {
  it.runIf(fs.existsSync('/dev/full'))('help and lookup into a full device: one line on stderr, exit 4 (I/O error), no stack trace', () => {
    const dir = path.join(FIXTURES, fixtureCases()[0]!, 'topic-0');
    for (const args of [['--help'], ['lookup', dir, '--offset', '0']]) {
      const fd = fs.openSync('/dev/full', 'w');
      try {
        const r = spawnSync(process.execPath, [path.join(ROOT, 'bin', 'kseg.js'), ...args], { stdio: ['ignore', fd, 'pipe'], encoding: 'utf8' });
        expect(r.status, args.join(' ')).toBe(4);
        expect(r.stderr).toMatch(/^kseg: cannot write the output: ENOSPC[^\n]*\n$/);
      } finally {
        fs.closeSync(fd);
      }
    }
  });
});
