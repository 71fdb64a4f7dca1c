import type { Command } from 'commander';
import { DEFAULT_INDEX_INTERVAL_BYTES } from '../../ops/rebuild-index.js';
import { importPartition, type ImportFormat, type ImportResult } from '../../ops/import.js';
import { nonNegative } from '../options.js';
import { toJson } from '../output.js';
import { theme } from '../theme.js';
import { fitText } from '../table-fit.js';
import { count } from '../plural.js';
import { refuseRemoteOutput } from '../../storage/archive.js';
import { startProgress } from '../progress.js';
import { watchInterrupt } from '../interrupt.js';

interface ImportFlags {
  output?: string;
  format?: string;
  indexIntervalBytes: number;
  json?: boolean;
}

export function register(program: Command): void {
  program
    .command('import')
    .description('write a partition directory from a kseg export, batch by batch (byte-identical when unmodified)')
    .argument('<file>', 'a kseg export: .parquet, .ndjson or .csv (possibly filtered or edited)')
    .requiredOption('-o, --output <partition-dir>', 'new partition directory (must not exist or be empty)')
    .option('--format <format>', 'parquet, ndjson or csv (default: from the file name)')
    .option(
      '--index-interval-bytes <n>',
      `index.interval.bytes for the rebuilt indexes (Kafka's default ${DEFAULT_INDEX_INTERVAL_BYTES})`,
      nonNegative('--index-interval-bytes'),
      DEFAULT_INDEX_INTERVAL_BYTES,
    )
    .option('--json', 'JSON summary ({batches, records, identical, rewritten, recompressed, edited, rewrittenBatches, segments, leaderEpochs, snapshots, logEndOffset, ...})')
    .addHelpText(
      'after',
      `
Rows of one batch (same file and position) are encoded again from the exported batch fields. A batch
whose CRC and size equal the exported ones is byte-identical; others are listed as "recompressed"
(all records there, the codec library produced other bytes: new but equivalent) or "edited".
Indexes (.index, .timeindex, .txnindex) are rebuilt as Kafka's recovery writes them; for v2 data
the leader-epoch-checkpoint (from the batches' partition leader epochs) and producer snapshots (at
each segment roll and at the log end) are written as a broker leaves them after a clean shutdown.
The directory appears only when complete.

Examples:
  kseg import orders-3.parquet -o /tmp/orders-3
  duckdb -c "COPY (SELECT * FROM 'orders-3.parquet' WHERE key <> 'secret'::BLOB) TO 'f.parquet'"
  kseg import f.parquet -o /tmp/orders-3 && kseg verify /tmp/orders-3`,
    )
    .action(async (file: string, flags: ImportFlags) => {
      refuseRemoteOutput('import', flags.output);
      const progress = startProgress('importing');
      const watch = watchInterrupt();
      let r: ImportResult;
      try {
        r = await importPartition(file, flags.output!, {
          format: flags.format as ImportFormat | undefined,
          indexIntervalBytes: flags.indexIntervalBytes,
          onProgress: progress.onProgress,
          signal: watch.signal,
        });
      } catch (e) {
        progress.stop();
        return watch.fail(e);
      }
      progress.stop();
      process.stdout.write(flags.json ? toJson(r) + '\n' : fitText(render(r)));
      watch.done(`import had finished before it could stop (the signal came after its last safe point): ${r.output} is complete, as printed`);
    });
}

function render(r: ImportResult): string {
  const lines = [
    `${theme.file(r.output)}: ${count(r.records, 'record')} in ${count(r.batches, 'batch')}, ${count(r.segments.length, 'segment')}; ${count(r.identical, 'batch')} byte-identical to the export`,
  ];
  if (r.recompressed)
    lines.push(
      theme.warn(`  ${count(r.recompressed, 'compressed batch', 'compressed batches')} written as new but equivalent bytes (same records; the codec produced other bytes)`),
    );
  if (r.crcRepaired) lines.push(theme.warn(`  ${count(r.crcRepaired, 'batch')} had an invalid CRC in the export and were written with a correct one`));
  if (r.edited) lines.push(theme.warn(`  ${count(r.edited, 'batch')} written with edited content (rows removed or changed)`));
  for (const b of r.rewrittenBatches.slice(0, 20)) {
    lines.push(
      `    ${b.file}:${b.position} base ${b.baseOffset} ${b.reason}: crc 0x${b.crc.toString(16).padStart(8, '0')} (exported 0x${b.exportedCrc.toString(16).padStart(8, '0')}), ${count(b.size, 'byte')} (exported ${b.exportedSize})`,
    );
  }
  if (r.rewritten > 20) lines.push(`    ... ${r.rewritten - 20} more (--json lists up to 1000)`);
  lines.push(`  indexes rebuilt: ${count(r.indexes.changed.length, 'file')}`);
  if (r.snapshots.length || r.leaderEpochs.length)
    lines.push(`  leader-epoch-checkpoint: ${count(r.leaderEpochs.length, 'entry', 'entries')}; producer snapshots: ${r.snapshots.join(', ')} (log end offset ${r.logEndOffset})`);
  return lines.join('\n') + '\n';
}
