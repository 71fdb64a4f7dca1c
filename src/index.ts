/**
 * kseg as a library: the format layer (bytes <-> values), storage (reading partition directories)
 * and the operations behind each command. Everything here is synchronous and streaming unless it
 * says otherwise; nothing prints or exits.
 */
export * from './format/errors.js';
export * from './format/batch.js';
export * from './format/control.js';
export * from './format/compression.js';
export { decompress, compress, codecImplementations } from './format/codecs.js';
export { crc32, crc32c, crcImplementations } from './format/crc.js';
export * from './format/encode.js';
export * from './format/indexes.js';
export * from './format/index-rule.js';
export * from './format/snapshot.js';
export * from './format/checkpoints.js';
export * from './format/varint.js';
export { openSource, readWholeFile, readerKind, type ByteSource, type OpenOptions } from './storage/source.js';
export { logEntries, type LogItem, type StopInfo, type StopReason } from './storage/log-reader.js';
export { scanPartitionDir, resolveInputs, parseSegmentName, segmentFileName, type PartitionDir, type Segment } from './storage/segments.js';
export { readLogDirContext, topicPartitionOfDir, CLEAN_SHUTDOWN_FILE, RECOVERY_POINT_CHECKPOINT, LOG_START_OFFSET_CHECKPOINT, type LogDirContext } from './storage/log-dir.js';
export { acquirePartitionLock, withPartitionLock, ksegLockHolder, type LockHolder, type PartitionLock } from './storage/lock.js';
export { onStorageNote } from './storage/notes.js';
export { dump, type DumpEvent, type DumpOptions } from './ops/dump.js';
export { lookup, logStartOffsetOf, SPECIAL_TIMESTAMPS, type LookupResult, type LookupOptions, type SpecialTimestamp } from './ops/lookup.js';
export { info, type PartitionInfo, type SegmentInfo } from './ops/info.js';
export { exportPartitions, partitionRows, EXPORT_COLUMNS, type ExportRow, type ExportOptions, type ExportResult } from './ops/export.js';
export { importPartition, readExportRows, type ImportResult, type ImportOptions, type RewrittenBatch } from './ops/import.js';
