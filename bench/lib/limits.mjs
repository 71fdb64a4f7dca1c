#!/usr/bin/env node
// The limits bench/run.mjs compares kseg's commands with, each measured in its own node process:
//
//   node bench/lib/limits.mjs crc FILE...          every byte through CRC-32C over the windows kseg's
//                                                  own reader hands out, with every CRC-32C
//                                                  implementation and reader that loads here; the
//                                                  fastest combination is the verify limit
//   node bench/lib/limits.mjs decompress FILE...   the codec libraries alone on every compressed v2
//                                                  batch payload of the files (payloads are located
//                                                  first, untimed; only the decompress calls are timed)
//   node bench/lib/limits.mjs write BYTES FILE     sequential 4 MiB writes + fsync: the generate limit
//   node bench/lib/limits.mjs crc2 FILE...         the verify limit's work split in two halves, each in
//                                                  its own worker thread started together: what two
//                                                  threads of this machine can do at all (issue 17's
//                                                  scaling: the ceiling of verify --jobs 2 and scan)
//
// Prints one JSON line: {seconds (the timed loop only), bytes, ...}. The environment decides the
// paths exactly as it does for kseg (KSEG_NO_NATIVE=1, KSEG_READER=pread).
import fs from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';
import { createRequire } from 'node:module';
import { fileURLToPath, pathToFileURL } from 'node:url';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const DIST = path.join(ROOT, 'dist');
const require = createRequire(path.join(ROOT, 'package.json'));
const load = (rel) => import(pathToFileURL(path.join(DIST, rel)).href);
const now = () => process.hrtime.bigint();
const secs = (t0) => Number(now() - t0) / 1e9;

async function crcLimit(files) {
  const { openSource, readerKind } = await load('storage/source.js');
  const crcMod = await load('format/crc.js');
  // Every CRC-32C implementation that loads here (issue 17: the fastest differs between CPUs) and
  // both readers when mmap loads: the limit is the best of all paths, whatever kseg chose.
  const candidates = crcMod.crc32cCandidates ? crcMod.crc32cCandidates() : [{ id: 'default', name: crcMod.crcImplementations().crc32c, fn: crcMod.crc32c }];
  const readers = readerKind().startsWith('mmap') ? ['mmap', 'pread'] : ['pread'];
  if (files.length) openSource(files[0], { pattern: 'sequential' }).close(); // kseg's calibration (if any) outside the timing
  const CH = 16 * 1024 * 1024; // divides kseg's 64 MiB map windows: no read crosses a window
  let best = null;
  const paths = [];
  for (const reader of readers) {
    for (const c of candidates) {
      c.fn(Buffer.alloc(16)); // loaded outside the timed loop
      let bytes = 0;
      let x = 0;
      const t0 = now();
      for (const f of files) {
        const src = openSource(f, { pattern: 'sequential', reader: reader === 'pread' ? 'pread' : undefined });
        try {
          for (let p = 0; p < src.size; p += CH) {
            const n = Math.min(CH, src.size - p);
            x ^= c.fn(src.read(p, n));
            bytes += n;
          }
        } finally {
          src.close();
        }
      }
      const seconds = secs(t0);
      paths.push({ reader, crc32c: c.name, seconds });
      if (!best || seconds < best.seconds) best = { seconds, bytes, checksum: x >>> 0, reader: reader === 'pread' ? 'positional reads' : readerKind(), crc32c: c.name };
    }
  }
  return { ...best, paths };
}

/** Every compressed v2 batch payload of the files as views, with its codec id. */
async function payloads(files) {
  const { openSource } = await load('storage/source.js');
  const out = [];
  let bytes = 0;
  let legacy = 0;
  for (const f of files) {
    const src = openSource(f, { pattern: 'sequential' });
    bytes += src.size;
    for (let pos = 0; pos + 17 <= src.size;) {
      const h = src.read(pos, 17);
      const size = 12 + h.readInt32BE(8);
      if (size < 26 || pos + size > src.size) break;
      if (h[16] === 2) {
        const b = src.read(pos, size);
        const codec = b.readInt16BE(21) & 7;
        if (codec !== 0) out.push({ codec, data: b.subarray(61) });
      } else legacy++;
      pos += size;
    }
    // Left open: the payload views point into its windows (closing only drops resident pages).
  }
  return { list: out, bytes, legacy };
}

async function decompressLimit(files) {
  const { optionalNative } = await load('format/native.js');
  const { list, bytes, legacy } = await payloads(files);
  const snappy = require('snappy');
  const lz4 = require('lz4-napi');
  const zstdNapi = optionalNative('zstd-napi');
  const zstd = zstdNapi ?? require('fzstd');
  // copyOutputData: results in V8-accounted memory, collected without waiting for finalizers
  // (measured faster than the default external buffers here, as kseg uses it).
  const SNAPPY_OPTS = { asBuffer: true, copyOutputData: true };
  const XERIAL = Buffer.from([0x82, 0x53, 0x4e, 0x41, 0x50, 0x50, 0x59, 0x00]);
  const snappyFn = (d) => {
    if (d.length >= 16 && XERIAL.equals(d.subarray(0, 8))) {
      let n = 0;
      for (let p = 16; p + 4 <= d.length;) {
        const len = d.readUInt32BE(p);
        n += snappy.uncompressSync(d.subarray(p + 4, p + 4 + len), SNAPPY_OPTS).length;
        p += 4 + len;
      }
      return n;
    }
    return snappy.uncompressSync(d, SNAPPY_OPTS).length;
  };
  // lz4: kseg's LZ4 frame walk (a few header bytes per 64 KiB block; Kafka's magic-0 frames carry
  // a wrong header checksum that general frame decoders reject) over lz4-napi's block decoder —
  // measured faster here than lz4-napi's own decompressFrameSync.
  const { lz4Decompress } = await load('format/codecs.js');
  const lz4Name = 'lz4-napi blocks (kseg frame walk)';
  const lz4Fn = (d) => lz4Decompress(d, 2).length;
  void lz4;
  const fns = {
    1: (d) => zlib.gunzipSync(d).length,
    2: snappyFn,
    3: lz4Fn,
    4: zstdNapi ? (d) => zstd.decompress(d).length : (d) => zstd.decompress(d).length,
  };
  const names = { 1: 'zlib gunzipSync', 2: 'snappy uncompressSync (copyOutputData)', 3: lz4Name, 4: zstdNapi ? 'zstd-napi' : 'fzstd' };
  const codecs = [...new Set(list.map((p) => p.codec))];
  let outBytes = 0;
  let payloadBytes = 0;
  // napi libraries (snappy, lz4-napi) hand back buffers whose memory is released by finalizers that
  // run only when the event loop turns: yield every 64 MiB of output, as a streaming reader would.
  const YIELD = 64 * 1024 * 1024;
  let nextYield = YIELD;
  const t0 = now();
  for (const p of list) {
    outBytes += fns[p.codec](p.data);
    payloadBytes += p.data.length;
    if (outBytes >= nextYield) {
      nextYield = outBytes + YIELD;
      await new Promise((resolve) => setImmediate(resolve));
    }
  }
  const seconds = secs(t0);
  return { seconds, bytes, payloads: list.length, payloadBytes, outBytes, legacyBatches: legacy, codecs: codecs.map((c) => names[c]) };
}

function writeLimit(bytes, file) {
  const CHUNK = 4 * 1024 * 1024;
  const buf = Buffer.alloc(CHUNK, 0x5a);
  const t0 = now();
  const fd = fs.openSync(file, 'w');
  for (let left = bytes; left > 0;) {
    const n = Math.min(left, CHUNK);
    let done = 0;
    while (done < n) done += fs.writeSync(fd, buf, done, n - done);
    left -= n;
  }
  fs.fsyncSync(fd);
  fs.closeSync(fd);
  const seconds = secs(t0);
  fs.rmSync(file, { force: true });
  return { seconds, bytes };
}

/**
 * One half of crc2: the 16 MiB chunks [from, to) of the files (as crcLimit reads them, with kseg's
 * default reader and CRC-32C), timed from the main thread's go signal.
 */
async function crcHalf({ files, from, to }, port) {
  const { openSource } = await load('storage/source.js');
  const { crc32c } = await load('format/crc.js');
  crc32c(Buffer.alloc(16));
  const CH = 16 * 1024 * 1024;
  const srcs = files.map((f) => openSource(f, { pattern: 'sequential' }));
  await new Promise((resolve) => {
    port.once('message', resolve);
    port.postMessage('ready');
  });
  const t0 = now();
  let x = 0;
  let bytes = 0;
  let k = 0;
  for (const src of srcs) {
    for (let p = 0; p < src.size; p += CH, k++) {
      if (k < from || k >= to) continue;
      const n = Math.min(CH, src.size - p);
      x ^= crc32c(src.read(p, n));
      bytes += n;
    }
    src.close();
  }
  port.postMessage({ seconds: secs(t0), bytes, checksum: x >>> 0 });
}

async function crc2Limit(files) {
  const { Worker } = await import('node:worker_threads');
  const { openSource, readerKind } = await load('storage/source.js');
  const { crcImplementations } = await load('format/crc.js');
  if (files.length) openSource(files[0], { pattern: 'sequential' }).close(); // kseg's calibration outside the timing
  const CH = 16 * 1024 * 1024;
  const chunks = files.reduce((n, f) => n + Math.ceil(fs.statSync(f).size / CH), 0);
  const halves = [
    [0, chunks >> 1],
    [chunks >> 1, chunks],
  ];
  const workers = halves.map(([from, to]) => new Worker(new URL(import.meta.url), { workerData: { files, from, to } }));
  const message = (w) => new Promise((resolve, reject) => (w.once('message', resolve), w.once('error', reject)));
  await Promise.all(workers.map(message)); // both loaded, files open
  const t0 = now();
  const done = workers.map(message);
  for (const w of workers) w.postMessage('go');
  const results = await Promise.all(done);
  const seconds = secs(t0);
  await Promise.all(workers.map((w) => w.terminate()));
  const bytes = results.reduce((n, r) => n + r.bytes, 0);
  return { seconds, bytes, threads: results.map((r) => r.seconds), reader: readerKind(), crc32c: crcImplementations().crc32c };
}

const { isMainThread, workerData, parentPort } = await import('node:worker_threads');
const [op, ...rest] = isMainThread ? process.argv.slice(2) : ['half'];
let result;
if (op === 'half') {
  await crcHalf(workerData, parentPort);
  process.exit(0);
}
if (op === 'crc') result = await crcLimit(rest);
else if (op === 'crc2') result = await crc2Limit(rest);
else if (op === 'decompress') result = await decompressLimit(rest);
else if (op === 'write') result = writeLimit(Number(rest[0]), rest[1]);
else {
  console.error('usage: limits.mjs crc FILE... | crc2 FILE... | decompress FILE... | write BYTES FILE');
  process.exit(2);
}
process.stdout.write(JSON.stringify(result) + '\n');
