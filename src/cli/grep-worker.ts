import { parentPort, workerData } from 'node:worker_threads';
import { KsegError } from '../format/errors.js';
import type { GrepCriteria } from '../ops/grep.js';
import { decodeStats, type Decoders } from './decoders.js';
import { grepToSink, type GrepMode, type PartitionOutcome } from './grep-render.js';
import { applyEnvironment } from '../storage/environment.js';
import { registerWorkerProviders } from '../storage/vfs-workers.js';
import type { VfsWorkerSpec } from '../storage/vfs.js';

applyEnvironment();
// partitions read in place from a tar archive or an s3:// store: the main thread's providers, re-made here
registerWorkerProviders((workerData as { vfs?: VfsWorkerSpec[] } | null)?.vfs);

/**
 * One `kseg grep` log-dir worker: greps the partitions it is sent, one at a time, and hands its
 * output lines to the main thread in chunks, waiting for an 'ack' after each so that at most one
 * chunk per worker is ever in flight (memory stays flat however much matches).
 */
export interface GrepJob {
  type: 'job';
  id: number;
  dir: string;
  label: string;
  criteria: GrepCriteria;
  decoders: Decoders;
  mode: GrepMode;
}

export type GrepWorkerMessage =
  | { type: 'chunk'; id: number; out: string; err: string }
  | { type: 'done'; id: number; outcome: PartitionOutcome | null; failure?: { code: string; message: string; file?: string; position?: number }; invalidUtf8: number };

const CHUNK = 256 * 1024;
let ackWaiter: (() => void) | null = null;

/** Buffers cross threads as Uint8Arrays: make them Buffers again. */
function asBuffer(u: Uint8Array | undefined): Buffer | undefined {
  return u === undefined ? undefined : Buffer.from(u.buffer, u.byteOffset, u.byteLength);
}

async function run(job: GrepJob): Promise<void> {
  const c = job.criteria;
  const criteria: GrepCriteria = {
    ...c,
    key: asBuffer(c.key),
    valueContains: asBuffer(c.valueContains),
    headers: c.headers?.map((h) => ({ name: asBuffer(h.name)!, value: asBuffer(h.value) })),
  };
  let out: string[] = [];
  let err: string[] = [];
  let size = 0;
  const send = async (): Promise<void> => {
    if (out.length === 0 && err.length === 0) return;
    const msg: GrepWorkerMessage = { type: 'chunk', id: job.id, out: out.join(''), err: err.join('') };
    out = [];
    err = [];
    size = 0;
    const acked = new Promise<void>((resolve) => (ackWaiter = resolve));
    parentPort!.postMessage(msg);
    await acked;
  };
  let reply: GrepWorkerMessage;
  const utf8Before = decodeStats.invalidUtf8;
  try {
    const outcome = await grepToSink(job.dir, criteria, job.decoders, job.mode, job.label, {
      out: (l) => {
        out.push(l, '\n');
        size += l.length + 1;
      },
      err: (l) => {
        err.push(l, '\n');
        size += l.length + 1;
      },
      maybeFlush: () => (size >= CHUNK ? send() : Promise.resolve()),
    });
    await send();
    reply = { type: 'done', id: job.id, outcome, invalidUtf8: decodeStats.invalidUtf8 - utf8Before };
  } catch (e) {
    await send();
    const k = e instanceof KsegError ? e : null;
    reply = {
      type: 'done',
      id: job.id,
      outcome: null,
      invalidUtf8: decodeStats.invalidUtf8 - utf8Before,
      failure: k ? { code: k.code, message: k.message, file: k.file, position: k.position } : { code: 'INTERNAL', message: (e as Error)?.stack ?? String(e) },
    };
  }
  parentPort!.postMessage(reply);
}

parentPort!.on('message', (m: GrepJob | { type: 'ack' }) => {
  if (m.type === 'ack') {
    const w = ackWaiter;
    ackWaiter = null;
    w?.();
    return;
  }
  void run(m);
});
