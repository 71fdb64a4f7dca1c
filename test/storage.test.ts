import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { openSource, mmapModule } from '../src/storage/source.js';
import { logEntries, collect } from '../src/storage/log-reader.js';
import { scanPartitionDir, parseSegmentName, resolveInputs } from '../src/storage/segments.js';
import { batchRecordList } from '../src/format/batch.js';
import { FIXTURES, tmpDir } from './helpers.js';

const LOG = path.join(FIXTURES, 'v2-lz4', 'topic-0', '00000000000000000000.log');

function readAll(opts: Parameters<typeof openSource>[1]) {
  const src = openSource(LOG, opts);
  try {
    const { items, result } = collect(logEntries(src, { file: 'x.log' }));
    return {
      kind: src.kind,
      stop: result,
      batches: items.map((i) =>
        i.kind === 'batch'
          ? [
              i.batch.position,
              i.batch.baseOffset,
              i.batch.crc,
              batchRecordList(i.batch)
                .map((r) => r.value!.toString('base64'))
                .join(),
            ]
          : i.kind,
      ),
    };
  } finally {
    src.close();
  }
}

describe('byte sources', () => {
  const reference = readAll({ reader: 'pread' });

  it('positional reads with 1-byte chunks give the same batches (boundary bugs)', () => {
    const r = readAll({ reader: 'pread', chunkSize: 1 });
    expect(r.batches).toEqual(reference.batches);
    expect(r.stop).toEqual(reference.stop);
  });
  it.skipIf(!mmapModule())('memory-mapped windows of one page give the same batches', () => {
    const r = readAll({ reader: 'auto', mmapWindow: 4096 });
    expect(r.kind).toBe('mmap');
    expect(r.batches).toEqual(reference.batches);
  });
  it('views stay valid after later reads (buffers are never reused)', () => {
    const src = openSource(LOG, { reader: 'pread', chunkSize: 64 });
    const a = src.read(0, 61);
    const copy = Buffer.from(a);
    src.read(5000, 100);
    src.read(20000, 100);
    expect(a).toEqual(copy);
    src.close();
  });
  it('0-byte files open (positional fallback) and reads outside the file are refused', () => {
    const d = tmpDir();
    const p = path.join(d, '00000000000000000000.log');
    fs.writeFileSync(p, '');
    const src = openSource(p);
    expect(src.size).toBe(0);
    expect(src.kind).toBe('pread');
    expect(collect(logEntries(src)).result.reason).toBe('eof');
    expect(() => src.read(0, 1)).toThrow(/outside the file/);
    src.close();
  });
  it('never writes to its input', () => {
    const before = fs.statSync(LOG).mtimeMs;
    readAll({});
    expect(fs.statSync(LOG).mtimeMs).toBe(before);
  });
});

describe('segment discovery', () => {
  it('parses 20-digit names and suffix leftovers', () => {
    expect(parseSegmentName('00000000000000000042.log')).toEqual({ baseOffset: 42, kind: 'log', leftover: undefined, irregular: false });
    expect(parseSegmentName('00000000000000000042.index.swap')).toMatchObject({ kind: 'index', leftover: 'swap' });
    expect(parseSegmentName('42.log')).toMatchObject({ baseOffset: 42, irregular: true });
    expect(parseSegmentName('leader-epoch-checkpoint')).toBeNull();
  });
  it('sorts by base offset and reports leftovers and orphans instead of tripping on them', () => {
    const d = tmpDir();
    for (const f of [
      '00000000000000000100.log',
      '00000000000000000100.index',
      '00000000000000000000.log',
      '00000000000000000000.log.deleted',
      '00000000000000000050.log.cleaned',
      '00000000000000000300.index',
      '00000000000000000100.snapshot',
      'partition.metadata',
      'leader-epoch-checkpoint',
      'notes.txt',
    ])
      fs.writeFileSync(path.join(d, f), '');
    const p = scanPartitionDir(d);
    expect(p.segments.map((s) => s.baseOffset)).toEqual([0, 100]);
    expect(p.segments[1]!.index).toBe('00000000000000000100.index');
    expect(p.leftovers.map((l) => [l.file, l.kind])).toEqual([
      ['00000000000000000000.log.deleted', 'deleted'],
      ['00000000000000000050.log.cleaned', 'cleaned'],
    ]);
    expect(p.orphans).toEqual(['00000000000000000300.index']);
    expect(p.snapshots.map((s) => s.offset)).toEqual([100]);
    expect(p.other).toEqual(['notes.txt']);
  });
  it('missing paths are I/O errors naming the path', () => {
    expect(() => resolveInputs(['/nonexistent/kseg'])).toThrow(/no such file/);
  });
});
