#!/usr/bin/env node
// Removes dist/ before a build: tsc never deletes the output of a source file that was moved or
// removed, and a stale dist/ file (with a source map naming a source that is gone) would be
// packed and loaded (test/package.test.ts). The test runner (scripts/test.mjs) calls it too.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

fs.rmSync(path.join(path.dirname(fileURLToPath(import.meta.url)), '..', 'dist'), { recursive: true, force: true });
