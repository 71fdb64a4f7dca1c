import { CorruptDataError } from '../../format/errors.js';
import { parseProducerSnapshot } from '../../format/snapshot.js';
import { readWholeFile } from '../../storage/source.js';
import { listing, planDelete } from './state.js';
import type { RecoveryPhase } from './types.js';

/**
 * Phase 5: producer snapshots as Kafka's load leaves them: those of segments the recovery deleted
 * (UnifiedLog.deleteProducerSnapshots); stray ones, i.e. not at a segment's base offset, except the
 * newest if it is not below the last segment's base (ProducerStateManager.removeStraySnapshots);
 * those beyond the log end or at or below the log start offset (truncateAndReload); corrupt ones
 * (loadFromSnapshot deletes a corrupt one and rebuilds producer state from the log).
 */
export const snapshotsPhase: RecoveryPhase = {
  name: 'snapshots',
  plan(state) {
    if (!state.scan) return;
    const part = listing(state);
    const bases = new Set(part.segments.map((s) => s.baseOffset));
    const maxBase = part.segments.length ? part.segments[part.segments.length - 1]!.baseOffset : null;
    let snaps = part.snapshots;
    for (const s of snaps.filter((x) => state.deletedBases.has(x.offset)))
      planDelete(state, s.file, `snapshot of segment ${s.file.replace(/\.snapshot$/, '.log')}, deleted by the recovery`);
    snaps = snaps.filter((x) => state.files.has(x.file));
    const strays = snaps.filter((x) => !bases.has(x.offset));
    for (const [i, s] of strays.entries()) {
      const newest = i === strays.length - 1;
      if (!newest) planDelete(state, s.file, 'stray snapshot (no segment starts at its offset and a newer stray exists): ProducerStateManager.removeStraySnapshots deletes it');
      else if (maxBase !== null && s.offset < maxBase)
        planDelete(state, s.file, `stray snapshot below the last segment's base offset ${maxBase}: ProducerStateManager.removeStraySnapshots deletes it`);
    }
    snaps = snaps.filter((x) => state.files.has(x.file));
    const lso = state.mode.logStartOffset;
    // What truncateAndReload (out of range) and loadFromSnapshot (corrupt) delete.
    const planned: { file: string; offset: number; code: string; reason: string }[] = [];
    for (const s of snaps) {
      if (state.logEndOffset !== null && s.offset > state.logEndOffset) {
        planned.push({
          file: s.file,
          offset: s.offset,
          code: 'SNAPSHOT_BEYOND_LOG_END',
          reason: `snapshot beyond the log end offset ${state.logEndOffset}: ProducerStateManager.truncateAndReload deletes it`,
        });
        continue;
      }
      if (lso !== null && s.offset <= lso) {
        planned.push({
          file: s.file,
          offset: s.offset,
          code: 'SNAPSHOT_AT_OR_BELOW_LOG_START',
          reason: `snapshot at or below the log start offset ${lso}: ProducerStateManager.truncateAndReload deletes it`,
        });
        continue;
      }
      try {
        const snap = parseProducerSnapshot(readWholeFile(state.files.get(s.file)!.real), s.file);
        if (!snap.crcValid)
          planned.push({
            file: s.file,
            offset: s.offset,
            code: 'SNAPSHOT_CRC_MISMATCH',
            reason: 'corrupt snapshot (CRC mismatch): Kafka deletes it when it reads it and rebuilds producer state from the log',
          });
      } catch (e) {
        if (!(e instanceof CorruptDataError)) throw e;
        planned.push({
          file: s.file,
          offset: s.offset,
          code: e.code,
          reason: `corrupt snapshot (${e.code}): Kafka deletes it when it reads it and rebuilds producer state from the log`,
        });
      }
    }
    // After a clean shutdown, a partition without any snapshot file is taken to have no producer
    // state (UnifiedLog.rebuildProducerState writes empty snapshots instead of replaying the log).
    // Kafka decides that before truncateAndReload deletes anything: deleting every remaining
    // snapshot here would turn Kafka's replay into an empty producer state, so keep them.
    if (state.mode.kind === 'clean-shutdown' && snaps.length > 0 && planned.length === snaps.length) {
      for (const p of planned) {
        state.notRecovered.push({
          file: p.file,
          position: null,
          code: p.code,
          offset: p.offset,
          records: 0,
          reason: `${p.reason.replace(/: .*$/, '')}; kept: it is the last snapshot file after a clean shutdown, and without one Kafka (UnifiedLog.rebuildProducerState) would take the producer state to be empty instead of rebuilding it from the log`,
        });
      }
      return;
    }
    for (const p of planned) planDelete(state, p.file, p.reason);
  },
};
