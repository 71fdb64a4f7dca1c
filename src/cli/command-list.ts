import type { CommandSpec } from './program.js';

export type { CommandSpec } from './program.js';

/**
 * Every kseg command: its name, the summary `kseg --help` lists and the module that registers it,
 * imported lazily so `kseg --help` and `kseg lookup` load only what they use. main.ts dispatches
 * through this list and hands it to `kseg completion`, which walks it, so a new command is added in one place.
 */
export const COMMANDS: CommandSpec[] = [
  { name: 'dump', summary: 'print records, batches or index entries of a partition or file', load: () => import('./commands/dump.js') },
  { name: 'lookup', summary: 'find the record at an offset or timestamp the way a broker does', load: () => import('./commands/lookup.js') },
  { name: 'info', summary: 'one row per segment: offsets, batches, records, bytes, indexes, codecs', load: () => import('./commands/info.js') },
  { name: 'verify', summary: 'check batches, indexes, snapshots and checkpoints; every problem with file, byte position and offset', load: () => import('./commands/verify.js') },
  { name: 'scan', summary: 'verify or summarise every partition under broker log.dirs with a pool of worker threads', load: () => import('./commands/scan.js') },
  {
    name: 'recover',
    summary: "Kafka's startup recovery offline: cut at the first invalid batch, delete later segments, rebuild indexes",
    load: () => import('./commands/recover.js'),
  },
  { name: 'rebuild-index', summary: 'rebuild .index/.timeindex/.txnindex as Kafka recovery writes them (--check compares)', load: () => import('./commands/rebuild-index.js') },
  { name: 'truncate', summary: "remove the tail or leading segments of a partition with Kafka's semantics, crash-safely", load: () => import('./commands/truncate.js') },
  {
    name: 'compact',
    summary: "Kafka's log cleaner offline: latest record per key, tombstones, aborted transactions, crash-safe swap",
    load: () => import('./commands/compact.js'),
  },
  {
    name: 'salvage',
    summary: 'copy every valid batch of a damaged partition into a fresh one, resynchronising past damage, with a loss report',
    load: () => import('./commands/salvage.js'),
  },
  {
    name: 'slice',
    summary: 'a standalone partition (or one .log) holding exactly the batches covering an offset range, copied byte for byte',
    load: () => import('./commands/slice.js'),
  },
  { name: 'grep', summary: 'records matching a key, header, value, offset or time range, in one partition or a whole log dir', load: () => import('./commands/grep.js') },
  { name: 'diff', summary: 'compare two replicas of a partition: first diverging offset, differing batches, log bounds, indexes', load: () => import('./commands/diff.js') },
  {
    name: 'coordinator',
    summary: 'which __consumer_offsets / __transaction_state partition holds a group or transactional id, and where on disk',
    load: () => import('./commands/coordinator.js'),
  },
  {
    name: 'txn',
    summary: 'transaction forensics: open, committed and aborted transactions per producer, last stable offset, hanging transactions',
    load: () => import('./commands/txn.js'),
  },
  {
    name: 'offsets',
    summary: 'committed offsets of consumer groups from __consumer_offsets (latest commit per partition, tombstones, transactions, expiry)',
    load: () => import('./commands/offsets.js'),
  },
  { name: 'groups', summary: 'consumer groups from __consumer_offsets: type, state, generation, protocol, members', load: () => import('./commands/groups.js') },
  {
    name: 'metadata',
    summary: 'the cluster a KRaft __cluster_metadata log describes (snapshot + log): brokers, topics, partitions, features, configs',
    load: () => import('./commands/metadata.js'),
  },
  {
    name: 'report',
    summary: 'one self-contained HTML page: segment timeline, records per minute, codecs, keys, compaction reclaim, verify findings',
    load: () => import('./commands/report.js'),
  },
  { name: 'export', summary: 'one row per record with its batch metadata as Parquet, NDJSON or CSV (for DuckDB, pandas, ...)', load: () => import('./commands/export.js') },
  {
    name: 'import',
    summary: 'write a partition directory back from a kseg export: byte-identical when unmodified, valid when filtered',
    load: () => import('./commands/import.js'),
  },
  { name: 'generate', summary: 'write a partition directory as a broker would (deterministic test data, optional injected fault)', load: () => import('./commands/generate.js') },
  { name: 'completion', summary: 'print a bash, zsh or fish completion script: commands, flags and flag values', load: () => import('./commands/completion.js') },
];
