import fs from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';
import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { esc, human } from '../src/cli/report-html.js';
import { buildPartition } from './partition-builder.js';
import { FIXTURES, HAVE_REAL, REAL, kseg, tmpDir } from './helpers.js';

/** `kseg report`: the HTML page and the data behind it (`--json`), checked against info, verify and compact --dry-run. */

const CHROMIUM = ['chromium', 'chromium-browser', 'google-chrome'].find((c) => spawnSync('sh', ['-c', `command -v ${c}`]).status === 0);
if (!CHROMIUM) console.warn('note: chromium is not installed (apt-get install -y chromium); the headless-browser checks of kseg report are skipped');

function gen(dir: string, extra: string[]): void {
  const r = kseg(['generate', dir, '--seed', '7', '--no-fsync', ...extra]);
  expect(r.status, r.stderr).toBe(0);
}

function chromium(args: string[]): ReturnType<typeof spawnSync> {
  return spawnSync(
    CHROMIUM!,
    [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      `--user-data-dir=${tmpDir('kseg-chromium-')}`,
      ...args,
    ],
    { encoding: 'utf8', timeout: 90_000, maxBuffer: 64 * 1024 * 1024 },
  );
}

/** Decode a PNG's pixel bytes (IDAT inflated, filters undone) to count distinct colours: a blank page has one. */
function pngColours(file: string): { width: number; height: number; colours: number } {
  const buf = fs.readFileSync(file);
  expect(buf.subarray(1, 4).toString('latin1')).toBe('PNG');
  let pos = 8;
  let width = 0;
  let height = 0;
  let colorType = 0;
  const idat: Buffer[] = [];
  while (pos < buf.length) {
    const len = buf.readUInt32BE(pos);
    const type = buf.subarray(pos + 4, pos + 8).toString('latin1');
    const data = buf.subarray(pos + 8, pos + 8 + len);
    if (type === 'IHDR') {
      width = data.readUInt32BE(0);
      height = data.readUInt32BE(4);
      expect(data[8]).toBe(8); // bit depth
      colorType = data[9]!;
    } else if (type === 'IDAT') idat.push(data);
    pos += 12 + len;
  }
  const bpp = colorType === 6 ? 4 : colorType === 2 ? 3 : colorType === 0 ? 1 : 2;
  const raw = zlib.inflateSync(Buffer.concat(idat));
  const stride = width * bpp;
  const prev = Buffer.alloc(stride);
  const cur = Buffer.alloc(stride);
  const colours = new Set<number>();
  for (let y = 0; y < height; y++) {
    const off = y * (stride + 1);
    const f = raw[off]!;
    for (let i = 0; i < stride; i++) {
      const x = raw[off + 1 + i]!;
      const a = i >= bpp ? cur[i - bpp]! : 0;
      const b = prev[i]!;
      const c = i >= bpp ? prev[i - bpp]! : 0;
      let v: number;
      if (f === 0) v = x;
      else if (f === 1) v = x + a;
      else if (f === 2) v = x + b;
      else if (f === 3) v = x + ((a + b) >> 1);
      else {
        const p = a + b - c;
        const pa = Math.abs(p - a);
        const pb = Math.abs(p - b);
        const pc = Math.abs(p - c);
        v = x + (pa <= pb && pa <= pc ? a : pb <= pc ? b : c);
      }
      cur[i] = v & 0xff;
    }
    for (let i = 0; i + 2 < stride && colours.size < 5000; i += bpp) colours.add((cur[i]! << 16) | (cur[i + 1]! << 8) | cur[i + 2]!);
    cur.copy(prev);
  }
  return { width, height, colours: colours.size };
}

describe('kseg report', () => {
  it('page and --json agree with info, verify and compact --dry-run; a damaged partition gets findings, not a reclaim figure', () => {
    const flags = ['--records', '3000', '--key-space', '50', '--tombstone-ratio', '0.05', '--segment-bytes', '64k', '--compression', 'none,gzip,lz4'];
    const healthy = path.join(tmpDir('kseg-report-'), 'orders-0');
    gen(healthy, flags);
    const comp = JSON.parse(kseg(['compact', healthy, '--dry-run', '--json', '--now', '1700000000000']).stdout);
    const hp = JSON.parse(kseg(['report', healthy, '--json', '--now', '1700000000000']).stdout).partitions[0];
    // LogCleaner (compact --dry-run): the same reclaim, not a second implementation of the rules.
    expect(hp.compaction.recordsRemoved).toBe(comp.totals.recordsRemoved);
    expect(hp.compaction.bytesReclaimed).toBe(comp.totals.bytesIn - comp.totals.bytesOut);
    expect(hp.compaction.recordsRemoved).toBeGreaterThan(0);
    expect(hp.keys.distinct).toBe(50);
    expect(hp.verify).toMatchObject({ ok: true, errors: 0 });

    const d = path.join(tmpDir('kseg-report-'), 'orders-0');
    gen(d, [...flags, '--corrupt', 'crc']);
    const info = JSON.parse(kseg(['info', d, '--json']).stdout)[0];
    const ver = JSON.parse(kseg(['verify', d, '--json']).stdout);
    const r = kseg(['report', d, '--json', '--now', '1700000000000']);
    expect(r.status, r.stderr).toBe(0);
    const data = JSON.parse(r.stdout);
    const p = data.partitions[0];
    expect(data.kind).toBe('partition');
    expect(p.info.segments.length).toBe(info.segments.length);
    expect(p.info.records).toBe(info.records);
    // compact refuses a partition with a bad CRC (cleaning would hide it): the page says so.
    expect(p.compaction.error).toMatch(/CRC/);
    // Keys: 50 distinct key-000000.. keys (the damaged batch's records may hide a few, never add).
    expect(p.keys.distinct).toBeLessThanOrEqual(50);
    expect(p.keys.distinct).toBeGreaterThan(45);
    expect(p.keys.tombstones).toBeGreaterThan(0);
    // Per-minute volume sums to every batch header; the mix sums to every batch.
    const mixBatches = p.mix.reduce((n: number, m: any) => n + m.batches, 0);
    expect(mixBatches).toBe(info.batches);
    expect(p.mix.map((m: any) => m.codec).sort()).toEqual(['gzip', 'lz4', 'none']);
    expect(p.perMinute.reduce((n: number, m: any) => n + m.records, 0)).toBe(info.records);
    // verify findings, each placed on its segment.
    expect(p.verify.errors).toBe(ver.errors);
    const crc = p.verify.findings.find((f: any) => f.code === 'CRC_MISMATCH');
    expect(crc).toBeDefined();
    expect(crc.segmentBaseOffset).toBe(Number(crc.file.slice(0, 20)));

    const out = path.join(tmpDir('kseg-report-out-'), 'page.html');
    const h = kseg(['report', d, '-o', out, '--now', '1700000000000']);
    expect(h.status, h.stderr).toBe(0);
    expect(h.stdout).toBe('');
    expect(h.stderr).toContain('wrote');
    const html = fs.readFileSync(out, 'utf8');
    expect(html.match(/<rect class="segment"/g)!.length).toBe(info.segments.length);
    expect(html).toContain('data-code="CRC_MISMATCH"');
    expect(html).toMatch(/id="p0-minutes"/);
    expect(html).toMatch(/id="p0-mix"/);
    expect(html).toMatch(/id="p0-keys"/);
    expect(html).toMatch(/id="p0-findings"/);
    expect(html).toContain('dry run failed');
    // Self-contained: nothing to fetch, nothing to run.
    expect(html).not.toMatch(/<script|\bsrc=|<link|https?:\/\/(?!www\.w3)/i);
  });

  it('shows offset gaps and compacted segments on the timeline (LogCleaner leaves both)', async () => {
    const d = path.join(tmpDir('kseg-report-'), 'gappy-0');
    const rec = (k: string) => ({ key: k, value: 'v' });
    await buildPartition(d, [
      { kind: 'data', records: [rec('a'), rec('b')], producerId: -1, transactional: false, gapAfter: 3 },
      { kind: 'roll' },
      { kind: 'skip', offsets: 10 },
      { kind: 'data', records: [rec('a'), rec('c')], producerId: -1, transactional: false },
    ]);
    const data = JSON.parse(kseg(['report', d, '--json']).stdout).partitions[0];
    expect(data.gaps).toEqual([{ from: 5, to: 15 }]);
    expect(data.compactedRanges).toEqual([{ from: 0, to: 5, records: 2, file: '00000000000000000000.log' }]);
    expect(data.keys).toMatchObject({ keyed: 4, distinct: 3 });
    const html = kseg(['report', d]).stdout;
    expect(html.match(/<rect class="gap"/g)!.length).toBe(1);
    expect(html).toContain('url(#p0-hatch)');
  });

  it('escapes everything that comes from the disk (directory names, messages) and control bytes', () => {
    expect(esc('<img src=x onerror="a">&\'')).toBe('&lt;img src=x onerror=&quot;a&quot;&gt;&amp;&#39;');
    expect(esc('a\u0000b\u001bc')).toBe('a\\x00b\\x1bc');
    expect(human(1023)).toBe('1023 B');
    expect(human(1536)).toBe('1.50 KiB');
    const root = tmpDir('kseg-report-');
    const d = path.join(root, 'evil<img src=x onerror=alert(1)>-0');
    fs.cpSync(path.join(FIXTURES, 'v2-compact', 'topic-0'), d, { recursive: true });
    const r = kseg(['report', d]);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).not.toContain('<img');
    expect(r.stdout).toContain('evil&lt;img src=x onerror=alert(1)&gt;-0');
  });

  it('a log dir: an overview row per partition, largest first, capped by --max-partitions with the rest named', () => {
    const root = tmpDir('kseg-report-logdir-');
    for (const [c, name] of [
      ['v2-txn', 'orders-0'],
      ['v2-compact', 'orders-1'],
      ['corrupt-crc', 'payments-0'],
    ] as const) {
      fs.cpSync(path.join(FIXTURES, c, 'topic-0'), path.join(root, name), { recursive: true });
    }
    const data = JSON.parse(kseg(['report', root, '--json', '--max-partitions', '2']).stdout);
    expect(data.kind).toBe('log-dir');
    expect(data.partitions).toHaveLength(2);
    expect(data.skipped).toHaveLength(1);
    const html = kseg(['report', root, '--max-partitions', '2']).stdout;
    expect(html.match(/<a href="#p\d">/g)).toHaveLength(2);
    expect(html).toContain(`id="skipped"`);
    expect(html).toContain(data.skipped[0]);
    const all = JSON.parse(kseg(['report', root, '--json']).stdout);
    expect(all.partitions.map((p: any) => p.name).sort()).toEqual(['orders-0', 'orders-1', 'payments-0']);
    expect(all.partitions.find((p: any) => p.name === 'payments-0').verify.ok).toBe(false);
  });

  it('an empty directory or a missing path is an error, not an empty page', () => {
    const empty = tmpDir('kseg-report-empty-');
    const r = kseg(['report', empty, '-o', path.join(empty, 'x.html')]);
    expect(r.status).toBe(4);
    expect(r.stderr).toMatch(/no Kafka partition found in .*kseg-report-empty-/);
    expect(fs.existsSync(path.join(empty, 'x.html'))).toBe(false);
    expect(kseg(['report', path.join(empty, 'nope')]).status).toBe(4);
    expect(kseg(['report', path.join(FIXTURES, 'v2-none', 'topic-0', '00000000000000000000.log')]).status).toBe(2);
  });

  it.skipIf(!CHROMIUM)(
    'headless Chromium renders the page: elements present, screenshot not blank',
    () => {
      const d = path.join(tmpDir('kseg-report-'), 'orders-0');
      gen(d, ['--records', '2000', '--key-space', '40', '--segment-bytes', '48k', '--corrupt', 'crc', '--compression', 'none,zstd']);
      const dir = tmpDir('kseg-report-shot-');
      const page = path.join(dir, 'report.html');
      expect(kseg(['report', d, '-o', page, '--now', '1700000000000']).status).toBe(0);
      const dom = chromium(['--dump-dom', `file://${page}`]);
      expect(dom.status, String(dom.stderr)).toBe(0);
      const html = String(dom.stdout);
      expect(html).toContain('id="title"');
      for (const id of ['p0-timeline', 'p0-minutes', 'p0-mix', 'p0-keys', 'p0-findings', 'p0-segments']) expect(html).toContain(`id="${id}"`);
      expect((html.match(/class="segment"/g) ?? []).length).toBeGreaterThan(2);
      expect(html).toContain('data-code="CRC_MISMATCH"');
      const png = path.join(dir, 'shot.png');
      const shot = chromium([`--screenshot=${png}`, '--window-size=1200,1600', `file://${page}`]);
      expect(shot.status, String(shot.stderr)).toBe(0);
      const img = pngColours(png);
      expect(img.width).toBe(1200);
      expect(img.height).toBe(1600);
      expect(img.colours).toBeGreaterThan(20);
      // The same decoder says a blank page is blank (the check can fail).
      const blankPage = path.join(dir, 'blank.html');
      fs.writeFileSync(blankPage, '<!DOCTYPE html><html><body></body></html>');
      const blank = path.join(dir, 'blank.png');
      chromium([`--screenshot=${blank}`, '--window-size=1200,1600', `file://${blankPage}`]);
      expect(pngColours(blank).colours).toBeLessThanOrEqual(2);
    },
    180_000,
  );

  it.skipIf(!HAVE_REAL)('real broker log dir (ldi-poc): one section per partition, capped, findings and totals from the data', () => {
    const logDir = path.join(REAL, 'ldi-poc', 'kafka-logs');
    const r = kseg(['report', logDir, '--json', '--max-partitions', '5']);
    expect(r.status, r.stderr).toBe(0);
    const data = JSON.parse(r.stdout);
    expect(data.partitions).toHaveLength(5);
    expect(data.skipped.length).toBeGreaterThan(0);
    const meta = data.partitions.find((p: any) => p.name === '__cluster_metadata-0');
    expect(meta.info.records).toBe(4929);
    const ttp = JSON.parse(kseg(['report', path.join(logDir, 'TestTopicPatient-0'), '--json']).stdout).partitions[0];
    expect(ttp).toMatchObject({ keys: { keyed: 0, unkeyed: 3 }, mix: [{ magic: 2, codec: 'none', batches: 3, records: 3 }] });
    expect(ttp.perMinute.map((m: any) => m.records)).toEqual([1, 1, 1]);
  });
});
