import { isUtf8 } from 'node:buffer';
import { batchLastSequence, v2PayloadInto, type Batch } from '../format/batch.js';
import { writeSafeInt, writeUint31 } from '../format/json-bytes.js';
import { RecordWalker, WALK_HEADERS, WALK_OK } from '../format/record-walk.js';
import { batchRecordEvents, OffsetGaps, type DumpEvent } from '../ops/dump.js';
import type { InternalDecoder } from '../format/kafka-messages/internal.js';
import { drained, outputFailed } from './output.js';
import { kafkaBatchLine } from './render.js';

/**
 * The output of `kseg dump --format kafka|kafka4` (kafka-dump-log.sh's text): lines are encoded
 * into a byte buffer that is handed to the stream when it fills, with backpressure. The record
 * lines of plain v2 batches (`| offset: … headerKeys: [...]`, with ` key: … payload: …` under
 * --print-data-log) are written straight from the batch's bytes (format/record-walk.ts finds the
 * parts), with no record objects or strings: the same bytes as render.ts's kafkaRecordLine, which
 * stays the path for everything else (legacy and control batches, internal topics, other decoders,
 * --skip-record-metadata, a batch whose records do not walk) and the oracle of
 * test/kafka-text-writer.test.ts. DumpLogSegments prints these lines in dumpLog / printRecordMetadata.
 */

const SIZE = 1 << 20;
/** Buffers in flight before flush() waits for their writes to call back. */
const MAX_INFLIGHT = 4;
/** Room after `cap` that a line's fixed parts may use (checked once per record, not per part). */
const SLACK = 64;
/** Where an uncompressed copy is not needed: compressed payloads are decompressed here (valid until the next batch). */
const SCRATCH = 4 << 20;

const enc = (s: string): Buffer => Buffer.from(s, 'latin1');
const OFFSET = enc('| offset: ');
const KEY_SIZE = enc(' keySize: ');
const VALUE_SIZE = enc(' valueSize: ');
const SEQUENCE = enc(' sequence: ');
const HEADER_KEYS = enc(' headerKeys: [');
/** SEQUENCE, -1 and HEADER_KEYS: records of a batch without producer sequences. */
const NO_SEQUENCE = enc(' sequence: -1 headerKeys: [');
const KEY = enc(' key: ');
const PAYLOAD = enc(' payload: ');
/** ` CreateTime: ` etc., by the batch's timestamp type. */
const TS_TYPE = new Map<string, Buffer>();
/** ` compresscodec: none crc: ` etc., by the batch's codec. */
const CODEC = new Map<string, Buffer>();
const tsTypeBytes = (t: string): Buffer => {
  let b = TS_TYPE.get(t);
  if (b === undefined) TS_TYPE.set(t, (b = enc(` ${t}: `)));
  return b;
};
// kafkaBatchLine's v2 line (DumpLogSegments.dumpLog's batch line), in parts
const B_BASE = enc('baseOffset: ');
const B_LAST = enc(' lastOffset: ');
const B_COUNT = enc(' count: ');
const B_BASE_SEQ = enc(' baseSequence: ');
const B_LAST_SEQ = enc(' lastSequence: ');
const B_PID = enc(' producerId: ');
const B_EPOCH = enc(' producerEpoch: ');
const B_PLE = enc(' partitionLeaderEpoch: ');
const B_TXN: Buffer[] = [enc(' isTransactional: false isControl: '), enc(' isTransactional: true isControl: ')];
const B_HORIZON: Buffer[] = [enc('false deleteHorizonMs: '), enc('true deleteHorizonMs: ')];
const B_EMPTY = enc('OptionalLong.empty');
const B_OPTIONAL = enc('OptionalLong[');
const B_POSITION = enc(' position: ');
const B_SIZE = enc(' size: ');
const B_MAGIC = enc(' magic: ');
const B_VALID: Buffer[] = [enc(' isvalid: false'), enc(' isvalid: true')];

/** Options of the fast record lines; anything else is left to kafkaRecordLine. */
export interface KafkaLineOptions {
  /** --print-data-log with UTF-8 key and payload (the tool's StringDecoder). */
  printData: boolean;
}

export class KafkaTextWriter {
  private buf: Buffer;
  private pos = 0;
  private cap = 0;
  private mustDrain = false;
  /** Buffers handed to the stream whose write has not called back yet. */
  private inflight = 0;
  /** Buffers of SIZE the stream is done with (reused: a fresh 1 MiB per write costs page faults). */
  private readonly free: Buffer[] = [];
  private readonly walker = new RecordWalker();
  private scratch: Buffer | null = null;

  constructor(private readonly stream: NodeJS.WritableStream = process.stdout) {
    stream.on('error', outputFailed);
    this.buf = this.take(0);
  }

  /** Whether the caller should `await flush()` now (between events). */
  get full(): boolean {
    return this.pos >= this.cap - (this.cap >> 2) || this.mustDrain;
  }

  line(s: string): void {
    this.ensure(s.length * 3 + 1);
    this.pos += this.buf.write(s, this.pos, 'utf8');
    this.buf[this.pos++] = 0x0a;
  }

  /** Hand the collected bytes to the stream; resolves when it can take more. */
  async flush(): Promise<void> {
    this.writeOut(0);
    if (this.mustDrain) {
      this.mustDrain = false;
      await drained(this.stream);
    }
    // A synchronous stream (stdout to a file) calls back on the next tick, which never comes while
    // the caller's awaits resolve at once: give the callbacks a turn, so buffers come back to `free`.
    while (this.inflight >= MAX_INFLIGHT) await new Promise<void>((resolve) => setImmediate(resolve));
  }

  /** A buffer with room for `min` bytes (and SLACK) after its start. */
  private take(min: number): Buffer {
    const b = min <= SIZE ? (this.free.pop() ?? Buffer.allocUnsafeSlow(SIZE + SLACK)) : Buffer.allocUnsafeSlow(min + SLACK);
    this.cap = b.length - SLACK;
    this.pos = 0;
    return b;
  }

  /** Hand what the buffer holds to the stream (it comes back when written) and go on in one with room for `min`. */
  private writeOut(min: number): void {
    if (this.pos === 0 && min <= this.cap) return;
    const b = this.buf;
    if (this.pos > 0) {
      const pooled = b.length === SIZE + SLACK;
      this.inflight++;
      const ok = this.stream.write(b.subarray(0, this.pos), () => {
        this.inflight--;
        if (pooled) this.free.push(b);
      });
      if (!ok) this.mustDrain = true;
    } else if (b.length === SIZE + SLACK) this.free.push(b);
    this.buf = this.take(min);
  }

  private ensure(n: number): void {
    if (this.pos + n > this.cap) this.writeOut(n);
  }

  private bytes(b: Buffer): void {
    const buf = this.buf;
    let p = this.pos;
    for (let i = 0; i < b.length; i++) buf[p++] = b[i]!;
    this.pos = p;
  }

  /** A Java long as Long.toString prints it (what `${v}` gives for a JS number beyond 2^53, as kafkaRecordLine does). */
  private long(v: number): void {
    const buf = this.buf;
    if (v >= 0 && v <= 0x7fffffff) {
      this.pos = writeUint31(buf, this.pos, v);
      return;
    }
    this.pos = Number.isSafeInteger(v) ? writeSafeInt(buf, this.pos, v) : this.pos + buf.write(String(v), this.pos, 'latin1');
  }

  /** A Java int (or short, byte). */
  private int(v: number): void {
    if (v < 0) {
      if (v < -0x7fffffff) {
        this.long(v);
        return;
      }
      this.buf[this.pos++] = 0x2d;
      v = -v;
    }
    this.pos = writeUint31(this.buf, this.pos, v);
  }

  /** src[s, e) as Buffer.toString('utf8') gives it: the bytes themselves when they are valid UTF-8. */
  private utf8(src: Buffer, s: number, e: number): void {
    const buf = this.buf;
    let p = this.pos;
    if (e - s < 128) {
      while (s < e) {
        const c = src[s]!;
        if (c >= 0x80) break;
        buf[p++] = c;
        s++;
      }
      this.pos = p;
      if (s === e) return;
    }
    if (isUtf8(src.subarray(s, e))) this.pos = p + src.copy(buf, p, s, e);
    else this.pos = p + buf.write(src.toString('utf8', s, e), p, 'utf8');
  }

  /** kafkaBatchLine(b) and a newline: v2 batches written here, legacy entries through the string. */
  batchLine(b: Batch): void {
    if (b.magic < 2) {
      this.line(kafkaBatchLine(b));
      return;
    }
    let codec = CODEC.get(b.compression);
    if (codec === undefined) CODEC.set(b.compression, (codec = enc(` compresscodec: ${b.compression} crc: `)));
    this.ensure(640);
    this.bytes(B_BASE);
    this.long(b.baseOffset);
    this.bytes(B_LAST);
    this.long(b.lastOffset);
    this.bytes(B_COUNT);
    this.int(b.recordCount);
    this.bytes(B_BASE_SEQ);
    this.int(b.baseSequence);
    this.bytes(B_LAST_SEQ);
    this.int(batchLastSequence(b));
    this.bytes(B_PID);
    this.long(b.producerId);
    this.bytes(B_EPOCH);
    this.int(b.producerEpoch);
    this.bytes(B_PLE);
    this.int(b.partitionLeaderEpoch);
    this.bytes(B_TXN[b.isTransactional ? 1 : 0]!);
    this.bytes(B_HORIZON[b.isControl ? 1 : 0]!);
    if (b.deleteHorizonMs === null) this.bytes(B_EMPTY);
    else {
      this.bytes(B_OPTIONAL);
      this.long(b.deleteHorizonMs);
      this.buf[this.pos++] = 0x5d;
    }
    this.bytes(B_POSITION);
    this.long(b.position);
    this.bytes(tsTypeBytes(b.timestampType));
    this.long(b.maxTimestamp);
    this.bytes(B_SIZE);
    this.long(b.size);
    this.bytes(B_MAGIC);
    this.long(b.magic);
    this.bytes(codec);
    this.long(b.crc);
    this.bytes(B_VALID[b.crcValid ? 1 : 0]!);
    this.buf[this.pos++] = 0x0a;
  }

  /**
   * The record lines of a v2 data batch within [from, to], their offsets added to `gaps`; false
   * (nothing written) for a batch left to the record events: legacy or control, a negative count,
   * a payload that does not decompress, records that do not walk or end before the batch does.
   */
  records(b: Batch, from: number | undefined, to: number | undefined, gaps: OffsetGaps | null, opts: KafkaLineOptions): boolean {
    if (b.magic < 2 || b.isControl) return false;
    const count = b.recordCount;
    if (count <= 0) return count === 0;
    let src: Buffer, p: number, end: number;
    try {
      ({ buf: src, pos: p, end } = v2PayloadInto(b, (this.scratch ??= Buffer.allocUnsafe(SCRATCH))));
    } catch {
      return false;
    }
    const w = this.walker;
    if (w.walkFast(src, p, end, count, b.baseTimestamp, WALK_HEADERS) !== WALK_OK || w.count !== count || w.next !== end) return false;
    const tsType = tsTypeBytes(b.timestampType);
    const printData = opts.printData;
    const logAppend = b.timestampType === 'LogAppendTime';
    const { baseOffset, maxTimestamp, baseSequence } = b;
    const offsetDeltaA = w.offsetDelta;
    const timestampA = w.timestamp;
    const keyStartA = w.keyStart;
    const keyLenA = w.keyLen;
    const valueStartA = w.valueStart;
    const valueLenA = w.valueLen;
    const headerCountA = w.headerCount;
    const headerIndexA = w.headerIndex;
    const hdr = w.headers;
    let recStart = p;
    for (let k = 0; k < count; k++) {
      const length = w.recEnd[k]! - recStart;
      recStart = w.recEnd[k]!;
      const offsetDelta = offsetDeltaA[k]!;
      const offset = baseOffset + offsetDelta;
      if (from !== undefined && offset < from) continue;
      if (to !== undefined && offset > to) break;
      if (gaps !== null) gaps.add(offset);
      const kl = keyLenA[k]!;
      const vl = valueLenA[k]!;
      const hc = headerCountA[k]!;
      // (3 bytes per byte: invalid UTF-8 becomes U+FFFD)
      this.ensure(3 * length + 24 * hc + 200);
      this.bytes(OFFSET);
      this.long(offset);
      this.bytes(tsType);
      this.long(logAppend ? maxTimestamp : timestampA[k]!);
      this.bytes(KEY_SIZE);
      this.int(kl);
      this.bytes(VALUE_SIZE);
      this.int(vl);
      if (baseSequence < 0) this.bytes(NO_SEQUENCE);
      else {
        this.bytes(SEQUENCE);
        this.int(lastSequenceFor(baseSequence, offsetDelta));
        this.bytes(HEADER_KEYS);
      }
      for (let h = 0, at = 4 * headerIndexA[k]!; h < hc; h++, at += 4) {
        if (h > 0) this.buf[this.pos++] = 0x2c;
        this.utf8(src, hdr[at]!, hdr[at + 1]!);
      }
      this.buf[this.pos++] = 0x5d;
      if (printData) {
        if (kl >= 0) {
          this.bytes(KEY);
          this.utf8(src, keyStartA[k]!, keyStartA[k]! + kl);
        }
        if (vl >= 0) {
          this.bytes(PAYLOAD);
          this.utf8(src, valueStartA[k]!, valueStartA[k]! + vl);
        }
      }
      this.buf[this.pos++] = 0x0a;
    }
    return true;
  }
}

// batch.ts's lastSequenceFor (DefaultRecordBatch.incrementSequence)
function lastSequenceFor(baseSequence: number, delta: number): number {
  if (baseSequence > 0x7fffffff - delta) return delta - (0x7fffffff - baseSequence) - 1;
  return baseSequence + delta;
}

/**
 * The events of `dump(paths, { ...opts, records: false })` with the records put back the way
 * `records: true` gives them (ops/dump's batchRecordEvents, offset-gaps before each log-end), except
 * for the batches `writer` writes itself: after such a batch's event has been handled (its line
 * written), its record lines are written here, and no record events follow.
 */
export function* kafkaRecordEvents(
  events: Iterable<DumpEvent>,
  writer: KafkaTextWriter,
  from: number | undefined,
  to: number | undefined,
  lineOpts: KafkaLineOptions | null,
): Generator<DumpEvent> {
  let gaps = new OffsetGaps();
  let internal: InternalDecoder | undefined;
  let name = '';
  for (const ev of events) {
    if (ev.type === 'file') {
      gaps = new OffsetGaps();
      internal = ev.internal;
      name = ev.name;
    } else if (ev.type === 'log-end') yield gaps.event(ev.path, ev.name);
    yield ev;
    if (ev.type === 'batch' && (internal !== undefined || lineOpts === null || !writer.records(ev.batch, from, to, gaps, lineOpts)))
      yield* batchRecordEvents(ev.batch, name, internal, from, to, gaps);
  }
}
