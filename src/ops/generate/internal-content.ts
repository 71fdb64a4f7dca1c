import {
  allSchemas,
  encodeApiFramed,
  encodeCoordinatorKey,
  encodeCoordinatorValue,
  inRange,
  isFlexible,
  type FieldSchema,
  type InternalDecoder,
  type MessageSchema,
} from '../../format/kafka-messages/index.js';
import { RecordContent, type GenRecord } from './content.js';
import type { GenerateOptions } from './options.js';
import { Prng } from './prng.js';

/** What `generate --internal` writes: records of one internal topic. */
export const GENERATE_INTERNAL = ['offsets', 'transactions', 'share-group-state', 'metadata'] as const;
export type GenerateInternal = (typeof GENERATE_INTERNAL)[number];

const DECODER: Record<GenerateInternal, InternalDecoder> = {
  offsets: 'offsets',
  transactions: 'transaction',
  'share-group-state': 'share-group-state',
  metadata: 'cluster-metadata',
};
const GROUP: Record<GenerateInternal, string> = {
  offsets: 'group-coordinator',
  transactions: 'transaction-coordinator',
  'share-group-state': 'share-coordinator',
  metadata: 'metadata',
};

interface Kind {
  id: number;
  version: number;
  key?: MessageSchema;
  value: MessageSchema;
}

/**
 * Internal-topic records (`generate --internal`): every record type and every value version of the
 * topic's schema table in turn (coordinator keys + values, or metadata records), fields filled with
 * random values from the schema; coordinator records become tombstones at --tombstone-ratio.
 * Timestamps and the record count follow the ordinary content (same clock).
 */
export class InternalRecordContent extends RecordContent {
  private readonly rnd: Prng;
  private readonly kinds: Kind[] = [];
  private i = 0;

  constructor(
    private readonly opts: GenerateOptions,
    private readonly which: GenerateInternal,
  ) {
    super({ ...opts, valueSize: { min: 0, max: 0 }, headers: 0, keySpace: 0 });
    this.rnd = new Prng(opts.seed, 'internal');
    const group = GROUP[which];
    const schemas = allSchemas().filter((s) => s.group === group && s.apiKey !== null);
    const values = schemas.filter((s) => s.kind === (which === 'metadata' ? 'metadata' : 'coordinator-value')).sort((a, b) => a.apiKey! - b.apiKey!);
    for (const value of values) {
      const key = which === 'metadata' ? undefined : schemas.find((s) => s.kind === 'coordinator-key' && s.apiKey === value.apiKey);
      if (which !== 'metadata' && !key) continue;
      for (let v = value.validVersions![0]; v <= value.validVersions![1]; v++) this.kinds.push({ id: value.apiKey!, version: v, key, value });
    }
  }

  override next(offset: number): GenRecord {
    const base = super.next(offset);
    const k = this.kinds[this.i++ % this.kinds.length]!;
    const d = DECODER[this.which];
    if (!k.key) return { ...base, key: null, value: encodeApiFramed(d, k.id, k.version, this.struct(k.value.fields, k.version, isFlexible(k.value, k.version), 0)) };
    const key = encodeCoordinatorKey(d, k.id, this.struct(k.key.fields, 0, isFlexible(k.key, 0), 0));
    const tombstone = this.rnd.chance(this.opts.tombstoneRatio);
    return { ...base, key, value: tombstone ? null : encodeCoordinatorValue(d, k.id, k.version, this.struct(k.value.fields, k.version, isFlexible(k.value, k.version), 0)) };
  }

  private struct(fields: readonly FieldSchema[], version: number, flexible: boolean, depth: number): Record<string, unknown> {
    const out: Record<string, unknown> = {};
    for (const f of fields) {
      if (!inRange(f.versions, version)) continue;
      if (flexible && inRange(f.taggedVersions, version) && this.rnd.chance(0.5)) continue; // leave some tagged fields at their default
      out[f.name] = this.field(f, version, flexible, depth);
    }
    return out;
  }

  private field(f: FieldSchema, version: number, flexible: boolean, depth: number): unknown {
    const r = this.rnd;
    const nullable = inRange(f.nullableVersions, version);
    if (nullable && r.chance(0.2)) return null;
    if (f.array) {
      const n = depth > 2 ? 0 : r.int(0, 3);
      const out: unknown[] = [];
      for (let i = 0; i < n; i++) out.push(this.one(f, version, flexible, depth, false));
      return out;
    }
    return this.one(f, version, flexible, depth, nullable);
  }

  private one(f: FieldSchema, version: number, flexible: boolean, depth: number, _nullable: boolean): unknown {
    const r = this.rnd;
    switch (f.type) {
      case 'bool':
        return r.chance(0.5);
      case 'int8':
        return r.int(-128, 127);
      case 'int16':
        return r.int(-1, 32767);
      case 'uint16':
        return r.int(0, 65535);
      case 'int32':
        return r.int(-1, 2 ** 31 - 1);
      case 'uint32':
        return r.int(0, 2 ** 32 - 1);
      case 'int64':
        return r.int(-1, 2 ** 31) * 1000 + r.int(0, 999);
      case 'float64':
        return r.int(0, 1_000_000) / 8;
      case 'uuid': {
        const b = Buffer.alloc(16);
        r.fill(b);
        return b.toString('base64url');
      }
      case 'string':
        return `${f.name}-${r.int(0, 9999)}`;
      case 'bytes':
      case 'records': {
        const b = Buffer.alloc(r.int(0, 12));
        r.fill(b);
        return b.toString('base64');
      }
      case 'struct':
        return this.struct(f.fields ?? [], version, flexible, depth + 1);
    }
  }
}
