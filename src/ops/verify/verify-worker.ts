import { parentPort, workerData, type MessagePort } from 'node:worker_threads';
import { runWorker, type SegmentJob } from './chunks.js';
import { applyEnvironment } from '../../storage/environment.js';
import { registerWorkerProviders } from '../../storage/vfs-workers.js';
import type { VfsWorkerSpec } from '../../storage/vfs.js';

applyEnvironment();
// The main thread's virtual file systems (a tar archive read in place, s3://), re-made here from their specs.
registerWorkerProviders((workerData as { vfs?: VfsWorkerSpec[] }).vfs);

/** A `verify --jobs` worker: checks chunks of the segments it is sent (see pool.ts). */
const port = (workerData as { port: MessagePort }).port;
parentPort!.on('message', (job: SegmentJob) => runWorker(port, job));
