import { describe, expect, it } from 'vitest';
import { ManualClock } from '../../../src/util/clock.js';
import { TimerQueue } from '../../../src/core/engine/timer-queue.js';

function queue(clock = new ManualClock(0)) {
  const fired: Array<[string, number]> = [];
  const q = new TimerQueue(clock, (key) => fired.push([key, clock.now()]), 5);
  return { clock, q, fired };
}

describe('TimerQueue', () => {
  it('fires each key once at its time, in time order, with one clock timer', async () => {
    const { clock, q, fired } = queue();
    q.schedule('c', 300);
    q.schedule('a', 100);
    q.schedule('b', 200);
    expect(clock.pendingTimers).toBe(1);
    await clock.advance(1_000);
    expect(fired).toEqual([['a', 100], ['b', 200], ['c', 300]]);
    expect(clock.pendingTimers).toBe(0);
  });

  it('moves and cancels keys: only the latest schedule of a key fires', async () => {
    const { clock, q, fired } = queue();
    q.schedule('a', 100);
    q.schedule('a', 500);
    q.schedule('b', 200);
    q.cancel('b');
    q.schedule('c', 50);
    q.cancel('c');
    await clock.advance(1_000);
    expect(fired).toEqual([['a', 500]]);
    expect(q.has('a')).toBe(false);
  });

  it('counts a key due within the slack, so a timer firing a hair early does not spin', async () => {
    class EarlyClock extends ManualClock {
      override setTimer(fn: () => void, ms: number): () => void {
        return super.setTimer(fn, Math.max(0, ms - 1));
      }
    }
    const { clock, q, fired } = queue(new EarlyClock(0));
    q.schedule('a', 100);
    await clock.advance(100);
    expect(fired).toEqual([['a', 99]]);
  });

  it('lets a fired key schedule itself again, and clear stops everything', async () => {
    const clock = new ManualClock(0);
    let n = 0;
    const q: TimerQueue = new TimerQueue(clock, (key) => {
      n++;
      q.schedule(key, clock.now() + 100);
    });
    q.schedule('a', 100);
    await clock.advance(1_000);
    expect(n).toBe(10);
    q.clear();
    await clock.advance(1_000);
    expect(n).toBe(10);
    expect(clock.pendingTimers).toBe(0);
  });

  it('keeps 10,000 keys in order', async () => {
    const { clock, q, fired } = queue();
    const times = Array.from({ length: 10_000 }, (_, i) => ((i * 7919) % 10_000) + 1);
    times.forEach((t, i) => q.schedule(`k${i}`, t));
    await clock.advance(20_000);
    expect(fired).toHaveLength(10_000);
    const byTime = times.map((t, i) => [`k${i}`, t] as const).sort((a, b) => a[1] - b[1]);
    expect(fired.map(([key]) => key)).toEqual(byTime.map(([key]) => key));
    // Never more than the slack early.
    for (const [key, at] of fired) expect(at).toBeGreaterThanOrEqual(times[Number(key.slice(1))]! - 5);
  });
});
