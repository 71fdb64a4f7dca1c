#!/usr/bin/env node
// Throughput of `kseg generate` (uncompressed v2) as a ratio of a raw sequential write of the same
// number of bytes, both measured in the same run, on the same file system, each ending with fsync.
//
//   npm run build && node bench/generate.mjs [MiB=512] [--rounds N] [--value-size MIN-MAX] [--records-per-batch MIN-MAX] [--dir DIR]
//
// Two record sizes by default: values of 100-1000 bytes (typical messages; the >= 50 % target is
// checked on these) and 20-200 bytes (generate's default, where per-record work dominates).
// `--value-size` runs one size only. Each round runs generate then the raw write; the best of
// each is reported (the least disturbed by other work on the machine).
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const args = process.argv.slice(2);
const flag = (name, def) => {
  const i = args.indexOf(name);
  if (i < 0) return def;
  const v = args[i + 1];
  args.splice(i, 2);
  return v;
};
const range = (s) => {
  const [a, b] = s.split('-').map(Number);
  return { min: a, max: b ?? a };
};
const rounds = Number(flag('--rounds', '2'));
const valueSizeFlag = flag('--value-size', null);
const sizes = valueSizeFlag ? [range(valueSizeFlag)] : [range('100-1000'), range('20-200')];
const recordsPerBatch = range(flag('--records-per-batch', '1-20'));
const baseDir = flag('--dir', os.tmpdir());
const mib = Number(args[0] ?? 512);
if (!Number.isFinite(mib) || mib <= 0 || !Number.isInteger(rounds) || rounds < 1) {
  console.error('usage: node bench/generate.mjs [MiB=512] [--rounds N] [--value-size MIN-MAX] [--records-per-batch MIN-MAX] [--dir DIR]');
  process.exit(2);
}

let generate;
try {
  ({ generate } = await import(path.join(ROOT, 'dist', 'ops', 'generate.js')));
} catch {
  console.error('bench/generate.mjs: dist/ is missing or stale; run `npm run build` first');
  process.exit(2);
}

const CHUNK = 4 * 1024 * 1024; // the generator's write buffer
const work = fs.mkdtempSync(path.join(baseDir, 'kseg-bench-'));
const fmt = (bytes, secs) => `${(bytes / secs / 1e6).toFixed(0).padStart(5)} MB/s`;

/** fs.writeSync of CHUNK-sized buffers, then fsync: the ceiling for any writer of these bytes. */
function rawWrite(bytes) {
  const file = path.join(work, 'raw.bin');
  const buf = Buffer.alloc(CHUNK, 0x5a);
  const t0 = performance.now();
  const fd = fs.openSync(file, 'w');
  let left = bytes;
  while (left > 0) {
    const n = Math.min(left, CHUNK);
    let done = 0;
    while (done < n) done += fs.writeSync(fd, buf, done, n - done);
    left -= n;
  }
  fs.fsyncSync(fd);
  fs.closeSync(fd);
  const secs = (performance.now() - t0) / 1000;
  fs.rmSync(file);
  return secs;
}

async function generateOnce(valueSize) {
  const dir = path.join(work, 'topic-0');
  const t0 = performance.now();
  const s = await generate(dir, { bytes: mib * 1024 * 1024, compression: ['none'], valueSize, recordsPerBatch, seed: 1 });
  const secs = (performance.now() - t0) / 1000;
  fs.rmSync(dir, { recursive: true, force: true });
  return { secs, bytes: s.bytes, records: s.records, segments: s.segments };
}

try {
  console.log(`kseg generate vs raw sequential write: ${mib} MiB uncompressed v2, records-per-batch ${recordsPerBatch.min}-${recordsPerBatch.max}, ${rounds} round(s), in ${work}`);
  let verdict = null;
  for (const valueSize of sizes) {
    console.log(`value-size ${valueSize.min}-${valueSize.max}:`);
    let bestGen = null;
    let bestRaw = Infinity;
    for (let r = 1; r <= rounds; r++) {
      const g = await generateOnce(valueSize);
      const raw = rawWrite(g.bytes);
      console.log(
        `  round ${r}: generate ${g.secs.toFixed(2)} s ${fmt(g.bytes, g.secs)} (${g.records} records, ${g.segments} segment(s)); raw ${raw.toFixed(2)} s ${fmt(g.bytes, raw)}`,
      );
      if (!bestGen || g.secs < bestGen.secs) bestGen = g;
      bestRaw = Math.min(bestRaw, raw);
    }
    const ratio = bestRaw / bestGen.secs;
    console.log(
      `  best: generate ${fmt(bestGen.bytes, bestGen.secs)} (${(bestGen.records / bestGen.secs / 1e6).toFixed(2)} M records/s), raw write ${fmt(bestGen.bytes, bestRaw)}, ratio ${(ratio * 100).toFixed(0)} %`,
    );
    verdict ??= ratio;
  }
  console.log(`ratio generate/raw: ${(verdict * 100).toFixed(0)} % for value-size ${sizes[0].min}-${sizes[0].max} (target >= 50 %) ${verdict >= 0.5 ? 'ok' : 'BELOW TARGET'}`);
} finally {
  fs.rmSync(work, { recursive: true, force: true });
}
