// svipc stat-server: the lecture's message-queue stat server, which also serves file content
// (the lecture's exercise), hardened so that no client can break it. See src/server/; the
// command-line rules (key, open failures) are in src/cli/stat-server.ts.
import { pathArg } from '../src/cli/argv-bytes.js';
import type { CommandContext } from '../src/cli/context.js';
import { CommandError, EXIT } from '../src/cli/exit.js';
import { keyOf, openServer, summary } from '../src/cli/stat-server.js';
import { defineTracedCommand, type TraceOpts, tracerOf } from '../src/cli/trace-option.js';
import { parseCount, parseInteger, parseMode, parseSeconds } from '../src/cli/values.js';
import { formatKey } from '../src/ipc/index.js';
import { STAT_FTOK_PATH, STAT_FTOK_PROJ } from '../src/protocols/stat.js';
import { QueueRemovedError } from '../src/server/stat-server.js';

interface Options extends TraceOpts {
  ftokPath: string;
  proj: string;
  mode: string;
  replace?: boolean;
  root?: string;
  verbose?: boolean;
  maxStreams: string;
  stallTimeout: string;
}

async function serverAction(ctx: CommandContext, opts: Options): Promise<number> {
  const trace = tracerOf(ctx, opts);
  const proj = parseInteger(opts.proj, 'project number');
  const mode = parseMode(opts.mode);
  const maxStreams = Math.max(1, parseCount(opts.maxStreams, 'stream count', 4096));
  const stallTimeoutMs = parseSeconds(opts.stallTimeout, 'stall timeout');
  const log = (line: string) => ctx.stderr.write(`${ctx.prog}: ${line}\n`);
  // A server outlives its log reader: a closed stderr (EPIPE) loses lines, not the service.
  ctx.stderr.on('error', () => {});
  const key = keyOf(pathArg(opts.ftokPath, '--ftok-path'), opts.ftokPath, proj, trace);
  const { replace, root, verbose } = opts;
  const server = openServer({ key, mode, replace, root, verbose, log, maxStreams, stallTimeoutMs, trace });
  if (server.replacedId !== null)
    log(`replaced the queue with key ${formatKey(key)} (msqid ${server.replacedId})`);
  if (verbose) log(`serving key ${formatKey(key)} (msqid ${server.queue.id})${root ? `, root ${root}` : ''}`);
  try {
    await server.serve(ctx.signal);
  } catch (e) {
    if (e instanceof QueueRemovedError) throw new CommandError(e.message);
    throw e;
  }
  if (verbose) log(summary(server, ctx.signal.reason));
  return EXIT.OK;
}

export const { spec, run } = defineTracedCommand({
  summary: "Serve stat requests (and file content) on the lecture's request queue until SIGINT/SIGTERM.",
  options: [
    {
      flags: '--ftok-path <path>',
      description: 'key file for ftok (created if missing; never a symlink)',
      default: STAT_FTOK_PATH,
    },
    { flags: '--proj <n>', description: 'ftok project number', default: String(STAT_FTOK_PROJ) },
    { flags: '--mode <mode>', description: 'permissions of the request queue (octal)', default: '620' },
    {
      flags: '--replace',
      description: "take over the key from a queue of this user's (never another user's)",
    },
    { flags: '--root <dir>', description: 'serve only paths under DIR (relative paths start there)' },
    { flags: '-v, --verbose', description: 'one line per request on stderr' },
    {
      flags: '--max-streams <n>',
      description: 'content streams served at once (more wait their turn)',
      default: '32',
    },
    {
      flags: '--stall-timeout <s>',
      description: 'drop a content stream whose client takes nothing for this long',
      default: '30',
    },
  ],
  help:
    '\nExit status: 0 stopped by SIGINT/SIGTERM (the queue is removed), 1 failed (the key is taken,\n' +
    'the queue was removed under it, --replace met a queue of another user, the key file is a\n' +
    "symlink...), 2 usage. Each request is served with its sender's privileges, never more:\n" +
    'protocol, hardening and residual risks in the svipc-stat-server(1) man page.\n',
  examples: [
    ['svipc stat-server -v', 'terminal 1: serve until Ctrl-C (which removes the queue)'],
    ['svipc stat-client /etc/passwd', "terminal 2: ask for a file's size"],
    [
      'svipc stat-server --trace',
      'each request taken (msgrcv, with its path) and each answer (msgsnd, with its fields)',
    ],
    ['svipc stat-server --root /etc --mode 622', 'serve only paths under /etc, to clients of any group'],
  ],
  action: serverAction,
});
