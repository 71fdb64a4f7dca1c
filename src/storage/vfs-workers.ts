import './tar-vfs.js'; // registers the tar provider's factory
import './s3/provider.js'; // registers the s3 provider's factory (the AWS SDK loads in its own worker, on the first request)
import { registerFromSpecs, type VfsWorkerSpec } from './vfs.js';

/**
 * Virtual file systems (storage/vfs.ts) across worker threads: the pools of `kseg grep LOG_DIR`,
 * `kseg scan` and `verify --jobs` hand their workers `workerSpecs()` of this thread's providers (a
 * tar archive read in place, the s3:// store with its endpoint and region) as `workerData.vfs`, and
 * each worker re-makes them before its first job, so it opens `logs.tar#/orders-3` or
 * `s3://b/p/orders-3` as the main thread does. This module loads every provider's factory: worker
 * modules import it, the main thread's bundles do not (they load a provider only for an argument
 * that names one).
 */

/** In a worker: register the providers of `vfsWorkerData()` (missing or empty: nothing to do). */
export function registerWorkerProviders(specs: readonly VfsWorkerSpec[] | undefined): void {
  if (specs && specs.length > 0) registerFromSpecs(specs);
}
