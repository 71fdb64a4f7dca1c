import type { Steps } from '../interrupt.js';
import type { OnProgress } from '../progress.js';
import type { PartitionScan, SegmentScan } from '../partition-scan/index.js';
import type { VerifyIssue, VerifySummary } from '../verify/reporter.js';

export type RecoverAction =
  | { type: 'delete'; file: string; bytes: number; reason: string }
  | { type: 'rename'; from: string; to: string; reason: string }
  | { type: 'truncate'; file: string; size: number; fromSize: number; records: number; reason: string }
  | { type: 'write'; file: string; data: Buffer; existed: boolean; reason: string };

export interface RecoverOptions {
  dryRun?: boolean;
  /**
   * Recover every segment (cut at the first invalid batch anywhere, delete every later segment)
   * instead of Kafka's scope (from the recovery point; nothing after a clean shutdown).
   */
  full?: boolean;
  force?: boolean;
  /** Copy every removed or replaced byte here before changing anything. */
  backup?: string;
  indexIntervalBytes?: number;
  /** Called with .log bytes scanned and the total, at most once per PROGRESS_STEP (4 MiB) and per segment. */
  onProgress?: OnProgress;
}

export interface RecoverSummary extends VerifySummary {
  logEndOffset: number | null;
}

/**
 * Which segments the recovery checks, as Kafka decides it at startup (LogManager.loadLogs ->
 * LogLoader.recoverLog): nothing after a clean shutdown, else the segments from the one holding the
 * partition's recovery point on. `full` is kseg's whole-partition recovery (`--full`).
 */
export interface RecoveryMode {
  kind: 'recovery-point' | 'clean-shutdown' | 'full' | 'no-log-dir';
  /** The partition's recovery point (0 without a checkpoint entry or outside a log dir); null with --full, or after a clean shutdown without an entry. */
  recoveryPoint: number | null;
  /** The recovery-point-offset-checkpoint file read, or null. */
  source: string | null;
  /** The first segment the log phase recovers (null: none, e.g. after a clean shutdown). */
  firstSegmentChecked: string | null;
  /** The clean-shutdown marker found in the log directory, or null. */
  cleanShutdownFile: string | null;
  /** Log start offset used for snapshots: max(log-start-offset-checkpoint entry, first segment's base). */
  logStartOffset: number | null;
  /** The log-start-offset-checkpoint file read, or null. */
  logStartOffsetSource: string | null;
  /** Why this mode, in words. */
  reason: string;
}

/** A truncation the recovery makes in one segment. */
export interface RecoverCut {
  file: string;
  position: number;
  code: string;
  offset: number | null;
  records: number;
  bytes: number;
  segmentsDeleted: string[];
  /** 'recovery': Kafka's recoverLog (later segments deleted); 'segment-load': the segment alone is recovered when it is loaded (missing .index, .txnindex failing its sanity check). */
  kind: 'recovery' | 'segment-load';
}

/** Corruption the recovery leaves as it is because Kafka's startup would not touch it. */
export interface NotRecovered {
  file: string;
  position: number | null;
  code: string;
  offset: number | null;
  /** Records from there to the end of the segment that `--full` would cut (later segments not counted). */
  records: number;
  reason: string;
}

export interface RecoveryPlan {
  dir: string;
  actions: RecoverAction[];
  /** Which segments were checked and why. */
  mode: RecoveryMode;
  /** What the log phase cuts (the first of `cuts`; null: nothing is cut). */
  cut: RecoverCut | null;
  /** Every segment the log phase cuts, in offset order. */
  cuts: RecoverCut[];
  /** Corruption kept because Kafka's recovery does not reach it (below the recovery point, or after a clean shutdown). */
  notRecovered: NotRecovered[];
  before: RecoverSummary;
  after: RecoverSummary;
  /** Problems recover does not change (Kafka's recovery keeps these batches). */
  remaining: VerifyIssue[];
  /** What `complete` phases did (or, in a dry run, would do) before planning. */
  completed: string[];
}

export interface RecoverResult extends RecoveryPlan {
  applied: boolean;
  changed: string[];
  removed: string[];
  backupDir: string | null;
}

/** The epoch starts of one recovered segment that LogSegment.recover may assign to the leader-epoch cache. */
export interface EpochReplay {
  file: string;
  starts: { epoch: number; offset: number; position: number }[];
}

/** The planned state of the directory: name -> size and the real path holding its bytes now. */
export interface PlanFile {
  size: number;
  real: string;
}

export interface PlanState {
  dir: string;
  opts: Required<Pick<RecoverOptions, 'indexIntervalBytes'>> & Pick<RecoverOptions, 'onProgress'>;
  files: Map<string, PlanFile>;
  actions: RecoverAction[];
  mode: RecoveryMode;
  /** The partition's log-start-offset-checkpoint entry (0 without one, as LogManager defaults it). */
  logStartOffsetCheckpoint: number;
  /** Set by the log phase: its scan, and how many actions earlier phases planned. */
  scan?: PartitionScan;
  actionsBeforeLog?: number;
  cuts: RecoverCut[];
  notRecovered: NotRecovered[];
  /** Per scanned segment (by .log name): where it ends after recovery (Infinity: untouched), absent when deleted. */
  kept?: Map<string, number>;
  /** Base offsets of the segments the log phase deletes. */
  deletedBases: Set<number>;
  /** Set by the log phase: the scanned segments as recovery sees them (a segment Kafka empties has its cut at 0). */
  segs?: SegmentScan[];
  /** Set by the log phase: leader epochs Kafka's recovery assigns, per recovered segment, in recovery order. */
  epochReplay?: EpochReplay[];
  logEndOffset: number | null;
}

export interface RecoveryPhase {
  name: string;
  /** Plan actions against the virtual listing in `state` (and update it); a long one returns steps (ops/interrupt.ts). */
  plan?(state: PlanState): void | Steps<void>;
  /**
   * Finish an interrupted operation of another command in place, before any phase plans; return
   * one line per thing done (with dryRun: that would be done, changing nothing).
   */
  complete?(dir: string, opts: { dryRun: boolean; force: boolean }): string[];
}
