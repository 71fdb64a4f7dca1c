import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parsePartitionDirName } from '../src/ops/scan.js';
import { FIXTURES, kseg, ndjsonLines, tmpDir, HAVE_REAL, REAL } from './helpers.js';

function logDir(): string {
  const d = tmpDir('kseg-scan-');
  for (const [c, name] of [
    ['v2-txn', 'orders-0'],
    ['v2-compact', 'orders-1'],
    ['corrupt-crc', 'payments-0'],
    ['v1-gzip', 'legacy-0'],
    ['v2-none', 'old-0.0123456789abcdef0123456789abcdef-delete'],
  ] as const) {
    fs.cpSync(path.join(FIXTURES, c, 'topic-0'), path.join(d, name), { recursive: true });
  }
  fs.writeFileSync(path.join(d, 'recovery-point-offset-checkpoint'), '0\n0\n');
  return d;
}

describe('scan LOG_DIR', () => {
  it('parses partition directory names, renamed ones included', () => {
    expect(parsePartitionDirName('orders-3')).toEqual({ topic: 'orders', partition: 3, state: 'live' });
    expect(parsePartitionDirName('my-topic.v2-12')).toEqual({ topic: 'my-topic.v2', partition: 12, state: 'live' });
    expect(parsePartitionDirName('orders-3.0123456789abcdef0123456789abcdef-future')).toEqual({ topic: 'orders', partition: 3, state: 'future' });
    expect(parsePartitionDirName('meta.properties')).toBeNull();
  });

  it('verifies every partition in parallel; one NDJSON line per partition; exit 1 when one has errors', () => {
    const d = logDir();
    const r = kseg(['scan', d, '--ndjson', '--jobs', '2', '--host', 'broker-1']);
    expect(r.status).toBe(1);
    const lines = ndjsonLines(r.stdout);
    expect(lines.map((l) => l.partition).sort()).toEqual(['legacy-0', 'old-0.0123456789abcdef0123456789abcdef-delete', 'orders-0', 'orders-1', 'payments-0']);
    const bad = lines.find((l) => l.partition === 'payments-0');
    expect(bad).toMatchObject({ host: 'broker-1', topic: 'payments', partitionId: 0, ok: false, errors: 1, logStartOffset: 0 });
    expect(bad.issues[0]).toMatchObject({ code: 'CRC_MISMATCH', file: '00000000000000000243.log', position: 1327 });
    expect(bad.recoverable).toMatchObject({ file: '00000000000000000243.log', truncateAtPosition: 1327, recordsLost: 137 });
    expect(lines.find((l) => l.partition === 'orders-0')).toMatchObject({ ok: true, logEndOffset: 640, summary: { records: 640, segments: 6 } });
    expect(lines.find((l) => l.partition.endsWith('-delete'))).toMatchObject({ state: 'delete', topic: 'old' });
  });

  it('one worker and two workers agree; --json totals; --summary mode', () => {
    const d = logDir();
    const strip = (o: any) => o.partitions.map((p: any) => ({ ...p, elapsedMs: 0 }));
    const one = JSON.parse(kseg(['scan', d, '--json', '--jobs', '1']).stdout);
    const two = JSON.parse(kseg(['scan', d, '--json', '--jobs', '2']).stdout);
    expect(strip(one)).toEqual(strip(two));
    expect(one.totals).toMatchObject({ partitions: 5, failed: 1, errors: 1, records: 640 + 700 + 400 + 250 + 300 });
    const s = kseg(['scan', d, '--summary', '--json']);
    expect(s.status).toBe(0);
    expect(JSON.parse(s.stdout).partitions.every((p: any) => p.mode === 'info' && p.ok)).toBe(true);
  });

  it('human output: a table per topic and the partitions that need attention', () => {
    const r = kseg(['scan', logDir()]);
    expect(r.stdout).toMatch(/│ orders\s+│ 2\s+│/);
    expect(r.stdout).toMatch(/5 partitions in [\d.]+ s: 1 with errors \(1 error, 0 warnings\)/);
    expect(r.stdout).toMatch(/payments-0: 1 error — run: kseg verify/);
  });

  it('refuses a partition directory and a missing path', () => {
    expect(kseg(['scan', path.join(FIXTURES, 'v2-none', 'topic-0')]).status).toBe(2);
    expect(kseg(['scan', '/nonexistent/logs']).status).toBe(4);
  });

  it.skipIf(!HAVE_REAL)('a real KRaft broker log dir scans clean', () => {
    const r = kseg(['scan', path.join(REAL, 'ldi-poc', 'kafka-logs'), '--json']);
    expect(r.status).toBe(0);
    const o = JSON.parse(r.stdout);
    expect(o.totals.partitions).toBeGreaterThan(50);
    expect(o.totals.errors + o.totals.warnings).toBe(0);
  });
});
