import path from 'node:path';
import { logEntries } from './log-reader.js';
import { scanPartitionDir } from './segments.js';
import { openSource } from './source.js';

export interface PartitionBounds {
  /** Base offset of the first segment (the log start offset Kafka keeps in log-start-offset-checkpoint can be higher). */
  logStartOffset: number | null;
  /** Next offset after the last batch of the last segment; the last segment's base when it is empty. */
  logEndOffset: number | null;
  segments: { file: string; baseOffset: number; bytes: number }[];
  producerSnapshots: number;
}

/** Offsets of a partition directory, reading only the last segment's batch headers. */
export function partitionBounds(dir: string): PartitionBounds {
  const part = scanPartitionDir(dir);
  const segments = part.segments.map((s) => ({ file: s.log, baseOffset: s.baseOffset, bytes: s.logSize }));
  const last = part.segments[part.segments.length - 1];
  let logEndOffset: number | null = null;
  if (last) {
    logEndOffset = last.baseOffset;
    const src = openSource(path.join(dir, last.log), { pattern: 'sequential' });
    try {
      const it = logEntries(src, { file: last.log, checkCrc: false });
      for (let n = it.next(); !n.done; n = it.next()) if (n.value.kind === 'batch') logEndOffset = n.value.batch.lastOffset + 1;
    } finally {
      src.close();
    }
  }
  return { logStartOffset: last ? part.segments[0]!.baseOffset : null, logEndOffset, segments, producerSnapshots: part.snapshots.length };
}
