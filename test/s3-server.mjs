// A local S3-compatible server (s3rver) for test/s3.test.ts and bench/run.mjs's `remote` item. It
// runs in a worker thread of the calling process: kseg's S3 reads block their thread in
// Atomics.wait (src/storage/s3/bridge.ts), so a server on that same thread could never answer.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Worker } from 'node:worker_threads';

const SERVER = `
const { parentPort, workerData } = require('node:worker_threads');
const S3rver = require('s3rver');
const srv = new S3rver({ port: 0, address: '127.0.0.1', silent: true, directory: workerData.dir, configureBuckets: workerData.buckets.map((name) => ({ name })) });
srv.run().then(({ port }) => parentPort.postMessage({ port }), (e) => parentPort.postMessage({ error: String(e) }));
parentPort.on('message', (m) => { if (m === 'close') srv.close().then(() => process.exit(0)); });
`;

/** Whether s3rver is installed (the bench skips its row without it). */
export async function haveS3rver() {
  try {
    await import('s3rver');
    return true;
  } catch {
    return false;
  }
}

/**
 * Start s3rver on 127.0.0.1 (a free port) with `buckets` created. Returns its endpoint, the
 * environment a kseg child needs (dummy credentials: s3rver's S3RVER/S3RVER), an `upload(dir,
 * bucket, prefix)` that puts every file of a local directory tree, `put(bucket, key, body)`, and `close()`.
 */
export async function startS3Server(buckets) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kseg-s3rver-'));
  const worker = new Worker(SERVER, { eval: true, workerData: { dir, buckets } });
  const { port, error } = await new Promise((resolve, reject) => {
    worker.once('message', resolve);
    worker.once('error', reject);
  });
  if (error) throw new Error(error);
  const endpoint = `http://127.0.0.1:${port}`;
  const env = { AWS_ACCESS_KEY_ID: 'S3RVER', AWS_SECRET_ACCESS_KEY: 'S3RVER', AWS_REGION: 'us-east-1', AWS_EC2_METADATA_DISABLED: 'true' };
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';
  const { S3Client, PutObjectCommand } = await import('@aws-sdk/client-s3');
  const client = new S3Client({ endpoint, forcePathStyle: true, region: 'us-east-1', credentials: { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' } });
  const put = (bucket, key, body) => client.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: body }));
  async function upload(local, bucket, prefix) {
    for (const ent of fs.readdirSync(local, { withFileTypes: true })) {
      const p = path.join(local, ent.name);
      if (ent.isDirectory()) await upload(p, bucket, `${prefix}${ent.name}/`);
      else if (ent.isFile()) await put(bucket, `${prefix}${ent.name}`, fs.readFileSync(p));
    }
  }
  async function close() {
    client.destroy();
    worker.postMessage('close');
    await new Promise((resolve) => worker.once('exit', resolve));
    fs.rmSync(dir, { recursive: true, force: true });
  }
  return { endpoint, port, env, put, upload, close };
}
