import { EXIT } from '../exit-codes.js';
import type { KsegCommand } from '../program.js';
import { runWithBar } from '../interrupt.js';
import { DEFAULT_INDEX_INTERVAL_BYTES, rebuildIndexSteps, type IndexFileComparison, type RebuildResult } from '../../ops/rebuild-index.js';
import { nonNegative } from '../options.js';
import { confirm, DECLINED, shouldConfirm } from '../confirm.js';
import { toJson } from '../output.js';
import { theme } from '../theme.js';
import { fitText } from '../table-fit.js';
import { count } from '../plural.js';
import { refuseReadOnlyPaths } from '../../storage/archive.js';

interface RebuildFlags {
  indexIntervalBytes: number;
  check?: boolean;
  dryRun?: boolean;
  json?: boolean;
  force?: boolean;
  yes?: boolean;
}

export function register(program: KsegCommand): void {
  program
    .command('rebuild-index')
    .description("rebuild .index/.timeindex/.txnindex exactly as Kafka's recovery writes them; --check compares instead")
    .argument('<path>', "partition directory, or one segment's .log/.index/.timeindex/.txnindex")
    .option(
      '--index-interval-bytes <n>',
      `the topic's index.interval.bytes (Kafka's default ${DEFAULT_INDEX_INTERVAL_BYTES})`,
      nonNegative('--index-interval-bytes'),
      DEFAULT_INDEX_INTERVAL_BYTES,
    )
    .option('--check', 'compare the files on disk with rebuilt ones and report differences; write nothing; exit 1 if any differ')
    .option('--dry-run', 'list the files that would be rewritten; write nothing')
    .option('--json', 'JSON result ({changed, removed, before, after, files}; with --check {same, differences, files})')
    .option('--force', 'write even if a broker holds the log directory lock')
    .option('-y, --yes', 'do not ask for confirmation on a terminal (scripts and pipes are never asked)')
    .addHelpText(
      'after',
      `
Entries follow Kafka's index.interval.bytes rule per batch (the layout of brokers since KAFKA-806 and of
recovery); .txnindex entries come from the ABORT markers, with the transaction state replayed from the
first segment. A log that Kafka's recovery would cut is refused (exit 3): run kseg recover first.

--check exits 1 when a file differs. Differences are not necessarily corruption: brokers before
KAFKA-806 wrote one entry per append, and restarted brokers shift entries; kseg verify tells whether
the existing entries are valid. The active segment's preallocated zero tail is ignored.

Examples:
  kseg rebuild-index orders-3 --check
  kseg rebuild-index orders-3/00000000000000368769.log --index-interval-bytes 4096`,
    )
    .action(async (p: string, flags: RebuildFlags) => {
      refuseReadOnlyPaths('rebuild-index', [p]);
      if (!flags.check && shouldConfirm(flags)) {
        const { r: plan, watch } = await runWithBar('reading', (onProgress, at) =>
          rebuildIndexSteps(p, { indexIntervalBytes: flags.indexIntervalBytes, dryRun: true, force: flags.force, onProgress }, at),
        );
        watch.done('rebuild-index had only read: nothing was changed');
        if (plan.changed.length > 0) {
          process.stdout.write(fitText(render(plan, { ...flags, dryRun: true })));
          if (!(await confirm(`Rewrite ${count(plan.changed.length, 'index file')}?`))) {
            process.stdout.write(DECLINED);
            return;
          }
        }
      }
      const { r, watch } = await runWithBar(flags.check ? 'checking' : 'rebuilding', (onProgress, at) =>
        rebuildIndexSteps(p, { indexIntervalBytes: flags.indexIntervalBytes, check: flags.check, dryRun: flags.dryRun, force: flags.force, onProgress }, at),
      );
      if (flags.json) {
        const o = flags.check
          ? { same: r.differences === 0, differences: r.differences, indexIntervalBytes: r.indexIntervalBytes, files: r.files }
          : {
              changed: r.changed,
              removed: r.removed,
              before: r.before,
              after: r.after,
              dryRun: !!flags.dryRun,
              applied: r.applied,
              indexIntervalBytes: r.indexIntervalBytes,
              files: r.files,
            };
        process.stdout.write(toJson(o) + '\n');
      } else {
        process.stdout.write(fitText(render(r, flags)));
      }
      watch.done(
        flags.check || flags.dryRun || !r.changed.length
          ? 'rebuild-index had finished: nothing was changed'
          : 'rebuild-index had finished before it could stop (the signal came after its last safe point): the index files are rewritten, as printed',
      );
      if (flags.check && r.differences > 0) return EXIT.notFound;
    });
}

function entry(e: Record<string, number> | null): string {
  return e ? '(' + Object.values(e).join(', ') + ')' : 'none';
}

function fileLine(f: IndexFileComparison, verb: string): string {
  const tail = f.zeroTailSlots ? theme.dim(` (+${f.zeroTailSlots} preallocated zero slots ignored)`) : '';
  if (f.status === 'same') return `  ${theme.good('same    ')} ${f.file}: ${count(f.entriesRebuilt, 'entry')}${tail}`;
  if (f.status === 'missing') return `  ${theme.warn('missing ')} ${f.file}: ${verb} with ${count(f.entriesRebuilt, 'entry')}`;
  if (f.bytesOnDiskTooLarge !== undefined)
    return `  ${theme.warn('differs ')} ${f.file}: ${count(f.bytesOnDiskTooLarge, 'byte')} on disk, too large for Kafka to map; ${verb} with ${count(f.entriesRebuilt, 'entry')}`;
  const d = f.firstDifference!;
  return `  ${theme.warn('differs ')} ${f.file}: ${count(f.entriesOnDisk, 'entry')} on disk, ${f.entriesRebuilt} rebuilt; first difference at entry ${d.entry} (byte ${d.position}): disk ${entry(d.disk)}, rebuilt ${entry(d.rebuilt)}${tail}`;
}

function render(r: RebuildResult, flags: RebuildFlags): string {
  const verb = flags.check || flags.dryRun ? 'would be written' : 'written';
  const out = [`${theme.file(r.dir)} (index.interval.bytes ${r.indexIntervalBytes})`];
  for (const f of r.files) out.push(fileLine(f, verb));
  if (flags.check)
    out.push(
      r.differences ? theme.warn(`${count(r.differences, 'file')} ${r.differences === 1 ? 'differs' : 'differ'} from a rebuild`) : theme.good('all index files equal a rebuild'),
    );
  else if (flags.dryRun) out.push(theme.dim(`dry run: ${count(r.changed.length, 'file')} would be rewritten, nothing changed`));
  else out.push(r.changed.length ? theme.good(`${count(r.changed.length, 'file')} rewritten`) : theme.good('all index files already equal a rebuild; nothing written'));
  return out.join('\n') + '\n';
}
