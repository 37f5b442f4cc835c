import { afterEach, describe, expect, it } from 'vitest';
import { APP, hubHarness } from '../../support/hub-harness.js';
import { deferred } from '../../support/fake-fetcher.js';

const h = hubHarness();
afterEach(() => h.stopAll());

describe('the lease_waited event', () => {
  it('is emitted once by an instance that finds the lease held elsewhere, however long it waits', async () => {
    const a = await h.setup();
    const b = await h.setup({ store: a.store, clock: a.clock, fetcher: a.fetcher });
    const waitsOnA: unknown[] = [];
    const waitsOnB: unknown[] = [];
    a.hub.events.on('lease_waited', (e) => waitsOnA.push(e));
    b.hub.events.on('lease_waited', (e) => waitsOnB.push(e));
    const gate = deferred();
    a.fetcher.gate = gate.promise;
    const first = a.hub.getAccessToken(APP);
    // A holds the lease with its fetch in flight; B polls for the result several times.
    await a.clock.advance(10);
    const second = b.hub.getAccessToken(APP);
    for (let i = 0; i < 10; i++) await a.clock.advance(100);
    gate.resolve();
    a.fetcher.gate = undefined;
    for (let i = 0; i < 5; i++) await a.clock.advance(100);
    const [ta, tb] = await Promise.all([first, second]);
    expect(tb.token).toBe(ta.token);
    expect(waitsOnA).toEqual([]);
    expect(waitsOnB).toEqual([{ appid: APP, kind: 'access_token' }]);
    expect(a.fetcher.calls).toHaveLength(1);
  });
});
