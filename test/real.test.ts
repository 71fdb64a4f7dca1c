import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { dump, type DumpEvent } from '../src/ops/dump.js';
import { batchJson, recordJson } from '../src/cli/render.js';
import { HAVE_REAL, REAL, readNdjson } from './helpers.js';

/**
 * Data written by real brokers and clients (../shared/real), read in place, never copied into the
 * repository. Skipped with a note when that directory is absent (a user's fresh clone).
 */
if (!HAVE_REAL) console.warn(`note: ${REAL} is absent; real broker/client data tests are skipped`);

const b64 = { key: 'base64', value: 'base64', header: 'base64' } as const;

function dataFiles(): string[] {
  if (!HAVE_REAL) return [];
  const out: string[] = [];
  const walk = (d: string): void => {
    for (const e of fs.readdirSync(d, { withFileTypes: true })) {
      const p = path.join(d, e.name);
      if (e.isDirectory()) {
        if (path.relative(REAL, p) !== 'expected') walk(p);
      } else if (/\.(log|index|timeindex|snapshot)$/.test(e.name)) out.push(path.relative(REAL, p));
    }
  };
  walk(REAL);
  return out.sort();
}

const expectedFor = (rel: string, kind: string): string => path.join(REAL, 'expected', `${rel}.${kind}`);

function events(p: string, records: boolean): DumpEvent[] {
  return [...dump([p], { records })];
}

describe.skipIf(!HAVE_REAL)('real broker and client data', () => {
  const files = dataFiles();
  it('finds the data files', () => {
    expect(files.length).toBeGreaterThan(100);
  });

  for (const rel of files.filter((f) => f.endsWith('.log'))) {
    it(`${rel}: records and batches match expected/`, () => {
      const abs = path.join(REAL, rel);
      const recs = events(abs, true)
        .filter((e) => e.type === 'record')
        .map((e) => {
          const o = recordJson((e as any).record, (e as any).batch, b64) as any;
          return { offset: o.offset, timestamp: o.timestamp, key: o.key, value: o.value, headers: o.headers };
        });
      const expRecs = readNdjson(expectedFor(rel, 'records.ndjson'));
      expect(recs).toEqual(expRecs);

      const evs = events(abs, false);
      const expBatches = readNdjson(expectedFor(rel, 'batches.ndjson'));
      const trailing = expBatches.filter((b) => 'trailingBytes' in b);
      const batches = evs
        .filter((e) => e.type === 'batch')
        .map((e, i) => {
          const b = batchJson((e as any).batch);
          const keys = Object.keys(expBatches[i] ?? b);
          return Object.fromEntries(keys.map((k) => [k, b[k]]));
        });
      expect(batches).toEqual(expBatches.filter((b) => !('trailingBytes' in b)));
      const end = evs.find((e) => e.type === 'log-end') as Extract<DumpEvent, { type: 'log-end' }>;
      const errors = evs.filter((e) => e.type === 'error');
      if (trailing.length) {
        const t = trailing[0];
        const reason = end.stop.reason === 'corrupt-size' ? `corrupt-size(${end.stop.sizeField})` : end.stop.reason;
        expect({ trailingBytes: end.stop.trailingBytes, position: end.stop.position, reason }).toEqual(t);
      } else {
        expect(end.stop.reason).toBe('eof');
        expect(errors).toEqual([]);
      }
    });
  }

  for (const rel of files.filter((f) => /\.(index|timeindex)$/.test(f))) {
    const kind = rel.endsWith('.index') ? 'index' : 'timeindex';
    const exp = expectedFor(rel, `${kind}.ndjson`);
    it(`${rel}: entries match expected/`, () => {
      const got = events(path.join(REAL, rel), false).flatMap((e) => {
        if (e.type === 'index-entry') return [{ offset: e.entry.offset, position: e.entry.position }];
        if (e.type === 'timeindex-entry') return [{ timestamp: e.entry.timestamp, offset: e.entry.offset }];
        if (e.type === 'zero-tail') return [{ zeroTailEntries: e.entries }];
        return [];
      });
      expect(got).toEqual(readNdjson(exp));
    });
  }

  for (const rel of files.filter((f) => f.endsWith('.snapshot'))) {
    const exp = expectedFor(rel, 'snapshot.json');
    it(`${rel}: producer snapshot matches expected/`, () => {
      expect(fs.existsSync(exp), `${exp} is missing`).toBe(true);
      const ev = events(path.join(REAL, rel), false).find((e) => e.type === 'snapshot') as Extract<DumpEvent, { type: 'snapshot' }>;
      const s = ev.snapshot;
      expect({ version: s.version, crc: s.crc, crcValid: s.crcValid, count: s.count, producers: s.producers }).toEqual(JSON.parse(fs.readFileSync(exp, 'utf8')));
    });
  }
});

describe.skipIf(!HAVE_REAL)('real data: info agrees with expected summary.json', () => {
  const summaries: string[] = [];
  if (HAVE_REAL) {
    const walk = (d: string): void => {
      for (const e of fs.readdirSync(d, { withFileTypes: true })) {
        const p = path.join(d, e.name);
        if (e.isDirectory()) walk(p);
        else if (e.name === 'summary.json') summaries.push(path.relative(path.join(REAL, 'expected'), d));
      }
    };
    walk(path.join(REAL, 'expected'));
  }
  it('has summaries', () => expect(summaries.length).toBeGreaterThan(50));
  for (const rel of summaries.sort()) {
    it(`${rel}`, async () => {
      const { info } = await import('../src/ops/info.js');
      const exp = JSON.parse(fs.readFileSync(path.join(REAL, 'expected', rel, 'summary.json'), 'utf8'));
      const [p] = info([path.join(REAL, rel)]);
      expect(p!.logStartOffset).toBe(exp.logStartOffset);
      expect(p!.logEndOffset).toBe(exp.logEndOffset);
      expect(p!.records).toBe(exp.totalRecords);
      expect(
        p!.segments.map((s) => ({
          base: s.baseOffset,
          file: s.file,
          batches: s.batches,
          records: s.records,
          firstOffset: s.firstOffset,
          lastOffset: s.lastOffset,
          bytes: s.bytes,
          validBytes: s.validBytes,
        })),
      ).toEqual(
        exp.segments.map((s: any) => ({
          base: s.base,
          file: s.file,
          batches: s.batches,
          records: s.records,
          firstOffset: s.firstOffset,
          lastOffset: s.lastOffset,
          bytes: s.bytes,
          validBytes: s.validBytes,
        })),
      );
    });
  }
});
