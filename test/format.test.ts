import zlib from 'node:zlib';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { readVarint, readVarlong, writeVarint, writeVarlong, sizeOfVarint, sizeOfVarlong } from '../src/format/varint.js';
import { crc32, crc32c } from '../src/format/crc.js';
import { decompress, lz4Compress, lz4Decompress, snappyCompress, snappyDecompress, isXerial, zstdCompress } from '../src/format/codecs.js';
import { batchRecordList, decodeBatch, frameEntry } from '../src/format/batch.js';
import { encodeV2Batch, encodeV2BatchSync, encodeLegacyWrapper, encodeLegacyMessage } from '../src/format/encode.js';
import { KsegError } from '../src/format/errors.js';
import { parseProducerSnapshot } from '../src/format/snapshot.js';
import { parseCheckpoint, parseLeaderEpochCheckpoint, parsePartitionMetadata } from '../src/format/checkpoints.js';
import { decodeControlRecord } from '../src/format/control.js';

const hex = (s: string) => Buffer.from(s, 'hex');
const decodeAll = (b: Buffer) => batchRecordList(decodeBatch(b, 0, b.length, 0, 'x.log'));

describe('varints (format doc 1.5)', () => {
  it('matches the reference examples', () => {
    const cases: [number, string][] = [
      [0, '00'],
      [-1, '01'],
      [1, '02'],
      [5, '0a'],
      [11, '16'],
      [-64, '7f'],
      [64, '8001'],
      [2147483647, 'feffffff0f'],
      [-2147483648, 'ffffffff0f'],
    ];
    for (const [v, h] of cases) {
      const b = Buffer.alloc(5);
      const n = writeVarint(b, 0, v);
      expect(b.subarray(0, n).toString('hex')).toBe(h);
      expect(readVarint(hex(h), { pos: 0 }, h.length / 2)).toBe(v);
      expect(sizeOfVarint(v)).toBe(h.length / 2);
    }
  });
  it('round-trips varlongs including beyond 2^53', () => {
    fc.assert(
      fc.property(fc.oneof(fc.integer(), fc.maxSafeInteger(), fc.constant(-1700000000000), fc.constant(1700000000000)), (v) => {
        const b = Buffer.alloc(10);
        const n = writeVarlong(b, 0, v);
        expect(n).toBe(sizeOfVarlong(v));
        const cur = { pos: 0 };
        expect(readVarlong(b, cur, n)).toBe(v);
        expect(cur.pos).toBe(n);
      }),
    );
  });
  it('rejects over-long and truncated varints', () => {
    expect(() => readVarint(hex('ffffffffff01'), { pos: 0 }, 6)).toThrow(KsegError);
    expect(() => readVarint(hex('80'), { pos: 0 }, 1)).toThrow(/past the end/);
    expect(() => readVarlong(hex('ffffffffffffffffffff01'), { pos: 0 }, 11)).toThrow(/longer than 10/);
  });
});

describe('checksums (format doc 1.7)', () => {
  it('CRC-32C and CRC-32 check values', () => {
    expect(crc32c(Buffer.from('123456789'))).toBe(0xe3069283);
    expect(crc32(Buffer.from('123456789'))).toBe(0xcbf43926);
    expect(crc32c(Buffer.from('xx123456789yy'), 2, 11)).toBe(0xe3069283);
  });
});

describe('codecs (format doc 2)', () => {
  const data = Buffer.from('kafka '.repeat(20000));
  it('snappy: xerial framing with 32 KiB blocks and raw blocks both decode', () => {
    const x = snappyCompress(data, true);
    expect(isXerial(x)).toBe(true);
    expect(x.subarray(0, 16).toString('hex')).toBe('82534e41505059000000000100000001');
    expect(snappyDecompress(x)).toEqual(data);
    const raw = snappyCompress(data, false);
    expect(isXerial(raw)).toBe(false);
    expect(snappyDecompress(raw)).toEqual(data);
  });
  it('snappy: xerial version fields are not checked (Redpanda writes them little-endian)', () => {
    const x = snappyCompress(data, true);
    x.writeUInt32LE(1, 8);
    x.writeUInt32LE(1, 12);
    expect(snappyDecompress(x)).toEqual(data);
  });
  it('snappy: truncated xerial block and empty payload are errors', () => {
    const x = snappyCompress(data, true);
    expect(() => snappyDecompress(x.subarray(0, x.length - 3))).toThrow(/xerial/);
    expect(() => snappyDecompress(Buffer.alloc(0))).toThrow(/empty/);
  });
  it('lz4: Java framing header 04 22 4D 18 60 40 82, several 64 KiB blocks', () => {
    const f = lz4Compress(data, 2);
    expect(f.subarray(0, 7).toString('hex')).toBe('04224d18604082');
    expect(lz4Decompress(f, 2)).toEqual(data);
  });
  it('lz4: magic 0 writes the old broken header checksum (0x1A) and reading it ignores HC', () => {
    const f = lz4Compress(data, 0);
    expect(f[6]).toBe(0x1a);
    expect(lz4Decompress(f, 0)).toEqual(data);
    expect(() => lz4Decompress(f, 1)).toThrow(/descriptor corrupted/);
  });
  it('lz4: Kafka reader restrictions', () => {
    const f = lz4Compress(data, 1);
    const dep = Buffer.from(f);
    dep[4] = 0x40; // block independence off
    expect(() => lz4Decompress(dep, 0)).toThrow(/Dependent block/);
    const bd = Buffer.from(f);
    bd[5] = 0x30; // block size code 3
    expect(() => lz4Decompress(bd, 0)).toThrow(/block size code/);
    expect(() => lz4Decompress(f.subarray(0, f.length - 4), 1)).toThrow(/prematurely/);
  });
  it('zstd and gzip round trips; zstd refused for v0/v1; unknown codec id', async () => {
    const z = await zstdCompress(data);
    expect(decompress(4, z, 2)).toEqual(data);
    expect(() => decompress(4, z, 1)).toThrow(/zstd is not allowed/);
    expect(decompress(1, zlib.gzipSync(data), 2)).toEqual(data);
    expect(() => decompress(1, Buffer.from('nope'), 2)).toThrow(KsegError);
    expect(() => decompress(5, data, 2)).toThrow(/Unknown compression type id: 5/);
  });
});

describe('file framing (format doc 1.1)', () => {
  const b = Buffer.alloc(17);
  it('17 or fewer bytes left is the end of data', () => {
    expect(frameEntry(b, 0, 0, 17).kind).toBe('short-tail');
    expect(frameEntry(b, 0, 83, 100).kind).toBe('short-tail');
  });
  it('size < 14 is corrupt (a zero tail reads as size 0)', () => {
    expect(frameEntry(b, 0, 0, 100)).toEqual({ kind: 'corrupt-size', sizeField: 0 });
    b.writeInt32BE(13, 8);
    expect(frameEntry(b, 0, 0, 100)).toEqual({ kind: 'corrupt-size', sizeField: 13 });
    b.writeInt32BE(-5, 8);
    expect(frameEntry(b, 0, 0, 100).kind).toBe('corrupt-size');
  });
  it('an entry past the end is a partial batch; huge sizes never allocate', () => {
    b.writeInt32BE(0x7fffffff, 8);
    expect(frameEntry(b, 0, 0, 100)).toEqual({ kind: 'partial', size: 12 + 0x7fffffff, trailing: 100 });
    b.writeInt32BE(88, 8);
    expect(frameEntry(b, 0, 0, 100)).toEqual({ kind: 'entry', size: 100 });
  });
});

describe('record batches', () => {
  const ts = 1700000000000;
  it('decodes the reference v2 vector with headers and a tombstone', () => {
    const b = hex(
      '0000000000000064000000490000000302f1759baf0000000000010000018bcfe568000000018bcfe56805ffffffffffffffffffffffffffff000000021c000000046b31047631020268027810000a02046b320100',
    );
    const batch = decodeBatch(b, 0, b.length, 0);
    expect(batch).toMatchObject({ baseOffset: 100, lastOffset: 101, partitionLeaderEpoch: 3, crc: 4051016623, crcValid: true, recordCount: 2, maxTimestamp: ts + 5 });
    const recs = batchRecordList(batch);
    expect(recs.map((r) => [r.offset, r.timestamp, r.key?.toString(), r.value?.toString() ?? null])).toEqual([
      [100, ts, 'k1', 'v1'],
      [101, ts + 5, 'k2', null],
    ]);
    expect(recs[0]!.headers.map((h) => [h.key.toString(), h.value?.toString()])).toEqual([['h', 'x']]);
  });
  it('reports a CRC mismatch without throwing; the partition leader epoch is not covered', () => {
    const b = encodeV2BatchSync({ baseOffset: 0, records: [{ timestamp: ts, key: 'a', value: 'b' }] });
    b.writeInt32BE(99, 12);
    expect(decodeBatch(b, 0, b.length, 0).crcValid).toBe(true);
    b[b.length - 2] ^= 0xff;
    const batch = decodeBatch(b, 0, b.length, 0);
    expect(batch.crcValid).toBe(false);
    expect(batch.computedCrc).not.toBe(batch.crc);
  });
  it('negative timestamp deltas (delete horizon) decode to absolute timestamps', () => {
    const b = encodeV2BatchSync({
      baseOffset: 7,
      deleteHorizonMs: ts + 86400000,
      records: [
        { offsetDelta: 0, timestamp: ts, key: 'k', value: null },
        { offsetDelta: 3, timestamp: ts + 2, key: 'j', value: 'v' },
      ],
    });
    const batch = decodeBatch(b, 0, b.length, 0);
    expect(batch.deleteHorizonMs).toBe(ts + 86400000);
    expect(batchRecordList(batch).map((r) => [r.offset, r.timestamp, r.timestampDelta])).toEqual([
      [7, ts, -86400000],
      [10, ts + 2, -86399998],
    ]);
  });
  it('LogAppendTime: every record reports the batch maxTimestamp', async () => {
    const b = await encodeV2Batch({
      baseOffset: 0,
      compression: 'gzip',
      timestampType: 'LogAppendTime',
      maxTimestamp: ts + 999,
      records: [
        { timestamp: ts, key: 'a', value: 'b' },
        { offsetDelta: 1, timestamp: ts + 1, key: 'c', value: 'd' },
      ],
    });
    expect(decodeAll(b).map((r) => [r.timestamp, r.timestampType])).toEqual([
      [ts + 999, 'LogAppendTime'],
      [ts + 999, 'LogAppendTime'],
    ]);
  });
  it('v0 wrapper inner offsets are absolute, v1 relative to the wrapper', async () => {
    const msgs = [10, 11, 12].map((o) => ({ offset: o, timestamp: ts + o, key: `k${o}`, value: `v${o}` }));
    for (const magic of [0, 1] as const) {
      const w = await encodeLegacyWrapper({ magic, compression: 'gzip', messages: msgs });
      const batch = decodeBatch(w, 0, w.length, 0);
      expect([batch.baseOffset, batch.lastOffset, batch.recordCount]).toEqual([10, 12, 3]);
      expect(batchRecordList(batch).map((r) => [r.offset, r.timestamp])).toEqual(msgs.map((m) => [m.offset, magic === 0 ? -1 : m.timestamp]));
    }
  });
  it('v1 wrapper with offset 0 (librdkafka) keeps relative inner offsets; a wrapper below its last inner offset is invalid', async () => {
    const w = await encodeLegacyWrapper({ magic: 1, compression: 'snappy', messages: [0, 1, 2].map((o) => ({ offset: o + 5, timestamp: ts, key: null, value: 'x' })) });
    w.writeUInt32BE(0, 0);
    w.writeUInt32BE(0, 4);
    expect(batchRecordList(decodeBatch(w, 0, w.length, 0)).map((r) => r.offset)).toEqual([0, 1, 2]);
    w.writeUInt32BE(1, 4);
    expect(() => decodeBatch(w, 0, w.length, 0)).toThrow(/invalid wrapper offset/);
  });
  it('v1 LogAppendTime wrapper: inner records report the wrapper timestamp', async () => {
    const w = await encodeLegacyWrapper({
      magic: 1,
      compression: 'lz4',
      timestampType: 'LogAppendTime',
      wrapperTimestamp: ts + 50,
      messages: [{ offset: 0, timestamp: ts, key: 'a', value: 'b' }],
    });
    expect(decodeAll(w).map((r) => r.timestamp)).toEqual([ts + 50]);
  });
  it('record-level errors name the batch position', () => {
    const b = encodeV2BatchSync({ baseOffset: 0, records: [{ timestamp: ts, key: 'abc', value: 'def' }] });
    b.writeInt32BE(2, 57); // recordsCount 2 but only one record
    expect(() => batchRecordList(decodeBatch(b, 0, b.length, 4096, 'x.log'))).toThrow(/premature EOF/);
    try {
      batchRecordList(decodeBatch(b, 0, b.length, 4096, 'x.log'));
    } catch (e) {
      expect((e as KsegError).file).toBe('x.log');
      expect((e as KsegError).position).toBe(4096);
    }
    b.writeInt32BE(-1, 57);
    expect(() => batchRecordList(decodeBatch(b, 0, b.length, 0))).toThrow(/invalid record count -1/);
  });
  it('an uncompressed legacy message round-trips with its CRC', () => {
    const m = encodeLegacyMessage({ offset: 3, magic: 1, timestamp: ts, key: 'k', value: 'v' });
    const batch = decodeBatch(m, 0, m.length, 0);
    expect(batch.crcValid).toBe(true);
    expect(decodeAll(m).map((r) => [r.offset, r.key?.toString(), r.crcValid])).toEqual([[3, 'k', true]]);
  });

  it('property: encode -> decode round-trips random v2 batches for every codec', async () => {
    const header = fc.record({ key: fc.string({ maxLength: 8 }), value: fc.option(fc.uint8Array({ maxLength: 16 }), { nil: null }) });
    const rec = fc.record({
      key: fc.option(fc.uint8Array({ maxLength: 24 }), { nil: null }),
      value: fc.option(fc.uint8Array({ maxLength: 200 }), { nil: null }),
      ts: fc.integer({ min: -5000, max: 5000 }),
      headers: fc.array(header, { maxLength: 3 }),
    });
    await fc.assert(
      fc.asyncProperty(
        fc.array(rec, { minLength: 1, maxLength: 20 }),
        fc.constantFrom('none', 'gzip', 'snappy', 'snappy-xerial', 'lz4', 'zstd'),
        fc.nat({ max: 2 ** 40 }),
        async (recs, codec, base) => {
          const input = recs.map((r, i) => ({
            offsetDelta: i,
            timestamp: ts + r.ts,
            key: r.key && Buffer.from(r.key),
            value: r.value && Buffer.from(r.value),
            headers: r.headers.map((h) => ({ key: h.key, value: h.value && Buffer.from(h.value) })),
          }));
          const b = await encodeV2Batch({ baseOffset: base, compression: codec as any, records: input });
          const batch = decodeBatch(b, 0, b.length, 0);
          expect(batch.crcValid).toBe(true);
          const out = batchRecordList(batch);
          expect(
            out.map((r) => ({
              o: r.offset,
              t: r.timestamp,
              k: r.key && [...r.key],
              v: r.value && [...r.value],
              h: r.headers.map((h) => [h.key.toString(), h.value && [...h.value]]),
            })),
          ).toEqual(
            input.map((r, i) => ({ o: base + i, t: r.timestamp, k: r.key && [...r.key], v: r.value && [...r.value], h: r.headers.map((h) => [h.key, h.value && [...h.value]]) })),
          );
        },
      ),
      { numRuns: 60 },
    );
  });

  it('property: mutated bytes never throw anything but a KsegError', async () => {
    const seeds = [
      encodeV2BatchSync({
        baseOffset: 5,
        records: [
          { timestamp: ts, key: 'k', value: 'hello', headers: [{ key: 'h', value: 'x' }] },
          { offsetDelta: 1, timestamp: ts + 1, key: null, value: null },
        ],
      }),
      await encodeV2Batch({ baseOffset: 5, compression: 'gzip', records: [{ timestamp: ts, key: 'k', value: 'hello' }] }),
      await encodeV2Batch({ baseOffset: 5, compression: 'lz4', records: [{ timestamp: ts, key: 'k', value: 'hello' }] }),
      await encodeV2Batch({ baseOffset: 5, compression: 'snappy-xerial', records: [{ timestamp: ts, key: 'k', value: 'hello' }] }),
      await encodeV2Batch({ baseOffset: 5, compression: 'zstd', records: [{ timestamp: ts, key: 'k', value: 'hello' }] }),
      await encodeLegacyWrapper({ magic: 1, compression: 'gzip', messages: [{ offset: 1, timestamp: ts, key: 'a', value: 'b' }] }),
      encodeLegacyMessage({ offset: 1, magic: 0, key: 'a', value: 'b' }),
    ];
    fc.assert(
      fc.property(fc.constantFrom(...seeds), fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 6 }), (seed, muts) => {
        const b = Buffer.from(seed);
        for (const [i, v] of muts) b[17 + (i % (b.length - 17))] = v;
        try {
          const batch = decodeBatch(b, 0, b.length, 0, 'm.log');
          batchRecordList(batch);
        } catch (e) {
          if (!(e instanceof KsegError)) throw e;
        }
      }),
      { numRuns: 2000 },
    );
  });
});

describe('control records (format doc 1.6)', () => {
  it('COMMIT/ABORT, unknown types and short keys', () => {
    expect(decodeControlRecord(hex('00000001'), hex('000000000064'))).toMatchObject({ type: 'COMMIT', coordinatorEpoch: 100 });
    expect(decodeControlRecord(hex('00000000'), hex('00000000000a'))).toMatchObject({ type: 'ABORT', coordinatorEpoch: 10 });
    expect(decodeControlRecord(hex('00010001'), hex('000100000007'))).toMatchObject({ type: 'COMMIT', version: 1, coordinatorEpoch: 7 });
    expect(decodeControlRecord(hex('00000063'), null)).toMatchObject({ type: 'UNKNOWN', typeId: 99 });
    expect(decodeControlRecord(hex('0000'), null).error).toMatch(/needs 4/);
    expect(decodeControlRecord(hex('00000001'), hex('0000')).error).toMatch(/needs 6/);
  });
  it('LEADER_CHANGE is decoded', () => {
    // version 0, leaderId 1, voters [1], grantingVoters [1], no tags
    const v = hex('0000' + '00000001' + '02' + '00000001' + '00' + '02' + '00000001' + '00' + '00');
    expect(decodeControlRecord(hex('00000002'), v)).toMatchObject({ type: 'LEADER_CHANGE', data: { leaderId: 1, voters: [{ voterId: 1 }], grantingVoters: [{ voterId: 1 }] } });
  });
});

describe('side files', () => {
  it('producer snapshot byte vector (format doc 3.5)', () => {
    const s = parseProducerSnapshot(hex('0001d328f25100000001000000000000002a0007000000090000000000000013000000090000018bcfe5680000000003ffffffffffffffff'));
    expect(s.crcValid).toBe(true);
    expect(s.producers).toEqual([
      { producerId: 42, producerEpoch: 7, lastSequence: 9, lastOffset: 19, offsetDelta: 9, timestamp: 1700000000000, coordinatorEpoch: 3, currentTxnFirstOffset: -1 },
    ]);
    expect(parseProducerSnapshot(hex('000148674bc700000000')).count).toBe(0);
    expect(() => parseProducerSnapshot(Buffer.alloc(0), 'x.snapshot')).toThrow(/shorter than the 10-byte header/);
    expect(() => parseProducerSnapshot(hex('000248674bc700000000'))).toThrow(/unknown file version 2/);
    const bad = hex('0001d328f25100000001000000000000002a0007000000090000000000000013000000090000018bcfe5680000000003ffffffffffffffff');
    bad[20] ^= 1;
    expect(parseProducerSnapshot(bad).crcValid).toBe(false);
  });
  it('checkpoint files', () => {
    expect(parseLeaderEpochCheckpoint('0\n2\n0 0\n3 151\n')).toEqual([
      { epoch: 0, startOffset: 0 },
      { epoch: 3, startOffset: 151 },
    ]);
    expect(parseCheckpoint('')).toEqual({ version: 0, lines: [] });
    expect(() => parseCheckpoint('1\n0\n')).toThrow(/Unrecognised version:1/);
    expect(() => parseCheckpoint('0\n3\n0 0\n')).toThrow(/Expected \[3\] entries/);
    expect(parsePartitionMetadata('version: 0\ntopic_id: asllJ_6oRVu2OyxjIuWaAA')).toEqual({ version: 0, topicId: 'asllJ_6oRVu2OyxjIuWaAA' });
    expect(() => parsePartitionMetadata('version: 0\ntopic_id: AAAAAAAAAAAAAAAAAAAAAA')).toThrow(/all-zero/);
  });
});
