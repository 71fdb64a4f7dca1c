import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { KsegError } from '../src/format/errors.js';
import { info } from '../src/ops/info.js';
import { lookup } from '../src/ops/lookup.js';
import { resolveArchiveArgs, tarProvider } from '../src/storage/archive.js';
import { quickHeader } from '../src/storage/tar-index.js';
import { TarVfs } from '../src/storage/tar-vfs.js';
import { providerFor, registeredProviders } from '../src/storage/vfs.js';
import { FIXTURES, kseg, tmpDir } from './helpers.js';

// Uncompressed archives read in place (storage/tar-vfs.ts over tar-index.ts, routed by
// storage/vfs.ts): no extraction, reads are byte ranges of the archive, hostile archives are
// refused with the archive's name and the header's byte position.

interface TarCreate {
  c(opts: { file: string; cwd: string; gzip?: boolean; sync: true; portable?: boolean }, files: string[]): void;
}
const tar = createRequire(import.meta.url)('tar') as TarCreate;

/** A ustar header block + data + padding, built by hand (for members node-tar will not write). */
function member(name: string, type: string, body: Buffer, link = '', size = body.length): Buffer {
  const h = Buffer.alloc(512);
  h.write(name, 0, 'utf8');
  h.write('0000644\0', 100);
  h.write('0000000\0', 108);
  h.write('0000000\0', 116);
  h.write(size.toString(8).padStart(11, '0') + '\0', 124);
  h.write('14533211200\0', 136);
  h.write('        ', 148);
  h.write(type, 156);
  h.write(link, 157);
  h.write('ustar\0' + '00', 257);
  let sum = 0;
  for (const b of h) sum += b;
  h.write(sum.toString(8).padStart(6, '0') + '\0 ', 148);
  const pad = Buffer.alloc((512 - (body.length % 512)) % 512);
  return Buffer.concat([h, body, pad]);
}

const EOA = Buffer.alloc(1024);
const seg = (c: string, f: string): Buffer => fs.readFileSync(path.join(FIXTURES, c, 'topic-0', f));
const LOG0 = '00000000000000000000.log';

describe('in place: nothing extracted, few bytes read', () => {
  const dir = tmpDir('kseg-tarvfs-');
  const part = path.join(dir, 'src', 'orders-0');
  fs.mkdirSync(path.dirname(part));
  const gen = kseg(['generate', part, '--bytes', '12m', '--segment-bytes', '1m', '--seed', '7']);
  const archive = path.join(dir, 'orders.tar');
  tar.c({ file: archive, cwd: path.dirname(part), sync: true, portable: true }, ['orders-0']);
  afterAll(() => {
    for (const p of registeredProviders()) if (p instanceof TarVfs) p.close();
  });

  it('a lookup reads the archive headers, one index and the bytes it scans: far fewer than the archive (TarVfs.bytesFetched)', () => {
    expect(gen.status, gen.stderr).toBe(0);
    const [p] = resolveArchiveArgs([archive]);
    expect(p).toBe(`${archive}#/orders-0`);
    expect(providerFor(p!)?.scheme).toBe('tar');
    const end = info([part])[0]!.logEndOffset!;
    const v = tarProvider(archive);
    const before = v.bytesFetched();
    const target = Math.floor(end * 0.7);
    const got = lookup(p!, { offset: target });
    const want = lookup(part, { offset: target });
    expect(got.record?.offset).toBe(target);
    expect({ seg: got.segment, pos: got.batch?.position, idx: got.indexEntry }).toEqual({ seg: want.segment, pos: want.batch?.position, idx: want.indexEntry });
    const fetched = v.bytesFetched() - before;
    const size = fs.statSync(archive).size;
    expect(fetched).toBeGreaterThan(0);
    // What a local lookup reads: the target segment's .index (a few KiB for 1 MiB segments), the
    // 64 KiB blocks it scans the .log in (lookup.ts), the last segment's tail for the log end
    // offset, and the checkpoints: a few blocks, not the 12 MiB archive.
    const index = fs.statSync(path.join(part, want.segment.replace(/\.log$/, '.index'))).size;
    expect(fetched).toBeLessThanOrEqual(index + 4 * 64 * 1024 + 4096);
    expect(fetched).toBeLessThan(size / 20);
  });

  it('dump/info/verify/lookup of a .tar create no kseg-tar-* copy (TMPDIR does not even exist)', () => {
    const nowhere = path.join(dir, 'no-such-tmp');
    for (const cmd of [
      ['info', archive, '--json'],
      ['verify', archive, '--json'],
      ['verify', archive, '--json', '--jobs', '2'],
      ['lookup', archive, '--offset', '100', '--json'],
      ['dump', `${archive}#orders-0/00000000000000000000.index`, '--ndjson'],
    ]) {
      const r = kseg(cmd, { env: { TMPDIR: nowhere } });
      expect(r.status, `${cmd.join(' ')}: ${r.stderr}`).toBe(0);
      expect(r.stderr).not.toContain('extracted');
    }
    expect(fs.existsSync(nowhere)).toBe(false);
    // The gzip path does need its temp dir: the same TMPDIR makes it fail (proves the test can fail).
    const tgz = path.join(dir, 'orders.tar.gz');
    tar.c({ file: tgz, cwd: path.dirname(part), gzip: true, sync: true, portable: true }, ['orders-0']);
    expect(kseg(['info', tgz, '--json'], { env: { TMPDIR: nowhere } }).status).not.toBe(0);
  });

  it('verify --jobs on a tar checks on one thread and says so; the report equals the local one', () => {
    const r = kseg(['verify', archive, '--json', '--jobs', '3']);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stderr).toContain('checked on one thread');
    const want = kseg(['verify', part, '--json']);
    expect(r.stdout.split(`${archive}#/orders-0`).join('P')).toBe(want.stdout.split(part).join('P'));
  });

  it('content decides, not the name: a gzip stream named .tar is extracted, a plain tar named .tgz is read in place', () => {
    const gz = path.join(dir, 'really-gzip.tar');
    tar.c({ file: gz, cwd: path.dirname(part), gzip: true, sync: true, portable: true }, ['orders-0']);
    const plain = path.join(dir, 'really-plain.tgz');
    fs.copyFileSync(archive, plain);
    const a = kseg(['info', gz, '--json']);
    expect(a.status, a.stderr).toBe(0);
    expect(a.stderr).toContain('extracted copy');
    const b = kseg(['info', plain, '--json']);
    expect(b.status, b.stderr).toBe(0);
    expect(b.stdout).toContain(`${plain}#/orders-0`);
    expect(b.stdout.split(`${plain}#/orders-0`).join('P')).toBe(
      a.stdout
        .replace(/"dir":"[^"]*orders-0"/g, '"dir":"P"')
        .split(/[^"]*kseg-tar-[^"/]+\/orders-0/)
        .join('P'),
    );
  });

  it('mutating commands refuse an archive path: usage error (exit 2), the archive unchanged', () => {
    const before = fs.readFileSync(archive);
    for (const cmd of [
      ['recover', archive],
      ['truncate', `${archive}#orders-0`, '--to-offset', '5', '--yes'],
      ['compact', `${archive}#orders-0`, '--yes'],
      ['rebuild-index', `${archive}#orders-0`],
      ['recover', 's3://bucket/prefix/orders-0'],
    ]) {
      const r = kseg(cmd);
      expect(r.status, `${cmd.join(' ')}: ${r.stderr}`).toBe(2);
      expect(r.stderr).toContain('read-only');
      expect(r.stderr).toContain('copy it out first');
      expect(r.stderr).not.toMatch(/\n\s+at /);
    }
    expect(Buffer.compare(fs.readFileSync(archive), before)).toBe(0);
  });
});

describe('hostile and damaged archives read in place: errors name the archive and the header position', () => {
  const dir = tmpDir('kseg-tarvfs-bad-');
  const good = Buffer.concat([member('p-0/', '5', Buffer.alloc(0)), member(`p-0/${LOG0}`, '0', seg('v2-none', LOG0))]);
  const write = (name: string, bytes: Buffer): string => {
    const f = path.join(dir, name);
    fs.writeFileSync(f, bytes);
    return f;
  };
  const fails = (args: string[], code: number, ...texts: string[]): string => {
    const r = kseg(args);
    expect(r.status, `${args.join(' ')}: ${r.stderr}`).toBe(code);
    for (const t of texts) expect(r.stderr).toContain(t);
    expect(r.stderr).not.toMatch(/\n\s+at /);
    expect(r.stdout).toBe('');
    return r.stderr;
  };

  it('the hand-made archive itself is readable (the cases below differ from it in one member)', () => {
    const f = write('good.tar', Buffer.concat([good, EOA]));
    const r = kseg(['dump', f, '--ndjson']);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout.split('\n').filter(Boolean).length).toBeGreaterThan(0);
  });

  it('a member running past the end of the archive: TAR_TRUNCATED at its header', () => {
    const body = seg('v2-none', LOG0);
    const f = write('cut.tar', Buffer.concat([good, member('p-0/00000000000000000000.index', '0', Buffer.alloc(0), '', 4096)]));
    fails(['info', f, '--json'], 3, `(${f} at byte ${good.length})`, 'runs past the end of the archive');
    expect(body.length).toBeGreaterThan(0);
  });

  it('a header with a bad checksum: TAR_BAD_CHECKSUM at that header', () => {
    const bytes = Buffer.concat([good, EOA]);
    bytes[512 + 10] ^= 0x20; // the second header's name
    const f = write('cksum.tar', bytes);
    fails(['verify', f, '--json'], 3, `(${f} at byte 512)`, 'checksum');
  });

  it('a GNU sparse member: TAR_SPARSE at its header (its bytes in the archive are not the file)', () => {
    const f = write('sparse.tar', Buffer.concat([good, member('p-0/00000000000000000000.index', 'S', Buffer.alloc(512)), EOA]));
    fails(['info', f, '--json'], 3, `(${f} at byte ${good.length})`, 'sparse');
  });

  it('a symbolic link member with a segment name: TAR_NOT_A_FILE at its header, not silently left out', () => {
    const f = write('link.tar', Buffer.concat([good, member('p-0/00000000000000000000.index', '2', Buffer.alloc(0), '/etc/passwd'), EOA]));
    fails(['dump', f, '--ndjson'], 3, `(${f} at byte ${good.length})`, '-> /etc/passwd');
    fails(['verify', f, '--json'], 3, `(${f} at byte ${good.length})`);
    // Named directly as ARCHIVE#PATH, too.
    fails(['dump', `${f}#p-0/00000000000000000000.index`, '--ndjson'], 3, `(${f} at byte ${good.length})`);
  });

  it('a member named ../x: TAR_UNSAFE_PATH at its header, nothing written anywhere', () => {
    const f = write('dotdot.tar', Buffer.concat([good, member('../escaped.log', '0', Buffer.from('x')), EOA]));
    fails(['dump', `${f}#p-0`, '--ndjson'], 3, `(${f} at byte ${good.length})`, "'..'");
    expect(fs.existsSync(path.join(dir, 'escaped.log'))).toBe(false);
    expect(fs.existsSync(path.join(path.dirname(dir), 'escaped.log'))).toBe(false);
  });

  it('bytes that are no tar at all, an empty file, a missing archive', () => {
    const junk = write('junk.tar', Buffer.from('not a tar archive, just text\n'.repeat(40)));
    fails(['info', junk, '--json'], 3, `(${junk} at byte 0)`);
    const empty = write('empty.tar', Buffer.alloc(0));
    fails(['info', empty, '--json'], 3, empty, 'holds no files');
    fails(['info', path.join(dir, 'absent.tar'), '--json'], 4, 'absent.tar');
  });

  it('implicit directories (no directory entries in the archive), absolute member names, tar -r duplicates: the last member wins', () => {
    const old = Buffer.alloc(seg('v2-none', LOG0).length, 0x41);
    const f = write('implicit.tar', Buffer.concat([member(`/logs/t-0/${LOG0}`, '0', old), member(`./logs/t-0/${LOG0}`, '0', seg('v2-none', LOG0)), EOA]));
    const v = TarVfs.open(f);
    try {
      expect(v.readdir(`${f}#`).map((e) => [e.name, e.type])).toEqual([['logs', 'dir']]);
      expect(v.readdir(`${f}#/logs/t-0`).map((e) => e.name)).toEqual([LOG0]);
      expect(v.stat(`${path.resolve(f)}#/logs/t-0`).type).toBe('dir');
      const src = v.open(`${f}#/logs/t-0/${LOG0}`);
      expect(Buffer.compare(src.read(0, src.size), seg('v2-none', LOG0))).toBe(0);
      src.close();
      expect(() => v.stat(`${f}#/logs/none`)).toThrow(expect.objectContaining({ code: 'ENOENT' }));
      expect(() => v.open(`${f}#/logs`)).toThrow(KsegError);
    } finally {
      v.close();
    }
    const want = kseg(['dump', path.join(FIXTURES, 'v2-none', 'topic-0'), '--ndjson']);
    const got = kseg(['dump', f, '--ndjson']);
    expect(got.status, got.stderr).toBe(0);
    expect(got.stdout.split(`${f}#/logs/t-0`).join('P')).toBe(want.stdout.split(path.join(FIXTURES, 'v2-none', 'topic-0')).join('P'));
  });
});

describe('tar-index quickHeader: the same fields as node-tar Header', () => {
  const Header = createRequire(import.meta.url)('tar/lib/header.js') as new (b: Buffer, off: number) => Record<string, unknown>;
  const fields = (h: Record<string, unknown>) => ({
    path: h.path,
    size: h.size,
    type: h.type,
    cksumValid: h.cksumValid,
    nullBlock: h.nullBlock,
    linkpath: h.linkpath,
    mtime: (h.mtime as Date | null)?.getTime() ?? null,
  });
  /** node-tar's fields, or 'throws' (then quickHeader must leave the block to it: undefined). */
  const theirs = (b: Buffer): ReturnType<typeof fields> | 'throws' => {
    try {
      return fields(new Header(b, 0));
    } catch {
      return 'throws';
    }
  };
  const blocks: Buffer[] = [];
  const dir = tmpDir('kseg-tarhdr-');
  const long = path.join(dir, 'src', 'a'.repeat(60), 'b'.repeat(60));
  fs.mkdirSync(long, { recursive: true });
  fs.cpSync(path.join(FIXTURES, 'v2-multiseg', 'topic-0'), path.join(long, 'orders-0'), { recursive: true });
  for (const portable of [true, false]) {
    const f = path.join(dir, `n${portable}.tar`);
    tar.c({ file: f, cwd: path.join(dir, 'src'), sync: true, portable }, ['.']);
    const b = fs.readFileSync(f);
    for (let o = 0; o + 512 <= b.length; o += 512) blocks.push(b.subarray(o, o + 512));
  }
  blocks.push(member('x/y.log', '2', Buffer.alloc(0), '../z'), member('d/', '0', Buffer.alloc(0)), member('p/q', '\0', Buffer.alloc(3)), Buffer.alloc(512));

  it('on every 512-byte block of node-tar archives (headers, data, long ustar prefixes, links, end blocks)', () => {
    let decoded = 0;
    for (const b of blocks) {
      const q = quickHeader(b, 0);
      if (q === undefined) continue;
      decoded++;
      expect(fields(q as unknown as Record<string, unknown>)).toEqual(theirs(b));
    }
    expect(decoded).toBeGreaterThan(blocks.length / 2);
  });

  it('on headers with bytes flipped in every field (seeded): equal, or left to node-tar (undefined)', () => {
    let seed = 12345;
    const rnd = (n: number): number => {
      seed = (seed * 1103515245 + 12345) & 0x7fffffff;
      return seed % n;
    };
    const heads = blocks.filter((b) => {
      const t = theirs(b);
      return t !== 'throws' && t.cksumValid && !t.nullBlock;
    });
    expect(heads.length).toBeGreaterThan(5);
    const picks = [0, 99, 100, 124, 130, 135, 136, 147, 148, 155, 156, 157, 257, 263, 345, 475, 500, 511];
    for (let i = 0; i < 3000; i++) {
      const b = Buffer.from(heads[rnd(heads.length)]!);
      const at = rnd(2) ? picks[rnd(picks.length)]! : rnd(512);
      b[at] = [0, 0x20, 0x30, 0x37, 0x38, 0x2d, 0x80, 0xff, 0x2f, rnd(256)][rnd(10)]!;
      const q = quickHeader(b, 0);
      if (q !== undefined) expect(fields(q as unknown as Record<string, unknown>), `byte ${at} = ${b[at]}`).toEqual(theirs(b));
    }
  });
});
