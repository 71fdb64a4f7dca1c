import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
// The library entry, not src/ops/verify*.ts: these tests must survive verify's move to ops/verify/.
import { ISSUE_CODES, verify, type VerifyIssue, type VerifyReport } from '../src/index.js';
import { crc32c } from '../src/format/crc.js';
import { encodeAbortedTxn } from '../src/format/indexes.js';
import { encodeProducerSnapshot } from '../src/format/snapshot.js';
import { encodeV2BatchSync, type RecordInput } from '../src/format/encode.js';
import { encodeApiFramed, encodeControlRecord } from '../src/format/kafka-messages/index.js';
import { buildPartition } from './partition-builder.js';
import { copyPartition, FIXTURES, kseg, ROOT, tmpDir } from './helpers.js';

// One corruption-injection test per verify finding code that no other test named (issue 13):
// each builds a healthy partition (a fixture from an independent implementation, or the encoder),
// breaks exactly one thing, and asserts the exact finding: code, severity, file, byte position and
// offset. The last block fails when a code is added to ISSUE_CODES without a test naming it.

// ------------------------------------------------------------------ helpers

const caseDir = (c: string): string => path.join(FIXTURES, c, 'topic-0');
const seg = (base: number, ext: string): string => `${String(base).padStart(20, '0')}.${ext}`;

function expectedRows(c: string, name: string): any[] {
  const p = path.join(FIXTURES, c, 'expected', name);
  // A missing expected file is a broken fixture, not an empty list.
  expect(fs.existsSync(p), p).toBe(true);
  const rows = fs
    .readFileSync(p, 'utf8')
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => JSON.parse(l));
  expect(rows.length, p).toBeGreaterThan(0);
  return rows;
}

function patch(file: string, pos: number, bytes: number[] | Buffer): void {
  const fd = fs.openSync(file, 'r+');
  fs.writeSync(fd, Buffer.from(bytes), 0, bytes.length, pos);
  fs.closeSync(fd);
}

/** Recompute the CRC-32C of the v2 batch at `pos` (for faults behind a valid CRC). */
function fixCrc(file: string, pos: number): void {
  const buf = fs.readFileSync(file);
  const size = buf.readInt32BE(pos + 8) + 12;
  const b = Buffer.alloc(4);
  b.writeUInt32BE(crc32c(buf, pos + 21, pos + size));
  patch(file, pos + 17, b);
}

/** A copy of a healthy fixture, changed by `mutate(dir)`, verified. */
function mutated(c: string, mutate: (dir: string) => void): { dir: string; r: VerifyReport } {
  const dir = copyPartition(caseDir(c));
  mutate(dir);
  return { dir, r: verify([dir]) };
}

const line = (i: VerifyIssue): string => `${i.severity} ${i.code} ${i.file}@${i.position} offset ${i.offset}`;

/** The report holds exactly these findings (severity, code, file, byte position, offset), in this order. */
function expectFindings(r: VerifyReport, ...want: [severity: string, code: string, file: string, position: number | null, offset: number | null][]): VerifyIssue[] {
  expect(r.issues.map(line)).toEqual(want.map(([s, c, f, p, o]) => `${s} ${c} ${f}@${p} offset ${o}`));
  for (const i of r.issues) expect(i.message.length).toBeGreaterThan(10);
  return r.issues;
}

/** Zig-zag varint at `pos`: [value, bytes]. */
function varint(buf: Buffer, pos: number): [number, number] {
  let raw = 0;
  let shift = 0;
  let n = 0;
  for (;;) {
    const b = buf[pos + n]!;
    raw += (b & 0x7f) * 2 ** shift;
    n++;
    if ((b & 0x80) === 0) break;
    shift += 7;
  }
  return [raw % 2 === 0 ? raw / 2 : -(raw + 1) / 2, n];
}

const i32 = (v: number): Buffer => {
  const b = Buffer.alloc(4);
  b.writeInt32BE(v);
  return b;
};
const i64 = (v: number): Buffer => {
  const b = Buffer.alloc(8);
  b.writeBigInt64BE(BigInt(v));
  return b;
};
const indexEntry = (rel: number, pos: number): Buffer => Buffer.concat([i32(rel), i32(pos)]);
const timeEntry = (ts: number, rel: number): Buffer => Buffer.concat([i64(ts), i32(rel)]);

// ------------------------------------------------------------------ .log

describe('verify codes: .log record batches (v2-multiseg)', () => {
  const C = 'v2-multiseg';
  const batches = expectedRows(C, 'batches.ndjson');
  const segFiles = [...new Set(batches.map((b) => b.file as string))];
  const mid = segFiles[3]!;
  const inMid = batches.filter((b) => b.file === mid);
  const last = segFiles[segFiles.length - 1]!;
  const inLast = batches.filter((b) => b.file === last);

  it('compression id 5 behind a valid CRC: UNKNOWN_COMPRESSION at the batch', () => {
    const b = inMid[2];
    expect(b.compression).toBe('none');
    const { r } = mutated(C, (d) => {
      const f = path.join(d, mid);
      patch(f, b.position + 22, [b.attributes | 5]); // attributes int16 at byte 21, codec in the low 3 bits
      fixCrc(f, b.position);
    });
    expectFindings(r, ['error', 'UNKNOWN_COMPRESSION', mid, b.position, b.baseOffset]);
  });

  it('a gzip payload whose header is broken behind a valid CRC: DECOMPRESSION_ERROR at the batch (v2-gzip)', () => {
    const G = 'v2-gzip';
    const gb = expectedRows(G, 'batches.ndjson').find((x) => x.compression === 'gzip')!;
    const { r } = mutated(G, (d) => {
      const f = path.join(d, gb.file);
      patch(f, gb.position + 61, [0x00, 0x00]); // the records start at byte 61: gzip's magic 1f 8b
      fixCrc(f, gb.position);
    });
    const [i] = expectFindings(r, ['error', 'DECOMPRESSION_ERROR', gb.file, gb.position, gb.baseOffset]);
    expect(i!.message).toMatch(/^gzip: /);
  });

  it('negative lastOffsetDelta: LAST_OFFSET_DELTA_MISMATCH at the batch', () => {
    const b = inMid[4];
    const { r } = mutated(C, (d) => {
      const f = path.join(d, mid);
      patch(f, b.position + 23, i32(-1)); // lastOffsetDelta at byte 23
      fixCrc(f, b.position);
    });
    expectFindings(r, ['error', 'LAST_OFFSET_DELTA_MISMATCH', mid, b.position, b.baseOffset]);
  });

  it('a repeated record offset delta: RECORD_OFFSETS_NOT_INCREASING at the batch', () => {
    const b = inMid.find((x) => x.recordCount >= 3)!;
    const { r } = mutated(C, (d) => {
      const f = path.join(d, mid);
      const buf = fs.readFileSync(f);
      // Record: length varint, attributes int8, timestampDelta varlong, offsetDelta varint, ...
      const [len0, n0] = varint(buf, b.position + 61);
      const r1 = b.position + 61 + n0 + len0;
      const [, n1] = varint(buf, r1);
      const [, nts] = varint(buf, r1 + n1 + 1);
      const at = r1 + n1 + 1 + nts;
      expect(varint(buf, at)).toEqual([1, 1]);
      patch(f, at, [0]); // second record's offsetDelta 1 -> 0 (same as the first)
      fixCrc(f, b.position);
    });
    expectFindings(r, ['error', 'RECORD_OFFSETS_NOT_INCREASING', mid, b.position, b.baseOffset]);
  });

  it('a batch 2^31 offsets above the segment base: OFFSET_OVERFLOW at the batch, with its last offset', () => {
    const b = inLast[inLast.length - 1];
    const base = Number(last.replace('.log', ''));
    const shifted = base + 2 ** 31;
    // A copy of the active segment's last batch appended with baseOffset base + 2^31 (outside the
    // CRC, so the copy stays valid); the sparse indexes need no entry for it.
    const { r } = mutated(C, (d) => {
      const f = path.join(d, last);
      const copy = Buffer.from(fs.readFileSync(f).subarray(b.position, b.position + b.size));
      i64(shifted).copy(copy, 0);
      fs.appendFileSync(f, copy);
    });
    const at = fs.statSync(path.join(caseDir(C), last)).size;
    const lastOffset = shifted + (b.lastOffset - b.baseOffset);
    expectFindings(r, ['error', 'OFFSET_OVERFLOW', last, at, lastOffset]);
  });

  it('a segment over 2^31-1 bytes: LOG_TOO_LARGE (sparse file)', () => {
    const { r } = mutated(C, (d) => fs.truncateSync(path.join(d, last), 2 ** 31));
    const size = fs.statSync(path.join(caseDir(C), last)).size;
    expect(r.issues.map(line)).toContain(`error LOG_TOO_LARGE ${last}@null offset null`);
    expect(r.issues.find((i) => i.code === 'LOG_TOO_LARGE')!.message).toContain(`segment is ${2 ** 31} bytes (expected at most ${2 ** 31 - 1})`);
    // The zeros after the data are the other finding.
    expectFindings(r, ['error', 'LOG_TOO_LARGE', last, null, null], ['error', 'ZERO_TAIL', last, size, null]);
  });
});

// ------------------------------------------------------------------ .index / .timeindex

describe('verify codes: .index and .timeindex entries (v2-multiseg)', () => {
  const C = 'v2-multiseg';
  const batches = expectedRows(C, 'batches.ndjson');
  const idx = expectedRows(C, 'index.ndjson');
  const tidx = expectedRows(C, 'timeindex.ndjson');
  const segFiles = [...new Set(batches.map((b) => b.file as string))];
  const mid = segFiles[2]!.replace('.log', '');
  const base = Number(mid);
  const midIdx = idx.filter((e) => e.file === `${mid}.index`);
  const midT = tidx.filter((e) => e.file === `${mid}.timeindex`);
  const inMid = batches.filter((b) => b.file === `${mid}.log`);

  it('fixture has the entries these tests change', () => {
    expect(midIdx.length).toBeGreaterThanOrEqual(3);
    expect(midT.length).toBeGreaterThanOrEqual(3);
  });

  it('relative offset -1: INDEX_OFFSET_BELOW_BASE (and, at the same entry, the offset below its batch)', () => {
    const { r } = mutated(C, (d) => patch(path.join(d, `${mid}.index`), 0, indexEntry(-1, midIdx[0].position)));
    expectFindings(r, ['error', 'INDEX_OFFSET_BELOW_BASE', `${mid}.index`, 0, base - 1], ['error', 'INDEX_OFFSET_MISMATCH', `${mid}.index`, 0, base - 1]);
  });

  it('an entry repeating the previous position: INDEX_POSITION_NOT_INCREASING', () => {
    const { r } = mutated(C, (d) => patch(path.join(d, `${mid}.index`), 16, indexEntry(midIdx[2].offset - base, midIdx[1].position)));
    expectFindings(r, ['error', 'INDEX_POSITION_NOT_INCREASING', `${mid}.index`, 16, midIdx[2].offset]);
  });

  it('length not a multiple of 12: TIMEINDEX_SIZE_NOT_MULTIPLE (warning) at the partial entry', () => {
    const { r } = mutated(C, (d) => fs.appendFileSync(path.join(d, `${mid}.timeindex`), Buffer.from([1, 2, 3, 4, 5])));
    expectFindings(r, ['warning', 'TIMEINDEX_SIZE_NOT_MULTIPLE', `${mid}.timeindex`, midT.length * 12, null]);
  });

  it('relative offset -1: TIMEINDEX_OFFSET_BELOW_BASE (and its timestamp is above anything before offset base - 1)', () => {
    const { r } = mutated(C, (d) => patch(path.join(d, `${mid}.timeindex`), 0, timeEntry(midT[0].timestamp, -1)));
    expectFindings(r, ['error', 'TIMEINDEX_OFFSET_BELOW_BASE', `${mid}.timeindex`, 0, base - 1], ['error', 'TIMEINDEX_TIMESTAMP_MISMATCH', `${mid}.timeindex`, 0, base - 1]);
  });

  it('an offset below the previous entry with a rising timestamp: TIMEINDEX_OFFSET_NOT_INCREASING (and so a timestamp too large for that offset)', () => {
    const { r } = mutated(C, (d) => patch(path.join(d, `${mid}.timeindex`), 24, timeEntry(midT[2].timestamp, midT[1].offset - base - 1)));
    expectFindings(
      r,
      ['error', 'TIMEINDEX_OFFSET_NOT_INCREASING', `${mid}.timeindex`, 24, midT[1].offset - 1],
      ['error', 'TIMEINDEX_TIMESTAMP_MISMATCH', `${mid}.timeindex`, 24, midT[1].offset - 1],
    );
  });

  it("an entry past the segment's last offset: TIMEINDEX_OFFSET_BEYOND_LOG_END", () => {
    const lastBatch = inMid[inMid.length - 1];
    const lastT = midT[midT.length - 1];
    const { r } = mutated(C, (d) => fs.appendFileSync(path.join(d, `${mid}.timeindex`), timeEntry(lastT.timestamp + 1, lastBatch.lastOffset - base + 10)));
    expectFindings(r, ['error', 'TIMEINDEX_OFFSET_BEYOND_LOG_END', `${mid}.timeindex`, midT.length * 12, lastBatch.lastOffset + 10]);
  });

  it('an entry whose offset is in a gap between batches: TIMEINDEX_OFFSET_NOT_FOUND (warning)', async () => {
    // Offsets 0..2, a gap 3..7 (as compaction leaves), 8..10.
    const dir = path.join(tmpDir('kseg-codes-'), 't-0');
    const rec = (k: string) => ({ key: k, value: `v-${k}` });
    await buildPartition(
      dir,
      [
        { kind: 'data', producerId: -1, transactional: false, records: [rec('a'), rec('b'), rec('c')] },
        { kind: 'skip', offsets: 5 },
        { kind: 'data', producerId: -1, transactional: false, records: [rec('d'), rec('e'), rec('f')] },
      ],
      { indexIntervalBytes: 1 << 20 },
    );
    expect(verify([dir]).issues).toEqual([]);
    const log = fs.readFileSync(path.join(dir, seg(0, 'log')));
    const maxTs0 = Number(log.readBigInt64BE(35)); // the first batch's maxTimestamp
    fs.writeFileSync(path.join(dir, seg(0, 'timeindex')), timeEntry(maxTs0, 5));
    expectFindings(verify([dir]), ['warning', 'TIMEINDEX_OFFSET_NOT_FOUND', seg(0, 'timeindex'), 0, 5]);
  });
});

// ------------------------------------------------------------------ .txnindex, producer snapshots, index alone

describe('verify codes: .txnindex, producer snapshot, an index file without its .log', () => {
  it('firstOffset above lastOffset: TXNINDEX_FIRST_AFTER_LAST (and so above the transaction start)', () => {
    const C = 'v2-txn';
    const f0 = seg(0, 'txnindex');
    const first = expectedRows(C, 'txnindex.ndjson').filter((t) => t.file === f0);
    expect(first.length).toBeGreaterThanOrEqual(2);
    const e = first[1];
    const { r } = mutated(C, (d) => patch(path.join(d, f0), 34, encodeAbortedTxn({ ...e, firstOffset: e.lastOffset + 1 })));
    expectFindings(r, ['error', 'TXNINDEX_FIRST_AFTER_LAST', f0, 34, e.lastOffset], ['error', 'TXNINDEX_FIRST_OFFSET_MISMATCH', f0, 34, e.lastOffset]);
  });

  it('producer snapshot version 2: SNAPSHOT_BAD_VERSION at byte 0', () => {
    const snap = encodeProducerSnapshot([
      { producerId: 42, producerEpoch: 1, lastSequence: 9, lastOffset: 100, offsetDelta: 9, timestamp: 1700000000000, coordinatorEpoch: -1, currentTxnFirstOffset: -1 },
    ]);
    const name = seg(259, 'snapshot');
    const ok = mutated('v2-multiseg', (d) => fs.writeFileSync(path.join(d, name), snap));
    expect(ok.r.issues).toEqual([]);
    snap.writeInt16BE(2, 0); // version int16, outside the CRC (which covers the bytes after it)
    const { r } = mutated('v2-multiseg', (d) => fs.writeFileSync(path.join(d, name), snap));
    const [i] = expectFindings(r, ['error', 'SNAPSHOT_BAD_VERSION', name, 0, 259]);
    expect(i!.message).toContain('version 2');
  });

  it('an .index given alone whose .log is absent: LOG_MISSING (info), its own structure still checked', () => {
    const C = 'v2-multiseg';
    const dir = copyPartition(caseDir(C));
    const base = Number(
      expectedRows(C, 'batches.ndjson')
        .map((b) => b.file)
        .filter((f, i, a) => a.indexOf(f) === i)[2]
        .replace('.log', ''),
    );
    fs.rmSync(path.join(dir, seg(base, 'log')));
    const r = verify([path.join(dir, seg(base, 'index'))]);
    expectFindings(r, ['info', 'LOG_MISSING', seg(base, 'index'), null, base]);
    expect(r.ok).toBe(true);
    // A structural fault in it is still found.
    patch(path.join(dir, seg(base, 'index')), 0, indexEntry(-1, 0));
    expectFindings(
      verify([path.join(dir, seg(base, 'index'))]),
      ['info', 'LOG_MISSING', seg(base, 'index'), null, base],
      ['error', 'INDEX_OFFSET_BELOW_BASE', seg(base, 'index'), 0, base - 1],
    );
  });
});

// ------------------------------------------------------------------ KRaft snapshots

describe('verify codes: KRaft snapshots (<offset>-<epoch>.checkpoint)', () => {
  const T0 = 1_700_000_000_000;
  const rec = (offset: number, key: Buffer | null, value: Buffer | null): RecordInput => ({ offset, timestamp: T0 + offset, key, value });
  const header = encodeControlRecord(3, { version: 0, lastContainedLogTimestamp: T0 });
  const footer = encodeControlRecord(4, { version: 0 });
  const topic = encodeApiFramed('cluster-metadata', 2, 0, { name: 't', topicId: 'AAAAAAAAAAAAAAAAAAAAAg' });
  const NAME = '00000000000000000010-0000000001.checkpoint';

  /** A snapshot of three batches: `first` (offset 0), one metadata record `value` (offset 1), the footer (offset 2). */
  function snapshot(
    value: Buffer,
    first: Buffer = encodeV2BatchSync({ baseOffset: 0, isControl: true, records: [rec(0, header.key, header.value)] }),
  ): { file: string; positions: number[] } {
    const dir = path.join(tmpDir('kseg-codes-kraft-'), '__cluster_metadata-0');
    fs.mkdirSync(dir);
    const batches = [
      first,
      encodeV2BatchSync({ baseOffset: 1, records: [rec(1, null, value)] }),
      encodeV2BatchSync({ baseOffset: 2, isControl: true, records: [rec(2, footer.key, footer.value)] }),
    ];
    const file = path.join(dir, NAME);
    fs.writeFileSync(file, Buffer.concat(batches));
    return { file, positions: [0, batches[0]!.length, batches[0]!.length + batches[1]!.length] };
  }

  it('the unbroken snapshot verifies clean', () => {
    expect(verify([snapshot(topic).file]).issues).toEqual([]);
  });

  it('a data batch first: SNAPSHOT_HEADER_MISSING at byte 0, offset 0', () => {
    const { file } = snapshot(topic, encodeV2BatchSync({ baseOffset: 0, records: [rec(0, null, topic)] }));
    expectFindings(verify([file]), ['error', 'SNAPSHOT_HEADER_MISSING', NAME, 0, 0]);
  });

  it('a TopicRecord with 2 bytes left over: SNAPSHOT_RECORD_UNDECODABLE at its batch, with its offset', () => {
    const { file, positions } = snapshot(Buffer.concat([topic, Buffer.from([7, 7])]));
    const [i] = expectFindings(verify([file]), ['error', 'SNAPSHOT_RECORD_UNDECODABLE', NAME, positions[1]!, 1]);
    expect(i!.message).toMatch(/left over/);
  });

  it('a metadata record type kseg does not know: SNAPSHOT_RECORD_UNKNOWN (warning)', () => {
    // Metadata record framing: frame version 1, type 127, version 0 (unsigned varints), then data.
    const { file, positions } = snapshot(Buffer.from([0x01, 0x7f, 0x00, 0x00]));
    const [i] = expectFindings(verify([file]), ['warning', 'SNAPSHOT_RECORD_UNKNOWN', NAME, positions[1]!, 1]);
    expect(i!.message).toContain('type 127');
  });
});

// ------------------------------------------------------------------ every code is named by a test

/** The source file that declares ISSUE_CODES (src/ops/verify/codes.ts). */
function codesSource(): string {
  const found: string[] = [];
  const walk = (d: string): void => {
    for (const e of fs.readdirSync(d, { withFileTypes: true })) {
      const p = path.join(d, e.name);
      if (e.isDirectory()) walk(p);
      else if (e.name.endsWith('.ts') && /\bconst ISSUE_CODES\b/.test(fs.readFileSync(p, 'utf8'))) found.push(p);
    }
  };
  walk(path.join(ROOT, 'src'));
  expect(found, 'exactly one file in src/ declares ISSUE_CODES').toHaveLength(1);
  return found[0]!;
}

describe('every verify code is named by a test', () => {
  const source = fs.readFileSync(codesSource(), 'utf8');
  // The array literal ISSUE_CODES is built from: its own (`const ISSUE_CODES = [`) or the one it
  // names (`export const ISSUE_CODES … = CODES;` with `const CODES = [ … ] as const`).
  const named = /\bconst ISSUE_CODES\b[^=]*=\s*([A-Za-z_$][\w$]*)\s*;/.exec(source)?.[1];
  const start = source.search(new RegExp(`\\bconst ${named ?? 'ISSUE_CODES'}\\b`));
  const list = source.slice(start, source.indexOf('\n]', start)); // up to the array's closing bracket
  const codes = [...list.matchAll(/\bcode:\s*['"]([A-Z][A-Z0-9_]*)['"]/g)].map((m) => m[1]!);

  it("the codes parsed from the source are the library's ISSUE_CODES", () => {
    expect(codes).toEqual(ISSUE_CODES.map((c) => c.code));
    expect(codes.length).toBeGreaterThan(60);
  });

  it('each code appears in some test file (add a corruption-injection test here when adding a code)', () => {
    const dir = path.join(ROOT, 'test');
    const texts = fs
      .readdirSync(dir, { recursive: true, encoding: 'utf8' })
      .filter((f) => f.endsWith('.ts'))
      .map((f) => fs.readFileSync(path.join(dir, f), 'utf8'));
    const unnamed = codes.filter((c) => !texts.some((t) => new RegExp(`(?<![A-Z0-9_])${c}(?![A-Z0-9_])`).test(t)));
    expect(unnamed).toEqual([]);
  });
});
