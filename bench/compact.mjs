#!/usr/bin/env node
// Benchmark: `compact` against `verify` on the same partition in the same run (issue 6 / 8:
// compact throughput >= 40 % of verify's), the peak resident memory of compact next to its
// --offset-map-bytes, and `rebuild-index` against `verify` on a 1 GiB partition (issue 8: >= 60 %).
//
//   node bench/compact.mjs [--records 2000000] [--keys 200000] [--records-per-batch 10]
//                          [--value-size 100] [--segment-bytes 64m] [--offset-map-bytes 128m]
//                          [--runs 3] [--data DIR] [--regenerate] [--json]
//                          [--no-rebuild | --rebuild-only]
//
// rebuild-index data: `kseg generate --records 1000000 --records-per-batch 200 --value-size 1000
// --segment-bytes 256m` (1 GiB of uncompressed v2), measured twice: with the indexes in place (the
// rebuilt ones are compared, nothing is written) and with .index/.timeindex deleted (rebuilt and
// written) — on a directory of hard links to the .log files, so no copy is timed or needed.
//
// Data: uncompressed v2, keys key-000000.. drawn from --keys distinct ones, written once into
// bench/.data/ (gitignored) by `kseg generate`, reused while the parameters match. Every timed
// compaction works on a fresh copy (compaction rewrites the directory); copies are not timed.
//
// Each measurement runs in its own child process (node + the built dist/), timed inside the child
// around the call only, with `process.resourceUsage().maxRSS` read at the end: verify, then
// compact, alternating, after one untimed pass of each to warm the page cache. A child that only
// loads the modules gives the baseline RSS; "compact RSS above baseline" is what compaction itself
// used. Throughput = .log bytes of the input / seconds. Needs only node and `npm run build`.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const DIST = path.join(ROOT, 'dist');
const KSEG = path.join(ROOT, 'bin', 'kseg.js');

function parseSize(s) {
  const m = /^(\d+(?:\.\d+)?)\s*([kmg]?)i?b?$/i.exec(String(s).trim());
  if (!m) throw new Error(`not a size: ${s}`);
  return Math.round(Number(m[1]) * { '': 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3 }[m[2].toLowerCase()]);
}

function args(argv) {
  const o = {
    records: 2_000_000,
    keys: 200_000,
    recordsPerBatch: 10,
    valueSize: 100,
    segmentBytes: '64m',
    offsetMapBytes: '128m',
    runs: 3,
    dir: null,
    regenerate: false,
    json: false,
    compact: true,
    rebuild: true,
  };
  for (let i = 2; i < argv.length; i++) {
    const a = argv[i];
    const next = () => argv[++i];
    if (a === '--records') o.records = Number(next());
    else if (a === '--keys') o.keys = Number(next());
    else if (a === '--records-per-batch') o.recordsPerBatch = Number(next());
    else if (a === '--value-size') o.valueSize = Number(next());
    else if (a === '--segment-bytes') o.segmentBytes = next();
    else if (a === '--offset-map-bytes') o.offsetMapBytes = next();
    else if (a === '--runs') o.runs = Math.max(1, Number(next()));
    else if (a === '--data') o.dir = next();
    else if (a === '--regenerate') o.regenerate = true;
    else if (a === '--json') o.json = true;
    else if (a === '--no-rebuild') o.rebuild = false;
    else if (a === '--rebuild-only') o.compact = false;
    else if (a === '-h' || a === '--help') {
      console.log(
        'usage: node bench/compact.mjs [--records 2000000] [--keys 200000] [--records-per-batch 10] [--value-size 100] [--segment-bytes 64m] [--offset-map-bytes 128m] [--runs 3] [--data DIR] [--regenerate] [--json] [--no-rebuild | --rebuild-only]',
      );
      process.exit(0);
    } else throw new Error(`unknown option ${a}`);
  }
  return o;
}

// ------------------------------------------------------------------ data

function ensureData(o) {
  const tag = `compact-${o.records}-${o.keys}-${o.recordsPerBatch}-${o.valueSize}-${o.segmentBytes}`;
  const dir = o.dir ?? path.join(ROOT, 'bench', '.data', tag, 'bench-0');
  const stamp = path.join(path.dirname(dir), 'params.json');
  const params = JSON.stringify({ records: o.records, keys: o.keys, recordsPerBatch: o.recordsPerBatch, valueSize: o.valueSize, segmentBytes: o.segmentBytes });
  if (!o.regenerate && fs.existsSync(stamp) && fs.readFileSync(stamp, 'utf8') === params && fs.existsSync(dir)) return { dir, generated: false };
  fs.rmSync(path.dirname(dir), { recursive: true, force: true });
  fs.mkdirSync(path.dirname(dir), { recursive: true });
  const t = Date.now();
  const r = spawnSync(
    process.execPath,
    [
      KSEG,
      'generate',
      dir,
      '--records',
      String(o.records),
      '--key-space',
      String(o.keys),
      '--records-per-batch',
      String(o.recordsPerBatch),
      '--value-size',
      String(o.valueSize),
      '--compression',
      'none',
      '--segment-bytes',
      String(parseSize(o.segmentBytes)),
      '--no-fsync',
      '--force',
    ],
    { stdio: ['ignore', 'ignore', 'inherit'] },
  );
  if (r.status !== 0) throw new Error(`kseg generate failed (exit ${r.status}); run "npm run build" first`);
  fs.writeFileSync(stamp, params);
  if (!o.json) console.error(`generated ${o.records} records over ${o.keys} keys in ${dir} (${((Date.now() - t) / 1000).toFixed(1)} s)`);
  return { dir, generated: true };
}

const REBUILD = { records: 1_000_000, recordsPerBatch: 200, valueSize: 1000, segmentBytes: '256m' };

function ensureRebuildData(o) {
  const tag = `rebuild-${REBUILD.records}-${REBUILD.recordsPerBatch}-${REBUILD.valueSize}-${REBUILD.segmentBytes}`;
  const dir = path.join(ROOT, 'bench', '.data', tag, 'rebuild-0');
  const stamp = path.join(path.dirname(dir), 'params.json');
  const params = JSON.stringify(REBUILD);
  if (!o.regenerate && fs.existsSync(stamp) && fs.readFileSync(stamp, 'utf8') === params && fs.existsSync(dir)) return dir;
  fs.rmSync(path.dirname(dir), { recursive: true, force: true });
  fs.mkdirSync(path.dirname(dir), { recursive: true });
  const r = spawnSync(
    process.execPath,
    [
      KSEG,
      'generate',
      dir,
      '--records',
      String(REBUILD.records),
      '--records-per-batch',
      String(REBUILD.recordsPerBatch),
      '--value-size',
      String(REBUILD.valueSize),
      '--compression',
      'none',
      '--segment-bytes',
      String(parseSize(REBUILD.segmentBytes)),
      '--no-fsync',
      '--force',
    ],
    { stdio: ['ignore', 'ignore', 'inherit'] },
  );
  if (r.status !== 0) throw new Error(`kseg generate failed (exit ${r.status}); run "npm run build" first`);
  fs.writeFileSync(stamp, params);
  return dir;
}

/** A directory of hard links to `src`'s files without its .index/.timeindex files. */
function linkWithoutIndexes(src, dst) {
  fs.rmSync(dst, { recursive: true, force: true });
  fs.mkdirSync(dst, { recursive: true });
  for (const f of fs.readdirSync(src)) {
    if (f.endsWith('.index') || f.endsWith('.timeindex')) continue;
    fs.linkSync(path.join(src, f), path.join(dst, f));
  }
}

function dropIndexes(dir) {
  for (const f of fs.readdirSync(dir)) if (f.endsWith('.index') || f.endsWith('.timeindex')) fs.rmSync(path.join(dir, f));
}

// ------------------------------------------------------------------ child measurements

/** One operation in a fresh node process; prints {seconds, maxRssBytes, ...} as JSON. */
const CHILD = `
const [op, dir, mapBytes, dist] = process.argv.slice(1);
const url = (p) => new URL('file://' + dist + '/' + p).href;
const t0 = process.hrtime.bigint();
let out = {};
if (op === 'verify') {
  const { verify } = await import(url('ops/verify/index.js'));
  const s = process.hrtime.bigint();
  const r = verify([dir]);
  out = { seconds: Number(process.hrtime.bigint() - s) / 1e9, ok: r.ok, errors: r.errors, records: r.summary.records };
} else if (op === 'compact') {
  const { compact } = await import(url('ops/compact.js'));
  const s = process.hrtime.bigint();
  const r = await compact(dir, { offsetMapBytes: Number(mapBytes), now: 1700000000000, force: true });
  out = { seconds: Number(process.hrtime.bigint() - s) / 1e9, rounds: r.rounds.length, mapKeys: r.rounds.map((x) => x.mapKeys), mapBytesUsed: Math.max(0, ...r.rounds.map((x) => x.mapBytesUsed ?? 0)), recordsIn: r.totals.recordsIn, recordsOut: r.totals.recordsOut, bytesIn: r.totals.bytesIn, bytesOut: r.totals.bytesOut, before: r.before, after: r.after };
} else if (op === 'rebuild') {
  const { rebuildIndex } = await import(url('ops/rebuild-index.js'));
  const s = process.hrtime.bigint();
  const r = rebuildIndex(dir, { force: true });
  out = { seconds: Number(process.hrtime.bigint() - s) / 1e9, differences: r.differences, changed: r.changed.length };
} else {
  await import(url('ops/rebuild-index.js'));
  await import(url('ops/compact.js'));
  await import(url('ops/verify/index.js'));
}
out.maxRssBytes = process.resourceUsage().maxRSS * 1024;
out.totalSeconds = Number(process.hrtime.bigint() - t0) / 1e9;
process.stdout.write(JSON.stringify(out));
`;

function child(op, dir, mapBytes) {
  const r = spawnSync(process.execPath, ['--input-type=module', '-e', CHILD, op, dir, String(mapBytes), DIST], { encoding: 'utf8', maxBuffer: 1 << 24 });
  if (r.status !== 0) throw new Error(`${op} child failed (exit ${r.status}): ${r.stderr.trim().split('\n').slice(-3).join(' | ')}`);
  return JSON.parse(r.stdout);
}

function copyDir(src, dst) {
  fs.rmSync(dst, { recursive: true, force: true });
  fs.mkdirSync(dst, { recursive: true });
  for (const f of fs.readdirSync(src)) fs.copyFileSync(path.join(src, f), path.join(dst, f));
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const best = (xs) => Math.max(...xs);
const mib = (b) => `${(b / 1024 ** 2).toFixed(1)} MiB`;

/** compact vs verify on the compaction data. */
function benchCompact(o, mapBytes, baseline) {
  const { dir } = ensureData(o);
  const logBytes = fs
    .readdirSync(dir)
    .filter((f) => f.endsWith('.log'))
    .reduce((n, f) => n + fs.statSync(path.join(dir, f)).size, 0);
  const segments = fs.readdirSync(dir).filter((f) => f.endsWith('.log')).length;
  const work = path.join(path.dirname(dir), 'work', path.basename(dir));

  // Untimed: page cache, a check that the data verifies.
  const check = child('verify', dir, mapBytes);
  if (!check.ok) throw new Error(`the bench data does not verify (${check.errors} errors)`);
  copyDir(dir, work);
  child('compact', work, mapBytes);

  const v = [];
  const c = [];
  let last = null;
  for (let r = 0; r < o.runs; r++) {
    v.push(child('verify', dir, mapBytes));
    copyDir(dir, work);
    last = child('compact', work, mapBytes);
    c.push(last);
  }
  const after = child('verify', work, mapBytes);
  if (!after.ok) throw new Error(`the compacted partition does not verify (${after.errors} errors)`);
  fs.rmSync(path.dirname(work), { recursive: true, force: true });

  const vMBs = v.map((x) => logBytes / x.seconds / 1e6);
  const cMBs = c.map((x) => logBytes / x.seconds / 1e6);
  const ratio = { best: best(cMBs) / best(vMBs), median: median(cMBs) / median(vMBs) };
  const peak = Math.max(...c.map((x) => x.maxRssBytes));
  const mapUsed = Math.max(...c.map((x) => x.mapBytesUsed ?? 0));
  const above = peak - baseline.maxRssBytes;
  return {
    data: {
      dir: path.relative(ROOT, dir),
      segments,
      logBytes,
      records: check.records,
      keys: o.keys,
      recordsPerBatch: o.recordsPerBatch,
      valueSize: o.valueSize,
      compression: 'none',
    },
    runs: o.runs,
    mbPerSecond: { verify: { best: best(vMBs), median: median(vMBs) }, compact: { best: best(cMBs), median: median(cMBs) } },
    recordsPerSecond: { verify: median(v.map((x) => check.records / x.seconds)), compact: median(c.map((x) => check.records / x.seconds)) },
    compactVsVerify: ratio,
    target: 0.4,
    meetsTarget: ratio.median >= 0.4,
    compaction: {
      rounds: last.rounds,
      mapKeys: last.mapKeys,
      recordsIn: last.recordsIn,
      recordsOut: last.recordsOut,
      bytesIn: last.bytesIn,
      bytesOut: last.bytesOut,
      after: last.after,
      verifiesClean: after.ok,
    },
    // The map is one table of --offset-map-bytes, but only the part it probes is ever touched
    // (and resident): compare what the run added to the baseline with that part, not the flag.
    memory: {
      offsetMapBytes: mapBytes,
      mapBytesUsed: mapUsed,
      compactPeakRss: peak,
      baselineRss: baseline.maxRssBytes,
      compactAboveBaseline: above,
      aboveBaselineBesidesMap: above - mapUsed,
      boundedByMapPlus64MiB: above <= mapBytes + 64 * 1024 * 1024,
      verifyPeakRss: Math.max(...v.map((x) => x.maxRssBytes)),
    },
  };
}

/** rebuild-index vs verify on the 1 GiB partition: indexes present (compare) and deleted (rebuild + write). */
function benchRebuild(o, mapBytes) {
  const dir = ensureRebuildData(o);
  const logBytes = fs
    .readdirSync(dir)
    .filter((f) => f.endsWith('.log'))
    .reduce((n, f) => n + fs.statSync(path.join(dir, f)).size, 0);
  const work = path.join(path.dirname(dir), 'work');
  linkWithoutIndexes(dir, work);
  const check = child('verify', dir, mapBytes);
  if (!check.ok) throw new Error(`the rebuild-index bench data does not verify (${check.errors} errors)`);
  child('rebuild', work, mapBytes);
  const v = [];
  const same = [];
  const fresh = [];
  for (let r = 0; r < o.runs; r++) {
    v.push(child('verify', dir, mapBytes));
    same.push(child('rebuild', dir, mapBytes));
    dropIndexes(work);
    fresh.push(child('rebuild', work, mapBytes));
  }
  const after = child('verify', work, mapBytes);
  if (!after.ok) throw new Error(`the rebuilt indexes do not verify (${after.errors} errors)`);
  if (same.some((x) => x.differences !== 0)) throw new Error('rebuild-index found differences in freshly generated indexes');
  fs.rmSync(work, { recursive: true, force: true });
  const mbs = (xs) => xs.map((x) => logBytes / x.seconds / 1e6);
  const vM = mbs(v);
  const sM = mbs(same);
  const fM = mbs(fresh);
  return {
    data: { dir: path.relative(ROOT, dir), logBytes, records: check.records, ...REBUILD },
    runs: o.runs,
    mbPerSecond: {
      verify: { best: best(vM), median: median(vM) },
      rebuildCompare: { best: best(sM), median: median(sM) },
      rebuildWrite: { best: best(fM), median: median(fM) },
    },
    rebuildVsVerify: { compare: median(sM) / median(vM), write: median(fM) / median(vM) },
    target: 0.6,
    meetsTarget: Math.min(median(sM), median(fM)) / median(vM) >= 0.6,
    peakRss: { verify: Math.max(...v.map((x) => x.maxRssBytes)), rebuild: Math.max(...same.concat(fresh).map((x) => x.maxRssBytes)) },
  };
}

function main() {
  const o = args(process.argv);
  if (!fs.existsSync(path.join(DIST, 'ops', 'compact.js'))) {
    console.error('bench/compact.mjs: dist/ops/compact.js is missing; run "npm run build" first');
    process.exit(2);
  }
  const mapBytes = parseSize(o.offsetMapBytes);
  // The RSS of a process that only loads kseg's modules.
  const baseline = child('load', ROOT, mapBytes);
  const out = {
    compact: o.compact ? benchCompact(o, mapBytes, baseline) : null,
    rebuildIndex: o.rebuild ? benchRebuild(o, mapBytes) : null,
    machine: { node: process.version, cpus: os.cpus().length, cpu: os.cpus()[0]?.model ?? '' },
  };
  if (o.json) {
    console.log(JSON.stringify(out, null, 2));
    return;
  }
  const f = (x) => x.toFixed(1).padStart(8);
  const p = (x) => `${(x * 100).toFixed(0)} %`;
  const c = out.compact;
  if (c) {
    const m = c.memory;
    const last = c.compaction;
    console.log(
      `compact benchmark: ${c.data.records} records over ${o.keys} keys, ${c.data.segments} segments, ${mib(c.data.logBytes)} uncompressed v2, ${o.runs} rounds, warm page cache, node ${process.version}`,
    );
    console.log(
      `compaction: ${last.rounds} round(s), ${last.recordsIn} -> ${last.recordsOut} records below the active segment, ${mib(last.bytesIn)} -> ${mib(last.bytesOut)}; result verifies clean: ${last.verifiesClean}`,
    );
    console.log('');
    console.log('              best MB/s  median MB/s');
    console.log(`verify        ${f(c.mbPerSecond.verify.best)}    ${f(c.mbPerSecond.verify.median)}`);
    console.log(`compact       ${f(c.mbPerSecond.compact.best)}    ${f(c.mbPerSecond.compact.median)}`);
    console.log('');
    console.log(`compact / verify: ${p(c.compactVsVerify.best)} best, ${p(c.compactVsVerify.median)} median   (target >= 40 %: ${c.meetsTarget ? 'met' : 'NOT met'})`);
    console.log(
      `memory: compact peak RSS ${mib(m.compactPeakRss)} = baseline ${mib(m.baselineRss)} (kseg loaded) + ${mib(m.compactAboveBaseline)}; ` +
        `of that the offset map used ${mib(m.mapBytesUsed)} (of --offset-map-bytes ${mib(m.offsetMapBytes)}; it touches only the part it probes), the rest ${mib(m.aboveBaselineBesidesMap)}; ` +
        `within --offset-map-bytes + 64 MiB: ${m.boundedByMapPlus64MiB ? 'yes' : 'NO'}; verify peak RSS ${mib(m.verifyPeakRss)}`,
    );
  }
  const r = out.rebuildIndex;
  if (r) {
    if (c) console.log('');
    console.log(
      `rebuild-index benchmark: ${r.data.records} records, ${r.data.recordsPerBatch}-record batches of ${r.data.valueSize}-byte values, ${mib(r.data.logBytes)} uncompressed v2, ${o.runs} rounds`,
    );
    console.log('                                   best MB/s  median MB/s');
    console.log(`verify                             ${f(r.mbPerSecond.verify.best)}    ${f(r.mbPerSecond.verify.median)}`);
    console.log(`rebuild-index (indexes present)    ${f(r.mbPerSecond.rebuildCompare.best)}    ${f(r.mbPerSecond.rebuildCompare.median)}`);
    console.log(`rebuild-index (indexes deleted)    ${f(r.mbPerSecond.rebuildWrite.best)}    ${f(r.mbPerSecond.rebuildWrite.median)}`);
    console.log(
      `rebuild-index / verify: ${p(r.rebuildVsVerify.compare)} (compare), ${p(r.rebuildVsVerify.write)} (rebuild and write), medians   (target >= 60 %: ${r.meetsTarget ? 'met' : 'NOT met'}); peak RSS ${mib(r.peakRss.rebuild)} (verify ${mib(r.peakRss.verify)})`,
    );
  }
}

try {
  main();
} catch (e) {
  console.error(`bench/compact.mjs: ${e.message}`);
  process.exit(1);
}
