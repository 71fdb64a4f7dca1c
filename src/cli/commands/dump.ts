import { EXIT } from '../exit-codes.js';
import type { KsegCommand } from '../program.js';
import tty from 'node:tty';
import { startProgress, type Progress } from '../progress.js';
import { onInterrupt } from '../interrupt.js';
import { dump, javaFilePath, type DirPart, type DumpEvent, type DumpOptions } from '../../ops/dump.js';
import { KafkaReport } from '../kafka-report.js';
import { KafkaTextWriter, kafkaRecordEvents, type KafkaLineOptions } from '../kafka-text-writer.js';
import { KsegError, UsageError } from '../../format/errors.js';
import { decodeStats, kafkaToolText, resolveDecoders, type Decoders } from '../decoders.js';
import { Output, toJson } from '../output.js';
import { JsonLinesWriter, type DecodedTail } from '../ndjson-writer.js';
import { batchJson, kafkaContents, kafkaRecordLine, kafkaSnapshotLine, type KafkaTextOptions } from '../render.js';
import { assertOneJsonFormat, decoderOptions, DECODER_HELP, jsonOptions, nonNegative, offsetRangeOptions, s3Options } from '../options.js';
import { humanBatchLine, humanRecordLine, humanFileHeader } from '../human.js';
import { reportError } from '../report-error.js';
import { isoTime } from '../time.js';
import { batchRecords, type Batch, type KafkaRecord } from '../../format/batch.js';
import { decodedRecordWriter } from '../../format/kafka-messages/json-writer.js';
import {
  decodedPartJson,
  decodeInternalRecordForJson,
  expandConsumerProtocol,
  internalJson,
  parseInternalDecoder,
  type DecodedRecord,
  type InternalDecoder,
} from '../../format/kafka-messages/index.js';
import { decodeRecord, type RecordDecoding } from '../../ops/dump.js';
import { recordNdjson } from '../render.js';
import { humanDecoded, kafka3Parts, kafka4Parts } from '../internal-text.js';
import { theme } from '../theme.js';
import { DecodeNotes, internalDecoderOptions, pickInternal } from '../internal-decoder-options.js';
import { resolveArchiveArgs } from '../../storage/archive.js';
import { count } from '../plural.js';

type Format = 'text' | 'kafka' | 'kafka4' | 'json' | 'ndjson';

interface DumpFlags {
  format?: string;
  json?: boolean;
  ndjson?: boolean;
  batches?: boolean;
  index?: boolean;
  timeindex?: boolean;
  txnindex?: boolean;
  snapshot?: boolean;
  fromOffset?: number;
  toOffset?: number;
  maxBytes?: number;
  decoder?: string;
  keyDecoder?: string;
  valueDecoder?: string;
  headerDecoder?: string;
  printData?: boolean;
  indexSanityCheck?: boolean;
  verifyIndexOnly?: boolean;
  internalDecoder?: string;
  offsetsDecoder?: boolean;
  transactionLogDecoder?: boolean;
  clusterMetadataDecoder?: boolean;
  shareGroupStateDecoder?: boolean;
  remoteLogMetadataDecoder?: boolean;
  expandConsumerProtocol?: boolean;
  files?: string[];
  printDataLog?: boolean;
  deepIteration?: boolean;
  keyDecoderClass?: string;
  valueDecoderClass?: string;
  skipRecordMetadata?: boolean;
  maxMessageSize?: number;
}

/**
 * kafka-dump-log.sh's Decoder classes (tools-api in the Java port, kafka.serializer in 3.x Scala)
 * mapped to kseg's decoders. StringDecoder: UTF-8. IntegerDecoder/LongDecoder: big-endian int/long
 * printed in decimal (kafkaToolText). DefaultDecoder returns the byte[] itself, which the tool prints
 * as Java's array toString (`[B@` and an identity hash, a different one per run): kseg prints the
 * bytes as hex instead, the closest deterministic reading. Other classes are refused by name.
 */
const DECODER_CLASSES = new Map<string, string>();
for (const pkg of ['kafka.serializer', 'org.apache.kafka.tools.api']) {
  DECODER_CLASSES.set(`${pkg}.StringDecoder`, 'utf8');
  DECODER_CLASSES.set(`${pkg}.DefaultDecoder`, 'hex');
  DECODER_CLASSES.set(`${pkg}.IntegerDecoder`, 'int32');
  DECODER_CLASSES.set(`${pkg}.LongDecoder`, 'int64');
}

function decoderClassArg(flag: string): (v: string) => string {
  return (v: string) => {
    const d = DECODER_CLASSES.get(v.trim());
    if (d !== undefined) return d;
    throw new UsageError(
      `${flag}: '${v}' is not supported; kseg maps the String, Default (as hex), Integer and Long decoders of org.apache.kafka.tools.api and kafka.serializer; for other bytes use --key-decoder/--value-decoder (${DECODER_HELP})`,
    );
  };
}

/**
 * kafka-dump-log.sh's flags (DumpLogSegments): --files names the inputs and selects the tool's
 * output (--format kafka unless a format is given); as in the tool, records are printed only with
 * --deep-iteration, and their key/payload only with --print-data-log (which implies deep iteration,
 * as does a decoder flag). Without either the tool prints batch lines only.
 */
function applyKafkaToolFlags(paths: string[], f: DumpFlags): string[] {
  const toolStyle =
    f.files !== undefined ||
    f.printDataLog ||
    f.deepIteration ||
    f.keyDecoderClass !== undefined ||
    f.valueDecoderClass !== undefined ||
    f.skipRecordMetadata ||
    f.maxMessageSize !== undefined;
  if (!toolStyle) return paths;
  const all = [...paths, ...(f.files ?? [])];
  if (all.length === 0) throw new UsageError('--files: give at least one file (a comma-separated list, as kafka-dump-log.sh takes)');
  if (f.format === 'text' && !f.json && !f.ndjson) f.format = 'kafka';
  if (f.keyDecoderClass) f.keyDecoder = f.keyDecoderClass;
  if (f.valueDecoderClass) f.valueDecoder = f.valueDecoderClass;
  const internal = f.offsetsDecoder || f.transactionLogDecoder || f.clusterMetadataDecoder || f.shareGroupStateDecoder || f.remoteLogMetadataDecoder;
  const printData = !!(f.printDataLog || f.keyDecoderClass || f.valueDecoderClass || internal);
  const deep = printData || !!f.deepIteration;
  if (!deep) f.batches = true;
  else if (!printData) f.printData = false;
  return all;
}

export function register(program: KsegCommand): void {
  program
    .command('dump')
    .description('print the records (default), batches or index entries of partition directories or single files')
    .argument('[path...]', 'partition directory or .log/.index/.timeindex/.txnindex/.snapshot/checkpoint file')
    .option(
      '--files <f[,f]>',
      "kafka-dump-log.sh: the files to dump, comma-separated; selects --format kafka and the tool's semantics (batches only unless --deep-iteration/--print-data-log)",
      (v: string, prev: string[] = []) => [...prev, ...v.split(',').filter((x) => x !== '')],
    )
    .option('--print-data-log', 'kafka-dump-log.sh: print records with key and payload (implies --deep-iteration)')
    .option('--deep-iteration', 'kafka-dump-log.sh: print the records of each batch (without their data unless --print-data-log)')
    .option(
      '--key-decoder-class <class>',
      'kafka-dump-log.sh: org.apache.kafka.tools.api (or kafka.serializer) StringDecoder (utf8), IntegerDecoder (int32), LongDecoder (int64), DefaultDecoder (hex); implies --print-data-log',
      decoderClassArg('--key-decoder-class'),
    )
    .option('--value-decoder-class <class>', 'kafka-dump-log.sh: as --key-decoder-class, for values', decoderClassArg('--value-decoder-class'))
    .option('--skip-record-metadata', 'kafka-dump-log.sh: record lines without their metadata (only `| key: ... payload: ...`; control records give empty lines)')
    .option('--format <fmt>', 'text | kafka (kafka-dump-log.sh 3.x text) | kafka4 (the 2026 Java tool) | json | ndjson', 'text')
    .with(jsonOptions({ json: 'one JSON array (same objects as --ndjson)', ndjson: 'one JSON object per line' }))
    .option('--batches', 'one line per batch instead of per record')
    .option('--index', "for a directory: dump every segment's .index")
    .option('--timeindex', "for a directory: dump every segment's .timeindex")
    .option('--txnindex', "for a directory: dump every segment's .txnindex")
    .option('--snapshot', 'for a directory: dump the producer .snapshot files')
    .with(offsetRangeOptions({ from: 'first offset to print (segments below it are not read)', to: 'last offset to print, inclusive' }))
    .option(
      '--max-message-size <n>',
      "kafka formats, .index: bytes read at each entry's position to find its batch (kafka-dump-log.sh, default 5242880); a larger batch is reported on stderr as the tool would fail there",
      nonNegative('--max-message-size'),
    )
    .option('--max-bytes <n>', 'only batches that end within the first N bytes of each .log', nonNegative('--max-bytes'))
    .with(decoderOptions())
    .with(s3Options())
    .option('--no-print-data', 'kafka formats: omit key/payload (like leaving out --print-data-log)')
    .option(
      '--index-sanity-check',
      'kafka formats, .index/.timeindex: only run Kafka\'s index sanity check and print "<path> passed sanity check." (or the failure as Kafka words it)',
    )
    .option('--verify-index-only', 'kafka formats, .index/.timeindex: check entries against the .log and report mismatches on stderr, without printing the entries')
    .with(internalDecoderOptions())
    .option('--expand-consumer-protocol', "json/ndjson: decode group members' subscription/assignment bytes as kafka-dump-log.sh --offsets-decoder does")
    .addHelpText(
      'after',
      `
Examples:
  kseg dump /var/lib/kafka/orders-3                       records of every segment
  kseg dump orders-3 --batches --ndjson                   batch headers as NDJSON
  kseg dump orders-3/00000000000000368769.log --format kafka
  kseg dump orders-3 --from-offset 368770 --to-offset 368790 --decoder hex
  kseg dump orders-3/00000000000000368769.index --ndjson
  kseg dump __consumer_offsets-12 --ndjson                 committed offsets and group metadata decoded
  kseg dump __cluster_metadata-0 --format kafka            metadata records (and KRaft snapshots) as JSON
  kseg dump __cluster_metadata-0/00000000000000004000-0000000003.checkpoint`,
    )
    .action(async (paths: string[], flags: DumpFlags) => {
      // The bar only when stdout goes elsewhere than the terminal (a file, a pipe): it would mix with the dump.
      const progress = startProgress('dumping', !tty.isatty(1));
      const off = onInterrupt('dump reads only: nothing was changed (the output may end mid-record)');
      try {
        return await runDump(resolveArchiveArgs(paths), flags, progress);
      } finally {
        off();
        progress.stop();
      }
    });
}

function pickFormat(f: DumpFlags): Format {
  assertOneJsonFormat(f);
  if (f.json) return 'json';
  if (f.ndjson) return 'ndjson';
  const fmt = f.format ?? 'text';
  if (!['text', 'kafka', 'kafka4', 'json', 'ndjson'].includes(fmt)) throw new UsageError(`--format: unknown format '${fmt}' (text, kafka, kafka4, json, ndjson)`);
  return fmt as Format;
}

async function runDump(given: string[], flags: DumpFlags, progress?: Progress): Promise<number> {
  const paths = applyKafkaToolFlags(given, flags);
  const format = pickFormat(flags);
  const decoders = resolveDecoders(flags);
  const internal = pickInternal(flags);
  const parts: DirPart[] = [];
  if (flags.index) parts.push('index');
  if (flags.timeindex) parts.push('timeindex');
  if (flags.txnindex) parts.push('txnindex');
  if (flags.snapshot) parts.push('snapshot');
  const kafka = format === 'kafka' || format === 'kafka4';
  if (!kafka && flags.maxMessageSize !== undefined)
    throw new UsageError('--max-message-size is a kafka-dump-log.sh option for .index files: use it with --format kafka or kafka4 (or --files)');
  if (!kafka && flags.skipRecordMetadata) throw new UsageError('--skip-record-metadata is a kafka-dump-log.sh option: use it with --format kafka or kafka4 (or --files)');
  if (!kafka && (flags.indexSanityCheck || flags.verifyIndexOnly)) {
    throw new UsageError(
      '--index-sanity-check and --verify-index-only are kafka-dump-log.sh options: use them with --format kafka or kafka4 (`kseg verify` checks indexes in depth)',
    );
  }
  const opts: DumpOptions = {
    records: !flags.batches,
    fromOffset: flags.fromOffset,
    toOffset: flags.toOffset,
    maxBytes: flags.maxBytes,
    parts: parts.length > 0 ? parts : undefined,
    checkIndexes: kafka,
    indexSanityOnly: kafka && flags.indexSanityCheck === true,
    verifyIndexOnly: kafka && flags.verifyIndexOnly === true,
    maxMessageSize: kafka ? (flags.maxMessageSize ?? 5242880) : undefined,
    offsetGaps: kafka,
    kafkaIgnoresUnknown: kafka,
    internal,
    onProgress: progress?.onProgress,
  };
  const json = format === 'json' || format === 'ndjson';
  const notes = new DecodeNotes();
  // Internal records' raw key/value are binary: base64 (exact bytes) unless a decoder was asked for.
  const rawDecoders: Decoders =
    flags.decoder === undefined && flags.keyDecoder === undefined && flags.valueDecoder === undefined ? { ...decoders, key: 'base64', value: 'base64' } : decoders;
  if (json) return runJsonDump(paths, opts, format === 'json', decoders, notes, flags.expandConsumerProtocol === true, rawDecoders);
  const kafkaOut = kafka ? new KafkaTextWriter() : null;
  const out: Lines = kafkaOut ?? new Output();
  let errors = 0;
  const report = kafka ? new KafkaReport(format) : null;
  const toolErrors = { count: 0 };
  const renderer = format === 'text' ? textRenderer(out, decoders) : kafkaRenderer(kafkaOut!, format, flags, opts, report!, decoders, toolErrors);
  // The kafka formats write the records of plain v2 batches from their bytes (kafka-text-writer.ts).
  const events =
    kafkaOut !== null && opts.records
      ? kafkaRecordEvents(dump(paths, { ...opts, records: false }), kafkaOut, opts.fromOffset, opts.toOffset, kafkaLineOptions(flags, decoders))
      : dump(paths, opts);
  let fileName = '';
  try {
    for (const ev of events) {
      if (ev.type === 'note') {
        process.stderr.write(`kseg: note: ${ev.message}\n`);
        continue;
      }
      if (ev.type === 'error') {
        errors++;
        await out.flush();
        if (format !== 'text' && ev.error.code.startsWith('SNAPSHOT_')) process.stderr.write(kafkaSnapshotError(ev.error) + '\n');
        else reportError(ev.error, json);
        continue;
      }
      noteUnnamed(ev);
      if (ev.type === 'file') fileName = ev.name;
      if (ev.type === 'record' && ev.decoding) {
        // (the note may print an error line: keep stdout ahead of it)
        if (ev.decoding.error) await out.flush();
        notes.note(fileName, ev.record.offset, ev.decoding, false);
      }
      renderer(ev);
      if (out.full) await out.flush();
    }
  } finally {
    await out.flush();
  }
  // kafka-dump-log.sh's report after all files (stderr).
  if (report) for (const l of report.lines()) process.stderr.write(l + '\n');
  warnInvalidUtf8();
  return errors + notes.errors + toolErrors.count > 0 ? EXIT.corrupt : EXIT.ok;
}

/** A record line of --json/--ndjson and the members to add before its closing brace: `decoded` (and `decodeError`). */
function decodedRecordLine(r: KafkaRecord, b: Batch, d: Decoders, dec: RecordDecoding, expand: boolean): [string, string] {
  // Raw internal payloads are binary: they do not count towards the invalid-UTF-8 warning.
  const before = decodeStats.invalidUtf8;
  const line = recordNdjson(r, b, d);
  decodeStats.invalidUtf8 = before;
  let tail: string;
  if (dec.error) tail = `,"decoded":null,"decodeError":${JSON.stringify(dec.error.message)}`;
  else {
    const x: DecodedRecord = expand ? expandConsumerProtocol(dec.decoded!) : dec.decoded!;
    tail = `,"decoded":{"key":${decodedPartJson(x.key)},"value":${decodedPartJson(x.value)}}`;
  }
  return [line, tail];
}

/**
 * The `decoded` member of an internal topic's record, written by the byte writers
 * (format/kafka-messages/json-writer.ts); what they leave (unknown types and versions, bytes that
 * do not follow the schema, no room) on the object path, with the same text and notes. -1: the record does not decode
 * (the caller reports it) or has no room.
 */
function decodedTail(decoder: InternalDecoder, file: string, notes: DecodeNotes): DecodedTail {
  const write = decodedRecordWriter(decoder);
  return (src, ks, ke, vs, ve, offset, dst, d, cap) => {
    const e = write(src, ks, ke, vs, ve, dst, d, cap);
    if (e >= 0) return e;
    let x: DecodedRecord;
    try {
      x = decodeInternalRecordForJson(decoder, ks < 0 ? null : src.subarray(ks, ke), vs < 0 ? null : src.subarray(vs, ve));
    } catch (err) {
      if (err instanceof KsegError) return -1;
      throw err;
    }
    const members = `,"decoded":{"key":${decodedPartJson(x.key)},"value":${decodedPartJson(x.value)}}`;
    if (d + 3 * members.length > cap) return -1;
    notes.note(file, offset, { decoded: x }, true);
    return d + dst.write(members, d, 'utf8');
  };
}

/**
 * --json / --ndjson. Records are written batch by batch by the byte-level writer (the same bytes
 * as recordNdjson per 'record' event would give); other lines are toJson strings.
 */
async function runJsonDump(paths: string[], opts: DumpOptions, array: boolean, decoders: Decoders, notes: DecodeNotes, expand: boolean, rawDecoders: Decoders): Promise<number> {
  const out = new JsonLinesWriter(process.stdout, decoders, { array });
  const records = opts.records;
  const { fromOffset, toOffset } = opts;
  let errors = 0;
  const emit = (o: unknown): void => out.line(toJson(o));
  const renderer = jsonRenderer(emit, opts);
  let internal: InternalDecoder | undefined;
  let tail: DecodedTail | undefined;
  let fileName = '';
  try {
    // Record events are replaced by whole batches (ops/dump filters batches the same way).
    for (const ev of dump(paths, records ? { ...opts, records: false } : opts)) {
      if (ev.type === 'note') {
        process.stderr.write(`kseg: note: ${ev.message}\n`);
        continue;
      }
      if (ev.type === 'error') {
        errors++;
        await out.flush();
        reportError(ev.error, true);
        continue;
      }
      noteUnnamed(ev);
      if (ev.type === 'file') {
        internal = ev.internal;
        fileName = ev.name;
        tail = internal === undefined ? undefined : decodedTail(internal, fileName, notes);
      }
      if (ev.type === 'batch' && records && internal) {
        // Internal topics: each record with its decoded key and value. The byte writer writes the
        // lines it can (decodedTail); a record it leaves (one that does not decode, a legacy or
        // control batch, --expand-consumer-protocol) is written here on the object path.
        try {
          let start = 0;
          const invalidBefore = decodeStats.invalidUtf8;
          for (;;) {
            const stop = expand ? -2 : out.decodedBatch(ev.batch, fromOffset, toOffset, start, tail!, rawDecoders, internal);
            // raw internal payloads are binary: they do not count towards the invalid-UTF-8 warning
            decodeStats.invalidUtf8 = invalidBefore;
            if (stop === -1) break;
            let i = -1;
            let more = false;
            for (const r of batchRecords(ev.batch)) {
              if (++i < stop) continue;
              if (fromOffset !== undefined && r.offset < fromOffset) continue;
              if (toOffset !== undefined && r.offset > toOffset) break;
              const dec = decodeRecord(internal, r, ev.batch, !expand);
              if (dec.error) await out.flush();
              notes.note(fileName, r.offset, dec, true);
              const [head, members] = decodedRecordLine(r, ev.batch, rawDecoders, dec, expand);
              out.lineExtended(head, members);
              if (out.full) await out.flush();
              if (stop >= 0) {
                more = true;
                break;
              }
            }
            if (!more) break;
            start = i + 1;
          }
        } catch (e) {
          if (!(e instanceof KsegError)) throw e;
          errors++;
          await out.flush();
          reportError(e.at({ file: ev.batch.file, position: ev.batch.position }), true);
        }
      } else if (ev.type === 'batch' && records) {
        try {
          out.batch(ev.batch, fromOffset, toOffset);
        } catch (e) {
          if (!(e instanceof KsegError)) throw e;
          errors++;
          await out.flush();
          reportError(e.at({ file: ev.batch.file, position: ev.batch.position }), true);
        }
      } else renderer(ev);
      if (out.full) await out.flush();
    }
  } finally {
    out.end();
    await out.flush();
  }
  warnInvalidUtf8();
  return errors + notes.errors > 0 ? EXIT.corrupt : EXIT.ok;
}

/**
 * DumpLogSegments prints a CorruptSnapshotException's message on stderr, no entries, and goes on
 * with the next file. ProducerStateManager.readSnapshot wraps every failure but the CRC check in
 * "Snapshot failed schema validation: ".
 */
function kafkaSnapshotError(e: KsegError): string {
  if (e.code === 'SNAPSHOT_CRC_MISMATCH' || e.message.startsWith('Snapshot failed schema validation: ')) return e.message;
  return `Snapshot failed schema validation: ${e.message}`;
}

function noteUnnamed(ev: DumpEvent): void {
  if (ev.type === 'file' && ev.baseOffset === undefined && (ev.kind === 'index' || ev.kind === 'timeindex' || ev.kind === 'log')) {
    process.stderr.write(`kseg: note: ${ev.name} has no 20-digit base-offset name; offsets relative to the segment are shown as if its base offset were 0\n`);
  }
}

function warnInvalidUtf8(): void {
  if (decodeStats.invalidUtf8 > 0)
    process.stderr.write(
      `kseg: warning: ${decodeStats.invalidUtf8} payloads were not valid UTF-8 and were printed with replacement characters (use --decoder hex or base64 for exact bytes)\n`,
    );
}

function trailingNote(ev: Extract<DumpEvent, { type: 'log-end' }>): void {
  const s = ev.stop;
  if (s.reason === 'eof' || s.reason === 'max-bytes' || s.reason === 'corrupt-size' || s.trailingBytes === 0) return;
  const why =
    s.reason === 'short-tail'
      ? `${count(s.trailingBytes, 'byte')} are too few for a batch header`
      : `the batch there declares ${count(s.sizeField, 'byte')} but only ${s.trailingBytes} remain (a torn append)`;
  process.stderr.write(`kseg: note: ${ev.name}: data ends at byte ${s.position}; ${why}. Kafka reads this as the end of the log.\n`);
}

function jsonRenderer(emit: (o: unknown) => void, opts: DumpOptions): (ev: DumpEvent) => void {
  return (ev) => {
    switch (ev.type) {
      case 'batch':
        if (!opts.records) emit(batchJson(ev.batch));
        break;
      case 'index-entry':
        emit({ file: ev.name, offset: ev.entry.offset, position: ev.entry.position });
        break;
      case 'timeindex-entry':
        emit({ file: ev.name, timestamp: ev.entry.timestamp, offset: ev.entry.offset });
        break;
      case 'txnindex-entry':
        emit({ file: ev.name, producerId: ev.entry.producerId, firstOffset: ev.entry.firstOffset, lastOffset: ev.entry.lastOffset, lastStableOffset: ev.entry.lastStableOffset });
        break;
      case 'zero-tail':
        emit({ file: ev.name, zeroTailEntries: ev.entries });
        break;
      case 'snapshot':
        emit({ file: ev.name, ...ev.snapshot });
        break;
      case 'checkpoint':
        emit({ file: ev.name, kind: ev.kind, data: ev.data });
        break;
      case 'log-end':
        trailingNote(ev);
        break;
      default:
        break;
    }
  };
}

function textRenderer(out: Lines, d: Decoders): (ev: DumpEvent) => void {
  return (ev) => {
    switch (ev.type) {
      case 'file':
        out.line(humanFileHeader(ev));
        break;
      case 'batch':
        out.line(humanBatchLine(ev.batch));
        break;
      case 'record': {
        const dec = ev.decoding;
        if (!dec || ev.record.control) {
          // (control records: their own line; KRaft voters, which it does not decode, get the decoded value)
          const v = dec?.decoded?.value;
          out.line(humanRecordLine(ev.record, d) + (ev.record.control?.data === undefined && v ? `  ${humanDecoded(dec!.decoded!)}` : ''));
          break;
        }
        // Internal topics: the decoded key and value instead of their raw bytes (--decoder shows the bytes).
        const r = ev.record;
        const ts = r.timestamp >= 0 ? new Date(r.timestamp).toISOString() : '-';
        out.line(`  ${theme.offset(String(r.offset))} ${ts} ${dec.error ? theme.bad(`does not decode: ${dec.error.message}`) : humanDecoded(dec.decoded!)}`);
        break;
      }
      case 'index-entry':
        out.line(`  offset ${ev.entry.offset}  position ${ev.entry.position}`);
        break;
      case 'timeindex-entry':
        out.line(`  timestamp ${ev.entry.timestamp} (${isoTime(ev.entry.timestamp)})  offset ${ev.entry.offset}`);
        break;
      case 'txnindex-entry':
        out.line(`  aborted txn  producerId ${ev.entry.producerId}  offsets ${ev.entry.firstOffset}..${ev.entry.lastOffset}  lastStableOffset ${ev.entry.lastStableOffset}`);
        break;
      case 'zero-tail':
        out.line(`  (${ev.entries} zero-filled slots follow: a preallocated, untrimmed tail)`);
        break;
      case 'snapshot': {
        const s = ev.snapshot;
        out.line(`  version ${s.version}  crc ${s.crc} ${s.crcValid ? 'ok' : `MISMATCH (computed ${s.computedCrc})`}  producers ${s.count}`);
        for (const p of s.producers) {
          out.line(
            `  producerId ${p.producerId} epoch ${p.producerEpoch} lastSequence ${p.lastSequence} lastOffset ${p.lastOffset} offsetDelta ${p.offsetDelta} timestamp ${p.timestamp} coordinatorEpoch ${p.coordinatorEpoch} currentTxnFirstOffset ${p.currentTxnFirstOffset}`,
          );
        }
        break;
      }
      case 'checkpoint':
        out.line(`  ${JSON.stringify(ev.data)}`);
        break;
      case 'log-end':
        trailingNote(ev);
        break;
      default:
        break;
    }
  };
}

/** Where runDump writes lines: Output (text) or KafkaTextWriter (the kafka formats). */
type Lines = Pick<Output, 'line' | 'flush' | 'full'>;

/** The record lines KafkaTextWriter writes itself: all but --skip-record-metadata and data through other decoders than UTF-8. */
function kafkaLineOptions(flags: DumpFlags, d: Decoders): KafkaLineOptions | null {
  if (flags.skipRecordMetadata) return null;
  const printData = flags.printData !== false;
  if (printData && (d.key !== 'utf8' || d.value !== 'utf8')) return null;
  return { printData };
}

/** kafka-dump-log.sh --files X --print-data-log --deep-iteration (format doc section 5). */
function kafkaRenderer(
  out: KafkaTextWriter,
  format: Format,
  flags: DumpFlags,
  opts: DumpOptions,
  report: KafkaReport,
  d: Decoders,
  toolErrors: { count: number },
): (ev: DumpEvent) => void {
  // Where the tool's decoder throws (IntegerDecoder on 3 bytes) it stops; kseg leaves that part out, says so and goes on.
  let current: { r: KafkaRecord; b: Batch } | undefined;
  const onDecodeError = (part: 'key' | 'payload', e: Error): void => {
    toolErrors.count++;
    const at = current ? `${current.b.file}: batch at byte ${current.b.position}: offset ${current.r.offset}: ` : '';
    process.stderr.write(`kseg: error: ${at}${part}: ${e.message}; the ${part} is left out of this line\n`);
  };
  const textOpts: KafkaTextOptions = {
    printData: flags.printData !== false,
    legacyBrace: format === 'kafka',
    skipMetadata: flags.skipRecordMetadata === true,
    keyText: d.key === 'utf8' ? undefined : (b) => kafkaToolText(b, d.key),
    valueText: d.value === 'utf8' ? undefined : (b) => kafkaToolText(b, d.value),
    onDecodeError,
  };
  let baseOfFile = 0;
  let internal: InternalDecoder | undefined;
  return (ev) => {
    report.add(ev);
    switch (ev.type) {
      case 'file':
        // The tool prints java.io.File's form of the path it was given.
        out.line(`Dumping ${javaFilePath(ev.path)}`);
        baseOfFile = ev.baseOffset ?? 0;
        internal = ev.internal;
        if (ev.kind === 'log') out.line(`Log starting offset: ${baseOfFile}`);
        else if (ev.kraftSnapshot)
          out.line(ev.kraftSnapshot.bootstrap ? 'KRaft bootstrap snapshot' : `Snapshot end offset: ${ev.kraftSnapshot.endOffset}, epoch: ${ev.kraftSnapshot.epoch}`);
        else if (ev.kind === 'index' && ev.size < 8) out.line(`${javaFilePath(ev.path)} is empty.`);
        break;
      case 'ignored':
        out.line(`Dumping ${javaFilePath(ev.path)}`);
        process.stderr.write(`Ignoring unknown file ${javaFilePath(ev.path)}\n`);
        break;
      case 'sanity-passed':
        out.line(`${javaFilePath(ev.path)} passed sanity check.`);
        break;
      case 'batch':
        out.batchLine(ev.batch);
        break;
      case 'record': {
        const dec = ev.decoding;
        if (!internal || !dec) {
          current = { r: ev.record, b: ev.batch };
          out.line(kafkaRecordLine(ev.record, ev.batch, textOpts));
          break;
        }
        out.line(kafkaDecodedLine(ev.record, ev.batch, internal, dec, textOpts, format));
        break;
      }
      case 'index-entry':
        out.line(`offset: ${ev.entry.offset} position: ${ev.entry.position}`);
        break;
      case 'timeindex-entry':
        out.line(`timestamp: ${ev.entry.timestamp} offset: ${ev.entry.offset}`);
        break;
      case 'txnindex-entry':
        out.line(
          `version: ${ev.entry.version} producerId: ${ev.entry.producerId} firstOffset: ${ev.entry.firstOffset} lastOffset: ${ev.entry.lastOffset} lastStableOffset: ${ev.entry.lastStableOffset}`,
        );
        break;
      case 'snapshot':
        for (const p of ev.snapshot.producers) out.line(kafkaSnapshotLine(p, format === 'kafka'));
        break;
      case 'log-end':
        // The tool prints this only while --max-bytes is at its default, Integer.MAX_VALUE (given or not).
        if ((opts.maxBytes === undefined || opts.maxBytes === 2147483647) && ev.stop.reason !== 'corrupt-size' && ev.stop.reason !== 'max-bytes' && ev.size - ev.validBytes > 0)
          out.line(`Found ${ev.size - ev.validBytes} invalid bytes at the end of ${ev.name}`);
        break;
      default:
        break;
    }
  };
}

/** A record line of the kafka formats with the internal-topic decoder's key/payload (format doc 5.3, 5.10). */
function kafkaDecodedLine(r: KafkaRecord, b: Batch, internal: InternalDecoder, dec: RecordDecoding, textOpts: KafkaTextOptions, format: Format): string {
  const meta = kafkaRecordLine(r, b, { ...textOpts, printData: false });
  if (b.isControl) {
    // KRaft voters: the dump tool prints them as JSON (ControlRecordType KRAFT_VOTERS).
    const v = dec.decoded?.value;
    if (r.control?.type === 'KRAFT_VOTERS' && v && !('unknown' in v) && !textOpts.skipMetadata)
      return meta.replace(/ controlType: KRAFT_VOTERS\(6\)$/, ` KRaftVoters ${internalJson(v.data)}`);
    return meta;
  }
  if (!textOpts.printData) return meta;
  if (dec.error) {
    const msg = dec.error.message;
    const skip = textOpts.skipMetadata === true;
    return internal === 'cluster-metadata' || internal === 'remote-log-metadata'
      ? meta + kafkaContents(undefined, `Error at ${r.offset}, skipping. ${msg}`, skip, textOpts.legacyBrace)
      : meta + kafkaContents(`Error at offset ${r.offset}, skipping. ${msg}`, undefined, skip, textOpts.legacyBrace);
  }
  const parts = format === 'kafka' ? kafka3Parts(internal, dec.decoded!, r.offset) : kafka4Parts(internal, dec.decoded!, r.offset);
  return meta + kafkaContents(parts.key, parts.payload, textOpts.skipMetadata === true, textOpts.legacyBrace);
}
