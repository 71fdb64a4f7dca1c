import { checkKraftSnapshot } from './kraft-snapshot.js';
import fs from 'node:fs';
import path from 'node:path';
import {
  ATTR_COMPRESSION_MASK,
  batchRecords,
  decodeBatch,
  frameEntry,
  HEADER_SIZE_UP_TO_MAGIC,
  LAST_OFFSET_DELTA_OFFSET,
  LEGACY_ATTRIBUTES_OFFSET,
  LEGACY_CRC_OFFSET,
  LEGACY_MAGIC_OFFSET,
  LEGACY_TIMESTAMP_OFFSET,
  LOG_OVERHEAD,
  MAGIC_OFFSET,
  CRC_OFFSET,
  ATTRIBUTES_OFFSET,
  RECORD_BATCH_OVERHEAD,
  RECORD_OVERHEAD_V0,
  RECORD_OVERHEAD_V1,
  RECORDS_COUNT_OFFSET,
  scanBatchRecords,
  SIZE_OFFSET,
  type Batch,
} from '../format/batch.js';
import { crc32, crc32c } from '../format/crc.js';
import { CorruptDataError, ioError, KsegError, UsageError } from '../format/errors.js';
import { IndexBuilder } from '../format/index-rule.js';
import { encodeAbortedTxn, OFFSET_INDEX_ENTRY_SIZE, TIME_INDEX_ENTRY_SIZE, TXN_INDEX_ENTRY_SIZE } from '../format/indexes.js';
import { readInt16, readInt32, readInt64, readUInt32 } from '../format/int64.js';
import { parseLeaderEpochCheckpoint, parseLogDirCheckpoint, parsePartitionMetadata } from '../format/checkpoints.js';
import { parseProducerSnapshot } from '../format/snapshot.js';
import { controlRecoveryOutcome, type ControlRecoveryOutcome } from '../format/control.js';
import { isZero } from '../storage/log-reader.js';
import { MAX_WHOLE_FILE, openSource, readWholeFile, type ByteSource } from '../storage/source.js';
import { classifyFile, parseSegmentName, requirePartition, scanPartitionDir, subdirectories, type PartitionDir, type Segment } from '../storage/segments.js';
import { TEMP_SUFFIX } from '../storage/atomic.js';
import { INTENT_FILE } from './intent.js';
import { VerifyPool, type SegmentChecks } from './verify-parallel.js';
import { ProgressMeter, type OnProgress } from './progress.js';

// ================================================================== issue codes

export type Severity = 'error' | 'warning' | 'info';

export interface IssueCode {
  code: string;
  severity: Severity;
  /** Which file kind the code is about. */
  kind: 'log' | 'index' | 'timeindex' | 'txnindex' | 'snapshot' | 'checkpoint' | 'directory' | 'kraft-snapshot';
  meaning: string;
}

/**
 * Every code `verify` can report, with its severity (before `--strict`) and one line of meaning.
 * The README's table is generated from this list; codes are stable identifiers (OUTPUT.md).
 */
export const ISSUE_CODES: readonly IssueCode[] = [
  // .log entries
  { code: 'SIZE_TOO_SMALL', severity: 'error', kind: 'log', meaning: 'length field below the minimum (14; 61 for v2, 22 for v1): Kafka\'s recovery truncates the log here' },
  { code: 'SIZE_TOO_LARGE', severity: 'error', kind: 'log', meaning: 'length field runs past the end of the file although valid batches follow: Kafka would cut everything after it as a torn tail' },
  { code: 'ZERO_TAIL', severity: 'error', kind: 'log', meaning: 'zero-filled bytes after the last batch (preallocated segment after an unclean shutdown); recovery truncates them' },
  { code: 'PARTIAL_TAIL', severity: 'error', kind: 'log', meaning: 'the file ends inside a batch (torn write) or with 17 or fewer stray bytes; recovery truncates them' },
  { code: 'RECORD_SET_PARTIAL_TAIL', severity: 'info', kind: 'log', meaning: 'a record set cut from a fetch response ends in a partial batch (normal: the broker cuts at max bytes)' },
  { code: 'CRC_MISMATCH', severity: 'error', kind: 'log', meaning: 'stored CRC differs from the computed one (CRC-32C from byte 21 for v2, CRC-32 from the magic byte for v0/v1)' },
  { code: 'BAD_MAGIC', severity: 'error', kind: 'log', meaning: 'magic byte is not 0, 1 or 2 (not covered by the v2 CRC, so Kafka\'s recovery keeps the batch)' },
  { code: 'RECORD_DECODE_ERROR', severity: 'error', kind: 'log', meaning: 'the records (or v0/v1 inner messages) of a batch cannot be parsed' },
  { code: 'DECOMPRESSION_ERROR', severity: 'error', kind: 'log', meaning: 'the compressed records of a batch cannot be decompressed' },
  { code: 'DECOMPRESSED_TOO_LARGE', severity: 'error', kind: 'log', meaning: 'a compressed batch expands past --max-decompressed-bytes (default 128 MiB): a decompression bomb, or a legitimately huge batch that needs a higher limit; kseg stops instead of holding it in memory' },
  { code: 'UNKNOWN_COMPRESSION', severity: 'error', kind: 'log', meaning: 'compression codec id 5-7 in the attributes' },
  { code: 'RECORD_COUNT_MISMATCH', severity: 'error', kind: 'log', meaning: 'v2 recordsCount is negative or larger than lastOffsetDelta + 1' },
  { code: 'LAST_OFFSET_DELTA_MISMATCH', severity: 'error', kind: 'log', meaning: 'lastOffsetDelta is negative or below the offset delta of the batch\'s last record' },
  { code: 'RECORD_OFFSETS_NOT_INCREASING', severity: 'error', kind: 'log', meaning: 'record offset deltas inside a batch are negative or not strictly increasing' },
  { code: 'OFFSET_NOT_INCREASING', severity: 'error', kind: 'log', meaning: 'a batch starts at or below the last offset of the batch before it (same or previous segment)' },
  { code: 'SEGMENT_BASE_ABOVE_FIRST_OFFSET', severity: 'error', kind: 'log', meaning: 'a batch offset is below the base offset in the segment\'s file name' },
  { code: 'OFFSET_OVERFLOW', severity: 'error', kind: 'log', meaning: 'an offset is more than 2^31-1 above the segment base (not representable in the indexes; Kafka splits the segment)' },
  { code: 'MAX_TIMESTAMP_MISMATCH', severity: 'warning', kind: 'log', meaning: 'CreateTime batch whose maxTimestamp differs from the largest record timestamp' },
  { code: 'CONTROL_RECORD_INVALID', severity: 'error', kind: 'log', meaning: "a control batch whose record is not a valid control record (key/value too short, negative version, null); one issue per batch, at the batch, saying what Kafka's recovery does with a transaction marker it cannot parse" },
  { code: 'LOG_TOO_LARGE', severity: 'error', kind: 'log', meaning: 'segment larger than 2147483647 bytes (Kafka refuses to open it)' },
  { code: 'SEGMENT_OVERLAP', severity: 'error', kind: 'log', meaning: 'a segment\'s base offset is not above the last offset of the previous segment (or two files share a base offset)' },
  { code: 'SEGMENT_NAME_IRREGULAR', severity: 'warning', kind: 'directory', meaning: 'segment file name whose offset is not 20 digits (Kafka parses it, but never writes it)' },
  // .index
  { code: 'INDEX_MISSING', severity: 'info', kind: 'index', meaning: 'non-empty segment without .index (Kafka rebuilds it at startup)' },
  { code: 'INDEX_SIZE_NOT_MULTIPLE', severity: 'warning', kind: 'index', meaning: '.index length is not a multiple of 8 (the partial entry is ignored)' },
  { code: 'INDEX_OFFSET_BELOW_BASE', severity: 'error', kind: 'index', meaning: 'entry with a negative relative offset' },
  { code: 'INDEX_OFFSET_NOT_INCREASING', severity: 'error', kind: 'index', meaning: 'entry offset not above the previous entry\'s (lookups binary-search a sorted array)' },
  { code: 'INDEX_POSITION_NOT_INCREASING', severity: 'error', kind: 'index', meaning: 'entry position not above the previous entry\'s' },
  { code: 'INDEX_POSITION_NOT_BATCH_START', severity: 'error', kind: 'index', meaning: 'entry position is not the start of a batch' },
  { code: 'INDEX_POSITION_BEYOND_LOG_END', severity: 'error', kind: 'index', meaning: 'entry position at or past the end of the valid log data' },
  { code: 'INDEX_OFFSET_BEYOND_LOG_END', severity: 'error', kind: 'index', meaning: 'entry offset above the last offset in the segment' },
  { code: 'INDEX_OFFSET_MISMATCH', severity: 'error', kind: 'index', meaning: 'entry offset below the first offset of the batch at its position (lookups would start after the wanted batch)' },
  { code: 'INDEX_TOO_LARGE', severity: 'error', kind: 'index', meaning: '.index larger than 2147483647 bytes (a preallocation gone wrong): Kafka cannot map it and fails to load the log; recover rebuilds it' },
  { code: 'INDEX_ZERO_TAIL', severity: 'warning', kind: 'index', meaning: 'untrimmed all-zero entries at the end of an inactive segment\'s .index (lookups still work, slower)' },
  // .timeindex
  { code: 'TIMEINDEX_MISSING', severity: 'info', kind: 'timeindex', meaning: 'non-empty segment without .timeindex (Kafka creates it at startup)' },
  { code: 'TIMEINDEX_SIZE_NOT_MULTIPLE', severity: 'warning', kind: 'timeindex', meaning: '.timeindex length is not a multiple of 12' },
  { code: 'TIMEINDEX_OFFSET_BELOW_BASE', severity: 'error', kind: 'timeindex', meaning: 'entry with a negative relative offset' },
  { code: 'TIMEINDEX_NOT_INCREASING', severity: 'error', kind: 'timeindex', meaning: 'entry timestamp not above the previous entry\'s' },
  { code: 'TIMEINDEX_OFFSET_NOT_INCREASING', severity: 'error', kind: 'timeindex', meaning: 'entry offset below the previous entry\'s' },
  { code: 'TIMEINDEX_OFFSET_BEYOND_LOG_END', severity: 'error', kind: 'timeindex', meaning: 'entry offset above the last offset in the segment' },
  { code: 'TIMEINDEX_OFFSET_NOT_FOUND', severity: 'warning', kind: 'timeindex', meaning: 'entry offset falls in a gap between batches' },
  { code: 'TIMEINDEX_TIMESTAMP_MISMATCH', severity: 'error', kind: 'timeindex', meaning: 'entry timestamp is not the largest timestamp of the batches up to its offset (time lookups would be wrong)' },
  { code: 'TIMEINDEX_TOO_LARGE', severity: 'error', kind: 'timeindex', meaning: '.timeindex larger than 2147483647 bytes (a preallocation gone wrong): Kafka cannot map it and fails to load the log; recover rebuilds it' },
  { code: 'TIMEINDEX_ZERO_TAIL', severity: 'error', kind: 'timeindex', meaning: 'all-zero entries at the end of an inactive segment\'s .timeindex: Kafka reads the segment\'s largest timestamp as 0, so time retention deletes it early' },
  // .txnindex
  { code: 'TXNINDEX_SIZE_NOT_MULTIPLE', severity: 'warning', kind: 'txnindex', meaning: '.txnindex length is not a multiple of 34 (the partial entry is ignored)' },
  { code: 'TXNINDEX_TOO_LARGE', severity: 'error', kind: 'txnindex', meaning: '.txnindex larger than 2147483647 bytes (over 63 million aborted transactions: a broken file); kseg cannot hold it, recover rebuilds it' },
  { code: 'TXNINDEX_BAD_VERSION', severity: 'error', kind: 'txnindex', meaning: 'entry version is not 0' },
  { code: 'TXNINDEX_NOT_INCREASING', severity: 'error', kind: 'txnindex', meaning: 'entry lastOffset not above the previous entry\'s' },
  { code: 'TXNINDEX_FIRST_AFTER_LAST', severity: 'error', kind: 'txnindex', meaning: 'entry firstOffset above its lastOffset' },
  { code: 'TXNINDEX_OFFSET_OUT_OF_SEGMENT', severity: 'error', kind: 'txnindex', meaning: 'entry lastOffset outside the segment\'s offsets' },
  { code: 'TXNINDEX_MARKER_MISSING', severity: 'error', kind: 'txnindex', meaning: 'no ABORT marker of that producer at the entry\'s lastOffset' },
  { code: 'TXNINDEX_ENTRY_MISSING', severity: 'error', kind: 'txnindex', meaning: 'an ABORT marker (without delete horizon) has no .txnindex entry: read_committed consumers would see aborted records' },
  { code: 'TXNINDEX_FIRST_OFFSET_MISMATCH', severity: 'error', kind: 'txnindex', meaning: 'entry firstOffset above the transaction\'s first batch in the log: its first aborted records would reach read_committed consumers' },
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
  { code: 'INTENT_PENDING', severity: 'warning', kind: 'directory', meaning: 'intent record of an interrupted kseg truncate/compact: the partition is mid-change until kseg recover completes it' },
  { code: 'ORPHAN_INDEX', severity: 'warning', kind: 'directory', meaning: 'index file without a .log (Kafka deletes it at startup)' },
  { code: 'LOG_MISSING', severity: 'info', kind: 'directory', meaning: 'an index file was given but its .log is absent, so only its own structure was checked' },
  { code: 'UNKNOWN_FILE', severity: 'info', kind: 'directory', meaning: 'a file Kafka does not use in a partition directory' },
  // KRaft snapshots (<offset>-<epoch>.checkpoint, bootstrap.checkpoint)
  { code: 'SNAPSHOT_HEADER_MISSING', severity: 'error', kind: 'kraft-snapshot', meaning: 'the first record of a KRaft snapshot is not a SnapshotHeaderRecord control record' },
  { code: 'SNAPSHOT_FOOTER_MISSING', severity: 'error', kind: 'kraft-snapshot', meaning: 'the last record of a KRaft snapshot is not a SnapshotFooterRecord (unfinished or cut; Kafka does not load it)' },
  { code: 'SNAPSHOT_OFFSET_GAP', severity: 'error', kind: 'kraft-snapshot', meaning: 'a KRaft snapshot\'s batches do not hold consecutive offsets from 0' },
  { code: 'SNAPSHOT_RECORD_UNDECODABLE', severity: 'error', kind: 'kraft-snapshot', meaning: 'a metadata record in a KRaft snapshot does not follow its schema (bytes short or left over)' },
  { code: 'SNAPSHOT_RECORD_UNKNOWN', severity: 'warning', kind: 'kraft-snapshot', meaning: 'a KRaft snapshot holds a metadata record type or version kseg does not know (newer Kafka?)' },
];

const CODE_INFO = new Map(ISSUE_CODES.map((c) => [c.code, c]));

export interface VerifyIssue {
  severity: Severity;
  code: string;
  /** File name within its partition directory. */
  file: string;
  /** Byte position in that file (for index problems: of the entry), or null for whole-file issues. */
  position: number | null;
  offset: number | null;
  message: string;
  /** Partition directory (only when one run covers several partitions). */
  partition?: string;
}

export interface VerifySummary {
  segments: number;
  batches: number;
  records: number;
  bytes: number;
}

export interface Recoverable {
  file: string;
  truncateAtPosition: number;
  recordsLost: number;
  /** Present (true) when part of recordsLost was estimated from offsets (an unframeable region). */
  recordsLostEstimated?: boolean;
  partition?: string;
}

const hex = (n: number): string => '0x' + (n >>> 0).toString(16).padStart(8, '0');
const INT32_MAX = 2147483647;

/** Collects issues, applying the file filter, the per-run cap and --strict. */
class Reporter {
  readonly issues: VerifyIssue[] = [];
  errors = 0;
  warnings = 0;
  infos = 0;
  omitted = 0;
  /** Codes per file (for recover: which segments need an index rebuild). */
  readonly byFile = new Map<string, Set<string>>();

  constructor(
    private readonly filter: Set<string> | null,
    private readonly maxIssues: number,
  ) {}

  add(code: string, file: string, position: number | null, offset: number | null, message: string): void {
    if (this.filter && !this.filter.has(file)) return;
    const severity = CODE_INFO.get(code)?.severity ?? 'error';
    if (severity === 'error') this.errors++;
    else if (severity === 'warning') this.warnings++;
    else this.infos++;
    let set = this.byFile.get(file);
    if (!set) this.byFile.set(file, (set = new Set()));
    set.add(code);
    if (this.issues.length >= this.maxIssues) {
      this.omitted++;
      return;
    }
    this.issues.push({ severity, code, file, position, offset, message });
  }
}

// ================================================================== transaction replay

export interface CompletedTxn {
  producerId: number;
  firstOffset: number;
  /** Offset of the COMMIT/ABORT marker. */
  lastOffset: number;
  lastStableOffset: number;
  aborted: boolean;
  /** The replay saw the transaction's first batch (false: firstOffset defaulted to the marker). */
  startSeen: boolean;
}

/**
 * Producer transaction state as Kafka's ProducerStateManager replays it during recovery: a
 * transactional data batch opens a transaction at its baseOffset (if the producer has none open);
 * a COMMIT/ABORT marker closes it. The last stable offset recorded for an aborted transaction is
 * the first offset of the earliest transaction still open from another producer, else the marker
 * offset + 1 (ProducerStateManager.lastStableOffset).
 */
export class TxnTracker {
  private readonly ongoing = new Map<number, number>();
  /**
   * Set once the replay passed bytes it could not trust (bad CRC, unframeable region, offsets
   * going backwards): transaction starts seen after that are no longer claimed as certain.
   */
  uncertain = false;

  /** Feed every v2 batch in log order; `marker` is the control type of a control batch's record. */
  onBatch(b: Batch, marker: 'ABORT' | 'COMMIT' | null): CompletedTxn | null {
    if (b.magic < 2 || b.producerId < 0) return null;
    if (b.isControl) {
      if (marker === null) return null;
      const pid = b.producerId;
      const open = this.ongoing.get(pid);
      let minOther = Infinity;
      for (const [other, first] of this.ongoing) if (other !== pid && first < minOther) minOther = first;
      this.ongoing.delete(pid);
      return {
        producerId: pid,
        firstOffset: open ?? b.baseOffset,
        lastOffset: b.baseOffset,
        lastStableOffset: minOther === Infinity ? b.baseOffset + 1 : minOther,
        aborted: marker === 'ABORT',
        startSeen: open !== undefined && !this.uncertain,
      };
    }
    if (b.isTransactional && !this.ongoing.has(b.producerId)) this.ongoing.set(b.producerId, b.baseOffset);
    return null;
  }
}

// ================================================================== partition scan

/** A partition directory as the scan sees it; `pathOf` maps names to real paths (plans use renamed views). */
export interface PartitionView {
  dir: string;
  partition: PartitionDir;
  pathOf(name: string): string;
}

export function viewOf(partition: PartitionDir): PartitionView {
  return { dir: partition.dir, partition, pathOf: (name) => path.join(partition.dir, name) };
}

export interface ScanOptions {
  /** Treat .log files as record sets cut from fetch responses (a partial last batch is normal). */
  recordSet?: boolean;
  /** Build Kafka-recovery indexes (IndexBuilder) over each segment's valid prefix. */
  buildIndexes?: { indexIntervalBytes: number };
  /** Report only issues of these file names (single-file inputs). */
  files?: Set<string>;
  /** Scan only the segments with these base offsets (default: all). */
  segments?: Set<number>;
  /** A log-format file checked on its own (KRaft snapshot, .log.swap): no side files are expected. */
  standalone?: boolean;
  maxIssues?: number;
  /** Threads that check batch CRCs and records ahead of the walk (verify --jobs). */
  pool?: VerifyPool | null;
  /** Bytes of .log walked (verify's progress). */
  progress?: ProgressMeter | null;
}

export interface RebuiltIndexes {
  index: Buffer;
  timeindex: Buffer;
  txnindex: Buffer;
  indexEntries: number;
  timeIndexEntries: number;
  txnIndexEntries: number;
}

export interface SegmentScan {
  segment: Segment;
  active: boolean;
  logSize: number;
  batches: number;
  records: number;
  /** Offsets of the decoded batches (null when none). */
  firstOffset: number | null;
  lastOffset: number | null;
  /** Where Kafka's recovery truncates this segment (first entry failing size/CRC, torn or zero tail). */
  cut: { position: number; code: string; offset: number | null } | null;
  batchesBeforeCut: number;
  recordsBeforeCut: number;
  /** lastOffset + 1 of the last batch before the cut (segment base when none). */
  nextOffsetBeforeCut: number;
  /** Records in the entries from the cut to the end of the file (header counts; estimates for unframeable regions). */
  recordsFromCut: number;
  /** Records of entries that could not be decoded (header counts or offset-gap estimates), anywhere in the file. */
  undecodedRecords: number;
  /** Part of the counts above was estimated from an offset gap. */
  estimated: boolean;
  /** The bytes of the side files as read (for rebuild --check and backups). */
  disk: { index?: Buffer; timeindex?: Buffer; txnindex?: Buffer };
  /** Sizes of side files too large to read (over 2^31-1 bytes): not in `disk`, reported, rebuilt. */
  tooLarge?: { index?: number; timeindex?: number; txnindex?: number };
  /** Preallocated zero-tail slots found on the active segment's indexes (normal, not an issue). */
  zeroTailSlots: { index: number; timeindex: number };
  rebuilt?: RebuiltIndexes;
  /** Batches whose offset would not fit a relative index offset (Kafka splits the segment). */
  overflow: boolean;
  /**
   * The v2 batches before the cut whose partition leader epoch (>= 0) is above every earlier one in
   * the segment, in file order: the only batches LogSegment.recover can assign to the leader-epoch
   * cache (it assigns an epoch only when it is above the cache's latest).
   */
  epochStarts: { epoch: number; offset: number; position: number }[];
  /** With buildIndexes: where rebuilding the indexes makes Kafka's index appends throw InvalidOffsetException (IndexBuilder.invalidOffset). */
  invalidOffset?: { position: number | null; offset: number; message: string } | null;
}

export interface PartitionScan {
  dir: string;
  mode: 'partition' | 'record-set';
  segments: SegmentScan[];
  reporter: Reporter;
  summary: VerifySummary;
  /** Log end offset as found (last segment's next offset). */
  logEndOffset: number | null;
  recoverable: Recoverable | null;
  /** Index of the segment Kafka's recovery cuts (later ones are deleted), or -1. */
  cutSegment: number;
  /** Log end offset after Kafka's recovery. */
  logEndOffsetAfterRecovery: number | null;
}

/** Files Kafka itself keeps in a partition directory besides segments and snapshots. */
const KNOWN_PARTITION_FILES = new Set(['leader-epoch-checkpoint', 'partition.metadata', 'quorum-state']);

/** A dir with only .log files (no indexes, checkpoints, metadata or snapshots): a captured record set. */
export function looksLikeRecordSet(p: PartitionDir): boolean {
  return (
    p.segments.length > 0 &&
    p.segments.every((s) => !s.index && !s.timeindex && !s.txnindex) &&
    !p.leaderEpochCheckpoint &&
    !p.partitionMetadata &&
    p.snapshots.length === 0 &&
    p.leftovers.length === 0 &&
    p.orphans.length === 0
  );
}

export function scanPartition(view: PartitionView, opts: ScanOptions = {}): PartitionScan {
  const part = view.partition;
  if (opts.pool) for (const s of part.segments) if (!opts.segments || opts.segments.has(s.baseOffset)) opts.pool.warm(view.pathOf(s.log), s.logSize);
  const rep = new Reporter(opts.files ?? null, opts.maxIssues ?? Infinity);
  const mode = opts.recordSet ?? looksLikeRecordSet(part) ? 'record-set' : 'partition';
  directoryIssues(part, rep);

  const tracker = new TxnTracker();
  const segs: SegmentScan[] = [];
  let prevLast: number | null = null;
  let prevSegName: string | null = null;
  let prevSegLast: number | null = null;
  const all = part.segments;
  for (let i = 0; i < all.length; i++) {
    const seg = all[i]!;
    if (opts.segments && !opts.segments.has(seg.baseOffset)) continue;
    const active = i === all.length - 1;
    const next = all[i + 1];
    if (prevSegName !== null) {
      const prevBase = all[i - 1]!.baseOffset;
      if (seg.baseOffset === prevBase) {
        rep.add('SEGMENT_OVERLAP', seg.log, null, seg.baseOffset, `${seg.log} and ${prevSegName} have the same base offset ${seg.baseOffset}`);
      } else if (prevSegLast !== null && seg.baseOffset <= prevSegLast) {
        rep.add('SEGMENT_OVERLAP', seg.log, null, seg.baseOffset, `segment base offset ${seg.baseOffset} is not above the last offset ${prevSegLast} of ${prevSegName} (expected > ${prevSegLast}, found ${seg.baseOffset})`);
      }
    }
    const s = scanSegment(view, seg, active, next?.baseOffset ?? null, prevLast, tracker, rep, mode, opts);
    opts.progress?.fileDone(s.logSize);
    segs.push(s);
    if (s.lastOffset !== null) {
      prevLast = s.lastOffset;
      prevSegLast = s.lastOffset;
    }
    prevSegName = seg.log;
  }

  const last = segs[segs.length - 1];
  const logEndOffset = last ? (last.lastOffset !== null ? last.lastOffset + 1 : last.segment.baseOffset) : null;
  if (!opts.segments) sideFileIssues(view, rep, logEndOffset);

  // Kafka's recovery: the first segment that loses bytes is cut; every later one is deleted.
  let cutSegment = -1;
  let recoverable: Recoverable | null = null;
  let logEndOffsetAfterRecovery = logEndOffset;
  const cutIdx = segs.findIndex((s) => s.cut !== null);
  if (cutIdx >= 0 && !opts.segments) {
    cutSegment = cutIdx;
    const cs = segs[cutIdx]!;
    let lost = cs.recordsFromCut;
    let estimated = cs.estimated;
    for (const later of segs.slice(cutIdx + 1)) {
      lost += later.records + later.undecodedRecords;
      estimated ||= later.estimated;
    }
    recoverable = { file: cs.segment.log, truncateAtPosition: cs.cut!.position, recordsLost: lost };
    if (estimated) recoverable.recordsLostEstimated = true;
    logEndOffsetAfterRecovery = cs.nextOffsetBeforeCut;
  } else if (cutIdx >= 0) {
    const cs = segs[cutIdx]!;
    recoverable = { file: cs.segment.log, truncateAtPosition: cs.cut!.position, recordsLost: cs.recordsFromCut };
  }

  return {
    dir: part.dir,
    mode,
    segments: segs,
    reporter: rep,
    summary: {
      segments: segs.length,
      batches: segs.reduce((n, s) => n + s.batches, 0),
      records: segs.reduce((n, s) => n + s.records, 0),
      bytes: segs.reduce((n, s) => n + s.logSize, 0),
    },
    logEndOffset,
    recoverable,
    cutSegment,
    logEndOffsetAfterRecovery,
  };
}

function directoryIssues(part: PartitionDir, rep: Reporter): void {
  for (const l of part.leftovers) {
    const code = l.kind === 'deleted' ? 'LEFTOVER_DELETED' : l.kind === 'cleaned' ? 'LEFTOVER_CLEANED' : 'LEFTOVER_SWAP';
    const what = l.kind === 'deleted' ? 'a file awaiting asynchronous deletion; Kafka deletes it at startup' : l.kind === 'cleaned' ? 'output of an unfinished clean or split; recovery discards it' : 'a cleaned or split segment not yet swapped in; recovery completes the swap';
    rep.add(code, l.file, null, l.baseOffset, `${l.file}: ${what}`);
  }
  for (const o of part.orphans) rep.add('ORPHAN_INDEX', o, null, parseSegmentName(o)?.baseOffset ?? null, `${o} has no .log beside it (Kafka deletes orphaned index files at startup)`);
  for (const n of part.irregular) {
    const p = parseSegmentName(n)!;
    rep.add('SEGMENT_NAME_IRREGULAR', n, null, p.baseOffset, `file name offset '${n.slice(0, n.indexOf('.'))}' is not 20 digits (expected ${String(p.baseOffset).padStart(20, '0')})`);
  }
  for (const o of part.other) {
    if (o.endsWith(TEMP_SUFFIX)) rep.add('LEFTOVER_TEMP', o, null, null, `${o} is a temporary file of an interrupted kseg write (recover deletes it)`);
    else if (o === INTENT_FILE) rep.add('INTENT_PENDING', o, null, null, `${o}: a kseg truncate or compact was interrupted; the partition is between its old and new state until kseg recover completes the change`);
    else if (!KNOWN_PARTITION_FILES.has(o) && classifyFile(o) !== 'kraft-checkpoint') rep.add('UNKNOWN_FILE', o, null, null, `${o} is not a file Kafka keeps in a partition directory`);
  }
}

// ------------------------------------------------------------------ one segment

interface SegmentContext {
  view: PartitionView;
  seg: Segment;
  rep: Reporter;
  mode: 'partition' | 'record-set';
}

function fileSize(p: string): number {
  try {
    return fs.statSync(p).size;
  } catch {
    return 0; // openSource reports it
  }
}

function readSide(view: PartitionView, name: string | undefined): Buffer | undefined {
  return name ? readWholeFile(view.pathOf(name), { pattern: 'sequential' }) : undefined;
}

/**
 * AbstractIndex maps an index whole, and FileChannel.map takes at most 2^31-1 bytes: a larger
 * .index or .timeindex (a preallocation gone wrong) stops the broker loading the log. It is
 * reported and left unread (its entries are unknown); recover and rebuild-index replace it.
 */
function oversizedSide(view: PartitionView, name: string | undefined, code: 'INDEX_TOO_LARGE' | 'TIMEINDEX_TOO_LARGE' | 'TXNINDEX_TOO_LARGE', rep: Reporter): number | undefined {
  if (!name) return undefined;
  const size = fileSize(view.pathOf(name));
  if (size <= MAX_WHOLE_FILE) return undefined;
  // TransactionIndex reads through a channel (no map), but 2 GiB of 34-byte entries is no real
  // index, and kseg holds side files in memory: reported and rebuilt like the mapped ones.
  const why = code === 'TXNINDEX_TOO_LARGE' ? 'more than kseg reads whole' : 'more than Kafka can map (it fails to load the log)';
  rep.add(code, name, null, null, `file is ${size} bytes, over ${MAX_WHOLE_FILE}: ${why}; kseg recover or rebuild-index rewrites it`);
  return size;
}

function scanSegment(
  view: PartitionView,
  seg: Segment,
  active: boolean,
  nextBase: number | null,
  prevLastIn: number | null,
  tracker: TxnTracker,
  rep: Reporter,
  mode: 'partition' | 'record-set',
  opts: ScanOptions,
): SegmentScan {
  const ctx: SegmentContext = { view, seg, rep, mode };
  const tooLarge = {
    index: oversizedSide(view, seg.index, 'INDEX_TOO_LARGE', rep),
    timeindex: oversizedSide(view, seg.timeindex, 'TIMEINDEX_TOO_LARGE', rep),
    txnindex: oversizedSide(view, seg.txnindex, 'TXNINDEX_TOO_LARGE', rep),
  };
  const disk = {
    index: tooLarge.index === undefined ? readSide(view, seg.index) : undefined,
    timeindex: tooLarge.timeindex === undefined ? readSide(view, seg.timeindex) : undefined,
    txnindex: tooLarge.txnindex === undefined ? readSide(view, seg.txnindex) : undefined,
  };
  const idx = disk.index ? new OffsetIndexCheck(disk.index, seg, active, rep) : null;
  const tidx = disk.timeindex ? new TimeIndexCheck(disk.timeindex, seg, active, rep) : null;
  const txn = disk.txnindex ? new TxnIndexCheck(disk.txnindex, seg, rep) : null;
  const builder = opts.buildIndexes ? new IndexBuilder({ baseOffset: seg.baseOffset, indexIntervalBytes: opts.buildIndexes.indexIntervalBytes }) : null;
  const rebuiltTxns: CompletedTxn[] = [];

  // With verify --jobs and a segment worth splitting, worker threads check batch bodies and this
  // walk reads headers through positional reads (see verify-parallel.ts).
  const split = opts.pool?.segment(view.pathOf(seg.log), seg.log, fileSize(view.pathOf(seg.log))) ?? null;
  const src = split?.src ?? openSource(view.pathOf(seg.log), { pattern: 'sequential' });
  const progress = opts.progress ?? null;
  const pre: SegmentChecks | null = split?.checks ?? null;
  const out: SegmentScan = {
    segment: seg,
    active,
    logSize: src.size,
    batches: 0,
    records: 0,
    firstOffset: null,
    lastOffset: null,
    cut: null,
    batchesBeforeCut: 0,
    recordsBeforeCut: 0,
    nextOffsetBeforeCut: seg.baseOffset,
    recordsFromCut: 0,
    undecodedRecords: 0,
    estimated: false,
    disk,
    tooLarge,
    zeroTailSlots: { index: 0, timeindex: 0 },
    overflow: false,
    epochStarts: [],
  };
  let maxEpoch = -1;
  try {
    if (src.size > INT32_MAX) rep.add('LOG_TOO_LARGE', seg.log, null, null, `segment is ${src.size} bytes (expected at most ${INT32_MAX})`);
    if (mode === 'partition' && src.size > 0 && !opts.standalone) {
      if (!seg.index) rep.add('INDEX_MISSING', `${seg.name}.index`, null, seg.baseOffset, `${seg.name}.index is missing (Kafka rebuilds it when it loads the segment)`);
      if (!seg.timeindex) rep.add('TIMEINDEX_MISSING', `${seg.name}.timeindex`, null, seg.baseOffset, `${seg.name}.timeindex is missing (Kafka creates it when it loads the segment)`);
    }
    walkLog(ctx, src, nextBase, prevLastIn, out, pre, {
      onBatch(b, kafkaValid, marker, offsetsOk) {
        // Kafka's replay takes every batch with a valid CRC; what it then believes is only
        // checked while the log around it is sound.
        if (!offsetsOk) tracker.uncertain = true;
        if (kafkaValid && b.magic >= 0 && b.magic <= 2) {
          const done = tracker.onBatch(b, marker);
          if (done) {
            if (txn) txn.onCompleted(done);
            else if (done.aborted && tooLarge.txnindex === undefined) txnMissingFile(ctx, done, b);
            if (done.aborted && out.cut === null && kafkaValid) rebuiltTxns.push(done);
          }
        }
        if (builder && out.cut === null && kafkaValid) builder.add(b.position, b.size, b.lastOffset, b.maxTimestamp);
        progress?.at(b.position);
        if (out.cut === null && kafkaValid && b.magic >= 2 && b.partitionLeaderEpoch > maxEpoch) {
          maxEpoch = b.partitionLeaderEpoch;
          out.epochStarts.push({ epoch: b.partitionLeaderEpoch, offset: b.baseOffset, position: b.position });
        }
      },
      onSkip() {
        tracker.uncertain = true;
      },
      onRawLegacy(position, size, lastOffset, maxTimestamp) {
        if (builder && out.cut === null) builder.add(position, size, lastOffset, maxTimestamp);
      },
      idx,
      tidx,
      txn,
    });
  } finally {
    pre?.finish();
    src.close();
  }
  const validEnd = out.cut?.position ?? src.size;
  if (idx) out.zeroTailSlots.index = idx.finish(out.lastOffset, validEnd, src.size);
  if (tidx) out.zeroTailSlots.timeindex = tidx.finish(out.lastOffset);
  if (txn) txn.finish(out.lastOffset);
  if (builder) {
    const { index, timeindex } = builder.finish();
    const txnindex = Buffer.concat(rebuiltTxns.map((t) => encodeAbortedTxn(t)));
    out.rebuilt = {
      index,
      timeindex,
      txnindex,
      indexEntries: index.length / OFFSET_INDEX_ENTRY_SIZE,
      timeIndexEntries: timeindex.length / TIME_INDEX_ENTRY_SIZE,
      txnIndexEntries: rebuiltTxns.length,
    };
    out.invalidOffset = builder.invalidOffset;
  }
  return out;
}

/** An ABORT marker in a segment that has no .txnindex file at all. */
function txnMissingFile(ctx: SegmentContext, done: CompletedTxn, b: Batch): void {
  if (b.deleteHorizonMs !== null || ctx.mode === 'record-set') return;
  ctx.rep.add('TXNINDEX_ENTRY_MISSING', `${ctx.seg.name}.txnindex`, null, done.lastOffset, `ABORT marker of producer ${done.producerId} at offset ${done.lastOffset} (byte ${b.position} of ${ctx.seg.log}) has no entry: ${ctx.seg.name}.txnindex does not exist`);
}

interface WalkHooks {
  /** `offsetsOk`: a trusted batch whose offsets follow on from the previous batch. */
  onBatch(b: Batch, kafkaValid: boolean, marker: 'ABORT' | 'COMMIT' | null, offsetsOk: boolean): void;
  /** Bytes without a readable batch were passed over. */
  onSkip(): void;
  /** A v0/v1 entry Kafka's recovery accepts (size/CRC valid) whose contents could not be decoded. */
  onRawLegacy(position: number, size: number, lastOffset: number, maxTimestamp: number): void;
  idx: OffsetIndexCheck | null;
  tidx: TimeIndexCheck | null;
  txn: TxnIndexCheck | null;
}

/** Kafka's isValid for an entry (format doc 1.2/1.4): size and CRC only. */
function kafkaEntryValid(bytes: Buffer, size: number): boolean {
  const magic = (bytes[MAGIC_OFFSET]! << 24) >> 24;
  if (magic >= 2) return size >= RECORD_BATCH_OVERHEAD && readUInt32(bytes, CRC_OFFSET) === crc32c(bytes, ATTRIBUTES_OFFSET, size);
  return size >= LOG_OVERHEAD + RECORD_OVERHEAD_V0 && readUInt32(bytes, LEGACY_CRC_OFFSET) === crc32(bytes, LEGACY_MAGIC_OFFSET, size);
}

/**
 * Records in an entry that cannot be framed, from its v2 header when that is readable and
 * plausible. With only the first 27 bytes of a v2 header, lastOffsetDelta + 1 (exact unless the
 * batch was compacted) is returned as an estimate.
 */
function headerRecordCount(src: ByteSource, pos: number): { count: number; estimated: boolean } | null {
  const avail = src.size - pos;
  if (avail < RECORD_BATCH_OVERHEAD) {
    if (avail < HEADER_SIZE_UP_TO_MAGIC + 1) return null;
    const h = src.read(pos, Math.min(avail, LAST_OFFSET_DELTA_OFFSET + 4));
    const magic = h[MAGIC_OFFSET]!;
    if ((magic === 0 || magic === 1) && (h[LEGACY_ATTRIBUTES_OFFSET]! & ATTR_COMPRESSION_MASK) === 0) return { count: 1, estimated: false };
    if (magic === 2 && h.length >= LAST_OFFSET_DELTA_OFFSET + 4) {
      const delta = readInt32(h, LAST_OFFSET_DELTA_OFFSET);
      if (delta >= 0 && delta < INT32_MAX) return { count: delta + 1, estimated: true };
    }
    return null;
  }
  const h = src.read(pos, RECORD_BATCH_OVERHEAD);
  const magic = h[MAGIC_OFFSET]!;
  if (magic === 0 || magic === 1) return (h[LEGACY_ATTRIBUTES_OFFSET]! & ATTR_COMPRESSION_MASK) === 0 ? { count: 1, estimated: false } : null;
  if (magic !== 2) return null;
  const delta = readInt32(h, LAST_OFFSET_DELTA_OFFSET);
  const count = readInt32(h, RECORDS_COUNT_OFFSET);
  return delta >= 0 && count >= 0 && count <= delta + 1 ? { count, estimated: false } : null;
}

/**
 * Find the next position >= from where a valid entry starts (after a corrupt length field): magic
 * 0..2, an offset plausible for this segment, a length that fits, sane attributes, and a matching
 * CRC. The offset and attribute filters make false matches in random bytes practically impossible.
 */
function resync(src: ByteSource, from: number, minOffset: number, maxOffset: number): number | null {
  const end = src.size;
  const CH = 1 << 20;
  for (let chunkStart = from; chunkStart + HEADER_SIZE_UP_TO_MAGIC < end; chunkStart += CH) {
    const chunkEnd = Math.min(end - HEADER_SIZE_UP_TO_MAGIC, chunkStart + CH);
    const avail = Math.min(end, chunkEnd + RECORD_BATCH_OVERHEAD) - chunkStart;
    const buf = src.read(chunkStart, avail);
    for (let q = 0; q < chunkEnd - chunkStart; q++) {
      const magic = buf[q + MAGIC_OFFSET]!;
      if (magic > 2) continue;
      if (q + HEADER_SIZE_UP_TO_MAGIC > avail) break;
      const offset = readInt64(buf, q);
      if (offset < minOffset || offset > maxOffset) continue;
      const sizeField = readInt32(buf, q + SIZE_OFFSET);
      const pos = chunkStart + q;
      if (sizeField < RECORD_OVERHEAD_V0 || pos + LOG_OVERHEAD + sizeField > end) continue;
      const size = LOG_OVERHEAD + sizeField;
      if (magic === 2) {
        if (size < RECORD_BATCH_OVERHEAD) continue;
        const h = q + RECORD_BATCH_OVERHEAD <= avail ? buf.subarray(q, q + RECORD_BATCH_OVERHEAD) : src.read(pos, RECORD_BATCH_OVERHEAD);
        if ((readInt16(h, ATTRIBUTES_OFFSET) & 0xff80) !== 0 || (h[ATTRIBUTES_OFFSET + 1]! & ATTR_COMPRESSION_MASK) > 4) continue;
        const delta = readInt32(h, LAST_OFFSET_DELTA_OFFSET);
        const count = readInt32(h, RECORDS_COUNT_OFFSET);
        if (delta < 0 || count < 0 || count > delta + 1 || offset + delta > maxOffset) continue;
      } else {
        if (magic === 1 && size < LOG_OVERHEAD + RECORD_OVERHEAD_V1) continue;
        if (q + LEGACY_ATTRIBUTES_OFFSET < avail && (buf[q + LEGACY_ATTRIBUTES_OFFSET]! & 0xf0) !== 0) continue;
      }
      if (kafkaEntryValid(src.read(pos, size), size)) return pos;
    }
  }
  return null;
}

/**
 * The sequential walk of a segment. With `pre` (verify --jobs), batches before `pre.end` that the
 * pool found clean skip their CRC and record walk (those could only confirm them); every other
 * batch is checked here exactly as without it.
 */
function walkLog(ctx: SegmentContext, src: ByteSource, nextBase: number | null, prevLastIn: number | null, out: SegmentScan, pre: SegmentChecks | null, hooks: WalkHooks): void {
  const { seg, rep, mode } = ctx;
  const file = seg.log;
  const size = src.size;
  const { idx, tidx, txn } = hooks;
  let prevLast = prevLastIn; // last offset of the previous batch (this or an earlier segment)
  let prevLastHere: number | null = null; // ... within this segment
  let reportedBelowBase = false;
  let pos = 0;
  /** Upper bound for plausible offsets while resyncing. */
  const maxOffset = nextBase !== null ? nextBase - 1 : seg.baseOffset + INT32_MAX;

  const setCut = (position: number, code: string, offset: number | null): void => {
    if (out.cut === null) {
      out.cut = { position, code, offset };
      out.batchesBeforeCut = out.batches;
      out.recordsBeforeCut = out.records;
      out.nextOffsetBeforeCut = prevLastHere !== null ? prevLastHere + 1 : seg.baseOffset;
    }
  };
  /** Records of an entry or region that could not be decoded. */
  const countUndecoded = (n: number, estimated: boolean): void => {
    out.undecodedRecords += n;
    if (out.cut !== null) out.recordsFromCut += n;
    if (estimated && n > 0) out.estimated = true;
  };
  const tailCode = (): string => (mode === 'record-set' ? 'RECORD_SET_PARTIAL_TAIL' : 'PARTIAL_TAIL');

  /** After an unframeable entry at `at`: find the next valid entry or stop. */
  const skipTo = (at: number, records: { count: number; estimated: boolean } | null): number | null => {
    const lower = (prevLast ?? seg.baseOffset - 1) + 1;
    const q = resync(src, at + 1, Math.max(lower, 0), maxOffset);
    if (records !== null) countUndecoded(records.count, records.estimated);
    else if (q !== null) countUndecoded(Math.max(0, readInt64(src.read(q, LOG_OVERHEAD), 0) - lower), true);
    else if (nextBase !== null) countUndecoded(Math.max(0, nextBase - lower), true);
    return q;
  };

  for (;;) {
    if (pos >= size) break;
    const hdrLen = Math.min(HEADER_SIZE_UP_TO_MAGIC, size - pos);
    const frame = frameEntry(src.read(pos, hdrLen), 0, pos, size);
    if (frame.kind === 'short-tail') {
      const trailing = size - pos;
      const zero = isZero(src, pos, trailing);
      if (zero) rep.add('ZERO_TAIL', file, pos, null, `${trailing} zero bytes after the last batch (expected end of file at ${pos}, found ${size} bytes)`);
      else rep.add(tailCode(), file, pos, null, `${trailing} stray bytes after the last batch (17 or fewer: not an entry; expected end of file at ${pos}, found ${size} bytes)`);
      setCut(pos, zero ? 'ZERO_TAIL' : 'PARTIAL_TAIL', null);
      idx?.onSkip(pos, size);
      tidx?.onSkip();
      hooks.onSkip();
      break;
    }
    if (frame.kind === 'corrupt-size') {
      if (isZero(src, pos, size - pos)) {
        rep.add('ZERO_TAIL', file, pos, null, `${size - pos} zero bytes after the last batch (a preallocated tail: expected end of file at ${pos}, found ${size} bytes)`);
        setCut(pos, 'ZERO_TAIL', null);
        idx?.onSkip(pos, size);
        tidx?.onSkip();
      hooks.onSkip();
        break;
      }
      const offsetHere = readInt64(src.read(pos, LOG_OVERHEAD), 0);
      setCut(pos, 'SIZE_TOO_SMALL', null);
      const q = skipTo(pos, headerRecordCount(src, pos));
      const skipped = q === null ? `no valid batch in the remaining ${size - pos} bytes` : `next valid batch found at ${q} (${q - pos} bytes skipped)`;
      rep.add('SIZE_TOO_SMALL', file, pos, plausibleOffset(offsetHere, seg, maxOffset), `length field is ${frame.sizeField}, below the minimum ${RECORD_OVERHEAD_V0} (expected >= ${RECORD_OVERHEAD_V0}, found ${frame.sizeField}); ${skipped}`);
      idx?.onSkip(pos, q ?? size);
      tidx?.onSkip();
      hooks.onSkip();
      if (q === null) break;
      pos = q;
      continue;
    }
    if (frame.kind === 'partial') {
      const offsetHere = readInt64(src.read(pos, LOG_OVERHEAD), 0);
      const before = out.cut;
      setCut(pos, 'PARTIAL_TAIL', plausibleOffset(offsetHere, seg, maxOffset));
      const q = skipTo(pos, headerRecordCount(src, pos));
      if (q !== null) {
        rep.add('SIZE_TOO_LARGE', file, pos, plausibleOffset(offsetHere, seg, maxOffset), `entry of ${frame.size} bytes runs past the end of the file (${size} bytes, ${frame.trailing} left) although a valid batch follows at ${q}: a corrupted length field (expected at most ${q - pos}, found ${frame.size - LOG_OVERHEAD})`);
        if (before === null && out.cut) out.cut.code = 'SIZE_TOO_LARGE';
        idx?.onSkip(pos, q);
        tidx?.onSkip();
      hooks.onSkip();
        pos = q;
        continue;
      }
      rep.add(tailCode(), file, pos, plausibleOffset(offsetHere, seg, maxOffset), `last entry is incomplete: its length says ${frame.size} bytes but only ${frame.trailing} remain (expected file size >= ${pos + frame.size}, found ${size})`);
      idx?.onSkip(pos, size);
      tidx?.onSkip();
      hooks.onSkip();
      break;
    }

    const entrySize = frame.size;
    const clean = pre !== null && pos < pre.end && pre.clean(pos);
    // A clean batch's body is not looked at again: its header is all the walk reads.
    const bytes = clean ? (pre!.header() ?? src.read(pos, RECORD_BATCH_OVERHEAD)) : src.read(pos, entrySize);
    let b: Batch;
    try {
      b = decodeBatch(bytes, 0, entrySize, pos, file, !clean);
      if (clean) {
        b.computedCrc = b.crc;
        b.crcValid = true;
      }
    } catch (e) {
      if (!(e instanceof CorruptDataError)) throw e;
      // An entry whose header cannot be decoded: v2 under 61 bytes, v1 under 22, or an undecodable
      // v0/v1 wrapper. Kafka's recovery still accepts a v0/v1 entry whose size and CRC are valid.
      const valid = kafkaEntryValid(bytes, entrySize);
      const offsetHere = readInt64(bytes, 0);
      const magic = (bytes[MAGIC_OFFSET]! << 24) >> 24;
      if (!valid && magic < 2 && e.code !== 'SIZE_TOO_SMALL') {
        rep.add('CRC_MISMATCH', file, pos, offsetHere, `v${magic} message CRC-32 mismatch: expected ${hex(crc32(bytes, LEGACY_MAGIC_OFFSET, entrySize))} (computed), found ${hex(readUInt32(bytes, LEGACY_CRC_OFFSET))} (stored)`);
      } else {
        rep.add(e.code, file, pos, offsetHere, e.message);
      }
      if (!valid) setCut(pos, e.code === 'SIZE_TOO_SMALL' ? 'SIZE_TOO_SMALL' : 'CRC_MISMATCH', offsetHere);
      else if (magic < 2) hooks.onRawLegacy(pos, entrySize, offsetHere, magic === 1 ? readInt64(bytes, LEGACY_TIMESTAMP_OFFSET) : -1);
      const h = headerRecordCount(src, pos);
      countUndecoded(h?.count ?? 0, h?.estimated ?? false);
      idx?.onOpaque(pos, entrySize);
      tidx?.onSkip();
      hooks.onSkip();
      pos += entrySize;
      continue;
    }

    const count = b.recordCount;
    const goodMagic = b.magic >= 0 && b.magic <= 2;
    const kafkaValid = b.crcValid;
    // The header fields of a batch with an unknown magic or a bad CRC are not to be believed: such
    // a batch is reported once and only checked for where it is, not for what it says.
    const trusted = goodMagic && kafkaValid;
    if (!goodMagic) {
      const kafka = kafkaValid ? 'its size and CRC pass as v2, so Kafka\'s recovery keeps it' : 'it fails Kafka\'s size/CRC check, so recovery truncates the log here';
      rep.add('BAD_MAGIC', file, pos, plausibleOffset(b.entryOffset, seg, maxOffset), `magic byte is ${b.magic} (expected 0, 1 or 2, found ${b.magic}); ${kafka}`);
    } else if (!kafkaValid) {
      const algo = b.magic >= 2 ? 'CRC-32C' : 'CRC-32';
      rep.add('CRC_MISMATCH', file, pos, b.baseOffset, `${algo} mismatch: expected ${hex(b.computedCrc)} (computed), found ${hex(b.crc)} (stored)`);
    }
    if (!kafkaValid) setCut(pos, goodMagic ? 'CRC_MISMATCH' : 'BAD_MAGIC', goodMagic ? b.baseOffset : null);
    out.batches++;
    // A bad CRC leaves the count readable unless the damage hit it; an unknown magic leaves nothing.
    const plausibleCount = count >= 0 && (b.magic < 2 || count <= b.lastOffsetDelta + 1) && (goodMagic || kafkaValid);
    if (plausibleCount && count > 0) {
      out.records += count;
      if (out.cut !== null) out.recordsFromCut += count;
    }

    let marker: 'ABORT' | 'COMMIT' | null = null;
    let ctrl: ControlRecoveryOutcome | null = null;
    let offsetsOk = trusted;
    if (trusted) {
      if (b.lastOffset < b.baseOffset) {
        rep.add('LAST_OFFSET_DELTA_MISMATCH', file, pos, b.baseOffset, `lastOffsetDelta is negative (expected >= 0, found ${b.lastOffsetDelta})`);
        offsetsOk = false;
      }
      if (b.baseOffset < seg.baseOffset) {
        if (!reportedBelowBase) rep.add('SEGMENT_BASE_ABOVE_FIRST_OFFSET', file, pos, b.baseOffset, `batch offset ${b.baseOffset} is below the segment's base offset (expected >= ${seg.baseOffset}, found ${b.baseOffset})`);
        reportedBelowBase = true;
        offsetsOk = false;
      } else if (prevLast !== null && b.baseOffset <= prevLast) {
        rep.add('OFFSET_NOT_INCREASING', file, pos, b.baseOffset, `batch starts at offset ${b.baseOffset}, not above the previous batch's last offset (expected > ${prevLast}, found ${b.baseOffset})`);
        offsetsOk = false;
      }
      if (b.lastOffset - seg.baseOffset > INT32_MAX) {
        if (!out.overflow) rep.add('OFFSET_OVERFLOW', file, pos, b.lastOffset, `offset ${b.lastOffset} is ${b.lastOffset - seg.baseOffset} above the segment base (expected <= ${INT32_MAX})`);
        out.overflow = true;
      }
      // A transaction marker whose recovery outcome is reported below (controlRecovery) is not
      // also reported by checkControl: one issue per batch, the one saying what Kafka does.
      const judged = mode === 'partition' && out.cut === null && b.magic >= 2 && b.isControl && b.producerId >= 0;
      ctrl = judged && !clean ? controlOutcomeOf(b) : null;
      marker = clean ? null : checkRecords(ctx, b, ctrl !== null && controlReported(ctrl, pos + entrySize < size));
      idx?.onBatch(b);
      tidx?.onBatch(b);
      if (b.isControl && b.producerId >= 0 && marker === 'ABORT') txn?.onAbortMarker(b);
      else if (b.isControl && marker === 'COMMIT') txn?.onCommitMarker(b);
    } else {
      idx?.onOpaque(pos, entrySize);
      tidx?.onSkip();
      hooks.onSkip();
    }
    hooks.onBatch(b, kafkaValid, marker, offsetsOk);

    if (trusted) {
      if (out.firstOffset === null) out.firstOffset = b.baseOffset;
      out.lastOffset = b.lastOffset;
      prevLast = b.lastOffset;
      prevLastHere = b.lastOffset;
      if (mode === 'partition' && out.cut === null && b.magic >= 2 && b.isControl && b.producerId >= 0) {
        controlRecovery(ctx, clean ? decodeBatch(src.read(pos, entrySize), 0, entrySize, pos, file, false) : b, pos + entrySize < size, setCut, ctrl);
      }
    }
    pos += entrySize;
  }
  if (out.cut === null) out.nextOffsetBeforeCut = prevLastHere !== null ? prevLastHere + 1 : seg.baseOffset;
}

function plausibleOffset(o: number, seg: Segment, maxOffset: number): number | null {
  return o >= seg.baseOffset && o <= maxOffset ? o : null;
}

/** Record-level checks of a batch with a valid CRC and magic; returns the marker type of a control batch. */
function checkRecords(ctx: SegmentContext, b: Batch, skipFirstControl = false): 'ABORT' | 'COMMIT' | null {
  const { rep, seg } = ctx;
  const file = seg.log;
  const pos = b.position;
  try {
    if (b.magic >= 2) {
      const count = b.recordCount;
      if (count < 0 || (b.lastOffsetDelta >= 0 && count > b.lastOffsetDelta + 1)) {
        rep.add('RECORD_COUNT_MISMATCH', file, pos, b.baseOffset, `recordsCount is ${count} (expected 0..${b.lastOffsetDelta + 1} for lastOffsetDelta ${b.lastOffsetDelta}, found ${count})`);
        return null;
      }
      if (b.isControl) return checkControl(ctx, b, skipFirstControl);
      const s = scanBatchRecords(b);
      if (s.records > 0) {
        if (s.firstOffsetDelta < 0 || !s.offsetsIncreasing) {
          rep.add('RECORD_OFFSETS_NOT_INCREASING', file, pos, b.baseOffset, `record offset deltas are not strictly increasing from 0 (first delta ${s.firstOffsetDelta}${s.offsetsIncreasing ? '' : ', a later delta repeats or goes back'})`);
        } else if (b.lastOffsetDelta >= 0 && s.lastOffsetDelta > b.lastOffsetDelta) {
          rep.add('LAST_OFFSET_DELTA_MISMATCH', file, pos, b.baseOffset, `last record has offset delta ${s.lastOffsetDelta} above the header's lastOffsetDelta (expected <= ${b.lastOffsetDelta}, found ${s.lastOffsetDelta})`);
        }
        if (b.timestampType === 'CreateTime' && s.maxTimestamp !== b.maxTimestamp) {
          rep.add('MAX_TIMESTAMP_MISMATCH', file, pos, b.baseOffset, `maxTimestamp differs from the largest record timestamp (expected ${s.maxTimestamp}, found ${b.maxTimestamp})`);
        }
      }
      return null;
    }
    // v0/v1: parse the message (and inner messages of a wrapper).
    const s = scanBatchRecords(b);
    if (b.magic === 1 && b.compressionId !== 0 && b.timestampType === 'CreateTime' && s.maxTimestamp !== b.maxTimestamp && s.maxTimestamp >= 0) {
      rep.add('MAX_TIMESTAMP_MISMATCH', file, pos, b.baseOffset, `wrapper timestamp differs from the largest inner timestamp (expected ${s.maxTimestamp}, found ${b.maxTimestamp})`);
    }
  } catch (e) {
    if (!(e instanceof KsegError)) throw e;
    rep.add(CODE_INFO.has(e.code) ? e.code : 'RECORD_DECODE_ERROR', file, pos, b.baseOffset, e.message);
  }
  return null;
}

/**
 * LogSegment.recover replays a control batch with a producer id into the producer state after
 * counting it as valid (format/control.ts controlRecoveryOutcome): a marker that fails to parse
 * with an InvalidRecordException truncates the segment right after the batch; one that fails
 * with another exception stops the broker's load of the partition (reported, nothing cut).
 */
function controlOutcomeOf(b: Batch): ControlRecoveryOutcome {
  try {
    const first = batchRecords(b).next();
    if (first.done) return { kind: 'ok' }; // an empty control batch: its transaction was cleaned away
    return controlRecoveryOutcome(first.value.key, first.value.value);
  } catch (e) {
    if (!(e instanceof CorruptDataError)) throw e;
    return { kind: 'truncate-after', reason: `its first record does not decode (${e.message})` };
  }
}

/** Whether controlRecovery reports an issue for this outcome. */
function controlReported(outcome: ControlRecoveryOutcome, moreFollows: boolean): boolean {
  return outcome.kind === 'load-fails' || (outcome.kind === 'truncate-after' && moreFollows);
}

function controlRecovery(ctx: SegmentContext, b: Batch, moreFollows: boolean, setCut: (position: number, code: string, offset: number | null) => void, pre: ControlRecoveryOutcome | null = null): void {
  const outcome = pre ?? controlOutcomeOf(b);
  if (outcome.kind === 'truncate-after') {
    if (!moreFollows) return; // nothing after it: Kafka truncates 0 bytes and goes on
    // Reported at the batch (as checkControl would), so the kept batch's problem stays listed after the cut.
    ctx.rep.add('CONTROL_RECORD_INVALID', ctx.seg.log, b.position, b.baseOffset, `control batch of producer ${b.producerId} at byte ${b.position} (offset ${b.baseOffset}): ${outcome.reason}; Kafka's recovery keeps the batch and truncates the segment after it, at byte ${b.position + b.size}`);
    setCut(b.position + b.size, 'CONTROL_RECORD_INVALID', b.lastOffset + 1);
  } else if (outcome.kind === 'load-fails') {
    ctx.rep.add('CONTROL_RECORD_INVALID', ctx.seg.log, b.position, b.baseOffset, `control batch of producer ${b.producerId} at offset ${b.baseOffset}: ${outcome.reason}; Kafka's recovery of this segment fails with it and the broker does not load the partition`);
  }
}

/** `skipFirst`: the first record's problem is reported by controlRecovery (with what Kafka's recovery does). */
function checkControl(ctx: SegmentContext, b: Batch, skipFirst = false): 'ABORT' | 'COMMIT' | null {
  let marker: 'ABORT' | 'COMMIT' | null = null;
  let first = true;
  for (const r of batchRecords(b)) {
    const c = r.control!;
    if (c.error || c.type === 'INVALID') {
      if (!(first && skipFirst)) ctx.rep.add('CONTROL_RECORD_INVALID', ctx.seg.log, b.position, r.offset, `control record at offset ${r.offset}: ${c.error ?? 'invalid'}`);
    } else if (first && (c.type === 'ABORT' || c.type === 'COMMIT')) {
      marker = c.type;
    }
    first = false;
  }
  return marker;
}

// ------------------------------------------------------------------ .index

/** Slots [tailStart, slots) are all zero bytes; returns tailStart. */
function zeroTailStart(buf: Buffer, entrySize: number): number {
  const slots = Math.floor(buf.length / entrySize);
  let i = slots;
  while (i > 0) {
    const p = (i - 1) * entrySize;
    let zero = true;
    for (let k = 0; k < entrySize; k++) {
      if (buf[p + k] !== 0) {
        zero = false;
        break;
      }
    }
    if (!zero) break;
    i--;
  }
  return i;
}

class OffsetIndexCheck {
  private readonly file: string;
  private readonly n: number;
  private readonly slot: Int32Array;
  private readonly rel: Int32Array;
  private readonly pos: Int32Array;
  private readonly reported: Uint8Array;
  private k = 0;
  private readonly tailStart: number;
  private readonly slots: number;

  constructor(
    buf: Buffer,
    private readonly seg: Segment,
    private readonly active: boolean,
    private readonly rep: Reporter,
  ) {
    this.file = seg.index!;
    const file = this.file;
    if (buf.length % OFFSET_INDEX_ENTRY_SIZE !== 0) {
      rep.add('INDEX_SIZE_NOT_MULTIPLE', file, buf.length - (buf.length % OFFSET_INDEX_ENTRY_SIZE), null, `file is ${buf.length} bytes (expected a multiple of ${OFFSET_INDEX_ENTRY_SIZE}, found ${buf.length % OFFSET_INDEX_ENTRY_SIZE} extra bytes)`);
    }
    this.slots = Math.floor(buf.length / OFFSET_INDEX_ENTRY_SIZE);
    this.tailStart = zeroTailStart(buf, OFFSET_INDEX_ENTRY_SIZE);
    const n = this.tailStart;
    const slot = new Int32Array(n);
    const rel = new Int32Array(n);
    const pos = new Int32Array(n);
    let sorted = true;
    let prevRel = -1;
    let prevPos = -1;
    for (let i = 0; i < n; i++) {
      const r = readInt32(buf, i * 8);
      const p = readInt32(buf, i * 8 + 4);
      slot[i] = i;
      rel[i] = r;
      pos[i] = p;
      const abs = seg.baseOffset + r;
      if (r < 0) rep.add('INDEX_OFFSET_BELOW_BASE', file, i * 8, abs, `entry ${i} has relative offset ${r} (expected >= 0, found ${r})`);
      else if (i > 0 && r <= prevRel) rep.add('INDEX_OFFSET_NOT_INCREASING', file, i * 8, abs, `entry ${i} offset ${abs} follows offset ${seg.baseOffset + prevRel} (expected > ${seg.baseOffset + prevRel}, found ${abs})`);
      else if (i > 0 && p <= prevPos) rep.add('INDEX_POSITION_NOT_INCREASING', file, i * 8, abs, `entry ${i} position ${p} follows position ${prevPos} (expected > ${prevPos}, found ${p})`);
      if (i > 0 && p < prevPos) sorted = false;
      prevRel = r;
      prevPos = p;
    }
    if (!sorted) {
      const order = Array.from({ length: n }, (_, i) => i).sort((a, b) => pos[a]! - pos[b]! || a - b);
      const s2 = Int32Array.from(order, (i) => slot[i]!);
      const r2 = Int32Array.from(order, (i) => rel[i]!);
      const p2 = Int32Array.from(order, (i) => pos[i]!);
      slot.set(s2);
      rel.set(r2);
      pos.set(p2);
    }
    this.n = n;
    this.slot = slot;
    this.rel = rel;
    this.pos = pos;
    this.reported = new Uint8Array(n);
  }

  private flag(j: number, code: string, message: string): void {
    if (this.reported[j]) return;
    this.reported[j] = 1;
    this.rep.add(code, this.file, this.slot[j]! * 8, this.seg.baseOffset + this.rel[j]!, message);
  }

  /**
   * Entries pointing into [from, to), bytes that hold no readable batch. An entry at `from` points
   * at the start of the broken entry, whose problem is already reported; the others point into it.
   */
  onSkip(from: number, to: number): void {
    while (this.k < this.n && this.pos[this.k]! < from) {
      const p = this.pos[this.k]!;
      this.flag(this.k, 'INDEX_POSITION_NOT_BATCH_START', `entry ${this.slot[this.k]} points to ${p}, which is not a batch start (expected ${from} or an earlier batch start, found ${p})`);
      this.k++;
    }
    while (this.k < this.n && this.pos[this.k]! < to) {
      const p = this.pos[this.k]!;
      if (p > from) this.flag(this.k, 'INDEX_POSITION_NOT_BATCH_START', `entry ${this.slot[this.k]} points to ${p}, inside bytes that are not a valid batch (expected a batch start)`);
      this.k++;
    }
  }

  /** An entry Kafka frames but whose header could not be decoded: only its start is a valid position. */
  onOpaque(start: number, size: number): void {
    this.inside(start, size);
  }

  onBatch(b: Batch): void {
    this.inside(b.position, b.size, b);
  }

  private inside(start: number, size: number, b?: Batch): void {
    while (this.k < this.n && this.pos[this.k]! < start) {
      const p = this.pos[this.k]!;
      this.flag(this.k, 'INDEX_POSITION_NOT_BATCH_START', `entry ${this.slot[this.k]} points to ${p}, which is not a batch start (expected ${start}, the next batch start, found ${p})`);
      this.k++;
    }
    while (this.k < this.n && this.pos[this.k]! === start) {
      // At an entry whose header is not believed, only the position can be judged.
      if (!b) this.reported[this.k] = 1;
      else {
        const abs = this.seg.baseOffset + this.rel[this.k]!;
        if (abs < b.baseOffset) this.flag(this.k, 'INDEX_OFFSET_MISMATCH', `entry ${this.slot[this.k]} (offset ${abs}) points to the batch at ${start} whose offsets start at ${b.baseOffset} (expected offset >= ${b.baseOffset}, normally ${b.lastOffset}; found ${abs})`);
      }
      this.k++;
    }
    while (this.k < this.n && this.pos[this.k]! < start + size) {
      const p = this.pos[this.k]!;
      this.flag(this.k, 'INDEX_POSITION_NOT_BATCH_START', `entry ${this.slot[this.k]} (offset ${this.seg.baseOffset + this.rel[this.k]!}) points to ${p}, inside the batch at ${start} (expected ${start}, found ${p})`);
      this.k++;
    }
  }

  /** Returns the number of preallocated zero slots on the active segment (not an issue there). */
  finish(lastOffset: number | null, validEnd: number, fileSize: number): number {
    for (; this.k < this.n; this.k++) {
      const p = this.pos[this.k]!;
      const where = p >= fileSize ? `beyond the end of the file (${fileSize} bytes)` : `past the end of the valid data (${validEnd})`;
      this.flag(this.k, 'INDEX_POSITION_BEYOND_LOG_END', `entry ${this.slot[this.k]} points to ${p}, ${where} (expected < ${validEnd}, found ${p})`);
    }
    for (let j = 0; j < this.n; j++) {
      const abs = this.seg.baseOffset + this.rel[j]!;
      if (lastOffset === null || abs > lastOffset) {
        this.flag(j, 'INDEX_OFFSET_BEYOND_LOG_END', `entry ${this.slot[j]} has offset ${abs}, above the segment's last offset (expected <= ${lastOffset ?? this.seg.baseOffset - 1}, found ${abs})`);
      }
    }
    const zeros = this.slots - this.tailStart;
    if (zeros > 0 && !this.active) {
      this.rep.add('INDEX_ZERO_TAIL', this.file, this.tailStart * 8, null, `${zeros} all-zero entries from byte ${this.tailStart * 8} on an inactive segment (expected the file trimmed to ${this.tailStart * 8} bytes, found ${this.slots * 8})`);
      return 0;
    }
    return zeros;
  }
}

// ------------------------------------------------------------------ .timeindex

class TimeIndexCheck {
  private readonly file: string;
  private readonly n: number;
  private readonly slot: Int32Array;
  private readonly ts: Float64Array;
  private readonly rel: Int32Array;
  private readonly reported: Uint8Array;
  private k = 0;
  private readonly slots: number;
  private tailStart: number;
  /** Slot 0 is all zero: an entry (0, base) or the start of a zero tail; decided at the end. */
  private readonly slot0Zero: boolean;
  private runningMax = -1;
  /**
   * Batches were skipped (unframeable bytes) or had a bad CRC: the true running maximum may be
   * larger than what was seen, so only an entry below it is provably wrong.
   */
  private uncertain = false;

  constructor(
    buf: Buffer,
    private readonly seg: Segment,
    private readonly active: boolean,
    private readonly rep: Reporter,
  ) {
    this.file = seg.timeindex!;
    const file = this.file;
    if (buf.length % TIME_INDEX_ENTRY_SIZE !== 0) {
      rep.add('TIMEINDEX_SIZE_NOT_MULTIPLE', file, buf.length - (buf.length % TIME_INDEX_ENTRY_SIZE), null, `file is ${buf.length} bytes (expected a multiple of ${TIME_INDEX_ENTRY_SIZE}, found ${buf.length % TIME_INDEX_ENTRY_SIZE} extra bytes)`);
    }
    this.slots = Math.floor(buf.length / TIME_INDEX_ENTRY_SIZE);
    this.tailStart = zeroTailStart(buf, TIME_INDEX_ENTRY_SIZE);
    this.slot0Zero = this.tailStart === 0 && this.slots > 0;
    const n = this.tailStart;
    const slot = new Int32Array(n);
    const ts = new Float64Array(n);
    const rel = new Int32Array(n);
    let sorted = true;
    for (let i = 0; i < n; i++) {
      const t = readInt64(buf, i * 12);
      const r = readInt32(buf, i * 12 + 8);
      slot[i] = i;
      ts[i] = t;
      rel[i] = r;
      const abs = seg.baseOffset + r;
      if (r < 0) rep.add('TIMEINDEX_OFFSET_BELOW_BASE', file, i * 12, abs, `entry ${i} has relative offset ${r} (expected >= 0, found ${r})`);
      else if (i > 0 && t <= ts[i - 1]!) rep.add('TIMEINDEX_NOT_INCREASING', file, i * 12, abs, `entry ${i} timestamp ${t} follows ${ts[i - 1]} (expected > ${ts[i - 1]}, found ${t})`);
      else if (i > 0 && r < rel[i - 1]!) rep.add('TIMEINDEX_OFFSET_NOT_INCREASING', file, i * 12, abs, `entry ${i} offset ${abs} follows offset ${seg.baseOffset + rel[i - 1]!} (expected >= ${seg.baseOffset + rel[i - 1]!}, found ${abs})`);
      if (i > 0 && r < rel[i - 1]!) sorted = false;
    }
    if (!sorted) {
      const order = Array.from({ length: n }, (_, i) => i).sort((a, b) => rel[a]! - rel[b]! || a - b);
      const s2 = Int32Array.from(order, (i) => slot[i]!);
      const t2 = Float64Array.from(order, (i) => ts[i]!);
      const r2 = Int32Array.from(order, (i) => rel[i]!);
      slot.set(s2);
      ts.set(t2);
      rel.set(r2);
    }
    this.n = n;
    this.slot = slot;
    this.ts = ts;
    this.rel = rel;
    this.reported = new Uint8Array(n);
  }

  private flag(j: number, code: string, message: string): void {
    if (this.reported[j]) return;
    this.reported[j] = 1;
    this.rep.add(code, this.file, this.slot[j]! * 12, this.seg.baseOffset + this.rel[j]!, message);
  }

  private checkTs(j: number, expected: number): void {
    const t = this.ts[j]!;
    if (t < expected || (t > expected && !this.uncertain)) {
      this.flag(j, 'TIMEINDEX_TIMESTAMP_MISMATCH', `entry ${this.slot[j]} (offset ${this.seg.baseOffset + this.rel[j]!}) says the largest timestamp so far is ${t} (expected ${expected}, the largest batch maxTimestamp up to that offset, found ${t})`);
    }
  }

  /** Bytes that hold no readable batch were skipped. */
  onSkip(): void {
    this.uncertain = true;
  }

  onBatch(b: Batch): void {
    const base = this.seg.baseOffset;
    while (this.k < this.n && base + this.rel[this.k]! < b.baseOffset) {
      const abs = base + this.rel[this.k]!;
      this.checkTs(this.k, this.runningMax);
      if (!this.uncertain) this.flag(this.k, 'TIMEINDEX_OFFSET_NOT_FOUND', `entry ${this.slot[this.k]} offset ${abs} is in no batch (the next batch starts at ${b.baseOffset})`);
      this.k++;
    }
    if (!b.crcValid) this.uncertain = true;
    else if (b.maxTimestamp > this.runningMax) this.runningMax = b.maxTimestamp;
    while (this.k < this.n && base + this.rel[this.k]! <= b.lastOffset) {
      this.checkTs(this.k, this.runningMax);
      this.k++;
    }
  }

  finish(lastOffset: number | null): number {
    for (; this.k < this.n; this.k++) {
      const abs = this.seg.baseOffset + this.rel[this.k]!;
      if (this.uncertain) {
        // Unreadable batches may hold this offset: only a timestamp below what was seen is wrong.
        this.checkTs(this.k, this.runningMax);
        continue;
      }
      this.flag(this.k, 'TIMEINDEX_OFFSET_BEYOND_LOG_END', `entry ${this.slot[this.k]} has offset ${abs}, above the segment's last offset (expected <= ${lastOffset ?? this.seg.baseOffset - 1}, found ${abs})`);
    }
    // A single all-zero entry (timestamp 0 at the base offset) is real when the data says so.
    if (this.slot0Zero && this.runningMax === 0 && lastOffset !== null) this.tailStart = 1;
    const zeros = this.slots - this.tailStart;
    if (zeros > 0 && !this.active) {
      this.rep.add('TIMEINDEX_ZERO_TAIL', this.file, this.tailStart * 12, null, `${zeros} all-zero entries from byte ${this.tailStart * 12} on an inactive segment (expected the file trimmed to ${this.tailStart * 12} bytes, found ${this.slots * 12}); Kafka would read this segment's largest timestamp as 0`);
      return 0;
    }
    return zeros;
  }
}

// ------------------------------------------------------------------ .txnindex

interface TxnEntry {
  slot: number;
  producerId: number;
  firstOffset: number;
  lastOffset: number;
  lastStableOffset: number;
}

class TxnIndexCheck {
  private readonly file: string;
  private readonly entries: TxnEntry[] = [];
  private readonly byLast = new Map<number, TxnEntry>();
  private readonly markers = new Map<number, { producerId: number; type: 'ABORT' | 'COMMIT' }>();
  /** ABORT markers the replay completed that have no entry (checked at the end). */
  private readonly pendingMissing: CompletedTxn[] = [];
  /** The cleaner keeps an ABORT marker with a delete horizon but drops its entry once its data is gone. */
  private readonly horizonMarkers = new Set<number>();

  constructor(
    buf: Buffer,
    private readonly seg: Segment,
    private readonly rep: Reporter,
  ) {
    const file = (this.file = seg.txnindex!);
    if (buf.length % TXN_INDEX_ENTRY_SIZE !== 0) {
      rep.add('TXNINDEX_SIZE_NOT_MULTIPLE', file, buf.length - (buf.length % TXN_INDEX_ENTRY_SIZE), null, `file is ${buf.length} bytes (expected a multiple of ${TXN_INDEX_ENTRY_SIZE}, found ${buf.length % TXN_INDEX_ENTRY_SIZE} extra bytes)`);
    }
    const n = Math.floor(buf.length / TXN_INDEX_ENTRY_SIZE);
    let prevLast: number | null = null;
    for (let i = 0; i < n; i++) {
      const p = i * TXN_INDEX_ENTRY_SIZE;
      const version = readInt16(buf, p);
      const e: TxnEntry = { slot: i, producerId: readInt64(buf, p + 2), firstOffset: readInt64(buf, p + 10), lastOffset: readInt64(buf, p + 18), lastStableOffset: readInt64(buf, p + 26) };
      if (buf[p]! > 0 || version < 0) {
        rep.add('TXNINDEX_BAD_VERSION', file, p, e.lastOffset, `entry ${i} has version ${version} (expected 0, found ${version})`);
        continue;
      }
      if (prevLast !== null && e.lastOffset <= prevLast) rep.add('TXNINDEX_NOT_INCREASING', file, p, e.lastOffset, `entry ${i} lastOffset ${e.lastOffset} follows ${prevLast} (expected > ${prevLast}, found ${e.lastOffset})`);
      if (e.firstOffset > e.lastOffset) rep.add('TXNINDEX_FIRST_AFTER_LAST', file, p, e.lastOffset, `entry ${i} firstOffset ${e.firstOffset} is above its lastOffset (expected <= ${e.lastOffset}, found ${e.firstOffset})`);
      if (e.lastOffset < seg.baseOffset) rep.add('TXNINDEX_OFFSET_OUT_OF_SEGMENT', file, p, e.lastOffset, `entry ${i} lastOffset ${e.lastOffset} is below the segment base (expected >= ${seg.baseOffset}, found ${e.lastOffset})`);
      prevLast = e.lastOffset;
      this.entries.push(e);
      if (!this.byLast.has(e.lastOffset)) this.byLast.set(e.lastOffset, e);
    }
  }

  onAbortMarker(b: Batch): void {
    this.markers.set(b.baseOffset, { producerId: b.producerId, type: 'ABORT' });
    if (b.deleteHorizonMs !== null) this.horizonMarkers.add(b.baseOffset);
  }

  onCommitMarker(b: Batch): void {
    this.markers.set(b.baseOffset, { producerId: b.producerId, type: 'COMMIT' });
  }

  /** A transaction completed by a marker in this segment (replayed from the log). */
  onCompleted(t: CompletedTxn): void {
    if (!t.aborted) return;
    const e = this.byLast.get(t.lastOffset);
    if (!e) {
      this.pendingMissing.push(t);
      return;
    }
    if (t.startSeen && e.producerId === t.producerId && t.firstOffset < e.firstOffset) {
      this.rep.add('TXNINDEX_FIRST_OFFSET_MISMATCH', this.file, e.slot * TXN_INDEX_ENTRY_SIZE, e.lastOffset, `entry ${e.slot} of producer ${e.producerId} says the aborted transaction starts at ${e.firstOffset}, but its first batch in the log is at ${t.firstOffset} (expected ${t.firstOffset}, found ${e.firstOffset})`);
    }
  }

  finish(lastOffset: number | null): void {
    for (const e of this.entries) {
      const p = e.slot * TXN_INDEX_ENTRY_SIZE;
      if (e.lastOffset < this.seg.baseOffset) continue;
      if (lastOffset === null || e.lastOffset > lastOffset) {
        this.rep.add('TXNINDEX_OFFSET_OUT_OF_SEGMENT', this.file, p, e.lastOffset, `entry ${e.slot} lastOffset ${e.lastOffset} is above the segment's last offset (expected <= ${lastOffset ?? this.seg.baseOffset - 1}, found ${e.lastOffset})`);
        continue;
      }
      const m = this.markers.get(e.lastOffset);
      if (!m) this.rep.add('TXNINDEX_MARKER_MISSING', this.file, p, e.lastOffset, `entry ${e.slot}: no ABORT marker at offset ${e.lastOffset} (expected an ABORT marker of producer ${e.producerId}, found none)`);
      else if (m.type !== 'ABORT' || m.producerId !== e.producerId) {
        this.rep.add('TXNINDEX_MARKER_MISSING', this.file, p, e.lastOffset, `entry ${e.slot}: the marker at offset ${e.lastOffset} is a ${m.type} of producer ${m.producerId} (expected an ABORT of producer ${e.producerId})`);
      }
    }
    for (const t of this.pendingMissing) {
      if (this.horizonMarkers.has(t.lastOffset)) continue;
      this.rep.add('TXNINDEX_ENTRY_MISSING', this.file, this.entries.length * TXN_INDEX_ENTRY_SIZE, t.lastOffset, `ABORT marker of producer ${t.producerId} at offset ${t.lastOffset} has no entry in ${this.file}`);
    }
  }
}

// ------------------------------------------------------------------ snapshots, checkpoints, metadata

function sideFileIssues(view: PartitionView, rep: Reporter, logEndOffset: number | null): void {
  const part = view.partition;
  for (const s of part.snapshots) {
    checkSnapshotFile(view.pathOf(s.file), s.file, rep);
    if (logEndOffset !== null && s.offset > logEndOffset) {
      rep.add('SNAPSHOT_BEYOND_LOG_END', s.file, null, s.offset, `snapshot offset ${s.offset} is above the log end offset (expected <= ${logEndOffset}, found ${s.offset}); Kafka deletes it at startup`);
    }
  }
  if (part.leaderEpochCheckpoint) checkLeaderEpochFile(view.pathOf(part.leaderEpochCheckpoint), part.leaderEpochCheckpoint, rep, logEndOffset);
  if (part.partitionMetadata) checkPartitionMetadataFile(view.pathOf(part.partitionMetadata), part.partitionMetadata, rep);
}

function reportParseError(e: unknown, rep: Reporter, file: string, offset: number | null = null): void {
  if (!(e instanceof CorruptDataError)) throw e;
  rep.add(CODE_INFO.has(e.code) ? e.code : 'CHECKPOINT_MALFORMED', file, e.position ?? null, offset, e.message);
}

function checkSnapshotFile(p: string, name: string, rep: Reporter): void {
  const buf = readWholeFile(p);
  const offset = parseSegmentName(name)?.baseOffset ?? null;
  try {
    const s = parseProducerSnapshot(buf, name);
    if (!s.crcValid) rep.add('SNAPSHOT_CRC_MISMATCH', name, 2, offset, `CRC-32C mismatch: expected ${hex(s.computedCrc)} (computed over bytes 6..${buf.length}), found ${hex(s.crc)} (stored)`);
  } catch (e) {
    reportParseError(e, rep, name, offset);
  }
}

/** Byte position where line `i` (0-based) of a text file starts. */
function lineStart(text: string, i: number): number {
  let p = 0;
  for (let k = 0; k < i; k++) {
    const nl = text.indexOf('\n', p);
    if (nl < 0) return text.length;
    p = nl + 1;
  }
  return p;
}

function checkLeaderEpochFile(p: string, name: string, rep: Reporter, logEndOffset: number | null): void {
  const text = readWholeFile(p).toString('utf8');
  let entries;
  try {
    entries = parseLeaderEpochCheckpoint(text, name);
  } catch (e) {
    if (e instanceof CorruptDataError && e.position === undefined) {
      const m = /\(line (\d+)\)/.exec(e.message);
      if (m) e.position = lineStart(text, Number(m[1]) - 1);
    }
    reportParseError(e, rep, name);
    return;
  }
  // Line positions of the entries: skip the version and count lines and blank lines.
  const lines = text.split('\n');
  const positions: number[] = [];
  let off = 0;
  lines.forEach((l, i) => {
    if (i >= 2 && l.trim() !== '') positions.push(off);
    off += l.length + 1;
  });
  for (let i = 0; i < entries.length; i++) {
    const e = entries[i]!;
    const at = positions[i] ?? null;
    if (e.epoch < 0 || e.startOffset < 0) {
      rep.add('CHECKPOINT_MALFORMED', name, at, e.startOffset, `entry ${e.epoch} ${e.startOffset}: epoch and start offset must not be negative`);
      continue;
    }
    if (i > 0) {
      const prev = entries[i - 1]!;
      if (e.epoch <= prev.epoch || e.startOffset <= prev.startOffset) {
        rep.add('LEADER_EPOCH_NOT_INCREASING', name, at, e.startOffset, `entry (epoch ${e.epoch}, start ${e.startOffset}) follows (epoch ${prev.epoch}, start ${prev.startOffset}) (expected both larger)`);
      }
    }
    if (logEndOffset !== null && e.startOffset > logEndOffset) {
      rep.add('LEADER_EPOCH_BEYOND_LOG_END', name, at, e.startOffset, `epoch ${e.epoch} starts at ${e.startOffset}, above the log end offset (expected <= ${logEndOffset}, found ${e.startOffset})`);
    }
  }
}

function checkPartitionMetadataFile(p: string, name: string, rep: Reporter): void {
  try {
    parsePartitionMetadata(readWholeFile(p).toString('utf8'), name);
  } catch (e) {
    reportParseError(e, rep, name);
  }
}

function checkLogDirCheckpointFile(p: string, name: string, rep: Reporter): void {
  const text = readWholeFile(p).toString('utf8');
  try {
    parseLogDirCheckpoint(text, name);
  } catch (e) {
    if (e instanceof CorruptDataError && e.position === undefined) {
      const m = /\(line (\d+)\)/.exec(e.message);
      if (m) e.position = lineStart(text, Number(m[1]) - 1);
    }
    reportParseError(e, rep, name);
  }
}

// ================================================================== verify (the command)

export interface VerifyOptions {
  strict?: boolean;
  /** Force record-set mode (true) or partition mode (false); auto-detected when undefined. */
  recordSet?: boolean;
  maxIssues?: number;
  /** Threads checking batches (default 1: none started); findings are the same for any value. */
  jobs?: number;
  /** Called with .log bytes walked and the total, at most once per PROGRESS_STEP (4 MiB) and per segment. */
  onProgress?: OnProgress;
}

export interface PartitionReport {
  partition: string;
  mode: 'partition' | 'record-set';
  ok: boolean;
  errors: number;
  warnings: number;
  recoverable: Recoverable | null;
  summary: VerifySummary;
  /** Present (true) on the entry of a broker log dir itself: its checkpoint and KRaft files, not a partition. */
  logDir?: true;
  /** Log-dir entry only: how many broker-level files (checkpoints, KRaft snapshots) were checked. */
  filesChecked?: number;
}

export interface VerifyReport {
  ok: boolean;
  errors: number;
  warnings: number;
  issues: VerifyIssue[];
  recoverable: Recoverable | null;
  summary: VerifySummary;
  /** One entry per partition, only when the run covered more than one. */
  partitions?: PartitionReport[];
  /** Issues counted but not listed (over --max-issues). */
  issuesOmitted?: number;
}

const LOG_DIR_CHECKPOINTS = new Set(['recovery-point-offset-checkpoint', 'log-start-offset-checkpoint', 'replication-offset-checkpoint', 'cleaner-offset-checkpoint']);

interface Unit {
  label: string;
  /** The unit of a broker log dir's own files (not a partition). */
  logDir?: { filesChecked: number };
  /** .log bytes it will walk (for progress). */
  bytes?: number;
  run(maxIssues: number, pool: VerifyPool | null, progress: ProgressMeter | null): { rep: Reporter; mode: 'partition' | 'record-set'; summary: VerifySummary; recoverable: Recoverable | null };
}

/** A directory with no segment files but with partition sub-directories: a broker log dir. */
function logDirPartitions(dir: string, part: PartitionDir): string[] | null {
  if (part.segments.length > 0 || part.leftovers.length > 0 || part.orphans.length > 0) return null;
  let subdirs: string[];
  try {
    subdirs = subdirectories(dir).filter((d) => /-\d+(\.[0-9a-f]{32}-(delete|future|stray))?$/.test(d));
  } catch {
    return null;
  }
  if (subdirs.length === 0) return null;
  return subdirs.sort((a, b) => a.localeCompare(b, 'en', { numeric: true }));
}

function unitsFor(paths: string[], opts: VerifyOptions): Unit[] {
  if (paths.length === 0) throw new UsageError('no PATH given (a partition directory, a log directory or a segment/index/checkpoint file)');
  const units: Unit[] = [];
  for (const p of paths) {
    let st: fs.Stats;
    try {
      st = fs.statSync(p);
    } catch (e) {
      throw ioError(e, p);
    }
    if (st.isDirectory()) {
      const part = scanPartitionDir(p);
      const subs = logDirPartitions(p, part);
      if (subs) {
        units.push(logDirUnit(p, part));
        for (const s of subs) units.push(partitionUnit(path.join(p, s), opts));
      } else {
        requirePartition(part);
        units.push(partitionUnit(p, opts, part));
      }
      continue;
    }
    units.push(fileUnit(p, opts));
  }
  return units;
}

function partitionUnit(dir: string, opts: VerifyOptions, scanned?: PartitionDir): Unit {
  const part = scanned ?? scanPartitionDir(dir);
  return {
    label: dir,
    bytes: part.segments.reduce((n, s) => n + s.logSize, 0),
    run(maxIssues, pool, progress) {
      const s = scanPartition(viewOf(part), { recordSet: opts.recordSet, maxIssues, pool, progress });
      kraftSnapshotIssues(dir, part, s.reporter, maxIssues, pool);
      return { rep: s.reporter, mode: s.mode, summary: s.summary, recoverable: s.recoverable };
    },
  };
}

function logDirUnit(dir: string, part: PartitionDir): Unit {
  const filesChecked = part.other.filter((o) => LOG_DIR_CHECKPOINTS.has(o) || classifyFile(o) === 'kraft-checkpoint').length;
  return {
    label: dir,
    logDir: { filesChecked },
    run(maxIssues) {
      const rep = new Reporter(null, maxIssues);
      for (const o of part.other) {
        const p = path.join(dir, o);
        if (LOG_DIR_CHECKPOINTS.has(o)) checkLogDirCheckpointFile(p, o, rep);
      }
      kraftSnapshotIssues(dir, part, rep, maxIssues, null);
      return { rep, mode: 'partition', summary: { segments: 0, batches: 0, records: 0, bytes: 0 }, recoverable: null };
    },
  };
}

function fileUnit(p: string, opts: VerifyOptions): Unit {
  const name = path.basename(p);
  const dir = path.dirname(p);
  const kind = classifyFile(name);
  return {
    label: p,
    run(maxIssues, pool) {
      const empty: VerifySummary = { segments: 0, batches: 0, records: 0, bytes: 0 };
      const rep = new Reporter(null, maxIssues);
      switch (kind) {
        case 'snapshot':
          checkSnapshotFile(p, name, rep);
          return { rep, mode: 'partition', summary: empty, recoverable: null };
        case 'leader-epoch-checkpoint':
          checkLeaderEpochFile(p, name, rep, null);
          return { rep, mode: 'partition', summary: empty, recoverable: null };
        case 'partition.metadata':
          checkPartitionMetadataFile(p, name, rep);
          return { rep, mode: 'partition', summary: empty, recoverable: null };
        case 'checkpoint':
          checkLogDirCheckpointFile(p, name, rep);
          return { rep, mode: 'partition', summary: empty, recoverable: null };
        case 'kraft-checkpoint': {
          const r = standaloneLogUnit(p, name, 0, maxIssues, pool);
          for (const f of checkKraftSnapshot(p).findings) r.rep.add(f.code, name, f.position, f.offset, f.message);
          // Kafka does not repair a snapshot (an incomplete one is not loaded): nothing for recover to cut.
          return { ...r, recoverable: null };
        }
        case 'log':
        case 'index':
        case 'timeindex':
        case 'txnindex': {
          const part = scanPartitionDir(dir);
          const parsed = parseSegmentName(name)!;
          const prefix = name.slice(0, name.indexOf('.'));
          const seg = part.segments.find((s) => s.name === prefix);
          if (!seg) {
            // An index whose .log is absent: check its own structure only.
            const r = new Reporter(null, maxIssues);
            r.add('LOG_MISSING', name, null, parsed.baseOffset, `${prefix}.log is absent, so entries were not checked against the log`);
            const buf = readWholeFile(p);
            const fake: Segment = { baseOffset: parsed.baseOffset, name: prefix, log: `${prefix}.log`, logSize: 0, [kind]: name } as Segment;
            if (kind === 'index') new OffsetIndexCheck(buf, fake, true, r);
            else if (kind === 'timeindex') new TimeIndexCheck(buf, fake, true, r);
            else if (kind === 'txnindex') new TxnIndexCheck(buf, fake, r);
            return { rep: r, mode: 'partition', summary: empty, recoverable: null };
          }
          // Transaction state needs the earlier segments; the other kinds only their own segment.
          const through = kind === 'txnindex' ? new Set(part.segments.filter((s) => s.baseOffset <= seg.baseOffset).map((s) => s.baseOffset)) : new Set([seg.baseOffset]);
          const recordSet = opts.recordSet ?? (kind === 'log' && looksLikeRecordSet({ ...part, segments: [seg] }) && !seg.index && !seg.timeindex);
          const s = scanPartition(viewOf(part), { recordSet, files: new Set([name]), segments: through, maxIssues, pool });
          const mine = s.segments.find((x) => x.segment.baseOffset === seg.baseOffset)!;
          const summary = kind === 'log' ? { segments: 1, batches: mine.batches, records: mine.records, bytes: mine.logSize } : empty;
          const recoverable = kind === 'log' && mine.cut ? { file: name, truncateAtPosition: mine.cut.position, recordsLost: mine.recordsFromCut } : null;
          return { rep: s.reporter, mode: s.mode, summary, recoverable };
        }
        default: {
          // A segment left by an unfinished delete, clean or split: verify its batches before recovery decides.
          const left = parseSegmentName(name);
          if (left?.leftover && left.kind === 'log') return standaloneLogUnit(p, name, left.baseOffset, maxIssues, pool);
          throw new UsageError(`${name}: not a Kafka partition file (expected a partition or log directory, a 20-digit .log/.index/.timeindex/.txnindex/.snapshot name, a KRaft <offset>-<epoch>.checkpoint or bootstrap.checkpoint, leader-epoch-checkpoint, partition.metadata or *-checkpoint)`);
        }
      }
    },
  };
}

/**
 * One file in log format verified on its own: a KRaft snapshot (`<offset>-<epoch>.checkpoint`,
 * `bootstrap.checkpoint`) or a `.log.swap` / `.log.cleaned` / `.log.deleted` segment.
 */
/** KRaft snapshot files of a directory (__cluster_metadata-0, bootstrap.checkpoint in a log dir): framing, CRCs, header/footer, offsets. */
function kraftSnapshotIssues(dir: string, part: PartitionDir, rep: Reporter, maxIssues: number, pool: VerifyPool | null): void {
  for (const o of part.other) {
    if (classifyFile(o) !== 'kraft-checkpoint') continue;
    const p = path.join(dir, o);
    const r = standaloneLogUnit(p, o, 0, maxIssues, pool);
    for (const i of r.rep.issues) rep.add(i.code, i.file, i.position, i.offset, i.message);
    for (const f of checkKraftSnapshot(p).findings) rep.add(f.code, o, f.position, f.offset, f.message);
  }
}

function standaloneLogUnit(p: string, name: string, baseOffset: number, maxIssues: number, pool: VerifyPool | null): ReturnType<Unit['run']> {
  const seg: Segment = { baseOffset, name, log: name, logSize: 0 };
  const part: PartitionDir = { dir: path.dirname(p), segments: [seg], snapshots: [], orphans: [], leftovers: [], irregular: [], other: [] };
  const s = scanPartition({ dir: part.dir, partition: part, pathOf: () => p }, { recordSet: false, standalone: true, maxIssues, pool });
  return { rep: s.reporter, mode: 'partition', summary: s.summary, recoverable: s.recoverable };
}

/** Verify partition directories, log directories or single files. Never throws for corrupt data. */
export function verify(paths: string[], opts: VerifyOptions = {}): VerifyReport {
  const units = unitsFor(paths, opts);
  const maxIssues = opts.maxIssues ?? 10000;
  const issues: VerifyIssue[] = [];
  const partitions: PartitionReport[] = [];
  let errors = 0;
  let warnings = 0;
  let omitted = 0;
  const total: VerifySummary = { segments: 0, batches: 0, records: 0, bytes: 0 };
  let recoverable: Recoverable | null = null;
  const multi = units.length > 1;
  // Worker threads start only when a segment is large enough to split (see verify-parallel.ts).
  const pool = (opts.jobs ?? 1) > 1 ? new VerifyPool(opts.jobs! - 1) : null;
  const progress = opts.onProgress ? new ProgressMeter(opts.onProgress, units.reduce((n, u) => n + (u.bytes ?? 0), 0)) : null;
  try {
    for (const u of units) {
      const r = u.run(Math.max(0, maxIssues - issues.length), pool, progress);
      const rep = r.rep;
      let e = rep.errors;
      let w = rep.warnings;
      for (const i of rep.issues) {
        if (opts.strict && i.severity === 'warning') i.severity = 'error';
        if (multi) i.partition = u.label;
        issues.push(i);
      }
      if (opts.strict) {
        e += w;
        w = 0;
      }
      errors += e;
      warnings += w;
      omitted += rep.omitted;
      total.segments += r.summary.segments;
      total.batches += r.summary.batches;
      total.records += r.summary.records;
      total.bytes += r.summary.bytes;
      if (r.recoverable && !recoverable) recoverable = multi ? { ...r.recoverable, partition: u.label } : r.recoverable;
      const entry: PartitionReport = { partition: u.label, mode: r.mode, ok: e === 0, errors: e, warnings: w, recoverable: r.recoverable, summary: r.summary };
      if (u.logDir) {
        entry.logDir = true;
        entry.filesChecked = u.logDir.filesChecked;
      }
      partitions.push(entry);
    }
  } finally {
    pool?.close();
  }
  const report: VerifyReport = { ok: errors === 0, errors, warnings, issues, recoverable, summary: total };
  if (multi) report.partitions = partitions;
  if (omitted > 0) report.issuesOmitted = omitted;
  return report;
}

/** Used by recover and rebuild-index: the partition scan of a directory path. */
export function scanDir(dir: string, opts: ScanOptions = {}): PartitionScan {
  return scanPartition(viewOf(scanPartitionDir(dir)), opts);
}
