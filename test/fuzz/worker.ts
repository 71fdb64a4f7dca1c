/**
 * Fuzz worker process (forked by run.ts): runs inputs [start, end) of a run, or saved corpus
 * inputs, and reports each one to the parent, which keeps the watchdog (a hang or a death of this
 * process is detected there).
 */
import { loadCorpus, loadSeeds, makeInput, runInput, Workspace } from './engine.js';

interface Job {
  mode: 'run' | 'replay';
  runSeed: number;
  start: number;
  end: number;
  only: string[] | null;
  formatShare: number;
  corpus?: string;
  /** Work directory (made and removed by the parent, also after a kill). */
  root: string;
}

process.on('message', (job: Job) => {
  void work(job).then(
    () => process.exit(0),
    (e) => {
      process.stderr.write(`fuzz worker: ${(e as Error).stack ?? String(e)}\n`);
      process.exit(71);
    },
  );
});

async function work(job: Job): Promise<void> {
  const seeds = await loadSeeds();
  const ws = new Workspace(job.root);
  const corpus = job.mode === 'replay' ? loadCorpus(job.corpus) : [];
  process.send!({ type: 'ready' });
  for (let i = job.start; i < job.end; i++) {
    const input = job.mode === 'replay' ? corpus[i]! : makeInput(seeds, job.runSeed, i, job.only, job.formatShare);
    const out = await runInput(seeds, ws, input);
    process.send!({ type: 'done', i, target: input.target, ...out, rss: process.memoryUsage.rss() });
  }
  await new Promise<void>((r) => process.send!({ type: 'end' }, () => r()));
}
