import type { KsegCommand } from '../program.js';
import { UsageError } from '../../format/errors.js';
import { exportPartitions, type ExportResult } from '../../ops/export.js';
import type { ExportFormat, PageCompression } from '../../ops/export-writers.js';
import { nonNegative, s3Options } from '../options.js';
import { toJson } from '../output.js';
import { theme } from '../theme.js';
import { fitText } from '../table-fit.js';
import { bytesWithUnit, count } from '../plural.js';
import { refuseRemoteOutput, resolveArchiveArg } from '../../storage/archive.js';
import { startProgress } from '../progress.js';
import { watchInterrupt } from '../interrupt.js';

interface ExportFlags {
  format: string;
  output?: string;
  compression: string;
  rowGroupRows?: number;
  force?: boolean;
  json?: boolean;
}

export function register(program: KsegCommand): void {
  program
    .command('export')
    .description('one row per record (with its batch metadata) as Parquet, NDJSON or CSV; kseg import writes it back')
    .argument('<path>', 'partition directory, or a log directory (one output file per partition)')
    .requiredOption('-o, --output <file-or-dir>', 'output file; a directory for a log directory (DIR/<topic>-<partition>.<ext>)')
    .option('--format <format>', 'parquet, ndjson or csv', 'parquet')
    .option('--compression <codec>', 'Parquet page compression: snappy, zstd or none', 'snappy')
    .option('--row-group-rows <n>', 'rows per Parquet row group (default 100000; also cut at 3 MiB of keys, values and headers)', nonNegative('--row-group-rows'))
    .option('--force', 'overwrite existing output files')
    .with(s3Options())
    .option('--json', 'JSON summary ({format, compression, batches, records, partitions: [...]})')
    .addHelpText(
      'after',
      `
Columns (README "kseg export"): topic, partition, file, position, baseOffset, lastOffset, entryOffset, magic,
compression, batchAttributes, batchCrc, crcValid, producerId, producerEpoch, baseSequence,
partitionLeaderEpoch, isTransactional, isControl, firstTimestamp, maxTimestamp, lastOffsetDelta,
recordCount, batchSize, offset, timestamp, timestampType, recordAttributes, offsetDelta, timestampDelta,
recordMagic, key, value, headers. NDJSON and CSV carry key, value and header values in base64.

Examples:
  kseg export /var/lib/kafka/orders-3 -o orders-3.parquet
  duckdb -c "SELECT count(*), max(\\"offset\\") FROM 'orders-3.parquet'"
  kseg export /var/lib/kafka --format ndjson -o /tmp/export/`,
    )
    .action(async (p: string, flags: ExportFlags) => {
      refuseRemoteOutput('export', flags.output);
      if (!['parquet', 'ndjson', 'csv'].includes(flags.format)) throw new UsageError(`--format must be parquet, ndjson or csv (got ${flags.format})`);
      if (!['snappy', 'zstd', 'none'].includes(flags.compression)) throw new UsageError(`--compression must be snappy, zstd or none (got ${flags.compression})`);
      if (flags.rowGroupRows === 0) throw new UsageError('--row-group-rows must be at least 1');
      const progress = startProgress('exporting');
      const watch = watchInterrupt();
      const r: ExportResult = await exportPartitions(resolveArchiveArg(p, { allowLogDir: true }), {
        format: flags.format as ExportFormat,
        output: flags.output!,
        compression: flags.compression as PageCompression,
        rowGroupRows: flags.rowGroupRows,
        force: flags.force,
        onProgress: progress.onProgress,
        signal: watch.signal,
      })
        .catch((e: unknown) => watch.fail(e))
        .finally(() => progress.stop());
      process.stdout.write(flags.json ? toJson(r) + '\n' : fitText(render(r)));
      watch.done(`export had finished before it could stop (the signal came after its last safe point): ${r.partitions.map((x) => x.output).join(', ')} complete, as printed`);
    });
}

function render(r: ExportResult): string {
  const lines: string[] = [];
  for (const p of r.partitions) {
    lines.push(
      `${theme.file(p.output)}: ${count(p.records, 'record')} in ${count(p.batches, 'batch')} from ${count(p.logs.length, 'segment')} of ${p.dir} (${bytesWithUnit(p.bytesWritten)})`,
    );
    for (const l of p.logs) {
      if (l.stop !== 'eof') lines.push(theme.warn(`  ${l.file}: ${bytesWithUnit(l.trailingBytes)} at the tail not exported (${l.stop}); kseg import will not write them`));
    }
  }
  return lines.join('\n') + '\n';
}
