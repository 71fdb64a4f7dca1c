import readline from 'node:readline';
import { theme } from './theme.js';

/**
 * The confirmation policy of every command that changes a partition (recover, rebuild-index,
 * truncate, compact): on a terminal — stdin and stderr both TTYs — the plan is shown first and the
 * command asks before changing anything, unless --yes. --dry-run and --json never ask (a script
 * reading JSON gets no prompt), and neither does a run whose stdin is not a terminal, so cron jobs
 * and pipes keep working unattended (docs/OUTPUT.md).
 */
export function shouldConfirm(flags: { yes?: boolean; dryRun?: boolean; json?: boolean }): boolean {
  return !flags.yes && !flags.dryRun && !flags.json && process.stdin.isTTY === true && process.stderr.isTTY === true;
}

/**
 * Ask on stderr (stdout keeps the plan and the result); anything but y/yes is no. `backup` is the
 * hint printed above the question when the command can keep a copy of what it removes.
 */
export async function confirm(question: string, hint?: string): Promise<boolean> {
  if (hint) process.stderr.write(theme.dim(hint) + '\n');
  const rl = readline.createInterface({ input: process.stdin, output: process.stderr });
  try {
    const answer = await new Promise<string>((resolve) => {
      rl.question(`${question} [y/N] `, resolve);
      rl.once('close', () => resolve(''));
    });
    return /^y(es)?$/i.test(answer.trim());
  } finally {
    rl.close();
  }
}

/** What a declined prompt prints (stdout), so the terminal shows that nothing happened. */
export const DECLINED = 'nothing changed\n';
