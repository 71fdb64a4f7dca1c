import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ISSUE_CODES } from '../src/ops/verify/index.js';
import { COMMANDS } from '../src/cli/main.js';
// @ts-expect-error plain ESM script without types
import { withCodes } from '../scripts/readme-codes.mjs';

const README = fs.readFileSync(path.join(__dirname, '..', 'README.md'), 'utf8');

describe('README', () => {
  it('lists every verify issue code with its severity (run `node scripts/readme-codes.mjs` after changing ISSUE_CODES)', () => {
    expect(withCodes(README, ISSUE_CODES)).toBe(README);
    for (const c of ISSUE_CODES) expect(README).toContain(`| \`${c.code}\` | ${c.severity} |`);
  });

  it('has a section with an example for every command', () => {
    for (const c of COMMANDS) {
      expect(README, c.name).toContain(`### ${c.name}\n`);
      expect(README, c.name).toMatch(new RegExp(`\\nkseg ${c.name} `));
    }
  });

  it('has exactly the two set-up commands', () => {
    const blocks = [...README.matchAll(/```sh\n(npm ci[^\n]*)\n```/g)].map((m) => m[1]);
    expect(blocks).toEqual(['npm ci && npm run demo', 'npm ci && npm test']);
  });
});
