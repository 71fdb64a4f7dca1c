/**
 * Index of the last item whose key is <= target in items sorted by that key, or -1: the "largest
 * entry <= target" rule of Kafka's index lookups (AbstractIndex.largestLowerBoundSlotFor) and of
 * LogSegments.floorSegment. (format/indexes.ts runs the same search over raw index bytes.)
 */
export function floorIndex<T>(items: readonly T[], target: number, key: (item: T) => number): number {
  let lo = 0;
  let hi = items.length - 1;
  let found = -1;
  while (lo <= hi) {
    const mid = (lo + hi) >>> 1;
    if (key(items[mid]!) <= target) {
      found = mid;
      lo = mid + 1;
    } else hi = mid - 1;
  }
  return found;
}
