import type { KsegCommand } from '../program.js';
import path from 'node:path';
import { report } from '../../ops/report.js';
import { writeFileAtomic } from '../../storage/atomic.js';
import { intArg, nonNegative, s3Options } from '../options.js';
import { toJson } from '../output.js';
import { renderReportHtml } from '../report-html.js';
import { count } from '../plural.js';
import { resolveArchiveArg } from '../../storage/archive.js';

interface ReportFlags {
  output?: string;
  json?: boolean;
  maxPartitions?: number;
  maxKeys?: number;
  now?: number;
}

export function register(program: KsegCommand): void {
  program
    .command('report')
    .description(
      'one self-contained HTML page about a partition or a log dir: segment timeline, records per minute, codec mix, keys, what compaction would reclaim, verify findings',
    )
    .argument('<path>', 'partition directory, or a broker log dir (one section per partition)')
    .option('-o, --output <file>', 'write the page here (default: stdout)')
    .with(s3Options())
    .option('--json', 'print the data behind the page as JSON instead of HTML')
    .option('--max-partitions <n>', 'a log dir: report the largest N partitions, list the rest (default 20)', nonNegative('--max-partitions'))
    .option('--max-keys <n>', 'count distinct keys exactly up to N per partition, then report a lower bound (default 1000000)', nonNegative('--max-keys'))
    .option('--now <ms>', "time for compaction's dry run (tombstone horizons, producer expiry), ms since the epoch (default: now)", intArg('--now'))
    .addHelpText(
      'after',
      `
The page has no script and loads nothing from the network: open it anywhere, attach it to a ticket.
Its parts: a segment timeline over offsets (bar height = bytes; gaps, compacted segments and verify
findings marked), records and bytes per minute from every batch header, codec/magic mix, key
cardinality and what \`kseg compact\` would reclaim (its --dry-run), the verify findings, the segments.

Examples:
  kseg report /var/lib/kafka/data/orders-3 -o orders-3.html
  kseg report /var/lib/kafka/data -o broker.html --max-partitions 50
  kseg report orders-3 --json | jq '.partitions[0].keys'`,
    )
    .action(async (p: string, flags: ReportFlags) => {
      const data = await report(resolveArchiveArg(p, { allowLogDir: true }), { maxPartitions: flags.maxPartitions, maxDistinctKeys: flags.maxKeys, now: flags.now });
      const out = flags.json ? toJson(data) + '\n' : renderReportHtml(data);
      if (flags.output) {
        const abs = path.resolve(flags.output);
        writeFileAtomic(path.dirname(abs), path.basename(abs), out);
        const n = data.partitions.length;
        process.stderr.write(`kseg: wrote ${flags.output} (${count(n, 'partition')}${data.skipped.length ? `, ${data.skipped.length} more not shown` : ''})\n`);
      } else {
        process.stdout.write(out);
      }
    });
}
