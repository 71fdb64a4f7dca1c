#!/usr/bin/env node
// `npm run demo`: the main job on bundled data. `kseg generate` writes a realistic partition
// (transactions, mixed codecs, several segments) into a temp dir; then info, dump, lookup and
// verify read it; a second partition gets a corrupt batch that verify finds and recover repairs.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const kseg = path.join(root, 'bin', 'kseg.js');
const work = fs.mkdtempSync(path.join(os.tmpdir(), 'kseg-demo-'));

function show(args, { expect = [0] } = {}) {
  console.log(`\n\x1b[1m$ kseg ${args.join(' ')}\x1b[0m`);
  const r = spawnSync(process.execPath, [kseg, ...args], { stdio: 'inherit' });
  if (!expect.includes(r.status)) {
    console.error(`demo: kseg ${args[0]} exited ${r.status} (expected ${expect.join(' or ')})`);
    process.exit(1);
  }
}

const orders = path.join(work, 'orders-0');
show([
  'generate',
  orders,
  '--records',
  '3000',
  '--transactions',
  '--compression',
  'none,gzip,lz4,zstd,snappy',
  '--segment-bytes',
  '64k',
  '--headers',
  '2',
  '--leader-epochs',
  '2',
  '--seed',
  '7',
]);
show(['info', orders]);
show(['dump', orders, '--from-offset', '1000', '--to-offset', '1004', '--header-decoder', 'hex']);
show(['lookup', orders, '--offset', '2000', '--explain']);
show(['verify', orders]);

const broken = path.join(work, 'payments-0');
show(['generate', broken, '--records', '2000', '--segment-bytes', '32k', '--seed', '8', '--corrupt', 'crc']);
show(['verify', broken], { expect: [1] });
show(['recover', broken, '--dry-run']);
show(['recover', broken]);
show(['verify', broken]);

fs.rmSync(work, { recursive: true, force: true });
console.log('\ndemo: done (the partitions were written to a temp dir and removed)');
