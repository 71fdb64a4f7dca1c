import fs from 'node:fs';
import path from 'node:path';
import { parseLogDirCheckpoint } from '../format/checkpoints.js';
import { CorruptDataError, ioError } from '../format/errors.js';
import { TIME_INDEX_ENTRY_SIZE, encodeTimeIndexEntry } from '../format/indexes.js';
import { fsyncDir, linkedTempFiles, removeDurable, TEMP_SUFFIX, truncateDurable, writeFileAtomic } from '../storage/atomic.js';
import { leftoverLockFiles, withLogDirLock } from '../storage/lock.js';

/**
 * The truncation intent record (format doc 8.1). Truncating a partition removes whole segments and
 * cuts one; once the first segment is gone the directory is neither the old log nor the new one,
 * and Kafka's own recovery would keep such a prefix. So `kseg truncate` first writes this record
 * atomically (temp file, fsync, rename, fsync the directory): it names every change the truncation
 * makes, as absolute target states (file lengths, full file contents), so applying it again after a
 * crash at any step gives the same result. It is removed last. `completeIntents(dir)`, which
 * `kseg recover` calls before anything else, finishes an interrupted truncation — roll forward,
 * because the record exists only once the plan is complete and durable.
 *
 * File `kseg-intent.json` in the partition directory (Kafka ignores files it does not know):
 *
 *   { "kseg": "intent", "version": 1, "op": "truncate", "mode": "to-offset" | "start-offset",
 *     "createdAt": ISO time, "partition": directory name, "targetOffset": N,
 *     "logStartOffset": {"before","after"}, "logEndOffset": {"before","after"},
 *     "deleteSegments": [20-digit base offsets, in deletion order],
 *     "cut": null | { "segment": base, "logBytes", "indexBytes", "timeIndexBytes",
 *                     "timeIndexFinalEntry": null | {"timestamp","relativeOffset"}, "txnIndexBytes": null | n },
 *     "createSegment": null | base (an empty segment: truncateFullyAndStartAt),
 *     "deleteSnapshots": [file names],
 *     "leaderEpochCheckpoint": null | full new file content,
 *     "logStartOffsetCheckpoint": null | {"file","topic","partition","offset"} (log-dir level, beside the partition) }
 */
export const INTENT_FILE = 'kseg-intent.json';
export const INTENT_VERSION = 1;

export interface CutPlan {
  /** 20-digit base offset prefix of the segment that is cut. */
  segment: string;
  logBytes: number;
  indexBytes: number;
  timeIndexBytes: number;
  /** The time index's max-timestamp entry recomputed for the kept batches (appended after the kept prefix). */
  timeIndexFinalEntry: { timestamp: number; relativeOffset: number } | null;
  /** Length to cut the .txnindex to; null when the segment has none. */
  txnIndexBytes: number | null;
}

export interface TruncateIntent {
  kseg: 'intent';
  version: number;
  op: 'truncate';
  mode: 'to-offset' | 'start-offset';
  createdAt: string;
  partition: string;
  targetOffset: number;
  logStartOffset: { before: number; after: number };
  logEndOffset: { before: number; after: number };
  deleteSegments: string[];
  cut: CutPlan | null;
  createSegment: string | null;
  deleteSnapshots: string[];
  leaderEpochCheckpoint: string | null;
  logStartOffsetCheckpoint: { file: string; topic: string; partition: number; offset: number } | null;
}

export type Intent = TruncateIntent;

/** Files an intent changes and removes, for reports (names within the partition directory). */
export interface IntentEffect {
  changed: string[];
  removed: string[];
}

const SEGMENT_SUFFIXES = ['log', 'index', 'timeindex', 'txnindex'] as const;

export function segmentPrefix(baseOffset: number): string {
  return String(baseOffset).padStart(20, '0');
}

/** The files `applyIntent` changes and removes (for plans and --json output). */
export function intentEffect(dir: string, intent: Intent): IntentEffect {
  const changed: string[] = [];
  const removed: string[] = [];
  const exists = (f: string) => fs.existsSync(path.join(dir, f));
  for (const p of intent.deleteSegments) for (const s of SEGMENT_SUFFIXES) if (exists(`${p}.${s}`)) removed.push(`${p}.${s}`);
  if (intent.cut) {
    const c = intent.cut;
    changed.push(`${c.segment}.log`);
    if (exists(`${c.segment}.index`)) changed.push(`${c.segment}.index`);
    changed.push(`${c.segment}.timeindex`);
    if (c.txnIndexBytes !== null) changed.push(`${c.segment}.txnindex`);
  }
  if (intent.createSegment) for (const s of ['log', 'index', 'timeindex']) changed.push(`${intent.createSegment}.${s}`);
  removed.push(...intent.deleteSnapshots);
  if (intent.leaderEpochCheckpoint !== null) changed.push('leader-epoch-checkpoint');
  if (intent.logStartOffsetCheckpoint) changed.push(path.join('..', intent.logStartOffsetCheckpoint.file));
  return { changed, removed };
}

/** Write the intent record durably: after this returns, `completeIntents` will finish the change. */
export function writeIntent(dir: string, intent: Intent): void {
  writeFileAtomic(dir, INTENT_FILE, JSON.stringify(intent, null, 1) + '\n');
}

export function readIntent(dir: string): Intent | null {
  const p = path.join(dir, INTENT_FILE);
  let text: string;
  try {
    text = fs.readFileSync(p, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw ioError(e, p);
  }
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch (e) {
    throw new CorruptDataError('INTENT_MALFORMED', `intent record is not valid JSON: ${(e as Error).message}`, { file: INTENT_FILE, position: 0 });
  }
  const o = v as Partial<TruncateIntent>;
  if (!o || o.kseg !== 'intent' || typeof o.version !== 'number') {
    throw new CorruptDataError('INTENT_MALFORMED', 'not a kseg intent record', { file: INTENT_FILE, position: 0 });
  }
  if (o.version > INTENT_VERSION) {
    throw new CorruptDataError('INTENT_VERSION', `intent record version ${o.version} is newer than this kseg understands (${INTENT_VERSION}); complete it with a newer kseg`, {
      file: INTENT_FILE,
      position: 0,
    });
  }
  if (o.op !== 'truncate' || !Array.isArray(o.deleteSegments) || !Array.isArray(o.deleteSnapshots) || (o.mode !== 'to-offset' && o.mode !== 'start-offset')) {
    throw new CorruptDataError('INTENT_MALFORMED', `unknown or incomplete intent record (op ${String(o.op)})`, { file: INTENT_FILE, position: 0 });
  }
  return o as TruncateIntent;
}

function sizeOf(dir: string, name: string): number | null {
  try {
    return fs.statSync(path.join(dir, name)).size;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw ioError(e, path.join(dir, name));
  }
}

function readFile(dir: string, name: string): Buffer {
  try {
    return fs.readFileSync(path.join(dir, name));
  } catch (e) {
    throw ioError(e, path.join(dir, name));
  }
}

function inconsistent(message: string, file: string): CorruptDataError {
  return new CorruptDataError('INTENT_INCONSISTENT', `${message}; the directory changed since the intent was written — inspect it and remove ${INTENT_FILE} by hand`, { file });
}

/** Cut `name` to `bytes` if it is longer; refuse if it is shorter (someone else changed it). */
function cutTo(dir: string, name: string, bytes: number): void {
  const size = sizeOf(dir, name);
  if (size === null) {
    if (bytes === 0) return;
    throw inconsistent(`${name} is missing but should keep ${bytes} bytes`, name);
  }
  if (size < bytes) throw inconsistent(`${name} has ${size} bytes, fewer than the ${bytes} the truncation keeps`, name);
  if (size > bytes) truncateDurable(dir, name, bytes);
}

export function encodeLogDirCheckpoint(entries: { topic: string; partition: number; offset: number }[]): string {
  return `0\n${entries.length}\n${entries.map((e) => `${e.topic} ${e.partition} ${e.offset}\n`).join('')}`;
}

/**
 * Apply every step of the intent. Idempotent: each step states a target (a file gone, a length, a
 * content) and is skipped when already reached. Removes the intent record last.
 */
export function applyIntent(dir: string, intent: Intent): IntentEffect {
  const effect = intentEffect(dir, intent);
  // 1. Whole segments, highest base offset first; the .log goes first so a half-deleted segment
  //    leaves only orphan index files (which Kafka and recover delete).
  for (const p of intent.deleteSegments) {
    for (const s of SEGMENT_SUFFIXES) if (sizeOf(dir, `${p}.${s}`) !== null) removeDurable(dir, `${p}.${s}`);
  }
  if (intent.deleteSegments.length) fsyncDir(dir);
  // 2. The cut segment: indexes first (they only lose entries), then the .log.
  const c = intent.cut;
  if (c) {
    if (sizeOf(dir, `${c.segment}.index`) !== null) cutTo(dir, `${c.segment}.index`, c.indexBytes);
    const tname = `${c.segment}.timeindex`;
    const tsize = sizeOf(dir, tname);
    if (tsize !== null && tsize < c.timeIndexBytes) throw inconsistent(`${tname} has ${tsize} bytes, fewer than the ${c.timeIndexBytes} the truncation keeps`, tname);
    const prefix = tsize === null ? Buffer.alloc(0) : readFile(dir, tname).subarray(0, c.timeIndexBytes);
    const want = Buffer.alloc(c.timeIndexBytes + (c.timeIndexFinalEntry ? TIME_INDEX_ENTRY_SIZE : 0));
    prefix.copy(want, 0);
    if (c.timeIndexFinalEntry) encodeTimeIndexEntry(want, c.timeIndexBytes / TIME_INDEX_ENTRY_SIZE, c.timeIndexFinalEntry.timestamp, c.timeIndexFinalEntry.relativeOffset);
    if (tsize === null || !readFile(dir, tname).equals(want)) writeFileAtomic(dir, tname, want);
    if (c.txnIndexBytes !== null && sizeOf(dir, `${c.segment}.txnindex`) !== null) cutTo(dir, `${c.segment}.txnindex`, c.txnIndexBytes);
    cutTo(dir, `${c.segment}.log`, c.logBytes);
  }
  // 3. truncateFullyAndStartAt: one empty segment at the target.
  if (intent.createSegment) {
    for (const s of ['index', 'timeindex', 'log']) {
      const name = `${intent.createSegment}.${s}`;
      const size = sizeOf(dir, name);
      if (size === null) writeFileAtomic(dir, name, Buffer.alloc(0));
      else if (size !== 0) throw inconsistent(`${name} should be a new empty file but has ${size} bytes`, name);
    }
  }
  // 4. Producer snapshots that describe removed offsets.
  for (const f of intent.deleteSnapshots) if (sizeOf(dir, f) !== null) removeDurable(dir, f);
  // 5. leader-epoch-checkpoint (whole new content).
  if (intent.leaderEpochCheckpoint !== null) {
    const cur = sizeOf(dir, 'leader-epoch-checkpoint') === null ? null : readFile(dir, 'leader-epoch-checkpoint').toString('utf8');
    if (cur !== intent.leaderEpochCheckpoint) writeFileAtomic(dir, 'leader-epoch-checkpoint', intent.leaderEpochCheckpoint);
  }
  // 6. log-start-offset-checkpoint of the log directory: this partition's entry only.
  const lso = intent.logStartOffsetCheckpoint;
  if (lso) {
    const parent = path.dirname(path.resolve(dir));
    // Shared by every partition of the log dir: read, change and write it under the log dir's lock.
    withLogDirLock(parent, 'truncate', () => {
      const cur = sizeOf(parent, lso.file) === null ? '' : readFile(parent, lso.file).toString('utf8');
      const entries = parseLogDirCheckpoint(cur, lso.file).filter((e) => !(e.topic === lso.topic && e.partition === lso.partition));
      entries.push({ topic: lso.topic, partition: lso.partition, offset: lso.offset });
      const next = encodeLogDirCheckpoint(entries);
      if (next !== cur) writeFileAtomic(parent, lso.file, next);
    });
  }
  fsyncDir(dir);
  // 7. Done: the record goes last.
  removeDurable(dir, INTENT_FILE);
  fsyncDir(dir);
  return effect;
}

export interface CompletedIntents {
  /** The intent that was finished, if there was one. */
  completed: { op: string; mode: string; targetOffset: number; createdAt: string; changed: string[]; removed: string[] }[];
  /** Temporary files of interrupted atomic writes (`*.kseg-tmp`) that were deleted. */
  tempFilesRemoved: string[];
}

/**
 * Finish whatever a crashed kseg left: first delete temp files of interrupted atomic writes (they
 * never replaced anything), then apply a pending intent record. `kseg recover` calls this before
 * its own recovery. Throws CorruptDataError (and leaves the record) if the directory no longer
 * matches the record.
 */
export function completeIntents(dir: string): CompletedIntents {
  const out: CompletedIntents = { completed: [], tempFilesRemoved: [] };
  let names: string[];
  try {
    names = fs.readdirSync(dir);
  } catch (e) {
    throw ioError(e, dir);
  }
  for (const n of names.sort()) {
    if (n.endsWith(TEMP_SUFFIX)) {
      removeDurable(dir, n);
      out.tempFilesRemoved.push(n);
    }
  }
  for (const n of leftoverLockFiles(dir)) {
    removeDurable(dir, n);
    out.tempFilesRemoved.push(n);
  }
  for (const tmp of linkedTempFiles(dir)) {
    removeDurable(path.dirname(tmp), path.basename(tmp));
    fsyncDir(path.dirname(tmp));
    out.tempFilesRemoved.push(tmp);
  }
  if (out.tempFilesRemoved.length) fsyncDir(dir);
  const intent = readIntent(dir);
  if (intent) {
    const eff = applyIntent(dir, intent);
    out.completed.push({ op: intent.op, mode: intent.mode, targetOffset: intent.targetOffset, createdAt: intent.createdAt, ...eff });
  }
  return out;
}

/** One line per pending step (dry runs of `kseg recover`). */
export function describePendingIntents(dir: string): string[] {
  const lines: string[] = [];
  let names: string[] = [];
  try {
    names = fs.readdirSync(dir);
  } catch (e) {
    throw ioError(e, dir);
  }
  for (const n of names.sort()) if (n.endsWith(TEMP_SUFFIX)) lines.push(`delete ${n}: temporary file of an interrupted kseg write`);
  for (const n of leftoverLockFiles(dir)) lines.push(`delete ${n}: helper file of a kseg lock whose process is gone`);
  for (const tmp of linkedTempFiles(dir)) lines.push(`delete ${tmp}: temporary file of an interrupted kseg write through a symbolic link`);
  const intent = readIntent(dir);
  if (intent) {
    const eff = intentEffect(dir, intent);
    lines.push(
      `complete the interrupted \`kseg truncate --${intent.mode} ${intent.targetOffset}\` of ${intent.createdAt} (${INTENT_FILE}): ` +
        `log offsets ${intent.logStartOffset.after}..${intent.logEndOffset.after}; ${eff.removed.length} file(s) to remove, ${eff.changed.length} to change`,
    );
  }
  return lines;
}

/**
 * The recovery phase `kseg recover` runs before planning (RECOVERY_PHASES in recover/plan.ts): finish an
 * interrupted truncation from its intent record.
 */
export const intentRecoveryPhase = {
  name: 'intents',
  complete(dir: string, opts: { dryRun: boolean; force: boolean }): string[] {
    if (opts.dryRun) return describePendingIntents(dir);
    const r = completeIntents(dir);
    const lines = r.tempFilesRemoved.map((n) => `deleted ${n}: temporary file of an interrupted kseg write`);
    for (const c of r.completed) {
      lines.push(`completed the interrupted \`kseg truncate --${c.mode} ${c.targetOffset}\` of ${c.createdAt}: removed ${c.removed.length} file(s), changed ${c.changed.length}`);
    }
    return lines;
  },
};
