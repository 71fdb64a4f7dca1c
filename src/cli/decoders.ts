import { isUtf8 } from 'node:buffer';
import { UsageError } from '../format/errors.js';

export const DECODERS = ['utf8', 'hex', 'base64', 'json', 'int32', 'int64', 'none'] as const;
export type DecoderName = (typeof DECODERS)[number];

export interface Decoders {
  key: DecoderName;
  value: DecoderName;
  header: DecoderName;
}

export function parseDecoder(name: string, flag: string): DecoderName {
  if ((DECODERS as readonly string[]).includes(name)) return name as DecoderName;
  throw new UsageError(`${flag}: unknown decoder '${name}' (expected one of ${DECODERS.join(', ')})`);
}

/** Count of payloads that were not valid UTF-8 and were decoded with replacement characters. */
export const decodeStats = { invalidUtf8: 0 };

/** Decode bytes for JSON output. `undefined` means "omit the field" (decoder none). */
export function decodeBytes(b: Buffer | null, d: DecoderName): unknown {
  if (d === 'none') return undefined;
  if (b === null) return null;
  switch (d) {
    case 'hex':
      return b.toString('hex');
    case 'base64':
      return b.toString('base64');
    case 'int32':
    case 'int64': {
      // Exactly 4 (8) big-endian bytes: the number (int64 as a decimal string, exact beyond 2^53);
      // any other length is not such a number: its bytes as hex, with the reason.
      const n = d === 'int32' ? 4 : 8;
      if (b.length !== n) return { hex: b.toString('hex'), error: `${d} needs ${n} bytes, got ${b.length}` };
      return d === 'int32' ? b.readInt32BE(0) : b.readBigInt64BE(0).toString();
    }
    case 'json': {
      const s = utf8(b);
      try {
        return JSON.parse(s);
      } catch {
        return s;
      }
    }
    default:
      return utf8(b);
  }
}

export function utf8(b: Buffer): string {
  if (b.length > 0 && !isUtf8(b)) decodeStats.invalidUtf8++;
  return b.toString('utf8');
}

export function resolveDecoders(o: { decoder?: string; keyDecoder?: string; valueDecoder?: string; headerDecoder?: string }): Decoders {
  const all = o.decoder !== undefined ? parseDecoder(o.decoder, '--decoder') : undefined;
  return {
    key: o.keyDecoder !== undefined ? parseDecoder(o.keyDecoder, '--key-decoder') : (all ?? 'utf8'),
    value: o.valueDecoder !== undefined ? parseDecoder(o.valueDecoder, '--value-decoder') : (all ?? 'utf8'),
    header: o.headerDecoder !== undefined ? parseDecoder(o.headerDecoder, '--header-decoder') : (all ?? 'utf8'),
  };
}

/**
 * A key or payload as kafka-dump-log.sh prints it through a Decoder class (tools-api StringDecoder,
 * IntegerDecoder, LongDecoder; DefaultDecoder mapped to hex): IntegerDecoder/LongDecoder are
 * ByteBuffer.wrap(bytes).getInt()/getLong(), which read the first 4/8 bytes of a longer array and
 * throw BufferUnderflowException on a shorter one — returned here as an Error for the caller to report.
 * `none` (kseg only): the part is left out; `json`: UTF-8 text, as utf8.
 */
export function kafkaToolText(b: Buffer, d: DecoderName): string | Error | undefined {
  switch (d) {
    case 'none':
      return undefined;
    case 'int32':
    case 'int64': {
      const n = d === 'int32' ? 4 : 8;
      if (b.length < n)
        return new Error(
          `${b.length} bytes cannot be read as ${d === 'int32' ? "IntegerDecoder's 4-byte int" : "LongDecoder's 8-byte long"} (the tool stops here with java.nio.BufferUnderflowException)`,
        );
      return d === 'int32' ? String(b.readInt32BE(0)) : b.readBigInt64BE(0).toString();
    }
    case 'hex':
    case 'base64':
      return b.toString(d);
    default:
      return utf8(b);
  }
}
