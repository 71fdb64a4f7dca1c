import fc from 'fast-check';
import { encodeV2Batch } from '../src/format/encode.js';

/**
 * Random v2 batches for the byte writers' property tests (ndjson-writer, kafka-text-writer): field
 * values at the edges the writers change method at (2^31, 2^32, 2^53, negative longs), every codec,
 * optional damage of an uncompressed batch's records or count. `bytes`: the test's own key, value
 * and header bytes (each writer stresses its own escapes).
 */
export function v2BatchArb(bytes: fc.Arbitrary<Buffer>) {
  const nullable = fc.option(bytes, { freq: 6 });
  const recordArb = fc.record({
    offsetDelta: fc.nat(5),
    tsDelta: fc.oneof(fc.integer({ min: -1000, max: 1000 }), fc.constantFrom(2 ** 27, -(2 ** 27), 2 ** 40, -(2 ** 45))),
    key: nullable,
    value: nullable,
    headers: fc.array(fc.record({ key: bytes, value: nullable }), { maxLength: 3 }),
  });
  return fc.record({
    baseOffset: fc.oneof(fc.nat(1e6), fc.constantFrom(2 ** 31 - 2, 2 ** 32 + 5, 2 ** 53 - 3, 2 ** 53 + 8, 2 ** 60)),
    baseTimestamp: fc.oneof(fc.constantFrom(1700000000000, -1, 0, 2 ** 53 - 10, -(2 ** 40)), fc.integer()),
    baseSequence: fc.constantFrom(-1, 0, 17, 2 ** 31 - 3),
    producerId: fc.constantFrom(-1, 7, 2 ** 40, 2 ** 53 + 2, -(2 ** 60)),
    producerEpoch: fc.constantFrom(-1, 0, 32767, -32768),
    partitionLeaderEpoch: fc.constantFrom(-1, 0, 2 ** 31 - 1, -(2 ** 31)),
    isTransactional: fc.boolean(),
    deleteHorizonMs: fc.option(fc.constantFrom(0, 1700000000000, 2 ** 53 + 4, -5), { freq: 3 }),
    compression: fc.constantFrom('none', 'none', 'none', 'gzip', 'lz4', 'snappy', 'zstd') as fc.Arbitrary<'none' | 'gzip' | 'lz4' | 'snappy' | 'zstd'>,
    timestampType: fc.constantFrom('CreateTime', 'LogAppendTime') as fc.Arbitrary<'CreateTime' | 'LogAppendTime'>,
    records: fc.array(recordArb, { minLength: 1, maxLength: 6 }),
    // an offset range for the dump: [from - baseOffset, to - from]
    range: fc.option(fc.tuple(fc.nat(12), fc.nat(12)), { freq: 3 }),
    // corruption of an uncompressed batch: [position in the records area, new byte, or the count]
    damage: fc.option(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 }), fc.boolean()), { freq: 3 }),
  });
}

export type V2BatchInput = ReturnType<typeof v2BatchArb> extends fc.Arbitrary<infer T> ? T : never;

/** The batch's bytes (encode.ts), damaged as `b.damage` says. */
export async function encodeV2BatchInput(b: V2BatchInput): Promise<Buffer> {
  let off = 0;
  const records = b.records.map((r) => {
    off += r.offsetDelta;
    return { offsetDelta: off, timestamp: b.baseTimestamp + r.tsDelta, timestampDelta: r.tsDelta, key: r.key, value: r.value, headers: r.headers };
  });
  const buf = await encodeV2Batch({
    baseOffset: b.baseOffset,
    baseTimestamp: b.baseTimestamp,
    records,
    compression: b.compression,
    timestampType: b.timestampType,
    maxTimestamp: b.baseTimestamp + 5,
    baseSequence: b.baseSequence,
    producerId: b.producerId,
    producerEpoch: b.producerEpoch,
    partitionLeaderEpoch: b.partitionLeaderEpoch,
    isTransactional: b.isTransactional,
    deleteHorizonMs: b.deleteHorizonMs,
  });
  if (b.damage && b.compression === 'none') {
    const [at, byte, count] = b.damage;
    if (count) buf.writeInt32BE(byte - 3, 57);
    else buf[61 + (at % (buf.length - 61))] = byte;
  }
  return buf;
}
