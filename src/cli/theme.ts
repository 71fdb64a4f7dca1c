import chalk, { Chalk, type ChalkInstance } from 'chalk';

/**
 * The one place colours come from. chalk follows NO_COLOR, FORCE_COLOR and whether stdout is a
 * TTY; `--no-color` sets level 0.
 */
let c: ChalkInstance = chalk;

export function setColor(enabled: boolean | undefined): void {
  if (enabled === false) c = new Chalk({ level: 0 });
}

export const theme = {
  dim: (s: string) => c.dim(s),
  bold: (s: string) => c.bold(s),
  file: (s: string) => c.bold.cyan(s),
  offset: (s: string) => c.yellow(s),
  key: (s: string) => c.green(s),
  good: (s: string) => c.green(s),
  warn: (s: string) => c.yellow(s),
  bad: (s: string) => c.red(s),
  control: (s: string) => c.magenta(s),
};
