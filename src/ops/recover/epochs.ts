import { CorruptDataError } from '../../format/errors.js';
import {
  assignEpoch,
  encodeLeaderEpochCheckpoint,
  parseLeaderEpochCheckpoint,
  truncateEpochsFromEnd,
  truncateEpochsFromStart,
  type LeaderEpochEntry,
} from '../../format/checkpoints.js';
import { readWholeFile } from '../../storage/source.js';
import { planWrite } from './state.js';
import type { RecoveryPhase } from './types.js';

/**
 * Phase 4: leader-epoch-checkpoint as LogLoader.load leaves it. The cache loads the file by
 * assigning its entries in order (LeaderEpochFileCache: non-monotonic entries are dropped); every
 * segment Kafka recovers assigns the epoch of each v2 batch above the cache's latest epoch at the
 * batch's base offset (LogSegment.recover); then truncateFromEnd(log end) drops the entries
 * starting at or after the log end and truncateFromStart(log-start-offset checkpoint) folds the
 * entries at or below it into one starting there. The file is written (atomically) when that
 * differs from what it holds, and created when it is missing and recovery assigned epochs.
 */
export const epochsPhase: RecoveryPhase = {
  name: 'epochs',
  plan(state) {
    const name = 'leader-epoch-checkpoint';
    const f = state.files.get(name);
    if (state.logEndOffset === null) return;
    let entries: LeaderEpochEntry[] = [];
    if (f) {
      try {
        entries = parseLeaderEpochCheckpoint(readWholeFile(f.real).toString('utf8'), name);
      } catch (e) {
        if (e instanceof CorruptDataError) return; // reported by verify; Kafka would refuse it too
        throw e;
      }
      // Kafka refuses negative epochs or offsets (IllegalArgumentException): leave such a file alone.
      if (entries.some((e) => e.epoch < 0 || e.startOffset < 0)) return;
    }
    let cache = entries.reduce<LeaderEpochEntry[]>((c, e) => assignEpoch(c, e.epoch, e.startOffset), []);
    const reasons: string[] = [];
    const normalized = entries.length - cache.length;
    if (!sameEpochs(cache, entries)) reasons.push(`drop ${normalized} non-monotonic entr${normalized === 1 ? 'y' : 'ies'} as the cache does when it loads the file`);
    const assigned: string[] = [];
    for (const r of state.epochReplay ?? []) {
      for (const e of r.starts) {
        const latest = cache[cache.length - 1];
        if (latest && e.epoch <= latest.epoch) continue;
        cache = assignEpoch(cache, e.epoch, e.offset);
        assigned.push(`epoch ${e.epoch} from offset ${e.offset} (${r.file} byte ${e.position})`);
      }
    }
    const leo = state.logEndOffset;
    const fromEnd = truncateEpochsFromEnd(cache, leo);
    const kept = truncateEpochsFromStart(fromEnd, state.logStartOffsetCheckpoint);
    if (f ? sameEpochs(kept, entries) : kept.length === 0) return;
    if (assigned.length)
      reasons.push(`assign ${assigned.slice(0, 5).join(', ')}${assigned.length > 5 ? ` and ${assigned.length - 5} more` : ''}, seen in recovered batches (LogSegment.recover)`);
    const dropped = cache.length - fromEnd.length;
    if (dropped > 0) reasons.push(`drop ${dropped} epoch entr${dropped === 1 ? 'y' : 'ies'} starting at or after the log end offset ${leo}`);
    if (!sameEpochs(kept, fromEnd)) reasons.push(`fold the entries at or below the log start offset ${state.logStartOffsetCheckpoint} into one starting there`);
    planWrite(state, name, Buffer.from(encodeLeaderEpochCheckpoint(kept)), `${reasons.join('; ')} (LeaderEpochFileCache)`);
  },
};

function sameEpochs(a: LeaderEpochEntry[], b: LeaderEpochEntry[]): boolean {
  return a.length === b.length && a.every((e, i) => e.epoch === b[i]!.epoch && e.startOffset === b[i]!.startOffset);
}
