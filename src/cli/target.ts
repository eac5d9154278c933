// TARGET, the object a msg/sem/shm subcommand works on, written once for all three:
//   ID                      a msqid/semid/shmid (decimal), the first positional argument
//   -k, --key KEY           msgget/semget/shmget(KEY, 0): decimal, 0x hex, 0 octal
//   --path P [--proj N]     the key ftok(P, N) makes (N defaults to 1)
//   /NAME                   a POSIX object (src/cli/posix-primitives.ts), the first positional
// With -k or --path there is no ID argument, so the positionals after it move up by one.
import { formatKey, ftok, isIpcError, strerror } from '../ipc/index.js';
import { type IpcKind, KINDS } from '../ipc/kinds.js';
import { pathArg, showPath } from './argv-bytes.js';
import { CommandError, UsageError } from './exit.js';
import type { OptionSpec } from './spec.js';
import { parseId, parseInteger, parseKey } from './values.js';

export type { IpcKind } from '../ipc/kinds.js';

export interface TargetOptions {
  key?: string;
  path?: string;
  proj?: string;
}

export interface Target {
  kind: IpcKind;
  id: number;
  /** The key it was opened by, when it was opened by key or path. */
  key?: number;
  /** How the user named it, for messages: "message queue 3", "message queue with key 0x00001234". */
  label: string;
}

/** The usage fragment for help texts. */
export const TARGET_USAGE = '(ID | -k KEY | --path P [--proj N] | /NAME)';

export const TARGET_HELP =
  '\nTARGET is an id (the first argument), or -k/--key KEY (decimal, 0x hex, 0 octal),\n' +
  'or --path P [--proj N] for the key ftok(P, N) makes (N defaults to 1): a System V object;\n' +
  'or /NAME (the first argument, starting with "/"): the POSIX object of that name.\n';

/** -k/--key, --path and --proj, in a TARGET's words or a create's (`key` and `path` say which). */
function keyOptions(key: string, path: string): OptionSpec[] {
  return [
    { flags: '-k, --key <key>', description: key },
    { flags: '--path <path>', description: path },
    { flags: '--proj <n>', description: 'project number for --path (default 1)' },
  ];
}

/** -k/--key, --path and --proj of every subcommand on an existing object. */
export const TARGET_OPTIONS: readonly OptionSpec[] = keyOptions(
  'the object with this key (decimal, 0x hex, 0 octal)',
  'the object whose key is ftok(PATH, PROJ)',
);

/** create's -k/--key, --path and --proj: the key of the object it makes (`key`: what a taken key does). */
export function createKeyOptions(key = 'create it with this key (fails if the key is taken)'): OptionSpec[] {
  return keyOptions(key, 'create it with the key ftok(PATH, PROJ)');
}

/** The key named by -k or --path/--proj, or undefined when neither was given. */
export function keyOf(opts: TargetOptions): number | undefined {
  if (opts.key !== undefined && opts.path !== undefined)
    throw new UsageError('-k/--key and --path are exclusive');
  if (opts.proj !== undefined && opts.path === undefined) throw new UsageError('--proj needs --path');
  if (opts.key !== undefined) return parseKey(opts.key);
  if (opts.path !== undefined) {
    const proj = opts.proj === undefined ? 1 : parseInteger(opts.proj, 'project number');
    try {
      return ftok(pathArg(opts.path, '--path'), proj);
    } catch (e) {
      if (isIpcError(e)) throw new CommandError(`ftok ${showPath(pathArg(opts.path))}: ${strerror(e.errno)}`);
      throw e;
    }
  }
  return undefined;
}

function openByKey(kind: IpcKind, key: number): number {
  const { noun } = KINDS[kind];
  try {
    return KINDS[kind].idOfKey(key);
  } catch (e) {
    if (isIpcError(e, 'ENOENT')) throw new CommandError(`no ${noun} with key ${formatKey(key)}`);
    if (isIpcError(e)) throw new CommandError(`${noun} with key ${formatKey(key)}: ${e.message}`);
    throw e;
  }
}

/**
 * Take the TARGET from the options and, when no key was given, from the first positional
 * argument; return it with the positionals that remain.
 */
export function takeTarget(
  kind: IpcKind,
  opts: TargetOptions,
  args: readonly string[],
): { target: Target; rest: string[] } {
  const { noun } = KINDS[kind];
  const key = keyOf(opts);
  if (key !== undefined) {
    const id = openByKey(kind, key);
    return {
      target: { kind, id, key, label: `${noun} ${id} (key ${formatKey(key)})` },
      rest: [...args],
    };
  }
  const [first, ...rest] = args;
  if (first === undefined) throw new UsageError(`missing TARGET: an id, -k KEY or --path P`);
  const id = parseId(first, `${noun} id`);
  return { target: { kind, id, label: `${noun} ${id}` }, rest };
}
