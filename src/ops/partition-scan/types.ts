import type { PartitionDir, Segment } from '../../storage/segments.js';
import type { ProgressMeter } from '../progress.js';
import type { VerifyPool } from '../verify/pool.js';
import type { Recoverable, Reporter, VerifySummary } from '../verify/reporter.js';

/** The shapes of the partition scan (index.ts): what it reads, what it is told, what it returns. */

/** A partition directory as the scan sees it; `pathOf` maps names to real paths (plans use renamed views). */
export interface PartitionView {
  dir: string;
  partition: PartitionDir;
  pathOf(name: string): string;
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
  mode: ScanMode;
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

/** A partition directory, or .log files cut from fetch responses (a partial last batch is normal). */
export type ScanMode = 'partition' | 'record-set';

/** What the checks of one segment share. */
export interface SegmentContext {
  view: PartitionView;
  seg: Segment;
  rep: Reporter;
  mode: ScanMode;
}
