// svipc shm-list-reader: the lecture's shm-list-reader. Attaches the segment of key
// SHM_KEY (0x1234; --key) wherever the kernel chooses and walks the offset-linked list
// shm-list-writer built, printing what the C program prints. Beyond the C program: every
// offset is checked (inside the segment, on an element boundary, no cycle) before anything
// is printed, so a corrupt segment is a clear error, never a crash or an endless loop.
import type { CommandContext } from '../src/cli/context.js';
import { CommandError, EXIT, UsageError } from '../src/cli/exit.js';
import { action, newProgram, runProgram } from '../src/cli/program.js';
import { addTraceOption, withTrace } from '../src/cli/trace-option.js';
import { parseKey } from '../src/cli/values.js';
import { formatKey, isIpcError, MAX_VIEW, SharedMemory, strerror } from '../src/ipc/index.js';
import { ELEMENT_SIZE, ListCorruptError, SHM_KEY, visitLine, walkList } from '../src/protocols/shm-list.js';
import { tooSmall } from '../src/protocols/shmseg.js';

interface Opts {
  key?: string;
  quiet?: boolean;
  trace?: boolean;
}

export async function run(ctx: CommandContext): Promise<number> {
  const program = addTraceOption(
    newProgram(
      ctx,
      "The lecture's shm-list-reader: walk the linked list shm-list-writer left in a shared memory " +
        'segment (links are offsets from the segment base) and print its values.',
    ),
  )
    .option('--key <key>', "the segment key (default 0x1234, the lecture's SHM_KEY)")
    .option('-q, --quiet', 'print only the "[common] visit list:" line (no address)')
    .addHelpText(
      'after',
      '\nOutput (as the C program):\n  list attached at 0x...\n  [common] visit list: 13 17 42 \n' +
        'Exit status: 0 ok, 1 failed (no segment, permission, corrupt list), 2 usage.',
    );
  program.action(
    action(program, (opts: Opts) => {
      const key = opts.key === undefined ? SHM_KEY : parseKey(opts.key);
      if (key === 0) throw new UsageError('--key 0 is IPC_PRIVATE: no list can be found there');
      return withTrace(ctx, opts, () => {
        // list_get()
        let att: ReturnType<SharedMemory['attach']>;
        try {
          att = SharedMemory.get(key, 0).attach({ readonly: true });
        } catch (e) {
          if (isIpcError(e, 'ENOENT'))
            throw new CommandError(
              `list_get error: no shared memory segment of key ${formatKey(key)} (run shm-list-writer first)`,
            );
          if (isIpcError(e)) throw new CommandError(`list_get error: ${e.syscall}: ${strerror(e.errno)}`);
          throw e;
        }
        try {
          if (!opts.quiet) ctx.stdout.write(`list attached at 0x${att.address.toString(16)}\n`);
          if (att.size < ELEMENT_SIZE)
            throw new CommandError(tooSmall(att.shmid, att.size, 'shm-list (struct list)', ELEMENT_SIZE));
          let values: number[];
          try {
            values = walkList(att.view(0, Math.min(att.size, MAX_VIEW))).map((e) => e.val);
          } catch (e) {
            if (e instanceof ListCorruptError)
              throw new CommandError(
                `corrupt list in segment ${att.shmid} (key ${formatKey(key)}): ${e.message}`,
              );
            throw e;
          }
          ctx.stdout.write(`${visitLine('common', values)}\n`);
        } finally {
          att.detach();
        }
        return EXIT.OK;
      });
    }),
  );
  return runProgram(program, ctx);
}
