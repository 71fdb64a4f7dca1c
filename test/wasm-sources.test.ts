import { createHash } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { moduleBytes } from '../src/ops/compact/md5x4.js';
import { JSON_ESCAPE_WASM } from '../src/cli/json-escape-wasm.js';
import { ROOT } from './helpers.js';

// Every committed WebAssembly module against its .wat source (issue 13):
// - each .wat records `;; module sha256:` (the committed module's bytes) and `;; source sha256:`
//   (the .wat itself without those two lines); scripts/build-wasm.mjs writes both when it assembles.
//   A .wat edited without rebuilding, or a module changed without its source, fails here.
// - md5x4.wat is assembled here by a small assembler for the instructions it uses and compared
//   byte for byte with the module md5x4.ts builds.
// - where WABT's wat2wasm is installed (PATH or WAT2WASM), every .wat is assembled with it too.

const SOURCES = [
  { wat: 'src/cli/json-escape.wat', bytes: (): Uint8Array => Buffer.from(JSON_ESCAPE_WASM, 'base64') },
  { wat: 'src/ops/compact/md5x4.wat', bytes: (): Uint8Array => moduleBytes() },
];

const sha256 = (b: Uint8Array | string): string => createHash('sha256').update(b).digest('hex');
const HASH_LINE = /^;; (module|source) sha256: ([0-9a-f]{64})\n/gm;

function recorded(text: string): { module?: string; source?: string; body: string } {
  const out: { module?: string; source?: string; body: string } = { body: text.replace(HASH_LINE, '') };
  for (const m of text.matchAll(HASH_LINE)) out[m[1] as 'module' | 'source'] = m[2]!;
  return out;
}

function wat2wasm(): string | null {
  const bin = process.env.WAT2WASM ?? 'wat2wasm';
  try {
    execFileSync(bin, ['--version'], { stdio: 'pipe' });
    return bin;
  } catch {
    return null;
  }
}
const WAT2WASM = wat2wasm();

describe.each(SOURCES)('$wat', ({ wat, bytes }) => {
  const text = fs.readFileSync(path.join(ROOT, wat), 'utf8');
  const r = recorded(text);

  it('records the SHA-256 of the committed module, and it matches', () => {
    expect(r.module, `${wat} has no ";; module sha256:" line`).toMatch(/^[0-9a-f]{64}$/);
    expect(sha256(bytes())).toBe(r.module);
  });

  it('records the SHA-256 of its own text, and it matches (edited without rebuilding the module?)', () => {
    expect(r.source, `${wat} has no ";; source sha256:" line`).toMatch(/^[0-9a-f]{64}$/);
    expect(sha256(r.body)).toBe(r.source);
  });

  it.skipIf(WAT2WASM === null)('wat2wasm assembles it to the committed bytes', () => {
    const out = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'kseg-wat-')), 'm.wasm');
    execFileSync(WAT2WASM!, [path.join(ROOT, wat), '-o', out], { stdio: 'pipe' });
    expect(sha256(fs.readFileSync(out))).toBe(sha256(bytes()));
  });
});
if (WAT2WASM === null) it.skip('wat2wasm (WABT) is not installed: the .wat files are checked by their recorded hashes (and md5x4.wat by the assembler below)', () => {});

// ------------------------------------------------------------------ a tiny assembler for md5x4.wat

const leb = (n: number): number[] => {
  const out: number[] = [];
  do {
    let b = n & 0x7f;
    n >>>= 7;
    if (n !== 0) b |= 0x80;
    out.push(b);
  } while (n !== 0);
  return out;
};
const sleb = (n: number): number[] => {
  const out: number[] = [];
  for (;;) {
    const b = n & 0x7f;
    n >>= 7;
    if ((n === 0 && (b & 0x40) === 0) || (n === -1 && (b & 0x40) !== 0)) return [...out, b];
    out.push(b | 0x80);
  }
};
const name = (s: string): number[] => [...leb(s.length), ...Buffer.from(s)];
const section = (id: number, body: number[]): number[] => [id, ...leb(body.length), ...body];

/** Opcodes (WebAssembly core spec 5.4, SIMD proposal) of the instructions md5x4.wat uses. */
const PLAIN: Record<string, number[]> = {
  block: [0x02, 0x40],
  loop: [0x03, 0x40],
  end: [0x0b],
  'i32.eqz': [0x45],
  'i32.add': [0x6a],
  'i32.sub': [0x6b],
  'v128.not': [0xfd, 0x4d],
  'v128.or': [0xfd, 0x50],
  'v128.xor': [0xfd, 0x51],
  'v128.bitselect': [0xfd, 0x52],
  'i32x4.shl': [0xfd, ...leb(0xab)],
  'i32x4.shr_u': [0xfd, ...leb(0xad)],
  'i32x4.add': [0xfd, ...leb(0xae)],
};
const VALTYPE: Record<string, number> = { i32: 0x7f, v128: 0x7b };

/** Assemble a module of one memory and one function, both exported, in flat instruction syntax. */
function assemble(src: string): Uint8Array {
  const tokens = src.replace(/;;[^\n]*/g, '').match(/\(|\)|"[^"]*"|[^\s()]+/g)!;
  let i = 0;
  const next = (): string => tokens[i++]!;
  const want = (t: string): void => {
    const got = next();
    if (got !== t) throw new Error(`expected ${t}, found ${got} (token ${i})`);
  };
  const exportName = (): string => {
    want('(');
    want('export');
    const n = next().slice(1, -1);
    want(')');
    return n;
  };
  want('(');
  want('module');
  want('(');
  want('memory');
  const memName = exportName();
  const pages = Number(next());
  want(')');
  want('(');
  want('func');
  const funcName = exportName();
  const locals = new Map<string, number>();
  const params: number[] = [];
  const localTypes: number[] = [];
  while (tokens[i] === '(') {
    next();
    const kind = next();
    const id = next();
    const type = VALTYPE[next()]!;
    want(')');
    locals.set(id, locals.size);
    (kind === 'param' ? params : localTypes).push(type);
  }
  const code: number[] = [];
  const memarg = (): number[] => {
    const m = /^offset=(\d+)$/.exec(tokens[i]!);
    if (m) i++;
    return [4, ...leb(m ? Number(m[1]) : 0)]; // align 2^4: a v128's natural alignment
  };
  for (let t = next(); t !== ')'; t = next()) {
    if (PLAIN[t]) code.push(...PLAIN[t]!);
    else if (t === 'local.get' || t === 'local.set' || t === 'local.tee') code.push({ 'local.get': 0x20, 'local.set': 0x21, 'local.tee': 0x22 }[t], ...leb(locals.get(next())!));
    else if (t === 'i32.const') code.push(0x41, ...sleb(Number(next()) | 0));
    else if (t === 'br' || t === 'br_if') code.push(t === 'br' ? 0x0c : 0x0d, ...leb(Number(next())));
    else if (t === 'v128.load') code.push(0xfd, ...leb(0x00), ...memarg());
    else if (t === 'v128.store') code.push(0xfd, ...leb(0x0b), ...memarg());
    else if (t === 'v128.const') {
      want('i32x4');
      code.push(0xfd, ...leb(0x0c));
      for (let l = 0; l < 4; l++) {
        const v = Number(next()) >>> 0;
        code.push(v & 0xff, (v >>> 8) & 0xff, (v >>> 16) & 0xff, v >>> 24);
      }
    } else throw new Error(`md5x4.wat: instruction ${t} is not known to this assembler`);
  }
  code.push(0x0b); // the function's end
  want(')');
  // Locals: runs of one type.
  const groups: number[][] = [];
  for (const ty of localTypes) {
    const last = groups[groups.length - 1];
    if (last && last[1] === ty) last[0]!++;
    else groups.push([1, ty]);
  }
  const body = [...leb(groups.length), ...groups.flatMap(([n, ty]) => [...leb(n!), ty!]), ...code];
  return Uint8Array.from([
    0x00,
    0x61,
    0x73,
    0x6d,
    1,
    0,
    0,
    0,
    ...section(1, [1, 0x60, ...leb(params.length), ...params, 0]),
    ...section(3, [1, 0]),
    ...section(5, [1, 0x00, ...leb(pages)]),
    ...section(7, [2, ...name(memName), 0x02, 0, ...name(funcName), 0x00, 0]),
    ...section(10, [1, ...leb(body.length), ...body]),
  ]);
}

describe('md5x4.wat is the source of the module md5x4.ts builds', () => {
  it('assembled here, it is the same bytes', () => {
    const built = moduleBytes();
    const fromWat = assemble(fs.readFileSync(path.join(ROOT, 'src/ops/compact/md5x4.wat'), 'utf8'));
    expect(Buffer.from(fromWat).toString('hex')).toBe(Buffer.from(built).toString('hex'));
  });

  it('the assembler is not vacuous: a changed constant in the source gives other bytes', () => {
    const text = fs.readFileSync(path.join(ROOT, 'src/ops/compact/md5x4.wat'), 'utf8').replace('i32.const 7 i32x4.shl', 'i32.const 8 i32x4.shl');
    expect(Buffer.from(assemble(text)).equals(Buffer.from(moduleBytes()))).toBe(false);
  });
});
