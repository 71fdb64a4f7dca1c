/**
 * Decoders for the records of Kafka's internal topics, from one schema table generated from Kafka's
 * message specifications (scripts/gen-kafka-schemas.mjs) and one generic reader (codec.ts).
 *
 * API (stable; `kseg offsets/groups/txn/metadata` build on it):
 * - `internalTopicOf(topic)` — the decoder a topic name selects (`__consumer_offsets` → 'offsets', …).
 * - `parseInternalDecoder(name)` — a decoder name from a flag, Kafka's spellings accepted.
 * - `decodeInternalRecord(decoder, key, value, opts)` — one record of a data batch →
 *   `{ key, value }`, each `{ type, version, data }` (data as Kafka's JsonConverter writes it),
 *   `{ unknown: true, type, version }` for a type/version the table does not know, or null
 *   (absent key; tombstone value). Throws CorruptDataError when the bytes do not follow the schema
 *   (including bytes left over after a struct); the position is the byte within the key or value.
 * - `decodeControlPayload(key, value)` — a control record (COMMIT/ABORT markers, LeaderChange,
 *   SnapshotHeader/Footer, KRaftVersion, Voters) in the same `{ key, value }` shape.
 * - `schemaFor(...)`, `encode*` — the schema table and the generic encoder (tests, `generate`).
 *
 * Framings (Kafka's CoordinatorRecordSerde, MetadataRecordSerde/AbstractApiMessageSerde,
 * ControlRecordUtils):
 * - coordinator topics (`__consumer_offsets`, `__transaction_state`, `__share_group_state`):
 *   key = int16 record type, then the key struct (version 0); value = int16 version, then the
 *   value struct of the same record type; a null value is a tombstone.
 * - `__cluster_metadata` and `__remote_log_metadata` values: unsigned varint frame version (1),
 *   unsigned varint apiKey, unsigned varint version, then the struct; no key.
 * - control records: key = int16 version, int16 type; COMMIT/ABORT value = int16 version then
 *   EndTxnMarker; KRaft control values (types 2-6) are flexible v0 structs whose first field is
 *   their own version.
 */
import { CorruptDataError, UsageError } from '../errors.js';
import { decodeMessage, decodeMessageJson, internalJson, isFlexible, MessageReader, readStruct, supports } from './codec.js';
import { encodeMessage, MessageWriter } from './writer.js';
import { inRange, type MessageSchema } from './schema.js';
import { KAFKA_SCHEMAS } from './schemas.generated.js';
import { REMOTE_LOG_METADATA_SCHEMAS } from './remote-log-metadata.generated.js';
import { CONTROL_TYPES } from '../control.js';

export type InternalDecoder = 'offsets' | 'transaction' | 'share-group-state' | 'cluster-metadata' | 'remote-log-metadata';
export const INTERNAL_DECODERS: readonly InternalDecoder[] = ['offsets', 'transaction', 'share-group-state', 'cluster-metadata', 'remote-log-metadata'];

export interface DecodedMessage {
  /** The spec's name (OffsetCommitKey, PartitionRecord, …); for a control key the control type (COMMIT, LEADER_CHANGE, …). */
  type: string;
  version: number;
  data: Record<string, unknown>;
}
export interface UnknownMessage {
  unknown: true;
  type: number;
  version: number;
}
export type DecodedPart = DecodedMessage | UnknownMessage | null;
export interface DecodedRecord {
  key: DecodedPart;
  value: DecodedPart;
  /** Coordinator record type, metadata apiKey or control type (also for unknown ones). */
  id: number;
  kind: 'coordinator' | 'metadata' | 'control';
}

const TOPICS: Record<string, InternalDecoder> = {
  __consumer_offsets: 'offsets',
  __transaction_state: 'transaction',
  __share_group_state: 'share-group-state',
  __cluster_metadata: 'cluster-metadata',
  __remote_log_metadata: 'remote-log-metadata',
};

/** The decoder for a topic name (a partition directory is `<topic>-<partition>`). */
export function internalTopicOf(topic: string): InternalDecoder | undefined {
  return Object.prototype.hasOwnProperty.call(TOPICS, topic) ? TOPICS[topic] : undefined;
}

const SPELLINGS: Record<string, InternalDecoder> = {
  offsets: 'offsets',
  'offsets-decoder': 'offsets',
  'consumer-offsets': 'offsets',
  transaction: 'transaction',
  'transaction-log': 'transaction',
  'transaction-log-decoder': 'transaction',
  'share-group-state': 'share-group-state',
  'share-group-state-decoder': 'share-group-state',
  'cluster-metadata': 'cluster-metadata',
  'cluster-metadata-decoder': 'cluster-metadata',
  metadata: 'cluster-metadata',
  'remote-log-metadata': 'remote-log-metadata',
  'remote-log-metadata-decoder': 'remote-log-metadata',
};

export function parseInternalDecoder(name: string, flag = '--internal-decoder'): InternalDecoder {
  const d = SPELLINGS[name.replace(/^--/, '')];
  if (d) return d;
  throw new UsageError(`${flag}: unknown internal-topic decoder '${name}' (expected one of ${INTERNAL_DECODERS.join(', ')})`);
}

const GROUP_OF: Record<InternalDecoder, string> = {
  offsets: 'group-coordinator',
  transaction: 'transaction-coordinator',
  'share-group-state': 'share-coordinator',
  'cluster-metadata': 'metadata',
  'remote-log-metadata': 'remote-log-metadata',
};

const ALL_SCHEMAS: readonly MessageSchema[] = [...KAFKA_SCHEMAS, ...REMOTE_LOG_METADATA_SCHEMAS];
const BY_NAME = new Map<string, MessageSchema>();
for (const s of ALL_SCHEMAS) {
  BY_NAME.set(s.name, s);
}

/** Every schema of the table (Kafka specs + remote-log-metadata). */
export function allSchemas(): readonly MessageSchema[] {
  return ALL_SCHEMAS;
}
export function schemaByName(name: string): MessageSchema | undefined {
  return BY_NAME.get(name);
}
/** The key, value or metadata schema of a record type in a decoder's spec group. */
export function schemaFor(decoder: InternalDecoder, kind: 'coordinator-key' | 'coordinator-value' | 'metadata', id: number): MessageSchema | undefined {
  let byKind = FAST.get(decoder);
  if (!byKind) FAST.set(decoder, (byKind = new Map()));
  let byId = byKind.get(kind);
  if (!byId) {
    byId = [];
    for (const s of ALL_SCHEMAS) if (s.group === GROUP_OF[decoder] && s.kind === kind && s.apiKey !== null) byId[s.apiKey] = s;
    byKind.set(kind, byId);
  }
  return id >= 0 ? byId[id] : undefined;
}
const FAST = new Map<InternalDecoder, Map<string, (MessageSchema | undefined)[]>>();

function isApiFramed(d: InternalDecoder): boolean {
  return d === 'cluster-metadata' || d === 'remote-log-metadata';
}

function partError(part: 'key' | 'value', e: unknown): never {
  if (e instanceof CorruptDataError) {
    throw new CorruptDataError(e.code, `${part}: ${e.message}`, { position: e.position });
  }
  throw e;
}

type BodyReader = (schema: MessageSchema, version: number, buf: Buffer, start: number, end: number) => Record<string, unknown>;
const objectBody: BodyReader = (schema, version, buf, start, end) => decodeMessage(schema, version, buf, start, end);
/** `data` as JSON text already (the dump's fast path); see decodedPartJson. */
const RAW_JSON = Symbol('kseg.rawJson');
const jsonBody: BodyReader = (schema, version, buf, start, end) => ({ [RAW_JSON]: decodeMessageJson(schema, version, buf, start, end) }) as unknown as Record<string, unknown>;

/** Decode one record of a data batch of an internal topic (see the module comment). */
export function decodeInternalRecord(decoder: InternalDecoder, key: Buffer | null, value: Buffer | null): DecodedRecord {
  return decodeWith(decoder, key, value, objectBody);
}

/**
 * Like decodeInternalRecord, but each `data` is JSON text already, readable only through
 * `decodedPartJson` (for writing NDJSON without building objects).
 */
export function decodeInternalRecordForJson(decoder: InternalDecoder, key: Buffer | null, value: Buffer | null): DecodedRecord {
  return decodeWith(decoder, key, value, jsonBody);
}

/** JSON text of a decoded key or value (from either decode function). */
export function decodedPartJson(p: DecodedPart): string {
  if (p === null) return 'null';
  if ('unknown' in p) return `{"unknown":true,"type":${p.type},"version":${p.version}}`;
  const raw = (p.data as { [RAW_JSON]?: string })[RAW_JSON];
  return `{"type":${typeJson(p.type)},"version":${p.version},"data":${raw ?? internalJson(p.data)}}`;
}

const TYPE_JSON = new Map<string, string>();
/** JSON.stringify of a type name, made once per name. */
function typeJson(t: string): string {
  let j = TYPE_JSON.get(t);
  if (j === undefined) {
    j = JSON.stringify(t);
    if (TYPE_JSON.size < 4096) TYPE_JSON.set(t, j);
  }
  return j;
}

function decodeWith(decoder: InternalDecoder, key: Buffer | null, value: Buffer | null, body: BodyReader): DecodedRecord {
  if (isApiFramed(decoder)) {
    // Metadata records have no key; a key, if any, is not part of the format and not decoded.
    if (value === null) return { key: null, value: null, id: -1, kind: 'metadata' };
    try {
      const v = decodeApiFramed(decoder, value, body);
      return { key: null, value: v.value, id: v.id, kind: 'metadata' };
    } catch (e) {
      partError('value', e);
    }
  }
  if (key === null) {
    throw new CorruptDataError('BAD_MESSAGE', `key: a ${decoder} record needs a key (it is null)`);
  }
  if (key.length < 2) throw new CorruptDataError('BAD_MESSAGE', `key: record type needs 2 bytes, ${key.length} left at byte 0`, { position: 0 });
  const id = key.readInt16BE(0);
  const keySchema = schemaFor(decoder, 'coordinator-key', id);
  const valueSchema = schemaFor(decoder, 'coordinator-value', id);
  let k: DecodedPart;
  if (!keySchema) k = { unknown: true, type: id, version: 0 };
  else {
    try {
      k = { type: keySchema.name, version: 0, data: body(keySchema, 0, key, 2, key.length) };
    } catch (e) {
      partError('key', e);
    }
  }
  if (value === null) return { key: k, value: null, id, kind: 'coordinator' };
  // An unknown record type: its value is not read (DumpLogSegments: "Unknown record type N …, skipping").
  if (!keySchema) return { key: k, value: { unknown: true, type: id, version: value.length >= 2 ? value.readInt16BE(0) : -1 }, id, kind: 'coordinator' };
  if (value.length < 2) throw new CorruptDataError('BAD_MESSAGE', `value: version needs 2 bytes, ${value.length} left at byte 0`, { position: 0 });
  const version = value.readInt16BE(0);
  if (!valueSchema || !supports(valueSchema, version)) return { key: k, value: { unknown: true, type: id, version }, id, kind: 'coordinator' };
  try {
    return { key: k, value: { type: valueSchema.name, version, data: body(valueSchema, version, value, 2, value.length) }, id, kind: 'coordinator' };
  } catch (e) {
    partError('value', e);
  }
}

/** AbstractApiMessageSerde's DEFAULT_FRAME_VERSION: the only frame version Kafka writes and reads. */
export const FRAME_VERSION = 1;

function decodeApiFramed(decoder: InternalDecoder, value: Buffer, body: BodyReader): { value: DecodedPart; id: number } {
  // unsigned varints: frame version, apiKey, version (AbstractApiMessageSerde)
  let pos = 0;
  const uv = (what: string): number => {
    const start = pos;
    let v = 0;
    for (let i = 0; i < 5; i++) {
      if (pos >= value.length) throw new CorruptDataError('BAD_MESSAGE', `${what} ends early at byte ${start}`, { position: start });
      const b = value[pos++]!;
      v += (b & 0x7f) * 2 ** (7 * i);
      if ((b & 0x80) === 0) return v;
    }
    throw new CorruptDataError('BAD_MESSAGE', `${what} is longer than 5 bytes at byte ${start}`, { position: start });
  };
  const frame = uv('frame version');
  const apiKey = uv('apiKey');
  const version = uv('version');
  if (frame !== FRAME_VERSION) return { value: { unknown: true, type: apiKey, version }, id: apiKey };
  const schema = schemaFor(decoder, 'metadata', apiKey);
  if (!schema || !supports(schema, version)) return { value: { unknown: true, type: apiKey, version }, id: apiKey };
  return { value: { type: schema.name, version, data: body(schema, version, value, pos, value.length) }, id: apiKey };
}

/** Kafka's ControlRecordType names (one table: format/control.ts). */
export const CONTROL_RECORD_TYPES: Record<number, string> = CONTROL_TYPES;
const CONTROL_SCHEMAS: Record<number, string> = {
  2: 'LeaderChangeMessage',
  3: 'SnapshotHeaderRecord',
  4: 'SnapshotFooterRecord',
  5: 'KRaftVersionRecord',
  6: 'VotersRecord',
};

/** Decode a control record: key `{type: COMMIT|…, version, data: {}}`, value its message. */
export function decodeControlPayload(key: Buffer | null, value: Buffer | null): DecodedRecord {
  if (key === null || key.length < 4) {
    throw new CorruptDataError('BAD_MESSAGE', `key: control record key of ${key === null ? 'null' : `${key.length} bytes`} (needs 4)`, { position: 0 });
  }
  const keyVersion = key.readInt16BE(0);
  const id = key.readInt16BE(2);
  const name = CONTROL_RECORD_TYPES[id];
  if (name === undefined) return { key: { unknown: true, type: id, version: keyVersion }, value: null, id, kind: 'control' };
  const k: DecodedMessage = { type: name, version: keyVersion, data: {} };
  if (value === null) return { key: k, value: null, id, kind: 'control' };
  try {
    if (id === 0 || id === 1) {
      const schema = BY_NAME.get('EndTxnMarker')!;
      if (value.length < 2) throw new CorruptDataError('BAD_MESSAGE', `version needs 2 bytes, ${value.length} left at byte 0`, { position: 0 });
      const version = value.readInt16BE(0);
      // Kafka reads newer marker versions with the fields it knows (EndTransactionMarker).
      const readAs = supports(schema, version) ? version : 0;
      if (version < 0) return { key: k, value: { unknown: true, type: id, version }, id, kind: 'control' };
      const data = readAs === version ? decodeMessage(schema, readAs, value, 2, value.length) : decodeMessage(schema, readAs, value, 2, 6);
      return { key: k, value: { type: schema.name, version, data }, id, kind: 'control' };
    }
    const schema = BY_NAME.get(CONTROL_SCHEMAS[id]!)!;
    // ControlRecordUtils reads these with their current version (0); the first field is the record's own version.
    const data = decodeMessage(schema, 0, value);
    const v = typeof data.version === 'number' ? data.version : 0;
    return { key: k, value: { type: schema.name, version: v, data }, id, kind: 'control' };
  } catch (e) {
    partError('value', e);
  }
}

// ---------------------------------------------------------------------------------------------
// Encoding (tests, `generate`): the inverse framings.

/** Coordinator key bytes: int16 record type + key struct (version 0). */
export function encodeCoordinatorKey(decoder: InternalDecoder, id: number, data: Record<string, unknown>): Buffer {
  const schema = schemaFor(decoder, 'coordinator-key', id);
  if (!schema) throw new RangeError(`${decoder}: no coordinator key with record type ${id}`);
  const w = new MessageWriter();
  w.int16(id);
  w.raw(encodeMessage(schema, 0, data));
  return w.finish();
}

/** Coordinator value bytes: int16 version + value struct. */
export function encodeCoordinatorValue(decoder: InternalDecoder, id: number, version: number, data: Record<string, unknown>): Buffer {
  const schema = schemaFor(decoder, 'coordinator-value', id);
  if (!schema) throw new RangeError(`${decoder}: no coordinator value with record type ${id}`);
  if (!supports(schema, version)) throw new RangeError(`${schema.name}: version ${version} is not in ${schema.validVersions?.join('-')}`);
  const w = new MessageWriter();
  w.int16(version);
  w.raw(encodeMessage(schema, version, data));
  return w.finish();
}

/** Metadata / remote-log-metadata value bytes: uvarint frame version 1, apiKey, version + struct. */
export function encodeApiFramed(decoder: InternalDecoder, apiKey: number, version: number, data: Record<string, unknown>): Buffer {
  const schema = schemaFor(decoder, 'metadata', apiKey);
  if (!schema) throw new RangeError(`${decoder}: no record with apiKey ${apiKey}`);
  if (!supports(schema, version)) throw new RangeError(`${schema.name}: version ${version} is not in ${schema.validVersions?.join('-')}`);
  const w = new MessageWriter();
  w.uvarint(FRAME_VERSION);
  w.uvarint(apiKey);
  w.uvarint(version);
  w.raw(encodeMessage(schema, version, data));
  return w.finish();
}

/** Control record key + value bytes for a KRaft control type (2-6) or a COMMIT/ABORT marker (0/1). */
export function encodeControlRecord(id: number, data: Record<string, unknown>, markerVersion = 0): { key: Buffer; value: Buffer } {
  const key = Buffer.alloc(4);
  key.writeInt16BE(0, 0);
  key.writeInt16BE(id, 2);
  if (id === 0 || id === 1) {
    const w = new MessageWriter();
    w.int16(markerVersion);
    w.raw(encodeMessage(BY_NAME.get('EndTxnMarker')!, 0, data));
    return { key, value: w.finish() };
  }
  const name = CONTROL_SCHEMAS[id];
  if (!name) throw new RangeError(`no control record type ${id}`);
  return { key, value: encodeMessage(BY_NAME.get(name)!, 0, data) };
}

// ---------------------------------------------------------------------------------------------
// Consumer protocol expansion (kafka-dump-log.sh --offsets-decoder on GroupMetadataValue).

/**
 * With protocolType "consumer", each member's `subscription` and `assignment` bytes (base64) are
 * replaced by the decoded ConsumerProtocolSubscription / ConsumerProtocolAssignment (int16
 * version + struct), as DumpLogSegments' OffsetsMessageParser does; bytes that do not decode are
 * kept as they are. Returns a new object; `data` is not changed.
 */
export function expandConsumerProtocol(decoded: DecodedRecord): DecodedRecord {
  const v = decoded.value;
  if (!v || 'unknown' in v || v.type !== 'GroupMetadataValue' || v.data.protocolType !== 'consumer' || !Array.isArray(v.data.members)) return decoded;
  const members = (v.data.members as Record<string, unknown>[]).map((m) => ({
    ...m,
    subscription: expandOne(m.subscription, 'ConsumerProtocolSubscription'),
    assignment: expandOne(m.assignment, 'ConsumerProtocolAssignment'),
  }));
  return { ...decoded, value: { ...v, data: { ...v.data, members } } };
}

function expandOne(b64: unknown, name: string): unknown {
  if (typeof b64 !== 'string') return b64;
  const bytes = Buffer.from(b64, 'base64');
  if (bytes.length < 2) return b64;
  const version = bytes.readInt16BE(0);
  const schema = BY_NAME.get(name)!;
  if (!inRange(schema.validVersions, version)) return b64;
  try {
    // Kafka does not check for trailing bytes here (user data may follow a newer layout).
    return decodeLenient(schema, version, bytes);
  } catch {
    return b64;
  }
}

function decodeLenient(schema: MessageSchema, version: number, bytes: Buffer): Record<string, unknown> {
  const r = new MessageReader(bytes, 2);
  return readStruct(r, schema.fields, { version, flexible: isFlexible(schema, version) }, schema.name);
}
