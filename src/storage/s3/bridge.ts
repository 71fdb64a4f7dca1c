import fs from 'node:fs';
import { fileURLToPath } from 'node:url';
import { MessageChannel, receiveMessageOnPort, Worker, type MessagePort } from 'node:worker_threads';
import { InternalError, IoError, NotFoundError, type KsegError } from '../../format/errors.js';
import type { ListPage, S3ClientConfig, S3ErrorInfo, S3Request, S3Response } from './protocol.js';

/**
 * Synchronous S3 calls for the synchronous read path. The AWS SDK is asynchronous, so it runs in a
 * worker thread (s3-worker.ts) and this thread blocks in `Atomics.wait` until the answer is posted
 * (protocol.ts). Every wait has a deadline: a server that accepts and never answers, a worker that
 * failed to start, or a lost message all end as an `S3_TIMEOUT` error, never a hang. The worker is
 * started on the first call and does not keep the process alive.
 */
type Req = S3Request extends infer R ? (R extends S3Request ? Omit<R, 'id'> : never) : never;
type Ok = Extract<S3Response, { ok: true }>;

/** What a request is about, for its error message: the s3:// URL and, for a ranged GET, the bytes. */
export interface Subject {
  url: string;
  range?: [number, number];
}

export class S3Bridge {
  private worker: Worker | null = null;
  private port: MessagePort | null = null;
  private signal: Int32Array | null = null;
  private nextId = 1;
  /** Object bytes received and requests sent by the worker so far (as of the last answer). */
  bytesFetched = 0;
  requests = 0;

  constructor(readonly config: S3ClientConfig) {}

  private start(): void {
    const url = new URL('./s3-worker.js', import.meta.url);
    if (url.protocol === 'file:' && !fs.existsSync(fileURLToPath(url))) {
      throw new InternalError(`the S3 worker module is missing (${fileURLToPath(url)}); run \`npm run build\``);
    }
    const sab = new SharedArrayBuffer(4);
    const { port1, port2 } = new MessageChannel();
    this.signal = new Int32Array(sab);
    this.worker = new Worker(url, { workerData: { config: this.config, signal: sab, reply: port2 }, transferList: [port2] });
    this.worker.unref();
    // a failure to start shows as no answer (S3_TIMEOUT), or the worker's own error answer
    this.worker.on('error', () => {});
    port1.unref();
    this.port = port1;
  }

  /** Send a request and block until its answer, or throw the error it maps to. */
  call(req: Req, subject: Subject): Ok {
    if (!this.worker) this.start();
    const id = this.nextId++;
    const signal = this.signal!;
    let seen = Atomics.load(signal, 0);
    this.worker!.postMessage({ ...req, id });
    // the first call also waits for the worker to load the SDK (~0.3 s)
    const budget = this.config.timeoutMs * Math.max(1, this.config.maxAttempts) + (id === 1 ? 10_000 : 2_000);
    const deadline = Date.now() + budget;
    for (;;) {
      let m: { message: S3Response } | undefined;
      while ((m = receiveMessageOnPort(this.port!) as { message: S3Response } | undefined)) {
        const res = m.message;
        if (res.id !== id) continue; // the answer to a request that timed out
        this.bytesFetched = Math.max(this.bytesFetched, res.bytes);
        this.requests = Math.max(this.requests, res.requests);
        if (!res.ok) throw s3Error(res.error, subject, this.config);
        return res;
      }
      const left = deadline - Date.now();
      if (left <= 0) {
        throw new IoError('S3_TIMEOUT', `no answer from ${this.endpointName()} within ${Math.round(budget / 1000)}s${rangeText(subject)}`, {
          file: subject.url,
          position: subject.range?.[0],
        });
      }
      Atomics.wait(signal, 0, seen, left);
      seen = Atomics.load(signal, 0);
    }
  }

  /** Start fetching a range now; a later `call` for the same range takes it (sequential read-ahead). */
  prefetch(bucket: string, key: string, start: number, end: number): void {
    if (!this.worker) this.start();
    this.worker!.postMessage({ id: 0, op: 'get', bucket, key, start, end, prefetch: true } satisfies S3Request);
  }

  list(bucket: string, prefix: string, token: string | undefined, subject: Subject, flat = false, maxKeys?: number): ListPage {
    return this.call({ op: 'list', bucket, prefix, token, flat, maxKeys }, subject).value as ListPage;
  }

  head(bucket: string, key: string, subject: Subject): { size: number; mtimeMs: number } {
    return this.call({ op: 'head', bucket, key }, subject).value as { size: number; mtimeMs: number };
  }

  get(bucket: string, key: string, start: number, end: number, subject: Subject): Buffer {
    const data = this.call({ op: 'get', bucket, key, start, end }, subject).data!;
    return Buffer.from(data);
  }

  /** Whole small objects, fetched concurrently; an object's error is returned in its place. */
  getMany(bucket: string, keys: string[], subject: Subject): (Buffer | KsegError)[] {
    const many = this.call({ op: 'getMany', bucket, keys }, subject).many!;
    return many.map((m, i) => (m instanceof ArrayBuffer ? Buffer.from(m) : s3Error(m, { url: `s3://${bucket}/${keys[i]}` }, this.config)));
  }

  endpointName(): string {
    return this.config.endpoint ?? 'S3';
  }

  close(): void {
    void this.worker?.terminate();
    this.worker = null;
  }
}

function rangeText(s: Subject): string {
  return s.range ? ` (bytes ${s.range[0]}-${s.range[1] - 1})` : '';
}

/** SDK and network errors as the project's errors: the URL, the byte range, what to check. */
export function s3Error(e: S3ErrorInfo, s: Subject, config: S3ClientConfig): KsegError {
  const where = { file: s.url, position: s.range?.[0] };
  const at = rangeText(s);
  const server = config.endpoint ?? 'S3';
  switch (e.name) {
    case 'NoSuchKey':
    case 'NotFound':
      return new NotFoundError('S3_NO_SUCH_KEY', `no such object${at}`, where);
    case 'NoSuchBucket':
      // like a missing archive or directory given on the command line: exit 4, not "nothing found in it"
      return new IoError('S3_NO_SUCH_BUCKET', `no such bucket at ${server}`, where);
    case 'AccessDenied':
    case 'Forbidden':
    case 'AllAccessDisabled':
      return new IoError('S3_ACCESS_DENIED', `access denied${at} (check the credentials' policy for s3:GetObject and s3:ListBucket)`, where);
    case 'InvalidAccessKeyId':
    case 'SignatureDoesNotMatch':
    case 'ExpiredToken':
    case 'InvalidToken':
    case 'TokenRefreshRequired':
      return new IoError('S3_BAD_CREDENTIALS', `${server} refused the credentials (${e.name}: ${e.message})`, where);
    case 'CredentialsProviderError':
      return new IoError('S3_NO_CREDENTIALS', `no AWS credentials: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or AWS_PROFILE with ~/.aws/credentials (${e.message})`, where);
    case 'InvalidRange':
      return new IoError('S3_BAD_RANGE', `the server refused the range${at}: the object is shorter than listed (changed while reading?)`, where);
    case 'ShortRead':
      return new IoError('S3_SHORT_READ', `${e.message}${at}`, where);
    case 'ECONNREFUSED':
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
    case 'ECONNRESET':
    case 'EHOSTUNREACH':
    case 'ENETUNREACH':
      return new IoError('S3_UNREACHABLE', `cannot reach ${server} (${e.name})${at}`, where);
    case 'TimeoutError':
    case 'ETIMEDOUT':
    case 'RequestTimeout':
      return new IoError('S3_TIMEOUT', `no answer from ${server} within ${Math.round(config.timeoutMs / 1000)}s${at}`, where);
    case 'ERR_MODULE_NOT_FOUND':
      return new InternalError(`the AWS SDK (@aws-sdk/client-s3) is not installed: ${e.message}`);
    default:
      if (e.status === 404) return new NotFoundError('S3_NO_SUCH_KEY', `no such object${at}`, where);
      // a HEAD answer has no body: a 403 there does not say whether the key or the policy is wrong
      if (e.status === 403) return new IoError('S3_ACCESS_DENIED', `access denied${at} (HTTP 403): the credentials are wrong, or lack s3:GetObject / s3:ListBucket here`, where);
      return new IoError('S3_ERROR', `${server}: ${e.name}${e.status ? ` (HTTP ${e.status})` : ''}: ${e.message}${at}`, where);
  }
}
