// svipc msg create|send|recv|peek|stat|set|rm: System V message queues from the shell.
import type { CommandContext } from '../src/cli/context.js';
import { CommandError, UsageError } from '../src/cli/exit.js';
import { explained, explainedAsync, type Situation } from '../src/cli/explain.js';
import { checkFits, messageDocument, parseMaxSize, parseType, putBack } from '../src/cli/msg-rules.js';
import { afterFailure, announceCreated, CREATED_HELP, written } from '../src/cli/output.js';
import {
  dataOrStdin,
  EXIT_HELP,
  jsonText,
  messageBound,
  noMore,
  parseOwner,
  rmSubcommand,
  statSubcommand,
  targetSubcommand,
  waitOptions,
} from '../src/cli/primitives.js';
import { action, newProgram, runProgram } from '../src/cli/program.js';
import { keyOf, TARGET_HELP, TARGET_USAGE, type TargetOptions, takeTarget } from '../src/cli/target.js';
import { parseCount, parseMode } from '../src/cli/values.js';
import { formatKey, MessageQueue } from '../src/ipc/index.js';

interface Json {
  json?: boolean;
}

export async function run(ctx: CommandContext): Promise<number> {
  const program = newProgram(
    ctx,
    'System V message queues from the shell: create, send, recv, peek, stat, set, rm.',
  )
    .addHelpText('after', TARGET_HELP + EXIT_HELP)
    .showHelpAfterError(false);

  // create
  program
    .command('create')
    .description('create a queue (IPC_PRIVATE, or a new key) and print its id')
    .option('-k, --key <key>', 'create it with this key (fails if the key is taken)')
    .option('--path <path>', 'create it with the key ftok(PATH, PROJ)')
    .option('--proj <n>', 'project number for --path (default 1)')
    .option('-m, --mode <mode>', 'permission bits, octal', '600')
    .option('--qbytes <n>', 'the queue byte limit (default kernel.msgmnb)')
    .option('--json', 'print {"id", "key", "keyHex"}')
    .addHelpText('after', CREATED_HELP + EXIT_HELP)
    .action(
      action(program, async (opts: TargetOptions & Json & { mode: string; qbytes?: string }) => {
        const key = keyOf(opts);
        const mode = parseMode(opts.mode);
        const qbytes = opts.qbytes === undefined ? undefined : parseCount(opts.qbytes, 'qbytes');
        const s: Situation = { kind: 'msg', op: 'create', ...(key !== undefined ? { key } : {}) };
        const q = explained(s, () => MessageQueue.create({ mode, ...(key !== undefined ? { key } : {}) }));
        if (qbytes !== undefined) {
          try {
            explained({ kind: 'msg', op: 'set', id: q.id, qbytes }, () => q.set({ qbytes }));
          } catch (e) {
            q.remove(); // We made it, and it is not what was asked for.
            throw e;
          }
        }
        const text = opts.json
          ? jsonText({ id: q.id, key: key ?? 0, keyHex: formatKey(key ?? 0) })
          : `${q.id}\n`;
        // Nobody may learn the id of a queue we made: then it must not stay.
        await announceCreated(ctx, text, `message queue ${q.id}`, () => q.remove());
        return 0;
      }),
    );

  // send
  targetSubcommand(program, 'send', 'send one message: DATA, or stdin when DATA is absent or -')
    .usage(`${TARGET_USAGE} [options] [DATA]`)
    .argument('[args...]', 'TARGET id (unless -k/--path), then DATA')
    .option('-t, --type <n>', 'message type, a positive integer', '1')
    .option('--nowait', 'fail with exit 75 instead of waiting when the queue is full')
    .option('--timeout <seconds>', 'give up waiting for room after this long (exit 124)')
    .action(
      action(
        program,
        async (
          args: string[],
          opts: TargetOptions & { type: string; nowait?: boolean; timeout?: string },
        ) => {
          const { target, rest } = takeTarget('msg', opts, args);
          const [data, ...extra] = rest;
          noMore(extra);
          const type = parseType(opts.type, false);
          const wait = waitOptions(ctx, opts);
          const payload = await dataOrStdin(ctx, data, messageBound()); // stdin: at most msgmax
          const q = new MessageQueue(target.id);
          const s: Situation = {
            kind: 'msg',
            op: 'send',
            id: target.id,
            size: payload.length,
            access: 'write',
            ...wait,
          };
          checkFits(q, s, payload.length);
          await explainedAsync(s, () => q.sendAsync(type, payload, wait));
          return 0;
        },
      ),
    );

  // recv
  targetSubcommand(program, 'recv', 'receive one message and write its payload to stdout')
    .usage(`${TARGET_USAGE} [options]`)
    .argument('[args...]', 'TARGET id (unless -k/--path)')
    .option(
      '-t, --type <n>',
      '0: the first message; N > 0: the first of type N; N < 0: the lowest type <= |N|',
      '0',
    )
    .option('--except', 'with --type N > 0: the first message whose type is not N (MSG_EXCEPT)')
    .option('--noerror', 'truncate a message longer than --max-size instead of failing (MSG_NOERROR)')
    .option('--max-size <bytes>', 'largest payload accepted (default kernel.msgmax)')
    .option('--nowait', 'fail with exit 75 instead of waiting when no message matches')
    .option('--timeout <seconds>', 'give up waiting after this long (exit 124)')
    .option('--json', 'print {"id", "type", "size", "text", "base64"} instead of the raw payload')
    .addHelpText(
      'after',
      '\nA message that cannot be written to stdout (write error: a full disk, a closed pipe) is put\n' +
        'back on its queue with its type, at the end of the queue, and the error says so.\n',
    )
    .action(
      action(
        program,
        async (
          args: string[],
          opts: TargetOptions &
            Json & {
              type: string;
              except?: boolean;
              noerror?: boolean;
              maxSize?: string;
              nowait?: boolean;
              timeout?: string;
            },
        ) => {
          const { target, rest } = takeTarget('msg', opts, args);
          noMore(rest);
          const type = parseType(opts.type, true);
          if (opts.except && type <= 0) throw new UsageError('--except needs --type N with N > 0');
          const wait = waitOptions(ctx, opts);
          const maxSize = parseMaxSize(opts.maxSize);
          const s: Situation = { kind: 'msg', op: 'recv', id: target.id, maxSize, access: 'read', ...wait };
          const q = new MessageQueue(target.id);
          const m = await explainedAsync(s, () =>
            q.receiveAsync({
              type,
              except: opts.except ?? false,
              noerror: opts.noerror ?? false,
              maxSize,
              ...wait,
            }),
          );
          const out = opts.json ? jsonText({ id: target.id, ...messageDocument(m) }) : m.data;
          // The message is only consumed once it is written: if it cannot be, it goes back.
          try {
            await written(ctx.stdout, out);
          } catch (e) {
            const { outcome, ok } = putBack(q, m);
            throw afterFailure(e, outcome, ok);
          }
          return 0;
        },
      ),
    );

  // peek
  targetSubcommand(program, 'peek', 'copy the message at a position without removing it (MSG_COPY)')
    .usage(`${TARGET_USAGE} [--index N] [--max-size BYTES] [--json]`)
    .argument('[args...]', 'TARGET id (unless -k/--path)')
    .option('--index <n>', 'the position in the queue: 0 is the first message (the next to be received)', '0')
    .option('--max-size <bytes>', 'largest payload accepted (default kernel.msgmax)')
    .option('--json', 'print {"id", "index", "type", "size", "text", "base64"} instead of the raw payload')
    .addHelpText(
      'after',
      '\nThe message stays on the queue (msgrcv with MSG_COPY|IPC_NOWAIT, Linux 3.8+ built with\n' +
        'CONFIG_CHECKPOINT_RESTORE). It never waits: no message at that index is an error (exit 1).\n' +
        'Positions move as others receive: the index is of the moment of the call.\n',
    )
    .action(
      action(
        program,
        async (args: string[], opts: TargetOptions & Json & { index: string; maxSize?: string }) => {
          const { target, rest } = takeTarget('msg', opts, args);
          noMore(rest);
          const index = parseCount(opts.index, 'index');
          const maxSize = parseMaxSize(opts.maxSize);
          const s: Situation = { kind: 'msg', op: 'peek', id: target.id, index, maxSize, access: 'read' };
          const m = explained(s, () => new MessageQueue(target.id).peek(index, { maxSize }));
          if (m === null) throw new CommandError(`${target.label}: no message at index ${index}`);
          await written(
            ctx.stdout,
            opts.json ? jsonText({ id: target.id, index, ...messageDocument(m) }) : m.data,
          );
          return 0;
        },
      ),
    );

  // stat
  statSubcommand(
    program,
    ctx,
    'msg',
    "print a queue's status (msgctl IPC_STAT)",
    `${TARGET_USAGE} [options]`,
  );

  // set
  targetSubcommand(program, 'set', "change a queue's qbytes, mode or owner (msgctl IPC_SET)")
    .usage(`${TARGET_USAGE} [--qbytes N] [--mode M] [--owner UID[:GID]]`)
    .argument('[args...]', 'TARGET id (unless -k/--path)')
    .option('--qbytes <n>', "the queue's byte limit (above kernel.msgmnb needs CAP_SYS_RESOURCE)")
    .option('-m, --mode <mode>', 'permission bits, octal')
    .option('--owner <uid[:gid]>', 'new owner uid and/or group gid (numeric)')
    .action(
      action(
        program,
        (args: string[], opts: TargetOptions & { qbytes?: string; mode?: string; owner?: string }) => {
          const { target, rest } = takeTarget('msg', opts, args);
          noMore(rest);
          if (opts.qbytes === undefined && opts.mode === undefined && opts.owner === undefined) {
            throw new UsageError('nothing to change: give --qbytes, --mode or --owner');
          }
          const change = {
            ...(opts.qbytes !== undefined ? { qbytes: parseCount(opts.qbytes, 'qbytes') } : {}),
            ...(opts.mode !== undefined ? { mode: parseMode(opts.mode) } : {}),
            ...(opts.owner !== undefined ? parseOwner(opts.owner) : {}),
          };
          const s: Situation = {
            kind: 'msg',
            op: 'set',
            id: target.id,
            ...(change.qbytes !== undefined ? { qbytes: change.qbytes } : {}),
          };
          explained(s, () => new MessageQueue(target.id).set(change));
          return 0;
        },
      ),
    );

  // rm
  rmSubcommand(
    program,
    'msg',
    'remove a queue (msgctl IPC_RMID); blocked receivers and senders fail with EIDRM',
  );

  return runProgram(program, ctx);
}
