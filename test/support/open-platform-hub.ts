import { Hub, type HubOptions } from '../../src/core/hub.js';
import type { Store } from '../../src/stores/store.js';
import { ManualClock } from '../../src/util/clock.js';
import { FakeComponentFetcher } from './fake-component-fetcher.js';
import { testSealer } from './hub-harness.js';
import { createTestStore } from './test-store.js';

export const COMPONENT = 'wxc0000000000000c1';
const AES_KEY = 'abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG';

/** A store that reports each call (method name and arguments) before passing it on, for tests that count traffic. */
export function callReporting(inner: Store, onCall: (name: string, args: readonly unknown[]) => void): Store {
  return new Proxy(inner, {
    get(target, name) {
      const value: unknown = Reflect.get(target, name);
      if (typeof value !== 'function') return value;
      return (...args: unknown[]) => {
        onCall(String(name), args);
        return value.apply(target, args) as unknown;
      };
    },
  });
}

/**
 * A started hub on a manual clock and a memory store, with COMPONENT registered, a fresh verify ticket, and
 * `authorizers` authorizers adopted from the (fake) authorizer list; timers for store health and resync are an
 * hour apart unless `options` say otherwise. The caller stops the hub.
 */
export async function openPlatformHub(
  authorizers: number,
  options: { store?: (inner: Store) => Store; hub?: Partial<HubOptions> } = {},
): Promise<{ hub: Hub; clock: ManualClock; fetcher: FakeComponentFetcher; appids: string[] }> {
  const clock = new ManualClock(Date.UTC(2026, 5, 1));
  const fetcher = new FakeComponentFetcher(clock);
  const inner = await createTestStore(clock);
  const store = options.store ? options.store(inner) : inner;
  const hub = new Hub({ store, secrets: testSealer, fetcher, clock, random: Math.random, healthCheckMs: 3_600_000, resyncIntervalMs: 3_600_000, ...options.hub });
  await hub.start();
  await hub.open.putComponent(COMPONENT, { secret: 'component-secret', messageToken: 'tok123', aesKey: AES_KEY });
  await hub.open.verifyTickets.offer(COMPONENT, { ticket: 'ticket@@@1', createdAt: clock.now(), receivedAt: clock.now() });
  const appids = fetcher.authorize(authorizers);
  const report = await hub.open.reconcile(COMPONENT);
  if (report.adopted.length !== authorizers) throw new Error(`reconciliation adopted ${report.adopted.length} of ${authorizers} authorizers`);
  return { hub, clock, fetcher, appids };
}
