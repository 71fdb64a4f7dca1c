import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { decodeInternalRecordForJson, decodedPartJson, type InternalDecoder } from '../src/format/kafka-messages/index.js';
import { kseg, tmpDir } from './helpers.js';

/**
 * dump --ndjson of internal topics writes `decoded` with the compiled byte writers
 * (format/kafka-messages/json-writer.ts via JsonLinesWriter.decodedBatch); the object decoder
 * (decodeInternalRecordForJson + decodedPartJson) is the oracle: each line's `decoded` text must be
 * what it gives for the line's own raw key and value, also after bytes inside the records are
 * changed (a record that no longer decodes: decoded null + decodeError, exit 3).
 */
const root = tmpDir('kseg-dump-bytes-');
const kinds: [string, InternalDecoder, string][] = [
  ['offsets', 'offsets', '__consumer_offsets-1'],
  ['transactions', 'transaction', '__transaction_state-2'],
  ['share-group-state', 'share-group-state', '__share_group_state-3'],
  ['metadata', 'cluster-metadata', '__cluster_metadata-0'],
];

function check(stdout: string, decoder: InternalDecoder): { decoded: number; errors: number } {
  let decoded = 0;
  let errors = 0;
  for (const line of stdout.split('\n')) {
    if (line === '') continue;
    const o = JSON.parse(line);
    if (o.batch.isControl) continue;
    const key = o.key === null ? null : Buffer.from(o.key, 'base64');
    const value = o.value === null ? null : Buffer.from(o.value, 'base64');
    let want: string | null;
    try {
      const x = decodeInternalRecordForJson(decoder, key, value);
      want = `"decoded":{"key":${decodedPartJson(x.key)},"value":${decodedPartJson(x.value)}}}`;
    } catch {
      want = null;
    }
    if (want === null) {
      expect(o.decoded).toBeNull();
      expect(o.decodeError).toMatch(new RegExp(`^record at offset ${o.offset} \\(batch at byte \\d+\\) does not decode: .* at byte \\d+ of the (key|value)$`));
      errors++;
    } else {
      expect(line.endsWith(want)).toBe(true);
      decoded++;
    }
  }
  return { decoded, errors };
}

describe('dump --ndjson of internal topics: the byte-written decoded member = the object decoder, intact and corrupted', () => {
  const totals = { errors: 0 };
  for (const [kind, decoder, name] of kinds) {
    it(`${name}`, () => {
      const dir = path.join(root, name);
      expect(kseg(['generate', dir, '--internal', kind, '--records', '400', '--tombstone-ratio', '0.1', '--no-fsync']).status).toBe(0);
      const intact = kseg(['dump', dir, '--ndjson']);
      expect(intact.status).toBe(0);
      expect(check(intact.stdout, decoder).errors).toBe(0);
      // change bytes inside the records (past the first batch header): CRCs fail, records decode or not
      const log = path.join(dir, '00000000000000000000.log');
      const buf = fs.readFileSync(log);
      let seed = 7;
      for (let i = 0; i < 30; i++) {
        seed = (seed * 1103515245 + 12345) & 0x7fffffff;
        buf[200 + (seed % (buf.length - 200))] = seed & 0xff;
      }
      fs.writeFileSync(log, buf);
      const bad = kseg(['dump', dir, '--ndjson']);
      const got = check(bad.stdout, decoder);
      expect(got.decoded).toBeGreaterThan(20);
      if (got.errors > 0) expect(bad.status).toBe(3);
      totals.errors += got.errors;
    }, 120_000);
  }
  it('the corrupted partitions include records that no longer decode', () => {
    expect(totals.errors).toBeGreaterThan(0);
  });
});
