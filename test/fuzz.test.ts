import fs from 'node:fs';
import path from 'node:path';
import { spawn } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { decodeBatch, batchRecordList } from '../src/format/batch.js';
import { encodeLegacyMessage, encodeV2BatchSync } from '../src/format/encode.js';
import { CorruptDataError } from '../src/format/errors.js';
import { humanBatchLine, humanRecordLine } from '../src/cli/human.js';
import { frames, mix, mutate, refixCrcs, Rng } from './fuzz/mutate.js';
import { loadSeeds, makeInput } from './fuzz/engine.js';
import { FIXTURES, ROOT, kseg, tmpDir } from './helpers.js';

// The fuzz harness of test/fuzz/ (README, "Reliability"): a bounded run with a fixed seed, the
// saved failing inputs replayed, and proof that the runner catches each kind of failure.

interface Summary {
  inputs: number;
  distinctCodes: number;
  codes: Record<string, number>;
  perTarget: Record<string, number>;
  failures: number;
  failed: { index: number; target: string; kind: string; message: string; saved: string | null }[];
}

/** Run the fuzz runner in a child process (async, so the runs of this file overlap). */
function fuzz(args: string[], env: Record<string, string> = {}): Promise<{ status: number; summary: Summary; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', path.join(ROOT, 'test', 'fuzz', 'run.ts'), '--json', ...args], {
      cwd: ROOT,
      env: { ...process.env, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('close', (status) => {
      const line = stdout.trim().split('\n').pop() ?? '';
      try {
        resolve({ status: status ?? -1, summary: JSON.parse(line) as Summary, stderr });
      } catch {
        reject(new Error(`no summary from the fuzz runner (status ${status}):\n${stderr.slice(-3000)}`));
      }
    });
  });
}

describe.concurrent('fuzz: bounded run (npm test), corpus replay, runner self-test; long runs: npm run fuzz -- --count N', () => {
  it('seed 1: 300 mutated inputs over every parser and command core, both readers, no failure', async () => {
    const r = await fuzz(['--count', '300', '--seed', '1', '--no-save']);
    const why = r.summary.failed.map((f) => `${f.kind} #${f.index} ${f.target}: ${f.message}`).join('\n');
    expect(why).toBe('');
    expect(r.status).toBe(0);
    expect(r.summary.inputs).toBe(300);
    // the mutations get past CRCs and framing into the parsers and the checks behind them
    expect(r.summary.distinctCodes).toBeGreaterThanOrEqual(25);
    for (const c of ['CRC_MISMATCH', 'RECORD_DECODE_ERROR', 'DECOMPRESSION_ERROR', 'SIZE_TOO_SMALL', 'INDEX_POSITION_NOT_BATCH_START']) expect(r.summary.codes).toHaveProperty(c);
    // every command's core and the main parsers ran
    for (const t of [
      'compact',
      'dump',
      'dump-range',
      'format-checkpoint',
      'format-index',
      'format-log',
      'info',
      'lookup',
      'rebuild-index-check',
      'recover',
      'recover-dry-run',
      'truncate',
      'verify',
    ]) {
      expect(r.summary.perTarget[t] ?? 0).toBeGreaterThan(5);
    }
  });

  it('replays every saved failing input (test/fuzz/corpus) without a failure', async () => {
    const saved = fs.readdirSync(path.join(ROOT, 'test', 'fuzz', 'corpus')).filter((f) => f.endsWith('.json'));
    expect(saved.length).toBeGreaterThan(0);
    const r = await fuzz(['--replay']);
    expect(r.summary.failed).toEqual([]);
    expect(r.summary.inputs).toBe(saved.length);
  });

  // the runner catches every kind of failure and saves the input
  it('a foreign throw, a hang, a process death and a JSON contract break: each reported, saved, and failing again on replay', async () => {
    const SELF = { KSEG_FUZZ_SELFTEST: '1' };
    const corpus = tmpDir('kseg-fuzz-corpus-');
    const r = await fuzz(['--count', '6', '--seed', '41', '--target', 'selftest-throw,selftest-hang,selftest-exit,selftest-json', '--timeout', '2500', '--corpus', corpus], SELF);
    expect(r.status).toBe(1);
    expect(r.summary.inputs).toBe(6); // the run goes on after each failure
    expect(r.summary.failures).toBe(6);
    const kinds = new Map(r.summary.failed.map((f) => [f.target, f]));
    expect(kinds.get('selftest-throw')).toMatchObject({ kind: 'throw', message: expect.stringMatching(/^TypeError: selftest/) });
    expect(kinds.get('selftest-hang')).toMatchObject({ kind: 'hang', message: 'no result within 2500 ms' });
    expect(kinds.get('selftest-exit')).toMatchObject({ kind: 'death', message: expect.stringMatching(/signal SIGSEGV/) });
    expect(kinds.get('selftest-json')).toMatchObject({ kind: 'throw', message: expect.stringMatching(/^ContractError: record\.offset/) });
    const saved = fs.readdirSync(corpus);
    expect(saved.some((f) => /^selftest-throw-[0-9a-f]{12}\.bin$/.test(f))).toBe(true);
    const meta = JSON.parse(
      fs.readFileSync(
        path.join(
          corpus,
          saved.find((f) => f.startsWith('selftest-throw') && f.endsWith('.json'))!,
        ),
        'utf8',
      ),
    );
    expect(meta).toMatchObject({ target: 'selftest-throw', failure: 'throw', runSeed: 41 });
    // replayed, the saved inputs fail again (the throws: a hang or a death costs a worker restart each)
    for (const f of saved) if (!/^selftest-(throw|json)-/.test(f)) fs.rmSync(path.join(corpus, f));
    const replay = await fuzz(['--replay', '--corpus', corpus], SELF);
    expect(replay.summary.inputs).toBeGreaterThanOrEqual(2);
    expect(replay.summary.failures).toBe(replay.summary.inputs);
  });
});

describe('fuzz: mutations', () => {
  it('inputs are a pure function of (seed, number)', async () => {
    const seeds = await loadSeeds();
    for (const i of [0, 1, 77, 4096]) {
      const a = makeInput(seeds, 42, i, null);
      const b = makeInput(seeds, 42, i, null);
      expect(b.bytes.equals(a.bytes)).toBe(true);
      expect(b.mutation).toEqual(a.mutation);
      expect([b.target, b.seed, b.file, b.reader]).toEqual([a.target, a.seed, a.file, a.reader]);
    }
    expect(makeInput(seeds, 42, 1, null).bytes.equals(makeInput(seeds, 43, 1, null).bytes) && mix(42, 1) === mix(43, 1)).toBe(false);
  });

  it('CRCs re-fixed after a mutation: v2 (CRC-32C) and v0/v1 (CRC-32) batches pass their check, so the parsers behind it run', () => {
    for (const c of ['v2-gzip', 'v1-snappy-logappend', 'v0-none']) {
      const log = fs.readFileSync(path.join(FIXTURES, c, 'topic-0', '00000000000000000000.log'));
      const b = Buffer.from(log);
      const f = frames(b)[1]!;
      b[f.pos + f.size - 3] ^= 0x10; // inside the payload, after the CRC
      expect(decodeBatch(b, f.pos, f.size, f.pos).crcValid).toBe(false);
      refixCrcs(b, 'log');
      for (const g of frames(b)) expect(decodeBatch(b, g.pos, g.size, g.pos).crcValid).toBe(true);
    }
  });

  it('a recordsCount set to 2^31-1 with the CRC re-fixed reaches the record decoder (not only the CRC check)', () => {
    const batch = encodeV2BatchSync({
      baseOffset: 0,
      records: [
        { timestamp: 1, key: 'k', value: 'v' },
        { timestamp: 2, key: 'k2', value: 'v2' },
      ],
    });
    batch.writeInt32BE(2 ** 31 - 1, 57);
    refixCrcs(batch, 'log');
    const b = decodeBatch(batch, 0, batch.length, 0);
    expect(b.crcValid).toBe(true);
    expect(() => batchRecordList(b)).toThrow(CorruptDataError);
  });

  it('byte and field mutations change the bytes, and many keep the file framable', () => {
    const log = fs.readFileSync(path.join(FIXTURES, 'v2-none', 'topic-0', '00000000000000000000.log'));
    let changed = 0;
    let framed = 0;
    for (let i = 0; i < 200; i++) {
      const { bytes } = mutate(log, 'log', new Rng(mix(9, i)), log);
      if (!bytes.equals(log)) changed++;
      if (frames(bytes).length > 1) framed++;
    }
    expect(changed).toBeGreaterThan(190);
    expect(framed).toBeGreaterThan(100);
  });
});

describe('regressions found by the fuzzer', () => {
  // A v2 batch whose timestamps lie beyond what a JavaScript Date holds (8.64e15 ms, year 275760):
  // Kafka stores any int64. kseg's text output called Date#toISOString on it and died with an
  // internal RangeError (exit 70) instead of printing the number.
  const FAR = 9_000_000_000_000_000;
  const batch = encodeV2BatchSync({ baseOffset: 0, records: [{ timestamp: FAR, key: 'k', value: 'v' }] });

  it('human text of a batch and a record with a timestamp past year 275760 prints the number', () => {
    const b = decodeBatch(batch, 0, batch.length, 0);
    expect(humanBatchLine(b)).toContain(`CreateTime ${FAR}`);
    const r = batchRecordList(b)[0]!;
    expect(humanRecordLine(r, { key: 'utf8', value: 'utf8', header: 'utf8' })).toContain(String(FAR));
  });

  it('kseg dump (text) and dump --batches on that batch: exit 0, no internal error', () => {
    const d = tmpDir();
    const p = path.join(d, '00000000000000000000.log');
    fs.writeFileSync(p, batch);
    for (const extra of [[], ['--batches']]) {
      const r = kseg(['dump', p, ...extra]);
      expect(r.stderr).not.toMatch(/internal error|RangeError/);
      expect(r.status).toBe(0);
      expect(r.stdout).toContain(String(FAR));
    }
  });

  it('legacy v1 message with the same timestamp: text dump prints it', () => {
    const m = encodeLegacyMessage({ magic: 1, offset: 0, timestamp: FAR, key: null, value: Buffer.from('v') } as Parameters<typeof encodeLegacyMessage>[0]);
    const b = decodeBatch(m, 0, m.length, 0);
    expect(humanBatchLine(b)).toContain(String(FAR));
  });
});
