import type { Clock } from '../../src/util/clock.js';
import { createMemoryStore } from '../../src/stores/memory/index.js';
import type { Store } from '../../src/stores/store.js';

/** A fresh in-memory store on the given clock, for core tests. */
export async function createTestStore(clock: Clock): Promise<Store> {
  return createMemoryStore({ clock });
}
