#!/usr/bin/env node
'use strict';
// CommonJS (bin/package.json), so start-up does not set up the ES module loader: the command's
// bundle (dist/cli/bundle/NAME.cjs, scripts/build-cli.mjs) is one synchronous require. When the
// bundles are missing or older than tsc's dist/cli/main.js (tsc was run alone since), the
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

function bundle() {
  const name = commandName(process.argv.slice(2));
  const own = name !== undefined && /^[a-z][a-z-]*$/.test(name) ? path.join(cli, 'bundle', `${name}.cjs`) : null;
  const file = own !== null && fs.existsSync(own) ? own : path.join(cli, 'bundle', 'help.cjs');
  try {
    if (fs.statSync(file).mtimeMs < fs.statSync(path.join(cli, 'main.js')).mtimeMs) return null;
  } catch {
    return null;
  }
  return require(file);
}

const b = bundle();
if (b) b.run();
else import('../dist/cli/main.js').then((m) => m.run());
