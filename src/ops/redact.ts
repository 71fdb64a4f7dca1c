import { createHmac } from 'node:crypto';
import {
  ATTR_COMPRESSION_MASK,
  ATTRIBUTES_OFFSET,
  batchRecords,
  decodeBatch,
  LEGACY_CRC_OFFSET,
  LEGACY_MAGIC_OFFSET,
  LOG_OVERHEAD,
  RECORDS_OFFSET,
  SIZE_OFFSET,
  type Batch,
} from '../format/batch.js';
import { compress, decompress, isXerial } from '../format/codecs.js';
import type { CompressionWriteName } from '../format/compression.js';
import { crc32 } from '../format/crc.js';
import { setV2Crc } from '../format/encode.js';
import { UsageError } from '../format/errors.js';

/**
 * slice --redact: replace record contents with same-length keyed hashes, keeping every length,
 * offset, timestamp, attribute and header count, so a slice still reproduces size- and
 * layout-dependent problems without carrying the data. The replacement of a field is
 * HMAC-SHA256(seed, field kind + original bytes) expanded to the field's length: equal keys stay
 * equal (partitioning, compaction and key-dependent bugs still reproduce), another seed gives other
 * bytes, and without the seed nothing can be checked against a guess. Control batches (transaction
 * markers, leader changes) carry no user data and are kept as they are.
 */
export const REDACT_FIELDS = ['keys', 'values', 'headers'] as const;
export type RedactField = (typeof REDACT_FIELDS)[number];

export interface RedactOptions {
  fields: Set<RedactField>;
  seed: string;
}

export function parseRedactFields(v: string): Set<RedactField> {
  const out = new Set<RedactField>();
  for (const f of v
    .split(',')
    .map((x) => x.trim())
    .filter(Boolean)) {
    if (!(REDACT_FIELDS as readonly string[]).includes(f)) throw new UsageError(`--redact: unknown field '${f}' (use ${REDACT_FIELDS.join(',')})`);
    out.add(f as RedactField);
  }
  if (out.size === 0) throw new UsageError(`--redact needs at least one of ${REDACT_FIELDS.join(',')}`);
  return out;
}

/** Overwrite `field` in place with the keyed hash of its kind and contents. */
function hashInto(field: Buffer, kind: string, seed: string): void {
  if (field.length === 0) return;
  const original = Buffer.from(field);
  let filled = 0;
  for (let block = 0; filled < field.length; block++) {
    const h = createHmac('sha256', seed)
      .update(kind)
      .update(original)
      .update(Buffer.from([block >>> 24, block >>> 16, block >>> 8, block]))
      .digest();
    filled += h.copy(field, filled, 0, Math.min(h.length, field.length - filled));
  }
}

export interface RedactedEntry {
  bytes: Buffer;
  records: number;
  /** The batch was compressed and its re-compressed size differs from the original. */
  sizeChanged: boolean;
}

/** Redact one entry (v2 batch or uncompressed v0/v1 message); returns new bytes with a valid CRC. */
export async function redactEntry(batch: Batch, opts: RedactOptions): Promise<RedactedEntry> {
  const copy = Buffer.from(batch.bytes.subarray(batch.start, batch.start + batch.size));
  const b = decodeBatch(copy, 0, copy.length, batch.position, batch.file, false);
  if (b.isControl) return { bytes: copy, records: 0, sizeChanged: false };
  if (b.magic < 2 && b.compressionId !== 0) {
    throw new UsageError(
      `--redact cannot rewrite the compressed v${b.magic} wrapper at offset ${b.baseOffset} (${batch.file ?? ''} byte ${batch.position}): its inner messages carry their own CRCs and offsets; slice without --redact`,
    );
  }
  if (b.magic < 2 || b.compressionId === 0) {
    const records = redactRecords(b, opts);
    if (b.magic < 2) copy.writeUInt32BE(crc32(copy, LEGACY_MAGIC_OFFSET, copy.length), LEGACY_CRC_OFFSET);
    else setV2Crc(copy, 0, copy.length);
    return { bytes: copy, records, sizeChanged: false };
  }
  // Compressed v2: decompress into an uncompressed twin of the batch, redact there, compress the
  // records again with the same codec (and snappy framing) and put the original header in front.
  const compressed = copy.subarray(RECORDS_OFFSET);
  const raw = decompress(b.compressionId, compressed, 2);
  const twin = Buffer.alloc(RECORDS_OFFSET + raw.length);
  copy.copy(twin, 0, 0, RECORDS_OFFSET);
  raw.copy(twin, RECORDS_OFFSET);
  twin.writeInt16BE(b.attributes & ~ATTR_COMPRESSION_MASK, ATTRIBUTES_OFFSET);
  twin.writeInt32BE(twin.length - LOG_OVERHEAD, SIZE_OFFSET);
  const records = redactRecords(decodeBatch(twin, 0, twin.length, batch.position, batch.file, false), opts);
  const codec: CompressionWriteName =
    b.compressionId === 1 ? 'gzip' : b.compressionId === 2 ? (isXerial(compressed) ? 'snappy-xerial' : 'snappy') : b.compressionId === 3 ? 'lz4' : 'zstd';
  const packed = await compress(codec, twin.subarray(RECORDS_OFFSET), 2);
  const out = Buffer.alloc(RECORDS_OFFSET + packed.length);
  copy.copy(out, 0, 0, RECORDS_OFFSET);
  packed.copy(out, RECORDS_OFFSET);
  out.writeInt32BE(out.length - LOG_OVERHEAD, SIZE_OFFSET);
  setV2Crc(out, 0, out.length);
  return { bytes: out, records, sizeChanged: out.length !== copy.length };
}

/** Overwrite the chosen fields of every record in place (the records are views into the batch's bytes). */
function redactRecords(b: Batch, opts: RedactOptions): number {
  let records = 0;
  for (const r of batchRecords(b)) {
    records++;
    if (opts.fields.has('keys') && r.key) hashInto(r.key, 'key', opts.seed);
    if (opts.fields.has('values') && r.value) hashInto(r.value, 'value', opts.seed);
    if (opts.fields.has('headers')) {
      for (const h of r.headers) {
        hashInto(h.key, 'header-key', opts.seed);
        if (h.value) hashInto(h.value, 'header-value', opts.seed);
      }
    }
  }
  return records;
}
