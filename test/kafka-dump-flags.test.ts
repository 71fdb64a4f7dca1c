import fs from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { FIXTURES, HAVE_REAL, REAL, kseg, tmpDir } from './helpers.js';
import { buildPartition } from './partition-builder.js';
import { kafkaContents } from '../src/cli/render.js';
import { decodeBytes, kafkaToolText } from '../src/cli/decoders.js';

// issue 18 "Kafka's muscle memory", the remaining kafka-dump-log.sh flags: --skip-record-metadata
// and the Default/Integer/Long decoder classes (DumpLogSegments, 3.x Scala and the Java port).

let dir = '';
let log = '';
beforeAll(async () => {
  dir = path.join(tmpDir('kseg-dumpflags-'), 'flags-0');
  // Keys of 4, 8, 2 and 5 ASCII bytes, a null key, and a transaction ending in a COMMIT marker.
  await buildPartition(dir, [
    {
      kind: 'data',
      producerId: -1,
      transactional: false,
      records: [
        { key: 'ABCD', value: 'ABCDEFGH' },
        { key: null, value: 'v1' },
      ],
    },
    { kind: 'data', producerId: 7, transactional: true, records: [{ key: 'AB', value: 'ABCDE' }] },
    { kind: 'marker', producerId: 7, commit: true },
  ]);
  log = path.join(dir, '00000000000000000000.log');
});

function recordLines(out: string): string[] {
  // (record lines start with `|`, a space, or are empty; batch lines with `baseOffset:`, or `offset:` for v0/v1)
  return out
    .split('\n')
    .slice(0, -1)
    .filter((l) => l === '' || l.startsWith('|') || l.startsWith(' '));
}

describe('DumpLogSegments --skip-record-metadata (spawned kseg)', () => {
  it('3.x Scala (--format kafka): `| key: K payload: P`; a record without key gives ` payload: P`; a control record an empty line', () => {
    const r = kseg(['dump', '--files', log, '--print-data-log', '--skip-record-metadata']);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(recordLines(r.stdout)).toEqual(['| key: ABCD payload: ABCDEFGH', ' payload: v1', '| key: AB payload: ABCDE', '']);
  });

  it('Java port (--format kafka4, printRecordContents): the `| ` prefix goes on whichever of key and payload comes first', () => {
    const r = kseg(['dump', '--files', log, '--print-data-log', '--skip-record-metadata', '--format', 'kafka4']);
    expect(r.status).toBe(0);
    expect(recordLines(r.stdout)).toEqual(['| key: ABCD payload: ABCDEFGH', '| payload: v1', '| key: AB payload: ABCDE', '']);
  });

  it('without --print-data-log, deep iteration prints one empty line per record; alone it changes nothing (batches only)', () => {
    const deep = kseg(['dump', '--files', log, '--deep-iteration', '--skip-record-metadata']);
    expect(recordLines(deep.stdout)).toEqual(['', '', '', '']);
    expect(kseg(['dump', '--files', log, '--skip-record-metadata']).stdout).toBe(kseg(['dump', '--files', log]).stdout);
  });

  it("is refused with kseg's own text/JSON formats (it only shapes the tool's text)", () => {
    const r = kseg(['dump', log, '--skip-record-metadata', '--json']);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/--skip-record-metadata/);
  });

  it('kafkaContents byte-for-byte (DumpLogSegments 3.x vs Java printRecordContents)', () => {
    expect(kafkaContents('k', 'v', false, true)).toBe(' key: k payload: v');
    expect(kafkaContents(undefined, 'v', false, false)).toBe(' payload: v');
    expect(kafkaContents(undefined, 'v', true, true)).toBe(' payload: v');
    expect(kafkaContents(undefined, 'v', true, false)).toBe('| payload: v');
    expect(kafkaContents('k', undefined, true, true)).toBe('| key: k');
    expect(kafkaContents(undefined, undefined, true, false)).toBe('');
  });

  it.skipIf(!HAVE_REAL)('real data: kafka-rust null-key v0 messages and the ldi-poc KRaft metadata log (control batch → empty line)', () => {
    const v0 = fs.readdirSync(path.join(REAL, 'kafka-rust/fetch2-nocompression-0900/my-topic-0')).find((f) => f.endsWith('.log'))!;
    const f = path.join(REAL, 'kafka-rust/fetch2-nocompression-0900/my-topic-0', v0);
    const scala = recordLines(kseg(['dump', '--files', f, '--print-data-log', '--skip-record-metadata']).stdout);
    const java = recordLines(kseg(['dump', '--files', f, '--print-data-log', '--skip-record-metadata', '--format', 'kafka4']).stdout);
    expect(scala.length).toBeGreaterThan(0);
    expect(scala.every((l) => l.startsWith(' payload: '))).toBe(true);
    expect(java).toEqual(scala.map((l) => `|${l}`));
    const meta = path.join(REAL, 'ldi-poc/kafka-logs/__cluster_metadata-0/00000000000000000000.log');
    const lines = recordLines(kseg(['dump', '--files', meta, '--print-data-log', '--skip-record-metadata']).stdout);
    expect(lines[0]).toBe(''); // the SNAPSHOT/LEADER_CHANGE control record of the first batch
    expect(lines[1]).toMatch(/^ payload: \{"type":"BEGIN_TRANSACTION_RECORD"/);
  });
});

describe('DumpLogSegments --key-decoder-class/--value-decoder-class: tools-api Integer/Long/Default decoders', () => {
  it('IntegerDecoder/LongDecoder: big-endian int/long in decimal; LongDecoder exact beyond 2^53', () => {
    const r = kseg([
      'dump',
      '--files',
      log,
      '--key-decoder-class',
      'org.apache.kafka.tools.api.IntegerDecoder',
      '--value-decoder-class',
      'kafka.serializer.LongDecoder',
      '--skip-record-metadata',
    ]);
    // 'ABCD' = 0x41424344; 'ABCDEFGH' = 0x4142434445464748; 'v1' and 'ABCDE' are too short for a long, 'AB' for an int.
    expect(recordLines(r.stdout)).toEqual(['| key: 1094861636 payload: 4702394921427289928', '', '', '']);
    // ByteBuffer.getInt/getLong on too few bytes: the tool throws BufferUnderflowException and stops; kseg says so (file, batch position, offset) and goes on.
    expect(r.stderr).toMatch(
      /00000000000000000000\.log: batch at byte \d+: offset 1: payload: 2 bytes cannot be read as LongDecoder's 8-byte long \(the tool stops here with java\.nio\.BufferUnderflowException\)/,
    );
    expect(r.stderr).toMatch(/offset 2: key: 2 bytes cannot be read as IntegerDecoder's 4-byte int/);
    expect(r.status).toBe(3);
  });

  it('IntegerDecoder reads the first 4 bytes of a longer array, as ByteBuffer.getInt does', () => {
    expect(kafkaToolText(Buffer.from('ABCDE'), 'int32')).toBe('1094861636');
    expect(kafkaToolText(Buffer.from([0xff, 0xff, 0xff, 0xfe]), 'int32')).toBe('-2');
    expect(kafkaToolText(Buffer.from([0x80, 0, 0, 0, 0, 0, 0, 0]), 'int64')).toBe('-9223372036854775808');
    expect(kafkaToolText(Buffer.from([1, 2, 3]), 'int32')).toBeInstanceOf(Error);
  });

  it('DefaultDecoder (byte[]: the tool prints a per-run [B@hash) is printed as hex; StringDecoder unchanged', () => {
    const r = kseg(['dump', '--files', log, '--value-decoder-class', 'org.apache.kafka.tools.api.DefaultDecoder', '--skip-record-metadata']);
    expect(r.status).toBe(0);
    expect(recordLines(r.stdout).slice(0, 2)).toEqual(['| key: ABCD payload: 4142434445464748', ' payload: 7631']);
    const s = kseg(['dump', '--files', log, '--key-decoder-class', 'kafka.serializer.StringDecoder']);
    expect(s.stdout).toBe(kseg(['dump', '--files', log, '--print-data-log']).stdout);
  });

  it('an unknown decoder class is a usage error that lists what is mapped', () => {
    const r = kseg(['dump', '--files', log, '--value-decoder-class', 'com.acme.AvroDecoder']);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/com\.acme\.AvroDecoder.*Integer and Long/);
  });

  it("kseg's own int32/int64 decoders (--key-decoder/--value-decoder) in NDJSON: number, exact int64 string, wrong length as hex + error", () => {
    const r = kseg(['dump', log, '--ndjson', '--key-decoder', 'int32', '--value-decoder', 'int64']);
    expect(r.status).toBe(0);
    const recs = r.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(recs[0].key).toBe(1094861636);
    expect(recs[0].value).toBe('4702394921427289928');
    expect(recs[1].key).toBe(null);
    expect(recs[1].value).toEqual({ hex: '7631', error: 'int64 needs 8 bytes, got 2' });
    expect(decodeBytes(Buffer.from('ABCDE'), 'int32')).toEqual({ hex: '4142434445', error: 'int32 needs 4 bytes, got 5' });
  });
});

describe('runbook lines pasted after kseg', () => {
  const SEG = path.join(FIXTURES, 'v2-multiseg', 'topic-0', '00000000000000000000.log');
  const IDX = SEG.replace(/\.log$/, '.index');
  // Each line as the source prints it, with kafka-dump-log.sh (or kafka-run-class.sh kafka.tools.DumpLogSegments)
  // replaced by `kseg dump` and the file names pointed at a fixture.
  const lines: [string, string[]][] = [
    // Apache Kafka docs, ops.html, KRaft "Debugging" (Metadata Log Segments):
    //   > bin/kafka-dump-log.sh --cluster-metadata-decoder --files metadata_log_dir/__cluster_metadata-0/00000000000000000000.log
    ['ops.html KRaft metadata', ['--cluster-metadata-decoder', '--files', SEG]],
    // Blog "Kafka-查看分片文件内容" (365seal.com): ./kafka-run-class.sh kafka.tools.DumpLogSegments --print-data-log --files /tmp/kafka-logs/test_partition1-0/00000000000000000000.log
    ['DumpLogSegments print data log', ['--print-data-log', '--files', SEG]],
    // Common runbook form (tutorials such as cosmiclearn.com "Deep Dive Into kafka-dump-log"): kafka-dump-log.sh --deep-iteration --print-data-log --files 00000000000000000000.log
    ['deep iteration first', ['--deep-iteration', '--print-data-log', '--files', SEG]],
    // Blog "Kafka日志数据深度解析" (csdn, section "index文件健康性检查"): kafka-dump-log.sh --files 00000000000000000000.index --index-sanity-check
    ['index sanity check', ['--files', IDX, '--index-sanity-check']],
    // Same article, section "转储文件(--max-message-size)": kafka-dump-log.sh --files 00000000000000000000.index --max-message-size 5242880
    ['index with max message size', ['--files', IDX, '--max-message-size', '5242880']],
    // kafka-dump-log.sh --help's own option names, as a runbook combining them:
    //   --files X --print-data-log --skip-record-metadata --value-decoder-class org.apache.kafka.tools.api.StringDecoder
    ['skip metadata with decoder class', ['--files', SEG, '--print-data-log', '--skip-record-metadata', '--value-decoder-class', 'org.apache.kafka.tools.api.StringDecoder']],
    ['verify index only', ['--files', IDX, '--verify-index-only']],
  ];
  for (const [name, args] of lines) {
    it(`${name}: exit 0, the tool's "Dumping" header, no usage error`, () => {
      const r = kseg(['dump', ...args]);
      expect(r.stderr).not.toMatch(/error/i);
      expect(r.status).toBe(0);
      expect(r.stdout.split('\n')[0]).toMatch(/^Dumping .*0+\.(log|index)$/);
    });
  }
});

describe('DumpLogSegments.dumpIndex --max-message-size (FileRecords.slice + FileLogInputStream.nextBatch)', () => {
  const IDX = path.join(FIXTURES, 'v2-multiseg', 'topic-0', '00000000000000000000.index');
  const firstEntry = (): { offset: number; position: number; size: number } => {
    const r = kseg(['dump', IDX, '--ndjson']);
    const e = JSON.parse(r.stdout.split('\n')[0]!);
    const b = kseg(['dump', IDX.replace(/\.index$/, '.log'), '--batches', '--ndjson'])
      .stdout.trim()
      .split('\n')
      .map((l) => JSON.parse(l))
      .find((x) => x.position === e.position);
    return { offset: e.offset, position: e.position, size: b.size };
  };

  it('default 5242880: every entry checked silently; a batch larger than N is reported naming the .index entry, the .log and the position, and the entries are still listed', () => {
    const quiet = kseg(['dump', '--files', IDX]);
    expect(quiet.stderr).toBe('');
    const { offset, position, size } = firstEntry();
    // exactly the batch size fits; one byte less does not
    const fits = kseg(['dump', '--files', IDX, '--max-message-size', String(size)]);
    expect(fits.stderr).not.toMatch(new RegExp(`entry #0 `));
    const r = kseg(['dump', '--files', IDX, '--max-message-size', String(size - 1)]);
    expect(r.status).toBe(0);
    expect(r.stdout).toBe(quiet.stdout);
    expect(r.stderr).toContain(
      `00000000000000000000.index: entry #0 (offset ${offset}) points at position ${position} of 00000000000000000000.log, where the batch is ${size} bytes, more than --max-message-size ${size - 1}`,
    );
    expect(r.stderr).toMatch(/the tool aborts here with NoSuchElementException/);
  });

  it('17 bytes or fewer hold no batch (HEADER_SIZE_UP_TO_MAGIC): every entry is reported', () => {
    const r = kseg(['dump', '--files', IDX, '--max-message-size', '17', '--verify-index-only']);
    const n = kseg(['dump', IDX, '--ndjson']).stdout.trim().split('\n').length;
    expect(r.stdout.trim().split('\n')).toEqual([`Dumping ${IDX}`]);
    // the first in full, then one count for the file
    expect(r.stderr).toMatch(/entry #0 .*17 bytes or fewer/);
    expect(r.stderr.split('\n').filter((l) => l.startsWith('kseg: note:')).length).toBe(2);
    expect(r.stderr).toContain(`${n} entries in all point at batches larger than --max-message-size 17`);
  });

  it('is refused outside the kafka formats', () => {
    expect(kseg(['dump', IDX, '--max-message-size', '100', '--ndjson']).status).toBe(2);
  });

  it.skipIf(!HAVE_REAL)('real data: pinterest timeindex_test (indexed batches of 130-136 bytes): 136 checks every entry silently, 135 counts the 136-byte ones', () => {
    const f = path.join(REAL, 'pinterest-tiered-storage/ts-common/timeindex_test/00000000000000000000.index');
    const positions = new Set(
      kseg(['dump', f, '--ndjson'])
        .stdout.trim()
        .split('\n')
        .map((l) => JSON.parse(l).position),
    );
    const sizes = kseg(['dump', f.replace(/\.index$/, '.log'), '--batches', '--ndjson'])
      .stdout.trim()
      .split('\n')
      .map((l) => JSON.parse(l))
      .filter((b) => positions.has(b.position))
      .map((b) => b.size as number);
    expect(sizes.length).toBe(positions.size);
    const max = Math.max(...sizes);
    const ok = kseg(['dump', '--files', f, '--max-message-size', String(max), '--verify-index-only']);
    expect(ok.status).toBe(0);
    expect(ok.stderr).toBe('');
    const bad = kseg(['dump', '--files', f, '--max-message-size', String(max - 1), '--verify-index-only']);
    expect(bad.status).toBe(0);
    const over = sizes.filter((s) => s === max).length;
    expect(bad.stderr).toMatch(new RegExp(`where the batch is ${max} bytes, more than --max-message-size ${max - 1}`));
    if (over > 1) expect(bad.stderr).toContain(`${over} entries in all point at batches larger than --max-message-size ${max - 1} (the largest ${max} bytes)`);
  });
});

describe('every DumpLogSegments option is accepted (the option list of DumpLogSegmentsOptions, 3.x and Java port alike)', () => {
  const TOOL_OPTIONS = [
    'cluster-metadata-decoder',
    'deep-iteration',
    'files',
    'index-sanity-check',
    'key-decoder-class',
    'max-bytes',
    'max-message-size',
    'offsets-decoder',
    'print-data-log',
    'remote-log-metadata-decoder',
    'share-group-state-decoder',
    'skip-record-metadata',
    'transaction-log-decoder',
    'value-decoder-class',
    'verify-index-only',
  ];
  it('kseg dump --help lists each one', () => {
    const help = kseg(['dump', '--help']).stdout;
    for (const o of TOOL_OPTIONS) expect(help, o).toMatch(new RegExp(`--${o}\\b`));
  });
});
