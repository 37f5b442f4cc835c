import { describe, expect, it } from 'vitest';
import { LeaseKeeper } from '../../../src/core/engine/lease.js';
import { nextLeaseTry, principalLeaseName, PrincipalLocks } from '../../../src/core/engine/principal-lock.js';
import { PrincipalBusyError } from '../../../src/errors/index.js';
import { createMemoryStore } from '../../../src/stores/memory/index.js';
import type { Store } from '../../../src/stores/store.js';
import { ManualClock } from '../../../src/util/clock.js';
import { silentLogger } from '../../../src/util/logger.js';

describe('nextLeaseTry: poll until the deadline, then give up', () => {
  it.each([
    ['well before the deadline', 0, 1_000, 50, 50],
    ['the deadline closer than a poll', 980, 1_000, 50, 20],
    ['at the deadline', 1_000, 1_000, 50, null],
    ['past the deadline', 1_500, 1_000, 50, null],
  ] as const)('%s → %s', (_name, now, deadline, poll, expected) => {
    expect(nextLeaseTry(now, deadline, poll)).toBe(expected);
  });
});

describe('PrincipalLocks', () => {
  function locksOn(store: Store, clock: ManualClock, owner: string, waitMs = 1_000): PrincipalLocks {
    const keeper = new LeaseKeeper({ store, clock, logger: silentLogger, owner, ttlMs: 3_000 });
    return new PrincipalLocks({ keeper, clock, waitMs, pollMs: 50 });
  }

  it('runs one writer at a time per principal across instances, the second after the first released', async () => {
    const clock = new ManualClock();
    const store = createMemoryStore({ clock });
    const [a, b] = [locksOn(store, clock, 'instance-a'), locksOn(store, clock, 'instance-b')];
    const order: string[] = [];
    let releaseA!: () => void;
    const first = a.run('p1', async () => {
      order.push('a:start');
      await new Promise<void>((resolve) => (releaseA = resolve));
      order.push('a:end');
    });
    await clock.advance(0);
    const second = b.run('p1', async () => void order.push('b'));
    // B polls while A holds the lease; another principal is not held up.
    await b.run('p2', async () => void order.push('b:p2'));
    await clock.advance(200);
    expect(order).toEqual(['a:start', 'b:p2']);
    releaseA();
    await first;
    await clock.advance(50);
    await second;
    expect(order).toEqual(['a:start', 'b:p2', 'a:end', 'b']);
    // Released: the store holds no lease any more.
    expect(await store.acquireLease(principalLeaseName('p1'), 'someone-else', 1_000)).toBe(true);
  });

  it('queues writers of one instance in process (they share the lease owner)', async () => {
    const clock = new ManualClock();
    const locks = locksOn(createMemoryStore({ clock }), clock, 'instance-a');
    const order: number[] = [];
    let inside = 0;
    await Promise.all(
      [1, 2, 3].map((n) =>
        locks.run('p1', async () => {
          inside++;
          expect(inside).toBe(1);
          await new Promise((r) => setImmediate(r));
          order.push(n);
          inside--;
        }),
      ),
    );
    expect(order).toEqual([1, 2, 3]);
  });

  it('gives up with PrincipalBusyError after the wait bound, and a failed writer does not block the next', async () => {
    const clock = new ManualClock();
    const store = createMemoryStore({ clock });
    // Another instance holds the lease (and would renew it: here it simply never expires within the test).
    expect(await store.acquireLease(principalLeaseName('p1'), 'instance-b', 60_000)).toBe(true);
    const locks = locksOn(store, clock, 'instance-a', 500);
    const waiting = locks.run('p1', async () => 'never');
    const outcome = waiting.then(
      () => 'ran',
      (err: unknown) => err,
    );
    await clock.advance(600);
    const err = await outcome;
    expect(err).toBeInstanceOf(PrincipalBusyError);
    expect(err).toMatchObject({ code: 'principal_busy', status: 503, retryable: true, message: expect.stringContaining('p1') });
    await store.releaseLease(principalLeaseName('p1'), 'instance-b');
    await expect(locks.run('p1', async () => 'ran')).resolves.toBe('ran');
  });

  it('releases the lease when the work throws', async () => {
    const clock = new ManualClock();
    const store = createMemoryStore({ clock });
    const locks = locksOn(store, clock, 'instance-a');
    await expect(locks.run('p1', async () => Promise.reject(new Error('boom')))).rejects.toThrow('boom');
    expect(await store.acquireLease(principalLeaseName('p1'), 'instance-b', 1_000)).toBe(true);
  });
});
