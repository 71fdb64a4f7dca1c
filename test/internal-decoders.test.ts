import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { batchRecords } from '../src/format/batch.js';
import { decodeControlPayload, decodeInternalRecord, expandConsumerProtocol, internalTopicOf, type DecodedPart, type DecodedRecord } from '../src/format/kafka-messages/index.js';
import { internalJson } from '../src/format/kafka-messages/codec.js';
import { logEntries } from '../src/storage/log-reader.js';
import { openSource } from '../src/storage/source.js';
import { HAVE_REAL, REAL } from './helpers.js';

const LDI = path.join(REAL, 'ldi-poc', 'kafka-logs');
const EXPECTED = path.join(REAL, 'expected-internal', 'ldi-poc', 'kafka-logs');
const HAVE_INTERNAL = HAVE_REAL && fs.existsSync(EXPECTED);
if (!HAVE_INTERNAL) console.warn(`note: ${EXPECTED} is absent; real internal-topic decoding tests are skipped`);

function* recordsOf(file: string): Generator<{ offset: number; decoded: DecodedRecord }> {
  const dir = path.basename(path.dirname(file));
  const decoder = internalTopicOf(dir.replace(/-\d+$/, '')) ?? 'cluster-metadata';
  const gen = logEntries(openSource(file), { file });
  for (;;) {
    const it = gen.next();
    if (it.done) break;
    if (it.value.kind !== 'batch') throw it.value.error;
    const batch = it.value.batch;
    for (const r of batchRecords(batch)) {
      yield { offset: r.offset, decoded: batch.isControl ? decodeControlPayload(r.key, r.value) : decodeInternalRecord(decoder, r.key, r.value) };
    }
  }
}

function logFilesOf(target: string): string[] {
  if (!fs.statSync(target).isDirectory()) return [target];
  return fs
    .readdirSync(target)
    .filter((n) => /^\d{20}\.log$/.test(n))
    .sort()
    .map((n) => path.join(target, n));
}

/** The expected line's {type, version, data} (its `id` and `kind` are the oracle's own). */
function strip(p: { type: string; version: number; data: unknown } | null): unknown {
  return p === null ? null : { type: p.type, version: p.version, data: p.data };
}
function ours(p: DecodedPart): unknown {
  return JSON.parse(internalJson(p));
}

describe.skipIf(!HAVE_INTERNAL)('internal topics of real Kafka 3.7 data decode as Kafka JsonConverter does (expected-internal/)', () => {
  const names = HAVE_INTERNAL ? fs.readdirSync(EXPECTED).filter((n) => n.endsWith('.records.ndjson')) : [];
  it('finds the expected-internal listings', () => {
    expect(names.length).toBeGreaterThan(0);
  });
  for (const name of names) {
    const target = name.replace(/\.records\.ndjson$/, '');
    it(`${target}: every record decodes, no unknown types, data equals expected-internal`, () => {
      const expected = fs
        .readFileSync(path.join(EXPECTED, name), 'utf8')
        .split('\n')
        .filter(Boolean)
        .map((l) => JSON.parse(l));
      const expanded = path.join(EXPECTED, name.replace(/\.records\.ndjson$/, '.records.consumer-protocol.ndjson'));
      const expectedExpanded = fs.existsSync(expanded)
        ? fs
            .readFileSync(expanded, 'utf8')
            .split('\n')
            .filter(Boolean)
            .map((l) => JSON.parse(l))
        : null;
      const got: { offset: number; decoded: DecodedRecord }[] = [];
      for (const f of logFilesOf(path.join(LDI, target))) for (const r of recordsOf(f)) got.push(r);
      expect(got.length).toBe(expected.length);
      got.forEach((g, i) => {
        const e = expected[i];
        expect(g.offset).toBe(e.offset);
        expect(JSON.stringify(g)).not.toContain('"unknown"');
        expect({ offset: g.offset, key: ours(g.decoded.key), value: ours(g.decoded.value) }).toEqual({ offset: e.offset, key: strip(e.key), value: strip(e.value) });
        if (expectedExpanded) {
          const x = expandConsumerProtocol(g.decoded);
          expect({ key: ours(x.key), value: ours(x.value) }).toEqual({ key: strip(expectedExpanded[i].key), value: strip(expectedExpanded[i].value) });
        }
      });
    });
  }
});
