import { readInt16, readInt32, readInt64 } from './int64.js';

/**
 * Control records (v2 control batches). Key: version int16 | type int16. COMMIT/ABORT value:
 * version int16 | coordinatorEpoch int32. Other types carry generated (flexible) messages; the
 * common ones are decoded, anything else is shown by name and left raw.
 */
export const CONTROL_TYPES: Record<number, string> = {
  0: 'ABORT',
  1: 'COMMIT',
  2: 'LEADER_CHANGE',
  3: 'SNAPSHOT_HEADER',
  4: 'SNAPSHOT_FOOTER',
  5: 'KRAFT_VERSION',
  6: 'KRAFT_VOTERS',
};

export interface ControlInfo {
  /** ABORT, COMMIT, LEADER_CHANGE, …, or UNKNOWN. */
  type: string;
  typeId: number;
  /** Control key version (a newer version is read as version 0, as Kafka does). */
  version: number;
  coordinatorEpoch?: number;
  /** Decoded fields of LEADER_CHANGE / snapshot / kraft records when they could be decoded. */
  data?: Record<string, unknown>;
  /** Why the record could not be decoded (the dump continues). */
  error?: string;
}

export function decodeControlRecord(key: Buffer | null, value: Buffer | null): ControlInfo {
  if (key === null || key.length < 4) {
    return { type: 'INVALID', typeId: -1, version: -1, error: `control record key of ${key === null ? 'null' : key.length + ' bytes'} (needs 4)` };
  }
  const version = readInt16(key, 0);
  const typeId = readInt16(key, 2);
  const type = CONTROL_TYPES[typeId] ?? 'UNKNOWN';
  const info: ControlInfo = { type, typeId, version };
  if (version < 0) {
    info.error = `invalid negative control key version ${version}`;
    return info;
  }
  try {
    switch (typeId) {
      case 0:
      case 1: {
        if (value === null || value.length < 6) {
          info.error = `end transaction marker value of ${value === null ? 'null' : value.length + ' bytes'} (needs 6)`;
          break;
        }
        const v = readInt16(value, 0);
        if (v < 0) info.error = `invalid negative end transaction marker version ${v}`;
        info.coordinatorEpoch = readInt32(value, 2);
        break;
      }
      case 2:
        if (value) info.data = decodeLeaderChange(value);
        break;
      case 3:
        if (value) info.data = decodeSnapshotHeader(value);
        break;
      case 4:
        if (value) info.data = { version: readInt16(value, 0) };
        break;
      case 5:
        if (value) info.data = { version: readInt16(value, 0), kRaftVersion: readInt16(value, 2) };
        break;
      default:
        break;
    }
  } catch (e) {
    info.error = `could not decode ${type} value: ${(e as Error).message}`;
  }
  return info;
}

class Flex {
  pos = 0;
  constructor(private readonly b: Buffer) {}
  need(n: number): void {
    if (this.pos + n > this.b.length) throw new Error('value ends early');
  }
  int16(): number {
    this.need(2);
    const v = readInt16(this.b, this.pos);
    this.pos += 2;
    return v;
  }
  int32(): number {
    this.need(4);
    const v = readInt32(this.b, this.pos);
    this.pos += 4;
    return v;
  }
  int64(): number {
    this.need(8);
    const v = readInt64(this.b, this.pos);
    this.pos += 8;
    return v;
  }
  uvarint(): number {
    let v = 0;
    let shift = 0;
    for (let i = 0; i < 5; i++) {
      this.need(1);
      const byte = this.b[this.pos++]!;
      v |= (byte & 0x7f) << shift;
      if ((byte & 0x80) === 0) return v >>> 0;
      shift += 7;
    }
    throw new Error('bad unsigned varint');
  }
  skipTags(): void {
    const n = this.uvarint();
    for (let i = 0; i < n; i++) {
      this.uvarint();
      const size = this.uvarint();
      this.need(size);
      this.pos += size;
    }
  }
}

/** LeaderChangeMessage (flexible v0): version, leaderId, voters[], grantingVoters[]. */
function decodeLeaderChange(value: Buffer): Record<string, unknown> {
  const r = new Flex(value);
  const version = r.int16();
  const leaderId = r.int32();
  const voters = (): number[] => {
    const n = r.uvarint() - 1;
    const out: number[] = [];
    for (let i = 0; i < n; i++) {
      out.push(r.int32());
      r.skipTags();
    }
    return out;
  };
  const v = voters();
  const granting = voters();
  r.skipTags();
  return { version, leaderId, voters: v.map((voterId) => ({ voterId })), grantingVoters: granting.map((voterId) => ({ voterId })) };
}

/** SnapshotHeaderRecord (flexible v0): version, lastContainedLogTimestamp. */
function decodeSnapshotHeader(value: Buffer): Record<string, unknown> {
  const r = new Flex(value);
  const version = r.int16();
  const lastContainedLogTimestamp = r.int64();
  return { version, lastContainedLogTimestamp };
}

/**
 * What Kafka's segment recovery makes of the first record of a control batch that carries a
 * producer id. LogSegment.recover replays such a batch into the producer state
 * (ProducerAppendInfo.append -> EndTransactionMarker.deserialize) after counting its bytes as
 * valid, so:
 *   - an InvalidRecordException (key under 4 bytes or with a negative version, marker value under
 *     6 bytes or with a negative version, a record that does not decode) ends the loop: the
 *     segment is truncated right AFTER this batch ('truncate-after');
 *   - a record whose type is not ABORT/COMMIT (IllegalArgumentException) or whose key or value is
 *     null (NullPointerException) escapes recovery altogether: the broker fails to load the
 *     partition ('load-fails');
 *   - anything else is a transaction marker Kafka accepts ('ok').
 */
export type ControlRecoveryOutcome = { kind: 'ok' } | { kind: 'truncate-after' | 'load-fails'; reason: string };

export function controlRecoveryOutcome(key: Buffer | null, value: Buffer | null): ControlRecoveryOutcome {
  if (key === null) return { kind: 'load-fails', reason: 'control record key is null (NullPointerException in EndTransactionMarker.deserialize)' };
  if (key.length < 4) return { kind: 'truncate-after', reason: `control record key of ${key.length} bytes (needs 4)` };
  const version = readInt16(key, 0);
  if (version < 0) return { kind: 'truncate-after', reason: `negative control key version ${version}` };
  const typeId = readInt16(key, 2);
  if (typeId !== 0 && typeId !== 1) {
    return {
      kind: 'load-fails',
      reason: `control record type ${CONTROL_TYPES[typeId] ?? `UNKNOWN (${typeId})`} is not a transaction marker (IllegalArgumentException in EndTransactionMarker)`,
    };
  }
  if (value === null) return { kind: 'load-fails', reason: 'transaction marker value is null (NullPointerException in EndTransactionMarker.deserialize)' };
  if (value.length < 6) return { kind: 'truncate-after', reason: `transaction marker value of ${value.length} bytes (needs 6)` };
  const valueVersion = readInt16(value, 0);
  if (valueVersion < 0) return { kind: 'truncate-after', reason: `negative transaction marker version ${valueVersion}` };
  return { kind: 'ok' };
}
