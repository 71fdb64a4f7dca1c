import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { expect } from 'vitest';
import { ROOT, tmpDir } from './helpers.js';

export const BIN = path.join(ROOT, 'bin', 'kseg.js');

/**
 * Spawn the CLI as a user runs it with KSEG_TEST_PAUSE=<step>:<file> (ops/interrupt.ts): the op
 * creates <file> when it reaches the safe point `step` and waits there; then `sig` is sent.
 */
export async function interruptAt(
  args: string[],
  step: string,
  sig: NodeJS.Signals = 'SIGINT',
  env: Record<string, string> = {},
): Promise<{ status: number | null; stderr: string; stdout: string }> {
  const ready = path.join(tmpDir(), 'ready');
  const child = spawn(process.execPath, [BIN, ...args], { env: { ...process.env, NO_COLOR: '1', ...env, KSEG_TEST_PAUSE: `${step}:${ready}` } });
  let stderr = '';
  let stdout = '';
  child.stderr.on('data', (d) => (stderr += d));
  child.stdout.on('data', (d) => (stdout += d));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  const until = Date.now() + 60_000;
  while (!fs.existsSync(ready) && Date.now() < until && child.exitCode === null) await new Promise((r) => setTimeout(r, 20));
  expect(fs.existsSync(ready), `the op never reached ${step}: ${stderr}`).toBe(true);
  child.kill(sig);
  const status = await exited;
  return { status, stderr, stdout };
}
