import { afterEach, describe, expect, it } from 'vitest';
import { Hub } from '../../../src/core/hub.js';
import { LeaseKeeper } from '../../../src/core/engine/lease.js';
import { PrincipalLocks } from '../../../src/core/engine/principal-lock.js';
import { AuthorizerRecords, authorizerInfo } from '../../../src/core/open-platform/authorizer-records.js';
import { silentLogger } from '../../../src/util/logger.js';
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

  async function setup(options: { subscribed?: boolean } = {}): Promise<{ records: AuthorizerRecords; hub: Hub; store: Store; clock: ManualClock; writes: () => number; reads: () => number }> {
    const clock = new ManualClock(Date.UTC(2026, 5, 1));
    const inner = await createTestStore(clock);
    let puts = 0;
    let gets = 0;
    // Counts principal writes (a refresh token and the status it goes with must be one write) and reads.
    const store = new Proxy(inner, {
      get(target, name) {
        const value: unknown = Reflect.get(target, name);
        if (name === 'putPrincipal') return (...args: unknown[]) => (puts++, (value as (...a: unknown[]) => unknown).apply(target, args));
        if (name === 'getPrincipal') return (...args: unknown[]) => (gets++, (value as (...a: unknown[]) => unknown).apply(target, args));
        return typeof value === 'function' ? value.bind(target) : value;
      },
    });
    const hub = new Hub({ store, secrets: testSealer, fetcher: new FakeComponentFetcher(clock), clock, background: false });
    hubs.push(hub);
    // Unsubscribed, the hub reads nothing on its own (a started one re-reads each changed principal on its event).
    if (options.subscribed !== false) await hub.start();
    const keeper = new LeaseKeeper({ store, clock, logger: silentLogger, owner: 'test-instance', ttlMs: 3_000 });
    const locks = new PrincipalLocks({ keeper, clock, waitMs: 10_000, pollMs: 50 });
    return { records: new AuthorizerRecords(hub, store, clock, locks), hub, store, clock, writes: () => puts, reads: () => gets };
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

  it('reads the principal once per write (secrets opened from that record) and writes nothing when nothing changes', async () => {
    const { records, store, writes, reads } = await setup({ subscribed: false });
    await records.write(C, A, { refreshToken: { value: 'r1', source: 'query_auth' }, status: 'active', reason: 'authorized' });
    const [readsBefore, writesBefore] = [reads(), writes()];
    await records.write(C, A, { refreshToken: { value: 'r2', source: 'refresh' } });
    expect(reads() - readsBefore).toBe(1);
    expect(writes() - writesBefore).toBe(1);
    // The same value again, the same status: one read, no write.
    await records.write(C, A, { refreshToken: { value: 'r2', source: 'list' }, status: 'active', reason: 'authorized' });
    expect(reads() - readsBefore).toBe(2);
    expect(writes() - writesBefore).toBe(1);
    expect(authorizerInfo((await store.getPrincipal(authorizerId(C, A)))!)).toMatchObject({ status: 'active', reason: 'authorized' });
  });

  it('serializes writes of one authorizer on one instance: concurrent writes all land, in order', async () => {
    const { records, hub } = await setup();
    const values = Array.from({ length: 8 }, (_, i) => `r${i}`);
    await Promise.all(values.map((value) => records.write(C, A, { refreshToken: { value, source: 'refresh' } })));
    const history = parseRefreshHistory(await hub.principalSecret(authorizerId(C, A), REFRESH_HISTORY_SECRET));
    expect(history.map((h) => h.value)).toEqual([...values].reverse());
  });

  it('revokes under the lease: status unauthorized, refresh token and history kept', async () => {
    const { records, hub, store } = await setup();
    await records.write(C, A, { refreshToken: { value: 'r1', source: 'query_auth' }, status: 'active' });
    expect(await records.revoke(C, A, 'cancelled', (stored) => stored?.status === 'frozen')).toBe(true);
    const stored = (await store.getPrincipal(authorizerId(C, A)))!;
    expect(authorizerInfo(stored)).toMatchObject({ status: 'unauthorized', reason: 'cancelled', refreshTokenHeld: true });
    expect(await hub.principalSecret(stored.id, REFRESH_TOKEN_SECRET)).toBe('r1');
    // Called off by `unless`: nothing changes.
    expect(await records.revoke(C, A, 'again', () => true)).toBe(false);
    expect(authorizerInfo((await store.getPrincipal(authorizerId(C, A)))!).reason).toBe('cancelled');
  });
});
