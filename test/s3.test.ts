import { spawnSync } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FIXTURES, kseg, ROOT, tmpDir } from './helpers.js';
import { startS3Server } from './s3-server.mjs';

/**
 * s3:// reads (README "S3 and tiered storage"): the provider in src/storage/s3/ against s3rver on
 * 127.0.0.1 (in a worker thread of this process: the provider blocks this thread while it waits),
 * then the built CLI with --endpoint and s3rver's dummy credentials. Needs `npm run build`.
 */
/** The read path routes through the vfs providers (branch h15-vfs, "vfs routing:"); until then these cannot run. */
const ROUTED = fs.readFileSync(path.join(ROOT, 'src', 'storage', 'segments.ts'), 'utf8').includes('providerFor');
const BUCKET = 'kseg-test';
const FIXTURE_CASES = ['v2-multiseg', 'v2-txn', 'v2-zstd', 'v1-gzip', 'v0-none', 'v2-headers'];
let server: Awaited<ReturnType<typeof startS3Server>>;
let gen: string; // a generated multi-segment partition: orders-3
let S3Provider: typeof import('../src/storage/s3/provider.js').S3Provider;

/** Kafka's Uuid.toString(): 16 random bytes, base64url without padding (22 characters). */
function kafkaUuid(): string {
  return crypto.randomBytes(16).toString('base64url');
}

const segmentFiles = (dir: string): string[] => fs.readdirSync(dir).filter((f) => /^\d{20}\.log$/.test(f));

/**
 * Kafka's LocalTieredStorage (storage/src/test: RemoteLogSegmentFileset, RemoteTopicPartitionDirectory):
 * `<topic>-<partition>-<topicId>/<20-digit start offset>-<segment id>.<log|index|timeindex|txnindex|snapshot|leader_epoch_checkpoint>`,
 * the snapshot being RemoteLogManager.copyLogSegment's fetchSnapshot(nextSegmentBaseOffset).
 */
async function uploadKafkaTiered(local: string, prefix: string): Promise<void> {
  const logs = segmentFiles(local);
  const epochs = fs.existsSync(path.join(local, 'leader-epoch-checkpoint')) ? fs.readFileSync(path.join(local, 'leader-epoch-checkpoint')) : Buffer.from('0\n0\n');
  for (let i = 0; i < logs.length - 1; i++) {
    // the active (last) segment is never copied to the remote tier
    const base = logs[i].slice(0, 20);
    const next = logs[i + 1].slice(0, 20);
    const id = kafkaUuid();
    const put = (ext: string, body: Buffer): Promise<unknown> => server.put(BUCKET, `${prefix}/${base}-${id}.${ext}`, body);
    await put('log', fs.readFileSync(path.join(local, `${base}.log`)));
    for (const ext of ['index', 'timeindex', 'txnindex']) {
      if (fs.existsSync(path.join(local, `${base}.${ext}`))) await put(ext, fs.readFileSync(path.join(local, `${base}.${ext}`)));
    }
    const snap = path.join(local, `${next}.snapshot`);
    await put('snapshot', fs.existsSync(snap) ? fs.readFileSync(snap) : Buffer.alloc(0));
    await put('leader_epoch_checkpoint', epochs);
  }
}

/**
 * Aiven's tiered storage (ObjectKeyFactory.mainPath; KafkaRemoteStorageManager.uploadIndexes and
 * uploadManifest; SegmentManifestV1, SegmentIndexesV1, FixedSizeChunkIndex): `<prefix><topic>-<topicId>/<partition>/<20-digit offset>-<id>`
 * with `.log`, `.indexes` (offset, time, producer snapshot, leader epochs, txn index concatenated)
 * and `.rsm-manifest`. `compress` marks the manifest as compressed (the log bytes are left as they
 * are: kseg must refuse before reading them).
 */
async function uploadAiven(local: string, prefix: string, o: { compress?: Set<number>; encrypt?: Set<number> } = {}): Promise<string[]> {
  const logs = segmentFiles(local);
  const keys: string[] = [];
  const epochs = fs.readFileSync(path.join(local, 'leader-epoch-checkpoint'));
  for (let i = 0; i < logs.length - 1; i++) {
    const base = logs[i].slice(0, 20);
    const next = logs[i + 1].slice(0, 20);
    const id = kafkaUuid();
    const read = (f: string): Buffer => (fs.existsSync(path.join(local, f)) ? fs.readFileSync(path.join(local, f)) : Buffer.alloc(0));
    const parts: [string, Buffer | null][] = [
      ['offset', read(`${base}.index`)],
      ['timestamp', read(`${base}.timeindex`)],
      ['producerSnapshot', read(`${next}.snapshot`)],
      ['leaderEpoch', epochs],
      ['transaction', fs.existsSync(path.join(local, `${base}.txnindex`)) ? read(`${base}.txnindex`) : null],
    ];
    const segmentIndexes: Record<string, { position: number; size: number } | null> = {};
    let at = 0;
    for (const [k, b] of parts) {
      segmentIndexes[k] = b === null ? null : { position: at, size: b.length };
      at += b?.length ?? 0;
    }
    const log = fs.readFileSync(path.join(local, `${base}.log`));
    const chunk = 4 * 1024 * 1024;
    const manifest = {
      version: '1',
      chunkIndex: { type: 'fixed', originalChunkSize: chunk, originalFileSize: log.length, transformedChunkSize: chunk, finalTransformedChunkSize: log.length % chunk || chunk },
      segmentIndexes,
      compression: o.compress?.has(i) ?? false,
      ...(o.encrypt?.has(i) ? { encryption: { dataKey: 'AAAA', aad: 'AAAA' } } : {}),
      remoteLogSegmentMetadata: { startOffset: Number(base), endOffset: Number(next) - 1, brokerId: 1 },
    };
    const key = `${prefix}/${base}-${id}`;
    await server.put(BUCKET, `${key}.log`, log);
    await server.put(BUCKET, `${key}.indexes`, Buffer.concat(parts.map(([, b]) => b ?? Buffer.alloc(0))));
    await server.put(BUCKET, `${key}.rsm-manifest`, Buffer.from(JSON.stringify(manifest)));
    keys.push(key);
  }
  return keys;
}

beforeAll(async () => {
  ({ S3Provider } = await import(path.join(ROOT, 'dist', 'storage', 's3', 'provider.js')));
  server = await startS3Server([BUCKET, 'kseg-other']);
  Object.assign(process.env, server.env);
  for (const c of FIXTURE_CASES) await server.upload(path.join(FIXTURES, c, 'topic-0'), BUCKET, `fixtures/${c}/topic-0/`);
  gen = path.join(tmpDir('kseg-s3-'), 'orders-3');
  const g = kseg(['generate', gen, '--records', '60000', '--segment-bytes', '2m', '--seed', '15', '--transactions', '--abort-ratio', '0.2', '--leader-epochs', '3']);
  if (g.status !== 0) throw new Error(g.stderr);
  await server.upload(gen, BUCKET, 'plain/orders-3/');
  await uploadKafkaTiered(gen, 'kafka-tiered/orders-3-feLLgfn9lZ9iDLQPoo4hYA');
  await uploadAiven(gen, 'aiven/tiered/orders-feLLgfn9lZ9iDLQPoo4hYA/3');
  await uploadAiven(gen, 'aiven-transformed/orders-feLLgfn9lZ9iDLQPoo4hYA/3', { compress: new Set([1]), encrypt: new Set([2]) });
}, 180_000);

afterAll(async () => {
  await server?.close();
});

describe('the s3:// provider (src/storage/s3) against s3rver', () => {
  it('lists a prefix one level down and reads objects byte for byte, in both path spellings', () => {
    const p = new S3Provider({ endpoint: server.endpoint });
    expect(p.claims('s3://b/x') && p.claims('s3:/b/x') && !p.claims('/s3/x')).toBe(true);
    expect(p.readdir(`s3://${BUCKET}/fixtures`).map((e) => e.name)).toEqual([...FIXTURE_CASES].sort());
    expect(p.stat(`s3://${BUCKET}/fixtures/v2-txn`).type).toBe('dir');
    const dir = path.join(FIXTURES, 'v2-multiseg', 'topic-0');
    const entries = p.readdir(`s3://${BUCKET}/fixtures/v2-multiseg/topic-0`);
    expect(entries.map((e) => e.name)).toEqual(fs.readdirSync(dir).sort());
    for (const e of entries) {
      const local = fs.readFileSync(path.join(dir, e.name));
      expect(e.size).toBe(local.length);
      expect(e.mtimeMs).toBeGreaterThan(0);
      const s = p.open(path.join(`s3://${BUCKET}/fixtures/v2-multiseg/topic-0`, e.name)); // path.join: s3:/…
      expect(s.size).toBe(local.length);
      expect(Buffer.compare(s.read(0, s.size), local)).toBe(0);
      s.close();
    }
    p.close();
  });

  it('reads across block boundaries one byte at a time and in odd spans (tiny blocks)', () => {
    const p = new S3Provider({ endpoint: server.endpoint });
    const name = fs.readdirSync(gen).find((f) => f.endsWith('.index'))!;
    const local = fs.readFileSync(path.join(gen, name));
    for (const pattern of ['random', 'sequential'] as const) {
      const s = p.open(`s3://${BUCKET}/plain/orders-3/${name}`, { pattern, chunkSize: 1000 });
      const bytes = Buffer.concat(Array.from({ length: s.size }, (_, i) => s.read(i, 1)));
      expect(Buffer.compare(bytes, local)).toBe(0);
      for (const [at, len] of [
        [999, 2],
        [0, 2500],
        [1500, local.length - 1500],
        [local.length, 0],
      ])
        expect(Buffer.compare(s.read(at, len), local.subarray(at, at + len))).toBe(0);
      expect(() => s.read(local.length - 1, 2)).toThrow(/outside the \d+-byte object/);
    }
    p.close();
  });

  it('any read (position, length) equals the local bytes, for both patterns and odd block sizes (fast-check)', () => {
    const p = new S3Provider({ endpoint: server.endpoint });
    const name = segmentFiles(gen)[0].replace(/\.log$/, '.timeindex');
    const local = fs.readFileSync(path.join(gen, name));
    const sources = [
      p.open(`s3://${BUCKET}/plain/orders-3/${name}`, { pattern: 'random', chunkSize: 777 }),
      p.open(`s3:/${BUCKET}/plain/orders-3/${name}`, { pattern: 'sequential', chunkSize: 1500 }),
    ];
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 1 }), fc.integer({ min: 0, max: local.length }), fc.integer({ min: 0, max: 5000 }), (which, pos, n) => {
        const len = Math.min(n, local.length - pos);
        expect(Buffer.compare(sources[which].read(pos, len), local.subarray(pos, pos + len))).toBe(0);
      }),
      { numRuns: 300 },
    );
    p.close();
  });

  it("'random' fetches only the blocks read; 'sequential' reads ahead in large blocks", () => {
    const log = segmentFiles(gen)[0];
    const size = fs.statSync(path.join(gen, log)).size;
    const p = new S3Provider({ endpoint: server.endpoint });
    const r = p.open(`s3://${BUCKET}/plain/orders-3/${log}`, { pattern: 'random' });
    r.read(size - 100, 61);
    r.read(10, 61);
    r.read(20, 61); // same block: no fetch
    expect(p.bytesFetched()).toBe(16 * 1024 + (size - Math.floor((size - 100) / 16384) * 16384));
    const before = p.bytesFetched();
    const s = p.open(`s3://${BUCKET}/plain/orders-3/${log}`, { pattern: 'sequential' });
    const local = fs.readFileSync(path.join(gen, log));
    for (let at = 0; at < size; at += 100_000) expect(Buffer.compare(s.read(at, Math.min(100_000, size - at)), local.subarray(at, at + 100_000))).toBe(0);
    expect(p.bytesFetched() - before).toBe(size); // one pass, nothing twice
    p.close();
  });

  it('errors name the s3:// URL: missing key, prefix and bucket; a read past the end', () => {
    const p = new S3Provider({ endpoint: server.endpoint });
    expect(() => p.stat(`s3://${BUCKET}/plain/orders-3/00000000000000000999.log`)).toThrow(
      expect.objectContaining({ name: 'NotFoundError', file: `s3://${BUCKET}/plain/orders-3/00000000000000000999.log` }),
    );
    expect(() => p.open(`s3://${BUCKET}/nothing/here.log`)).toThrow(expect.objectContaining({ name: 'NotFoundError', code: 'ENOENT' }));
    expect(() => p.readdir(`s3://${BUCKET}/no-such-prefix`)).toThrow(expect.objectContaining({ name: 'NotFoundError', file: `s3://${BUCKET}/no-such-prefix` }));
    expect(() => p.readdir('s3://kseg-missing-bucket/x')).toThrow(expect.objectContaining({ code: 'S3_NO_SUCH_BUCKET', file: 's3://kseg-missing-bucket/x' }));
    expect(() => p.open(`s3://${BUCKET}/plain`)).toThrow(expect.objectContaining({ code: 'EISDIR' }));
    p.close();
  });

  it('bad credentials: S3_BAD_CREDENTIALS (s3rver checks signatures)', () => {
    const keep = process.env.AWS_ACCESS_KEY_ID;
    process.env.AWS_ACCESS_KEY_ID = 'NOT-A-KEY'; // the worker takes the environment when it starts
    try {
      const p = new S3Provider({ endpoint: server.endpoint, maxAttempts: 1 });
      expect(() => p.readdir(`s3://${BUCKET}/plain`)).toThrow(expect.objectContaining({ name: 'IoError', code: 'S3_BAD_CREDENTIALS' }));
      p.close();
    } finally {
      process.env.AWS_ACCESS_KEY_ID = keep;
    }
  });

  it('a server that is down, or that never answers, is an error within the deadline (no hang)', async () => {
    const closed = net.createServer();
    await new Promise<void>((r) => closed.listen(0, '127.0.0.1', r));
    const port = (closed.address() as net.AddressInfo).port;
    await new Promise((r) => closed.close(r));
    let t = Date.now();
    const down = new S3Provider({ endpoint: `http://127.0.0.1:${port}`, timeoutMs: 2000, maxAttempts: 2 });
    expect(() => down.readdir(`s3://${BUCKET}/plain`)).toThrow(expect.objectContaining({ name: 'IoError', code: 'S3_UNREACHABLE', file: `s3://${BUCKET}/plain` }));
    expect(Date.now() - t).toBeLessThan(20_000);
    down.close();
    // accepts connections (the kernel's backlog: this thread is blocked) and never answers
    const silent = net.createServer(() => {});
    await new Promise<void>((r) => silent.listen(0, '127.0.0.1', r));
    t = Date.now();
    const hung = new S3Provider({ endpoint: `http://127.0.0.1:${(silent.address() as net.AddressInfo).port}`, timeoutMs: 1000, maxAttempts: 1 });
    expect(() => hung.readdir(`s3://${BUCKET}/plain`)).toThrow(expect.objectContaining({ name: 'IoError', code: 'S3_TIMEOUT' }));
    expect(Date.now() - t).toBeLessThan(15_000);
    hung.close();
    silent.close();
  });
});

describe('tiered-storage layouts shown as partition directories', () => {
  /** The local files a remote copy of `gen` holds (every segment but the active one). */
  function expectedFiles(): Map<string, Buffer> {
    const logs = segmentFiles(gen);
    const m = new Map<string, Buffer>();
    for (let i = 0; i < logs.length - 1; i++) {
      const base = logs[i].slice(0, 20);
      for (const ext of ['log', 'index', 'timeindex', 'txnindex']) {
        if (fs.existsSync(path.join(gen, `${base}.${ext}`))) m.set(`${base}.${ext}`, fs.readFileSync(path.join(gen, `${base}.${ext}`)));
      }
      const next = logs[i + 1].slice(0, 20);
      if (fs.existsSync(path.join(gen, `${next}.snapshot`))) m.set(`${next}.snapshot`, fs.readFileSync(path.join(gen, `${next}.snapshot`)));
    }
    m.set('leader-epoch-checkpoint', fs.readFileSync(path.join(gen, 'leader-epoch-checkpoint')));
    return m;
  }

  function expectSameFiles(dir: string, want: Map<string, Buffer>): void {
    const p = new S3Provider({ endpoint: server.endpoint });
    const entries = p.readdir(dir);
    expect(entries.map((e) => e.name)).toEqual([...want.keys()].sort());
    for (const e of entries) {
      const s = p.open(`${dir}/${e.name}`, { pattern: 'random' });
      expect(Buffer.compare(s.read(0, s.size), want.get(e.name)!), e.name).toBe(0);
      expect(p.stat(`${dir}/${e.name}`).size).toBe(want.get(e.name)!.length);
    }
    p.close();
  }

  it("Kafka's LocalTieredStorage names (<offset>-<segment id>.log, .leader_epoch_checkpoint) map to a partition's", () => {
    const want = expectedFiles();
    // the last remote segment's snapshot would be named by its end offset + 1, which only the remote log metadata knows
    const logs = segmentFiles(gen);
    want.delete(`${logs[logs.length - 1].slice(0, 20)}.snapshot`);
    expectSameFiles(`s3://${BUCKET}/kafka-tiered/orders-3-feLLgfn9lZ9iDLQPoo4hYA`, want);
  });

  it("Aiven's layout: .log read in place, indexes sliced out of .indexes by the .rsm-manifest ranges", () => {
    expectSameFiles(`s3://${BUCKET}/aiven/tiered/orders-feLLgfn9lZ9iDLQPoo4hYA/3`, expectedFiles());
  });

  it('Aiven segments whose manifest says compressed or encrypted: REMOTE_UNSUPPORTED naming the object', () => {
    const p = new S3Provider({ endpoint: server.endpoint });
    const dir = `s3://${BUCKET}/aiven-transformed/orders-feLLgfn9lZ9iDLQPoo4hYA/3`;
    const logs = segmentFiles(gen).map((f) => f.slice(0, 20));
    expect(p.open(`${dir}/${logs[0]}.log`).size).toBe(fs.statSync(path.join(gen, `${logs[0]}.log`)).size);
    expect(() => p.open(`${dir}/${logs[1]}.log`)).toThrow(
      expect.objectContaining({
        code: 'REMOTE_UNSUPPORTED',
        message: expect.stringMatching(/compressed/),
        file: expect.stringMatching(new RegExp(`/${logs[1]}-[\\w-]{22}\\.log$`)),
      }),
    );
    expect(() => p.open(`${dir}/${logs[2]}.log`)).toThrow(expect.objectContaining({ code: 'REMOTE_UNSUPPORTED', message: expect.stringMatching(/encrypted/) }));
    expect(() => p.open(`${dir}/${logs[2]}.index`)).toThrow(expect.objectContaining({ code: 'REMOTE_UNSUPPORTED', file: expect.stringMatching(/\.indexes$/) }));
    expect(p.open(`${dir}/${logs[1]}.index`).size).toBe(fs.statSync(path.join(gen, `${logs[1]}.index`)).size); // indexes are never compressed
    p.close();
  });

  it('two copies of one segment (a retried upload under a new id): REMOTE_DUPLICATE_SEGMENT names both', async () => {
    const base = segmentFiles(gen)[0].slice(0, 20);
    const body = fs.readFileSync(path.join(gen, `${base}.log`));
    const [a, b] = [kafkaUuid(), kafkaUuid()];
    await server.put(BUCKET, `dup/orders-3-feLLgfn9lZ9iDLQPoo4hYA/${base}-${a}.log`, body);
    await server.put(BUCKET, `dup/orders-3-feLLgfn9lZ9iDLQPoo4hYA/${base}-${b}.log`, body);
    const p = new S3Provider({ endpoint: server.endpoint });
    expect(() => p.readdir(`s3://${BUCKET}/dup/orders-3-feLLgfn9lZ9iDLQPoo4hYA`)).toThrow(
      expect.objectContaining({ code: 'REMOTE_DUPLICATE_SEGMENT', message: expect.stringContaining(a) && expect.stringContaining(b) }),
    );
    p.close();
  });
});

describe('layouts.ts on listings alone (no server)', () => {
  let buildView: typeof import('../src/storage/s3/layouts.js').buildView;
  beforeAll(async () => {
    ({ buildView } = await import(path.join(ROOT, 'dist', 'storage', 's3', 'layouts.js')));
  });
  const id = 'tqimKeZwStOEOwRzT3L5oQ';
  const obj = (name: string, size = 100) => ({ name, key: `p/${name}`, size, mtimeMs: 1 });
  const url = (k: string): string => `s3://b/${k}`;
  const manifest = (o: Record<string, unknown> = {}): Buffer =>
    Buffer.from(
      JSON.stringify({
        version: '1',
        chunkIndex: { type: 'fixed', originalChunkSize: 4194304, originalFileSize: 100, transformedChunkSize: 4194304, finalTransformedChunkSize: 100 },
        segmentIndexes: {
          offset: { position: 0, size: 8 },
          timestamp: { position: 8, size: 12 },
          producerSnapshot: { position: 20, size: 10 },
          leaderEpoch: { position: 30, size: 8 },
          transaction: null,
        },
        compression: false,
        ...o,
      }),
    );
  const aiven = (m: Buffer | Error, logSize = 100) =>
    buildView(
      [obj(`00000000000000000000-${id}.log`, logSize), obj(`00000000000000000000-${id}.indexes`, 38), obj(`00000000000000000000-${id}.rsm-manifest`)],
      [],
      () => [m as Buffer],
      url,
    );

  it('plain names pass through; an Aiven segment shows its log, indexes and epochs (SegmentIndexesV1 ranges)', () => {
    expect([...buildView([obj('00000000000000000000.log'), obj('partition.metadata')], ['x'], () => [], url).files.keys()]).toEqual([
      '00000000000000000000.log',
      'partition.metadata',
    ]);
    const v = aiven(manifest());
    expect(v.layout).toBe('aiven');
    expect(Object.fromEntries([...v.files].map(([k, t]) => [k, t.kind === 'slice' ? [t.offset, t.size] : t.kind]))).toEqual({
      '00000000000000000000.log': 'object',
      '00000000000000000000.index': [0, 8],
      '00000000000000000000.timeindex': [8, 12],
      'leader-epoch-checkpoint': [30, 8],
    }); // no next segment and no endOffset: the snapshot's name is unknown; transaction null: no .txnindex
    expect(aiven(manifest({ remoteLogSegmentMetadata: { endOffset: 41 } })).files.get('00000000000000000042.snapshot')).toMatchObject({ kind: 'slice', offset: 20, size: 10 });
  });

  it('a manifest kseg cannot trust turns the log into a clear error, not a guess', () => {
    const why = (m: Buffer | Error, logSize?: number) => aiven(m, logSize).files.get('00000000000000000000.log') as { kind: string; code?: string; why?: string };
    expect(why(Buffer.from('{not json'))).toMatchObject({ kind: 'unsupported', code: 'BAD_RSM_MANIFEST', why: expect.stringMatching(/not a JSON segment manifest/) });
    expect(why(manifest({ version: '2' }))).toMatchObject({ code: 'BAD_RSM_MANIFEST', why: expect.stringMatching(/version "2"/) });
    expect(why(manifest({ segmentIndexes: {} }))).toMatchObject({ code: 'BAD_RSM_MANIFEST' });
    expect(why(manifest(), 99)).toMatchObject({ code: 'REMOTE_SIZE_MISMATCH', why: expect.stringMatching(/99 bytes.*100/) });
    expect(why(Object.assign(new Error('no such object'), { code: 'S3_NO_SUCH_KEY' }))).toMatchObject({ code: 'REMOTE_NO_MANIFEST' });
    const noManifest = buildView([obj(`00000000000000000000-${id}.log`), obj(`00000000000000000000-${id}.indexes`)], [], () => [], url);
    expect(noManifest.files.get('00000000000000000000.log')).toMatchObject({ code: 'REMOTE_NO_MANIFEST', why: expect.stringMatching(/rsm-manifest/) });
    const past = aiven(
      manifest({
        segmentIndexes: {
          offset: { position: 0, size: 8 },
          timestamp: { position: 8, size: 12 },
          producerSnapshot: { position: 20, size: 10 },
          leaderEpoch: { position: 30, size: 80 },
        },
      }),
    );
    expect(past.files.get('leader-epoch-checkpoint')).toMatchObject({ code: 'REMOTE_SIZE_MISMATCH' });
  });
});

describe('CLI: --endpoint, --region, --fetch-stats', () => {
  it('dump, info, verify and lookup list the S3 options in --help', () => {
    for (const c of ['dump', 'info', 'verify', 'lookup']) expect(kseg([c, '--help']).stdout).toMatch(/--endpoint <url>[\s\S]*--region <region>[\s\S]*--fetch-stats/);
  });

  it('a bad --endpoint or KSEG_S3_ENDPOINT is a usage error (exit 2)', () => {
    const r = kseg(['info', `s3://${BUCKET}/plain/orders-3`, '--endpoint', 'ftp://x']);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/--endpoint: 'ftp:\/\/x' must be an http/);
    expect(kseg(['info', `s3://${BUCKET}/plain/orders-3`], { env: { KSEG_S3_ENDPOINT: 'not a url' } }).status).toBe(2);
  });

  it('local paths load nothing of the S3 code; the SDK is only in the worker bundle', () => {
    const sources = (name: string): string[] => (JSON.parse(fs.readFileSync(path.join(ROOT, 'dist', 'cli', 'bundle', name), 'utf8')) as { sources: string[] }).sources;
    for (const b of ['info.cjs.map', 'lookup.cjs.map', 'dump.cjs.map', 'help.cjs.map']) expect(sources(b).filter((s) => /@aws-sdk|@smithy|s3-worker/.test(s))).toEqual([]);
    expect(sources('s3-worker.js.map').some((s) => s.includes('@aws-sdk/client-s3'))).toBe(true);
    // at run time: a local command starts no S3 worker; an s3:// one does (and fails here: no server)
    const spy = path.join(tmpDir('kseg-s3-spy-'), 'spy.cjs');
    fs.writeFileSync(
      spy,
      "const wt = require('node:worker_threads'); const W = wt.Worker; wt.Worker = class extends W { constructor(u, o) { process.stderr.write('worker: ' + u + '\\n'); super(u, o); } };",
    );
    const local = kseg(['info', path.join(FIXTURES, 'v2-multiseg', 'topic-0'), '--json'], { env: { NODE_OPTIONS: `--require ${spy}` } });
    expect(local.status).toBe(0);
    expect(local.stderr).not.toMatch(/s3-worker/);
    const remote = kseg(['info', `s3://${BUCKET}/plain/orders-3`, '--endpoint', 'http://127.0.0.1:9'], { env: { NODE_OPTIONS: `--require ${spy}`, KSEG_S3_TIMEOUT_MS: '1000' } });
    if (ROUTED) expect(remote.stderr).toMatch(/worker: .*s3-worker\.js/);
  });
});

describe.skipIf(!ROUTED)('CLI on s3:// partitions: output equal to the local one', () => {
  const s3 = (rel: string): string => `s3://${BUCKET}/${rel}`;
  const run = (args: string[]): ReturnType<typeof kseg> => kseg([...args, '--endpoint', server.endpoint], { env: server.env });
  /** Paths in output: the local directory and the s3:// one (both spellings) become DIR. */
  const norm = (s: string, local: string, remote: string): string => s.split(local).join('DIR').split(remote).join('DIR').split(remote.replace('s3://', 's3:/')).join('DIR');

  for (const c of [...FIXTURE_CASES, 'generated']) {
    it(`${c}: dump --ndjson, dump --batches, info --json, verify --json equal the local ones`, () => {
      const local = c === 'generated' ? gen : path.join(FIXTURES, c, 'topic-0');
      const remote = c === 'generated' ? s3('plain/orders-3') : s3(`fixtures/${c}/topic-0`);
      for (const args of [['dump', '--ndjson'], ['dump', '--batches', '--ndjson'], ['dump'], ['info', '--json'], ['verify', '--json']]) {
        const want = kseg([args[0], local, ...args.slice(1)]);
        const got = run([args[0], remote, ...args.slice(1)]);
        expect(got.stderr).toBe(want.stderr.split(local).join(remote));
        expect(got.status, `${args.join(' ')}: ${got.stderr}`).toBe(want.status);
        expect(norm(got.stdout, local, remote)).toBe(norm(want.stdout, local, remote));
      }
    });
  }

  it('lookup fetches the index and about one index interval of the log, not the segment', () => {
    const logs = segmentFiles(gen);
    const logBytes = logs.reduce((n, f) => n + fs.statSync(path.join(gen, f)).size, 0);
    for (const offset of [0, 12345, 40000]) {
      const want = kseg(['lookup', gen, '--offset', String(offset), '--json']);
      const got = run(['lookup', s3('plain/orders-3'), '--offset', String(offset), '--json', '--fetch-stats']);
      expect(got.status, got.stderr).toBe(0);
      const m = /kseg: s3: (\d+) requests, (\d+) bytes fetched/.exec(got.stderr)!;
      const fetched = Number(m[2]);
      // lookup --json adds `fetched` for s3:// paths: the same count as --fetch-stats
      const { fetched: inJson, ...rest } = JSON.parse(got.stdout);
      expect(inJson).toBe(fetched);
      expect(norm(JSON.stringify(rest), gen, s3('plain/orders-3'))).toBe(norm(JSON.stringify(JSON.parse(want.stdout)), gen, s3('plain/orders-3')));
      const { segment, bytesScanned } = JSON.parse(want.stdout) as { segment: string; bytesScanned: number };
      const indexBytes = fs.statSync(path.join(gen, path.basename(segment).replace(/\.log$/, '.index'))).size;
      // the whole index, then the 16 KiB blocks (object-source.ts RANDOM_BLOCK) that the scanned
      // bytes (one index interval and the batch) touch; a few bytes of checkpoints at most
      expect(fetched).toBeLessThanOrEqual(indexBytes + (Math.ceil(bytesScanned / 16384) + 1) * 16384 + 64);
      expect(fetched * 50).toBeLessThan(logBytes);
    }
  });

  it('the Kafka and Aiven layouts dump like the local segments they came from', () => {
    const logs = segmentFiles(gen);
    const to = String(Number(logs[logs.length - 1].slice(0, 20)) - 1);
    const want = kseg(['dump', gen, '--ndjson', '--to-offset', to]);
    for (const rel of ['kafka-tiered/orders-3-feLLgfn9lZ9iDLQPoo4hYA', 'aiven/tiered/orders-feLLgfn9lZ9iDLQPoo4hYA/3']) {
      const got = run(['dump', s3(rel), '--ndjson']);
      expect(got.status, got.stderr).toBe(0);
      expect(got.stdout).toBe(want.stdout);
      // the remote segments alone are a clean partition: indexes, txn indexes, snapshots, epochs agree
      const v = run(['verify', s3(rel), '--json']);
      expect(v.status, v.stdout).toBe(0);
      expect(JSON.parse(v.stdout)).toMatchObject({ ok: true, errors: 0, warnings: 0, summary: { segments: logs.length - 1 } });
      const [i] = JSON.parse(run(['info', s3(rel), '--json']).stdout);
      expect(i).toMatchObject({ dir: s3(rel), logStartOffset: 0, logEndOffset: Number(to) + 1 });
      expect(i.segments.map((x: { file: string }) => x.file)).toEqual(logs.slice(0, -1));
    }
  });

  it('missing bucket, server down: one clear line, exit 4, no stack', () => {
    const a = run(['info', 's3://kseg-missing-bucket/orders-3']);
    expect(a.stderr).toMatch(/^kseg: no such bucket .*s3:\/\/kseg-missing-bucket\/orders-3/);
    expect(a.status).toBe(4);
    const b = kseg(['lookup', s3('plain/orders-3'), '--offset', '1', '--endpoint', 'http://127.0.0.1:9'], { env: { ...server.env, KSEG_S3_TIMEOUT_MS: '2000' } });
    expect(b.status).toBe(4);
    expect(b.stderr).toMatch(/^kseg: cannot reach http:\/\/127\.0\.0\.1:9 \(ECONNREFUSED\)/);
    expect(b.stderr).not.toMatch(/\n\s+at /);
  });
});

describe.skipIf(!ROUTED)('every read command on s3:// (grep, txn, export, diff, scan, report, slice): output equal to the local one', () => {
  const s3 = (rel: string): string => `s3://${BUCKET}/${rel}`;
  const run = (args: string[]): ReturnType<typeof kseg> => kseg([...args, '--endpoint', server.endpoint], { env: server.env });
  const LOGDIR_CASES = ['v2-txn', 'v2-multiseg', 'v2-headers'];
  let logs: string; // a local log dir of three fixture partitions, uploaded as s3://BUCKET/logdir/
  beforeAll(async () => {
    logs = path.join(tmpDir('kseg-s3-logdir-'), 'logs');
    for (const c of LOGDIR_CASES) fs.cpSync(path.join(FIXTURES, c, 'topic-0'), path.join(logs, `${c}-0`), { recursive: true });
    await server.upload(logs, BUCKET, 'logdir/');
  }, 60_000);
  /** Paths in output: the local log dir and the s3:// one (both spellings) become DIR; measured times 0. */
  const norm = (s: string, out?: string): string => {
    let t = s
      .split(logs)
      .join('DIR')
      .split(s3('logdir'))
      .join('DIR')
      .split(s3('logdir').replace('s3://', 's3:/'))
      .join('DIR')
      .replace(/"elapsedMs":[0-9.e+-]+/g, '"elapsedMs":0');
    if (out) t = t.split(out).join('OUT');
    return t;
  };
  /** `ARG` is the local path below the log dir or its s3:// URL; `OUT` a fresh output path whose bytes are compared too. */
  function same(args: string[], rel: string, outName?: string): void {
    const res = (['local', 's3'] as const).map((kind) => {
      const out = outName ? path.join(tmpDir('kseg-s3-out-'), outName) : undefined;
      const target = kind === 'local' ? path.join(logs, rel) : s3(path.posix.join('logdir', rel));
      const argv = args.map((x) => (x === 'ARG' ? target : x === 'OUT' ? out! : x));
      const r = kind === 'local' ? kseg(argv) : run(argv);
      let files = '';
      if (out && fs.existsSync(out))
        files = fs.statSync(out).isFile()
          ? fs.readFileSync(out).toString('base64')
          : fs
              .readdirSync(out)
              .sort()
              .map((f) => `${f}:${fs.readFileSync(path.join(out, f)).toString('base64')}`)
              .join('\n');
      return { status: r.status, stdout: norm(r.stdout, out), stderr: norm(r.stderr, out), files };
    });
    const [want, got] = res;
    expect(want!.stdout.length + want!.files.length, `${args.join(' ')}: ${want!.stderr}`).toBeGreaterThan(0);
    expect(got!.status, `${args.join(' ')} on s3://: ${got!.stderr}`).toBe(want!.status);
    expect(got!.stdout, args.join(' ')).toBe(want!.stdout);
    expect(got!.stderr, args.join(' ')).toBe(want!.stderr);
    expect(got!.files, args.join(' ')).toBe(want!.files);
  }

  it('every read command lists the S3 options in --help', () => {
    for (const c of ['export', 'grep', 'scan', 'txn', 'offsets', 'groups', 'metadata', 'diff', 'report', 'slice', 'salvage', 'coordinator'])
      expect(kseg([c, '--help']).stdout, c).toMatch(/--endpoint <url>[\s\S]*--region <region>[\s\S]*--fetch-stats/);
  });

  it('grep: one tiered partition, and the whole log dir with --jobs 2 (each worker thread makes its own S3 provider)', () => {
    same(['grep', 'ARG', '--from-offset', '0', '--ndjson', '--decoder', 'hex'], 'v2-headers-0');
    same(['grep', 'ARG', '--from-offset', '0', '--ndjson', '--decoder', 'hex', '--jobs', '2'], '');
    same(['grep', 'ARG', '--from-offset', '0', '-c', '--json', '--jobs', '2'], '');
    // --fetch-stats counts this thread's requests and says that the workers' are not in it
    const r = run(['grep', s3('logdir'), '--from-offset', '0', '-c', '--jobs', '2', '--fetch-stats']);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/kseg: s3: \d+ requests, \d+ bytes fetched \(this thread's; worker threads' requests are not counted\)\n$/);
    expect(run(['grep', s3('logdir/v2-headers-0'), '--from-offset', '0', '-c', '--fetch-stats']).stderr).toMatch(/kseg: s3: \d+ requests, [1-9]\d* bytes fetched\n$/);
  });

  it('txn of a tiered partition and of the log dir', () => {
    same(['txn', 'ARG', '--json', '--all'], 'v2-txn-0');
    same(['txn', 'ARG', '--json', '--reference-time', '0'], '');
  });

  it('export writes the same NDJSON and Parquet bytes from s3:// as from the directory', () => {
    same(['export', 'ARG', '--format', 'ndjson', '-o', 'OUT', '--json'], 'v2-multiseg-0', 'out.ndjson');
    same(['export', 'ARG', '-o', 'OUT', '--json'], 'v2-txn-0', 'out.parquet');
  });

  it('diff of a tiered partition against a local copy (equal: exit 0) and against another partition (exit 1)', () => {
    const copy = path.join(tmpDir('kseg-s3-diff-'), 'v2-multiseg-0');
    fs.cpSync(path.join(FIXTURES, 'v2-multiseg', 'topic-0'), copy, { recursive: true });
    const r = run(['diff', s3('logdir/v2-multiseg-0'), copy, '--json']);
    expect(r.status, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ same: true });
    same(['diff', 'ARG', path.join(FIXTURES, 'v2-headers', 'topic-0'), '--json'], 'v2-multiseg-0');
  });

  it('scan --jobs 2, report, slice and salvage', () => {
    same(['scan', 'ARG', '--json', '--jobs', '2'], '');
    same(['report', 'ARG', '--json', '--now', '0'], 'v2-multiseg-0');
    same(['slice', 'ARG', '--from-offset', '100', '--to-offset', '130', '-o', 'OUT', '--json'], 'v2-multiseg-0', 'slice');
    same(['salvage', 'ARG', '-o', 'OUT', '--json'], 'v2-txn-0', 'salvaged');
  });

  it('verify --jobs on s3://: worker threads make their own S3 provider and check chunks; the report equals the local one', () => {
    // small chunks so the fixture's segments split; the main thread checks none itself (as tar-vfs.test.ts does for a tar)
    const env = { ...server.env, KSEG_VERIFY_CHUNK_BYTES: String(16 * 1024), KSEG_VERIFY_MAIN_CHECKS: '0', KSEG_VERIFY_DEBUG: '1' };
    const local = path.join(logs, 'v2-headers-0');
    const r = kseg(['verify', s3('logdir/v2-headers-0'), '--json', '--jobs', '2', '--endpoint', server.endpoint], { env });
    expect(r.status, r.stderr).toBe(0);
    expect(r.stderr).not.toContain('one thread');
    const stats = JSON.parse(/verify --jobs: (\{.*\})/.exec(r.stderr)![1]!);
    expect(stats.workers).toBeGreaterThan(0);
    expect(stats.own).toBe(0);
    expect(norm(r.stdout)).toBe(norm(kseg(['verify', local, '--json']).stdout));
  });

  it('a missing prefix names the s3:// URL (exit 1); writing commands refuse s3:// (exit 2)', () => {
    const r = run(['txn', s3('logdir/nope-0'), '--json']);
    expect(r.status, r.stderr).toBe(1);
    expect(r.stderr).toContain(s3('logdir/nope-0'));
    expect(r.stderr).not.toMatch(/\n\s+at /);
    // (truncate has no --endpoint: it never reads s3://; KSEG_S3_ENDPOINT still applies)
    const w = kseg(['truncate', s3('logdir/v2-multiseg-0'), '--to-offset', '10', '--yes'], { env: { ...server.env, KSEG_S3_ENDPOINT: server.endpoint } });
    expect(w.status).toBe(2);
    expect(w.stderr).toContain('read-only');
  });
});
