import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { lookup } from '../src/ops/lookup.js';
import { javaHashMapOrder } from '../src/cli/kafka-report.js';
import { HAVE_REAL, REAL, kseg, readNdjson } from './helpers.js';

/**
 * kafka-dump-log.sh's stderr report and ListOffsets' special timestamps on partition directories
 * written by real brokers (../shared/real, read in place; skipped when absent). Expected values come
 * from the independent listings in ../shared/real/expected, with DumpLogSegments' and
 * UnifiedLog.fetchOffsetByTimestamp's rules applied to them.
 */
if (!HAVE_REAL) console.warn(`note: ${REAL} is absent; real-data kafka text tests are skipped`);

const BROKER_DIRS = ['pinterest-tiered-storage/ts-common/timeindex_test', 'pinterest-tiered-storage/ts-segment-uploader/test_topic_a-0'];

describe.skipIf(!HAVE_REAL)('real broker partitions', () => {
  it.each(BROKER_DIRS)('%s: the kafka4 index/time-index/non-consecutive report equals the model from the expected listings', (rel) => {
    const dir = path.join(REAL, rel);
    const exp = (f: string) => readNdjson(path.join(REAL, 'expected', rel, f));
    const logs = fs
      .readdirSync(dir)
      .filter((f) => f.endsWith('.log'))
      .sort();
    const files: string[] = [];
    const mism = new Map<string, string[]>();
    const tsMismatch = new Map<string, string[]>();
    const outOfOrder = new Map<string, string[]>();
    const missing = new Map<string, string[]>();
    const gaps = new Map<string, string[]>();
    const add = (m: Map<string, string[]>, k: string, l: string) => m.set(k, [...(m.get(k) ?? []), l]);
    for (const log of logs) {
      const base = log.slice(0, 20);
      const batches = exp(`${log}.batches.ndjson`).filter((b) => b.lastOffset !== undefined);
      const records = exp(`${log}.records.ndjson`);
      files.push(path.join(dir, log));
      // Java port: the consecutive check starts from -1 (TreeMap by first offset).
      let prev = -1;
      for (const r of records) {
        if (r.offset !== prev + 1) add(gaps, path.join(dir, log), `  ${prev} is followed by ${r.offset}`);
        prev = r.offset;
      }
      if (fs.existsSync(path.join(dir, `${base}.index`))) {
        const f = path.join(dir, `${base}.index`);
        files.push(f);
        const pairs = exp(`${base}.index.index.ndjson`)
          .filter((e) => e.offset !== undefined)
          .map((e) => [e.offset, batches.find((b) => b.position === e.position)?.lastOffset] as [number, number])
          .filter(([o, l]) => l !== undefined && o !== l)
          .sort((a, b) => b[0] - a[0]);
        for (const [o, l] of pairs) add(mism, f, `  Index offset: ${o}, log offset: ${l}`);
      }
      if (fs.existsSync(path.join(dir, `${base}.timeindex`))) {
        const f = path.join(dir, `${base}.timeindex`);
        files.push(f);
        let prevTs = -1;
        for (const e of exp(`${base}.timeindex.timeindex.ndjson`).filter((x) => x.offset !== undefined)) {
          const b = batches.find((x) => x.lastOffset >= e.offset);
          if (!b) add(missing, f, `Indexed offset: ${e.offset}, found log offset: -1`);
          else if (b.lastOffset !== e.offset) add(missing, f, `Indexed offset: ${e.offset}, found log offset: ${b.lastOffset}`);
          else {
            const max = Math.max(-1, ...records.filter((r) => r.offset >= b.baseOffset && r.offset <= b.lastOffset).map((r) => r.timestamp));
            if (max !== e.timestamp) add(tsMismatch, f, `  Index timestamp: ${e.timestamp}, log timestamp: ${max}`);
            if (prevTs >= e.timestamp) add(outOfOrder, f, `  Index timestamp: ${e.timestamp}, Previously indexed timestamp: ${prevTs}`);
          }
          prevTs = e.timestamp;
        }
      }
    }
    const order = (m: Map<string, string[]>) => javaHashMapOrder([...m.keys()]);
    const expected = [
      ...order(mism).flatMap((f) => [`Mismatches in :${f}`, ...mism.get(f)!]),
      ...order(tsMismatch).flatMap((f) => [`Found timestamp mismatch in :${f}`, ...tsMismatch.get(f)!]),
      ...order(outOfOrder).flatMap((f) => [`Found out of order timestamp in :${f}`, ...outOfOrder.get(f)!]),
      ...order(missing).flatMap((f) => ['The following indexed offsets are not found in the log.', ...missing.get(f)!]),
      ...order(gaps).flatMap((f) => [`Non-consecutive offsets in ${f}`, ...gaps.get(f)!]),
    ];
    const r = kseg(['dump', ...files, '--format', 'kafka4', '--verify-index-only']);
    expect(r.status).toBe(0);
    expect(r.stderr.split('\n').filter((l) => l !== '')).toEqual(expected);
    expect(r.stdout.split('\n').filter((l) => l.startsWith('Dumping ')).length).toBe(files.length);
  });

  it.each(BROKER_DIRS)('%s: latest, earliest and max-timestamp as ListOffsets answers them', (rel) => {
    const dir = path.join(REAL, rel);
    const logs = fs
      .readdirSync(dir)
      .filter((f) => f.endsWith('.log'))
      .sort();
    const records = logs.flatMap((l) => readNdjson(path.join(REAL, 'expected', rel, `${l}.records.ndjson`)));
    expect(records.length).toBeGreaterThan(0);
    const latest = lookup(dir, { timestamp: -1 });
    expect([latest.offset, latest.record]).toEqual([records[records.length - 1].offset + 1, null]);
    expect(lookup(dir, { timestamp: -2 }).record!.offset).toBe(records[0].offset);
    const max = Math.max(...records.map((r) => r.timestamp));
    const m = lookup(dir, { timestamp: -3 });
    expect([m.offset, m.timestamp]).toEqual([records.find((r) => r.timestamp === max).offset, max]);
  });
});
