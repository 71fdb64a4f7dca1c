import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { HAVE_REAL, REAL, kseg, ndjsonLines, tmpDir } from './helpers.js';

/**
 * `kseg lookup` of an internal topic's record shows it decoded exactly as `dump` decodes it
 * (DumpLogSegments' OffsetsMessageParser / TransactionLogMessageParser / ClusterMetadataLogMessageParser):
 * the same `decoded` member in --json, the same decoded line in text, the same flags.
 */

/** Dump's record line for an offset (its `decoded` member and raw key/value). */
function dumpLine(dir: string, offset: number, extra: string[] = []): any {
  const r = kseg(['dump', dir, '--ndjson', '--from-offset', String(offset), '--to-offset', String(offset), ...extra]);
  const lines = ndjsonLines(r.stdout).filter((l) => l.offset === offset);
  expect(lines).toHaveLength(1);
  return lines[0];
}

/** The exact `"decoded":…` text of a dump line (int64 digits as written, not as JSON.parse reads them). */
function decodedText(line: string): string {
  return line.slice(line.indexOf('"decoded":'), -1);
}

const root = tmpDir('kseg-lookup-internal-');
const generated: [string, string][] = [
  ['offsets', '__consumer_offsets-7'],
  ['transactions', '__transaction_state-3'],
  ['share-group-state', '__share_group_state-1'],
  ['metadata', '__cluster_metadata-0'],
];

describe('lookup decodes generated internal partitions as dump does (every record type and version)', () => {
  for (const [kind, name] of generated) {
    it(`${name} (generate --internal ${kind}): every offset, --json and text`, () => {
      const dir = path.join(root, name);
      expect(kseg(['generate', dir, '--internal', kind, '--records', '150', '--tombstone-ratio', '0.1', '--no-fsync']).status).toBe(0);
      const dumped = kseg(['dump', dir, '--ndjson']);
      expect(dumped.status).toBe(0);
      const lines = dumped.stdout.split('\n').filter((l) => l !== '');
      expect(lines.length).toBeGreaterThan(100);
      // every 20th record (and the last): lookup --json's record = dump's line, decoded member byte for byte
      const picks = lines.filter((_, i) => i % 20 === 0 || i === lines.length - 1);
      for (const line of picks) {
        const want = JSON.parse(line);
        const r = kseg(['lookup', dir, '--offset', String(want.offset), '--json']);
        expect(r.stderr).toBe('');
        expect(r.status).toBe(0);
        const got = JSON.parse(r.stdout);
        expect(got.record).toEqual(want);
        expect(r.stdout).toContain(decodedText(line) + '},"bytesScanned"');
      }
      // text: dump's decoded line for the same offset
      const want = JSON.parse(picks[1]!);
      const text = kseg(['lookup', dir, '--offset', String(want.offset)]);
      expect(text.status).toBe(0);
      const dumpText = kseg(['dump', dir, '--from-offset', String(want.offset), '--to-offset', String(want.offset)]);
      const recLine = dumpText.stdout.split('\n').find((l) => l.startsWith(`  ${want.offset} `));
      expect(recLine).toBeDefined();
      expect(text.stdout.split('\n')).toContain(recLine);
    }, 180_000);
  }

  it('the same flags as dump: --internal-decoder none / --decoder turn it off, Kafka spellings force it, decoders are exclusive', () => {
    const dir = path.join(root, 'plain-name-0');
    expect(kseg(['generate', dir, '--internal', 'offsets', '--records', '20', '--no-fsync']).status).toBe(0);
    // not an internal topic's name: raw bytes unless forced
    const raw = JSON.parse(kseg(['lookup', dir, '--offset', '3', '--json']).stdout);
    expect(raw.record.decoded).toBeUndefined();
    for (const flag of [['--offsets-decoder'], ['--internal-decoder', 'offsets'], ['--internal-decoder', 'consumer-offsets']]) {
      const r = kseg(['lookup', dir, '--offset', '3', '--json', ...flag]);
      expect(r.status).toBe(0);
      const got = JSON.parse(r.stdout).record;
      expect(got).toEqual(dumpLine(dir, 3, flag));
      expect(got.decoded.key.type).toMatch(/Key$/);
    }
    const named = path.join(root, '__consumer_offsets-7');
    for (const off of [
      ['--internal-decoder', 'none'],
      ['--decoder', 'hex'],
    ]) {
      const got = JSON.parse(kseg(['lookup', named, '--offset', '3', '--json', ...off]).stdout).record;
      expect(got.decoded).toBeUndefined();
      expect(got).toEqual(dumpLine(named, 3, off));
    }
    const both = kseg(['lookup', named, '--offset', '3', '--offsets-decoder', '--transaction-log-decoder']);
    expect(both.status).toBe(2);
    expect(both.stderr).toMatch(/exclusive/);
    const bad = kseg(['lookup', named, '--offset', '3', '--internal-decoder', 'nope']);
    expect(bad.status).toBe(2);
    expect(bad.stderr).toMatch(/unknown internal-topic decoder 'nope'/);
  });

  it('a record that does not decode: decoded null + decodeError naming offset and byte, one error line, exit 3 (as dump)', () => {
    const dir = path.join(root, 'wrong-decoder-0');
    expect(kseg(['generate', dir, '--internal', 'offsets', '--records', '20', '--no-fsync']).status).toBe(0);
    // offsets records read as metadata records: frame version 0 is unknown, or the bytes do not follow
    const lines = ndjsonLines(kseg(['dump', dir, '--ndjson', '--internal-decoder', 'transaction']).stdout);
    const bad = lines.find((l) => l.decoded === null);
    expect(bad).toBeDefined();
    const r = kseg(['lookup', dir, '--offset', String(bad.offset), '--json', '--internal-decoder', 'transaction']);
    expect(r.status).toBe(3);
    const got = JSON.parse(r.stdout).record;
    expect(got.decoded).toBeNull();
    expect(got.decodeError).toBe(bad.decodeError);
    expect(got.decodeError).toMatch(new RegExp(`record at offset ${bad.offset} .* at byte \\d+ of the (key|value)`));
    expect(r.stderr).toContain(bad.decodeError);
    const text = kseg(['lookup', dir, '--offset', String(bad.offset), '--internal-decoder', 'transaction']);
    expect(text.status).toBe(3);
    expect(text.stdout).toMatch(/does not decode: record at offset/);
  });
});

describe.skipIf(!HAVE_REAL)('lookup on real internal partitions (Kafka 3.7 KRaft log dir, ../shared/real)', () => {
  const logDir = path.join(REAL, 'ldi-poc', 'kafka-logs');
  const dirs = HAVE_REAL
    ? fs
        .readdirSync(logDir)
        .filter((d) => /^(__consumer_offsets-\d+|__cluster_metadata-0)$/.test(d))
        .map((d) => path.join(logDir, d))
        .filter((d) => fs.readdirSync(d).some((f) => f.endsWith('.log') && fs.statSync(path.join(d, f)).size > 0))
    : [];

  it('every record of every non-empty __consumer_offsets-N and __cluster_metadata-0: lookup --json = dump --ndjson, no unknown type, no error', () => {
    expect(dirs.some((d) => d.includes('__consumer_offsets-'))).toBe(true);
    expect(dirs.some((d) => d.endsWith('__cluster_metadata-0'))).toBe(true);
    let n = 0;
    for (const dir of dirs) {
      const lines = kseg(['dump', dir, '--ndjson'])
        .stdout.split('\n')
        .filter((l) => l !== '');
      // five records spread over each
      const step = Math.max(1, Math.ceil(lines.length / 5));
      for (let i = 0; i < lines.length; i += step) {
        const want = JSON.parse(lines[i]!);
        const r = kseg(['lookup', dir, '--offset', String(want.offset), '--json']);
        expect(r.stderr).toBe('');
        expect(r.status).toBe(0);
        expect(JSON.parse(r.stdout).record).toEqual(want);
        expect(want.decoded).not.toBeNull();
        expect(JSON.stringify(want.decoded)).not.toContain('"unknown":true');
        n++;
      }
    }
    expect(n).toBeGreaterThan(5);
  }, 300_000);

  it('text: the decoded key => value of a committed offset, the metadata record of __cluster_metadata-0', () => {
    const offsets = dirs.find((d) => d.includes('__consumer_offsets-'))!;
    const t = kseg(['lookup', offsets, '--offset', '1']);
    expect(t.status).toBe(0);
    expect(t.stdout).toMatch(/ 1 \S+ (OffsetCommitKey|GroupMetadataKey) v0 \{"group":/);
    const meta = kseg(['lookup', path.join(logDir, '__cluster_metadata-0'), '--offset', '5']);
    expect(meta.status).toBe(0);
    expect(meta.stdout).toMatch(/ 5 \S+ \w+Record v\d+ \{/);
  });
});
