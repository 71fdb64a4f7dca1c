import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { FIXTURES, HAVE_REAL, REAL, kseg, readNdjson } from './helpers.js';

// issue 18 "Kafka's muscle memory": kafka-dump-log.sh's flags on kseg dump. DumpLogSegments: records
// are printed only with --deep-iteration; --print-data-log (or a decoder flag) implies it and adds
// key/payload; --files is a comma-separated list; without a format the tool's (3.x) text is printed.
const SEG = path.join(FIXTURES, 'v2-multiseg', 'topic-0', '00000000000000000000.log');
const SEG2 = path.join(
  FIXTURES,
  'v2-multiseg',
  'topic-0',
  fs
    .readdirSync(path.join(FIXTURES, 'v2-multiseg', 'topic-0'))
    .filter((f) => f.endsWith('.log'))
    .sort()[1]!,
);
const batches = readNdjson(path.join(FIXTURES, 'v2-multiseg', 'expected', 'batches.ndjson')).filter((b) => b.file === path.basename(SEG));

describe('kafka-dump-log.sh flags (DumpLogSegments semantics, spawned kseg)', () => {
  it('--files alone prints the tool header and batch lines only (no deep iteration)', () => {
    const r = kseg(['dump', '--files', SEG]);
    expect(r.status).toBe(0);
    const lines = r.stdout.trimEnd().split('\n');
    expect(lines[0]).toBe(`Dumping ${SEG}`);
    expect(lines[1]).toBe('Log starting offset: 0');
    expect(lines.slice(2).every((l) => l.startsWith('baseOffset: '))).toBe(true);
    expect(lines.length - 2).toBe(batches.length);
    expect(r.stdout).toBe(kseg(['dump', SEG, '--format', 'kafka', '--batches']).stdout);
  });

  it('--deep-iteration adds record lines without key/payload', () => {
    const r = kseg(['dump', '--files', SEG, '--deep-iteration']);
    expect(r.stdout).toMatch(/^\| offset: 0 CreateTime: \d+ keySize: \d+ valueSize: \d+ sequence: -1 headerKeys: \[\]$/m);
    expect(r.stdout).not.toMatch(/payload:/);
    expect(r.stdout).toBe(kseg(['dump', SEG, '--format', 'kafka', '--no-print-data']).stdout);
  });

  it('--print-data-log (with or without --deep-iteration) prints exactly --format kafka', () => {
    const want = kseg(['dump', SEG, '--format', 'kafka']).stdout;
    expect(want).toMatch(/ key: \S+ payload: /);
    expect(kseg(['dump', '--files', SEG, '--print-data-log', '--deep-iteration']).stdout).toBe(want);
    expect(kseg(['dump', '--files', SEG, '--print-data-log']).stdout).toBe(want);
    expect(kseg(['dump', '--print-data-log', SEG]).stdout).toBe(want);
  });

  it('--files takes a comma-separated list, in order', () => {
    const r = kseg(['dump', '--files', `${SEG},${SEG2}`, '--print-data-log']);
    expect(r.stdout).toBe(kseg(['dump', SEG, SEG2, '--format', 'kafka']).stdout);
    expect(r.stdout.match(/^Dumping /gm)).toHaveLength(2);
  });

  it('string decoder classes map to UTF-8 and imply --print-data-log; others are a usage error', () => {
    const want = kseg(['dump', SEG, '--format', 'kafka']).stdout;
    expect(kseg(['dump', '--files', SEG, '--value-decoder-class', 'kafka.serializer.StringDecoder']).stdout).toBe(want);
    expect(
      kseg(['dump', '--files', SEG, '--key-decoder-class', 'org.apache.kafka.tools.api.StringDecoder', '--value-decoder-class', 'org.apache.kafka.tools.api.StringDecoder']).stdout,
    ).toBe(want);
    const bad = kseg(['dump', '--files', SEG, '--value-decoder-class', 'com.example.AvroDecoder']);
    expect(bad.status).toBe(2);
    expect(bad.stderr).toMatch(/--value-decoder-class: 'com.example.AvroDecoder' is not supported/);
  });

  it('an explicit --format or --ndjson still wins', () => {
    expect(kseg(['dump', '--files', SEG, '--print-data-log', '--format', 'kafka4']).stdout).toBe(kseg(['dump', SEG, '--format', 'kafka4']).stdout);
    const j = kseg(['dump', '--files', SEG, '--deep-iteration', '--ndjson']);
    expect(j.stdout.split('\n')[0]).toMatch(/^\{"offset":0,/);
  });

  it('runbook lines pasted after kseg just work', () => {
    // Kafka docs / Confluent runbooks: kafka-dump-log.sh --files X --print-data-log; --deep-iteration --print-data-log --files X;
    // --files X --index-sanity-check (index); --verify-index-only (index).
    const idx = SEG.replace(/\.log$/, '.index');
    for (const line of [
      `--files ${SEG} --print-data-log`,
      `--deep-iteration --print-data-log --files ${SEG}`,
      `--files ${SEG} --deep-iteration --print-data-log --value-decoder-class kafka.serializer.StringDecoder`,
      `--files ${idx} --index-sanity-check`,
      `--files ${idx} --verify-index-only`,
      `--files ${SEG}`,
    ]) {
      const r = kseg(['dump', ...line.split(' ')]);
      expect(r.status, line + '\n' + r.stderr).toBe(0);
      expect(r.stdout).toMatch(/^Dumping /);
    }
  });
});

describe.skipIf(!HAVE_REAL)('real broker data (../shared/real)', () => {
  it('ldi-poc: --files --print-data-log --deep-iteration equals --format kafka on every broker segment', () => {
    const dir = path.join(REAL, 'ldi-poc', 'kafka-logs', 'TestTopicPatient-0');
    const logs = fs
      .readdirSync(dir)
      .filter((f) => f.endsWith('.log'))
      .map((f) => path.join(dir, f));
    expect(logs.length).toBeGreaterThan(0);
    const got = kseg(['dump', '--files', logs.join(','), '--print-data-log', '--deep-iteration']);
    expect(got.status).toBe(0);
    expect(got.stdout).toBe(kseg(['dump', ...logs, '--format', 'kafka']).stdout);
    expect(got.stdout).toMatch(/payload: /);
  });
});
