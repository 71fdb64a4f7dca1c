import path from 'node:path';
import fs from 'node:fs';
import { describe, expect, it } from 'vitest';
import { info } from '../src/ops/info.js';
import { corruptCases, FIXTURES, healthyCases, kseg, ndjsonLines, readNdjson } from './helpers.js';

const pickRecord = (r: any) => ({ offset: r.offset, timestamp: r.timestamp, key: r.key, value: r.value, headers: r.headers });

describe('fixture lists', () => {
  // describe.each over an empty list runs nothing and passes: the lists must hold the fixtures.
  it('the healthy and corrupt fixture cases are found', () => {
    expect(healthyCases().length).toBeGreaterThanOrEqual(21);
    expect(corruptCases().length).toBeGreaterThanOrEqual(8);
  });
});

describe.each(healthyCases())('fixture %s', (c) => {
  const dir = path.join(FIXTURES, c, 'topic-0');
  const exp = (f: string) => readNdjson(path.join(FIXTURES, c, 'expected', f));

  it('records match expected/records.ndjson (kseg dump --ndjson --decoder base64)', () => {
    const r = kseg(['dump', dir, '--ndjson', '--decoder', 'base64']);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    const got = ndjsonLines(r.stdout).map(pickRecord);
    expect(got).toEqual(exp('records.ndjson'));
  });

  it('batches match expected/batches.ndjson', () => {
    const r = kseg(['dump', dir, '--batches', '--ndjson']);
    expect(r.status).toBe(0);
    const expected = exp('batches.ndjson');
    const got = ndjsonLines(r.stdout).map((b, i) => Object.fromEntries(Object.keys(expected[i] ?? b).map((k) => [k, b[k]])));
    expect(got).toEqual(expected);
  });

  it('index, time index and txn index dumps match expected/', () => {
    const idx = ndjsonLines(kseg(['dump', dir, '--index', '--ndjson']).stdout);
    expect(idx).toEqual(exp('index.ndjson'));
    const tidx = ndjsonLines(kseg(['dump', dir, '--timeindex', '--ndjson']).stdout);
    expect(tidx).toEqual(exp('timeindex.ndjson'));
    const txn = ndjsonLines(kseg(['dump', dir, '--txnindex', '--ndjson']).stdout);
    expect(txn).toEqual(exp('txnindex.ndjson'));
  });
});

describe.each(healthyCases())('fixture %s: info agrees with expected/summary.json', (c) => {
  it('log bounds and per-segment counts', () => {
    const exp = JSON.parse(fs.readFileSync(path.join(FIXTURES, c, 'expected', 'summary.json'), 'utf8'));
    const [p] = info([path.join(FIXTURES, c, 'topic-0')]);
    expect(p!.logStartOffset).toBe(exp.logStartOffset);
    expect(p!.logEndOffset).toBe(exp.logEndOffset);
    expect(p!.records).toBe(exp.records);
    expect(p!.batches).toBe(exp.batches);
    expect(p!.topicId).toBe(exp.topicId);
    const pick = (s: any) => ({
      baseOffset: s.baseOffset,
      file: s.file,
      batches: s.batches,
      records: s.records,
      firstOffset: s.firstOffset,
      lastOffset: s.lastOffset,
      maxTimestamp: s.maxTimestamp ?? -1,
      indexEntries: s.indexEntries,
      timeIndexEntries: s.timeIndexEntries,
      txnIndexEntries: s.txnIndexEntries,
    });
    expect(p!.segments.map((s) => pick({ ...s, size: s.bytes, txnIndexEntries: s.txnIndexEntries ?? 0 }))).toEqual(exp.segments.map(pick));
  });
});
