// What a command receives: its arguments, its streams, and a signal that fires on
// SIGINT/SIGTERM/SIGHUP. A command returns an exit code; it never calls process.exit.
import type { Readable, Writable } from 'node:stream';
import type { LongOption } from './getopt.js';
import type { CommandSpec } from './spec.js';

export interface Output {
  write(chunk: string | Uint8Array): boolean;
  readonly isTTY?: boolean;
}

export interface CommandContext {
  /** The name to use in messages: 'svipc ipcs', or 'ipcs' when invoked through an ipcs link. */
  prog: string;
  /** The subcommand's arguments (after its name). */
  argv: string[];
  stdin: Readable & { isTTY?: boolean; fd?: number };
  stdout: Writable & Output;
  stderr: Writable & Output;
  /**
   * 1 when `stdout` is the process's own (the launcher's context; a test's stand-in has none):
   * then src/cli/output.ts may write fd 1 itself while the stream is not made (a file).
   */
  stdoutFd?: number;
  env: NodeJS.ProcessEnv;
  /** Aborted when the process gets SIGINT, SIGTERM or SIGHUP; `reason` is the signal name. */
  signal: AbortSignal;
}

/**
 * `ctx` with other arguments. Its members stay as they are, getters too: the launcher's streams
 * and signal are made on first use, and a spread ({ ...ctx }) would make them all at once
 * (process.stdin alone pulls in fs streams and readline, or net).
 */
export function withArgv(ctx: CommandContext, argv: string[]): CommandContext {
  const members = Object.getOwnPropertyDescriptors(ctx);
  members.argv = { value: argv, enumerable: true, writable: true, configurable: true };
  return Object.defineProperties({}, members) as CommandContext;
}

export type CommandRun = (ctx: CommandContext) => Promise<number> | number;

export interface CommandModule {
  run: CommandRun;
  /** What the command takes, as data (src/cli/spec.ts); absent on the getopt drop-ins. */
  spec?: CommandSpec;
  /**
   * A getopt drop-in's long options (its spec): completion offers those its util-linux
   * --help does not list (the 2.41+ POSIX options, since --help stays 2.38.1's).
   */
  getopt?: readonly LongOption[];
}

/** Colour only on a terminal, and not when NO_COLOR is set to a non-empty value (no-color.org). */
export function useColor(ctx: CommandContext, stream: Output = ctx.stdout): boolean {
  return Boolean(stream.isTTY) && !ctx.env.NO_COLOR;
}
