// SpinPolicy (src/protocols/svshm-turns.ts): how long each wait of the svshm transfer spins
// before it sleeps, decided from what the waits took. Pure: fed outcomes, no clock, no IPC.
import { describe, expect, it } from 'vitest';
import { findPollDelay, SpinPolicy } from '../../src/protocols/svshm-turns.js';

/** Feed `n` waits: each spins when the policy says so; `outcome(budget)` says what happened. */
function feed(p: SpinPolicy, n: number, outcome: (budget: number) => 'ready' | number | ['missed', number]) {
  const budgets: number[] = [];
  for (let i = 0; i < n; i++) {
    const b = p.budget();
    budgets.push(b);
    const o = outcome(b);
    if (o === 'ready') p.ready();
    else if (Array.isArray(o)) p.slept(o[1], b > 0);
    else if (b > 0 && o <= b) p.won(o);
    else p.slept(o, b > 0);
  }
  return budgets;
}

describe('svshm SpinPolicy', () => {
  it('a side whose turns come after tens of microseconds spins for them, and not much longer', () => {
    const p = new SpinPolicy();
    // Turns that come 40 us after the wait starts (a peer woken on an idle core): each spin
    // must outlast that, or both sides sleep and wake each other on every turn.
    const budgets = feed(p, 50, () => 0.04);
    expect(budgets.slice(5).every((b) => b > 0.04)).toBe(true);
    const b = p.budget();
    // ...and once spins get the turn within 5 us, the budget shrinks toward them, still above.
    feed(p, 200, () => 0.005);
    const after = p.budget();
    expect(after).toBeLessThan(b);
    expect(after).toBeGreaterThan(0.005);
  });

  it('while turns take longer than a spin may, only probes spin, ever more rarely (an idle or slow peer costs next to no CPU)', () => {
    const p = new SpinPolicy();
    const budgets = feed(p, 20_000, () => 50); // each wait a whole 50 ms slice
    const spins = (from: number, to: number) => budgets.slice(from, to).filter((b) => b > 0);
    expect(spins(10, 100).length).toBeLessThan(5);
    expect(spins(10_000, 20_000).length).toBeLessThan(20);
    // A probe outlasts a sleeper's wake-up, no more: a millisecond.
    expect(Math.max(...budgets)).toBeLessThanOrEqual(1);
  });

  // Two sides on two cores that both sleep wait on every turn for their sleeper to wake, slow
  // enough that neither would spin again: a probe that gets its turn must bring spinning back.
  it('turns made slow by sleeping (a disturbance, then each turn waits for a wake-up): a probe brings spinning back', () => {
    const p = new SpinPolicy();
    feed(p, 200, () => 0.5); // start-up: page faults, compiling; turns come after 0.5 ms
    // Now a turn comes 5 us into a spin, 150 us into a sleep (the peer's core was idle).
    const budgets = feed(p, 3000, (b) => (b > 0 ? 0.005 : 0.15));
    expect(budgets.slice(-100).filter((b) => b > 0).length).toBeGreaterThan(90);
  });

  it('spins that keep missing (the peer shares our core) stop; probes come ever more rarely', () => {
    const p = new SpinPolicy();
    // The peer runs only once we sleep: every spin misses, every sleep gets the turn in 10 us.
    const budgets = feed(p, 20_000, (b) => (b > 0 ? ['missed', b + 0.01] : 0.01));
    const spins = (from: number, to: number) => budgets.slice(from, to).filter((b) => b > 0).length;
    expect(spins(0, 100)).toBeGreaterThan(0);
    expect(spins(0, 100)).toBeLessThan(20);
    // Backed off: probes at most one wait in several hundred by the end.
    expect(spins(10_000, 20_000)).toBeLessThan(20);
  });

  it('a probe that gets its turn brings spinning back', () => {
    const p = new SpinPolicy();
    let peerHasACore = false;
    feed(p, 5000, (b) => (b > 0 ? ['missed', b + 0.01] : 0.01));
    // The host got quiet: a spin now gets the turn in 5 us.
    peerHasACore = true;
    const budgets = feed(p, 3000, (b) => (peerHasACore && b > 0 ? 0.005 : 0.01));
    // Spinning again on (nearly) every wait by the end.
    expect(budgets.slice(-100).filter((b) => b > 0).length).toBeGreaterThan(90);
  });

  it('turns that are there at once keep spins short', () => {
    const p = new SpinPolicy();
    feed(p, 50, () => 0.03);
    const before = p.budget();
    feed(p, 50, () => 'ready');
    expect(p.budget()).toBeLessThan(before);
    expect(p.budget()).toBeGreaterThan(0);
  });
});

describe('svshm findPollDelay: how often a reader started first looks for its writer', () => {
  it('looks again within a millisecond at first, so a writer that comes with it is found at once', () => {
    expect(findPollDelay(0)).toBe(1);
    expect(findPollDelay(10)).toBe(1);
  });

  it('waits longer the longer it has waited (never more than ~4% of it late), up to 20 ms', () => {
    const waited = [0, 25, 50, 100, 200, 400, 800, 5_000, 60_000];
    const delays = waited.map(findPollDelay);
    for (let i = 1; i < delays.length; i++) expect(delays[i]).toBeGreaterThanOrEqual(delays[i - 1]!);
    for (const [i, w] of waited.entries()) if (w >= 25) expect(delays[i]).toBeLessThanOrEqual(w / 25);
    expect(findPollDelay(200)).toBeGreaterThan(findPollDelay(50));
    expect(Math.max(...delays)).toBe(20);
  });

  it('a reader left waiting 30 s polls about 50 times a second, not more', () => {
    let polls = 0;
    for (let t = 0; t < 30_000; t += findPollDelay(t)) polls++;
    expect(polls).toBeLessThan(30 * 50 + 150);
  });
});
