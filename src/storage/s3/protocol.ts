/**
 * Messages between the main thread (bridge.ts, synchronous) and the S3 worker (s3-worker.ts, which
 * runs the AWS SDK). The main thread posts a request on the worker's port and blocks in
 * `Atomics.wait` on `signal[0]`; the worker posts the response on a second channel (the body as a
 * transferred ArrayBuffer: no copy, no shared buffer to size), then bumps `signal[0]` and notifies.
 * The main thread takes it with `receiveMessageOnPort`. Responses carry their request's id: one
 * that arrives after its request timed out is dropped.
 */
export interface S3ClientConfig {
  endpoint?: string;
  region?: string;
  /** Per-request deadline (connection and response), ms. */
  timeoutMs: number;
  /** SDK attempts per request (retries of throttling and 5xx). */
  maxAttempts: number;
}

export type S3Request =
  /** One page of ListObjectsV2; `flat`: without the '/' delimiter (every key below the prefix). */
  | { id: number; op: 'list'; bucket: string; prefix: string; token?: string; flat?: boolean; maxKeys?: number }
  | { id: number; op: 'head'; bucket: string; key: string }
  /** Bytes [start, end) of an object; `prefetch`: fetch now, answer later when asked again. */
  | { id: number; op: 'get'; bucket: string; key: string; start: number; end: number; prefetch?: boolean }
  /** Whole small objects (Aiven manifests), fetched concurrently. */
  | { id: number; op: 'getMany'; bucket: string; keys: string[] };

export interface ListPage {
  objects: { key: string; size: number; mtimeMs: number }[];
  prefixes: string[];
  next?: string;
}

export interface S3ErrorInfo {
  /** SDK error name (NoSuchKey, AccessDenied, TimeoutError, ...) or a Node error code (ECONNREFUSED). */
  name: string;
  status?: number;
  message: string;
}

export type S3Response =
  | { id: number; ok: true; value?: unknown; data?: ArrayBuffer; many?: (ArrayBuffer | S3ErrorInfo)[]; bytes: number; requests: number }
  | { id: number; ok: false; error: S3ErrorInfo; bytes: number; requests: number };
