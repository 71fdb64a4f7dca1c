/**
 * kseg as a library: the operations behind each command, the storage layer (reading partition
 * directories) and the format layer (bytes <-> values). Nothing here prints or exits; errors are
 * KsegError subclasses naming the file and byte position. Reading operations never write to what
 * they read; the mutating ones (recover, rebuildIndex, truncate, compact) take kseg's partition
 * lock themselves and change files by writing new ones, fsync, then rename.
 *
 * Named exports only, grouped by layer and by command, so an addition is one line in its group.
 */

// ---- Errors (format/errors.ts): every failure kseg reports is one of these ----
export { KsegError, CorruptDataError, UsageError, IoError, NotFoundError, InternalError, type ErrorLocation } from './format/errors.js';

// ---- Operations: one per command (src/ops) ----

// kseg dump: records, batches, index entries and side files as a stream of events.
export { dump, type DumpEvent, type DumpOptions, type DirPart, type TimeIndexProblem } from './ops/dump.js';
// kseg lookup: the record at an offset or timestamp, found the way a broker's fetch and ListOffsets do.
export { lookup, logStartOffsetOf, SPECIAL_TIMESTAMPS, type LookupResult, type LookupOptions, type SpecialTimestamp, type LogStart, type LogStartSource } from './ops/lookup.js';
// kseg info: one row per segment.
export { info, type PartitionInfo, type SegmentInfo } from './ops/info.js';
// kseg verify: every problem with file, byte position and offset; never throws for corrupt data.
export {
  verify,
  ISSUE_CODES,
  type VerifyOptions,
  type VerifyReport,
  type PartitionReport,
  type VerifyIssue,
  type VerifySummary,
  type Severity,
  type IssueCode,
  type Recoverable,
} from './ops/verify/index.js';
// kseg scan: verify or summarise every partition under broker log.dirs with worker threads.
export { scan, listPartitions, parsePartitionDirName, type ScanOptions, type ScanResult, type ScanTarget, type ScanMode, type PartitionState } from './ops/scan.js';
// kseg recover: Kafka's start-up recovery offline (planRecovery only plans).
export {
  recover,
  recoverSteps,
  planRecovery,
  type RecoverOptions,
  type RecoverResult,
  type RecoveryPlan,
  type RecoverAction,
  type RecoverCut,
  type RecoverSummary,
  type RecoveryMode,
  type NotRecovered,
} from './ops/recover/index.js';
// kseg rebuild-index: .index/.timeindex/.txnindex as Kafka's recovery writes them (or a comparison).
export {
  rebuildIndex,
  rebuildIndexSteps,
  DEFAULT_INDEX_INTERVAL_BYTES,
  type RebuildOptions,
  type RebuildResult,
  type IndexFileComparison,
  type IndexSummary,
  type IndexKind,
} from './ops/rebuild-index.js';
// kseg truncate: the tail or leading segments of a partition, crash-safely.
export { truncate, truncateSteps, type TruncateOptions, type TruncateResult, type SegmentChange } from './ops/truncate.js';
// kseg compact: Kafka's log cleaner offline.
export { compact, COMPACT_DEFAULTS, type CompactOptions, type CompactResult, type CompactRound, type CompactTotals, type GroupResult } from './ops/compact.js';
// kseg generate: a partition directory as a broker writes it (deterministic, optional injected fault).
export {
  generate,
  resolveGenerateOptions,
  CORRUPT_KINDS,
  GENERATE_CODECS,
  GENERATE_DEFAULTS,
  type GenerateOptions,
  type GenerateHooks,
  type GenerateProgress,
  type GenerateSummary,
  type CorruptKind,
  type CorruptionReport,
  type SegmentSummary,
} from './ops/generate.js';
// kseg report: the data behind the self-contained HTML page (timeline, rates, codec mix, keys, findings).
export { report, type ReportOptions, type ReportData, type PartitionReportData, type MinuteBucket, type MixEntry, type TimelineFinding, type OffsetRange } from './ops/report.js';
// kseg export / import: one row per record (Parquet, NDJSON, CSV) and partitions written back from such rows.
export { exportPartitions, partitionRows, EXPORT_COLUMNS, type ExportRow, type ExportOptions, type ExportResult } from './ops/export.js';
export { importPartition, readExportRows, type ImportResult, type ImportOptions, type RewrittenBatch } from './ops/import.js';
// kseg salvage: every valid batch of a damaged partition into a fresh one, with a loss report.
export { salvage, salvageSteps, type SalvageOptions, type SalvageResult, type SalvageSegment, type DamagedRange, type DroppedBatch } from './ops/salvage.js';
// kseg slice: the batches covering an offset range as a standalone partition (optionally redacted).
export { slice, type SliceOptions, type SliceResult, type SliceSegment } from './ops/slice.js';
// Ctrl-C for long ops: compact, slice, importPartition and generate take `signal` (an AbortSignal) and throw Interrupted, whose `state` says
// what state the data is in; truncate, recover, rebuildIndex and salvage have step forms (…Steps) run by runToEnd or, stoppable, runStoppable.
export { Interrupted, runStoppable, runToEnd, type Steps, type StopState } from './ops/interrupt.js';
// kseg grep: records matching key, header, value, offset or time criteria.
export { grepPartition, recordMatches, type GrepCriteria, type GrepEvent, type GrepStats } from './ops/grep.js';
// kseg diff: two replicas of one partition compared.
export { diff, type DiffOptions, type DiffResult, type BatchDiff, type IndexDiff } from './ops/diff.js';
// kseg coordinator: which internal partition holds a group or transactional id.
export { coordinator, coordinatorPartition, javaStringHashCode, kafkaAbs, type CoordinatorResult, type CoordinatorOptions } from './ops/coordinator.js';
// kseg txn: transaction forensics (open, committed, aborted, hanging; last stable offset).
export { txn, txnLogDir, txnOfPartition, abortCommand, type TxnReport, type TxnLogDirReport, type TxnOptions, type Transaction } from './ops/txn.js';
export { loadTransactionState, type CoordinatorTxn, type TransactionStateView } from './ops/txn-state.js';
// kseg offsets / groups: consumer groups and their committed offsets from __consumer_offsets.
export { offsets, groups, loadGroups, type OffsetsReport, type GroupsReport, type GroupInfo, type CommittedOffset } from './ops/groups.js';
// kseg metadata: the cluster a KRaft __cluster_metadata log describes.
export { metadata, type MetadataReport, type MetadataOptions } from './ops/metadata.js';

// ---- Storage: partition directories, readers, locks (src/storage) ----
export { openSource, readWholeFile, readerKind, liveMapCount, type ByteSource, type OpenOptions } from './storage/source.js';
export { checkEntryAt, logEntries, resyncFrom, type EntryCheck, type EntryCheckOptions, type LogItem, type StopInfo, type StopReason } from './storage/log-reader.js';
export { scanPartitionDir, resolveInputs, parseSegmentName, segmentFileName, type PartitionDir, type Segment } from './storage/segments.js';
export { readLogDirContext, topicPartitionOfDir, CLEAN_SHUTDOWN_FILE, RECOVERY_POINT_CHECKPOINT, LOG_START_OFFSET_CHECKPOINT, type LogDirContext } from './storage/log-dir.js';
export { acquirePartitionLock, withPartitionLock, ksegLockHolder, type LockHolder, type PartitionLock } from './storage/lock.js';
export { onStorageNote } from './storage/notes.js';
export { registerProvider, providerFor, type VfsProvider, type VfsEntry } from './storage/vfs.js';
export { TarVfs } from './storage/tar-vfs.js';
export { S3Provider, registerS3Provider, type S3Options } from './storage/s3/provider.js';

// ---- Format: pure bytes <-> values (src/format) ----
// Record batches (v0/v1 messages and v2 batches) and their records.
export {
  decodeBatch,
  checkBatchCrc,
  batchRecords,
  batchRecordList,
  legacyInnerMessages,
  batchLastSequence,
  LOG_OVERHEAD,
  RECORD_BATCH_OVERHEAD,
  type Batch,
  type KafkaRecord,
  type RecordHeader,
  type TimestampType,
} from './format/batch.js';
export { decodeControlRecord, controlRecoveryOutcome, CONTROL_TYPES, type ControlInfo, type ControlRecoveryOutcome } from './format/control.js';
export { compressionName, compressionId, COMPRESSION_NAMES, type CompressionName, type CompressionWriteName } from './format/compression.js';
export { decompress, compress, codecImplementations, maxDecompressedBytes, DEFAULT_MAX_DECOMPRESSED_BYTES } from './format/codecs.js';
export { setMaxDecompressedBytes } from './storage/environment.js';
export { crc32, crc32c, crcImplementations } from './format/crc.js';
// Writing batches (what `generate` and the repairing commands write).
export {
  encodeV2Batch,
  encodeV2BatchSync,
  encodeEndTxnMarker,
  encodeEmptyBatch,
  encodeLegacyMessage,
  encodeLegacyWrapper,
  type RecordInput,
  type HeaderInput,
  type V2BatchInput,
  type LegacyMessageInput,
  type LegacyWrapperInput,
} from './format/encode.js';
// Offset, time and transaction indexes, and Kafka's rule for where an index entry goes.
export {
  parseOffsetIndex,
  parseTimeIndex,
  parseTxnIndex,
  lookupOffsetSlot,
  lookupTimeSlot,
  encodeOffsetIndexEntry,
  encodeTimeIndexEntry,
  encodeAbortedTxn,
  OFFSET_INDEX_ENTRY_SIZE,
  TIME_INDEX_ENTRY_SIZE,
  TXN_INDEX_ENTRY_SIZE,
  type OffsetIndexEntry,
  type TimeIndexEntry,
  type AbortedTxn,
} from './format/indexes.js';
export { IndexBuilder, type IndexBuilderOptions } from './format/index-rule.js';
// Producer state snapshots and checkpoint files.
export { parseProducerSnapshot, encodeProducerSnapshot, type ProducerSnapshot, type ProducerSnapshotEntry } from './format/snapshot.js';
export {
  parseCheckpoint,
  parseLeaderEpochCheckpoint,
  encodeLeaderEpochCheckpoint,
  assignEpoch,
  truncateEpochsFromEnd,
  truncateEpochsFromStart,
  parseLogDirCheckpoint,
  parsePartitionMetadata,
  encodePartitionMetadata,
  type CheckpointFile,
  type LeaderEpochEntry,
  type LogDirCheckpointEntry,
  type PartitionMetadata,
} from './format/checkpoints.js';
export { readVarint, readVarlong, writeVarint, writeVarlong, sizeOfVarint, sizeOfVarlong, type Cursor } from './format/varint.js';
// Kafka's internal topics and KRaft records: schemas generated from Kafka's message specs, one generic reader/writer.
export {
  INTERNAL_DECODERS,
  internalTopicOf,
  parseInternalDecoder,
  allSchemas,
  schemaByName,
  schemaFor,
  decodeInternalRecord,
  decodedPartJson,
  decodeControlPayload,
  encodeCoordinatorKey,
  encodeCoordinatorValue,
  encodeApiFramed,
  encodeControlRecord,
  expandConsumerProtocol,
  CONTROL_RECORD_TYPES,
  decodeMessage,
  encodeMessage,
  internalJson,
  type InternalDecoder,
  type DecodedMessage,
  type UnknownMessage,
  type DecodedPart,
  type DecodedRecord,
  type MessageSchema,
  type FieldSchema,
  type FieldType,
} from './format/kafka-messages/index.js';

// format/ reads no environment: KSEG_NO_NATIVE and KSEG_MAX_DECOMPRESSED_BYTES apply from here.
import { applyEnvironment } from './storage/environment.js';
applyEnvironment();
