import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { IoError } from '../src/format/errors.js';
import { readInt32 } from '../src/format/int64.js';
import { SIZE_OFFSET } from '../src/format/batch.js';
import { copyView, headerSource, PositionalReader } from '../src/storage/positional-reader.js';
import { BAD, LogBatchReader } from '../src/storage/log-batches.js';
import { collect, logEntries } from '../src/storage/log-reader.js';
import { openSource } from '../src/storage/source.js';
import { FIXTURES, tmpDir } from './helpers.js';

const TINY = [1, 7, 61];
const logs = (c: string): string[] =>
  fs
    .readdirSync(path.join(FIXTURES, c, 'topic-0'))
    .filter((f) => f.endsWith('.log'))
    .map((f) => path.join(FIXTURES, c, 'topic-0', f));
const V2 = logs('v2-lz4')[0]!;

/** A deterministic byte pattern no two nearby positions share (a misplaced read shows). */
function patternFile(n: number): { file: string; data: Buffer } {
  const data = Buffer.alloc(n);
  for (let i = 0; i < n; i++) data[i] = (i * 131 + (i >> 8) * 17) & 0xff;
  const file = path.join(tmpDir('kseg-preader-'), 'bytes.bin');
  fs.writeFileSync(file, data);
  return { file, data };
}

function borrowed(file: string, size: number, extra: { maxRead?: number } = {}): PositionalReader<'borrowed'> {
  return new PositionalReader(file, { lifetime: 'borrowed', size, ...extra });
}

/** What logEntries (over a fresh-chunk ByteSource) yields, as plain values. */
function viaLogEntries(file: string) {
  const src = openSource(file, { reader: 'pread' });
  try {
    const { items, result } = collect(logEntries(src, { file: 'x.log', checkCrc: true }));
    return {
      entries: items.map((i) =>
        i.kind === 'batch'
          ? {
              position: i.batch.position,
              size: i.batch.size,
              baseOffset: i.batch.baseOffset,
              lastOffset: i.batch.lastOffset,
              crcValid: i.batch.crcValid,
              records: i.batch.recordCount,
              bytes: i.batch.bytes.subarray(i.batch.start, i.batch.start + i.batch.size).toString('hex'),
            }
          : { bad: i.position, code: i.error.code, message: i.error.message },
      ),
      stop: result,
    };
  } finally {
    src.close();
  }
}

/** The same through LogBatchReader with a given buffer size. */
function viaBatchReader(file: string, bufferSize?: number) {
  const r = new LogBatchReader(file, bufferSize);
  const entries: unknown[] = [];
  try {
    for (;;) {
      const b = r.next('x.log', true);
      if (b === null) return { entries, stop: r.stop };
      if (b === BAD) {
        entries.push({ bad: r.bad!.position, code: r.bad!.error.code, message: r.bad!.error.message });
        continue;
      }
      const batch = b as Exclude<typeof b, typeof BAD>;
      entries.push({
        position: batch.position,
        size: batch.size,
        baseOffset: batch.baseOffset,
        lastOffset: batch.lastOffset,
        crcValid: batch.crcValid,
        records: batch.recordCount,
        bytes: batch.bytes.subarray(batch.start, batch.start + batch.size).toString('hex'),
      });
    }
  } finally {
    r.close();
  }
}

describe('PositionalReader: bytes at positions through tiny buffers', () => {
  const { file, data } = patternFile(1000);

  for (const size of TINY) {
    it(`byte at a time with a ${size}-byte buffer (node-tar style feeding)`, () => {
      const r = borrowed(file, size);
      try {
        for (let p = 0; p < data.length; p++) expect(r.read(p, 1)[0], `byte ${p}`).toBe(data[p]);
        // and backwards: every read misses the buffer
        for (let p = data.length - 1; p >= 0; p--) expect(r.read(p, 1)[0], `byte ${p}`).toBe(data[p]);
      } finally {
        r.close();
      }
    });

    it(`ranges across buffer boundaries with a ${size}-byte buffer (read, locate, owned)`, () => {
      const r = borrowed(file, size);
      const o = new PositionalReader(file, { lifetime: 'owned', size });
      try {
        for (let pos = 0; pos < data.length; pos += 37) {
          for (const len of [0, 1, 2, 6, 7, 8, 60, 61, 62, 200]) {
            if (pos + len > data.length) continue;
            const want = data.subarray(pos, pos + len);
            expect(Buffer.compare(r.read(pos, len), want), `read ${len} at ${pos}`).toBe(0);
            const at = r.locate(pos, len);
            expect(Buffer.compare(r.bytes.subarray(at, at + len), want), `locate ${len} at ${pos}`).toBe(0);
            expect(Buffer.compare(o.read(pos, len), want), `owned ${len} at ${pos}`).toBe(0);
          }
        }
        expect(r.bytesRequested).toBe(o.bytesRequested);
      } finally {
        r.close();
        o.close();
      }
    });
  }

  it('a borrowed view is overwritten by the next read; copyView() and owned views are not', () => {
    const r = borrowed(file, 8);
    const o = new PositionalReader(file, { lifetime: 'owned', size: 8 });
    try {
      const view = r.read(0, 4);
      const kept = copyView(view);
      const owned = o.read(0, 4);
      expect(Buffer.compare(view, data.subarray(0, 4))).toBe(0);
      r.read(500, 4); // refills the same buffer from position 500
      o.read(500, 4);
      expect(Buffer.compare(view, data.subarray(500, 504))).toBe(0);
      expect(Buffer.compare(view, data.subarray(0, 4))).not.toBe(0);
      expect(Buffer.compare(kept, data.subarray(0, 4))).toBe(0);
      expect(Buffer.compare(owned, data.subarray(0, 4))).toBe(0);
    } finally {
      r.close();
      o.close();
    }
  });

  it('one read larger than the buffer grows it to fit; past maxRead it is an IoError naming file and position', () => {
    const r = borrowed(file, 7, { maxRead: 300 });
    try {
      expect(Buffer.compare(r.read(10, 300), data.subarray(10, 310))).toBe(0);
      expect(r.bytes.length).toBeGreaterThanOrEqual(300);
      expect(Buffer.compare(r.read(311, 5), data.subarray(311, 316))).toBe(0);
      const e = (() => {
        try {
          r.read(20, 301);
        } catch (err) {
          return err;
        }
      })() as IoError;
      expect(e).toBeInstanceOf(IoError);
      expect(e.code).toBe('READ_TOO_LARGE');
      expect(e.file).toBe(file);
      expect(e.position).toBe(20);
    } finally {
      r.close();
    }
  });

  it('reads outside the file, a file that shrank and a failing descriptor are IoErrors with file and position', () => {
    const { file: f2 } = patternFile(100);
    const r = borrowed(f2, 16);
    try {
      expect(() => r.read(90, 11)).toThrow(/read of 11 bytes at 90 is outside the file \(100 bytes\)/);
      fs.truncateSync(f2, 50);
      let e: IoError | undefined;
      try {
        r.locate(40, 20);
      } catch (err) {
        e = err as IoError;
      }
      expect(e).toBeInstanceOf(IoError);
      expect(e!.code).toBe('EOF');
      expect(e!.message).toBe('file shrank while reading (expected 20 bytes at 40)');
      expect(e!.file).toBe(f2);
      expect(e!.position).toBe(50); // the first byte that is missing
    } finally {
      r.close();
    }
    const fd = fs.openSync(file, 'r');
    const shared = new PositionalReader(file, { lifetime: 'borrowed', size: 16 }, { fd, size: data.length });
    fs.closeSync(fd);
    let e: IoError | undefined;
    try {
      shared.read(300, 4);
    } catch (err) {
      e = err as IoError;
    }
    expect(e).toBeInstanceOf(IoError);
    expect(e!.code).toBe('EBADF');
    expect(e!.file).toBe(file);
    expect(e!.position).toBe(300);
    shared.close(); // a descriptor it does not own is not closed again
    expect(() => new PositionalReader(path.dirname(file), { lifetime: 'owned', size: 16 })).toThrow(IoError);
  });

  it('pooled readers hand their buffer on to the next one', () => {
    const a = new PositionalReader(file, { lifetime: 'borrowed', size: 4096, pooled: true });
    a.read(0, 10);
    const buf = a.bytes;
    a.close();
    const b = new PositionalReader(file, { lifetime: 'borrowed', size: 4096, pooled: true });
    try {
      expect(b.bytes.buffer).toBe(buf.buffer);
      expect(Buffer.compare(b.read(100, 10), data.subarray(100, 110))).toBe(0);
    } finally {
      b.close();
    }
  });

  it('headerSource (verify --jobs) gives the file bytes near and far, views staying valid', () => {
    const big = patternFile(300_000);
    const src = headerSource(big.file);
    try {
      const views: [number, Buffer][] = [];
      for (const pos of [0, 61, 200, 40_000, 40_061, 299_000, 5]) views.push([pos, src.read(pos, 61)]);
      for (const [pos, v] of views) expect(Buffer.compare(v, big.data.subarray(pos, pos + 61)), `at ${pos}`).toBe(0);
      expect(src.kind).toBe('pread');
      expect(src.bytesRequested).toBe(61 * views.length);
    } finally {
      src.close();
    }
  });
});

describe('LogBatchReader: logEntries framing through tiny buffers', () => {
  const cases = ['v2-lz4', 'v2-none', 'v2-txn', 'v2-multiseg', 'v1-gzip', 'v0-none', 'corrupt-size', 'corrupt-truncate', 'corrupt-zero-tail', 'corrupt-bad-magic', 'corrupt-crc'];
  for (const c of cases) {
    it(`${c}: the same entries and stop as logEntries, with buffers of 1, 7, 61 bytes and 1 MiB`, () => {
      for (const file of logs(c)) {
        const want = viaLogEntries(file);
        expect(want.entries.length + want.stop.trailingBytes, file).toBeGreaterThan(0);
        for (const size of [...TINY, undefined]) expect(viaBatchReader(file, size), `${file}, buffer ${size}`).toEqual(want);
      }
    });
  }

  it('EOF mid-batch (a torn append), a short tail and a zero-filled tail stop where logEntries stops', () => {
    const whole = fs.readFileSync(V2);
    const dir = tmpDir('kseg-preader-');
    const cut = path.join(dir, 'cut.log');
    const firstSize = 12 + readInt32(whole, SIZE_OFFSET);
    for (const [name, bytes] of [
      ['mid-first-batch', whole.subarray(0, firstSize - 5)],
      ['mid-second-batch', whole.subarray(0, firstSize + 30)],
      ['short-tail', whole.subarray(0, firstSize + 10)],
      ['zero-tail', Buffer.concat([whole, Buffer.alloc(4000)])],
      ['empty', Buffer.alloc(0)],
    ] as const) {
      fs.writeFileSync(cut, bytes);
      const want = viaLogEntries(cut);
      for (const size of [...TINY, undefined]) expect(viaBatchReader(cut, size), `${name}, buffer ${size}`).toEqual(want);
    }
    fs.writeFileSync(cut, whole.subarray(0, firstSize + 30));
    expect(viaBatchReader(cut, 7).stop).toMatchObject({ reason: 'partial-batch', position: firstSize });
  });

  it('a batch is borrowed: the next batch reuses its bytes and its object', () => {
    const r = new LogBatchReader(V2, 61);
    try {
      const a = r.next(undefined, false);
      const aBytes = a !== null && a !== BAD ? Buffer.from((a as { bytes: Buffer }).bytes) : null;
      const b = r.next(undefined, false);
      expect(b).toBe(a); // one v2 Batch object, refilled
      expect(aBytes).not.toBeNull();
    } finally {
      r.close();
    }
  });

  it('window(): whole entries of a chunk, as verify --jobs checks them, with tiny buffers', () => {
    const want = viaLogEntries(V2).entries.map((e) => (e as { position: number }).position);
    const size = fs.statSync(V2).size;
    for (const bufSize of TINY) {
      const r = borrowed(V2, bufSize);
      const seen: number[] = [];
      try {
        let pos = 0;
        while (pos < size) {
          const got = r.window(pos, 12, size);
          const buf = r.bytes;
          const at = r.offsetOf(pos);
          let off = 0;
          for (;;) {
            if (off + 12 > got) break;
            const n = 12 + readInt32(buf, at + off + SIZE_OFFSET);
            if (off + n > got) break;
            seen.push(pos + off);
            off += n;
          }
          if (off === 0) {
            r.window(pos, 12 + readInt32(buf, at + SIZE_OFFSET), size); // one entry larger than the buffer: grow to fit
            continue;
          }
          pos += off;
        }
      } finally {
        r.close();
      }
      expect(seen, `buffer ${bufSize}`).toEqual(want);
    }
    // An entry that runs past the range asked for is an error, even when the buffer holds it.
    const r = borrowed(V2, 4096);
    try {
      expect(r.window(0, 12, 100)).toBe(100);
      expect(() => r.window(0, 200, 100)).toThrow(/read of 200 bytes at 0 runs past the end of the range \(100\)/);
    } finally {
      r.close();
    }
  });
});
