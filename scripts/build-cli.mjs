#!/usr/bin/env node
// Second half of `npm run build`, after `tsc` (which type-checks and writes the library and the
// unbundled CLI to dist/). Bundles the CLI with esbuild for start-up time: one CommonJS file per
// command in dist/cli/bundle/ (lookup.cjs, dump.cjs, ...; help.cjs for `kseg`, `kseg --help`,
// `--version` and unknown commands), each holding src/cli/main.ts with only that command, the
// modules it uses and the packages behind them (commander, chalk, cli-table3, cli-progress).
// bin/kseg.js (CommonJS) requires the one the command line names: a single synchronous file read
// instead of the ES module loader resolving and reading ~40 files. What a command loads only on
// some paths (chalk for text output, codecs, CRC) stays lazy inside its bundle.
// Native and optional packages are not bundled: format/native.ts requires them at run time.
// bin/kseg.js uses a bundle only when it is newer than tsc's dist/cli/main.js, so a plain `tsc`
// run afterwards makes it fall back to the unbundled ES modules instead of running stale code.
//
//   node scripts/build-cli.mjs [--outdir DIR] [--verbose]    (DIR defaults to dist)
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import * as esbuild from 'esbuild';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const outAt = process.argv.indexOf('--outdir');
const dist = outAt > 0 ? path.resolve(process.argv[outAt + 1]) : path.join(root, 'dist');
const outdir = path.join(dist, 'cli', 'bundle');
const verbose = process.argv.includes('--verbose');

const commands = fs
  .readdirSync(path.join(root, 'src', 'cli', 'commands'))
  .filter((f) => f.endsWith('.ts'))
  .map((f) => f.slice(0, -3))
  .sort();

/**
 * command-list.ts loads each command with `import('./commands/NAME.js')`; a command's bundle keeps only
 * its own. bin/kseg.js picks the bundle by the same rule main.ts picks the command, so the others
 * are never called; if one were, it fails loudly (exit 70) rather than quietly doing nothing.
 */
function onlyCommand(keep) {
  return {
    name: 'only-command',
    setup(build) {
      build.onResolve({ filter: /^\.\/commands\/[a-z-]+\.js$/ }, (args) => {
        if (!/[\\/]src[\\/]cli[\\/](main|command-list)\.ts$/.test(args.importer)) return undefined;
        // `kseg completion` walks every command's options: its bundle keeps them all.
        if (keep === 'completion') return undefined;
        const name = args.path.slice('./commands/'.length, -'.js'.length);
        return name === keep ? undefined : { path: name, namespace: 'kseg-other-command' };
      });
      build.onLoad({ filter: /.*/, namespace: 'kseg-other-command' }, (args) => ({
        contents: `export function register() { throw new Error(${JSON.stringify(`the ${args.path} command is not in this bundle (dist/cli/bundle)`)}); }`,
        loader: 'js',
      }));
    },
  };
}

/**
 * commander requires node:child_process at load time (~3 ms with net and stream) only to spawn
 * executable subcommands, which kseg does not have: load it on that call instead.
 */
const lazyChildProcess = {
  name: 'lazy-child-process',
  setup(build) {
    build.onLoad({ filter: /[\\/]commander[\\/]lib[\\/]command\.js$/ }, async (args) => {
      const src = await fs.promises.readFile(args.path, 'utf8');
      const eager = "const childProcess = require('node:child_process');";
      if (!src.includes(eager)) {
        return { contents: src, loader: 'js', warnings: [{ text: 'commander no longer requires node:child_process as expected: it stays eager' }] };
      }
      const lazy = "const childProcess = { spawn: (...args) => require('node:child_process').spawn(...args) };";
      return { contents: src.replace(eager, lazy), loader: 'js' };
    });
  },
};

/**
 * chalk's supports-color imports node:tty (and with it net and stream, ~2 ms) to ask isatty(1)
 * and isatty(2). A terminal is a character device, so an fstat answers "no" for pipes and files
 * without it; only for a character device is node:tty loaded to give the real answer.
 */
const lazyTty = {
  name: 'lazy-tty',
  setup(build) {
    build.onLoad({ filter: /[\\/]chalk[\\/]source[\\/]vendor[\\/]supports-color[\\/]index\.js$/ }, async (args) => {
      const src = await fs.promises.readFile(args.path, 'utf8');
      const eager = "import tty from 'node:tty';";
      if (!src.includes(eager)) {
        return { contents: src, loader: 'js', warnings: [{ text: 'supports-color no longer imports node:tty as expected: it stays eager' }] };
      }
      const lazy = [
        "import { fstatSync as __ksegFstatSync } from 'node:fs';",
        'const tty = { isatty(fd) {',
        '  try { if (!__ksegFstatSync(fd).isCharacterDevice()) return false; } catch {}',
        "  return require('node:tty').isatty(fd);",
        '} };',
      ].join('\n');
      return { contents: src.replace(eager, lazy), loader: 'js' };
    });
  },
};

const common = {
  absWorkingDir: root,
  bundle: true,
  platform: 'node',
  target: 'node20',
  // Less source for V8 to scan at start-up (lookup.cjs: 220 -> 130 kB); names are kept readable
  // for the stack trace of an internal error, and the source map (not loaded at run time) maps it.
  // The map is written beside the bundle for a developer's checkout but not linked from it, and
  // package.json leaves these maps out of the package: their sources are the build machine's
  // node_modules paths (an install lays them out differently). The package ships src/ for tsc's
  // maps of dist/*.js instead.
  minifyWhitespace: true,
  minifySyntax: true,
  sourcemap: 'external',
  sourcesContent: false,
  logLevel: 'warning',
  metafile: true,
};

fs.rmSync(outdir, { recursive: true, force: true });
const builds = [...commands, 'help'].map((name) =>
  esbuild.build({
    ...common,
    entryPoints: [{ in: 'src/cli/main.ts', out: name }],
    outdir,
    outExtension: { '.js': '.cjs' },
    format: 'cjs',
    // import.meta.url (format/native.ts's createRequire, the workers' files) is this bundle
    // file's URL, computed when first read (pathToFileURL costs ~1 ms the first time).
    define: { 'import.meta.url': '__ksegImportMeta.url' },
    banner: { js: "const __ksegImportMeta = { get url() { return require('node:url').pathToFileURL(__filename).href; } };" },
    plugins: [onlyCommand(name), lazyChildProcess, lazyTty],
  }),
);
// Worker threads started from a module file, `new URL('./NAME.js', import.meta.url)` (ops/scan.ts,
// ops/verify/pool.ts): in a bundle import.meta.url is the bundle's, so each such file is
// bundled too, as an ES module beside the bundles (the worker runs it on its own).
const workers = new Map();
(function findWorkers(dir) {
  for (const ent of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, ent.name);
    if (ent.isDirectory()) findWorkers(p);
    else if (ent.name.endsWith('.ts')) {
      for (const m of fs.readFileSync(p, 'utf8').matchAll(/new URL\(\s*'\.\/([\w-]+)\.js'\s*,\s*import\.meta\.url\s*\)/g)) {
        const entry = path.join(path.dirname(p), `${m[1]}.ts`);
        if (workers.has(m[1]) && workers.get(m[1]) !== entry) throw new Error(`two worker modules named ${m[1]}.js: ${workers.get(m[1])}, ${entry}`);
        workers.set(m[1], entry);
      }
    }
  }
})(path.join(root, 'src'));
for (const [name, entry] of workers) {
  builds.push(
    esbuild.build({
      ...common,
      entryPoints: [{ in: path.relative(root, entry), out: name }],
      outdir,
      format: 'esm',
      banner: { js: "import { createRequire as __ksegCreateRequire } from 'node:module'; const require = __ksegCreateRequire(import.meta.url);" },
    }),
  );
}
const results = await Promise.all(builds);
// bin/kseg.js runs a bundle as CommonJS: a dynamic import() left in one would load a second copy
// of modules (and their classes) beside it. (`init_import(` of the import command's module is not one.)
for (const r of results) {
  for (const file of Object.keys(r.metafile.outputs)) {
    if (file.endsWith('.cjs') && /(?<![\w$])import\(/.test(fs.readFileSync(path.resolve(root, file), 'utf8'))) throw new Error(`${file}: the bundle still has a dynamic import()`);
  }
}

/**
 * V8 code cache for each bundle: run it once here (its command's --help; lookup also on a fixture
 * partition, text and --json) and keep the bytecode of everything that run compiled in NAME.cache,
 * which bin/kseg.js hands to V8. It saves compiling the bundle and, at each first call, its
 * functions (commander, the listing, the lookup): about 6 ms of `kseg lookup`. Training only reads.
 */
const fixture = ['v2-multiseg', 'v2-none'].map((c) => path.join(root, 'fixtures', c, 'topic-0')).find((p) => fs.existsSync(p)) ?? null;
function trainingRuns(name) {
  if (name === 'help') return [['--help'], ['--version']];
  const runs = [[name, '--help']];
  if (name === 'lookup' && fixture) runs.push(['lookup', fixture, '--offset', '0', '--explain'], ['lookup', fixture, '--offset', '0', '--json']);
  return runs;
}
const TRAIN = `
const fs = require('node:fs');
const { loadBundle } = require(process.argv[1]);
const [file, cache, runs] = process.argv.slice(2);
const b = loadBundle(file);
(async () => {
  for (const args of JSON.parse(runs)) await b.exports.run([process.execPath, 'kseg', ...args]);
  fs.writeFileSync(cache, b.script.createCachedData());
  process.exitCode = 0;
})();
`;
await Promise.all(
  [...commands, 'help'].map(
    (name) =>
      new Promise((resolve) => {
        const file = path.join(outdir, `${name}.cjs`);
        const cache = path.join(outdir, `${name}.cache`);
        const args = ['-e', TRAIN, path.join(root, 'bin', 'kseg.js'), file, cache, JSON.stringify(trainingRuns(name))];
        // stdout a pipe, as for most runs (a terminal would also load chalk: theme.ts)
        const child = spawn(process.execPath, args, { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
        child.stdout.resume();
        let err = '';
        child.stderr.on('data', (d) => (err += d));
        child.on('close', () => {
          if (!fs.existsSync(cache)) console.warn(`build-cli: no code cache for ${name}.cjs (it still runs, compiling at start-up)\n${err}`);
          resolve();
        });
      }),
  ),
);

if (verbose) {
  for (const r of results) {
    for (const [file, o] of Object.entries(r.metafile.outputs)) if (!file.endsWith('.map')) console.log(`${String(o.bytes).padStart(8)} ${file}`);
  }
}
