import { Command, CommanderError } from 'commander';
import { constants as bufferConstants } from 'node:buffer';
import { KsegError, UsageError } from '../format/errors.js';
import { SimulatedCrash } from '../storage/atomic.js';
import { onStorageNote } from '../storage/notes.js';
import { bytesArg } from './options.js';
import { toJson } from './output.js';
import { stdoutMayBeTty, writeStdout } from './stdout.js';

/**
 * The entry: maps command names to lazily imported modules, so `kseg --help` and `kseg lookup`
 * load only what they use. Only this file turns errors into exit codes (OUTPUT.md).
 */
interface CommandSpec {
  name: string;
  summary: string;
  load: () => Promise<{ register(program: Command): void }>;
}

export const COMMANDS: CommandSpec[] = [
  { name: 'dump', summary: 'print records, batches or index entries of a partition or file', load: () => import('./commands/dump.js') },
  { name: 'lookup', summary: 'find the record at an offset or timestamp the way a broker does', load: () => import('./commands/lookup.js') },
  { name: 'info', summary: 'one row per segment: offsets, batches, records, bytes, indexes, codecs', load: () => import('./commands/info.js') },
  { name: 'verify', summary: 'check batches, indexes, snapshots and checkpoints; every problem with file, byte position and offset', load: () => import('./commands/verify.js') },
  { name: 'scan', summary: 'verify or summarise every partition under broker log.dirs with a pool of worker threads', load: () => import('./commands/scan.js') },
  { name: 'recover', summary: "Kafka's startup recovery offline: cut at the first invalid batch, delete later segments, rebuild indexes", load: () => import('./commands/recover.js') },
  { name: 'rebuild-index', summary: 'rebuild .index/.timeindex/.txnindex as Kafka recovery writes them (--check compares)', load: () => import('./commands/rebuild-index.js') },
  { name: 'truncate', summary: 'remove the tail or leading segments of a partition with Kafka\'s semantics, crash-safely', load: () => import('./commands/truncate.js') },
  { name: 'compact', summary: "Kafka's log cleaner offline: latest record per key, tombstones, aborted transactions, crash-safe swap", load: () => import('./commands/compact.js') },
  { name: 'salvage', summary: 'copy every valid batch of a damaged partition into a fresh one, resynchronising past damage, with a loss report', load: () => import('./commands/salvage.js') },
  { name: 'slice', summary: 'a standalone partition (or one .log) holding exactly the batches covering an offset range, copied byte for byte', load: () => import('./commands/slice.js') },
  { name: 'grep', summary: 'records matching a key, header, value, offset or time range, in one partition or a whole log dir', load: () => import('./commands/grep.js') },
  { name: 'diff', summary: 'compare two replicas of a partition: first diverging offset, differing batches, log bounds, indexes', load: () => import('./commands/diff.js') },
  { name: 'coordinator', summary: 'which __consumer_offsets / __transaction_state partition holds a group or transactional id, and where on disk', load: () => import('./commands/coordinator.js') },
  { name: 'txn', summary: 'transaction forensics: open, committed and aborted transactions per producer, last stable offset, hanging transactions', load: () => import('./commands/txn.js') },
  { name: 'offsets', summary: 'committed offsets of consumer groups from __consumer_offsets (latest commit per partition, tombstones, transactions, expiry)', load: () => import('./commands/offsets.js') },
  { name: 'groups', summary: 'consumer groups from __consumer_offsets: type, state, generation, protocol, members', load: () => import('./commands/groups.js') },
  { name: 'metadata', summary: 'the cluster a KRaft __cluster_metadata log describes (snapshot + log): brokers, topics, partitions, features, configs', load: () => import('./commands/metadata.js') },
  { name: 'report', summary: 'one self-contained HTML page: segment timeline, records per minute, codecs, keys, compaction reclaim, verify findings', load: () => import('./commands/report.js') },
  { name: 'export', summary: 'one row per record with its batch metadata as Parquet, NDJSON or CSV (for DuckDB, pandas, ...)', load: () => import('./commands/export.js') },
  { name: 'import', summary: 'write a partition directory back from a kseg export: byte-identical when unmodified, valid when filtered', load: () => import('./commands/import.js') },
  { name: 'generate', summary: 'write a partition directory as a broker would (deterministic test data, optional injected fault)', load: () => import('./commands/generate.js') },
  { name: 'completion', summary: 'print a bash, zsh or fish completion script: commands, flags and flag values', load: () => import('./commands/completion.js') },
];

export const VERSION = '0.1.0';

function commandName(argv: string[]): string | undefined {
  const args = argv.slice(2);
  const first = args.find((a) => !a.startsWith('-'));
  if (first === 'help') return args[args.indexOf('help') + 1];
  return first;
}

export async function run(argv: string[] = process.argv): Promise<void> {
  const wantsJson = argv.includes('--json') || argv.includes('--ndjson');
  const program = new Command('kseg')
    .description('Read, verify, repair and generate Apache Kafka partition directories on disk.')
    .version(VERSION, '-V, --version', 'output the version number (with --verbose: also the native fast paths and fallbacks this install loads)')
    .option('--no-color', 'disable colours (also NO_COLOR=1)')
    .option('--max-decompressed-bytes <n>', 'stop a compressed batch that expands past this (default 128m; DECOMPRESSED_TOO_LARGE)', maxDecompressedArg)
    .showHelpAfterError('(run with --help for usage)')
    .configureHelp({ showGlobalOptions: true })
    .exitOverride()
    .configureOutput({ writeErr: (s) => process.stderr.write(s) });
  // Help goes out without creating process.stdout unless fd 1 may be a terminal (stdout.ts):
  // commander's own functions then run as they are; off a terminal they would find no TTY.
  const out = program.configureOutput();
  program.configureOutput({
    writeOut: writeStdout,
    // (commander's types say number / boolean; its own defaults return undefined off a terminal)
    getOutHelpWidth: (() => (stdoutMayBeTty() ? out.getOutHelpWidth!() : undefined)) as () => number,
    getOutHasColors: (() => (stdoutMayBeTty() ? out.getOutHasColors!() : forcedColor())) as () => boolean,
  });
  program.addHelpText('after', '\nExit codes: 0 ok, 1 verify found errors / lookup, offsets or groups found nothing / grep matched nothing / diff found differences, 2 usage, 3 corrupt input, 4 I/O or locked, 70 internal error.\nMachine-readable output: --json / --ndjson (see README, "JSON contract").');
  // chalk loads here only when stdout could show colours (theme.ts).
  program.hook('preAction', async (cmd) => (await import('./theme.js')).loadTheme(cmd.optsWithGlobals().color as boolean | undefined));
  program.hook('preAction', async (cmd) => {
    const limit = cmd.optsWithGlobals().maxDecompressedBytes as number | undefined;
    if (limit !== undefined) (await import('../format/codecs.js')).setMaxDecompressedBytes(limit);
  });

  if ((argv.includes('--version') || argv.includes('-V')) && argv.includes('--verbose')) {
    writeStdout(await versionDetails());
    return;
  }
  const name = commandName(argv);
  const spec = COMMANDS.find((c) => c.name === name);
  if (spec) {
    (await spec.load()).register(program);
  } else {
    for (const c of COMMANDS) program.command(c.name).description(c.summary);
  }
  onStorageNote((m) => process.stderr.write(`kseg: note: ${m}\n`));
  try {
    await program.parseAsync(argv);
  } catch (e) {
    process.exitCode = exitFor(e, wantsJson);
  }
}

/** --max-decompressed-bytes: a byte size (4096, 64k, 512m, 2g) from 1 byte to Node's largest Buffer. */
function maxDecompressedArg(v: string): number {
  const n = bytesArg('--max-decompressed-bytes')(v);
  if (n < 1 || n > bufferConstants.MAX_LENGTH) throw new UsageError(`--max-decompressed-bytes: must be between 1 and ${bufferConstants.MAX_LENGTH} (got ${v})`);
  return n;
}

/** commander's colour rule for output that is not a terminal (its `useColor()`, then no). */
function forcedColor(): boolean | undefined {
  const env = process.env;
  if (env.NO_COLOR || env.FORCE_COLOR === '0' || env.FORCE_COLOR === 'false') return false;
  if (env.FORCE_COLOR || env.CLICOLOR_FORCE !== undefined) return true;
  return undefined;
}

export function exitFor(e: unknown, wantsJson: boolean): number {
  if (e instanceof CommanderError) {
    if (e.code === 'commander.helpDisplayed' || e.code === 'commander.version' || e.code === 'commander.help') return 0;
    if (wantsJson) process.stderr.write(toJson({ error: { code: 'USAGE', message: e.message.replace(/^error: /, '') } }) + '\n');
    return 2;
  }
  if (e instanceof KsegError) {
    const where = e.file !== undefined ? ` (${e.file}${e.position !== undefined ? ` at byte ${e.position}` : ''})` : '';
    process.stderr.write(`kseg: ${e.message}${where}\n`);
    if (wantsJson) {
      const err: Record<string, unknown> = { code: e.code, message: e.message };
      if (e.file !== undefined) err.file = e.file;
      if (e.position !== undefined) err.position = e.position;
      process.stderr.write(toJson({ error: err }) + '\n');
    }
    return e.exitCode;
  }
  if (e instanceof SimulatedCrash) {
    process.stderr.write(`kseg: ${e.message}\n`);
    return 75;
  }
  const err = e as Error;
  process.stderr.write(`kseg: internal error (a bug): ${err?.stack ?? String(e)}\nPlease report it with the command line and, if you can, the file that triggered it.\n`);
  return 70;
}

/** `kseg --version --verbose`: which native fast paths and fallbacks this install loaded. */
async function versionDetails(): Promise<string> {
  const { crcImplementations } = await import('../format/crc.js');
  const { codecImplementations } = await import('../format/codecs.js');
  const { readerKind } = await import('../storage/source.js');
  const { nativeDisabled } = await import('../format/native.js');
  const crc = crcImplementations();
  const codecs = codecImplementations();
  return [
    `kseg ${VERSION}`,
    `node ${process.version} (${process.platform}-${process.arch})`,
    `reader: ${readerKind()}`,
    `crc32c: ${crc.crc32c}`,
    `crc32: ${crc.crc32}`,
    ...Object.entries(codecs).map(([k, v]) => `${k}: ${v}`),
    nativeDisabled() ? 'KSEG_NO_NATIVE is set: optional native modules are not loaded' : '',
  ].filter(Boolean).join('\n') + '\n';
}
