import { CorruptDataError, type ErrorLocation } from './errors.js';
import { readVarint, readVarlong, sizeOfVarint, varintAt, varlongAt, type Cursor } from './varint.js';

// ------------------------------------------------------------------ v2 records
// Kafka's DefaultRecord (writeTo / readFrom, org.apache.kafka.common.record.DefaultRecord):
//   length varint | attributes int8 | timestampDelta varlong | offsetDelta varint |
//   keyLength varint | key | valueLength varint | value | headersCount varint |
//   headers: keyLength varint | key | valueLength varint | value
// A length of -1 is a null key / value / header value; a header key is never null.

/** walkFast: every record walked and the records end exactly at `end`. */
export const WALK_OK = 0;
/**
 * walkFast stopped at record `count` (`next` is its position): it is malformed, or uses something
 * the fast walk leaves to the careful one (a varint longer than it decodes inline, say). Only
 * WALK_OK is trusted; otherwise `walkExact` decides, and throws the exact error.
 */
export const WALK_STOPPED = 1;
/** walkFast walked all `count` records but they end before `end` (`next`). */
export const WALK_TRAILING = 2;

/** Offset deltas, key positions and lengths only: values and headers are jumped over by the record length. */
export const WALK_KEYS = 0;
/** Every record checked, nothing kept per record: only count, next and the per-batch results (verify). */
export const WALK_CHECK = 1;
/** Everything but header positions (headers are checked and skipped). */
export const WALK_RECORDS = 2;
/** WALK_RECORDS plus every header's key and value position (`headerIndex`, `headerCount`, `headers`). */
export const WALK_HEADERS = 3;
export type WalkMode = typeof WALK_KEYS | typeof WALK_CHECK | typeof WALK_RECORDS | typeof WALK_HEADERS;

function recordError(message: string, where: ErrorLocation): CorruptDataError {
  return new CorruptDataError('RECORD_DECODE_ERROR', message, { file: where.file, position: where.position });
}

/**
 * The one walk over the records of a v2 batch (uncompressed, or the caller's decompressed
 * payload). The caller owns a walker and reuses it across batches: per record it fills typed
 * arrays with numbers and byte positions into `buf`, never objects.
 *
 * - `walkFast` is the hot path (dump, verify, compact): varints of one and two bytes decoded
 *   inline, no exceptions, a status instead. It accepts nothing `walkExact` would reject, and
 *   fills the same arrays with the same values when it accepts.
 * - `walkExact` / `record` are the careful walk: Kafka's checks with its messages, thrown as
 *   CorruptDataError naming `where` (the batch's file and position) or the varint's byte.
 */
export class RecordWalker {
  /** Records the last walk filled (on a stop: the records before the one it stopped at). */
  count = 0;
  /** Position after the last record walked (on a stop: the record it stopped at). */
  next = 0;
  /** The bytes the positions point into. */
  buf: Uint8Array = new Uint8Array(0);

  // per batch (WALK_RECORDS / WALK_HEADERS)
  /** Largest baseTimestamp + timestampDelta (-Infinity for no records): verify's rule, not LogAppendTime's. */
  maxTimestamp = -Infinity;
  firstOffsetDelta = -1;
  lastOffsetDelta = -1;
  offsetsIncreasing = true;
  /** Every varint after the timestamp delta was minimally encoded and every record's attributes are 0 (WALK_RECORDS, WALK_HEADERS, walkExact). */
  canonical = true;

  // per record
  offsetDelta = new Int32Array(0);
  timestampDelta = new Float64Array(0);
  /** baseTimestamp + timestampDelta (what a consumer sees for CreateTime). */
  timestamp = new Float64Array(0);
  attributes = new Uint8Array(0);
  keyStart = new Int32Array(0);
  /** -1: null key. */
  keyLen = new Int32Array(0);
  valueStart = new Int32Array(0);
  /** -1: null value. */
  valueLen = new Int32Array(0);
  /** Position of the offset delta: the part of the record after the timestamp delta. */
  tailStart = new Int32Array(0);
  recEnd = new Int32Array(0);
  headerCount = new Int32Array(0);
  /** WALK_HEADERS: first header of the record in `headers`. */
  headerIndex = new Int32Array(0);
  /** WALK_HEADERS: per header keyStart, keyEnd, valueStart (-1: null), valueEnd (-1: null). */
  headers = new Int32Array(64);
  private headersUsed = 0;
  private readonly cur: Cursor = { pos: 0 };

  constructor(capacity = 64) {
    this.grow(capacity);
  }

  /** Room for `n` records. */
  private grow(n: number): void {
    if (n <= this.offsetDelta.length) return;
    let cap = Math.max(this.offsetDelta.length, 16);
    while (cap < n) cap *= 2;
    const g = <T extends Int32Array | Float64Array | Uint8Array>(a: T, C: new (n: number) => T): T => {
      const b = new C(cap);
      b.set(a);
      return b;
    };
    this.offsetDelta = g(this.offsetDelta, Int32Array);
    this.timestampDelta = g(this.timestampDelta, Float64Array);
    this.timestamp = g(this.timestamp, Float64Array);
    this.attributes = g(this.attributes, Uint8Array);
    this.keyStart = g(this.keyStart, Int32Array);
    this.keyLen = g(this.keyLen, Int32Array);
    this.valueStart = g(this.valueStart, Int32Array);
    this.valueLen = g(this.valueLen, Int32Array);
    this.tailStart = g(this.tailStart, Int32Array);
    this.recEnd = g(this.recEnd, Int32Array);
    this.headerCount = g(this.headerCount, Int32Array);
    this.headerIndex = g(this.headerIndex, Int32Array);
  }

  private growHeaders(n: number): void {
    let cap = this.headers.length;
    while (cap < n) cap *= 2;
    const b = new Int32Array(cap);
    b.set(this.headers);
    this.headers = b;
  }

  private begin(buf: Uint8Array, pos: number): void {
    this.buf = buf;
    this.count = 0;
    this.next = pos;
    this.maxTimestamp = -Infinity;
    this.firstOffsetDelta = -1;
    this.lastOffsetDelta = -1;
    this.offsetsIncreasing = true;
    this.canonical = true;
    this.headersUsed = 0;
  }

  /**
   * Walk `count` records at buf[pos, end) (the fast walk). `baseTimestamp` is the batch's.
   * Returns WALK_OK, WALK_STOPPED or WALK_TRAILING; never throws, never reads outside [pos, end).
   */
  walkFast(buf: Uint8Array, pos: number, end: number, count: number, baseTimestamp: number, mode: WalkMode): number {
    // Every record takes at least two bytes: a count beyond that is left to walkExact's message.
    if (mode === WALK_CHECK && count >= 0 && count <= end - pos) return this.check(buf, pos, end, count, baseTimestamp);
    this.begin(buf, pos);
    if (count < 0 || count > end - pos) return WALK_STOPPED;
    this.grow(count);
    if (mode === WALK_KEYS) return this.keys(buf, pos, end, count);
    const cur = this.cur;
    const offsetDeltaA = this.offsetDelta;
    const tsDeltaA = this.timestampDelta;
    const timestampA = this.timestamp;
    const attributesA = this.attributes;
    const keyStartA = this.keyStart;
    const keyLenA = this.keyLen;
    const valueStartA = this.valueStart;
    const valueLenA = this.valueLen;
    const tailStartA = this.tailStart;
    const recEndA = this.recEnd;
    const headerCountA = this.headerCount;
    const headerIndexA = this.headerIndex;
    const withHeaders = mode === WALK_HEADERS;
    let hu = 0;
    let p = pos;
    let maxTs = -Infinity;
    let prev = -1;
    let increasing = true;
    let canonical = true;
    let b = 0;
    let r = 0;
    let i = 0;
    let rs = p;
    for (; i < count; i++) {
      rs = p;
      if (p >= end) break;
      // Varints of one and two bytes (nearly all of them) inline; a two-byte one is minimal
      // unless its second byte is 0.
      // record length (bounded by the payload end)
      let length: number;
      b = buf[p]!;
      if (b < 0x80) {
        length = (b >>> 1) ^ -(b & 1);
        p++;
      } else if (p + 1 < end && buf[p + 1]! < 0x80) {
        r = (b & 0x7f) | (buf[p + 1]! << 7);
        if (r < 0x80) canonical = false;
        length = (r >>> 1) ^ -(r & 1);
        p += 2;
      } else {
        length = varintAt(buf, p, end, cur);
        if (cur.pos < 0) break;
        if (cur.pos - p !== sizeOfVarint(length)) canonical = false;
        p = cur.pos;
      }
      if (length < 1 || length > end - p) break;
      const bodyEnd = p + length;
      const attributes = buf[p]!;
      if (attributes !== 0) canonical = false;
      p++;
      // timestamp delta (varlong; not copied by compact, so its encoding does not matter)
      let tsDelta: number;
      b = p < bodyEnd ? buf[p]! : 0x80;
      if (b < 0x80) {
        tsDelta = (b >>> 1) ^ -(b & 1);
        p++;
      } else if (p + 1 < bodyEnd && buf[p + 1]! < 0x80) {
        r = (b & 0x7f) | (buf[p + 1]! << 7);
        tsDelta = (r >>> 1) ^ -(r & 1);
        p += 2;
      } else {
        tsDelta = varlongAt(buf, p, bodyEnd, cur);
        if (cur.pos < 0) break;
        p = cur.pos;
      }
      const tail = p;
      // offset delta
      let offDelta: number;
      b = p < bodyEnd ? buf[p]! : 0x80;
      if (b < 0x80) {
        offDelta = (b >>> 1) ^ -(b & 1);
        p++;
      } else if (p + 1 < bodyEnd && buf[p + 1]! < 0x80) {
        r = (b & 0x7f) | (buf[p + 1]! << 7);
        if (r < 0x80) canonical = false;
        offDelta = (r >>> 1) ^ -(r & 1);
        p += 2;
      } else {
        offDelta = varintAt(buf, p, bodyEnd, cur);
        if (cur.pos < 0) break;
        if (cur.pos - p !== sizeOfVarint(offDelta)) canonical = false;
        p = cur.pos;
      }
      // key
      let n: number;
      b = p < bodyEnd ? buf[p]! : 0x80;
      if (b < 0x80) {
        n = (b >>> 1) ^ -(b & 1);
        p++;
      } else if (p + 1 < bodyEnd && buf[p + 1]! < 0x80) {
        r = (b & 0x7f) | (buf[p + 1]! << 7);
        if (r < 0x80) canonical = false;
        n = (r >>> 1) ^ -(r & 1);
        p += 2;
      } else {
        n = varintAt(buf, p, bodyEnd, cur);
        if (cur.pos < 0) break;
        if (cur.pos - p !== sizeOfVarint(n)) canonical = false;
        p = cur.pos;
      }
      if (n >= 0) {
        if (n > bodyEnd - p) break;
        keyStartA[i] = p;
        keyLenA[i] = n;
        p += n;
      } else keyLenA[i] = -1;
      // value
      b = p < bodyEnd ? buf[p]! : 0x80;
      if (b < 0x80) {
        n = (b >>> 1) ^ -(b & 1);
        p++;
      } else if (p + 1 < bodyEnd && buf[p + 1]! < 0x80) {
        r = (b & 0x7f) | (buf[p + 1]! << 7);
        if (r < 0x80) canonical = false;
        n = (r >>> 1) ^ -(r & 1);
        p += 2;
      } else {
        n = varintAt(buf, p, bodyEnd, cur);
        if (cur.pos < 0) break;
        if (cur.pos - p !== sizeOfVarint(n)) canonical = false;
        p = cur.pos;
      }
      if (n >= 0) {
        if (n > bodyEnd - p) break;
        valueStartA[i] = p;
        valueLenA[i] = n;
        p += n;
      } else valueLenA[i] = -1;
      // headers
      let hc = 0;
      if (p < bodyEnd && buf[p] === 0) {
        p++;
      } else {
        hc = varintAt(buf, p, bodyEnd, cur);
        if (cur.pos < 0) break;
        if (cur.pos - p !== sizeOfVarint(hc)) canonical = false;
        p = cur.pos;
        if (hc < 0 || hc > bodyEnd - p) break;
        if (withHeaders && (hu + hc) * 4 > this.headers.length) this.growHeaders((hu + hc) * 4);
        const hdr = this.headers;
        let h = 0;
        for (; h < hc; h++) {
          const hk = varintAt(buf, p, bodyEnd, cur);
          if (cur.pos < 0) break;
          if (cur.pos - p !== sizeOfVarint(hk)) canonical = false;
          p = cur.pos;
          if (hk < 0 || hk > bodyEnd - p) break;
          if (withHeaders) {
            hdr[4 * (hu + h)] = p;
            hdr[4 * (hu + h) + 1] = p + hk;
          }
          p += hk;
          const hv = varintAt(buf, p, bodyEnd, cur);
          if (cur.pos < 0) break;
          if (cur.pos - p !== sizeOfVarint(hv)) canonical = false;
          p = cur.pos;
          if (hv >= 0) {
            if (hv > bodyEnd - p) break;
            if (withHeaders) {
              hdr[4 * (hu + h) + 2] = p;
              hdr[4 * (hu + h) + 3] = p + hv;
            }
            p += hv;
          } else if (withHeaders) {
            hdr[4 * (hu + h) + 2] = -1;
            hdr[4 * (hu + h) + 3] = -1;
          }
        }
        if (h < hc) break;
      }
      if (p !== bodyEnd) break;
      const ts = baseTimestamp + tsDelta;
      headerCountA[i] = hc;
      headerIndexA[i] = hu;
      if (withHeaders) hu += hc;
      offsetDeltaA[i] = offDelta;
      tsDeltaA[i] = tsDelta;
      timestampA[i] = ts;
      attributesA[i] = attributes;
      tailStartA[i] = tail;
      recEndA[i] = bodyEnd;
      if (ts > maxTs) maxTs = ts;
      if (i === 0) this.firstOffsetDelta = offDelta;
      else if (offDelta <= prev) increasing = false;
      prev = offDelta;
    }
    this.count = i;
    this.headersUsed = hu;
    this.maxTimestamp = maxTs;
    this.lastOffsetDelta = prev;
    this.offsetsIncreasing = increasing;
    this.canonical = canonical;
    if (i < count) {
      this.next = rs;
      return WALK_STOPPED;
    }
    this.next = p;
    return p === end ? WALK_OK : WALK_TRAILING;
  }

  /**
   * WALK_CHECK: walkFast's checks with nothing kept per record and no canonical tracking — verify's
   * walk over every record of every batch, where each store per record shows in the run time.
   * Keep its checks in step with walkFast's (test/record-walk.test.ts compares them).
   */
  private check(buf: Uint8Array, pos: number, end: number, count: number, baseTimestamp: number): number {
    const cur = this.cur;
    let p = pos;
    let maxTs = -Infinity;
    let first = -1;
    let prev = -1;
    let increasing = true;
    let b = 0;
    let r = 0;
    let i = 0;
    let rs = p;
    for (; i < count; i++) {
      rs = p;
      if (p >= end) break;
      // record length (bounded by the payload end)
      let length: number;
      b = buf[p]!;
      if (b < 0x80) {
        length = (b >>> 1) ^ -(b & 1);
        p++;
      } else if (p + 1 < end && buf[p + 1]! < 0x80) {
        r = (b & 0x7f) | (buf[p + 1]! << 7);
        length = (r >>> 1) ^ -(r & 1);
        p += 2;
      } else {
        length = varintAt(buf, p, end, cur);
        if (cur.pos < 0) break;
        p = cur.pos;
      }
      if (length < 1 || length > end - p) break;
      const bodyEnd = p + length;
      p++; // attributes
      // timestamp delta (varlong)
      let tsDelta: number;
      b = p < bodyEnd ? buf[p]! : 0x80;
      if (b < 0x80) {
        tsDelta = (b >>> 1) ^ -(b & 1);
        p++;
      } else if (p + 1 < bodyEnd && buf[p + 1]! < 0x80) {
        r = (b & 0x7f) | (buf[p + 1]! << 7);
        tsDelta = (r >>> 1) ^ -(r & 1);
        p += 2;
      } else {
        tsDelta = varlongAt(buf, p, bodyEnd, cur);
        if (cur.pos < 0) break;
        p = cur.pos;
      }
      // offset delta
      let offDelta: number;
      b = p < bodyEnd ? buf[p]! : 0x80;
      if (b < 0x80) {
        offDelta = (b >>> 1) ^ -(b & 1);
        p++;
      } else if (p + 1 < bodyEnd && buf[p + 1]! < 0x80) {
        r = (b & 0x7f) | (buf[p + 1]! << 7);
        offDelta = (r >>> 1) ^ -(r & 1);
        p += 2;
      } else {
        offDelta = varintAt(buf, p, bodyEnd, cur);
        if (cur.pos < 0) break;
        p = cur.pos;
      }
      // key, then value: length (-1: null) and bytes
      let k = 0;
      for (; k < 2; k++) {
        let n: number;
        b = p < bodyEnd ? buf[p]! : 0x80;
        if (b < 0x80) {
          n = (b >>> 1) ^ -(b & 1);
          p++;
        } else if (p + 1 < bodyEnd && buf[p + 1]! < 0x80) {
          r = (b & 0x7f) | (buf[p + 1]! << 7);
          n = (r >>> 1) ^ -(r & 1);
          p += 2;
        } else {
          n = varintAt(buf, p, bodyEnd, cur);
          if (cur.pos < 0) break;
          p = cur.pos;
        }
        if (n >= 0) {
          if (n > bodyEnd - p) break;
          p += n;
        }
      }
      if (k < 2) break;
      // headers
      if (p < bodyEnd && buf[p] === 0) {
        p++;
      } else {
        const hc = varintAt(buf, p, bodyEnd, cur);
        if (cur.pos < 0) break;
        p = cur.pos;
        if (hc < 0 || hc > bodyEnd - p) break;
        let h = 0;
        for (; h < hc; h++) {
          const hk = varintAt(buf, p, bodyEnd, cur);
          if (cur.pos < 0) break;
          p = cur.pos;
          if (hk < 0 || hk > bodyEnd - p) break;
          p += hk;
          const hv = varintAt(buf, p, bodyEnd, cur);
          if (cur.pos < 0) break;
          p = cur.pos;
          if (hv >= 0) {
            if (hv > bodyEnd - p) break;
            p += hv;
          }
        }
        if (h < hc) break;
      }
      if (p !== bodyEnd) break;
      const ts = baseTimestamp + tsDelta;
      if (ts > maxTs) maxTs = ts;
      if (i === 0) first = offDelta;
      else if (offDelta <= prev) increasing = false;
      prev = offDelta;
    }
    this.count = i;
    this.maxTimestamp = maxTs;
    this.firstOffsetDelta = first;
    this.lastOffsetDelta = prev;
    this.offsetsIncreasing = increasing;
    if (i < count) {
      this.next = rs;
      return WALK_STOPPED;
    }
    this.next = p;
    return p === end ? WALK_OK : WALK_TRAILING;
  }

  /**
   * WALK_KEYS: per record only the offset delta and the key's position and length; the value and
   * headers are jumped over by the record's length, nothing else is read (compact's offset map).
   */
  private keys(buf: Uint8Array, pos: number, end: number, count: number): number {
    const offsetDeltaA = this.offsetDelta;
    const keyStartA = this.keyStart;
    const keyLenA = this.keyLen;
    const cur = this.cur;
    let p = pos;
    let i = 0;
    let rs = p;
    for (; i < count; i++) {
      rs = p;
      // length (varint), attributes (1 byte), timestamp delta (varlong), offset delta, key length
      let b = p < end ? buf[p]! : 0x80;
      let length: number;
      if (b < 0x80) {
        length = (b >>> 1) ^ -(b & 1);
        p++;
      } else {
        length = varintAt(buf, p, end, cur);
        if (cur.pos < 0) break;
        p = cur.pos;
      }
      if (length < 1 || length > end - p) break;
      const bodyEnd = p + length;
      p++; // attributes
      let k = 0;
      while (p < bodyEnd && buf[p]! & 0x80 && k < 9) {
        p++;
        k++;
      }
      if (p >= bodyEnd || buf[p]! & 0x80) break;
      p++; // last byte of the timestamp delta
      b = p < bodyEnd ? buf[p]! : 0x80;
      let od: number;
      if (b < 0x80) {
        od = (b >>> 1) ^ -(b & 1);
        p++;
      } else {
        od = varintAt(buf, p, bodyEnd, cur);
        if (cur.pos < 0) break;
        p = cur.pos;
      }
      b = p < bodyEnd ? buf[p]! : 0x80;
      let kl: number;
      if (b < 0x80) {
        kl = (b >>> 1) ^ -(b & 1);
        p++;
      } else {
        kl = varintAt(buf, p, bodyEnd, cur);
        if (cur.pos < 0) break;
        p = cur.pos;
      }
      if (kl > bodyEnd - p) break;
      offsetDeltaA[i] = od;
      keyStartA[i] = p;
      keyLenA[i] = kl < 0 ? -1 : kl;
      p = bodyEnd;
    }
    this.count = i;
    if (i < count) {
      this.next = rs;
      return WALK_STOPPED;
    }
    this.next = p;
    return p === end ? WALK_OK : WALK_TRAILING;
  }

  /**
   * The careful walk of a whole batch: what walkFast(WALK_HEADERS) fills, or the exact
   * CorruptDataError for the first thing wrong (`where`: the batch's file and position).
   */
  walkExact(buf: Uint8Array, pos: number, end: number, count: number, baseTimestamp: number, where: ErrorLocation): void {
    this.begin(buf, pos);
    if (count < 0) throw recordError(`Found invalid record count ${count} in magic v2 batch`, where);
    let p = pos;
    let maxTs = -Infinity;
    let prev = -1;
    let increasing = true;
    for (let i = 0; i < count; i++) {
      if (p >= end) throw recordError('Incorrect declared batch size, premature EOF reached', where);
      this.grow(i + 1);
      p = this.record(buf, p, end, i, where);
      this.count = i + 1;
      this.next = p;
      const offDelta = this.offsetDelta[i]!;
      const ts = baseTimestamp + this.timestampDelta[i]!;
      this.timestamp[i] = ts;
      if (ts > maxTs) maxTs = ts;
      if (i === 0) this.firstOffsetDelta = offDelta;
      else if (offDelta <= prev) increasing = false;
      prev = offDelta;
    }
    if (p !== end) throw recordError('Incorrect declared batch size, records still remaining in file', where);
    this.maxTimestamp = maxTs;
    this.lastOffsetDelta = prev;
    this.offsetsIncreasing = increasing;
  }

  /**
   * One record at buf[pos] (before `end`) into slot `i` (header positions included; `timestamp`
   * is left to the caller), with Kafka's checks and messages (DefaultRecord.readFrom). Returns the
   * position after it. The caller has made room for slot i (walkExact; `one`).
   */
  record(buf: Uint8Array, pos: number, end: number, i: number, where: ErrorLocation): number {
    const cur = this.cur;
    cur.pos = pos;
    const length = this.varint(buf, end);
    const bodyStart = cur.pos;
    if (length < 0 || length > end - bodyStart) {
      throw recordError(`Invalid record size: expected ${length} bytes in record payload, but ${end - bodyStart} remain`, where);
    }
    const bodyEnd = bodyStart + length;
    if (length < 1) throw recordError('Found invalid record structure (empty record)', where);
    const attributes = buf[cur.pos++]!;
    if (attributes !== 0) this.canonical = false;
    this.attributes[i] = attributes;
    this.timestampDelta[i] = readVarlong(buf, cur, bodyEnd);
    this.tailStart[i] = cur.pos;
    this.offsetDelta[i] = this.varint(buf, bodyEnd);
    const kl = this.bytes(buf, bodyEnd, where, 'key');
    this.keyStart[i] = cur.pos - (kl < 0 ? 0 : kl);
    this.keyLen[i] = kl;
    const vl = this.bytes(buf, bodyEnd, where, 'value');
    this.valueStart[i] = cur.pos - (vl < 0 ? 0 : vl);
    this.valueLen[i] = vl;
    const headerCount = this.varint(buf, bodyEnd);
    if (headerCount < 0) throw recordError(`Found invalid number of record headers ${headerCount}`, where);
    if (headerCount > bodyEnd - cur.pos) throw recordError(`Found invalid number of record headers ${headerCount}`, where);
    const hu = this.headersUsed;
    if ((hu + headerCount) * 4 > this.headers.length) this.growHeaders((hu + headerCount) * 4);
    const hdr = this.headers;
    for (let h = 0; h < headerCount; h++) {
      const hk = this.varint(buf, bodyEnd);
      if (hk < 0) throw recordError(`Invalid negative header key size ${hk}`, where);
      if (hk > bodyEnd - cur.pos) throw recordError(`Invalid header key size ${hk} is larger than the remaining size of the buffer`, where);
      hdr[4 * (hu + h)] = cur.pos;
      hdr[4 * (hu + h) + 1] = cur.pos + hk;
      cur.pos += hk;
      const hv = this.bytes(buf, bodyEnd, where, 'header value');
      hdr[4 * (hu + h) + 2] = hv < 0 ? -1 : cur.pos - hv;
      hdr[4 * (hu + h) + 3] = hv < 0 ? -1 : cur.pos;
    }
    if (cur.pos !== bodyEnd) {
      throw recordError(`Invalid record size: expected to read ${length} bytes in record payload, but instead read ${cur.pos - bodyStart}`, where);
    }
    this.headerIndex[i] = hu;
    this.headerCount[i] = headerCount;
    this.headersUsed = hu + headerCount;
    this.recEnd[i] = bodyEnd;
    return bodyEnd;
  }

  /** `record` into slot 0 with the header slots starting over (the record-by-record decoder). */
  one(buf: Uint8Array, pos: number, end: number, where: ErrorLocation): number {
    this.buf = buf;
    this.headersUsed = 0;
    return this.record(buf, pos, end, 0, where);
  }

  /** readVarint, noting a varint that is not minimally encoded. */
  private varint(buf: Uint8Array, end: number): number {
    const cur = this.cur;
    const at = cur.pos;
    const v = readVarint(buf, cur, end);
    if (cur.pos - at > 1 && cur.pos - at !== sizeOfVarint(v)) this.canonical = false;
    return v;
  }

  /** A length-prefixed byte string: its length (-1: null), the cursor moved past it. */
  private bytes(buf: Uint8Array, end: number, where: ErrorLocation, what: string): number {
    const cur = this.cur;
    const n = this.varint(buf, end);
    if (n < 0) return -1;
    if (n > end - cur.pos) throw recordError(`Invalid ${what} size ${n} is larger than the remaining size of the buffer`, where);
    cur.pos += n;
    return n;
  }
}
