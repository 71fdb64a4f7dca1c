import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { copyPartition, FIXTURES, healthyCases, kseg, readNdjson, tmpDir } from './helpers.js';

/** `--format kafka` is what kafka-dump-log.sh --files X --print-data-log --deep-iteration prints (format doc 5). */
const parseFields = (line: string): Record<string, string> => {
  const out: Record<string, string> = {};
  const re = /(\w+): (\S*)/g;
  let m: RegExpExecArray | null;
  while ((m = re.exec(line))) out[m[1]!] = m[2]!;
  return out;
};

describe('kafka-dump-log.sh compatible text', () => {
  it.each(['v2-txn', 'v2-mixed-codecs', 'v2-logappend', 'v1-gzip', 'v0-none', 'v1-snappy-logappend'])(
    '%s: every batch and record field parses back to the expected values',
    (c) => {
      const dir = path.join(FIXTURES, c, 'topic-0');
      const logs = fs
        .readdirSync(dir)
        .filter((f) => f.endsWith('.log'))
        .sort();
      const batches = readNdjson(path.join(FIXTURES, c, 'expected', 'batches.ndjson'));
      const records = readNdjson(path.join(FIXTURES, c, 'expected', 'records.ndjson'));
      const out = logs.flatMap((f) => kseg(['dump', path.join(dir, f), '--format', 'kafka']).stdout.split('\n'));
      expect(out.filter((l) => l.startsWith('Dumping ')).length).toBe(logs.length);
      expect(out.filter((l) => l.startsWith('Log starting offset: ')).map((l) => Number(l.split(': ')[1]))).toEqual(logs.map((f) => Number(f.slice(0, 20))));
      const batchLines = out.filter((l) => l.startsWith('baseOffset: ') || l.startsWith('offset: '));
      expect(batchLines.length).toBe(batches.length);
      batchLines.forEach((l, i) => {
        const f = parseFields(l);
        const b = batches[i];
        expect(Number(f.position)).toBe(b.position);
        expect(Number(f.size)).toBe(b.size);
        expect(Number(f.magic)).toBe(b.magic);
        expect(f.compresscodec).toBe(b.compression);
        expect(Number(f.crc)).toBe(b.crc);
        expect(f.isvalid).toBe('true');
        if (b.magic >= 2) {
          expect([
            Number(f.baseOffset),
            Number(f.lastOffset),
            Number(f.count),
            Number(f.producerId),
            Number(f.producerEpoch),
            Number(f.partitionLeaderEpoch),
            Number(f.baseSequence),
          ]).toEqual([b.baseOffset, b.lastOffset, b.recordCount, b.producerId, b.producerEpoch, b.partitionLeaderEpoch, b.baseSequence]);
          expect(f.isTransactional).toBe(String(b.isTransactional));
          expect(f.isControl).toBe(String(b.isControl));
          expect(f.deleteHorizonMs).toBe('OptionalLong.empty');
          expect(Number(f.CreateTime ?? f.LogAppendTime)).toBe(b.maxTimestamp);
        } else {
          expect(Number(f.offset)).toBe(b.lastOffset);
          expect(Number(f.CreateTime ?? f.LogAppendTime ?? f.NoTimestampType)).toBe(b.maxTimestamp);
        }
      });
      const recLines = out.filter((l) => l.startsWith('| offset: '));
      expect(recLines.length).toBe(records.length);
      recLines.forEach((l, i) => {
        const f = parseFields(l);
        const r = records[i];
        expect(Number(f.offset)).toBe(r.offset);
        expect(Number(f.CreateTime ?? f.LogAppendTime ?? f.NoTimestampType)).toBe(r.timestamp);
        expect(Number(f.keySize)).toBe(r.key === null ? -1 : Buffer.from(r.key, 'base64').length);
        expect(Number(f.valueSize)).toBe(r.value === null ? -1 : Buffer.from(r.value, 'base64').length);
        if (r.value !== null && !/endTxnMarker/.test(l)) expect(l.endsWith(` payload: ${Buffer.from(r.value, 'base64').toString('utf8')}`)).toBe(true);
        if (r.value === null) expect(l).not.toMatch(/payload:/);
      });
      if (c === 'v2-txn') expect(out.some((l) => /endTxnMarker: ABORT coordinatorEpoch: \d+$/.test(l))).toBe(true);
      if (c.startsWith('v1') || c.startsWith('v0')) expect(recLines.every((l) => /isValid: true crc: \d+\}/.test(l))).toBe(true);
    },
  );

  it('kafka4 format drops the 3.x stray brace; --no-print-data omits key and payload', () => {
    const f = path.join(FIXTURES, 'v1-gzip', 'topic-0', '00000000000000001000.log');
    const k4 = kseg(['dump', f, '--format', 'kafka4'])
      .stdout.split('\n')
      .filter((l) => l.startsWith('| '));
    expect(k4.every((l) => /isValid: true crc: \d+ key: /.test(l))).toBe(true);
    const nodata = kseg(['dump', f, '--format', 'kafka', '--no-print-data']).stdout;
    expect(nodata).not.toMatch(/payload:/);
  });

  it('empty index prints "<path> is empty."; trailing bytes are reported like the tool', () => {
    const d = tmpDir();
    const idx = path.join(d, '00000000000000000000.index');
    fs.writeFileSync(idx, '');
    expect(kseg(['dump', idx, '--format', 'kafka']).stdout).toBe(`Dumping ${idx}\n${idx} is empty.\n`);
    const src = fs.readFileSync(path.join(FIXTURES, 'v2-none', 'topic-0', '00000000000000000000.log'));
    const log = path.join(d, '00000000000000000000.log');
    fs.writeFileSync(log, src.subarray(0, src.length - 10));
    const out = kseg(['dump', log, '--format', 'kafka']).stdout.trim().split('\n');
    const last = parseFields(out.filter((l) => l.startsWith('baseOffset')).pop()!);
    expect(out[out.length - 1]).toBe(`Found ${src.length - 10 - Number(last.position) - Number(last.size)} invalid bytes at the end of 00000000000000000000.log`);
    expect(kseg(['dump', log, '--format', 'kafka', '--max-bytes', '100000']).stdout).not.toMatch(/invalid bytes/);
  });

  it('index entries and txn index lines', () => {
    const dir = path.join(FIXTURES, 'v2-txn', 'topic-0');
    const idx = kseg(['dump', path.join(dir, '00000000000000000000.index'), '--format', 'kafka'])
      .stdout.split('\n')
      .filter((l) => l.startsWith('offset'));
    expect(idx.map((l) => parseFields(l))).toEqual(
      readNdjson(path.join(FIXTURES, 'v2-txn', 'expected', 'index.ndjson'))
        .filter((e) => e.file === '00000000000000000000.index')
        .map((e) => ({ offset: String(e.offset), position: String(e.position) })),
    );
    const txn = kseg(['dump', path.join(dir, '00000000000000000000.txnindex'), '--format', 'kafka'])
      .stdout.split('\n')
      .filter((l) => l.startsWith('version'));
    expect(txn.length).toBe(3);
    expect(txn[0]).toMatch(/^version: 0 producerId: \d+ firstOffset: \d+ lastOffset: \d+ lastStableOffset: \d+$/);
  });
});

// ---------------------------------------------------------------- DumpLogSegments' stderr report and index options
// Expected outputs below are built from DumpLogSegments' rules (3.x Scala tool = `kafka`, Java port =
// `kafka4`; format doc 5.4, 5.5, 5.8, 5.10), not from kseg's own output.

const abs = (p: string): string => path.resolve(p);

/** DumpLogSegments.dumpLog's consecutive check over the records of one .log, in file order. */
function nonConsecutive(offsets: number[], flavor: 'kafka' | 'kafka4'): string[] {
  const pairs: Array<[number, number]> = [];
  if (flavor === 'kafka') {
    // 3.x: the first record only sets lastOffset; pairs are prepended (newest first).
    for (let i = 1; i < offsets.length; i++) if (offsets[i] !== offsets[i - 1]! + 1) pairs.unshift([offsets[i - 1]!, offsets[i]!]);
  } else {
    // Java port: lastOffset starts at -1; a TreeMap keyed by the first offset (ascending).
    let prev = -1;
    for (const o of offsets) {
      if (o !== prev + 1) pairs.push([prev, o]);
      prev = o;
    }
    pairs.sort((a, b) => a[0] - b[0]);
  }
  return pairs.map(([a, b]) => `  ${a} is followed by ${b}`);
}

describe('kafka-dump-log.sh report on stderr (DumpLogSegments.main)', () => {
  it("non-consecutive offsets of a compacted partition, each tool's order (DumpLogSegments.dumpLog)", () => {
    const d = path.join(tmpDir(), 'compacted-0');
    expect(kseg(['generate', d, '--records', '500', '--key-space', '30', '--segment-bytes', '6k', '--no-fsync']).status).toBe(0);
    expect(kseg(['compact', d, '--now', '1800000000000']).status).toBe(0);
    const logs = fs
      .readdirSync(d)
      .filter((f) => f.endsWith('.log'))
      .sort();
    let sawGaps = false;
    for (const f of logs) {
      const file = path.join(d, f);
      const offsets = readNdjsonText(kseg(['dump', file, '--ndjson']).stdout).map((r) => r.offset);
      for (const flavor of ['kafka', 'kafka4'] as const) {
        const r = kseg(['dump', file, '--format', flavor]);
        expect(r.status).toBe(0);
        const lines = nonConsecutive(offsets, flavor);
        const expected = lines.length ? [`Non-consecutive offsets in ${abs(file)}`, ...lines] : [];
        expect(r.stderr.split('\n').filter((l) => l !== '')).toEqual(expected);
        if (flavor === 'kafka' && lines.length) sawGaps = true;
      }
    }
    expect(sawGaps).toBe(true);
  });

  it('transactional partition: markers take offsets, so 3.x reports nothing; the Java port reports "-1 is followed by" a segment\'s first offset', () => {
    const dir = path.join(FIXTURES, 'v2-txn', 'topic-0');
    const f = path.join(dir, '00000000000000000121.log');
    expect(kseg(['dump', f, '--format', 'kafka']).stderr).toBe('');
    expect(kseg(['dump', f, '--format', 'kafka4']).stderr).toBe(`Non-consecutive offsets in ${abs(f)}\n  -1 is followed by 121\n`);
    expect(kseg(['dump', path.join(dir, '00000000000000000000.log'), '--format', 'kafka4']).stderr).toBe('');
    // Batch lines only (no deep iteration): no pairs are collected.
    expect(kseg(['dump', f, '--format', 'kafka4', '--batches']).stderr).toBe('');
  });

  it('paths: "Dumping" prints java.io.File\'s form of the argument; the report its absolute path without resolving "./"', () => {
    const cwd = path.join(FIXTURES, 'v2-txn');
    const r = kseg(['dump', './topic-0//00000000000000000121.log', '--format', 'kafka4'], { cwd });
    expect(r.stdout.split('\n')[0]).toBe('Dumping ./topic-0/00000000000000000121.log');
    expect(r.stderr.split('\n')[0]).toBe(`Non-consecutive offsets in ${cwd}/./topic-0/00000000000000000121.log`);
  });

  it('index mismatches of a per-append (follower) index: "Mismatches in :" with 3.x newest-first and the Java port by descending index offset (DumpLogSegments.dumpIndex)', () => {
    const dir = path.join(FIXTURES, 'v2-per-append', 'topic-0');
    const batches = readNdjson(path.join(FIXTURES, 'v2-per-append', 'expected', 'batches.ndjson'));
    const entries = readNdjson(path.join(FIXTURES, 'v2-per-append', 'expected', 'index.ndjson')).filter((e) => e.file === '00000000000000000000.index');
    const mismatches = entries
      .map((e) => [e.offset, batches.find((b) => b.file === '00000000000000000000.log' && b.position === e.position).lastOffset])
      .filter(([o, l]) => o !== l);
    expect(mismatches.length).toBeGreaterThan(0);
    const idx = path.join(dir, '00000000000000000000.index');
    const k3 = kseg(['dump', idx, '--format', 'kafka']);
    expect(k3.stdout.split('\n').filter((l) => l.startsWith('offset: ')).length).toBe(entries.length);
    expect(k3.stderr.split('\n').filter((l) => l)).toEqual([`Mismatches in :${abs(idx)}`, ...[...mismatches].reverse().map(([o, l]) => `  Index offset: ${o}, log offset: ${l}`)]);
    const k4 = kseg(['dump', idx, '--format', 'kafka4', '--verify-index-only']);
    // --verify-index-only: the check runs, no entry is printed.
    expect(k4.stdout).toBe(`Dumping ${idx}\n`);
    expect(k4.stderr.split('\n').filter((l) => l)).toEqual([
      `Mismatches in :${abs(idx)}`,
      ...[...mismatches].sort((a, b) => b[0] - a[0]).map(([o, l]) => `  Index offset: ${o}, log offset: ${l}`),
    ]);
    // A per-batch (leader, KAFKA-806) index has none.
    expect(kseg(['dump', path.join(FIXTURES, 'v2-multiseg', 'topic-0', '00000000000000000000.index'), '--format', 'kafka']).stderr).toBe('');
  });

  it("time index errors: timestamp mismatch, out of order, offsets not found, in Kafka's order (TimeIndexDumpErrors.printErrors)", () => {
    const src = path.join(FIXTURES, 'v2-multiseg', 'topic-0');
    const d = copyPartition(src);
    const ti = path.join(d, '00000000000000000000.timeindex');
    const buf = fs.readFileSync(ti);
    const n = buf.length / 12;
    expect(n).toBeGreaterThanOrEqual(4);
    const entry = (i: number) => ({ ts: Number(buf.readBigInt64BE(i * 12)), rel: buf.readInt32BE(i * 12 + 8) });
    const e1 = entry(1);
    const e2 = entry(2);
    const e3 = entry(3);
    // #1: timestamp 1 ms above its batch's largest record timestamp (a mismatch).
    buf.writeBigInt64BE(BigInt(e1.ts + 1), 12);
    // #2: timestamp equal to #0's (out of order; also a mismatch).
    const e0 = entry(0);
    buf.writeBigInt64BE(BigInt(e0.ts), 24);
    // #3: an offset that is not a batch's last offset (first offset of its batch when the batch holds several records).
    const batches = readNdjson(path.join(FIXTURES, 'v2-multiseg', 'expected', 'batches.ndjson')).filter((b) => b.file === '00000000000000000000.log');
    const b3 = batches.find((b) => b.lastOffset === e3.rel && b.baseOffset < b.lastOffset) ?? batches.find((b) => b.lastOffset > e2.rel && b.baseOffset < b.lastOffset)!;
    buf.writeInt32BE(b3.baseOffset, 3 * 12 + 8);
    fs.writeFileSync(ti, buf);
    const r = kseg(['dump', ti, '--format', 'kafka', '--verify-index-only']);
    expect(r.status).toBe(0);
    expect(r.stdout).toBe(`Dumping ${ti}\n`);
    const file = abs(ti);
    const mismatchFor = (i: number, ts: number) => {
      const e = i === 1 ? e1 : e2;
      const b = batches.find((x) => x.lastOffset === e.rel)!;
      return `  Index timestamp: ${ts}, log timestamp: ${b.maxTimestamp}`;
    };
    expect(r.stderr.split('\n').filter((l) => l)).toEqual([
      `Found timestamp mismatch in :${file}`,
      mismatchFor(1, e1.ts + 1),
      mismatchFor(2, e0.ts),
      `Found out of order timestamp in :${file}`,
      `  Index timestamp: ${e0.ts}, Previously indexed timestamp: ${e1.ts + 1}`,
      'The following indexed offsets are not found in the log.',
      `Indexed offset: ${b3.baseOffset}, found log offset: ${b3.lastOffset}`,
    ]);
  });

  it('--index-sanity-check: "<path> passed sanity check." or OffsetIndex/TimeIndex.sanityCheck\'s failure, and the dump goes on', () => {
    const d = copyPartition(path.join(FIXTURES, 'v2-multiseg', 'topic-0'));
    const idx = path.join(d, '00000000000000000000.index');
    const ti = path.join(d, '00000000000000000000.timeindex');
    const ok = kseg(['dump', idx, ti, '--format', 'kafka', '--index-sanity-check']);
    expect(ok.status).toBe(0);
    expect(ok.stdout).toBe(`Dumping ${idx}\n${idx} passed sanity check.\nDumping ${ti}\n${ti} passed sanity check.\n`);
    // A preallocated zero tail passes the offset index check (last offset == base, testSanityLastOffsetEqualToBaseOffset)
    // but fails the time index's (last timestamp 0 < first timestamp).
    fs.appendFileSync(idx, Buffer.alloc(80));
    const tiBuf = fs.readFileSync(ti);
    fs.appendFileSync(ti, Buffer.alloc(120));
    const r = kseg(['dump', idx, ti, path.join(d, '00000000000000000000.log'), '--format', 'kafka', '--index-sanity-check']);
    expect(r.status).toBe(3);
    expect(r.stdout).toMatch(new RegExp(`^Dumping ${idx}\\n${idx} passed sanity check.\\nDumping ${ti}\\nDumping .*\\.log\\nLog starting offset: 0\\nbaseOffset: 0 `));
    expect(r.stderr).toContain(
      `Corrupt time index found, time index file (${abs(ti)}) has non-zero size but the last timestamp is 0 which is less than the first timestamp ${Number(tiBuf.readBigInt64BE(0))}`,
    );
    // Length not a multiple of the entry size.
    fs.appendFileSync(idx, Buffer.alloc(3));
    const len = fs.statSync(idx).size;
    expect(kseg(['dump', idx, '--format', 'kafka4', '--index-sanity-check']).stderr).toContain(
      `Index file ${abs(idx)} is corrupt, found ${len} bytes which is neither positive nor a multiple of 8`,
    );
    // Other formats refuse the tool's options.
    expect(kseg(['dump', idx, '--index-sanity-check']).status).toBe(2);
  });

  it('an empty .index prints "<path> is empty." even with --index-sanity-check; an empty .timeindex passes', () => {
    const d = tmpDir();
    const idx = path.join(d, '00000000000000000000.index');
    const ti = path.join(d, '00000000000000000000.timeindex');
    fs.writeFileSync(idx, '');
    fs.writeFileSync(ti, '');
    fs.writeFileSync(path.join(d, '00000000000000000000.log'), '');
    expect(kseg(['dump', idx, ti, '--format', 'kafka', '--index-sanity-check']).stdout).toBe(`Dumping ${idx}\n${idx} is empty.\nDumping ${ti}\n${ti} passed sanity check.\n`);
  });

  it('"Found N invalid bytes" unless --max-bytes is given a value other than Integer.MAX_VALUE', () => {
    const d = tmpDir();
    const src = fs.readFileSync(path.join(FIXTURES, 'v2-none', 'topic-0', '00000000000000000000.log'));
    const log = path.join(d, '00000000000000000000.log');
    fs.writeFileSync(log, src.subarray(0, src.length - 10));
    expect(kseg(['dump', log, '--format', 'kafka', '--max-bytes', '2147483647']).stdout).toMatch(/Found \d+ invalid bytes at the end of 00000000000000000000.log\n$/);
    expect(kseg(['dump', log, '--format', 'kafka', '--max-bytes', String(src.length)]).stdout).not.toMatch(/invalid bytes/);
    // --to-offset (not a tool option) stops early without claiming invalid bytes.
    expect(kseg(['dump', log, '--format', 'kafka', '--to-offset', '3']).stdout).not.toMatch(/invalid bytes/);
  });

  it('where the tool aborts with a stack trace (size below 14), kseg reports it and dumps the next file', () => {
    const bad = path.join(FIXTURES, 'corrupt-size', 'topic-0');
    const badLog = fs
      .readdirSync(bad)
      .filter((f) => f.endsWith('.log'))
      .sort()
      .find((f) => kseg(['dump', path.join(bad, f), '--format', 'kafka']).status === 3)!;
    const good = path.join(FIXTURES, 'v2-none', 'topic-0', '00000000000000000000.log');
    const r = kseg(['dump', path.join(bad, badLog), good, '--format', 'kafka']);
    expect(r.status).toBe(3);
    expect(r.stderr).toMatch(/Found record size -?\d+ smaller than minimum record overhead \(14\)/);
    expect(r.stdout).toContain(`Dumping ${good}`);
  });
});

describe('malformed records inside a compressed batch (the tool: InvalidRecordException, stack trace, exit 1)', () => {
  it('kseg reports the batch on stderr, prints every later batch, and exits 3', () => {
    const d = path.join(tmpDir(), 'bad-0');
    const g = kseg(['generate', d, '--records', '200', '--compression', 'gzip', '--segment-bytes', '8k', '--corrupt', 'record-decode', '--no-fsync', '--json']);
    expect(g.status).toBe(0);
    const summary = JSON.parse(g.stdout);
    const logs = fs
      .readdirSync(d)
      .filter((f) => f.endsWith('.log'))
      .sort()
      .map((f) => path.join(d, f));
    const r = kseg(['dump', ...logs, '--format', 'kafka']);
    expect(r.status).toBe(3);
    expect(r.stderr).toMatch(/^kseg: .+ \(\d{20}\.log at byte \d+\)$/m);
    expect(r.stdout.split('\n').filter((l) => l.startsWith('baseOffset: ')).length).toBe(summary.batches);
  });
});

describe('producer snapshot lines (DumpLogSegments.dumpProducerIdSnapshot)', () => {
  it('firstSequence wraps like DefaultRecordBatch.decrementSequence; 3.x leaves a space after lastTimestamp', async () => {
    const { encodeProducerSnapshot } = await import('../src/format/snapshot.js');
    const d = tmpDir();
    const snap = path.join(d, '00000000000000000100.snapshot');
    fs.writeFileSync(
      snap,
      encodeProducerSnapshot([
        { producerId: 7, producerEpoch: 2, lastSequence: 3, lastOffset: 99, offsetDelta: 9, timestamp: 1700000000000, coordinatorEpoch: 5, currentTxnFirstOffset: 90 },
        { producerId: 8, producerEpoch: 0, lastSequence: -1, lastOffset: -1, offsetDelta: 0, timestamp: 1700000000001, coordinatorEpoch: -1, currentTxnFirstOffset: -1 },
      ]),
    );
    const wrapped = 2147483647 - (9 - 3) + 1; // 2147483642: the sequence ran past Integer.MAX_VALUE
    expect(kseg(['dump', snap, '--format', 'kafka']).stdout).toBe(
      `Dumping ${snap}\n` +
        `producerId: 7 producerEpoch: 2 coordinatorEpoch: 5 currentTxnFirstOffset: OptionalLong[90] lastTimestamp: 1700000000000 firstSequence: ${wrapped} lastSequence: 3 lastOffset: 99 offsetDelta: 9 timestamp: 1700000000000\n` +
        `producerId: 8 producerEpoch: 0 coordinatorEpoch: -1 currentTxnFirstOffset: OptionalLong.empty lastTimestamp: 1700000000001 \n`,
    );
    expect(kseg(['dump', snap, '--format', 'kafka4']).stdout.split('\n').slice(1, 3)).toEqual([
      `producerId: 7 producerEpoch: 2 coordinatorEpoch: 5 currentTxnFirstOffset: OptionalLong[90] lastTimestamp: 1700000000000 firstSequence: ${wrapped} lastSequence: 3 lastOffset: 99 offsetDelta: 9 timestamp: 1700000000000`,
      'producerId: 8 producerEpoch: 0 coordinatorEpoch: -1 currentTxnFirstOffset: OptionalLong.empty lastTimestamp: 1700000000001',
    ]);
  });
});

describe('file order of the report with several files (hash maps keyed by absolute path)', () => {
  it('java.util.HashMap order matches vectors printed by a JVM', async () => {
    const { javaHashMapOrder, javaStringHash } = await import('../src/cli/kafka-report.js');
    // `new HashMap<>()`, put in this order, keySet() printed by OpenJDK (with String.hashCode).
    expect(javaStringHash('/tmp/a/00000000000000000131.log')).toBe(1877665482);
    expect(javaStringHash('/b/c.log')).toBe(-1472768963);
    expect(javaHashMapOrder(['/tmp/a/00000000000000000000.log', '/tmp/a/00000000000000000131.log', '/work/x/00000000000000000268.log', '/b/c.log', 'x', 'y', 'z'])).toEqual([
      '/tmp/a/00000000000000000131.log',
      '/tmp/a/00000000000000000000.log',
      '/work/x/00000000000000000268.log',
      'x',
      'y',
      '/b/c.log',
      'z',
    ]);
    expect(
      javaHashMapOrder([
        '/tmp/k/a-0/00000000000000000000.log',
        '/tmp/k/a-0/00000000000000000121.log',
        '/tmp/k/a-0/00000000000000000239.log',
        '/tmp/k/a-0/00000000000000000354.log',
      ]),
    ).toEqual(['/tmp/k/a-0/00000000000000000354.log', '/tmp/k/a-0/00000000000000000000.log', '/tmp/k/a-0/00000000000000000239.log', '/tmp/k/a-0/00000000000000000121.log']);
  });
  it('scala.collection.mutable.HashMap (2.13) keeps a bucket sorted by hash; java.util.HashMap in insertion order', async () => {
    const { javaHashMapOrder, scalaHashMapOrder } = await import('../src/cli/kafka-report.js');
    // "x" (hash 120) and "h" (104) share bucket 8 of 16. OpenJDK prints x, h (checked with a JVM);
    // Scala's put0 inserts before the first node with a larger hash.
    expect(javaHashMapOrder(['x', 'h'])).toEqual(['x', 'h']);
    expect(scalaHashMapOrder(['x', 'h'])).toEqual(['h', 'x']);
    // Scala grows the table on a put that finds size + 1 >= 12, even for a key already there.
    // 11 keys in 16 buckets: p (112) in bucket 0, a..i (97..105) in 1..9 with h and x (120) sharing 8.
    const eleven = ['a', 'b', 'c', 'd', 'e', 'f', 'g', 'h', 'i', 'p', 'x'];
    expect(scalaHashMapOrder(eleven)).toEqual(['p', 'a', 'b', 'c', 'd', 'e', 'f', 'g', 'h', 'x', 'i']);
    // One more put of an existing key: 32 buckets, p in 16 and x in 24.
    expect(scalaHashMapOrder([...eleven, 'a'])).toEqual(['a', 'b', 'c', 'd', 'e', 'f', 'g', 'h', 'i', 'p', 'x']);
    // java.util.HashMap grows only past 12 keys.
    expect(javaHashMapOrder(eleven)).toEqual(['p', 'a', 'b', 'c', 'd', 'e', 'f', 'g', 'h', 'x', 'i']);
  });
  it('the CLI prints files in that order, not the order given', async () => {
    const { javaHashMapOrder } = await import('../src/cli/kafka-report.js');
    const dir = path.join(FIXTURES, 'v2-txn', 'topic-0');
    const logs = fs
      .readdirSync(dir)
      .filter((f) => f.endsWith('.log') && !f.startsWith('00000000000000000000'))
      .sort()
      .map((f) => path.join(dir, f));
    const r = kseg(['dump', ...logs, '--format', 'kafka4']);
    const heads = r.stderr.split('\n').filter((l) => l.startsWith('Non-consecutive'));
    expect(heads).toEqual(javaHashMapOrder(logs.map(abs)).map((f) => `Non-consecutive offsets in ${f}`));
  });
});

function readNdjsonText(s: string): any[] {
  return s
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => JSON.parse(l));
}

describe('files the tool ignores by suffix (DumpLogSegments.main dispatch)', () => {
  it('"Dumping X" then "Ignoring unknown file X" on stderr, and the next file is dumped', () => {
    const d = tmpDir();
    const deleted = path.join(d, '00000000000000000000.log.deleted');
    fs.copyFileSync(path.join(FIXTURES, 'v2-none', 'topic-0', '00000000000000000000.log'), deleted);
    const meta = path.join(d, 'partition.metadata');
    fs.copyFileSync(path.join(FIXTURES, 'v2-none', 'topic-0', 'partition.metadata'), meta);
    const idx = path.join(FIXTURES, 'v2-none', 'topic-0', '00000000000000000000.index');
    const r = kseg(['dump', deleted, meta, idx, '--format', 'kafka']);
    expect(r.status).toBe(0);
    expect(r.stdout.split('\n').slice(0, 4)).toEqual([`Dumping ${deleted}`, `Dumping ${meta}`, `Dumping ${idx}`, expect.stringMatching(/^offset: \d+ position: \d+$/)]);
    expect(r.stderr).toBe(`Ignoring unknown file ${deleted}\nIgnoring unknown file ${meta}\n`);
  });
});

describe("every fixture: the whole stderr report, built from the expected listings with DumpLogSegments' rules", () => {
  it.each(healthyCases())('%s', async (c) => {
    const { javaHashMapOrder, scalaHashMapOrder } = await import('../src/cli/kafka-report.js');
    const dir = path.join(FIXTURES, c, 'topic-0');
    const exp = (f: string) => readNdjson(path.join(FIXTURES, c, 'expected', f));
    const batches = exp('batches.ndjson');
    const records = exp('records.ndjson');
    const index = exp('index.ndjson');
    const timeindex = exp('timeindex.ndjson');
    const summary = JSON.parse(fs.readFileSync(path.join(FIXTURES, c, 'expected', 'summary.json'), 'utf8'));
    const files: string[] = [];
    const model = {
      kafka: { mismatch: new Map<string, string[]>(), mismatchPuts: [] as string[], gaps: new Map<string, string[]>(), gapPuts: [] as string[] },
      kafka4: { mismatch: new Map<string, string[]>(), gaps: new Map<string, string[]>() },
    };
    const tErr = { mismatch: new Map<string, string[]>(), order: new Map<string, string[]>(), missing: new Map<string, string[]>() };
    const add = (m: Map<string, string[]>, k: string, l: string) => m.set(k, [...(m.get(k) ?? []), l]);
    for (const seg of summary.segments) {
      const base = seg.file.slice(0, 20);
      const segBatches = batches.filter((b) => b.file === seg.file && b.lastOffset !== undefined);
      const log = path.join(dir, seg.file);
      files.push(log);
      // dumpLog: records of this segment in file order.
      const offsets = records.filter((r) => r.offset >= seg.firstOffset && r.offset <= seg.lastOffset).map((r) => r.offset);
      for (const flavor of ['kafka', 'kafka4'] as const) {
        const lines = nonConsecutive(offsets, flavor);
        if (lines.length) model[flavor].gaps.set(path.resolve(log), lines);
        if (flavor === 'kafka') for (let i = 0; i < lines.length; i++) model.kafka.gapPuts.push(path.resolve(log));
      }
      // dumpIndex: the batch at each entry's position.
      const idxFile = `${base}.index`;
      if (fs.existsSync(path.join(dir, idxFile))) {
        files.push(path.join(dir, idxFile));
        const abs = path.resolve(dir, idxFile);
        const mism: Array<[number, number]> = [];
        for (const e of index.filter((x) => x.file === idxFile)) {
          const b = segBatches.find((x) => x.position === e.position);
          if (b && b.lastOffset !== e.offset) mism.push([e.offset, b.lastOffset]);
        }
        if (mism.length) {
          model.kafka.mismatch.set(
            abs,
            [...mism].reverse().map(([o, l]) => `  Index offset: ${o}, log offset: ${l}`),
          );
          for (let i = 0; i < mism.length; i++) model.kafka.mismatchPuts.push(abs);
          model.kafka4.mismatch.set(
            abs,
            [...new Map(mism)].sort((a, b) => b[0] - a[0]).map(([o, l]) => `  Index offset: ${o}, log offset: ${l}`),
          );
        }
      }
      // dumpTimeIndex: the first batch ending at or after each entry's offset, its largest record timestamp.
      const tiFile = `${base}.timeindex`;
      if (fs.existsSync(path.join(dir, tiFile))) {
        files.push(path.join(dir, tiFile));
        const abs = path.resolve(dir, tiFile);
        let prev = -1;
        for (const e of timeindex.filter((x) => x.file === tiFile)) {
          const b = segBatches.find((x) => x.lastOffset >= e.offset);
          if (!b) add(tErr.missing, abs, `Indexed offset: ${e.offset}, found log offset: -1`);
          else if (b.lastOffset !== e.offset) add(tErr.missing, abs, `Indexed offset: ${e.offset}, found log offset: ${b.lastOffset}`);
          else {
            const max = Math.max(-1, ...records.filter((r) => r.offset >= b.baseOffset && r.offset <= b.lastOffset).map((r) => r.timestamp));
            if (max !== e.timestamp) add(tErr.mismatch, abs, `  Index timestamp: ${e.timestamp}, log timestamp: ${max}`);
            if (prev >= e.timestamp) add(tErr.order, abs, `  Index timestamp: ${e.timestamp}, Previously indexed timestamp: ${prev}`);
          }
          prev = e.timestamp;
        }
      }
    }
    for (const flavor of ['kafka', 'kafka4'] as const) {
      const order = (m: Map<string, string[]>, puts?: string[]) => (flavor === 'kafka' ? scalaHashMapOrder(puts ?? [...m.keys()]) : javaHashMapOrder([...m.keys()]));
      const m = model[flavor];
      const expected = [
        ...order(m.mismatch, flavor === 'kafka' ? model.kafka.mismatchPuts : undefined).flatMap((f) => [`Mismatches in :${f}`, ...m.mismatch.get(f)!]),
        ...order(tErr.mismatch).flatMap((f) => [`Found timestamp mismatch in :${f}`, ...tErr.mismatch.get(f)!]),
        ...order(tErr.order).flatMap((f) => [`Found out of order timestamp in :${f}`, ...tErr.order.get(f)!]),
        ...order(tErr.missing).flatMap((f) => ['The following indexed offsets are not found in the log.', ...tErr.missing.get(f)!]),
        ...order(m.gaps, flavor === 'kafka' ? model.kafka.gapPuts : undefined).flatMap((f) => [`Non-consecutive offsets in ${f}`, ...m.gaps.get(f)!]),
      ];
      const r = kseg(['dump', ...files, '--format', flavor, '--verify-index-only']);
      expect(r.status).toBe(0);
      expect(r.stderr.split('\n').filter((l) => l !== '' && !l.startsWith('kseg: '))).toEqual(expected);
    }
  });
});
