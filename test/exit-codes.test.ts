// Exit codes (README "Exit codes", docs/OUTPUT.md): errors carry a kind (their class), and one table
// in the CLI (src/cli/exit-codes.ts) maps kinds to codes; commands return their status as data.
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { CommanderError } from 'commander';
import { EXIT, exitCodeFor } from '../src/cli/exit-codes.js';
import { CorruptDataError, InternalError, IoError, KsegError, NotFoundError, UsageError } from '../src/format/errors.js';
import { SimulatedCrash } from '../src/storage/atomic.js';
import { copyPartition, FIXTURES, kseg } from './helpers.js';

describe('exit codes', () => {
  it('one table maps each kind of error to its code', () => {
    expect(exitCodeFor(new NotFoundError('OFFSET_OUT_OF_RANGE', 'm'))).toBe(1);
    expect(exitCodeFor(new UsageError('m'))).toBe(2);
    expect(exitCodeFor(new CorruptDataError('CRC_MISMATCH', 'm'))).toBe(3);
    expect(exitCodeFor(new IoError('ENOENT', 'm'))).toBe(4);
    expect(exitCodeFor(new InternalError('m'))).toBe(70);
    expect(exitCodeFor(new KsegError('INTERNAL', 'a KsegError of no kind'))).toBe(70);
    expect(exitCodeFor(new TypeError('a bug'))).toBe(70);
    expect(exitCodeFor(new SimulatedCrash('rename'))).toBe(75);
    expect(exitCodeFor(new CommanderError(1, 'commander.unknownOption', 'error: unknown option'))).toBe(2);
    expect(exitCodeFor(new CommanderError(0, 'commander.helpDisplayed', '(outputHelp)'))).toBe(0);
    expect(EXIT).toMatchObject({ ok: 0, notFound: 1, usage: 2, corrupt: 3, io: 4, internal: 70, simulatedCrash: 75, sigint: 130, sigterm: 143 });
    // errors no longer carry the CLI's number
    expect(new CorruptDataError('X', 'm')).not.toHaveProperty('exitCode');
  });

  it('75: KSEG_FAULT_AT stops a mutating command at that write step, saying where', () => {
    const dir = copyPartition(path.join(FIXTURES, 'corrupt-size', 'topic-0'));
    const r = kseg(['recover', dir], { env: { KSEG_FAULT_AT: '1' } });
    expect(r.stderr).toMatch(/^kseg: simulated crash at \S+/);
    expect(r.status).toBe(75);
  });

  it('a status a command returns (verify found errors: 1) and one it throws (usage: 2) reach the process', () => {
    expect(kseg(['verify', path.join(FIXTURES, 'corrupt-size', 'topic-0')]).status).toBe(1);
    expect(kseg(['verify', path.join(FIXTURES, 'v2-none', 'topic-0')]).status).toBe(0);
    const usage = kseg(['verify', '--no-such-flag', '--json']);
    expect(usage.status).toBe(2);
    expect(usage.stderr).toContain('{"error":{"code":"USAGE"');
  });

  it('75 with --json is the same plain line on stderr and nothing on stdout (a simulated crash is no KsegError)', () => {
    const dir = copyPartition(path.join(FIXTURES, 'corrupt-size', 'topic-0'));
    const r = kseg(['recover', dir, '--json'], { env: { KSEG_FAULT_AT: '1' } });
    expect(r.status).toBe(75);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(/^kseg: simulated crash at [^\n]+\n$/);
  });
});
