// bench/run.mjs's `remote` item (issue 15): kseg on s3:// against s3rver on 127.0.0.1, started by
// the bench in a worker thread (test/s3-server.mjs; the bench's own thread blocks in spawnSync, the
// server's does not). Data set a (1 GiB, one segment) is uploaded once per run under
// s3://kseg-bench/a/none-0/. Rows: a lookup's bytes fetched (`--fetch-stats`) against the .log's
// size, and `dump --ndjson` from s3:// against the same dump of the local directory. s3rver serves
// from its own files through koa: the dump ratio measures kseg's remote path and that server
// together, not S3. Skipped with a note when s3rver (a dev dependency) is not installed.
import fs from 'node:fs';
import path from 'node:path';

const BUCKET = 'kseg-bench';

/** Start s3rver and upload the set's partition; null (and a note) without s3rver. */
export async function prepareRemote({ root, dir, note }) {
  const helper = path.join(root, 'test', 's3-server.mjs');
  if (!fs.existsSync(helper)) {
    note(null, 'remote: skipped: test/s3-server.mjs is missing (a source checkout is needed)');
    return null;
  }
  const { haveS3rver, startS3Server } = await import(helper);
  if (!(await haveS3rver())) {
    note(null, 'remote: skipped: s3rver is not installed (npm install: it is a dev dependency)');
    return null;
  }
  const server = await startS3Server([BUCKET]);
  const prefix = `a/${path.basename(dir)}/`;
  await server.upload(dir, BUCKET, prefix);
  // The limit: the same .log bytes fetched by the SDK alone in this process, in the 8 MiB ranged
  // GETs kseg's sequential reads use, one after the other (median of 3).
  const { S3Client, GetObjectCommand } = await import('@aws-sdk/client-s3');
  const client = new S3Client({ endpoint: server.endpoint, forcePathStyle: true, region: 'us-east-1', credentials: { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' } });
  const logs = fs.readdirSync(dir).filter((f) => f.endsWith('.log'));
  const times = [];
  for (let r = 0; r < 3; r++) {
    const t0 = process.hrtime.bigint();
    for (const f of logs) {
      const size = fs.statSync(path.join(dir, f)).size;
      for (let pos = 0; pos < size; pos += 8 * 1024 * 1024) {
        const out = await client.send(new GetObjectCommand({ Bucket: BUCKET, Key: prefix + f, Range: `bytes=${pos}-${Math.min(size, pos + 8 * 1024 * 1024) - 1}` }));
        for await (const chunk of out.Body) void chunk;
      }
    }
    times.push(Number(process.hrtime.bigint() - t0) / 1e9);
  }
  client.destroy();
  times.sort((a, b) => a - b);
  return { server, url: `s3://${BUCKET}/a/${path.basename(dir)}`, getSeconds: times[1] };
}

/** The rows (synchronous, like the other groups). */
export function groupRemote(pass, remote, { dir, logFiles, sizeOf, kseg, rounds, net, row, note, log, rssMax, cpuMed, lookups }) {
  if (!remote) return;
  const env = { ...pass.env, ...remote.server.env };
  const ep = ['--endpoint', remote.server.endpoint];
  const bytes = sizeOf(logFiles(dir));
  log(`\n[${pass.name}] data set a on s3rver (${remote.url}): a lookup's bytes fetched, dump --ndjson`);
  const fetched = [];
  const end = JSON.parse(kseg(['lookup', dir, '--timestamp', 'latest', '--json'], pass.env, { capture: true }).stdout).offset;
  for (let i = 0; i < lookups; i++) {
    const offset = Math.floor(((i + 0.5) * end) / lookups) + ((i * 7919) % 97);
    try {
      const r = kseg(['lookup', remote.url, '--offset', String(offset), '--fetch-stats', ...ep], env, { capture: true });
      const m = /kseg: s3: (\d+) requests, (\d+) bytes fetched/.exec(r.stderr);
      if (!m) throw new Error(`no --fetch-stats line on stderr: ${r.stderr.trim().split('\n').pop()}`);
      fetched.push(Number(m[2]));
    } catch (e) {
      note(pass, `remote lookup --offset ${offset}: ${e.message}`);
      break;
    }
  }
  if (fetched.length) {
    const worst = Math.max(...fetched);
    row(pass, {
      set: 'a',
      what: `lookup s3:// (s3rver): bytes fetched, worst of ${fetched.length}`,
      info: `${worst} B fetched of ${bytes} B of .log`,
      ratio: { value: bytes / worst, kind: 'times', of: 'fewer bytes than the .log', digits: 0 },
      target: { min: 100 },
    });
  }
  const s = rounds(pass, {
    local: () => kseg(['dump', dir, '--ndjson'], pass.env),
    remote: () => kseg(['dump', remote.url, '--ndjson', ...ep], env),
  });
  if (!s.local.length || !s.remote.length) return;
  const tl = net(pass, s.local);
  const tr = net(pass, s.remote);
  row(pass, { set: 'a', what: 'limit: the SDK alone GETting the .log bytes from s3rver in 8 MiB ranges', t: remote.getSeconds, bytes });
  row(pass, { set: 'a', what: 'dump --ndjson of the local directory', t: tl, bytes, rssMiB: rssMax(s.local), cpu: cpuMed(s.local) });
  row(pass, {
    set: 'a',
    what: 'dump --ndjson of s3:// (s3rver on 127.0.0.1)',
    t: tr,
    bytes,
    rssMiB: rssMax(s.remote),
    cpu: cpuMed(s.remote),
    ratio: { value: tl / tr, of: 'the local dump' },
  });
  row(pass, { set: 'a', what: 'dump --ndjson of s3:// vs the SDK alone', ratio: { value: remote.getSeconds / tr, of: "the SDK's ranged GETs alone" } });
}
