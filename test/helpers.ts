import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
export const FIXTURES = path.join(ROOT, 'fixtures');
/** Real broker/client data, read in place (never copied into the repo). */
export const REAL = path.resolve(ROOT, '..', 'shared', 'real');
export const HAVE_REAL = fs.existsSync(path.join(REAL, 'MANIFEST.tsv'));

/** Expected rows from an NDJSON file. A missing file is an error (never read as "no rows"). */
export function readNdjson(p: string): any[] {
  if (!fs.existsSync(p)) throw new Error(`expected file ${p} is missing`);
  return fs
    .readFileSync(p, 'utf8')
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => JSON.parse(l));
}

export function fixtureCases(): string[] {
  return fs
    .readdirSync(FIXTURES)
    .filter((d) => fs.existsSync(path.join(FIXTURES, d, 'topic-0')))
    .sort();
}

export function healthyCases(): string[] {
  return fixtureCases().filter((c) => fs.existsSync(path.join(FIXTURES, c, 'expected', 'records.ndjson')));
}

export function corruptCases(): string[] {
  return fixtureCases().filter((c) => fs.existsSync(path.join(FIXTURES, c, 'expected', 'verify.json')));
}

export interface CliResult {
  status: number;
  stdout: string;
  stderr: string;
}

/** Run the built CLI (dist/) as a user would. */
export function kseg(args: string[], opts: { env?: Record<string, string>; input?: string; cwd?: string } = {}): CliResult {
  const r = spawnSync(process.execPath, [path.join(ROOT, 'bin', 'kseg.js'), ...args], {
    encoding: 'utf8',
    env: { ...process.env, NO_COLOR: '1', ...opts.env },
    input: opts.input,
    cwd: opts.cwd,
    maxBuffer: 256 * 1024 * 1024,
  });
  return { status: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

export function tmpDir(prefix = 'kseg-test-'): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), prefix));
}

/** Copy a fixture partition into a fresh temp dir (for tests that corrupt or change files). */
export function copyPartition(src: string): string {
  const dst = path.join(tmpDir(), path.basename(src));
  fs.cpSync(src, dst, { recursive: true });
  for (const f of fs.readdirSync(dst)) fs.chmodSync(path.join(dst, f), 0o644);
  return dst;
}

export function ndjsonLines(s: string): any[] {
  return s
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => JSON.parse(l));
}

/** Run `fn` with environment variables set (restored afterwards). */
export function withEnv<T>(env: Record<string, string>, fn: () => T): T {
  const old = Object.fromEntries(Object.keys(env).map((k) => [k, process.env[k]]));
  Object.assign(process.env, env);
  try {
    return fn();
  } finally {
    for (const [k, v] of Object.entries(old)) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
  }
}
