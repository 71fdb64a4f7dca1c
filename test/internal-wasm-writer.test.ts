import { Writable } from 'node:stream';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decodeBatch } from '../src/format/batch.js';
import { encodeV2BatchSync } from '../src/format/encode.js';
import { CorruptDataError } from '../src/format/errors.js';
import { decodeInternalRecordForJson, decodedPartJson, type InternalDecoder } from '../src/format/kafka-messages/index.js';
import { decodedRecordWriter } from '../src/format/kafka-messages/json-writer.js';
import { JsonLinesWriter, type DecodedTail } from '../src/cli/ndjson-writer.js';
import { damaged, internalRecordArb } from './internal-arbs.js';

/**
 * The decoded member of internal-topic records written in WebAssembly (json-escape.wat's `drec`,
 * run by JsonLinesWriter.decodedBatch on staged records) against the object path
 * (decodeInternalRecordForJson + decodedPartJson: what Kafka's generated JsonConverter prints), over
 * records of every coordinator and metadata type and version built with our encoder (tagged fields
 * present and absent, nulls, arrays, non-ASCII text), then with bytes flipped and cut. The wasm
 * writer writes a record or leaves it (-1) to the JS writer, which writes it or leaves it to the
 * object path: every line must be the object path's text, and most records must be written by the
 * wasm writer (the counter would stay 0 if `drec` gave up on everything).
 */

const sink = (): { stream: Writable; text: () => string } => {
  const chunks: Buffer[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _enc, cb) {
      chunks.push(Buffer.from(chunk));
      setImmediate(cb);
    },
  });
  return { stream, text: () => Buffer.concat(chunks).toString('utf8') };
};

/** The object path's `decoded` member, or null when the record does not decode or has an unknown part. */
function oracle(d: InternalDecoder, key: Buffer | null, value: Buffer | null): string | null {
  try {
    const x = decodeInternalRecordForJson(d, key, value);
    if ([x.key, x.value].some((p) => p !== null && 'unknown' in p)) return null;
    return `,"decoded":{"key":${decodedPartJson(x.key)},"value":${decodedPartJson(x.value)}}`;
  } catch (err) {
    expect(err).toBeInstanceOf(CorruptDataError);
    return null;
  }
}

/** dump.ts's tail without its notes: the JS writer, else the object path's text; -1 when that has none. */
function tailFor(d: InternalDecoder): DecodedTail {
  const write = decodedRecordWriter(d);
  return (src, ks, ke, vs, ve, _offset, dst, at, cap) => {
    const e = write(src, ks, ke, vs, ve, dst, at, cap);
    if (e >= 0) return e;
    const t = oracle(d, ks < 0 ? null : Buffer.from(src.subarray(ks, ke)), vs < 0 ? null : Buffer.from(src.subarray(vs, ve)));
    if (t === null || at + 3 * t.length > cap) return -1;
    return at + dst.write(t, at, 'utf8');
  };
}

type Rec = readonly [Buffer | null, Buffer | null];

/** The `decoded` members of a batch of records as the wasm writer path writes them (null: left by decodedBatch). */
async function written(d: InternalDecoder, recs: Rec[], wasm: boolean): Promise<{ members: (string | null)[]; byWasm: number }> {
  const buf = encodeV2BatchSync({ baseOffset: 0, records: recs.map(([key, value], i) => ({ offset: i, timestamp: 1000 + i, key, value })) });
  const b = decodeBatch(buf, 0, buf.length, 0, '00000000000000000000.log');
  const { stream, text } = sink();
  const w = new JsonLinesWriter(stream, { key: 'base64', value: 'base64', header: 'base64' }, { wasm });
  expect(w.usesWasm).toBe(wasm);
  const members: (string | null)[] = new Array(recs.length).fill(null);
  const written = new Set<number>();
  // as dump.ts drives it: after a stop, the output is flushed; a record left twice in a row does not
  // decode (dump writes it on the object path), one left once had no room (written after the flush)
  let start = 0;
  let again = false;
  for (;;) {
    const stop = w.decodedBatch(b, undefined, undefined, start, tailFor(d), undefined, d);
    for (let i = start; i < (stop < 0 ? recs.length : stop); i++) written.add(i);
    if (stop < 0) break;
    await w.flush();
    if (stop === start && again) {
      start = stop + 1;
      again = false;
    } else {
      again = true;
      start = stop;
    }
  }
  await w.flush();
  await new Promise<void>((resolve) => stream.end(resolve));
  const lines = text()
    .split('\n')
    .filter((l) => l !== '');
  expect(lines.length).toBe(written.size);
  const order = [...written].sort((x, y) => x - y);
  lines.forEach((l, j) => {
    const o = JSON.parse(l);
    expect(o.offset).toBe(order[j]);
    const at = l.indexOf(',"decoded":');
    expect(at).toBeGreaterThan(0);
    members[order[j]!] = l.slice(at, -1);
  });
  return { members, byWasm: w.decodedByWasm };
}

const mutated = fc.tuple(
  internalRecordArb(),
  fc.array(fc.tuple(fc.boolean(), fc.nat(), fc.integer({ min: 0, max: 255 })), { maxLength: 2 }),
  fc.option(fc.tuple(fc.boolean(), fc.nat()), { freq: 4 }),
);

describe('internal topics: the wasm decoded writer (json-escape.wat drec) = the object path (JsonConverter text)', () => {
  let byWasm = 0;
  let total = 0;
  it('batches of encoded records of every type and version, intact, mutated and cut', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(mutated, { minLength: 1, maxLength: 12 }), fc.boolean(), async (items, damage) => {
        const d = items[0]![0][0];
        const recs: Rec[] = items.filter(([[dec]]) => dec === d).map(([[, key0, value0], flips, cut]) => (damage ? damaged(key0, value0, flips, cut) : ([key0, value0] as const)));
        const got = await written(d, recs, true);
        const js = await written(d, recs, false);
        expect(js.byWasm).toBe(0);
        expect(got.members).toEqual(js.members);
        recs.forEach(([k, v], i) => {
          const want = oracle(d, k, v);
          // a record the object path cannot write is left by decodedBatch (dump writes its error there)
          if (want !== null) expect(got.members[i]).toBe(want);
        });
        byWasm += got.byWasm;
        total += recs.length;
      }),
      { numRuns: 400 },
    );
    // intact records are most of them, and the wasm writer takes nearly all of those
    expect(byWasm).toBeGreaterThan(total * 0.4);
  }, 120_000);

  it('a record whose text does not fit the rest of the output buffer is written whole in the next one', async () => {
    const [[d, key, value]] = fc.sample(
      internalRecordArb().filter(([dec, k, v]) => dec === 'offsets' && k !== null && v !== null && oracle(dec, k, v) !== null),
      { numRuns: 1, seed: 7 },
    );
    const recs: Rec[] = Array.from({ length: 3_000 }, () => [key, value] as const);
    const got = await written(d, recs, true);
    const want = oracle(d, key, value);
    expect(got.members.every((m) => m === want)).toBe(true);
    expect(got.byWasm).toBe(3_000);
  }, 60_000);
});
