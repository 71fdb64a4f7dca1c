import type { ChalkInstance } from 'chalk';
import { stdoutMayBeTty } from './stdout.js';

/**
 * The one place colours come from. chalk follows FORCE_COLOR and whether stdout is a TTY but not
 * NO_COLOR (its supports-color ignores that variable), so `colorDisabledByEnv` applies
 * https://no-color.org here: any non-empty NO_COLOR turns colours off, on a terminal too, and
 * wins over FORCE_COLOR (the rule commander applies to help, main.ts `forcedColor`). `--no-color`
 * always turns them off. chalk is loaded by `loadTheme` (main.ts, before every command
 * runs), and only when it could colour anything: for a pipe or a file with nothing forcing colour
 * its level would be 0, where it returns every string unchanged, as the plain painters here do.
 */
type Paint = (s: string) => string;
type Painters = Record<'dim' | 'bold' | 'file' | 'offset' | 'key' | 'good' | 'warn' | 'bad' | 'control', Paint>;

const same: Paint = (s) => s;
const plain: Painters = { dim: same, bold: same, file: same, offset: same, key: same, good: same, warn: same, bad: same, control: same };

function painters(c: ChalkInstance): Painters {
  return {
    dim: (s) => c.dim(s),
    bold: (s) => c.bold(s),
    file: (s) => c.bold.cyan(s),
    offset: (s) => c.yellow(s),
    key: (s) => c.green(s),
    good: (s) => c.green(s),
    warn: (s) => c.yellow(s),
    bad: (s) => c.red(s),
    control: (s) => c.magenta(s),
  };
}

let p: Painters = plain;
let disabled = false;

/**
 * chalk's level would be 0 (supports-color: stdout is no terminal, and neither FORCE_COLOR, a
 * --color flag nor Azure Pipelines' TF_BUILD says otherwise). When unsure: false, and chalk decides.
 */
function certainlyNoColor(): boolean {
  if (stdoutMayBeTty()) return false;
  if ('FORCE_COLOR' in process.env || 'TF_BUILD' in process.env) return false;
  return !process.argv.some((a) => a.startsWith('--color'));
}

/** NO_COLOR with any non-empty value, or FORCE_COLOR=0 / false. */
export function colorDisabledByEnv(env: NodeJS.ProcessEnv = process.env): boolean {
  if (env.NO_COLOR !== undefined && env.NO_COLOR !== '') return true;
  return env.FORCE_COLOR === '0' || env.FORCE_COLOR === 'false';
}

/** Pick the painters for this run: chalk unless colours are off (`--no-color`) or certainly unused. */
export async function loadTheme(color?: boolean): Promise<void> {
  if (color === false) disabled = true;
  if (disabled || colorDisabledByEnv() || certainlyNoColor()) {
    p = plain;
    return;
  }
  p = painters((await import('chalk')).default);
}

export const theme: Painters = {
  dim: (s) => p.dim(s),
  bold: (s) => p.bold(s),
  file: (s) => p.file(s),
  offset: (s) => p.offset(s),
  key: (s) => p.key(s),
  good: (s) => p.good(s),
  warn: (s) => p.warn(s),
  bad: (s) => p.bad(s),
  control: (s) => p.control(s),
};
