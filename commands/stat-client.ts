// svipc stat-client PATH: the lecture's stat client (prints the size the server stat()ed),
// and with --content the file server's client (the file's bytes on stdout).

import { pathArg } from '../src/cli/argv-bytes.js';
import type { CommandContext } from '../src/cli/context.js';
import { CommandError, EXIT } from '../src/cli/exit.js';
import { describeLimit } from '../src/cli/explain.js';
import { defineTracedCommand, type TraceOpts, tracerOf } from '../src/cli/trace-option.js';
import { parseInteger, parseSeconds } from '../src/cli/values.js';
import { ftok, isIpcError, strerror } from '../src/ipc/index.js';
import { STAT_FTOK_PATH, STAT_FTOK_PROJ } from '../src/protocols/stat.js';
import {
  ClientTimeoutError,
  NoServerError,
  ProtocolError,
  RequestTooLargeError,
  statRequest,
} from '../src/protocols/stat-client.js';

/** No server to ask: EX_UNAVAILABLE of sysexits.h (next to 75, EX_TEMPFAIL, in svipc's table). */
export const EXIT_NO_SERVER = EXIT.NO_SERVER;

interface Options extends TraceOpts {
  content?: boolean;
  timeout: string;
  ftokPath: string;
  proj: string;
}

async function clientAction(ctx: CommandContext, path: string, opts: Options): Promise<number> {
  const trace = tracerOf(ctx, opts);
  const timeoutMs = parseSeconds(opts.timeout);
  const proj = parseInteger(opts.proj, 'project number');
  const bytes = pathArg(path); // a name that is not UTF-8 is sent as its bytes
  if (Buffer.byteLength(bytes) > 4095 || path.includes('\0'))
    throw new CommandError(`path too long: ${path.slice(0, 40)}...`, EXIT.USAGE);
  let key: number;
  try {
    key = ftok(pathArg(opts.ftokPath, '--ftok-path'), proj, { trace });
  } catch (e) {
    if (isIpcError(e, 'ENOENT')) {
      throw new CommandError(`no stat server is running (${opts.ftokPath} does not exist)`, EXIT_NO_SERVER);
    }
    throw e;
  }
  const kind = opts.content ? 'content' : 'stat';
  let answer: Awaited<ReturnType<typeof statRequest>>;
  try {
    answer = await statRequest({
      key,
      path: bytes,
      kind,
      timeoutMs,
      signal: ctx.signal,
      out: ctx.stdout,
      queueBytes: 1 << 20,
      trace,
    });
  } catch (e) {
    if (e instanceof NoServerError) throw new CommandError(e.message, EXIT_NO_SERVER);
    if (e instanceof ClientTimeoutError) throw new CommandError(e.message, EXIT.TIMEOUT);
    if (e instanceof ProtocolError) throw new CommandError(e.message);
    if (e instanceof RequestTooLargeError) {
      throw new CommandError(
        `the request for ${path} (${e.size} bytes: the reply queue id and the path) is larger than ` +
          `the kernel allows one message: ${describeLimit('msgmax')}`,
      );
    }
    // stdout failing (a full disk...): say so; EPIPE goes on to the launcher (exit 141).
    const err = e as { code?: string; syscall?: string; message?: string };
    if (err?.syscall === 'write' && err.code !== 'EPIPE')
      throw new CommandError(`standard output: ${err.message}`);
    throw e;
  }
  if (!answer.ok) {
    const why = answer.errno > 0 ? strerror(answer.errno) : 'the server answered RES_ERR';
    const after = kind === 'content' && answer.bytes > 0n ? ` (after ${answer.bytes} bytes)` : '';
    ctx.stderr.write(`${ctx.prog}: ${path}: ${why}${after}\n`);
    return EXIT.FAILED;
  }
  if (kind === 'stat') ctx.stdout.write(`${answer.size}\n`);
  return EXIT.OK;
}

export const { spec, run } = defineTracedCommand({
  summary: "Ask the stat server for PATH's size, or with --content for its bytes (on stdout).",
  args: [{ name: '<path>', description: 'the file, as the server sees it' }],
  options: [
    { flags: '-c, --content', description: "write the file's content to stdout instead of its size" },
    {
      flags: '-t, --timeout <s>',
      description: 'give up when the server says nothing for this long',
      default: '10',
    },
    { flags: '--ftok-path <path>', description: "the server's ftok key file", default: STAT_FTOK_PATH },
    { flags: '--proj <n>', description: 'ftok project number', default: String(STAT_FTOK_PROJ) },
  ],
  help:
    `\nExit status: 0 ok, 1 the server answered RES_ERR (or broke off, or the request is larger\n` +
    `than kernel.msgmax, or the reply queue was removed by someone else), 2 usage,\n` +
    `${EXIT_NO_SERVER} no server is running (or the one behind the queue died), 124 timed out,\n` +
    '130/143 interrupted.\n',
  examples: [
    [
      'svipc stat-client /etc/passwd',
      'print the size the server stat()ed (a server must run: svipc stat-server)',
    ],
    ['svipc stat-client --content /etc/hostname', "the file's bytes, sent by the server in messages"],
    [
      'svipc stat-client --trace /etc/passwd',
      'ftok, msgget, the request with its path, the answer with its size',
    ],
  ],
  action: clientAction,
});
