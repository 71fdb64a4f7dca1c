import { parentPort, workerData } from 'node:worker_threads';
import { KsegError } from '../format/errors.js';
import { SCAN_PROGRESS_MS, type WorkerJob, type WorkerReply } from './scan.js';
import { applyEnvironment } from '../storage/environment.js';
import { registerWorkerProviders } from '../storage/vfs-workers.js';
import type { VfsWorkerSpec } from '../storage/vfs.js';

applyEnvironment();
// partitions read in place from a tar archive or an s3:// store: the main thread's providers, re-made here
registerWorkerProviders((workerData as { vfs?: VfsWorkerSpec[] } | null)?.vfs);

/** One scan worker: verifies (or summarises) the partition directories it is sent, one at a time. */
parentPort!.on('message', async (job: WorkerJob) => {
  const t0 = performance.now();
  let reply: WorkerReply;
  try {
    if (job.mode === 'verify') {
      const { verify } = await import('./verify/index.js');
      const { logBounds } = await import('./lookup.js');
      // Bytes read so far, to the scan's progress bar: verify reports every PROGRESS_STEP bytes,
      // passed on at most every SCAN_PROGRESS_MS.
      let last = 0;
      const onProgress = job.progress
        ? (bytesRead: number) => {
            const t = performance.now();
            if (t - last < SCAN_PROGRESS_MS) return;
            last = t;
            parentPort!.postMessage({ id: job.id, bytesRead } satisfies WorkerReply);
          }
        : undefined;
      const r = verify([job.dir], { strict: job.strict, maxIssues: job.maxIssues, onProgress });
      const { logStartOffset, logEndOffset } = logBounds(job.dir);
      reply = {
        id: job.id,
        result: {
          ok: r.ok,
          errors: r.errors,
          warnings: r.warnings,
          summary: r.summary,
          logStartOffset,
          logEndOffset,
          recoverable: r.recoverable,
          issues: r.issues,
          elapsedMs: performance.now() - t0,
        },
      };
    } else {
      const { info } = await import('./info.js');
      const p = info([job.dir])[0]!;
      const summary = { segments: p.segments.length, batches: p.batches, records: p.records, bytes: p.bytes };
      reply = {
        id: job.id,
        result: {
          ok: true,
          errors: 0,
          warnings: 0,
          summary,
          logStartOffset: p.logStartOffset,
          logEndOffset: p.logEndOffset,
          recoverable: null,
          issues: [],
          elapsedMs: performance.now() - t0,
        },
      };
    }
  } catch (e) {
    const k = e instanceof KsegError ? e : null;
    reply = {
      id: job.id,
      result: {
        ok: false,
        errors: 1,
        warnings: 0,
        summary: { segments: 0, batches: 0, records: 0, bytes: 0 },
        logStartOffset: null,
        logEndOffset: null,
        recoverable: null,
        issues: [],
        failure: k ? { code: k.code, message: k.message, file: k.file, position: k.position } : { code: 'INTERNAL', message: (e as Error)?.stack ?? String(e) },
        elapsedMs: performance.now() - t0,
      },
    };
  }
  parentPort!.postMessage(reply);
});
