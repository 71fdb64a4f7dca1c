import { parentPort, workerData, type MessagePort } from 'node:worker_threads';
import { runWorker, type SegmentJob } from './chunks.js';
import { applyEnvironment } from '../../storage/environment.js';

applyEnvironment();

/** A `verify --jobs` worker: checks chunks of the segments it is sent (see pool.ts). */
const port = (workerData as { port: MessagePort }).port;
parentPort!.on('message', (job: SegmentJob) => runWorker(port, job));
