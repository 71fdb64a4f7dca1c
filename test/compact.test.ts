import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { spawn, type ChildProcess } from 'node:child_process';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { compact, groupSegmentsBySize, type CompactOptions } from '../src/ops/compact.js';
import { md5Into } from '../src/ops/compact/md5.js';
import { MD5X4_MAX_KEY, MD5X4_MAX_KEYS, Md5x4 } from '../src/ops/compact/md5x4.js';
import { loadPartition } from '../src/ops/partition-state.js';
import { OffsetMap } from '../src/ops/compact/offset-map.js';
import { emptyBatchOf } from '../src/ops/compact/records.js';
import { recover } from '../src/ops/recover/index.js';
import { verify } from '../src/ops/verify/index.js';
import { batchRecords, decodeBatch, type Batch } from '../src/format/batch.js';
import { encodeV2BatchSync } from '../src/format/encode.js';
import { recordFaultPoints, setFaultPoint, SimulatedCrash } from '../src/storage/atomic.js';
import { scanPartitionDir } from '../src/storage/segments.js';
import { copyPartition, FIXTURES, kseg, tmpDir } from './helpers.js';
import { allRecords, buildPartition, readPartition, type ReadBatch, type ReadRecord, type Spec } from './partition-builder.js';

const fixture = (c: string) => path.join(FIXTURES, c, 'topic-0');
const DAY = 86400000;

function verifyClean(dir: string): void {
  const r = verify([dir]);
  const bad = r.issues.filter((i) => i.severity !== 'info');
  expect(bad, JSON.stringify(bad.slice(0, 3))).toEqual([]);
}

// ------------------------------------------------------------------------------------ the model

/**
 * Kafka's cleaner rules (format doc 7) over the batches read back, written independently of the
 * implementation: plain Maps keyed by the key bytes, aborted transactions found from the markers in
 * the log (not the .txnindex), one group per round (tests use the default --segment-bytes).
 */
interface MBatch {
  baseOffset: number;
  lastOffset: number;
  producerId: number;
  producerEpoch: number;
  isTransactional: boolean;
  isControl: boolean;
  deleteHorizonMs: number | null;
  maxTimestamp: number;
  magic: number;
  records: ReadRecord[];
}
interface MSeg {
  base: number;
  batches: MBatch[];
}
interface ModelOpts {
  now: number;
  deleteRetentionMs: number;
  mapKeys: number;
  producerExpirationMs: number;
}

function modelInput(dir: string): MSeg[] {
  return readPartition(dir).segments.map((s) => ({ base: s.base, batches: s.batches.map(({ file: _f, count: _c, ...b }) => b) }));
}

/** `maxRounds` stops early: the state a crash between rounds leaves. */
function modelCompact(input: MSeg[], o: ModelOpts, maxRounds = Infinity): MSeg[] {
  let segs = input.map((s) => ({ base: s.base, batches: [...s.batches] }));
  const all = segs.flatMap((s) => s.batches);
  const prod = new Map<number, { epoch: number; lastData: number; lastTs: number; open: number }>();
  for (const b of all) {
    if (b.magic < 2 || b.producerId < 0) continue;
    let p = prod.get(b.producerId);
    if (!p) prod.set(b.producerId, (p = { epoch: b.producerEpoch, lastData: -1, lastTs: -1, open: -1 }));
    if (p.epoch !== b.producerEpoch) {
      p.epoch = b.producerEpoch;
      p.lastData = -1;
    }
    p.lastTs = b.maxTimestamp;
    if (b.isControl) {
      if (b.isTransactional) p.open = -1;
    } else {
      p.lastData = b.lastOffset;
      if (b.isTransactional && p.open < 0) p.open = b.baseOffset;
    }
  }
  const active = new Map([...prod].filter(([, p]) => p.open >= 0 || o.now - p.lastTs < o.producerExpirationMs));
  const lastSeg = segs[segs.length - 1]!;
  const leo = lastSeg.batches.length ? lastSeg.batches[lastSeg.batches.length - 1]!.lastOffset + 1 : lastSeg.base;
  let lso = leo;
  for (const p of prod.values()) if (p.open >= 0 && p.open < lso) lso = p.open;
  let firstDirty = segs[0]!.base;
  for (let round = 0; round < maxRounds; round++) {
    const activeBase = segs[segs.length - 1]!.base;
    const unc = Math.min(lso, activeBase);
    const fu = unc >= activeBase ? activeBase : Math.max(...segs.filter((s) => s.base <= unc).map((s) => s.base));
    if (firstDirty >= fu || segs.length < 2) return segs;
    // Aborted data batches: transactional data whose producer's next marker is an ABORT.
    const aborted = new Set<MBatch>();
    const flat = segs.flatMap((s) => s.batches);
    const nextMarker = new Map<number, string>();
    for (let i = flat.length - 1; i >= 0; i--) {
      const b = flat[i]!;
      if (b.isControl && b.isTransactional && b.records.length) nextMarker.set(b.producerId, b.records[0]!.control!);
      else if (!b.isControl && b.isTransactional && nextMarker.get(b.producerId) === 'ABORT') aborted.add(b);
    }
    // The offset map.
    const map = new Map<string, number>();
    let latest = -1;
    let full = false;
    const floor = Math.max(...segs.filter((s) => s.base <= firstDirty).map((s) => s.base), segs[0]!.base);
    const dirty = segs.filter((s) => s.base >= floor && s.base < fu);
    outer: for (let i = 0; i < dirty.length; i++) {
      for (const b of dirty[i]!.batches) {
        if (!b.isControl && !aborted.has(b)) {
          for (const r of b.records) {
            if (r.key === null || r.offset < firstDirty) continue;
            if (map.size >= o.mapKeys) {
              full = true;
              break outer;
            }
            map.set(r.key, r.offset);
            latest = r.offset;
          }
        }
        if (b.lastOffset >= firstDirty) latest = b.lastOffset;
      }
      latest = (i + 1 < dirty.length ? dirty[i + 1]!.base : fu) - 1;
    }
    const endOffset = latest + 1;
    const toClean = segs.filter((s) => s.base < endOffset);
    // The cleaning pass.
    const committedSeen = new Set<number>();
    const abortedSeen = new Set<number>();
    const out: MBatch[] = [];
    for (const b of toClean.flatMap((s) => s.batches)) {
      let canDiscard: boolean;
      const pid = b.producerId;
      if (b.isControl) {
        const type = b.records[0]?.control;
        if (!b.records.length) canDiscard = true;
        else if (type === 'COMMIT') canDiscard = !committedSeen.delete(pid);
        else if (type === 'ABORT') canDiscard = !abortedSeen.delete(pid);
        else canDiscard = false;
      } else if (aborted.has(b)) {
        abortedSeen.add(pid);
        canDiscard = true;
      } else {
        if (b.isTransactional) committedSeen.add(pid);
        canDiscard = false;
      }
      const h = b.deleteHorizonMs;
      const discard = b.isControl ? canDiscard && h !== null && h <= o.now : canDiscard;
      const last = b.magic >= 2 && pid >= 0 ? active.get(pid) : undefined;
      const isLast = last ? (last.lastData >= 0 ? b.lastOffset === last.lastData : b.isControl && b.producerEpoch === last.epoch) : false;
      const retainEmpty = isLast || b.lastOffset + 1 === fu;
      if (!retainEmpty && discard) continue;
      const kept = discard
        ? []
        : b.isControl
          ? b.records
          : b.records.filter((r) => {
              if (r.offset > latest) return true;
              if (r.key === null) return false;
              if (r.offset < (map.get(r.key) ?? -1)) return false;
              return r.value !== null || (b.magic < 2 ? true : h === null || o.now < h);
            });
      if (b.magic < 2) {
        if (kept.length === b.records.length || (kept.length === 0 && retainEmpty)) out.push(b);
        else if (kept.length > 0) out.push({ ...b, baseOffset: kept[0]!.offset, lastOffset: kept[kept.length - 1]!.offset, records: kept });
        continue;
      }
      if (kept.length > 0) {
        const needH = (kept.some((r) => r.value === null && !b.isControl) || (canDiscard && b.isControl)) && h === null;
        const same = kept.length === b.records.length && !needH;
        out.push({
          ...b,
          records: kept,
          deleteHorizonMs: needH ? o.now + o.deleteRetentionMs : h,
          maxTimestamp: same || b.records.length === 0 ? b.maxTimestamp : Math.max(...kept.map((r) => r.timestamp)),
        });
      } else if (retainEmpty) out.push({ ...b, records: [], deleteHorizonMs: null });
    }
    // Coverage of the replaced segments by the swap (compact.ts).
    const cand = [...toClean.slice(1)].reverse().find((s) => s.batches.length > 0);
    const maxNext = out.length ? out[out.length - 1]!.lastOffset + 1 : toClean[0]!.base;
    if (cand && maxNext <= cand.base) {
      const lb = cand.batches[cand.batches.length - 1]!;
      out.push(lb.magic >= 2 ? { ...lb, records: [], deleteHorizonMs: null } : lb);
    }
    segs = [{ base: toClean[0]!.base, batches: out }, ...segs.filter((s) => s.base >= endOffset)];
    firstDirty = endOffset;
    if (!full) return segs;
  }
  return segs;
}

const shape = (b: MBatch | ReadBatch) => ({
  baseOffset: b.baseOffset,
  lastOffset: b.lastOffset,
  count: b.records.length,
  deleteHorizonMs: b.deleteHorizonMs,
  maxTimestamp: b.maxTimestamp,
  records: b.records,
});

function expectModel(dir: string, expected: MSeg[], checkSegments = true): void {
  const got = readPartition(dir).segments;
  expect(got.flatMap((s) => s.batches.map(shape))).toEqual(expected.flatMap((s) => s.batches.map(shape)));
  if (checkSegments) expect(got.map((s) => s.base)).toEqual(expected.map((s) => s.base));
}

/** Every batch of a partition by base offset, with its exact bytes. */
function rawBatches(dir: string): Map<number, { batch: Batch; bytes: Buffer }> {
  const out = new Map<number, { batch: Batch; bytes: Buffer }>();
  for (const seg of scanPartitionDir(dir).segments) {
    const buf = fs.readFileSync(path.join(dir, seg.log));
    for (let p = 0; p < buf.length;) {
      const size = 12 + buf.readInt32BE(p + 8);
      const bytes = Buffer.from(buf.subarray(p, p + size));
      out.set(Number(bytes.readBigInt64BE(0)), { batch: decodeBatch(bytes, 0, size, p, seg.log), bytes });
      p += size;
    }
  }
  return out;
}

function mapBytesFor(keys: number): number {
  for (let slots = keys; ; slots++) if (Math.floor(slots * 0.9) === keys) return slots * 24;
}

// ------------------------------------------------------------------------------------ units

describe('offset map (SkimpyOffsetMap)', () => {
  it('MD5 matches node:crypto for keys of every length up to 300 bytes', () => {
    const out = new Uint8Array(16);
    for (let n = 0; n < 300; n++) {
      const b = crypto.randomBytes(n + 7);
      md5Into(b, 7, 7 + n, out);
      expect(Buffer.from(out).toString('hex')).toBe(crypto.createHash('md5').update(b.subarray(7)).digest('hex'));
    }
  });

  it('four-lane MD5 (WebAssembly SIMD) matches node:crypto for every single-block key length, in every lane', () => {
    const h = Md5x4.create();
    expect(h).not.toBeNull(); // Node 20 has WebAssembly SIMD
    for (let round = 0; round < 20; round++) {
      h!.reset();
      const keys: Buffer[] = [];
      const count = 1 + ((round * 7) % MD5X4_MAX_KEYS);
      for (let k = 0; k < count; k++) {
        const b = crypto.randomBytes(3 + ((k + round) % (MD5X4_MAX_KEY + 1)));
        keys.push(b.subarray(3));
        expect(h!.add(b, 3, b.length)).toBe(k);
      }
      h!.run();
      keys.forEach((b, k) => {
        const d = crypto.createHash('md5').update(b).digest();
        expect([0, 1, 2, 3].map((w) => h!.word(k, w))).toEqual([0, 1, 2, 3].map((w) => d.readInt32LE(w * 4)));
      });
    }
  });

  it('put/get keep the latest offset per key; 24 bytes a slot; full at 90 %; linear probing past the digest', () => {
    const m = new OffsetMap(24 * 100);
    expect(m.slots).toBe(100);
    expect(m.maxDesiredSize).toBe(90);
    const k = (i: number) => Buffer.from(`key-${i}`);
    for (let i = 0; i < 90; i++) m.put(k(i), 0, k(i).length, i);
    for (let i = 0; i < 90; i++) m.put(k(i), 0, k(i).length, 1000 + i);
    expect(m.size).toBe(90);
    expect(m.latestOffset).toBe(1089);
    for (let i = 0; i < 90; i++) expect(m.get(k(i), 0, k(i).length)).toBe(1000 + i);
    expect(m.get(Buffer.from('absent'), 0, 6)).toBe(-1);
    // A full table still answers: a missing key probes every slot and returns -1.
    const tiny = new OffsetMap(24 * 3, 1);
    for (let i = 0; i < 3; i++) tiny.put(k(i), 0, k(i).length, i);
    expect(tiny.get(Buffer.from('zzz'), 0, 3)).toBe(-1);
    expect(() => tiny.put(Buffer.from('zzz'), 0, 3, 9)).toThrow(/full offset map/);
    expect(() => new OffsetMap(24)).toThrow(/too small/);
  });

  it('grows its probed region as keys arrive and still answers like a plain map (model check)', () => {
    // 300k slots: the map starts probing 65,536 of them, doubles at half use, then takes all.
    const m = new OffsetMap(24 * 300_000);
    const start = m.regionSlots;
    expect(start).toBeLessThan(m.slots);
    const model = new Map<string, number>();
    let seed = 7;
    const rnd = () => (seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) / 2 ** 32;
    for (let off = 1; off <= 400_000 && model.size < m.maxDesiredSize; off++) {
      // Mostly new keys, some rewrites of old ones; keys of varied lengths (over 64 bytes too).
      const id = rnd() < 0.8 ? off : Math.floor(rnd() * off);
      const key = Buffer.from(`k${id}`.padEnd(id % 7 === 0 ? 70 : 4, '.'));
      m.put(key, 0, key.length, off);
      model.set(key.toString('latin1'), off);
    }
    expect(m.size).toBe(model.size);
    expect(m.regionSlots).toBe(m.slots);
    for (const [k, off] of model) expect(m.get(Buffer.from(k, 'latin1'), 0, k.length)).toBe(off);
    for (let i = 0; i < 1000; i++) expect(m.get(Buffer.from(`absent-${i}`), 0, `absent-${i}`.length)).toBe(-1);
    m.clear();
    expect(m.regionSlots).toBe(start);
    expect(m.size).toBe(0);
    expect(m.get(Buffer.from('k1'), 0, 2)).toBe(-1);
  });

  it('the empty batch the cleaner keeps matches the format doc vector (1.9)', () => {
    const src = encodeV2BatchSync({
      baseOffset: 10,
      records: [{ offsetDelta: 0, timestamp: 1700000000000, key: 'k', value: 'v' }],
      lastOffsetDelta: 2,
      producerId: 42,
      producerEpoch: 7,
      baseSequence: 3,
      partitionLeaderEpoch: 0,
    });
    const b = decodeBatch(src, 0, src.length, 0);
    expect(emptyBatchOf(b).toString('hex')).toBe('000000000000000a00000031000000000260de2774000000000002ffffffffffffffff0000018bcfe56800000000000000002a00070000000300000000');
  });

  it('groups segments like Cleaner.groupSegmentsBySize', () => {
    const seg = (base: number, logSize: number, indexSize = 0) => ({ baseOffset: base, logSize, indexSize, timeindexSize: indexSize }) as any;
    const segs = [seg(0, 400), seg(100, 400), seg(200, 300), seg(300, 0), seg(400, 900)];
    expect(groupSegmentsBySize(segs, 1000, 1000, 500).map((g) => g.map((s) => s.baseOffset))).toEqual([[0, 100], [200, 300], [400]]);
    expect(groupSegmentsBySize(segs, 5000, 10, 500).map((g) => g.length)).toEqual([5]);
    expect(groupSegmentsBySize([seg(0, 10, 8), seg(100, 10, 8)], 5000, 15, 500).map((g) => g.length)).toEqual([1, 1]);
    // Offsets relative to the group's base must fit in an int32 (empty segments always join).
    expect(groupSegmentsBySize([seg(0, 10), seg(2 ** 31, 10), seg(2 ** 31 + 5, 0)], 5000, 5000, 2 ** 32).map((g) => g.length)).toEqual([1, 2]);
  });
});

// ------------------------------------------------------------------------------------ fixtures

describe('compact fixtures', () => {
  it('v2-compact: latest value per key; tombstones get a horizon on the first run and go on a run past it', async () => {
    const dir = copyPartition(fixture('v2-compact'));
    const now = 1700000000000;
    const o = { now, deleteRetentionMs: DAY, mapKeys: 1e9, producerExpirationMs: DAY };
    const expected = modelCompact(modelInput(dir), o);
    const r = await compact(dir, { now, deleteRetentionMs: DAY });
    expectModel(dir, expected);
    expect(r.totals.tombstonesRetained).toBeGreaterThan(0);
    expect(r.totals.horizonsSet).toBeGreaterThan(0);
    verifyClean(dir);
    // Every key keeps exactly its latest record below the active segment.
    const records = allRecords(dir);
    const keys = records.filter((x) => x.offset < 691).map((x) => x.key);
    expect(new Set(keys).size).toBe(keys.length);
    const horizon = now + DAY;
    const second = modelCompact(modelInput(dir), { ...o, now: horizon });
    const r2 = await compact(dir, { now: horizon, deleteRetentionMs: DAY });
    expectModel(dir, second);
    expect(r2.totals.tombstonesRemoved).toBe(r.totals.tombstonesRetained);
    expect(allRecords(dir).filter((x) => x.offset < 691 && x.value === null)).toEqual([]);
    verifyClean(dir);
  });

  it('v2-txn: aborted transactions and markers are removed as Kafka does; retained ABORT markers keep their .txnindex entries', async () => {
    const dir = copyPartition(fixture('v2-txn'));
    for (const now of [1700000000000, 1700000000000 + 2 * DAY]) {
      const o = { now, deleteRetentionMs: DAY, mapKeys: 1e9, producerExpirationMs: DAY };
      const expected = modelCompact(modelInput(dir), o);
      const r = await compact(dir, { now, deleteRetentionMs: DAY });
      expectModel(dir, expected);
      verifyClean(dir);
      if (now === 1700000000000) expect(r.totals.abortedRemoved).toBeGreaterThan(0);
    }
    // A third run past the horizons set by the second: ABORT markers whose data went are gone;
    // the COMMIT markers left each follow data of their transaction that is still there.
    const before = readPartition(dir)
      .segments.flatMap((s) => s.batches)
      .filter((b) => b.isControl && b.count > 0).length;
    await compact(dir, { now: 1700000000000 + 4 * DAY });
    const segs = readPartition(dir).segments;
    const cleaned = segs.slice(0, -1).flatMap((s) => s.batches);
    const markers = cleaned.filter((b) => b.isControl && b.count > 0);
    expect(markers.length).toBeLessThan(before);
    expect(markers.filter((b) => b.records[0]!.control === 'ABORT')).toEqual([]);
    for (const m of markers) {
      const i = cleaned.indexOf(m);
      const prev = cleaned.slice(0, i).reverse();
      const data = prev.findIndex((b) => b.producerId === m.producerId && b.isTransactional && !b.isControl);
      const marker = prev.findIndex((b) => b.producerId === m.producerId && b.isControl);
      expect(data >= 0 && (marker < 0 || data < marker), `COMMIT at ${m.baseOffset}`).toBe(true);
    }
    verifyClean(dir);
  });

  it("v2-per-append, every codec, headers, LogAppendTime: match the model and verify clean; unchanged batches are copied byte for byte, changed ones are what Kafka's builder writes", async () => {
    for (const c of ['v2-per-append', 'v2-mixed-codecs', 'v2-headers', 'v2-logappend', 'v2-compact']) {
      const dir = copyPartition(fixture(c));
      const o = { now: 1700000000000, deleteRetentionMs: DAY, mapKeys: 1e9, producerExpirationMs: DAY };
      const expected = modelCompact(modelInput(dir), o);
      const original = rawBatches(dir);
      await compact(dir, { now: o.now });
      expectModel(dir, expected);
      verifyClean(dir);
      let copied = 0;
      let rebuilt = 0;
      for (const b of rawBatches(dir).values()) {
        const src = original.get(b.batch.baseOffset)!;
        if (b.batch.recordCount === src.batch.recordCount && b.batch.deleteHorizonMs === src.batch.deleteHorizonMs) {
          expect(b.bytes.equals(src.bytes), `${c} batch ${b.batch.baseOffset}`).toBe(true);
          copied++;
        } else if (b.batch.recordCount > 0 && b.batch.compressionId === 0) {
          // The independent encoder (encode.ts) given the kept records and the original header fields.
          const kept = [...batchRecords(b.batch)];
          const want = encodeV2BatchSync({
            baseOffset: src.batch.baseOffset,
            records: kept.map((r) => ({ offsetDelta: r.offsetDelta, timestamp: r.timestamp, key: r.key, value: r.value, headers: r.headers })),
            timestampType: src.batch.timestampType === 'LogAppendTime' ? 'LogAppendTime' : 'CreateTime',
            isTransactional: src.batch.isTransactional,
            isControl: src.batch.isControl,
            deleteHorizonMs: b.batch.deleteHorizonMs,
            partitionLeaderEpoch: src.batch.partitionLeaderEpoch,
            producerId: src.batch.producerId,
            producerEpoch: src.batch.producerEpoch,
            baseSequence: src.batch.baseSequence,
            lastOffsetDelta: src.batch.lastOffsetDelta,
            maxTimestamp: src.batch.timestampType === 'LogAppendTime' ? src.batch.maxTimestamp : undefined,
          });
          expect(b.bytes.toString('hex'), `${c} rebuilt batch ${b.batch.baseOffset}`).toBe(want.toString('hex'));
          rebuilt++;
        }
      }
      expect(copied + rebuilt).toBeGreaterThan(0);
    }
  });

  it('v0 and v1 data (legacy wrappers re-wrapped) verifies clean and matches the model', async () => {
    for (const c of ['v0-none', 'v1-none', 'v1-gzip', 'v0-gzip', 'v1-snappy-logappend']) {
      const dir = copyPartition(fixture(c));
      if (scanPartitionDir(dir).segments.length < 2) continue;
      const o = { now: 1700000000000, deleteRetentionMs: DAY, mapKeys: 1e9, producerExpirationMs: DAY };
      const expected = modelCompact(modelInput(dir), o);
      await compact(dir, { now: o.now });
      expectModel(dir, expected);
      verifyClean(dir);
    }
  });

  it('dry run: reports per segment what would go and changes nothing; --json has the mutating-command shape', () => {
    const dir = copyPartition(fixture('v2-compact'));
    const snapshot = () => fs.readdirSync(dir).map((f) => [f, fs.readFileSync(path.join(dir, f)).toString('base64')]);
    const before = snapshot();
    const res = kseg(['compact', dir, '--dry-run', '--json', '--now', '1700000000000']);
    expect(res.status).toBe(0);
    const j = JSON.parse(res.stdout);
    expect(Object.keys(j).slice(0, 4)).toEqual(['changed', 'removed', 'before', 'after']);
    expect(j.dryRun).toBe(true);
    expect(j.rounds[0].segments.map((s: any) => s.file)).toContain('00000000000000000000.log');
    expect(j.totals.recordsRemoved).toBeGreaterThan(600);
    expect(j.after.records).toBe(j.before.records - j.totals.recordsRemoved);
    expect(snapshot()).toEqual(before);
    const text = kseg(['compact', dir, '--dry-run', '--now', '1700000000000']);
    expect(text.stdout).toMatch(/tombstone/);
    // The real run does what the dry run said.
    const real = JSON.parse(kseg(['compact', dir, '--json', '--now', '1700000000000']).stdout);
    expect(real.after).toEqual(j.after);
    expect(real.totals).toEqual(j.totals);
  });

  it('nothing to do: one segment, or nothing dirty below an open transaction', async () => {
    const r = await compact(copyPartition(fixture('v2-none')));
    expect(r.noop).toBe(true);
    const dir = path.join(tmpDir(), 't-0');
    await buildPartition(dir, [
      { kind: 'data', records: [{ key: 'a', value: '1' }], producerId: 1, transactional: true },
      { kind: 'roll' },
      { kind: 'data', records: [{ key: 'a', value: '2' }], producerId: -1, transactional: false },
      { kind: 'roll' },
      { kind: 'data', records: [{ key: 'a', value: '3' }], producerId: -1, transactional: false },
    ]);
    const r2 = await compact(dir);
    expect(r2.noop).toBe(true);
    expect(r2.lastStableOffset).toBe(0);
  });

  it('errors: CRC mismatch in a segment to clean (exit 3, file and position), leftovers (exit 3), locked directory (exit 4)', async () => {
    const dir = copyPartition(fixture('v2-compact'));
    const seg = scanPartitionDir(dir).segments[1]!;
    const p = path.join(dir, seg.log);
    const buf = fs.readFileSync(p);
    buf[200] ^= 0xff;
    fs.writeFileSync(p, buf);
    const r = kseg(['compact', dir]);
    expect(r.status).toBe(3);
    expect(r.stderr).toMatch(new RegExp(`CRC.*\\(${seg.log} at byte \\d+\\)`));
    expect(fs.readdirSync(dir).filter((f) => f.includes('.cleaned'))).toEqual([]);

    const d2 = copyPartition(fixture('v2-compact'));
    fs.writeFileSync(path.join(d2, '00000000000000000000.log.cleaned'), '');
    expect(kseg(['compact', d2]).status).toBe(3);

    const root = tmpDir();
    const d3 = path.join(root, 'topic-0');
    fs.cpSync(fixture('v2-compact'), d3, { recursive: true });
    const lockFile = path.join(root, '.lock');
    fs.writeFileSync(lockFile, '');
    const holder: ChildProcess = spawn('flock', ['-x', lockFile, 'sleep', '30'], { stdio: 'ignore' });
    try {
      const ino = fs.statSync(lockFile).ino;
      for (let i = 0; i < 100 && !fs.readFileSync('/proc/locks', 'utf8').includes(`:${ino} `); i++) await new Promise((res) => setTimeout(res, 20));
      const locked = kseg(['compact', d3, '--json']);
      expect(locked.status).toBe(4);
      expect(locked.stdout).toBe('');
      expect(JSON.parse(locked.stderr.split('\n')[1]!).error.code).toBe('LOCKED');
      expect(kseg(['compact', d3, '--dry-run']).status).toBe(0);
    } finally {
      holder.kill();
    }
    const d4 = copyPartition(fixture('v2-compact'));
    const small = kseg(['compact', d4, '--offset-map-bytes', '10']);
    expect(small.status).toBe(2);
    expect(small.stderr).toMatch(/too small/);
    expect(kseg(['compact', d4, '--now', 'soon']).status).toBe(2);
  });

  it('updates an existing cleaner-offset-checkpoint and starts the next run from it', async () => {
    const root = tmpDir();
    const dir = path.join(root, 'orders-3');
    fs.cpSync(fixture('v2-compact'), dir, { recursive: true });
    fs.writeFileSync(path.join(root, 'cleaner-offset-checkpoint'), '0\n1\nother 1 5\n');
    const r = await compact(dir, { now: 1700000000000 });
    expect(fs.readFileSync(path.join(root, 'cleaner-offset-checkpoint'), 'utf8')).toBe(`0\n2\nother 1 5\norders 3 ${r.rounds[0]!.endOffset}\n`);
    const again = await compact(dir, { now: 1700000000000 });
    expect(again.noop).toBe(true);
  });
});

// ------------------------------------------------------------------------------------ model tests

const keyArb = fc.constantFrom('a', 'b', 'c', 'd', 'e', 'f', 'g');
const specArb: fc.Arbitrary<Spec> = fc.oneof(
  {
    weight: 10,
    arbitrary: fc.record({
      kind: fc.constant('data' as const),
      records: fc.array(fc.record({ key: fc.option(keyArb, { freq: 15 }), value: fc.option(fc.constantFrom('v', 'w', 'xyz', ''), { freq: 4 }) }), { minLength: 1, maxLength: 5 }),
      producerId: fc.constantFrom(-1, -1, 1, 2, 3),
      transactional: fc.boolean(),
      compression: fc.constantFrom('none' as const, 'none' as const, 'gzip' as const, 'lz4' as const),
    }),
  },
  { weight: 3, arbitrary: fc.record({ kind: fc.constant('marker' as const), producerId: fc.constantFrom(1, 2, 3), commit: fc.boolean() }) },
  { weight: 2, arbitrary: fc.constant({ kind: 'roll' as const }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('skip' as const), offsets: fc.integer({ min: 1, max: 4 }) }) },
);

const START = 1_700_000_000_000;

describe('compact model test (fast-check): random partitions with keys, tombstones, transactions and aborts', () => {
  it('every batch and record equals the model, on a first run and on a second run past the tombstone horizon', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(specArb, { minLength: 2, maxLength: 45 }),
        fc.integer({ min: 120, max: 700 }),
        fc.constantFrom(1, 3, 30, 60, DAY),
        fc.constantFrom(0, 5, 1000),
        fc.constantFrom(2, 4, 1e6),
        async (specs, segmentBytes, producerExpirationMs, deleteRetentionMs, mapKeys) => {
          const dir = path.join(tmpDir(), 'topic-0');
          await buildPartition(dir, specs, { segmentBytes, indexIntervalBytes: 80, epochEvery: 6 });
          const now = START + 100;
          const opts: CompactOptions = { now, deleteRetentionMs, producerExpirationMs, offsetMapBytes: mapKeys === 1e6 ? undefined : mapBytesFor(mapKeys) };
          const mo = { now, deleteRetentionMs, producerExpirationMs, mapKeys };
          const expected = modelCompact(modelInput(dir), mo);
          const r1 = await compact(dir, opts);
          expectModel(dir, expected);
          verifyClean(dir);
          // `after` (computed from what was written) is what a rescan finds.
          expect(r1.after).toEqual(loadPartition(dir).summary);
          const later = now + deleteRetentionMs + 1;
          const expected2 = modelCompact(modelInput(dir), { ...mo, now: later });
          const r2 = await compact(dir, { ...opts, now: later });
          expectModel(dir, expected2);
          verifyClean(dir);
          expect(r2.after).toEqual(loadPartition(dir).summary);
        },
      ),
      { numRuns: 60 },
    );
  });
});

// ------------------------------------------------------------------------------------ crash safety

/**
 * Crash loops copy partitions many times: use a memory file system when there is one. Every
 * scratch root is removed after the file's tests (memory on /dev/shm is shared with the host),
 * also when a test fails half-way through a loop.
 */
const scratchRoots = new Set<string>();
afterAll(() => {
  for (const r of scratchRoots) fs.rmSync(r, { recursive: true, force: true });
  scratchRoots.clear();
});

function scratchRoot(): string {
  const root = fs.existsSync('/dev/shm') ? fs.mkdtempSync('/dev/shm/kseg-compact-') : tmpDir();
  scratchRoots.add(root);
  return root;
}

function scratchCopy(src: string): string {
  const dst = path.join(scratchRoot(), 'topic-0');
  fs.cpSync(src, dst, { recursive: true });
  return dst;
}

function scratchDir(): string {
  return path.join(scratchRoot(), 'topic-0');
}

async function crashEveryStep(
  makeDir: () => string | Promise<string>,
  run: (dir: string) => Promise<unknown>,
  acceptable?: (records: string, old: string, fresh: string) => boolean,
): Promise<{ points: string[]; outcomes: Set<string> }> {
  const probe = await makeDir();
  const old = JSON.stringify(allRecords(probe));
  const log = recordFaultPoints(true);
  await run(probe);
  const labels = [...log];
  recordFaultPoints(false);
  const fresh = JSON.stringify(allRecords(probe));
  const outcomes = new Set<string>();
  for (let n = 1; n <= labels.length; n++) {
    const dir = await makeDir();
    setFaultPoint(n);
    let crashed = false;
    try {
      await run(dir);
    } catch (e) {
      if (!(e instanceof SimulatedCrash)) throw e;
      crashed = true;
    } finally {
      setFaultPoint(null);
    }
    expect(crashed, `fault point ${n} (${labels[n - 1]})`).toBe(true);
    recover(dir);
    const got = JSON.stringify(allRecords(dir));
    const which = got === fresh ? 'new' : got === old ? 'old' : acceptable?.(got, old, fresh) ? 'between' : 'neither';
    expect(which, `crash at ${n}: ${labels[n - 1]}`).not.toBe('neither');
    outcomes.add(which);
    expect(fs.readdirSync(dir).filter((f) => /\.(cleaned|swap|deleted)$/.test(f))).toEqual([]);
    verifyClean(dir);
    fs.rmSync(path.dirname(dir), { recursive: true, force: true });
  }
  fs.rmSync(path.dirname(probe), { recursive: true, force: true });
  return { points: labels, outcomes };
}

describe('compact crash safety: a crash at every fault point, then recover, gives the old or the new partition', () => {
  it('v2-compact, one group', async () => {
    const r = await crashEveryStep(
      () => scratchCopy(fixture('v2-compact')),
      (d) => compact(d, { now: START }),
    );
    expect(r.points.some((p) => p.includes('.swap'))).toBe(true);
    expect([...r.outcomes].sort()).toEqual(['new', 'old']);
  });

  it('v2-txn in several groups (small --segment-bytes), every swap covering its old segments', async () => {
    const r = await crashEveryStep(
      () => scratchCopy(fixture('v2-txn')),
      (d) => compact(d, { now: START, segmentBytes: 12000 }),
    );
    expect(r.points.filter((p) => /^write .*\.log\.cleaned$/.test(p)).length).toBeGreaterThan(1);
  });

  it('a round whose last replaced segment loses everything keeps a covering empty batch', async () => {
    // seg 0: keyed records; seg 4: records without keys (dropped), then an offset gap, so no batch
    // ends at the first uncleanable offset 10 (the active segment's base).
    const specs: Spec[] = [
      {
        kind: 'data',
        records: [
          { key: 'a', value: '1' },
          { key: 'b', value: '2' },
        ],
        producerId: -1,
        transactional: false,
      },
      {
        kind: 'data',
        records: [
          { key: 'a', value: '3' },
          { key: 'b', value: '4' },
        ],
        producerId: -1,
        transactional: false,
      },
      { kind: 'roll' },
      {
        kind: 'data',
        records: [
          { key: null, value: 'x' },
          { key: null, value: 'y' },
        ],
        producerId: -1,
        transactional: false,
      },
      { kind: 'data', records: [{ key: null, value: 'z' }], producerId: -1, transactional: false },
      { kind: 'skip', offsets: 3 },
      { kind: 'roll' },
      { kind: 'data', records: [{ key: 'c', value: 'last' }], producerId: -1, transactional: false },
    ];
    const make = async () => {
      const d = scratchDir();
      await buildPartition(d, specs, { segmentBytes: 1 << 20 });
      return d;
    };
    const dir = await make();
    expect(scanPartitionDir(dir).segments.map((s) => s.baseOffset)).toEqual([0, 4, 10]);
    const expected = modelCompact(modelInput(dir), { now: START, deleteRetentionMs: DAY, mapKeys: 1e9, producerExpirationMs: DAY });
    const r = await compact(dir, { now: START });
    expect(r.rounds[0]!.coverBatch).toMatchObject({ file: '00000000000000000004.log', lastOffset: 6, bytes: 61 });
    expectModel(dir, expected);
    const batches = readPartition(dir).segments[0]!.batches;
    expect(batches[batches.length - 1]).toMatchObject({ baseOffset: 6, lastOffset: 6, count: 0 });
    verifyClean(dir);
    await crashEveryStep(make, (d) => compact(d, { now: START }));
  });

  it('several rounds (the map fills): each round is atomic', async () => {
    const specs: Spec[] = [];
    const keys = 'abcdefghij'.split('');
    for (let i = 0; i < 30; i++) {
      specs.push({
        kind: 'data',
        records: [
          { key: keys[i % 10]!, value: `v${i}` },
          { key: keys[(i * 3) % 10]!, value: i % 7 === 0 ? null : `w${i}` },
        ],
        producerId: -1,
        transactional: false,
      });
      if (i % 6 === 5) specs.push({ kind: 'roll' });
    }
    const make = async () => {
      const d = scratchDir();
      await buildPartition(d, specs, { segmentBytes: 1 << 20 });
      return d;
    };
    const opts: CompactOptions = { now: START, offsetMapBytes: mapBytesFor(4) };
    const dir = await make();
    const expected = modelCompact(modelInput(dir), { now: START, deleteRetentionMs: DAY, mapKeys: 4, producerExpirationMs: DAY });
    const res = await compact(dir, opts);
    expect(res.rounds.length).toBeGreaterThan(1);
    expectModel(dir, expected);
    expect(res.after).toEqual(loadPartition(dir).summary);
    // Intermediate states are the results of the completed rounds: accept any record list the
    // model produces after k rounds.
    const roundStates = new Set<string>();
    const d0 = await make();
    for (let k = 1; k <= res.rounds.length; k++) {
      const partial = modelCompact(modelInput(d0), { now: START, deleteRetentionMs: DAY, mapKeys: 4, producerExpirationMs: DAY }, k);
      roundStates.add(JSON.stringify(partial.flatMap((s) => s.batches.flatMap((b) => b.records))));
    }
    await crashEveryStep(
      make,
      (d) => compact(d, opts),
      (got) => roundStates.has(got),
    );
  });
});
