import { KsegError } from '../../format/errors.js';
import { decodeBatch, frameEntry, HEADER_SIZE_UP_TO_MAGIC } from '../../format/batch.js';
import { TEMP_SUFFIX } from '../../storage/atomic.js';
import { openSource } from '../../storage/source.js';
import { parseSegmentName } from '../../storage/segments.js';
import { listing, planDelete } from './state.js';
import type { RecoveryPhase } from './types.js';

/** Next offset of a (swap) segment: lastOffset + 1 of its last complete batch, or its base offset. */
function nextOffsetOf(realPath: string, baseOffset: number): number {
  const src = openSource(realPath, { pattern: 'sequential' });
  let next = baseOffset;
  try {
    let pos = 0;
    while (pos < src.size) {
      const frame = frameEntry(src.read(pos, Math.min(HEADER_SIZE_UP_TO_MAGIC, src.size - pos)), 0, pos, src.size);
      if (frame.kind !== 'entry') break;
      try {
        next = decodeBatch(src.read(pos, frame.size), 0, frame.size, pos).lastOffset + 1;
      } catch (e) {
        if (!(e instanceof KsegError)) throw e;
      }
      pos += frame.size;
    }
  } finally {
    src.close();
  }
  return next;
}

/** Phase 1 (LogLoader steps 1-2): .deleted, .cleaned and .swap leftovers of deletion, cleaning and splitting. */
export const leftoversPhase: RecoveryPhase = {
  name: 'leftovers',
  plan(state) {
    const part = listing(state);
    for (const l of part.leftovers.filter((x) => x.kind === 'deleted')) planDelete(state, l.file, 'scheduled for deletion (.deleted); Kafka deletes it at startup');
    const cleaned = part.leftovers.filter((x) => x.kind === 'cleaned');
    const minCleaned = cleaned.length ? Math.min(...cleaned.map((c) => c.baseOffset)) : Infinity;
    let swaps = part.leftovers.filter((x) => x.kind === 'swap');
    for (const s of swaps.filter((x) => x.baseOffset >= minCleaned)) planDelete(state, s.file, `incomplete swap: at or above the smallest .cleaned offset ${minCleaned}`);
    swaps = swaps.filter((x) => x.baseOffset < minCleaned);
    for (const c of cleaned) planDelete(state, c.file, 'output of an unfinished clean or split (.cleaned)');
    if (swaps.length === 0) return;
    const logSwaps = swaps.filter((x) => x.fileKind === 'log');
    if (logSwaps.length > 0) {
      const min = Math.min(...logSwaps.map((s) => s.baseOffset));
      const max = Math.max(...logSwaps.map((s) => nextOffsetOf(state.files.get(s.file)!.real, s.baseOffset)));
      // The files the swap replaces, highest offset first.
      const old = [...state.files.keys()]
        .map((name) => ({ name, p: parseSegmentName(name) }))
        .filter((x) => x.p && !x.p.leftover && x.p.baseOffset >= min && x.p.baseOffset < max)
        .sort((a, b) => b.p!.baseOffset - a.p!.baseOffset || (a.p!.kind === 'log' ? -1 : b.p!.kind === 'log' ? 1 : a.name.localeCompare(b.name)));
      for (const o of old) planDelete(state, o.name, `replaced by the swapped-in segment(s) covering offsets [${min}, ${max})`);
    }
    // The .log swaps first: once they are renamed, a crash leaves only index swaps, which the next
    // run renames without deleting anything (with the .log swap still pending, the next run would
    // delete already renamed indexes as files of the replaced range).
    const order = [...swaps].sort((a, b) => (a.fileKind === 'log' ? 0 : 1) - (b.fileKind === 'log' ? 0 : 1) || a.baseOffset - b.baseOffset);
    for (const s of order) {
      const to = s.file.slice(0, -'.swap'.length);
      const f = state.files.get(s.file)!;
      state.actions.push({ type: 'rename', from: s.file, to, reason: 'complete the swap of a cleaned or split segment' });
      state.files.delete(s.file);
      state.files.set(to, f);
    }
  },
};

/** Phase 2: temp files of interrupted kseg writes, index files without a .log. */
export const straysPhase: RecoveryPhase = {
  name: 'strays',
  plan(state) {
    for (const name of [...state.files.keys()].sort()) if (name.endsWith(TEMP_SUFFIX)) planDelete(state, name, 'temporary file of an interrupted write');
    for (const o of listing(state).orphans) planDelete(state, o, 'index file without a .log (Kafka deletes orphaned indexes)');
  },
};
