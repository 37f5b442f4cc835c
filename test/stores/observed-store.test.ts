import { describe, expect, it } from 'vitest';
import { StoreUnavailableError } from '../../src/errors/index.js';
import { createMemoryStore } from '../../src/stores/memory/index.js';
import { observeStore } from '../../src/stores/observed-store.js';
import type { Store } from '../../src/stores/store.js';
import { ManualClock } from '../../src/util/clock.js';

describe('observeStore', () => {
  it('reports calls the store could not answer, by method, and passes everything through', async () => {
    const inner = createMemoryStore({ clock: new ManualClock() });
    let down = false;
    // Only the methods the test calls.
    const flaky = {
      description: inner.description,
      getCredential: (key: string) => (down ? Promise.reject(new StoreUnavailableError('down')) : inner.getCredential(key)),
      ping: () => (down ? Promise.reject(new StoreUnavailableError('down')) : inner.ping()),
      acquireLease: (...args: Parameters<Store['acquireLease']>) => inner.acquireLease(...args),
    } as unknown as Store;
    const errors: string[] = [];
    const store = observeStore(flaky, (operation) => errors.push(operation));
    expect(store.description).toBe(inner.description);
    expect(await store.getCredential('wx0123456789abcdef:access_token')).toBeNull();
    expect(await store.acquireLease('l', 'me', 1_000)).toBe(true);
    down = true;
    await expect(store.getCredential('k')).rejects.toBeInstanceOf(StoreUnavailableError);
    await expect(store.ping()).rejects.toBeInstanceOf(StoreUnavailableError);
    expect(errors).toEqual(['getCredential', 'ping']);
  });

  it('leaves an optional method absent when the store lacks it', () => {
    const inner = createMemoryStore({ clock: new ManualClock() });
    const withoutTime = { ...inner, description: inner.description, time: undefined } as unknown as Store;
    expect(observeStore(withoutTime, () => {}).time).toBeUndefined();
  });
});
