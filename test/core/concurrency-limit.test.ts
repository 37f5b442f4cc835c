import { describe, expect, it } from 'vitest';
import { ConcurrencyLimit } from '../../src/util/concurrency-limit.js';

describe('ConcurrencyLimit', () => {
  it('never runs more than the limit, runs everything, in arrival order, and releases on rejection', async () => {
    const limit = new ConcurrencyLimit(3);
    const release: Array<() => void> = [];
    const started: number[] = [];
    const tasks = Array.from({ length: 10 }, (_, i) =>
      limit.run(async () => {
        started.push(i);
        await new Promise<void>((r) => release.push(r));
        if (i === 4) throw new Error('boom');
        return i;
      }),
    );
    const settled = Promise.allSettled(tasks);
    for (let round = 0; round < 10; round++) {
      await new Promise((r) => setImmediate(r));
      expect(limit.active).toBeLessThanOrEqual(3);
      release.shift()?.();
    }
    while (release.length) {
      release.shift()!();
      await new Promise((r) => setImmediate(r));
    }
    const results = await settled;
    expect(started).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(results.filter((r) => r.status === 'rejected')).toHaveLength(1);
    expect(limit.maxActive).toBe(3);
    expect(limit.active).toBe(0);
    expect(limit.waiting).toBe(0);
  });

  it('refuses a limit below 1', () => {
    expect(() => new ConcurrencyLimit(0)).toThrow(RangeError);
  });
});
