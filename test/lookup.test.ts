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
      expect({ offset: got.offset, timestamp: got.timestamp, key: got.key, value: got.value }).toEqual({
        offset: exp.offset,
        timestamp: exp.timestamp,
        key: exp.key,
        value: exp.value,
      });
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

describe('ListOffsets special timestamps (ListOffsetsRequest constants, UnifiedLog.fetchOffsetByTimestamp)', () => {
  it.each(['v2-multiseg', 'v2-compact', 'v2-txn', 'v2-logappend', 'v1-none', 'v1-gzip'])(
    '%s: latest = log end offset with no record, earliest = log start offset, max-timestamp = first record carrying the largest timestamp',
    (c) => {
      const dir = path.join(FIXTURES, c, 'topic-0');
      const records = readNdjson(path.join(FIXTURES, c, 'expected', 'records.ndjson'));
      const summary = JSON.parse(fs.readFileSync(path.join(FIXTURES, c, 'expected', 'summary.json'), 'utf8'));
      // LATEST_TIMESTAMP (-1): the log end offset, no record, timestamp -1. (Before: offset 0.)
      const latest = lookup(dir, { timestamp: -1 });
      expect(latest.offset).toBe(summary.logEndOffset);
      expect(latest.record).toBeNull();
      expect(latest.timestamp).toBe(-1);
      expect(latest.special).toBe('latest');
      // EARLIEST_TIMESTAMP (-2) and, without tiered storage, EARLIEST_LOCAL_TIMESTAMP (-4): the log start offset.
      for (const t of [-2, -4]) {
        const r = lookup(dir, { timestamp: t });
        expect(r.offset).toBe(summary.logStartOffset);
        expect(r.record!.offset).toBe(records[0].offset);
        expect(r.timestamp).toBe(-1);
      }
      // MAX_TIMESTAMP (-3), KIP-734 + KAFKA-16342: the first record (offset order) whose timestamp is the largest.
      const max = Math.max(...records.map((r) => r.timestamp));
      const m = lookup(dir, { timestamp: -3 });
      expect(m.special).toBe('max-timestamp');
      expect(m.record!.offset).toBe(records.find((r) => r.timestamp === max).offset);
      expect(m.offset).toBe(m.record!.offset);
      expect(m.timestamp).toBe(max);
      // LATEST_TIERED_TIMESTAMP (-5): no remote tier offline; a broker without tiered storage answers -1 (unknown).
      expect(() => lookup(dir, { timestamp: -5 })).toThrow(/tiered storage disabled .* answers offset -1/);
    },
  );

  it('max-timestamp on v0 data has no answer (RecordBatch.offsetOfMaxTimestamp is empty for magic 0)', () => {
    expect(() => lookup(path.join(FIXTURES, 'v0-none', 'topic-0'), { timestamp: -3 })).toThrow(/no batch carries a timestamp/);
  });

  it('other negative timestamps are usage errors', () => {
    expect(() => lookup(path.join(FIXTURES, 'v2-none', 'topic-0'), { timestamp: -6 })).toThrow(/special values/);
  });

  it('CLI: words and numbers, the JSON shape for latest, exit codes', () => {
    const dir = path.join(FIXTURES, 'v2-multiseg', 'topic-0');
    const r = kseg(['lookup', dir, '--timestamp', 'latest', '--json']);
    expect(r.status).toBe(0);
    const o = JSON.parse(r.stdout);
    // leaderEpoch: LATEST answers the leader-epoch-checkpoint's last epoch (3 here: 0 0 / 2 259 / 3 625).
    expect(o).toEqual({
      offset: 1200,
      timestamp: -1,
      special: 'latest',
      segment: '00000000000000001084.log',
      segmentBaseOffset: 1084,
      indexEntry: null,
      batch: null,
      record: null,
      bytesScanned: expect.any(Number),
      logStartOffset: 0,
      logStartOffsetSource: 'first-segment',
      leaderEpoch: 3,
    });
    expect(JSON.parse(kseg(['lookup', dir, '--timestamp', '-1', '--json']).stdout).offset).toBe(1200);
    const e = JSON.parse(kseg(['lookup', dir, '--timestamp', 'earliest', '--json']).stdout);
    expect([e.offset, e.special, e.timestamp, e.record.offset]).toEqual([0, 'earliest', -1, 0]);
    expect(e.leaderEpoch).toBe(0); // EARLIEST: the first entry, as it starts at or below the log start offset
    const m = JSON.parse(kseg(['lookup', dir, '--timestamp', 'max-timestamp', '--json']).stdout);
    expect([m.offset, m.special, m.timestamp, m.leaderEpoch]).toEqual([1198, 'max-timestamp', 1700000001758, m.record.batch.partitionLeaderEpoch]);
    const t = kseg(['lookup', dir, '--timestamp', 'latest-tiered']);
    expect(t.status).toBe(1);
    expect(t.stdout).toBe('');
    expect(kseg(['lookup', dir, '--timestamp', 'yesterday']).status).toBe(2);
    expect(kseg(['lookup', dir, '--timestamp', '-9']).status).toBe(2);
    const x = kseg(['lookup', dir, '--timestamp', 'latest', '--explain']);
    expect(x.stdout).toMatch(/latest \(-1\): ListOffsets answers the log end offset/);
    expect(x.stdout).toMatch(/latest \(-1\): offset 1200, leader epoch 3 \(the log end offset/);
  });
});

describe('log start offset from the log dir (log-start-offset-checkpoint, LogLoader)', () => {
  const withCheckpoint = (offset: number): string => {
    const d = copyPartition(path.join(FIXTURES, 'v2-multiseg', 'topic-0'));
    fs.writeFileSync(path.join(path.dirname(d), 'log-start-offset-checkpoint'), `0\n2\nother 0 999\ntopic 0 ${offset}\n`);
    return d;
  };
  it('an offset below it is out of range, naming both bounds; at it is found', () => {
    const d = withCheckpoint(500);
    expect(() => lookup(d, { offset: 499 })).toThrow(/offset 499 is outside the log \[logStartOffset 500, logEndOffset 1200\).*log-start-offset-checkpoint/);
    expect(() => lookup(d, { offset: 0 })).toThrow(/logStartOffset 500/);
    expect(lookup(d, { offset: 500 }).record!.offset).toBe(500);
    const r = kseg(['lookup', d, '--offset', '10']);
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/^kseg: offset 10 is outside the log \[logStartOffset 500, logEndOffset 1200\)/);
  });
  it('earliest answers it; timestamp search answers no record below it', () => {
    const d = withCheckpoint(500);
    const e = lookup(d, { timestamp: -2 });
    expect([e.offset, e.record!.offset, e.logStartOffsetSource]).toEqual([500, 500, 'log-start-offset-checkpoint']);
    // LogLoader truncates the epoch cache from the start at the checkpoint's offset: (0 0, 2 259, 3 625)
    // becomes (2 500, 3 625), so EARLIEST carries epoch 2.
    expect(e.leaderEpoch).toBe(2);
    // An entry at or past the log end offset is dropped on load (truncateFromEnd): LATEST still answers epoch 3.
    fs.writeFileSync(path.join(d, 'leader-epoch-checkpoint'), '0\n4\n0 0\n2 259\n3 625\n4 1200\n');
    expect(lookup(d, { timestamp: -1 }).leaderEpoch).toBe(3);
    fs.writeFileSync(path.join(d, 'leader-epoch-checkpoint'), 'garbage');
    expect(lookup(d, { timestamp: -1 }).leaderEpoch).toBeNull();
    const records = readNdjson(path.join(FIXTURES, 'v2-multiseg', 'expected', 'records.ndjson'));
    const t = records[10].timestamp;
    const exp = records.find((r) => r.offset >= 500 && r.timestamp >= t);
    expect(lookup(d, { timestamp: t }).record!.offset).toBe(exp.offset);
  });
  it("a checkpoint entry below the first segment, or another partition's entry, leaves the first segment base", () => {
    const d = withCheckpoint(0);
    expect(lookup(d, { timestamp: -2 }).logStartOffsetSource).toBe('first-segment');
    expect(() => lookup(d, { offset: 0 })).not.toThrow();
  });
});

describe('timestamp search selects segments as Kafka does (LogSegment.largestTimestamp, UnifiedLog.searchOffsetInLocalLog)', () => {
  it('a segment with no timestamps (v0) is selected by its .log mtime, and only that segment is searched', () => {
    const d = copyPartition(path.join(FIXTURES, 'v0-none', 'topic-0'));
    const logs = fs
      .readdirSync(d)
      .filter((f) => f.endsWith('.log'))
      .sort();
    const T = 1_700_000_000_000;
    for (const f of logs) fs.utimesSync(path.join(d, f), new Date(T - 10_000), new Date(T - 10_000));
    expect(() => lookup(d, { timestamp: T })).toThrow(/every segment's largest timestamp is below it/);
    fs.utimesSync(path.join(d, logs[0]!), new Date(T + 10_000), new Date(T + 10_000));
    expect(() => lookup(d, { timestamp: T })).toThrow(
      new RegExp(
        `${logs[0]} is the first segment whose largest timestamp \\(${T + 10_000}, from the .log file's modification time.*${logs.length - 1} later segment\\(s\\) not searched`,
      ),
    );
  });
});

describe('timestamp search without a time index (deliberate difference: what the broker has after rebuilding it)', () => {
  it("a segment whose .timeindex is gone is selected by its batch headers' largest timestamp, not its mtime", () => {
    const d = copyPartition(path.join(FIXTURES, 'v2-multiseg', 'topic-0'));
    for (const f of fs.readdirSync(d)) if (f.endsWith('.timeindex')) fs.rmSync(path.join(d, f));
    const records = readNdjson(path.join(FIXTURES, 'v2-multiseg', 'expected', 'records.ndjson'));
    for (const f of fs.readdirSync(d)) if (f.endsWith('.log')) fs.utimesSync(path.join(d, f), new Date(0), new Date(0));
    for (const i of [0, 300, 900, records.length - 1]) {
      const t = records[i].timestamp;
      expect(lookup(d, { timestamp: t }).record!.offset).toBe(records.find((r) => r.timestamp >= t).offset);
    }
  });
});

describe("the active segment's time index may lag its data (entries every index.interval.bytes; a crashed broker had the newest only in memory)", () => {
  it("timestamp search and max-timestamp read the batches after its last entry, as the broker's recovered index would hold them", () => {
    const d = copyPartition(path.join(FIXTURES, 'v2-multiseg', 'topic-0'));
    const last = fs
      .readdirSync(d)
      .filter((f) => f.endsWith('.timeindex'))
      .sort()
      .pop()!;
    fs.truncateSync(path.join(d, last), 12);
    const records = readNdjson(path.join(FIXTURES, 'v2-multiseg', 'expected', 'records.ndjson'));
    const max = Math.max(...records.map((r) => r.timestamp));
    const first = records.find((r) => r.timestamp === max).offset;
    expect(lookup(d, { timestamp: max }).record!.offset).toBe(first);
    expect(lookup(d, { timestamp: -3 }).offset).toBe(first);
  });
});
