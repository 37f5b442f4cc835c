import { afterEach, describe, expect, it } from 'vitest';
import { Hub, type HubOptions } from '../../../src/core/hub.js';
import { authorizerId, REFRESH_HISTORY_SECRET, REFRESH_TOKEN_SECRET } from '../../../src/core/open-platform/ids.js';
import { parseRefreshHistory } from '../../../src/core/open-platform/refresh-token.js';
import { WeChatError } from '../../../src/errors/index.js';
import type { Store } from '../../../src/stores/store.js';
import { ManualClock } from '../../../src/util/clock.js';
import { FakeComponentFetcher } from '../../support/fake-component-fetcher.js';
import { testSealer } from '../../support/hub-harness.js';
import { createTestStore } from '../../support/test-store.js';

const C = 'wxc0000000000000c1';
const AES_KEY = 'abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG';
const MIN = 60_000;

/** The Open Platform facade on a manual clock: start-up reconciliation retries, reconciliation reads, refused codes. */
describe('OpenPlatform facade', () => {
  const hubs: Hub[] = [];
  afterEach(async () => {
    for (const hub of hubs.splice(0)) await hub.stop();
  });

  /** A store counting principal reads, with the component registered and its verify ticket pushed. */
  async function prepared(clock: ManualClock, fetcher: FakeComponentFetcher): Promise<{ store: Store; principalReads: () => number }> {
    const inner = await createTestStore(clock);
    let reads = 0;
    const store = new Proxy(inner, {
      get(target, name) {
        const value: unknown = Reflect.get(target, name);
        if (name === 'getPrincipal') return (...args: unknown[]) => (reads++, (value as (...a: unknown[]) => unknown).apply(target, args));
        return typeof value === 'function' ? value.bind(target) : value;
      },
    });
    const setup = new Hub({ store, secrets: testSealer, fetcher, clock, background: false });
    await setup.start();
    await setup.open.putComponent(C, { secret: 'component-secret', messageToken: 'tok123', aesKey: AES_KEY });
    await setup.open.verifyTickets.offer(C, { ticket: 'ticket@@@1', createdAt: clock.now(), receivedAt: clock.now() });
    await setup.stop();
    return { store, principalReads: () => reads };
  }

  async function hubOn(store: Store, clock: ManualClock, fetcher: FakeComponentFetcher, options: Partial<HubOptions> = {}): Promise<Hub> {
    const hub = new Hub({ store, secrets: testSealer, fetcher, clock, random: () => 0.5, healthCheckMs: 24 * 3_600_000, resyncIntervalMs: 24 * 3_600_000, ...options });
    hubs.push(hub);
    await hub.start();
    return hub;
  }

  it('retries a failed start-up reconciliation after 1, 2, 4 min… until it succeeds, then waits for the daily run', async () => {
    const clock = new ManualClock(Date.UTC(2026, 5, 1));
    const fetcher = new FakeComponentFetcher(clock);
    const [appid] = fetcher.authorize(1);
    const { store } = await prepared(clock, fetcher);
    // WeChat's list fails for the start-up run and the first two retries.
    fetcher.failLists = 3;
    const hub = await hubOn(store, clock, fetcher, { openPlatform: { startupRetryBaseMs: MIN, startupRetryMaxMs: 60 * MIN } });
    const listCallsAt = async (ms: number): Promise<number> => {
      await clock.advance(ms);
      return fetcher.listCalls;
    };
    expect(await listCallsAt(0)).toBe(1);
    expect(await listCallsAt(MIN - 1)).toBe(1);
    expect(await listCallsAt(1)).toBe(2);
    expect(await listCallsAt(2 * MIN)).toBe(3);
    expect((await hub.open.listAuthorizers()).total).toBe(0);
    // The third retry, 4 min after the second failure, succeeds: the listed authorizer is adopted.
    expect(await listCallsAt(4 * MIN)).toBe(4);
    expect((await hub.open.listAuthorizers()).authorizers).toEqual([expect.objectContaining({ authorizerAppid: appid, status: 'active', refreshTokenHeld: true })]);
    // Then nothing until the daily run.
    expect(await listCallsAt(23 * 60 * MIN)).toBe(4);
    expect(await listCallsAt(60 * MIN)).toBe(5);
  });

  it('caps the retries at the maximum interval, and stops retrying once stopped', async () => {
    const clock = new ManualClock(Date.UTC(2026, 5, 1));
    const fetcher = new FakeComponentFetcher(clock);
    fetcher.authorize(1);
    const { store } = await prepared(clock, fetcher);
    fetcher.failLists = 1_000;
    const hub = await hubOn(store, clock, fetcher, { openPlatform: { startupRetryBaseMs: MIN, startupRetryMaxMs: 10 * MIN } });
    await clock.advance(0);
    // Failures at 0, 1, 3, 7, 15 (capped from here: every 10 min), 25, 35 min.
    await clock.advance(35 * MIN);
    expect(fetcher.listCalls).toBe(7);
    await hub.stop();
    await clock.advance(60 * MIN);
    expect(fetcher.listCalls).toBe(7);
  });

  it('rejects nonsensical retry options, naming them', () => {
    const clock = new ManualClock();
    const fetcher = new FakeComponentFetcher(clock);
    const make = (openPlatform: HubOptions['openPlatform']) => () => new Hub({ store: undefined as unknown as Store, secrets: testSealer, fetcher, clock, openPlatform });
    expect(make({ startupRetryBaseMs: 0 })).toThrow(/startupRetryBaseMs/);
    expect(make({ startupRetryBaseMs: 2 * MIN, startupRetryMaxMs: MIN })).toThrow(/startupRetryMaxMs/);
    expect(make({ writeLeaseWaitMs: Number.NaN })).toThrow(/writeLeaseWaitMs/);
  });

  it('reconciles without a store read per listed authorizer (refresh tokens opened from the listed records)', async () => {
    const clock = new ManualClock(Date.UTC(2026, 5, 1));
    const fetcher = new FakeComponentFetcher(clock);
    const appids = fetcher.authorize(200);
    const { store, principalReads } = await prepared(clock, fetcher);
    const hub = await hubOn(store, clock, fetcher, { background: false });
    expect((await hub.open.reconcile(C)).adopted).toHaveLength(200);
    await clock.advance(1_000);
    const before = principalReads();
    const report = await hub.open.reconcile(C);
    expect(report).toMatchObject({ listed: 200, adopted: [], unchanged: 200 });
    expect(principalReads() - before).toBe(0);
    // One authorizer's token changed upstream: that one is read once under its lease and rewritten (and read once
    // more by the hub's own store-event handler, as every instance does).
    fetcher.refreshTokens.set(appids[7]!, 'refreshtoken@@@rotated');
    const after = principalReads();
    expect((await hub.open.reconcile(C)).adopted).toEqual([appids[7]]);
    expect(principalReads() - after).toBeGreaterThanOrEqual(1);
    expect(principalReads() - after).toBeLessThanOrEqual(2);
    expect(await hub.principalSecret(authorizerId(C, appids[7]!), REFRESH_TOKEN_SECRET)).toBe('refreshtoken@@@rotated');
  });

  it('records a refused authorization code (61009/61010) on the component, with where it came from', async () => {
    const clock = new ManualClock(Date.UTC(2026, 5, 1));
    const fetcher = new FakeComponentFetcher(clock);
    const { store } = await prepared(clock, fetcher);
    const hub = await hubOn(store, clock, fetcher, { background: false });
    expect((await hub.open.listComponents())[0]!.lastAuthorizationFailure).toBeNull();
    fetcher.codes.set('queryauthcode@@@late', { errcode: 61010 });
    const err = await hub.open.exchangeAuthCode(C, 'queryauthcode@@@late', 'event').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(WeChatError);
    expect((err as WeChatError).errcode).toBe(61010);
    expect((await hub.open.listComponents())[0]!.lastAuthorizationFailure).toEqual({ at: clock.now(), errcode: 61010, source: 'event' });
    // A later one replaces it; the same code again is not exchanged again (its mark stays), so nothing changes.
    await clock.advance(5_000);
    await expect(hub.open.exchangeAuthCode(C, 'queryauthcode@@@unknown', 'redirect')).rejects.toMatchObject({ errcode: 61009 });
    expect((await hub.open.listComponents())[0]!.lastAuthorizationFailure).toEqual({ at: clock.now(), errcode: 61009, source: 'redirect' });
    expect(await hub.open.exchangeAuthCode(C, 'queryauthcode@@@late', 'redirect')).toEqual({ exchanged: false });
    expect(fetcher.queryAuthCalls).toBe(2);
    // A refused code creates no authorizer.
    expect((await hub.open.listAuthorizers()).total).toBe(0);
  });

  it('an exchange writes the refresh token with the activation, on top of what a repair wrote', async () => {
    const clock = new ManualClock(Date.UTC(2026, 5, 1));
    const fetcher = new FakeComponentFetcher(clock);
    const [appid] = fetcher.authorize(1);
    const { store } = await prepared(clock, fetcher);
    const hub = await hubOn(store, clock, fetcher, { background: false });
    await hub.open.reconcile(C);
    fetcher.codes.set('queryauthcode@@@1', { authorizerAppid: appid!, refreshToken: 'refreshtoken@@@exchanged' });
    await clock.advance(1_000);
    expect(await hub.open.exchangeAuthCode(C, 'queryauthcode@@@1', 'redirect')).toEqual({ exchanged: true, authorizerAppid: appid });
    const id = authorizerId(C, appid!);
    expect(parseRefreshHistory(await hub.principalSecret(id, REFRESH_HISTORY_SECRET)).map((h) => [h.value, h.source])).toEqual([
      ['refreshtoken@@@exchanged', 'query_auth'],
      [`refreshtoken@@@${appid}`, 'list'],
    ]);
    expect((await hub.open.listAuthorizers()).authorizers[0]).toMatchObject({ status: 'active', reason: 'authorized (redirect)', funcScopes: [1] });
  });
});
