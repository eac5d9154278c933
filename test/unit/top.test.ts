// src/live: the queue rates from two samples (what is known, what is not), and the terminal
// put back however top ends.
import { closeSync, openSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { describe, expect, test } from 'vitest';
import type { CommandContext } from '../../src/cli/context.js';
import type { QueueRecord } from '../../src/ipc/inventory.js';
import { type QueueRates, queueRates } from '../../src/live/sample.js';
import { openTerminal } from '../../src/live/terminal.js';
import { frame } from '../../src/live/view.js';

const queue = (o: Partial<QueueRecord>): QueueRecord => ({
  kind: 'msg',
  key: 1,
  id: 1,
  uid: 0,
  gid: 0,
  cuid: 0,
  cgid: 0,
  mode: 0o600,
  cbytes: 0,
  qnum: 0,
  qbytes: 16384,
  lspid: 0,
  lrpid: 0,
  stime: 0,
  rtime: 0,
  ctime: 100,
  ...o,
});

/** Two samples of one queue, the seconds between them, and the second the first was taken in. */
type Samples = [Partial<QueueRecord>, Partial<QueueRecord>, number, number];

describe('queueRates', () => {
  const cases: { title: string; samples: Samples; rates: QueueRates }[] = [
    {
      title: 'only sends since the previous sample: in = net, out = 0',
      samples: [{ qnum: 1, cbytes: 10, stime: 100 }, { qnum: 5, cbytes: 50, stime: 104 }, 2, 102],
      rates: { netMsgs: 2, netBytes: 20, msgsIn: 2, msgsOut: 0, bytesIn: 20, bytesOut: 0 },
    },
    {
      title: 'only receives: out = -net',
      samples: [{ qnum: 5, cbytes: 50, rtime: 90 }, { qnum: 1, cbytes: 10, rtime: 104 }, 4, 100],
      rates: { netMsgs: -1, netBytes: -10, msgsIn: 0, msgsOut: 1, bytesIn: 0, bytesOut: 10 },
    },
    {
      title: 'both sides moved: the split is unknown (null), the net exact',
      samples: [{ qnum: 3, stime: 90, rtime: 90 }, { qnum: 3, stime: 104, rtime: 104 }, 1, 100],
      rates: { netMsgs: 0, netBytes: 0, msgsIn: null, msgsOut: null, bytesIn: null, bytesOut: null },
    },
    {
      // stime unchanged at 100, the previous sample was taken during second 100: a send may
      // have followed it within that second, so a receive does not make the split exact.
      title: "a time equal to the previous sample's second may hide more of that side: unknown",
      samples: [{ qnum: 2, stime: 100, rtime: 90 }, { qnum: 2, stime: 100, rtime: 101 }, 1, 100],
      rates: { netMsgs: 0, netBytes: 0, msgsIn: null, msgsOut: null, bytesIn: null, bytesOut: null },
    },
    {
      title: 'nothing moved: 0 in, 0 out',
      samples: [{ qnum: 2, stime: 50, rtime: 60 }, { qnum: 2, stime: 50, rtime: 60 }, 1, 100],
      rates: { netMsgs: 0, netBytes: 0, msgsIn: 0, msgsOut: 0, bytesIn: 0, bytesOut: 0 },
    },
  ];
  for (const { title, samples, rates } of cases) {
    test(title, () => {
      const [before, after, dt, prevSecond] = samples;
      expect(queueRates(queue(before), queue(after), dt, prevSecond)).toEqual(rates);
    });
  }
});

describe('openTerminal', () => {
  function fakes() {
    const file = join(tmpdir(), `svipc-live-${process.pid}-${Math.random().toString(36).slice(2)}`);
    const fd = openSync(file, 'w');
    const raw: boolean[] = [];
    const stdin = Object.assign(new PassThrough(), {
      isTTY: true,
      setRawMode: (on: boolean) => {
        raw.push(on);
      },
    });
    const stdout = Object.assign(new PassThrough(), { isTTY: true, fd, columns: 90, rows: 20 });
    const ctx = { stdin, stdout } as unknown as CommandContext;
    const done = () => {
      closeSync(fd);
      rmSync(file, { force: true });
    };
    return { ctx, raw, read: () => readFileSync(file, 'utf8'), done };
  }

  test('enters the alternate screen in raw mode; restore leaves it, shows the cursor, raw mode off, once', () => {
    const f = fakes();
    const exitListeners = process.listenerCount('exit');
    const t = openTerminal(f.ctx, async () => {});
    expect(f.raw).toEqual([true]);
    expect(f.read()).toBe('\x1b[?1049h\x1b[?25l');
    expect(process.listenerCount('exit')).toBe(exitListeners + 1);
    expect([t.columns, t.rows]).toEqual([90, 20]);
    t.restore();
    t.restore();
    expect(f.raw).toEqual([true, false]);
    expect(f.read()).toBe('\x1b[?1049h\x1b[?25l\x1b[?25h\x1b[?1049l');
    expect(process.listenerCount('exit')).toBe(exitListeners);
    f.done();
  });

  test("a forced exit (process.exit, the launcher's grace timer) restores through process 'exit'", () => {
    const g = fakes();
    const before = process.listeners('exit');
    openTerminal(g.ctx, async () => {});
    const added = process.listeners('exit').filter((l) => !before.includes(l));
    expect(added).toHaveLength(1);
    (added[0] as () => void)();
    expect(g.raw).toEqual([true, false]);
    expect(g.read().endsWith('\x1b[?25h\x1b[?1049l')).toBe(true);
    expect(process.listeners('exit')).toEqual(before);
    g.done();
  });
});

describe('frame', () => {
  test('more objects than fit: the last line before the keys says how many more, within the height', () => {
    const rows = Array.from({ length: 8 }, (_, i) => ({
      record: queue({ id: i }),
      depth: 0,
      depthOf: 16384,
      waiters: 0,
      rates: null,
    }));
    const sample = { time: 200, rows, limits: [], waitBlind: null };
    const lines = frame(
      sample,
      { sort: 'id', kind: 'all', owner: null },
      {
        width: 100,
        height: 8,
        color: false,
        keys: true,
        interval: 1,
      },
    );
    expect(lines).toHaveLength(8);
    expect(lines[7]).toMatch(/^q quit/);
    const shown = lines.filter((l) => /^msg /.test(l)).length;
    expect(lines[6]).toBe(`  … ${8 - shown} more`);
    expect(shown).toBe(4);
  });
});
