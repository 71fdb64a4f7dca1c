import type { Batch, KafkaRecord } from '../format/batch.js';
import { batchLastSequence } from '../format/batch.js';
import type { ProducerSnapshotEntry } from '../format/snapshot.js';
import { decodeBytes, utf8, type Decoders } from './decoders.js';

/** The JSON object of one record (OUTPUT.md, `dump --ndjson`). */
export function recordJson(r: KafkaRecord, b: Batch, d: Decoders): Record<string, unknown> {
  const o: Record<string, unknown> = {
    offset: r.offset,
    timestamp: r.timestamp,
    timestampType: r.timestampType,
  };
  const key = decodeBytes(r.key, d.key);
  if (key !== undefined) o.key = key;
  const value = decodeBytes(r.value, d.value);
  if (value !== undefined) o.value = value;
  o.headers = r.headers.map((h) => {
    const hv = decodeBytes(h.value, d.header);
    return hv === undefined ? { key: utf8(h.key) } : { key: utf8(h.key), value: hv };
  });
  if (r.control) {
    const c = r.control;
    const control: Record<string, unknown> = { type: c.type, typeId: c.typeId, version: c.version };
    if (c.coordinatorEpoch !== undefined) control.coordinatorEpoch = c.coordinatorEpoch;
    if (c.data !== undefined) control.data = c.data;
    if (c.error !== undefined) control.error = c.error;
    o.control = control;
  }
  if (r.magic < 2) {
    o.crc = r.crc;
    o.crcValid = r.crcValid;
  } else if (r.sequence >= 0) {
    o.sequence = r.sequence;
  }
  o.batch = {
    file: b.file,
    position: b.position,
    baseOffset: b.baseOffset,
    lastOffset: b.lastOffset,
    magic: b.magic,
    compression: b.compression,
    isTransactional: b.isTransactional,
    isControl: b.isControl,
    producerId: b.producerId,
    producerEpoch: b.producerEpoch,
    baseSequence: b.baseSequence,
    partitionLeaderEpoch: b.partitionLeaderEpoch,
    crcValid: b.crcValid,
  };
  return o;
}

/** The JSON object of one batch (OUTPUT.md, `dump --batches --ndjson`). */
export function batchJson(b: Batch): Record<string, unknown> {
  return {
    file: b.file,
    position: b.position,
    baseOffset: b.baseOffset,
    lastOffset: b.lastOffset,
    size: b.size,
    magic: b.magic,
    compression: b.compression,
    isControl: b.isControl,
    isTransactional: b.isTransactional,
    producerId: b.producerId,
    recordCount: b.recordCount,
    maxTimestamp: b.maxTimestamp,
    crcValid: b.crcValid,
    timestampType: b.timestampType,
    partitionLeaderEpoch: b.partitionLeaderEpoch,
    producerEpoch: b.producerEpoch,
    baseSequence: b.baseSequence,
    lastSequence: batchLastSequence(b),
    baseTimestamp: b.baseTimestamp,
    deleteHorizonMs: b.deleteHorizonMs,
    attributes: b.attributes,
    crc: b.crc,
    computedCrc: b.computedCrc,
  };
}

// ---------------------------------------------------------------- kafka-dump-log.sh text (format doc 5)

const optionalLong = (v: number | null): string => (v === null ? 'OptionalLong.empty' : `OptionalLong[${v}]`);

export function kafkaBatchLine(b: Batch): string {
  const ts = `${b.timestampType}: ${b.maxTimestamp}`;
  if (b.magic >= 2) {
    return (
      `baseOffset: ${b.baseOffset} lastOffset: ${b.lastOffset} count: ${b.recordCount} baseSequence: ${b.baseSequence} ` +
      `lastSequence: ${batchLastSequence(b)} producerId: ${b.producerId} producerEpoch: ${b.producerEpoch} ` +
      `partitionLeaderEpoch: ${b.partitionLeaderEpoch} isTransactional: ${b.isTransactional} isControl: ${b.isControl} ` +
      `deleteHorizonMs: ${optionalLong(b.deleteHorizonMs)} position: ${b.position} ${ts} size: ${b.size} magic: ${b.magic} ` +
      `compresscodec: ${b.compression} crc: ${b.crc} isvalid: ${b.crcValid}`
    );
  }
  return `offset: ${b.lastOffset} position: ${b.position} ${ts} size: ${b.size} magic: ${b.magic} compresscodec: ${b.compression} crc: ${b.crc} isvalid: ${b.crcValid}`;
}

export interface KafkaTextOptions {
  printData: boolean;
  /** The 3.x Scala tool (`--format kafka`): its stray `}` after legacy record crcs, LEADER_CHANGE as controlType. */
  legacyBrace: boolean;
  /** --skip-record-metadata: no `| offset: ...` part; control records give an empty line. */
  skipMetadata?: boolean;
  /** Key and payload as the tool's Decoder class prints them (default: UTF-8 text); an Error is reported by `onDecodeError` and the part left out. */
  keyText?: (b: Buffer) => string | Error | undefined;
  valueText?: (b: Buffer) => string | Error | undefined;
  onDecodeError?: (part: 'key' | 'payload', e: Error) => void;
}

/** The per-record metadata part of a kafka-format record line (DumpLogSegments printRecordMetadata). */
function kafkaRecordMeta(r: KafkaRecord, b: Batch, opts: KafkaTextOptions): string {
  let s = `| offset: ${r.offset} ${r.timestampType}: ${r.timestamp} keySize: ${r.key ? r.key.length : -1} valueSize: ${r.value ? r.value.length : -1}`;
  if (b.magic >= 2) {
    s += ` sequence: ${r.sequence} headerKeys: [${r.headers.map((h) => h.key.toString('utf8')).join(',')}]`;
  } else {
    s += ` isValid: ${r.crcValid} crc: ${r.crc}${opts.legacyBrace ? '}' : ''}`;
  }
  if (b.isControl && r.control) {
    const c = r.control;
    if (c.type === 'COMMIT' || c.type === 'ABORT') s += ` endTxnMarker: ${c.type} coordinatorEpoch: ${c.coordinatorEpoch}`;
    // The 3.x Scala tool has no LEADER_CHANGE case (it falls through to controlType: NAME(id));
    // the Java port decodes it (KAFKA-19069).
    else if (c.type === 'LEADER_CHANGE' && c.data && !opts.legacyBrace) s += ` LeaderChange: ${JSON.stringify(c.data)}`;
    else if (c.type === 'SNAPSHOT_HEADER' && c.data) s += ` SnapshotHeader ${JSON.stringify(c.data)}`;
    else if (c.type === 'SNAPSHOT_FOOTER' && c.data) s += ` SnapshotFooter ${JSON.stringify(c.data)}`;
    else if (c.type === 'KRAFT_VERSION' && c.data) s += ` KRaftVersion ${JSON.stringify(c.data)}`;
    else s += ` controlType: ${c.type}(${c.typeId})`;
  }
  return s;
}

/**
 * The key/payload part of a kafka-format record line (DumpLogSegments): after the metadata, ` key: K
 * payload: P`. With --skip-record-metadata the line starts with `| `: the 3.x Scala tool puts it on
 * the key only and always writes ` payload: ` (a record without a key gives ` payload: P`); the Java
 * port (printRecordContents) puts it on whichever of key and payload comes first.
 */
export function kafkaContents(key: string | undefined, payload: string | undefined, skipMetadata: boolean, scala: boolean): string {
  let prefix = skipMetadata ? '| ' : ' ';
  let s = '';
  if (key !== undefined) {
    s += `${prefix}key: ${key}`;
    prefix = ' ';
  }
  if (payload !== undefined) s += `${scala ? ' ' : prefix}payload: ${payload}`;
  return s;
}

export function kafkaRecordLine(r: KafkaRecord, b: Batch, opts: KafkaTextOptions): string {
  const s = opts.skipMetadata ? '' : kafkaRecordMeta(r, b, opts);
  if (b.isControl && r.control) return s;
  if (!opts.printData) return s;
  const text = (part: 'key' | 'payload', v: Buffer | null, f: ((b: Buffer) => string | Error | undefined) | undefined): string | undefined => {
    if (!v) return undefined;
    const t = f ? f(v) : v.toString('utf8');
    if (t === undefined || typeof t === 'string') return t;
    opts.onDecodeError?.(part, t);
    return undefined;
  };
  return s + kafkaContents(text('key', r.key, opts.keyText), text('payload', r.value, opts.valueText), opts.skipMetadata === true, opts.legacyBrace);
}

/**
 * BatchMetadata.firstSeq: DefaultRecordBatch.decrementSequence(lastSeq, offsetDelta), which wraps
 * below 0 back to Integer.MAX_VALUE as producer sequences do.
 */
export function firstSequence(lastSequence: number, offsetDelta: number): number {
  return lastSequence < offsetDelta ? 2147483647 - (offsetDelta - lastSequence) + 1 : lastSequence - offsetDelta;
}

/** One producer of a .snapshot as DumpLogSegments.dumpProducerIdSnapshot prints it (3.x leaves a space after lastTimestamp). */
export function kafkaSnapshotLine(p: ProducerSnapshotEntry, scala: boolean): string {
  let s = `producerId: ${p.producerId} producerEpoch: ${p.producerEpoch} coordinatorEpoch: ${p.coordinatorEpoch} currentTxnFirstOffset: ${p.currentTxnFirstOffset < 0 ? 'OptionalLong.empty' : `OptionalLong[${p.currentTxnFirstOffset}]`} lastTimestamp: ${p.timestamp}${scala ? ' ' : ''}`;
  if (p.lastOffset >= 0)
    s += `${scala ? '' : ' '}firstSequence: ${firstSequence(p.lastSequence, p.offsetDelta)} lastSequence: ${p.lastSequence} lastOffset: ${p.lastOffset} offsetDelta: ${p.offsetDelta} timestamp: ${p.timestamp}`;
  return s;
}

// ---------------------------------------------------------------- NDJSON record lines as strings
// One record line as a string, identical to toJson(recordJson(...)) (test/render.test.ts). `dump
// --ndjson` encodes plain v2 records as bytes instead (ndjson-writer.ts) and uses this for the rest
// (legacy and control batches, the json decoder, records that do not decode); it is also the oracle
// test/ndjson-writer.test.ts holds the byte writer to.

const num = (v: number): string => (Number.isSafeInteger(v) ? String(v) : `"${BigInt(v)}"`);

function bytesJson(b: Buffer | null, d: Decoders['key']): string | undefined {
  // base64 and hex need no escaping
  if (b !== null && (d === 'base64' || d === 'hex')) return `"${b.toString(d)}"`;
  const v = decodeBytes(b, d);
  if (v === undefined) return undefined;
  return JSON.stringify(v);
}

const batchPartCache = new WeakMap<Batch, string>();

/** `"batch":{…}}` — the end of every record line of a batch. */
export function batchPartString(b: Batch): string {
  return (
    `"batch":{"file":${b.file === undefined ? 'null' : JSON.stringify(b.file)},"position":${num(b.position)},"baseOffset":${num(b.baseOffset)},"lastOffset":${num(b.lastOffset)},` +
    `"magic":${b.magic},"compression":"${b.compression}","isTransactional":${b.isTransactional},"isControl":${b.isControl},"producerId":${num(b.producerId)},` +
    `"producerEpoch":${b.producerEpoch},"baseSequence":${b.baseSequence},"partitionLeaderEpoch":${b.partitionLeaderEpoch},"crcValid":${b.crcValid}}}`
  );
}

/** batchPartString, cached per batch (recordNdjson is called once per record). */
function batchPart(b: Batch): string {
  let s = batchPartCache.get(b);
  if (s === undefined) {
    s = batchPartString(b);
    batchPartCache.set(b, s);
  }
  return s;
}

export function recordNdjson(r: KafkaRecord, b: Batch, d: Decoders): string {
  let s = `{"offset":${num(r.offset)},"timestamp":${num(r.timestamp)},"timestampType":"${r.timestampType}"`;
  const k = bytesJson(r.key, d.key);
  if (k !== undefined) s += `,"key":${k}`;
  const v = bytesJson(r.value, d.value);
  if (v !== undefined) s += `,"value":${v}`;
  s += ',"headers":[';
  for (let i = 0; i < r.headers.length; i++) {
    const h = r.headers[i]!;
    if (i > 0) s += ',';
    s += `{"key":${JSON.stringify(utf8(h.key))}`;
    const hv = bytesJson(h.value, d.header);
    s += hv === undefined ? '}' : `,"value":${hv}}`;
  }
  s += ']';
  if (r.control) {
    const c = r.control;
    const control: Record<string, unknown> = { type: c.type, typeId: c.typeId, version: c.version };
    if (c.coordinatorEpoch !== undefined) control.coordinatorEpoch = c.coordinatorEpoch;
    if (c.data !== undefined) control.data = c.data;
    if (c.error !== undefined) control.error = c.error;
    s += `,"control":${JSON.stringify(control)}`;
  }
  if (r.magic < 2) s += `,"crc":${r.crc},"crcValid":${r.crcValid}`;
  else if (r.sequence >= 0) s += `,"sequence":${r.sequence}`;
  return s + ',' + batchPart(b);
}
