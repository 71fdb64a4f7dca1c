import path from 'node:path';
import { batchRecords, checkBatchCrc } from '../format/batch.js';
import { NotFoundError } from '../format/errors.js';
import { logEntries } from '../storage/log-reader.js';
import { parseKraftSnapshotName, readDirNames, statPath } from '../storage/segments.js';
import { openSource } from '../storage/source.js';
import type { LookupResult } from './lookup.js';

/**
 * lookup on a KRaft metadata log (KafkaMetadataLog): the record at a snapshot's internal offset, and
 * which snapshot holds the state for an offset below the log start.
 */

/** End offset and epoch from a KRaft snapshot file name (bootstrap.checkpoint: 0, 0), or null. */
export function kraftSnapshotName(name: string): { endOffset: number; epoch: number } | null {
  const k = parseKraftSnapshotName(name);
  if (!k) return null;
  return k.bootstrap ? { endOffset: 0, epoch: 0 } : { endOffset: k.endOffset, epoch: k.epoch };
}

export function isFile(p: string): boolean {
  try {
    return statPath(p).isFile();
  } catch {
    return false;
  }
}

/**
 * For an offset below the log start of a KRaft metadata log: which snapshot holds the state that
 * includes it. KafkaMetadataLog.maybeClean (retention by bytes or time, while two or more snapshots
 * remain) deletes the oldest snapshot, advances the log start offset to the next snapshot's end
 * offset and deletes the segments wholly below it; so the log start is the oldest kept snapshot's
 * end offset (never past the latest snapshot), and a snapshot `<E>-<epoch>` holds
 * the state after every record below E. The earliest snapshot with E > offset is the first state
 * kept that includes the record; with E = offset + 1 it is exactly the state as of the offset.
 */
export function snapshotHint(dir: string, target: number, logStart: number | null): string | null {
  let names: string[];
  try {
    names = readDirNames(dir);
  } catch {
    return null;
  }
  const snaps = names
    .map((f) => ({ file: f, s: f === 'bootstrap.checkpoint' ? null : kraftSnapshotName(f) }))
    .filter((x): x is { file: string; s: { endOffset: number; epoch: number } } => x.s !== null)
    .sort((a, b) => a.s.endOffset - b.s.endOffset || a.s.epoch - b.s.epoch);
  if (snaps.length === 0) return null;
  const covering = snaps.find((x) => x.s.endOffset > target);
  const kept = `the record was deleted from the metadata log after a snapshot (KafkaMetadataLog cleaning advances the log start offset to a snapshot's end offset)`;
  if (!covering) {
    const last = snaps[snaps.length - 1]!;
    return `${logStart === null ? '' : kept + '; '}no snapshot reaches it (the latest, ${last.file}, ends at offset ${last.s.endOffset})`;
  }
  const exact = covering.s.endOffset === target + 1;
  const state = exact
    ? `the state as of it is in snapshot ${covering.file} (end offset ${covering.s.endOffset})`
    : `the earliest state kept that includes it is snapshot ${covering.file} (end offset ${covering.s.endOffset}: the state as of offset ${covering.s.endOffset - 1})`;
  return `${logStart === null ? '' : kept + '; '}${state}: kseg metadata ${dir} --at-offset ${covering.s.endOffset - 1}`;
}

/** The record at a KRaft snapshot's internal offset (snapshots number their records from 0). */
export function lookupInSnapshot(file: string, snap: { endOffset: number; epoch: number }, target: number): LookupResult {
  const name = path.basename(file);
  const what =
    name === 'bootstrap.checkpoint' ? 'the bootstrap snapshot (initial metadata)' : `a KRaft snapshot (state as of log offset ${snap.endOffset - 1}, epoch ${snap.epoch})`;
  const steps: string[] = [`${name} is ${what}; its records carry internal offsets from 0 and it has no index: scanning from position 0`];
  const src = openSource(file, { pattern: 'sequential' });
  try {
    const gen = logEntries(src, { start: 0, file: name, checkCrc: false });
    let batches = 0;
    let end = 0;
    for (;;) {
      const n = gen.next();
      if (n.done) break;
      const item = n.value;
      if (item.kind === 'bad-entry') throw item.error;
      batches++;
      const b = item.batch;
      end = b.lastOffset + 1;
      if (b.lastOffset < target) continue;
      for (const r of batchRecords(b)) {
        if (r.offset >= target) {
          checkBatchCrc(b);
          steps.push(`scanned ${batches} batch(es), ${b.position + b.size} bytes: batch at position ${b.position} holds internal offsets ${b.baseOffset}..${b.lastOffset}`);
          if (r.offset !== target) break;
          return {
            offset: target,
            segment: name,
            segmentBaseOffset: 0,
            indexEntry: null,
            batch: b,
            record: r,
            bytesScanned: b.position + b.size,
            steps,
            snapshot: { file: name, ...snap },
          };
        }
      }
      break;
    }
    throw new NotFoundError(
      'OFFSET_OUT_OF_RANGE',
      `offset ${target} is not a record of KRaft snapshot ${name} (its internal offsets run 0..${end - 1}; a snapshot's offsets are not log offsets)`,
      { file },
    );
  } finally {
    src.close();
  }
}
