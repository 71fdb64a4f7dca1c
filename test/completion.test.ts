import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { valuesFromHelp, completionModel } from '../src/cli/commands/completion.js';
import { KsegCommand } from '../src/cli/program.js';
import { COMMANDS } from '../src/cli/main.js';
import { kseg, tmpDir } from './helpers.js';

/** Issue 18, "Shell completion": the script `kseg completion SHELL` prints, run in the shell. */
const bashScript = (): string => {
  const r = kseg(['completion', 'bash']);
  expect(r.status).toBe(0);
  return r.stdout;
};

/** Candidates bash offers for a command line whose last word is being completed. */
function complete(script: string, words: string[]): string[] {
  const dir = tmpDir('kseg-completion-');
  const file = path.join(dir, 'kseg.bash');
  fs.writeFileSync(file, script);
  const arr = words.map((w) => `'${w.replace(/'/g, `'\\''`)}'`).join(' ');
  const r = spawnSync(
    'bash',
    ['-c', `source '${file}'; COMP_WORDS=(${arr}); COMP_CWORD=${words.length - 1}; COMP_LINE="\${COMP_WORDS[*]}"; _kseg; printf '%s\\n' "\${COMPREPLY[@]}"`],
    { encoding: 'utf8' },
  );
  expect(r.stderr).toBe('');
  expect(r.status).toBe(0);
  return r.stdout.split('\n').filter((l) => l !== '');
}

const which = (cmd: string): boolean => spawnSync('sh', ['-c', `command -v ${cmd}`]).status === 0;

describe('kseg completion', () => {
  it('knows every command main.ts registers (the lazily loaded ones too), so the list cannot drift', async () => {
    const model = await completionModel(new KsegCommand('kseg'), COMMANDS);
    expect(
      model.commands
        .map((c) => c.name)
        .filter((n) => n !== 'help')
        .sort(),
    ).toEqual(COMMANDS.map((c) => c.name).sort());
  });

  it('reads value lists from placeholders and help text', () => {
    expect(valuesFromHelp('text | kafka (kafka-dump-log.sh 3.x text) | kafka4 (the 2026 Java tool) | json | ndjson')).toEqual(['text', 'kafka', 'kafka4', 'json', 'ndjson']);
    expect(valuesFromHelp('none|gzip|lz4; a comma list picks one per batch (default none)')).toEqual(['none', 'gzip', 'lz4']);
    expect(valuesFromHelp('message format (default 2)', '--magic <0|1|2>')).toEqual(['0', '1', '2']);
    expect(valuesFromHelp('inject one fault: crc, size (bytes), zero-tail')).toEqual(['crc', 'size', 'zero-tail']);
    expect(valuesFromHelp('first offset to print (segments below it are not read)')).toEqual([]);
  });

  it('bash: completes commands, including ones loaded lazily', () => {
    const s = bashScript();
    const all = complete(s, ['kseg', '']);
    for (const c of COMMANDS) expect(all).toContain(c.name);
    expect(complete(s, ['kseg', 're'])).toEqual(['recover', 'rebuild-index', 'report']);
    expect(complete(s, ['kseg', '--no-color', 'ver'])).toEqual(['verify']);
  });

  it("bash: completes a command's flags and the global ones", () => {
    const s = bashScript();
    const flags = complete(s, ['kseg', 'dump', '/tmp/p', '--f']);
    expect(flags).toEqual(expect.arrayContaining(['--format', '--from-offset']));
    expect(flags).not.toContain('--records');
    expect(complete(s, ['kseg', 'generate', '--comp'])).toEqual(['--compression']);
    expect(complete(s, ['kseg', 'verify', '--max-d'])).toEqual(['--max-decompressed-bytes']);
  });

  it('bash: completes flag values (--format, --decoder, --compression, --corrupt, --magic)', () => {
    const s = bashScript();
    expect(complete(s, ['kseg', 'dump', 'p', '--format', ''])).toEqual(['text', 'kafka', 'kafka4', 'json', 'ndjson']);
    expect(complete(s, ['kseg', 'dump', 'p', '--format', 'ka'])).toEqual(['kafka', 'kafka4']);
    expect(complete(s, ['kseg', 'lookup', 'p', '--decoder', ''])).toEqual(['utf8', 'hex', 'base64', 'json', 'int32', 'int64', 'none']);
    expect(complete(s, ['kseg', 'generate', 'out', '--compression', 'snap'])).toEqual(['snappy', 'snappy-xerial']);
    expect(complete(s, ['kseg', 'generate', 'out', '--corrupt', 'index-'])).toEqual(['index-zero-tail', 'index-bad-position', 'index-nonmonotonic']);
    expect(complete(s, ['kseg', 'generate', 'out', '--magic', ''])).toEqual(['0', '1', '2']);
  });

  it('bash: a free value (a number, a path) gets no flag names; `help` completes command names', () => {
    const s = bashScript();
    expect(complete(s, ['kseg', 'dump', 'p', '--from-offset', ''])).toEqual([]);
    expect(complete(s, ['kseg', '--max-decompressed-bytes', '64m', 'lo'])).toEqual(['lookup']);
    expect(complete(s, ['kseg', 'help', 'gen'])).toEqual(['generate']);
  });

  it('an unknown shell is a usage error (exit 2) naming the shells', () => {
    const r = kseg(['completion', 'tcsh']);
    expect(r.status).toBe(2);
    expect(r.stderr).toContain('expected one of bash, zsh, fish');
  });

  it('zsh and fish scripts carry every command and the flag values; syntax-checked when the shell is installed', () => {
    for (const shell of ['zsh', 'fish'] as const) {
      const r = kseg(['completion', shell]);
      expect(r.status).toBe(0);
      for (const c of COMMANDS.filter((c) => c.name !== 'completion')) expect(r.stdout).toContain(`'${c.name}`);
      expect(r.stdout).toContain('kafka4');
      expect(r.stdout).toContain('snappy-xerial');
      if (!which(shell)) {
        console.log(`note: ${shell} not installed, its completion script was not syntax-checked`);
        continue;
      }
      const file = path.join(tmpDir('kseg-completion-'), `kseg.${shell}`);
      fs.writeFileSync(file, r.stdout);
      const check = spawnSync(shell, ['-n', file], { encoding: 'utf8' });
      expect(check.stderr).toBe('');
      expect(check.status).toBe(0);
    }
  });

  describe.skipIf(!which('fish'))('fish: the script run by fish (complete -C)', () => {
    const fish = (line: string): string[] => {
      const file = path.join(tmpDir('kseg-completion-'), 'kseg.fish');
      fs.writeFileSync(file, kseg(['completion', 'fish']).stdout);
      const r = spawnSync('fish', ['--no-config', '-c', `source '${file}'; complete -C '${line.replace(/'/g, "\\'")}'`], { encoding: 'utf8' });
      expect(r.stderr).toBe('');
      expect(r.status).toBe(0);
      return r.stdout
        .split('\n')
        .filter(Boolean)
        .map((l) => l.split('\t')[0]);
    };
    it('commands, flags and flag values', () => {
      expect(fish('kseg re')).toEqual(['rebuild-index', 'recover', 'report']);
      expect(fish('kseg dump p --format ')).toEqual(['json', 'kafka', 'kafka4', 'ndjson', 'text']);
      expect(fish('kseg generate out --compression snap')).toEqual(['snappy', 'snappy-xerial']);
      expect(fish('kseg dump /tmp/p --f')).toEqual(expect.arrayContaining(['--format', '--from-offset']));
      expect(fish('kseg dump /tmp/p --f')).not.toContain('--records');
    });
  });

  describe.skipIf(!which('zsh'))('zsh: the script run by zsh (a pseudo-terminal completes a typed line)', () => {
    // zsh completes only in its line editor: an interactive zsh on a zpty loads compinit and the
    // script, wraps compadd to log what it is given, and completes the line typed. The marker is
    // printed as DONE-''COMP so the echo of the definition itself does not end the read early.
    const zsh = (line: string): string[] => {
      const dir = tmpDir('kseg-completion-');
      const script = path.join(dir, '_kseg');
      const out = path.join(dir, 'out');
      fs.writeFileSync(script, kseg(['completion', 'zsh']).stdout);
      const driver = [
        'zmodload zsh/zpty',
        'zpty z zsh -f -i',
        `zpty -w z "PROMPT='' ; RPROMPT=''; unsetopt zle_bracketed_paste 2>/dev/null"`,
        `zpty -w z "autoload -U compinit; compinit -u -D"`,
        `zpty -w z "source ${script}; compdef _kseg kseg"`,
        `zpty -w z "compadd () { local -a __h; builtin compadd -O __h \\"\\$@\\"; print -rl -- \\$__h >> ${out}; builtin compadd \\"\\$@\\" }"`,
        `zpty -w z "comptest () { zle complete-word; zle kill-whole-line; print DONE-''COMP }; zle -N comptest; bindkey '^T' comptest"`,
        `zpty -n -w z ${JSON.stringify(line)}$'\\x14'`,
        "zpty -r z got '*DONE-COMP*'",
        'zpty -d z',
      ].join('\n');
      const r = spawnSync('zsh', ['-f', '-c', driver], { encoding: 'utf8', timeout: 20_000 });
      expect(r.status, r.stderr).toBe(0);
      const got = fs.existsSync(out) ? fs.readFileSync(out, 'utf8') : '';
      return [
        ...new Set(
          got
            .split('\n')
            .filter(Boolean)
            .map((l) => l.replace(/(?<!\\):.*$/, '')),
        ),
      ];
    };
    it('commands, flags and flag values', () => {
      expect(zsh('kseg re')).toEqual(['recover', 'rebuild-index', 'report']);
      expect(zsh('kseg --no-color ver')).toEqual(['verify']);
      expect(zsh('kseg help gen')).toEqual(['generate']);
      expect(zsh('kseg dump p --format ')).toEqual(['text', 'kafka', 'kafka4', 'json', 'ndjson']);
      expect(zsh('kseg generate out --compression snap')).toEqual(['snappy', 'snappy-xerial']);
      const flags = zsh('kseg dump /tmp/p --f');
      expect(flags).toEqual(expect.arrayContaining(['--format', '--from-offset']));
      expect(flags).not.toContain('--records');
    });
  });
});
