import type { KsegCommand } from '../program.js';
import { providerFor } from '../../storage/vfs.js';
import { lookup, SPECIAL_TIMESTAMPS, type SpecialTimestamp } from '../../ops/lookup.js';
import { UsageError } from '../../format/errors.js';
import { resolveDecoders } from '../decoders.js';
import { toJson } from '../output.js';
import { recordJson } from '../render.js';
import { decoderOptions, intArg, parseTimestamp, s3Options } from '../options.js';

/** `--timestamp`: epoch milliseconds, a ListOffsets special value (-1..-5) or its name. */
function timestampArg(v: string): number {
  const word = v.trim().toLowerCase();
  if (word in SPECIAL_TIMESTAMPS) return SPECIAL_TIMESTAMPS[word as SpecialTimestamp];
  if (/^-\d+$/.test(word)) return intArg('--timestamp')(word);
  try {
    return parseTimestamp('--timestamp', v);
  } catch (e) {
    if (e instanceof UsageError) throw new UsageError(`${e.message}; or one of -1..-5, ${Object.keys(SPECIAL_TIMESTAMPS).join(', ')}`);
    throw e;
  }
}
import { writeStdout } from '../stdout.js';
import path from 'node:path';
import { EXIT } from '../exit-codes.js';
import { decodeRecord, internalDecoderFor, type RecordDecoding } from '../../ops/dump.js';
import { decodedPartJson } from '../../format/kafka-messages/index.js';
import { DecodeNotes, internalDecoderOptions, pickInternal, type InternalDecoderFlags } from '../internal-decoder-options.js';
import { resolveArchiveArgs } from '../../storage/archive.js';

interface LookupFlags extends InternalDecoderFlags {
  offset?: number;
  timestamp?: number;
  explain?: boolean;
  json?: boolean;
  decoder?: string;
  keyDecoder?: string;
  valueDecoder?: string;
  headerDecoder?: string;
}

export function register(program: KsegCommand): void {
  program
    .command('lookup')
    .description('find the record at an offset (or the first at/after a timestamp) the way a broker does')
    .argument('<dir>', 'partition directory, or a KRaft snapshot (.checkpoint) file of __cluster_metadata-0')
    .option('--offset <n>', 'offset to find', intArg('--offset'))
    .option(
      '--timestamp <ms>',
      "first record with timestamp >= this (epoch milliseconds or ISO 8601 with a zone, e.g. 2025-12-30T06:29:00Z; ListOffsets rule); or ListOffsets' special values: latest (-1, log end offset), earliest (-2, log start offset), max-timestamp (-3), earliest-local (-4), latest-tiered (-5)",
      timestampArg,
    )
    .option('--explain', 'print each step: candidate segment, index entry used, bytes scanned')
    .option('--json', 'JSON result (README, "JSON contract")')
    .with(decoderOptions())
    .with(s3Options())
    .with(internalDecoderOptions())
    .addHelpText(
      'after',
      `
Examples:
  kseg lookup /var/lib/kafka/orders-3 --offset 368776 --explain
  kseg lookup orders-3 --timestamp 1700000000000 --json
  kseg lookup orders-3 --timestamp 2025-12-30T06:29:00Z     ISO 8601 (Z or +01:00; a date alone is 00:00 UTC)
  kseg lookup orders-3 --timestamp latest          log end offset (ListOffsets -1)
  kseg lookup orders-3 --timestamp max-timestamp   record with the largest timestamp (-3)
  kseg lookup __consumer_offsets-7 --offset 42     the record decoded (by the topic name), as dump decodes it
  kseg lookup __cluster_metadata-0 --offset 9 --json --internal-decoder none   raw bytes only`,
    )
    .action(async (dir: string, flags: LookupFlags) => {
      const internal = pickInternal(flags);
      const target = resolveArchiveArgs([dir])[0]!;
      const r = lookup(target, { offset: flags.offset, timestamp: flags.timestamp });
      // Internal topics: the record decoded as dump decodes it (by the topic name, or as forced);
      // its raw key and value are base64 then, unless a decoder was asked for.
      const decoder = r.record && r.batch ? internalDecoderFor(r.snapshot ? r.snapshot.file : path.join(target, r.segment), { internal }) : undefined;
      const decoding = decoder ? decodeRecord(decoder, r.record!, r.batch!) : undefined;
      const explicit = flags.decoder !== undefined || flags.keyDecoder !== undefined || flags.valueDecoder !== undefined;
      const decoders = decoding && !explicit ? { ...resolveDecoders(flags), key: 'base64' as const, value: 'base64' as const } : resolveDecoders(flags);
      new DecodeNotes(false).note(r.segment, r.record?.offset ?? -1, decoding, flags.json === true);
      const status = decoding?.error ? EXIT.corrupt : EXIT.ok;
      // s3:// (README "S3 and tiered storage"): object bytes the lookup fetched, index and scan together
      const remote = providerFor(dir);
      const fetched = remote?.scheme === 's3' ? remote.bytesFetched() : undefined;
      if (flags.json) {
        const o: Record<string, unknown> = { offset: r.offset };
        if (r.special !== undefined) {
          o.timestamp = r.timestamp;
          o.special = r.special;
        }
        o.segment = r.segment;
        o.segmentBaseOffset = r.segmentBaseOffset;
        o.indexEntry = r.indexEntry;
        if (r.timeIndexEntry !== undefined) o.timeIndexEntry = r.timeIndexEntry;
        o.batch = r.batch ? { position: r.batch.position, baseOffset: r.batch.baseOffset, lastOffset: r.batch.lastOffset, size: r.batch.size } : null;
        o.record = r.record && r.batch ? recordJson(r.record, r.batch, decoders) : null;
        // (the decoded member is JSON text, as dump writes it: int64 beyond 2^53 as exact digits)
        if (decoding) (o.record as Record<string, unknown>).decoded = DECODED_HOLE;
        o.bytesScanned = r.bytesScanned;
        if (r.snapshot !== undefined) o.snapshot = r.snapshot;
        if (r.special !== undefined) {
          o.logStartOffset = r.logStartOffset;
          o.logStartOffsetSource = r.logStartOffsetSource;
          o.leaderEpoch = r.leaderEpoch ?? null;
        }
        if (fetched !== undefined) o.fetched = fetched;
        if (flags.explain) o.steps = r.steps;
        writeStdout(withDecoded(toJson(o), decoding) + '\n');
        return status;
      }
      // Text output only: its modules load here, not for --json.
      const [{ humanBatchLine, humanRecordLine }, { theme }, { humanDecoded }] = await Promise.all([import('../human.js'), import('../theme.js'), import('../internal-text.js')]);
      if (flags.explain) {
        r.steps.forEach((s, i) => writeStdout(theme.dim(`${i + 1}. `) + s + '\n'));
        if (fetched !== undefined) writeStdout(theme.dim(`${r.steps.length + 1}. `) + `fetched ${fetched} bytes from S3 (ranged GETs: the index, then the blocks scanned)\n`);
        writeStdout('\n');
      }
      if (r.special !== undefined) {
        const ts =
          (r.timestamp !== undefined && r.timestamp >= 0 ? `, timestamp ${r.timestamp}` : '') +
          (r.leaderEpoch !== undefined && r.leaderEpoch !== null ? `, leader epoch ${r.leaderEpoch}` : '');
        writeStdout(
          `${r.special} (${SPECIAL_TIMESTAMPS[r.special]}): offset ${r.offset}${ts}` +
            (r.record ? '' : r.special === 'latest' ? ' (the log end offset: the next record will get it; no record there yet)' : ' (no record there: the log is empty)') +
            '\n',
        );
      }
      if (r.snapshot !== undefined)
        writeStdout(
          `KRaft snapshot ${r.snapshot.file}: state as of log offset ${r.snapshot.endOffset - 1} (epoch ${r.snapshot.epoch}); offset ${r.offset} is the snapshot's internal offset\n`,
        );
      if (r.record && r.batch) {
        let line: string;
        const dec = decoding;
        if (!dec || r.record.control) {
          // control records: their own line (KRaft voters and the like get the decoded value after it)
          const v = dec?.decoded?.value;
          line = humanRecordLine(r.record, decoders) + (r.record.control?.data === undefined && v ? `  ${humanDecoded(dec!.decoded!)}` : '');
        } else {
          // the decoded key and value instead of their raw bytes, as dump prints them
          const ts = r.record.timestamp >= 0 ? new Date(r.record.timestamp).toISOString() : '-';
          line = `  ${theme.offset(String(r.record.offset))} ${ts} ${dec.error ? theme.bad(`does not decode: ${dec.error.message}`) : humanDecoded(dec.decoded!)}`;
        }
        writeStdout(`${theme.file(r.segment)} (base ${r.segmentBaseOffset})\n${humanBatchLine(r.batch)}\n${line}\n`);
      } else writeStdout(`${theme.file(r.segment)} (base ${r.segmentBaseOffset})\n`);
      return status;
    });
}

const DECODED_HOLE = '\u0000kseg-decoded\u0000';

/** The record's `decoded` member (and `decodeError`) put in place of DECODED_HOLE, as dump's --json writes them. */
function withDecoded(json: string, dec: RecordDecoding | undefined): string {
  if (!dec) return json;
  const text = dec.error
    ? `null,"decodeError":${JSON.stringify(dec.error.message)}`
    : `{"key":${decodedPartJson(dec.decoded!.key)},"value":${decodedPartJson(dec.decoded!.value)}}`;
  return json.replace(JSON.stringify(DECODED_HOLE), () => text);
}
