import { ManualClock } from '../../src/util/clock.js';
import { Hub, type HubOptions, type SecretSealer } from '../../src/core/hub.js';
import type { Store } from '../../src/stores/store.js';
import { FakeFetcher } from './fake-fetcher.js';
import { createTestStore } from './test-store.js';

/** The app every harness registers unless given a store of its own. */
export const APP = 'wx0123456789abcdef';

/** Reversible, context-bound and obviously not plaintext: enough to test the hub's use of a sealer. */
export const testSealer: SecretSealer = {
  seal: (plain, ctx) => Buffer.from(`${ctx}|${plain}`).toString('base64'),
  open: (sealed, ctx) => {
    const text = Buffer.from(sealed, 'base64').toString();
    if (!text.startsWith(`${ctx}|`)) throw new Error('sealed for another app');
    return text.slice(ctx.length + 1);
  },
};

/** One hub on a manual clock with a fake WeChat. */
export interface Harness {
  clock: ManualClock;
  fetcher: FakeFetcher;
  store: Store;
  hub: Hub;
}

/** Options of a harness hub: HubOptions, plus what to build when not given. */
export type HarnessOptions = Partial<HubOptions> & { grant?: 'stable' | 'classic'; clock?: ManualClock; fetcher?: FakeFetcher; store?: Store };

/**
 * Starts hubs for core tests and stops them all in `stopAll` (call it in afterEach). A hub given no store gets a
 * fresh memory store with APP registered; one given a store registers nothing.
 */
export function hubHarness(): { setup(options?: HarnessOptions): Promise<Harness>; stopAll(): Promise<void> } {
  const open: Hub[] = [];
  return {
    async setup(options = {}) {
      const clock = options.clock ?? new ManualClock(Date.UTC(2026, 5, 1, 2, 0, 0));
      const fetcher = options.fetcher ?? new FakeFetcher(clock);
      const store = options.store ?? (await createTestStore(clock));
      const hub = new Hub({ secrets: testSealer, random: () => 0.5, prefetch: false, healthCheckMs: 3_600_000, ...options, store, fetcher, clock });
      open.push(hub);
      await hub.start();
      if (!options.store) await hub.putApp(APP, { secret: 's3cret', grant: options.grant ?? 'classic' });
      return { clock, fetcher, store, hub };
    },
    async stopAll() {
      for (const hub of open.splice(0)) await hub.stop();
    },
  };
}
