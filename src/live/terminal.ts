// The terminal of `svipc top`, with Node's own means (no dependency): readline's keypress
// events, setRawMode, process.stdout.columns/rows and its 'resize' event. The escapes are the
// three xterm ones every terminal in use knows (alternate screen, cursor hide/show, home +
// clear to end). Whatever way top ends (q, Ctrl-C, a signal, an exception, process.exit),
// `restore` puts the terminal back: main screen, cursor shown, raw mode off.
import { writeSync } from 'node:fs';
import { emitKeypressEvents } from 'node:readline';
import type { CommandContext } from '../cli/context.js';

const ENTER = '\x1b[?1049h\x1b[?25l';
const LEAVE = '\x1b[?25h\x1b[?1049l';

export interface Key {
  name?: string;
  sequence?: string;
  ctrl?: boolean;
}

export interface LiveTerminal {
  readonly columns: number;
  readonly rows: number;
  /** Draw lines over the whole screen. */
  draw(lines: string[]): Promise<void>;
  onKey(f: (k: Key) => void): void;
  onResize(f: () => void): void;
  /** Back to how it was; safe to call more than once. */
  restore(): void;
}

/** Take over the terminal of ctx.stdin/ctx.stdout (both TTYs). */
export function openTerminal(ctx: CommandContext, write: (s: string) => Promise<void>): LiveTerminal {
  const stdin = ctx.stdin as NodeJS.ReadStream;
  const stdout = ctx.stdout as NodeJS.WriteStream;
  const fd = (stdout as { fd?: number }).fd ?? 1;
  let restored = false;
  const keyListeners: ((k: Key) => void)[] = [];
  const resizeListeners: (() => void)[] = [];
  const onKeypress = (_s: string, k: Key | undefined) => {
    for (const f of keyListeners) f(k ?? { sequence: _s });
  };
  const onResize = () => {
    for (const f of resizeListeners) f();
  };
  const restore = () => {
    if (restored) return;
    restored = true;
    process.removeListener('exit', restore);
    stdin.removeListener('keypress', onKeypress);
    stdout.removeListener('resize', onResize);
    try {
      if (stdin.isTTY) stdin.setRawMode(false);
    } catch {
      // the terminal is gone: nothing to restore
    }
    stdin.pause();
    try {
      // synchronously: this also runs from process.on('exit'), where nothing asynchronous does
      writeSync(fd, LEAVE);
    } catch {
      // the terminal is gone
    }
  };
  process.on('exit', restore);
  try {
    emitKeypressEvents(stdin);
    stdin.setRawMode(true);
    stdin.on('keypress', onKeypress);
    stdin.resume();
    stdout.on('resize', onResize);
    writeSync(fd, ENTER);
  } catch (e) {
    restore();
    throw e;
  }
  return {
    get columns() {
      return stdout.columns || 80;
    },
    get rows() {
      return stdout.rows || 24;
    },
    draw: (lines) => write(`\x1b[H${lines.join('\x1b[K\r\n')}\x1b[K\x1b[J`),
    onKey: (f) => keyListeners.push(f),
    onResize: (f) => resizeListeners.push(f),
    restore,
  };
}
