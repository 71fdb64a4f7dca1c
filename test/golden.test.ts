import fs from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { FIXTURES, ROOT, kseg, tmpDir } from './helpers.js';

/**
 * Golden output: the human text of every command on fixtures, kept in test/golden/*.txt so that any
 * change to what an operator reads shows up in review as a diff of those files.
 *
 * After an intended change to human output, regenerate and review the diff:
 *   npm run build && npx vitest run test/golden.test.ts -u
 *
 * Deterministic by construction: every command runs on copies of the fixtures in a temp dir
 * (relative paths, cwd there), NO_COLOR=1, not a terminal, COLUMNS=100, TZ=UTC, fixed --now /
 * --reference-time; absolute paths that still leak are replaced by <tmp> and <repo>.
 */

let W = '';

function copy(fixture: string, name: string, parent = W): void {
  fs.cpSync(path.join(FIXTURES, fixture, 'topic-0'), path.join(parent, name), { recursive: true });
}

beforeAll(() => {
  W = fs.realpathSync(tmpDir('kseg-golden-'));
  copy('v2-txn', 'orders-0');
  copy('v2-multiseg', 'multi-0');
  copy('v2-compact', 'compact-0');
  copy('v2-headers', 'headers-0');
  copy('corrupt-crc', 'crc-0');
  copy('corrupt-index-bad-position', 'badindex-0');
  copy('v1-gzip', 'legacy-0');
  fs.mkdirSync(path.join(W, 'logdir'));
  copy('v2-txn', 'orders-0', path.join(W, 'logdir'));
  copy('v2-compact', 'compact-0', path.join(W, 'logdir'));
  copy('corrupt-crc', 'payments-0', path.join(W, 'logdir'));
  fs.mkdirSync(path.join(W, 'internal'));
  for (const [kind, name] of [
    ['offsets', '__consumer_offsets-0'],
    ['transactions', '__transaction_state-0'],
    ['metadata', '__cluster_metadata-0'],
  ] as const) {
    const r = kseg(['generate', path.join(W, 'internal', name), '--internal', kind, '--seed', '1', '--no-fsync']);
    expect(r.status, r.stderr).toBe(0);
  }
}, 120_000);

function normalise(s: string): string {
  // Wall-clock durations ("3 partitions in 0.3 s") are the only varying numbers.
  return s
    .split(W)
    .join('<tmp>')
    .split(ROOT)
    .join('<repo>')
    .replace(/ in \d+(\.\d+)? (ms|s|min)\b/g, ' in <elapsed>');
}

/** Runs `kseg ARGS` in the temp workspace and returns "$ kseg ARGS", stdout, stderr and the exit code as one text. */
function run(args: string[]): string {
  const r = kseg(args, { cwd: W, env: { NO_COLOR: '1', COLUMNS: '100', TZ: 'UTC', LANG: 'C.UTF-8' } });
  const parts = [`$ kseg ${args.join(' ')}`, r.stdout.trimEnd()];
  if (r.stderr.trim()) parts.push('--- stderr', r.stderr.trimEnd());
  parts.push(`--- exit ${r.status}`);
  return normalise(parts.join('\n')) + '\n';
}

const NOW = '1700000100000';

/** name -> command lines; one golden file per name. */
const CASES: Record<string, string[][]> = {
  'dump-text': [
    ['dump', 'orders-0'],
    ['dump', 'headers-0', '--max-bytes', '4000'],
  ],
  'dump-kafka': [
    ['dump', 'headers-0', '--format', 'kafka'],
    ['dump', 'legacy-0/00000000000000000000.log', '--format', 'kafka'],
  ],
  info: [
    ['info', 'multi-0'],
    ['info', 'crc-0'],
  ],
  verify: [
    ['verify', 'orders-0'],
    ['verify', 'crc-0'],
    ['verify', 'badindex-0'],
  ],
  'lookup-explain': [
    ['lookup', 'multi-0', '--offset', '100', '--explain'],
    ['lookup', 'multi-0', '--timestamp', '1700000000500', '--explain'],
  ],
  'rebuild-index-check': [
    ['rebuild-index', 'multi-0', '--check'],
    ['rebuild-index', 'badindex-0', '--check'],
  ],
  'recover-dry-run': [
    ['recover', 'crc-0', '--dry-run'],
    ['recover', 'badindex-0', '--dry-run'],
  ],
  'truncate-dry-run': [
    ['truncate', 'multi-0', '--to-offset', '500', '--dry-run'],
    ['truncate', 'multi-0', '--start-offset', '300', '--dry-run'],
  ],
  'compact-dry-run': [['compact', 'compact-0', '--dry-run', '--now', NOW]],
  scan: [['scan', 'logdir', '--jobs', '1']],
  txn: [['txn', 'orders-0', '--reference-time', NOW]],
  coordinator: [['coordinator', '--group', 'payments-consumer', '--transactional-id', 'orders-tx-1', '--partitions', '50']],
  offsets: [['offsets', 'internal/__consumer_offsets-0', '--reference-time', NOW]],
  groups: [['groups', 'internal/__consumer_offsets-0']],
  metadata: [['metadata', 'internal/__cluster_metadata-0']],
  'salvage-dry-run': [['salvage', 'crc-0', '-o', 'salvaged-0', '--dry-run']],
  slice: [['slice', 'multi-0', '--from-offset', '100', '--to-offset', '130', '-o', 'slice-0']],
  grep: [
    ['grep', 'orders-0', '--key', 'key-000024'],
    ['grep', 'logdir', '--key', 'key-000024', '-c'],
  ],
  diff: [
    ['diff', 'orders-0', 'logdir/orders-0'],
    ['diff', 'crc-0', 'logdir/payments-0'],
  ],
  report: [['report', 'orders-0', '--json', '--now', NOW]],
};

describe('golden output (human text of every command on fixtures; update: npx vitest run test/golden.test.ts -u)', () => {
  for (const [name, lines] of Object.entries(CASES)) {
    it(
      name,
      async () => {
        const text = lines.map(run).join('\n');
        // A command that cannot run (unknown flag, crash) is not golden output: fail loudly instead.
        expect(text).not.toMatch(/--- exit (2|70)\b/);
        expect(text).not.toMatch(/internal error/);
        await expect(text).toMatchFileSnapshot(path.join('golden', `${name}.txt`));
      },
      120_000,
    );
  }
});
