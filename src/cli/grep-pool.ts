import type { GrepCriteria } from '../ops/grep.js';
import { WorkerPool } from '../ops/worker-pool.js';
import { decodeStats, type Decoders } from './decoders.js';
import type { GrepMode, PartitionOutcome } from './grep-render.js';
import type { GrepJob, GrepWorkerMessage } from './grep-worker.js';
import type { Output } from './output.js';

/**
 * `kseg grep LOG_DIR`: partitions are searched by a pool of worker threads, and their output is
 * written in partition order (topic, then partition number), each partition's lines together.
 * Workers ahead of the one being written wait after their first chunk (an ack per chunk), so
 * sparse matches and -c run fully in parallel while memory stays bounded when much matches.
 * The pool itself is ops/worker-pool.ts, shared with `kseg scan`.
 */
export interface PoolResult {
  target: { dir: string; label?: string };
  outcome: PartitionOutcome | null;
  failure?: { code: string; message: string; file?: string; position?: number };
}

export async function* grepInParallel(
  targets: { dir: string; label?: string }[],
  criteria: GrepCriteria,
  decoders: Decoders,
  mode: GrepMode,
  jobs: number,
  out: Output,
): AsyncGenerator<PoolResult> {
  const n = Math.max(1, Math.min(jobs, targets.length));
  const inbox: GrepWorkerMessage[][] = targets.map(() => []);
  const pool = new WorkerPool<GrepJob, GrepWorkerMessage>(
    'grep',
    new URL('./grep-worker.js', import.meta.url),
    n,
    targets.length,
    (id) => {
      const t = targets[id]!;
      return { type: 'job', id, dir: t.dir, label: t.label ?? t.dir, criteria, decoders, mode };
    },
    (m) => {
      inbox[m.id]!.push(m);
      return m.type === 'done';
    },
  );
  try {
    for (let id = 0; id < targets.length; id++) {
      for (;;) {
        pool.assertHealthy();
        const m = inbox[id]!.shift();
        if (!m) {
          await pool.waitForReply();
          continue;
        }
        if (m.type === 'chunk') {
          if (m.err) {
            await out.flush();
            process.stderr.write(m.err);
          }
          if (m.out) {
            out.line(m.out.slice(0, -1));
            await out.flushIfFull();
          }
          pool.postTo(id, { type: 'ack' });
          continue;
        }
        // (payloads a worker printed with replacement characters count in the main thread's warning)
        decodeStats.invalidUtf8 += m.invalidUtf8;
        yield { target: targets[id]!, outcome: m.outcome, failure: m.failure };
        if (m.failure) {
          await out.flush();
          process.stderr.write(
            `kseg: ${targets[id]!.label ?? targets[id]!.dir}: ${m.failure.message}${m.failure.file ? ` (${m.failure.file}${m.failure.position !== undefined ? ` at byte ${m.failure.position}` : ''})` : ''}\n`,
          );
        }
        break;
      }
    }
  } finally {
    await pool.close();
  }
}
