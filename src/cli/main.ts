import { constants as bufferConstants } from 'node:buffer';
import { UsageError } from '../format/errors.js';
import { applyEnvironment, setMaxDecompressedBytes } from '../storage/environment.js';
import { onStorageNote } from '../storage/notes.js';
import { COMMANDS } from './command-list.js';
import { bytesArg, endpointArg } from './options.js';
import { KsegCommand } from './program.js';
import { reportError } from './report-error.js';
import { stdoutMayBeTty, writeStdout } from './stdout.js';

/**
 * The entry: maps command names to lazily imported modules, so `kseg --help` and `kseg lookup`
 * load only what they use. Commands return their exit status as data and throw errors; only this
 * file sets the process's exit code, mapping errors through one table (exit-codes.ts, OUTPUT.md).
 */
export { COMMANDS } from './command-list.js';

export const VERSION = '0.1.0';

function commandName(argv: string[]): string | undefined {
  const args = argv.slice(2);
  const first = args.find((a) => !a.startsWith('-'));
  if (first === 'help') return args[args.indexOf('help') + 1];
  return first;
}

export async function run(argv: string[] = process.argv): Promise<void> {
  applyEnvironment();
  const wantsJson = argv.includes('--json') || argv.includes('--ndjson');
  const program = new KsegCommand('kseg')
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
  program.addHelpText(
    'after',
    '\nExit codes: 0 ok, 1 verify found errors / lookup, offsets or groups found nothing / grep matched nothing / diff found differences, 2 usage, 3 corrupt input, 4 I/O or locked, 70 internal error.\nMachine-readable output: --json / --ndjson (see README, "JSON contract").',
  );
  // chalk loads here only when stdout could show colours (theme.ts).
  program.hook('preAction', async (cmd) => (await import('./theme.js')).loadTheme(cmd.optsWithGlobals().color as boolean | undefined));
  program.hook('preAction', async (cmd) => {
    const limit = cmd.optsWithGlobals().maxDecompressedBytes as number | undefined;
    if (limit !== undefined) setMaxDecompressedBytes(limit);
  });

  if ((argv.includes('--version') || argv.includes('-V')) && argv.includes('--verbose')) {
    writeStdout(await versionDetails());
    return;
  }
  const name = commandName(argv);
  const spec = COMMANDS.find((c) => c.name === name);
  if (spec) {
    (await spec.load()).register(program, COMMANDS);
  } else {
    for (const c of COMMANDS) program.command(c.name).description(c.summary);
  }
  onStorageNote((m) => process.stderr.write(`kseg: note: ${m}\n`));
  let s3Stats: (() => string) | null = null;
  if (argv.slice(2).some((a) => /(^|[=,])s3:\//i.test(a))) {
    // s3:// paths (README "S3 and tiered storage"): the provider, and the worker running the AWS
    // SDK, load only when an argument names one
    program.hook('preAction', async (_cmd, action) => {
      const o = action.opts() as { endpoint?: string; region?: string; fetchStats?: boolean };
      const env = process.env.KSEG_S3_ENDPOINT;
      if (o.endpoint === undefined && env) endpointArg(env);
      const { registerS3Provider } = await import('../storage/s3/provider.js');
      const p = registerS3Provider({ endpoint: o.endpoint, region: o.region });
      if (o.fetchStats)
        s3Stats = () =>
          `kseg: s3: ${p.requests()} requests, ${p.bytesFetched()} bytes fetched${p.workersMade ? " (this thread's; worker threads' requests are not counted)" : ''}\n`;
    });
  }
  try {
    await program.parseAsync(argv);
    if (program.exitStatus !== undefined) process.exitCode = program.exitStatus;
  } catch (e) {
    process.exitCode = reportError(e, wantsJson);
  }
  if (s3Stats) process.stderr.write((s3Stats as () => string)());
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

/** `kseg --version --verbose`: which native fast paths and fallbacks this install loaded. */
async function versionDetails(): Promise<string> {
  const { crcImplementations } = await import('../format/crc.js');
  const { codecImplementations } = await import('../format/codecs.js');
  const { readerKind } = await import('../storage/source.js');
  const { nativeDisabled } = await import('../format/native.js');
  const { calibrateCrc32c, describeReaderChoice } = await import('../storage/calibration.js');
  let choice: string;
  try {
    const c = calibrateCrc32c();
    choice = c.cacheFile ? `; cache ${c.cacheFile}` : '';
  } catch (e) {
    choice = `; ${(e as Error).message}`; // a bad KSEG_CRC: the default order stays, and this says why
  }
  const crc = crcImplementations();
  const codecs = codecImplementations();
  return (
    [
      `kseg ${VERSION}`,
      `node ${process.version} (${process.platform}-${process.arch})`,
      `reader: ${readerKind()}`,
      `reader for sequential reads: ${describeReaderChoice()}`,
      `crc32c: ${crc.crc32c} (${crc.crc32cChoice || 'default order'}${choice})`,
      `crc32: ${crc.crc32}`,
      ...Object.entries(codecs).map(([k, v]) => `${k}: ${v}`),
      nativeDisabled() ? 'KSEG_NO_NATIVE is set: optional native modules are not loaded' : '',
    ]
      .filter(Boolean)
      .join('\n') + '\n'
  );
}
