import { CorruptDataError } from './errors.js';

/**
 * Text checkpoint files (Kafka's CheckpointFile): `version\ncount\n` then `count` lines split on
 * whitespace. leader-epoch-checkpoint lines are `epoch startOffset`; log-dir checkpoints are
 * `topic partition offset`. partition.metadata is `version: 0\ntopic_id: <base64 uuid>`.
 */
export interface CheckpointFile {
  version: number;
  lines: string[][];
}

export function parseCheckpoint(text: string, file?: string): CheckpointFile {
  if (text.length === 0) return { version: 0, lines: [] };
  const rows = text.split('\n');
  if (rows.length > 0 && rows[rows.length - 1] === '') rows.pop();
  const lineStart = (i: number): number => rows.slice(0, i).reduce((n, r) => n + r.length + 1, 0);
  const version = Number(rows[0]?.trim());
  if (!Number.isInteger(version)) throw new CorruptDataError('CHECKPOINT_MALFORMED', `Malformed version line '${rows[0]}'`, { file, position: 0 });
  if (version !== 0) throw new CorruptDataError('CHECKPOINT_BAD_VERSION', `Unrecognised version:${version}, expected version: 0`, { file, position: 0 });
  const count = Number(rows[1]?.trim());
  if (!Number.isInteger(count) || count < 0) throw new CorruptDataError('CHECKPOINT_MALFORMED', `Malformed entry count line '${rows[1] ?? ''}'`, { file, position: lineStart(1) });
  const lines: string[][] = [];
  for (let i = 2; i < rows.length; i++) {
    const parts = rows[i]!.trim()
      .split(/\s+/)
      .filter((s) => s.length > 0);
    if (parts.length === 0) continue;
    lines.push(parts);
  }
  if (lines.length !== count) {
    throw new CorruptDataError('CHECKPOINT_COUNT_MISMATCH', `Expected [${count}] entries in checkpoint file, but found only [${lines.length}]`, {
      file,
      position: lineStart(Math.min(rows.length, 2 + lines.length)),
    });
  }
  return { version, lines };
}

export interface LeaderEpochEntry {
  epoch: number;
  startOffset: number;
}

export function parseLeaderEpochCheckpoint(text: string, file?: string): LeaderEpochEntry[] {
  const cp = parseCheckpoint(text, file);
  return cp.lines.map((parts, i) => {
    const epoch = Number(parts[0]);
    const startOffset = Number(parts[1]);
    if (parts.length !== 2 || !Number.isInteger(epoch) || !Number.isInteger(startOffset)) {
      throw new CorruptDataError('CHECKPOINT_MALFORMED', `Malformed leader epoch entry '${parts.join(' ')}' (line ${i + 3})`, { file });
    }
    return { epoch, startOffset };
  });
}

export function encodeLeaderEpochCheckpoint(entries: LeaderEpochEntry[]): string {
  return `0\n${entries.length}\n${entries.map((e) => `${e.epoch} ${e.startOffset}\n`).join('')}`;
}

/**
 * LeaderEpochFileCache.assign(epoch, startOffset) on a cache ordered by epoch: nothing when the
 * latest entry has the same epoch and starts at or before startOffset; otherwise drop, from the
 * last entry back, those whose epoch is >= epoch or which start at or after startOffset, and append
 * the new entry. Loading a checkpoint file assigns its entries in file order the same way.
 * Negative epochs or offsets are refused (Kafka throws IllegalArgumentException).
 */
export function assignEpoch(entries: LeaderEpochEntry[], epoch: number, startOffset: number): LeaderEpochEntry[] {
  if (epoch < 0 || startOffset < 0) throw new RangeError(`invalid leader epoch entry (epoch ${epoch}, start offset ${startOffset})`);
  const latest = entries[entries.length - 1];
  if (latest && latest.epoch === epoch && startOffset >= latest.startOffset) return entries;
  let n = entries.length;
  while (n > 0 && (entries[n - 1]!.epoch >= epoch || entries[n - 1]!.startOffset >= startOffset)) n--;
  return [...entries.slice(0, n), { epoch, startOffset }];
}

/**
 * LeaderEpochFileCache.truncateFromEnd: drop the entries, from the last one back, that start at or
 * after `endOffset` (the log end: no record at an offset >= endOffset exists, so no epoch starts there).
 */
export function truncateEpochsFromEnd(entries: LeaderEpochEntry[], endOffset: number): LeaderEpochEntry[] {
  if (endOffset < 0) return entries;
  let n = entries.length;
  while (n > 0 && entries[n - 1]!.startOffset >= endOffset) n--;
  return entries.slice(0, n);
}

/**
 * LeaderEpochFileCache.truncateFromStart: drop the entries, from the first one on, that start at or
 * before `startOffset`; the last of them comes back starting at `startOffset` (so an entry at exactly
 * startOffset stays).
 */
export function truncateEpochsFromStart(entries: LeaderEpochEntry[], startOffset: number): LeaderEpochEntry[] {
  let n = 0;
  while (n < entries.length && entries[n]!.startOffset <= startOffset) n++;
  if (n === 0) return entries;
  return [{ epoch: entries[n - 1]!.epoch, startOffset }, ...entries.slice(n)];
}

export interface LogDirCheckpointEntry {
  topic: string;
  partition: number;
  offset: number;
}

export function parseLogDirCheckpoint(text: string, file?: string): LogDirCheckpointEntry[] {
  const cp = parseCheckpoint(text, file);
  return cp.lines.map((parts, i) => {
    const partition = Number(parts[1]);
    const offset = Number(parts[2]);
    if (parts.length !== 3 || !Number.isInteger(partition) || !Number.isInteger(offset)) {
      throw new CorruptDataError('CHECKPOINT_MALFORMED', `Malformed checkpoint entry '${parts.join(' ')}' (line ${i + 3})`, { file });
    }
    return { topic: parts[0]!, partition, offset };
  });
}

export interface PartitionMetadata {
  version: number;
  topicId: string;
}

export function parsePartitionMetadata(text: string, file?: string): PartitionMetadata {
  const fields = new Map<string, string>();
  for (const line of text.split('\n')) {
    if (line.trim() === '') continue;
    const m = /^([^:]+):\s+(.*)$/.exec(line);
    if (!m) throw new CorruptDataError('PARTITION_METADATA_MALFORMED', `Malformed line '${line}'`, { file });
    fields.set(m[1]!.trim(), m[2]!.trim());
  }
  const version = Number(fields.get('version'));
  const topicId = fields.get('topic_id');
  if (!Number.isInteger(version) || version < 0) throw new CorruptDataError('PARTITION_METADATA_MALFORMED', `Invalid version '${fields.get('version')}'`, { file });
  if (!topicId || !/^[A-Za-z0-9_-]{22}$/.test(topicId)) throw new CorruptDataError('PARTITION_METADATA_MALFORMED', `Invalid topic_id '${topicId ?? ''}'`, { file });
  if (/^A{21}[A-Za-z0-9_-]$/.test(topicId) && Buffer.from(topicId, 'base64url').every((b) => b === 0)) {
    throw new CorruptDataError('PARTITION_METADATA_MALFORMED', 'topic_id is the all-zero UUID', { file });
  }
  return { version, topicId };
}

export function encodePartitionMetadata(topicId: string): string {
  return `version: 0\ntopic_id: ${topicId}`;
}
