// `svipc tour --step`: before each step the tour says what comes and waits for one key on the
// terminal: Enter (or space) goes on, q stops (the tour cleans up and exits 0), Ctrl-C stops
// as SIGINT does (cleaned up, 130). The terminal is in raw mode only while it waits, so
// Ctrl-C during a step is the ordinary SIGINT; raw mode is undone on every way out.
import type { CommandContext } from '../cli/context.js';
import { UsageError } from '../cli/exit.js';

export type Answer = 'go' | 'quit' | 'interrupt';

type TtyIn = NodeJS.ReadStream & { setRawMode?(mode: boolean): unknown };

/** --step needs a terminal on stdin to read the key from: refused (exit 2) without one. */
export function checkStepTerminal(ctx: CommandContext): void {
  const stdin = ctx.stdin as TtyIn;
  if (!stdin.isTTY || typeof stdin.setRawMode !== 'function') {
    throw new UsageError(
      '--step waits for Enter on a terminal, and stdin is not one (run it in a terminal, or without --step)',
    );
  }
}

/** What a key pressed at the pause means (undefined: not an answer, keep waiting). */
export function answerOf(bytes: Buffer): Answer | undefined {
  for (const b of bytes) {
    if (b === 0x0d || b === 0x0a || b === 0x20) return 'go';
    if (b === 0x71 || b === 0x51 || b === 0x04) return 'quit'; // q, Q, Ctrl-D
    if (b === 0x03) return 'interrupt'; // Ctrl-C (raw mode: no SIGINT)
  }
  return undefined;
}

/** Wait for one answer on the terminal; a signal meanwhile answers 'interrupt'. */
export function waitForKey(ctx: CommandContext): Promise<Answer> {
  const stdin = ctx.stdin as TtyIn;
  return new Promise((resolve) => {
    const done = (a: Answer) => {
      stdin.removeListener('data', onData);
      ctx.signal.removeEventListener('abort', onAbort);
      process.removeListener('exit', restore);
      restore();
      stdin.pause();
      resolve(a);
    };
    const onData = (chunk: Buffer | string) => {
      const a = answerOf(Buffer.from(chunk));
      if (a) done(a);
    };
    const onAbort = () => done('interrupt');
    const restore = () => {
      try {
        stdin.setRawMode?.(false);
      } catch {
        // the terminal is gone
      }
    };
    if (ctx.signal.aborted) return resolve('interrupt');
    process.on('exit', restore);
    ctx.signal.addEventListener('abort', onAbort, { once: true });
    stdin.setRawMode?.(true);
    stdin.on('data', onData);
    stdin.resume();
  });
}
