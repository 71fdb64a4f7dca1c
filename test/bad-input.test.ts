import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { FIXTURES, kseg, tmpDir, copyPartition, ndjsonLines } from './helpers.js';

/** Every bad input gets one clear line naming file and byte position, the OUTPUT.md exit code, no stack trace, no hang. */
const SRC = path.join(FIXTURES, 'v2-none', 'topic-0', '00000000000000000000.log');
const noStack = (s: string) => expect(s).not.toMatch(/\n\s+at /);
const LOG_BYTES = fs.readFileSync(SRC);
const FIRST = 12 + LOG_BYTES.readInt32BE(8);

function withFile(name: string, data: Buffer | string): string {
  const d = tmpDir();
  const p = path.join(d, name);
  fs.writeFileSync(p, data);
  return p;
}

describe('bad input', () => {
  it('zero-length .log: nothing to print, exit 0', () => {
    const r = kseg(['dump', withFile('00000000000000000000.log', ''), '--ndjson']);
    expect(r.status).toBe(0);
    expect(r.stdout).toBe('');
  });

  it('truncated .log: records up to the torn batch, a note naming the position, exit 0 (Kafka: end of data)', () => {
    const full = fs.readFileSync(SRC);
    const p = withFile('00000000000000000000.log', full.subarray(0, 5000));
    const r = kseg(['dump', p, '--batches', '--ndjson']);
    expect(r.status).toBe(0);
    const batches = ndjsonLines(r.stdout);
    const end = batches[batches.length - 1].position + batches[batches.length - 1].size;
    expect(r.stderr).toMatch(new RegExp(`00000000000000000000.log: data ends at byte ${end}`));
    noStack(r.stderr);
  });

  it('garbage: corrupt size field -> exit 3 with file and byte position', () => {
    const p = withFile('00000000000000000000.log', Buffer.concat([LOG_BYTES.subarray(0, FIRST), Buffer.alloc(40, 0xff)]));
    const r = kseg(['dump', p, '--ndjson']);
    expect(r.status).toBe(3);
    expect(r.stderr).toContain(`kseg: Found record size -1 smaller than minimum record overhead (14) (00000000000000000000.log at byte ${FIRST})\n`);
    noStack(r.stderr);
  });

  it('dump streams: the records before a corrupt size field are on stdout, complete and valid, then exit 3 (OUTPUT.md, streaming commands)', () => {
    const p = withFile('00000000000000000000.log', Buffer.concat([LOG_BYTES.subarray(0, FIRST), Buffer.alloc(40, 0xff)]));
    const whole = ndjsonLines(kseg(['dump', withFile('00000000000000000000.log', LOG_BYTES.subarray(0, FIRST)), '--ndjson']).stdout);
    const r = kseg(['dump', p, '--ndjson']);
    expect(r.status).toBe(3);
    expect(whole.length).toBeGreaterThan(0);
    expect(r.stdout.endsWith('\n')).toBe(true);
    expect(ndjsonLines(r.stdout)).toEqual(whole);
  });

  it('zero-filled (preallocated) tail: named as such, exit 3', () => {
    const p = withFile('00000000000000000000.log', Buffer.concat([fs.readFileSync(SRC), Buffer.alloc(8192)]));
    const r = kseg(['dump', p, '--batches', '--json']);
    expect(r.status).toBe(3);
    expect(r.stderr).toContain(`preallocated tail) (00000000000000000000.log at byte ${LOG_BYTES.length})`);
    const err = JSON.parse(r.stderr.split('\n').find((l) => l.startsWith('{'))!);
    expect(err).toEqual({ error: { code: 'ZERO_TAIL', message: expect.any(String), file: '00000000000000000000.log', position: LOG_BYTES.length } });
    expect(JSON.parse(r.stdout).length).toBeGreaterThan(0);
  });

  it('huge length field: never allocated, reported as a torn batch at its position', () => {
    const b = Buffer.from(fs.readFileSync(SRC));
    b.writeInt32BE(0x7ffffff0, 8);
    const r = kseg(['dump', withFile('00000000000000000000.log', b), '--ndjson']);
    expect(r.status).toBe(0);
    expect(r.stdout).toBe('');
    expect(r.stderr).toContain(`data ends at byte 0; the batch there declares 2147483632 bytes but only ${LOG_BYTES.length} remain`);
  });

  it('a batch too small for its magic is reported and the dump goes on', () => {
    const b = Buffer.from(fs.readFileSync(SRC));
    const size = 12 + b.readInt32BE(8);
    const small = Buffer.alloc(40);
    small.writeInt32BE(28, 8);
    small[16] = 2;
    const p = withFile('00000000000000000000.log', Buffer.concat([small, b.subarray(size)]));
    const r = kseg(['dump', p, '--batches', '--ndjson']);
    expect(r.status).toBe(3);
    expect(r.stderr).toMatch(/the size 40 is smaller than the minimum allowed overhead 61\) \(00000000000000000000.log at byte 0\)/);
    expect(ndjsonLines(r.stdout)[0].position).toBe(40);
  });

  it('wrong names: unknown files are a usage error; renamed .log files are read by suffix', () => {
    const r = kseg(['dump', withFile('notes.txt', 'hello')]);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/notes.txt: not a Kafka partition file/);
    const renamed = withFile('suspect.log', fs.readFileSync(SRC));
    const r2 = kseg(['dump', renamed, '--batches', '--ndjson']);
    expect(r2.status).toBe(0);
    expect(ndjsonLines(r2.stdout).length).toBeGreaterThan(0);
    expect(r2.stderr).toMatch(/no 20-digit base-offset name/);
  });

  it('missing path: I/O error, exit 4', () => {
    const r = kseg(['dump', '/nonexistent/partition-0']);
    expect(r.status).toBe(4);
    expect(r.stderr).toBe('kseg: no such file or directory (/nonexistent/partition-0)\n');
  });

  it('empty directory: dump, info and lookup exit 4, no partition found (issue 18: never "ok" on nothing)', () => {
    const d = tmpDir();
    for (const args of [
      ['dump', d],
      ['info', d, '--json'],
      ['lookup', d, '--offset', '0'],
    ]) {
      const r = kseg(args);
      expect(r.status).toBe(4);
      expect(r.stdout).toBe('');
      expect(r.stderr).toMatch(/no Kafka partition found/);
    }
  });

  it('missing index: dump and lookup still work', () => {
    const d = copyPartition(path.join(FIXTURES, 'v2-multiseg', 'topic-0'));
    for (const f of fs.readdirSync(d)) if (f.endsWith('index')) fs.rmSync(path.join(d, f));
    expect(kseg(['dump', d, '--from-offset', '600', '--to-offset', '605', '--ndjson']).stdout.trim().split('\n').length).toBe(6);
    expect(JSON.parse(kseg(['lookup', d, '--offset', '600', '--json']).stdout).record.offset).toBe(600);
  });

  it('garbage index and snapshot files: clear errors, exit 3', () => {
    const s = kseg(['dump', withFile('00000000000000000000.snapshot', 'garbage!')]);
    expect(s.status).toBe(3);
    expect(s.stderr).toMatch(/Snapshot failed schema validation.*\(00000000000000000000.snapshot at byte 0\)/);
    const t = kseg(['dump', withFile('00000000000000000000.txnindex', Buffer.alloc(34, 0xff))]);
    expect(t.status).toBe(3);
    expect(t.stderr).toMatch(/Unexpected aborted transaction version/);
  });

  it('bad flags: exit 2, and --json also writes the error as JSON', () => {
    const r = kseg(['dump', SRC, '--from-offset', 'x', '--json']);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/--from-offset: 'x' is not an integer/);
    const u = kseg(['dump', SRC, '--no-such-flag']);
    expect(u.status).toBe(2);
    expect(kseg(['dump', SRC, '--decoder', 'rot13']).status).toBe(2);
    expect(kseg(['frobnicate']).status).toBe(2);
  });

  it('random garbage never produces a stack trace or a hang', () => {
    let seed = 7;
    const rnd = () => (seed = (seed * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff;
    for (let i = 0; i < 8; i++) {
      const b = Buffer.from(fs.readFileSync(SRC).subarray(0, 3000));
      for (let j = 0; j < 20; j++) b[Math.floor(rnd() * b.length)] = Math.floor(rnd() * 256);
      const r = kseg(['dump', withFile('00000000000000000000.log', b), '--ndjson']);
      expect([0, 3]).toContain(r.status);
      noStack(r.stderr);
    }
  });
});

describe('an s3:// output path is refused, never written as a local directory named "s3:"', () => {
  const src = path.join(FIXTURES, 'v2-none', 'topic-0');
  it.each([
    ['generate', ['generate', 's3://bucket/orders-0', '--records', '10']],
    ['salvage', ['salvage', src, '-o', 's3://bucket/out-0']],
    ['slice', ['slice', src, '--from-offset', '0', '--to-offset', '1', '-o', 's3:/bucket/out-0']],
    ['export', ['export', src, '-o', 's3://bucket/x.parquet']],
  ])('%s: exit 2, READ_ONLY, one line, nothing written in the working directory', (name, args) => {
    const cwd = tmpDir();
    const r = kseg([...args, '--json'], { cwd });
    expect(r.status).toBe(2);
    expect(r.stderr.split('\n')[0]).toMatch(new RegExp(`^kseg: ${name} writes local files only: s3:/`));
    expect(JSON.parse(r.stderr.split('\n')[1]!).error.code).toBe('READ_ONLY');
    noStack(r.stderr);
    expect(fs.readdirSync(cwd)).toEqual([]);
  });

  it('import: exit 2 before reading its input', () => {
    const cwd = tmpDir();
    const r = kseg(['import', path.join(cwd, 'missing.parquet'), '-o', 's3://bucket/orders-0'], { cwd });
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/^kseg: import writes local files only/);
    expect(fs.readdirSync(cwd)).toEqual([]);
  });
});
