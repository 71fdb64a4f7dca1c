// Optional native modules: which ones loaded, and why one did not (format/native.ts), as
// `kseg --version --verbose` reports it. CI runs this on Node 20 and on Node 24 (.ci/run), after
// `npm run build:native` built the mmap addon for Node 24's ABI beside Node 20's.
import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { nativeLoadFailure, optionalNative } from '../src/format/native.js';
import { kseg } from './helpers.js';

const require = createRequire(import.meta.url);

/** The addon scripts/build-native.mjs (or node-pre-gyp) builds for the Node running the tests. */
function mmapBuildForThisNode(): string | null {
  try {
    const dir = path.dirname(require.resolve('@riaskov/mmap-io/package.json'));
    const f = path.join(dir, 'build', 'binding', 'Release', `node-v${process.versions.modules}-${process.platform}-${process.arch}`, 'mmap_io.node');
    return fs.existsSync(f) ? f : null;
  } catch {
    return null;
  }
}

describe('optional native modules (format/native.ts)', () => {
  it('a module that is not installed loads as null, and says so', () => {
    expect(optionalNative('kseg-test-no-such-native-package')).toBeNull();
    expect(nativeLoadFailure('kseg-test-no-such-native-package')).toBe('not installed');
  });

  it('`kseg --version --verbose` names the Node and the reader; positional reads always say why', () => {
    const r = kseg(['--version', '--verbose']);
    expect(r.status).toBe(0);
    expect(r.stdout).toContain(`\nnode ${process.version} (${process.platform}-${process.arch})\n`);
    const reader = /\nreader: (.*)\n/.exec(r.stdout)?.[1] ?? '';
    if (reader.startsWith('positional reads')) expect(reader).toMatch(/^positional reads \((KSEG_READER=pread|mmap module not available: .+)\)$/);
    else expect(reader).toBe('mmap (@riaskov/mmap-io) with positional-read fallback');
  });

  it.skipIf(mmapBuildForThisNode() === null)(`an mmap addon built for this Node's ABI (${process.versions.modules}) is the reader, whatever else node_modules holds`, () => {
    const r = kseg(['--version', '--verbose'], { env: { KSEG_READER: '', KSEG_NO_NATIVE: '' } });
    expect(r.stdout).toContain('\nreader: mmap (@riaskov/mmap-io) with positional-read fallback\n');
  });

  it('KSEG_NO_NATIVE=1 turns the native reader off and says so', () => {
    const r = kseg(['--version', '--verbose'], { env: { KSEG_NO_NATIVE: '1' } });
    expect(r.stdout).toMatch(/\nreader: positional reads \(mmap module not available\)\n/);
    expect(r.stdout).toContain('KSEG_NO_NATIVE is set');
  });
});
