import fs from 'node:fs';
import path from 'node:path';
import { ioError } from '../../format/errors.js';
import { KSEG_LOCK_FILE, partitionFromEntries, readDirEntries, type DirEntry, type PartitionDir } from '../../storage/segments.js';
import type { PartitionView } from '../partition-scan/index.js';
import type { PlanFile, PlanState } from './types.js';

/** The plan's virtual listing of the directory, as segment discovery would see it after the actions planned so far. */
export function listing(state: PlanState): PartitionDir {
  const entries: DirEntry[] = [...state.files].map(([name, f]) => ({ name, type: 'file', size: f.size }));
  return partitionFromEntries(state.dir, entries);
}

export function viewOfPlan(state: PlanState): PartitionView {
  return { dir: state.dir, partition: listing(state), pathOf: (name) => state.files.get(name)?.real ?? path.join(state.dir, name) };
}

export function planDelete(state: PlanState, file: string, reason: string): void {
  const f = state.files.get(file);
  if (!f) return;
  state.actions.push({ type: 'delete', file, bytes: f.size, reason });
  state.files.delete(file);
}

export function planWrite(state: PlanState, file: string, data: Buffer, reason: string): void {
  const existed = state.files.has(file);
  state.actions.push({ type: 'write', file, data, existed, reason });
  state.files.set(file, { size: data.length, real: path.join(state.dir, file) });
}

/** The directory as it is: every file (kseg's lock aside) with its size. */
export function dirEntries(dir: string): Map<string, PlanFile> {
  const files = new Map<string, PlanFile>();
  for (const e of readDirEntries(dir)) {
    if (e.type !== 'file' || e.name.startsWith(KSEG_LOCK_FILE)) continue;
    const real = path.join(dir, e.name);
    let size: number;
    try {
      size = fs.statSync(real).size;
    } catch (err) {
      throw ioError(err, real);
    }
    files.set(e.name, { size, real });
  }
  return files;
}
