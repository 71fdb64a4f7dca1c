#!/usr/bin/env node
// `npm run fuzz -- --count N [--seed S] [--target a,b] [--procs P] [--replay]`: the seeded fuzz
// harness of test/fuzz/ (TypeScript, run through tsx). See test/fuzz/run.ts for the flags.
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const r = spawnSync(process.execPath, ['--import', 'tsx', path.join(root, 'test', 'fuzz', 'run.ts'), ...process.argv.slice(2)], { cwd: root, stdio: 'inherit' });
process.exit(r.status ?? 1);
