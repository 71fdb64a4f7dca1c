import cliProgress from 'cli-progress';
import type { OnProgress } from '../ops/progress.js';
import { colorDisabledByEnv, theme } from './theme.js';
import { shortSize as human } from './plural.js';

/**
 * The one progress bar of long commands (issue 18): on stderr, only when stderr is a terminal (so
 * stdout may go to a file or a pipe), only once the work has taken longer than a moment
 * (KSEG_PROGRESS_DELAY_MS, default 1000), with bytes done of total, rate and ETA. Off a terminal
 * nothing is written: stderr in pipes stays exactly as without it. Ops report through
 * `onProgress(bytesDone, bytesTotal)` (src/ops/progress.ts) and never print.
 */
export interface Progress {
  /** Pass to the op; undefined when no bar can be shown (stderr is no terminal). */
  onProgress: OnProgress | undefined;
  /** Clear the bar (before writing the result). */
  stop(): void;
}

function delayMs(): number {
  const v = Number(process.env.KSEG_PROGRESS_DELAY_MS);
  return Number.isFinite(v) && v >= 0 ? v : 1000;
}

export function startProgress(label: string, enabled = true): Progress {
  if (!enabled || process.stderr.isTTY !== true) return { onProgress: undefined, stop() {} };
  let started = performance.now();
  const delay = delayMs();
  let bar: cliProgress.SingleBar | null = null;
  let shownPhase: string | undefined;
  const plain = colorDisabledByEnv();
  return {
    onProgress(done, total, phase) {
      // A new phase (compact: reading, then cleaning) starts a new bar with its own rate and ETA.
      if (bar && phase !== shownPhase) {
        bar.stop();
        bar = null;
        started = performance.now();
      }
      const secs = (performance.now() - started) / 1000;
      if (!bar) {
        if (secs * 1000 < delay || done >= total) return;
        shownPhase = phase;
        const name = phase ?? label;
        bar = new cliProgress.SingleBar({
          stream: process.stderr,
          format: barFormat(plain ? name : theme.bold(name), name.length),
          barsize: barSize(name.length),
          hideCursor: true,
          clearOnComplete: true,
          etaBuffer: 20,
          barCompleteChar: plain ? '#' : '\u2588',
          barIncompleteChar: plain ? '-' : '\u2591',
        });
        bar.start(Math.max(1, total), 0, { done: human(0), total_h: human(total), rate: '' });
      }
      bar.update(Math.min(done, Math.max(1, total)), { done: human(done), total_h: human(total), rate: `${human(done / Math.max(secs, 0.001))}/s` });
    },
    stop() {
      bar?.stop();
      bar = null;
    },
  };
}

/** The text around the bar: "label [bar] 42% | 1.2 GiB of 3.0 GiB | 210.4 MiB/s | eta 8s" (~56 columns besides label and bar). */
const TEXT = 56;

/** The bar's width so that the whole line fits stderr's terminal: 10 to 40, or none when narrow. */
function barSize(labelLength: number): number {
  const cols = process.stderr.columns > 0 ? process.stderr.columns : 80;
  return Math.max(0, Math.min(40, cols - 1 - labelLength - TEXT));
}

function barFormat(label: string, labelLength: number): string {
  const size = barSize(labelLength);
  if (size >= 10) return `${label} [{bar}] {percentage}% | {done} of {total_h} | {rate} | eta {eta_formatted}`;
  // A narrow terminal: no bar, the numbers only (still one line, so the bar's redraw works).
  return `${label} {percentage}% | {done} of {total_h} | eta {eta_formatted}`;
}
