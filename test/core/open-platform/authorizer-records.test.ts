import { afterEach, describe, expect, it } from 'vitest';
import { Hub } from '../../../src/core/hub.js';
import { AuthorizerRecords, authorizerInfo } from '../../../src/core/open-platform/authorizer-records.js';
import { authorizerId, REFRESH_HISTORY_SECRET, REFRESH_TOKEN_SECRET } from '../../../src/core/open-platform/ids.js';
import { parseRefreshHistory } from '../../../src/core/open-platform/refresh-token.js';
import type { Store } from '../../../src/stores/store.js';
import { ManualClock } from '../../../src/util/clock.js';
import { FakeComponentFetcher } from '../../support/fake-component-fetcher.js';
import { testSealer } from '../../support/hub-harness.js';
import { createTestStore } from '../../support/test-store.js';

const C = 'wxc0000000000000c1';
const A = 'wxa000000000000001';

describe('AuthorizerRecords: the refresh token is never lost', () => {
  const hubs: Hub[] = [];
  afterEach(async () => {
    for (const hub of hubs.splice(0)) await hub.stop();
  });

  async function setup(): Promise<{ records: AuthorizerRecords; hub: Hub; store: Store; clock: ManualClock; writes: () => number }> {
    const clock = new ManualClock(Date.UTC(2026, 5, 1));
    const inner = await createTestStore(clock);
    let puts = 0;
    // Counts principal writes: a refresh token and the status it goes with must be one write.
    const store = new Proxy(inner, {
      get(target, name) {
        const value: unknown = Reflect.get(target, name);
        if (name === 'putPrincipal') return (...args: unknown[]) => (puts++, (value as (...a: unknown[]) => unknown).apply(target, args));
        return typeof value === 'function' ? value.bind(target) : value;
      },
    });
    const hub = new Hub({ store, secrets: testSealer, fetcher: new FakeComponentFetcher(clock), clock, background: false });
    hubs.push(hub);
    await hub.start();
    return { records: new AuthorizerRecords(hub, store, clock), hub, store, clock, writes: () => puts };
  }

  it('writes the refresh token with the activation in one store write, sealed, with its source in the history', async () => {
    const { records, hub, store, writes } = await setup();
    await records.write(C, A, { refreshToken: { value: 'refreshtoken@@@1', source: 'query_auth' }, status: 'active', reason: 'authorized' });
    expect(writes()).toBe(1);
    const stored = (await store.getPrincipal(authorizerId(C, A)))!;
    expect(JSON.stringify(stored)).not.toContain('refreshtoken@@@1');
    expect(authorizerInfo(stored)).toMatchObject({ status: 'active', reason: 'authorized', refreshTokenHeld: true });
    expect(await hub.principalSecret(stored.id, REFRESH_TOKEN_SECRET)).toBe('refreshtoken@@@1');
  });

  it('never overwrites a refresh token with an empty one, and keeps every value it had', async () => {
    const { records, hub, clock } = await setup();
    await records.write(C, A, { refreshToken: { value: 'r1', source: 'query_auth' }, status: 'active' });
    await records.write(C, A, { refreshToken: { value: '', source: 'refresh' } });
    await records.write(C, A, { status: 'needs_reauth', reason: 'refused' });
    const id = authorizerId(C, A);
    expect(await hub.principalSecret(id, REFRESH_TOKEN_SECRET)).toBe('r1');
    await clock.advance(1000);
    await records.write(C, A, { refreshToken: { value: 'r2', source: 'list' }, status: 'active', reason: 'repaired' });
    expect(await hub.principalSecret(id, REFRESH_TOKEN_SECRET)).toBe('r2');
    const history = parseRefreshHistory(await hub.principalSecret(id, REFRESH_HISTORY_SECRET));
    expect(history.map((h) => [h.value, h.source])).toEqual([
      ['r2', 'list'],
      ['r1', 'query_auth'],
    ]);
  });
});
