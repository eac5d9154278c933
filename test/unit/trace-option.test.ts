// src/cli/trace-option.ts and src/ipc/trace.ts: --trace gives a command a Tracer of its own
// (process and program in every line), handed to the objects it makes; nothing is global.
import { describe, expect, it } from 'vitest';
import type { CommandContext } from '../../src/cli/context.js';
import { traceArgv, tracerOf } from '../../src/cli/trace-option.js';
import { MessageQueue, SemaphoreSet, Tracer } from '../../src/ipc/index.js';
import { escapeBytes } from '../../src/ipc/trace.js';

function ctxWithStderr(lines: string[], prog = 'svipc svsem-demo'): CommandContext {
  const sink = { write: (s: string) => lines.push(s) > 0 };
  return { prog, stderr: sink, stdout: sink } as unknown as CommandContext;
}

describe('--trace', () => {
  it('is off without the option', () => {
    expect(tracerOf(ctxWithStderr([]), {})).toBeUndefined();
  });

  it('spells --trace=all as commander knows it, up to --', () => {
    expect(traceArgv(['--trace=all', '9', '--', '--trace=all'])).toEqual([
      '--trace-all',
      '9',
      '--',
      '--trace=all',
    ]);
    expect(traceArgv(['--trace', '9', '-2'])).toEqual(['--trace', '9', '-2']);
  });

  it("prefixes each line with the process and the command's program, to ctx.stderr", () => {
    const lines: string[] = [];
    const trace = tracerOf(ctxWithStderr(lines), { trace: true })!;
    const s = SemaphoreSet.create(1, { trace });
    try {
      s.setValue(0, 2);
      s.setAll([3]);
      expect(s.getAll()).toEqual([3]);
    } finally {
      s.remove();
    }
    expect(lines).toEqual([
      `[${process.pid} svsem-demo] semget(key=IPC_PRIVATE, nsems=1, flags=IPC_CREAT|0600) -> ${s.id}\n`,
      `[${process.pid} svsem-demo] semctl(semid=${s.id}, semnum=0, cmd=SETVAL, val=2) -> 0\n`,
      `[${process.pid} svsem-demo] semctl(semid=${s.id}, semnum=0, cmd=SETALL, {3}) -> 0\n`,
      `[${process.pid} svsem-demo] semctl(semid=${s.id}, semnum=0, cmd=GETALL) -> 0 {3}\n`,
      `[${process.pid} svsem-demo] semctl(semid=${s.id}, semnum=0, cmd=IPC_RMID) -> 0\n`,
    ]);
  });
});

describe('Tracer', () => {
  it('is per object: another object, untraced, prints nothing', () => {
    const lines: string[] = [];
    const trace = new Tracer((l) => lines.push(l), { pid: 1, prog: 'p' });
    const traced = SemaphoreSet.create(1, { trace });
    const plain = new SemaphoreSet(traced.id);
    try {
      plain.setValue(0, 1);
      traced.op([{ num: 0, op: -1 }]);
    } finally {
      plain.remove();
    }
    expect(lines).toEqual([
      `[1 p] semget(key=IPC_PRIVATE, nsems=1, flags=IPC_CREAT|0600) -> ${traced.id}`,
      `[1 p] semop(semid=${traced.id}, {0,-1,0}) -> 0`,
    ]);
  });

  it('per call: a tracer given to one call wins over none', () => {
    const lines: string[] = [];
    const s = SemaphoreSet.create(1);
    try {
      s.op([{ num: 0, op: 1, undo: true }], {
        trace: new Tracer((l) => lines.push(l), { pid: 2, prog: 'q' }),
      });
      s.op([{ num: 0, op: -1 }]);
    } finally {
      s.remove();
    }
    expect(lines).toEqual([`[2 q] semop(semid=${s.id}, {0,1,SEM_UNDO}) -> 0`]);
  });

  it('shows a wait as the one semop asked for; the tries and slices only with all', async () => {
    for (const all of [false, true]) {
      const lines: string[] = [];
      const trace = new Tracer((l) => lines.push(l), { pid: 3, prog: 'w', all });
      using s = SemaphoreSet.create(1);
      const waiting = s.opAsync([{ num: 0, op: -1 }], { trace });
      await new Promise((r) => setTimeout(r, 50));
      s.setValue(0, 1);
      await waiting;
      const asked = `[3 w] semop(semid=${s.id}, {0,-1,0}) -> 0`;
      if (!all) expect(lines).toEqual([asked]);
      else {
        expect(lines[0]).toBe(`[3 w] semop(semid=${s.id}, {0,-1,IPC_NOWAIT}) -> -1 EAGAIN`);
        expect(lines).not.toContain(asked);
        expect(lines.some((l) => l.startsWith(`[3 w] semtimedop(semid=${s.id}, {0,-1,0}`))).toBe(true);
      }
    }
  });

  it('a timed-out wait ends as semtimedop would: -1 EAGAIN, with the reason', async () => {
    const lines: string[] = [];
    using s = SemaphoreSet.create(1, { trace: new Tracer((l) => lines.push(l), { pid: 4, prog: 't' }) });
    await expect(s.opAsync([{ num: 0, op: -1 }], { timeout: 50 })).rejects.toThrow('timed out');
    expect(lines.at(-1)).toBe(
      `[4 t] semop(semid=${s.id}, {0,-1,0}) -> -1 EAGAIN (semop timed out after 0.05 s)`,
    );
  });

  it('shows message payloads and marks an expected failure', () => {
    const lines: string[] = [];
    const trace = new Tracer((l) => lines.push(l), { pid: 5, prog: 'm' });
    using q = MessageQueue.create({ trace });
    q.send(2, Buffer.from('/etc/passwd'));
    q.receive();
    expect(() =>
      trace.expecting('just a test', () => new MessageQueue(0x7fffffff, { trace }).stat()),
    ).toThrow();
    expect(lines.slice(1)).toEqual([
      `[5 m] msgsnd(msqid=${q.id}, {mtype=2, mtext="/etc/passwd"}, msgsz=11) -> 0`,
      `[5 m] msgrcv(msqid=${q.id}, msgsz=8192, msgtyp=0) -> 11 {mtype=2, mtext="/etc/passwd"}`,
      `[5 m] msgctl(msqid=${0x7fffffff}, cmd=IPC_STAT) -> -1 EINVAL (expected: just a test)`,
    ]);
  });

  it('escapes bytes as a C string, cut with ...', () => {
    expect(escapeBytes(Buffer.from('a"\\\n\t\x00\xff', 'latin1'))).toBe('"a\\"\\\\\\n\\t\\x00\\xff"');
    expect(escapeBytes(Buffer.from('abcdef'), 3)).toBe('"abc"...');
  });
});
