import { createRequire } from 'node:module';

/**
 * Optional native modules (node-gyp builds that may be absent: a user's `npm i -g` on npm 11.19
 * skips their install scripts). Each loader returns null when the module is missing, failed to
 * build, or they are switched off (`KSEG_NO_NATIVE=1`: setNativeDisabled). Nothing is loaded until asked.
 */
let nodeRequire: NodeJS.Require | null = null;
/** Created on first use: resolving import.meta.url to a path costs start-up time for nothing. */
function require(id: string): unknown {
  return (nodeRequire ??= createRequire(import.meta.url))(id);
}
require.resolve = (id: string): string => (nodeRequire ??= createRequire(import.meta.url)).resolve(id);

let disabled = false;

/** Whether the optional native modules are switched off (storage/environment.ts applies KSEG_NO_NATIVE: format/ reads no environment). */
export function nativeDisabled(): boolean {
  return disabled;
}

/** Switch the native fast paths off (or on) for modules not loaded yet. */
export function setNativeDisabled(off: boolean): void {
  disabled = off;
}

/**
 * Where a package's compiled addon sits, for packages whose own entry adds load-time cost we do
 * not need: `@riaskov/mmap-io` finds its binary through `@mapbox/node-pre-gyp` (npmlog, gauge,
 * semver: ~60 ms of start-up), `sse4_crc32` through `bindings` plus a stream wrapper. Their
 * exports are the raw binding's (mmap-io only adds a `sync` wrapper, which kseg does not use).
 * Loading the addon file directly is tried first; the package entry is the fallback.
 */
const ADDONS: Record<string, () => string[]> = {
  '@riaskov/mmap-io': () => [`build/binding/Release/node-v${process.versions.modules}-${process.platform}-${process.arch}/mmap_io.node`, 'build/Release/mmap_io.node'],
  sse4_crc32: () => ['build/Release/crc32c.node'],
};

function loadAddon(name: string): unknown {
  const files = ADDONS[name];
  let firstError: unknown = null;
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
        } catch (e) {
          /* not built there: try the next place, then the package entry */
          if (firstError === null && (e as NodeJS.ErrnoException).code !== 'MODULE_NOT_FOUND') firstError = e;
        }
      }
    }
  }
  try {
    return require(name);
  } catch (e) {
    // An addon file that exists but does not load says more than the package entry's failure.
    throw firstError ?? e;
  }
}

/**
 * Why a module failed to load, in words for `kseg --version --verbose`. A node-gyp addon is built
 * for one Node.js ABI: loaded by another Node (a node_modules built under Node 20 and run by Node
 * 24) it finds no registration for this ABI and fails with "Module did not self-register" (or
 * names the NODE_MODULE_VERSION it was compiled for).
 */
function describeFailure(e: unknown): string {
  const err = e as NodeJS.ErrnoException;
  const msg = String(err?.message ?? e);
  if (/did not self-register|NODE_MODULE_VERSION/.test(msg)) {
    return `built for another Node.js version; this is ${process.version} (ABI ${process.versions.modules}): run \`npm run build:native\` with this Node (README, "Install")`;
  }
  if (err?.code === 'MODULE_NOT_FOUND' || err?.code === 'ERR_MODULE_NOT_FOUND') {
    return /[\\/]build[\\/]|bindings|\.node\b|node-pre-gyp/.test(msg) ? 'installed but not built (its install script did not run: README, "Install")' : 'not installed';
  }
  return msg.split('\n')[0];
}

const failures = new Map<string, string>();

/** Why optionalNative(name) returned null, or undefined when it loaded, was switched off or was not asked for yet. */
export function nativeLoadFailure(name: string): string | undefined {
  return failures.get(name);
}

const cache = new Map<string, unknown>();

export function optionalNative<T>(name: string, respectSwitch = true): T | null {
  const key = `${name}:${respectSwitch}`;
  if (cache.has(key)) return cache.get(key) as T | null;
  let mod: T | null = null;
  if (!(respectSwitch && nativeDisabled())) {
    try {
      mod = loadAddon(name) as T;
    } catch (e) {
      mod = null;
      failures.set(name, describeFailure(e));
    }
  }
  cache.set(key, mod);
  return mod;
}

export function requireModule<T>(name: string): T {
  return require(name) as T;
}
