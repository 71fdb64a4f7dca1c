import {
  ATTR_COMPRESSION_MASK,
  ATTRIBUTES_OFFSET,
  CRC_OFFSET,
  decodeBatch,
  frameEntry,
  HEADER_SIZE_UP_TO_MAGIC,
  LAST_OFFSET_DELTA_OFFSET,
  LEGACY_ATTRIBUTES_OFFSET,
  LEGACY_CRC_OFFSET,
  LEGACY_MAGIC_OFFSET,
  LEGACY_TIMESTAMP_OFFSET,
  LOG_OVERHEAD,
  MAGIC_OFFSET,
  RECORD_BATCH_OVERHEAD,
  RECORD_OVERHEAD_V0,
  RECORD_OVERHEAD_V1,
  RECORDS_COUNT_OFFSET,
  SIZE_OFFSET,
  type Batch,
} from '../../format/batch.js';
import type { ControlRecoveryOutcome } from '../../format/control.js';
import { crc32, crc32c } from '../../format/crc.js';
import { CorruptDataError } from '../../format/errors.js';
import { readInt16, readInt32, readInt64, readUInt32 } from '../../format/int64.js';
import { isZero } from '../../storage/log-reader.js';
import type { ByteSource } from '../../storage/source.js';
import type { Segment } from '../../storage/segments.js';
import type { SegmentContext, SegmentScan } from '../partition-scan/types.js';
import type { IssueCodeName } from './codes.js';
import { SCAN_STEP, type Steps } from '../interrupt.js';
import type { OffsetIndexCheck } from './offset-index.js';
import type { SegmentChecks } from './pool.js';
import { checkRecords, controlOutcomeOf, controlRecovery, controlReported, type SetCut } from './records.js';
import { hex } from './reporter.js';
import type { TimeIndexCheck } from './time-index.js';
import type { TxnIndexCheck } from './txn-index.js';

/**
 * The walk of one segment's .log in file order, as Kafka's recovery reads it (LogSegment.recover,
 * FileRecords/RecordBatch.isValid): frame each entry, judge its size and CRC, decode the batch,
 * check its offsets and records, and feed every batch to the index checks and the caller's hooks.
 * Where an entry cannot be framed it resyncs to the next valid batch so later problems are still
 * reported; the first entry Kafka would reject is where it cuts the segment (SegmentScan.cut).
 */

const INT32_MAX = 2147483647;

export interface WalkHooks {
  /** `offsetsOk`: a trusted batch whose offsets follow on from the previous batch. */
  onBatch(b: Batch, kafkaValid: boolean, marker: 'ABORT' | 'COMMIT' | null, offsetsOk: boolean): void;
  /** Bytes without a readable batch were passed over. */
  onSkip(): void;
  /** A v0/v1 entry Kafka's recovery accepts (size/CRC valid) whose contents could not be decoded. */
  onRawLegacy(position: number, size: number, lastOffset: number, maxTimestamp: number): void;
  idx: OffsetIndexCheck | null;
  tidx: TimeIndexCheck | null;
  txn: TxnIndexCheck | null;
}

/** Kafka's isValid for an entry (format doc 1.2/1.4): size and CRC only. */
function kafkaEntryValid(bytes: Buffer, size: number): boolean {
  const magic = (bytes[MAGIC_OFFSET]! << 24) >> 24;
  if (magic >= 2) return size >= RECORD_BATCH_OVERHEAD && readUInt32(bytes, CRC_OFFSET) === crc32c(bytes, ATTRIBUTES_OFFSET, size);
  return size >= LOG_OVERHEAD + RECORD_OVERHEAD_V0 && readUInt32(bytes, LEGACY_CRC_OFFSET) === crc32(bytes, LEGACY_MAGIC_OFFSET, size);
}

/**
 * Records in an entry that cannot be framed, from its v2 header when that is readable and
 * plausible. With only the first 27 bytes of a v2 header, lastOffsetDelta + 1 (exact unless the
 * batch was compacted) is returned as an estimate.
 */
export function headerRecordCount(src: ByteSource, pos: number): { count: number; estimated: boolean } | null {
  const avail = src.size - pos;
  if (avail < RECORD_BATCH_OVERHEAD) {
    if (avail < HEADER_SIZE_UP_TO_MAGIC + 1) return null;
    const h = src.read(pos, Math.min(avail, LAST_OFFSET_DELTA_OFFSET + 4));
    const magic = h[MAGIC_OFFSET]!;
    if ((magic === 0 || magic === 1) && (h[LEGACY_ATTRIBUTES_OFFSET]! & ATTR_COMPRESSION_MASK) === 0) return { count: 1, estimated: false };
    if (magic === 2 && h.length >= LAST_OFFSET_DELTA_OFFSET + 4) {
      const delta = readInt32(h, LAST_OFFSET_DELTA_OFFSET);
      if (delta >= 0 && delta < INT32_MAX) return { count: delta + 1, estimated: true };
    }
    return null;
  }
  const h = src.read(pos, RECORD_BATCH_OVERHEAD);
  const magic = h[MAGIC_OFFSET]!;
  if (magic === 0 || magic === 1) return (h[LEGACY_ATTRIBUTES_OFFSET]! & ATTR_COMPRESSION_MASK) === 0 ? { count: 1, estimated: false } : null;
  if (magic !== 2) return null;
  const delta = readInt32(h, LAST_OFFSET_DELTA_OFFSET);
  const count = readInt32(h, RECORDS_COUNT_OFFSET);
  return delta >= 0 && count >= 0 && count <= delta + 1 ? { count, estimated: false } : null;
}

/**
 * Find the next position >= from where a valid entry starts (after a corrupt length field): magic
 * 0..2, an offset plausible for this segment, a length that fits, sane attributes, and a matching
 * CRC. The offset and attribute filters make false matches in random bytes practically impossible.
 */
function resync(src: ByteSource, from: number, minOffset: number, maxOffset: number): number | null {
  const end = src.size;
  const CH = 1 << 20;
  for (let chunkStart = from; chunkStart + HEADER_SIZE_UP_TO_MAGIC < end; chunkStart += CH) {
    const chunkEnd = Math.min(end - HEADER_SIZE_UP_TO_MAGIC, chunkStart + CH);
    const avail = Math.min(end, chunkEnd + RECORD_BATCH_OVERHEAD) - chunkStart;
    const buf = src.read(chunkStart, avail);
    for (let q = 0; q < chunkEnd - chunkStart; q++) {
      const magic = buf[q + MAGIC_OFFSET]!;
      if (magic > 2) continue;
      if (q + HEADER_SIZE_UP_TO_MAGIC > avail) break;
      const offset = readInt64(buf, q);
      if (offset < minOffset || offset > maxOffset) continue;
      const sizeField = readInt32(buf, q + SIZE_OFFSET);
      const pos = chunkStart + q;
      if (sizeField < RECORD_OVERHEAD_V0 || pos + LOG_OVERHEAD + sizeField > end) continue;
      const size = LOG_OVERHEAD + sizeField;
      if (magic === 2) {
        if (size < RECORD_BATCH_OVERHEAD) continue;
        const h = q + RECORD_BATCH_OVERHEAD <= avail ? buf.subarray(q, q + RECORD_BATCH_OVERHEAD) : src.read(pos, RECORD_BATCH_OVERHEAD);
        if ((readInt16(h, ATTRIBUTES_OFFSET) & 0xff80) !== 0 || (h[ATTRIBUTES_OFFSET + 1]! & ATTR_COMPRESSION_MASK) > 4) continue;
        const delta = readInt32(h, LAST_OFFSET_DELTA_OFFSET);
        const count = readInt32(h, RECORDS_COUNT_OFFSET);
        if (delta < 0 || count < 0 || count > delta + 1 || offset + delta > maxOffset) continue;
      } else {
        if (magic === 1 && size < LOG_OVERHEAD + RECORD_OVERHEAD_V1) continue;
        if (q + LEGACY_ATTRIBUTES_OFFSET < avail && (buf[q + LEGACY_ATTRIBUTES_OFFSET]! & 0xf0) !== 0) continue;
      }
      if (kafkaEntryValid(src.read(pos, size), size)) return pos;
    }
  }
  return null;
}

/**
 * The sequential walk of a segment. With `pre` (verify --jobs), batches before `pre.end` that the
 * pool found clean skip their CRC and record walk (those could only confirm them); every other
 * batch is checked here exactly as without it. It yields a safe point ('scan') every SCAN_STEP
 * bytes (ops/interrupt.ts: the mutating commands stop there on Ctrl-C; the walk only reads).
 */
export function* walkLog(
  ctx: SegmentContext,
  src: ByteSource,
  nextBase: number | null,
  prevLastIn: number | null,
  out: SegmentScan,
  pre: SegmentChecks | null,
  hooks: WalkHooks,
): Steps<void> {
  const { seg, rep, mode } = ctx;
  const file = seg.log;
  const size = src.size;
  const { idx, tidx, txn } = hooks;
  let prevLast = prevLastIn; // last offset of the previous batch (this or an earlier segment)
  let prevLastHere: number | null = null; // ... within this segment
  let reportedBelowBase = false;
  let pos = 0;
  /** Upper bound for plausible offsets while resyncing. */
  const maxOffset = nextBase !== null ? nextBase - 1 : seg.baseOffset + INT32_MAX;

  const setCut: SetCut = (position, code, offset) => {
    if (out.cut === null) {
      out.cut = { position, code, offset };
      out.batchesBeforeCut = out.batches;
      out.recordsBeforeCut = out.records;
      out.nextOffsetBeforeCut = prevLastHere !== null ? prevLastHere + 1 : seg.baseOffset;
    }
  };
  /** Records of an entry or region that could not be decoded. */
  const countUndecoded = (n: number, estimated: boolean): void => {
    out.undecodedRecords += n;
    if (out.cut !== null) out.recordsFromCut += n;
    if (estimated && n > 0) out.estimated = true;
  };
  const tailCode = (): IssueCodeName => (mode === 'record-set' ? 'RECORD_SET_PARTIAL_TAIL' : 'PARTIAL_TAIL');

  /** After an unframeable entry at `at`: find the next valid entry or stop. */
  const skipTo = (at: number, records: { count: number; estimated: boolean } | null): number | null => {
    const lower = (prevLast ?? seg.baseOffset - 1) + 1;
    const q = resync(src, at + 1, Math.max(lower, 0), maxOffset);
    if (records !== null) countUndecoded(records.count, records.estimated);
    else if (q !== null) countUndecoded(Math.max(0, readInt64(src.read(q, LOG_OVERHEAD), 0) - lower), true);
    else if (nextBase !== null) countUndecoded(Math.max(0, nextBase - lower), true);
    return q;
  };

  let nextStop = SCAN_STEP;
  for (;;) {
    if (pos >= size) break;
    if (pos >= nextStop) {
      yield 'scan';
      nextStop = pos + SCAN_STEP;
    }
    const hdrLen = Math.min(HEADER_SIZE_UP_TO_MAGIC, size - pos);
    const frame = frameEntry(src.read(pos, hdrLen), 0, pos, size);
    if (frame.kind === 'short-tail') {
      const trailing = size - pos;
      const zero = isZero(src, pos, trailing);
      if (zero) rep.add('ZERO_TAIL', file, pos, null, `${trailing} zero bytes after the last batch (expected end of file at ${pos}, found ${size} bytes)`);
      else rep.add(tailCode(), file, pos, null, `${trailing} stray bytes after the last batch (17 or fewer: not an entry; expected end of file at ${pos}, found ${size} bytes)`);
      setCut(pos, zero ? 'ZERO_TAIL' : 'PARTIAL_TAIL', null);
      idx?.onSkip(pos, size);
      tidx?.onSkip();
      hooks.onSkip();
      break;
    }
    if (frame.kind === 'corrupt-size') {
      if (isZero(src, pos, size - pos)) {
        rep.add('ZERO_TAIL', file, pos, null, `${size - pos} zero bytes after the last batch (a preallocated tail: expected end of file at ${pos}, found ${size} bytes)`);
        setCut(pos, 'ZERO_TAIL', null);
        idx?.onSkip(pos, size);
        tidx?.onSkip();
        hooks.onSkip();
        break;
      }
      const offsetHere = readInt64(src.read(pos, LOG_OVERHEAD), 0);
      setCut(pos, 'SIZE_TOO_SMALL', null);
      const q = skipTo(pos, headerRecordCount(src, pos));
      const skipped = q === null ? `no valid batch in the remaining ${size - pos} bytes` : `next valid batch found at ${q} (${q - pos} bytes skipped)`;
      rep.add(
        'SIZE_TOO_SMALL',
        file,
        pos,
        plausibleOffset(offsetHere, seg, maxOffset),
        `length field is ${frame.sizeField}, below the minimum ${RECORD_OVERHEAD_V0} (expected >= ${RECORD_OVERHEAD_V0}, found ${frame.sizeField}); ${skipped}`,
      );
      idx?.onSkip(pos, q ?? size);
      tidx?.onSkip();
      hooks.onSkip();
      if (q === null) break;
      pos = q;
      continue;
    }
    if (frame.kind === 'partial') {
      const offsetHere = readInt64(src.read(pos, LOG_OVERHEAD), 0);
      const before = out.cut;
      setCut(pos, 'PARTIAL_TAIL', plausibleOffset(offsetHere, seg, maxOffset));
      const q = skipTo(pos, headerRecordCount(src, pos));
      if (q !== null) {
        rep.add(
          'SIZE_TOO_LARGE',
          file,
          pos,
          plausibleOffset(offsetHere, seg, maxOffset),
          `entry of ${frame.size} bytes runs past the end of the file (${size} bytes, ${frame.trailing} left) although a valid batch follows at ${q}: a corrupted length field (expected at most ${q - pos}, found ${frame.size - LOG_OVERHEAD})`,
        );
        if (before === null && out.cut) out.cut.code = 'SIZE_TOO_LARGE';
        idx?.onSkip(pos, q);
        tidx?.onSkip();
        hooks.onSkip();
        pos = q;
        continue;
      }
      rep.add(
        tailCode(),
        file,
        pos,
        plausibleOffset(offsetHere, seg, maxOffset),
        `last entry is incomplete: its length says ${frame.size} bytes but only ${frame.trailing} remain (expected file size >= ${pos + frame.size}, found ${size})`,
      );
      idx?.onSkip(pos, size);
      tidx?.onSkip();
      hooks.onSkip();
      break;
    }

    const entrySize = frame.size;
    const clean = pre !== null && pos < pre.end && pre.clean(pos, entrySize);
    // A clean batch's body is not looked at again: its header is all the walk reads.
    const bytes = clean ? (pre!.header() ?? src.read(pos, RECORD_BATCH_OVERHEAD)) : src.read(pos, entrySize);
    let b: Batch;
    try {
      b = decodeBatch(bytes, 0, entrySize, pos, file, !clean);
      if (clean) {
        b.computedCrc = b.crc;
        b.crcValid = true;
      }
    } catch (e) {
      if (!(e instanceof CorruptDataError)) throw e;
      // An entry whose header cannot be decoded: v2 under 61 bytes, v1 under 22, or an undecodable
      // v0/v1 wrapper. Kafka's recovery still accepts a v0/v1 entry whose size and CRC are valid.
      const valid = kafkaEntryValid(bytes, entrySize);
      const offsetHere = readInt64(bytes, 0);
      const magic = (bytes[MAGIC_OFFSET]! << 24) >> 24;
      if (!valid && magic < 2 && e.code !== 'SIZE_TOO_SMALL') {
        rep.add(
          'CRC_MISMATCH',
          file,
          pos,
          offsetHere,
          `v${magic} message CRC-32 mismatch: expected ${hex(crc32(bytes, LEGACY_MAGIC_OFFSET, entrySize))} (computed), found ${hex(readUInt32(bytes, LEGACY_CRC_OFFSET))} (stored)`,
        );
      } else {
        rep.addError(e, 'RECORD_DECODE_ERROR', file, pos, offsetHere);
      }
      if (!valid) setCut(pos, e.code === 'SIZE_TOO_SMALL' ? 'SIZE_TOO_SMALL' : 'CRC_MISMATCH', offsetHere);
      else if (magic < 2) hooks.onRawLegacy(pos, entrySize, offsetHere, magic === 1 ? readInt64(bytes, LEGACY_TIMESTAMP_OFFSET) : -1);
      const h = headerRecordCount(src, pos);
      countUndecoded(h?.count ?? 0, h?.estimated ?? false);
      idx?.onOpaque(pos, entrySize);
      tidx?.onSkip();
      hooks.onSkip();
      pos += entrySize;
      continue;
    }

    const count = b.recordCount;
    const goodMagic = b.magic >= 0 && b.magic <= 2;
    const kafkaValid = b.crcValid;
    // The header fields of a batch with an unknown magic or a bad CRC are not to be believed: such
    // a batch is reported once and only checked for where it is, not for what it says.
    const trusted = goodMagic && kafkaValid;
    if (!goodMagic) {
      const kafka = kafkaValid ? "its size and CRC pass as v2, so Kafka's recovery keeps it" : "it fails Kafka's size/CRC check, so recovery truncates the log here";
      rep.add('BAD_MAGIC', file, pos, plausibleOffset(b.entryOffset, seg, maxOffset), `magic byte is ${b.magic} (expected 0, 1 or 2, found ${b.magic}); ${kafka}`);
    } else if (!kafkaValid) {
      const algo = b.magic >= 2 ? 'CRC-32C' : 'CRC-32';
      rep.add('CRC_MISMATCH', file, pos, b.baseOffset, `${algo} mismatch: expected ${hex(b.computedCrc)} (computed), found ${hex(b.crc)} (stored)`);
    }
    if (!kafkaValid) setCut(pos, goodMagic ? 'CRC_MISMATCH' : 'BAD_MAGIC', goodMagic ? b.baseOffset : null);
    out.batches++;
    // A bad CRC leaves the count readable unless the damage hit it; an unknown magic leaves nothing.
    const plausibleCount = count >= 0 && (b.magic < 2 || count <= b.lastOffsetDelta + 1) && (goodMagic || kafkaValid);
    if (plausibleCount && count > 0) {
      out.records += count;
      if (out.cut !== null) out.recordsFromCut += count;
    }

    let marker: 'ABORT' | 'COMMIT' | null = null;
    let ctrl: ControlRecoveryOutcome | null = null;
    let offsetsOk = trusted;
    if (trusted) {
      if (b.lastOffset < b.baseOffset) {
        rep.add('LAST_OFFSET_DELTA_MISMATCH', file, pos, b.baseOffset, `lastOffsetDelta is negative (expected >= 0, found ${b.lastOffsetDelta})`);
        offsetsOk = false;
      }
      if (b.baseOffset < seg.baseOffset) {
        if (!reportedBelowBase)
          rep.add(
            'SEGMENT_BASE_ABOVE_FIRST_OFFSET',
            file,
            pos,
            b.baseOffset,
            `batch offset ${b.baseOffset} is below the segment's base offset (expected >= ${seg.baseOffset}, found ${b.baseOffset})`,
          );
        reportedBelowBase = true;
        offsetsOk = false;
      } else if (prevLast !== null && b.baseOffset <= prevLast) {
        rep.add(
          'OFFSET_NOT_INCREASING',
          file,
          pos,
          b.baseOffset,
          `batch starts at offset ${b.baseOffset}, not above the previous batch's last offset (expected > ${prevLast}, found ${b.baseOffset})`,
        );
        offsetsOk = false;
      }
      if (b.lastOffset - seg.baseOffset > INT32_MAX) {
        if (!out.overflow)
          rep.add('OFFSET_OVERFLOW', file, pos, b.lastOffset, `offset ${b.lastOffset} is ${b.lastOffset - seg.baseOffset} above the segment base (expected <= ${INT32_MAX})`);
        out.overflow = true;
      }
      // A transaction marker whose recovery outcome is reported below (controlRecovery) is not
      // also reported by checkControl: one issue per batch, the one saying what Kafka does.
      const judged = mode === 'partition' && out.cut === null && b.magic >= 2 && b.isControl && b.producerId >= 0;
      ctrl = judged && !clean ? controlOutcomeOf(b) : null;
      marker = clean ? null : checkRecords(ctx, b, ctrl !== null && controlReported(ctrl, pos + entrySize < size));
      idx?.onBatch(b);
      tidx?.onBatch(b);
      if (b.isControl && b.producerId >= 0 && marker === 'ABORT') txn?.onAbortMarker(b);
      else if (b.isControl && marker === 'COMMIT') txn?.onCommitMarker(b);
    } else {
      idx?.onOpaque(pos, entrySize);
      tidx?.onSkip();
      hooks.onSkip();
    }
    hooks.onBatch(b, kafkaValid, marker, offsetsOk);

    if (trusted) {
      if (out.firstOffset === null) out.firstOffset = b.baseOffset;
      out.lastOffset = b.lastOffset;
      prevLast = b.lastOffset;
      prevLastHere = b.lastOffset;
      if (mode === 'partition' && out.cut === null && b.magic >= 2 && b.isControl && b.producerId >= 0) {
        controlRecovery(ctx, clean ? decodeBatch(src.read(pos, entrySize), 0, entrySize, pos, file, false) : b, pos + entrySize < size, setCut, ctrl);
      }
    }
    pos += entrySize;
  }
  if (out.cut === null) out.nextOffsetBeforeCut = prevLastHere !== null ? prevLastHere + 1 : seg.baseOffset;
}

function plausibleOffset(o: number, seg: Segment, maxOffset: number): number | null {
  return o >= seg.baseOffset && o <= maxOffset ? o : null;
}
