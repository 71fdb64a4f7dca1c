/**
 * kseg as a library: the format layer (bytes <-> values), storage (reading partition directories)
 * and the operations behind each command. Everything here is synchronous and streaming unless it
 * says otherwise; nothing prints or exits.
 */
export * from './format/errors.js';
export * from './format/batch.js';
export * from './format/control.js';
export * from './format/compression.js';
export { decompress, compress, codecImplementations, setMaxDecompressedBytes, maxDecompressedBytes, DEFAULT_MAX_DECOMPRESSED_BYTES } from './format/codecs.js';
export { crc32, crc32c, crcImplementations } from './format/crc.js';
export * from './format/encode.js';
export * from './format/indexes.js';
export * from './format/index-rule.js';
export * from './format/snapshot.js';
export * from './format/checkpoints.js';
export * from './format/varint.js';
export { openSource, readWholeFile, readerKind, liveMapCount, type ByteSource, type OpenOptions } from './storage/source.js';
export { logEntries, type LogItem, type StopInfo, type StopReason } from './storage/log-reader.js';
export { scanPartitionDir, resolveInputs, parseSegmentName, segmentFileName, type PartitionDir, type Segment } from './storage/segments.js';
export { dump, type DumpEvent, type DumpOptions } from './ops/dump.js';
export { lookup, type LookupResult, type LookupOptions } from './ops/lookup.js';
export { info, type PartitionInfo, type SegmentInfo } from './ops/info.js';
