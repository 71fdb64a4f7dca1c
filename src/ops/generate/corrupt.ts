import fs from 'node:fs';
import path from 'node:path';
import {
  ATTRIBUTES_OFFSET,
  CRC_OFFSET,
  decodeBatch,
  LEGACY_CRC_OFFSET,
  LEGACY_KEY_LENGTH_OFFSET_V0,
  LEGACY_KEY_LENGTH_OFFSET_V1,
  LEGACY_MAGIC_OFFSET,
  MAGIC_OFFSET,
  RECORDS_COUNT_OFFSET,
  RECORDS_OFFSET,
  SIZE_OFFSET,
} from '../../format/batch.js';
import { encodeLeaderEpochCheckpoint, parseLeaderEpochCheckpoint } from '../../format/checkpoints.js';
import { crc32, crc32c } from '../../format/crc.js';
import { UsageError, ioError } from '../../format/errors.js';
import { OFFSET_INDEX_ENTRY_SIZE, TIME_INDEX_ENTRY_SIZE, TXN_INDEX_ENTRY_SIZE, offsetIndexEntry, parseTxnIndex, timeIndexEntry } from '../../format/indexes.js';
import { readInt32 } from '../../format/int64.js';
import { readVarint, sizeOfVarint, writeVarint } from '../../format/varint.js';
import { SNAPSHOT_CRC_OFFSET, SNAPSHOT_ENTRIES_OFFSET } from '../../format/snapshot.js';
import { logEntries } from '../../storage/log-reader.js';
import { readRange } from '../../storage/positional-reader.js';
import { openSource } from '../../storage/source.js';
import { segmentFileName } from '../../storage/segments.js';
import { CORRUPT_KINDS, type CorruptKind, type GenerateOptions } from './options.js';
import { Prng } from './prng.js';
import type { SegmentSummary, WriterResult } from './writer.js';

/**
 * `--corrupt KIND`: one known fault injected into a freshly generated partition, and a report of
 * where it is, which issue code `verify` should give, and what Kafka's startup recovery (format
 * doc section 6) would do with it — the same fields as the fixtures' corrupt-* `verify.json`.
 */
export interface CorruptionReport {
  kind: CorruptKind;
  /** The issue code `verify` is expected to report (OUTPUT.md). */
  code: string;
  /** File (name within the partition directory) holding the fault. */
  file: string;
  /** .log faults: start of the affected batch (zero-tail: where the zeros begin); index faults: the entry's byte position; null when the file is gone. */
  position: number | null;
  /** Base offset of the affected batch, offset of the affected index entry, or null. */
  offset: number | null;
  segmentBaseOffset: number | null;
  variant: string | null;
  detail: string;
  /** Position of the first invalid entry in `file` (null for index and snapshot faults). */
  firstBadBatchPosition: number | null;
  /** Where Kafka's recovery truncates (null: it cuts nothing). */
  recoverFile: string | null;
  recoverToPosition: number | null;
  kafkaRecovery: string;
  segmentsDeletedByRecovery: string[];
  recordsSurvivingRecovery: number;
  logEndOffsetAfterRecovery: number;
  recordsBefore: number;
  /** Kind-specific facts (flipped byte, old/new field values, entries touched, files removed). */
  [extra: string]: unknown;
}

interface BatchRef {
  index: number;
  position: number;
  size: number;
  baseOffset: number;
  lastOffset: number;
  entryOffset: number;
  magic: number;
  records: number;
  isControl: boolean;
  isTransactional: boolean;
  compressionId: number;
  maxTimestamp: number;
}

export function applyCorruption(dir: string, o: GenerateOptions, w: WriterResult): CorruptionReport {
  return new Corrupter(dir, o, w).apply(o.corrupt!);
}

class Corrupter {
  private readonly rng: Prng;
  private readonly segs: SegmentSummary[];

  constructor(
    private readonly dir: string,
    private readonly o: GenerateOptions,
    private readonly w: WriterResult,
  ) {
    this.rng = new Prng(o.seed, `corrupt:${o.corrupt}`);
    this.segs = w.segments;
  }

  apply(kind: CorruptKind): CorruptionReport {
    switch (kind) {
      case 'crc':
        return this.crc();
      case 'size':
        return this.size();
      case 'partial-tail':
        return this.partialTail();
      case 'zero-tail':
        return this.zeroTail();
      case 'bad-magic':
        return this.badMagic();
      case 'offsets-backwards':
        return this.offsetsBackwards();
      case 'record-decode':
        return this.recordDecode();
      case 'index-zero-tail':
        return this.indexZeroTail();
      case 'index-bad-position':
        return this.indexBadPosition();
      case 'index-nonmonotonic':
        return this.swapEntries('index');
      case 'timeindex-nonmonotonic':
        return this.swapEntries('timeindex');
      case 'missing-index':
        return this.missingIndex();
      case 'snapshot-crc':
        return this.snapshotCrc();
    }
  }

  // ------------------------------------------------------------------ .log faults

  private crc(): CorruptionReport {
    const seg = this.middleSegment();
    const b = this.pickBatch(seg, () => true);
    const at = b.position + this.crcCoveredByte(seg, b);
    const old = this.readAt(seg.file, at, 1)[0]!;
    this.writeAt(seg.file, at, Buffer.from([old ^ 0xff]));
    return this.logFault('crc', seg, b, true, {
      detail: `byte at file position ${at} (inside the CRC-covered part of the batch at ${b.position}) XOR 0xFF`,
      flippedBytePosition: at,
    });
  }

  /** A byte covered by the checksum whose change leaves the framing intact (a record byte, preferably a value byte). */
  private crcCoveredByte(seg: SegmentSummary, b: BatchRef): number {
    if (b.magic >= 2) return b.size > RECORDS_OFFSET ? this.rng.int(RECORDS_OFFSET, b.size - 1) : this.rng.int(ATTRIBUTES_OFFSET + 2, b.size - 1);
    // A v1 wrapper's timestamp: the wrapper still decompresses, only its CRC fails.
    if (b.magic === 1 && b.compressionId !== 0) return this.rng.int(LEGACY_MAGIC_OFFSET + 2, LEGACY_MAGIC_OFFSET + 9);
    const entry = this.readAt(seg.file, b.position, b.size);
    const keyLenAt = b.magic === 1 ? LEGACY_KEY_LENGTH_OFFSET_V1 : LEGACY_KEY_LENGTH_OFFSET_V0;
    const keyLen = readInt32(entry, keyLenAt);
    const valueLenAt = keyLenAt + 4 + Math.max(0, keyLen);
    const valueLen = readInt32(entry, valueLenAt);
    if (valueLen > 0) return this.rng.int(valueLenAt + 4, valueLenAt + 3 + valueLen);
    if (keyLen > 0) return this.rng.int(keyLenAt + 4, keyLenAt + 3 + keyLen);
    if (b.magic === 1) return this.rng.int(LEGACY_MAGIC_OFFSET + 2, LEGACY_MAGIC_OFFSET + 9); // the timestamp
    return b.size - 1;
  }

  private size(): CorruptionReport {
    const seg = this.middleSegment();
    const b = this.pickBatch(seg, () => true);
    const variant = this.rng.chance(0.5) ? 'negative' : 'below-minimum';
    const value = variant === 'negative' ? -this.rng.int(1, 1 << 20) : this.rng.int(0, 13);
    const old = b.size - 12;
    const buf = Buffer.alloc(4);
    buf.writeInt32BE(value);
    this.writeAt(seg.file, b.position + SIZE_OFFSET, buf);
    return this.logFault('size', seg, b, true, {
      variant,
      detail: `length field of the batch at ${b.position} changed from ${old} to ${value} (Kafka's iterator throws: size smaller than 14)`,
      sizeField: { old, new: value },
    });
  }

  private badMagic(): CorruptionReport {
    const seg = this.middleSegment();
    // A batch outside transactions, when there is one: verify then skips nothing that .txnindex depends on.
    const plain = (x: BatchRef): boolean => !x.isTransactional;
    const b = this.countBatches(seg, plain) > 0 ? this.pickBatch(seg, plain) : this.pickBatch(seg, () => true);
    this.writeAt(seg.file, b.position + MAGIC_OFFSET, Buffer.from([3]));
    const cut = b.magic < 2; // v0/v1: the CRC covers the magic byte, and Kafka now reads the entry as a v2 batch
    return this.logFault('bad-magic', seg, b, cut, {
      detail:
        b.magic >= 2
          ? `magic byte of the v2 batch at ${b.position} set to 3; the v2 CRC does not cover the magic byte, so Kafka's size/CRC recovery keeps this batch`
          : `magic byte of the v${b.magic} entry at ${b.position} set to 3; the v0/v1 CRC covers it, and Kafka reads the entry as a v2 batch that fails its size/CRC check`,
      magic: { old: b.magic, new: 3 },
    });
  }

  private recordDecode(): CorruptionReport {
    // v2: an uncompressed batch (any count) or a compressed one with two or more records.
    const ok = (x: BatchRef): boolean => !x.isControl && (x.magic < 2 || x.compressionId === 0 || x.records >= 2);
    const seg = this.middleSegment((s) => s.records > 0 && this.countBatches(s, ok) > 0);
    const b = this.pickBatch(seg, ok);
    const entry = this.readAt(seg.file, b.position, b.size);
    let detail: string;
    let field: Record<string, unknown>;
    if (b.magic >= 2 && b.compressionId === 0) {
      // The first record's length varint, one more or one less in the same number of bytes.
      const cur = { pos: RECORDS_OFFSET };
      const length = readVarint(entry, cur, entry.length);
      const width = cur.pos - RECORDS_OFFSET;
      const next = sizeOfVarint(length + 1) === width ? length + 1 : length - 1;
      writeVarint(entry, RECORDS_OFFSET, next);
      entry.writeUInt32BE(crc32c(entry, ATTRIBUTES_OFFSET, entry.length), CRC_OFFSET);
      detail = `length of the first record of the batch at ${b.position} changed from ${length} to ${next} and the CRC recomputed: the batch passes Kafka's size/CRC check but its records do not parse`;
      field = { recordLength: { old: length, new: next } };
    } else if (b.magic >= 2) {
      const count = entry.readInt32BE(RECORDS_COUNT_OFFSET);
      entry.writeInt32BE(count - 1, RECORDS_COUNT_OFFSET);
      entry.writeUInt32BE(crc32c(entry, ATTRIBUTES_OFFSET, entry.length), CRC_OFFSET);
      detail = `records count of the compressed batch at ${b.position} lowered from ${count} to ${count - 1} and the CRC recomputed: the batch passes Kafka's size/CRC check but a record is left over after the declared count`;
      field = { recordsCount: { old: count, new: count - 1 } };
    } else {
      const at = b.magic === 1 ? LEGACY_KEY_LENGTH_OFFSET_V1 : LEGACY_KEY_LENGTH_OFFSET_V0;
      const old = entry.readInt32BE(at);
      const value = 0x7ffffff0;
      entry.writeInt32BE(value, at);
      entry.writeUInt32BE(crc32(entry, LEGACY_MAGIC_OFFSET, entry.length), LEGACY_CRC_OFFSET);
      detail = `key length of the v${b.magic} message at ${b.position} set from ${old} to ${value} and the CRC recomputed: the message passes Kafka's size/CRC check but cannot be decoded`;
      field = { keyLength: { old, new: value } };
    }
    this.writeAt(seg.file, b.position, entry);
    return this.logFault('record-decode', seg, b, false, { detail, ...field });
  }

  private offsetsBackwards(): CorruptionReport {
    const seg = this.middleSegment((s) => s.batches >= 2);
    const indexed = new Set(this.indexEntries(seg).map((e) => e.position));
    const timeOffsets = new Set(this.timeEntries(seg).map((e) => e.offset));
    const quiet = (b: BatchRef): boolean => b.index > 0 && !indexed.has(b.position) && !timeOffsets.has(b.lastOffset);
    const b = this.countBatches(seg, quiet) > 0 ? this.pickBatch(seg, quiet) : this.pickBatch(seg, (x) => x.index > 0);
    const prev = this.batchAt(seg, b.index - 1);
    const buf = Buffer.alloc(8);
    let detail: string;
    let field: Record<string, unknown>;
    if (b.magic === 0 && b.compressionId !== 0) {
      // A v0 wrapper's first offset is inside its compressed messages: raise the previous entry's offset instead.
      buf.writeBigInt64BE(BigInt(b.lastOffset));
      this.writeAt(seg.file, prev.position, buf);
      detail = `offset field of the entry at ${prev.position} raised from ${prev.entryOffset} to ${b.lastOffset}, so the v0 wrapper at ${b.position} (offsets ${b.baseOffset}..${b.lastOffset}) starts at or below it; not covered by the CRC`;
      field = { offsetField: { position: prev.position, old: prev.entryOffset, new: b.lastOffset }, previousLastOffset: b.lastOffset };
    } else {
      buf.writeBigInt64BE(BigInt(prev.entryOffset));
      this.writeAt(seg.file, b.position, buf);
      const after = this.readBatch(seg, b.position, b.size);
      detail = `offset field of the batch at ${b.position} changed from ${b.entryOffset} to ${prev.entryOffset} (the previous batch's), so offsets go back from ${prev.lastOffset} to ${after.baseOffset}; not covered by the CRC`;
      field = { offsetField: { position: b.position, old: b.entryOffset, new: prev.entryOffset }, previousLastOffset: prev.lastOffset };
    }
    const after = this.readBatch(seg, b.position, b.size);
    const outcome = this.kafkaRecoverSegment(seg);
    const report = this.logFault(
      'offsets-backwards',
      seg,
      { ...b, baseOffset: after.baseOffset, lastOffset: after.lastOffset },
      outcome !== null,
      { detail, ...field },
      outcome ?? undefined,
    );
    if (outcome === null) report.kafkaRecovery = 'nothing to cut: Kafka checks neither offset order nor record contents, and no index append it makes fails';
    return report;
  }

  private partialTail(): CorruptionReport {
    const seg = this.lastSegmentWithData();
    const b = this.batchAt(seg, seg.batches - 1);
    const cut = b.position + this.rng.int(18, b.size - 1);
    this.truncate(seg.file, cut);
    // A crash in the middle of this append: nothing that describes the torn batch was written.
    const removed: Record<string, unknown> = {};
    // (per-append layout: an entry before the torn batch can carry an offset of it)
    const idx = this.indexEntries(seg).filter((e) => e.position < b.position && e.offset < b.baseOffset);
    if (idx.length !== seg.indexEntries) {
      this.rewrite(`${this.base(seg)}.index`, idx.length * OFFSET_INDEX_ENTRY_SIZE);
      removed.indexEntriesRemoved = seg.indexEntries - idx.length;
    }
    const tidx = this.timeEntries(seg).filter((e) => e.offset < b.baseOffset);
    if (tidx.length !== seg.timeIndexEntries) {
      this.rewrite(`${this.base(seg)}.timeindex`, tidx.length * TIME_INDEX_ENTRY_SIZE);
      removed.timeIndexEntriesRemoved = seg.timeIndexEntries - tidx.length;
    }
    if (seg.txnIndexEntries > 0) {
      const name = `${this.base(seg)}.txnindex`;
      const keep = parseTxnIndex(this.read(name)).entries.filter((t) => t.lastOffset < b.baseOffset).length;
      if (keep !== seg.txnIndexEntries) {
        if (keep === 0) this.remove(name);
        else this.rewrite(name, keep * TXN_INDEX_ENTRY_SIZE);
        removed.txnIndexEntriesRemoved = seg.txnIndexEntries - keep;
      }
    }
    if (this.o.magic >= 2) {
      const epochs = parseLeaderEpochCheckpoint(this.read('leader-epoch-checkpoint').toString('utf8'));
      const keep = epochs.filter((e) => e.startOffset < b.baseOffset);
      if (keep.length !== epochs.length) {
        this.replace('leader-epoch-checkpoint', encodeLeaderEpochCheckpoint(keep));
        removed.leaderEpochEntriesRemoved = epochs.length - keep.length;
      }
    }
    removed.removedFiles = this.removeCleanShutdownSnapshot();
    const report = this.logFault('partial-tail', seg, b, true, {
      detail: `file cut at ${cut}, inside the batch at ${b.position} (${cut - b.position} of its ${b.size} bytes remain); index, time-index${seg.txnIndexEntries ? ', txn-index' : ''} and leader-epoch entries for offsets >= ${b.baseOffset} and the clean-shutdown snapshot removed, as after a crash during that append`,
      fileSizeAfterCut: cut,
      ...removed,
    });
    report.kafkaRecovery = `partial entry at ${b.position}: end of data, the torn bytes are truncated`;
    return report;
  }

  private zeroTail(): CorruptionReport {
    const seg = this.segs[this.segs.length - 1]!;
    const zeros = 4096;
    const fd = this.open(seg.file, 'a');
    try {
      fs.writeSync(fd, Buffer.alloc(zeros));
    } finally {
      fs.closeSync(fd);
    }
    const removedFiles = this.removeCleanShutdownSnapshot();
    return {
      ...this.header('zero-tail', seg.file, seg.size, null, seg.baseOffset, String(zeros)),
      detail: `${zeros} zero bytes appended at ${seg.size} (a preallocated active segment after an unclean shutdown; the clean-shutdown snapshot removed)`,
      firstBadBatchPosition: seg.size,
      recoverFile: seg.file,
      recoverToPosition: seg.size,
      kafkaRecovery: `CorruptRecordException: size smaller than 14 at ${seg.size}; the zeros are truncated`,
      segmentsDeletedByRecovery: [],
      recordsSurvivingRecovery: this.w.records,
      logEndOffsetAfterRecovery: this.w.logEndOffset,
      recordsBefore: this.w.records,
      zeroBytes: zeros,
      removedFiles,
    };
  }

  // ------------------------------------------------------------------ index and snapshot faults

  private indexZeroTail(): CorruptionReport {
    const seg = this.indexedSegment('index-zero-tail', (s) => s.indexEntries >= 1, 'a segment with .index entries');
    const name = `${this.base(seg)}.index`;
    const zeroEntries = this.rng.int(1, 64);
    const position = seg.indexEntries * OFFSET_INDEX_ENTRY_SIZE;
    const fd = this.open(name, 'a');
    try {
      fs.writeSync(fd, Buffer.alloc(zeroEntries * OFFSET_INDEX_ENTRY_SIZE));
    } finally {
      fs.closeSync(fd);
    }
    return this.indexFault('index-zero-tail', name, position, null, seg, {
      detail: `${zeroEntries} zero entries (${zeroEntries * OFFSET_INDEX_ENTRY_SIZE} bytes) appended at ${position} to an index that had ${seg.indexEntries} entries (an untrimmed preallocated index)`,
      zeroEntries,
      segmentIsActive: seg === this.segs[this.segs.length - 1],
    });
  }

  private indexBadPosition(): CorruptionReport {
    const seg = this.indexedSegment('index-bad-position', (s) => s.indexEntries >= 1, 'a segment with .index entries');
    const name = `${this.base(seg)}.index`;
    const entries = this.indexEntries(seg);
    const i = this.rng.int(0, entries.length - 1);
    const e = entries[i]!;
    const b = this.batchAtPosition(seg, e.position);
    const newPosition = e.position + this.rng.int(1, b.size - 1);
    const buf = Buffer.alloc(4);
    buf.writeInt32BE(newPosition);
    this.writeAt(name, i * OFFSET_INDEX_ENTRY_SIZE + 4, buf);
    return this.indexFault('index-bad-position', name, i * OFFSET_INDEX_ENTRY_SIZE, e.offset, seg, {
      variant: 'mid-batch',
      detail: `entry ${i} (offset ${e.offset}) points to ${newPosition} instead of the batch start ${e.position}`,
      entry: { index: i, oldPosition: e.position, newPosition },
    });
  }

  private swapEntries(which: 'index' | 'timeindex'): CorruptionReport {
    const kind = which === 'index' ? 'index-nonmonotonic' : 'timeindex-nonmonotonic';
    const size = which === 'index' ? OFFSET_INDEX_ENTRY_SIZE : TIME_INDEX_ENTRY_SIZE;
    const seg = this.indexedSegment(kind, (s) => (which === 'index' ? s.indexEntries : s.timeIndexEntries) >= 2, `a segment with two or more .${which} entries`);
    const name = `${this.base(seg)}.${which}`;
    const buf = this.read(name);
    const n = buf.length / size;
    const i = this.rng.int(0, n - 2);
    const a = Buffer.from(buf.subarray(i * size, (i + 1) * size));
    buf.copy(buf, i * size, (i + 1) * size, (i + 2) * size);
    a.copy(buf, (i + 1) * size);
    this.writeAt(name, i * size, buf.subarray(i * size, (i + 2) * size));
    if (which === 'index') {
      const later = offsetIndexEntry(buf, i, seg.baseOffset);
      const moved = offsetIndexEntry(buf, i + 1, seg.baseOffset);
      return this.indexFault(kind, name, (i + 1) * size, moved.offset, seg, {
        variant: 'swap',
        detail: `entries ${i} and ${i + 1} swapped: entry ${i + 1} (offset ${moved.offset}) follows offset ${later.offset}`,
        entries: [i, i + 1],
      });
    }
    const later = timeIndexEntry(buf, i, seg.baseOffset);
    const moved = timeIndexEntry(buf, i + 1, seg.baseOffset);
    return this.indexFault(kind, name, (i + 1) * size, moved.offset, seg, {
      variant: 'swap',
      detail: `entries ${i} and ${i + 1} swapped: entry ${i + 1} (timestamp ${moved.timestamp}, offset ${moved.offset}) follows timestamp ${later.timestamp} (offset ${later.offset})`,
      entries: [i, i + 1],
      timestamp: moved.timestamp,
    });
  }

  private missingIndex(): CorruptionReport {
    const inactive = this.segs.slice(0, -1);
    const seg = inactive.length ? this.rng.pick(inactive) : this.segs[0]!;
    const name = `${this.base(seg)}.index`;
    this.remove(name);
    return this.indexFault('missing-index', name, null, seg.baseOffset, seg, {
      detail: `${name} deleted; ${seg.file} is intact (Kafka recovers the segment and rebuilds the index at startup)`,
      removedFiles: [name],
    });
  }

  private snapshotCrc(): CorruptionReport {
    const name = this.rng.pick(this.w.snapshots);
    const buf = this.read(name);
    // A byte of the first producer's timestamp when there is one, else of the stored CRC itself.
    const at = buf.length > SNAPSHOT_ENTRIES_OFFSET ? SNAPSHOT_ENTRIES_OFFSET + 26 + 7 : SNAPSHOT_CRC_OFFSET + this.rng.int(0, 3);
    this.writeAt(name, at, Buffer.from([buf[at]! ^ 0xff]));
    const offset = Number(name.slice(0, 20));
    return {
      ...this.header('snapshot-crc', name, SNAPSHOT_CRC_OFFSET, offset, null, null),
      detail: `byte at ${at} of ${name} XOR 0xFF (${at >= SNAPSHOT_ENTRIES_OFFSET ? "a producer entry's timestamp" : 'the stored CRC'}); Kafka deletes a corrupt snapshot and rebuilds producer state from the log`,
      ...this.noCut(),
      kafkaRecovery: 'nothing to cut (the snapshot is rebuilt)',
      flippedBytePosition: at,
    };
  }

  // ------------------------------------------------------------------ reports

  private header(
    kind: CorruptKind,
    file: string,
    position: number | null,
    offset: number | null,
    segmentBaseOffset: number | null,
    variant: string | null,
  ): Pick<CorruptionReport, 'kind' | 'code' | 'file' | 'position' | 'offset' | 'segmentBaseOffset' | 'variant'> {
    return { kind, code: CORRUPT_KINDS[kind], file, position, offset, segmentBaseOffset, variant };
  }

  private noCut(): Pick<
    CorruptionReport,
    | 'firstBadBatchPosition'
    | 'recoverFile'
    | 'recoverToPosition'
    | 'segmentsDeletedByRecovery'
    | 'recordsSurvivingRecovery'
    | 'logEndOffsetAfterRecovery'
    | 'recordsBefore'
    | 'kafkaRecovery'
  > {
    return {
      firstBadBatchPosition: null,
      recoverFile: null,
      recoverToPosition: null,
      kafkaRecovery: 'nothing to cut (size/CRC of every batch valid)',
      segmentsDeletedByRecovery: [],
      recordsSurvivingRecovery: this.w.records,
      logEndOffsetAfterRecovery: this.w.logEndOffset,
      recordsBefore: this.w.records,
    };
  }

  private indexFault(
    kind: CorruptKind,
    file: string,
    position: number | null,
    offset: number | null,
    seg: SegmentSummary,
    extra: { detail: string; variant?: string } & Record<string, unknown>,
  ): CorruptionReport {
    const { variant, ...rest } = extra;
    return {
      ...this.header(kind, file, position, offset, seg.baseOffset, variant ?? null),
      ...this.noCut(),
      kafkaRecovery: 'nothing to cut (size/CRC of every batch valid); indexes are rebuilt, not cut for',
      ...rest,
    };
  }

  /**
   * A fault in a .log batch. `cuts`: Kafka's recovery stops at this batch (or, with `at`, at the
   * position it gives), truncates the segment there and deletes every later segment.
   */
  private logFault(
    kind: CorruptKind,
    seg: SegmentSummary,
    b: BatchRef,
    cuts: boolean,
    extra: { detail: string; variant?: string } & Record<string, unknown>,
    at?: { position: number; reason: string },
  ): CorruptionReport {
    const { variant, ...rest } = extra;
    const head = this.header(kind, seg.file, b.position, this.offsetAsRead(seg, b.position), seg.baseOffset, variant ?? null);
    if (!cuts) return { ...head, ...this.noCut(), firstBadBatchPosition: b.position, ...rest };
    const cutAt = at?.position ?? b.position;
    const segIndex = this.segs.indexOf(seg);
    let survivors = 0;
    for (let i = 0; i < segIndex; i++) survivors += this.segs[i]!.records;
    let lastKept: number | null = null;
    for (const x of this.walk(seg)) {
      if (x.position >= cutAt) break;
      survivors += x.records;
      lastKept = x.lastOffset;
    }
    if (lastKept === null) {
      for (let i = segIndex - 1; i >= 0 && lastKept === null; i--) lastKept = this.segs[i]!.lastOffset;
    }
    return {
      ...head,
      firstBadBatchPosition: b.position,
      recoverFile: seg.file,
      recoverToPosition: cutAt,
      kafkaRecovery: at?.reason ?? (kind === 'size' ? `CorruptRecordException: size smaller than 14 at ${b.position}` : `invalid batch (size/CRC) at ${b.position}`),
      segmentsDeletedByRecovery: this.segs.slice(segIndex + 1).map((s) => s.file),
      recordsSurvivingRecovery: survivors,
      logEndOffsetAfterRecovery: at?.position === 0 ? seg.baseOffset : lastKept === null ? this.w.logStartOffset : Math.max(lastKept + 1, seg.baseOffset),
      recordsBefore: this.w.records,
      ...rest,
    };
  }

  /**
   * Kafka's LogSegment.recover over one segment as it now is: the per-batch index rule with the
   * offset index's and time index's InvalidOffsetException checks. Returns where it would fail
   * (the segment is then truncated to its base offset) or null.
   */
  private kafkaRecoverSegment(seg: SegmentSummary): { position: number; reason: string } | null {
    let pos = 0;
    let lastIndexed = 0;
    let maxTs = -1;
    let maxTsOffset = -1;
    let lastIndexOffset: number | null = null;
    let lastTime: { ts: number; offset: number } | null = null;
    const timeAppend = (ts: number, offset: number): string | null => {
      if (lastTime && offset < lastTime.offset) return `time index entry for offset ${offset} below the last one (${lastTime.offset})`;
      if (ts > (lastTime?.ts ?? -1)) lastTime = { ts, offset };
      return null;
    };
    for (const b of this.walk(seg)) {
      if (b.maxTimestamp > maxTs) {
        maxTs = b.maxTimestamp;
        maxTsOffset = b.lastOffset;
      }
      if (pos - lastIndexed > this.o.indexIntervalBytes) {
        if (lastIndexOffset !== null && b.lastOffset <= lastIndexOffset) {
          return {
            position: 0,
            reason: `InvalidOffsetException while rebuilding the index (offset ${b.lastOffset} after ${lastIndexOffset} at ${b.position}): the segment is truncated to its base offset`,
          };
        }
        lastIndexOffset = b.lastOffset;
        const err = timeAppend(maxTs, maxTsOffset);
        if (err) return { position: 0, reason: `InvalidOffsetException (${err}): the segment is truncated to its base offset` };
        lastIndexed = pos;
      }
      pos += b.size;
    }
    const err = timeAppend(maxTs, maxTsOffset);
    return err ? { position: 0, reason: `InvalidOffsetException (${err}): the segment is truncated to its base offset` } : null;
  }

  // ------------------------------------------------------------------ choosing targets

  /** A middle segment when there are three or more (recovery then deletes later ones), else the first. */
  private middleSegment(ok: (s: SegmentSummary) => boolean = (s) => s.batches > 0): SegmentSummary {
    const withData = this.segs.filter(ok);
    if (withData.length === 0) throw this.cannot(this.o.corrupt!, this.w.records === 0 ? 'batches, and the partition is empty' : 'a segment with enough batches');
    const all = this.segs;
    const middle = withData.filter((s) => s !== all[0] && s !== all[all.length - 1]);
    if (middle.length) return this.rng.pick(middle);
    return withData[0]!;
  }

  private lastSegmentWithData(): SegmentSummary {
    const last = this.segs[this.segs.length - 1]!;
    if (last.batches === 0) throw this.cannot(this.o.corrupt!, 'batches, and the partition is empty');
    return last;
  }

  /** Prefer rolled (inactive) segments, as the fixtures do. */
  private indexedSegment(kind: CorruptKind, ok: (s: SegmentSummary) => boolean, what: string): SegmentSummary {
    const all = this.segs.filter(ok);
    if (all.length === 0) throw this.cannot(kind, `${what}: lower --index-interval-bytes or write more records`);
    const inactive = all.filter((s) => s !== this.segs[this.segs.length - 1]);
    return this.rng.pick(inactive.length ? inactive : all);
  }

  private cannot(kind: CorruptKind, what: string): UsageError {
    return new UsageError(`--corrupt ${kind} needs ${what}`);
  }

  private countBatches(seg: SegmentSummary, ok: (b: BatchRef) => boolean): number {
    let n = 0;
    for (const b of this.walk(seg)) if (ok(b)) n++;
    return n;
  }

  /** A uniformly chosen batch among those passing `ok` (two passes, flat memory). */
  private pickBatch(seg: SegmentSummary, ok: (b: BatchRef) => boolean): BatchRef {
    const n = this.countBatches(seg, ok);
    if (n === 0) throw this.cannot(this.o.corrupt!, 'a batch to corrupt');
    let k = this.rng.int(0, n - 1);
    for (const b of this.walk(seg)) if (ok(b) && k-- === 0) return b;
    throw new Error('batch count changed between passes');
  }

  private batchAt(seg: SegmentSummary, index: number): BatchRef {
    for (const b of this.walk(seg)) if (b.index === index) return b;
    throw new Error(`no batch ${index} in ${seg.file}`);
  }

  private batchAtPosition(seg: SegmentSummary, position: number): BatchRef {
    for (const b of this.walk(seg)) if (b.position === position) return b;
    throw new Error(`no batch starts at ${position} in ${seg.file}`);
  }

  // ------------------------------------------------------------------ file access

  private *walk(seg: SegmentSummary): Generator<BatchRef> {
    const src = openSource(path.join(this.dir, seg.file), { reader: 'pread' });
    try {
      let index = 0;
      for (const item of logEntries(src, { file: seg.file })) {
        if (item.kind !== 'batch') {
          yield {
            index: index++,
            position: item.position,
            size: item.size,
            baseOffset: -1,
            lastOffset: -1,
            entryOffset: -1,
            magic: -1,
            records: 0,
            isControl: false,
            isTransactional: false,
            compressionId: -1,
            maxTimestamp: -1,
          };
          continue;
        }
        const b = item.batch;
        yield {
          index: index++,
          position: b.position,
          size: b.size,
          baseOffset: b.baseOffset,
          lastOffset: b.lastOffset,
          entryOffset: b.entryOffset,
          magic: b.magic,
          records: b.recordCount,
          isControl: b.isControl,
          isTransactional: b.isTransactional,
          compressionId: b.compressionId,
          maxTimestamp: b.maxTimestamp,
        };
      }
    } finally {
      src.close();
    }
  }

  /**
   * The offset a reader gives the entry at `position` now: its base offset when the entry still
   * decodes, else the offset field as stored (for a v0/v1 wrapper that is its last offset).
   */
  private offsetAsRead(seg: SegmentSummary, position: number): number {
    const fileSize = fs.statSync(this.p(seg.file)).size;
    const head = this.readAt(seg.file, position, Math.min(12, fileSize - position));
    const raw = Number(head.readBigInt64BE(0));
    const size = head.readInt32BE(SIZE_OFFSET) + 12;
    if (size < 26 || position + size > fileSize) return raw;
    try {
      return decodeBatch(this.readAt(seg.file, position, size), 0, size, position, seg.file).baseOffset;
    } catch {
      return raw;
    }
  }

  private readBatch(seg: SegmentSummary, position: number, size: number): { baseOffset: number; lastOffset: number } {
    const b = decodeBatch(this.readAt(seg.file, position, size), 0, size, position, seg.file);
    return { baseOffset: b.baseOffset, lastOffset: b.lastOffset };
  }

  private indexEntries(seg: SegmentSummary): { offset: number; position: number }[] {
    const buf = this.read(`${this.base(seg)}.index`);
    const out: { offset: number; position: number }[] = [];
    for (let i = 0; i < buf.length / OFFSET_INDEX_ENTRY_SIZE; i++) out.push(offsetIndexEntry(buf, i, seg.baseOffset));
    return out;
  }

  private timeEntries(seg: SegmentSummary): { timestamp: number; offset: number }[] {
    const buf = this.read(`${this.base(seg)}.timeindex`);
    const out: { timestamp: number; offset: number }[] = [];
    for (let i = 0; i < buf.length / TIME_INDEX_ENTRY_SIZE; i++) out.push(timeIndexEntry(buf, i, seg.baseOffset));
    return out;
  }

  private removeCleanShutdownSnapshot(): string[] {
    const name = segmentFileName(this.w.logEndOffset, 'snapshot');
    if (!this.w.snapshots.includes(name)) return [];
    this.remove(name);
    return [name];
  }

  private base(seg: SegmentSummary): string {
    return seg.file.slice(0, -'.log'.length);
  }

  private p(name: string): string {
    return path.join(this.dir, name);
  }

  private open(name: string, flags: string): number {
    try {
      return fs.openSync(this.p(name), flags);
    } catch (e) {
      throw ioError(e, this.p(name));
    }
  }

  private read(name: string): Buffer {
    try {
      return fs.readFileSync(this.p(name));
    } catch (e) {
      throw ioError(e, this.p(name));
    }
  }

  private readAt(name: string, position: number, length: number): Buffer {
    return readRange(this.p(name), position, length);
  }

  private writeAt(name: string, position: number, data: Uint8Array): void {
    const fd = this.open(name, 'r+');
    try {
      fs.writeSync(fd, data, 0, data.length, position);
      if (this.o.fsync) fs.fsyncSync(fd);
    } finally {
      fs.closeSync(fd);
    }
  }

  private truncate(name: string, size: number): void {
    const fd = this.open(name, 'r+');
    try {
      fs.ftruncateSync(fd, size);
      if (this.o.fsync) fs.fsyncSync(fd);
    } finally {
      fs.closeSync(fd);
    }
  }

  /** Keep the first `size` bytes of a file. */
  private rewrite(name: string, size: number): void {
    this.truncate(name, size);
  }

  private replace(name: string, data: string): void {
    try {
      fs.writeFileSync(this.p(name), data);
    } catch (e) {
      throw ioError(e, this.p(name));
    }
  }

  private remove(name: string): void {
    try {
      fs.rmSync(this.p(name));
    } catch (e) {
      throw ioError(e, this.p(name));
    }
  }
}
