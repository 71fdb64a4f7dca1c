import fs from 'node:fs';
import path from 'node:path';
import { ioError, KsegError } from '../../format/errors.js';
import { copyRangeDurable as copyRange, faultPoint, fsyncDir, removeDurable, renameDurable, SimulatedCrash, truncateDurable, writeFileAtomic } from '../../storage/atomic.js';
import type { RecoveryPlan } from './types.js';
import { runToEnd, type Steps, type StopState } from '../interrupt.js';

/**
 * Copy everything the plan removes or replaces into a fresh sub-directory of `root`, with a
 * manifest.json saying where each piece came from (byte ranges of truncated files included).
 */
export function backupPlan(plan: RecoveryPlan, root: string): string {
  return runToEnd(backupPlanSteps(plan, root));
}

/** backupPlan as steps (ops/interrupt.ts): a safe point ('recover-backup') before each file copied. */
export function* backupPlanSteps(plan: RecoveryPlan, root: string, at: StopState = { state: '' }): Steps<string> {
  const stamp = new Date().toISOString().replace(/[:.]/g, '-');
  const dest = path.join(path.resolve(root), `${path.basename(path.resolve(plan.dir))}-${stamp}`);
  const manifest: Record<string, unknown>[] = [];
  try {
    fs.mkdirSync(dest, { recursive: true });
    // Names at execution time can differ from names now (swaps are renamed first): back up the current bytes.
    const realNow = new Map<string, string>();
    for (const a of plan.actions) {
      if (a.type === 'rename') realNow.set(a.to, realNow.get(a.from) ?? path.join(plan.dir, a.from));
    }
    const source = (name: string): string => realNow.get(name) ?? path.join(plan.dir, name);
    let n = 0;
    at.state = `recover stopped while backing up, before any file of the partition changed: the partition is unchanged (the incomplete backup ${dest} can be deleted)`;
    for (const a of plan.actions) {
      yield 'recover-backup';
      faultPoint(`backup ${a.type} ${'file' in a ? a.file : a.from}`);
      if (a.type === 'delete' || (a.type === 'write' && a.existed)) {
        const saved = `${String(++n).padStart(4, '0')}-${a.file}`;
        const src = source(a.file);
        copyRange(src, path.join(dest, saved), 0, fs.statSync(src).size);
        manifest.push({ action: a.type, file: a.file, saved, reason: a.reason });
      } else if (a.type === 'truncate') {
        const saved = `${String(++n).padStart(4, '0')}-${a.file}.bytes-${a.size}-${a.fromSize}`;
        copyRange(source(a.file), path.join(dest, saved), a.size, a.fromSize);
        manifest.push({ action: 'truncate', file: a.file, saved, fromPosition: a.size, toPosition: a.fromSize, reason: a.reason, restore: `cat ${saved} >> ${a.file}` });
      } else if (a.type === 'rename') {
        manifest.push({ action: 'rename', from: a.from, to: a.to, reason: a.reason });
      } else {
        manifest.push({ action: 'write', file: a.file, created: true, reason: a.reason });
      }
    }
    writeFileAtomic(dest, 'manifest.json', JSON.stringify({ partition: path.resolve(plan.dir), createdAt: new Date().toISOString(), actions: manifest }, null, 2) + '\n');
    fsyncDir(dest);
  } catch (e) {
    if (e instanceof KsegError || e instanceof SimulatedCrash) throw e;
    throw ioError(e, dest);
  }
  return dest;
}

export function execute(plan: RecoveryPlan): void {
  runToEnd(executeSteps(plan));
}

/**
 * execute as steps (ops/interrupt.ts): a safe point before the first action ('recover-apply') and
 * before each later one ('recover-action-N'). The actions are ordered so that stopping between any two leaves a partition that
 * another `kseg recover` finishes (each action is durable on its own: fsync and rename).
 */
export function* executeSteps(plan: RecoveryPlan, at: StopState = { state: '' }): Steps<void> {
  const dir = plan.dir;
  const total = plan.actions.length;
  for (const [i, a] of plan.actions.entries()) {
    if (i > 0)
      at.state = `recover stopped after ${i} of ${total} planned changes: the partition is partly recovered (every change made is complete); run kseg recover again to finish it`;
    yield i === 0 ? 'recover-apply' : `recover-action-${i + 1}`;
    switch (a.type) {
      case 'delete':
        removeDurable(dir, a.file);
        fsyncDir(dir);
        break;
      case 'rename':
        renameDurable(dir, a.from, a.to);
        break;
      case 'write':
        writeFileAtomic(dir, a.file, a.data);
        break;
      case 'truncate':
        truncateDurable(dir, a.file, a.size);
        break;
    }
  }
}
