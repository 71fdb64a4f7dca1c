import type { Command } from 'commander';
import cliProgress from 'cli-progress';
import { UsageError } from '../../format/errors.js';
import {
  CORRUPT_KINDS,
  GENERATE_CODECS,
  GENERATE_DEFAULTS,
  generate,
  type CorruptKind,
  type GenerateOptions,
  type GenerateProgress,
  type GenerateSummary,
} from '../../ops/generate.js';
import type { CompressionWriteName } from '../../format/compression.js';
import { bytesArg, intArg, nonNegative } from '../options.js';
import { toJson } from '../output.js';
import { theme } from '../theme.js';
import { fitText } from '../table-fit.js';
import { count, shortSize } from '../plural.js';
import { refuseRemoteOutput } from '../../storage/archive.js';
import { watchInterrupt } from '../interrupt.js';

interface GenerateFlags {
  records?: number;
  bytes?: number;
  magic?: 0 | 1 | 2;
  compression?: CompressionWriteName[];
  recordsPerBatch?: { min: number; max: number };
  batchesPerAppend?: { min: number; max: number };
  segmentBytes?: number;
  indexIntervalBytes?: number;
  keySpace?: number;
  tombstoneRatio?: number;
  headers?: number;
  valueSize?: { min: number; max: number };
  timestampType?: 'CreateTime' | 'LogAppendTime';
  startOffset?: number;
  startTimestamp?: number;
  timestampJitter?: number;
  transactions?: boolean;
  idempotent?: boolean;
  producers?: number;
  abortRatio?: number;
  leaderEpochs?: number;
  layout?: 'per-batch' | 'per-append';
  seed?: number;
  topicId?: string;
  corrupt?: CorruptKind;
  internal?: GenerateOptions['internal'];
  force?: boolean;
  fsync: boolean;
  json?: boolean;
}

/** `K` or `MIN-MAX`, each side parsed by `one`. */
function rangeArg(flag: string, one: (v: string) => number): (v: string) => { min: number; max: number } {
  return (v: string) => {
    const m = /^\s*([^-\s][^-]*?)\s*(?:-\s*([^-\s].*?))?\s*$/.exec(v);
    if (!m) throw new UsageError(`${flag}: '${v}' is not N or MIN-MAX`);
    const min = one(m[1]!);
    const max = m[2] === undefined ? min : one(m[2]);
    if (max < min) throw new UsageError(`${flag}: ${v} is an empty range (MIN must not exceed MAX)`);
    return { min, max };
  };
}

function ratioArg(flag: string): (v: string) => number {
  return (v: string) => {
    const n = Number(v.trim());
    if (v.trim() === '' || !Number.isFinite(n) || n < 0 || n > 1) throw new UsageError(`${flag}: '${v}' is not a ratio between 0 and 1`);
    return n;
  };
}

function codecList(v: string): CompressionWriteName[] {
  const list = v.split(',').map((s) => s.trim().toLowerCase());
  for (const c of list) {
    if (!(GENERATE_CODECS as readonly string[]).includes(c))
      throw new UsageError(`--compression: unknown codec '${c}' (${GENERATE_CODECS.join(', ')}; a comma list mixes them per batch)`);
  }
  return list as CompressionWriteName[];
}

function magicArg(v: string): 0 | 1 | 2 {
  if (!/^[012]$/.test(v.trim())) throw new UsageError(`--magic: '${v}' is not a message format (0, 1 or 2)`);
  return Number(v) as 0 | 1 | 2;
}

function timestampTypeArg(v: string): 'CreateTime' | 'LogAppendTime' {
  const t = v.trim().toLowerCase();
  if (t === 'create' || t === 'createtime') return 'CreateTime';
  if (t === 'logappend' || t === 'logappendtime') return 'LogAppendTime';
  throw new UsageError(`--timestamp-type: '${v}' is not create or logappend`);
}

function layoutArg(v: string): 'per-batch' | 'per-append' {
  if (v === 'per-batch' || v === 'per-append') return v;
  throw new UsageError(`--layout: '${v}' is not per-batch or per-append`);
}

function corruptArg(v: string): CorruptKind {
  if (!Object.hasOwn(CORRUPT_KINDS, v)) throw new UsageError(`--corrupt: unknown kind '${v}' (${Object.keys(CORRUPT_KINDS).join(', ')})`);
  return v as CorruptKind;
}

const d = GENERATE_DEFAULTS;

export function register(program: Command): void {
  program
    .command('generate')
    .description('write a partition directory as a broker would: segments, indexes, txn indexes, snapshots, checkpoints (deterministic per seed)')
    .argument('<out-dir>', 'partition directory to create (e.g. orders-0); must be empty unless --force')
    .option('--records <n>', `data records to write; transaction markers come on top (default ${d.records}, unlimited with --bytes)`, nonNegative('--records'))
    .option('--bytes <size>', 'stop once the .log files hold this many bytes (e.g. 512m, 4g)', bytesArg('--bytes'))
    .option('--magic <0|1|2>', `message format (default ${d.magic})`, magicArg)
    .option('--compression <codecs>', `${GENERATE_CODECS.join('|')}; a comma list picks one per batch (default none)`, codecList)
    .option(
      '--records-per-batch <k|min-max>',
      `records per producer batch (default ${d.recordsPerBatch.min}-${d.recordsPerBatch.max})`,
      rangeArg('--records-per-batch', intArg('--records-per-batch')),
    )
    .option('--batches-per-append <min-max>', 'batches per append call (default 1; 2-6 with --layout per-append)', rangeArg('--batches-per-append', intArg('--batches-per-append')))
    .option('--segment-bytes <size>', `segment.bytes: roll when the next append would pass it (default ${d.segmentBytes})`, bytesArg('--segment-bytes'))
    .option('--index-interval-bytes <size>', `index.interval.bytes (default ${d.indexIntervalBytes})`, bytesArg('--index-interval-bytes'))
    .option('--key-space <k>', `keys key-000000.. drawn from K distinct ones; 0 = null keys (default ${d.keySpace})`, nonNegative('--key-space'))
    .option('--tombstone-ratio <r>', 'share of records with a null value (default 0)', ratioArg('--tombstone-ratio'))
    .option('--headers <h>', 'up to H headers per record, v2 only (default 0)', nonNegative('--headers'))
    .option(
      '--value-size <s|min-max>',
      `value bytes (default ${d.valueSize.min}-${d.valueSize.max}; units allowed, e.g. 1k-4k)`,
      rangeArg('--value-size', bytesArg('--value-size')),
    )
    .option('--timestamp-type <create|logappend>', 'CreateTime or LogAppendTime (broker stamps maxTimestamp / v1 wrappers)', timestampTypeArg)
    .option('--start-offset <o>', 'log start offset (default 0)', nonNegative('--start-offset'))
    .option('--start-timestamp <ms>', `first producer timestamp (default ${d.startTimestamp})`, nonNegative('--start-timestamp'))
    .option('--timestamp-jitter <ms>', 'create times lag the producer clock by up to this much: out-of-order timestamps (default 0)', nonNegative('--timestamp-jitter'))
    .option('--transactions', 'transactional producers (committed and aborted) interleaved with plain batches; v2')
    .option('--idempotent', 'idempotent producers: producer ids, epochs and sequences; v2')
    .option('--producers <n>', 'producers per kind with --transactions / --idempotent (default 3 / 2)', intArg('--producers'))
    .option('--abort-ratio <r>', `share of transactions that abort (default ${d.abortRatio})`, ratioArg('--abort-ratio'))
    .option('--leader-epochs <n>', 'leader changes over the log (partition leader epochs, leader-epoch-checkpoint); v2', nonNegative('--leader-epochs'))
    .option('--layout <per-batch|per-append>', 'index entries per batch (Kafka >= KAFKA-806) or once per append (older brokers, followers)', layoutArg)
    .option('--seed <s>', `seed: same flags and seed give byte-identical files (default ${d.seed})`, intArg('--seed'))
    .option('--topic-id <id>', 'topic id for partition.metadata (22-char URL-safe base64; default derived from the seed)')
    .option('--corrupt <kind>', `inject one fault and report where: ${Object.keys(CORRUPT_KINDS).join(', ')}`, corruptArg)
    .option(
      '--internal <kind>',
      'records of an internal topic, every record type and version in turn: offsets (__consumer_offsets), transactions (__transaction_state), share-group-state, metadata (__cluster_metadata)',
    )
    .option('--force', 'write into a non-empty directory, replacing the partition files in it')
    .option('--no-fsync', 'skip fsync of files and directory (faster; not crash-safe)')
    .option('--json', 'print the summary as JSON (OUTPUT.md: verify summary + logStartOffset, logEndOffset, corruption)')
    .addHelpText(
      'after',
      `
Corruption kinds and the verify code each should produce:
${Object.entries(CORRUPT_KINDS)
  .map(([k, c]) => `  ${k.padEnd(24)}${c}`)
  .join('\n')}

Examples:
  kseg generate orders-0 --records 100000 --compression lz4 --segment-bytes 1m
  kseg generate txn-0 --transactions --leader-epochs 3 --compression none,gzip --segment-bytes 8k --index-interval-bytes 1k
  kseg generate legacy-0 --magic 1 --compression snappy-xerial --timestamp-type logappend
  kseg generate big-0 --bytes 4g --value-size 100-1000
  kseg generate broken-0 --records 400 --segment-bytes 8k --corrupt crc --json
  kseg generate __consumer_offsets-0 --internal offsets --records 500 --tombstone-ratio 0.1`,
    )
    .action(async (outDir: string, flags: GenerateFlags) => {
      refuseRemoteOutput('generate', outDir);
      const options: Partial<GenerateOptions> = {
        records: flags.records,
        bytes: flags.bytes,
        magic: flags.magic,
        compression: flags.compression,
        recordsPerBatch: flags.recordsPerBatch,
        batchesPerAppend: flags.batchesPerAppend,
        segmentBytes: flags.segmentBytes,
        indexIntervalBytes: flags.indexIntervalBytes,
        keySpace: flags.keySpace,
        tombstoneRatio: flags.tombstoneRatio,
        headers: flags.headers,
        valueSize: flags.valueSize,
        timestampType: flags.timestampType,
        startOffset: flags.startOffset,
        startTimestamp: flags.startTimestamp,
        timestampJitter: flags.timestampJitter,
        transactions: flags.transactions,
        idempotent: flags.idempotent,
        producers: flags.producers,
        abortRatio: flags.abortRatio,
        leaderEpochs: flags.leaderEpochs,
        layout: flags.layout,
        seed: flags.seed,
        topicId: flags.topicId,
        corrupt: flags.corrupt,
        internal: flags.internal,
        force: flags.force,
        fsync: flags.fsync,
      };
      const started = performance.now();
      const bar = new ProgressBar(started);
      const watch = watchInterrupt();
      let summary: GenerateSummary;
      try {
        summary = await generate(outDir, options, { onProgress: (p) => bar.update(p), signal: watch.signal });
      } catch (e) {
        bar.stop();
        return watch.fail(e);
      }
      bar.stop();
      if (flags.json) process.stdout.write(toJson(summary) + '\n');
      else process.stdout.write(fitText(renderSummary(outDir, summary, (performance.now() - started) / 1000)) + '\n');
      watch.done(`generate had finished before it could stop (the signal came after its last safe point): ${outDir} is complete, as printed`);
    });
}

/** A progress bar on stderr, only on a TTY and only once the run has taken more than a second. */
class ProgressBar {
  private bar: cliProgress.SingleBar | null = null;
  constructor(private readonly started: number) {}

  update(p: GenerateProgress): void {
    if (!process.stderr.isTTY) return;
    const byBytes = p.targetBytes !== null;
    if (!this.bar) {
      if (p.done || performance.now() - this.started < 1000) return;
      this.bar = new cliProgress.SingleBar(
        {
          stream: process.stderr,
          format: `generating [{bar}] {percentage}% | {done} of {total_h} | {rate} | eta {eta_formatted}`,
          hideCursor: true,
          clearOnComplete: true,
          etaBuffer: 50,
        },
        cliProgress.Presets.shades_classic,
      );
      this.bar.start(byBytes ? p.targetBytes! : p.targetRecords, 0, {
        done: byBytes ? humanBytes(0) : '0 records',
        total_h: byBytes ? humanBytes(p.targetBytes!) : String(p.targetRecords),
        rate: '',
      });
    }
    const value = byBytes ? Math.min(p.bytes, p.targetBytes!) : p.dataRecords;
    const secs = (performance.now() - this.started) / 1000;
    this.bar.update(value, {
      done: byBytes ? humanBytes(p.bytes) : `${count(p.dataRecords, 'record')}`,
      total_h: byBytes ? humanBytes(p.targetBytes!) : String(p.targetRecords),
      rate: `${humanBytes(p.bytes / Math.max(secs, 0.001))}/s`,
    });
  }

  stop(): void {
    this.bar?.stop();
    this.bar = null;
  }
}

/** (the short size of plural.ts, under generate's old name) */
export const humanBytes = shortSize;

export function renderSummary(dir: string, s: GenerateSummary, seconds: number): string {
  const c = s.config;
  const lines: string[] = [];
  const range = s.logEndOffset > s.logStartOffset ? `offsets ${s.logStartOffset}..${s.logEndOffset - 1}` : `no records, log start ${s.logStartOffset}`;
  lines.push(
    `${theme.bold('generated')} ${theme.file(dir)}: ${count(s.segments, 'segment')}, ${count(s.batches, 'batch', 'batches')}, ${count(s.records, 'record')}` +
      (s.controlRecords ? ` (${s.dataRecords} data + ${s.controlRecords} control)` : '') +
      `, ${humanBytes(s.bytes)}`,
  );
  lines.push(`  ${range} (log end ${s.logEndOffset}), magic ${c.magic}, ${c.compression.join(',')}, ${c.layout}, ${c.timestampType}, seed ${c.seed}, topic id ${s.topicId}`);
  const extra: string[] = [];
  if (c.transactions) extra.push(`transactions ${s.transactions.committed} committed, ${s.transactions.aborted} aborted`);
  if (s.producers) extra.push(`${s.producers} producer ids`);
  if (s.leaderEpochs && s.leaderEpochs.length > 1) extra.push(`leader epochs ${s.leaderEpochs.map((e) => `${e.epoch}@${e.startOffset}`).join(' ')}`);
  if (s.replacedFiles.length) extra.push(`replaced ${s.replacedFiles.length} existing partition files`);
  if (extra.length) lines.push(`  ${extra.join('; ')}`);
  lines.push(theme.dim(`  ${seconds.toFixed(2)} s, ${humanBytes(s.bytes / Math.max(seconds, 0.001))}/s`));
  const k = s.corruption;
  if (k) {
    const where = k.position === null ? k.file : `${k.file} at byte ${k.position}`;
    const what =
      k.offset === null
        ? ''
        : k.kind.startsWith('index') || k.kind.startsWith('timeindex')
          ? `, entry offset ${k.offset}`
          : k.kind === 'missing-index'
            ? `, segment ${k.offset}`
            : k.kind === 'snapshot-crc'
              ? `, snapshot offset ${k.offset}`
              : `, batch offset ${k.offset}`;
    lines.push(`${theme.bad(`corrupted (${k.kind})`)}: ${theme.file(where)}${what}`);
    lines.push(`  ${k.detail}`);
    lines.push(`  verify should report ${theme.bold(k.code)}`);
    if (k.recoverToPosition === null) lines.push(`  Kafka recovery: ${k.kafkaRecovery}`);
    else {
      const deleted = k.segmentsDeletedByRecovery.length;
      lines.push(
        `  Kafka recovery: truncate ${k.recoverFile} at ${k.recoverToPosition}` +
          (deleted ? `, delete ${count(deleted, 'later segment')}` : '') +
          `, keep ${k.recordsSurvivingRecovery} of ${count(k.recordsBefore, 'record')} (log end ${k.logEndOffsetAfterRecovery})`,
      );
    }
  }
  return lines.join('\n');
}
