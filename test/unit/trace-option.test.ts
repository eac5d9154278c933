// src/cli/trace-option.ts: --trace sends each IPC call to the command's stderr, and only
// while the command runs.
import { Command } from 'commander';
import { describe, expect, it } from 'vitest';
import type { CommandContext } from '../../src/cli/context.js';
import { addTraceOption, withTrace } from '../../src/cli/trace-option.js';
import { SemaphoreSet, tracing } from '../../src/ipc/index.js';

function ctxWithStderr(lines: string[]): CommandContext {
  const sink = { write: (s: string) => lines.push(s) > 0 };
  return { stderr: sink, stdout: sink } as unknown as CommandContext;
}

describe('trace option', () => {
  it('adds --trace', () => {
    const p = addTraceOption(new Command('x'));
    p.parse(['--trace'], { from: 'user' });
    expect(p.opts()).toEqual({ trace: true });
  });

  it('traces IPC calls to ctx.stderr inside withTrace only', async () => {
    const lines: string[] = [];
    const ctx = ctxWithStderr(lines);
    const set = await withTrace(ctx, { trace: true }, () => {
      expect(tracing()).toBe(true);
      const s = SemaphoreSet.create(1);
      s.setValue(0, 2);
      return s;
    });
    expect(tracing()).toBe(false);
    set.remove();
    expect(lines).toEqual([
      `semget(key=IPC_PRIVATE, nsems=1, flags=IPC_CREAT|0600) -> ${set.id}\n`,
      `semctl(semid=${set.id}, semnum=0, cmd=SETVAL, val=2) -> 0\n`,
    ]);
  });

  it('does nothing without --trace, and stops tracing when the command throws', async () => {
    const lines: string[] = [];
    await withTrace(ctxWithStderr(lines), {}, () => expect(tracing()).toBe(false));
    await expect(
      withTrace(ctxWithStderr(lines), { trace: true }, () => {
        throw new Error('boom');
      }),
    ).rejects.toThrow('boom');
    expect(tracing()).toBe(false);
    expect(lines).toEqual([]);
  });
});
