/**
 * The fuzz runner (`npm run fuzz -- --count N [--seed S] [--target a,b] [--procs P]`, or
 * `--replay` for the saved corpus). Inputs run in forked worker processes; this process is the
 * watchdog: an input that does not finish within --timeout ms is a hang (the worker is killed), a
 * worker that dies while running an input is a crash, and a throw that is not a KsegError (or a
 * JSON output that breaks OUTPUT.md) is reported by the worker. Each failing input is saved to
 * test/fuzz/corpus/ and from then on replayed by test/fuzz.test.ts. Workers are replaced every
 * --recycle inputs so one process never accumulates state across a long run.
 *
 * Prints a progress line to stderr every few seconds and ends with a summary; with --json the
 * summary is also one JSON line on stdout. Exit code: 0 when nothing failed, 1 otherwise.
 */
import { fork, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { CORPUS, DEFAULT_FORMAT_SHARE, loadCorpus, loadSeeds, makeInput, saveInput, type FuzzInput } from './engine.js';
import { TARGET_NAMES } from './targets.js';

interface Args {
  count: number;
  seed: number;
  only: string[] | null;
  timeout: number;
  procs: number;
  recycle: number;
  replay: boolean;
  json: boolean;
  corpus: string;
  save: boolean;
  formatShare: number;
  maxRssMB: number;
  noNative: boolean;
}

function parseArgs(argv: string[]): Args {
  const a: Args = {
    count: 10_000,
    seed: Date.now() % 2 ** 31,
    only: null,
    timeout: 30_000,
    procs: 1,
    recycle: 2000,
    replay: false,
    json: false,
    corpus: CORPUS,
    save: true,
    formatShare: DEFAULT_FORMAT_SHARE,
    maxRssMB: 1536,
    noNative: false,
  };
  for (let i = 0; i < argv.length; i++) {
    const k = argv[i]!;
    const v = (): string => {
      const x = argv[++i];
      if (x === undefined) throw new Error(`${k} needs a value`);
      return x;
    };
    const int = (): number => {
      const s = v();
      const n = Number(s);
      if (!Number.isSafeInteger(n) || n < 0) throw new Error(`${k}: '${s}' is not a non-negative integer`);
      return n;
    };
    if (k === '--count') a.count = int();
    else if (k === '--seed') a.seed = int();
    else if (k === '--target') {
      a.only = v().split(',');
      for (const t of a.only) if (!TARGET_NAMES.includes(t)) throw new Error(`--target: unknown target '${t}' (${TARGET_NAMES.join(', ')})`);
    } else if (k === '--timeout') a.timeout = int();
    else if (k === '--procs') a.procs = Math.max(1, int());
    else if (k === '--recycle') a.recycle = Math.max(1, int());
    else if (k === '--replay') a.replay = true;
    else if (k === '--json') a.json = true;
    else if (k === '--corpus') a.corpus = path.resolve(v());
    else if (k === '--no-save') a.save = false;
    else if (k === '--no-native') a.noNative = true;
    else if (k === '--format-share') {
      a.formatShare = Number(v());
      if (!(a.formatShare >= 0 && a.formatShare <= 1)) throw new Error('--format-share: give a share between 0 and 1');
    } else if (k === '--help' || k === '-h') {
      process.stdout.write(
        'usage: npm run fuzz -- [--count N] [--seed S] [--target a,b] [--procs P] [--timeout MS] [--max-rss-mb N] [--recycle N] [--format-share F] [--replay] [--corpus DIR] [--no-save] [--no-native] [--json]\n' +
          `targets: ${TARGET_NAMES.join(', ')}\n`,
      );
      process.exit(0);
    } else throw new Error(`unknown argument '${k}' (--help lists them)`);
  }
  return a;
}

interface Failure {
  index: number;
  target: string;
  kind: 'throw' | 'hang' | 'death' | 'memory';
  message: string;
  saved: string | null;
}

const WORKER = path.join(path.dirname(fileURLToPath(import.meta.url)), 'worker.ts');

async function main(): Promise<void> {
  let args: Args;
  try {
    args = parseArgs(process.argv.slice(2));
  } catch (e) {
    process.stderr.write(`fuzz: ${(e as Error).message}\n`);
    process.exit(2);
  }
  const seeds = await loadSeeds();
  const corpus = args.replay ? loadCorpus(args.corpus) : [];
  const total = args.replay ? corpus.length : args.count;
  const inputAt = (i: number): FuzzInput => (args.replay ? corpus[i]! : makeInput(seeds, args.seed, i, args.only, args.formatShare));

  const codes = new Map<string, number>();
  const perTarget = new Map<string, number>();
  const failures: Failure[] = [];
  const savedPerSignature = new Map<string, number>();
  let done = 0;
  let maxRss = 0;
  let next = 0;
  const t0 = Date.now();

  const fail = (i: number, kind: Failure['kind'], message: string): void => {
    let input: FuzzInput;
    try {
      input = inputAt(i);
    } catch (e) {
      failures.push({ index: i, target: '?', kind, message: `${message}\n(the input itself cannot be made: ${(e as Error).message})`, saved: null });
      process.stderr.write(`\nfuzz: FAILURE (${kind}) at input ${i}: ${message}; the harness cannot make this input: ${(e as Error).stack}\n`);
      return;
    }
    const sig = `${input.target} ${kind} ${message.split('\n')[0]}`;
    const n = savedPerSignature.get(sig) ?? 0;
    savedPerSignature.set(sig, n + 1);
    const saved = args.save && !args.replay && n < 3 ? saveInput(input, kind, message, args.corpus) : null;
    failures.push({ index: i, target: input.target, kind, message, saved });
    process.stderr.write(
      `\nfuzz: FAILURE (${kind}) at input ${i} [${input.target} ${input.seed}/${input.file} ${input.reader.reader}${input.reader.chunk ? `:${input.reader.chunk}` : ''} ${input.mutation.ops.join(' ')}]\n  ${message.split('\n').slice(0, 6).join('\n  ')}\n${saved ? `  saved: ${path.relative(process.cwd(), saved)}\n` : ''}`,
    );
  };

  /** Run inputs [start, end) in one worker after another until all are done. */
  const runRange = async (start: number, end: number): Promise<void> => {
    let from = start;
    while (from < end) {
      from = await runWorker(from, end);
    }
  };

  /** One worker over [start, end); returns where the next worker must start. */
  const runWorker = (start: number, end: number): Promise<number> =>
    new Promise((resolve) => {
      const child: ChildProcess = fork(WORKER, [], {
        execArgv: ['--import', 'tsx', '--max-old-space-size=2048'],
        stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
        // KSEG_NO_NATIVE is read once per process (native modules are cached), so it is set per worker;
        // KSEG_READER (mmap or pread) is read at every open and chosen per input
        env: { ...process.env, NO_COLOR: '1', ...(args.noNative ? { KSEG_NO_NATIVE: '1' } : {}) },
      });
      // tmpfs when there is one: the mutating commands fsync, and a disk shared with others is slow at that
      const root = fs.mkdtempSync(path.join(fs.existsSync('/dev/shm') ? '/dev/shm' : os.tmpdir(), 'kseg-fuzz-'));
      roots.add(root);
      const cleanup = (): void => {
        fs.rmSync(root, { recursive: true, force: true });
        roots.delete(root);
      };
      children.add(child);
      child.once('exit', () => children.delete(child));
      let current = start;
      let finished = false;
      let timer: NodeJS.Timeout | null = null;
      const arm = (ms = args.timeout): void => {
        if (timer) clearTimeout(timer);
        timer = setTimeout(() => {
          if (finished) return;
          finished = true;
          fail(current, 'hang', ms === args.timeout ? `no result within ${args.timeout} ms` : `the worker did not start within ${ms} ms`);
          done++;
          child.kill('SIGKILL');
          child.once('exit', cleanup);
          resolve(current + 1);
        }, ms);
      };
      // the watchdog starts per input once the worker has loaded (start-up on a busy machine takes a while)
      arm(Math.max(args.timeout, 120_000));
      child.on('message', (m: { type: string; i: number; target: string; ok: boolean; codes: string[]; message?: string; rss?: number }) => {
        if (m.type === 'end') return;
        if (m.type === 'ready') {
          arm();
          return;
        }
        perTarget.set(m.target, (perTarget.get(m.target) ?? 0) + 1);
        for (const c of m.codes) codes.set(c, (codes.get(c) ?? 0) + 1);
        if (!m.ok) fail(m.i, 'throw', m.message ?? '');
        if (m.rss && m.rss > maxRss) maxRss = m.rss;
        done++;
        current = m.i + 1;
        if (m.rss && m.rss > args.maxRssMB * 2 ** 20) {
          // a decompression bomb or a leak: the input that pushed the worker over the limit is saved, the worker replaced
          fail(m.i, 'memory', `worker RSS ${Math.round(m.rss / 2 ** 20)} MB after this input (limit ${args.maxRssMB} MB)`);
          finished = true;
          if (timer) clearTimeout(timer);
          child.kill('SIGKILL');
          child.once('exit', cleanup);
          resolve(current);
          return;
        }
        arm();
      });
      child.on('exit', (code, signal) => {
        if (timer) clearTimeout(timer);
        cleanup();
        if (finished) return;
        finished = true;
        if (current < end) {
          // died while running input `current`
          fail(current, 'death', `worker exited (${signal ? `signal ${signal}` : `code ${code}`}) while running this input`);
          done++;
          resolve(current + 1);
        } else resolve(end);
      });
      child.send({ mode: args.replay ? 'replay' : 'run', runSeed: args.seed, start, end, only: args.only, formatShare: args.formatShare, corpus: args.corpus, root });
    });

  const progress = setInterval(() => {
    const s = (Date.now() - t0) / 1000;
    process.stderr.write(`fuzz: ${done}/${total} inputs, ${codes.size} distinct codes, ${failures.length} failures, ${Math.round(done / s)}/s, ${Math.round(s)} s\n`);
  }, 10_000);
  progress.unref();

  const children = new Set<ChildProcess>();
  const roots = new Set<string>();
  let interrupted = false;
  const stop = (): void => {
    // Ctrl-C / SIGTERM: stop, and still print the summary of what ran
    interrupted = true;
    for (const c of children) c.kill('SIGKILL');
    finish();
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);

  // Work is handed out in ranges of --recycle inputs to --procs workers at a time.
  const lanes = Array.from({ length: Math.min(args.procs, Math.max(1, total)) }, async () => {
    for (;;) {
      const start = next;
      if (start >= total) return;
      next = Math.min(total, start + args.recycle);
      await runRange(start, next);
    }
  });
  await Promise.all(lanes);
  finish();

  function finish(): never {
    clearInterval(progress);
    for (const r of roots) fs.rmSync(r, { recursive: true, force: true });
    const seconds = (Date.now() - t0) / 1000;
    const summary = {
      mode: args.replay ? 'replay' : 'run',
      seed: args.seed,
      formatShare: args.formatShare,
      native: !args.noNative,
      targets: args.only ?? TARGET_NAMES,
      inputs: done,
      distinctCodes: codes.size,
      codes: Object.fromEntries([...codes].sort(([a], [b]) => a.localeCompare(b))),
      perTarget: Object.fromEntries([...perTarget].sort(([a], [b]) => a.localeCompare(b))),
      failures: failures.length,
      failed: failures.map((f) => ({ index: f.index, target: f.target, kind: f.kind, message: f.message.split('\n')[0], saved: f.saved })),
      seconds: Math.round(seconds * 10) / 10,
      inputsPerSecond: Math.round(done / Math.max(seconds, 0.001)),
      maxWorkerRssMB: Math.round(maxRss / 2 ** 20),
      interrupted,
    };
    process.stderr.write(
      `fuzz: ${summary.mode} seed ${args.seed}: ${done} inputs in ${summary.seconds} s (${summary.inputsPerSecond}/s), ${codes.size} distinct finding codes, ${failures.length} failures, max worker RSS ${summary.maxWorkerRssMB} MB\n` +
        `fuzz: codes: ${Object.keys(summary.codes).join(' ')}\n`,
    );
    if (args.json) process.stdout.write(JSON.stringify(summary) + '\n');
    process.exit(failures.length ? 1 : interrupted ? 130 : 0);
  }
}

void main();
