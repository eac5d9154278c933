// svipc stat-server: the lecture's message-queue stat server, which also serves file content
// (the lecture's exercise), hardened so that no client can break it. See src/server/.

import { pathArg } from '../src/cli/argv-bytes.js';
import type { CommandContext } from '../src/cli/context.js';
import { CommandError, EXIT } from '../src/cli/exit.js';
import { action, newProgram, runProgram } from '../src/cli/program.js';
import { addTraceOption, enableTrace } from '../src/cli/trace-option.js';
import { parseCount, parseInteger, parseMode, parseSeconds } from '../src/cli/values.js';
import { formatKey, isIpcError, strerror } from '../src/ipc/index.js';
import { STAT_FTOK_PATH, STAT_FTOK_PROJ } from '../src/protocols/stat.js';
import { ForeignQueueError, QueueRemovedError, StatServer, serverKey } from '../src/server/stat-server.js';

interface Options {
  ftokPath: string;
  proj: string;
  mode: string;
  replace?: boolean;
  root?: string;
  verbose?: boolean;
  maxStreams: string;
  stallTimeout: string;
  trace?: boolean;
}

export async function run(ctx: CommandContext): Promise<number> {
  const program = addTraceOption(
    newProgram(
      ctx,
      "Serve stat requests (and file content) on the lecture's request queue until SIGINT/SIGTERM.",
    ),
  )
    .option('--ftok-path <path>', 'key file for ftok (created if missing; never a symlink)', STAT_FTOK_PATH)
    .option('--proj <n>', 'ftok project number', String(STAT_FTOK_PROJ))
    .option('--mode <mode>', 'permissions of the request queue (octal)', '620')
    .option('--replace', "take over the key from a queue of this user's (never another user's)")
    .option('--root <dir>', 'serve only paths under DIR (relative paths start there)')
    .option('-v, --verbose', 'one line per request on stderr')
    .option('--max-streams <n>', 'content streams served at once (more wait their turn)', '32')
    .option('--stall-timeout <s>', 'drop a content stream whose client takes nothing for this long', '30')
    .addHelpText(
      'after',
      '\nExit status: 0 stopped by SIGINT/SIGTERM (the queue is removed), 1 failed (the key is taken,\n' +
        'the queue was removed under it, --replace met a queue of another user, the key file is a\n' +
        "symlink...), 2 usage. Each request is served with its sender's privileges, never more:\n" +
        'protocol, hardening and residual risks in the stat-server(1) man page.',
    );
  program.action(
    action(program, async (opts: Options) => {
      enableTrace(ctx, opts);
      const proj = parseInteger(opts.proj, 'project number');
      const mode = parseMode(opts.mode);
      const maxStreams = Math.max(1, parseCount(opts.maxStreams, 'stream count', 4096));
      const stallTimeoutMs = parseSeconds(opts.stallTimeout, 'stall timeout');
      const log = (line: string) => ctx.stderr.write(`${ctx.prog}: ${line}\n`);
      // A server outlives its log reader: a closed stderr (EPIPE) loses lines, not the service.
      ctx.stderr.on('error', () => {});

      let key: number;
      try {
        key = serverKey(pathArg(opts.ftokPath, '--ftok-path'), proj, { create: true });
      } catch (e) {
        throw new CommandError(`${opts.ftokPath}: ${describe(e)}`);
      }
      let server: StatServer;
      try {
        server = StatServer.open({
          key,
          mode,
          replace: opts.replace,
          root: opts.root,
          verbose: opts.verbose,
          log,
          maxStreams,
          stallTimeoutMs,
        });
      } catch (e) {
        if (e instanceof ForeignQueueError) throw new CommandError(e.message);
        if (isIpcError(e, 'EEXIST')) {
          const id = StatServer.existingId(key);
          const k = formatKey(key);
          throw new CommandError(
            `a message queue with key ${k} already exists${id === null ? '' : ` (msqid ${id})`}: ` +
              `another stat-server is running or one left it behind; remove it with 'svipc ipcrm -Q ${k}', ` +
              'or start with --replace',
          );
        }
        if (opts.root !== undefined && !isIpcError(e))
          throw new CommandError(`--root ${opts.root}: ${describe(e)}`);
        if (isIpcError(e)) {
          const what = opts.replace ? 'take over' : 'create';
          throw new CommandError(`cannot ${what} the request queue (key ${formatKey(key)}): ${e.message}`);
        }
        throw e;
      }
      if (server.replacedId !== null)
        log(`replaced the queue with key ${formatKey(key)} (msqid ${server.replacedId})`);
      if (opts.verbose) {
        log(
          `serving key ${formatKey(key)} (msqid ${server.queue.id})${opts.root ? `, root ${opts.root}` : ''}`,
        );
      }
      try {
        await server.serve(ctx.signal);
      } catch (e) {
        if (e instanceof QueueRemovedError) throw new CommandError(e.message);
        throw e;
      }
      if (opts.verbose) {
        const c = server.counters;
        const s = server.streamStats;
        log(
          `stopped (${String(ctx.signal.reason ?? 'signal')}), queue removed: ${c.requests} requests, ` +
            `${c.malformed} dropped, ${c.repliesLost} replies lost, ${s.served} files sent (${s.bytes} bytes)`,
        );
      }
      return EXIT.OK;
    }),
  );
  return runProgram(program, ctx);
}

function describe(e: unknown): string {
  if (isIpcError(e)) return strerror(e.errno);
  const code = (e as { code?: string })?.code;
  if (code === 'ENOENT') return 'No such file or directory';
  if (code === 'EACCES') return 'Permission denied';
  if (code === 'ENOTDIR') return 'Not a directory';
  return (e as Error)?.message ?? String(e);
}
