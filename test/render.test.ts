import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { dump } from '../src/ops/dump.js';
import { recordJson, recordNdjson } from '../src/cli/render.js';
import { toJson } from '../src/cli/output.js';
import { FIXTURES } from './helpers.js';
import type { Decoders } from '../src/cli/decoders.js';

describe('the fast NDJSON writer equals JSON.stringify of the record object', () => {
  const decoders: Decoders[] = [
    { key: 'utf8', value: 'utf8', header: 'utf8' },
    { key: 'base64', value: 'hex', header: 'json' },
    { key: 'none', value: 'json', header: 'none' },
  ];
  it.each(['v2-txn', 'v2-headers', 'v1-snappy-logappend', 'v0-gzip', 'v2-compact'])('%s', (c) => {
    let n = 0;
    for (const ev of dump([path.join(FIXTURES, c, 'topic-0')], { records: true })) {
      if (ev.type !== 'record') continue;
      for (const d of decoders) expect(recordNdjson(ev.record, ev.batch, d)).toBe(toJson(recordJson(ev.record, ev.batch, d)));
      n++;
    }
    expect(n).toBeGreaterThan(100);
  });
});
