import type { KsegCommand } from '../program.js';
import { coordinator, type CoordinatorResult } from '../../ops/coordinator.js';
import { intArg, s3Options } from '../options.js';
import { toJson } from '../output.js';
import { theme } from '../theme.js';
import { fitText } from '../table-fit.js';
import { bytesWithUnit, count } from '../plural.js';
import { resolveArchiveArgs } from '../../storage/archive.js';

const collect = (v: string, prev: string[] = []): string[] => [...prev, v];
const list = (v: string, prev: string[] = []): string[] => [...prev, ...v.split(',').filter((s) => s.length > 0)];

export function register(program: KsegCommand): void {
  program
    .command('coordinator')
    .description(
      "which __consumer_offsets / __transaction_state partition coordinates a group or transactional id (Kafka's Utils.abs(String.hashCode) % partitions), and where it is on disk",
    )
    .option('--group <id>', 'consumer group id (repeatable)', collect)
    .option('--transactional-id <id>', 'transactional id (repeatable)', collect)
    .option(
      '--partitions <n>',
      'partition count of the internal topic (default: from __cluster_metadata-0 under --log-dirs, else the highest N + 1 found there, else 50)',
      intArg('--partitions'),
    )
    .option('--log-dirs <dirs>', 'broker log.dirs to look in, comma-separated (repeatable)', list)
    .with(s3Options())
    .option('--json', 'JSON array, one object per id')
    .addHelpText(
      'after',
      `
Examples:
  kseg coordinator --group payments-consumer
  kseg coordinator --transactional-id orders-tx-1 --partitions 50
  kseg coordinator --group g1 --group g2 --log-dirs /data/kafka-1,/data/kafka-2 --json`,
    )
    .action((flags: { group?: string[]; transactionalId?: string[]; partitions?: number; logDirs?: string[]; json?: boolean }) => {
      const results = coordinator({
        groups: flags.group,
        transactionalIds: flags.transactionalId,
        partitions: flags.partitions,
        logDirs: flags.logDirs && resolveArchiveArgs(flags.logDirs, { logDirOnly: true }),
      });
      process.stdout.write(flags.json ? toJson(results) + '\n' : fitText(results.map(render).join('\n')) + '\n');
    });
}

function render(r: CoordinatorResult): string {
  const what = r.kind === 'group' ? 'group' : 'transactional id';
  const lines = [
    `${what} ${JSON.stringify(r.id)} -> ${theme.file(r.partitionDir)}  (hashCode ${r.hashCode}, abs % ${r.partitions} = ${r.partition}; ${count(r.partitions, 'partition')} from ${r.partitionsSource === 'flag' ? '--partitions' : r.partitionsSource === 'cluster-metadata' ? '__cluster_metadata' : r.partitionsSource === 'log-dirs' ? 'the log dirs' : "Kafka's default"})`,
  ];
  for (const l of r.locations ?? []) {
    lines.push(
      `  ${l.dir}: ${count(l.segments.length, 'segment')}, ${bytesWithUnit(l.bytes)}, offsets ${l.logStartOffset ?? '-'}..${l.logEndOffset ?? '-'} (end exclusive), ${count(l.producerSnapshots, 'producer snapshot')}`,
    );
    for (const s of l.segments) lines.push(`    ${s.file}  ${bytesWithUnit(s.bytes)}`);
  }
  for (const n of r.notes) lines.push(`  ${theme.warn('note:')} ${n}`);
  return lines.join('\n');
}
