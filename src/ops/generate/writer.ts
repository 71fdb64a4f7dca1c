import fs from 'node:fs';
import path from 'node:path';
import { encodeLeaderEpochCheckpoint, type LeaderEpochEntry } from '../../format/checkpoints.js';
import { UsageError, ioError } from '../../format/errors.js';
import { IndexBuilder } from '../../format/index-rule.js';
import { encodeAbortedTxn } from '../../format/indexes.js';
import { setV2Crc } from '../../format/encode.js';
import { encodeProducerSnapshot } from '../../format/snapshot.js';
import { fsyncDir, writeFileAtomic } from '../../storage/atomic.js';
import { segmentFileName } from '../../storage/segments.js';
import type { Layout } from './options.js';
import { ProducerStateModel, type CompletedTxn } from './producer-state.js';
import { IoWorker } from './io-worker.js';
import type { Entry } from './workload.js';

/**
 * The broker side of `generate`: appends go to the active segment, which rolls when the next
 * append would pass segment.bytes (`size > segment.bytes - incoming`), when its last offset would
 * not fit the 32-bit relative offset, or when an index is full; never while it is empty. Indexes
 * follow Kafka's rule (IndexBuilder: per batch, or once per append for the pre-KAFKA-806 layout)
 * and are written trimmed at roll; aborted transactions get `.txnindex` entries with the
 * last-stable-offset rule; producer snapshots are taken at every roll and at the end (clean
 * shutdown); the leader-epoch cache is checkpointed for v2 data.
 *
 * Only the current append, the write buffers and the active segment's index entries are in memory.
 * The .log is written in large positional writes, double-buffered: while the kernel copies one
 * buffer (libuv thread), the next append is encoded into the other — directly in place when the
 * client side asks for room with `reserve`.
 */
export interface WriterOptions {
  dir: string;
  startOffset: number;
  segmentBytes: number;
  indexIntervalBytes: number;
  layout: Layout;
  magic: number;
  fsync: boolean;
  /** Kafka's limits (Int.MaxValue; segment.index.bytes 10485760 / 8 and / 12); tests shrink them. */
  maxRelativeOffset?: number;
  maxIndexEntries?: number;
  maxTimeIndexEntries?: number;
  writeBufferBytes?: number;
  /** Compute deferred CRCs and write on a helper thread (io-worker.ts); otherwise libuv's pool writes. */
  ioWorker?: boolean;
  onAppend?: (a: AppendInfo) => void;
  onFlush?: () => void;
}

export interface AppendInfo {
  file: string;
  segmentBaseOffset: number;
  position: number;
  size: number;
  rolled: boolean;
  batches: { position: number; size: number; baseOffset: number; lastOffset: number; maxTimestamp: number; records: number }[];
}

export interface SegmentSummary {
  baseOffset: number;
  file: string;
  size: number;
  batches: number;
  records: number;
  firstOffset: number | null;
  lastOffset: number | null;
  maxTimestamp: number;
  indexEntries: number;
  timeIndexEntries: number;
  txnIndexEntries: number;
}

export interface WriterResult {
  segments: SegmentSummary[];
  logStartOffset: number;
  logEndOffset: number;
  batches: number;
  records: number;
  controlRecords: number;
  bytes: number;
  leaderEpochs: LeaderEpochEntry[];
  snapshots: string[];
  producers: number;
  abortedTransactions: number;
}

const SEGMENT_INDEX_BYTES = 10485760;

interface ActiveSegment {
  baseOffset: number;
  name: string;
  fd: number;
  size: number;
  /** Bytes handed to the kernel so far (the position of the next write). */
  flushed: number;
  /** Writes still in flight. */
  writes: Promise<void>[];
  index: IndexBuilder;
  /** Time-index entries so far (IndexBuilder keeps them private; counted for the full-index roll). */
  timeEntries: number;
  lastTimeEntryTimestamp: number;
  txn: Buffer[];
  batches: number;
  records: number;
  firstOffset: number | null;
  lastOffset: number | null;
  maxTimestamp: number;
}

export class PartitionWriter {
  readonly created: string[] = [];
  private readonly segments: SegmentSummary[] = [];
  private readonly snapshots: string[] = [];
  private readonly producers = new ProducerStateModel();
  private readonly leaderEpochs: LeaderEpochEntry[] = [];
  private readonly bufSize: number;
  private buf: Buffer;
  private bufLen = 0;
  private readonly spare: Buffer[] = [];
  /** start, end pairs of batches in the current buffer whose CRC the io worker fills in. */
  private crcs: number[] = [];
  private readonly io: IoWorker | null;
  private inflight = 0;
  private readonly pendingWrites = new Set<Promise<void>>();
  /** Segments whose .log is closed (fsync + close) once their writes have landed. */
  private readonly closing: Promise<void>[] = [];
  private failure: unknown = null;
  private active: ActiveSegment;
  private nextOffset: number;
  private batches = 0;
  private records = 0;
  private controlRecords = 0;
  private bytes = 0;
  private aborted = 0;
  private readonly maxRelativeOffset: number;
  private readonly maxIndexEntries: number;
  private readonly maxTimeIndexEntries: number;

  constructor(private readonly o: WriterOptions) {
    this.bufSize = o.writeBufferBytes ?? 4 * 1024 * 1024;
    this.io = o.ioWorker ? new IoWorker() : null;
    this.buf = this.newBuffer();
    this.nextOffset = o.startOffset;
    this.maxRelativeOffset = o.maxRelativeOffset ?? 2147483647;
    this.maxIndexEntries = o.maxIndexEntries ?? Math.floor(SEGMENT_INDEX_BYTES / 8);
    this.maxTimeIndexEntries = o.maxTimeIndexEntries ?? Math.floor(SEGMENT_INDEX_BYTES / 12);
    this.active = this.openSegment(o.startOffset);
  }

  get logBytes(): number {
    return this.bytes;
  }

  /** One append call. Appends larger than segment.bytes are split, as a fetch of that size would be. */
  append(entries: Entry[]): void {
    if (this.failure) throw this.failure;
    if (entries.length === 0) return;
    let total = 0;
    for (const e of entries) {
      if (e.bytes.length > this.o.segmentBytes) {
        throw new UsageError(
          `a batch of ${e.bytes.length} bytes (offsets ${e.baseOffset}..${e.lastOffset}) does not fit in --segment-bytes ${this.o.segmentBytes}; a broker rejects it (RecordBatchTooLargeException): raise --segment-bytes or lower --records-per-batch / --value-size`,
        );
      }
      total += e.bytes.length;
    }
    if (total <= this.o.segmentBytes) return this.appendChunk(entries, total);
    let chunk: Entry[] = [];
    let size = 0;
    for (const e of entries) {
      if (size + e.bytes.length > this.o.segmentBytes) {
        this.appendChunk(chunk, size);
        chunk = [];
        size = 0;
      }
      chunk.push(e);
      size += e.bytes.length;
    }
    this.appendChunk(chunk, size);
  }

  private appendChunk(entries: Entry[], size: number): void {
    const first = entries[0]!;
    const last = entries[entries.length - 1]!;
    let seg = this.active;
    let rolled = false;
    if (
      seg.size > 0 &&
      (seg.size > this.o.segmentBytes - size ||
        last.lastOffset - seg.baseOffset > this.maxRelativeOffset ||
        seg.index.indexEntries >= this.maxIndexEntries ||
        seg.timeEntries >= this.maxTimeIndexEntries - 1)
    ) {
      this.roll(first.baseOffset);
      seg = this.active;
      rolled = true;
    }
    const firstPosition = seg.size;
    const perBatch = this.o.layout === 'per-batch';
    const info: AppendInfo | null = this.o.onAppend ? { file: `${seg.name}.log`, segmentBaseOffset: seg.baseOffset, position: firstPosition, size, rolled, batches: [] } : null;
    let appendMaxTs = -1;
    let appendMaxTsOffset = -1;
    const completed: CompletedTxn[] = [];
    for (const e of entries) {
      const position = seg.size;
      this.write(e);
      seg.size += e.bytes.length;
      if (perBatch) this.indexAdd(seg, position, e.bytes.length, e.lastOffset, e.maxTimestamp, e.lastOffset);
      if (e.maxTimestamp > appendMaxTs) {
        appendMaxTs = e.maxTimestamp;
        appendMaxTsOffset = e.lastOffset;
      }
      const done = this.producers.apply(e);
      if (done) completed.push(done);
      if (e.magic >= 2 && e.partitionLeaderEpoch >= 0) {
        const latest = this.leaderEpochs[this.leaderEpochs.length - 1];
        if (!latest || e.partitionLeaderEpoch > latest.epoch) this.leaderEpochs.push({ epoch: e.partitionLeaderEpoch, startOffset: e.baseOffset });
      }
      seg.batches++;
      seg.records += e.records;
      seg.firstOffset ??= e.baseOffset;
      seg.lastOffset = e.lastOffset;
      if (e.maxTimestamp > seg.maxTimestamp) seg.maxTimestamp = e.maxTimestamp;
      this.batches++;
      this.records += e.records;
      if (e.marker) this.controlRecords += e.records;
      info?.batches.push({ position, size: e.bytes.length, baseOffset: e.baseOffset, lastOffset: e.lastOffset, maxTimestamp: e.maxTimestamp, records: e.records });
    }
    // Pre-KAFKA-806: one index decision per append, keyed by the append's last offset.
    if (!perBatch) this.indexAdd(seg, firstPosition, size, last.lastOffset, appendMaxTs, appendMaxTsOffset);
    // As UnifiedLog.append: producer state first, then each completed transaction's LSO.
    for (const t of completed) {
      if (t.isAborted) {
        seg.txn.push(encodeAbortedTxn({ producerId: t.producerId, firstOffset: t.firstOffset, lastOffset: t.lastOffset, lastStableOffset: this.producers.lastStableOffset(t) }));
        this.aborted++;
      }
      this.producers.completeTxn(t);
    }
    this.bytes += size;
    this.nextOffset = last.lastOffset + 1;
    if (info) this.o.onAppend!(info);
  }

  private indexAdd(seg: ActiveSegment, position: number, size: number, lastOffset: number, maxTs: number, maxTsOffset: number): void {
    const before = seg.index.indexEntries;
    seg.index.add(position, size, lastOffset, maxTs, maxTsOffset);
    // Mirrors TimeIndex.maybeAppend: an entry only when the max timestamp grew since the last one.
    if (seg.index.indexEntries > before && seg.index.maxTimestamp > seg.lastTimeEntryTimestamp) {
      seg.timeEntries++;
      seg.lastTimeEntryTimestamp = seg.index.maxTimestamp;
    }
  }

  private openSegment(baseOffset: number): ActiveSegment {
    const name = segmentFileName(baseOffset, 'log').slice(0, -4);
    const file = path.join(this.o.dir, `${name}.log`);
    let fd: number;
    try {
      fd = fs.openSync(file, 'wx', 0o644);
    } catch (e) {
      throw ioError(e, file);
    }
    this.created.push(`${name}.log`);
    return {
      baseOffset,
      name,
      fd,
      size: 0,
      flushed: 0,
      writes: [],
      index: new IndexBuilder({ baseOffset, indexIntervalBytes: this.o.indexIntervalBytes }),
      timeEntries: 0,
      lastTimeEntryTimestamp: -1,
      txn: [],
      batches: 0,
      records: 0,
      firstOffset: null,
      lastOffset: null,
      maxTimestamp: -1,
    };
  }

  /**
   * Room for `bytes` bytes at the end of the current write buffer, for the client side to encode
   * an append straight into (then `append` finds the bytes in place and copies nothing). Null
   * when the append is larger than a buffer.
   */
  reserve(bytes: number): { buf: Buffer; at: number; deferCrc: boolean } | null {
    if (bytes > this.bufSize) return null;
    if (this.bufLen + bytes > this.bufSize) this.flush();
    return { buf: this.buf, at: this.bufLen, deferCrc: this.io !== null };
  }

  private newBuffer(): Buffer {
    return this.io ? Buffer.from(new SharedArrayBuffer(this.bufSize)) : Buffer.allocUnsafe(this.bufSize);
  }

  private write(e: Entry): void {
    const bytes = e.bytes;
    if (bytes.buffer === this.buf.buffer && bytes.byteOffset === this.buf.byteOffset + this.bufLen) {
      if (e.crcDeferred) this.crcs.push(this.bufLen, this.bufLen + bytes.length);
      this.bufLen += bytes.length; // encoded in place (reserve)
      return;
    }
    // Copied from elsewhere (e.g. the buffer changed at a roll): a deferred CRC is computed now.
    if (e.crcDeferred) setV2Crc(bytes, 0, bytes.length);
    if (this.bufLen + bytes.length > this.bufSize) this.flush();
    if (bytes.length >= this.bufSize) {
      // Larger than a buffer: written synchronously at its position (the caller reuses its memory).
      const seg = this.active;
      this.writeAt(seg, bytes, seg.flushed);
      seg.flushed += bytes.length;
      return;
    }
    bytes.copy(this.buf, this.bufLen);
    this.bufLen += bytes.length;
  }

  /** Hand the current buffer to the kernel (asynchronously, at its file position) and switch to a spare. */
  private flush(): void {
    if (this.bufLen === 0) return;
    const seg = this.active;
    const buf = this.buf;
    const len = this.bufLen;
    const position = seg.flushed;
    seg.flushed += len;
    this.inflight++;
    const io = this.io ? this.io.run({ sab: buf.buffer as SharedArrayBuffer, len, fd: seg.fd, position, crcs: this.crcs }) : writeFully(seg.fd, buf, len, position);
    this.crcs = [];
    const done = io.then(
      () => {
        this.inflight--;
        this.spare.push(buf);
      },
      (e: unknown) => {
        this.inflight--;
        this.failure ??= ioError(e, path.join(this.o.dir, `${seg.name}.log`));
      },
    );
    seg.writes.push(done);
    this.pendingWrites.add(done);
    void done.then(() => this.pendingWrites.delete(done));
    this.buf = this.spare.pop() ?? this.newBuffer();
    this.bufLen = 0;
    this.o.onFlush?.();
  }

  /** Whether the caller should `await drain()` before the next append (two buffers in flight). */
  get backlogged(): boolean {
    return this.inflight >= 2 || this.failure !== null;
  }

  /** Wait until fewer than two writes are in flight (the oldest landed); rethrows a failed write. */
  async drain(): Promise<void> {
    while (this.inflight >= 2 && this.pendingWrites.size > 0) await this.pendingWrites.values().next().value;
    if (this.failure) throw this.failure;
  }

  private writeAt(seg: ActiveSegment, data: Buffer, position: number): void {
    let done = 0;
    try {
      while (done < data.length) done += fs.writeSync(seg.fd, data, done, data.length - done, position + done);
    } catch (e) {
      throw ioError(e, path.join(this.o.dir, `${seg.name}.log`));
    }
  }

  private roll(newBaseOffset: number): void {
    this.closeSegment();
    this.writeSnapshot(newBaseOffset);
    this.active = this.openSegment(newBaseOffset);
  }

  private closeSegment(): void {
    const seg = this.active;
    const logPath = path.join(this.o.dir, `${seg.name}.log`);
    this.flush();
    const fsync = this.o.fsync;
    // fsync and close once this segment's writes have landed; the next segment goes on meanwhile.
    this.closing.push(
      Promise.all(seg.writes).then(() => {
        try {
          if (fsync) fs.fsyncSync(seg.fd);
          fs.closeSync(seg.fd);
        } catch (e) {
          this.failure ??= ioError(e, logPath);
        }
      }),
    );
    const { index, timeindex } = seg.index.finish();
    this.writeFile(`${seg.name}.index`, index);
    this.writeFile(`${seg.name}.timeindex`, timeindex);
    if (seg.txn.length) this.writeFile(`${seg.name}.txnindex`, Buffer.concat(seg.txn));
    this.segments.push({
      baseOffset: seg.baseOffset,
      file: `${seg.name}.log`,
      size: seg.size,
      batches: seg.batches,
      records: seg.records,
      firstOffset: seg.firstOffset,
      lastOffset: seg.lastOffset,
      maxTimestamp: seg.maxTimestamp,
      indexEntries: index.length / 8,
      timeIndexEntries: timeindex.length / 12,
      txnIndexEntries: seg.txn.length,
    });
  }

  /** Producer snapshot named by the map end offset (ProducerStateManager.takeSnapshot). */
  private writeSnapshot(offset: number): void {
    const name = segmentFileName(offset, 'snapshot');
    this.writeFile(name, encodeProducerSnapshot(this.producers.snapshot()));
    this.snapshots.push(name);
  }

  private writeFile(name: string, data: Uint8Array): void {
    const file = path.join(this.o.dir, name);
    this.created.push(name);
    try {
      const fd = fs.openSync(file, 'wx', 0o644);
      try {
        fs.writeFileSync(fd, data);
        if (this.o.fsync) fs.fsyncSync(fd);
      } finally {
        fs.closeSync(fd);
      }
    } catch (e) {
      throw ioError(e, file);
    }
  }

  /** Writes a small file atomically (temp + fsync + rename) when fsync is on. */
  writeSideFile(name: string, data: string | Uint8Array): void {
    this.created.push(name);
    if (this.o.fsync) writeFileAtomic(this.o.dir, name, data);
    else {
      try {
        fs.writeFileSync(path.join(this.o.dir, name), data);
      } catch (e) {
        throw ioError(e, path.join(this.o.dir, name));
      }
    }
  }

  /** Clean shutdown: close the active segment, snapshot at the log end offset, checkpoint epochs. */
  async finish(): Promise<WriterResult> {
    if (this.failure) throw this.failure;
    this.closeSegment();
    await Promise.all(this.closing);
    await this.io?.close();
    if (this.failure) throw this.failure;
    this.writeSnapshot(this.nextOffset);
    if (this.o.magic >= 2) this.writeSideFile('leader-epoch-checkpoint', encodeLeaderEpochCheckpoint(this.leaderEpochs));
    if (this.o.fsync) fsyncDir(this.o.dir);
    return {
      segments: this.segments,
      logStartOffset: this.o.startOffset,
      logEndOffset: this.nextOffset,
      batches: this.batches,
      records: this.records,
      controlRecords: this.controlRecords,
      bytes: this.bytes,
      leaderEpochs: this.leaderEpochs,
      snapshots: this.snapshots,
      producers: this.producers.size,
      abortedTransactions: this.aborted,
    };
  }

  /** After a failure: let writes in flight land, close the open file, remove everything this writer created. */
  async abort(): Promise<void> {
    await Promise.allSettled([...this.active.writes, ...this.closing]);
    await this.io?.close();
    try {
      fs.closeSync(this.active.fd);
    } catch {
      /* already closed */
    }
    for (const name of this.created) {
      try {
        fs.rmSync(path.join(this.o.dir, name), { force: true });
      } catch {
        /* best effort */
      }
    }
  }
}

/** fs.write until every byte of buf[0, len) is at `position`. */
function writeFully(fd: number, buf: Buffer, len: number, position: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const step = (done: number): void => {
      fs.write(fd, buf, done, len - done, position + done, (err, n) => {
        if (err) reject(err);
        else if (done + n < len) step(done + n);
        else resolve();
      });
    };
    step(0);
  });
}
