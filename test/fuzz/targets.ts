/**
 * What the fuzz harness runs on each mutated input. Format targets hand the bytes to the parsers
 * in memory; op targets run a command's core (src/ops) on a partition directory on disk that holds
 * the mutated file, and mutating ops work on a throw-away copy. Each target returns the finding
 * and error codes it saw; it throws a KsegError (fine: the input was rejected clearly) or anything
 * else (a failure). Output that a command would print as JSON is built, serialised with the CLI's
 * toJson, parsed back and checked against the OUTPUT.md shapes: a break throws ContractError.
 */
import fs from 'node:fs';
import path from 'node:path';
import { Writable } from 'node:stream';
import { batchLastSequence, batchRecordList, checkBatchCrc, legacyInnerMessages, scanBatchRecords, type Batch } from '../../src/format/batch.js';
import { decodeControlRecord } from '../../src/format/control.js';
import { KsegError } from '../../src/format/errors.js';
import { exitCodeFor } from '../../src/cli/exit-codes.js';
import { lookupOffsetSlot, lookupTimeSlot, parseOffsetIndex, parseTimeIndex, parseTxnIndex, slotCount } from '../../src/format/indexes.js';
import { parseProducerSnapshot } from '../../src/format/snapshot.js';
import { parseCheckpoint, parseLeaderEpochCheckpoint, parseLogDirCheckpoint, parsePartitionMetadata } from '../../src/format/checkpoints.js';
import { logEntries } from '../../src/storage/log-reader.js';
import type { ByteSource } from '../../src/storage/source.js';
import { checkRange } from '../../src/storage/positional-reader.js';
import { dump, type DirPart, type DumpOptions } from '../../src/ops/dump.js';
import { lookup } from '../../src/ops/lookup.js';
import { info } from '../../src/ops/info.js';
import { ISSUE_CODES, verify, type VerifyReport } from '../../src/ops/verify/index.js';
import { recover } from '../../src/ops/recover/index.js';
import { rebuildIndex } from '../../src/ops/rebuild-index.js';
import { truncate } from '../../src/ops/truncate.js';
import { compact } from '../../src/ops/compact.js';
import { JsonLinesWriter } from '../../src/cli/ndjson-writer.js';
import { toJson } from '../../src/cli/output.js';
import { batchJson, kafkaBatchLine, kafkaRecordLine, recordJson, recordNdjson } from '../../src/cli/render.js';
import { humanBatchLine, humanRecordLine } from '../../src/cli/human.js';
import type { Decoders } from '../../src/cli/decoders.js';
import { Rng } from './mutate.js';

/** Output that breaks the OUTPUT.md contract (a failure, like a non-KsegError throw). */
export class ContractError extends Error {
  constructor(what: string, value: unknown) {
    let shown: string;
    try {
      shown = JSON.stringify(value)?.slice(0, 300) ?? String(value);
    } catch {
      shown = String(value);
    }
    super(`${what}: ${shown}`);
    this.name = 'ContractError';
  }
}

export interface FuzzCase {
  /** Partition directory on disk holding the mutated file. */
  dir: string;
  /** Name of the mutated file in `dir`. */
  file: string;
  bytes: Buffer;
  rng: Rng;
  /** A fresh directory for copies (made on first call, removed by the caller). */
  scratch: () => string;
}

export type Target = (c: FuzzCase, codes: Set<string>) => Promise<void> | void;

// ---------------------------------------------------------------- shape checks

const isNum = (v: unknown): boolean => (typeof v === 'number' && Number.isFinite(v)) || (typeof v === 'string' && /^-?\d+$/.test(v));
const isNumOrNull = (v: unknown): boolean => v === null || isNum(v);

function need(o: any, key: string, ok: (v: unknown) => boolean, what: string): void {
  if (o === null || typeof o !== 'object' || !(key in o) || !ok(o[key])) throw new ContractError(`${what}.${key}`, o);
}

/** toJson, then parse: what a script reading stdout gets. */
function roundTrip(value: unknown, what: string): any {
  const s = toJson(value);
  try {
    return JSON.parse(s);
  } catch (e) {
    throw new ContractError(`${what} is not JSON (${(e as Error).message})`, s);
  }
}

const TIMESTAMP_TYPES = new Set(['CreateTime', 'LogAppendTime', 'NoTimestampType']);
const BATCH_KEYS = [
  'file',
  'position',
  'baseOffset',
  'lastOffset',
  'magic',
  'compression',
  'isTransactional',
  'isControl',
  'producerId',
  'producerEpoch',
  'baseSequence',
  'partitionLeaderEpoch',
  'crcValid',
];
const BATCH_LINE_KEYS = [
  'file',
  'position',
  'baseOffset',
  'lastOffset',
  'size',
  'magic',
  'compression',
  'isControl',
  'isTransactional',
  'producerId',
  'recordCount',
  'maxTimestamp',
  'crcValid',
];

export function checkRecordJson(o: any): void {
  for (const k of ['offset', 'timestamp']) need(o, k, isNum, 'record');
  need(o, 'timestampType', (v) => TIMESTAMP_TYPES.has(v as string), 'record');
  need(o, 'headers', Array.isArray, 'record');
  need(o, 'batch', (v) => typeof v === 'object' && v !== null, 'record');
  for (const k of BATCH_KEYS) if (!(k in o.batch)) throw new ContractError(`record.batch.${k}`, o);
  for (const k of ['position', 'baseOffset', 'lastOffset', 'producerId']) need(o.batch, k, isNum, 'record.batch');
  if (o.batch.isControl && o.control !== undefined) need(o.control, 'type', (v) => typeof v === 'string', 'record.control');
}

function checkBatchLine(o: any): void {
  for (const k of BATCH_LINE_KEYS) if (!(k in o)) throw new ContractError(`batch.${k}`, o);
  for (const k of ['position', 'baseOffset', 'lastOffset', 'size', 'recordCount']) need(o, k, isNum, 'batch');
}

const KNOWN_CODES = new Set(ISSUE_CODES.map((c) => c.code));
const SEVERITIES = new Set(['error', 'warning', 'info']);

export function checkVerifyReport(r: VerifyReport, codes: Set<string>): void {
  const o = roundTrip(r, 'verify --json');
  need(o, 'ok', (v) => typeof v === 'boolean', 'verify');
  need(o, 'errors', isNum, 'verify');
  need(o, 'warnings', isNum, 'verify');
  need(o, 'issues', Array.isArray, 'verify');
  need(o, 'recoverable', (v) => v === null || typeof v === 'object', 'verify');
  if (o.recoverable) for (const k of ['truncateAtPosition', 'recordsLost']) need(o.recoverable, k, isNum, 'verify.recoverable');
  need(o, 'summary', (v) => typeof v === 'object' && v !== null, 'verify');
  for (const k of ['segments', 'batches', 'records', 'bytes']) need(o.summary, k, isNum, 'verify.summary');
  let errors = 0;
  for (const i of o.issues) {
    need(i, 'severity', (v) => SEVERITIES.has(v as string), 'issue');
    need(i, 'code', (v) => KNOWN_CODES.has(v as string), 'issue (a code the README does not list)');
    need(i, 'file', (v) => typeof v === 'string', 'issue');
    need(i, 'position', isNumOrNull, 'issue');
    need(i, 'offset', isNumOrNull, 'issue');
    need(i, 'message', (v) => typeof v === 'string', 'issue');
    if (i.severity === 'error') errors++;
    codes.add(i.code);
  }
  if (o.issuesOmitted === undefined && errors !== o.errors) throw new ContractError('verify: errors does not count the error issues', o);
  if (o.ok !== (o.errors === 0)) throw new ContractError('verify: ok disagrees with errors', o);
}

function checkMutating(r: { changed: string[]; removed: string[]; before: unknown; after: unknown }, what: string): void {
  const o = roundTrip(r, what);
  need(o, 'changed', (v) => Array.isArray(v) && v.every((x) => typeof x === 'string'), what);
  need(o, 'removed', (v) => Array.isArray(v) && v.every((x) => typeof x === 'string'), what);
  need(o, 'before', (v) => typeof v === 'object' && v !== null, what);
  need(o, 'after', (v) => typeof v === 'object' && v !== null, what);
}

// ---------------------------------------------------------------- helpers

/** A ByteSource over a buffer (the format targets need no file). Reads come back in tiny pieces now and then. */
class MemorySource implements ByteSource {
  readonly kind = 'pread' as const;
  bytesRequested = 0;
  constructor(
    readonly path: string,
    private readonly buf: Buffer,
  ) {}
  get size(): number {
    return this.buf.length;
  }
  read(pos: number, len: number): Buffer {
    checkRange(this, pos, len);
    this.bytesRequested += len;
    return Buffer.from(this.buf.subarray(pos, pos + len)); // a copy: no view may outlive a read silently
  }
  close(): void {}
}

const DECODERS: Decoders[] = [
  { key: 'utf8', value: 'utf8', header: 'utf8' },
  { key: 'hex', value: 'base64', header: 'hex' },
  { key: 'none', value: 'json', header: 'none' },
];

function collecting(): { stream: Writable; text: () => string } {
  const chunks: Buffer[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _enc, cb) {
      chunks.push(Buffer.from(chunk));
      cb();
    },
  });
  return { stream, text: () => Buffer.concat(chunks).toString('utf8') };
}

function noteError(e: unknown, codes: Set<string>): void {
  if (e instanceof KsegError && exitCodeFor(e) !== 70) codes.add(e.code);
  else throw e;
}

/** Everything the renderers do with one batch: records, controls, JSON and both text formats. */
function renderBatch(b: Batch, rng: Rng, codes: Set<string>, renderShare = 1): void {
  const d = rng.pick(DECODERS);
  const render = rng.chance(renderShare);
  if (render) {
    checkBatchLine(roundTrip(batchJson(b), 'dump --batches'));
    kafkaBatchLine(b);
    humanBatchLine(b);
  }
  try {
    if (b.magic < 2 && b.compression !== 'none') legacyInnerMessages(b);
    const recs = batchRecordList(b);
    for (const r of render ? recs : []) {
      checkRecordJson(roundTrip(recordJson(r, b, d), 'dump record'));
      const line = recordNdjson(r, b, d);
      try {
        checkRecordJson(JSON.parse(line));
      } catch (e) {
        if (e instanceof ContractError) throw e;
        throw new ContractError(`dump --ndjson line is not JSON (${(e as Error).message})`, line);
      }
      kafkaRecordLine(r, b, { printData: true, legacyBrace: rng.chance(0.5) });
      humanRecordLine(r, d);
      if (b.isControl) {
        try {
          decodeControlRecord(r.key, r.value);
        } catch (e) {
          noteError(e, codes);
        }
      }
    }
    scanBatchRecords(b);
    batchLastSequence(b);
  } catch (e) {
    noteError(e, codes);
  }
}

function segmentBaseOf(name: string): number {
  const m = /^(\d{20})\./.exec(name);
  return m ? Number(m[1]) : 0;
}

/** Offsets worth looking up in a partition: bounds, their neighbours, and a few from the mutated file. */
function interestingOffsets(c: FuzzCase): number[] {
  const bases = fs
    .readdirSync(c.dir)
    .filter((f) => f.endsWith('.log'))
    .map(segmentBaseOf)
    .sort((a, b) => a - b);
  const out = [0, -1, 2 ** 53 - 1];
  for (const b of bases) out.push(b, b + 1, b + c.rng.int(200));
  return out;
}

async function dumpJson(paths: string[], opts: DumpOptions, rng: Rng, codes: Set<string>): Promise<void> {
  const { stream, text } = collecting();
  const array = rng.chance(0.3);
  const out = new JsonLinesWriter(stream, rng.pick(DECODERS), { array, wasm: rng.chance(0.7) });
  const records = opts.records;
  try {
    for (const ev of dump(paths, records ? { ...opts, records: false } : opts)) {
      if (ev.type === 'error') {
        noteError(ev.error, codes);
        continue;
      }
      if (ev.type === 'batch') {
        if (records) {
          try {
            out.batch(ev.batch, opts.fromOffset, opts.toOffset);
          } catch (e) {
            noteError(e, codes);
          }
        } else out.line(toJson(batchJson(ev.batch)));
      } else if (ev.type === 'index-entry') out.line(toJson({ file: ev.name, offset: ev.entry.offset, position: ev.entry.position }));
      else if (ev.type === 'timeindex-entry') out.line(toJson({ file: ev.name, timestamp: ev.entry.timestamp, offset: ev.entry.offset }));
      else if (ev.type === 'txnindex-entry') out.line(toJson({ file: ev.name, ...ev.entry }));
      else if (ev.type === 'snapshot') out.line(toJson({ file: ev.name, ...ev.snapshot }));
      else if (ev.type === 'checkpoint') out.line(toJson({ file: ev.name, kind: ev.kind, data: ev.data }));
      else if (ev.type === 'log-end' && ev.stop.reason === 'corrupt-size') codes.add(ev.stop.zeroTail ? 'ZERO_TAIL' : 'SIZE_TOO_SMALL');
      if (out.full) await out.flush();
    }
  } finally {
    out.end();
    await out.flush();
  }
  const s = text();
  let lines: any[];
  try {
    lines = array
      ? JSON.parse(s)
      : s
          .split('\n')
          .filter((l) => l !== '')
          .map((l) => JSON.parse(l));
  } catch (e) {
    throw new ContractError(`dump ${array ? '--json' : '--ndjson'} output is not JSON (${(e as Error).message})`, s.slice(0, 2000));
  }
  for (const o of lines) {
    if (o === null || typeof o !== 'object') throw new ContractError('dump line is not an object', o);
    if ('recordCount' in o) checkBatchLine(o);
    else if ('timestampType' in o) checkRecordJson(o);
  }
}

// ---------------------------------------------------------------- targets

export const TARGETS: Record<string, Target> = {
  /** Batch framing v0/v1/v2, records, control records, codecs and every renderer, in memory. */
  'format-log': (c, codes) => {
    const src = new MemorySource(c.file, c.bytes);
    const it = logEntries(src, { file: c.file, checkCrc: c.rng.chance(0.8) });
    // every batch is decoded to its last record; the renderers see about two batches per input
    const renderShare = Math.min(1, 2 / Math.max(1, c.bytes.length / 300));
    let n = 0;
    for (;;) {
      const r = it.next();
      if (r.done) {
        if (r.value.reason === 'corrupt-size') codes.add('SIZE_TOO_SMALL');
        break;
      }
      const item = r.value;
      if (item.kind === 'bad-entry') {
        codes.add(item.error.code);
        continue;
      }
      if (!item.batch.crcValid) codes.add('CRC_MISMATCH');
      try {
        checkBatchCrc(item.batch);
      } catch (e) {
        noteError(e, codes);
      }
      renderBatch(item.batch, c.rng, codes, renderShare);
      if (++n > 10_000) throw new Error('format-log: more than 10,000 batches from one small file (a loop that does not advance?)');
    }
  },

  /** .index / .timeindex parsing and lookups (on whatever bytes the mutation left). */
  'format-index': (c) => {
    const base = segmentBaseOf(c.file);
    const oi = parseOffsetIndex(c.bytes, base);
    const ti = parseTimeIndex(c.bytes, base);
    const on = slotCount(c.bytes.length, 8) - oi.zeroTailEntries;
    const tn = slotCount(c.bytes.length, 12) - ti.zeroTailEntries;
    for (const t of [base - 1, base, base + c.rng.int(300), 2 ** 53, -1]) lookupOffsetSlot(c.bytes, Math.max(0, on), base, t);
    for (const t of [-1, 0, 1700000000000 + c.rng.int(1e6), 2 ** 62]) lookupTimeSlot(c.bytes, Math.max(0, tn), t);
    roundTrip(oi, 'index');
    roundTrip(ti, 'timeindex');
  },

  'format-txnindex': (c) => {
    roundTrip(parseTxnIndex(c.bytes, c.file), 'txnindex');
  },

  'format-snapshot': (c) => {
    roundTrip(parseProducerSnapshot(c.bytes, c.file), 'snapshot');
  },

  'format-checkpoint': (c, codes) => {
    const text = c.bytes.toString('utf8');
    for (const parse of [parseCheckpoint, parseLeaderEpochCheckpoint, parseLogDirCheckpoint, parsePartitionMetadata]) {
      try {
        roundTrip(parse(text, c.file), 'checkpoint');
      } catch (e) {
        noteError(e, codes);
      }
    }
  },

  /** dump of the directory (every part) and of the mutated file, through the --ndjson/--json writer. */
  dump: async (c, codes) => {
    const parts: DirPart[] = ['log'];
    for (const p of ['index', 'timeindex', 'txnindex', 'snapshot'] as const) if (c.rng.chance(0.4)) parts.push(p);
    await dumpJson([c.dir], { records: c.rng.chance(0.7), parts }, c.rng, codes);
    try {
      await dumpJson([path.join(c.dir, c.file)], { records: true }, c.rng, codes);
    } catch (e) {
      noteError(e, codes);
    }
  },

  /** dump with --from-offset/--to-offset/--max-bytes, and the kafka/text renderers on its events. */
  'dump-range': async (c, codes) => {
    const offs = interestingOffsets(c).filter((o) => o >= 0);
    const from = c.rng.pick(offs);
    const opts: DumpOptions = { records: true, fromOffset: from, toOffset: from + c.rng.int(100), maxBytes: c.rng.chance(0.3) ? c.rng.int(20000) : undefined };
    await dumpJson([c.dir], opts, c.rng, codes);
    for (const ev of dump([c.dir], { ...opts, parts: ['log', 'index', 'timeindex', 'txnindex', 'snapshot'] })) {
      if (ev.type === 'batch') renderBatch(ev.batch, c.rng, codes);
      else if (ev.type === 'error') noteError(ev.error, codes);
    }
  },

  lookup: (c, codes) => {
    for (const off of interestingOffsets(c)) {
      try {
        const r = lookup(c.dir, c.rng.chance(0.75) ? { offset: off } : { timestamp: 1700000000000 + c.rng.int(200000) - 1000 });
        const o = roundTrip(
          {
            offset: r.offset,
            segment: r.segment,
            segmentBaseOffset: r.segmentBaseOffset,
            indexEntry: r.indexEntry,
            batch: { position: r.batch.position, baseOffset: r.batch.baseOffset, lastOffset: r.batch.lastOffset, size: r.batch.size },
            record: recordJson(r.record, r.batch, DECODERS[0]!),
            bytesScanned: r.bytesScanned,
          },
          'lookup --json',
        );
        need(o, 'offset', isNum, 'lookup');
        need(o, 'indexEntry', (v) => v === null || typeof v === 'object', 'lookup');
        checkRecordJson(o.record);
      } catch (e) {
        noteError(e, codes);
      }
    }
  },

  info: (c) => {
    roundTrip(info([c.dir]), 'info --json');
  },

  /** verify --json of the directory and of the mutated file alone; --jobs 2 takes the chunked path. */
  verify: (c, codes) => {
    const jobs = c.rng.chance(0.3) ? 2 : 1;
    const prev = process.env.KSEG_VERIFY_CHUNK_BYTES;
    if (jobs > 1) process.env.KSEG_VERIFY_CHUNK_BYTES = String(64 + c.rng.int(4096));
    try {
      checkVerifyReport(verify([c.dir], { jobs, strict: c.rng.chance(0.2) }), codes);
      try {
        checkVerifyReport(verify([path.join(c.dir, c.file)], { jobs }), codes);
      } catch (e) {
        noteError(e, codes);
      }
    } finally {
      if (prev === undefined) delete process.env.KSEG_VERIFY_CHUNK_BYTES;
      else process.env.KSEG_VERIFY_CHUNK_BYTES = prev;
    }
  },

  'recover-dry-run': (c) => {
    const r = recover(c.dir, { dryRun: true });
    checkMutating(r, 'recover --dry-run --json');
  },

  'rebuild-index-check': (c) => {
    roundTrip(rebuildIndex(c.dir, { check: true }), 'rebuild-index --check --json');
    checkMutating(rebuildIndex(c.dir, { dryRun: true }), 'rebuild-index --dry-run --json');
  },

  /** recover applied on a copy; the result must read back (verify, dump) without internal errors. */
  recover: async (c, codes) => {
    const copy = copyDir(c.dir, c.scratch());
    const r = recover(copy, {});
    checkMutating(r, 'recover --json');
    await readBack(copy, c.rng, codes);
  },

  /** truncate --to-offset / --start-offset on a copy, then read back. */
  truncate: async (c, codes) => {
    const copy = copyDir(c.dir, c.scratch());
    const target = c.rng.pick(interestingOffsets(c).filter((o) => o >= 0));
    const r = c.rng.chance(0.7) ? truncate(copy, { toOffset: target, dryRun: c.rng.chance(0.2) }) : truncate(copy, { startOffset: target });
    checkMutating(r, 'truncate --json');
    await readBack(copy, c.rng, codes);
  },

  /** compact on a copy, then read back. */
  compact: async (c, codes) => {
    const copy = copyDir(c.dir, c.scratch());
    const r = await compact(copy, { now: 1700000000000 + 10 ** 9, deleteRetentionMs: c.rng.pick([0, 86400000]), dryRun: c.rng.chance(0.2) });
    checkMutating(r, 'compact --json');
    await readBack(copy, c.rng, codes);
  },
};

/**
 * Targets that fail on purpose, present only with KSEG_FUZZ_SELFTEST=1: test/fuzz.test.ts runs them
 * to show that the runner reports a foreign throw, a hang, a death and a contract break as failures.
 */
if (process.env.KSEG_FUZZ_SELFTEST === '1') {
  Object.assign(TARGETS, {
    'selftest-throw': () => {
      throw new TypeError('selftest: not a KsegError');
    },
    'selftest-hang': () => {
      for (;;);
    },
    'selftest-exit': () => {
      process.kill(process.pid, 'SIGSEGV');
    },
    'selftest-json': () => {
      checkRecordJson({ offset: NaN, timestamp: 0, timestampType: 'CreateTime', headers: [], batch: {} });
    },
  } satisfies Record<string, Target>);
}

export const TARGET_NAMES = Object.keys(TARGETS);
/** Targets that read the mutated bytes in memory (no partition directory on disk). */
export const IN_MEMORY = new Set(['format-log', 'format-index', 'format-txnindex', 'format-snapshot', 'format-checkpoint']);

/** Which targets make sense for a mutated file of this kind (format targets read only their own kind). */
export function targetsFor(kind: string): { format: string[]; ops: string[] } {
  const selftest = TARGET_NAMES.filter((t) => t.startsWith('selftest-'));
  const ops = [...selftest, 'dump', 'dump-range', 'lookup', 'info', 'verify', 'recover-dry-run', 'rebuild-index-check', 'recover', 'truncate', 'compact'];
  const format =
    kind === 'log'
      ? ['format-log']
      : kind === 'index' || kind === 'timeindex'
        ? ['format-index']
        : kind === 'txnindex'
          ? ['format-txnindex']
          : kind === 'snapshot'
            ? ['format-snapshot']
            : ['format-checkpoint'];
  return { format, ops };
}

function copyDir(dir: string, scratch: string): string {
  const dst = path.join(scratch, path.basename(dir));
  fs.cpSync(dir, dst, { recursive: true });
  return dst;
}

async function readBack(dir: string, rng: Rng, codes: Set<string>): Promise<void> {
  try {
    checkVerifyReport(verify([dir]), codes);
    await dumpJson([dir], { records: true }, rng, codes);
  } catch (e) {
    noteError(e, codes);
  }
}
