import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { encodeV2Batch } from '../src/format/encode.js';
import { encodeApiFramed, encodeControlRecord } from '../src/format/kafka-messages/index.js';
import { NotFoundError } from '../src/format/errors.js';
import { segmentFileName } from '../src/storage/segments.js';
import { lookup } from '../src/ops/lookup.js';
import { HAVE_REAL, kseg, REAL, tmpDir } from './helpers.js';

// __cluster_metadata-0 as log + KRaft snapshots (KafkaMetadataLog / KafkaRaftClient): after a
// snapshot <E>-<epoch>.checkpoint the log may be cleaned up to E, so the log start offset becomes a
// snapshot's end offset; a snapshot holds the state after every record below E, its own records
// numbered from 0.

const T0 = 1_700_000_000_000;
const topic = (name: string): Buffer => encodeApiFramed('cluster-metadata', 2, 0, { name, topicId: 'AAAAAAAAAAAAAAAAAAAAAQ' });

/** One batch per record from `base`: metadata TopicRecords named t<offset>. */
async function logBytes(base: number, n: number): Promise<Buffer> {
  const out: Buffer[] = [];
  for (let o = base; o < base + n; o++)
    out.push(await encodeV2Batch({ baseOffset: o, records: [{ offsetDelta: 0, timestamp: T0 + o, key: null, value: topic(`t${o}`) }], partitionLeaderEpoch: 3 }));
  return Buffer.concat(out);
}

/** A snapshot: header, `n` TopicRecords s0.., footer; internal offsets 0..n+1. */
async function snapshotBytes(n: number): Promise<Buffer> {
  const h = encodeControlRecord(3, { version: 0, lastContainedLogTimestamp: T0 });
  const f = encodeControlRecord(4, { version: 0 });
  const out = [await encodeV2Batch({ baseOffset: 0, records: [{ offsetDelta: 0, timestamp: T0, key: h.key, value: h.value }], isControl: true, partitionLeaderEpoch: 3 })];
  out.push(
    await encodeV2Batch({
      baseOffset: 1,
      records: Array.from({ length: n }, (_, i) => ({ offsetDelta: i, timestamp: T0, key: null, value: topic(`s${i}`) })),
      partitionLeaderEpoch: 3,
    }),
  );
  out.push(await encodeV2Batch({ baseOffset: n + 1, records: [{ offsetDelta: 0, timestamp: T0, key: f.key, value: f.value }], isControl: true, partitionLeaderEpoch: 3 }));
  return Buffer.concat(out);
}

/** Snapshots at end offsets 10 and 20, the log cleaned up to 20 and holding 20..29. */
async function cleanedDir(): Promise<string> {
  const dir = path.join(tmpDir('kseg-lookup-kraft-'), '__cluster_metadata-0');
  fs.mkdirSync(dir);
  fs.writeFileSync(path.join(dir, '00000000000000000010-0000000002.checkpoint'), await snapshotBytes(3));
  fs.writeFileSync(path.join(dir, '00000000000000000020-0000000003.checkpoint'), await snapshotBytes(5));
  fs.writeFileSync(path.join(dir, segmentFileName(20, 'log')), await logBytes(20, 10));
  return dir;
}

function notFound(fn: () => unknown): NotFoundError {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(NotFoundError);
    return e as NotFoundError;
  }
  throw new Error('expected a NotFoundError');
}

describe('lookup on __cluster_metadata-0: log + KRaft snapshots', () => {
  it('KafkaMetadataLog: an offset in the log is found in the log, as for any partition', async () => {
    const dir = await cleanedDir();
    const r = lookup(dir, { offset: 25 });
    expect(r.segment).toBe(segmentFileName(20, 'log'));
    expect(r.record?.value?.equals(topic('t25'))).toBe(true);
    expect(r.snapshot).toBeUndefined();
  });

  it('KafkaMetadataLog: below the log start offset names the snapshot holding the state and the metadata command', async () => {
    const dir = await cleanedDir();
    // Record 19 is the last below end offset 20: that snapshot is exactly the state as of it.
    const e19 = notFound(() => lookup(dir, { offset: 19 }));
    expect(e19.code).toBe('OFFSET_OUT_OF_RANGE');
    expect(e19.message).toContain('offset 19 is outside the log [logStartOffset 20');
    expect(e19.message).toContain('the state as of it is in snapshot 00000000000000000020-0000000003.checkpoint (end offset 20)');
    expect(e19.message).toContain(`kseg metadata ${dir} --at-offset 19`);
    // Record 15: the earliest kept state including it is the snapshot ending at 20.
    const e15 = notFound(() => lookup(dir, { offset: 15 }));
    expect(e15.message).toContain('the earliest state kept that includes it is snapshot 00000000000000000020-0000000003.checkpoint (end offset 20: the state as of offset 19)');
    // Record 9: the older snapshot ending at 10 is exactly the state as of it.
    const e9 = notFound(() => lookup(dir, { offset: 9 }));
    expect(e9.message).toContain('snapshot 00000000000000000010-0000000002.checkpoint (end offset 10)');
    expect(e9.message).toContain('--at-offset 9');
    // Beyond the log end: a plain out-of-range, no snapshot talk.
    const e99 = notFound(() => lookup(dir, { offset: 99 }));
    expect(e99.message).not.toContain('snapshot');
  });

  it('the --at-offset the hint gives is one `kseg metadata` answers from that snapshot', async () => {
    const dir = await cleanedDir();
    const r = kseg(['metadata', dir, '--at-offset', '19', '--json']);
    expect(r.status).toBe(0);
    expect(JSON.parse(r.stdout).snapshot.file).toBe('00000000000000000020-0000000003.checkpoint');
  });

  it('a directory holding only snapshots (log cleaned to the latest) still answers with the snapshot', async () => {
    const dir = await cleanedDir();
    fs.rmSync(path.join(dir, segmentFileName(20, 'log')));
    const e = notFound(() => lookup(dir, { offset: 3 }));
    expect(e.message).toContain('no log segments, only KRaft snapshots');
    expect(e.message).toContain('00000000000000000010-0000000002.checkpoint');
    const late = notFound(() => lookup(dir, { offset: 25 }));
    expect(late.message).toContain('no snapshot reaches it');
  });

  it('KafkaRaftClient snapshots: lookup of a .checkpoint file finds the record at its internal offset', async () => {
    const dir = await cleanedDir();
    const file = path.join(dir, '00000000000000000020-0000000003.checkpoint');
    const r = lookup(file, { offset: 3 });
    expect(r.snapshot).toEqual({ file: '00000000000000000020-0000000003.checkpoint', endOffset: 20, epoch: 3 });
    expect(r.record?.offset).toBe(3);
    expect(r.record?.value?.equals(topic('s2'))).toBe(true);
    expect(r.batch?.baseOffset).toBe(1);
    // Header (0) and footer (6) are records too.
    expect(lookup(file, { offset: 6 }).batch?.isControl).toBe(true);
    expect(notFound(() => lookup(file, { offset: 7 })).message).toContain('internal offsets run 0..6');
    const cli = kseg(['lookup', file, '--offset', '3', '--json']);
    expect(cli.status).toBe(0);
    const j = JSON.parse(cli.stdout);
    expect(j.snapshot).toEqual({ file: '00000000000000000020-0000000003.checkpoint', endOffset: 20, epoch: 3 });
    expect(j.record.offset).toBe(3);
    const ts = kseg(['lookup', file, '--timestamp', 'latest']);
    expect(ts.status).toBe(2);
    expect(ts.stderr).toContain('look one up with --offset');
  });

  it('real data: lookup of bootstrap.checkpoint and of __cluster_metadata-0 (Kafka 3.7)', (ctx) => {
    const logDir = path.join(REAL, 'ldi-poc', 'kafka-logs');
    if (!HAVE_REAL || !fs.existsSync(path.join(logDir, 'bootstrap.checkpoint'))) {
      console.log('skipped: ../shared/real/ldi-poc absent');
      ctx.skip();
      return;
    }
    const r = kseg(['lookup', path.join(logDir, 'bootstrap.checkpoint'), '--offset', '1', '--json']);
    expect(r.status).toBe(0);
    const j = JSON.parse(r.stdout);
    expect(j.snapshot).toEqual({ file: 'bootstrap.checkpoint', endOffset: 0, epoch: 0 });
    expect(j.record.offset).toBe(1);
    const d = kseg(['lookup', path.join(logDir, '__cluster_metadata-0'), '--offset', '5', '--json']);
    expect(d.status).toBe(0);
    expect(JSON.parse(d.stdout).snapshot).toBeUndefined();
  });
});
