import type { DumpEvent, TimeIndexProblem } from '../ops/dump.js';
import { javaAbsolutePath } from '../ops/dump.js';

/**
 * The report kafka-dump-log.sh prints on stderr after all files (DumpLogSegments.main): index
 * mismatches, then the time index's errors (TimeIndexDumpErrors.printErrors), then non-consecutive
 * offsets. `kafka` follows the 3.x Scala tool, `kafka4` the Java port (tools module, 2026).
 *
 * Both tools keep these in hash maps keyed by the file's absolute path, so with several files the
 * order of the files is the map's iteration order, not the order they were given: the Scala tool
 * uses scala.collection.mutable.HashMap (2.13), the Java port java.util.HashMap. Within a file the
 * Scala tool prepends (newest first) index mismatches and non-consecutive pairs; the Java port keeps
 * them in TreeMaps (mismatches by descending index offset, pairs by ascending first offset, a repeated
 * key keeping the last value) and starts its consecutive check from -1.
 */
export type KafkaFlavor = 'kafka' | 'kafka4';

/** java.lang.String.hashCode over UTF-16 code units, as a signed 32-bit int. */
export function javaStringHash(s: string): number {
  let h = 0;
  for (let i = 0; i < s.length; i++) h = (Math.imul(h, 31) + s.charCodeAt(i)) | 0;
  return h;
}

/** Both maps spread the hash the same way before masking with the table size. */
const improve = (h: number): number => h ^ (h >>> 16);

/**
 * Key order of a java.util.HashMap after inserting `keys` (distinct, in insertion order) with
 * computeIfAbsent: table 16, doubled when the size passes 0.75 of it; buckets in index order, each
 * in insertion order (resizes keep relative order).
 */
export function javaHashMapOrder(keys: string[]): string[] {
  let cap = 16;
  while (keys.length > cap * 0.75) cap *= 2;
  return keys
    .map((k, i) => ({ k, i, b: improve(javaStringHash(k)) & (cap - 1) }))
    .sort((x, y) => x.b - y.b || x.i - y.i)
    .map((e) => e.k);
}

/**
 * Key order of a scala.collection.mutable.HashMap (2.13) after the `puts` calls given in order
 * (a key may repeat: the Scala tool calls put for every pair it records). Every put first doubles the
 * table when size + 1 reaches 0.75 of it, even when the key is already there; a bucket keeps its
 * nodes sorted by improved hash (signed), equal hashes in insertion order.
 */
export function scalaHashMapOrder(puts: string[]): string[] {
  let cap = 16;
  const seen = new Map<string, number>();
  for (const k of puts) {
    if (seen.size + 1 >= Math.trunc(cap * 0.75)) cap *= 2;
    if (!seen.has(k)) seen.set(k, seen.size);
  }
  return [...seen.entries()]
    .map(([k, i]) => {
      const h = improve(javaStringHash(k));
      return { k, i, h, b: h & (cap - 1) };
    })
    .sort((x, y) => x.b - y.b || x.h - y.h || x.i - y.i)
    .map((e) => e.k);
}

/** Collects what the tool reports on stderr, fed with every dump event; `lines()` gives the report. */
export class KafkaReport {
  private readonly indexMismatches = new Map<string, number[]>();
  private readonly indexPuts: string[] = [];
  private readonly timeErrors: Record<TimeIndexProblem, Map<string, number[]>> = {
    'timestamp-mismatch': new Map(),
    'out-of-order': new Map(),
    'offset-not-found': new Map(),
  };
  private readonly gaps = new Map<string, number[]>();
  private readonly gapPuts: string[] = [];

  constructor(
    private readonly flavor: KafkaFlavor,
    private readonly cwd = process.cwd(),
  ) {}

  add(ev: DumpEvent): void {
    if (ev.type === 'index-mismatch') {
      const abs = javaAbsolutePath(ev.path, this.cwd);
      push(this.indexMismatches, abs, ev.indexOffset, ev.logOffset);
      this.indexPuts.push(abs);
    } else if (ev.type === 'timeindex-error') {
      push(this.timeErrors[ev.problem], javaAbsolutePath(ev.path, this.cwd), ev.first, ev.second);
    } else if (ev.type === 'offset-gaps') {
      const abs = javaAbsolutePath(ev.path, this.cwd);
      const pairs = this.flavor === 'kafka4' && ev.firstOffset !== null && ev.firstOffset !== 0 ? [-1, ev.firstOffset, ...ev.gaps] : ev.gaps;
      if (pairs.length === 0) return;
      // The same file given twice: both tools add to the one entry of its absolute path.
      const list = this.gaps.get(abs) ?? [];
      for (let i = 0; i < pairs.length; i += 2) {
        list.push(pairs[i]!, pairs[i + 1]!);
        this.gapPuts.push(abs);
      }
      this.gaps.set(abs, list);
    }
  }

  lines(): string[] {
    const out: string[] = [];
    const scala = this.flavor === 'kafka';
    const fileOrder = (m: Map<string, unknown>, puts?: string[]): string[] => (scala ? scalaHashMapOrder(puts ?? [...m.keys()]) : javaHashMapOrder([...m.keys()]));
    for (const file of fileOrder(this.indexMismatches, this.indexPuts)) {
      out.push(`Mismatches in :${file}`);
      const pairs = toPairs(this.indexMismatches.get(file)!);
      const shown = scala ? pairs.reverse() : treeMap(pairs, (a, b) => b - a);
      for (const [indexOffset, logOffset] of shown) out.push(`  Index offset: ${indexOffset}, log offset: ${logOffset}`);
    }
    for (const file of fileOrder(this.timeErrors['timestamp-mismatch'])) {
      out.push(`Found timestamp mismatch in :${file}`);
      for (const [a, b] of toPairs(this.timeErrors['timestamp-mismatch'].get(file)!)) out.push(`  Index timestamp: ${a}, log timestamp: ${b}`);
    }
    for (const file of fileOrder(this.timeErrors['out-of-order'])) {
      out.push(`Found out of order timestamp in :${file}`);
      for (const [a, b] of toPairs(this.timeErrors['out-of-order'].get(file)!)) out.push(`  Index timestamp: ${a}, Previously indexed timestamp: ${b}`);
    }
    // This one names no file (both tools print only the map's values).
    for (const file of fileOrder(this.timeErrors['offset-not-found'])) {
      out.push('The following indexed offsets are not found in the log.');
      for (const [a, b] of toPairs(this.timeErrors['offset-not-found'].get(file)!)) out.push(`Indexed offset: ${a}, found log offset: ${b}`);
    }
    for (const file of fileOrder(this.gaps, this.gapPuts)) {
      out.push(`Non-consecutive offsets in ${file}`);
      const pairs = toPairs(this.gaps.get(file)!);
      const shown = scala ? pairs.reverse() : treeMap(pairs, (a, b) => a - b);
      for (const [a, b] of shown) out.push(`  ${a} is followed by ${b}`);
    }
    return out;
  }
}

function push(m: Map<string, number[]>, key: string, a: number, b: number): void {
  let l = m.get(key);
  if (!l) m.set(key, (l = []));
  l.push(a, b);
}

function toPairs(flat: number[]): Array<[number, number]> {
  const out: Array<[number, number]> = [];
  for (let i = 0; i < flat.length; i += 2) out.push([flat[i]!, flat[i + 1]!]);
  return out;
}

/** A java.util.TreeMap built by put in order: one entry per key (the last value), sorted by `cmp`. */
function treeMap(pairs: Array<[number, number]>, cmp: (a: number, b: number) => number): Array<[number, number]> {
  const m = new Map<number, number>();
  for (const [k, v] of pairs) m.set(k, v);
  return [...m.entries()].sort((x, y) => cmp(x[0], y[0]));
}
