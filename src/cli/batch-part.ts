import type { Batch } from '../format/batch.js';
import { writeSafeInt } from '../format/json-bytes.js';

/**
 * render.ts's batchPartString — `"batch":{…}}`, the end of every NDJSON record line of a batch — as
 * UTF-8 bytes, for ndjson-writer.ts's plain batches (once per batch: with small records the string
 * and its encoding were a tenth of the dump). test/kafka-text-writer.test.ts holds it to the string.
 */

const enc = (s: string): Buffer => Buffer.from(s, 'utf8');
const BASE_OFFSET = enc(',"baseOffset":');
const LAST_OFFSET = enc(',"lastOffset":');
const MAGIC = enc(',"magic":');
const COMPRESSION = new Map<string, Buffer>();
const TXN: Buffer[] = [enc('","isTransactional":false,"isControl":'), enc('","isTransactional":true,"isControl":')];
const PRODUCER_ID: Buffer[] = [enc('false,"producerId":'), enc('true,"producerId":')];
const EPOCH = enc(',"producerEpoch":');
const BASE_SEQUENCE = enc(',"baseSequence":');
const LEADER_EPOCH = enc(',"partitionLeaderEpoch":');
const VALID: Buffer[] = [enc(',"crcValid":false}}'), enc(',"crcValid":true}}')];

/** `"batch":{"file":…` of the last file seen (a dump goes file by file). */
let lastFile: string | undefined = '\0';
let fileHead = enc('');

function put(dst: Uint8Array, d: number, b: Uint8Array): number {
  for (let i = 0; i < b.length; i++) dst[d++] = b[i]!;
  return d;
}

/** The bytes from `,"magic":` to the end of the last batch part written, and what they show. */
const rest = {
  bytes: new Uint8Array(0),
  magic: -1,
  compression: '',
  isTransactional: false,
  isControl: false,
  producerId: 0,
  producerEpoch: 0,
  baseSequence: 0,
  partitionLeaderEpoch: 0,
  crcValid: false,
};

const restScratch = new Uint8Array(256);

function restBytes(b: Batch, codec: Buffer): void {
  const dst = restScratch;
  let d = put(dst, 0, MAGIC);
  d = writeSafeInt(dst, d, b.magic);
  d = put(dst, d, codec);
  d = put(dst, d, TXN[b.isTransactional ? 1 : 0]!);
  d = put(dst, d, PRODUCER_ID[b.isControl ? 1 : 0]!);
  d = writeSafeInt(dst, d, b.producerId);
  d = put(dst, d, EPOCH);
  d = writeSafeInt(dst, d, b.producerEpoch);
  d = put(dst, d, BASE_SEQUENCE);
  d = writeSafeInt(dst, d, b.baseSequence);
  d = put(dst, d, LEADER_EPOCH);
  d = writeSafeInt(dst, d, b.partitionLeaderEpoch);
  d = put(dst, d, VALID[b.crcValid ? 1 : 0]!);
  rest.bytes = dst.slice(0, d);
  rest.magic = b.magic;
  rest.compression = b.compression;
  rest.isTransactional = b.isTransactional;
  rest.isControl = b.isControl;
  rest.producerId = b.producerId;
  rest.producerEpoch = b.producerEpoch;
  rest.baseSequence = b.baseSequence;
  rest.partitionLeaderEpoch = b.partitionLeaderEpoch;
  rest.crcValid = b.crcValid;
}

/**
 * `prefix` + batchPartString(b) + `suffix` (one byte each, 0: none) at dst[d, cap): the new end, or
 * -1 when it does not fit or a long is beyond 2^53 (the string writes those as strings).
 */
export function writeBatchPart(dst: Uint8Array, d: number, cap: number, b: Batch, prefix: number, suffix: number): number {
  const { position, baseOffset, lastOffset, producerId } = b;
  if (!Number.isSafeInteger(position) || !Number.isSafeInteger(baseOffset) || !Number.isSafeInteger(lastOffset) || !Number.isSafeInteger(producerId)) return -1;
  if (b.file !== lastFile) {
    lastFile = b.file;
    fileHead = enc(`"batch":{"file":${b.file === undefined ? 'null' : JSON.stringify(b.file)},"position":`);
  }
  let codec = COMPRESSION.get(b.compression);
  if (codec === undefined) COMPRESSION.set(b.compression, (codec = enc(`,"compression":"${b.compression}`)));
  if (d + fileHead.length + codec.length + 320 > cap) return -1;
  if (prefix !== 0) dst[d++] = prefix;
  // (constant runs by TypedArray.set: one copy instead of a loop per byte)
  dst.set(fileHead, d);
  d = writeSafeInt(dst, d + fileHead.length, position);
  d = put(dst, d, BASE_OFFSET);
  d = writeSafeInt(dst, d, baseOffset);
  d = put(dst, d, LAST_OFFSET);
  d = writeSafeInt(dst, d, lastOffset);
  // the rest, from `,"magic":` on, is mostly the previous batch's: its bytes are kept
  if (
    b.magic !== rest.magic ||
    b.compression !== rest.compression ||
    b.isTransactional !== rest.isTransactional ||
    b.isControl !== rest.isControl ||
    producerId !== rest.producerId ||
    b.producerEpoch !== rest.producerEpoch ||
    b.baseSequence !== rest.baseSequence ||
    b.partitionLeaderEpoch !== rest.partitionLeaderEpoch ||
    b.crcValid !== rest.crcValid
  )
    restBytes(b, codec);
  dst.set(rest.bytes, d);
  d += rest.bytes.length;
  if (suffix !== 0) dst[d++] = suffix;
  return d;
}
