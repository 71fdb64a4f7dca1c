import type { Command, Option } from 'commander';
import { UsageError } from '../../format/errors.js';
import { writeStdout } from '../stdout.js';

/**
 * `kseg completion bash|zsh|fish`: a completion script built from the commander definition of
 * every command, so it cannot drift from --help. main.ts registers commands lazily (one module per
 * command); this one imports them all (none loads a codec or native module at import time) and
 * walks their options. Flag values come from commander's `.choices()` when set, else from the
 * `a | b | c` list in the option's help text (the list --help shows, e.g. dump --format).
 */
const LOADERS: Record<string, () => Promise<{ register(program: Command): void }>> = {
  dump: () => import('./dump.js'),
  lookup: () => import('./lookup.js'),
  info: () => import('./info.js'),
  verify: () => import('./verify.js'),
  scan: () => import('./scan.js'),
  recover: () => import('./recover.js'),
  'rebuild-index': () => import('./rebuild-index.js'),
  truncate: () => import('./truncate.js'),
  compact: () => import('./compact.js'),
  salvage: () => import('./salvage.js'),
  slice: () => import('./slice.js'),
  grep: () => import('./grep.js'),
  diff: () => import('./diff.js'),
  coordinator: () => import('./coordinator.js'),
  txn: () => import('./txn.js'),
  offsets: () => import('./offsets.js'),
  groups: () => import('./groups.js'),
  metadata: () => import('./metadata.js'),
  generate: () => import('./generate.js'),
};

export const COMPLETION_COMMANDS = Object.keys(LOADERS);
export const SHELLS = ['bash', 'zsh', 'fish'] as const;

export interface FlagSpec {
  long?: string;
  short?: string;
  takesValue: boolean;
  /** Candidate values; empty for a free value (files are offered then). */
  values: string[];
  description: string;
}
export interface CompletionModel {
  /** Flags before the command. */
  global: FlagSpec[];
  /** Global flags accepted after a command too. */
  inherited: FlagSpec[];
  commands: CommandSpecForCompletion[];
}
export interface CommandSpecForCompletion {
  name: string;
  description: string;
  flags: FlagSpec[];
}

/**
 * Values listed in an option's placeholder (`<0|1|2>`) or help text: `a | b (note) | c`, `a|b|c`,
 * or a comma list ending the text after a colon (`kinds: a, b (note), c`); [] when there is none.
 */
export function valuesFromHelp(description: string, flags = ''): string[] {
  const tok = String.raw`[a-z0-9][\w.-]*(?: \([^()]*\))?`;
  const clean = (parts: string[]): string[] => parts.map((p) => p.trim().replace(/ \([^()]*\)$/, '')).filter((v) => /^[\w.-]+$/.test(v));
  const placeholder = /<([^<>]*\|[^<>]*)>/.exec(flags);
  if (placeholder) return clean(placeholder[1].split('|'));
  const piped = new RegExp(`${tok}(?: ?\\| ?${tok})+`).exec(description);
  if (piped) return clean(piped[0].split('|'));
  const listed = new RegExp(`: (${tok}(?:, ${tok})+)$`).exec(description);
  return listed ? clean(listed[1].split(',')) : [];
}

function flagSpec(o: Option): FlagSpec {
  const takesValue = o.required || o.optional;
  const choices = (o as Option & { argChoices?: string[] }).argChoices;
  return {
    long: o.long,
    short: o.short,
    takesValue,
    values: takesValue ? (choices && choices.length ? [...choices] : valuesFromHelp(o.description, o.flags)) : [],
    description: o.description,
  };
}

function helpFlags(): FlagSpec[] {
  return [{ long: '--help', short: '-h', takesValue: false, values: [], description: 'display help for command' }];
}

/** The command tree as completion sees it: global flags and one entry per command. */
export async function completionModel(program: Command): Promise<CompletionModel> {
  const { Command: Cmd } = await import('commander');
  const full = new Cmd('kseg');
  for (const name of COMPLETION_COMMANDS) (await LOADERS[name]()).register(full);
  register(full);
  // Global flags other than --version also follow a command (commander's showGlobalOptions).
  const inherited = program.options.filter((o) => o.long !== '--version').map(flagSpec);
  const commands = full.commands.map((c) => ({
    name: c.name(),
    description: c.description(),
    flags: [...c.options.map(flagSpec), ...helpFlags()],
  }));
  commands.push({ name: 'help', description: 'display help for command', flags: [] });
  const global = [...program.options.map(flagSpec), ...helpFlags()];
  return { global, inherited, commands };
}

const sq = (s: string): string => `'${s.replace(/'/g, `'\\''`)}'`;
const oneLine = (s: string): string => s.replace(/\s+/g, ' ').trim();
const names = (f: FlagSpec): string[] => [f.long, f.short].filter((n): n is string => n !== undefined);

export function bashScript(m: CompletionModel): string {
  const cases = (flagsOf: (c: CommandSpecForCompletion) => FlagSpec[]): string[] => {
    const out: string[] = [];
    for (const c of m.commands) out.push(`      ${sq(c.name)}) flags=${sq([...flagsOf(c), ...m.inherited].flatMap(names).join(' '))} ;;`);
    return out;
  };
  const valueCases: string[] = [];
  const valueFlags = new Set<string>();
  for (const f of m.global) if (f.takesValue) names(f).forEach((n) => valueFlags.add(`*:${n}`));
  for (const c of m.commands) {
    for (const f of [...c.flags, ...m.inherited]) {
      if (!f.takesValue) continue;
      for (const n of names(f)) {
        valueFlags.add(`${c.name}:${n}`);
        if (f.values.length) valueCases.push(`    ${sq(`${c.name}:${n}`)}) values=${sq(f.values.join(' '))} ;;`);
      }
    }
  }
  const globalValue = m.global.filter((f) => f.takesValue).flatMap(names);
  return `# kseg bash completion (generated by \`kseg completion bash\`).
# Load it now:  source <(kseg completion bash)
# Install it:   kseg completion bash > ~/.local/share/bash-completion/completions/kseg
_kseg() {
  local cur prev sub="" i w flags values="" takes
  cur="\${COMP_WORDS[COMP_CWORD]}"
  prev=""
  (( COMP_CWORD > 0 )) && prev="\${COMP_WORDS[COMP_CWORD-1]}"
  for (( i = 1; i < COMP_CWORD; i++ )); do
    w="\${COMP_WORDS[i]}"
    case "$w" in
      ${globalValue.length ? `${globalValue.join('|')}) (( i++ )) ;;` : ''}
      -*) ;;
      *) sub="$w"; break ;;
    esac
  done
  COMPREPLY=()
  if [[ -z "$sub" ]]; then
    if [[ "$cur" == -* ]]; then
      COMPREPLY=( $(compgen -W ${sq(m.global.flatMap(names).join(' '))} -- "$cur") )
    else
      COMPREPLY=( $(compgen -W ${sq(m.commands.map((c) => c.name).join(' '))} -- "$cur") )
    fi
    return 0
  fi
  if [[ "$sub" == help ]]; then
    COMPREPLY=( $(compgen -W ${sq(m.commands.filter((c) => c.name !== 'help').map((c) => c.name).join(' '))} -- "$cur") )
    return 0
  fi
  if [[ "$cur" != -* ]]; then
    case "$sub:$prev" in
${valueCases.join('\n')}
    esac
    if [[ -n "$values" ]]; then
      COMPREPLY=( $(compgen -W "$values" -- "$cur") )
      return 0
    fi
    case " ${[...valueFlags].join(' ')} " in
      *" $sub:$prev "*|*" *:$prev "*) return 0 ;;
    esac
  fi
  if [[ "$cur" == -* ]]; then
    case "$sub" in
${cases((c) => c.flags).join('\n')}
      *) flags=${sq(m.global.flatMap(names).join(' '))} ;;
    esac
    COMPREPLY=( $(compgen -W "$flags" -- "$cur") )
  fi
  return 0
}
complete -o default -o bashdefault -F _kseg kseg
`;
}

export function zshScript(m: CompletionModel): string {
  const zq = (s: string): string => sq(s.replace(/:/g, '\\:'));
  const desc = (f: FlagSpec, n: string): string => zq(`${n}:${oneLine(f.description)}`);
  const flagArray = (fs: FlagSpec[]): string => fs.flatMap((f) => names(f).map((n) => desc(f, n))).join(' ');
  const valueLines: string[] = [];
  const freeLines: string[] = [];
  for (const c of m.commands) {
    for (const f of [...c.flags, ...m.inherited]) {
      if (!f.takesValue) continue;
      for (const n of names(f)) (f.values.length ? valueLines : freeLines).push(f.values.length ? `    ${sq(`${c.name}:${n}`)}) vals=(${f.values.map(sq).join(' ')}) ;;` : `    ${sq(`${c.name}:${n}`)}) _files; return ;;`);
    }
  }
  const globalValue = m.global.filter((f) => f.takesValue).flatMap(names);
  return `#compdef kseg
# kseg zsh completion (generated by \`kseg completion zsh\`).
# Load it now:  source <(kseg completion zsh)
# Install it:   kseg completion zsh > "\${fpath[1]}/_kseg"   (then restart zsh)
_kseg() {
  local sub="" i w
  local -a cmds flags vals
  cmds=(${m.commands.map((c) => zq(`${c.name}:${oneLine(c.description)}`)).join(' ')})
  for (( i = 2; i < CURRENT; i++ )); do
    w="\${words[i]}"
    case "$w" in
      ${globalValue.length ? `${globalValue.join('|')}) (( i++ )) ;;` : ''}
      -*) ;;
      *) sub="$w"; break ;;
    esac
  done
  if [[ -z "$sub" ]]; then
    if [[ "\${words[CURRENT]}" == -* ]]; then
      flags=(${flagArray(m.global)})
      _describe -t options 'kseg option' flags
    else
      _describe -t commands 'kseg command' cmds
    fi
    return
  fi
  if [[ "$sub" == help ]]; then
    _describe -t commands 'kseg command' cmds
    return
  fi
  case "$sub:\${words[CURRENT-1]}" in
${valueLines.join('\n')}
${freeLines.join('\n')}
  esac
  if (( \${#vals} )); then
    compadd -a vals
    return
  fi
  if [[ "\${words[CURRENT]}" == -* ]]; then
    case "$sub" in
${m.commands.map((c) => `      ${sq(c.name)}) flags=(${flagArray([...c.flags, ...m.inherited])}) ;;`).join('\n')}
    esac
    _describe -t options 'kseg option' flags
    return
  fi
  _files
}
if [[ "\${zsh_eval_context[-1]}" == loadautofunc ]]; then
  _kseg "$@"
else
  compdef _kseg kseg
fi
`;
}

export function fishScript(m: CompletionModel): string {
  const fq = (s: string): string => `'${s.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
  const lines = [
    '# kseg fish completion (generated by `kseg completion fish`).',
    '# Load it now:  kseg completion fish | source',
    '# Install it:   kseg completion fish > ~/.config/fish/completions/kseg.fish',
    'complete -c kseg -e',
  ];
  const flagLine = (cond: string, f: FlagSpec): string => {
    const parts = ['complete -c kseg', `-n ${fq(cond)}`];
    if (f.long) parts.push(`-l ${f.long.slice(2)}`);
    if (f.short) parts.push(`-s ${f.short.slice(1)}`);
    if (f.takesValue) parts.push(f.values.length ? `-x -a ${fq(f.values.join(' '))}` : '-r -F');
    parts.push(`-d ${fq(oneLine(f.description))}`);
    return parts.join(' ');
  };
  for (const f of m.global) lines.push(flagLine(f.long === '--version' ? '__fish_use_subcommand' : 'true', f));
  for (const c of m.commands) lines.push(`complete -c kseg -f -n '__fish_use_subcommand' -a ${fq(c.name)} -d ${fq(oneLine(c.description))}`);
  lines.push(`complete -c kseg -f -n '__fish_seen_subcommand_from help' -a ${fq(m.commands.filter((c) => c.name !== 'help').map((c) => c.name).join(' '))}`);
  for (const c of m.commands) for (const f of c.flags) if (f.long !== '--help') lines.push(flagLine(`__fish_seen_subcommand_from ${c.name}`, f));
  return lines.join('\n') + '\n';
}

export function register(program: Command): void {
  const cmd = program
    .command('completion')
    .description('print a shell completion script (bash, zsh or fish): commands, flags and flag values')
    .argument('<shell>', SHELLS.join(' | '))
    .addHelpText('after', `
Examples:
  source <(kseg completion bash)                                   # this shell
  kseg completion bash > ~/.local/share/bash-completion/completions/kseg
  kseg completion zsh > "\${fpath[1]}/_kseg"
  kseg completion fish > ~/.config/fish/completions/kseg.fish`);
  cmd.action(async (shell: string) => {
    if (!(SHELLS as readonly string[]).includes(shell)) throw new UsageError(`completion: unknown shell '${shell}' (expected one of ${SHELLS.join(', ')})`);
    const m = await completionModel(program);
    writeStdout(shell === 'bash' ? bashScript(m) : shell === 'zsh' ? zshScript(m) : fishScript(m));
  });
}
