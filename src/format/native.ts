import { createRequire } from 'node:module';

/**
 * Optional native modules (node-gyp builds that may be absent: a user's `npm i -g` on npm 11.19
 * skips their install scripts). Each loader returns null when the module is missing, failed to
 * build, or `KSEG_NO_NATIVE=1` disables the native fast paths. Nothing is loaded until asked.
 */
let nodeRequire: NodeJS.Require | null = null;
/** Created on first use: resolving import.meta.url to a path costs start-up time for nothing. */
function require(id: string): unknown {
  return (nodeRequire ??= createRequire(import.meta.url))(id);
}
require.resolve = (id: string): string => (nodeRequire ??= createRequire(import.meta.url)).resolve(id);

export function nativeDisabled(): boolean {
  const v = process.env.KSEG_NO_NATIVE;
  return v !== undefined && v !== '' && v !== '0';
}

/**
 * Where a package's compiled addon sits, for packages whose own entry adds load-time cost we do
 * not need: `@riaskov/mmap-io` finds its binary through `@mapbox/node-pre-gyp` (npmlog, gauge,
 * semver: ~60 ms of start-up), `sse4_crc32` through `bindings` plus a stream wrapper. Their
 * exports are the raw binding's (mmap-io only adds a `sync` wrapper, which kseg does not use).
 * Loading the addon file directly is tried first; the package entry is the fallback.
 */
const ADDONS: Record<string, () => string[]> = {
  '@riaskov/mmap-io': () => [
    `build/binding/Release/node-v${process.versions.modules}-${process.platform}-${process.arch}/mmap_io.node`,
    'build/Release/mmap_io.node',
  ],
  sse4_crc32: () => ['build/Release/crc32c.node'],
};

function loadAddon(name: string): unknown {
  const files = ADDONS[name];
  if (files) {
    let dir: string | null = null;
    try {
      const pkg = require.resolve(`${name}/package.json`);
      dir = pkg.slice(0, pkg.length - 'package.json'.length);
    } catch {
      dir = null;
    }
    if (dir !== null) {
      for (const f of files()) {
        try {
          return require(dir + f);
        } catch {
          /* not built there: try the next place, then the package entry */
        }
      }
    }
  }
  return require(name);
}

const cache = new Map<string, unknown>();

export function optionalNative<T>(name: string, respectSwitch = true): T | null {
  const key = `${name}:${respectSwitch}`;
  if (cache.has(key)) return cache.get(key) as T | null;
  let mod: T | null = null;
  if (!(respectSwitch && nativeDisabled())) {
    try {
      mod = loadAddon(name) as T;
    } catch {
      mod = null;
    }
  }
  cache.set(key, mod);
  return mod;
}

export function requireModule<T>(name: string): T {
  return require(name) as T;
}
