/**
 * Seed partitions for the fuzz harness: small partitions of every message format and codec written
 * by kseg's own generator (in process, cached on disk by a version key so restarted fuzz workers
 * do not regenerate them), plus every partition of fixtures/ (written by an independent
 * implementation). Each seed is held in memory as name -> bytes.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { generate, type GenerateOptions } from '../../src/ops/generate.js';
import type { FileKind } from './mutate.js';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
export const FIXTURES = path.join(ROOT, 'fixtures');

export interface SeedPartition {
  name: string;
  /** Written by kseg's generator (small) rather than taken from fixtures/. */
  generated: boolean;
  /** Directory name the partition is materialised under (internal topics are chosen by name). */
  dirName: string;
  files: Map<string, Buffer>;
}

/** Generated seeds: small, several segments, index entries every few hundred bytes. */
const GENERATED: [string, Partial<GenerateOptions>][] = [
  ['gen-v2-none', { magic: 2, compression: ['none'], headers: 2, tombstoneRatio: 0.2 }],
  ['gen-v2-gzip', { magic: 2, compression: ['gzip'] }],
  ['gen-v2-snappy', { magic: 2, compression: ['snappy', 'snappy-xerial'] }],
  ['gen-v2-lz4', { magic: 2, compression: ['lz4'] }],
  ['gen-v2-zstd', { magic: 2, compression: ['zstd'] }],
  ['gen-v2-mixed-txn', { magic: 2, compression: ['none', 'gzip', 'zstd', 'lz4', 'snappy'], transactions: true, abortRatio: 0.5, leaderEpochs: 3 }],
  ['gen-v2-idempotent-per-append', { magic: 2, compression: ['none', 'lz4'], idempotent: true, layout: 'per-append', timestampType: 'LogAppendTime' }],
  ['gen-v2-high-offset', { magic: 2, compression: ['none'], startOffset: 2 ** 40, timestampJitter: 5000 }],
  ['gen-v1-none', { magic: 1, compression: ['none'] }],
  ['gen-v1-codecs', { magic: 1, compression: ['gzip', 'snappy', 'lz4'], timestampType: 'LogAppendTime' }],
  ['gen-v0-none', { magic: 0, compression: ['none'] }],
  ['gen-v0-codecs', { magic: 0, compression: ['gzip', 'snappy'] }],
];

/** Generated once per machine (bump the version when GENERATED changes); delete it to regenerate. */
const CACHE = path.join(os.tmpdir(), 'kseg-fuzz-seeds-v1');

export function kindOf(name: string): FileKind {
  if (name.endsWith('.log')) return 'log';
  if (name.endsWith('.timeindex')) return 'timeindex';
  if (name.endsWith('.txnindex')) return 'txnindex';
  if (name.endsWith('.index')) return 'index';
  if (name.endsWith('.snapshot')) return 'snapshot';
  return 'text';
}

function readDir(dir: string): Map<string, Buffer> {
  const m = new Map<string, Buffer>();
  for (const f of fs.readdirSync(dir).sort()) {
    const p = path.join(dir, f);
    if (fs.statSync(p).isFile()) m.set(f, fs.readFileSync(p));
  }
  return m;
}

async function generated(name: string, o: Partial<GenerateOptions>, seed: number): Promise<SeedPartition> {
  const dir = path.join(CACHE, name, 'topic-0');
  if (!fs.existsSync(path.join(CACHE, name, '.done'))) {
    const tmp = path.join(CACHE, `${name}.${process.pid}.tmp`);
    fs.rmSync(tmp, { recursive: true, force: true });
    fs.mkdirSync(tmp, { recursive: true });
    await generate(path.join(tmp, 'topic-0'), {
      records: 80,
      recordsPerBatch: { min: 1, max: 6 },
      segmentBytes: 2500,
      indexIntervalBytes: 300,
      keySpace: 12,
      valueSize: { min: 4, max: 60 },
      seed,
      fsync: false,
      ...o,
    });
    fs.writeFileSync(path.join(tmp, '.done'), '');
    try {
      // complete (with .done) or absent: a process that lost the race keeps the winner's copy
      fs.renameSync(tmp, path.join(CACHE, name));
    } catch {
      fs.rmSync(tmp, { recursive: true, force: true });
    }
  }
  return { name, generated: true, dirName: 'topic-0', files: readDir(dir) };
}

/** Keep the side files and the first `n` segments (commands run faster on small partitions). */
function firstSegments(files: Map<string, Buffer>, n: number): Map<string, Buffer> {
  const bases = [...new Set([...files.keys()].filter((f) => f.endsWith('.log')).map((f) => f.slice(0, 20)))].sort();
  const keep = new Set(bases.slice(0, n));
  return new Map([...files].filter(([f]) => !/^\d{20}\./.test(f) || keep.has(f.slice(0, 20))));
}

let cached: SeedPartition[] | null = null;

/** All seed partitions, in a fixed order (the order is part of what makes an input reproducible). */
export async function loadSeeds(): Promise<SeedPartition[]> {
  if (cached) return cached;
  const out: SeedPartition[] = [];
  let seed = 11;
  for (const [name, o] of GENERATED) out.push(await generated(name, o, seed++));
  for (const c of fs.readdirSync(FIXTURES).sort()) {
    const dir = path.join(FIXTURES, c, 'topic-0');
    if (fs.existsSync(dir)) out.push({ name: `fixture-${c}`, generated: false, dirName: 'topic-0', files: firstSegments(readDir(dir), 2) });
  }
  cached = out;
  return out;
}
