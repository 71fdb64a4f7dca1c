import fs from 'node:fs';
import path from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ISSUE_CODES, verify, type VerifyIssue, type VerifyReport } from '../src/ops/verify/index.js';
import { rebuildIndex } from '../src/ops/rebuild-index.js';
import { CORRUPT_KINDS, generate, type CorruptKind, type GenerateOptions } from '../src/ops/generate.js';
import { crc32c } from '../src/format/crc.js';
import { encodeProducerSnapshot } from '../src/format/snapshot.js';
import { encodeAbortedTxn } from '../src/format/indexes.js';
import { KsegError } from '../src/format/errors.js';
import { batchRecords, decodeBatch } from '../src/format/batch.js';
import { RecordWalker, WALK_CHECK, WALK_OK } from '../src/format/record-walk.js';
import { copyPartition, corruptCases, fixtureCases, FIXTURES, HAVE_REAL, healthyCases, kseg, readNdjson, REAL, tmpDir, withEnv } from './helpers.js';

// ------------------------------------------------------------------ helpers

const caseDir = (c: string): string => path.join(FIXTURES, c, 'topic-0');
const batchesOf = (c: string): any[] => readNdjson(path.join(FIXTURES, c, 'expected', 'batches.ndjson'));
const seg = (base: number, ext: string): string => `${String(base).padStart(20, '0')}.${ext}`;

function issuesOf(r: VerifyReport, code?: string): VerifyIssue[] {
  return code ? r.issues.filter((i) => i.code === code) : r.issues;
}

/** A copy of a healthy fixture, changed by `mutate(dir)`, verified. */
function mutated(c: string, mutate: (dir: string) => void): { dir: string; r: VerifyReport } {
  const dir = copyPartition(caseDir(c));
  mutate(dir);
  return { dir, r: verify([dir]) };
}

function patch(file: string, pos: number, bytes: number[] | Buffer): void {
  const fd = fs.openSync(file, 'r+');
  fs.writeSync(fd, Buffer.from(bytes), 0, bytes.length, pos);
  fs.closeSync(fd);
}

function readAt(file: string, pos: number, len: number): Buffer {
  return fs.readFileSync(file).subarray(pos, pos + len);
}

/** Recompute the CRC-32C of the v2 batch at `pos` (for faults behind a valid CRC). */
function fixCrc(file: string, pos: number): void {
  const buf = fs.readFileSync(file);
  const size = buf.readInt32BE(pos + 8) + 12;
  const crc = crc32c(buf, pos + 21, pos + size);
  const b = Buffer.alloc(4);
  b.writeUInt32BE(crc);
  patch(file, pos + 17, b);
}

/** Expect exactly one issue with this code, at this file and position; returns it. */
function expectIssue(r: VerifyReport, code: string, file: string, position: number | null, offset?: number | null): VerifyIssue {
  const found = issuesOf(r, code);
  expect(found.map((i) => `${i.code} ${i.file}@${i.position}`)).toEqual([`${code} ${file}@${position}`]);
  if (offset !== undefined) expect(found[0]!.offset).toBe(offset);
  expect(found[0]!.message.length).toBeGreaterThan(10);
  return found[0]!;
}

function expectClean(r: VerifyReport): void {
  expect(r.issues.filter((i) => i.severity !== 'info').map((i) => `${i.severity} ${i.code} ${i.file}@${i.position}: ${i.message}`)).toEqual([]);
  expect(r.errors).toBe(0);
  expect(r.warnings).toBe(0);
  expect(r.ok).toBe(true);
}

const severityOf = (code: string): string => ISSUE_CODES.find((c) => c.code === code)!.severity;

// ------------------------------------------------------------------ the code table

describe('ISSUE_CODES', () => {
  it('lists unique codes, each with a severity and a meaning', () => {
    const codes = ISSUE_CODES.map((c) => c.code);
    expect(new Set(codes).size).toBe(codes.length);
    for (const c of ISSUE_CODES) {
      expect(['error', 'warning', 'info']).toContain(c.severity);
      expect(c.meaning.length).toBeGreaterThan(15);
      expect(c.code).toMatch(/^[A-Z][A-Z0-9_]+$/);
    }
    // The codes OUTPUT.md names.
    for (const c of [
      'SIZE_TOO_SMALL',
      'PARTIAL_TAIL',
      'CRC_MISMATCH',
      'BAD_MAGIC',
      'OFFSET_NOT_INCREASING',
      'RECORD_DECODE_ERROR',
      'ZERO_TAIL',
      'INDEX_POSITION_NOT_BATCH_START',
      'INDEX_OFFSET_NOT_INCREASING',
      'INDEX_ZERO_TAIL',
      'INDEX_MISSING',
      'TIMEINDEX_NOT_INCREASING',
      'SNAPSHOT_CRC_MISMATCH',
      'SEGMENT_BASE_ABOVE_FIRST_OFFSET',
    ]) {
      expect(codes).toContain(c);
    }
  });
});

// ------------------------------------------------------------------ fixtures

describe.each(corruptCases())('corrupt fixture %s', (c) => {
  const exp = JSON.parse(fs.readFileSync(path.join(FIXTURES, c, 'expected', 'verify.json'), 'utf8'));
  const r = verify([caseDir(c)]);

  it(`reports ${exp.code} at ${exp.file} byte ${exp.position}`, () => {
    const hit = r.issues.find((i) => i.code === exp.code && i.file === exp.file && i.position === exp.position);
    expect(hit, JSON.stringify(r.issues, null, 1)).toBeDefined();
    if (exp.offset !== null) expect(hit!.offset).toBe(exp.offset);
    // The injected fault is the only finding.
    expect(r.issues.filter((i) => i.severity !== 'info')).toHaveLength(1);
  });

  it('says what recovery would cut', () => {
    if (exp.recoverFile === null) {
      expect(r.recoverable).toBeNull();
    } else {
      expect(r.recoverable).toEqual({ file: exp.recoverFile, truncateAtPosition: exp.recoverToPosition, recordsLost: exp.recordsBefore - exp.recordsSurvivingRecovery });
    }
  });
});

describe('healthy fixtures verify clean', () => {
  it.each(healthyCases())('%s', (c) => {
    const r = verify([caseDir(c)]);
    expectClean(r);
    const summary = JSON.parse(fs.readFileSync(path.join(FIXTURES, c, 'expected', 'summary.json'), 'utf8'));
    expect(r.summary).toEqual({
      segments: summary.segments.length,
      batches: summary.batches,
      records: summary.records,
      bytes: summary.segments.reduce((n: number, s: any) => n + s.size, 0),
    });
    expect(r.recoverable).toBeNull();
  });
});

// ------------------------------------------------------------------ real data

function realDirs(): string[] {
  if (!HAVE_REAL) return [];
  const manifest = fs
    .readFileSync(path.join(REAL, 'MANIFEST.tsv'), 'utf8')
    .split('\n')
    .slice(1)
    .filter((l) => l.trim() !== '');
  const dirs = new Set(manifest.map((l) => l.split('\t')[0]!));
  // Every partition directory of the broker log dirs as well.
  for (const d of [...dirs]) {
    const p = path.join(REAL, d);
    if (!fs.existsSync(p)) continue;
    for (const e of fs.readdirSync(p, { withFileTypes: true })) if (e.isDirectory() && /-\d+$/.test(e.name)) dirs.add(path.join(d, e.name));
  }
  return [...dirs].sort();
}

describe.skipIf(!HAVE_REAL)('real broker and client data (../shared/real)', () => {
  it.each(realDirs())('%s: no errors, no warnings', (d) => {
    const r = verify([path.join(REAL, d)]);
    if (d.includes('invalid_crc')) {
      // kafka-rust's fixture really has a bad CRC (the README says so).
      expect(r.issues.filter((i) => i.severity !== 'info').map((i) => i.code)).toEqual(['CRC_MISMATCH']);
      expect(r.issues[0]!.position).toBe(0);
      return;
    }
    expectClean(r);
  });

  it('a broker log directory is verified partition by partition', () => {
    const r = verify([path.join(REAL, 'ldi-poc', 'kafka-logs')]);
    expectClean(r);
    expect(r.partitions!.length).toBeGreaterThan(50);
    expect(r.summary.batches).toBeGreaterThan(4000);
  });

  it('extracted record sets ending in a partial batch are at most info', () => {
    const d = realDirs().find((x) => x.includes('partial_messages'))!;
    const r = verify([path.join(REAL, d)]);
    expect(r.ok).toBe(true);
    expect(r.issues.map((i) => `${i.severity} ${i.code}`)).toEqual(['info RECORD_SET_PARTIAL_TAIL']);
  });
});
if (!HAVE_REAL) it.skip('real data tests skipped: ../shared/real is absent', () => {});

// ------------------------------------------------------------------ injected faults: .log

describe('faults in .log files', () => {
  const C = 'v2-multiseg';
  const batches = batchesOf(C);
  const segFiles = [...new Set(batches.map((b) => b.file))];
  const mid = segFiles[3]!; // an inactive middle segment
  const inMid = batches.filter((b) => b.file === mid);
  const last = segFiles[segFiles.length - 1]!;
  const inLast = batches.filter((b) => b.file === last);

  it('CRC: flipped byte -> CRC_MISMATCH at the batch, expected and found values in the message', () => {
    const b = inMid[4];
    const { r } = mutated(C, (d) => patch(path.join(d, mid), b.position + 70, [readAt(path.join(d, mid), b.position + 70, 1)[0]! ^ 0xff]));
    const i = expectIssue(r, 'CRC_MISMATCH', mid, b.position, b.baseOffset);
    expect(i.message).toMatch(/expected 0x[0-9a-f]{8}.*found 0x[0-9a-f]{8}/);
    expect(r.recoverable!.file).toBe(mid);
    expect(r.recoverable!.truncateAtPosition).toBe(b.position);
  });

  it('size < 14: SIZE_TOO_SMALL, then framing resumes at the next batch and finds a later fault too', () => {
    const b = inMid[2];
    const later = inMid[6];
    const { r } = mutated(C, (d) => {
      patch(path.join(d, mid), b.position + 8, [0, 0, 0, 5]);
      patch(path.join(d, mid), later.position + 80, [0x55]);
    });
    expectIssue(r, 'SIZE_TOO_SMALL', mid, b.position);
    expectIssue(r, 'CRC_MISMATCH', mid, later.position, later.baseOffset);
    // Nothing else: the indexes are right about the real data, whatever the verifier could not read.
    expect(r.issues).toHaveLength(2);
    expect(r.recoverable!.truncateAtPosition).toBe(b.position);
    // Every record from the bad batch on is lost: this segment's rest and all later segments.
    const lost = batches.filter((x) => x.file > mid || (x.file === mid && x.position >= b.position)).reduce((n, x) => n + x.recordCount, 0);
    expect(r.recoverable!.recordsLost).toBe(lost);
  });

  it('size past the end with valid batches after it: SIZE_TOO_LARGE (not a torn tail)', () => {
    const b = inMid[3];
    const { r } = mutated(C, (d) => patch(path.join(d, mid), b.position + 8, [0, 1, 0, 0]));
    expectIssue(r, 'SIZE_TOO_LARGE', mid, b.position);
    expect(issuesOf(r, 'PARTIAL_TAIL')).toEqual([]);
  });

  it('magic 7: BAD_MAGIC; Kafka keeps the batch (not covered by the v2 CRC)', () => {
    const b = inMid[1];
    const { r } = mutated(C, (d) => patch(path.join(d, mid), b.position + 16, [7]));
    expectIssue(r, 'BAD_MAGIC', mid, b.position, b.baseOffset);
    expect(r.recoverable).toBeNull();
  });

  it('torn last batch: PARTIAL_TAIL at its start; records lost from its header (estimated when the count field is gone)', () => {
    const b = inLast[inLast.length - 1];
    const a = mutated(C, (d) => fs.truncateSync(path.join(d, last), b.position + 70));
    expectIssue(a.r, 'PARTIAL_TAIL', last, b.position, b.baseOffset);
    expect(a.r.recoverable).toEqual({ file: last, truncateAtPosition: b.position, recordsLost: b.recordCount });
    const e = mutated(C, (d) => fs.truncateSync(path.join(d, last), b.position + 30));
    expectIssue(e.r, 'PARTIAL_TAIL', last, b.position, b.baseOffset);
    expect(e.r.recoverable).toEqual({ file: last, truncateAtPosition: b.position, recordsLost: b.lastOffset - b.baseOffset + 1, recordsLostEstimated: true });
  });

  it('zero-filled tail: ZERO_TAIL where the zeros begin; 9 stray bytes: PARTIAL_TAIL', () => {
    const size = fs.statSync(path.join(caseDir(C), last)).size;
    const z = mutated(C, (d) => fs.appendFileSync(path.join(d, last), Buffer.alloc(5000)));
    expectIssue(z.r, 'ZERO_TAIL', last, size, null);
    expect(z.r.recoverable).toEqual({ file: last, truncateAtPosition: size, recordsLost: 0 });
    const s = mutated(C, (d) => fs.appendFileSync(path.join(d, last), Buffer.from('123456789')));
    expectIssue(s.r, 'PARTIAL_TAIL', last, size);
  });

  it('zero tail in a middle segment is an error too (recovery would delete the later segments)', () => {
    const size = fs.statSync(path.join(caseDir(C), mid)).size;
    const { r } = mutated(C, (d) => fs.appendFileSync(path.join(d, mid), Buffer.alloc(100)));
    expectIssue(r, 'ZERO_TAIL', mid, size);
    expect(r.recoverable!.recordsLost).toBe(batches.filter((x) => x.file > mid).reduce((n, x) => n + x.recordCount, 0));
  });

  it('a broken record behind a valid CRC: RECORD_DECODE_ERROR, nothing for recovery to cut', () => {
    const b = inMid.find((x) => x.recordCount >= 2)!;
    const { r } = mutated(C, (d) => {
      const f = path.join(d, mid);
      // First record's length varint (byte 61): claim more bytes than the record has.
      patch(f, b.position + 61, [0x7e]);
      fixCrc(f, b.position);
    });
    expectIssue(r, 'RECORD_DECODE_ERROR', mid, b.position, b.baseOffset);
    expect(r.recoverable).toBeNull();
  });

  it('recordsCount larger than the offsets allow: RECORD_COUNT_MISMATCH', () => {
    const b = inMid[5];
    const { r } = mutated(C, (d) => {
      const f = path.join(d, mid);
      const n = Buffer.alloc(4);
      n.writeInt32BE(b.recordCount + 5);
      patch(f, b.position + 57, n);
      fixCrc(f, b.position);
    });
    expectIssue(r, 'RECORD_COUNT_MISMATCH', mid, b.position, b.baseOffset);
  });

  it('maxTimestamp not the largest record timestamp: MAX_TIMESTAMP_MISMATCH (warning)', () => {
    const b = inMid[2];
    const { r } = mutated(C, (d) => {
      const f = path.join(d, mid);
      const t = Buffer.alloc(8);
      t.writeBigInt64BE(BigInt(b.maxTimestamp + 1000));
      patch(f, b.position + 35, t);
      fixCrc(f, b.position);
    });
    const i = expectIssue(r, 'MAX_TIMESTAMP_MISMATCH', mid, b.position, b.baseOffset);
    expect(i.severity).toBe('warning');
    expect(i.message).toContain(`expected ${b.maxTimestamp}, found ${b.maxTimestamp + 1000}`);
    // The time index of that segment was built from the old value; the verifier says so as well.
    const [first, ...rest] = r.issues;
    expect(first!.code).toBe('MAX_TIMESTAMP_MISMATCH');
    expect(rest.length).toBeGreaterThan(0);
    expect([...new Set(rest.map((x) => `${x.severity} ${x.code} ${x.file}`))]).toEqual([`error TIMEINDEX_TIMESTAMP_MISMATCH ${mid.replace('.log', '.timeindex')}`]);
  });

  it('a batch starting at or below the previous last offset: OFFSET_NOT_INCREASING', () => {
    const b = inMid[3];
    const prev = inMid[2];
    const { r } = mutated(C, (d) => {
      const o = Buffer.alloc(8);
      o.writeBigInt64BE(BigInt(prev.baseOffset));
      patch(path.join(d, mid), b.position, o); // baseOffset is outside the CRC
    });
    expectIssue(r, 'OFFSET_NOT_INCREASING', mid, b.position, prev.baseOffset);
  });

  it('segment named above its first offset: SEGMENT_BASE_ABOVE_FIRST_OFFSET', () => {
    const base = inMid[0].baseOffset;
    const { r } = mutated(C, (d) => {
      for (const ext of ['log', 'index', 'timeindex']) fs.renameSync(path.join(d, seg(base, ext)), path.join(d, seg(base + 3, ext)));
    });
    expectIssue(r, 'SEGMENT_BASE_ABOVE_FIRST_OFFSET', seg(base + 3, 'log'), 0, base);
  });

  it('overlapping segments: SEGMENT_OVERLAP', () => {
    const base = inMid[0].baseOffset;
    const { r } = mutated(C, (d) => {
      for (const ext of ['log', 'index', 'timeindex']) fs.renameSync(path.join(d, seg(base, ext)), path.join(d, seg(base - 2, ext)));
    });
    expectIssue(r, 'SEGMENT_OVERLAP', seg(base - 2, 'log'), null, base - 2);
  });

  it('a non-20-digit segment name: SEGMENT_NAME_IRREGULAR (warning), still verified', () => {
    const base = inMid[0].baseOffset;
    const { r } = mutated(C, (d) => {
      for (const ext of ['log', 'index', 'timeindex']) fs.renameSync(path.join(d, seg(base, ext)), path.join(d, `${base}.${ext}`));
    });
    expect(
      issuesOf(r, 'SEGMENT_NAME_IRREGULAR')
        .map((i) => i.file)
        .sort(),
    ).toEqual([`${base}.index`, `${base}.log`, `${base}.timeindex`]);
    expect(r.errors).toBe(0);
    expect(r.summary.batches).toBe(batches.length);
  });
});

// ------------------------------------------------------------------ injected faults: .index / .timeindex

describe('faults in .index and .timeindex files', () => {
  const C = 'v2-multiseg';
  const batches = batchesOf(C);
  const idx = readNdjson(path.join(FIXTURES, C, 'expected', 'index.ndjson'));
  const tidx = readNdjson(path.join(FIXTURES, C, 'expected', 'timeindex.ndjson'));
  const segFiles = [...new Set(batches.map((b) => b.file))];
  const mid = segFiles[2]!.replace('.log', '');
  const lastBase = segFiles[segFiles.length - 1]!.replace('.log', '');
  const midIdx = idx.filter((e) => e.file === `${mid}.index`);
  const midT = tidx.filter((e) => e.file === `${mid}.timeindex`);
  const base = Number(mid);
  const entry = (rel: number, pos: number): Buffer => {
    const b = Buffer.alloc(8);
    b.writeInt32BE(rel);
    b.writeInt32BE(pos, 4);
    return b;
  };

  it('swapped entries: INDEX_OFFSET_NOT_INCREASING at the second', () => {
    const { r } = mutated(C, (d) => {
      patch(path.join(d, `${mid}.index`), 8, entry(midIdx[2].offset - base, midIdx[2].position));
      patch(path.join(d, `${mid}.index`), 16, entry(midIdx[1].offset - base, midIdx[1].position));
    });
    expectIssue(r, 'INDEX_OFFSET_NOT_INCREASING', `${mid}.index`, 16, midIdx[1].offset);
    expect(r.recoverable).toBeNull();
  });

  it('position inside a batch: INDEX_POSITION_NOT_BATCH_START', () => {
    const { r } = mutated(C, (d) => patch(path.join(d, `${mid}.index`), 8, entry(midIdx[1].offset - base, midIdx[1].position + 7)));
    expectIssue(r, 'INDEX_POSITION_NOT_BATCH_START', `${mid}.index`, 8, midIdx[1].offset);
  });

  it('entry offset below its batch: INDEX_OFFSET_MISMATCH (lookups would skip data)', () => {
    // Entry 2 moved to the batch after its own, keeping an offset below that batch's first offset.
    const inSeg = batches.filter((x) => x.file === `${mid}.log`);
    const k = inSeg.findIndex((x) => x.position === midIdx[2].position);
    const nb = inSeg[k + 1]!;
    expect(nb.position).toBeLessThan(midIdx[3].position);
    const { r } = mutated(C, (d) => patch(path.join(d, `${mid}.index`), 16, entry(midIdx[2].offset - base, nb.position)));
    expect(midIdx[2].offset).toBeLessThan(nb.baseOffset);
    expectIssue(r, 'INDEX_OFFSET_MISMATCH', `${mid}.index`, 16, midIdx[2].offset);
    expect(r.issues).toHaveLength(1);
  });

  it('entry beyond the log end: INDEX_POSITION_BEYOND_LOG_END; offset beyond: INDEX_OFFSET_BEYOND_LOG_END', () => {
    const size = midIdx.length * 8;
    const logSize = fs.statSync(path.join(caseDir(C), `${mid}.log`)).size;
    const lastBatch = batches.filter((x) => x.file === `${mid}.log`).at(-1)!;
    const a = mutated(C, (d) => fs.appendFileSync(path.join(d, `${mid}.index`), entry(lastBatch.lastOffset - base + 50, logSize + 100)));
    expectIssue(a.r, 'INDEX_POSITION_BEYOND_LOG_END', `${mid}.index`, size, lastBatch.lastOffset + 50);
    const b = mutated(C, (d) => fs.appendFileSync(path.join(d, `${mid}.index`), entry(lastBatch.lastOffset - base + 50, lastBatch.position)));
    expectIssue(b.r, 'INDEX_OFFSET_BEYOND_LOG_END', `${mid}.index`, size, lastBatch.lastOffset + 50);
  });

  it('length not a multiple of 8: INDEX_SIZE_NOT_MULTIPLE (warning)', () => {
    const { r } = mutated(C, (d) => fs.appendFileSync(path.join(d, `${mid}.index`), Buffer.from([1, 2, 3])));
    expect(expectIssue(r, 'INDEX_SIZE_NOT_MULTIPLE', `${mid}.index`, midIdx.length * 8).severity).toBe('warning');
  });

  it('zero tail: INDEX_ZERO_TAIL (warning) and TIMEINDEX_ZERO_TAIL (error) on an inactive segment, nothing on the active one', () => {
    const { r } = mutated(C, (d) => {
      fs.appendFileSync(path.join(d, `${mid}.index`), Buffer.alloc(800));
      fs.appendFileSync(path.join(d, `${mid}.timeindex`), Buffer.alloc(1200));
      fs.appendFileSync(path.join(d, `${lastBase}.index`), Buffer.alloc(1 << 16));
      fs.appendFileSync(path.join(d, `${lastBase}.timeindex`), Buffer.alloc(12 * 5000));
    });
    expect(expectIssue(r, 'INDEX_ZERO_TAIL', `${mid}.index`, midIdx.length * 8, null).severity).toBe('warning');
    expect(expectIssue(r, 'TIMEINDEX_ZERO_TAIL', `${mid}.timeindex`, midT.length * 12, null).severity).toBe('error');
    expect(r.issues).toHaveLength(2);
  });

  it('time index: swapped entries -> TIMEINDEX_NOT_INCREASING; wrong timestamp -> TIMEINDEX_TIMESTAMP_MISMATCH', () => {
    const tentry = (ts: number, rel: number): Buffer => {
      const b = Buffer.alloc(12);
      b.writeBigInt64BE(BigInt(ts));
      b.writeInt32BE(rel, 8);
      return b;
    };
    const a = mutated(C, (d) => {
      patch(path.join(d, `${mid}.timeindex`), 12, tentry(midT[2].timestamp, midT[2].offset - base));
      patch(path.join(d, `${mid}.timeindex`), 24, tentry(midT[1].timestamp, midT[1].offset - base));
    });
    expect(issuesOf(a.r, 'TIMEINDEX_NOT_INCREASING').map((i) => i.position)).toEqual([24]);
    const b = mutated(C, (d) => patch(path.join(d, `${mid}.timeindex`), 12, tentry(midT[1].timestamp - 3, midT[1].offset - base)));
    const i = expectIssue(b.r, 'TIMEINDEX_TIMESTAMP_MISMATCH', `${mid}.timeindex`, 12, midT[1].offset);
    expect(i.message).toContain(`expected ${midT[1].timestamp}, the largest`);
  });

  it('missing .index / .timeindex: info only (Kafka rebuilds them)', () => {
    const { r } = mutated(C, (d) => {
      fs.rmSync(path.join(d, `${mid}.index`));
      fs.rmSync(path.join(d, `${mid}.timeindex`));
    });
    expect(r.ok).toBe(true);
    expect(r.warnings).toBe(0);
    expect(r.issues.map((i) => `${i.severity} ${i.code} ${i.file}`)).toEqual([`info INDEX_MISSING ${mid}.index`, `info TIMEINDEX_MISSING ${mid}.timeindex`]);
  });

  it('an index file given alone is checked against its .log; only its own issues are listed', () => {
    const dir = copyPartition(caseDir(C));
    patch(path.join(dir, `${mid}.index`), 8, entry(midIdx[1].offset - base, midIdx[1].position + 7));
    patch(path.join(dir, `${mid}.log`), batches.find((x) => x.file === `${mid}.log`)!.position + 70, [0]);
    const r = verify([path.join(dir, `${mid}.index`)]);
    expect(r.issues.map((i) => `${i.code} ${i.file}@${i.position}`)).toEqual([`INDEX_POSITION_NOT_BATCH_START ${mid}.index@8`]);
  });
});

// ------------------------------------------------------------------ injected faults: .txnindex

describe('faults in .txnindex files (v2-txn)', () => {
  const C = 'v2-txn';
  const txns = readNdjson(path.join(FIXTURES, C, 'expected', 'txnindex.ndjson'));
  const first = txns.filter((t) => t.file === '00000000000000000000.txnindex');
  const f0 = '00000000000000000000.txnindex';
  const enc = (t: any): Buffer => encodeAbortedTxn(t);

  it('entries out of order: TXNINDEX_NOT_INCREASING', () => {
    const { r } = mutated(C, (d) => fs.writeFileSync(path.join(d, f0), Buffer.concat([enc(first[1]), enc(first[0]), enc(first[2])])));
    expect(issuesOf(r, 'TXNINDEX_NOT_INCREASING').map((i) => `${i.file}@${i.position}`)).toEqual([`${f0}@34`]);
  });

  it('entry whose lastOffset is not an ABORT marker: TXNINDEX_MARKER_MISSING (and the real marker has no entry)', () => {
    const { r } = mutated(C, (d) => fs.writeFileSync(path.join(d, f0), Buffer.concat([enc({ ...first[0], lastOffset: first[0].lastOffset - 1 }), enc(first[1]), enc(first[2])])));
    expectIssue(r, 'TXNINDEX_MARKER_MISSING', f0, 0, first[0].lastOffset - 1);
    expect(issuesOf(r, 'TXNINDEX_ENTRY_MISSING').map((i) => i.offset)).toEqual([first[0].lastOffset]);
  });

  it('an ABORT marker without entry: TXNINDEX_ENTRY_MISSING (file truncated, or file deleted)', () => {
    const a = mutated(C, (d) => fs.truncateSync(path.join(d, f0), 68));
    expectIssue(a.r, 'TXNINDEX_ENTRY_MISSING', f0, 68, first[2].lastOffset);
    const b = mutated(C, (d) => fs.rmSync(path.join(d, '00000000000000000121.txnindex')));
    expectIssue(b.r, 'TXNINDEX_ENTRY_MISSING', '00000000000000000121.txnindex', null, 222);
  });

  it('firstOffset above the transaction start: TXNINDEX_FIRST_OFFSET_MISMATCH', () => {
    const { r } = mutated(C, (d) => patch(path.join(d, f0), 0, enc({ ...first[0], firstOffset: first[0].firstOffset + 2 })));
    expectIssue(r, 'TXNINDEX_FIRST_OFFSET_MISMATCH', f0, 0, first[0].lastOffset);
  });

  it('bad version, partial trailing entry, lastOffset below base', () => {
    const v = mutated(C, (d) => patch(path.join(d, f0), 34, [1]));
    expectIssue(v.r, 'TXNINDEX_BAD_VERSION', f0, 34, first[1].lastOffset);
    const p = mutated(C, (d) => fs.appendFileSync(path.join(d, f0), Buffer.alloc(10)));
    expect(expectIssue(p.r, 'TXNINDEX_SIZE_NOT_MULTIPLE', f0, 102).severity).toBe('warning');
    const f121 = '00000000000000000121.txnindex';
    const t121 = txns.find((t) => t.file === f121);
    const b = mutated(C, (d) => fs.writeFileSync(path.join(d, f121), Buffer.concat([enc({ ...t121, firstOffset: 3, lastOffset: 5 }), enc(t121)])));
    expectIssue(b.r, 'TXNINDEX_OFFSET_OUT_OF_SEGMENT', f121, 0, 5);
  });
});

// ------------------------------------------------------------------ snapshots, checkpoints, leftovers

describe('faults in snapshots, checkpoints and the directory', () => {
  const C = 'v2-multiseg';
  const snap = (): Buffer =>
    encodeProducerSnapshot([
      { producerId: 42, producerEpoch: 1, lastSequence: 9, lastOffset: 100, offsetDelta: 9, timestamp: 1700000000000, coordinatorEpoch: -1, currentTxnFirstOffset: -1 },
    ]);

  it('a valid snapshot is fine; a flipped byte is SNAPSHOT_CRC_MISMATCH at the CRC field; short is SNAPSHOT_TRUNCATED', () => {
    expectClean(mutated(C, (d) => fs.writeFileSync(path.join(d, seg(259, 'snapshot')), snap())).r);
    const bad = snap();
    bad[20] ^= 1;
    const a = mutated(C, (d) => fs.writeFileSync(path.join(d, seg(259, 'snapshot')), bad));
    expect(expectIssue(a.r, 'SNAPSHOT_CRC_MISMATCH', seg(259, 'snapshot'), 2).message).toMatch(/expected 0x.*found 0x/);
    const b = mutated(C, (d) => fs.writeFileSync(path.join(d, seg(259, 'snapshot')), snap().subarray(0, 30)));
    expectIssue(b.r, 'SNAPSHOT_TRUNCATED', seg(259, 'snapshot'), 6);
    const c = mutated(C, (d) => fs.writeFileSync(path.join(d, seg(99999, 'snapshot')), snap()));
    expect(expectIssue(c.r, 'SNAPSHOT_BEYOND_LOG_END', seg(99999, 'snapshot'), null, 99999).severity).toBe('warning');
  });

  it('leader-epoch-checkpoint: parse errors name the line; ordering and range are checked', () => {
    const cases: [string, string, number | null][] = [
      ['1\n0\n', 'CHECKPOINT_BAD_VERSION', 0],
      ['0\n2\n0 0\n', 'CHECKPOINT_COUNT_MISMATCH', 8],
      ['0\n1\nzero 0\n', 'CHECKPOINT_MALFORMED', 4],
      ['0\n2\n1 10\n0 20\n', 'LEADER_EPOCH_NOT_INCREASING', 9],
      ['0\n1\n0 999999\n', 'LEADER_EPOCH_BEYOND_LOG_END', 4],
    ];
    for (const [text, code, pos] of cases) {
      const { r } = mutated(C, (d) => fs.writeFileSync(path.join(d, 'leader-epoch-checkpoint'), text));
      expectIssue(r, code, 'leader-epoch-checkpoint', pos);
    }
    // An epoch starting exactly at the log end is what a new leader writes: not an issue.
    expectClean(mutated(C, (d) => fs.writeFileSync(path.join(d, 'leader-epoch-checkpoint'), '0\n2\n0 0\n5 1200\n')).r);
  });

  it('partition.metadata garbage: PARTITION_METADATA_MALFORMED', () => {
    const { r } = mutated(C, (d) => fs.writeFileSync(path.join(d, 'partition.metadata'), 'version: 0\ntopic_id: nope'));
    expectIssue(r, 'PARTITION_METADATA_MALFORMED', 'partition.metadata', null);
  });

  it('leftovers, orphans, temp files and unknown files', () => {
    const { r } = mutated(C, (d) => {
      fs.copyFileSync(path.join(d, seg(0, 'log')), path.join(d, seg(0, 'log.deleted')));
      fs.copyFileSync(path.join(d, seg(0, 'index')), path.join(d, seg(5000, 'index.cleaned')));
      fs.copyFileSync(path.join(d, seg(0, 'index')), path.join(d, seg(6000, 'log.swap')));
      fs.copyFileSync(path.join(d, seg(0, 'index')), path.join(d, seg(7000, 'index')));
      fs.writeFileSync(path.join(d, seg(0, 'index.kseg-tmp')), 'x');
      fs.writeFileSync(path.join(d, 'notes.txt'), 'x');
      fs.writeFileSync(path.join(d, 'kseg-intent.json'), '{}');
    });
    const got = r.issues.map((i) => `${i.severity} ${i.code} ${i.file}`).sort();
    expect(got).toEqual(
      [
        `info LEFTOVER_DELETED ${seg(0, 'log.deleted')}`,
        `warning LEFTOVER_CLEANED ${seg(5000, 'index.cleaned')}`,
        `warning LEFTOVER_SWAP ${seg(6000, 'log.swap')}`,
        `warning ORPHAN_INDEX ${seg(7000, 'index')}`,
        `warning LEFTOVER_TEMP ${seg(0, 'index.kseg-tmp')}`,
        'info UNKNOWN_FILE notes.txt',
        'warning INTENT_PENDING kseg-intent.json',
      ].sort(),
    );
    expect(r.errors).toBe(0);
  });

  it('a leftover .log.swap given alone is verified as a standalone log', () => {
    const dir = tmpDir();
    const f = path.join(dir, seg(0, 'log.swap'));
    fs.copyFileSync(path.join(FIXTURES, 'v2-none', 'topic-0', seg(0, 'log')), f);
    expectClean(verify([f]));
    const b = batchesOf('v2-none')[20];
    fs.truncateSync(f, b.position + 100);
    const r = verify([f]);
    expectIssue(r, 'PARTIAL_TAIL', seg(0, 'log.swap'), b.position, b.baseOffset);
    expect(r.issues).toHaveLength(1);
  });

  it.skipIf(!HAVE_REAL)('KRaft bootstrap snapshot, log-dir checkpoints and a producer snapshot given alone', () => {
    const d = path.join(REAL, 'ldi-poc', 'kafka-logs');
    const r = verify([path.join(d, 'bootstrap.checkpoint'), path.join(d, 'recovery-point-offset-checkpoint'), path.join(d, '__consumer_offsets-6', seg(13, 'snapshot'))]);
    expectClean(r);
    expect(r.partitions).toHaveLength(3);
    expect(r.summary.batches).toBe(3);
  });

  it('checkpoint files given alone', () => {
    const dir = tmpDir();
    fs.writeFileSync(path.join(dir, 'recovery-point-offset-checkpoint'), '0\n2\ntopic 0 5\n');
    const r = verify([path.join(dir, 'recovery-point-offset-checkpoint')]);
    expectIssue(r, 'CHECKPOINT_COUNT_MISMATCH', 'recovery-point-offset-checkpoint', 14);
  });
});

// ------------------------------------------------------------------ normal facts of real clusters are not reported

describe('never cry wolf', () => {
  const C = 'v2-multiseg';
  const batches = batchesOf(C);
  const segFiles = [...new Set(batches.map((b) => b.file))];

  it('per-append follower layout (v2-per-append) and shifted entries after a restart', () => {
    expectClean(verify([caseDir('v2-per-append')]));
    // Any subset of (batch lastOffset, batch position) pairs is a valid (shifted) index.
    const f = segFiles[1]!;
    const inSeg = batches.filter((b) => b.file === f);
    const base = Number(f.replace('.log', ''));
    const { r } = mutated(C, (d) => {
      const chosen = inSeg.filter((_, i) => i % 3 === 1);
      const buf = Buffer.alloc(chosen.length * 8);
      chosen.forEach((b, i) => {
        buf.writeInt32BE(b.lastOffset - base, i * 8);
        buf.writeInt32BE(b.position, i * 8 + 4);
      });
      fs.writeFileSync(path.join(d, f.replace('.log', '.index')), buf);
    });
    expectClean(r);
  });

  it('time-index entries pointing inside a batch (KAFKA-16342) and extra entries from clean shutdowns', () => {
    const f = segFiles[2]!;
    const inSeg = batches.filter((b) => b.file === f);
    const base = Number(f.replace('.log', ''));
    const { r } = mutated(C, (d) => {
      // One entry per batch that raises the max timestamp, at the first offset of that batch.
      const out: Buffer[] = [];
      let max = -1;
      for (const b of inSeg) {
        if (b.maxTimestamp <= max) continue;
        max = b.maxTimestamp;
        const e = Buffer.alloc(12);
        e.writeBigInt64BE(BigInt(max));
        e.writeInt32BE(b.baseOffset - base + (b.recordCount > 1 ? 1 : 0), 8);
        out.push(e);
      }
      fs.writeFileSync(path.join(d, f.replace('.log', '.timeindex')), Buffer.concat(out));
    });
    expectClean(r);
  });

  it('a compacted segment starting above its base offset, with offset gaps (indexes as Kafka rebuilds them)', () => {
    const f = segFiles[4]!;
    const inSeg = batches.filter((b) => b.file === f);
    const { r, dir } = mutated(C, (d) => {
      const log = fs.readFileSync(path.join(d, f));
      // Drop the first two batches and the fifth (as the cleaner would when all their records are superseded).
      const keep = inSeg.filter((_, i) => i >= 2 && i !== 4).map((b) => log.subarray(b.position, b.position + b.size));
      fs.writeFileSync(path.join(d, f), Buffer.concat(keep));
      rebuildIndex(path.join(d, f), { indexIntervalBytes: 800 });
    });
    expectClean(r);
    expect(r.summary.batches).toBe(batches.length - 3);
    void dir;
  });

  it('an empty 0-byte active segment (log start = log end) with 0-byte indexes and an epoch starting there', () => {
    const { r } = mutated(C, (d) => {
      for (const ext of ['log', 'index', 'timeindex']) fs.writeFileSync(path.join(d, seg(1200, ext)), '');
      fs.writeFileSync(path.join(d, 'leader-epoch-checkpoint'), '0\n4\n0 0\n2 259\n3 625\n10 1200\n');
    });
    expectClean(r);
    // A lone empty segment: nothing to verify, nothing wrong.
    const dir = tmpDir();
    fs.writeFileSync(path.join(dir, seg(5, 'log')), '');
    fs.writeFileSync(path.join(dir, 'leader-epoch-checkpoint'), '0\n1\n10 5\n');
    expectClean(verify([dir]));
  });

  it("the active segment's preallocated all-zero index files, even with no entries at all", () => {
    const last = segFiles[segFiles.length - 1]!.replace('.log', '');
    const { r } = mutated(C, (d) => {
      fs.writeFileSync(path.join(d, `${last}.index`), Buffer.alloc(10 * 1024 * 1024));
      fs.writeFileSync(path.join(d, `${last}.timeindex`), Buffer.alloc(10485756));
    });
    expectClean(r);
  });

  it('a record set cut from a fetch response: partial last batch is info, missing indexes are not mentioned', () => {
    const dir = tmpDir();
    const b = batches[5];
    const log = fs.readFileSync(path.join(caseDir(C), batches[0].file));
    fs.writeFileSync(path.join(dir, batches[0].file), log.subarray(0, b.position + 40));
    const r = verify([dir]);
    expect(r.ok).toBe(true);
    expect(r.issues.map((i) => `${i.severity} ${i.code} ${i.position}`)).toEqual([`info RECORD_SET_PARTIAL_TAIL ${b.position}`]);
    // The same bytes as a broker segment (forced): a torn tail is an error.
    const strict = verify([dir], { recordSet: false });
    expect(strict.issues.filter((i) => i.severity === 'error').map((i) => i.code)).toEqual(['PARTIAL_TAIL']);
  });
});

// ------------------------------------------------------------------ faults injected by `generate --corrupt` (an independent injector)

describe('every generate --corrupt kind gives exactly one finding, at the reported place', () => {
  const variants: [string, Partial<GenerateOptions>][] = [
    [
      'v2 transactions',
      { records: 3000, segmentBytes: 65536, indexIntervalBytes: 1024, transactions: true, leaderEpochs: 2, compression: ['none', 'gzip'], fsync: false, seed: 7 },
    ],
    ['v1 mixed codecs', { records: 3000, segmentBytes: 65536, indexIntervalBytes: 1024, magic: 1, compression: ['gzip', 'none', 'lz4'], fsync: false, seed: 8 }],
    ['v2 per-append', { records: 3000, segmentBytes: 65536, indexIntervalBytes: 1024, layout: 'per-append', compression: ['zstd', 'none'], fsync: false, seed: 9 }],
  ];
  for (const [name, base] of variants) {
    const kinds = (Object.keys(CORRUPT_KINDS) as CorruptKind[]).filter((k) => !(k === 'timeindex-nonmonotonic' && base.magic === 0));
    it.each(kinds)(`${name}: %s`, async (kind) => {
      const dir = path.join(tmpDir(), 'p-0');
      const summary = await generate(dir, { ...base, corrupt: kind });
      const k = summary.corruption!;
      const r = verify([dir]);
      const notes = r.issues.filter((i) => i.severity !== 'info' || i.code === k.code);
      expect(notes.map((i) => `${i.code} ${i.file}@${i.position} offset ${i.offset}`)).toEqual([`${k.code} ${k.file}@${k.position} offset ${k.offset}`]);
      if (k.recoverToPosition === null) expect(r.recoverable).toBeNull();
      else expect(r.recoverable).toMatchObject({ file: k.recoverFile, truncateAtPosition: k.recoverToPosition });
    });
  }
});

// ------------------------------------------------------------------ robustness

describe('robustness', () => {
  it('random byte flips and truncations never make verify throw or hang', () => {
    const C = 'v2-mixed-codecs';
    const src = fs.readFileSync(path.join(caseDir(C), seg(0, 'log')));
    const dir = copyPartition(caseDir(C));
    const file = path.join(dir, seg(0, 'log'));
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.nat(src.length - 1), fc.integer({ min: 1, max: 255 })), { minLength: 1, maxLength: 4 }),
        fc.option(fc.nat(src.length), { nil: undefined }),
        (flips, cut) => {
          const buf = Buffer.from(src);
          for (const [p, x] of flips) buf[p] ^= x;
          fs.writeFileSync(file, cut === undefined ? buf : buf.subarray(0, cut));
          let r: VerifyReport;
          try {
            r = verify([dir]);
          } catch (e) {
            expect(e).toBeInstanceOf(KsegError);
            return;
          }
          // The counts are those of the listed findings, and ok follows the errors.
          expect(r.errors).toBe(r.issues.filter((i) => i.severity === 'error').length);
          expect(r.warnings).toBe(r.issues.filter((i) => i.severity === 'warning').length);
          expect(r.ok).toBe(r.errors === 0);
          for (const i of r.issues) expect(ISSUE_CODES.some((c) => c.code === i.code)).toBe(true);
        },
      ),
      { numRuns: 150, seed: 5 },
    );
  });

  it('every code has the severity of the table, and --strict turns warnings into errors', () => {
    const dir = copyPartition(caseDir('corrupt-index-zero-tail'));
    const r = verify([dir]);
    expect(r.issues.length).toBeGreaterThan(0);
    for (const i of r.issues) expect(i.severity).toBe(severityOf(i.code));
    expect(r.ok).toBe(true);
    const s = verify([dir], { strict: true });
    expect(s.ok).toBe(false);
    expect(s.errors).toBe(1);
    expect(s.issues[0]!.severity).toBe('error');
  });
});

// ------------------------------------------------------------------ CLI contract (built CLI)

describe('kseg verify (CLI)', () => {
  it('--json has exactly the OUTPUT.md shape; exit 1 on errors', () => {
    const r = kseg(['verify', caseDir('corrupt-crc'), '--json']);
    expect(r.status).toBe(1);
    const j = JSON.parse(r.stdout);
    expect(Object.keys(j)).toEqual(['ok', 'errors', 'warnings', 'issues', 'recoverable', 'summary']);
    expect(Object.keys(j.issues[0])).toEqual(['severity', 'code', 'file', 'position', 'offset', 'message']);
    expect(Object.keys(j.recoverable)).toEqual(['file', 'truncateAtPosition', 'recordsLost']);
    expect(Object.keys(j.summary)).toEqual(['segments', 'batches', 'records', 'bytes']);
    expect(r.stderr).toBe('');
  });

  it('exit 0 on a healthy partition (human report), 0 with warnings, 1 with --strict', () => {
    const ok = kseg(['verify', caseDir('v2-txn')]);
    expect(ok.status).toBe(0);
    expect(ok.stdout).toMatch(/✓ ok: 0 errors, 0 warnings/);
    expect(kseg(['verify', caseDir('corrupt-index-zero-tail')]).status).toBe(0);
    const strict = kseg(['verify', caseDir('corrupt-index-zero-tail'), '--strict']);
    expect(strict.status).toBe(1);
    expect(strict.stdout).toContain('INDEX_ZERO_TAIL');
  });

  it('one clear line and exit 4 for a missing path, exit 2 for a file of unknown kind', () => {
    const miss = kseg(['verify', '/nonexistent/orders-3']);
    expect(miss.status).toBe(4);
    expect(miss.stdout).toBe('');
    expect(miss.stderr.trim().split('\n')).toHaveLength(1);
    expect(miss.stderr).toMatch(/^kseg: .*\/nonexistent\/orders-3/);
    const unknown = kseg(['verify', path.join(FIXTURES, 'README.md')]);
    expect(unknown.status).toBe(2);
    expect(unknown.stderr).not.toMatch(/at .*\.js:\d+/);
  });

  it('--codes prints the code table', () => {
    const r = kseg(['verify', '--codes', '--json']);
    expect(r.status).toBe(0);
    expect(JSON.parse(r.stdout)).toEqual(ISSUE_CODES);
  });
});

// ------------------------------------------------------------------ verify --jobs

/** Tiny chunks, so that fixtures of a few KiB are split into many. */
const SPLIT = { KSEG_VERIFY_CHUNK_BYTES: '700' };

describe('verify --jobs: the same findings, in the same order, as one thread', () => {
  // From src/ there is no compiled worker: the main thread checks every chunk itself through the
  // parallel path (header reads, chunk results, clean batches skipped). The CLI tests below run
  // the built workers.
  const both = (dir: string, opts: { recordSet?: boolean } = {}): void => {
    const one = verify([dir], opts);
    const split = withEnv(SPLIT, () => verify([dir], { ...opts, jobs: 2 }));
    expect(split).toEqual(one);
  };

  it.each(fixtureCases())('fixture %s', (c) => both(caseDir(c)));

  const variants: [string, Partial<GenerateOptions>][] = [
    ['v2', { records: 3000, segmentBytes: 65536, indexIntervalBytes: 1024, transactions: true, compression: ['none', 'none', 'gzip'], fsync: false, seed: 17 }],
    ['v1', { records: 2000, segmentBytes: 65536, indexIntervalBytes: 1024, magic: 1, compression: ['gzip', 'none'], fsync: false, seed: 18 }],
  ];
  for (const [name, base] of variants) {
    it.each(Object.keys(CORRUPT_KINDS) as CorruptKind[])(`generate --corrupt %s (${name})`, async (kind) => {
      const dir = path.join(tmpDir(), 'p-0');
      await generate(dir, { ...base, corrupt: kind });
      both(dir);
    });
  }

  it('random byte flips and truncations: identical reports', () => {
    for (const C of ['v2-headers', 'v2-mixed-codecs', 'v2-txn']) {
      const dir = copyPartition(caseDir(C));
      const name = fs
        .readdirSync(dir)
        .filter((f) => f.endsWith('.log'))
        .sort()[0]!;
      const file = path.join(dir, name);
      const src = fs.readFileSync(file);
      fc.assert(
        fc.property(
          fc.array(fc.tuple(fc.nat(src.length - 1), fc.integer({ min: 1, max: 255 })), { minLength: 1, maxLength: 3 }),
          fc.option(fc.nat(src.length), { nil: undefined }),
          (flips, cut) => {
            const buf = Buffer.from(src);
            for (const [p, x] of flips) buf[p] ^= x;
            fs.writeFileSync(file, cut === undefined ? buf : buf.subarray(0, cut));
            let one: VerifyReport | KsegError;
            let split: VerifyReport | KsegError;
            try {
              one = verify([dir]);
            } catch (e) {
              one = e as KsegError;
            }
            try {
              split = withEnv(SPLIT, () => verify([dir], { jobs: 3 }));
            } catch (e) {
              split = e as KsegError;
            }
            expect(split).toEqual(one);
          },
        ),
        { numRuns: 60, seed: 11 },
      );
    }
  });

  it('a batch whose records are broken behind a valid CRC is left to the main walk', () => {
    const { dir } = mutated('v2-none', () => {});
    const file = path.join(dir, seg(0, 'log'));
    const buf = fs.readFileSync(file);
    // Second batch: make its first record's length varint claim more than the batch holds.
    const second = 12 + buf.readInt32BE(8);
    patch(file, second + 61, [0x7e]);
    fixCrc(file, second);
    const one = verify([dir]);
    expect(one.issues.map((i) => i.code)).toEqual(['RECORD_DECODE_ERROR']);
    expect(withEnv(SPLIT, () => verify([dir], { jobs: 2 }))).toEqual(one);
  });

  const cli = (args: string[], env: Record<string, string> = {}) => kseg(['verify', '--json', ...args], { env: { ...SPLIT, ...env } });

  it('CLI with worker threads (main thread not checking chunks): every fixture, same JSON and exit code as --jobs 1', () => {
    for (const c of fixtureCases()) {
      const one = cli([caseDir(c)]);
      const two = cli([caseDir(c), '--jobs', '2'], { KSEG_VERIFY_MAIN_CHECKS: '0' });
      expect({ c, status: two.status, out: two.stdout }).toEqual({ c, status: one.status, out: one.stdout });
      expect(JSON.parse(two.stdout).summary.batches).toBeGreaterThan(0);
    }
    // two CLI runs per fixture: ~15 s idle, over 60 s on a loaded 2-core machine
  }, 240_000);

  it('CLI with worker threads: generated corrupt partitions; --jobs auto; several partitions at once', async () => {
    const root = tmpDir();
    const dirs: string[] = [];
    for (const kind of ['crc', 'record-decode', 'bad-magic', 'size', 'partial-tail', 'offsets-backwards'] as CorruptKind[]) {
      const dir = path.join(root, `t-${dirs.length}`);
      await generate(dir, {
        records: 3000,
        segmentBytes: 65536,
        indexIntervalBytes: 1024,
        transactions: true,
        compression: ['none', 'gzip'],
        fsync: false,
        seed: 21,
        corrupt: kind,
      });
      dirs.push(dir);
    }
    for (const dir of dirs) {
      const one = cli([dir]);
      const two = cli([dir, '--jobs', '2'], { KSEG_VERIFY_MAIN_CHECKS: '0' });
      expect(two.stdout).toBe(one.stdout);
      expect(two.status).toBe(one.status);
    }
    const all1 = cli([root]);
    const allAuto = cli([root, '--jobs', 'auto']);
    const all3 = cli([root, '--jobs', '3'], { KSEG_VERIFY_MAIN_CHECKS: '0' });
    expect(allAuto.stdout).toBe(all1.stdout);
    expect(all3.stdout).toBe(all1.stdout);
    expect(JSON.parse(all1.stdout).partitions).toHaveLength(dirs.length + 1); // and the log dir itself
  });

  it('--jobs is documented and validated', () => {
    expect(kseg(['verify', '--help']).stdout).toMatch(/--jobs <n>/);
    expect(kseg(['verify', caseDir('v2-none'), '--jobs', '0']).status).toBe(2);
    expect(kseg(['verify', caseDir('v2-none'), '--jobs', 'many']).status).toBe(2);
    expect(kseg(['verify', caseDir('v2-none'), '--jobs', '2']).status).toBe(0);
  });
});

describe("RecordWalker.walkFast in WALK_CHECK mode (verify's record walk) agrees with the record decoder", () => {
  const walker = new RecordWalker();
  it('random byte flips in the records of uncompressed batches', () => {
    for (const C of ['v2-headers', 'v2-none', 'v2-logappend']) {
      const log = fs.readFileSync(path.join(caseDir(C), seg(0, 'log')));
      const starts: number[] = [];
      for (let p = 0; p + 61 <= log.length; p += 12 + log.readInt32BE(p + 8)) starts.push(p);
      fc.assert(
        fc.property(fc.nat(starts.length - 1), fc.array(fc.tuple(fc.nat(4000), fc.integer({ min: 1, max: 255 })), { maxLength: 3 }), (bi, flips) => {
          const p = starts[bi]!;
          const size = 12 + log.readInt32BE(p + 8);
          const buf = Buffer.from(log.subarray(p, p + size));
          for (const [q, x] of flips) if (61 + q < size) buf[61 + q] ^= x;
          const b = decodeBatch(buf, 0, size, 0, undefined, false);
          if (b.compressionId !== 0 || b.isControl || b.recordCount <= 0) return;
          let slow: { n: number; max: number; first: number; last: number; inc: boolean } | null = { n: 0, max: -Infinity, first: -1, last: -1, inc: true };
          try {
            for (const r of batchRecords(b)) {
              const ts = b.baseTimestamp + r.timestampDelta;
              if (ts > slow.max) slow.max = ts;
              if (slow.n === 0) slow.first = r.offsetDelta;
              else if (r.offsetDelta <= slow.last) slow.inc = false;
              slow.last = r.offsetDelta;
              slow.n++;
            }
          } catch {
            slow = null;
          }
          const fast = walker.walkFast(buf, 61, size, b.recordCount, b.baseTimestamp, WALK_CHECK);
          if (slow === null) expect(fast).not.toBe(WALK_OK);
          else if (fast === WALK_OK)
            expect([walker.maxTimestamp, walker.firstOffsetDelta, walker.lastOffsetDelta, walker.offsetsIncreasing]).toEqual([slow.max, slow.first, slow.last, slow.inc]);
          else expect(flips.length).toBeGreaterThan(0);
        }),
        { numRuns: 300, seed: 3 },
      );
    }
  });
});
