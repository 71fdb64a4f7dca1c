import { createRequire } from 'node:module';

/**
 * Optional native modules (node-gyp builds that may be absent: a user's `npm i -g` on npm 11.19
 * skips their install scripts). Each loader returns null when the module is missing, failed to
 * build, or `KSEG_NO_NATIVE=1` disables the native fast paths. Nothing is loaded until asked.
 */
const require = createRequire(import.meta.url);

export function nativeDisabled(): boolean {
  const v = process.env.KSEG_NO_NATIVE;
  return v !== undefined && v !== '' && v !== '0';
}

const cache = new Map<string, unknown>();

export function optionalNative<T>(name: string, respectSwitch = true): T | null {
  const key = `${name}:${respectSwitch}`;
  if (cache.has(key)) return cache.get(key) as T | null;
  let mod: T | null = null;
  if (!(respectSwitch && nativeDisabled())) {
    try {
      mod = require(name) as T;
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
