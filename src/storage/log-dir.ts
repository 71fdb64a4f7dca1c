import fs from 'node:fs';
import path from 'node:path';
import { parseLogDirCheckpoint, type LogDirCheckpointEntry } from '../format/checkpoints.js';
import { CorruptDataError, ioError } from '../format/errors.js';
import { readTextFile } from './source.js';
import { isMissingError, providerFor, resolvePath } from './vfs.js';

/**
 * The broker-level files of the log directory a partition directory sits in (LogManager): the
 * clean-shutdown marker and the recovery-point / log-start-offset checkpoints, each read for this
 * partition's entry.
 */
export const CLEAN_SHUTDOWN_FILE = '.kafka_cleanshutdown';
export const RECOVERY_POINT_CHECKPOINT = 'recovery-point-offset-checkpoint';
export const LOG_START_OFFSET_CHECKPOINT = 'log-start-offset-checkpoint';
/** Files that only a Kafka log directory holds: any of them makes the parent a log dir. */
const LOG_DIR_MARKERS = [
  CLEAN_SHUTDOWN_FILE,
  RECOVERY_POINT_CHECKPOINT,
  LOG_START_OFFSET_CHECKPOINT,
  'replication-offset-checkpoint',
  'cleaner-offset-checkpoint',
  'meta.properties',
];

export interface TopicPartitionName {
  topic: string;
  partition: number;
}

/**
 * Kafka's partition directory names (UnifiedLog.parseTopicPartitionName): `topic-N`, and
 * `topic-N.<32 hex>-delete` / `-future` / `-stray`.
 */
export function topicPartitionOfDir(dir: string): TopicPartitionName | null {
  const name = path.basename(resolvePath(dir));
  const m = /^(.+)-(\d+)(?:\.[0-9a-f]{32}-(?:delete|future|stray))?$/.exec(name);
  if (!m) return null;
  const partition = Number(m[2]);
  return Number.isSafeInteger(partition) && partition <= 0x7fffffff ? { topic: m[1]!, partition } : null;
}

/**
 * What Kafka does with a partition directory at startup, from its name (LogManager.loadLog,
 * LogLoader.load): `-delete` (a deleted partition awaiting asynchronous deletion) is loaded without
 * recovery and deleted; `-stray` (KIP-858: a replica the cluster no longer assigns here) and
 * `-future` (the target of a replica move between log dirs) are loaded and recovered like any log.
 */
export type PartitionDirKind = 'current' | 'delete' | 'stray' | 'future';

export function partitionDirKind(dir: string): PartitionDirKind {
  const name = path.basename(resolvePath(dir));
  if (name.endsWith('-delete')) return 'delete';
  if (/\.[0-9a-f]{32}-stray$/.test(name)) return 'stray';
  if (/\.[0-9a-f]{32}-future$/.test(name)) return 'future';
  return 'current';
}

export interface LogDirCheckpointRead {
  /** Path of the checkpoint file. */
  file: string;
  /** This partition's offset; null when the file has no entry for it. */
  offset: number | null;
}

export interface LogDirContext {
  /** The partition directory's parent. */
  logDir: string;
  /** The parent holds a clean-shutdown marker or a broker checkpoint file. */
  isLogDir: boolean;
  topicPartition: TopicPartitionName | null;
  /** Path of `.kafka_cleanshutdown` when present. */
  cleanShutdown: string | null;
  /** null: no recovery-point-offset-checkpoint file. */
  recoveryPoint: LogDirCheckpointRead | null;
  /** null: no log-start-offset-checkpoint file. */
  logStartOffset: LogDirCheckpointRead | null;
  /** A log-start-offset-checkpoint that does not parse (Kafka then uses the first segment's base). */
  logStartOffsetError: CorruptDataError | null;
}

function exists(p: string): boolean {
  try {
    const v = providerFor(p);
    if (v) v.stat(p);
    else fs.statSync(p);
    return true;
  } catch (e) {
    if (isMissingError(e)) return false;
    throw ioError(e, p);
  }
}

/** A log-dir-level checkpoint file: all its entries and this partition's, if it has one. */
export interface LogDirCheckpointFile {
  file: string;
  entries: LogDirCheckpointEntry[];
  entry: LogDirCheckpointEntry | null;
}

/**
 * Read a log-dir-level checkpoint file (recovery-point, log-start-offset, cleaner-offset) and find
 * this partition's entry; null when the file does not exist. A file that does not parse throws its
 * CorruptDataError (file and line).
 */
export function readLogDirCheckpoint(file: string, tp: TopicPartitionName | null): LogDirCheckpointFile | null {
  let text: string;
  try {
    text = readTextFile(file);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw ioError(e, file);
  }
  const entries = parseLogDirCheckpoint(text, file);
  const entry = tp ? (entries.find((e) => e.topic === tp.topic && e.partition === tp.partition) ?? null) : null;
  return { file, entries, entry };
}

function readEntry(file: string, tp: TopicPartitionName | null): LogDirCheckpointRead | null {
  const cp = readLogDirCheckpoint(file, tp);
  return cp && { file, offset: cp.entry ? cp.entry.offset : null };
}

/**
 * Read the log directory around a partition directory. A recovery-point checkpoint that does not
 * parse throws its CorruptDataError (file and line): Kafka would then reset every recovery point
 * of the log dir to 0, which the caller must decide about. A log-start-offset checkpoint that does
 * not parse is returned as `logStartOffsetError` (Kafka falls back to the first segment's base).
 */
export function readLogDirContext(partitionDir: string): LogDirContext {
  const logDir = path.dirname(resolvePath(partitionDir));
  const tp = topicPartitionOfDir(partitionDir);
  // A partition at the root of an archive (storage/vfs.ts) has no log dir: its parent is outside.
  const isLogDir = providerFor(logDir) === providerFor(partitionDir) && LOG_DIR_MARKERS.some((f) => exists(path.join(logDir, f)));
  const ctx: LogDirContext = { logDir, isLogDir, topicPartition: tp, cleanShutdown: null, recoveryPoint: null, logStartOffset: null, logStartOffsetError: null };
  if (!isLogDir) return ctx;
  const marker = path.join(logDir, CLEAN_SHUTDOWN_FILE);
  if (exists(marker)) ctx.cleanShutdown = marker;
  ctx.recoveryPoint = readEntry(path.join(logDir, RECOVERY_POINT_CHECKPOINT), tp);
  try {
    ctx.logStartOffset = readEntry(path.join(logDir, LOG_START_OFFSET_CHECKPOINT), tp);
  } catch (e) {
    if (!(e instanceof CorruptDataError)) throw e;
    ctx.logStartOffsetError = e;
  }
  return ctx;
}
