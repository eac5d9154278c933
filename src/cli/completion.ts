// Shell completion scripts, generated from the registry (src/cli/registry.ts) and each
// command's own options. A command declared as data (src/cli/spec.ts) is read from its spec.
// One still written against commander directly (the fallback, until every command has a spec)
// is built by its run() as usual; the program is caught just before it would parse (no action
// runs) and read: options, whether they take a value, subcommands. A getopt-based drop-in (ipcs, ipcmk, ipcrm) prints its
// util-linux --help, whose option lines are read instead. So a new option shows up in the
// completions with no second list to keep.
import { PassThrough, Writable } from 'node:stream';
import { Command } from 'commander';
import type { CommandContext, CommandModule } from './context.js';
import type { LongOption } from './getopt.js';
import { COMMANDS } from './registry.js';
import { programOf } from './spec.js';

export interface OptSpec {
  short?: string;
  long?: string;
  /** Takes a value (`--key KEY`). */
  value: boolean;
  description: string;
}

export interface CompletionSpec {
  name: string;
  summary: string;
  options: OptSpec[];
  subcommands: CompletionSpec[];
}

class Caught extends Error {
  constructor(readonly program: Command) {
    super('caught');
  }
}

function fromCommander(cmd: Command, summary?: string, name?: string): CompletionSpec {
  const options: OptSpec[] = cmd.options
    .filter((o) => !(o as { hidden?: boolean }).hidden)
    .map((o) => ({
      ...(o.short ? { short: o.short } : {}),
      ...(o.long ? { long: o.long } : {}),
      value: o.required || o.optional,
      description: o.description,
    }));
  if (!options.some((o) => o.long === '--help'))
    options.push({ short: '-h', long: '--help', value: false, description: 'display this help' });
  return {
    name: name ?? cmd.name(),
    summary: summary ?? cmd.description(),
    options,
    subcommands: cmd.commands.filter((c) => c.name() !== 'help').map((c) => fromCommander(c)),
  };
}

/** util-linux --help option lines: ` -i, --id <id>  print details...` */
export function optionsFromHelp(text: string): OptSpec[] {
  const out: OptSpec[] = [];
  for (const line of text.split('\n')) {
    const m =
      /^ {1,6}(-[A-Za-z0-9])?(?:, )?(--[A-Za-z0-9-]+)?( <[^>]+>|=<[^>]+>|\[=[^\]]+\])?\s+(\S.*)$/.exec(line);
    if (!m || (!m[1] && !m[2])) continue;
    out.push({
      ...(m[1] ? { short: m[1] } : {}),
      ...(m[2] ? { long: m[2] } : {}),
      value: Boolean(m[3]) && !m[3]!.startsWith('['),
      description: m[4]!.trim(),
    });
  }
  return out;
}

function quietContext(argv: string[]): { ctx: CommandContext; out: () => string } {
  let text = '';
  const sink = () =>
    new Writable({
      write(chunk: Buffer | string, _enc, done) {
        text += typeof chunk === 'string' ? chunk : chunk.toString();
        done();
      },
    });
  const ctx: CommandContext = {
    prog: 'svipc',
    argv,
    stdin: new PassThrough(),
    stdout: sink(),
    stderr: sink(),
    env: {},
    signal: new AbortController().signal,
  };
  return { ctx, out: () => text };
}

/** A drop-in's --help options, plus the getopt table's options that --help does not list. */
function withGetopt(fromHelp: OptSpec[], table: readonly LongOption[] | undefined): OptSpec[] {
  const listed = new Set(fromHelp.map((o) => o.long));
  const more = (table ?? [])
    .filter((o) => !listed.has(`--${o.name}`))
    .map((o) => ({
      ...(o.key.length === 1 ? { short: `-${o.key}` } : {}),
      long: `--${o.name}`,
      value: o.arg === 'required',
      description: 'util-linux 2.41+ (POSIX IPC); see the man page',
    }));
  return [...fromHelp, ...more];
}

/** The spec of one registered command. */
export async function commandSpec(
  name: string,
  summary: string,
  load: () => Promise<CommandModule>,
): Promise<CompletionSpec> {
  const proto = Command.prototype as unknown as { parseAsync: (...a: unknown[]) => Promise<unknown> };
  const original = proto.parseAsync;
  proto.parseAsync = function (this: Command) {
    throw new Caught(this);
  };
  const { ctx, out } = quietContext(['--help']);
  let mod: CommandModule | undefined;
  try {
    mod = await load();
    // A command declared as data (src/cli/spec.ts): read its spec.
    if (mod.spec) return fromCommander(programOf(mod.spec, ctx), summary, name);
    await mod.run(ctx);
  } catch (e) {
    if (e instanceof Caught) return fromCommander(e.program, summary, name);
    // Anything else: fall back to what it printed.
  } finally {
    proto.parseAsync = original;
  }
  return { name, summary, options: withGetopt(optionsFromHelp(out()), mod?.getopt), subcommands: [] };
}

/** Every registered command's spec, in registry order. */
export async function allSpecs(load: (name: string) => Promise<CommandModule>): Promise<CompletionSpec[]> {
  const specs: CompletionSpec[] = [];
  for (const c of COMMANDS) specs.push(await commandSpec(c.name, c.summary, () => load(c.name)));
  return specs;
}

// ---------------------------------------------------------------- the scripts

const words = (opts: OptSpec[]) => opts.flatMap((o) => [o.short, o.long].filter((x): x is string => !!x));
const valueWords = (opts: OptSpec[]) =>
  opts.filter((o) => o.value).flatMap((o) => [o.short, o.long].filter((x): x is string => !!x));
/** Options whose value is a file name. */
const FILE_OPTS = new Set(['--path', '--output', '-o']);
const SHELLS = 'bash zsh fish';

/**
 * Ids completed from the live objects: the primitives' TARGET (every subcommand but create),
 * read from /proc/sysvipc/KIND when the user presses TAB, and the POSIX objects' /NAMEs.
 */
const ID_KINDS = new Set(['msg', 'sem', 'shm']);
const takesTarget = (c: CompletionSpec, sub: string) => ID_KINDS.has(c.name) && sub !== 'create';
/** POSIX names for the same TARGET: /NAME from /dev/mqueue, /dev/shm's sem.NAME, /dev/shm's other files. */
const POSIX_NAMES: Record<string, string> = {
  msg: `ls /dev/mqueue 2>/dev/null | sed 's|^|/|'`,
  sem: `ls /dev/shm 2>/dev/null | sed -n 's|^sem\\.|/|p'`,
  shm: `ls /dev/shm 2>/dev/null | sed '/^sem\\./d; s|^|/|'`,
};
const idsOf = (kind: string) =>
  `awk 'NR > 1 { print $2 }' /proc/sysvipc/${kind} 2>/dev/null; ${POSIX_NAMES[kind] ?? ':'}`;

export function bashScript(specs: CompletionSpec[]): string {
  let s = `# bash completion for svipc (generated by 'svipc completion bash')
# Load it with: source <(svipc completion bash)
_svipc() {
  local cur prev cmd sub
  cur="\${COMP_WORDS[COMP_CWORD]}"
  prev="\${COMP_WORDS[COMP_CWORD-1]}"
  cmd="\${COMP_WORDS[1]}"
  sub="\${COMP_WORDS[2]}"
  if [[ $COMP_CWORD -eq 1 ]]; then
    COMPREPLY=($(compgen -W "${specs.map((c) => c.name).join(' ')} --help --version" -- "$cur"))
    return
  fi
  local opts="" vopts="" subs="" ids=""
  case "$cmd" in
`;
  for (const c of specs) {
    s += `    ${c.name})\n`;
    if (c.subcommands.length > 0) {
      s += `      subs="${c.subcommands.map((x) => x.name).join(' ')}"\n`;
      s += `      if [[ $COMP_CWORD -eq 2 ]]; then COMPREPLY=($(compgen -W "$subs --help" -- "$cur")); return; fi\n`;
      s += `      case "$sub" in\n`;
      for (const x of c.subcommands) {
        s += `        ${x.name}) opts="${words(x.options).join(' ')}"; vopts="${valueWords(x.options).join(' ')}" ;;\n`;
      }
      s += `      esac\n`;
      if (ID_KINDS.has(c.name))
        s += `      [[ $sub != create && $COMP_CWORD -eq 3 ]] && ids="$(${idsOf(c.name)})"\n`;
    } else {
      s += `      opts="${words(c.options).join(' ')}"; vopts="${valueWords(c.options).join(' ')}"\n`;
    }
    if (c.name === 'completion')
      s += `      if [[ $cur != -* ]]; then COMPREPLY=($(compgen -W "${SHELLS}" -- "$cur")); return; fi\n`;
    s += `      ;;\n`;
  }
  s += `  esac
  case "$prev" in
    ${[...FILE_OPTS].join('|')}) COMPREPLY=($(compgen -f -- "$cur")); return ;;
  esac
  if [[ " $vopts " == *" $prev "* ]]; then COMPREPLY=(); return; fi
  if [[ $cur == -* ]]; then
    COMPREPLY=($(compgen -W "$opts" -- "$cur"))
  elif [[ -n $ids ]]; then
    COMPREPLY=($(compgen -W "$ids" -- "$cur"))
  else
    COMPREPLY=($(compgen -f -- "$cur"))
  fi
}
complete -o filenames -F _svipc svipc
`;
  return s;
}

const zq = (s: string) =>
  s
    .replace(/\\/g, '\\\\')
    .replace(/'/g, "'\\''")
    .replace(/:/g, '\\:')
    .replace(/\[/g, '\\[')
    .replace(/\]/g, '\\]');

function zshArgs(opts: OptSpec[]): string {
  return opts
    .map((o) => {
      const names = [o.short, o.long].filter(Boolean) as string[];
      const action = o.value
        ? o.long && FILE_OPTS.has(o.long)
          ? ':file:_files'
          : `:${(o.long ?? o.short)!.replace(/^-+/, '')}: `
        : '';
      const spec = (n: string) => `'${n}[${zq(o.description)}]${action}'`;
      return names.map(spec).join(' ');
    })
    .join(' \\\n        ');
}

export function zshScript(specs: CompletionSpec[]): string {
  let s = `#compdef svipc
# zsh completion for svipc (generated by 'svipc completion zsh')
# Load it with: source <(svipc completion zsh), or save it as _svipc in a directory of $fpath.
_svipc() {
  local -a cmds subs
  if (( CURRENT == 2 )); then
    cmds=(
${specs.map((c) => `      '${zq(c.name)}:${zq(c.summary)}'`).join('\n')}
    )
    _describe -t commands 'svipc command' cmds
    return
  fi
  case $words[2] in
`;
  for (const c of specs) {
    s += `    ${c.name})\n`;
    if (c.subcommands.length > 0) {
      s += `      if (( CURRENT == 3 )); then\n        subs=(\n${c.subcommands.map((x) => `          '${zq(x.name)}:${zq(x.summary)}'`).join('\n')}\n        )\n        _describe -t subcommands '${c.name} subcommand' subs\n        return\n      fi\n`;
      s += `      shift 2 words; (( CURRENT -= 2 ))\n      case $words[1] in\n`;
      for (const x of c.subcommands) {
        const target = takesTarget(c, x.name) ? `'1:${c.name} id:_svipc_ids ${c.name}' ` : '';
        s += `        ${x.name}) _arguments -s \\\n        ${zshArgs(x.options)} \\\n        ${target}'*:file:_files' ;;\n`;
      }
      s += `      esac\n`;
    } else if (c.name === 'completion') {
      s += `      _arguments '1:shell:(${SHELLS})' ${zshArgs(c.options)}\n`;
    } else {
      s += `      shift words; (( CURRENT-- ))\n      _arguments -s \\\n        ${zshArgs(c.options)} \\\n        '*:file:_files'\n`;
    }
    s += `      ;;\n`;
  }
  s += `  esac
}
_svipc_ids() {
  local -a ids
  ids=(\${(f)"$(awk 'NR > 1 { print $2 }' /proc/sysvipc/$1 2>/dev/null; case $1 in
    msg) ${POSIX_NAMES.msg} ;; sem) ${POSIX_NAMES.sem} ;; shm) ${POSIX_NAMES.shm} ;; esac)"})
  compadd -a ids
}
if [[ $zsh_eval_context[-1] == loadautofunc ]]; then
  _svipc "$@"
else
  compdef _svipc svipc
fi
`;
  return s;
}

const fq = (s: string) => `'${s.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;

function fishOpt(cond: string, o: OptSpec): string {
  let line = `complete -c svipc -n ${fq(cond)}`;
  if (o.short) line += ` -s ${o.short.slice(1)}`;
  if (o.long) line += ` -l ${o.long.slice(2)}`;
  if (o.value) line += o.long && FILE_OPTS.has(o.long) ? ' -r -F' : ' -r -f';
  return `${line} -d ${fq(o.description)}`;
}

export function fishScript(specs: CompletionSpec[]): string {
  const names = specs.map((c) => c.name).join(' ');
  let s = `# fish completion for svipc (generated by 'svipc completion fish')
# Load it with: svipc completion fish | source, or save it as ~/.config/fish/completions/svipc.fish
complete -c svipc -f
`;
  for (const c of specs)
    s += `complete -c svipc -n ${fq(`not __fish_seen_subcommand_from ${names}`)} -a ${c.name} -d ${fq(c.summary)}\n`;
  for (const c of specs) {
    if (c.subcommands.length > 0) {
      const subs = c.subcommands.map((x) => x.name).join(' ');
      for (const x of c.subcommands) {
        s += `complete -c svipc -n ${fq(`__fish_seen_subcommand_from ${c.name}; and not __fish_seen_subcommand_from ${subs}`)} -a ${x.name} -d ${fq(x.summary)}\n`;
        const cond = `__fish_seen_subcommand_from ${c.name}; and __fish_seen_subcommand_from ${x.name}`;
        for (const o of x.options) s += `${fishOpt(cond, o)}\n`;
        if (takesTarget(c, x.name)) s += `complete -c svipc -n ${fq(cond)} -a ${fq(`(${idsOf(c.name)})`)}\n`;
      }
    } else {
      const cond = `__fish_seen_subcommand_from ${c.name}`;
      if (c.name === 'completion') s += `complete -c svipc -n ${fq(cond)} -a ${fq(SHELLS)}\n`;
      for (const o of c.options) s += `${fishOpt(cond, o)}\n`;
    }
  }
  return s;
}
