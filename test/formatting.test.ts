import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT } from './helpers.js';

/**
 * Issue 13, "Formatting": one formatter (Prettier, .prettierrc.json), applied to the whole tree once
 * and checked here so CI fails on a file written in another style. `npm run format` fixes it.
 */
describe('formatting', () => {
  it('every source, test, bench and script file is as `npm run format` writes it', () => {
    const bin = path.join(ROOT, 'node_modules', 'prettier', 'bin', 'prettier.cjs');
    const r = spawnSync(process.execPath, [bin, '--check', '--log-level', 'warn', 'src/**/*.ts', 'test/**/*.ts', 'bench/**/*.mjs', 'scripts/**/*.mjs', 'bin/*.js'], {
      cwd: ROOT,
      encoding: 'utf8',
    });
    expect(r.stdout + r.stderr, 'run `npm run format`').toBe('');
    expect(r.status).toBe(0);
    // About 25 s of CPU for the whole tree: a loaded machine (CI runs two suites) needs more than the default 60 s.
  }, 300_000);
});
