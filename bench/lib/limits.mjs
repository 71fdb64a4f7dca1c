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

const [op, ...rest] = process.argv.slice(2);
let result;
if (op === 'crc') result = await crcLimit(rest);
else if (op === 'decompress') result = await decompressLimit(rest);
else if (op === 'write') result = writeLimit(Number(rest[0]), rest[1]);
else {
  console.error('usage: limits.mjs crc FILE... | decompress FILE... | write BYTES FILE');
  process.exit(2);
}
process.stdout.write(JSON.stringify(result) + '\n');
