#!/usr/bin/env node
// Internal-topic decoding speed (issue 16): `kseg dump --ndjson` of a __consumer_offsets partition
// against plain `kseg dump --ndjson` of the same bytes under an ordinary topic name, measured in the
// same run. Target: decoded >= 50 % of plain throughput.
//
//   node bench/internal.mjs [--mib N] [--runs R]      (default 1024 MiB, 3 runs; needs npm run build)
//
// Data: bench/.data/internal/ (gitignored): offset commits (20 per batch, 97 groups, 13 topics,
// 50 partitions) written with the project's own encoder, reused while its size matches. The plain
// partition is a hard link of the same .log. Each run is a child process, stdout to /dev/null; the
// two commands alternate so machine noise hits both; medians are reported.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const args = process.argv.slice(2);
const arg = (name, dflt) => {
  const i = args.indexOf(name);
  return i >= 0 ? Number(args[i + 1]) : dflt;
};
const MIB = arg('--mib', 1024);
const RUNS = arg('--runs', 3);

const { encodeV2BatchSync } = await import(path.join(ROOT, 'dist', 'format', 'encode.js'));
const { encodeCoordinatorKey, encodeCoordinatorValue } = await import(path.join(ROOT, 'dist', 'format', 'kafka-messages', 'index.js'));

const DATA = path.join(ROOT, 'bench', '.data', 'internal');
const internalDir = path.join(DATA, '__consumer_offsets-0');
const plainDir = path.join(DATA, 'offsets-copy-0');
const log = path.join(internalDir, '00000000000000000000.log');
const stamp = path.join(DATA, 'params.json');
const params = JSON.stringify({ mib: MIB, v: 1 });

if (!fs.existsSync(stamp) || fs.readFileSync(stamp, 'utf8') !== params) {
  fs.rmSync(DATA, { recursive: true, force: true });
  fs.mkdirSync(internalDir, { recursive: true });
  fs.mkdirSync(plainDir, { recursive: true });
  const fd = fs.openSync(log, 'w');
  let offset = 0;
  let size = 0;
  const t0 = 1_700_000_000_000;
  while (size < MIB * 1048576) {
    const records = [];
    for (let i = 0; i < 20; i++) {
      const o = offset + i;
      records.push({
        offset: o,
        timestamp: t0 + o,
        key: encodeCoordinatorKey('offsets', 1, { group: `group-${o % 97}`, topic: `orders.events.v${o % 13}`, partition: o % 50 }),
        value: encodeCoordinatorValue('offsets', 1, 3, { offset: o * 7, leaderEpoch: 12, metadata: '', commitTimestamp: t0 + o }),
      });
    }
    const b = encodeV2BatchSync({ baseOffset: offset, records });
    fs.writeSync(fd, b);
    size += b.length;
    offset += 20;
  }
  fs.closeSync(fd);
  fs.linkSync(log, path.join(plainDir, '00000000000000000000.log'));
  fs.writeFileSync(stamp, params);
}

const bytes = fs.statSync(log).size;
const kseg = path.join(ROOT, 'bin', 'kseg.js');
const devnull = fs.openSync('/dev/null', 'w');
function time(dir) {
  const t = process.hrtime.bigint();
  const r = spawnSync(process.execPath, [kseg, 'dump', dir, '--ndjson'], { stdio: ['ignore', devnull, 'pipe'] });
  if (r.status !== 0) throw new Error(`kseg dump ${dir} exited ${r.status}: ${r.stderr}`);
  return Number(process.hrtime.bigint() - t) / 1e9;
}
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
spawnSync('cat', [log], { stdio: ['ignore', devnull, 'ignore'] });
const plain = [];
const decoded = [];
for (let i = 0; i < RUNS; i++) {
  plain.push(time(plainDir));
  decoded.push(time(internalDir));
}
const tp = median(plain);
const td = median(decoded);
const mbs = (t) => (bytes / 1e6 / t).toFixed(1);
const ratio = tp / td;
console.log(`data: ${(bytes / 1048576).toFixed(0)} MiB __consumer_offsets (OffsetCommit records, 20 per batch)`);
console.log(`plain   dump --ndjson  ${tp.toFixed(2)} s  ${mbs(tp)} MB/s`);
console.log(`decoded dump --ndjson  ${td.toFixed(2)} s  ${mbs(td)} MB/s`);
console.log(`ratio ${(ratio * 100).toFixed(0)} % of plain (target >= 50 %): ${ratio >= 0.5 ? 'PASS' : 'FAIL'}`);
