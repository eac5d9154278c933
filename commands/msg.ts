// svipc msg create|send|recv|peek|stat|set|rm: message queues from the shell, System V (ID,
// -k KEY, --path P) or POSIX (/NAME). The System V actions are in src/cli/msg-rules.ts, the
// POSIX ones and the choice of family in src/cli/posix-msg.ts; this file declares the command.
import { CREATED_HELP } from '../src/cli/output.js';
import * as posix from '../src/cli/posix-msg.js';
import { rmSpec, statSpec } from '../src/cli/posix-primitives.js';
import { EXIT_HELP, MODE_OPTION, NOWAIT_OPTION, TIMEOUT_OPTION, targetSpec } from '../src/cli/primitives.js';
import { defineCommand } from '../src/cli/spec.js';
import { createKeyOptions, TARGET_HELP, TARGET_USAGE } from '../src/cli/target.js';

const WAIT = [NOWAIT_OPTION, TIMEOUT_OPTION];
const MAX_SIZE = {
  flags: '--max-size <bytes>',
  description: 'largest payload accepted (default kernel.msgmax)',
};

export const { spec, run } = defineCommand({
  summary:
    'Message queues from the shell, System V (ID, -k KEY) or POSIX (/NAME): create, send, recv, peek, stat, set, rm.',
  help: TARGET_HELP + EXIT_HELP,
  examples: [
    ['q=$(svipc msg create); svipc msg send "$q" hello', 'a System V queue and one message of type 1'],
    ['svipc msg recv "$q" --timeout 5', 'wait up to 5 s for a message and print its payload'],
    [
      'svipc msg create /jobs && svipc msg send /jobs --priority 9 urgent',
      'a POSIX queue and a priority-9 message',
    ],
    ['svipc msg recv /jobs --json', 'the highest-priority message, with its priority, as JSON'],
  ],
  subcommands: [
    {
      name: 'create',
      summary: 'create a queue (IPC_PRIVATE, a new key, or /NAME) and print its id (or name)',
      usage: '[-k KEY | --path P [--proj N] | /NAME] [options]',
      args: [{ name: '[name]', description: 'a POSIX queue: /NAME (default: a System V queue)' }],
      options: [
        ...createKeyOptions(),
        MODE_OPTION,
        { flags: '--qbytes <n>', description: 'System V: the queue byte limit (default kernel.msgmnb)' },
        { flags: '--max-messages <n>', description: 'POSIX: mq_maxmsg (default fs.mqueue.msg_default)' },
        { flags: '--message-size <n>', description: 'POSIX: mq_msgsize (default fs.mqueue.msgsize_default)' },
        {
          flags: '--json',
          description: 'print {"id", "key", "keyHex"}; POSIX: {"name", "maxMessages", ...}',
        },
      ],
      help: CREATED_HELP + EXIT_HELP,
      examples: [
        ['svipc msg create -k 0x1234 --mode 660', 'a System V queue with key 0x1234'],
        [
          'svipc msg create /jobs --max-messages 10 --message-size 256',
          'a POSIX queue of 10 messages of 256 bytes',
        ],
      ],
      action: posix.createEither,
    },
    targetSpec({
      name: 'send',
      summary: 'send one message: DATA, or stdin when DATA is absent or -',
      usage: `${TARGET_USAGE} [options] [DATA]`,
      options: [
        { flags: '-t, --type <n>', description: 'System V: message type, a positive integer (default 1)' },
        {
          flags: '--priority <n>',
          description: 'POSIX: 0..32767, the highest is received first (default 0)',
        },
        ...WAIT,
      ],
      help: '\nWithout DATA on a terminal, it says it reads the message from stdin (end with Ctrl-D).\n',
      examples: [['printf "a\\0b" | svipc msg send 3', 'binary data from stdin to queue 3']],
      action: posix.sendEither,
    }),
    targetSpec({
      name: 'recv',
      summary: 'receive one message and write its payload to stdout',
      usage: `${TARGET_USAGE} [options]`,
      options: [
        {
          flags: '-t, --type <n>',
          description:
            'System V: 0 the first message (default); N > 0 the first of type N; N < 0 the lowest type <= |N|',
        },
        {
          flags: '--except',
          description: 'with --type N > 0: the first message whose type is not N (MSG_EXCEPT)',
        },
        {
          flags: '--noerror',
          description: 'truncate a message longer than --max-size instead of failing (MSG_NOERROR)',
        },
        MAX_SIZE,
        ...WAIT,
        {
          flags: '--json',
          description: 'print {"id", "type", "size", "text", "base64"}; POSIX: "name", "priority"',
        },
      ],
      help:
        '\nA message that cannot be written to stdout (write error: a full disk, a closed pipe) is put\n' +
        'back on its queue with its type (System V: at the end of the queue) or its priority (POSIX:\n' +
        'after the queued messages of that priority), and the error says so.\n',
      examples: [['svipc msg recv 3 --type -2 --nowait', 'the lowest type up to 2, or exit 75 at once']],
      action: posix.recvEither,
    }),
    targetSpec({
      name: 'peek',
      summary: 'copy the message at a position without removing it (MSG_COPY; System V only)',
      usage: `${TARGET_USAGE} [--index N] [--max-size BYTES] [--json]`,
      options: [
        {
          flags: '--index <n>',
          description: 'the position: 0 is the first message (the next received)',
          default: '0',
        },
        MAX_SIZE,
        { flags: '--json', description: 'print {"id", "index", "type", "size", "text", "base64"}' },
      ],
      help:
        '\nThe message stays on the queue (msgrcv with MSG_COPY|IPC_NOWAIT, Linux 3.8+ built with\n' +
        'CONFIG_CHECKPOINT_RESTORE). It never waits: no message at that index is an error (exit 1).\n' +
        'Positions move as others receive: the index is of the moment of the call.\n',
      action: posix.peekEither,
    }),
    statSpec('msg', "print a queue's status (System V: msgctl IPC_STAT; POSIX: its file and mq_getattr)"),
    targetSpec({
      name: 'set',
      summary: "change a queue's qbytes, mode or owner (msgctl IPC_SET; System V only)",
      usage: `${TARGET_USAGE} [--qbytes N] [--mode M] [--owner UID[:GID]]`,
      options: [
        {
          flags: '--qbytes <n>',
          description: "the queue's byte limit (above kernel.msgmnb needs CAP_SYS_RESOURCE)",
        },
        { flags: '-m, --mode <mode>', description: 'permission bits, octal' },
        { flags: '--owner <uid[:gid]>', description: 'new owner uid and/or group gid (numeric)' },
      ],
      action: posix.setEither,
    }),
    rmSpec(
      'msg',
      'remove a queue (IPC_RMID: blocked receivers and senders fail with EIDRM; POSIX: mq_unlink)',
    ),
  ],
});
