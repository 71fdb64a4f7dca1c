import { execFile } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { batchRecordList, type Batch, type KafkaRecord } from '../src/format/batch.js';
import { parseLeaderEpochCheckpoint, parsePartitionMetadata } from '../src/format/checkpoints.js';
import { encodeV2BatchSync } from '../src/format/encode.js';
import { crc32 } from '../src/format/crc.js';
import { CorruptDataError } from '../src/format/errors.js';
import { parseOffsetIndex, parseTimeIndex, parseTxnIndex, type AbortedTxn } from '../src/format/indexes.js';
import { parseProducerSnapshot, type ProducerSnapshotEntry } from '../src/format/snapshot.js';
import { logEntries, type LogItem, type StopInfo } from '../src/storage/log-reader.js';
import { openSource } from '../src/storage/source.js';
import { scanPartitionDir } from '../src/storage/segments.js';
import { CORRUPT_KINDS, generate, resolveGenerateOptions, type AppendInfo, type CorruptKind, type GenerateOptions, type GenerateSummary } from '../src/ops/generate.js';
import { RecordContent } from '../src/ops/generate/content.js';
import { PartitionWriter } from '../src/ops/generate/writer.js';
import type { Entry } from '../src/ops/generate/workload.js';
import { verify } from '../src/ops/verify/index.js';
import { FIXTURES, ROOT, healthyCases, kseg, readNdjson, tmpDir } from './helpers.js';

// ================================================================== reading back (our reader) and oracles

interface ReadSegment {
  name: string;
  baseOffset: number;
  size: number;
  batches: Batch[];
  stop: StopInfo;
  bad: Extract<LogItem, { kind: 'bad-entry' }>[];
}

function readSegments(dir: string): ReadSegment[] {
  return scanPartitionDir(dir).segments.map((s) => {
    const src = openSource(path.join(dir, s.log), { reader: 'pread' });
    const batches: Batch[] = [];
    const bad: ReadSegment['bad'] = [];
    const gen = logEntries(src, { file: s.log });
    let stop: StopInfo;
    for (;;) {
      const n = gen.next();
      if (n.done) {
        stop = n.value;
        break;
      }
      if (n.value.kind === 'batch') batches.push(n.value.batch);
      else bad.push(n.value);
    }
    src.close();
    return { name: s.name, baseOffset: s.baseOffset, size: s.logSize, batches, stop, bad };
  });
}

interface Unit {
  position: number;
  size: number;
  lastOffset: number;
  maxTimestamp: number;
  offsetOfMaxTimestamp: number;
}

/** format doc 3.3, written independently of IndexBuilder: the trimmed .index and .timeindex a broker leaves. */
function indexOracle(baseOffset: number, units: Unit[], interval: number): { index: Buffer; timeindex: Buffer } {
  const idx: [number, number][] = [];
  const tidx: [number, number][] = [];
  let bytesSince = 0;
  let maxTs = -1;
  let maxTsOffset = -1;
  const maybeTime = (): void => {
    const last = tidx.length ? tidx[tidx.length - 1]![0] : -1;
    if (maxTs > last) tidx.push([maxTs, maxTsOffset - baseOffset]);
  };
  for (const u of units) {
    if (u.maxTimestamp > maxTs) {
      maxTs = u.maxTimestamp;
      maxTsOffset = u.offsetOfMaxTimestamp;
    }
    if (bytesSince > interval) {
      idx.push([u.lastOffset - baseOffset, u.position]);
      maybeTime();
      bytesSince = 0;
    }
    bytesSince += u.size;
  }
  maybeTime();
  const index = Buffer.alloc(idx.length * 8);
  idx.forEach(([o, p], i) => {
    index.writeInt32BE(o, i * 8);
    index.writeInt32BE(p, i * 8 + 4);
  });
  const timeindex = Buffer.alloc(tidx.length * 12);
  tidx.forEach(([t, o], i) => {
    timeindex.writeBigInt64BE(BigInt(t), i * 12);
    timeindex.writeInt32BE(o, i * 12 + 8);
  });
  return { index, timeindex };
}

/** Units of the index rule: each batch, or each append (groups of consecutive batches). */
function units(batches: Batch[], groups: Batch[][] | null): Unit[] {
  const gs = groups ?? batches.map((b) => [b]);
  return gs.map((g) => {
    let maxTimestamp = -1;
    let offsetOfMaxTimestamp = -1;
    for (const b of g) {
      if (b.maxTimestamp > maxTimestamp) {
        maxTimestamp = b.maxTimestamp;
        offsetOfMaxTimestamp = b.lastOffset;
      }
    }
    return { position: g[0]!.position, size: g.reduce((n, b) => n + b.size, 0), lastOffset: g[g.length - 1]!.lastOffset, maxTimestamp, offsetOfMaxTimestamp };
  });
}

interface TxnEntry extends Omit<AbortedTxn, 'version'> {
  file: string;
}

/**
 * Producer state replayed over the log (ProducerStateManager's rules): snapshots at given offsets,
 * and for each append the completed transactions with their last stable offset (the first offset
 * of the earliest ongoing transaction of another producer, else marker + 1).
 */
function replayProducers(groups: Batch[][], snapshotAt: number[]): { txn: TxnEntry[]; snapshots: Map<number, ProducerSnapshotEntry[]> } {
  const state = new Map<number, ProducerSnapshotEntry>();
  const ongoing: { pid: number; first: number }[] = [];
  const txn: TxnEntry[] = [];
  const snapshots = new Map<number, ProducerSnapshotEntry[]>();
  const pending = [...snapshotAt].sort((a, b) => a - b);
  const take = (upTo: number): void => {
    while (pending.length && pending[0]! <= upTo)
      snapshots.set(
        pending.shift()!,
        [...state.values()].sort((a, b) => a.producerId - b.producerId).map((e) => ({ ...e })),
      );
  };
  for (const g of groups) {
    take(g[0]!.baseOffset);
    const completed: { pid: number; first: number; last: number; aborted: boolean; file: string }[] = [];
    for (const b of g) {
      if (b.magic < 2 || b.producerId < 0) continue;
      let p = state.get(b.producerId);
      if (!p)
        state.set(
          b.producerId,
          (p = {
            producerId: b.producerId,
            producerEpoch: b.producerEpoch,
            lastSequence: -1,
            lastOffset: -1,
            offsetDelta: 0,
            timestamp: -1,
            coordinatorEpoch: -1,
            currentTxnFirstOffset: -1,
          }),
        );
      p.producerEpoch = b.producerEpoch;
      p.timestamp = b.maxTimestamp;
      if (b.isControl) {
        const [rec] = batchRecordList(b);
        const c = rec!.control!;
        p.coordinatorEpoch = (c as { coordinatorEpoch?: number }).coordinatorEpoch ?? p.coordinatorEpoch;
        if (p.currentTxnFirstOffset >= 0) completed.push({ pid: b.producerId, first: p.currentTxnFirstOffset, last: b.baseOffset, aborted: c.type === 'ABORT', file: b.file! });
        p.currentTxnFirstOffset = -1;
        continue;
      }
      const delta = b.lastOffset - b.baseOffset;
      p.lastSequence = b.baseSequence + delta;
      p.lastOffset = b.lastOffset;
      p.offsetDelta = delta;
      if (b.isTransactional && p.currentTxnFirstOffset < 0) {
        p.currentTxnFirstOffset = b.baseOffset;
        ongoing.push({ pid: b.producerId, first: b.baseOffset });
      }
    }
    for (const c of completed) {
      const other = ongoing.find((t) => t.pid !== c.pid);
      if (c.aborted)
        txn.push({ file: c.file.replace(/\.log$/, '.txnindex'), producerId: c.pid, firstOffset: c.first, lastOffset: c.last, lastStableOffset: other ? other.first : c.last + 1 });
      ongoing.splice(
        ongoing.findIndex((t) => t.first === c.first),
        1,
      );
    }
  }
  take(Number.MAX_SAFE_INTEGER);
  return { txn, snapshots };
}

function leaderEpochOracle(batches: Batch[]): { epoch: number; startOffset: number }[] {
  const out: { epoch: number; startOffset: number }[] = [];
  for (const b of batches) {
    if (b.magic < 2 || b.partitionLeaderEpoch < 0) continue;
    const last = out[out.length - 1];
    if (!last || b.partitionLeaderEpoch > last.epoch) out.push({ epoch: b.partitionLeaderEpoch, startOffset: b.baseOffset });
  }
  return out;
}

// ================================================================== the oracles themselves, against the fixtures

describe('test oracles agree with the fixtures (an independent writer)', () => {
  const perBatch = healthyCases().filter((c) => c !== 'v2-per-append');

  it.each(perBatch)('index and time index of %s', (c) => {
    const dir = path.join(FIXTURES, c, 'topic-0');
    for (const seg of readSegments(dir)) {
      const want = indexOracle(seg.baseOffset, units(seg.batches, null), indexInterval(c));
      expect(fs.readFileSync(path.join(dir, `${seg.name}.index`)).equals(want.index), `${seg.name}.index`).toBe(true);
      expect(fs.readFileSync(path.join(dir, `${seg.name}.timeindex`)).equals(want.timeindex), `${seg.name}.timeindex`).toBe(true);
    }
  });

  it('txnindex entries and last stable offsets of v2-txn', () => {
    const dir = path.join(FIXTURES, 'v2-txn', 'topic-0');
    const batches = readSegments(dir).flatMap((s) => s.batches);
    const { txn } = replayProducers(
      batches.map((b) => [b]),
      [],
    );
    expect(txn).toEqual(readNdjson(path.join(FIXTURES, 'v2-txn', 'expected', 'txnindex.ndjson')));
  });

  it('leader epochs of v2-txn and v2-multiseg', () => {
    for (const c of ['v2-txn', 'v2-multiseg']) {
      const dir = path.join(FIXTURES, c, 'topic-0');
      const want = leaderEpochOracle(readSegments(dir).flatMap((s) => s.batches));
      expect(parseLeaderEpochCheckpoint(fs.readFileSync(path.join(dir, 'leader-epoch-checkpoint'), 'utf8'))).toEqual(want);
    }
  });
});

function indexInterval(c: string): number {
  const summary = JSON.parse(fs.readFileSync(path.join(FIXTURES, c, 'expected', 'summary.json'), 'utf8'));
  return summary.config.indexIntervalBytes;
}

// ================================================================== checking one generated partition

interface Run {
  dir: string;
  o: GenerateOptions;
  summary: GenerateSummary;
  appends: AppendInfo[];
}

async function run(o: Partial<GenerateOptions>, dir = path.join(tmpDir('kseg-gen-'), 'topic-0')): Promise<Run> {
  const appends: AppendInfo[] = [];
  const summary = await generate(dir, { fsync: false, ...o }, { onAppend: (a) => appends.push(a) });
  return { dir, o: resolveGenerateOptions({ fsync: false, ...o }), summary, appends };
}

const recordView = (r: { offset: number; key: Buffer | null; value: Buffer | null; headers: { key: Buffer | string; value: Buffer | string | null }[] }) => ({
  offset: r.offset,
  key: r.key?.toString('hex') ?? null,
  value: r.value?.toString('hex') ?? null,
  headers: r.headers.map((h) => [Buffer.from(h.key).toString('hex'), h.value === null ? null : Buffer.from(h.value).toString('hex')]),
});

/** Everything a broker would have left, checked against the options and the oracles above. */
function checkPartition({ dir, o, summary, appends }: Run): void {
  const segs = readSegments(dir);
  const names = fs.readdirSync(dir).sort();
  const batches = segs.flatMap((s) => s.batches);

  // Framing, CRCs, names, segment sizes.
  expect(segs.length).toBe(summary.segments);
  expect(segs[0]!.baseOffset).toBe(o.startOffset);
  for (const s of segs) {
    expect(s.name).toMatch(/^\d{20}$/);
    expect(s.bad).toEqual([]);
    expect(s.stop.reason).toBe('eof');
    expect(s.size).toBeLessThanOrEqual(o.segmentBytes);
    if (s.batches.length) expect(s.batches[0]!.baseOffset).toBe(s.baseOffset);
    for (const b of s.batches) {
      expect(b.crcValid).toBe(true);
      expect(b.magic).toBe(o.magic);
    }
    expect(s.batches.length || segs.length === 1).toBeTruthy();
  }

  // Offsets: dense from the start offset, batch after batch.
  let next = o.startOffset;
  const records: (KafkaRecord & { batch: Batch })[] = [];
  for (const b of batches) {
    expect(b.baseOffset).toBe(next);
    const recs = batchRecordList(b);
    expect(recs.length).toBe(b.recordCount);
    recs.forEach((r, i) => {
      expect(r.offset).toBe(b.baseOffset + i);
      records.push({ ...r, batch: b });
    });
    next = b.lastOffset + 1;
  }
  expect(next).toBe(summary.logEndOffset);
  expect(records.length).toBe(summary.records);
  expect(batches.length).toBe(summary.batches);
  expect(segs.reduce((n, s) => n + s.size, 0)).toBe(summary.bytes);

  // Record for record: the producers' records (regenerated from the seed) are what the reader decodes.
  const content = new RecordContent(o);
  const data = records.filter((r) => !r.batch.isControl);
  expect(data.length).toBe(o.bytes === null ? o.records : data.length);
  let lastAppendTime = -1;
  for (const r of data) {
    const want = content.next(r.offset);
    expect(recordView(r)).toEqual(recordView(want));
    if (o.magic === 0) expect(r.timestamp).toBe(-1);
    else if (o.timestampType === 'CreateTime') expect(r.timestamp).toBe(want.timestamp);
    else {
      expect(r.timestampType).toBe('LogAppendTime');
      expect(r.timestamp).toBe(r.batch.maxTimestamp);
      expect(r.timestamp).toBeGreaterThanOrEqual(lastAppendTime);
      lastAppendTime = r.timestamp;
    }
    if (o.keySpace === 0) expect(r.key).toBeNull();
    if (r.value !== null) {
      expect(r.value.length).toBeGreaterThanOrEqual(o.valueSize.min);
      expect(r.value.length).toBeLessThanOrEqual(o.valueSize.max);
    } else expect(o.tombstoneRatio).toBeGreaterThan(0);
    expect(r.headers.length).toBeLessThanOrEqual(o.headers);
  }
  for (const b of batches) {
    if (o.magic === 2 && o.timestampType === 'LogAppendTime' && !b.isControl) expect(b.attributes & 0x08).toBe(0x08);
    if (o.magic === 2 && o.timestampType === 'CreateTime') expect(b.maxTimestamp).toBe(Math.max(...batchRecordList(b).map((r) => r.timestamp)));
  }

  // Control records: transaction markers only, each closing an open transaction of its producer.
  const control = records.filter((r) => r.batch.isControl);
  expect(control.length).toBe(summary.controlRecords);
  if (!o.transactions) expect(control.length).toBe(0);
  for (const r of control) {
    expect(['COMMIT', 'ABORT']).toContain(r.control!.type);
    expect(r.batch.isTransactional).toBe(true);
    expect(r.batch.compression).toBe('none');
  }
  expect(control.filter((r) => r.control!.type === 'ABORT').length).toBe(summary.transactions.aborted);
  if (!o.transactions && !o.idempotent) for (const b of batches) expect(b.producerId).toBe(-1);

  // Appends, as the writer reports them, cover the log in order; rolls happen exactly when needed.
  const appendBatches = appends.flatMap((a) => a.batches.map((b) => `${a.file}@${b.position}`));
  expect(appendBatches).toEqual(batches.map((b) => `${b.file}@${b.position}`));
  for (let i = 0; i < appends.length; i++) {
    const a = appends[i]!;
    expect(a.size).toBeLessThanOrEqual(o.segmentBytes);
    if (a.rolled) {
      const prev = appends[i - 1]!;
      const prevSize = prev.position + prev.size;
      expect(prevSize > o.segmentBytes - a.size, `roll before ${a.file}`).toBe(true);
      expect(a.position).toBe(0);
    } else if (a.position > 0) {
      expect(a.position <= o.segmentBytes - a.size, `no roll needed before ${a.file}@${a.position}`).toBe(true);
    }
  }

  // Indexes: exactly the 3.3 rule, per batch or per append.
  const byPos = new Map(batches.map((b) => [`${b.file}@${b.position}`, b]));
  const groups = appends.map((a) => a.batches.map((b) => byPos.get(`${a.file}@${b.position}`)!));
  for (const s of segs) {
    const segGroups = o.layout === 'per-append' ? groups.filter((g) => g[0]!.file === `${s.name}.log`) : null;
    const want = indexOracle(s.baseOffset, units(s.batches, segGroups), o.indexIntervalBytes);
    expect(fs.readFileSync(path.join(dir, `${s.name}.index`)).toString('hex'), `${s.name}.index`).toBe(want.index.toString('hex'));
    expect(fs.readFileSync(path.join(dir, `${s.name}.timeindex`)).toString('hex'), `${s.name}.timeindex`).toBe(want.timeindex.toString('hex'));
    if (o.magic === 0) expect(want.timeindex.length).toBe(0);
  }

  // Transaction index and producer snapshots (at every roll and at the log end).
  const snapshotOffsets = [...segs.slice(1).map((s) => s.baseOffset), summary.logEndOffset];
  const { txn, snapshots } = replayProducers(groups, snapshotOffsets);
  const txnFiles = names.filter((n) => n.endsWith('.txnindex'));
  const gotTxn = txnFiles.flatMap((f) =>
    parseTxnIndex(fs.readFileSync(path.join(dir, f))).entries.map((e) => ({
      file: f,
      producerId: e.producerId,
      firstOffset: e.firstOffset,
      lastOffset: e.lastOffset,
      lastStableOffset: e.lastStableOffset,
    })),
  );
  expect(gotTxn).toEqual(txn);
  for (const f of txnFiles) expect(fs.statSync(path.join(dir, f)).size).toBeGreaterThan(0);
  expect(names.filter((n) => n.endsWith('.snapshot'))).toEqual([...new Set(snapshotOffsets)].map((x) => `${String(x).padStart(20, '0')}.snapshot`));
  for (const [offset, want] of snapshots) {
    const snap = parseProducerSnapshot(fs.readFileSync(path.join(dir, `${String(offset).padStart(20, '0')}.snapshot`)));
    expect(snap.crcValid).toBe(true);
    expect(snap.producers, `snapshot ${offset}`).toEqual(want);
  }

  // Side files: partition.metadata always, leader-epoch-checkpoint for v2 only.
  expect(parsePartitionMetadata(fs.readFileSync(path.join(dir, 'partition.metadata'), 'utf8')).topicId).toBe(summary.topicId);
  if (o.magic === 2) {
    expect(parseLeaderEpochCheckpoint(fs.readFileSync(path.join(dir, 'leader-epoch-checkpoint'), 'utf8'))).toEqual(leaderEpochOracle(batches));
    expect(summary.leaderEpochs).toEqual(leaderEpochOracle(batches));
  } else expect(names).not.toContain('leader-epoch-checkpoint');
  expect(names.filter((n) => !/^\d{20}\.(log|index|timeindex|txnindex|snapshot)$/.test(n))).toEqual(
    o.magic === 2 ? ['leader-epoch-checkpoint', 'partition.metadata'] : ['partition.metadata'],
  );

  // And the project's verifier finds nothing to complain about.
  const report = verify([dir]);
  expect(report.issues.filter((i) => i.severity !== 'info')).toEqual([]);
  expect(report.summary).toEqual({ segments: summary.segments, batches: summary.batches, records: summary.records, bytes: summary.bytes });
}

// ================================================================== random flags

const CODECS_V2 = ['none', 'gzip', 'snappy', 'snappy-xerial', 'lz4', 'zstd'] as const;

const optionsArb = fc
  .record({
    magic: fc.constantFrom(0, 1, 2, 2),
    codecs: fc.subarray([...CODECS_V2], { minLength: 1 }),
    records: fc.integer({ min: 0, max: 120 }),
    rpb: fc.tuple(fc.integer({ min: 1, max: 8 }), fc.integer({ min: 0, max: 8 })),
    bpa: fc.tuple(fc.integer({ min: 1, max: 4 }), fc.integer({ min: 0, max: 3 })),
    value: fc.tuple(fc.integer({ min: 0, max: 40 }), fc.integer({ min: 0, max: 120 })),
    keySpace: fc.constantFrom(0, 5, 1000),
    tombstoneRatio: fc.constantFrom(0, 0.25),
    headers: fc.integer({ min: 0, max: 3 }),
    logAppend: fc.boolean(),
    startOffset: fc.constantFrom(0, 17, 3_000_000_000),
    jitter: fc.constantFrom(0, 10),
    transactions: fc.boolean(),
    idempotent: fc.boolean(),
    leaderEpochs: fc.integer({ min: 0, max: 3 }),
    layout: fc.constantFrom('per-batch', 'per-append'),
    interval: fc.constantFrom(0, 300, 1024, 4096),
    segmentSlack: fc.integer({ min: 0, max: 6000 }),
    seed: fc.integer({ min: 0, max: 1_000_000 }),
  })
  .map((a): Partial<GenerateOptions> => {
    const magic = a.magic as 0 | 1 | 2;
    const codecs = magic < 2 ? a.codecs.filter((c) => c !== 'zstd') : a.codecs;
    const valueSize = { min: a.value[0], max: a.value[0] + a.value[1] };
    const recordsPerBatch = { min: a.rpb[0], max: a.rpb[0] + a.rpb[1] };
    const headers = magic === 2 ? a.headers : 0;
    // The largest batch these flags can make, so every batch fits a segment.
    const maxBatch = 61 + recordsPerBatch.max * (valueSize.max + 40 + headers * 45) + 64;
    return {
      magic,
      compression: codecs.length ? [...codecs] : ['none'],
      records: a.records,
      recordsPerBatch,
      batchesPerAppend: { min: a.bpa[0], max: a.bpa[0] + a.bpa[1] },
      valueSize,
      keySpace: a.keySpace,
      tombstoneRatio: a.tombstoneRatio,
      headers,
      timestampType: a.logAppend && magic > 0 ? 'LogAppendTime' : 'CreateTime',
      startOffset: a.startOffset,
      timestampJitter: a.jitter,
      transactions: magic === 2 && a.transactions,
      idempotent: magic === 2 && a.idempotent,
      leaderEpochs: magic === 2 ? a.leaderEpochs : 0,
      layout: a.layout as GenerateOptions['layout'],
      indexIntervalBytes: a.interval,
      segmentBytes: maxBatch + a.segmentSlack,
      seed: a.seed,
    };
  });

describe('generate over random flags', () => {
  it('writes what a broker would: records, offsets, rolls, indexes, txn indexes, snapshots, checkpoints', async () => {
    await fc.assert(
      fc.asyncProperty(optionsArb, async (o) => {
        const r = await run(o);
        try {
          checkPartition(r);
        } finally {
          fs.rmSync(path.dirname(r.dir), { recursive: true, force: true });
        }
      }),
      { numRuns: 60, seed: 20251125 },
    );
  });

  it('is deterministic: same flags and seed give the same bytes, another seed other bytes', async () => {
    await fc.assert(
      fc.asyncProperty(optionsArb, async (o) => {
        fc.pre((o.records ?? 0) > 0);
        const [a, b, c] = [await run(o), await run(o), await run({ ...o, seed: (o.seed ?? 0) + 1 })];
        try {
          const files = fs.readdirSync(a.dir).sort();
          expect(fs.readdirSync(b.dir).sort()).toEqual(files);
          for (const f of files) expect(fs.readFileSync(path.join(b.dir, f)).equals(fs.readFileSync(path.join(a.dir, f))), f).toBe(true);
          expect(b.summary).toEqual(a.summary);
          const logs = (d: string) =>
            Buffer.concat(
              fs
                .readdirSync(d)
                .sort()
                .filter((f) => f.endsWith('.log'))
                .map((f) => fs.readFileSync(path.join(d, f))),
            );
          expect(logs(c.dir).equals(logs(a.dir))).toBe(false);
        } finally {
          for (const x of [a, b, c]) fs.rmSync(path.dirname(x.dir), { recursive: true, force: true });
        }
      }),
      { numRuns: 15, seed: 7 },
    );
  });
});

describe('generate, fixed cases', () => {
  it('the v2-txn fixture flags: transactions, markers, txn indexes, leader epochs, mixed codecs', async () => {
    const r = await run({
      transactions: true,
      records: 600,
      recordsPerBatch: { min: 1, max: 8 },
      valueSize: { min: 10, max: 80 },
      segmentBytes: 8192,
      indexIntervalBytes: 1024,
      leaderEpochs: 3,
      compression: ['none', 'gzip'],
      seed: 30,
    });
    checkPartition(r);
    expect(r.summary.segments).toBeGreaterThan(3);
    expect(r.summary.transactions.aborted).toBeGreaterThan(0);
    expect(r.summary.transactions.committed).toBeGreaterThan(0);
    expect(r.summary.leaderEpochs!.length).toBe(4);
    // Some aborted transaction started in an earlier segment than its marker.
    const txn = fs
      .readdirSync(r.dir)
      .filter((f) => f.endsWith('.txnindex'))
      .flatMap((f) => parseTxnIndex(fs.readFileSync(path.join(r.dir, f))).entries.map((e) => ({ ...e, base: Number(f.slice(0, 20)) })));
    expect(txn.length).toBe(r.summary.transactions.aborted);
    expect(txn.every((e) => e.lastStableOffset <= e.lastOffset + 1)).toBe(true);
  });

  it('per-append layout: entries carry the last offset of the whole append; one batch per append equals per-batch', async () => {
    const flags: Partial<GenerateOptions> = {
      records: 1200,
      recordsPerBatch: { min: 1, max: 10 },
      valueSize: { min: 20, max: 120 },
      segmentBytes: 12288,
      indexIntervalBytes: 800,
      seed: 33,
    };
    const pa = await run({ ...flags, layout: 'per-append', batchesPerAppend: { min: 2, max: 6 } });
    checkPartition(pa);
    const segs = readSegments(pa.dir);
    let later = 0;
    for (const s of segs) {
      for (const e of parseOffsetIndex(fs.readFileSync(path.join(pa.dir, `${s.name}.index`)), s.baseOffset).entries) {
        const at = s.batches.find((b) => b.position === e.position)!;
        expect(e.offset).toBeGreaterThanOrEqual(at.lastOffset);
        if (e.offset > at.lastOffset) later++;
      }
    }
    expect(later).toBeGreaterThan(0);
    const one = await run({ ...flags, layout: 'per-append', batchesPerAppend: { min: 1, max: 1 } });
    const pb = await run({ ...flags, layout: 'per-batch' });
    for (const f of fs.readdirSync(pb.dir)) expect(fs.readFileSync(path.join(one.dir, f)).equals(fs.readFileSync(path.join(pb.dir, f))), f).toBe(true);
  });

  it('legacy formats: v0 (no timestamps, empty time indexes), v1 wrappers with LogAppendTime', async () => {
    const v0 = await run({
      magic: 0,
      records: 200,
      recordsPerBatch: { min: 1, max: 6 },
      segmentBytes: 3000,
      indexIntervalBytes: 400,
      compression: ['none', 'gzip', 'snappy-xerial'],
    });
    checkPartition(v0);
    for (const f of fs.readdirSync(v0.dir).filter((n) => n.endsWith('.timeindex'))) expect(fs.statSync(path.join(v0.dir, f)).size).toBe(0);
    const v1 = await run({ magic: 1, records: 200, compression: ['gzip', 'lz4', 'snappy'], timestampType: 'LogAppendTime', recordsPerBatch: { min: 3, max: 12 } });
    checkPartition(v1);
    for (const b of readSegments(v1.dir)[0]!.batches) expect(b.attributes & 0x08).toBe(0x08);
  });

  it('an empty partition: one empty segment, empty indexes, an empty snapshot at the start offset', async () => {
    const r = await run({ records: 0, startOffset: 42 });
    checkPartition(r);
    expect(fs.readdirSync(r.dir).sort()).toEqual([
      '00000000000000000042.index',
      '00000000000000000042.log',
      '00000000000000000042.snapshot',
      '00000000000000000042.timeindex',
      'leader-epoch-checkpoint',
      'partition.metadata',
    ]);
    expect(fs.readFileSync(path.join(r.dir, '00000000000000000042.snapshot')).toString('hex')).toBe('000148674bc700000000');
    expect(fs.readFileSync(path.join(r.dir, 'leader-epoch-checkpoint'), 'utf8')).toBe('0\n0\n');
  });

  it('--bytes stops after the append that reaches the budget', async () => {
    const r = await run({ bytes: 50_000, segmentBytes: 16384, transactions: true });
    checkPartition(r);
    expect(r.summary.bytes).toBeGreaterThanOrEqual(50_000);
    expect(r.summary.bytes).toBeLessThan(50_000 + 16384);
  });

  it('the helper-thread write path (deferred CRCs, shared buffers) writes the same bytes as the in-thread one', async () => {
    // Several 4 MiB write buffers per segment, and rolls (after which a reserved append is copied).
    const flags: Partial<GenerateOptions> = { bytes: 7 << 20, segmentBytes: 3 << 20, valueSize: { min: 100, max: 1000 }, indexIntervalBytes: 65536, fsync: false };
    const dirs = [path.join(tmpDir(), 'a'), path.join(tmpDir(), 'b')];
    await generate(dirs[0]!, flags, { ioWorker: true });
    await generate(dirs[1]!, flags, { ioWorker: false });
    const files = fs.readdirSync(dirs[0]!).sort();
    expect(files.filter((f) => f.endsWith('.log')).length).toBe(3);
    expect(fs.readdirSync(dirs[1]!).sort()).toEqual(files);
    for (const f of files) expect(fs.readFileSync(path.join(dirs[1]!, f)).equals(fs.readFileSync(path.join(dirs[0]!, f))), f).toBe(true);
    for (const s of readSegments(dirs[0]!)) {
      expect(s.stop.reason).toBe('eof');
      expect(s.batches.every((b) => b.crcValid)).toBe(true);
    }
  });

  it('content does not depend on codecs or segment size', async () => {
    const a = await run({ records: 300, compression: ['none'], segmentBytes: 1 << 20, seed: 9 });
    const b = await run({ records: 300, compression: ['zstd', 'lz4'], segmentBytes: 5000, seed: 9 });
    const recs = (d: string) => readSegments(d).flatMap((s) => s.batches.flatMap((x) => batchRecordList(x).map((rec) => recordView(rec))));
    expect(recs(b.dir)).toEqual(recs(a.dir));
  });
});

// ================================================================== rolls a run of the CLI cannot reach cheaply

describe('PartitionWriter roll rules', () => {
  const entry = (baseOffset: number, count: number): Entry => {
    const bytes = encodeV2BatchSync({
      baseOffset,
      partitionLeaderEpoch: 0,
      records: Array.from({ length: count }, (_, i) => ({ offsetDelta: i, timestamp: 1700000000000 + baseOffset + i, key: null, value: 'v' })),
    });
    return {
      bytes,
      magic: 2,
      baseOffset,
      lastOffset: baseOffset + count - 1,
      maxTimestamp: 1700000000000 + baseOffset + count - 1,
      records: count,
      producerId: -1,
      producerEpoch: -1,
      baseSequence: -1,
      isTransactional: false,
      marker: null,
      partitionLeaderEpoch: 0,
      compression: 'none',
    };
  };
  const write = async (opts: Partial<ConstructorParameters<typeof PartitionWriter>[0]>, appends: number): Promise<ReadSegment[]> => {
    const dir = tmpDir();
    const w = new PartitionWriter({ dir, startOffset: 0, segmentBytes: 1 << 30, indexIntervalBytes: 0, layout: 'per-batch', magic: 2, fsync: false, ...opts });
    for (let i = 0; i < appends; i++) w.append([entry(i * 4, 4)]);
    await w.finish();
    return readSegments(dir);
  };

  it('rolls before an append whose last offset would overflow the relative offset', async () => {
    const segs = await write({ maxRelativeOffset: 10 }, 10);
    for (const s of segs) expect(s.batches[s.batches.length - 1]!.lastOffset - s.baseOffset).toBeLessThanOrEqual(10);
    expect(segs.map((s) => s.baseOffset)).toEqual([0, 8, 16, 24, 32]);
  });

  it('rolls when the offset index or the time index is full (one time-index slot kept for the roll)', async () => {
    const byIndex = await write({ maxIndexEntries: 3 }, 12);
    for (const s of byIndex.slice(0, -1)) expect(s.batches.length).toBe(4); // first batch unindexed + 3 entries
    const byTime = await write({ maxTimeIndexEntries: 3 }, 12);
    for (const s of byTime.slice(0, -1)) expect(s.batches.length).toBe(3); // 2 entries, the 3rd slot is the roll's
  });

  it('rolls only when size > segment.bytes - incoming (a segment may end exactly at segment.bytes)', async () => {
    const one = entry(0, 4).bytes.length;
    const segs = await write({ segmentBytes: one * 2 }, 5);
    expect(segs.map((s) => s.batches.length)).toEqual([2, 2, 1]);
    expect(segs.map((s) => s.size)).toEqual([one * 2, one * 2, one]);
    expect((await write({ segmentBytes: one * 2 - 1 }, 3)).map((s) => s.batches.length)).toEqual([1, 1, 1]);
  });

  it('never rolls an empty segment, and splits an append larger than segment.bytes', async () => {
    const one = entry(0, 4).bytes.length;
    const dir = tmpDir();
    const w = new PartitionWriter({ dir, startOffset: 0, segmentBytes: one * 2, indexIntervalBytes: 0, layout: 'per-append', magic: 2, fsync: false });
    w.append([entry(0, 4), entry(4, 4), entry(8, 4), entry(12, 4), entry(16, 4)]);
    const r = await w.finish();
    expect(r.segments.map((s) => s.batches)).toEqual([2, 2, 1]);
  });
});

// ================================================================== --corrupt

const CORRUPT_BASE: Partial<GenerateOptions> = {
  records: 400,
  recordsPerBatch: { min: 1, max: 10 },
  valueSize: { min: 20, max: 120 },
  segmentBytes: 8192,
  indexIntervalBytes: 1024,
};
const CORRUPT_VARIANTS: [string, Partial<GenerateOptions>][] = [
  ['v2 transactions', { ...CORRUPT_BASE, transactions: true, leaderEpochs: 2, compression: ['none', 'gzip'] }],
  ['v1 mixed codecs', { ...CORRUPT_BASE, magic: 1, compression: ['gzip', 'none', 'lz4'] }],
  ['v0 gzip', { ...CORRUPT_BASE, magic: 0, compression: ['gzip'] }],
  ['v2 per-append', { ...CORRUPT_BASE, layout: 'per-append', compression: ['zstd', 'none'] }],
];

/** What our reader alone sees at the reported place. */
function detectWithReader(dir: string, k: GenerateSummary['corruption'] & object): void {
  const file = path.join(dir, k.file);
  const logItems = (): { items: LogItem[]; stop: StopInfo } => {
    const src = openSource(file, { reader: 'pread' });
    const gen = logEntries(src, { file: k.file });
    const items: LogItem[] = [];
    for (;;) {
      const n = gen.next();
      if (n.done) {
        src.close();
        return { items, stop: n.value };
      }
      items.push(n.value);
    }
  };
  const at = (items: LogItem[]) => items.find((i) => (i.kind === 'batch' ? i.batch.position : i.position) === k.position);
  switch (k.kind as CorruptKind) {
    case 'crc': {
      const it = at(logItems().items)!;
      if (it.kind === 'batch') expect(it.batch.crcValid).toBe(false);
      else {
        // A v0 wrapper whose compressed bytes no longer decompress: check its CRC-32 by hand.
        const entry = fs.readFileSync(file).subarray(it.position, it.position + it.size);
        expect(entry[16]).toBe(0);
        expect(crc32(entry, 16, entry.length)).not.toBe(entry.readUInt32BE(12));
      }
      break;
    }
    case 'size':
      expect(logItems().stop).toMatchObject({ reason: 'corrupt-size', position: k.position });
      break;
    case 'partial-tail':
      expect(logItems().stop).toMatchObject({ reason: 'partial-batch', position: k.position });
      break;
    case 'zero-tail':
      expect(logItems().stop).toMatchObject({ reason: 'corrupt-size', position: k.position, zeroTail: true });
      break;
    case 'bad-magic': {
      expect(fs.readFileSync(file)[k.position! + 16]).toBe(3);
      const it = at(logItems().items);
      expect(it !== undefined && (it.kind === 'bad-entry' || it.batch.magic === 3)).toBe(true);
      break;
    }
    case 'offsets-backwards': {
      const { items } = logItems();
      const i = items.findIndex((x) => x.kind === 'batch' && x.batch.position === k.position);
      const b = (items[i] as Extract<LogItem, { kind: 'batch' }>).batch;
      const prev = (items[i - 1] as Extract<LogItem, { kind: 'batch' }>).batch;
      expect(b.baseOffset).toBeLessThanOrEqual(prev.lastOffset);
      break;
    }
    case 'record-decode': {
      const it = at(logItems().items)!;
      if (it.kind === 'bad-entry') expect(it.error.code).toBe('RECORD_DECODE_ERROR');
      else {
        expect(it.batch.crcValid).toBe(true);
        let err: unknown;
        try {
          batchRecordList(it.batch);
        } catch (e) {
          err = e;
        }
        expect(err).toBeInstanceOf(CorruptDataError);
        expect((err as CorruptDataError).code).toBe('RECORD_DECODE_ERROR');
      }
      break;
    }
    case 'index-zero-tail': {
      const p = parseOffsetIndex(fs.readFileSync(file), k.segmentBaseOffset!);
      expect(p.zeroTailEntries).toBeGreaterThan(0);
      expect(p.entries.length * 8).toBe(k.position);
      break;
    }
    case 'index-bad-position': {
      const e = parseOffsetIndex(fs.readFileSync(file), k.segmentBaseOffset!).entries[k.position! / 8]!;
      const starts = new Set(readSegments(dir).flatMap((s) => s.batches.filter((b) => b.file === k.file.replace('.index', '.log')).map((b) => b.position)));
      expect(e.offset).toBe(k.offset);
      expect(starts.has(e.position)).toBe(false);
      break;
    }
    case 'index-nonmonotonic': {
      const es = parseOffsetIndex(fs.readFileSync(file), k.segmentBaseOffset!).entries;
      const i = k.position! / 8;
      expect(es[i]!.offset).toBe(k.offset);
      expect(es[i]!.offset).toBeLessThanOrEqual(es[i - 1]!.offset);
      break;
    }
    case 'timeindex-nonmonotonic': {
      const es = parseTimeIndex(fs.readFileSync(file), k.segmentBaseOffset!).entries;
      const i = k.position! / 12;
      expect(es[i]!.timestamp).toBeLessThan(es[i - 1]!.timestamp);
      break;
    }
    case 'missing-index':
      expect(fs.existsSync(file)).toBe(false);
      expect(fs.existsSync(file.replace(/\.index$/, '.log'))).toBe(true);
      break;
    case 'snapshot-crc':
      expect(parseProducerSnapshot(fs.readFileSync(file)).crcValid).toBe(false);
      break;
  }
}

describe.each(CORRUPT_VARIANTS)('--corrupt on %s', (_name, base) => {
  const kinds = (Object.keys(CORRUPT_KINDS) as CorruptKind[]).filter((k) => !(k === 'timeindex-nonmonotonic' && base.magic === 0));
  it.each(kinds)('%s: found by the reader and by verify at the reported place, with the recovery outcome verify computes', async (kind) => {
    const r = await run({ ...base, corrupt: kind, seed: 5 });
    const k = r.summary.corruption!;
    expect(k.kind).toBe(kind);
    expect(k.code).toBe(CORRUPT_KINDS[kind]);
    detectWithReader(r.dir, k);
    const report = verify([r.dir]);
    const hit = report.issues.find((i) => i.code === k.code && i.file === k.file && i.position === k.position);
    expect(hit, `${k.code} at ${k.file}@${k.position} among ${JSON.stringify(report.issues.map((i) => `${i.code} ${i.file}@${i.position}`))}`).toBeDefined();
    if (k.offset !== null && !['missing-index', 'snapshot-crc', 'index-zero-tail'].includes(kind)) expect(hit!.offset).toBe(k.offset);
    if (k.recoverToPosition === null) expect(report.recoverable).toBeNull();
    else {
      expect(report.recoverable).toMatchObject({ file: k.recoverFile, truncateAtPosition: k.recoverToPosition });
      // verify counts the records it can read: not those of a torn batch, nor of a v0/v1 entry it cannot decode.
      if (kind !== 'partial-tail' && (base.magic ?? 2) === 2 && !report.recoverable!.recordsLostEstimated)
        expect(report.recoverable!.recordsLost).toBe(k.recordsBefore - k.recordsSurvivingRecovery);
      const later = r.summary.segmentList.filter((s) => s.baseOffset > k.segmentBaseOffset!).map((s) => s.file);
      expect(k.segmentsDeletedByRecovery).toEqual(later);
    }
  });
});

describe('--corrupt edge cases', () => {
  it('kinds that need index entries say so (exit 2) and leave no files behind', async () => {
    const dir = path.join(tmpDir(), 'p');
    await expect(generate(dir, { records: 5, corrupt: 'index-nonmonotonic', fsync: false })).rejects.toThrow(
      /--corrupt index-nonmonotonic needs a segment with two or more .index entries/,
    );
    expect(fs.existsSync(dir)).toBe(false);
  });

  it('zero-tail and snapshot-crc work on an empty partition', async () => {
    for (const kind of ['zero-tail', 'snapshot-crc'] as const) {
      const r = await run({ records: 0, corrupt: kind });
      detectWithReader(r.dir, r.summary.corruption!);
    }
  });
});

// ================================================================== the command line

/** Like helpers' kseg(), without blocking, so the many exit-code checks run side by side. */
function ksegAsync(args: string[]): Promise<{ status: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [path.join(ROOT, 'bin', 'kseg.js'), ...args], { env: { ...process.env, NO_COLOR: '1' } }, (err, stdout, stderr) => {
      resolve({ status: err ? ((err as { code?: number }).code ?? -1) : 0, stdout, stderr });
    });
  });
}

describe('kseg generate (CLI)', () => {
  it('--json prints the verify summary plus log offsets and the corruption', () => {
    const dir = path.join(tmpDir(), 'orders-0');
    const r = kseg(['generate', dir, '--records', '400', '--segment-bytes', '8k', '--index-interval-bytes', '1k', '--corrupt', 'crc', '--json', '--no-fsync']);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    const s = JSON.parse(r.stdout);
    for (const key of ['segments', 'batches', 'records', 'bytes', 'logStartOffset', 'logEndOffset']) expect(typeof s[key]).toBe('number');
    expect(s.records).toBe(400);
    expect(s.corruption).toMatchObject({
      kind: 'crc',
      code: 'CRC_MISMATCH',
      file: expect.stringMatching(/^\d{20}\.log$/),
      position: expect.any(Number),
      offset: expect.any(Number),
    });
  });

  it('text output says where the fault is and what verify should report', () => {
    const dir = path.join(tmpDir(), 'orders-0');
    const r = kseg(['generate', dir, '--records', '300', '--segment-bytes', '4k', '--corrupt', 'partial-tail', '--no-fsync']);
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/^generated .*orders-0: \d+ segments, \d+ batches, 300 records/);
    expect(r.stdout).toMatch(/corrupted \(partial-tail\): \d{20}\.log at byte \d+, batch offset \d+/);
    expect(r.stdout).toContain('verify should report PARTIAL_TAIL');
    expect(r.stdout).toMatch(/Kafka recovery: truncate \d{20}\.log at \d+, keep \d+ of 300 records/);
  });

  it('refuses a non-empty directory unless --force, which replaces only partition files', () => {
    const dir = path.join(tmpDir(), 'p');
    expect(kseg(['generate', dir, '--records', '10', '--no-fsync']).status).toBe(0);
    fs.writeFileSync(path.join(dir, 'notes.txt'), 'mine');
    const again = kseg(['generate', dir, '--records', '10', '--no-fsync']);
    expect(again.status).toBe(2);
    expect(again.stderr).toMatch(/^kseg: .* is not empty \(\d+ entries\); pass --force/);
    expect(again.stdout).toBe('');
    const forced = kseg(['generate', dir, '--records', '20', '--magic', '1', '--force', '--json', '--no-fsync']);
    expect(forced.status).toBe(0);
    expect(JSON.parse(forced.stdout).replacedFiles).toContain('leader-epoch-checkpoint');
    expect(fs.readFileSync(path.join(dir, 'notes.txt'), 'utf8')).toBe('mine');
    expect(fs.existsSync(path.join(dir, 'leader-epoch-checkpoint'))).toBe(false);
  });

  it.concurrent.each([
    [['--magic', '0', '--compression', 'zstd'], /zstd needs message format v2/],
    [['--magic', '1', '--headers', '2'], /--headers needs message format v2/],
    [['--magic', '0', '--timestamp-type', 'logappend'], /v0 messages have no timestamps/],
    [['--magic', '1', '--transactions'], /--transactions needs message format v2/],
    [['--magic', '0', '--leader-epochs', '2'], /--leader-epochs needs message format v2/],
    [['--magic', '3'], /--magic: '3' is not a message format/],
    [['--compression', 'brotli'], /unknown codec 'brotli'/],
    [['--records-per-batch', '5-2'], /empty range/],
    [['--records-per-batch', '0'], /--records-per-batch: 0 is out of range/],
    [['--value-size', 'abc'], /--value-size: 'abc' is not a byte size/],
    [['--segment-bytes', '13'], /--segment-bytes: 13 is out of range/],
    [['--tombstone-ratio', '1.5'], /not a ratio/],
    [['--timestamp-type', 'wall'], /is not create or logappend/],
    [['--layout', 'sideways'], /is not per-batch or per-append/],
    [['--corrupt', 'cosmic-ray'], /unknown kind 'cosmic-ray'/],
    [['--magic', '0', '--corrupt', 'timeindex-nonmonotonic'], /v0 segments have empty .timeindex/],
    [['--topic-id', 'AAAAAAAAAAAAAAAAAAAAAA'], /--topic-id/],
    [['--producers', '3'], /--producers needs --idempotent or --transactions/],
    [['--abort-ratio', '0.5'], /--abort-ratio needs --transactions/],
    [['--records', '-1'], /--records: must not be negative/],
    [['--seed', 'x'], /--seed: 'x' is not an integer/],
    [['--segment-bytes', '100', '--records', '10'], /does not fit in --segment-bytes 100/],
    [['--bogus'], /unknown option '--bogus'/],
  ])('bad flags %j exit 2 with one clear line', async (flags, message) => {
    const dir = path.join(tmpDir(), 'p');
    const r = await ksegAsync(['generate', dir, '--no-fsync', ...(flags as string[])]);
    expect(r.status).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(message as RegExp);
    if (!(flags as string[]).includes('--bogus')) expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(fs.existsSync(dir)).toBe(false);
  });
});
