import path from 'node:path';
import { batchRecords, type Batch } from '../format/batch.js';
import { CorruptDataError, IoError, UsageError } from '../format/errors.js';
import { decodeInternalRecord, type DecodedRecord, type InternalDecoder } from '../format/kafka-messages/index.js';
import { logEntries } from '../storage/log-reader.js';
import { readDirNames, scanPartitionDir, statPath, type PartitionDir } from '../storage/segments.js';
import { openSource } from '../storage/source.js';
import { parsePartitionDirName, partitionDirsIn } from './scan.js';

/**
 * Reading an internal topic's partitions record by record, decoded, in offset order — what the
 * coordinators replay at load time (GroupMetadataManager.loadGroupsAndOffsets,
 * TransactionStateManager.loadTransactionMetadata, the new coordinators' CoordinatorLoaderImpl).
 * A record that does not decode is a problem with file, byte position and offset; the replay goes on.
 */
export interface InternalPartition {
  /** `<topic>-<partition>` directory. */
  dir: string;
  name: string;
  partition: number;
}

export interface ReplayProblem {
  file: string;
  /** Byte position of the batch holding the record. */
  position: number;
  offset: number;
  message: string;
}

export type ReplayItem =
  | { kind: 'record'; partition: InternalPartition; file: string; position: number; offset: number; timestamp: number; batch: Batch; decoded: DecodedRecord }
  | { kind: 'marker'; partition: InternalPartition; file: string; position: number; offset: number; timestamp: number; batch: Batch; type: 'COMMIT' | 'ABORT' };

/**
 * The `<topic>-N` partition directories named by `paths`: a path may be a broker log dir (every
 * live `<topic>-N` in it) or a partition directory of that topic.
 */
export function internalPartitions(paths: string[], topic: string): InternalPartition[] {
  if (paths.length === 0) throw new UsageError(`give a broker log dir or ${topic}-N partition directories`);
  const out: InternalPartition[] = [];
  for (const p of paths) {
    const st = statPath(p);
    if (!st.isDirectory()) throw new UsageError(`${p} is not a directory (give a broker log dir or ${topic}-N partition directories)`);
    const own = parsePartitionDirName(path.basename(path.resolve(p)));
    if (own && own.state === 'live' && own.topic === topic) {
      out.push({ dir: p, name: path.basename(path.resolve(p)), partition: own.partition });
      continue;
    }
    if (own && own.state === 'live' && readDirNames(p).some((f) => /^\d+\.log$/.test(f))) {
      throw new UsageError(`${p} is a partition of ${own.topic}, not of ${topic}`);
    }
    let found = 0;
    for (const d of partitionDirsIn(p)) {
      if (d.state !== 'live' || d.topic !== topic) continue;
      out.push({ dir: path.join(p, d.name), name: d.name, partition: d.partition });
      found++;
    }
    if (found === 0) throw new IoError('NO_PARTITION', `no ${topic}-N partition directory here`, { file: p });
  }
  return out.sort((a, b) => a.partition - b.partition);
}

/** Every record of the partition in offset order, decoded with `decoder`; COMMIT/ABORT markers as their own items. */
export interface ReplayOptions {
  listing?: PartitionDir;
  /** Records whose decoded key this rejects are skipped before their value is decoded. */
  acceptKey?: (key: DecodedRecord['key']) => boolean;
  /** Filled in: the largest batch timestamp read (skipped records included). */
  stats?: { maxTimestamp: number | null };
}

export function* replay(part: InternalPartition, decoder: InternalDecoder, problems: ReplayProblem[], opts: ReplayOptions = {}): Generator<ReplayItem> {
  const { acceptKey, stats } = opts;
  const pd = opts.listing ?? scanPartitionDir(part.dir);
  for (const seg of pd.segments) {
    const src = openSource(path.join(part.dir, seg.log), { pattern: 'sequential' });
    try {
      const it = logEntries(src, { file: seg.log });
      for (;;) {
        const n = it.next();
        if (n.done) {
          const stop = n.value;
          if (stop.reason !== 'eof' && !stop.zeroTail) {
            problems.push({
              file: path.join(part.dir, seg.log),
              position: stop.position,
              offset: -1,
              message: `log data ends at byte ${stop.position} (${stop.reason}); ${stop.trailingBytes} bytes after it are not read`,
            });
          }
          break;
        }
        if (n.value.kind === 'bad-entry') {
          problems.push({ file: path.join(part.dir, seg.log), position: n.value.position, offset: -1, message: n.value.error.message });
          continue;
        }
        const b = n.value.batch;
        if (stats && (stats.maxTimestamp === null || b.maxTimestamp > stats.maxTimestamp)) stats.maxTimestamp = b.maxTimestamp;
        if (!b.crcValid)
          problems.push({
            file: path.join(part.dir, seg.log),
            position: b.position,
            offset: b.baseOffset,
            message: `batch CRC mismatch (expected 0x${b.crc.toString(16)}, computed 0x${b.computedCrc.toString(16)}); its records are used as they are`,
          });
        let recs;
        try {
          recs = [...batchRecords(b)];
        } catch (e) {
          if (!(e instanceof CorruptDataError)) throw e;
          problems.push({ file: path.join(part.dir, seg.log), position: b.position, offset: b.baseOffset, message: e.message });
          continue;
        }
        for (const r of recs) {
          const base = { partition: part, file: seg.log, position: b.position, offset: r.offset, timestamp: r.timestamp, batch: b };
          if (b.isControl) {
            const t = r.control?.type;
            if (t === 'COMMIT' || t === 'ABORT') yield { kind: 'marker', ...base, type: t };
            continue;
          }
          try {
            // With a key filter, records whose key is not wanted are skipped before their value is decoded.
            if (acceptKey && !acceptKey(decodeInternalRecord(decoder, r.key, null).key)) continue;
            const decoded = decodeInternalRecord(decoder, r.key, r.value);
            const unknown = [decoded.key, decoded.value].find((x) => x && 'unknown' in x);
            if (unknown && 'unknown' in unknown) {
              problems.push({
                file: path.join(part.dir, seg.log),
                position: b.position,
                offset: r.offset,
                message: `record type ${unknown.type} version ${unknown.version} is not in kseg's schema table; skipped`,
              });
            }
            yield { kind: 'record', ...base, decoded };
          } catch (e) {
            if (!(e instanceof CorruptDataError)) throw e;
            problems.push({ file: path.join(part.dir, seg.log), position: b.position, offset: r.offset, message: `record does not decode: ${e.message}` });
          }
        }
      }
    } finally {
      src.close();
    }
  }
}
