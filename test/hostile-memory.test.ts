import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decompress, lz4Compress, snappyCompress, zstdCompress, DEFAULT_MAX_DECOMPRESSED_BYTES } from '../src/format/codecs.js';
import { encodeV2BatchSync, setV2Crc } from '../src/format/encode.js';
import { CorruptDataError } from '../src/format/errors.js';
import { encodeProducerSnapshot } from '../src/format/snapshot.js';
import { ROOT, kseg, tmpDir } from './helpers.js';

/**
 * Issue 12, item 2: decompression bombs. Kafka itself puts no bound on a batch's decompressed
 * size (DefaultRecordBatch streams records); kseg holds a batch's records in memory, so each
 * codec stops at --max-decompressed-bytes with DECOMPRESSED_TOO_LARGE naming the batch.
 */

const MiB = 1024 * 1024;
/** Every bomb expands to this much: four times the default limit, cheap to build. */
const BOMB = 4 * DEFAULT_MAX_DECOMPRESSED_BYTES;

/** A v2 batch (one record claimed) around an already compressed payload; codec ids as Kafka's. */
function batchAround(payload: Buffer, codecId: number): Buffer {
  const buf = Buffer.alloc(61 + payload.length);
  buf.writeBigInt64BE(0n, 0);
  buf.writeInt32BE(buf.length - 12, 8);
  buf.writeInt32BE(0, 12);
  buf[16] = 2;
  buf.writeInt16BE(codecId, 21);
  buf.writeInt32BE(0, 23);
  buf.writeBigInt64BE(1700000000000n, 27);
  buf.writeBigInt64BE(1700000000000n, 35);
  buf.writeBigInt64BE(-1n, 43);
  buf.writeInt16BE(-1, 51);
  buf.writeInt32BE(-1, 53);
  buf.writeInt32BE(1, 57);
  payload.copy(buf, 61);
  setV2Crc(buf, 0, buf.length);
  return buf;
}

/** gzip: concatenated members (gunzip reads them all, as Java's GZIPInputStream does). */
function gzipBomb(): Buffer {
  const member = zlib.gzipSync(Buffer.alloc(16 * MiB), { level: 9 });
  return Buffer.concat(Array.from({ length: BOMB / (16 * MiB) }, () => member));
}

/** zstd: concatenated frames, each declaring its 16 MiB. */
async function zstdBomb(): Promise<Buffer> {
  const frame = await zstdCompress(Buffer.alloc(16 * MiB));
  return Buffer.concat(Array.from({ length: BOMB / (16 * MiB) }, () => frame));
}

/**
 * zstd without a declared size: one frame (window 128 KiB, no content size) of RLE blocks, 4
 * bytes per 128 KiB of output, so only streaming decompression can find out how large it is.
 */
function zstdUndeclaredBomb(bytes: number): Buffer {
  const blocks = bytes / (128 * 1024);
  const out = Buffer.alloc(6 + 4 * blocks);
  out.writeUInt32LE(0xfd2fb528, 0);
  out[4] = 0x00; // FHD: no content size, not single-segment, no dictionary
  out[5] = (17 - 10) << 3; // window descriptor: 2^17
  for (let i = 0; i < blocks; i++) {
    const last = i === blocks - 1 ? 1 : 0;
    const header = last | (1 << 1) | ((128 * 1024) << 3); // RLE block of 128 KiB
    out.writeUIntLE(header, 6 + 4 * i, 3);
    out[6 + 4 * i + 3] = 0x61;
  }
  return out;
}

/** zstd frame whose header declares 2^40 bytes (single segment, 8-byte content size). */
function zstdDeclares2p40(): Buffer {
  const out = Buffer.alloc(4 + 1 + 8 + 4);
  out.writeUInt32LE(0xfd2fb528, 0);
  out[4] = 0xe0; // FCS 8 bytes, single segment
  out.writeBigUInt64LE(2n ** 40n, 5);
  out.writeUIntLE(1 | (1 << 1) | (1024 << 3), 13, 3); // one RLE block (the rest is missing)
  out[16] = 0x61;
  return out;
}

/** lz4: one compressed 64 KiB block of zeros repeated inside one Kafka LZ4 frame. */
function lz4Bomb(): Buffer {
  const one = lz4Compress(Buffer.alloc(64 * 1024), 2);
  const header = one.subarray(0, 7);
  const block = one.subarray(7, one.length - 4);
  return Buffer.concat([header, ...Array.from({ length: BOMB / (64 * 1024) }, () => block), Buffer.alloc(4)]);
}

/** xerial snappy: one 4 MiB chunk of zeros, repeated (each chunk's preamble declares 4 MiB). */
function snappyXerialBomb(): Buffer {
  const framed = snappyCompress(Buffer.alloc(4 * MiB), true);
  // framed = 16-byte header, then 32 KiB chunks; rebuild with one big chunk instead.
  const raw = snappyCompress(Buffer.alloc(4 * MiB), false);
  const len = Buffer.alloc(4);
  len.writeUInt32BE(raw.length);
  return Buffer.concat([framed.subarray(0, 16), ...Array.from({ length: BOMB / (4 * MiB) }, () => Buffer.concat([len, raw]))]);
}

/** raw snappy: the uncompressed-length preamble alone says 4 GiB - 1. */
function snappyRawDeclared(): Buffer {
  return Buffer.from([0xff, 0xff, 0xff, 0xff, 0x0f, 0x00, 0x61]);
}

describe('decompression bombs (issue 12 item 2)', () => {
  let dir: string;
  const bombs: Record<string, string> = {};

  beforeAll(async () => {
    dir = tmpDir('kseg-bomb-');
    const payloads: Record<string, [Buffer, number]> = {
      gzip: [gzipBomb(), 1],
      zstd: [await zstdBomb(), 4],
      'zstd-undeclared': [zstdUndeclaredBomb(BOMB), 4],
      'zstd-2p40': [zstdDeclares2p40(), 4],
      lz4: [lz4Bomb(), 3],
      'snappy-xerial': [snappyXerialBomb(), 2],
      'snappy-raw': [snappyRawDeclared(), 2],
    };
    for (const [name, [payload, id]] of Object.entries(payloads)) {
      const p = path.join(dir, `bomb-${name}-0`);
      fs.mkdirSync(p);
      fs.writeFileSync(path.join(p, '00000000000000000000.log'), batchAround(payload, id));
      bombs[name] = p;
    }
  }, 60_000);
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  it.each(['gzip', 'zstd', 'zstd-undeclared', 'lz4', 'snappy-xerial'])('%s: in process, decompress stops at the limit with DECOMPRESSED_TOO_LARGE', (name) => {
    const log = fs.readFileSync(path.join(bombs[name]!, '00000000000000000000.log'));
    const id = log.readInt16BE(21) & 7;
    let err: unknown;
    try {
      decompress(id, log.subarray(61), 2, 8 * MiB);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(CorruptDataError);
    expect((err as CorruptDataError).code).toBe('DECOMPRESSED_TOO_LARGE');
  });

  it('zstd: a frame declaring 2^40 bytes is DECOMPRESSED_TOO_LARGE, not a range error', () => {
    expect(() => decompress(4, zstdDeclares2p40(), 2)).toThrow(/declare 1099511627776 decompressed bytes/);
  });

  it('snappy: a raw block whose preamble declares 4 GiB is refused before allocating', () => {
    expect(() => decompress(2, snappyRawDeclared(), 2)).toThrow(expect.objectContaining({ code: 'DECOMPRESSED_TOO_LARGE' }));
  });

  it('a payload just under the limit still decompresses, one byte more does not (every codec)', async () => {
    const data = Buffer.alloc(1000, 7);
    for (const [codec, id] of [
      ['gzip', 1],
      ['snappy', 2],
      ['snappy-xerial', 2],
      ['lz4', 3],
      ['zstd', 4],
    ] as const) {
      const { compress } = await import('../src/format/codecs.js');
      const c = await compress(codec, data, 2);
      expect(decompress(id, c, 2, 1000).equals(data), codec).toBe(true);
      expect(() => decompress(id, c, 2, 999), codec).toThrow(expect.objectContaining({ code: 'DECOMPRESSED_TOO_LARGE' }));
    }
  });

  /** Peak RSS of one CLI run (getrusage of the child, via bench/lib/rss-preload.mjs). */
  function measured(args: string[]): { status: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string; rssMiB: number } {
    const rssFile = path.join(dir, `rss-${Math.random().toString(36).slice(2)}`);
    const r = spawnSync(process.execPath, ['--import', path.join(ROOT, 'bench', 'lib', 'rss-preload.mjs'), path.join(ROOT, 'bin', 'kseg.js'), ...args], {
      encoding: 'utf8',
      env: { ...process.env, NO_COLOR: '1', KSEG_BENCH_RSS_FILE: rssFile },
      maxBuffer: 64 * MiB,
    });
    const kib = fs.existsSync(rssFile) ? Number(fs.readFileSync(rssFile, 'utf8').split(' ')[0]) : Infinity;
    return { status: r.status, signal: r.signal, stdout: r.stdout, stderr: r.stderr, rssMiB: kib / 1024 };
  }

  // One verify run over the seven bomb partitions (one spawn instead of seven): each partition's
  // own finding, and the peak RSS of the whole run.
  const BOMBS = ['gzip', 'zstd', 'zstd-undeclared', 'zstd-2p40', 'lz4', 'snappy-xerial', 'snappy-raw'];
  let verifyAll: ReturnType<typeof measured> | undefined;
  it.each(BOMBS)(
    '%s: verify reports DECOMPRESSED_TOO_LARGE at the batch and peak RSS stays under 300 MB',
    (name) => {
      const r = (verifyAll ??= measured(['verify', ...BOMBS.map((b) => bombs[b]!), '--json']));
      expect(r.signal).toBeNull();
      expect(r.status, r.stderr).toBe(1);
      const report = JSON.parse(r.stdout);
      const mine = report.issues.filter((i: { partition: string }) => i.partition === bombs[name]);
      expect(mine.map((i: { code: string; file: string; position: number }) => `${i.code} ${i.file}@${i.position}`)).toEqual(['DECOMPRESSED_TOO_LARGE 00000000000000000000.log@0']);
      expect(r.rssMiB).toBeLessThan(300);
    },
    60_000,
  );

  it.each([
    ['dump', ['dump']],
    ['recover --dry-run', ['recover', '--dry-run']],
    ['rebuild-index --check', ['rebuild-index', '--check']],
  ])(
    'gzip + zstd + lz4 bombs: %s ends with a clear error or finding and peak RSS under 300 MB',
    (_n, cmd) => {
      for (const name of ['gzip', 'zstd', 'lz4']) {
        const r = measured([...cmd, bombs[name]!]);
        expect(r.signal, name).toBeNull();
        expect(r.status, `${name}: ${r.stderr}`).not.toBe(70);
        expect(r.rssMiB, name).toBeLessThan(300);
      }
    },
    120_000,
  );

  it('dump names the code, file and position on stderr', () => {
    const r = kseg(['dump', bombs['zstd-2p40']!, '--json']);
    expect(r.status).toBe(3);
    expect(r.stderr).toContain('DECOMPRESSED_TOO_LARGE');
    expect(r.stderr).toMatch(/00000000000000000000\.log.*"position":0/);
  });

  it('--max-decompressed-bytes lowers the limit for an ordinary batch, and rejects nonsense', async () => {
    const p = path.join(dir, 'small-0');
    fs.mkdirSync(p);
    const { encodeV2Batch } = await import('../src/format/encode.js');
    const b = await encodeV2Batch({ baseOffset: 0, compression: 'zstd', records: [{ timestamp: 1, key: 'k', value: 'x'.repeat(5000) }] });
    fs.writeFileSync(path.join(p, '00000000000000000000.log'), b);
    expect(kseg(['verify', p]).status).toBe(0);
    const low = kseg(['verify', p, '--json', '--max-decompressed-bytes', '4k']);
    expect(low.status).toBe(1);
    expect(low.stdout).toContain('DECOMPRESSED_TOO_LARGE');
    expect(kseg(['verify', p, '--max-decompressed-bytes', '1m']).status).toBe(0);
    expect(kseg(['verify', p, '--max-decompressed-bytes', '0']).status).toBe(2);
  });
});

/**
 * Issue 12, item 3: memory maps are released only by the garbage collector (the mmap module has
 * no unmap), so a partition of 20,000 segments (log, index, time index: 60,000 maps) passed
 * vm.max_map_count and V8 died by SIGABRT. Maps are now budgeted; past the budget, reads are
 * positional. LogSegment/AbstractIndex in Kafka map every index too, but Java unmaps on close.
 */
describe('20,000 segments: memory maps stay bounded (issue 12 item 3)', () => {
  let dir: string;
  let part: string;
  let small: string;
  const SEGMENTS = 20_000;

  beforeAll(() => {
    // tmpfs when there is one: 80,000 files on a disk file system cost half a minute to make.
    dir = fs.existsSync('/dev/shm') ? fs.mkdtempSync('/dev/shm/kseg-maps-') : tmpDir('kseg-maps-');
    part = path.join(dir, 'many-0');
    fs.mkdirSync(part);
    // 4 files a segment: 80,000 maps before the fix, past vm.max_map_count (65,530).
    // One single-record batch per segment; the base offset is not covered by the CRC, so one
    // template serves all. Index and time index get their one entry (offset 0 at position 0).
    const batch = encodeV2BatchSync({ baseOffset: 0, records: [{ timestamp: 1700000000000, key: 'k', value: 'v' }] });
    const index = Buffer.alloc(8);
    const snapshot = encodeProducerSnapshot([]);
    const timeindex = Buffer.alloc(12);
    timeindex.writeBigInt64BE(1700000000000n, 0);
    for (let i = 0; i < SEGMENTS; i++) {
      const name = String(i).padStart(20, '0');
      batch.writeBigInt64BE(BigInt(i), 0);
      fs.writeFileSync(path.join(part, `${name}.log`), batch);
      fs.writeFileSync(path.join(part, `${name}.index`), index);
      fs.writeFileSync(path.join(part, `${name}.timeindex`), timeindex);
      // Kafka writes a producer snapshot at every roll: the fourth file (and map) per segment.
      if (i > 0) fs.writeFileSync(path.join(part, `${name}.snapshot`), snapshot);
    }
    // The first 50 segments (200 files) on their own.
    small = path.join(dir, 'small-0');
    fs.mkdirSync(small);
    for (const f of fs.readdirSync(part).sort().slice(0, 200)) fs.copyFileSync(path.join(part, f), path.join(small, f));
  }, 180_000);
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }), 180_000);

  // The CLI on all 20,000 segments: the run that died by SIGABRT before the fix.
  it('verify completes on 20,000 segments without dying by a signal', () => {
    const r = spawnSync(process.execPath, [path.join(ROOT, 'bin', 'kseg.js'), 'verify', part], { encoding: 'utf8', maxBuffer: 256 * MiB, env: { ...process.env, NO_COLOR: '1' } });
    expect(r.signal, r.stderr.slice(0, 400)).toBeNull();
    expect(r.status, r.stderr.slice(0, 400)).toBe(0);
  }, 120_000);

  // Every map is made by storage/source.ts and counted by liveMapCount. Each command, run on 50
  // segments (200 files) with a budget of 32 maps, never holds more than the budget: so on 20,000
  // segments it holds at most the default budget (4096), far below vm.max_map_count. (One spawned
  // process for the four instead of four CLI runs on 20,000 segments each.)
  it('verify, recover --dry-run, rebuild-index --check and info stay within the map budget (spawned, KSEG_MAX_MAPS=32)', () => {
    const mid = small;
    const script = `
      const k = await import(${JSON.stringify(path.join(ROOT, 'dist', 'index.js'))});
      const out = { reader: k.readerKind() };
      let most = 0;
      const sample = () => { most = Math.max(most, k.liveMapCount()); };
      const p = ${JSON.stringify(mid)};
      out.verify = k.verify([p], { onProgress: sample }).errors; sample(); out.verifyMost = most; most = 0;
      out.recover = k.recover(p, { dryRun: true, onProgress: sample }).changed.length; sample(); out.recoverMost = most; most = 0;
      // The hand-made one-entry .index differs from a rebuild (Kafka indexes a batch only after
      // index.interval.bytes): a finding, not a failure.
      out.rebuild = k.rebuildIndex(p, { check: true, onProgress: sample }).differences > 0; sample(); out.rebuildMost = most; most = 0;
      out.info = k.info([p])[0].segments.length; sample(); out.infoMost = most;
      console.log(JSON.stringify(out));`;
    const r = spawnSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8', env: { ...process.env, KSEG_MAX_MAPS: '32' } });
    expect(r.signal, r.stderr.slice(0, 400)).toBeNull();
    expect(r.status, r.stderr.slice(0, 400)).toBe(0);
    const o = JSON.parse(r.stdout);
    expect({ verify: o.verify, recover: typeof o.recover, rebuild: o.rebuild, info: o.info }).toEqual({ verify: 0, recover: 'number', rebuild: true, info: 50 });
    for (const k of ['verifyMost', 'recoverMost', 'rebuildMost', 'infoMost']) expect(o[k], k).toBeLessThanOrEqual(32);
    // With the mmap reader every command reaches the budget (200 files) and goes on with
    // positional reads past it: the bound is tested, not idle.
    if (o.reader.startsWith('mmap')) for (const k of ['verifyMost', 'recoverMost', 'rebuildMost', 'infoMost']) expect(o[k], k).toBe(32);
    else console.warn(`reader is "${o.reader}": no maps are made, the budget is not exercised`);
  }, 120_000);

  it('a library loop of 400 info + dump calls on 50 segments keeps running (before: SIGABRT after ~350; spawned)', () => {
    const script = `
      const k = await import(${JSON.stringify(path.join(ROOT, 'dist', 'index.js'))});
      let most = 0;
      for (let i = 0; i < 400; i++) {
        k.info([${JSON.stringify(small)}]);
        for (const ev of k.dump([${JSON.stringify(small)}], {})) void ev;
        most = Math.max(most, k.liveMapCount());
      }
      console.log(JSON.stringify({ most }));`;
    const r = spawnSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8' });
    expect(r.signal, r.stderr.slice(0, 400)).toBeNull();
    expect(r.status, r.stderr.slice(0, 400)).toBe(0);
    expect(JSON.parse(r.stdout).most).toBeLessThanOrEqual(4096);
  }, 120_000);
});

/**
 * Issue 12, item 4: an .index or .timeindex over 2 GiB (a preallocation gone wrong; sparse here,
 * so it costs no disk). AbstractIndex maps the whole file and FileChannel.map takes at most
 * 2^31-1 bytes, so the broker cannot load such a log. kseg reported a 32-bit range error from
 * every command; now verify reports it, recover and rebuild-index rewrite it, lookup scans.
 */
describe('index files over 2 GiB (issue 12 item 4)', () => {
  let dir: string;
  let part: string;
  const INDEX = '00000000000000000000.index';
  const TIMEINDEX = '00000000000000000000.timeindex';
  const TXNINDEX = '00000000000000000000.txnindex';

  beforeAll(() => {
    dir = tmpDir('kseg-bigindex-');
    part = path.join(dir, 'big-0');
    const g = kseg(['generate', '--no-fsync', '--records', '3000', '--segment-bytes', '100k', part]);
    expect(g.status, g.stderr).toBe(0);
    fs.truncateSync(path.join(part, INDEX), 3 * 1024 ** 3);
    fs.truncateSync(path.join(part, TIMEINDEX), 2 ** 31 + 12 * 1024);
    fs.writeFileSync(path.join(part, TXNINDEX), '');
    fs.truncateSync(path.join(part, TXNINDEX), 2 ** 31 + 34 * 10);
  }, 60_000);
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('verify: INDEX_TOO_LARGE and TIMEINDEX_TOO_LARGE (AbstractIndex cannot map them), TXNINDEX_TOO_LARGE, exit 1', () => {
    const r = kseg(['verify', part, '--json']);
    expect(r.status, r.stderr).toBe(1);
    const codes = JSON.parse(r.stdout).issues.map((i: { code: string; file: string }) => `${i.code} ${i.file}`);
    expect(codes).toContain(`INDEX_TOO_LARGE ${INDEX}`);
    expect(codes).toContain(`TIMEINDEX_TOO_LARGE ${TIMEINDEX}`);
    expect(codes).toContain(`TXNINDEX_TOO_LARGE ${TXNINDEX}`);
  });

  it('rebuild-index --check: both differ, with their size on disk', () => {
    const r = kseg(['rebuild-index', '--check', part, '--json']);
    expect(r.status, r.stderr).toBe(1);
    const files = JSON.parse(r.stdout).files as { file: string; status: string; bytesOnDiskTooLarge?: number }[];
    expect(files.find((f) => f.file === INDEX)).toMatchObject({ status: 'differs', bytesOnDiskTooLarge: 3 * 1024 ** 3 });
    expect(files.find((f) => f.file === TIMEINDEX)).toMatchObject({ status: 'differs', bytesOnDiskTooLarge: 2 ** 31 + 12 * 1024 });
  });

  it('lookup by offset and by timestamp scans the log instead, and says why', () => {
    const o = kseg(['lookup', part, '--offset', '5', '--json', '--explain']);
    expect(o.status, o.stderr).toBe(0);
    expect(JSON.parse(o.stdout).record.offset).toBe(5);
    expect(o.stdout).toContain('more than the 2147483647 an index can be');
    const t = kseg(['lookup', part, '--timestamp', '1700000000500', '--json']);
    expect(t.status, t.stderr).toBe(0);
  });

  it('dump --index and info name the file instead of a range error', () => {
    const d = kseg(['dump', '--index', part]);
    expect(d.status).toBe(3);
    expect(d.stderr).toContain(INDEX);
    expect(d.stderr).not.toMatch(/out of range/);
    expect(kseg(['info', part]).status).toBe(0);
  });

  it('recover rewrites all three from the log; the partition then verifies clean', () => {
    const copy = path.join(dir, 'copy-0');
    fs.mkdirSync(copy);
    for (const f of fs.readdirSync(part)) {
      const src = path.join(part, f);
      if (f === INDEX || f === TIMEINDEX || f === TXNINDEX) (fs.writeFileSync(path.join(copy, f), ''), fs.truncateSync(path.join(copy, f), fs.statSync(src).size));
      else fs.copyFileSync(src, path.join(copy, f));
    }
    const r = kseg(['recover', copy]);
    expect(r.status, r.stderr).toBe(0);
    expect(fs.statSync(path.join(copy, INDEX)).size).toBeLessThan(1024 * 1024);
    expect(fs.statSync(path.join(copy, TIMEINDEX)).size).toBeLessThan(1024 * 1024);
    expect(fs.statSync(path.join(copy, TXNINDEX)).size).toBe(0);
    const v = kseg(['verify', copy]);
    expect(v.status, v.stdout).toBe(0);
  });
});
