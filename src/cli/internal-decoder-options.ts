import { UsageError } from '../format/errors.js';
import { parseInternalDecoder, type InternalDecoder } from '../format/kafka-messages/index.js';
import type { OptionGroup } from './options.js';
import { reportError } from './report-error.js';
import type { RecordDecoding } from '../ops/dump.js';

/** The internal-topic decoder flags of `dump` and `lookup` (kafka-dump-log.sh's spellings too). */
export interface InternalDecoderFlags {
  internalDecoder?: string;
  offsetsDecoder?: boolean;
  transactionLogDecoder?: boolean;
  clusterMetadataDecoder?: boolean;
  remoteLogMetadataDecoder?: boolean;
  shareGroupStateDecoder?: boolean;
  decoder?: string;
  keyDecoder?: string;
  valueDecoder?: string;
}

export function internalDecoderOptions(): OptionGroup {
  return (cmd) =>
    cmd
      .option(
        '--internal-decoder <d>',
        "decode internal-topic records: offsets | transaction | share-group-state | cluster-metadata | remote-log-metadata | none (default: by the partition directory's topic name)",
      )
      .option('--offsets-decoder', 'same as --internal-decoder offsets (kafka-dump-log.sh spelling)')
      .option('--transaction-log-decoder', 'same as --internal-decoder transaction')
      .option('--cluster-metadata-decoder', 'same as --internal-decoder cluster-metadata')
      .option('--share-group-state-decoder', 'same as --internal-decoder share-group-state')
      .option('--remote-log-metadata-decoder', 'same as --internal-decoder remote-log-metadata');
}

/**
 * Internal-topic decoding: an explicit decoder flag wins; otherwise --decoder/--key-decoder/
 * --value-decoder turn it off (raw bytes as before); otherwise the topic name decides (undefined).
 */
export function pickInternal(f: InternalDecoderFlags): InternalDecoder | 'off' | undefined {
  const named: [boolean | undefined, InternalDecoder][] = [
    [f.offsetsDecoder, 'offsets'],
    [f.transactionLogDecoder, 'transaction'],
    [f.clusterMetadataDecoder, 'cluster-metadata'],
    [f.remoteLogMetadataDecoder, 'remote-log-metadata'],
    [f.shareGroupStateDecoder, 'share-group-state'],
  ];
  const chosen = named.filter(([on]) => on).map(([, d]) => d);
  if (f.internalDecoder !== undefined) {
    if (f.internalDecoder === 'none' || f.internalDecoder === 'off') chosen.push('off' as InternalDecoder);
    else chosen.push(parseInternalDecoder(f.internalDecoder));
  }
  const distinct = [...new Set(chosen)];
  if (distinct.length > 1) throw new UsageError(`internal-topic decoders are exclusive (got ${distinct.join(', ')})`);
  if (distinct.length === 1) return distinct[0] as InternalDecoder | 'off';
  if (f.decoder !== undefined || f.keyDecoder !== undefined || f.valueDecoder !== undefined) return 'off';
  return undefined;
}

/**
 * What dump and lookup say on stderr about decoded records: an error line for a record that does
 * not decode, and a note for an unknown type or version (dump: once per file, type and version,
 * saying so; lookup prints one record, so its note has no such clause).
 */
export class DecodeNotes {
  private seen = new Set<string>();
  errors = 0;
  constructor(private readonly oncePerType = true) {}
  note(file: string, offset: number, dec: RecordDecoding | undefined, json: boolean): void {
    if (!dec) return;
    if (dec.error) {
      this.errors++;
      reportError(dec.error, json);
      return;
    }
    const d = dec.decoded!;
    for (const [part, p] of [
      ['key', d.key],
      ['value', d.value],
    ] as const) {
      if (p === null || !('unknown' in p)) continue;
      const id = `${file}:${part}:${p.type}:${p.version}`;
      if (this.seen.has(id)) continue;
      this.seen.add(id);
      const later = this.oncePerType ? '; later records of that type are not noted again' : '';
      process.stderr.write(`kseg: note: ${file}: offset ${offset}: ${d.kind} ${part} of unknown type ${p.type} version ${p.version} (printed as {"unknown":true}${later})\n`);
    }
  }
}
