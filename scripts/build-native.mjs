#!/usr/bin/env node
// `npm run build:native`: build the optional mmap addon (@riaskov/mmap-io, kseg's memory-mapped
// reader) for the Node.js running this script, beside the builds for other Node versions.
//
// Why: a node-gyp addon is compiled for one Node ABI (NODE_MODULE_VERSION: 115 = Node 20,
// 137 = Node 24). A node_modules installed under Node 20 and then run by Node 24 finds no
// registration for ABI 137 ("Module did not self-register") and kseg falls back to positional
// reads. And a fresh install under Node 24 does not build it at all: the package's binding.gyp
// forces -std=c++17, while Node 24's V8 headers require C++20. This script compiles it in a
// temporary copy with CXXFLAGS=-std=gnu++20 (the environment's flags come after binding.gyp's, so
// they win; Node 20's headers build with it too) and puts the addon at the path node-pre-gyp uses
// for this ABI, build/binding/Release/node-v<ABI>-<platform>-<arch>/mmap_io.node, which
// src/format/native.ts tries first. Builds for other ABIs stay, so one node_modules serves both.
//
//   node scripts/build-native.mjs [--package-dir DIR]   (DIR: the @riaskov/mmap-io to add to)
//
// Needs a C++ compiler, make and python3 (node-gyp). Node's headers come from the running Node's
// own include/node when present (the npm `node` package and the official tarballs ship them), so
// no download; otherwise node-gyp fetches them. Exit 0 with the path built, 1 with the reason.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const require = createRequire(path.join(root, 'package.json'));
const fail = (msg) => {
  console.error(`build-native: ${msg}`);
  process.exit(1);
};

const at = process.argv.indexOf('--package-dir');
let pkgDir;
try {
  pkgDir = at > 0 ? path.resolve(process.argv[at + 1]) : path.dirname(require.resolve('@riaskov/mmap-io/package.json'));
} catch {
  fail('@riaskov/mmap-io is not installed (it is an optional dependency): nothing to build');
}
const pkgRequire = createRequire(path.join(pkgDir, 'package.json'));
let nodeGyp;
let nanDir;
try {
  nodeGyp = pkgRequire.resolve('node-gyp/bin/node-gyp.js');
} catch {
  // npm bundles node-gyp beside itself.
  const npmGyp = process.env.npm_execpath ? path.join(path.dirname(process.env.npm_execpath), '..', 'node_modules', 'node-gyp', 'bin', 'node-gyp.js') : '';
  if (npmGyp && fs.existsSync(npmGyp)) nodeGyp = npmGyp;
  else fail('node-gyp not found (install it, or run this through npm: npm run build:native)');
}
try {
  nanDir = path.dirname(pkgRequire.resolve('nan/package.json'));
} catch {
  fail('the nan headers package (a dependency of @riaskov/mmap-io) is not installed');
}

const abi = `node-v${process.versions.modules}-${process.platform}-${process.arch}`;
const dest = path.join(pkgDir, 'build', 'binding', 'Release', abi, 'mmap_io.node');
const work = fs.mkdtempSync(path.join(os.tmpdir(), 'kseg-mmap-build-'));
try {
  for (const f of ['binding.gyp', 'package.json', 'src']) fs.cpSync(path.join(pkgDir, f), path.join(work, f), { recursive: true });
  // This Node's headers: beside its binary (official tarballs), or in the platform package of the
  // npm `node` package, whose bin/node is a copy of that package's binary.
  const up = path.resolve(path.dirname(process.execPath), '..');
  const platformPkg = `node-${process.platform}-${process.arch}`;
  const nodeDir = [up, path.join(up, 'node_modules', platformPkg), path.join(up, '..', platformPkg)].find((d) => fs.existsSync(path.join(d, 'include', 'node', 'node.h')));
  const args = [nodeGyp, 'rebuild', `--module_name=mmap_io`, `--module_path=${path.join(work, 'out')}`];
  if (nodeDir !== undefined) args.push(`--nodedir=${nodeDir}`);
  // npm hands its config to scripts as npm_config_* variables, which node-gyp reads as options:
  // an npmrc's nodedir (e.g. /usr, the system Node's headers) would build for another Node.
  const inherited = Object.fromEntries(Object.entries(process.env).filter(([k]) => !/^npm_config_(nodedir|target|runtime|dist_url|disturl|arch|target_arch)$/i.test(k)));
  const env = {
    ...inherited,
    // binding.gyp's `node -e "require('nan')"` must find nan and run this Node.
    NODE_PATH: path.dirname(nanDir) + (process.env.NODE_PATH ? path.delimiter + process.env.NODE_PATH : ''),
    PATH: path.dirname(process.execPath) + path.delimiter + (process.env.PATH ?? ''),
    CXXFLAGS: `${process.env.CXXFLAGS ?? ''} -std=gnu++20`.trim(),
  };
  const r = spawnSync(process.execPath, args, { cwd: work, env, stdio: ['ignore', 'pipe', 'pipe'], encoding: 'utf8' });
  const built = path.join(work, 'build', 'Release', 'mmap_io.node');
  if (r.status !== 0 || !fs.existsSync(built)) {
    process.stderr.write(
      r.stdout
        .split('\n')
        .filter((l) => !l.startsWith('gyp info'))
        .join('\n'),
    );
    process.stderr.write(
      r.stderr
        .split('\n')
        .filter((l) => !l.startsWith('gyp info'))
        .join('\n'),
    );
    fail(`node-gyp failed (exit ${r.status}) building @riaskov/mmap-io for ${process.version}; kseg keeps working with positional reads`);
  }
  // Load it before installing it, so a broken build never replaces nothing with something worse.
  try {
    require(built);
  } catch (e) {
    fail(`the addon built but does not load in ${process.version}: ${e.message}`);
  }
  fs.mkdirSync(path.dirname(dest), { recursive: true });
  const tmp = `${dest}.${process.pid}.tmp`;
  fs.copyFileSync(built, tmp);
  fs.renameSync(tmp, dest);
  console.log(`build-native: @riaskov/mmap-io for ${process.version} (ABI ${process.versions.modules}) -> ${dest}`);
} finally {
  fs.rmSync(work, { recursive: true, force: true });
}
