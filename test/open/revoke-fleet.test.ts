import { afterEach, describe, expect, it } from 'vitest';
import { Hub } from '../../src/core/hub.js';
import { AuthorizerInactiveError } from '../../src/errors/index.js';
import type { Store, StoreListener } from '../../src/stores/store.js';
import { testSealer } from '../support/hub-harness.js';
import { COMPONENT, openPlatformHub } from '../support/open-platform-hub.js';

/** The store as another instance sees it: every event arrives 20 ms late (as over Redis pub/sub under load). */
function lateEvents(inner: Store): Store {
  return new Proxy(inner, {
    get(target, name) {
      if (name === 'subscribe') return (listener: StoreListener) => target.subscribe((event) => setTimeout(() => listener(event), 20));
      const value: unknown = Reflect.get(target, name);
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
}

describe('Open Platform: a revocation on one instance', () => {
  const hubs: Hub[] = [];
  afterEach(async () => {
    for (const hub of hubs.splice(0)) await hub.stop();
  });

  it('stops every other instance serving the authorizer, even when its events arrive after the write-back', async () => {
    let shared!: Store;
    const a = await openPlatformHub(2, { store: (inner) => (shared = inner) });
    hubs.push(a.hub);
    const b = new Hub({ store: lateEvents(shared), secrets: testSealer, fetcher: a.fetcher, clock: a.clock, random: Math.random, healthCheckMs: 3_600_000, resyncIntervalMs: 3_600_000 });
    hubs.push(b);
    await b.start();
    const appid = a.appids[0]!;
    await b.open.authorizerToken(COMPONENT, appid);
    await a.hub.open.revoke(COMPONENT, appid, 'test: the merchant cancelled');
    await new Promise((r) => setTimeout(r, 100));
    for (const hub of [a.hub, b]) {
      const refused = await hub.open.authorizerToken(COMPONENT, appid).catch((err: unknown) => err);
      expect(refused).toBeInstanceOf(AuthorizerInactiveError);
    }
    // The other authorizer is untouched.
    expect((await b.open.authorizerToken(COMPONENT, a.appids[1]!)).token).toBeTruthy();
  });
});
