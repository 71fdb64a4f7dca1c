import { CorruptDataError } from '../../format/errors.js';
import { parseLeaderEpochCheckpoint, parseLogDirCheckpoint, parsePartitionMetadata } from '../../format/checkpoints.js';
import { parseProducerSnapshot } from '../../format/snapshot.js';
import { readWholeFile } from '../../storage/source.js';
import { parseSegmentName } from '../../storage/segments.js';
import type { PartitionView } from '../partition-scan/types.js';
import { hex, type Reporter } from './reporter.js';

/**
 * The partition's files beside its segments — producer snapshots (ProducerStateManager),
 * leader-epoch-checkpoint (LeaderEpochCheckpointFile), partition.metadata (PartitionMetadataFile) —
 * and a log dir's offset checkpoints (OffsetCheckpointFile).
 */
export function sideFileIssues(view: PartitionView, rep: Reporter, logEndOffset: number | null): void {
  const part = view.partition;
  for (const s of part.snapshots) {
    checkSnapshotFile(view.pathOf(s.file), s.file, rep);
    if (logEndOffset !== null && s.offset > logEndOffset) {
      rep.add(
        'SNAPSHOT_BEYOND_LOG_END',
        s.file,
        null,
        s.offset,
        `snapshot offset ${s.offset} is above the log end offset (expected <= ${logEndOffset}, found ${s.offset}); Kafka deletes it at startup`,
      );
    }
  }
  if (part.leaderEpochCheckpoint) checkLeaderEpochFile(view.pathOf(part.leaderEpochCheckpoint), part.leaderEpochCheckpoint, rep, logEndOffset);
  if (part.partitionMetadata) checkPartitionMetadataFile(view.pathOf(part.partitionMetadata), part.partitionMetadata, rep);
}

function reportParseError(e: unknown, rep: Reporter, file: string, offset: number | null = null): void {
  if (!(e instanceof CorruptDataError)) throw e;
  rep.addError(e, 'CHECKPOINT_MALFORMED', file, e.position ?? null, offset);
}

export function checkSnapshotFile(p: string, name: string, rep: Reporter): void {
  const buf = readWholeFile(p);
  const offset = parseSegmentName(name)?.baseOffset ?? null;
  try {
    const s = parseProducerSnapshot(buf, name);
    if (!s.crcValid)
      rep.add('SNAPSHOT_CRC_MISMATCH', name, 2, offset, `CRC-32C mismatch: expected ${hex(s.computedCrc)} (computed over bytes 6..${buf.length}), found ${hex(s.crc)} (stored)`);
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

export function checkLeaderEpochFile(p: string, name: string, rep: Reporter, logEndOffset: number | null): void {
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
        rep.add(
          'LEADER_EPOCH_NOT_INCREASING',
          name,
          at,
          e.startOffset,
          `entry (epoch ${e.epoch}, start ${e.startOffset}) follows (epoch ${prev.epoch}, start ${prev.startOffset}) (expected both larger)`,
        );
      }
    }
    if (logEndOffset !== null && e.startOffset > logEndOffset) {
      rep.add(
        'LEADER_EPOCH_BEYOND_LOG_END',
        name,
        at,
        e.startOffset,
        `epoch ${e.epoch} starts at ${e.startOffset}, above the log end offset (expected <= ${logEndOffset}, found ${e.startOffset})`,
      );
    }
  }
}

export function checkPartitionMetadataFile(p: string, name: string, rep: Reporter): void {
  try {
    parsePartitionMetadata(readWholeFile(p).toString('utf8'), name);
  } catch (e) {
    reportParseError(e, rep, name);
  }
}

export function checkLogDirCheckpointFile(p: string, name: string, rep: Reporter): void {
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
