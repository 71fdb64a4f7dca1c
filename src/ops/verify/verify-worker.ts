import { parentPort, workerData, type MessagePort } from 'node:worker_threads';
import { runWorker, type SegmentJob } from './chunks.js';
import { applyEnvironment } from '../../storage/environment.js';
import '../../storage/tar-vfs.js'; // registers the tar provider's factory (storage/vfs.ts)
import { registerFromSpecs, type VfsWorkerSpec } from '../../storage/vfs.js';

applyEnvironment();
// The main thread's virtual file systems (a tar archive read in place), re-made here from their specs.
registerFromSpecs((workerData as { vfs?: VfsWorkerSpec[] }).vfs ?? []);

/** A `verify --jobs` worker: checks chunks of the segments it is sent (see pool.ts). */
const port = (workerData as { port: MessagePort }).port;
parentPort!.on('message', (job: SegmentJob) => runWorker(port, job));
