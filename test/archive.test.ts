import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { FIXTURES, HAVE_REAL, REAL, healthyCases, kseg, readNdjson, tmpDir } from './helpers.js';

// `kseg dump/info/verify/lookup logs.tar[.gz][#PATH]`: the archive member is extracted into a
// private temp dir (TMPDIR), read there, and removed at exit. These tests compare every command's
// machine-readable output on an archive with the output on the same partition on disk.

interface TarCreate {
  c(opts: { file: string; cwd: string; gzip?: boolean; sync: true; portable?: boolean }, files: string[]): void;
}
const tar = createRequire(import.meta.url)('tar') as TarCreate;

const esc = (s: string): string => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** Run kseg with a private TMPDIR, so the extracted copy's path is known and its removal checked. */
function run(args: string[], tmp: string): { status: number; stdout: string; stderr: string } {
  const r = kseg(args, { env: { TMPDIR: tmp } });
  // The extraction is removed when kseg exits, whatever the outcome.
  expect(
    fs.readdirSync(tmp).filter((n) => n.startsWith('kseg-tar-')),
    'extracted copy left behind',
  ).toEqual([]);
  return r;
}

/** Output with the extracted copy's root, an in-place archive's root (`ARCHIVE#`) and the local root all replaced by ROOT. */
function norm(s: string, tmp: string, local: string): string {
  return s
    .replace(new RegExp(esc(tmp) + '/kseg-tar-[0-9]+-[A-Za-z0-9]+', 'g'), 'ROOT')
    .replace(/[^\s"']*\.tar#/g, 'ROOT')
    .split(local)
    .join('ROOT');
}

function archives(cwd: string, members: string[]): { tar: string; tgz: string; tmp: string } {
  const out = tmpDir('kseg-archive-');
  const tmp = path.join(out, 'tmp');
  fs.mkdirSync(tmp);
  const t = path.join(out, 'logs.tar');
  const z = path.join(out, 'logs.tar.gz');
  tar.c({ file: t, cwd, sync: true, portable: true }, members);
  tar.c({ file: z, cwd, gzip: true, sync: true, portable: true }, members);
  return { tar: t, tgz: z, tmp };
}

function middleOffset(c: string): number {
  const recs = readNdjson(path.join(FIXTURES, c, 'expected', 'records.ndjson'));
  return recs.length ? recs[Math.floor(recs.length / 2)].offset : 0;
}

// The archive layer is byte-agnostic, so the whole command matrix runs on a few fixtures that differ
// in shape (magic, codec, segments, transactions); every other fixture gets verify --json on a .tar.
const MATRIX_CASES = new Set(['v0-none', 'v1-gzip', 'v2-multiseg', 'v2-txn', 'v2-mixed-codecs']);

describe('tarred partitions (logs.tar, logs.tar.gz) read like the directory', () => {
  for (const c of healthyCases().filter((c) => !MATRIX_CASES.has(c))) {
    it(`${c}: verify --json on logs.tar equals the local output`, () => {
      const cwd = path.join(FIXTURES, c);
      const a = archives(cwd, ['topic-0']);
      const want = kseg(['verify', path.join(cwd, 'topic-0'), '--json']);
      const got = run(['verify', a.tar, '--json'], a.tmp);
      expect(got.status, got.stderr).toBe(want.status);
      expect(norm(got.stdout, a.tmp, cwd)).toBe(norm(want.stdout, a.tmp, cwd));
    });
  }
  for (const c of healthyCases().filter((c) => MATRIX_CASES.has(c))) {
    it(`${c}: dump --ndjson, dump --batches --ndjson, info --json, verify --json, lookup --json equal the local outputs`, () => {
      const cwd = path.join(FIXTURES, c);
      const a = archives(cwd, ['topic-0']);
      const local = cwd;
      const off = String(middleOffset(c));
      const cmds: string[][] = [
        ['dump', 'X', '--ndjson'],
        ['dump', 'X', '--batches', '--ndjson'],
        ['info', 'X', '--json'],
        ['verify', 'X', '--json'],
        ['lookup', 'X', '--offset', off, '--json'],
      ];
      for (const file of [a.tar, a.tgz]) {
        for (const cmd of cmds) {
          const want = kseg(cmd.map((x) => (x === 'X' ? path.join(local, 'topic-0') : x)));
          const got = run(
            cmd.map((x) => (x === 'X' ? file : x)),
            a.tmp,
          );
          expect(got.status, `${cmd.join(' ')} on ${path.basename(file)}: ${got.stderr}`).toBe(want.status);
          expect(norm(got.stdout, a.tmp, local), `${cmd.join(' ')} on ${path.basename(file)}`).toBe(norm(want.stdout, a.tmp, local));
          expect(got.stdout.length).toBeGreaterThan(2);
        }
      }
    });
  }
});

describe('choosing a partition inside an archive (ARCHIVE#PATH)', () => {
  const cases = ['v2-none', 'v2-multiseg'];
  const root = tmpDir('kseg-archive-src-');
  fs.mkdirSync(path.join(root, 'logs'));
  for (const c of cases) fs.cpSync(path.join(FIXTURES, c, 'topic-0'), path.join(root, 'logs', `${c}-0`), { recursive: true });
  const a = archives(root, ['logs']);

  it('several partitions and no #PATH: dump asks for one (exit 2) and names them', () => {
    const r = run(['dump', a.tar, '--ndjson'], a.tmp);
    expect(r.status).toBe(2);
    expect(r.stderr).toContain('holds 2 partitions');
    expect(r.stderr).toContain('logs/v2-multiseg-0');
    expect(r.stderr).toContain(`${a.tar}#PARTITION`);
    expect(r.stderr).not.toMatch(/\n\s+at /);
  });

  it('#PATH picks the partition (with or without ./ and a trailing slash), equal to the local dump', () => {
    const want = kseg(['dump', path.join(root, 'logs', 'v2-multiseg-0'), '--ndjson']);
    for (const sel of ['logs/v2-multiseg-0', './logs/v2-multiseg-0/']) {
      for (const file of [a.tar, a.tgz]) {
        const got = run(['dump', `${file}#${sel}`, '--ndjson'], a.tmp);
        expect(got.status, got.stderr).toBe(0);
        expect(norm(got.stdout, a.tmp, root)).toBe(norm(want.stdout, a.tmp, root));
        // Uncompressed: read in place; gzip: extracted.
        if (file === a.tgz) expect(got.stderr).toContain('from its extracted copy');
        else expect(got.stderr).not.toContain('extracted');
      }
    }
  });

  it('#PATH can name one segment file', () => {
    const seg = 'logs/v2-multiseg-0/00000000000000000118.log';
    const want = kseg(['dump', path.join(root, seg), '--batches', '--ndjson']);
    const got = run(['dump', `${a.tar}#${seg}`, '--batches', '--ndjson'], a.tmp);
    expect(got.status, got.stderr).toBe(0);
    expect(norm(got.stdout, a.tmp, root)).toBe(norm(want.stdout, a.tmp, root));
  });

  it('verify without #PATH reads the whole log dir in the archive, like verify on the directory', () => {
    const want = kseg(['verify', path.join(root, 'logs'), '--json']);
    for (const file of [a.tar, a.tgz]) {
      const got = run(['verify', file, '--json'], a.tmp);
      expect(got.status, got.stderr).toBe(want.status);
      expect(norm(got.stdout, a.tmp, root)).toBe(norm(want.stdout, a.tmp, root));
      // (verify also lists the bare `logs` dir itself: it has no checkpoint files to mark it a log dir)
      expect(JSON.parse(got.stdout).partitions.filter((p: { partition: string }) => /-0$/.test(p.partition)).length).toBe(2);
    }
  });

  it('a path not in the archive: exit 1 naming the archive and the partitions it has', () => {
    const r = run(['info', `${a.tar}#logs/nope-0`, '--json'], a.tmp);
    expect(r.status).toBe(1);
    expect(r.stderr).toContain('no logs/nope-0 in the archive');
    expect(r.stderr).toContain(a.tar);
  });
});

describe('bad archives: clear errors, nothing written outside the private copy', () => {
  const dir = tmpDir('kseg-archive-bad-');
  const tmp = path.join(dir, 'tmp');
  fs.mkdirSync(tmp);

  it('bytes that are not a tar archive: exit 3 naming the file, no stack trace', () => {
    const f = path.join(dir, 'junk.tar');
    fs.writeFileSync(f, Buffer.from('this is not a tar archive at all, just text\n'.repeat(40)));
    const r = run(['info', f, '--json'], tmp);
    expect(r.status).toBe(3);
    expect(r.stderr).toContain(f);
    expect(r.stderr).not.toMatch(/\n\s+at /);
  });

  it('a truncated .tar.gz: exit 3 (or 4), never a partial success', () => {
    const a = archives(path.join(FIXTURES, 'v2-multiseg'), ['topic-0']);
    const bytes = fs.readFileSync(a.tgz);
    const f = path.join(dir, 'cut.tar.gz');
    fs.writeFileSync(f, bytes.subarray(0, Math.floor(bytes.length / 2)));
    const r = run(['dump', f, '--ndjson'], tmp);
    expect([3, 4]).toContain(r.status);
    expect(r.stdout).toBe('');
    expect(r.stderr).toContain(f);
    expect(r.stderr).not.toMatch(/\n\s+at /);
  });

  it('a missing archive: exit 4 naming it', () => {
    const r = run(['dump', path.join(dir, 'absent.tar'), '--ndjson'], tmp);
    expect(r.status).toBe(4);
    expect(r.stderr).toContain('absent.tar');
  });

  it('an archive with a ../ entry and a symbolic link writes nothing outside the extraction (tar: preservePaths off)', () => {
    // Hand-made ustar: "../escaped.log" (regular file) and "p-0/link.log" -> /etc/passwd (symlink).
    const header = (name: string, type: string, body: Buffer, link = ''): Buffer => {
      const h = Buffer.alloc(512);
      h.write(name, 0, 'utf8');
      h.write('0000644\0', 100);
      h.write('0000000\0', 108);
      h.write('0000000\0', 116);
      h.write(body.length.toString(8).padStart(11, '0') + '\0', 124);
      h.write('00000000000\0', 136);
      h.write('        ', 148);
      h.write(type, 156);
      h.write(link, 157);
      h.write('ustar\0' + '00', 257);
      let sum = 0;
      for (const b of h) sum += b;
      h.write(sum.toString(8).padStart(6, '0') + '\0 ', 148);
      const pad = Buffer.alloc((512 - (body.length % 512)) % 512);
      return Buffer.concat([h, body, pad]);
    };
    const f = path.join(dir, 'evil.tar');
    fs.writeFileSync(f, Buffer.concat([header('../escaped.log', '0', Buffer.from('x')), header('p-0/link.log', '2', Buffer.alloc(0), '/etc/passwd'), Buffer.alloc(1024)]));
    const r = run(['dump', `${f}#p-0`, '--ndjson'], tmp);
    expect(r.status).not.toBe(0);
    expect(r.stderr).not.toMatch(/\n\s+at /);
    expect(fs.existsSync(path.join(tmp, 'escaped.log'))).toBe(false);
    expect(fs.existsSync(path.join(dir, 'escaped.log'))).toBe(false);
  });
});

describe('extracted copies left by a killed kseg', () => {
  it('are removed by the next archive read when their pid is gone; a live pid keeps its copy', () => {
    const a = archives(path.join(FIXTURES, 'v2-none'), ['topic-0']);
    const dead = path.join(a.tmp, 'kseg-tar-4194305-AbC123'); // above Linux's pid_max limit: never a live pid
    const live = path.join(a.tmp, `kseg-tar-${process.pid}-XyZ789`);
    for (const d of [dead, live]) {
      fs.mkdirSync(path.join(d, 'topic-0'), { recursive: true });
      fs.writeFileSync(path.join(d, 'topic-0', '00000000000000000000.log'), '');
    }
    // (only the extraction path of a .tar.gz sweeps: an uncompressed .tar is read in place)
    const r = kseg(['info', a.tgz, '--json'], { env: { TMPDIR: a.tmp } });
    expect(r.status, r.stderr).toBe(0);
    expect(fs.existsSync(dead)).toBe(false);
    expect(fs.existsSync(live)).toBe(true);
    expect(fs.readdirSync(a.tmp).sort()).toEqual([path.basename(live)]);
  });
});

describe.skipIf(!HAVE_REAL)('real broker log dir in a tar (../shared/real/ldi-poc/kafka-logs)', () => {
  it('verify --json on logs.tar and logs.tar.gz equals verify on the directory; info and dump of one partition too', () => {
    const src = path.join(REAL, 'ldi-poc');
    const a = archives(src, ['kafka-logs']);
    const local = fs.realpathSync(src);
    for (const file of [a.tar, a.tgz]) {
      const want = kseg(['verify', path.join(local, 'kafka-logs'), '--json']);
      const got = run(['verify', file, '--json'], a.tmp);
      expect(got.status, got.stderr).toBe(want.status);
      expect(norm(got.stdout, a.tmp, local)).toBe(norm(want.stdout, a.tmp, local));
      for (const cmd of [
        ['info', '--json'],
        ['dump', '--ndjson'],
      ]) {
        const w = kseg([cmd[0]!, path.join(local, 'kafka-logs', '__consumer_offsets-0'), cmd[1]!]);
        const g = run([cmd[0]!, `${file}#kafka-logs/__consumer_offsets-0`, cmd[1]!], a.tmp);
        expect(g.status, g.stderr).toBe(w.status);
        expect(norm(g.stdout, a.tmp, local)).toBe(norm(w.stdout, a.tmp, local));
      }
    }
  });
});
