// Record in each .wat the SHA-256 of the committed module built from it and of the .wat's own text
// (test/wasm-sources.test.ts checks both). Run after changing a .wat and rebuilding its module:
//   node scripts/build-wasm.mjs   (json-escape.wat -> src/cli/json-escape-wasm.ts; needs wat2wasm)
//   node scripts/wasm-hashes.mjs
// md5x4.wat has no assembler step: md5x4.ts builds the same bytes itself (the test compares them).
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { tsImport } from 'tsx/esm/api';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const load = (f) => tsImport(pathToFileURL(path.join(root, f)).href, import.meta.url);
const sha256 = (b) => createHash('sha256').update(b).digest('hex');
const HASH_LINE = /^;; (module|source) sha256: [0-9a-f]{64}\n/gm;

const modules = [
  ['src/cli/json-escape.wat', async () => Buffer.from((await load('src/cli/json-escape-wasm.ts')).JSON_ESCAPE_WASM, 'base64')],
  ['src/ops/compact/md5x4.wat', async () => (await load('src/ops/compact/md5x4.ts')).moduleBytes()],
];
for (const [wat, bytes] of modules) {
  const file = path.join(root, wat);
  const body = fs.readFileSync(file, 'utf8').replace(HASH_LINE, '');
  const at = body.indexOf('\n(module') + 1;
  const lines = `;; module sha256: ${sha256(await bytes())}\n;; source sha256: ${sha256(body)}\n`;
  fs.writeFileSync(file, body.slice(0, at) + lines + body.slice(at));
  console.log(`${wat}: hashes recorded`);
}
