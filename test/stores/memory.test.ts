import { describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/util/clock.js';
import { createMemoryStore } from '../../src/stores/memory/index.js';
import { describeStoreConformance } from './conformance.js';

describeStoreConformance('memory', async () => {
  const clock = new ManualClock();
  const store = createMemoryStore({ clock });
  return { store, advance: (ms) => clock.advance(ms), cleanup: () => store.close() };
});

describe('MemoryStore', () => {
  it('hands out frozen records', async () => {
    const store = createMemoryStore();
    await store.addClientKey({ name: 'svc', hash: 'ab', apps: ['wx1'], createdAt: 1, capabilities: null, expiresAt: null, lastUsedAt: null });
    const [key] = await store.listClientKeys();
    expect(Object.isFrozen(key)).toBe(true);
    expect(Object.isFrozen(key?.apps)).toBe(true);
  });

  it('judges lease expiry by the injected clock', async () => {
    const clock = new ManualClock();
    const store = createMemoryStore({ clock });
    expect(await store.acquireLease('l', 'a', 1_000)).toBe(true);
    await clock.advance(999);
    expect(await store.acquireLease('l', 'b', 1_000)).toBe(false);
    await clock.advance(1);
    expect(await store.acquireLease('l', 'b', 1_000)).toBe(true);
  });

  it('rejects a non-positive lease TTL', async () => {
    const store = createMemoryStore();
    await expect(store.acquireLease('l', 'a', 0)).rejects.toThrow(/ttlMs/);
  });

  it('keeps delivering to other listeners when one throws', async () => {
    const store = createMemoryStore();
    const seen: string[] = [];
    await store.subscribe(() => {
      throw new Error('bad listener');
    });
    await store.subscribe((e) => seen.push(e.type));
    await store.putPrincipal({ id: 'wx1', type: 'app', attributes: { grant: 'stable' }, secrets: { secret: 's' }, createdAt: 1, updatedAt: 1 });
    expect(seen).toEqual(['principal']);
  });
});
