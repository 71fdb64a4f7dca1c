import type { Command } from 'commander';
import { lookup } from '../../ops/lookup.js';
import { resolveDecoders } from '../decoders.js';
import { toJson } from '../output.js';
import { recordJson } from '../render.js';
import { DECODER_HELP, intArg } from '../options.js';
import { writeStdout } from '../stdout.js';

interface LookupFlags {
  offset?: number;
  timestamp?: number;
  explain?: boolean;
  json?: boolean;
  decoder?: string;
  keyDecoder?: string;
  valueDecoder?: string;
  headerDecoder?: string;
}

export function register(program: Command): void {
  program
    .command('lookup')
    .description('find the record at an offset (or the first at/after a timestamp) the way a broker does')
    .argument('<dir>', 'partition directory')
    .option('--offset <n>', 'offset to find', intArg('--offset'))
    .option('--timestamp <ms>', 'first record with timestamp >= this (epoch milliseconds, ListOffsets rule)', intArg('--timestamp'))
    .option('--explain', 'print each step: candidate segment, index entry used, bytes scanned')
    .option('--json', 'JSON result (README, "JSON contract")')
    .option('--decoder <d>', `key, value and header decoder: ${DECODER_HELP}`)
    .option('--key-decoder <d>', DECODER_HELP)
    .option('--value-decoder <d>', DECODER_HELP)
    .option('--header-decoder <d>', DECODER_HELP)
    .addHelpText('after', `
Examples:
  kseg lookup /var/lib/kafka/orders-3 --offset 368776 --explain
  kseg lookup orders-3 --timestamp 1700000000000 --json`)
    .action(async (dir: string, flags: LookupFlags) => {
      const decoders = resolveDecoders(flags);
      const r = lookup(dir, { offset: flags.offset, timestamp: flags.timestamp });
      if (flags.json) {
        const o: Record<string, unknown> = {
          offset: r.offset,
          segment: r.segment,
          segmentBaseOffset: r.segmentBaseOffset,
          indexEntry: r.indexEntry,
        };
        if (r.timeIndexEntry !== undefined) o.timeIndexEntry = r.timeIndexEntry;
        o.batch = { position: r.batch.position, baseOffset: r.batch.baseOffset, lastOffset: r.batch.lastOffset, size: r.batch.size };
        o.record = recordJson(r.record, r.batch, decoders);
        o.bytesScanned = r.bytesScanned;
        if (flags.explain) o.steps = r.steps;
        writeStdout(toJson(o) + '\n');
        return;
      }
      // Text output only: its modules load here, not for --json.
      const [{ humanBatchLine, humanRecordLine }, { theme }] = await Promise.all([import('../human.js'), import('../theme.js')]);
      if (flags.explain) {
        r.steps.forEach((s, i) => writeStdout(theme.dim(`${i + 1}. `) + s + '\n'));
        writeStdout('\n');
      }
      writeStdout(`${theme.file(r.segment)} (base ${r.segmentBaseOffset})\n${humanBatchLine(r.batch)}\n${humanRecordLine(r.record, decoders)}\n`);
    });
}
