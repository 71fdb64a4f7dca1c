import type { CompressionWriteName } from '../../format/compression.js';
import { UsageError } from '../../format/errors.js';
import type { Range } from './prng.js';

/** Codecs a generated batch can use; both snappy framings are codec id 2 on disk. */
export const GENERATE_CODECS = ['none', 'gzip', 'snappy', 'snappy-xerial', 'lz4', 'zstd'] as const satisfies readonly CompressionWriteName[];

/** Faults `--corrupt` can inject, with the issue code `verify` is expected to report (OUTPUT.md). */
export const CORRUPT_KINDS = {
  crc: 'CRC_MISMATCH',
  size: 'SIZE_TOO_SMALL',
  'partial-tail': 'PARTIAL_TAIL',
  'zero-tail': 'ZERO_TAIL',
  'bad-magic': 'BAD_MAGIC',
  'offsets-backwards': 'OFFSET_NOT_INCREASING',
  'record-decode': 'RECORD_DECODE_ERROR',
  'index-zero-tail': 'INDEX_ZERO_TAIL',
  'index-bad-position': 'INDEX_POSITION_NOT_BATCH_START',
  'index-nonmonotonic': 'INDEX_OFFSET_NOT_INCREASING',
  'timeindex-nonmonotonic': 'TIMEINDEX_NOT_INCREASING',
  'missing-index': 'INDEX_MISSING',
  'snapshot-crc': 'SNAPSHOT_CRC_MISMATCH',
} as const;
export type CorruptKind = keyof typeof CORRUPT_KINDS;

export type Layout = 'per-batch' | 'per-append';
export type GenTimestampType = 'CreateTime' | 'LogAppendTime';

export interface GenerateOptions {
  /** Data records to write (transaction markers come on top); unlimited when only `bytes` is given. */
  records: number;
  /** Also stop once the .log files hold this many bytes (null: no byte limit). */
  bytes: number | null;
  magic: 0 | 1 | 2;
  /** Codec per batch, drawn from this list (repeat a codec to weight it). */
  compression: CompressionWriteName[];
  recordsPerBatch: Range;
  /** Batches (producer batches) per append call; defaults to 1, or 2-6 for the per-append layout. */
  batchesPerAppend: Range;
  segmentBytes: number;
  indexIntervalBytes: number;
  /** Keys `key-NNNNNN` drawn from this many; 0 = null keys. */
  keySpace: number;
  tombstoneRatio: number;
  /** Up to this many headers per record (v2 only). */
  headers: number;
  valueSize: Range;
  timestampType: GenTimestampType;
  startOffset: number;
  startTimestamp: number;
  /** Create times lag the producer clock by up to this many ms (out-of-order timestamps). */
  timestampJitter: number;
  transactions: boolean;
  idempotent: boolean;
  /** Producers per kind (transactional / idempotent); default 3 for transactions, 2 for idempotent. */
  producers: number;
  /** Share of transactions that end with ABORT. */
  abortRatio: number;
  /** Leader changes over the log (each bumps the partition leader epoch by 1 or 2). */
  leaderEpochs: number;
  layout: Layout;
  seed: number;
  /** partition.metadata topic id (22-char URL-safe base64); null = derived from the seed. */
  topicId: string | null;
  corrupt: CorruptKind | null;
  /** Write into a non-empty directory, replacing partition files already there. */
  force: boolean;
  /** fsync files at segment close and the directory at the end (off: faster, not crash-safe). */
  fsync: boolean;
  /** Records of an internal topic instead of key-NNNNNN/text records (see internal-content.ts); null: ordinary records. */
  internal: 'offsets' | 'transactions' | 'share-group-state' | 'metadata' | null;
}

export const GENERATE_DEFAULTS: GenerateOptions = {
  records: 1000,
  bytes: null,
  magic: 2,
  compression: ['none'],
  recordsPerBatch: { min: 1, max: 20 },
  batchesPerAppend: { min: 1, max: 1 },
  segmentBytes: 1073741824,
  indexIntervalBytes: 4096,
  keySpace: 1000,
  tombstoneRatio: 0,
  headers: 0,
  valueSize: { min: 20, max: 200 },
  timestampType: 'CreateTime',
  startOffset: 0,
  startTimestamp: 1700000000000,
  timestampJitter: 0,
  transactions: false,
  idempotent: false,
  producers: 3,
  abortRatio: 0.3,
  leaderEpochs: 0,
  layout: 'per-batch',
  seed: 1,
  topicId: null,
  corrupt: null,
  force: false,
  fsync: true,
  internal: null,
};

const INT32_MAX = 2147483647;
const MAX_RECORDS_PER_BATCH = 1_000_000;
const MAX_VALUE_SIZE = 64 * 1024 * 1024;

function int(name: string, v: number, min: number, max: number): void {
  if (!Number.isSafeInteger(v)) throw new UsageError(`${name}: ${v} is not an integer`);
  if (v < min || v > max) throw new UsageError(`${name}: ${v} is out of range (${min}..${max})`);
}

function range(name: string, r: Range, min: number, max: number): void {
  int(name, r.min, min, max);
  int(name, r.max, min, max);
  if (r.max < r.min) throw new UsageError(`${name}: ${r.min}-${r.max} is an empty range (MIN must not exceed MAX)`);
}

function ratio(name: string, v: number): void {
  if (!Number.isFinite(v) || v < 0 || v > 1) throw new UsageError(`${name}: ${v} is not a ratio between 0 and 1`);
}

export function isValidTopicId(id: string): boolean {
  if (!/^[A-Za-z0-9_-]{22}$/.test(id)) return false;
  const bytes = Buffer.from(id, 'base64url');
  return bytes.length === 16 && bytes.some((b) => b !== 0) && bytes.toString('base64url') === id;
}

/**
 * Fill defaults and check every option and every combination a broker would refuse (e.g. zstd or
 * headers in message format v0/v1). Throws UsageError naming the flag.
 */
export function resolveGenerateOptions(input: Partial<GenerateOptions> & { producers?: number | null; abortRatio?: number | null } = {}): GenerateOptions {
  const explicit = (k: keyof GenerateOptions): boolean => input[k] !== undefined && input[k] !== null;
  const layout = input.layout ?? GENERATE_DEFAULTS.layout;
  const o: GenerateOptions = {
    ...GENERATE_DEFAULTS,
    batchesPerAppend: layout === 'per-append' ? { min: 2, max: 6 } : GENERATE_DEFAULTS.batchesPerAppend,
    producers: input.transactions ? 3 : 2,
    ...Object.fromEntries(Object.entries(input).filter(([, v]) => v !== undefined && v !== null)),
    bytes: input.bytes ?? null,
    // With only a byte budget, the bytes decide when to stop.
    records: input.records ?? (input.bytes !== undefined && input.bytes !== null ? Number.MAX_SAFE_INTEGER : GENERATE_DEFAULTS.records),
    topicId: input.topicId ?? null,
    corrupt: input.corrupt ?? null,
    internal: input.internal ?? null,
  } as GenerateOptions;

  int('--records', o.records, 0, Number.MAX_SAFE_INTEGER);
  if (o.bytes !== null) int('--bytes', o.bytes, 1, Number.MAX_SAFE_INTEGER);
  if (o.magic !== 0 && o.magic !== 1 && o.magic !== 2) throw new UsageError(`--magic: ${String(o.magic)} is not a message format (0, 1 or 2)`);
  if (!Array.isArray(o.compression) || o.compression.length === 0) throw new UsageError('--compression: give at least one codec');
  for (const c of o.compression) {
    if (!(GENERATE_CODECS as readonly string[]).includes(c)) throw new UsageError(`--compression: unknown codec '${c}' (${GENERATE_CODECS.join(', ')})`);
    if (c === 'zstd' && o.magic < 2) throw new UsageError(`--compression zstd needs message format v2: Kafka rejects zstd in v${o.magic} messages`);
  }
  range('--records-per-batch', o.recordsPerBatch, 1, MAX_RECORDS_PER_BATCH);
  range('--batches-per-append', o.batchesPerAppend, 1, 10_000);
  int('--segment-bytes', o.segmentBytes, 14, INT32_MAX);
  int('--index-interval-bytes', o.indexIntervalBytes, 0, INT32_MAX);
  int('--key-space', o.keySpace, 0, INT32_MAX);
  ratio('--tombstone-ratio', o.tombstoneRatio);
  int('--headers', o.headers, 0, 1000);
  if (o.headers > 0 && o.magic < 2) throw new UsageError(`--headers needs message format v2: v${o.magic} messages have no headers`);
  range('--value-size', o.valueSize, 0, MAX_VALUE_SIZE);
  if (o.timestampType !== 'CreateTime' && o.timestampType !== 'LogAppendTime') throw new UsageError(`--timestamp-type: '${String(o.timestampType)}' is not create or logappend`);
  if (o.timestampType === 'LogAppendTime' && o.magic === 0) throw new UsageError('--timestamp-type logappend needs message format v1 or v2: v0 messages have no timestamps');
  // Every record takes at least a byte of the budget; markers add at most one offset per data record.
  const offsetsNeeded = 2 * (o.bytes !== null ? Math.min(o.records, o.bytes) : o.records);
  int('--start-offset', o.startOffset, 0, Number.MAX_SAFE_INTEGER);
  if (o.startOffset > Number.MAX_SAFE_INTEGER - offsetsNeeded) throw new UsageError(`--start-offset: ${o.startOffset} leaves no room for the requested records below 2^53`);
  int('--start-timestamp', o.startTimestamp, 0, 8.64e15);
  int('--timestamp-jitter', o.timestampJitter, 0, o.startTimestamp);
  if (typeof o.transactions !== 'boolean' || typeof o.idempotent !== 'boolean') throw new UsageError('--transactions and --idempotent are switches');
  if (o.magic < 2) {
    for (const [flag, on] of [
      ['--transactions', o.transactions],
      ['--idempotent', o.idempotent],
      ['--leader-epochs', o.leaderEpochs > 0],
    ] as const) {
      if (on) throw new UsageError(`${flag} needs message format v2: v${o.magic} batches carry no producer ids or leader epochs`);
    }
  }
  int('--producers', o.producers, 1, 1000);
  if (explicit('producers') && !o.transactions && !o.idempotent) throw new UsageError('--producers needs --idempotent or --transactions');
  ratio('--abort-ratio', o.abortRatio);
  if (explicit('abortRatio') && !o.transactions) throw new UsageError('--abort-ratio needs --transactions');
  int('--leader-epochs', o.leaderEpochs, 0, 1_000_000);
  if (o.layout !== 'per-batch' && o.layout !== 'per-append') throw new UsageError(`--layout: '${String(o.layout)}' is not per-batch or per-append`);
  int('--seed', o.seed, Number.MIN_SAFE_INTEGER, Number.MAX_SAFE_INTEGER);
  if (o.topicId !== null && !isValidTopicId(o.topicId))
    throw new UsageError(`--topic-id: '${o.topicId}' is not a non-zero topic id (22 characters of URL-safe base64, as in partition.metadata)`);
  if (o.internal !== null) {
    if (!['offsets', 'transactions', 'share-group-state', 'metadata'].includes(o.internal))
      throw new UsageError(`--internal: unknown topic kind '${String(o.internal)}' (offsets, transactions, share-group-state, metadata)`);
    if (o.magic < 2) throw new UsageError('--internal needs message format v2');
  }
  if (o.corrupt !== null) {
    if (!Object.hasOwn(CORRUPT_KINDS, o.corrupt)) throw new UsageError(`--corrupt: unknown kind '${o.corrupt}' (${Object.keys(CORRUPT_KINDS).join(', ')})`);
    if (o.corrupt === 'timeindex-nonmonotonic' && o.magic === 0) throw new UsageError('--corrupt timeindex-nonmonotonic needs timestamps: v0 segments have empty .timeindex files');
  }
  return o;
}
