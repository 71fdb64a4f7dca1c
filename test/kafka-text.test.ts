import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { FIXTURES, kseg, readNdjson, tmpDir } from './helpers.js';

/** `--format kafka` is what kafka-dump-log.sh --files X --print-data-log --deep-iteration prints (format doc 5). */
const parseFields = (line: string): Record<string, string> => {
  const out: Record<string, string> = {};
  const re = /(\w+): (\S*)/g;
  let m: RegExpExecArray | null;
  while ((m = re.exec(line))) out[m[1]!] = m[2]!;
  return out;
};

describe('kafka-dump-log.sh compatible text', () => {
  it.each(['v2-txn', 'v2-mixed-codecs', 'v2-logappend', 'v1-gzip', 'v0-none', 'v1-snappy-logappend'])('%s: every batch and record field parses back to the expected values', (c) => {
    const dir = path.join(FIXTURES, c, 'topic-0');
    const logs = fs.readdirSync(dir).filter((f) => f.endsWith('.log')).sort();
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
        expect([Number(f.baseOffset), Number(f.lastOffset), Number(f.count), Number(f.producerId), Number(f.producerEpoch), Number(f.partitionLeaderEpoch), Number(f.baseSequence)]).toEqual([b.baseOffset, b.lastOffset, b.recordCount, b.producerId, b.producerEpoch, b.partitionLeaderEpoch, b.baseSequence]);
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
  });

  it('kafka4 format drops the 3.x stray brace; --no-print-data omits key and payload', () => {
    const f = path.join(FIXTURES, 'v1-gzip', 'topic-0', '00000000000000001000.log');
    const k4 = kseg(['dump', f, '--format', 'kafka4']).stdout.split('\n').filter((l) => l.startsWith('| '));
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
    const idx = kseg(['dump', path.join(dir, '00000000000000000000.index'), '--format', 'kafka']).stdout.split('\n').filter((l) => l.startsWith('offset'));
    expect(idx.map((l) => parseFields(l))).toEqual(readNdjson(path.join(FIXTURES, 'v2-txn', 'expected', 'index.ndjson')).filter((e) => e.file === '00000000000000000000.index').map((e) => ({ offset: String(e.offset), position: String(e.position) })));
    const txn = kseg(['dump', path.join(dir, '00000000000000000000.txnindex'), '--format', 'kafka']).stdout.split('\n').filter((l) => l.startsWith('version'));
    expect(txn.length).toBe(3);
    expect(txn[0]).toMatch(/^version: 0 producerId: \d+ firstOffset: \d+ lastOffset: \d+ lastStableOffset: \d+$/);
  });
});
