import { crc32c } from './crc.js';
import { CorruptDataError } from './errors.js';
import { readInt16, readInt32, readInt64, readUInt32 } from './int64.js';

// Producer state snapshot (<offset>.snapshot), version 1:
//   version int16 | crc uint32 (CRC-32C over bytes 6..EOF) | count int32 | count × entry (46 bytes):
//   producerId int64 | epoch int16 | lastSequence int32 | lastOffset int64 | offsetDelta int32 |
//   timestamp int64 | coordinatorEpoch int32 | currentTxnFirstOffset int64
export const SNAPSHOT_VERSION_OFFSET = 0;
export const SNAPSHOT_CRC_OFFSET = SNAPSHOT_VERSION_OFFSET + 2;
export const SNAPSHOT_COUNT_OFFSET = SNAPSHOT_CRC_OFFSET + 4;
export const SNAPSHOT_ENTRIES_OFFSET = SNAPSHOT_COUNT_OFFSET + 4;
export const SNAPSHOT_ENTRY_SIZE = 46;

export interface ProducerSnapshotEntry {
  producerId: number;
  producerEpoch: number;
  lastSequence: number;
  lastOffset: number;
  offsetDelta: number;
  timestamp: number;
  coordinatorEpoch: number;
  currentTxnFirstOffset: number;
}

export interface ProducerSnapshot {
  version: number;
  crc: number;
  computedCrc: number;
  crcValid: boolean;
  count: number;
  producers: ProducerSnapshotEntry[];
}

/** Parse a producer snapshot. Throws CorruptDataError for unknown versions and short files; a CRC mismatch is reported in the result. */
export function parseProducerSnapshot(buf: Uint8Array, file?: string): ProducerSnapshot {
  if (buf.length < SNAPSHOT_ENTRIES_OFFSET) {
    throw new CorruptDataError('SNAPSHOT_TRUNCATED', `Snapshot failed schema validation: ${buf.length} bytes is shorter than the 10-byte header`, { file, position: 0 });
  }
  const version = readInt16(buf, SNAPSHOT_VERSION_OFFSET);
  if (version !== 1) throw new CorruptDataError('SNAPSHOT_BAD_VERSION', `Snapshot contained an unknown file version ${version}`, { file, position: 0 });
  const crc = readUInt32(buf, SNAPSHOT_CRC_OFFSET);
  const computedCrc = crc32c(buf, SNAPSHOT_COUNT_OFFSET, buf.length);
  const count = readInt32(buf, SNAPSHOT_COUNT_OFFSET);
  if (count < 0 || SNAPSHOT_ENTRIES_OFFSET + count * SNAPSHOT_ENTRY_SIZE > buf.length) {
    throw new CorruptDataError('SNAPSHOT_TRUNCATED', `Snapshot failed schema validation: ${count} entries do not fit in ${buf.length} bytes`, {
      file,
      position: SNAPSHOT_COUNT_OFFSET,
    });
  }
  const producers: ProducerSnapshotEntry[] = [];
  for (let i = 0; i < count; i++) {
    const p = SNAPSHOT_ENTRIES_OFFSET + i * SNAPSHOT_ENTRY_SIZE;
    producers.push({
      producerId: readInt64(buf, p),
      producerEpoch: readInt16(buf, p + 8),
      lastSequence: readInt32(buf, p + 10),
      lastOffset: readInt64(buf, p + 14),
      offsetDelta: readInt32(buf, p + 22),
      timestamp: readInt64(buf, p + 26),
      coordinatorEpoch: readInt32(buf, p + 34),
      currentTxnFirstOffset: readInt64(buf, p + 38),
    });
  }
  if (SNAPSHOT_ENTRIES_OFFSET + count * SNAPSHOT_ENTRY_SIZE !== buf.length) {
    throw new CorruptDataError(
      'SNAPSHOT_TRUNCATED',
      `Snapshot failed schema validation: ${buf.length - SNAPSHOT_ENTRIES_OFFSET - count * SNAPSHOT_ENTRY_SIZE} unexpected bytes after ${count} entries`,
      { file, position: SNAPSHOT_ENTRIES_OFFSET + count * SNAPSHOT_ENTRY_SIZE },
    );
  }
  return { version, crc, computedCrc, crcValid: crc === computedCrc, count, producers };
}

export function encodeProducerSnapshot(producers: ProducerSnapshotEntry[]): Buffer {
  const b = Buffer.alloc(SNAPSHOT_ENTRIES_OFFSET + producers.length * SNAPSHOT_ENTRY_SIZE);
  b.writeInt16BE(1, 0);
  b.writeInt32BE(producers.length, SNAPSHOT_COUNT_OFFSET);
  producers.forEach((e, i) => {
    const p = SNAPSHOT_ENTRIES_OFFSET + i * SNAPSHOT_ENTRY_SIZE;
    b.writeBigInt64BE(BigInt(e.producerId), p);
    b.writeInt16BE(e.producerEpoch, p + 8);
    b.writeInt32BE(e.lastSequence, p + 10);
    b.writeBigInt64BE(BigInt(e.lastOffset), p + 14);
    b.writeInt32BE(e.offsetDelta, p + 22);
    b.writeBigInt64BE(BigInt(e.timestamp), p + 26);
    b.writeInt32BE(e.coordinatorEpoch, p + 34);
    b.writeBigInt64BE(BigInt(e.currentTxnFirstOffset), p + 38);
  });
  b.writeUInt32BE(crc32c(b, SNAPSHOT_COUNT_OFFSET, b.length), SNAPSHOT_CRC_OFFSET);
  return b;
}
