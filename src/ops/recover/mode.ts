import path from 'node:path';
import { CorruptDataError, UsageError } from '../../format/errors.js';
import { CLEAN_SHUTDOWN_FILE, LOG_START_OFFSET_CHECKPOINT, partitionDirKind, readLogDirContext } from '../../storage/log-dir.js';
import { requirePartition, scanPartitionDir, subdirectories } from '../../storage/segments.js';
import type { RecoveryMode } from './types.js';

/** Refuse a broker log directory (partition sub-directories, no segments): recover works on one partition. */
export function assertPartitionDir(dir: string): void {
  const part = scanPartitionDir(dir);
  if (part.segments.length > 0 || part.leftovers.length > 0) return;
  const subdirs = subdirectories(dir).filter((d) => /-\d+$/.test(d));
  if (subdirs.length > 0) {
    throw new UsageError(`${dir} is a log directory (${subdirs.length} partition directories in it); give one partition directory, e.g. ${path.join(dir, subdirs[0]!)}`);
  }
  requirePartition(part);
}

/**
 * Refuse a `-delete` partition directory unless --full: Kafka never recovers one (LogLoader.load
 * skips recoverLog for it) and deletes it (LogManager.loadLog -> addLogToBeDeleted). Checked
 * before anything else runs, intent completion included.
 */
export function assertRecoverableDir(dir: string, full: boolean): void {
  if (full || partitionDirKind(dir) !== 'delete') return;
  throw new UsageError(
    `${dir} is a deleted partition directory (-delete): a broker never recovers it and deletes it at startup (LogManager.loadLog). Nothing was changed; to salvage its data, run kseg recover --full on it (or on a copy)`,
    'PARTITION_DIR_DELETED',
  );
}

/** The note the plan's reason carries for -delete (with --full), -stray and -future directories. */
export function dirKindNote(dir: string): string {
  switch (partitionDirKind(dir)) {
    case 'delete':
      return '; a -delete directory, which Kafka deletes without recovering: recovered because --full was given';
    case 'stray':
      return '; a -stray directory (KIP-858): Kafka loads and recovers it like any log but does not serve it';
    case 'future':
      return '; a -future directory (a replica being moved between log dirs): Kafka loads and recovers it like any log';
    default:
      return '';
  }
}

/**
 * Kafka's recovery scope for this partition (LogManager.loadLogs / loadLog, LogLoader.recoverLog).
 * A recovery-point checkpoint that does not parse is refused: Kafka would reset the recovery points
 * of the whole log dir to 0, i.e. recover everything, which only --full does.
 */
export function recoveryModeOf(dir: string, full: boolean): { mode: RecoveryMode; logStartOffsetCheckpoint: number } {
  let ctx;
  try {
    ctx = readLogDirContext(dir);
  } catch (e) {
    if (!(e instanceof CorruptDataError)) throw e;
    if (full) return { mode: fullMode(`--full: every segment is recovered (${e.file ?? 'a log-dir checkpoint'} does not parse: ${e.message})`), logStartOffsetCheckpoint: 0 };
    throw new CorruptDataError(
      e.code,
      `${e.message}. Kafka reads a recovery-point-offset-checkpoint it cannot parse as recovery point 0 for every partition of the log dir, i.e. recovers whole partitions; run kseg recover --full to do that, or fix the file`,
      { file: e.file, position: e.position },
    );
  }
  const lsoEntry = ctx.logStartOffset?.offset ?? null;
  const base = {
    firstSegmentChecked: null,
    cleanShutdownFile: ctx.cleanShutdown,
    logStartOffset: null,
    logStartOffsetSource: lsoEntry !== null ? ctx.logStartOffset!.file : null,
  };
  const lso = lsoEntry ?? 0;
  const lsoNote = ctx.logStartOffsetError
    ? `; ${ctx.logStartOffsetError.file ?? LOG_START_OFFSET_CHECKPOINT} does not parse (${ctx.logStartOffsetError.message}): the first segment's base offset is the log start offset, as Kafka falls back`
    : '';
  if (full) return { mode: { ...fullMode('--full: every segment is recovered'), ...base, reason: `--full: every segment is recovered${lsoNote}` }, logStartOffsetCheckpoint: lso };
  if (!ctx.isLogDir) {
    return {
      mode: {
        kind: 'no-log-dir',
        recoveryPoint: 0,
        source: null,
        ...base,
        reason: `${ctx.logDir} holds no Kafka log-dir files (checkpoints, ${CLEAN_SHUTDOWN_FILE}): recovered from offset 0, as Kafka does without a recovery point${lsoNote}`,
      },
      logStartOffsetCheckpoint: lso,
    };
  }
  if (ctx.topicPartition?.topic === '__cluster_metadata') {
    // KafkaMetadataLog opens the KRaft metadata log with recovery point 0, log start 0 and
    // lastShutdownClean = false: every start recovers it whole, whatever the log dir's files say.
    return {
      mode: {
        kind: 'recovery-point',
        recoveryPoint: 0,
        source: null,
        ...base,
        logStartOffsetSource: null,
        reason: `the KRaft metadata log: Kafka (KafkaMetadataLog) recovers it from offset 0 at every start, ignoring the log dir's checkpoints and ${CLEAN_SHUTDOWN_FILE}`,
      },
      logStartOffsetCheckpoint: 0,
    };
  }
  const rpFile = ctx.recoveryPoint?.file ?? null;
  const rp = ctx.recoveryPoint?.offset ?? null;
  const tpName = ctx.topicPartition ? `${ctx.topicPartition.topic}-${ctx.topicPartition.partition}` : path.basename(path.resolve(dir));
  if (ctx.cleanShutdown) {
    return {
      mode: {
        kind: 'clean-shutdown',
        recoveryPoint: rp,
        source: rpFile,
        ...base,
        reason: `${ctx.cleanShutdown} is present: the broker shut down cleanly and Kafka recovers no segment at startup (only leftovers, orphaned files and segments without a .index)${lsoNote}`,
      },
      logStartOffsetCheckpoint: lso,
    };
  }
  const why =
    rpFile === null
      ? `${ctx.logDir} is a log dir without recovery-point-offset-checkpoint: recovery point 0`
      : rp === null
        ? `${tpName} has no entry in ${rpFile}: recovery point 0, as Kafka defaults it`
        : `${rpFile} says ${tpName} is flushed up to offset ${rp}: segments from the one holding it on are recovered`;
  return {
    mode: { kind: 'recovery-point', recoveryPoint: rp ?? 0, source: rpFile, ...base, reason: `no ${CLEAN_SHUTDOWN_FILE} (unclean shutdown): ${why}${lsoNote}` },
    logStartOffsetCheckpoint: lso,
  };
}

export function fullMode(reason: string): RecoveryMode {
  return { kind: 'full', recoveryPoint: null, source: null, firstSegmentChecked: null, cleanShutdownFile: null, logStartOffset: null, logStartOffsetSource: null, reason };
}
