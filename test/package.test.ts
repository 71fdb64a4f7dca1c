// The package as a user gets it (README, "Install"): `npm pack` of this checkout, the tarball
// installed into an empty directory, then `npx kseg` and `import 'kseg'` from there. Reuses the
// built dist/ (run `npm run build` first; `npm pack --ignore-scripts` skips the prepare build).
// Install scripts are skipped too (`--ignore-scripts`): building the optional native modules takes
// minutes, and kseg must run without them; it then says why in `--version --verbose`.
// npm may fetch dependencies from the registry; --prefer-offline serves them from npm's cache.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { FIXTURES, ROOT, kseg, tmpDir } from './helpers.js';

const npm = (args: string[], cwd: string) =>
  spawnSync('npm', args, { cwd, encoding: 'utf8', env: { ...process.env, npm_config_fund: 'false', npm_config_audit: 'false', npm_config_update_notifier: 'false' } });

let tarball = '';
let files: string[] = [];
let app = '';

function run(cmd: string, args: string[], env: Record<string, string> = {}) {
  const r = spawnSync(cmd, args, { cwd: app, encoding: 'utf8', env: { ...process.env, NO_COLOR: '1', ...env } });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe('package (npm pack, install in an empty directory)', () => {
  beforeAll(() => {
    const out = tmpDir('kseg-pack-');
    const packed = npm(['pack', '--ignore-scripts', '--json', '--pack-destination', out], ROOT);
    expect(packed.status, packed.stderr).toBe(0);
    const info = JSON.parse(packed.stdout)[0];
    tarball = path.join(out, info.filename);
    files = info.files.map((f: { path: string }) => f.path);
    app = tmpDir('kseg-app-');
    const installed = npm(['install', '--ignore-scripts', '--prefer-offline', '--no-package-lock', tarball], app);
    expect(installed.status, installed.stderr).toBe(0);
  }, 180_000);

  it('ships LICENSE (Apache-2.0, as package.json says), README, bin, dist and the sources its maps name', () => {
    expect(files).toContain('LICENSE');
    expect(files).toContain('README.md');
    expect(files).toContain('bin/kseg.js');
    expect(files).toContain('dist/index.js');
    expect(files).toContain('dist/index.d.ts');
    const pkgDir = path.join(app, 'node_modules', 'kseg');
    expect(fs.readFileSync(path.join(pkgDir, 'LICENSE'), 'utf8')).toMatch(/^\s+Apache License\s+Version 2\.0, January 2004/);
    expect(JSON.parse(fs.readFileSync(path.join(pkgDir, 'package.json'), 'utf8')).license).toBe('Apache-2.0');
    // Every source map in the package names files that are in the package.
    const maps = files.filter((f) => f.endsWith('.map'));
    for (const m of maps) {
      const map = JSON.parse(fs.readFileSync(path.join(pkgDir, m), 'utf8'));
      for (const s of map.sources as string[]) expect(fs.existsSync(path.resolve(path.dirname(path.join(pkgDir, m)), map.sourceRoot ?? '', s)), `${m} -> ${s}`).toBe(true);
    }
    // and every sourceMappingURL comment names a map that is there
    for (const f of files.filter((f) => /\.(c|m)?js$/.test(f))) {
      const url = /\/\/# sourceMappingURL=(\S+)\s*$/.exec(fs.readFileSync(path.join(pkgDir, f), 'utf8'))?.[1];
      if (url) expect(files, `${f} -> ${url}`).toContain(path.posix.join(path.posix.dirname(f), url));
    }
    expect(files.some((f) => f.startsWith('test/') || f.startsWith('fixtures/') || f.startsWith('bench/'))).toBe(false);
  });

  it('`npx kseg --help` runs the installed CLI and lists --verbose', () => {
    const r = run('npx', ['--no-install', 'kseg', '--help']);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/^Usage: kseg /);
    expect(r.stdout).toContain('--verbose');
    for (const c of ['dump', 'lookup', 'verify', 'recover']) expect(r.stdout).toMatch(new RegExp(`\\n  ${c} `));
  });

  it('`npx kseg dump` of a fixture prints what the checkout prints', () => {
    const part = path.join(FIXTURES, 'v2-multiseg', 'topic-0');
    const r = run('npx', ['--no-install', 'kseg', 'dump', part, '--json']);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    const here = kseg(['dump', part, '--json']);
    expect(here.status).toBe(0);
    expect(r.stdout).toBe(here.stdout);
    expect(r.stdout.length).toBeGreaterThan(1000);
  });

  it('without its install scripts run, kseg uses the fallbacks and `--version --verbose` says why', () => {
    const r = run('npx', ['--no-install', 'kseg', '--version', '--verbose']);
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/^kseg \d+\.\d+\.\d+\n/);
    expect(r.stdout).toMatch(/\nreader: positional reads \(mmap module not available: @riaskov\/mmap-io installed but not built/);
    expect(r.stdout).toMatch(/\ncrc32c: /);
  });

  it('the installed library imports by name', () => {
    const r = run(process.execPath, [
      '--input-type=module',
      '-e',
      "import { verify, dump } from 'kseg'; const rep = verify([process.argv[1]]); let n = 0; for (const e of dump([process.argv[1]], { records: true })) if (e.type === 'record') n++; console.log(rep.ok, n);",
      path.join(FIXTURES, 'v2-none', 'topic-0'),
    ]);
    expect(r.stderr).toBe('');
    expect(r.stdout.trim()).toMatch(/^true [1-9]\d*$/);
  });
});
