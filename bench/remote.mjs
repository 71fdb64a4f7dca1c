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
  await server.upload(dir, BUCKET, `a/${path.basename(dir)}/`);
  return { server, url: `s3://${BUCKET}/a/${path.basename(dir)}` };
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
}
