// Timers past setTimeout's 2^31-1 ms: Node fires such a timer at once (TimeoutOverflowWarning);
// sleep() and longTimeout() chain timers instead, so a long --timeout waits that long.
import { afterEach, beforeEach, describe, expect, test, vi } from 'vitest';
import { type LongTimer, longTimeout, MAX_TIMER_MS, sleep } from '../../src/ipc/blocking.js';

const LONG = 3_000_000 * 1000; // --timeout 3000000: about 35 days

describe('timers longer than 2^31-1 ms', () => {
  beforeEach(() => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'performance'] });
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  test('sleep(35 days) is still waiting after 1 ms and after 24.8 days, done after 35', async () => {
    let done = false;
    void sleep(LONG).then(() => {
      done = true;
    });
    await vi.advanceTimersByTimeAsync(1);
    expect(done).toBe(false);
    await vi.advanceTimersByTimeAsync(MAX_TIMER_MS);
    expect(done).toBe(false);
    await vi.advanceTimersByTimeAsync(LONG - MAX_TIMER_MS - 2);
    expect(done).toBe(false);
    await vi.advanceTimersByTimeAsync(2);
    expect(done).toBe(true);
  });

  test('an abort ends a long sleep at once', async () => {
    const ac = new AbortController();
    let done = false;
    void sleep(LONG, ac.signal).then(() => {
      done = true;
    });
    await vi.advanceTimersByTimeAsync(10);
    expect(done).toBe(false);
    ac.abort();
    await vi.advanceTimersByTimeAsync(0);
    expect(done).toBe(true);
  });

  test('longTimeout: fires once, after the whole delay; refresh() starts it again; clear() stops it', async () => {
    const fn = vi.fn();
    const t: LongTimer = longTimeout(fn, LONG);
    await vi.advanceTimersByTimeAsync(LONG - 5);
    expect(fn).not.toHaveBeenCalled();
    t.refresh();
    await vi.advanceTimersByTimeAsync(LONG - 5);
    expect(fn).not.toHaveBeenCalled();
    await vi.advanceTimersByTimeAsync(10);
    expect(fn).toHaveBeenCalledTimes(1);
    const g = vi.fn();
    longTimeout(g, LONG).clear();
    await vi.advanceTimersByTimeAsync(2 * LONG);
    expect(g).not.toHaveBeenCalled();
  });
});
