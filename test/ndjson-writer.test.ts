import fs from 'node:fs';
import path from 'node:path';
import { Writable } from 'node:stream';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { batchRecords, decodeBatch, type Batch } from '../src/format/batch.js';
import { encodeV2Batch } from '../src/format/encode.js';
import { KsegError } from '../src/format/errors.js';
import { dump, type DumpOptions } from '../src/ops/dump.js';
import { decodeStats, type Decoders } from '../src/cli/decoders.js';
import { toJson } from '../src/cli/output.js';
import { recordNdjson } from '../src/cli/render.js';
import { JsonLinesWriter } from '../src/cli/ndjson-writer.js';
import { FIXTURES, HAVE_REAL, REAL, fixtureCases } from './helpers.js';
import { encodeV2BatchInput, v2BatchArb } from './v2-batch-arbs.js';

// The byte-level writer of `dump --ndjson` / `--json` against the string path it replaced (one
// recordNdjson string per 'record' event of ops/dump), byte for byte, errors and the invalid-UTF-8
// count included — with the WebAssembly escaper and with the JS loops.

const DECODERS: Decoders[] = [
  { key: 'utf8', value: 'utf8', header: 'utf8' },
  { key: 'base64', value: 'base64', header: 'base64' },
  { key: 'hex', value: 'hex', header: 'hex' },
  { key: 'none', value: 'utf8', header: 'none' },
  { key: 'utf8', value: 'json', header: 'hex' },
];

interface Result {
  out: string;
  errors: string[];
  invalidUtf8: number;
}

const errText = (e: KsegError): string => `${e.code} ${e.message} ${e.file} ${e.position}`;

/** The old path: record events and recordNdjson strings. */
function oracle(paths: string[], opts: DumpOptions, d: Decoders, array: boolean): Result {
  decodeStats.invalidUtf8 = 0;
  let out = '';
  let first = true;
  const errors: string[] = [];
  const line = (s: string): void => {
    out += (array ? (first ? '[' : ',') : '') + s + '\n';
    first = false;
  };
  for (const ev of dump(paths, opts)) {
    if (ev.type === 'record') line(recordNdjson(ev.record, ev.batch, d));
    else if (ev.type === 'error') errors.push(errText(ev.error));
    else if (ev.type === 'index-entry') line(toJson({ file: ev.name, offset: ev.entry.offset, position: ev.entry.position }));
  }
  if (array) out += first ? '[]\n' : ']\n';
  return { out, errors, invalidUtf8: decodeStats.invalidUtf8 };
}

function sink(): { stream: Writable; text: () => string } {
  const chunks: Buffer[] = [];
  // a stream that completes writes later (slots must not be reused before that)
  const stream = new Writable({
    highWaterMark: 1 << 16,
    write(chunk: Buffer, _enc, cb) {
      chunks.push(Buffer.from(chunk));
      setImmediate(cb);
    },
  });
  return { stream, text: () => Buffer.concat(chunks).toString('latin1') };
}

/** The new path, as commands/dump.ts drives it. */
async function writer(paths: string[], opts: DumpOptions, d: Decoders, array: boolean, wasm: boolean): Promise<Result> {
  decodeStats.invalidUtf8 = 0;
  const { stream, text } = sink();
  const w = new JsonLinesWriter(stream, d, { array, wasm });
  expect(w.usesWasm).toBe(wasm);
  const errors: string[] = [];
  for (const ev of dump(paths, { ...opts, records: false })) {
    if (ev.type === 'batch') {
      try {
        w.batch(ev.batch, opts.fromOffset, opts.toOffset);
      } catch (e) {
        if (!(e instanceof KsegError)) throw e;
        errors.push(errText(e.at({ file: ev.batch.file, position: ev.batch.position })));
      }
    } else if (ev.type === 'error') errors.push(errText(ev.error));
    else if (ev.type === 'index-entry') w.line(toJson({ file: ev.name, offset: ev.entry.offset, position: ev.entry.position }));
    if (w.full) await w.flush();
  }
  w.end();
  await w.flush();
  await new Promise<void>((resolve) => stream.end(resolve));
  return { out: text(), errors, invalidUtf8: decodeStats.invalidUtf8 };
}

const latin1 = (r: Result): Result => ({ ...r, out: Buffer.from(r.out, 'utf8').toString('latin1') });

async function same(paths: string[], opts: DumpOptions, d: Decoders, array = false): Promise<number> {
  const want = latin1(oracle(paths, opts, d, array));
  for (const wasm of [true, false]) expect(await writer(paths, opts, d, array, wasm)).toEqual(want);
  return want.out.length;
}

describe('dump --ndjson writer = the record-event string path', () => {
  it.each(fixtureCases())('fixture %s, every decoder', async (c) => {
    const dir = path.join(FIXTURES, c, 'topic-0');
    for (const d of DECODERS) await same([dir], { records: true }, d);
    await same([dir], { records: true }, DECODERS[0]!, true);
  });

  it('offset ranges and --max-bytes', async () => {
    for (const c of ['v2-headers', 'v2-txn', 'v1-snappy-logappend', 'v2-multiseg', 'v2-zstd']) {
      const dir = path.join(FIXTURES, c, 'topic-0');
      for (const opts of [{ fromOffset: 7 }, { toOffset: 12 }, { fromOffset: 33, toOffset: 41 }, { maxBytes: 3000 }, { fromOffset: 5, maxBytes: 9000 }]) {
        await same([dir], { records: true, ...opts }, DECODERS[0]!);
        await same([dir], { records: true, ...opts }, DECODERS[2]!, true);
      }
    }
  });

  it('index lines go through the same buffer', async () => {
    const dir = path.join(FIXTURES, 'v2-multiseg', 'topic-0');
    expect(await same([dir], { records: true, parts: ['log', 'index'] }, DECODERS[0]!)).toBeGreaterThan(100);
  });

  it.skipIf(!HAVE_REAL)('real broker and client data (../shared/real)', async () => {
    const logs: string[] = [];
    const walk = (p: string): void => {
      for (const e of fs.readdirSync(p, { withFileTypes: true })) {
        if (e.isDirectory() && e.name !== 'expected') walk(path.join(p, e.name));
        else if (e.name.endsWith('.log')) logs.push(path.join(p, e.name));
      }
    };
    walk(REAL);
    expect(logs.length).toBeGreaterThan(10);
    for (const log of logs) {
      await same([log], { records: true }, DECODERS[0]!);
      await same([log], { records: true }, DECODERS[1]!);
    }
  });
});

// ---------------------------------------------------------------- random records

/** Bytes that stress the escaper: quotes, backslashes, controls, UTF-8 lead/continuation edges. */
const special = fc.constantFrom(
  0x22,
  0x5c,
  0,
  1,
  8,
  9,
  10,
  11,
  12,
  13,
  0x1f,
  0x20,
  0x7e,
  0x7f,
  0x80,
  0x8f,
  0x90,
  0x9f,
  0xa0,
  0xbf,
  0xc0,
  0xc1,
  0xc2,
  0xdf,
  0xe0,
  0xed,
  0xef,
  0xf0,
  0xf4,
  0xf5,
  0xff,
);
const bytesArb = fc.oneof(
  fc.array(fc.oneof(special, fc.integer({ min: 0x20, max: 0x7e }), fc.integer({ min: 0, max: 255 })), { maxLength: 70 }).map((a) => Buffer.from(a)),
  fc.string({ unit: 'grapheme', maxLength: 40 }).map((s) => Buffer.from(s, 'utf8')),
  fc
    .tuple(fc.string({ unit: 'grapheme-ascii', maxLength: 40 }), fc.string({ unit: 'grapheme', maxLength: 3 }), fc.nat(40))
    .map(([a, b, n]) => Buffer.from(a.slice(0, n) + b + a.slice(n), 'utf8')),
);
const batchArb = v2BatchArb(bytesArb);
const encode = encodeV2BatchInput;

function oracleBatch(b: Batch, d: Decoders): Result {
  decodeStats.invalidUtf8 = 0;
  let out = '';
  const errors: string[] = [];
  try {
    for (const r of batchRecords(b)) out += recordNdjson(r, b, d) + '\n';
  } catch (e) {
    if (!(e instanceof KsegError)) throw e;
    errors.push(errText(e));
  }
  return latin1({ out, errors, invalidUtf8: decodeStats.invalidUtf8 });
}

async function writerBatch(b: Batch, d: Decoders, wasm: boolean): Promise<Result> {
  decodeStats.invalidUtf8 = 0;
  const { stream, text } = sink();
  const w = new JsonLinesWriter(stream, d, { wasm });
  const errors: string[] = [];
  try {
    w.batch(b);
  } catch (e) {
    if (!(e instanceof KsegError)) throw e;
    errors.push(errText(e));
  }
  await w.flush();
  await new Promise<void>((resolve) => stream.end(resolve));
  return { out: text(), errors, invalidUtf8: decodeStats.invalidUtf8 };
}

describe('random batches: writer = recordNdjson per record', () => {
  it('every decoder, wasm and JS, damaged batches included', async () => {
    await fc.assert(
      fc.asyncProperty(batchArb, fc.constantFrom(...DECODERS.slice(0, 4)), async (input, d) => {
        const buf = await encode(input);
        const b = decodeBatch(buf, 0, buf.length, 4096, '00000000000000000000.log');
        const want = oracleBatch(b, d);
        expect(await writerBatch(b, d, true)).toEqual(want);
        expect(await writerBatch(b, d, false)).toEqual(want);
      }),
      { numRuns: 400 },
    );
  });

  it('long values: SIMD blocks, lines larger than an output buffer, many batches in flight', async () => {
    const big = Buffer.alloc(3 << 20, 'a');
    for (let i = 0; i < big.length; i += 997) big[i] = i % 3 === 0 ? 0x22 : i % 3 === 1 ? 0x0a : 0xc3;
    for (let i = 1; i < big.length; i += 997) if (big[i - 1] === 0xc3) big[i] = 0xa9;
    const values = [
      big,
      big.subarray(0, 100_003),
      Buffer.from('é'.repeat(5000)),
      Buffer.concat([Buffer.alloc(31, 'x'), Buffer.from([0xed, 0xa0, 0x80])]),
      big.subarray(7, 1_500_000),
    ]; // > 4 MiB in all: too large to stage in wasm memory
    for (const compression of ['none', 'lz4'] as const) {
      const buf = await encodeV2Batch({
        baseOffset: 10,
        records: values.map((v, i) => ({ offsetDelta: i, timestamp: 1700000000000 + i, key: `k${i}`, value: v, headers: [{ key: 'h', value: v.subarray(0, 40) }] })),
        compression,
      });
      const b = decodeBatch(buf, 0, buf.length, 0, 'x.log');
      for (const d of DECODERS.slice(0, 3)) {
        const want = oracleBatch(b, d);
        expect(await writerBatch(b, d, true)).toEqual(want);
        expect(await writerBatch(b, d, false)).toEqual(want);
      }
    }
  });
});

describe('UTF-8 edges', () => {
  it('every lead byte x every second byte x continuation choices, at every SIMD alignment', async () => {
    const values: Buffer[] = [];
    for (let lead = 0x70; lead < 0x100; lead++) {
      for (let second = 0; second < 0x100; second++) {
        for (const rest of [0x80, 0xbf, 0x7f]) {
          const pad = values.length % 91; // across the 16- and 64-byte turns of the escaper
          values.push(Buffer.from([...Buffer.alloc(pad, 0x61), lead, second, rest, rest, 0x62]));
        }
      }
    }
    for (let i = 0; i < values.length; i += 4000) {
      const buf = await encodeV2Batch({ baseOffset: i, records: values.slice(i, i + 4000).map((v, j) => ({ offsetDelta: j, timestamp: 1, key: null, value: v })) });
      const b = decodeBatch(buf, 0, buf.length, 0, 'x.log');
      const want = oracleBatch(b, DECODERS[0]!);
      expect(await writerBatch(b, DECODERS[0]!, true)).toEqual(want);
      expect(await writerBatch(b, DECODERS[0]!, false)).toEqual(want);
    }
  });
});
