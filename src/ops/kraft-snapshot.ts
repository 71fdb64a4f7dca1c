import path from 'node:path';
import { batchRecords } from '../format/batch.js';
import { KsegError } from '../format/errors.js';
import { CONTROL_RECORD_TYPES } from '../format/kafka-messages/internal.js';
import { logEntries } from '../storage/log-reader.js';
import { openSource } from '../storage/source.js';
import { decodeRecord, parseKraftSnapshotName } from './dump.js';

/**
 * KRaft snapshot files (`<20-digit end offset>-<10-digit epoch>.checkpoint`, `bootstrap.checkpoint`):
 * the checks beyond batch framing and CRCs (which verify's log scan does). Kafka's
 * RecordsSnapshotReader / SnapshotReader: the first batch is a control batch starting with a
 * SnapshotHeaderRecord, the last a control batch ending with a SnapshotFooterRecord; batches hold
 * consecutive offsets from 0; the records in between are metadata records (MetadataRecordSerde).
 */
export interface SnapshotFinding {
  code: 'SNAPSHOT_HEADER_MISSING' | 'SNAPSHOT_FOOTER_MISSING' | 'SNAPSHOT_OFFSET_GAP' | 'SNAPSHOT_RECORD_UNDECODABLE' | 'SNAPSHOT_RECORD_UNKNOWN';
  position: number | null;
  offset: number | null;
  message: string;
}

export interface SnapshotSummary {
  /** From the file name (null for bootstrap.checkpoint). */
  endOffset: number | null;
  epoch: number | null;
  batches: number;
  records: number;
  /** SnapshotHeaderRecord.lastContainedLogTimestamp, when the header is there. */
  lastContainedLogTimestamp: number | null;
  findings: SnapshotFinding[];
}

export function checkKraftSnapshot(p: string): SnapshotSummary {
  const name = path.basename(p);
  const parsed = parseKraftSnapshotName(name);
  const out: SnapshotSummary = {
    endOffset: parsed && !parsed.bootstrap ? parsed.endOffset : null,
    epoch: parsed && !parsed.bootstrap ? parsed.epoch : null,
    batches: 0,
    records: 0,
    lastContainedLogTimestamp: null,
    findings: [],
  };
  const src = openSource(p, { pattern: 'sequential' });
  try {
    let expected = 0;
    let first = true;
    let lastControlType: string | null = null;
    let lastPos = 0;
    let lastOffset = -1;
    const gen = logEntries(src, { file: name });
    for (;;) {
      const n = gen.next();
      if (n.done) break;
      if (n.value.kind !== 'batch') return out; // framing and CRC problems are the log scan's findings
      const b = n.value.batch;
      out.batches++;
      lastPos = b.position;
      lastOffset = b.lastOffset;
      if (b.baseOffset !== expected) {
        out.findings.push({
          code: 'SNAPSHOT_OFFSET_GAP',
          position: b.position,
          offset: b.baseOffset,
          message: `batch starts at offset ${b.baseOffset}, expected ${expected} (a snapshot's batches hold consecutive offsets from 0)`,
        });
      }
      expected = b.lastOffset + 1;
      let records;
      try {
        records = [...batchRecords(b)];
      } catch (e) {
        if (e instanceof KsegError) return out;
        throw e;
      }
      out.records += records.length;
      if (first) {
        first = false;
        const r0 = records[0];
        const dec = r0 && b.isControl ? decodeRecord('cluster-metadata', r0, b) : null;
        const k = dec?.decoded?.key;
        if (!k || 'unknown' in k || k.type !== 'SNAPSHOT_HEADER') {
          out.findings.push({
            code: 'SNAPSHOT_HEADER_MISSING',
            position: b.position,
            offset: b.baseOffset,
            message: `the first batch is ${b.isControl ? `a control batch starting with ${k && !('unknown' in k) ? k.type : 'something else'}` : 'a data batch'}, not a SnapshotHeaderRecord`,
          });
        } else {
          const v = dec!.decoded!.value;
          if (v && !('unknown' in v)) out.lastContainedLogTimestamp = Number(v.data.lastContainedLogTimestamp);
        }
      }
      lastControlType = null;
      for (const r of records) {
        const dec = decodeRecord('cluster-metadata', r, b);
        if (dec.error) {
          out.findings.push({ code: 'SNAPSHOT_RECORD_UNDECODABLE', position: b.position, offset: r.offset, message: dec.error.message });
          continue;
        }
        const d = dec.decoded!;
        for (const part of [d.key, d.value]) {
          if (part && 'unknown' in part)
            out.findings.push({
              code: 'SNAPSHOT_RECORD_UNKNOWN',
              position: b.position,
              offset: r.offset,
              message: `${d.kind} record of unknown type ${part.type} version ${part.version}`,
            });
        }
        lastControlType = b.isControl ? (CONTROL_RECORD_TYPES[d.id] ?? null) : null;
      }
    }
    if (out.batches === 0) {
      out.findings.push({ code: 'SNAPSHOT_HEADER_MISSING', position: 0, offset: null, message: 'the snapshot holds no batch (no SnapshotHeaderRecord)' });
      out.findings.push({ code: 'SNAPSHOT_FOOTER_MISSING', position: 0, offset: null, message: 'the snapshot holds no batch (no SnapshotFooterRecord)' });
    } else if (lastControlType !== 'SNAPSHOT_FOOTER') {
      out.findings.push({
        code: 'SNAPSHOT_FOOTER_MISSING',
        position: lastPos,
        offset: lastOffset,
        message: 'the last record is not a SnapshotFooterRecord (an unfinished or cut snapshot; Kafka does not load it)',
      });
    }
  } finally {
    src.close();
  }
  return out;
}
