import type { Batch, KafkaRecord } from '../format/batch.js';
import { decodeBytes, type Decoders } from './decoders.js';
import { theme } from './theme.js';
import { bytesWithUnit } from './plural.js';

/** Readable (not machine) text for dump and lookup. May change between versions. */
export function humanFileHeader(ev: { name: string; kind: string; size: number; baseOffset?: number }): string {
  const base = ev.baseOffset !== undefined ? `, base offset ${ev.baseOffset}` : '';
  return theme.file(`== ${ev.name} (${ev.kind}, ${bytesWithUnit(ev.size)}${base}) ==`);
}

/** ISO time of a non-negative timestamp; beyond what a Date holds (year 275760), the number itself. */
function isoOrRaw(ts: number): string {
  return ts <= 8.64e15 ? new Date(ts).toISOString() : String(ts);
}

export function humanBatchLine(b: Batch): string {
  const flags: string[] = [];
  if (b.isTransactional) flags.push('txn');
  if (b.isControl) flags.push('control');
  if (b.deleteHorizonMs !== null) flags.push(`deleteHorizon ${b.deleteHorizonMs}`);
  const producer = b.producerId >= 0 ? ` producer ${b.producerId}/${b.producerEpoch} seq ${b.baseSequence}` : '';
  const crc = b.crcValid ? theme.good('crc ok') : theme.bad(`CRC MISMATCH (stored ${b.crc}, computed ${b.computedCrc})`);
  const ts = b.maxTimestamp >= 0 ? ` ${b.timestampType} ${isoOrRaw(b.maxTimestamp)}` : '';
  return (
    theme.dim(`batch @${b.position} `) +
    theme.offset(`${b.baseOffset}..${b.lastOffset}`) +
    ` ${b.recordCount} rec ${b.size} B v${b.magic} ${b.compression}${ts}${producer}${flags.length ? ' [' + flags.join(', ') + ']' : ''} epoch ${b.partitionLeaderEpoch} ${crc}`
  );
}

function show(b: Buffer | null, d: Decoders['key']): string {
  const v = decodeBytes(b, d);
  if (v === undefined) return '';
  if (v === null) return theme.dim('null');
  return typeof v === 'string' ? JSON.stringify(v) : JSON.stringify(v);
}

export function humanRecordLine(r: KafkaRecord, d: Decoders): string {
  const ts = r.timestamp >= 0 ? isoOrRaw(r.timestamp) : '-';
  if (r.control) {
    const c = r.control;
    const extra = c.coordinatorEpoch !== undefined ? ` coordinatorEpoch ${c.coordinatorEpoch}` : c.data ? ' ' + JSON.stringify(c.data) : '';
    return `  ${theme.offset(String(r.offset))} ${ts} ${theme.control(`${c.type} marker`)}${extra}${c.error ? theme.bad(' ' + c.error) : ''}`;
  }
  const parts = [`  ${theme.offset(String(r.offset))}`, ts];
  if (d.key !== 'none') parts.push(`${theme.key('key')}=${show(r.key, d.key)}`);
  if (d.value !== 'none') parts.push(`${theme.key('value')}=${r.value === null ? theme.warn('null (tombstone)') : show(r.value, d.value)}`);
  if (r.headers.length > 0) parts.push(`${theme.key('headers')}={${r.headers.map((h) => `${h.key.toString('utf8')}: ${show(h.value, d.header)}`).join(', ')}}`);
  if (r.crcValid === false) parts.push(theme.bad('(message crc mismatch)'));
  return parts.join(' ');
}
