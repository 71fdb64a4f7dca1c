import { parentPort, workerData, type MessagePort } from 'node:worker_threads';
import type { ListPage, S3ClientConfig, S3ErrorInfo, S3Request, S3Response } from './protocol.js';

/**
 * The S3 worker: the only module that loads the AWS SDK (`@aws-sdk/client-s3`, its default
 * credential chain: environment, shared config and credentials files, AWS_PROFILE, SSO, container
 * and instance roles). It answers the synchronous bridge (bridge.ts) through `protocol.ts`.
 */
type Sdk = typeof import('@aws-sdk/client-s3');

const { config, signal: signalBuffer, reply } = workerData as { config: S3ClientConfig; signal: SharedArrayBuffer; reply: MessagePort };
const signal = new Int32Array(signalBuffer);
let bytes = 0;
let requests = 0;
/** The request the main thread waits for: answers to older ones (timed out) are dropped. */
let current = -1;

let sdkPromise: Promise<{ sdk: Sdk; client: InstanceType<Sdk['S3Client']> }> | null = null;
function client(): Promise<{ sdk: Sdk; client: InstanceType<Sdk['S3Client']> }> {
  sdkPromise ??= (async () => {
    // the SDK's notice about future Node versions would land on kseg's stderr
    process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
    const sdk = await import('@aws-sdk/client-s3');
    const region = config.region ?? process.env.AWS_REGION ?? process.env.AWS_DEFAULT_REGION;
    const make = (r: string | undefined): InstanceType<Sdk['S3Client']> =>
      new sdk.S3Client({
        endpoint: config.endpoint,
        // S3-compatible servers (MinIO, Ceph, s3rver, LocalStack) address buckets by path
        forcePathStyle: config.endpoint !== undefined,
        // a bucket in another region answers with a redirect the client follows
        followRegionRedirects: true,
        region: r,
        maxAttempts: config.maxAttempts,
        // ranged GETs carry no whole-object checksum to validate; kseg checks batch CRCs itself
        responseChecksumValidation: 'WHEN_REQUIRED',
        requestChecksumCalculation: 'WHEN_REQUIRED',
        requestHandler: { connectionTimeout: config.timeoutMs, requestTimeout: config.timeoutMs, throwOnRequestTimeout: true },
      });
    let c = make(region ?? (config.endpoint !== undefined ? 'us-east-1' : undefined));
    if (region === undefined && config.endpoint === undefined) {
      // no region in the environment: the profile's (AWS_PROFILE, ~/.aws/config), else us-east-1,
      // whose endpoint redirects to the bucket's region
      try {
        await c.config.region();
      } catch {
        c.destroy();
        c = make('us-east-1');
      }
    }
    return { sdk, client: c };
  })();
  return sdkPromise;
}

function errorInfo(e: unknown): S3ErrorInfo {
  const err = e as { name?: string; code?: string; message?: string; $metadata?: { httpStatusCode?: number }; errors?: unknown[] };
  // connection errors carry Node's code (ECONNREFUSED); an AggregateError (happy eyeballs) holds them
  const code = err.code ?? (err.errors?.[0] as { code?: string } | undefined)?.code;
  const name = code && /^E[A-Z]+$/.test(code) ? code : (err.name ?? 'Error');
  return { name, status: err.$metadata?.httpStatusCode, message: String(err.message || name) };
}

async function listPage(r: Extract<S3Request, { op: 'list' }>): Promise<ListPage> {
  const { sdk, client: c } = await client();
  requests++;
  const out = await c.send(
    new sdk.ListObjectsV2Command({ Bucket: r.bucket, Prefix: r.prefix, Delimiter: r.flat ? undefined : '/', ContinuationToken: r.token, MaxKeys: r.maxKeys }),
  );
  return {
    objects: (out.Contents ?? []).map((o) => ({ key: o.Key ?? '', size: Number(o.Size ?? 0), mtimeMs: o.LastModified ? o.LastModified.getTime() : NaN })),
    prefixes: (out.CommonPrefixes ?? []).map((p) => p.Prefix ?? '').filter(Boolean),
    next: out.IsTruncated ? out.NextContinuationToken : undefined,
  };
}

async function head(r: Extract<S3Request, { op: 'head' }>): Promise<{ size: number; mtimeMs: number }> {
  const { sdk, client: c } = await client();
  requests++;
  const out = await c.send(new sdk.HeadObjectCommand({ Bucket: r.bucket, Key: r.key }));
  return { size: Number(out.ContentLength ?? 0), mtimeMs: out.LastModified ? out.LastModified.getTime() : NaN };
}

/** Bytes [start, end) of an object (end undefined: the whole object) in a buffer of their own. */
async function getRange(bucket: string, key: string, start: number, end: number | undefined): Promise<ArrayBuffer> {
  const { sdk, client: c } = await client();
  requests++;
  if (end !== undefined && end <= start) return new ArrayBuffer(0);
  const out = await c.send(new sdk.GetObjectCommand({ Bucket: bucket, Key: key, Range: end === undefined ? undefined : `bytes=${start}-${end - 1}` }));
  const body = out.Body as AsyncIterable<Uint8Array> | undefined;
  const want = end === undefined ? Number(out.ContentLength ?? -1) : end - start;
  // one buffer of the asked size, filled as the body arrives (the body's chunks are not kept)
  const chunks: Uint8Array[] = [];
  let buf = want >= 0 ? Buffer.allocUnsafeSlow(want) : null;
  let got = 0;
  if (body) {
    for await (const chunk of body) {
      if (buf && got + chunk.length <= buf.length) buf.set(chunk, got);
      else chunks.push(chunk);
      got += chunk.length;
      bytes += chunk.length;
      if (want >= 0 && got > want) break;
    }
  }
  if (want >= 0 && got !== want) {
    throw Object.assign(new Error(`short read: asked for ${want} bytes, the server sent ${got}`), { name: 'ShortRead' });
  }
  if (!buf) {
    buf = Buffer.allocUnsafeSlow(got);
    let at = 0;
    for (const ch of chunks) {
      buf.set(ch, at);
      at += ch.length;
    }
  }
  return buf.buffer as ArrayBuffer;
}

/** Fetches started ahead of need (a sequential reader's next block): at most two kept. */
const prefetched = new Map<string, Promise<ArrayBuffer>>();
const MAX_PREFETCH = 2;

function getKey(r: { bucket: string; key: string; start: number; end: number }): string {
  return `${r.bucket}\0${r.key}\0${r.start}\0${r.end}`;
}

function post(res: S3Response, transfer: ArrayBuffer[] = []): void {
  if (res.id !== current) return;
  reply.postMessage(res, transfer);
  Atomics.add(signal, 0, 1);
  Atomics.notify(signal, 0);
}

async function handle(r: S3Request): Promise<void> {
  if (r.op === 'get' && r.prefetch) {
    const k = getKey(r);
    if (!prefetched.has(k)) {
      const p = getRange(r.bucket, r.key, r.start, r.end);
      p.catch(() => undefined); // reported when (if) the block is asked for
      prefetched.set(k, p);
      if (prefetched.size > MAX_PREFETCH) prefetched.delete(prefetched.keys().next().value!);
    }
    return;
  }
  current = r.id;
  try {
    if (r.op === 'get') {
      const k = getKey(r);
      const p = prefetched.get(k) ?? getRange(r.bucket, r.key, r.start, r.end);
      prefetched.delete(k);
      const data = await p;
      post({ id: r.id, ok: true, data, bytes, requests }, [data]);
    } else if (r.op === 'getMany') {
      const many = await mapLimited(r.keys, 16, async (key) => {
        try {
          return await getRange(r.bucket, key, 0, undefined);
        } catch (e) {
          return errorInfo(e);
        }
      });
      post(
        { id: r.id, ok: true, many, bytes, requests },
        many.filter((m): m is ArrayBuffer => m instanceof ArrayBuffer),
      );
    } else {
      const value = r.op === 'list' ? await listPage(r) : await head(r);
      post({ id: r.id, ok: true, value, bytes, requests });
    }
  } catch (e) {
    post({ id: r.id, ok: false, error: errorInfo(e), bytes, requests });
  }
}

async function mapLimited<T, R>(items: T[], limit: number, fn: (t: T) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array(items.length);
  let next = 0;
  const run = async (): Promise<void> => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i]);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, run));
  return out;
}

parentPort!.on('message', (r: S3Request) => void handle(r));
