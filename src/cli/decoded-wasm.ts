import type { InternalDecoder } from '../format/kafka-messages/internal.js';
import { programBytes, recordOpFor } from '../format/kafka-messages/record-programs.js';

/** Table slots per record type or apiKey: version + 1 for versions -1 (a tombstone) to 62. */
const PER_ID = 64;
const IDS = 256;
const TABLE_BYTES = IDS * PER_ID * 4;

/** Whether a decoder's records are API-framed metadata records (no key) rather than coordinator records. */
export const isFramed = (decoder: InternalDecoder): boolean => decoder === 'cluster-metadata' || decoder === 'remote-log-metadata';

/**
 * The record programs of json-escape.wat's `drec`, laid out in a region of its memory as records
 * need them: per decoder a table of (id, version) → program address (0: not laid out yet, -1: left to
 * the JS writer), and each program once. When the region is full, further records are left to the
 * JS writer (the same text, slower).
 */
export class DecodedPrograms {
  private readonly tables = new Map<InternalDecoder, number>();
  private next: number;

  constructor(
    private readonly mem: Buffer,
    start: number,
    private readonly end: number,
  ) {
    this.next = (start + 15) & ~15;
  }

  /** The address of the decoder's table, or -1 when there is no room for one. */
  table(decoder: InternalDecoder): number {
    let t = this.tables.get(decoder);
    if (t === undefined) {
      t = this.next + TABLE_BYTES <= this.end ? this.next : -1;
      if (t >= 0) {
        this.mem.fill(0, t, t + TABLE_BYTES);
        this.next += TABLE_BYTES;
      }
      this.tables.set(decoder, t);
    }
    return t;
  }

  /**
   * Lays out the program of the record whose key is at [ks, ke) and value at [vs, ve) (in the same
   * memory; start -1: null), after `drec` said it is missing (-2): its (id, version) are read as
   * `drec` reads them, which checked that they fit the table.
   */
  build(decoder: InternalDecoder, table: number, ks: number, vs: number): void {
    const m = this.mem;
    let id = 0;
    let version = -1;
    if (isFramed(decoder)) {
      if (vs >= 0) {
        id = m[vs + 1]!;
        version = m[vs + 2]!;
      }
    } else {
      id = m.readInt16BE(ks);
      if (vs >= 0) version = m.readInt16BE(vs);
    }
    const slot = table + 4 * (id * PER_ID + version + 1);
    const r = recordOpFor(decoder, id, version);
    let at = -1;
    if (r !== null) {
      const bytes = programBytes(r, this.next);
      if (this.next + bytes.length <= this.end) {
        at = this.next;
        m.set(bytes, at);
        this.next = (at + bytes.length + 15) & ~15;
      }
    }
    m.writeInt32LE(at, slot);
  }
}
