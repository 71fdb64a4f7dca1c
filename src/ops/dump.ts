import path from 'node:path';
import { batchRecords, type Batch, type KafkaRecord } from '../format/batch.js';
import { readInt32, readInt64 } from '../format/int64.js';
import { CorruptDataError, KsegError, UsageError } from '../format/errors.js';
import {
  lookupOffsetSlot,
  parseOffsetIndex,
  parseTimeIndex,
  parseTxnIndex,
  slotCount,
  OFFSET_INDEX_ENTRY_SIZE,
  TIME_INDEX_ENTRY_SIZE,
  type AbortedTxn,
  type OffsetIndexEntry,
  type TimeIndexEntry,
} from '../format/indexes.js';
import { parseProducerSnapshot, SNAPSHOT_CRC_OFFSET, type ProducerSnapshot } from '../format/snapshot.js';
import { parseCheckpoint, parseLeaderEpochCheckpoint, parseLogDirCheckpoint, parsePartitionMetadata } from '../format/checkpoints.js';
import { logEntries, type StopInfo } from '../storage/log-reader.js';
import { openSource, readWholeFile, type ByteSource } from '../storage/source.js';
import { ProgressMeter, type OnProgress } from './progress.js';
import { parseKraftSnapshotName, requirePartition, resolveInputs, segmentFileName, statPath, type FileKind, type Input, type KraftSnapshotName } from '../storage/segments.js';
import { resolvePath } from '../storage/vfs.js';
import {
  decodeControlPayload,
  decodeInternalRecord,
  decodeInternalRecordForJson,
  internalTopicOf,
  type DecodedRecord,
  type InternalDecoder,
} from '../format/kafka-messages/internal.js';

/** What to dump of a partition directory (single files are dumped by their kind). */
export type DirPart = 'log' | 'index' | 'timeindex' | 'txnindex' | 'snapshot';

export interface DumpOptions {
  /** Records (deep iteration) or only batch headers. */
  records: boolean;
  fromOffset?: number;
  toOffset?: number;
  /** Only batches that end within the first N bytes of each .log file. */
  maxBytes?: number;
  /** For directories: which files to dump (default: the .log files). */
  parts?: DirPart[];
  /**
   * Check .index / .timeindex entries against the segment's .log as DumpLogSegments does, yielding
   * 'index-mismatch' and 'timeindex-error' events (the kafka text formats).
   */
  checkIndexes?: boolean;
  /** DumpLogSegments --index-sanity-check: run the index's sanity check instead of listing entries. */
  indexSanityOnly?: boolean;
  /**
   * DumpLogSegments --max-message-size (kafka formats; the tool's default is 5242880): the .index
   * check reads only this many bytes at each entry's position, so a first batch larger than that
   * (or a slice of 17 bytes or fewer) is not found there and the tool aborts; kseg notes it and goes on.
   */
  maxMessageSize?: number;
  /** DumpLogSegments --verify-index-only: check index entries against the log, yield no entries. */
  verifyIndexOnly?: boolean;
  /** Yield 'offset-gaps' at the end of each .log read record by record (DumpLogSegments' non-consecutive report). */
  offsetGaps?: boolean;
  /** Yield 'ignored' for files kafka-dump-log.sh ignores by suffix (partition.metadata, .deleted, ...) instead of failing. */
  kafkaIgnoresUnknown?: boolean;
  /**
   * Internal-topic decoding: a decoder, 'off', or undefined = by the partition directory's topic
   * name (`__consumer_offsets-N` → offsets, …; KRaft `.checkpoint` files → cluster-metadata).
   */
  internal?: InternalDecoder | 'off';
  /** Called with .log bytes read and the total to read, at most once per PROGRESS_STEP (4 MiB) and per file. */
  onProgress?: OnProgress;
  /** (set by dump() from onProgress) */
  progressMeter?: ProgressMeter;
}

export { parseKraftSnapshotName, type KraftSnapshotName } from '../storage/segments.js';

/** The internal-topic decoder for a .log or KRaft snapshot file at `p` (see DumpOptions.internal). */
export function internalDecoderFor(p: string, opts: Pick<DumpOptions, 'internal'>): InternalDecoder | undefined {
  if (opts.internal === 'off') return undefined;
  if (opts.internal !== undefined) return opts.internal;
  if (parseKraftSnapshotName(path.basename(p))) return 'cluster-metadata';
  const dir = path.basename(path.dirname(resolvePath(p)));
  const m = /^(.+)-\d+$/.exec(dir);
  return m ? internalTopicOf(m[1]!) : undefined;
}

/** A record's decoding by an internal-topic decoder: the decoded key/value, or why it failed. */
export interface RecordDecoding {
  decoded?: DecodedRecord;
  /** The bytes do not follow the schema (file, batch position; the message names the offset and byte). */
  error?: CorruptDataError;
}

/**
 * Decode one record (control records by their control type) with an internal-topic decoder.
 * `forJson`: the `data` objects are JSON text, readable only through decodedPartJson (faster NDJSON).
 */
export function decodeRecord(decoder: InternalDecoder, record: KafkaRecord, batch: Batch, forJson = false): RecordDecoding {
  try {
    if (batch.isControl) return { decoded: decodeControlPayload(record.key, record.value) };
    return { decoded: forJson ? decodeInternalRecordForJson(decoder, record.key, record.value) : decodeInternalRecord(decoder, record.key, record.value) };
  } catch (e) {
    if (!(e instanceof CorruptDataError)) throw e;
    // "value: … at byte 24" → "… at byte 24 of the value" (the byte is within the record's key or value)
    const part = e.message.startsWith('key:') ? 'key' : 'value';
    const msg = e.message.replace(/ at byte (\d+)$/, ` at byte $1 of the ${part}`);
    return { error: new CorruptDataError(e.code, `record at offset ${record.offset} (batch at byte ${batch.position}) does not decode: ${msg}`, { file: batch.file }) };
  }
}

/** A time-index entry DumpLogSegments reports (TimeIndexDumpErrors). */
export type TimeIndexProblem =
  /** The batch with lastOffset = entry offset has a different largest record timestamp: [indexTimestamp, logTimestamp]. */
  | 'timestamp-mismatch'
  /** The entry's timestamp is not above the previous entry's: [indexTimestamp, previousIndexTimestamp]. */
  | 'out-of-order'
  /** No batch ends at the entry's offset: [indexOffset, lastOffset of the first batch ending at or after it, or -1]. */
  | 'offset-not-found';

export type DumpEvent =
  | { type: 'file'; path: string; name: string; kind: FileKind; baseOffset?: number; size: number; internal?: InternalDecoder; kraftSnapshot?: KraftSnapshotName }
  | { type: 'batch'; batch: Batch }
  | { type: 'record'; record: KafkaRecord; batch: Batch; decoding?: RecordDecoding }
  | { type: 'log-end'; path: string; name: string; size: number; stop: StopInfo; validBytes: number }
  | { type: 'index-entry'; name: string; entry: OffsetIndexEntry; slot: number }
  | { type: 'timeindex-entry'; name: string; entry: TimeIndexEntry; slot: number }
  | { type: 'txnindex-entry'; name: string; entry: AbortedTxn }
  | { type: 'zero-tail'; name: string; entries: number }
  | { type: 'snapshot'; name: string; snapshot: ProducerSnapshot }
  /** An .index entry whose position holds a batch with a different lastOffset (DumpLogSegments "Mismatches in"). */
  | { type: 'index-mismatch'; path: string; name: string; indexOffset: number; logOffset: number }
  | { type: 'timeindex-error'; path: string; name: string; problem: TimeIndexProblem; first: number; second: number }
  /** --index-sanity-check passed (a failure is an 'error' event with Kafka's message). */
  | { type: 'sanity-passed'; path: string; name: string; kind: 'index' | 'timeindex' }
  /**
   * After a .log read record by record: the offset of its first record (null when none) and each
   * pair (a, b) of consecutive records where b != a + 1, in file order.
   */
  | { type: 'offset-gaps'; path: string; name: string; firstOffset: number | null; gaps: number[] }
  /** A file kafka-dump-log.sh ignores by its suffix ("Ignoring unknown file"). */
  | { type: 'ignored'; path: string }
  | { type: 'checkpoint'; name: string; kind: FileKind; data: unknown }
  /** Something an operator should know that is not an error (leftover files, orphan indexes). */
  | { type: 'note'; message: string }
  /** A problem that stops reading this file (the dump goes on with the next file). */
  | { type: 'error'; error: KsegError };

/** Dump every input in order. Never throws for corrupt data: it yields an 'error' event instead. */
export function* dump(paths: string[], opts: DumpOptions): Generator<DumpEvent> {
  if (opts.fromOffset !== undefined && opts.toOffset !== undefined && opts.toOffset < opts.fromOffset) {
    throw new UsageError(`--to-offset ${opts.toOffset} is below --from-offset ${opts.fromOffset}`);
  }
  const inputs = resolveInputs(paths);
  if (opts.onProgress) opts = { ...opts, progressMeter: new ProgressMeter(opts.onProgress, logBytes(inputs, opts)) };
  for (const input of inputs) yield* dumpInput(input, opts);
}

/** The .log bytes a dump of these inputs reads (for progress). */
function logBytes(inputs: Input[], opts: DumpOptions): number {
  let n = 0;
  for (const i of inputs) {
    if (i.type === 'dir') {
      if ((opts.parts ?? ['log']).includes('log')) for (const s of i.partition.segments) n += s.logSize;
    } else if (i.file.kind === 'log') {
      try {
        n += statPath(i.file.path).size;
      } catch {
        // (dumpFile reports it)
      }
    }
  }
  return n;
}

function* dumpInput(input: Input, opts: DumpOptions): Generator<DumpEvent> {
  if (input.type === 'file') {
    yield* dumpFile(input.file.path, input.file.kind, input.file.baseOffset, opts);
    return;
  }
  const { partition } = input;
  requirePartition(partition);
  if (partition.leftovers.length)
    yield {
      type: 'note',
      message: `${input.path}: unfinished delete/clean/swap files are not dumped (\`kseg recover\` resolves them as a broker would): ${partition.leftovers.map((l) => l.file).join(', ')}`,
    };
  if (partition.orphans.length) yield { type: 'note', message: `${input.path}: index files without a .log (a broker deletes them at startup): ${partition.orphans.join(', ')}` };
  if (partition.irregular.length)
    yield { type: 'note', message: `${input.path}: segment files whose names are not 20 digits (not written by Kafka): ${partition.irregular.join(', ')}` };
  const parts = opts.parts ?? ['log'];
  const segs = partition.segments;
  for (let i = 0; i < segs.length; i++) {
    const seg = segs[i]!;
    const next = segs[i + 1];
    // Segments entirely below --from-offset or above --to-offset are not opened.
    if (opts.fromOffset !== undefined && next && next.baseOffset <= opts.fromOffset) continue;
    if (opts.toOffset !== undefined && seg.baseOffset > opts.toOffset) break;
    for (const part of parts) {
      if (part === 'snapshot') continue;
      const name = part === 'log' ? seg.log : seg[part];
      if (!name) continue;
      yield* dumpFile(path.join(partition.dir, name), part, seg.baseOffset, opts);
    }
  }
  if (parts.includes('snapshot')) {
    for (const s of partition.snapshots) yield* dumpFile(path.join(partition.dir, s.file), 'snapshot', s.offset, opts);
  }
  // KRaft snapshots of __cluster_metadata-0 follow its log. Their record offsets count from 0 within
  // each snapshot, so an offset range (which is about the log) leaves them out.
  if (parts.includes('log') && opts.fromOffset === undefined && opts.toOffset === undefined) {
    for (const f of kraftSnapshotFiles(partition.other)) yield* dumpFile(path.join(partition.dir, f), 'kraft-checkpoint', undefined, opts);
  }
}

/** KRaft snapshot files among a directory's other files, by end offset then epoch. */
export function kraftSnapshotFiles(names: string[]): string[] {
  return names.filter((n) => parseKraftSnapshotName(n) !== null).sort();
}

export function* dumpFile(p: string, kind: FileKind, baseOffset: number | undefined, opts: DumpOptions): Generator<DumpEvent> {
  const name = path.basename(p);
  // DumpLogSegments dispatches on the text after the last '.': `.metadata`, `.deleted`, `.swap`,
  // `.cleaned` and other suffixes are ignored with a message, and the next file is dumped.
  if (opts.kafkaIgnoresUnknown && (kind === 'unknown' || kind === 'partition.metadata')) {
    yield { type: 'ignored', path: p };
    return;
  }
  try {
    switch (kind) {
      case 'log':
        yield* dumpLog(p, name, baseOffset, opts);
        return;
      case 'kraft-checkpoint':
        yield* dumpLog(p, name, undefined, opts, parseKraftSnapshotName(name) ?? undefined);
        return;
      case 'index':
      case 'timeindex':
      case 'txnindex':
      case 'snapshot': {
        const buf = readWholeFile(p, { pattern: 'sequential' });
        yield { type: 'file', path: p, name, kind, baseOffset, size: buf.length };
        if ((kind === 'index' || kind === 'timeindex') && (opts.checkIndexes || opts.indexSanityOnly || opts.verifyIndexOnly))
          yield* dumpIndexKafka(p, buf, name, kind, baseOffset ?? 0, opts);
        else yield* dumpSideFile(buf, name, kind, baseOffset ?? 0);
        return;
      }
      case 'leader-epoch-checkpoint':
      case 'checkpoint':
      case 'partition.metadata': {
        const buf = readWholeFile(p);
        yield { type: 'file', path: p, name, kind, size: buf.length };
        const text = buf.toString('utf8');
        const data =
          kind === 'leader-epoch-checkpoint'
            ? parseLeaderEpochCheckpoint(text, name)
            : kind === 'partition.metadata'
              ? parsePartitionMetadata(text, name)
              : parseLogDirOrGeneric(text, name);
        yield { type: 'checkpoint', name, kind, data };
        return;
      }
      default:
        throw new UsageError(
          `${name}: not a Kafka partition file (expected a 20-digit .log/.index/.timeindex/.txnindex/.snapshot name, a KRaft <offset>-<epoch>.checkpoint or bootstrap.checkpoint, leader-epoch-checkpoint, partition.metadata or *-checkpoint)`,
        );
    }
  } catch (e) {
    if (e instanceof UsageError) throw e;
    if (e instanceof KsegError) {
      yield { type: 'error', error: e.at({ file: name }) };
      return;
    }
    throw e;
  }
}

function parseLogDirOrGeneric(text: string, name: string): unknown {
  try {
    return parseLogDirCheckpoint(text, name);
  } catch {
    return parseCheckpoint(text, name);
  }
}

function* dumpSideFile(buf: Buffer, name: string, kind: FileKind, baseOffset: number): Generator<DumpEvent> {
  if (kind === 'index') {
    const { entries, zeroTailEntries } = parseOffsetIndex(buf, baseOffset);
    for (let i = 0; i < entries.length; i++) yield { type: 'index-entry', name, entry: entries[i]!, slot: i };
    if (zeroTailEntries > 0) yield { type: 'zero-tail', name, entries: zeroTailEntries };
  } else if (kind === 'timeindex') {
    const { entries, zeroTailEntries } = parseTimeIndex(buf, baseOffset);
    for (let i = 0; i < entries.length; i++) yield { type: 'timeindex-entry', name, entry: entries[i]!, slot: i };
    if (zeroTailEntries > 0) yield { type: 'zero-tail', name, entries: zeroTailEntries };
  } else if (kind === 'txnindex') {
    for (const entry of parseTxnIndex(buf, name).entries) yield { type: 'txnindex-entry', name, entry };
  } else if (kind === 'snapshot') {
    const snapshot = parseProducerSnapshot(buf, name);
    // ProducerStateManager.readSnapshot refuses a snapshot whose CRC fails: its entries are not data.
    if (!snapshot.crcValid) {
      throw new CorruptDataError('SNAPSHOT_CRC_MISMATCH', `Snapshot is corrupt (CRC is no longer valid). Stored crc: ${snapshot.crc}. Computed crc: ${snapshot.computedCrc}`, {
        file: name,
        position: SNAPSHOT_CRC_OFFSET,
      });
    }
    yield { type: 'snapshot', name, snapshot };
  }
}

/**
 * What java.io.File makes of a path: repeated and trailing slashes dropped (`new File(p).toString()`),
 * and for getAbsolutePath the working directory prepended to a relative path, without resolving
 * `.` or `..`. DumpLogSegments prints both forms.
 */
export function javaFilePath(p: string): string {
  const s = p.replace(/\/{2,}/g, '/');
  return s.length > 1 && s.endsWith('/') ? s.slice(0, -1) : s;
}

export function javaAbsolutePath(p: string, cwd = process.cwd()): string {
  const s = javaFilePath(p);
  if (s.startsWith('/')) return s;
  return s === '' ? cwd : `${cwd.endsWith('/') ? cwd.slice(0, -1) : cwd}/${s}`;
}

/**
 * .index / .timeindex as DumpLogSegments.dumpIndex / dumpTimeIndex treat them: the sanity check
 * alone (--index-sanity-check), or each entry (up to the first slot i > 0 at the base offset, the
 * preallocated zero tail) checked against the segment's .log, yielded unless --verify-index-only.
 * Where the tool throws (no .log, no batch at an indexed position) kseg says so in a note and goes on.
 */
function* dumpIndexKafka(p: string, buf: Buffer, name: string, kind: 'index' | 'timeindex', baseOffset: number, opts: DumpOptions): Generator<DumpEvent> {
  const abs = javaAbsolutePath(p);
  const entrySize = kind === 'index' ? OFFSET_INDEX_ENTRY_SIZE : TIME_INDEX_ENTRY_SIZE;
  const slots = slotCount(buf.length, entrySize);
  // dumpIndex: an empty offset index is reported as such (the 'file' event's size says it) and nothing else is done.
  if (kind === 'index' && slots === 0) return;
  if (opts.indexSanityOnly) {
    const problem = kind === 'index' ? offsetIndexSanity(buf, slots, baseOffset, abs) : timeIndexSanity(buf, slots, baseOffset, abs);
    if (problem)
      yield {
        type: 'error',
        error: new CorruptDataError(kind === 'index' ? 'INDEX_SANITY_CHECK' : 'TIMEINDEX_SANITY_CHECK', problem.message, { file: name, position: problem.position }),
      };
    else yield { type: 'sanity-passed', path: p, name, kind };
    return;
  }
  const segName = name.split('.')[0]!;
  const logPath = path.join(path.dirname(p), `${segName}.log`);
  let src: ByteSource | null = null;
  try {
    src = openSource(logPath, { pattern: 'random' });
  } catch (e) {
    if (!(e instanceof KsegError)) throw e;
    yield {
      type: 'note',
      message: `${name}: ${segName}.log cannot be read (${e.message}); entries are listed without checking them against the log (kafka-dump-log.sh stops here with an exception)`,
    };
  }
  try {
    if (kind === 'index') {
      const { entries } = parseOffsetIndex(buf, baseOffset);
      // Batches beyond --max-message-size: the first is noted, the rest counted (the tool stops at the first).
      let oversize = 0;
      let largest = 0;
      for (let i = 0; i < entries.length; i++) {
        const entry = entries[i]!;
        if (src) {
          const first = firstBatchAt(src, entry.position, `${segName}.log`);
          if ('batch' in first) {
            const size = first.batch.size;
            const max = opts.maxMessageSize;
            // FileRecords.slice(position, maxMessageSize): FileLogInputStream.nextBatch finds no batch
            // when the slice holds 17 bytes or fewer (HEADER_SIZE_UP_TO_MAGIC) or the batch (12-byte
            // log overhead included) does not fit in it; iterator().next() then throws.
            if (max !== undefined && (max <= 17 || size > max)) {
              if (oversize++ === 0) {
                yield {
                  type: 'note',
                  message: `${name}: entry #${i} (offset ${entry.offset}) points at position ${entry.position} of ${segName}.log, where the batch is ${size} bytes, more than --max-message-size ${max} lets kafka-dump-log.sh read (${max <= 17 ? 'a slice of 17 bytes or fewer holds no batch' : 'it finds no batch in the slice'}): the tool aborts here with NoSuchElementException, kseg goes on and still checks the entry`,
                };
              }
              largest = Math.max(largest, size);
            }
            if (first.batch.lastOffset !== entry.offset) yield { type: 'index-mismatch', path: p, name, indexOffset: entry.offset, logOffset: first.batch.lastOffset };
          } else
            yield {
              type: 'note',
              message: `${name}: entry #${i} (offset ${entry.offset}) points at position ${entry.position} of ${segName}.log, where ${first.why}; kafka-dump-log.sh aborts here with a stack trace, kseg goes on`,
            };
        }
        if (!opts.verifyIndexOnly) yield { type: 'index-entry', name, entry, slot: i };
      }
      if (oversize > 1)
        yield {
          type: 'note',
          message: `${name}: ${oversize} entries in all point at batches larger than --max-message-size ${opts.maxMessageSize} (the largest ${largest} bytes)`,
        };
      return;
    }
    const { entries } = parseTimeIndex(buf, baseOffset);
    const offsetIndex = loadSiblingIndex(path.join(path.dirname(p), `${segName}.index`), src?.size ?? 0);
    let prevTimestamp = -1;
    for (let i = 0; i < entries.length; i++) {
      const entry = entries[i]!;
      if (src) {
        const slot = offsetIndex ? lookupOffsetSlot(offsetIndex.buf, offsetIndex.count, baseOffset, entry.offset) : -1;
        const start = slot < 0 ? 0 : readInt32(offsetIndex!.buf, slot * 8 + 4);
        let found: Batch | null = null;
        const gen = logEntries(src, { start, file: `${segName}.log`, checkCrc: false });
        for (;;) {
          const n = gen.next();
          if (n.done) break;
          if (n.value.kind === 'batch' && n.value.batch.lastOffset >= entry.offset) {
            found = n.value.batch;
            break;
          }
        }
        if (!found) yield { type: 'timeindex-error', path: p, name, problem: 'offset-not-found', first: entry.offset, second: -1 };
        else if (found.lastOffset !== entry.offset) yield { type: 'timeindex-error', path: p, name, problem: 'offset-not-found', first: entry.offset, second: found.lastOffset };
        else {
          let maxTimestamp = -1;
          try {
            for (const r of batchRecords(found)) if (r.timestamp > maxTimestamp) maxTimestamp = r.timestamp;
            if (maxTimestamp !== entry.timestamp) yield { type: 'timeindex-error', path: p, name, problem: 'timestamp-mismatch', first: entry.timestamp, second: maxTimestamp };
            if (prevTimestamp >= entry.timestamp) yield { type: 'timeindex-error', path: p, name, problem: 'out-of-order', first: entry.timestamp, second: prevTimestamp };
          } catch (e) {
            if (!(e instanceof KsegError)) throw e;
            yield {
              type: 'note',
              message: `${name}: entry #${i} (offset ${entry.offset}): the records of the batch at position ${found.position} of ${segName}.log cannot be read (${e.message}); kafka-dump-log.sh aborts here with a stack trace, kseg goes on`,
            };
          }
        }
      }
      if (!opts.verifyIndexOnly) yield { type: 'timeindex-entry', name, entry, slot: i };
      prevTimestamp = entry.timestamp;
    }
  } finally {
    src?.close();
  }
}

/** The first batch at `position` (DumpLogSegments reads one batch there), or why there is none. */
function firstBatchAt(src: ByteSource, position: number, file: string): { batch: Batch } | { why: string } {
  if (position < 0 || position >= src.size) return { why: `the file ends (${src.size} bytes)` };
  const n = logEntries(src, { start: position, file, checkCrc: false }).next();
  if (n.done)
    return { why: n.value.reason === 'corrupt-size' ? `the size field is ${n.value.sizeField}, below the 14-byte minimum` : `no complete batch starts (${n.value.reason})` };
  if (n.value.kind === 'bad-entry') return { why: n.value.error.message };
  return { batch: n.value.batch };
}

/** The sibling .index for time-index checks: its entries while they increase and point inside the log. */
function loadSiblingIndex(p: string, logSize: number): { buf: Buffer; count: number } | null {
  let buf: Buffer;
  try {
    buf = readWholeFile(p, { pattern: 'random' });
  } catch {
    return null;
  }
  return { buf, count: validPrefix(buf, slotCount(buf.length, OFFSET_INDEX_ENTRY_SIZE), logSize) };
}

/** OffsetIndex.sanityCheck, worded as Kafka words it. */
function offsetIndexSanity(buf: Buffer, slots: number, baseOffset: number, abs: string): { message: string; position: number } | null {
  if (slots > 0) {
    const last = baseOffset + readInt32(buf, (slots - 1) * 8);
    if (last < baseOffset)
      return {
        message: `Corrupt index found, index file ${abs} has non-zero size but the last offset is ${last} which is less than the base offset ${baseOffset}`,
        position: (slots - 1) * 8,
      };
  }
  if (buf.length % OFFSET_INDEX_ENTRY_SIZE !== 0)
    return { message: `Index file ${abs} is corrupt, found ${buf.length} bytes which is neither positive nor a multiple of ${OFFSET_INDEX_ENTRY_SIZE}`, position: slots * 8 };
  return null;
}

/** TimeIndex.sanityCheck, worded as Kafka words it (the last slot is read as an entry even when it is a zero tail). */
function timeIndexSanity(buf: Buffer, slots: number, baseOffset: number, abs: string): { message: string; position: number } | null {
  if (slots > 0) {
    const lastTs = readInt64(buf, (slots - 1) * 12);
    const lastOffset = baseOffset + readInt32(buf, (slots - 1) * 12 + 8);
    const firstTs = readInt64(buf, 0);
    if (lastTs < firstTs)
      return {
        message: `Corrupt time index found, time index file (${abs}) has non-zero size but the last timestamp is ${lastTs} which is less than the first timestamp ${firstTs}`,
        position: (slots - 1) * 12,
      };
    if (lastOffset < baseOffset)
      return {
        message: `Corrupt time index found, time index file (${abs}) has non-zero size but the last offset is ${lastOffset} which is less than the first offset ${baseOffset}`,
        position: (slots - 1) * 12,
      };
  }
  if (buf.length % TIME_INDEX_ENTRY_SIZE !== 0)
    return { message: `Time index file ${abs} is corrupt, found ${buf.length} bytes which is neither positive nor a multiple of ${TIME_INDEX_ENTRY_SIZE}`, position: slots * 12 };
  return null;
}

/** Start position for --from-offset: floor lookup in the segment's .index, when it has one. */
export function seekPosition(p: string, baseOffset: number, from: number | undefined, logSize: number): number {
  if (from === undefined || from <= baseOffset) return 0;
  const indexPath = path.join(path.dirname(p), segmentFileName(baseOffset, 'index'));
  let buf: Buffer;
  try {
    buf = readWholeFile(indexPath, { pattern: 'random' });
  } catch {
    return 0;
  }
  const count = slotCount(buf.length, OFFSET_INDEX_ENTRY_SIZE);
  // Only trust the index as far as its entries increase and point inside the file.
  const slot = lookupOffsetSlot(buf, validPrefix(buf, count, logSize), baseOffset, from);
  return slot < 0 ? 0 : buf.readInt32BE(slot * 8 + 4);
}

function validPrefix(buf: Buffer, count: number, logSize: number): number {
  let prevRel = -1;
  let prevPos = -1;
  for (let i = 0; i < count; i++) {
    const rel = buf.readInt32BE(i * 8);
    const pos = buf.readInt32BE(i * 8 + 4);
    if ((i > 0 && rel <= prevRel) || pos < 0 || pos >= logSize || pos < prevPos) return i;
    prevRel = rel;
    prevPos = pos;
  }
  return count;
}

/**
 * DumpLogSegments' non-consecutive report for one .log: the offset of its first record (null when
 * none) and each pair (a, b) of consecutive records where b != a + 1, in file order.
 */
export class OffsetGaps {
  firstOffset: number | null = null;
  prevOffset = 0;
  gaps: number[] = [];

  add(offset: number): void {
    if (this.firstOffset === null) this.firstOffset = offset;
    else if (offset !== this.prevOffset + 1) this.gaps.push(this.prevOffset, offset);
    this.prevOffset = offset;
  }

  event(path: string, name: string): DumpEvent {
    return { type: 'offset-gaps', path, name, firstOffset: this.firstOffset, gaps: this.gaps };
  }
}

/**
 * The record events of one batch within [fromOffset, toOffset] (`internal`: with their decoding),
 * their offsets added to `gaps`; a record that does not decode ends the batch with an error event
 * naming the batch. dump() yields these after each batch event with `records`; a caller that takes
 * `records: false` and writes records its own way uses it for the batches it leaves.
 */
export function* batchRecordEvents(
  batch: Batch,
  name: string,
  internal: InternalDecoder | undefined,
  fromOffset: number | undefined,
  toOffset: number | undefined,
  gaps: OffsetGaps | null,
): Generator<DumpEvent> {
  try {
    for (const record of batchRecords(batch)) {
      if (fromOffset !== undefined && record.offset < fromOffset) continue;
      if (toOffset !== undefined && record.offset > toOffset) break;
      if (gaps !== null) gaps.add(record.offset);
      yield internal ? { type: 'record', record, batch, decoding: decodeRecord(internal, record, batch) } : { type: 'record', record, batch };
    }
  } catch (e) {
    if (!(e instanceof KsegError)) throw e;
    yield { type: 'error', error: e.at({ file: name, position: batch.position }) };
  }
}

function* dumpLog(p: string, name: string, nameOffset: number | undefined, opts: DumpOptions, kraftSnapshot?: KraftSnapshotName): Generator<DumpEvent> {
  const src = openSource(p, { pattern: 'sequential' });
  try {
    const baseOffset = nameOffset ?? 0;
    const internal = internalDecoderFor(p, opts);
    yield { type: 'file', path: p, name, kind: kraftSnapshot ? 'kraft-checkpoint' : 'log', baseOffset: nameOffset, size: src.size, internal, kraftSnapshot };
    const start = kraftSnapshot ? 0 : seekPosition(p, baseOffset, opts.fromOffset, src.size);
    const gen = logEntries(src, { file: name, start, maxBytes: opts.maxBytes });
    const { fromOffset, toOffset } = opts;
    // DumpLogSegments' non-consecutive report: pairs (a, b) of consecutive records with b != a + 1.
    const trackGaps = opts.offsetGaps === true && opts.records;
    const gaps = new OffsetGaps();
    const gapsEvent = (): DumpEvent => gaps.event(p, name);
    for (;;) {
      const n = gen.next();
      if (n.done) {
        const stop = n.value;
        if (trackGaps) yield gapsEvent();
        opts.progressMeter?.fileDone(src.size);
        yield { type: 'log-end', path: p, name, size: src.size, stop, validBytes: stop.position };
        if (stop.reason === 'corrupt-size') {
          const zero = stop.zeroTail ? ` (the rest of the file, ${stop.trailingBytes} bytes, is zeros: a preallocated tail)` : '';
          yield {
            type: 'error',
            error: new CorruptDataError(stop.zeroTail ? 'ZERO_TAIL' : 'SIZE_TOO_SMALL', `Found record size ${stop.sizeField} smaller than minimum record overhead (14)${zero}`, {
              file: name,
              position: stop.position,
            }),
          };
        }
        return;
      }
      const item = n.value;
      if (item.kind === 'bad-entry') {
        yield { type: 'error', error: item.error };
        continue;
      }
      const batch = item.batch;
      if (fromOffset !== undefined && batch.lastOffset < fromOffset) continue;
      if (toOffset !== undefined && batch.baseOffset > toOffset) {
        if (trackGaps) yield gapsEvent();
        opts.progressMeter?.fileDone(src.size);
        yield {
          type: 'log-end',
          path: p,
          name,
          size: src.size,
          stop: { reason: 'max-bytes', position: batch.position, trailingBytes: src.size - batch.position },
          validBytes: batch.position,
        };
        return;
      }
      opts.progressMeter?.at(batch.position);
      yield { type: 'batch', batch };
      if (!opts.records) continue;
      yield* batchRecordEvents(batch, name, internal, fromOffset, toOffset, trackGaps ? gaps : null);
    }
  } finally {
    src.close();
  }
}
