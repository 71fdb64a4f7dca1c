#!/usr/bin/env node
'use strict';
// CommonJS (bin/package.json), so start-up does not set up the ES module loader: the command's
// bundle (dist/cli/bundle/NAME.cjs, scripts/build-cli.mjs) is one synchronous file read, compiled
// with the V8 code cache the build left beside it (NAME.cache: bytecode of what a run of that
// command compiled; V8 ignores a cache made by another Node version or with other V8 flags).
// When the bundles are missing or older than tsc's dist/cli/main.js (tsc was run alone since), the
// unbundled ES modules run instead: the same sources, a slower start.
const fs = require('node:fs');
const path = require('node:path');

const cli = path.join(__dirname, '..', 'dist', 'cli');

/** The command a command line names: main.ts's commandName(), which the bundles rely on. */
function commandName(args) {
  const first = args.find((a) => !a.startsWith('-'));
  if (first === 'help') return args[args.indexOf('help') + 1];
  return first;
}

/** The bundle for this command line, or null when there is none newer than tsc's output. */
function bundleFile(args) {
  const name = commandName(args);
  const own = name !== undefined && /^[a-z][a-z-]*$/.test(name) ? path.join(cli, 'bundle', `${name}.cjs`) : null;
  const file = own !== null && fs.existsSync(own) ? own : path.join(cli, 'bundle', 'help.cjs');
  try {
    return fs.statSync(file).mtimeMs >= fs.statSync(path.join(cli, 'main.js')).mtimeMs ? file : null;
  } catch {
    return null;
  }
}

/**
 * Run a CommonJS bundle as require() would, through vm.Script so V8 can take its code cache.
 * Returns the module's exports and the script (the build calls createCachedData() on it).
 */
function loadBundle(file, cachedData) {
  const vm = require('node:vm');
  const Module = require('node:module');
  const source = `(function (exports, require, module, __filename, __dirname) { ${fs.readFileSync(file, 'utf8')}\n})`;
  const script = new vm.Script(source, { filename: file, cachedData });
  const mod = { exports: {} };
  script.runInThisContext().call(mod.exports, mod.exports, Module.createRequire(file), mod, file, path.dirname(file));
  return { exports: mod.exports, script };
}

function readCache(file) {
  try {
    return fs.readFileSync(file.slice(0, -'.cjs'.length) + '.cache');
  } catch {
    return undefined;
  }
}

if (require.main === module) {
  const file = bundleFile(process.argv.slice(2));
  if (file !== null) loadBundle(file, readCache(file)).exports.run();
  else import('../dist/cli/main.js').then((m) => m.run());
} else {
  module.exports = { loadBundle };
}
