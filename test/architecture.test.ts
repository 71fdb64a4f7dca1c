// The architecture of STYLE.md, checked: the import graph of src/ has no cycle, imports point
// downward only (cli -> ops -> storage -> format), only the CLI entry sets the exit code, no source
// file is over 800 lines, and `kseg info`'s bundle leaves out dump's NDJSON writer and its wasm.
// The graph is read with the TypeScript parser (static imports, re-exports, dynamic import()).
import fs from 'node:fs';
import path from 'node:path';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';
import { ROOT } from './helpers.js';

const SRC = path.join(ROOT, 'src');
const MAX_LINES = 800;

interface Edge {
  /** src-relative path of the imported module (`ops/dump.ts`), or the bare specifier of a package / builtin (`node:fs`). */
  to: string;
  /** `import type` / `export type`: erased at run time, so it cannot close a loading cycle. */
  typeOnly: boolean;
  dynamic: boolean;
}

function sourceFiles(dir = SRC): string[] {
  const out: string[] = [];
  for (const ent of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, ent.name);
    if (ent.isDirectory()) out.push(...sourceFiles(p));
    else if (ent.name.endsWith('.ts') && !ent.name.endsWith('.d.ts')) out.push(p);
  }
  return out.sort();
}

const rel = (file: string): string => path.relative(SRC, file).split(path.sep).join('/');

function importsOf(file: string): Edge[] {
  const sf = ts.createSourceFile(file, fs.readFileSync(file, 'utf8'), ts.ScriptTarget.Latest, true);
  const edges: Edge[] = [];
  const add = (spec: string, typeOnly: boolean, dynamic: boolean): void => {
    if (!spec.startsWith('.')) {
      edges.push({ to: spec, typeOnly, dynamic });
      return;
    }
    const target = path.resolve(path.dirname(file), spec.replace(/\.js$/, '.ts'));
    edges.push({ to: rel(target), typeOnly, dynamic });
  };
  const visit = (node: ts.Node): void => {
    if (ts.isImportDeclaration(node) && ts.isStringLiteral(node.moduleSpecifier)) {
      const c = node.importClause;
      const typeOnly =
        c !== undefined &&
        (c.isTypeOnly ||
          (c.name === undefined &&
            c.namedBindings !== undefined &&
            ts.isNamedImports(c.namedBindings) &&
            c.namedBindings.elements.length > 0 &&
            c.namedBindings.elements.every((e) => e.isTypeOnly)));
      add(node.moduleSpecifier.text, typeOnly, false);
    } else if (ts.isExportDeclaration(node) && node.moduleSpecifier && ts.isStringLiteral(node.moduleSpecifier)) {
      const typeOnly =
        node.isTypeOnly ||
        (node.exportClause !== undefined && ts.isNamedExports(node.exportClause) && node.exportClause.elements.length > 0 && node.exportClause.elements.every((e) => e.isTypeOnly));
      add(node.moduleSpecifier.text, typeOnly, false);
    } else if (ts.isCallExpression(node) && node.expression.kind === ts.SyntaxKind.ImportKeyword && node.arguments.length > 0 && ts.isStringLiteral(node.arguments[0])) {
      add(node.arguments[0].text, false, true);
    } else if (ts.isImportTypeNode(node) && ts.isLiteralTypeNode(node.argument) && ts.isStringLiteral(node.argument.literal)) {
      add(node.argument.literal.text, true, false);
    }
    ts.forEachChild(node, visit);
  };
  visit(sf);
  return edges;
}

const FILES = sourceFiles();
const GRAPH = new Map<string, Edge[]>(FILES.map((f) => [rel(f), importsOf(f)]));

/** Every cycle's strongly connected component (Tarjan), over the imports that load code. */
function cycles(graph: Map<string, Edge[]>): string[][] {
  let next = 0;
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const found: string[][] = [];
  const deps = (v: string): string[] => (graph.get(v) ?? []).filter((e) => !e.typeOnly && graph.has(e.to)).map((e) => e.to);
  const strong = (v: string): void => {
    index.set(v, next);
    low.set(v, next);
    next++;
    stack.push(v);
    onStack.add(v);
    for (const w of deps(v)) {
      if (!index.has(w)) {
        strong(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (onStack.has(w)) low.set(v, Math.min(low.get(v)!, index.get(w)!));
    }
    if (low.get(v) === index.get(v)) {
      const scc: string[] = [];
      let w: string;
      do {
        w = stack.pop()!;
        onStack.delete(w);
        scc.push(w);
      } while (w !== v);
      if (scc.length > 1 || deps(v).includes(v)) found.push(scc.sort());
    }
  };
  for (const v of graph.keys()) if (!index.has(v)) strong(v);
  return found;
}

/** One concrete loop inside a strongly connected component, `a -> b -> ... -> a`, for the message. */
function loopIn(scc: string[], graph: Map<string, Edge[]>): string {
  const inScc = new Set(scc);
  const start = scc[0];
  const prev = new Map<string, string>();
  const queue = [start];
  const seen = new Set([start]);
  while (queue.length > 0) {
    const v = queue.shift()!;
    for (const e of graph.get(v) ?? []) {
      if (e.typeOnly || !inScc.has(e.to)) continue;
      if (e.to === start) {
        const path_ = [v];
        while (path_[0] !== start) path_.unshift(prev.get(path_[0])!);
        return [...path_, start].join(' -> ');
      }
      if (!seen.has(e.to)) {
        seen.add(e.to);
        prev.set(e.to, v);
        queue.push(e.to);
      }
    }
  }
  return scc.join(', ');
}

const LAYERS = ['format', 'storage', 'ops', 'cli'] as const;
const layerOf = (file: string): number => LAYERS.indexOf(file.split('/')[0] as (typeof LAYERS)[number]);

/** Node modules format/ must not import: it is pure bytes <-> values (STYLE.md). */
const FORMAT_FORBIDDEN = /^(node:)?(fs|fs\/promises|child_process|process|worker_threads|os|net|tty|readline)$/;

/**
 * format/ files that read the `process` global. Known debts (STYLE.md, "grow out of: process.env read
 * in format/"), listed so that no other file starts doing it:
 * - format/native.ts loads the optional native modules (KSEG_NO_NATIVE, the Node ABI in an addon's path);
 * - format/codecs.ts keeps the decompression limit in KSEG_MAX_DECOMPRESSED_BYTES so worker threads inherit it.
 */
const FORMAT_READS_PROCESS = new Set(['format/native.ts', 'format/codecs.ts']);

/** The only files that may set the process's exit code or exit (main.ts; exit-codes.ts's exitNow for signals and a failed stdout). */
const SETS_EXIT_CODE = new Set(['cli/main.ts', 'cli/exit-codes.ts']);

describe('architecture (STYLE.md: layers, one direction)', () => {
  it('reads a graph of every source file', () => {
    expect(GRAPH.size).toBeGreaterThan(50);
    // the parser sees static, re-exported and dynamic imports
    const main = GRAPH.get('cli/main.ts')!;
    expect(main.some((e) => e.to === 'cli/command-list.ts' && !e.dynamic)).toBe(true);
    expect(GRAPH.get('cli/command-list.ts')!.some((e) => e.to === 'cli/commands/dump.ts' && e.dynamic)).toBe(true);
    expect(GRAPH.get('index.ts')!.some((e) => e.to === 'ops/dump.ts')).toBe(true);
    for (const [file, edges] of GRAPH) for (const e of edges) if (e.to.endsWith('.ts')) expect(GRAPH.has(e.to), `${file} imports ${e.to}, which is not a source file`).toBe(true);
  });

  it('the cycle finder finds a cycle when there is one', () => {
    const g = new Map<string, Edge[]>([
      ['a.ts', [{ to: 'b.ts', typeOnly: false, dynamic: false }]],
      ['b.ts', [{ to: 'c.ts', typeOnly: false, dynamic: true }]],
      ['c.ts', [{ to: 'a.ts', typeOnly: false, dynamic: false }]],
      ['d.ts', [{ to: 'a.ts', typeOnly: true, dynamic: false }]],
    ]);
    const found = cycles(g);
    expect(found).toEqual([['a.ts', 'b.ts', 'c.ts']]);
    expect(loopIn(found[0], g)).toBe('a.ts -> b.ts -> c.ts -> a.ts');
    g.set('c.ts', [{ to: 'a.ts', typeOnly: true, dynamic: false }]);
    expect(cycles(g)).toEqual([]);
  });

  it('has no import cycle (static or dynamic import; type-only imports aside)', () => {
    const found = cycles(GRAPH).map((scc) => loopIn(scc, GRAPH));
    expect(found, `import cycles:\n${found.join('\n')}`).toEqual([]);
  });

  it('imports point downward only: cli -> ops -> storage -> format', () => {
    const upward: string[] = [];
    for (const [file, edges] of GRAPH) {
      const from = layerOf(file);
      for (const e of edges) {
        if (!GRAPH.has(e.to)) continue;
        if (e.to === 'index.ts') upward.push(`${file} -> index.ts (the library entry is imported by nothing in src/)`);
        if (from < 0) continue; // src/index.ts, the library entry, re-exports every layer but cli
        if (layerOf(e.to) > from) upward.push(`${file} -> ${e.to}`);
      }
    }
    for (const e of GRAPH.get('index.ts')!) if (e.to.startsWith('cli/')) upward.push(`index.ts -> ${e.to} (the library does not export the CLI)`);
    expect(upward, `imports that point upward:\n${upward.join('\n')}`).toEqual([]);
  });

  it('format/ touches no file system, process or thread: it is bytes <-> values', () => {
    const bad: string[] = [];
    for (const [file, edges] of GRAPH) {
      if (!file.startsWith('format/')) continue;
      for (const e of edges) if (FORMAT_FORBIDDEN.test(e.to)) bad.push(`${file} imports ${e.to}`);
      const text = fs.readFileSync(path.join(SRC, file), 'utf8');
      if (/\bprocess\s*\./.test(text) && !FORMAT_READS_PROCESS.has(file)) bad.push(`${file} reads the process global`);
    }
    for (const f of FORMAT_READS_PROCESS) expect(GRAPH.has(f), `${f} is gone: drop it from FORMAT_READS_PROCESS`).toBe(true);
    expect(bad, bad.join('\n')).toEqual([]);
  });

  it('only the CLI entry sets the exit code (handlers return their status; errors carry a kind, not a code)', () => {
    const bad: string[] = [];
    for (const file of GRAPH.keys()) {
      const text = fs.readFileSync(path.join(SRC, file), 'utf8');
      if (/process\.exit(Code)?\b/.test(text.replace(/\/\/.*$|\/\*[\s\S]*?\*\//gm, '')) && !SETS_EXIT_CODE.has(file)) bad.push(file);
    }
    expect(bad, `files that set the exit code or exit (return the status to main.ts instead):\n${bad.join('\n')}`).toEqual([]);
    expect(fs.readFileSync(path.join(SRC, 'format', 'errors.ts'), 'utf8')).not.toMatch(/exitCode/);
  });

  it(`no source file is over ${MAX_LINES} lines`, () => {
    const long = FILES.map((f) => ({ file: rel(f), lines: fs.readFileSync(f, 'utf8').split('\n').length - 1 }))
      .filter((x) => x.lines > MAX_LINES)
      .map((x) => `${x.file}: ${x.lines} lines`);
    expect(long, `split these (STYLE.md: one job per file):\n${long.join('\n')}`).toEqual([]);
  });
});

describe('per-command bundles (scripts/build-cli.mjs; run `npm run build` first)', () => {
  const BUNDLES = path.join(ROOT, 'dist', 'cli', 'bundle');
  /** The src/ files a bundle holds, from its source map. */
  const sourcesOf = (name: string): string[] => {
    const map = JSON.parse(fs.readFileSync(path.join(BUNDLES, `${name}.cjs.map`), 'utf8')) as { sources: string[] };
    return map.sources.filter((s) => /(^|\/)src\//.test(s)).map((s) => s.replace(/^.*?src\//, ''));
  };
  /** The JSON escaper's wasm module, base64 in json-escape-wasm.ts: its first bytes, `\0asm` and version 1. */
  const WASM_MAGIC = Buffer.from([0, 0x61, 0x73, 0x6d, 1, 0, 0, 0]).toString('base64').slice(0, 10);

  it("kseg info's bundle does not hold dump's NDJSON writer or its wasm", () => {
    expect(fs.readFileSync(path.join(SRC, 'cli', 'json-escape-wasm.ts'), 'utf8')).toContain(WASM_MAGIC);
    // the check can fail: dump's bundle has both
    expect(sourcesOf('dump')).toEqual(expect.arrayContaining(['cli/ndjson-writer.ts', 'cli/json-escape-wasm.ts']));
    expect(fs.readFileSync(path.join(BUNDLES, 'dump.cjs'), 'utf8')).toContain(WASM_MAGIC);
    const info = sourcesOf('info');
    expect(info).toContain('cli/commands/info.ts');
    expect(info).not.toContain('cli/ndjson-writer.ts');
    expect(info).not.toContain('cli/json-escape-wasm.ts');
    expect(info).not.toContain('cli/commands/dump.ts');
    expect(fs.readFileSync(path.join(BUNDLES, 'info.cjs'), 'utf8')).not.toContain(WASM_MAGIC);
  });
});
