// The library as a program uses it: `import ... from 'kseg'` resolved through package.json's
// exports to the built dist/index.js (run `npm run build` first), and the README's "Library"
// example run as written on fixtures.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { FIXTURES, ROOT, copyPartition, tmpDir } from './helpers.js';
import * as src from '../src/index.js';
import { info } from '../src/ops/info.js';
import { verify } from '../src/ops/verify/index.js';

const README = fs.readFileSync(path.join(ROOT, 'README.md'), 'utf8');

/** The ```js block of the README's "## Library" section that starts with `// library-example.mjs`. */
function libraryExample(): string {
  const section = README.slice(README.indexOf('\n## Library\n'));
  const m = /```js\n(\/\/ library-example\.mjs\n[\s\S]*?)```/.exec(section.slice(0, section.indexOf('\n## ', 1)));
  if (!m) throw new Error('README.md: no ```js block starting with // library-example.mjs in "## Library"');
  return m[1];
}

/** A directory where `import 'kseg'` finds this checkout as an installed package would be found. */
function consumerDir(): string {
  const dir = tmpDir('kseg-lib-');
  fs.mkdirSync(path.join(dir, 'node_modules'));
  fs.symlinkSync(ROOT, path.join(dir, 'node_modules', 'kseg'), 'dir');
  fs.writeFileSync(path.join(dir, 'library-example.mjs'), libraryExample());
  return dir;
}

function runExample(dir: string, partition: string) {
  const r = spawnSync(process.execPath, ['library-example.mjs', partition], { cwd: dir, encoding: 'utf8' });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe('library (src/index.ts, README "Library")', () => {
  it('exports every command as a function, by name', () => {
    for (const name of ['dump', 'lookup', 'info', 'verify', 'scan', 'recover', 'planRecovery', 'rebuildIndex', 'truncate', 'compact', 'generate']) {
      expect(typeof (src as Record<string, unknown>)[name], name).toBe('function');
    }
    // the error tree a caller catches
    expect(new src.CorruptDataError('X', 'm', { file: 'f', position: 3 })).toBeInstanceOf(src.KsegError);
  });

  it('does not re-export the hot-path internals (named exports, no export *)', () => {
    const text = fs.readFileSync(path.join(ROOT, 'src', 'index.ts'), 'utf8');
    expect(text).not.toMatch(/export \*/);
    for (const internal of ['WALK', 'walkV2Records', 'scanBatchRecords', 'putRaw', 'V2BatchWriter', 'frameEntry']) expect(src, internal).not.toHaveProperty(internal);
  });

  it('the built package entry (dist/index.js via package.json exports) has the same exports as src/index.ts', () => {
    const dir = consumerDir();
    const r = spawnSync(process.execPath, ['--input-type=module', '-e', "import * as k from 'kseg'; console.log(JSON.stringify(Object.keys(k).sort()))"], {
      cwd: dir,
      encoding: 'utf8',
    });
    expect(r.stderr).toBe('');
    expect(JSON.parse(r.stdout)).toEqual(Object.keys(src).sort());
  });

  it("runs the README's example on a healthy fixture and prints what info and verify find", () => {
    const partition = path.join(FIXTURES, 'v2-multiseg', 'topic-0');
    const r = runExample(consumerDir(), partition);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    const [p] = info([partition]);
    const rep = verify([partition]);
    const lines = r.stdout.trimEnd().split('\n');
    expect(lines[0]).toBe(`${p.segments.length} segment(s), offsets ${p.logStartOffset} to ${p.logEndOffset}, ${p.records} records`);
    expect(lines[1]).toMatch(new RegExp(`^offset ${p.segments[0].firstOffset}: 0+\\.log, batch at byte 0, key `));
    expect(lines[2]).toBe(`verify: ok, ${rep.summary.batches} batches checked`);
    expect(lines.slice(3)).toHaveLength(3);
    for (const l of lines.slice(3)) expect(l).toMatch(/^record \d+: \d+ value bytes$/);
  });

  it("runs the README's example on a corrupt copy: verify's errors and dump's stop with file and byte position", () => {
    const partition = copyPartition(path.join(FIXTURES, 'v2-none', 'topic-0'));
    const log = path.join(partition, '00000000000000000000.log');
    const bytes = fs.readFileSync(log);
    // The second batch's size field below the minimum batch overhead: Kafka's file iterator
    // (FileLogInputStream.nextBatch) throws CorruptRecordException there.
    const second = 12 + bytes.readInt32BE(8);
    bytes.writeInt32BE(5, second + 8);
    fs.writeFileSync(log, bytes);
    const r = runExample(consumerDir(), partition);
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/\nverify: [1-9]\d* error\(s\), first: /);
    expect(r.stdout).toMatch(new RegExp(`dump stopped: .* \\(.*00000000000000000000\\.log at byte ${second}\\)`));
  });

  it("the README's example reports a missing directory as a KsegError with its exit code", () => {
    const missing = path.join(tmpDir(), 'no-such-partition');
    const r = runExample(consumerDir(), missing);
    expect(r.stderr).toContain('no-such-partition');
    expect(r.stderr).not.toMatch(/\n\s+at /); // a message, not a stack trace
    expect(r.status).toBeGreaterThan(0);
  });
});
