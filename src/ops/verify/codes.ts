/**
 * The codes `verify` reports: one line each with its severity (before `--strict`), the file kind it
 * is about and its meaning. The README's table is generated from this list (scripts/readme-codes.mjs);
 * codes are stable identifiers (OUTPUT.md). `IssueCodeName` is the union of the codes, so a
 * misspelt code passed to the Reporter fails to compile.
 */
export type Severity = 'error' | 'warning' | 'info';

export interface IssueCode<C extends string = string> {
  code: C;
  severity: Severity;
  /** Which file kind the code is about. */
  kind: 'log' | 'index' | 'timeindex' | 'txnindex' | 'snapshot' | 'checkpoint' | 'directory' | 'kraft-snapshot';
  meaning: string;
}

const CODES = [
  // .log entries
  { code: 'SIZE_TOO_SMALL', severity: 'error', kind: 'log', meaning: "length field below the minimum (14; 61 for v2, 22 for v1): Kafka's recovery truncates the log here" },
  {
    code: 'SIZE_TOO_LARGE',
    severity: 'error',
    kind: 'log',
    meaning: 'length field runs past the end of the file although valid batches follow: Kafka would cut everything after it as a torn tail',
  },
  {
    code: 'ZERO_TAIL',
    severity: 'error',
    kind: 'log',
    meaning: 'zero-filled bytes after the last batch (preallocated segment after an unclean shutdown); recovery truncates them',
  },
  { code: 'PARTIAL_TAIL', severity: 'error', kind: 'log', meaning: 'the file ends inside a batch (torn write) or with 17 or fewer stray bytes; recovery truncates them' },
  {
    code: 'RECORD_SET_PARTIAL_TAIL',
    severity: 'info',
    kind: 'log',
    meaning: 'a record set cut from a fetch response ends in a partial batch (normal: the broker cuts at max bytes)',
  },
  { code: 'CRC_MISMATCH', severity: 'error', kind: 'log', meaning: 'stored CRC differs from the computed one (CRC-32C from byte 21 for v2, CRC-32 from the magic byte for v0/v1)' },
  { code: 'BAD_MAGIC', severity: 'error', kind: 'log', meaning: "magic byte is not 0, 1 or 2 (not covered by the v2 CRC, so Kafka's recovery keeps the batch)" },
  { code: 'RECORD_DECODE_ERROR', severity: 'error', kind: 'log', meaning: 'the records (or v0/v1 inner messages) of a batch cannot be parsed' },
  { code: 'DECOMPRESSION_ERROR', severity: 'error', kind: 'log', meaning: 'the compressed records of a batch cannot be decompressed' },
  {
    code: 'DECOMPRESSED_TOO_LARGE',
    severity: 'error',
    kind: 'log',
    meaning:
      'a compressed batch expands past --max-decompressed-bytes (default 128 MiB): a decompression bomb, or a legitimately huge batch that needs a higher limit; kseg stops instead of holding it in memory',
  },
  { code: 'UNKNOWN_COMPRESSION', severity: 'error', kind: 'log', meaning: 'compression codec id 5-7 in the attributes' },
  { code: 'RECORD_COUNT_MISMATCH', severity: 'error', kind: 'log', meaning: 'v2 recordsCount is negative or larger than lastOffsetDelta + 1' },
  { code: 'LAST_OFFSET_DELTA_MISMATCH', severity: 'error', kind: 'log', meaning: "lastOffsetDelta is negative or below the offset delta of the batch's last record" },
  { code: 'RECORD_OFFSETS_NOT_INCREASING', severity: 'error', kind: 'log', meaning: 'record offset deltas inside a batch are negative or not strictly increasing' },
  { code: 'OFFSET_NOT_INCREASING', severity: 'error', kind: 'log', meaning: 'a batch starts at or below the last offset of the batch before it (same or previous segment)' },
  { code: 'SEGMENT_BASE_ABOVE_FIRST_OFFSET', severity: 'error', kind: 'log', meaning: "a batch offset is below the base offset in the segment's file name" },
  {
    code: 'OFFSET_OVERFLOW',
    severity: 'error',
    kind: 'log',
    meaning: 'an offset is more than 2^31-1 above the segment base (not representable in the indexes; Kafka splits the segment)',
  },
  { code: 'MAX_TIMESTAMP_MISMATCH', severity: 'warning', kind: 'log', meaning: 'CreateTime batch whose maxTimestamp differs from the largest record timestamp' },
  {
    code: 'CONTROL_RECORD_INVALID',
    severity: 'error',
    kind: 'log',
    meaning:
      "a control batch whose record is not a valid control record (key/value too short, negative version, null); one issue per batch, at the batch, saying what Kafka's recovery does with a transaction marker it cannot parse",
  },
  { code: 'LOG_TOO_LARGE', severity: 'error', kind: 'log', meaning: 'segment larger than 2147483647 bytes (Kafka refuses to open it)' },
  {
    code: 'SEGMENT_OVERLAP',
    severity: 'error',
    kind: 'log',
    meaning: "a segment's base offset is not above the last offset of the previous segment (or two files share a base offset)",
  },
  { code: 'SEGMENT_NAME_IRREGULAR', severity: 'warning', kind: 'directory', meaning: 'segment file name whose offset is not 20 digits (Kafka parses it, but never writes it)' },
  // .index
  { code: 'INDEX_MISSING', severity: 'info', kind: 'index', meaning: 'non-empty segment without .index (Kafka rebuilds it at startup)' },
  { code: 'INDEX_SIZE_NOT_MULTIPLE', severity: 'warning', kind: 'index', meaning: '.index length is not a multiple of 8 (the partial entry is ignored)' },
  { code: 'INDEX_OFFSET_BELOW_BASE', severity: 'error', kind: 'index', meaning: 'entry with a negative relative offset' },
  { code: 'INDEX_OFFSET_NOT_INCREASING', severity: 'error', kind: 'index', meaning: "entry offset not above the previous entry's (lookups binary-search a sorted array)" },
  { code: 'INDEX_POSITION_NOT_INCREASING', severity: 'error', kind: 'index', meaning: "entry position not above the previous entry's" },
  { code: 'INDEX_POSITION_NOT_BATCH_START', severity: 'error', kind: 'index', meaning: 'entry position is not the start of a batch' },
  { code: 'INDEX_POSITION_BEYOND_LOG_END', severity: 'error', kind: 'index', meaning: 'entry position at or past the end of the valid log data' },
  { code: 'INDEX_OFFSET_BEYOND_LOG_END', severity: 'error', kind: 'index', meaning: 'entry offset above the last offset in the segment' },
  {
    code: 'INDEX_OFFSET_MISMATCH',
    severity: 'error',
    kind: 'index',
    meaning: 'entry offset below the first offset of the batch at its position (lookups would start after the wanted batch)',
  },
  {
    code: 'INDEX_TOO_LARGE',
    severity: 'error',
    kind: 'index',
    meaning: '.index larger than 2147483647 bytes (a preallocation gone wrong): Kafka cannot map it and fails to load the log; recover rebuilds it',
  },
  { code: 'INDEX_ZERO_TAIL', severity: 'warning', kind: 'index', meaning: "untrimmed all-zero entries at the end of an inactive segment's .index (lookups still work, slower)" },
  // .timeindex
  { code: 'TIMEINDEX_MISSING', severity: 'info', kind: 'timeindex', meaning: 'non-empty segment without .timeindex (Kafka creates it at startup)' },
  { code: 'TIMEINDEX_SIZE_NOT_MULTIPLE', severity: 'warning', kind: 'timeindex', meaning: '.timeindex length is not a multiple of 12' },
  { code: 'TIMEINDEX_OFFSET_BELOW_BASE', severity: 'error', kind: 'timeindex', meaning: 'entry with a negative relative offset' },
  { code: 'TIMEINDEX_NOT_INCREASING', severity: 'error', kind: 'timeindex', meaning: "entry timestamp not above the previous entry's" },
  { code: 'TIMEINDEX_OFFSET_NOT_INCREASING', severity: 'error', kind: 'timeindex', meaning: "entry offset below the previous entry's" },
  { code: 'TIMEINDEX_OFFSET_BEYOND_LOG_END', severity: 'error', kind: 'timeindex', meaning: 'entry offset above the last offset in the segment' },
  { code: 'TIMEINDEX_OFFSET_NOT_FOUND', severity: 'warning', kind: 'timeindex', meaning: 'entry offset falls in a gap between batches' },
  {
    code: 'TIMEINDEX_TIMESTAMP_MISMATCH',
    severity: 'error',
    kind: 'timeindex',
    meaning: 'entry timestamp is not the largest timestamp of the batches up to its offset (time lookups would be wrong)',
  },
  {
    code: 'TIMEINDEX_TOO_LARGE',
    severity: 'error',
    kind: 'timeindex',
    meaning: '.timeindex larger than 2147483647 bytes (a preallocation gone wrong): Kafka cannot map it and fails to load the log; recover rebuilds it',
  },
  {
    code: 'TIMEINDEX_ZERO_TAIL',
    severity: 'error',
    kind: 'timeindex',
    meaning: "all-zero entries at the end of an inactive segment's .timeindex: Kafka reads the segment's largest timestamp as 0, so time retention deletes it early",
  },
  // .txnindex
  { code: 'TXNINDEX_SIZE_NOT_MULTIPLE', severity: 'warning', kind: 'txnindex', meaning: '.txnindex length is not a multiple of 34 (the partial entry is ignored)' },
  {
    code: 'TXNINDEX_TOO_LARGE',
    severity: 'error',
    kind: 'txnindex',
    meaning: '.txnindex larger than 2147483647 bytes (over 63 million aborted transactions: a broken file); kseg cannot hold it, recover rebuilds it',
  },
  { code: 'TXNINDEX_BAD_VERSION', severity: 'error', kind: 'txnindex', meaning: 'entry version is not 0' },
  { code: 'TXNINDEX_NOT_INCREASING', severity: 'error', kind: 'txnindex', meaning: "entry lastOffset not above the previous entry's" },
  { code: 'TXNINDEX_FIRST_AFTER_LAST', severity: 'error', kind: 'txnindex', meaning: 'entry firstOffset above its lastOffset' },
  { code: 'TXNINDEX_OFFSET_OUT_OF_SEGMENT', severity: 'error', kind: 'txnindex', meaning: "entry lastOffset outside the segment's offsets" },
  { code: 'TXNINDEX_MARKER_MISSING', severity: 'error', kind: 'txnindex', meaning: "no ABORT marker of that producer at the entry's lastOffset" },
  {
    code: 'TXNINDEX_ENTRY_MISSING',
    severity: 'error',
    kind: 'txnindex',
    meaning: 'an ABORT marker (without delete horizon) has no .txnindex entry: read_committed consumers would see aborted records',
  },
  {
    code: 'TXNINDEX_FIRST_OFFSET_MISMATCH',
    severity: 'error',
    kind: 'txnindex',
    meaning: "entry firstOffset above the transaction's first batch in the log: its first aborted records would reach read_committed consumers",
  },
  // .snapshot
  { code: 'SNAPSHOT_CRC_MISMATCH', severity: 'error', kind: 'snapshot', meaning: 'producer snapshot CRC-32C mismatch (Kafka deletes it and rebuilds producer state)' },
  { code: 'SNAPSHOT_TRUNCATED', severity: 'error', kind: 'snapshot', meaning: 'producer snapshot shorter or longer than its entry count says' },
  { code: 'SNAPSHOT_BAD_VERSION', severity: 'error', kind: 'snapshot', meaning: 'producer snapshot version is not 1' },
  { code: 'SNAPSHOT_BEYOND_LOG_END', severity: 'warning', kind: 'snapshot', meaning: 'snapshot offset above the log end offset (Kafka deletes it at startup)' },
  // checkpoints and metadata
  { code: 'CHECKPOINT_MALFORMED', severity: 'error', kind: 'checkpoint', meaning: 'checkpoint file line that does not parse' },
  { code: 'CHECKPOINT_BAD_VERSION', severity: 'error', kind: 'checkpoint', meaning: 'checkpoint version is not 0' },
  { code: 'CHECKPOINT_COUNT_MISMATCH', severity: 'error', kind: 'checkpoint', meaning: 'checkpoint entry count differs from its lines' },
  { code: 'LEADER_EPOCH_NOT_INCREASING', severity: 'error', kind: 'checkpoint', meaning: 'leader-epoch-checkpoint epochs or start offsets not strictly increasing' },
  { code: 'LEADER_EPOCH_BEYOND_LOG_END', severity: 'warning', kind: 'checkpoint', meaning: 'leader epoch start offset above the log end offset' },
  { code: 'PARTITION_METADATA_MALFORMED', severity: 'error', kind: 'checkpoint', meaning: 'partition.metadata does not parse (version, topic_id)' },
  // directory
  { code: 'LEFTOVER_DELETED', severity: 'info', kind: 'directory', meaning: '.deleted file awaiting asynchronous deletion (Kafka deletes it at startup)' },
  { code: 'LEFTOVER_CLEANED', severity: 'warning', kind: 'directory', meaning: '.cleaned file of an unfinished clean or split (discarded by recovery)' },
  { code: 'LEFTOVER_SWAP', severity: 'warning', kind: 'directory', meaning: '.swap file of an unfinished clean or split (completed by recovery)' },
  { code: 'LEFTOVER_TEMP', severity: 'warning', kind: 'directory', meaning: 'temporary file of an interrupted kseg write (recover deletes it)' },
  {
    code: 'INTENT_PENDING',
    severity: 'warning',
    kind: 'directory',
    meaning: 'intent record of an interrupted kseg truncate/compact: the partition is mid-change until kseg recover completes it',
  },
  { code: 'ORPHAN_INDEX', severity: 'warning', kind: 'directory', meaning: 'index file without a .log (Kafka deletes it at startup)' },
  { code: 'LOG_MISSING', severity: 'info', kind: 'directory', meaning: 'an index file was given but its .log is absent, so only its own structure was checked' },
  { code: 'UNKNOWN_FILE', severity: 'info', kind: 'directory', meaning: 'a file Kafka does not use in a partition directory' },
  // KRaft snapshots (<offset>-<epoch>.checkpoint, bootstrap.checkpoint)
  { code: 'SNAPSHOT_HEADER_MISSING', severity: 'error', kind: 'kraft-snapshot', meaning: 'the first record of a KRaft snapshot is not a SnapshotHeaderRecord control record' },
  {
    code: 'SNAPSHOT_FOOTER_MISSING',
    severity: 'error',
    kind: 'kraft-snapshot',
    meaning: 'the last record of a KRaft snapshot is not a SnapshotFooterRecord (unfinished or cut; Kafka does not load it)',
  },
  { code: 'SNAPSHOT_OFFSET_GAP', severity: 'error', kind: 'kraft-snapshot', meaning: "a KRaft snapshot's batches do not hold consecutive offsets from 0" },
  {
    code: 'SNAPSHOT_RECORD_UNDECODABLE',
    severity: 'error',
    kind: 'kraft-snapshot',
    meaning: 'a metadata record in a KRaft snapshot does not follow its schema (bytes short or left over)',
  },
  {
    code: 'SNAPSHOT_RECORD_UNKNOWN',
    severity: 'warning',
    kind: 'kraft-snapshot',
    meaning: 'a KRaft snapshot holds a metadata record type or version kseg does not know (newer Kafka?)',
  },
] as const satisfies readonly IssueCode[];

/** Every code verify can report. */
export type IssueCodeName = (typeof CODES)[number]['code'];

/** Every code `verify` can report, with its severity (before `--strict`) and one line of meaning. */
export const ISSUE_CODES: readonly IssueCode<IssueCodeName>[] = CODES;

const CODE_INFO = new Map<string, IssueCode<IssueCodeName>>(ISSUE_CODES.map((c) => [c.code, c]));

export function isIssueCode(code: string): code is IssueCodeName {
  return CODE_INFO.has(code);
}

/** The severity of a code before `--strict`. */
export function severityOf(code: IssueCodeName): Severity {
  return CODE_INFO.get(code)!.severity;
}
