import { describe, expect, it } from 'vitest';
import { shanghaiDay, shanghaiMonth, WindowCounter } from '../../src/simulator/calendar.js';

describe('calendar', () => {
  it('days and months turn over at 00:00 Asia/Shanghai', () => {
    const midnightShanghai = Date.UTC(2026, 0, 1, 16, 0, 0);
    expect(shanghaiDay(midnightShanghai) - shanghaiDay(midnightShanghai - 1)).toBe(1);
    expect(shanghaiDay(Date.UTC(2026, 0, 2, 0, 0, 0))).toBe(shanghaiDay(midnightShanghai));
    expect(shanghaiMonth(Date.UTC(2026, 0, 31, 16)) - shanghaiMonth(Date.UTC(2026, 0, 31, 15, 59, 59))).toBe(1);
  });

  it('a window counter starts from zero in a new window and can be cleared', () => {
    const counter = new WindowCounter((now) => Math.floor(now / 10));
    expect(counter.tryTake(0, 2)).toBe(true);
    expect(counter.tryTake(5, 2)).toBe(true);
    expect(counter.tryTake(9, 2)).toBe(false);
    expect(counter.used(10)).toBe(0);
    expect(counter.tryTake(10, 2)).toBe(true);
    counter.reset();
    expect(counter.used(11)).toBe(0);
  });
});
