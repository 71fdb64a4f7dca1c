import { grepPartition, newStats, type GrepCriteria, type GrepStats } from '../ops/grep.js';
import { KsegError } from '../format/errors.js';
import type { Decoders } from './decoders.js';
import { humanRecordLine } from './human.js';
import { recordNdjson } from './render.js';

/**
 * One partition's grep output as lines, shared by the single-partition path (main thread) and the
 * log-dir workers (grep-worker.ts): matches go to `out`, errors and notes to `err`.
 */
export type GrepMode = 'text' | 'ndjson' | 'count';

export interface GrepSink {
  out(line: string): void;
  err(line: string): void;
  /** Called between records: the sink may hand its lines on and wait for room. */
  maybeFlush(): Promise<void>;
}

export interface PartitionOutcome {
  stats: GrepStats;
  errors: number;
  /** The first error that stopped reading a .log, for JSON summaries. */
  firstError?: { code: string; message: string; file?: string; position?: number };
}

/**
 * `label` (the partition directory's name) is put before each text line and added as a
 * `"partition"` field to each NDJSON line when grepping a log dir; without it the NDJSON lines
 * are exactly dump's.
 */
export async function grepToSink(dir: string, criteria: GrepCriteria, d: Decoders, mode: GrepMode, label: string | undefined, sink: GrepSink): Promise<PartitionOutcome> {
  const stats = newStats();
  let errors = 0;
  let firstError: PartitionOutcome['firstError'];
  const gen = grepPartition(dir, criteria, stats);
  const labelField = label === undefined ? '' : `,"partition":${JSON.stringify(label)}`;
  for (;;) {
    const n = gen.next();
    if (n.done) break;
    const ev = n.value;
    if (ev.type === 'match') {
      if (mode === 'ndjson') {
        const line = recordNdjson(ev.record, ev.batch, d);
        sink.out(labelField ? line.slice(0, -1) + labelField + '}' : line);
      } else if (mode === 'text') {
        sink.out((label === undefined ? '' : label + ': ') + humanRecordLine(ev.record, d).trimStart());
      }
      await sink.maybeFlush();
    } else if (ev.type === 'note') {
      sink.err(`kseg: note: ${ev.message}`);
    } else {
      errors++;
      const e: KsegError = ev.error;
      firstError ??= { code: e.code, message: e.message, file: e.file, position: e.position };
      const where = e.file !== undefined ? ` (${label !== undefined ? label + '/' : ''}${e.file}${e.position !== undefined ? ` at byte ${e.position}` : ''})` : '';
      sink.err(`kseg: ${e.message}${where}`);
    }
  }
  if (stats.crcMismatches > 0)
    sink.err(`kseg: warning: ${label ?? dir}: ${stats.crcMismatches} batch${stats.crcMismatches === 1 ? '' : 'es'} with a CRC mismatch were searched anyway (run kseg verify)`);
  return { stats, errors, firstError };
}
