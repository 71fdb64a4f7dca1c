import { batchRecords, scanBatchRecords, type Batch } from '../../format/batch.js';
import { controlRecoveryOutcome, type ControlRecoveryOutcome } from '../../format/control.js';
import { CorruptDataError, KsegError } from '../../format/errors.js';
import type { SegmentContext } from '../partition-scan/types.js';
import type { IssueCodeName } from './codes.js';
import { lastDeltaWithin, maxTimestampMatches, offsetDeltasIncreasing, recordCountPlausible } from './record-rules.js';

/**
 * The record and control checks of a batch the walk trusts (valid CRC and magic), reporting what
 * breaks the rules of record-rules.ts, and what Kafka's recovery does with a transaction marker.
 */

/** Where the walk cuts the log: the first cut wins (Kafka's recovery truncates there). */
export type SetCut = (position: number, code: IssueCodeName, offset: number | null) => void;

/** Record-level checks of a batch with a valid CRC and magic; returns the marker type of a control batch. */
export function checkRecords(ctx: SegmentContext, b: Batch, skipFirstControl = false): 'ABORT' | 'COMMIT' | null {
  const { rep, seg } = ctx;
  const file = seg.log;
  const pos = b.position;
  try {
    if (b.magic >= 2) {
      const count = b.recordCount;
      if (!recordCountPlausible(count, b.lastOffsetDelta)) {
        rep.add(
          'RECORD_COUNT_MISMATCH',
          file,
          pos,
          b.baseOffset,
          `recordsCount is ${count} (expected 0..${b.lastOffsetDelta + 1} for lastOffsetDelta ${b.lastOffsetDelta}, found ${count})`,
        );
        return null;
      }
      if (b.isControl) return checkControl(ctx, b, skipFirstControl);
      const s = scanBatchRecords(b);
      if (s.records > 0) {
        if (!offsetDeltasIncreasing(s.firstOffsetDelta, s.offsetsIncreasing)) {
          rep.add(
            'RECORD_OFFSETS_NOT_INCREASING',
            file,
            pos,
            b.baseOffset,
            `record offset deltas are not strictly increasing from 0 (first delta ${s.firstOffsetDelta}${s.offsetsIncreasing ? '' : ', a later delta repeats or goes back'})`,
          );
        } else if (!lastDeltaWithin(s.lastOffsetDelta, b.lastOffsetDelta)) {
          rep.add(
            'LAST_OFFSET_DELTA_MISMATCH',
            file,
            pos,
            b.baseOffset,
            `last record has offset delta ${s.lastOffsetDelta} above the header's lastOffsetDelta (expected <= ${b.lastOffsetDelta}, found ${s.lastOffsetDelta})`,
          );
        }
        if (!maxTimestampMatches(b.timestampType === 'CreateTime', s.maxTimestamp, b.maxTimestamp)) {
          rep.add(
            'MAX_TIMESTAMP_MISMATCH',
            file,
            pos,
            b.baseOffset,
            `maxTimestamp differs from the largest record timestamp (expected ${s.maxTimestamp}, found ${b.maxTimestamp})`,
          );
        }
      }
      return null;
    }
    // v0/v1: parse the message (and inner messages of a wrapper).
    const s = scanBatchRecords(b);
    if (b.magic === 1 && b.compressionId !== 0 && b.timestampType === 'CreateTime' && s.maxTimestamp !== b.maxTimestamp && s.maxTimestamp >= 0) {
      rep.add(
        'MAX_TIMESTAMP_MISMATCH',
        file,
        pos,
        b.baseOffset,
        `wrapper timestamp differs from the largest inner timestamp (expected ${s.maxTimestamp}, found ${b.maxTimestamp})`,
      );
    }
  } catch (e) {
    if (!(e instanceof KsegError)) throw e;
    rep.addError(e, 'RECORD_DECODE_ERROR', file, pos, b.baseOffset);
  }
  return null;
}

/**
 * LogSegment.recover replays a control batch with a producer id into the producer state after
 * counting it as valid (format/control.ts controlRecoveryOutcome): a marker that fails to parse
 * with an InvalidRecordException truncates the segment right after the batch; one that fails
 * with another exception stops the broker's load of the partition (reported, nothing cut).
 */
export function controlOutcomeOf(b: Batch): ControlRecoveryOutcome {
  try {
    const first = batchRecords(b).next();
    if (first.done) return { kind: 'ok' }; // an empty control batch: its transaction was cleaned away
    return controlRecoveryOutcome(first.value.key, first.value.value);
  } catch (e) {
    if (!(e instanceof CorruptDataError)) throw e;
    return { kind: 'truncate-after', reason: `its first record does not decode (${e.message})` };
  }
}

/** Whether controlRecovery reports an issue for this outcome. */
export function controlReported(outcome: ControlRecoveryOutcome, moreFollows: boolean): boolean {
  return outcome.kind === 'load-fails' || (outcome.kind === 'truncate-after' && moreFollows);
}

export function controlRecovery(ctx: SegmentContext, b: Batch, moreFollows: boolean, setCut: SetCut, pre: ControlRecoveryOutcome | null = null): void {
  const outcome = pre ?? controlOutcomeOf(b);
  if (outcome.kind === 'truncate-after') {
    if (!moreFollows) return; // nothing after it: Kafka truncates 0 bytes and goes on
    // Reported at the batch (as checkControl would), so the kept batch's problem stays listed after the cut.
    ctx.rep.add(
      'CONTROL_RECORD_INVALID',
      ctx.seg.log,
      b.position,
      b.baseOffset,
      `control batch of producer ${b.producerId} at byte ${b.position} (offset ${b.baseOffset}): ${outcome.reason}; Kafka's recovery keeps the batch and truncates the segment after it, at byte ${b.position + b.size}`,
    );
    setCut(b.position + b.size, 'CONTROL_RECORD_INVALID', b.lastOffset + 1);
  } else if (outcome.kind === 'load-fails') {
    ctx.rep.add(
      'CONTROL_RECORD_INVALID',
      ctx.seg.log,
      b.position,
      b.baseOffset,
      `control batch of producer ${b.producerId} at offset ${b.baseOffset}: ${outcome.reason}; Kafka's recovery of this segment fails with it and the broker does not load the partition`,
    );
  }
}

/** `skipFirst`: the first record's problem is reported by controlRecovery (with what Kafka's recovery does). */
function checkControl(ctx: SegmentContext, b: Batch, skipFirst = false): 'ABORT' | 'COMMIT' | null {
  let marker: 'ABORT' | 'COMMIT' | null = null;
  let first = true;
  for (const r of batchRecords(b)) {
    const c = r.control!;
    if (c.error || c.type === 'INVALID') {
      if (!(first && skipFirst)) ctx.rep.add('CONTROL_RECORD_INVALID', ctx.seg.log, b.position, r.offset, `control record at offset ${r.offset}: ${c.error ?? 'invalid'}`);
    } else if (first && (c.type === 'ABORT' || c.type === 'COMMIT')) {
      marker = c.type;
    }
    first = false;
  }
  return marker;
}
