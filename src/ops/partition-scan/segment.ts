import { type Batch } from '../../format/batch.js';
import { IndexBuilder } from '../../format/index-rule.js';
import { encodeAbortedTxn, OFFSET_INDEX_ENTRY_SIZE, TIME_INDEX_ENTRY_SIZE } from '../../format/indexes.js';
import { MAX_WHOLE_FILE, openSource, readWholeFile } from '../../storage/source.js';
import { statPath, type Segment } from '../../storage/segments.js';
import { walkLog } from '../verify/log-walk.js';
import { OffsetIndexCheck } from '../verify/offset-index.js';
import type { SegmentChecks } from '../verify/pool.js';
import type { Reporter } from '../verify/reporter.js';
import { TimeIndexCheck } from '../verify/time-index.js';
import { TxnIndexCheck } from '../verify/txn-index.js';
import type { CompletedTxn, TxnTracker } from './txn-tracker.js';
import type { Steps } from '../interrupt.js';
import type { PartitionView, ScanMode, ScanOptions, SegmentContext, SegmentScan } from './types.js';

/**
 * One segment of the partition scan: its side files read and checked against the walk of its
 * .log (verify/log-walk.ts), the transaction replay fed, and, when asked, the indexes Kafka's
 * recovery would rebuild over the valid prefix (LogSegment.recover).
 */

const INT32_MAX = 2147483647;

function fileSize(p: string): number {
  try {
    return statPath(p).size;
  } catch {
    return 0; // openSource reports it
  }
}

function readSide(view: PartitionView, name: string | undefined): Buffer | undefined {
  return name ? readWholeFile(view.pathOf(name), { pattern: 'sequential' }) : undefined;
}

/**
 * AbstractIndex maps an index whole, and FileChannel.map takes at most 2^31-1 bytes: a larger
 * .index or .timeindex (a preallocation gone wrong) stops the broker loading the log. It is
 * reported and left unread (its entries are unknown); recover and rebuild-index replace it.
 */
function oversizedSide(view: PartitionView, name: string | undefined, code: 'INDEX_TOO_LARGE' | 'TIMEINDEX_TOO_LARGE' | 'TXNINDEX_TOO_LARGE', rep: Reporter): number | undefined {
  if (!name) return undefined;
  const size = fileSize(view.pathOf(name));
  if (size <= MAX_WHOLE_FILE) return undefined;
  // TransactionIndex reads through a channel (no map), but 2 GiB of 34-byte entries is no real
  // index, and kseg holds side files in memory: reported and rebuilt like the mapped ones.
  const why = code === 'TXNINDEX_TOO_LARGE' ? 'more than kseg reads whole' : 'more than Kafka can map (it fails to load the log)';
  rep.add(code, name, null, null, `file is ${size} bytes, over ${MAX_WHOLE_FILE}: ${why}; kseg recover or rebuild-index rewrites it`);
  return size;
}

export function* scanSegment(
  view: PartitionView,
  seg: Segment,
  active: boolean,
  nextBase: number | null,
  prevLastIn: number | null,
  tracker: TxnTracker,
  rep: Reporter,
  mode: ScanMode,
  opts: ScanOptions,
): Steps<SegmentScan> {
  const ctx: SegmentContext = { view, seg, rep, mode };
  const tooLarge = {
    index: oversizedSide(view, seg.index, 'INDEX_TOO_LARGE', rep),
    timeindex: oversizedSide(view, seg.timeindex, 'TIMEINDEX_TOO_LARGE', rep),
    txnindex: oversizedSide(view, seg.txnindex, 'TXNINDEX_TOO_LARGE', rep),
  };
  const disk = {
    index: tooLarge.index === undefined ? readSide(view, seg.index) : undefined,
    timeindex: tooLarge.timeindex === undefined ? readSide(view, seg.timeindex) : undefined,
    txnindex: tooLarge.txnindex === undefined ? readSide(view, seg.txnindex) : undefined,
  };
  const idx = disk.index ? new OffsetIndexCheck(disk.index, seg, active, rep) : null;
  const tidx = disk.timeindex ? new TimeIndexCheck(disk.timeindex, seg, active, rep) : null;
  const txn = disk.txnindex ? new TxnIndexCheck(disk.txnindex, seg, rep) : null;
  const builder = opts.buildIndexes ? new IndexBuilder({ baseOffset: seg.baseOffset, indexIntervalBytes: opts.buildIndexes.indexIntervalBytes }) : null;
  const rebuiltTxns: CompletedTxn[] = [];

  // With verify --jobs and a segment worth splitting, worker threads check batch bodies and this
  // walk reads headers through positional reads (see verify/pool.ts).
  const split =
    opts.pool?.segment(view.pathOf(seg.log), seg.log, fileSize(view.pathOf(seg.log)), {
      index: disk.index,
      minOffset: seg.baseOffset,
      maxOffset: nextBase !== null ? nextBase - 1 : seg.baseOffset + INT32_MAX,
    }) ?? null;
  const src = split?.src ?? openSource(view.pathOf(seg.log), { pattern: 'sequential' });
  const progress = opts.progress ?? null;
  const pre: SegmentChecks | null = split?.checks ?? null;
  const out: SegmentScan = {
    segment: seg,
    active,
    logSize: src.size,
    batches: 0,
    records: 0,
    firstOffset: null,
    lastOffset: null,
    cut: null,
    batchesBeforeCut: 0,
    recordsBeforeCut: 0,
    nextOffsetBeforeCut: seg.baseOffset,
    recordsFromCut: 0,
    undecodedRecords: 0,
    estimated: false,
    disk,
    tooLarge,
    zeroTailSlots: { index: 0, timeindex: 0 },
    overflow: false,
    epochStarts: [],
  };
  let maxEpoch = -1;
  try {
    if (src.size > INT32_MAX) rep.add('LOG_TOO_LARGE', seg.log, null, null, `segment is ${src.size} bytes (expected at most ${INT32_MAX})`);
    if (mode === 'partition' && src.size > 0 && !opts.standalone) {
      if (!seg.index) rep.add('INDEX_MISSING', `${seg.name}.index`, null, seg.baseOffset, `${seg.name}.index is missing (Kafka rebuilds it when it loads the segment)`);
      if (!seg.timeindex)
        rep.add('TIMEINDEX_MISSING', `${seg.name}.timeindex`, null, seg.baseOffset, `${seg.name}.timeindex is missing (Kafka creates it when it loads the segment)`);
    }
    yield* walkLog(ctx, src, nextBase, prevLastIn, out, pre, {
      onBatch(b, kafkaValid, marker, offsetsOk) {
        // Kafka's replay takes every batch with a valid CRC; what it then believes is only
        // checked while the log around it is sound.
        if (!offsetsOk) tracker.uncertain = true;
        if (kafkaValid && b.magic >= 0 && b.magic <= 2) {
          const done = tracker.onBatch(b, marker);
          if (done) {
            if (txn) txn.onCompleted(done);
            else if (done.aborted && tooLarge.txnindex === undefined) txnMissingFile(ctx, done, b);
            if (done.aborted && out.cut === null && kafkaValid) rebuiltTxns.push(done);
          }
        }
        if (builder && out.cut === null && kafkaValid) builder.add(b.position, b.size, b.lastOffset, b.maxTimestamp);
        progress?.at(b.position);
        if (out.cut === null && kafkaValid && b.magic >= 2 && b.partitionLeaderEpoch > maxEpoch) {
          maxEpoch = b.partitionLeaderEpoch;
          out.epochStarts.push({ epoch: b.partitionLeaderEpoch, offset: b.baseOffset, position: b.position });
        }
      },
      onSkip() {
        tracker.uncertain = true;
      },
      onRawLegacy(position, size, lastOffset, maxTimestamp) {
        if (builder && out.cut === null) builder.add(position, size, lastOffset, maxTimestamp);
      },
      idx,
      tidx,
      txn,
    });
  } finally {
    pre?.finish();
    src.close();
  }
  const validEnd = out.cut?.position ?? src.size;
  if (idx) out.zeroTailSlots.index = idx.finish(out.lastOffset, validEnd, src.size);
  if (tidx) out.zeroTailSlots.timeindex = tidx.finish(out.lastOffset);
  if (txn) txn.finish(out.lastOffset);
  if (builder) {
    const { index, timeindex } = builder.finish();
    const txnindex = Buffer.concat(rebuiltTxns.map((t) => encodeAbortedTxn(t)));
    out.rebuilt = {
      index,
      timeindex,
      txnindex,
      indexEntries: index.length / OFFSET_INDEX_ENTRY_SIZE,
      timeIndexEntries: timeindex.length / TIME_INDEX_ENTRY_SIZE,
      txnIndexEntries: rebuiltTxns.length,
    };
    out.invalidOffset = builder.invalidOffset;
  }
  return out;
}

/** An ABORT marker in a segment that has no .txnindex file at all. */
function txnMissingFile(ctx: SegmentContext, done: CompletedTxn, b: Batch): void {
  if (b.deleteHorizonMs !== null || ctx.mode === 'record-set') return;
  ctx.rep.add(
    'TXNINDEX_ENTRY_MISSING',
    `${ctx.seg.name}.txnindex`,
    null,
    done.lastOffset,
    `ABORT marker of producer ${done.producerId} at offset ${done.lastOffset} (byte ${b.position} of ${ctx.seg.log}) has no entry: ${ctx.seg.name}.txnindex does not exist`,
  );
}
