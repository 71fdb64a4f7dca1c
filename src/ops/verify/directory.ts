import { classifyFile, parseSegmentName, type PartitionDir } from '../../storage/segments.js';
import { TEMP_SUFFIX } from '../../storage/atomic.js';
import { INTENT_FILE } from '../intent.js';
import type { Reporter } from './reporter.js';

/** Files Kafka itself keeps in a partition directory besides segments and snapshots. */
const KNOWN_PARTITION_FILES = new Set(['leader-epoch-checkpoint', 'partition.metadata', 'quorum-state']);

/** What a partition directory holds besides its segments: leftovers, orphans, irregular names, strangers. */
export function directoryIssues(part: PartitionDir, rep: Reporter): void {
  for (const l of part.leftovers) {
    const code = l.kind === 'deleted' ? 'LEFTOVER_DELETED' : l.kind === 'cleaned' ? 'LEFTOVER_CLEANED' : 'LEFTOVER_SWAP';
    const what =
      l.kind === 'deleted'
        ? 'a file awaiting asynchronous deletion; Kafka deletes it at startup'
        : l.kind === 'cleaned'
          ? 'output of an unfinished clean or split; recovery discards it'
          : 'a cleaned or split segment not yet swapped in; recovery completes the swap';
    rep.add(code, l.file, null, l.baseOffset, `${l.file}: ${what}`);
  }
  for (const o of part.orphans)
    rep.add('ORPHAN_INDEX', o, null, parseSegmentName(o)?.baseOffset ?? null, `${o} has no .log beside it (Kafka deletes orphaned index files at startup)`);
  for (const n of part.irregular) {
    const p = parseSegmentName(n)!;
    rep.add(
      'SEGMENT_NAME_IRREGULAR',
      n,
      null,
      p.baseOffset,
      `file name offset '${n.slice(0, n.indexOf('.'))}' is not 20 digits (expected ${String(p.baseOffset).padStart(20, '0')})`,
    );
  }
  for (const o of part.other) {
    if (o.endsWith(TEMP_SUFFIX)) rep.add('LEFTOVER_TEMP', o, null, null, `${o} is a temporary file of an interrupted kseg write (recover deletes it)`);
    else if (o === INTENT_FILE)
      rep.add(
        'INTENT_PENDING',
        o,
        null,
        null,
        `${o}: a kseg truncate or compact was interrupted; the partition is between its old and new state until kseg recover completes the change`,
      );
    else if (!KNOWN_PARTITION_FILES.has(o) && classifyFile(o) !== 'kraft-checkpoint')
      rep.add('UNKNOWN_FILE', o, null, null, `${o} is not a file Kafka keeps in a partition directory`);
  }
}
