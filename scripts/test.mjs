#!/usr/bin/env node
// `npm test`: build, run the whole vitest suite, and end with one plain line "N passed, N failed"
// (counted from vitest's JSON report) so every CI run shows how many tests ran.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const bin = (name) => path.join(root, 'node_modules', '.bin', name);
const run = (cmd, args) => spawnSync(cmd, args, { cwd: root, stdio: 'inherit' }).status ?? 1;

// The same build as `npm run build`: a clean dist/, tsc, then the CLI bundles bin/kseg.js runs (scripts/build-cli.mjs).
if (
  run(process.execPath, [path.join(root, 'scripts', 'clean-dist.mjs')]) !== 0 ||
  run(bin('tsc'), ['-p', 'tsconfig.json']) !== 0 ||
  run(process.execPath, [path.join(root, 'scripts', 'build-cli.mjs')]) !== 0
) {
  console.log('0 passed, 1 failed');
  process.exit(1);
}
const report = path.join(root, '.vitest-results.json');
fs.rmSync(report, { force: true });
const status = run(bin('vitest'), ['run', '--reporter=default', '--reporter=json', `--outputFile.json=${report}`, ...process.argv.slice(2)]);
let passed = 0;
let failed = 0;
let skipped = 0;
try {
  const r = JSON.parse(fs.readFileSync(report, 'utf8'));
  passed = r.numPassedTests;
  failed = r.numFailedTests + (r.numRuntimeErrorTestSuites ?? 0);
  skipped = r.numPendingTests + (r.numTodoTests ?? 0);
  if (status !== 0 && failed === 0) failed = 1 + (r.numFailedTestSuites ?? 0);
} catch {
  failed = status === 0 ? 0 : 1;
}
console.log(`${passed} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ''}`);
process.exit(status === 0 && failed === 0 ? 0 : 1);
