#!/usr/bin/env node
// Writes the table of verify issue codes (from dist/ops/verify/index.js, ISSUE_CODES) into README.md
// between the verify-codes markers. test/readme.test.ts fails when the README is out of date.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

export function codesTable(codes) {
  const rows = codes.map((c) => `| \`${c.code}\` | ${c.severity} | ${c.kind} | ${c.meaning.replace(/\|/g, '\\|')} |`);
  return ['| code | severity | file | meaning |', '|---|---|---|---|', ...rows].join('\n');
}

export function withCodes(readme, codes) {
  const start = '<!-- verify-codes:start -->';
  const end = '<!-- verify-codes:end -->';
  const a = readme.indexOf(start);
  const b = readme.indexOf(end);
  if (a < 0 || b < a) throw new Error('README.md has no verify-codes markers');
  return readme.slice(0, a + start.length) + '\n' + codesTable(codes) + '\n' + readme.slice(b);
}

if (process.argv[1] && fileURLToPath(import.meta.url) === path.resolve(process.argv[1])) {
  const { ISSUE_CODES } = await import(path.join(ROOT, 'dist', 'ops', 'verify', 'index.js'));
  const file = path.join(ROOT, 'README.md');
  fs.writeFileSync(file, withCodes(fs.readFileSync(file, 'utf8'), ISSUE_CODES));
  console.log(`README.md: ${ISSUE_CODES.length} verify codes`);
}
