import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { lookup } from '../src/ops/lookup.js';
import { recordJson } from '../src/cli/render.js';
import { KsegError } from '../src/format/errors.js';
import { FIXTURES, kseg, readNdjson, copyPartition } from './helpers.js';

const b64 = { key: 'base64', value: 'base64', header: 'base64' } as const;

describe.each(['v2-multiseg', 'v2-per-append', 'v2-high-offset', 'v2-txn', 'v0-none', 'v1-none', 'v1-gzip', 'v2-gzip'])('lookup on %s', (c) => {
  const dir = path.join(FIXTURES, c, 'topic-0');
  const records = readNdjson(path.join(FIXTURES, c, 'expected', 'records.ndjson'));
  const summary = JSON.parse(fs.readFileSync(path.join(FIXTURES, c, 'expected', 'summary.json'), 'utf8'));
  const interval = summary.config.indexIntervalBytes;

  it('finds every offset, scanning at most index.interval.bytes plus one batch', () => {
    for (const exp of records) {
      const r = lookup(dir, { offset: exp.offset });
      const got = recordJson(r.record, r.batch, b64) as any;
      expect({ offset: got.offset, timestamp: got.timestamp, key: got.key, value: got.value }).toEqual({ offset: exp.offset, timestamp: exp.timestamp, key: exp.key, value: exp.value });
      if (summary.config.layout === 'per-append') {
        // Entries are per follower append: the scan never passes the next indexed position by more than one batch.
        const idx = readNdjson(path.join(FIXTURES, c, 'expected', 'index.ndjson')).filter((e) => e.file === r.segment.replace('.log', '.index'));
        const next = idx.find((e) => e.position > (r.indexEntry?.position ?? 0));
        expect(r.bytesScanned).toBeLessThanOrEqual((next ? next.position - (r.indexEntry?.position ?? 0) : interval * 4) + r.batch.size);
      } else expect(r.bytesScanned).toBeLessThanOrEqual(interval + r.batch.size);
      expect(r.segmentBaseOffset).toBeLessThanOrEqual(exp.offset);
    }
  });

  it('offsets outside [logStartOffset, logEndOffset) exit 1 naming both bounds', () => {
    const end = summary.logEndOffset;
    expect(() => lookup(dir, { offset: end })).toThrow(new RegExp(`logStartOffset ${summary.logStartOffset}, logEndOffset ${end}`));
    if (summary.logStartOffset > 0) expect(() => lookup(dir, { offset: summary.logStartOffset - 1 })).toThrow(KsegError);
  });
});

describe('timestamp lookup (ListOffsets rule: first record with timestamp >= T)', () => {
  it.each(['v2-multiseg', 'v2-none', 'v1-none', 'v2-logappend'])('%s', (c) => {
    const dir = path.join(FIXTURES, c, 'topic-0');
    const records = readNdjson(path.join(FIXTURES, c, 'expected', 'records.ndjson'));
    const stamps = [...new Set(records.map((r) => r.timestamp))].sort((a, b) => a - b);
    const probes = [stamps[0] - 10, ...stamps.filter((_, i) => i % 7 === 0), stamps[stamps.length - 1]];
    for (const t of probes) {
      // Kafka's rule over segments in order: the first segment whose largest timestamp >= T,
      // then the first record (in offset order) with timestamp >= T.
      const exp = records.find((r) => r.timestamp >= t);
      const r = lookup(dir, { timestamp: t });
      expect(r.record.timestamp).toBeGreaterThanOrEqual(t);
      expect(r.record.offset).toBe(exp.offset);
    }
    expect(() => lookup(dir, { timestamp: stamps[stamps.length - 1] + 1 })).toThrow(/no record has a timestamp/);
  });
});

describe('lookup CLI', () => {
  const dir = path.join(FIXTURES, 'v2-multiseg', 'topic-0');
  it('--json has the OUTPUT.md shape', () => {
    const r = kseg(['lookup', dir, '--offset', '500', '--json']);
    expect(r.status).toBe(0);
    const o = JSON.parse(r.stdout);
    expect(Object.keys(o)).toEqual(['offset', 'segment', 'segmentBaseOffset', 'indexEntry', 'batch', 'record', 'bytesScanned']);
    expect(o.record.offset).toBe(500);
    expect(o.segment).toMatch(/^\d{20}\.log$/);
    expect(Object.keys(o.batch)).toEqual(['position', 'baseOffset', 'lastOffset', 'size']);
  });
  it('--explain prints the steps', () => {
    const r = kseg(['lookup', dir, '--offset', '500', '--explain']);
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/binary search by base offset/);
    expect(r.stdout).toMatch(/floor lookup for 500 -> entry #\d+/);
    expect(r.stdout).toMatch(/scanned \d+ batch/);
  });
  it('out of range exits 1; missing flags exit 2', () => {
    const r = kseg(['lookup', dir, '--offset', '999999']);
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/^kseg: offset 999999 is outside the log \[logStartOffset 0, logEndOffset 1200\)/);
    expect(kseg(['lookup', dir]).status).toBe(2);
    expect(kseg(['lookup', dir, '--offset', 'abc']).status).toBe(2);
  });
  it('works without index files (scans from the segment start)', () => {
    const d = copyPartition(dir);
    for (const f of fs.readdirSync(d)) if (f.endsWith('.index')) fs.rmSync(path.join(d, f));
    const r = lookup(d, { offset: 777 });
    expect(r.record.offset).toBe(777);
    expect(r.indexEntry).toBeNull();
  });
});
