import { describe, expect, it } from 'vitest';
import path from 'node:path';
import { copyPartition, FIXTURES, kseg } from './helpers.js';

// Exit 75 (EX_TEMPFAIL in sysexits.h): the CLI's answer to a crash injected with KSEG_FAULT_AT=N
// (src/storage/atomic.ts faultPoint throws SimulatedCrash at the N-th write step; cli/main.ts exitFor
// maps it to 75). Only tests set KSEG_FAULT_AT; the exit code is not in the README's table.

describe('exit 75: a crash injected through KSEG_FAULT_AT', () => {
  it('recover stops at the first write step with exit 75, one stderr line naming the step, nothing on stdout', () => {
    const dir = copyPartition(path.join(FIXTURES, 'corrupt-size', 'topic-0'));
    const r = kseg(['recover', dir], { env: { KSEG_FAULT_AT: '1' } });
    expect(r.status).toBe(75);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(/^kseg: simulated crash at [^\n]+\n$/);
    // The next run, without the fault, finishes the job.
    expect(kseg(['recover', dir]).status).toBe(0);
    expect(kseg(['verify', dir]).status).toBe(0);
  });

  it('with --json the crash is the same plain line and exit 75 (it is no KsegError)', () => {
    const dir = copyPartition(path.join(FIXTURES, 'corrupt-size', 'topic-0'));
    const r = kseg(['recover', dir, '--json'], { env: { KSEG_FAULT_AT: '1' } });
    expect(r.status).toBe(75);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(/^kseg: simulated crash at [^\n]+\n$/);
  });
});
