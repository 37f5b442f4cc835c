import { describe, expect, it } from 'vitest';
import { LeaseKeeper } from '../../../src/core/engine/lease.js';
import { StoreUnavailableError } from '../../../src/errors/index.js';
import type { Store } from '../../../src/stores/store.js';
import { ManualClock } from '../../../src/util/clock.js';
import { silentLogger } from '../../../src/util/logger.js';
import { createTestStore } from '../../support/test-store.js';

describe('LeaseKeeper: whether a lease is still held', () => {
  async function setup(): Promise<{ clock: ManualClock; keeper: LeaseKeeper; other: LeaseKeeper; storeDown: (down: boolean) => void }> {
    const clock = new ManualClock(Date.UTC(2026, 5, 1));
    const inner = await createTestStore(clock);
    let down = false;
    const store = new Proxy(inner, {
      get(target, name) {
        const value: unknown = Reflect.get(target, name);
        if (name === 'acquireLease') return (...args: unknown[]) => (down ? Promise.reject(new StoreUnavailableError('test: down')) : (value as (...a: unknown[]) => Promise<boolean>).apply(target, args));
        return typeof value === 'function' ? value.bind(target) : value;
      },
    }) as Store;
    const keeper = new LeaseKeeper({ store, clock, logger: silentLogger, owner: 'a', ttlMs: 3_000 });
    const other = new LeaseKeeper({ store: inner, clock, logger: silentLogger, owner: 'b', ttlMs: 3_000 });
    return { clock, keeper, other, storeDown: (d) => (down = d) };
  }

  it('stays held while renewals succeed, however long the holder works', async () => {
    const { clock, keeper } = await setup();
    const lease = (await keeper.take('x'))!;
    await clock.advance(30_000);
    expect(lease.held).toBe(true);
    await lease.release();
  });

  it('is no longer held once no renewal reached the store for a TTL, though nobody else took it', async () => {
    const { clock, keeper, storeDown } = await setup();
    const lease = (await keeper.take('x'))!;
    storeDown(true);
    await clock.advance(2_000);
    expect(lease.held).toBe(true);
    await clock.advance(1_100);
    expect(lease.held).toBe(false);
    await lease.release();
  });

  it('is no longer held once another owner has it', async () => {
    const { clock, keeper, other, storeDown } = await setup();
    const lease = (await keeper.take('x'))!;
    storeDown(true);
    await clock.advance(3_100);
    expect(await other.take('x')).not.toBeNull();
    storeDown(false);
    await clock.advance(1_100);
    expect(lease.held).toBe(false);
  });
});
