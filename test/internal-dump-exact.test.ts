import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import fs from 'node:fs';
import { decodeControlPayload, decodeInternalRecord, decodedPartJson, type InternalDecoder } from '../src/format/kafka-messages/index.js';
import { kseg, tmpDir } from './helpers.js';

// The NDJSON dump of an internal topic writes `decoded` through the fast JSON walk (readStructJson's
// compiled plans, codec.ts). Its bytes must equal the exact object path: decodeInternalRecord
// (CoordinatorRecordSerde / MetadataRecordSerde framing, JsonConverter-shaped objects) then
// internalJson — record by record, for random generated partitions of every internal topic.
const root = tmpDir('kseg-internal-exact-');
afterAll(() => fs.rmSync(root, { recursive: true, force: true }));

const cases: [string, InternalDecoder][] = [
  ['offsets', 'offsets'],
  ['transactions', 'transaction'],
  ['share-group-state', 'share-group-state'],
  ['metadata', 'cluster-metadata'],
];

describe('dump --ndjson of internal topics: "decoded" bytes equal the exact object path', () => {
  for (const [kind, decoder] of cases) {
    it(`${kind}: seeds 1..3, every line's decoded member equals decodedPartJson(decodeInternalRecord(...))`, () => {
      for (const seed of [1, 2, 3]) {
        const dir = path.join(root, `${kind}-${seed}`, 'p-0');
        const g = kseg(['generate', dir, '--internal', kind, '--seed', String(seed), '--records', '400', '--tombstone-ratio', '0.15', '--compression', 'none,zstd', '--no-fsync']);
        expect(g.status).toBe(0);
        const r = kseg(['dump', dir, '--ndjson', '--internal-decoder', decoder]);
        expect(r.status).toBe(0);
        const lines = r.stdout.split('\n').filter((l) => l.startsWith('{"offset":'));
        expect(lines.length).toBeGreaterThan(100);
        for (const line of lines) {
          const at = line.indexOf(',"decoded":');
          expect(at).toBeGreaterThan(0);
          const rec = JSON.parse(line);
          const key = rec.key === null ? null : Buffer.from(rec.key, 'base64');
          const value = rec.value === null ? null : Buffer.from(rec.value, 'base64');
          const d = rec.batch.isControl ? decodeControlPayload(key, value) : decodeInternalRecord(decoder, key, value);
          expect(line.slice(at)).toBe(`,"decoded":{"key":${decodedPartJson(d.key)},"value":${decodedPartJson(d.value)}}}`);
        }
      }
    });
  }
});
