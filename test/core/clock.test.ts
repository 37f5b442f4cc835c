import { describe, expect, it } from 'vitest';
import { ManualClock, sleep } from '../../src/util/clock.js';
import { StoreClock } from '../../src/core/store-clock.js';

describe('ManualClock', () => {
  it('fires timers in time order as it advances, including timers set by timers', async () => {
    const clock = new ManualClock(0);
    const fired: number[] = [];
    clock.setTimer(() => fired.push(clock.now()), 30);
    clock.setTimer(() => {
      fired.push(clock.now());
      clock.setTimer(() => fired.push(clock.now()), 5);
    }, 10);
    const cancel = clock.setTimer(() => fired.push(-1), 20);
    cancel();
    await clock.advance(100);
    expect(fired).toEqual([10, 15, 30]);
    expect(clock.now()).toBe(100);
  });

  it('resolves sleeps when time reaches them', async () => {
    const clock = new ManualClock(0);
    let done = false;
    void sleep(clock, 50).then(() => (done = true));
    await clock.advance(49);
    expect(done).toBe(false);
    await clock.advance(1);
    expect(done).toBe(true);
  });
});

describe('StoreClock', () => {
  it('aligns on the store clock using the round-trip midpoint, and keeps the offset when the store fails', async () => {
    const local = new ManualClock(1_000_000);
    let fail = false;
    const clock = new StoreClock(local, async () => {
      if (fail) throw new Error('down');
      return local.now() + 30_000; // the store is 30 s ahead
    });
    await clock.sync();
    expect(clock.offsetMs).toBe(30_000);
    expect(clock.now()).toBe(local.now() + 30_000);
    fail = true;
    await clock.sync();
    expect(clock.offsetMs).toBe(30_000);
  });

  it('keeps whole milliseconds even when the round trip has an odd length (stores keep integer times)', async () => {
    const local = new ManualClock(1_000_000);
    const clock = new StoreClock(local, async () => {
      await local.advance(1); // a 1 ms round trip: the midpoint falls on a half millisecond
      return 5_000_000;
    });
    await clock.sync();
    expect(Number.isInteger(clock.offsetMs)).toBe(true);
    expect(Number.isInteger(clock.now())).toBe(true);
  });
});
