import { isUtf8 } from 'node:buffer';
import { UsageError } from '../format/errors.js';

export const DECODERS = ['utf8', 'hex', 'base64', 'json', 'none'] as const;
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
