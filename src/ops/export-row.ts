/** The fields of an ExportRow that belong to its batch (the same on every row of the batch). */
export interface BatchFields {
  topic: string | null;
  partition: number | null;
  /** .log file name the batch was read from, and its byte position there. */
  file: string;
  position: number;
  baseOffset: number;
  lastOffset: number;
  /** The int64 at byte 0 of the entry (v2 baseOffset; v0/v1 the message or wrapper offset). */
  entryOffset: number;
  magic: number;
  compression: string;
  /** Snappy batches: true when the payload uses the xerial stream framing (Kafka's producer), false for raw snappy; null for other codecs. */
  snappyXerial: boolean | null;
  /** Batch (v2) or wrapper/message (v0/v1) attributes as stored. */
  batchAttributes: number;
  /** Stored CRC (unsigned) and whether it matched the bytes. */
  batchCrc: number;
  crcValid: boolean;
  producerId: number;
  producerEpoch: number;
  baseSequence: number;
  partitionLeaderEpoch: number;
  isTransactional: boolean;
  isControl: boolean;
  /** v2 baseTimestamp (the delete horizon when attributes bit 6 is set); -1 for v0/v1. */
  firstTimestamp: number;
  /** v2 maxTimestamp, v1 wrapper/message timestamp, -1 for v0. */
  maxTimestamp: number;
  lastOffsetDelta: number;
  /** Records in the batch (v2 recordsCount; v0/v1 inner messages). */
  recordCount: number;
  /** Entry size on disk (12 + length field). */
  batchSize: number;
  /** The batch's timestamp type: the `timestampType` of the row of a batch without records. */
  timestampType: string;
}

/** One row of `kseg export` (ops/export.ts writes them, ops/import.ts reads them back): a record with its batch's header fields. */
export interface ExportRow extends BatchFields {
  offset: number | null;
  timestamp: number | null;
  /** The record's timestamp type (its batch's for the row of a batch without records). */
  timestampType: string;
  recordAttributes: number | null;
  offsetDelta: number | null;
  timestampDelta: number | null;
  /** Message format of the record itself (inner v0/v1 messages can differ from their wrapper). */
  recordMagic: number | null;
  key: Buffer | null;
  value: Buffer | null;
  headers: { key: string; value: Buffer | null }[];
}

/** What a row takes from its record (KafkaRecord's fields; a header key as decoded bytes). */
export interface RowRecord {
  offset: number;
  timestamp: number;
  timestampType: string;
  attributes: number;
  offsetDelta: number;
  timestampDelta: number;
  magic: number;
  key: Buffer | null;
  value: Buffer | null;
  headers: readonly { key: Buffer; value: Buffer | null }[];
}

const NO_HEADERS: ExportRow['headers'] = [];

/** The row of record `r` of a batch (`r` null: the one row of a batch without records). */
export function rowOf(b: BatchFields, r: RowRecord | null): ExportRow {
  const v2 = r !== null && r.magic >= 2;
  return {
    topic: b.topic,
    partition: b.partition,
    file: b.file,
    position: b.position,
    baseOffset: b.baseOffset,
    lastOffset: b.lastOffset,
    entryOffset: b.entryOffset,
    magic: b.magic,
    compression: b.compression,
    snappyXerial: b.snappyXerial,
    batchAttributes: b.batchAttributes,
    batchCrc: b.batchCrc,
    crcValid: b.crcValid,
    producerId: b.producerId,
    producerEpoch: b.producerEpoch,
    baseSequence: b.baseSequence,
    partitionLeaderEpoch: b.partitionLeaderEpoch,
    isTransactional: b.isTransactional,
    isControl: b.isControl,
    firstTimestamp: b.firstTimestamp,
    maxTimestamp: b.maxTimestamp,
    lastOffsetDelta: b.lastOffsetDelta,
    recordCount: b.recordCount,
    batchSize: b.batchSize,
    offset: r === null ? null : r.offset,
    timestamp: r === null ? null : r.timestamp,
    timestampType: r === null ? b.timestampType : r.timestampType,
    recordAttributes: r === null ? null : r.attributes,
    offsetDelta: v2 ? r.offsetDelta : null,
    timestampDelta: v2 ? r.timestampDelta : null,
    recordMagic: r === null ? null : r.magic,
    key: r === null ? null : r.key,
    value: r === null ? null : r.value,
    headers: r === null || r.headers.length === 0 ? NO_HEADERS : r.headers.map((h) => ({ key: h.key.toString('utf8'), value: h.value })),
  };
}

/** Column order of every export format (CSV header, Parquet schema, NDJSON key order). */
export const EXPORT_COLUMNS = [
  'topic',
  'partition',
  'file',
  'position',
  'baseOffset',
  'lastOffset',
  'entryOffset',
  'magic',
  'compression',
  'batchAttributes',
  'batchCrc',
  'crcValid',
  'producerId',
  'producerEpoch',
  'baseSequence',
  'partitionLeaderEpoch',
  'isTransactional',
  'isControl',
  'firstTimestamp',
  'maxTimestamp',
  'lastOffsetDelta',
  'recordCount',
  'batchSize',
  'offset',
  'timestamp',
  'timestampType',
  'recordAttributes',
  'offsetDelta',
  'timestampDelta',
  'recordMagic',
  'key',
  'value',
  'headers',
  'snappyXerial',
] as const satisfies readonly (keyof ExportRow)[];
