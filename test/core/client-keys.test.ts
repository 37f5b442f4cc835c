import { describe, expect, it } from 'vitest';
import { KeyRing, keyLive } from '../../src/core/client-keys.js';
import { ManualClock } from '../../src/util/clock.js';
import { KeyUsage, useDue } from '../../src/core/key-usage.js';
import { createMemoryStore } from '../../src/stores/memory/index.js';
import type { Store } from '../../src/stores/store.js';

const T0 = Date.UTC(2026, 0, 1);
const APP = 'wx0123456789abcdef';

function ring(): { clock: ManualClock; store: Store; keys: KeyRing; touches: Array<[string, number]> } {
  const clock = new ManualClock(T0);
  const inner = createMemoryStore({ clock });
  const touches: Array<[string, number]> = [];
  // Counts the writes last-used tracking makes: the point is that it makes few.
  const touch = (name: string, at: number): Promise<void> => {
    touches.push([name, at]);
    return inner.touchClientKey(name, at);
  };
  const store = new Proxy(inner, {
    get(target, property) {
      if (property === 'touchClientKey') return touch;
      const value: unknown = Reflect.get(target, property, target);
      return typeof value === 'function' ? (value as (...args: unknown[]) => unknown).bind(target) : value;
    },
  }) as Store;
  return { clock, store, touches, keys: new KeyRing(store, { now: () => clock.now() }) };
}

describe('keyLive', () => {
  it.each([
    [null, T0, true],
    [T0 + 1, T0, true],
    [T0, T0, false],
    [T0 - 1, T0, false],
  ])('expiresAt %s at %s → %s', (expiresAt, now, live) => expect(keyLive(expiresAt, now)).toBe(live));
});

describe('useDue', () => {
  it.each([
    ['never written', T0, undefined, T0, true],
    ['written a minute ago, used since', T0 + 60_000, { value: T0, at: T0 }, T0 + 60_000, true],
    ['written 59 s ago, used since', T0 + 59_000, { value: T0, at: T0 }, T0 + 59_000, false],
    ['written long ago, not used since', T0, { value: T0, at: T0 }, T0 + 3_600_000, false],
  ] as const)('%s → %s', (_why, lastUse, written, now, due) => expect(useDue(lastUse, written, now, 60_000)).toBe(due));
});

describe('KeyRing: expiry', () => {
  it('accepts a key until its expiry, then answers exactly as for an unknown key', async () => {
    const { clock, keys } = ring();
    const key = await keys.create('temp', [APP], { expiresAt: T0 + 90 * 86_400_000 });
    expect(keys.authenticate(key)?.name).toBe('temp');
    await clock.advance(90 * 86_400_000 - 1);
    expect(keys.authenticate(key)?.name).toBe('temp'); // from the recent-keys cache
    await clock.advance(1);
    expect(keys.authenticate(key)).toBeNull();
    await keys.reload();
    expect(keys.authenticate(key)).toBeNull();
    expect(keys.authenticate('wxt_unknown')).toBeNull();
    expect((await keys.list())[0]).toMatchObject({ name: 'temp', expiresAt: T0 + 90 * 86_400_000 });
  });

  it('refuses an expiry that is not in the future', async () => {
    const { keys } = ring();
    await expect(keys.create('k', [APP], { expiresAt: T0 })).rejects.toMatchObject({ code: 'invalid_request' });
    await expect(keys.create('k', [APP], { expiresAt: Number.NaN })).rejects.toMatchObject({ code: 'invalid_request' });
  });
});

describe('KeyRing: last-used time', () => {
  it('costs no store write per request: at most one per key per minute, flushed by the periodic tick', async () => {
    const { clock, keys, store, touches } = ring();
    const a = await keys.create('a', [APP]);
    const b = await keys.create('b', ['*']);
    for (let i = 0; i < 1_000; i++) keys.authenticate(a);
    keys.authenticate(b);
    expect(touches).toEqual([]); // authenticating never writes
    await keys.flushUsage();
    expect(touches).toEqual([
      ['a', T0],
      ['b', T0],
    ]);
    // Used all through the next minute: nothing is written until the minute has passed.
    for (let s = 5; s < 60; s += 5) {
      await clock.advance(5_000);
      keys.authenticate(a);
      await keys.flushUsage();
    }
    expect(touches).toHaveLength(2);
    await clock.advance(5_000);
    keys.authenticate(a);
    await keys.flushUsage();
    expect(touches).toEqual([
      ['a', T0],
      ['b', T0],
      ['a', T0 + 60_000],
    ]);
    // b, unused since, is not written again.
    await clock.advance(3_600_000);
    await keys.flushUsage();
    expect(touches).toHaveLength(3);
    expect((await store.listClientKeys()).map((k) => [k.name, k.lastUsedAt])).toEqual([
      ['a', T0 + 60_000],
      ['b', T0],
    ]);
  });

  it('lists this process\'s unflushed uses, and writes everything pending when asked at shutdown', async () => {
    const { clock, keys, store } = ring();
    const a = await keys.create('a', [APP]);
    expect((await keys.list())[0]?.lastUsedAt).toBeNull();
    keys.authenticate(a);
    await keys.flushUsage();
    await clock.advance(10_000);
    keys.authenticate(a);
    expect((await keys.list())[0]?.lastUsedAt).toBe(T0 + 10_000);
    expect((await store.listClientKeys())[0]?.lastUsedAt).toBe(T0);
    await keys.flushUsage(true);
    expect((await store.listClientKeys())[0]?.lastUsedAt).toBe(T0 + 10_000);
  });

  it('does not count a presented expired key as a use', async () => {
    const { clock, keys } = ring();
    const a = await keys.create('a', [APP], { expiresAt: T0 + 1_000 });
    await clock.advance(1_000);
    keys.authenticate(a);
    expect((await keys.list())[0]?.lastUsedAt).toBeNull();
  });
});

describe('KeyUsage', () => {
  it('forgets a revoked key', () => {
    const usage = new KeyUsage(60_000);
    usage.note('a', T0);
    usage.forget('a');
    expect(usage.due(T0, true)).toEqual([]);
  });
});
