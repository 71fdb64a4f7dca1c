import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { FIXTURES, HAVE_REAL, REAL, kseg, tmpDir } from './helpers.js';

// Every read command beyond dump/info/verify/lookup on `logs.tar[#PATH]` (read in place through the
// tar provider, storage/tar-vfs.ts) and `logs.tar.gz[#PATH]` (extracted to a private copy): the
// output equals the same command on the directory the archive was made from. One argument
// resolution (storage/archive.ts resolveArchiveArgs) serves them all; grep's and scan's worker
// threads re-make the tar provider (storage/vfs-workers.ts), which `--jobs 2` on a log dir exercises.

interface TarCreate {
  c(opts: { file: string; cwd: string; gzip?: boolean; sync: true; portable?: boolean }, files: string[]): void;
}
const tar = createRequire(import.meta.url)('tar') as TarCreate;

const esc = (s: string): string => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

interface Archives {
  /** The directory the archives were made from (its `top` holds the partitions). */
  root: string;
  top: string;
  tar: string;
  tgz: string;
  /** TMPDIR of the runs: the extracted copies go here, and must be gone afterwards. */
  tmp: string;
}

function archives(root: string, top: string): Archives {
  const out = tmpDir('kseg-archive-cmd-');
  const tmp = path.join(out, 'tmp');
  fs.mkdirSync(tmp);
  const t = path.join(out, 'logs.tar');
  const z = path.join(out, 'logs.tar.gz');
  tar.c({ file: t, cwd: root, sync: true, portable: true }, [top]);
  tar.c({ file: z, cwd: root, gzip: true, sync: true, portable: true }, [top]);
  return { root, top, tar: t, tgz: z, tmp };
}

/** Run kseg with a private TMPDIR; the extracted copy is removed at exit, whatever the outcome. */
function run(args: string[], a: Archives): { status: number; stdout: string; stderr: string } {
  const r = kseg(args, { env: { TMPDIR: a.tmp } });
  expect(
    fs.readdirSync(a.tmp).filter((n) => n.startsWith('kseg-tar-')),
    'extracted copy left behind',
  ).toEqual([]);
  return r;
}

/**
 * Paths in output: the extracted copy's root, an in-place archive's root (`…/logs.tar#/`), the
 * local root and the run's output path all become fixed words; times a run measures are dropped.
 */
function norm(s: string, a: Archives, out?: string): string {
  let t = s
    .replace(new RegExp(esc(a.tmp) + '/kseg-tar-[0-9]+-[A-Za-z0-9]+/', 'g'), 'ROOT/')
    .replace(new RegExp(esc(a.tar) + '#/', 'g'), 'ROOT/')
    .split(a.root + '/')
    .join('ROOT/')
    .replace(/"elapsedMs":[0-9.e+-]+/g, '"elapsedMs":0');
  if (out) t = t.split(out).join('OUT');
  return t;
}

/** Files below `dir` (recursively) with their bytes, for outputs a command wrote. */
function tree(dir: string): Record<string, string> {
  const files: Record<string, string> = {};
  if (!fs.existsSync(dir)) return files;
  if (fs.statSync(dir).isFile()) return { '.': fs.readFileSync(dir).toString('base64') };
  for (const e of fs.readdirSync(dir, { recursive: true }) as string[]) {
    const p = path.join(dir, e);
    if (fs.statSync(p).isFile()) files[e] = fs.readFileSync(p).toString('base64');
  }
  return files;
}

/**
 * One command three times: on the directory, on logs.tar and on logs.tar.gz. `ARG` is replaced by
 * the directory (`root/top` or `root/MEMBER`) or the archive (`logs.tar#MEMBER` when a member is
 * given), `OUT` by a fresh output path per run (its files are compared too).
 */
function sameAsDirectory(a: Archives, args: string[], member: string | null, outName?: string): void {
  const outs: { kind: string; status: number; stdout: string; stderr: string; files: Record<string, string> }[] = [];
  for (const kind of ['dir', 'tar', 'tgz'] as const) {
    const out = outName ? path.join(tmpDir('kseg-archive-out-'), outName) : undefined;
    const target = kind === 'dir' ? path.join(a.root, member ?? a.top) : `${kind === 'tar' ? a.tar : a.tgz}${member ? `#${member}` : ''}`;
    const argv = args.map((x) => (x === 'ARG' ? target : x === 'OUT' ? out! : x));
    const r = kind === 'dir' ? kseg(argv) : run(argv, a);
    if (kind === 'tar') expect(r.stderr, `${args.join(' ')} on logs.tar: read in place`).not.toContain('extracted copy');
    if (kind === 'tgz') expect(r.stderr, `${args.join(' ')} on logs.tar.gz`).toContain('from its extracted copy');
    outs.push({
      kind,
      ...r,
      stdout: norm(r.stdout, a, out),
      stderr: norm(r.stderr.replace(/^kseg: note: reading .* from its extracted copy .*\n/m, ''), a, out),
      files: out ? tree(out) : {},
    });
  }
  const [want, ...got] = outs;
  expect(want!.stdout.length + Object.keys(want!.files).length, `${args.join(' ')} printed or wrote nothing: ${want!.stderr}`).toBeGreaterThan(0);
  for (const g of got) {
    const what = `${args.join(' ')} on ${g.kind}`;
    expect(g.status, `${what}: ${g.stderr}`).toBe(want!.status);
    expect(g.stdout, what).toBe(want!.stdout);
    expect(g.stderr, what).toBe(want!.stderr);
    expect(g.files, what).toEqual(want!.files);
  }
}

describe('read commands on a tarred log dir of fixtures (logs.tar read in place, logs.tar.gz extracted)', () => {
  let a: Archives;
  beforeAll(() => {
    const root = tmpDir('kseg-archive-cmd-src-');
    for (const c of ['v2-txn', 'v2-multiseg', 'v2-headers']) fs.cpSync(path.join(FIXTURES, c, 'topic-0'), path.join(root, 'logs', `${c}-0`), { recursive: true });
    a = archives(root, 'logs');
  });

  it('txn of one partition (#PATH) and of the whole log dir (no #PATH)', () => {
    sameAsDirectory(a, ['txn', 'ARG', '--json', '--all'], 'logs/v2-txn-0');
    sameAsDirectory(a, ['txn', 'ARG', '--json', '--reference-time', '0'], null);
  });

  it('grep of one partition, and of the log dir with --jobs 2 (worker threads re-make the tar provider)', () => {
    sameAsDirectory(a, ['grep', 'ARG', '--from-offset', '0', '--ndjson', '--decoder', 'hex'], 'logs/v2-headers-0');
    sameAsDirectory(a, ['grep', 'ARG', '--from-offset', '0', '--ndjson', '--decoder', 'hex', '--jobs', '2'], null);
    sameAsDirectory(a, ['grep', 'ARG', '--from-offset', '0', '-c', '--json', '--jobs', '2'], null);
  });

  it('scan (verify and --summary) with --jobs 2: workers read the partitions in place', () => {
    sameAsDirectory(a, ['scan', 'ARG', '--json', '--jobs', '2'], null);
    sameAsDirectory(a, ['scan', 'ARG', '--json', '--summary', '--jobs', '2'], null); // (--ndjson: in finishing order)
  });

  it('export (ndjson and parquet files byte for byte)', () => {
    sameAsDirectory(a, ['export', 'ARG', '--format', 'ndjson', '-o', 'OUT', '--json'], 'logs/v2-multiseg-0', 'out.ndjson');
    sameAsDirectory(a, ['export', 'ARG', '-o', 'OUT', '--json'], 'logs/v2-txn-0', 'out.parquet');
  });

  it('diff of an archive member against a local copy, and of two members', () => {
    const local = path.join(tmpDir('kseg-archive-diff-'), 'v2-multiseg-0');
    fs.cpSync(path.join(FIXTURES, 'v2-multiseg', 'topic-0'), local, { recursive: true });
    sameAsDirectory(a, ['diff', 'ARG', local, '--json'], 'logs/v2-multiseg-0');
    // two different partitions: differences found, exit 1 either way
    const want = kseg(['diff', path.join(a.root, 'logs', 'v2-multiseg-0'), path.join(a.root, 'logs', 'v2-headers-0'), '--json']);
    expect(want.status).toBe(1);
    const got = run(['diff', `${a.tar}#logs/v2-multiseg-0`, `${a.tgz}#logs/v2-headers-0`, '--json'], a);
    expect(got.status, got.stderr).toBe(1);
    expect(norm(got.stdout, a)).toBe(norm(want.stdout, a));
  });

  it('report (--json) of a partition and of the log dir', () => {
    sameAsDirectory(a, ['report', 'ARG', '--json', '--now', '0'], 'logs/v2-multiseg-0');
    sameAsDirectory(a, ['report', 'ARG', '--json', '--now', '0'], null);
  });

  it('slice and salvage write the same bytes from an archive member as from the directory', () => {
    sameAsDirectory(a, ['slice', 'ARG', '--from-offset', '100', '--to-offset', '130', '-o', 'OUT', '--json'], 'logs/v2-multiseg-0', 'slice');
    sameAsDirectory(a, ['slice', 'ARG', '--from-offset', '150', '-o', 'OUT', '--single-file', '--json'], 'logs/v2-multiseg-0/00000000000000000118.log', 'one.log');
    sameAsDirectory(a, ['salvage', 'ARG', '-o', 'OUT', '--json'], 'logs/v2-txn-0', 'salvaged');
  });

  it('a partition command given an archive of several partitions and no #PATH: exit 2 listing them', () => {
    for (const argv of [
      ['diff', a.tar, path.join(a.root, 'logs', 'v2-txn-0')],
      ['slice', a.tgz, '--from-offset', '0', '-o', path.join(tmpDir(), 'x')],
      ['salvage', a.tar, '-o', path.join(tmpDir(), 'y'), '--dry-run'],
    ]) {
      const r = run(argv, a);
      expect(r.status, r.stderr).toBe(2);
      expect(r.stderr).toContain('holds 3 partitions');
      expect(r.stderr).toContain('logs/v2-headers-0');
      expect(r.stderr).not.toMatch(/\n\s+at /);
    }
  });

  it('a #PATH not in the archive: exit 1 naming the archive and the member, for every command', () => {
    for (const argv of [
      ['txn', `${a.tar}#logs/nope-0`],
      ['grep', `${a.tar}#logs/nope-0`, '--from-offset', '0'],
      ['export', `${a.tar}#logs/nope-0`, '-o', path.join(tmpDir(), 'x.parquet')],
      ['report', `${a.tgz}#logs/nope-0`, '--json'],
      ['scan', `${a.tgz}#logs/nope-0`],
    ]) {
      const r = run(argv, a);
      expect(r.status, `${argv[0]}: ${r.stderr}`).toBe(1);
      expect(r.stderr).toContain('no logs/nope-0 in the archive');
      expect(r.stderr).toContain(argv[1]!.split('#')[0]);
    }
  });

  it('the writing commands still refuse an archive (READ_ONLY, exit 2), and nothing in it changes', () => {
    const before = fs.readFileSync(a.tar);
    for (const argv of [
      ['truncate', `${a.tar}#logs/v2-multiseg-0`, '--to-offset', '10', '--yes'],
      ['recover', `${a.tar}#logs/v2-multiseg-0`],
      ['rebuild-index', `${a.tgz}#logs/v2-multiseg-0`],
      ['compact', `${a.tar}#logs/v2-multiseg-0`],
    ]) {
      const r = run(argv, a);
      expect(r.status, `${argv[0]}: ${r.stderr}`).toBe(2);
      expect(r.stderr).toContain('read-only');
    }
    expect(Buffer.compare(fs.readFileSync(a.tar), before)).toBe(0);
  });
});

describe('commands that take log dirs only (scan, coordinator --log-dirs) on an archive of one partition', () => {
  it('read the directory holding it, as on the extracted log dir (not "a partition directory, not a log dir")', () => {
    const root = tmpDir('kseg-archive-one-');
    fs.cpSync(path.join(FIXTURES, 'v2-txn', 'topic-0'), path.join(root, 'logs', 'v2-txn-0'), { recursive: true });
    const a = archives(root, 'logs');
    sameAsDirectory(a, ['scan', 'ARG', '--json', '--summary'], null);
    sameAsDirectory(a, ['coordinator', '--group', 'g1', '--log-dirs', 'ARG', '--json'], null);
    // a partition at the archive's top: its log dir is the archive's root
    const top = archives(path.join(root, 'logs'), 'v2-txn-0');
    const r = run(['scan', top.tar, '--json', '--summary'], top);
    expect(r.status, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout).partitions.map((p: { partition: string }) => p.partition)).toEqual(['v2-txn-0']);
  });
});

describe('errors inside an archive name the archive, the member and the byte position', () => {
  it('a CRC-damaged compressed batch: grep and export say ARCHIVE#/MEMBER at byte N, as on the directory', () => {
    const root = tmpDir('kseg-archive-bad-');
    fs.cpSync(path.join(FIXTURES, 'corrupt-crc', 'topic-0'), path.join(root, 'orders-0'), { recursive: true });
    const a = archives(root, 'orders-0');
    const want = kseg(['export', path.join(root, 'orders-0'), '--format', 'ndjson', '-o', path.join(tmpDir(), 'x.ndjson')]);
    const got = run(['export', a.tar, '--format', 'ndjson', '-o', path.join(tmpDir(), 'y.ndjson')], a);
    expect(want.status).toBe(3);
    expect(got.status).toBe(3);
    expect(got.stderr).toMatch(new RegExp(`${esc(a.tar)}#/orders-0/\\d{20}\\.log at byte \\d+`));
    expect(norm(got.stderr, a)).toBe(norm(want.stderr, a));
    const g = run(['grep', a.tar, '--from-offset', '0', '-c'], a);
    expect(g.status).toBe(3);
    expect(g.stderr).toContain(`${a.tar}#/orders-0`);
  });
});

describe.skipIf(!HAVE_REAL)('internal topics of a real KRaft broker, tarred (../shared/real/ldi-poc/kafka-logs)', () => {
  let a: Archives;
  beforeAll(() => {
    a = archives(fs.realpathSync(path.join(REAL, 'ldi-poc')), 'kafka-logs');
  });

  it('offsets and groups of the log dir and of one __consumer_offsets partition', () => {
    sameAsDirectory(a, ['offsets', 'ARG', '--json', '--reference-time', 'log'], null);
    sameAsDirectory(a, ['offsets', 'ARG', '--json', '--reference-time', 'log'], 'kafka-logs/__consumer_offsets-13');
    sameAsDirectory(a, ['groups', 'ARG', '--json', '--all'], null);
  });

  it('metadata of the log dir and of __cluster_metadata-0', () => {
    sameAsDirectory(a, ['metadata', 'ARG', '--json'], null);
    sameAsDirectory(a, ['metadata', 'ARG', '--json', '--partitions'], 'kafka-logs/__cluster_metadata-0');
  });

  it('coordinator --log-dirs ARCHIVE (partition count from the archive’s __cluster_metadata-0)', () => {
    sameAsDirectory(a, ['coordinator', '--group', 'g1', '--transactional-id', 't1', '--log-dirs', 'ARG', '--json'], null);
  });

  it('txn of the log dir (every partition, __transaction_state when present)', () => {
    sameAsDirectory(a, ['txn', 'ARG', '--json', '--reference-time', '0'], null);
  });
});
