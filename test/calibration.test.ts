import fs from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { crc32c, crc32cCandidates, crcImplementations } from '../src/format/crc.js';
import { calibrateCrc32c, calibrationCacheFile, calibrateForSize, CALIBRATE_MIN_BYTES, measureCrc32c, resetCalibrationForTests } from '../src/storage/calibration.js';
import { UsageError } from '../src/format/errors.js';
import { kseg, tmpDir } from './helpers.js';

/**
 * Issue 17, "Choose by measurement, not by name": the CRC-32C implementation is picked by timing
 * every candidate once per machine and Node version, cached, and can be forced with KSEG_CRC.
 */
const candidates = crc32cCandidates();
const several = candidates.length > 1;
if (!several) console.log(`note: only ${candidates[0].id} loads here (sse4_crc32 not built for this Node): the choice between candidates is not exercised`);

afterEach(() => resetCalibrationForTests());

const envWith = (dir: string, extra: Record<string, string> = {}): NodeJS.ProcessEnv => ({ KSEG_CACHE_DIR: dir, ...extra });

describe('CRC-32C candidates', () => {
  it('every candidate computes the standard check value (CRC-32C of "123456789" is 0xE3069283) and agrees on 1 MiB', () => {
    const check = Buffer.from('123456789');
    const big = Buffer.alloc(1 << 20);
    for (let i = 0; i < big.length; i++) big[i] = (i * 31 + (i >> 8)) & 0xff;
    const want = crc32c(big);
    for (const c of candidates) {
      expect(c.fn(check).toString(16), c.name).toBe('e3069283');
      expect(c.fn(big), c.name).toBe(want);
    }
  });

  it('measureCrc32c gives a positive throughput for every candidate', () => {
    const speeds = measureCrc32c();
    expect(Object.keys(speeds).sort()).toEqual(candidates.map((c) => c.id).sort());
    for (const v of Object.values(speeds)) expect(v).toBeGreaterThan(0);
  });
});

describe('calibrateCrc32c (storage/calibration.ts)', () => {
  it('KSEG_CRC forces a candidate without measuring; an unknown name is a usage error naming the choices', () => {
    const dir = tmpDir();
    const c = calibrateCrc32c({ env: envWith(dir, { KSEG_CRC: 'node-rs' }) });
    expect(c).toMatchObject({ chosen: 'node-rs', how: 'forced by KSEG_CRC', speeds: {} });
    expect(crcImplementations().crc32c).toBe('@node-rs/crc32');
    expect(fs.existsSync(calibrationCacheFile(envWith(dir)))).toBe(false);
    resetCalibrationForTests();
    expect(() => calibrateCrc32c({ env: envWith(dir, { KSEG_CRC: 'intel' }) })).toThrow(UsageError);
    expect(() => calibrateCrc32c({ env: envWith(dir, { KSEG_CRC: 'intel' }) })).toThrow(/KSEG_CRC=intel: expected one of sse4, node-rs/);
  });

  it.skipIf(!several)('measures once, caches per machine, and the next process reads the cache instead of measuring', () => {
    const dir = tmpDir();
    const env = envWith(dir);
    const first = calibrateCrc32c({ env });
    expect(first.how).toBe('measured now');
    expect(first.cacheFile).toBe(path.join(dir, 'calibration.json'));
    const fastest = Object.entries(first.speeds).sort((a, b) => b[1] - a[1])[0][0];
    // The default order wins ties within 3 %; otherwise the fastest is chosen.
    const dflt = candidates[0].id;
    expect(first.chosen === fastest || (first.chosen === dflt && first.speeds[fastest] <= first.speeds[dflt] * 1.03)).toBe(true);
    const file = JSON.parse(fs.readFileSync(first.cacheFile!, 'utf8'));
    expect(file.version).toBe(1);
    const [key, entry] = Object.entries(file.entries)[0] as [string, { crc32c: string }];
    expect(key).toContain(process.version);
    expect(entry.crc32c).toBe(first.chosen);

    // A cached answer is used as it stands: make it name the other candidate and see it chosen.
    const other = candidates.find((c) => c.id !== first.chosen)!;
    file.entries[key].crc32c = other.id;
    fs.writeFileSync(first.cacheFile!, JSON.stringify(file));
    resetCalibrationForTests();
    const second = calibrateCrc32c({ env });
    expect(second).toMatchObject({ chosen: other.id, how: 'measured earlier (cached)' });
    expect(crcImplementations().crc32c).toBe(other.name);
    expect(crcImplementations().crc32cChoice).toMatch(/^measured earlier \(cached\): /);
  });

  it.skipIf(!several)('a malformed cache is measured over and rewritten; an unwritable cache directory still gives a choice', () => {
    const dir = tmpDir();
    fs.writeFileSync(path.join(dir, 'calibration.json'), '{"version": 1, "entries": ');
    const c = calibrateCrc32c({ env: envWith(dir) });
    expect(c.how).toBe('measured now');
    expect(JSON.parse(fs.readFileSync(path.join(dir, 'calibration.json'), 'utf8')).version).toBe(1);

    resetCalibrationForTests();
    const blocked = path.join(tmpDir(), 'a-file');
    fs.writeFileSync(blocked, 'not a directory');
    const d = calibrateCrc32c({ env: envWith(path.join(blocked, 'kseg')) });
    expect(d.how).toBe('measured now');
    expect(d.cacheFile).toBeUndefined();
    expect(fs.readdirSync(path.dirname(blocked))).toEqual(['a-file']); // no temp file left behind
  });

  it('files under CALIBRATE_MIN_BYTES do not calibrate; the first large one does, once', () => {
    const saved = process.env.KSEG_CACHE_DIR;
    process.env.KSEG_CACHE_DIR = tmpDir(); // not the user's cache
    afterEach(() => (saved === undefined ? delete process.env.KSEG_CACHE_DIR : (process.env.KSEG_CACHE_DIR = saved)));
    calibrateForSize(CALIBRATE_MIN_BYTES - 1);
    expect(crcImplementations().crc32cChoice).toBe('');
    calibrateForSize(CALIBRATE_MIN_BYTES);
    const note = crcImplementations().crc32cChoice;
    expect(note).not.toBe('');
    calibrateForSize(CALIBRATE_MIN_BYTES * 4);
    expect(crcImplementations().crc32cChoice).toBe(note);
  });
});

describe('CLI', () => {
  it('kseg --version --verbose says which CRC-32C was chosen and how; KSEG_CRC=node-rs verify checks the same', () => {
    const cache = tmpDir();
    const a = kseg(['--version', '--verbose'], { env: { KSEG_CACHE_DIR: cache } });
    expect(a.status).toBe(0);
    expect(a.stdout).toMatch(
      several ? /^crc32c: .+ \(measured now: (sse4|node-rs) [\d.]+ GB\/s, .*; cache .*calibration\.json\)$/m : /^crc32c: @node-rs\/crc32 \(the only candidate\)$/m,
    );
    if (several) expect(kseg(['--version', '--verbose'], { env: { KSEG_CACHE_DIR: cache } }).stdout).toMatch(/\(measured earlier \(cached\): /);
    const bad = kseg(['--version', '--verbose'], { env: { KSEG_CACHE_DIR: cache, KSEG_CRC: 'x' } });
    expect(bad.stdout).toMatch(/^crc32c: .+ \(default order; KSEG_CRC=x: expected one of sse4, node-rs\)$/m);

    const dir = path.join(tmpDir(), 'p-0');
    expect(kseg(['generate', dir, '--bytes', String(CALIBRATE_MIN_BYTES + 65536), '--seed', '3']).status).toBe(0);
    for (const crc of ['node-rs', ...(several ? ['sse4'] : [])]) {
      const v = kseg(['verify', dir, '--json'], { env: { KSEG_CACHE_DIR: cache, KSEG_CRC: crc } });
      expect(v.status, v.stderr).toBe(0);
      expect(JSON.parse(v.stdout)).toMatchObject({ ok: true, errors: 0, summary: { segments: 1 } });
    }
    const fresh = tmpDir();
    expect(kseg(['verify', dir], { env: { KSEG_CACHE_DIR: fresh } }).status).toBe(0);
    expect(fs.existsSync(path.join(fresh, 'calibration.json'))).toBe(several);
    const wrong = kseg(['verify', dir], { env: { KSEG_CACHE_DIR: fresh, KSEG_CRC: 'x' } });
    expect(wrong.status).toBe(2);
    expect(wrong.stderr).toMatch(/KSEG_CRC=x: expected one of sse4, node-rs/);
  });
});
