import { Worker } from 'node:worker_threads';

/**
 * A helper thread for `generate`'s .log writes: for each full write buffer (shared memory) it fills
 * in the CRC-32C of the v2 batches the main thread left open, then writes the buffer at its file
 * position. The main thread meanwhile encodes the next buffer, so CRC and kernel copy use the
 * second core. The worker's code is evaluated from a string (it runs unchanged from the sources
 * under test and from dist/), and loads the same CRC modules as format/crc.ts.
 */
const WORKER_CODE = `
const { parentPort, workerData } = require('node:worker_threads');
const fs = require('node:fs');
const { createRequire } = require('node:module');
const req = createRequire(workerData.base);
let crc32c = null;
const noNative = process.env.KSEG_NO_NATIVE && process.env.KSEG_NO_NATIVE !== '0';
if (!noNative) {
  try {
    const s = req('sse4_crc32');
    if (s.hardware_support) crc32c = (b) => s.sse42_crc(b, 0) >>> 0;
  } catch {}
}
if (!crc32c) {
  const rs = req('@node-rs/crc32');
  crc32c = (b) => rs.crc32c(b, 0) >>> 0;
}
parentPort.on('message', (m) => {
  try {
    const u8 = new Uint8Array(m.sab, 0, m.len);
    const dv = new DataView(m.sab, 0, m.len);
    const c = m.crcs;
    for (let i = 0; i < c.length; i += 2) dv.setUint32(c[i] + 17, crc32c(u8.subarray(c[i] + 21, c[i + 1])));
    let done = 0;
    while (done < m.len) done += fs.writeSync(m.fd, u8, done, m.len - done, m.position + done);
    parentPort.postMessage({ id: m.id });
  } catch (e) {
    parentPort.postMessage({ id: m.id, error: { message: String(e && e.message), code: e && e.code } });
  }
});
`;

export interface IoJob {
  sab: SharedArrayBuffer;
  len: number;
  fd: number;
  position: number;
  /** start, end pairs (buffer positions) of batches whose CRC is still 0. */
  crcs: number[];
}

export class IoWorker {
  private readonly worker: Worker;
  private nextId = 0;
  private readonly waiting = new Map<number, { resolve: () => void; reject: (e: Error) => void }>();

  constructor() {
    this.worker = new Worker(WORKER_CODE, { eval: true, workerData: { base: import.meta.url } });
    this.worker.unref();
    this.worker.on('message', (m: { id: number; error?: { message: string; code?: string } }) => {
      const w = this.waiting.get(m.id);
      if (!w) return;
      this.waiting.delete(m.id);
      if (m.error) w.reject(Object.assign(new Error(m.error.message), { code: m.error.code }));
      else w.resolve();
    });
    this.worker.on('error', (e) => {
      for (const w of this.waiting.values()) w.reject(e);
      this.waiting.clear();
    });
  }

  run(job: IoJob): Promise<void> {
    return new Promise((resolve, reject) => {
      const id = this.nextId++;
      this.waiting.set(id, { resolve, reject });
      this.worker.postMessage({ id, ...job });
    });
  }

  async close(): Promise<void> {
    await this.worker.terminate();
  }
}
