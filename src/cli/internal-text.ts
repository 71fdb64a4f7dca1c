import { expandConsumerProtocol, internalJson, type DecodedMessage, type DecodedPart, type DecodedRecord, type InternalDecoder } from '../format/kafka-messages/index.js';

/**
 * Text renderings of decoded internal-topic records: what kafka-dump-log.sh prints with its
 * --offsets-decoder / --transaction-log-decoder / --cluster-metadata-decoder /
 * --share-group-state-decoder / --remote-log-metadata-decoder (format doc section 5), and kseg's
 * own text line.
 */

const isKnown = (p: DecodedPart): p is DecodedMessage => p !== null && !('unknown' in p);

/** Kafka's MetadataRecordType enum name: toSnakeCase(spec name).toUpperCase() (MessageGenerator). */
export function snakeUpper(name: string): string {
  let out = '';
  let prevCapital = true;
  for (const c of name) {
    if (c >= 'A' && c <= 'Z') {
      if (!prevCapital) out += '_';
      out += c;
      prevCapital = true;
    } else {
      out += c.toUpperCase();
      prevCapital = false;
    }
  }
  return out;
}

/** `{"type":"FEATURE_LEVEL_RECORD","version":0,"data":{…}}` (ClusterMetadataLogMessageParser, 3.x and 4.x). */
function metadataPayload(v: DecodedPart): string {
  if (!isKnown(v)) return v === null ? '' : `{"unknown":true,"type":${v.type},"version":${v.version}}`;
  return `{"type":${JSON.stringify(snakeUpper(v.type))},"version":${v.version},"data":${internalJson(v.data)}}`;
}

export interface KafkaTextParts {
  key?: string;
  payload?: string;
}

/**
 * key / payload strings for `--format kafka4` (the Java tool, CoordinatorRecordMessageParser):
 * key `{"type":"<record type>","data":{…}}`, payload `{"version":"<v>","data":{…}}` or `<DELETE>`;
 * group metadata with the consumer protocol expanded.
 */
export function kafka4Parts(decoder: InternalDecoder, d: DecodedRecord, offset: number): KafkaTextParts {
  if (decoder === 'cluster-metadata' || decoder === 'remote-log-metadata') return { payload: metadataPayload(d.value) };
  if (!isKnown(d.key)) return { key: `Unknown record type ${d.id} at offset ${offset}, skipping.` };
  const x = decoder === 'offsets' ? expandConsumerProtocol(d) : d;
  const key = `{"type":"${d.id}","data":${internalJson((x.key as DecodedMessage).data)}}`;
  if (x.value === null) return { key, payload: '<DELETE>' };
  if (!isKnown(x.value)) return { key: `Unknown record type ${d.id} at offset ${offset}, skipping.` };
  let data = x.value.data;
  // TransactionLogMessageParser prints the status by its TransactionState name.
  if (decoder === 'transaction' && x.value.type === 'TransactionLogValue')
    data = { ...data, transactionStatus: TXN_STATES[Number(data.transactionStatus)] ?? String(data.transactionStatus) };
  return { key, payload: `{"version":"${x.value.version}","data":${internalJson(data)}}` };
}

/**
 * key / payload strings for `--format kafka` (the 3.x Scala tool): GroupMetadataManager's and
 * TransactionLog's formatRecordKeyAndValue; metadata records as JSON; share-group-state and
 * remote-log-metadata (not in 3.x) as in kafka4.
 */
export function kafka3Parts(decoder: InternalDecoder, d: DecodedRecord, offset: number): KafkaTextParts {
  if (decoder === 'offsets') {
    if (!isKnown(d.key) || (d.id !== 0 && d.id !== 1 && d.id !== 2)) return { key: `unknown::version=${d.id}` };
    const k = d.key.data;
    const v = d.value;
    if (d.id === 2) {
      const key = `group_metadata::group=${String(k.group)}`;
      if (v === null) return { key, payload: '<DELETE>' };
      if (!isKnown(v)) return { key };
      return { key, payload: groupMetadata3(v.data) };
    }
    const key = `offset_commit::group=${String(k.group)},partition=${String(k.topic)}-${String(k.partition)}`;
    if (v === null) return { key, payload: '<DELETE>' };
    if (!isKnown(v)) return { key };
    const meta = String(v.data.metadata ?? '');
    return { key, payload: meta === '' ? `offset=${String(v.data.offset)}` : `offset=${String(v.data.offset)},metadata=${meta}` };
  }
  if (decoder === 'transaction') {
    if (!isKnown(d.key) || d.id !== 0) return { key: `unknown::version=${d.id}` };
    const key = `transaction_metadata::transactionalId=${String(d.key.data.transactionalId)}`;
    const v = d.value;
    if (v === null) return { key, payload: '<DELETE>' };
    if (!isKnown(v)) return { key };
    const parts = ((v.data.transactionPartitions as { topic: string; partitionIds: number[] }[] | null) ?? []).flatMap((t) => t.partitionIds.map((p) => `${t.topic}-${p}`));
    return {
      key,
      payload:
        `producerId:${String(v.data.producerId)},producerEpoch:${String(v.data.producerEpoch)},state=${txnState(Number(v.data.transactionStatus))},` +
        `partitions=[${parts.join(',')}],txnLastUpdateTimestamp=${String(v.data.transactionLastUpdateTimestampMs)},txnTimeoutMs=${String(v.data.transactionTimeoutMs)}`,
    };
  }
  return kafka4Parts(decoder, d, offset);
}

/** TransactionState names by the status byte TransactionLog writes. */
const TXN_STATES = ['Empty', 'Ongoing', 'PrepareCommit', 'PrepareAbort', 'CompleteCommit', 'CompleteAbort', 'Dead', 'PrepareEpochFence'];
function txnState(n: number): string {
  return TXN_STATES[n] ?? `Unknown(${n})`;
}

/** 3.x group_metadata payload: protocolType, protocol, generationId and member=assignment pairs. */
function groupMetadata3(data: Record<string, unknown>): string {
  const protocolType = (data.protocolType as string | null) ?? '';
  const members = (data.members as Record<string, unknown>[]) ?? [];
  const assignment = members.map((m) => {
    const bytes = Buffer.from(String(m.assignment ?? ''), 'base64');
    if (protocolType === 'consumer') {
      const x = expandConsumerProtocol({ key: null, id: 2, kind: 'coordinator', value: { type: 'GroupMetadataValue', version: 0, data: { protocolType, members: [m] } } });
      const a = ((x.value as DecodedMessage).data.members as Record<string, unknown>[])[0]!.assignment;
      if (a && typeof a === 'object') {
        const ad = a as { assignedPartitions: { topic: string; partitions: number[] }[]; userData: string | null };
        const tps = ad.assignedPartitions.flatMap((t) => t.partitions.map((p) => `${t.topic}-${p}`));
        const userData = ad.userData ? hexBig(Buffer.from(ad.userData, 'base64')) : '';
        return `${String(m.memberId)}=[${tps.join(', ')}]${userData ? `:${userData}` : ''}`;
      }
    }
    return `${String(m.memberId)}=${hexBig(bytes)}`;
  });
  return JSON.stringify({ protocolType, protocol: data.protocol ?? null, generationId: data.generation, assignment: `{${assignment.join(',')}}` });
}

/** Scala's "%X".format(BigInt(1, bytes)): upper-case hex without leading zeros ("" for no bytes). */
function hexBig(b: Buffer): string {
  if (b.length === 0) return '';
  const s = b.toString('hex').replace(/^0+/, '').toUpperCase();
  return s === '' ? '0' : s;
}

/** kseg's text line tail: `OffsetCommitKey {…} => OffsetCommitValue v3 {…}` (tombstone: `<DELETE>`). */
export function humanDecoded(d: DecodedRecord): string {
  const part = (p: DecodedPart): string => (p === null ? 'null' : 'unknown' in p ? `unknown type ${p.type} v${p.version}` : `${p.type} v${p.version} ${internalJson(p.data)}`);
  if (d.kind === 'metadata') return part(d.value);
  return `${part(d.key)} => ${d.value === null ? '<DELETE>' : part(d.value)}`;
}
