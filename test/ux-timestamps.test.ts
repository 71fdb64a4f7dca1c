import path from 'node:path';
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { parseTimestamp } from '../src/cli/options.js';
import { FIXTURES, kseg, readNdjson } from './helpers.js';

// issue 18 "Timestamps people type": one parser for --timestamp, --from-timestamp, --to-timestamp.
describe('parseTimestamp (ISO 8601 or epoch millis)', () => {
  it.each([
    ['1767076140000', 1767076140000],
    ['2025-12-30T06:29:00Z', 1767076140000],
    ['2025-12-30T06:29Z', 1767076140000],
    ['2025-12-30t06:29:00z', 1767076140000],
    ['2025-12-30 06:29:00Z', 1767076140000],
    ['2025-12-30T06:29:00.250Z', 1767076140250],
    ['2025-12-30T06:29:00.25Z', 1767076140250],
    ['2025-12-30T06:29:00,5Z', 1767076140500],
    ['2025-12-30T06:29:00.123456789Z', 1767076140123],
    ['2025-12-30T07:29:00+01:00', 1767076140000],
    ['2025-12-30T07:29:00+0100', 1767076140000],
    ['2025-12-30T01:59:00.250-04:30', 1767076140250],
    ['2025-12-30', Date.UTC(2025, 11, 30)],
    ['2024-02-29T00:00:00Z', Date.UTC(2024, 1, 29)],
    ['0001-01-01T00:00:00Z', -62135596800000],
  ])('%s → %d', (s, ms) => expect(parseTimestamp('--timestamp', s)).toBe(ms));

  it.each([
    ['2025-12-30T06:29:00', /no time zone; append Z for UTC \(2025-12-30T06:29:00Z\)/],
    ['2025-12-30T06:29', /no time zone/],
    ['2025-02-29T00:00:00Z', /not a valid date/],
    ['2025-13-01', /not a valid date/],
    ['2025-12-30T24:00:00Z', /not a valid date/],
    ['2025-12-30T06:60:00Z', /not a valid date/],
    ['2025-12-30T06:29:00+25:00', /invalid zone offset/],
    ['yesterday', /neither milliseconds since the epoch nor an ISO 8601 time/],
    ['12/30/2025', /neither/],
    ['2025-12-30T06:29:00ZZ', /neither/],
    ['1e12', /neither/],
  ])('rejects %s', (s, re) => expect(() => parseTimestamp('--timestamp', s)).toThrow(re));

  it('agrees with Date#toISOString for every millisecond instant (round trip, with and without a zone offset)', () => {
    fc.assert(
      fc.property(fc.integer({ min: -62135596800000, max: 253402300799999 }), fc.integer({ min: -14 * 60, max: 14 * 60 }), (ms, off) => {
        const iso = new Date(ms).toISOString();
        expect(parseTimestamp('--t', iso)).toBe(ms);
        // The same instant written in local time at offset `off` minutes.
        const local = new Date(ms + off * 60_000).toISOString().slice(0, 23);
        const sign = off < 0 ? '-' : '+';
        const a = Math.abs(off);
        const zone = `${sign}${String(Math.floor(a / 60)).padStart(2, '0')}:${String(a % 60).padStart(2, '0')}`;
        if (!local.startsWith('-') && !local.startsWith('+')) expect(parseTimestamp('--t', local + zone)).toBe(ms);
      }),
      { numRuns: 500 },
    );
  });
});

describe('CLI: timestamp flags take ISO 8601 (spawned kseg)', () => {
  const dir = path.join(FIXTURES, 'v2-multiseg', 'topic-0');
  const records = readNdjson(path.join(FIXTURES, 'v2-multiseg', 'expected', 'records.ndjson'));
  const mid = records[Math.floor(records.length / 2)];

  it('lookup --timestamp ISO gives the same answer as epoch millis (ListOffsets rule)', () => {
    const iso = new Date(mid.timestamp).toISOString();
    const a = kseg(['lookup', dir, '--timestamp', String(mid.timestamp), '--json']);
    const b = kseg(['lookup', dir, '--timestamp', iso, '--json']);
    expect(a.status).toBe(0);
    expect(b.status).toBe(0);
    expect(JSON.parse(b.stdout)).toEqual(JSON.parse(a.stdout));
    // A zone offset names the same instant.
    const d = new Date(mid.timestamp + 2 * 3600_000).toISOString().replace('Z', '+02:00');
    expect(JSON.parse(kseg(['lookup', dir, '--timestamp', d, '--json']).stdout)).toEqual(JSON.parse(a.stdout));
  });

  it('lookup keeps the ListOffsets special words and numbers', () => {
    const r = kseg(['lookup', dir, '--timestamp', 'latest', '--json']);
    expect(r.status).toBe(0);
    expect(JSON.parse(r.stdout).special).toBe('latest');
    expect(JSON.parse(kseg(['lookup', dir, '--timestamp', '-2', '--json']).stdout).special).toBe('earliest');
  });

  it('a time without a zone is a usage error (exit 2) naming the fix', () => {
    const r = kseg(['lookup', dir, '--timestamp', '2025-12-30T06:29:00']);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/append Z for UTC \(2025-12-30T06:29:00Z\)/);
    const g = kseg(['grep', dir, '--from-timestamp', '2025-12-30 06:29', '-c']);
    expect(g.status).toBe(2);
    expect(g.stderr).toMatch(/--from-timestamp: .*no time zone/);
  });

  it('grep --from-timestamp/--to-timestamp ISO count the same records as epoch millis', () => {
    const lo = records[3].timestamp;
    const hi = records[records.length - 3].timestamp;
    const want = records.filter((r: any) => r.timestamp >= lo && r.timestamp <= hi).length;
    const a = kseg(['grep', dir, '--from-timestamp', String(lo), '--to-timestamp', String(hi), '-c']);
    const b = kseg(['grep', dir, '--from-timestamp', new Date(lo).toISOString(), '--to-timestamp', new Date(hi).toISOString(), '-c']);
    expect(a.stdout.trim()).toBe(String(want));
    expect(b.stdout).toBe(a.stdout);
  });
});
