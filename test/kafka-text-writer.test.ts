import fs from 'node:fs';
import path from 'node:path';
import { Writable } from 'node:stream';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { batchRecords, decodeBatch, type Batch } from '../src/format/batch.js';
import { encodeV2Batch } from '../src/format/encode.js';
import { KsegError } from '../src/format/errors.js';
import { dump, OffsetGaps, type DumpEvent, type DumpOptions } from '../src/ops/dump.js';
import { batchPartString, kafkaBatchLine, kafkaRecordLine, type KafkaTextOptions } from '../src/cli/render.js';
import { writeBatchPart } from '../src/cli/batch-part.js';
import { KafkaTextWriter, kafkaRecordEvents, type KafkaLineOptions } from '../src/cli/kafka-text-writer.js';
import { FIXTURES, HAVE_REAL, REAL, fixtureCases } from './helpers.js';
import { encodeV2BatchInput, v2BatchArb } from './v2-batch-arbs.js';

// The byte writer of `dump --format kafka|kafka4` record lines (DumpLogSegments.dumpLog's
// printRecordMetadata + key/payload) against the string path it replaced: kafkaRecordLine per
// 'record' event of ops/dump, byte for byte, with the error events and the non-consecutive offsets
// (offset-gaps) the tool's report is built from.

interface Result {
  out: string;
  errors: string[];
  gaps: string[];
}

const errText = (e: KsegError): string => `${e.code} ${e.message} ${e.file} ${e.position}`;
const textOpts = (o: KafkaLineOptions): KafkaTextOptions => ({ printData: o.printData, legacyBrace: true });
const gapText = (ev: Extract<DumpEvent, { type: 'offset-gaps' }>): string => `${ev.name} ${ev.firstOffset} ${ev.gaps.join(',')}`;

function sink(): { stream: Writable; text: () => string } {
  const chunks: Buffer[] = [];
  // a stream that completes writes later (buffers must not be reused before that)
  const stream = new Writable({
    highWaterMark: 1 << 16,
    write(chunk: Buffer, _enc, cb) {
      chunks.push(Buffer.from(chunk));
      setImmediate(cb);
    },
  });
  return { stream, text: () => Buffer.concat(chunks).toString('utf8') };
}

/** The old path: record events of ops/dump (records: true, offsetGaps) and kafkaRecordLine strings. */
function oracle(paths: string[], opts: DumpOptions, o: KafkaLineOptions): Result {
  const r: Result = { out: '', errors: [], gaps: [] };
  for (const ev of dump(paths, { ...opts, records: true, offsetGaps: true })) {
    if (ev.type === 'batch') r.out += kafkaBatchLine(ev.batch) + '\n';
    else if (ev.type === 'record') r.out += kafkaRecordLine(ev.record, ev.batch, textOpts(o)) + '\n';
    else if (ev.type === 'error') r.errors.push(errText(ev.error));
    else if (ev.type === 'offset-gaps') r.gaps.push(gapText(ev));
  }
  return r;
}

/** The new path, as commands/dump.ts drives it; `events` counts the record events (the lines the writer left). */
async function writer(paths: string[], opts: DumpOptions, o: KafkaLineOptions, events?: { records: number }): Promise<Result> {
  const { stream, text } = sink();
  const w = new KafkaTextWriter(stream);
  const r: Result = { out: '', errors: [], gaps: [] };
  for (const ev of kafkaRecordEvents(dump(paths, { ...opts, records: false, offsetGaps: true }), w, opts.fromOffset, opts.toOffset, o)) {
    if (ev.type === 'batch') w.batchLine(ev.batch);
    else if (ev.type === 'record') {
      if (events) events.records++;
      w.line(kafkaRecordLine(ev.record, ev.batch, textOpts(o)));
    } else if (ev.type === 'error') r.errors.push(errText(ev.error));
    else if (ev.type === 'offset-gaps') r.gaps.push(gapText(ev));
    if (w.full) await w.flush();
  }
  await w.flush();
  await new Promise<void>((resolve) => stream.end(resolve));
  r.out = text();
  return r;
}

async function same(paths: string[], opts: DumpOptions, o: KafkaLineOptions): Promise<string> {
  const want = oracle(paths, opts, o);
  expect(await writer(paths, opts, o)).toEqual(want);
  return want.out;
}

const BOTH: KafkaLineOptions[] = [{ printData: false }, { printData: true }];

describe('dump --format kafka record lines: the byte writer = kafkaRecordLine per record event', () => {
  it.each(fixtureCases())('fixture %s', async (c) => {
    const dir = path.join(FIXTURES, c, 'topic-0');
    for (const o of BOTH) await same([dir], {}, o);
  });

  it('offset ranges and --max-bytes', async () => {
    for (const c of ['v2-headers', 'v2-txn', 'v1-snappy-logappend', 'v2-multiseg', 'v2-zstd']) {
      const dir = path.join(FIXTURES, c, 'topic-0');
      for (const opts of [{ fromOffset: 7 }, { toOffset: 12 }, { fromOffset: 33, toOffset: 41 }, { maxBytes: 3000 }, { fromOffset: 5, maxBytes: 9000 }]) {
        for (const o of BOTH) await same([dir], opts, o);
      }
    }
  });

  it('writes plain v2 batches itself (the record events are left for the rest)', async () => {
    const events = { records: 0 };
    const dir = path.join(FIXTURES, 'v2-headers', 'topic-0');
    expect(await writer([dir], {}, BOTH[1]!, events)).toEqual(oracle([dir], {}, BOTH[1]!));
    expect(events.records).toBe(0);
    const legacy = { records: 0 };
    await writer([path.join(FIXTURES, 'v1-snappy-logappend', 'topic-0')], {}, BOTH[1]!, legacy);
    expect(legacy.records).toBeGreaterThan(0);
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
    for (const log of logs) for (const o of BOTH) await same([log], { internal: 'off' }, o);
  });
});

// ---------------------------------------------------------------- random batches

/** Bytes around UTF-8's edges (what Buffer.toString('utf8') replaces) and plain text. */
const special = fc.constantFrom(0, 0x0a, 0x2c, 0x5d, 0x7f, 0x80, 0xbf, 0xc0, 0xc1, 0xc2, 0xdf, 0xe0, 0xed, 0xef, 0xf0, 0xf4, 0xf5, 0xff);
const bytesArb = fc.oneof(
  fc.array(fc.oneof(special, fc.integer({ min: 0x20, max: 0x7e }), fc.integer({ min: 0, max: 255 })), { maxLength: 70 }).map((a) => Buffer.from(a)),
  fc.string({ unit: 'grapheme', maxLength: 40 }).map((s) => Buffer.from(s, 'utf8')),
  fc.array(fc.integer({ min: 0x20, max: 0x7e }), { minLength: 100, maxLength: 300 }).map((a) => Buffer.from(a)),
);
const batchArb = v2BatchArb(bytesArb);
const encode = encodeV2BatchInput;

/** The batch line, then ops/dump's record loop for the batch, rendered by kafkaRecordLine. */
function oracleBatch(b: Batch, o: KafkaLineOptions, from?: number, to?: number): Result & { fast: boolean } {
  const r = { out: kafkaBatchLine(b) + '\n', errors: [] as string[], gaps: [] as string[], fast: false };
  const g = new OffsetGaps();
  try {
    for (const rec of batchRecords(b)) {
      if (from !== undefined && rec.offset < from) continue;
      if (to !== undefined && rec.offset > to) break;
      g.add(rec.offset);
      r.out += kafkaRecordLine(rec, b, textOpts(o)) + '\n';
    }
  } catch (e) {
    if (!(e instanceof KsegError)) throw e;
    r.errors.push(errText(e));
  }
  r.gaps.push(`${g.firstOffset} ${g.prevOffset} ${g.gaps.join(',')}`);
  return r;
}

async function writerBatch(b: Batch, o: KafkaLineOptions, from?: number, to?: number): Promise<Result & { fast: boolean }> {
  const { stream, text } = sink();
  const w = new KafkaTextWriter(stream);
  const g = new OffsetGaps();
  w.batchLine(b);
  const fast = w.records(b, from, to, g, o);
  await w.flush();
  await new Promise<void>((resolve) => stream.end(resolve));
  if (!fast) {
    const want = oracleBatch(b, o, from, to);
    const line = want.out.slice(0, want.out.indexOf('\n') + 1);
    return { ...want, out: text() + want.out.slice(line.length), fast };
  }
  return { out: text(), errors: [], gaps: [`${g.firstOffset} ${g.prevOffset} ${g.gaps.join(',')}`], fast };
}

describe('random batches: writer = kafkaRecordLine per record', () => {
  it('with and without data, offset ranges, damaged batches left to the record events', async () => {
    let fastOnes = 0;
    await fc.assert(
      fc.asyncProperty(batchArb, fc.constantFrom(...BOTH), async (input, o) => {
        const buf = await encode(input);
        const b = decodeBatch(buf, 0, buf.length, 4096, '00000000000000000000.log');
        const from = input.range ? b.baseOffset + input.range[0] : undefined;
        const to = input.range ? b.baseOffset + input.range[0] + input.range[1] : undefined;
        const want = oracleBatch(b, o, from, to);
        const got = await writerBatch(b, o, from, to);
        expect({ ...got, fast: false }).toEqual(want);
        // an undamaged batch is written by the writer itself
        if (!input.damage) expect(got.fast).toBe(true);
        if (got.fast) fastOnes++;
      }),
      { numRuns: 500 },
    );
    expect(fastOnes).toBeGreaterThan(200);
  });

  it('lines larger than an output buffer, invalid UTF-8 in long values', async () => {
    const big = Buffer.alloc(3 << 20, 'a');
    for (let i = 0; i < big.length; i += 997) big[i] = i % 3 === 0 ? 0xff : i % 3 === 1 ? 0x0a : 0xc3;
    for (let i = 1; i < big.length; i += 997) if (big[i - 1] === 0xc3) big[i] = 0xa9;
    const values = [big, big.subarray(0, 100_003), Buffer.from('é'.repeat(5000)), Buffer.concat([Buffer.alloc(31, 'x'), Buffer.from([0xed, 0xa0, 0x80])])];
    for (const compression of ['none', 'lz4'] as const) {
      const buf = await encodeV2Batch({
        baseOffset: 10,
        records: values.map((v, i) => ({ offsetDelta: i, timestamp: 1700000000000 + i, key: `k${i}`, value: v, headers: [{ key: v.subarray(0, 40), value: null }] })),
        compression,
      });
      const b = decodeBatch(buf, 0, buf.length, 0, 'x.log');
      for (const o of BOTH) {
        const got = await writerBatch(b, o);
        expect(got.fast).toBe(true);
        expect(got).toEqual({ ...oracleBatch(b, o), fast: true });
      }
    }
  });
});

describe("batch-part.ts: the NDJSON record line's batch part as bytes = batchPartString", () => {
  it('random batches and file names; longs beyond 2^53 and no room left to the string', async () => {
    const files = fc.constantFrom<string | undefined>(undefined, '00000000000000000000.log', 'a "quoted"\\ name\n.log', 'tópico-ü/日本.log', 'x'.repeat(500));
    let written = 0;
    await fc.assert(
      fc.asyncProperty(batchArb, files, fc.nat(40), async (input, file, position) => {
        const buf = await encode({ ...input, damage: null });
        const b = decodeBatch(buf, 0, buf.length, position * 1e12, file as string);
        b.file = file;
        const dst = Buffer.alloc(2048, 0xee);
        const e = writeBatchPart(dst, 3, dst.length, b, 0x2c, 0x0a);
        const safe = [b.position, b.baseOffset, b.lastOffset, b.producerId].every((v) => Number.isSafeInteger(v));
        if (!safe) expect(e).toBe(-1);
        else {
          written++;
          expect(dst.toString('utf8', 3, e)).toBe(',' + batchPartString(b) + '\n');
          expect(dst[e]).toBe(0xee);
        }
        // too little room: nothing written
        const small = Buffer.alloc(64, 0xee);
        expect(writeBatchPart(small, 0, small.length, b, 0, 0)).toBe(-1);
        expect(small.every((x) => x === 0xee)).toBe(true);
      }),
      { numRuns: 300 },
    );
    expect(written).toBeGreaterThan(100);
  });
});

describe('KafkaTextWriter buffers', () => {
  it('a stream that calls back on the next tick (stdout to a file) gets the same few buffers back, not a new one per MiB', async () => {
    const seen = new Set<ArrayBuffer>();
    let bytes = 0;
    const stream = new Writable({
      write(chunk: Buffer, _enc, cb) {
        seen.add(chunk.buffer as ArrayBuffer);
        bytes += chunk.length;
        cb(); // synchronous, as fs.SyncWriteStream: the writer's callback runs on the next tick
      },
    });
    const w = new KafkaTextWriter(stream);
    const line = 'x'.repeat(999);
    for (let i = 0; i < 64 * 1024; i++) {
      w.line(line);
      if (w.full) await w.flush();
    }
    await w.flush();
    expect(bytes).toBe(64 * 1024 * 1000);
    expect(seen.size).toBeLessThanOrEqual(8);
  });
});
