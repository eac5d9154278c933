// What svshm-writer and svshm-reader share: --shm-key/--sem-key and --buffer-size checked the
// same way, and one transfer run: --trace, --progress, the C programs' "sent/received N bytes
// (M xfrs)" line, and TransferError as exit 1 (124 when no peer came in time).

import type { Tracer } from '../ipc/trace.js';
import { MAX_BUF_SIZE, progressReporter, TransferError, type TransferResult } from '../protocols/svshm.js';
import type { CommandContext } from './context.js';
import { CommandError, EXIT, UsageError } from './exit.js';
import { type TraceOpts, tracerOf } from './trace-option.js';
import { parseCount, parseKey } from './values.js';

/** --shm-key and --sem-key: neither may be 0 (IPC_PRIVATE). */
export function parseKeys(opts: { shmKey: string; semKey: string }): { shmKey: number; semKey: number } {
  const shmKey = parseKey(opts.shmKey);
  const semKey = parseKey(opts.semKey);
  if (shmKey === 0 || semKey === 0) throw new UsageError('keys must not be 0 (IPC_PRIVATE)');
  return { shmKey, semKey };
}

/** --buffer-size: 1 to MAX_BUF_SIZE bytes. */
export function parseBufferSize(text: string): number {
  const bufferSize = parseCount(text, 'buffer size', MAX_BUF_SIZE);
  if (bufferSize < 1) throw new UsageError(`invalid buffer size: '${text}' (1 to ${MAX_BUF_SIZE})`);
  return bufferSize;
}

/** What each side's run gets from the command: the signal, notices and progress to stderr. */
export interface TransferHooks {
  signal: AbortSignal;
  onNotice: (message: string) => void;
  onProgress: ((p: TransferResult, done: boolean) => void) | undefined;
  trace: Tracer | undefined;
}

/** Run one side of the transfer under --trace and --progress and report it as the C program does. */
export async function transfer(
  ctx: CommandContext,
  opts: TraceOpts & { progress?: boolean },
  verb: 'sent' | 'received',
  side: (hooks: TransferHooks) => Promise<TransferResult>,
): Promise<number> {
  const progress = opts.progress && ctx.stderr.isTTY ? progressReporter(ctx.stderr, verb) : undefined;
  try {
    const r = await side({
      signal: ctx.signal,
      onNotice: (m) => ctx.stderr.write(`${ctx.prog}: ${m}\n`),
      onProgress: progress,
      trace: tracerOf(ctx, opts),
    });
    ctx.stderr.write(`${verb} ${r.bytes} bytes (${r.xfrs} xfrs)\n`);
    return EXIT.OK;
  } catch (e) {
    progress?.({ bytes: 0, xfrs: 0 }, true);
    if (e instanceof TransferError)
      throw new CommandError(e.message, e.timedOut ? EXIT.TIMEOUT : EXIT.FAILED);
    throw e;
  }
}
