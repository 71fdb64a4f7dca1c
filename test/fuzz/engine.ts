/**
 * One fuzz input from (run seed, input number), and running it. Shared by the worker process that
 * runs inputs and the parent that re-creates an input to save it after a hang or a crash.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { KsegError } from '../../src/format/errors.js';
import { exitCodeFor } from '../../src/cli/exit-codes.js';
import { frames, mix, mutate, mutateText, Rng, type FileKind, type Mutation } from './mutate.js';
import { kindOf, loadSeeds, ROOT, type SeedPartition } from './seeds.js';
import { IN_MEMORY, TARGETS, targetsFor, type FuzzCase } from './targets.js';

export const CORPUS = path.join(ROOT, 'test', 'fuzz', 'corpus');

export interface ReaderSetting {
  reader: 'mmap' | 'pread';
  /** KSEG_CHUNK_SIZE (pread) or KSEG_MMAP_WINDOW (mmap); undefined: the default. */
  chunk?: number;
}

export interface FuzzInput {
  runSeed: number;
  index: number;
  target: string;
  seed: string;
  file: string;
  kind: FileKind;
  reader: ReaderSetting;
  mutation: Mutation;
  bytes: Buffer;
  /** Seed for the target's own choices (offsets, flags). */
  targetSeed: number;
}

/** Share of inputs that go to the in-memory format targets (the rest run a command's core on disk). */
export const DEFAULT_FORMAT_SHARE = 0.5;

const KIND_WEIGHTS: [FileKind, number][] = [
  ['log', 50],
  ['index', 12],
  ['timeindex', 10],
  ['txnindex', 6],
  ['snapshot', 6],
  ['text', 16],
];

function pickKind(rng: Rng, present: Set<FileKind>): FileKind {
  const w = KIND_WEIGHTS.filter(([k]) => present.has(k));
  let r = rng.int(w.reduce((s, [, n]) => s + n, 0));
  for (const [k, n] of w) if ((r -= n) < 0) return k;
  return w[0]![0];
}

/** The input number `index` of run `runSeed` (a pure function of both, given the seeds). */
export function makeInput(seeds: SeedPartition[], runSeed: number, index: number, only: string[] | null, formatShare = DEFAULT_FORMAT_SHARE): FuzzInput {
  const rng = new Rng(mix(runSeed, index));
  const format = rng.chance(formatShare);
  let seed!: SeedPartition;
  let kind!: FileKind;
  let target = '';
  const generated = seeds.filter((s) => s.generated);
  for (let tries = 0; tries < 100 && !target; tries++) {
    // commands run mostly on the small generated partitions, the parsers on every seed alike
    seed = !format && generated.length && rng.chance(0.75) ? rng.pick(generated) : rng.pick(seeds);
    const kinds = new Set([...seed.files.keys()].map(kindOf));
    kind = pickKind(rng, kinds);
    const t = targetsFor(kind);
    const choices = (only === null ? (format ? t.format : t.ops) : [...t.format, ...t.ops]).filter((x) => only === null || only.includes(x));
    if (choices.length) target = rng.pick(choices);
  }
  if (!target) throw new Error(`no seed file fits --target ${only?.join(',')}`);
  const names = [...seed.files.keys()].filter((f) => kindOf(f) === kind);
  const file = rng.pick(names);
  const donorSeed = rng.chance(0.7) ? seed : rng.pick(seeds);
  const donorNames = [...donorSeed.files.keys()];
  const donor = donorSeed.files.get(rng.pick(donorNames))!;
  let orig = seed.files.get(file)!;
  // The log parsers get a window of up to ~4 KB of whole entries: mutations stay dense, inputs cheap.
  if (IN_MEMORY.has(target) && kind === 'log') orig = logWindow(orig, rng);
  const { bytes, mutation } = kind === 'text' ? mutateText(orig, rng) : mutate(orig, kind, rng, donor);
  const reader: ReaderSetting = rng.chance(0.5) ? { reader: 'pread' } : { reader: 'mmap' };
  if (rng.chance(0.3)) reader.chunk = reader.reader === 'pread' ? 1 + rng.int(64) : 4096 * (1 + rng.int(2));
  return { runSeed, index, target, seed: seed.name, file, kind, reader, mutation, bytes, targetSeed: rng.u32() };
}

function logWindow(buf: Buffer, rng: Rng): Buffer {
  const fs = frames(buf);
  if (fs.length < 2 || buf.length <= 4096) return buf;
  const first = rng.int(fs.length);
  let end = fs[first]!.pos + fs[first]!.size;
  for (let k = first + 1; k < fs.length && fs[k]!.pos + fs[k]!.size - fs[first]!.pos <= 4096; k++) end = fs[k]!.pos + fs[k]!.size;
  return buf.subarray(fs[first]!.pos, end);
}

export type Outcome = { ok: true; codes: string[] } | { ok: false; kind: 'throw'; message: string; codes: string[] };

/** Materialised seed partitions in a work root (one copy each, restored after every input). */
export class Workspace {
  private readonly dirs = new Map<string, string>();
  private n = 0;
  constructor(readonly root: string) {
    fs.mkdirSync(root, { recursive: true });
  }

  dirFor(seed: SeedPartition): string {
    let d = this.dirs.get(seed.name);
    if (!d) {
      d = path.join(this.root, seed.name, seed.dirName);
      fs.rmSync(d, { recursive: true, force: true });
      fs.mkdirSync(d, { recursive: true });
      for (const [f, b] of seed.files) fs.writeFileSync(path.join(d, f), b);
      this.dirs.set(seed.name, d);
    }
    return d;
  }

  /** Put the seed's files back as they were (a target may only read, but make sure). */
  restore(seed: SeedPartition, file: string): void {
    const d = this.dirs.get(seed.name)!;
    fs.writeFileSync(path.join(d, file), seed.files.get(file)!);
    const names = fs.readdirSync(d);
    if (names.length !== seed.files.size || names.some((f) => !seed.files.has(f))) {
      this.dirs.delete(seed.name);
      this.dirFor(seed);
    }
  }

  scratch(): string {
    const d = path.join(this.root, `scratch-${this.n++}`);
    fs.mkdirSync(d);
    return d;
  }
}

function setEnv(r: ReaderSetting): void {
  if (r.reader === 'pread') process.env.KSEG_READER = 'pread';
  else delete process.env.KSEG_READER;
  delete process.env.KSEG_CHUNK_SIZE;
  delete process.env.KSEG_MMAP_WINDOW;
  if (r.chunk !== undefined) process.env[r.reader === 'pread' ? 'KSEG_CHUNK_SIZE' : 'KSEG_MMAP_WINDOW'] = String(r.chunk);
}

/** Run one input. A KsegError is a fine outcome (its code is counted); anything else is a failure. */
export async function runInput(seeds: SeedPartition[], ws: Workspace, input: FuzzInput): Promise<Outcome> {
  const seed = seeds.find((s) => s.name === input.seed);
  if (!seed) throw new Error(`unknown seed partition ${input.seed}`);
  const onDisk = !IN_MEMORY.has(input.target);
  const dir = onDisk ? ws.dirFor(seed) : '';
  if (onDisk) fs.writeFileSync(path.join(dir, input.file), input.bytes);
  setEnv(input.reader);
  let scratch: string | null = null;
  const codes = new Set<string>();
  const c: FuzzCase = { dir, file: input.file, bytes: input.bytes, rng: new Rng(input.targetSeed), scratch: () => (scratch ??= ws.scratch()) };
  try {
    await TARGETS[input.target]!(c, codes);
    return { ok: true, codes: [...codes] };
  } catch (e) {
    // a KsegError is a clear rejection, unless it is the CLI's internal-error class (exit 70)
    if (e instanceof KsegError && exitCodeFor(e) !== 70) {
      codes.add(e.code);
      return { ok: true, codes: [...codes] };
    }
    const err = e as Error;
    return { ok: false, kind: 'throw', message: `${err?.name ?? typeof e}: ${err?.message ?? String(e)}\n${err?.stack ?? ''}`.slice(0, 4000), codes: [...codes] };
  } finally {
    if (scratch !== null) fs.rmSync(scratch, { recursive: true, force: true });
    if (onDisk) ws.restore(seed, input.file);
  }
}

export interface SavedInput {
  target: string;
  seed: string;
  file: string;
  reader: ReaderSetting;
  mutation: Mutation;
  runSeed: number;
  index: number;
  targetSeed: number;
  failure: string;
  message: string;
}

/** Save a failing input as test/fuzz/corpus/<target>-<hash>.{json,bin}; returns the path of the .json. */
export function saveInput(input: FuzzInput, failure: string, message: string, dir = CORPUS): string {
  fs.mkdirSync(dir, { recursive: true });
  const hash = crypto.createHash('sha256').update(input.target).update(input.seed).update(input.file).update(input.bytes).digest('hex').slice(0, 12);
  const base = path.join(dir, `${input.target}-${hash}`);
  const meta: SavedInput = {
    target: input.target,
    seed: input.seed,
    file: input.file,
    reader: input.reader,
    mutation: input.mutation,
    runSeed: input.runSeed,
    index: input.index,
    targetSeed: input.targetSeed,
    failure,
    message: message.split('\n').slice(0, 8).join('\n'),
  };
  fs.writeFileSync(`${base}.bin`, input.bytes);
  fs.writeFileSync(`${base}.json`, JSON.stringify(meta, null, 2) + '\n');
  return `${base}.json`;
}

/** The saved inputs (regression cases), as runnable inputs. */
export function loadCorpus(dir = CORPUS): FuzzInput[] {
  if (!fs.existsSync(dir)) return [];
  return fs
    .readdirSync(dir)
    .filter((f) => f.endsWith('.json'))
    .sort()
    .map((f) => {
      const meta = JSON.parse(fs.readFileSync(path.join(dir, f), 'utf8')) as SavedInput;
      return {
        runSeed: meta.runSeed,
        index: meta.index,
        target: meta.target,
        seed: meta.seed,
        file: meta.file,
        kind: kindOf(meta.file),
        reader: meta.reader,
        mutation: meta.mutation,
        bytes: fs.readFileSync(path.join(dir, f.replace(/\.json$/, '.bin'))),
        targetSeed: meta.targetSeed,
      };
    });
}

export { loadSeeds };
