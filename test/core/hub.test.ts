import { afterEach, describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/util/clock.js';
import { nextShanghaiMidnight } from '../../src/core/refresh-policy.js';
import { StoreUnavailableError, UpstreamTransportError } from '../../src/errors/index.js';
import { wechatError } from '../../src/wechat/errcodes.js';
import type { Store, StoreListener } from '../../src/stores/store.js';
import { createTestStore } from '../support/test-store.js';
import { callReporting } from '../support/open-platform-hub.js';
import { APP, hubHarness } from '../support/hub-harness.js';
import { deferred, FakeFetcher } from '../support/fake-fetcher.js';
import { eventually } from '../support/services.js';

const APP2 = 'wx00000000000000aa';
const MIN = 60_000;
const HOUR = 3_600_000;

const { setup, stopAll } = hubHarness();

/**
 * A view of `store` whose event feed loses everything until the test delivers an event by hand, and whose reads
 * can be made to fail as if the store were down.
 */
function lossyFeed(store: Store): { store: Store; deliver: StoreListener; failing: boolean } {
  const view = {
    deliver: (() => {}) as StoreListener,
    failing: false,
    store: undefined as unknown as Store,
  };
  const down = (): Promise<never> => Promise.reject(new StoreUnavailableError('memory store: down (test)'));
  view.store = new Proxy(store, {
    get(target, name) {
      if (name === 'subscribe') {
        return (listener: StoreListener) => {
          view.deliver = listener;
          return target.subscribe(() => {});
        };
      }
      if (view.failing && (name === 'ping' || name === 'listPrincipals' || name === 'listCredentials' || name === 'listClientKeys')) return down;
      const value: unknown = Reflect.get(target, name);
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
  return view;
}

/** A view of `store` whose calls, once frozen, wait until it thaws (a process stopped mid-flight). */
function freezable(store: Store): { store: Store; freeze(): void; thaw(): void } {
  let thawed: Promise<void> | undefined;
  let release = (): void => {};
  const view = new Proxy(store, {
    get(target, name) {
      const value: unknown = Reflect.get(target, name);
      if (typeof value !== 'function') return value;
      return (...args: unknown[]) => (thawed ? thawed.then(() => value.apply(target, args)) : value.apply(target, args));
    },
  });
  return {
    store: view,
    freeze() {
      thawed ??= new Promise<void>((resolve) => (release = resolve));
    },
    thaw() {
      thawed = undefined;
      release();
    },
  };
}

afterEach(stopAll);

describe('Hub: obtaining tokens', () => {
  it('shares one upstream fetch among 500 concurrent first requests', async () => {
    const { hub, fetcher } = await setup();
    const gate = deferred();
    fetcher.gate = gate.promise;
    const all = Promise.all(Array.from({ length: 500 }, () => hub.getAccessToken(APP)));
    gate.resolve();
    const tokens = await all;
    expect(fetcher.count(APP)).toBe(1);
    expect(new Set(tokens.map((t) => t.token)).size).toBe(1);
  });

  it('serves from memory without further fetches while the token is valid', async () => {
    const { hub, fetcher, clock } = await setup();
    const first = await hub.getAccessToken(APP);
    await clock.advance(HOUR);
    expect((await hub.getAccessToken(APP)).token).toBe(first.token);
    expect(fetcher.count(APP)).toBe(1);
  });

  it('hands out a token only until its serving margin before expiry', async () => {
    const { hub, clock } = await setup();
    const issued = await hub.getAccessToken(APP);
    const expiresAt = clock.now() + 7_200_000;
    expect(issued.expiresAt).toBe(expiresAt - 30_000);
  });

  it('rejects unknown and malformed appids with the documented errors', async () => {
    const { hub } = await setup();
    await expect(hub.getAccessToken('wx1111111111111111')).rejects.toMatchObject({ code: 'app_not_found', status: 404 });
    await expect(hub.getAccessToken('nope')).rejects.toMatchObject({ code: 'invalid_request', status: 400 });
  });

  it('prefetches tokens for apps that have none when asked to', async () => {
    const clock = new ManualClock();
    const store = await createTestStore(clock);
    const first = await setup({ clock, store });
    await first.hub.putApp(APP, { secret: 's', grant: 'classic' });
    await first.hub.stop();
    const second = await setup({ clock, store, prefetch: true, fetcher: first.fetcher });
    await clock.advance(1);
    expect(first.fetcher.count(APP)).toBe(1);
    expect((await second.hub.listApps())[0]?.state).toBe('ok');
  });
});

describe('Hub: proactive refresh', () => {
  it('refreshes a classic token inside the 300 s window before expiry, exactly once per lifetime', async () => {
    const { hub, fetcher, clock } = await setup();
    const t0 = clock.now();
    const first = await hub.getAccessToken(APP);
    await clock.advance(7_200_000 - 300_000);
    expect(fetcher.count(APP)).toBe(1);
    await clock.advance(300_000 - 1);
    expect(fetcher.count(APP)).toBe(2);
    const refreshAt = fetcher.calls[1]!.at - t0;
    expect(refreshAt).toBeGreaterThan(7_200_000 - 300_000);
    expect(refreshAt).toBeLessThan(7_200_000);
    expect((await hub.getAccessToken(APP)).token).not.toBe(first.token);
    // Several lifetimes: one fetch each.
    await clock.advance(3 * 7_200_000);
    expect(fetcher.count(APP)).toBe(5);
  });

  it('refreshes a stable token with a normal-mode call inside the rotation window', async () => {
    const { hub, fetcher, clock } = await setup({ grant: 'stable' });
    const first = await hub.getAccessToken(APP);
    await clock.advance(7_200_000 - 1);
    expect(fetcher.calls.map((c) => c.force)).toEqual([false, false]);
    expect((await hub.getAccessToken(APP)).token).not.toBe(first.token);
  });

  it('scales the lead time down for short lifetimes', async () => {
    const { hub, fetcher, clock } = await setup();
    fetcher.lifetimeMs = 72_000; // 1/100 of WeChat's: lead 1.8 s, margin 0.3 s
    const t0 = clock.now();
    const issued = await hub.getAccessToken(APP);
    expect(issued.expiresAt - t0).toBe(72_000 - 300);
    await clock.advance(72_000);
    expect(fetcher.calls[1]!.at - t0).toBe(72_000 - 1_800);
  });

  it('keeps serving the current token through transient failures and recovers when they clear', async () => {
    const { hub, fetcher, clock } = await setup();
    const first = await hub.getAccessToken(APP);
    fetcher.failWith = () => new UpstreamTransportError('http-status', '/cgi-bin/token', 'HTTP 502', { httpStatus: 502 });
    await clock.advance(7_200_000 - 170_000); // refresh attempted at -180 s, then backoff retries
    expect(fetcher.count(APP)).toBeGreaterThan(2);
    expect((await hub.getAccessToken(APP)).token).toBe(first.token);
    const status = (await hub.listApps())[0]!;
    expect(status.state).toBe('retrying');
    expect(status.lastError?.code).toBe('upstream_unavailable');
    fetcher.failWith = undefined;
    await clock.advance(60_000);
    expect((await hub.getAccessToken(APP)).token).not.toBe(first.token);
    expect((await hub.listApps())[0]!.state).toBe('ok');
  });

  it('keeps retrying when timers fire a little early by the wall clock', async () => {
    /** Node's timers and Date.now() use different clocks: a timer can fire a millisecond "early". */
    class EarlyClock extends ManualClock {
      override setTimer(fn: () => void, ms: number): () => void {
        return super.setTimer(fn, Math.max(0, ms - 1));
      }
    }
    const clock = new EarlyClock(Date.UTC(2026, 5, 1, 2, 0, 0));
    const { hub, fetcher } = await setup({ clock });
    const first = await hub.getAccessToken(APP);
    fetcher.failWith = () => wechatError(-1, 'system error', '/cgi-bin/token', 'token');
    fetcher.failTimes = 2;
    await clock.advance(7_200_000 - 170_000);
    expect(fetcher.count(APP)).toBe(4);
    expect((await hub.getAccessToken(APP)).token).not.toBe(first.token);
  });

  it('never serves a token past its expiry: callers get upstream_unavailable instead', async () => {
    const { hub, fetcher, clock } = await setup();
    await hub.getAccessToken(APP);
    fetcher.failWith = () => wechatError(-1, 'system error rid: 6004f3da-1529ba72-5c345f67', '/cgi-bin/token', 'token');
    await clock.advance(7_200_000);
    await expect(hub.getAccessToken(APP)).rejects.toMatchObject({ code: 'upstream_unavailable', status: 503 });
  });

  it('backs off exponentially: a long outage costs a bounded number of calls', async () => {
    const { hub, fetcher, clock } = await setup();
    fetcher.failWith = () => wechatError(-1, 'system error', '/cgi-bin/token', 'token');
    await expect(hub.getAccessToken(APP)).rejects.toMatchObject({ code: 'upstream_unavailable' });
    await clock.advance(HOUR);
    // 1 s, 2 s, 4 s ... capped at 60 s (jitter fixed at 0.5 → 75%): about 65 attempts in an hour, not thousands.
    expect(fetcher.count(APP)).toBeLessThan(90);
    expect(fetcher.count(APP)).toBeGreaterThan(40);
  });
});

describe('Hub: failure classes', () => {
  it('marks an app failed on a wrong secret and stops calling WeChat', async () => {
    const { hub, fetcher, clock } = await setup();
    fetcher.failWith = () => wechatError(40001, 'invalid credential, access_token is invalid or not latest', '/cgi-bin/token', 'token');
    await expect(hub.getAccessToken(APP)).rejects.toMatchObject({ code: 'credentials_rejected', status: 502 });
    await Promise.all(Array.from({ length: 50 }, () => hub.getAccessToken(APP).catch(() => undefined)));
    await clock.advance(24 * HOUR);
    expect(fetcher.count(APP)).toBe(1);
    const status = (await hub.listApps())[0]!;
    expect(status).toMatchObject({ state: 'failed', lastError: { code: 'credentials_rejected', errcode: 40001 } });
    expect(JSON.stringify(status)).not.toContain('s3cret');
  });

  it('clears the failed state when the secret is changed', async () => {
    const { hub, fetcher } = await setup();
    fetcher.failWith = () => wechatError(40125, 'invalid appsecret', '/cgi-bin/token', 'token');
    fetcher.failTimes = 1;
    await expect(hub.getAccessToken(APP)).rejects.toMatchObject({ code: 'credentials_rejected' });
    await hub.putApp(APP, { secret: 'fixed', grant: 'classic' });
    expect((await hub.getAccessToken(APP)).token).toMatch(/^tok-/);
    expect(fetcher.count(APP)).toBe(2);
  });

  it('waits for the Shanghai midnight after a daily quota error (45009)', async () => {
    const { hub, fetcher, clock } = await setup();
    fetcher.failWith = () => wechatError(45009, 'reach max api daily quota limit', '/cgi-bin/token', 'token');
    const err = await hub.getAccessToken(APP).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'quota_exhausted', status: 503 });
    const midnight = nextShanghaiMidnight(clock.now());
    expect((err as { retryAfterSeconds: number }).retryAfterSeconds).toBeGreaterThanOrEqual(Math.floor((midnight - clock.now()) / 1000));
    await clock.advance(midnight - clock.now() - 1);
    expect(fetcher.count(APP)).toBe(1);
    fetcher.failWith = undefined;
    await clock.advance(61_000);
    expect(fetcher.count(APP)).toBe(2);
    expect((await hub.listApps())[0]!.state).toBe('ok');
  });

  it('waits for the next minute after a per-minute quota error (45011)', async () => {
    const { hub, fetcher, clock } = await setup({ grant: 'stable' });
    fetcher.failWith = () => wechatError(45011, 'api minute-quota reach limit', '/cgi-bin/stable_token', 'token');
    fetcher.failTimes = 1;
    await expect(hub.getAccessToken(APP)).rejects.toMatchObject({ code: 'quota_exhausted' });
    await clock.advance(62_000);
    expect(fetcher.count(APP)).toBe(2);
  });
});

describe('Hub: compare-and-invalidate', () => {
  it('refreshes once for 200 concurrent reports of the current token, not at all for an old one', async () => {
    const { hub, fetcher } = await setup();
    const first = await hub.getAccessToken(APP);
    const results = await Promise.all(Array.from({ length: 200 }, () => hub.invalidate(APP, first.token)));
    expect(fetcher.count(APP)).toBe(2);
    expect(new Set(results.map((r) => r.token)).size).toBe(1);
    expect(results[0]!.token).not.toBe(first.token);
    await hub.invalidate(APP, first.token);
    expect(fetcher.count(APP)).toBe(2);
  });

  it('emits invalidated events telling refreshing reports from stale ones', async () => {
    const { hub } = await setup();
    const seen: string[] = [];
    hub.events.on('invalidated', (e) => seen.push(`${e.kind}:${e.result}`));
    const first = await hub.getAccessToken(APP);
    await hub.invalidate(APP, first.token);
    await hub.invalidate(APP, first.token);
    expect(seen).toEqual(['access_token:refreshed', 'access_token:stale']);
  });

  it('stable grant: tries normal mode first, and only forces when WeChat still hands back the reported token', async () => {
    const { hub, fetcher } = await setup({ grant: 'stable' });
    const first = await hub.getAccessToken(APP);
    const next = await hub.invalidate(APP, first.token);
    expect(fetcher.calls.map((c) => c.force)).toEqual([false, false, true]);
    expect(next.token).not.toBe(first.token);
  });

  it('stable grant: no force refresh within 30 s of the previous one; a report inside the window waits for it', async () => {
    // Reports follow one another within seconds here: the invalidation floor (tested on its own) is off.
    const { hub, fetcher, clock } = await setup({ grant: 'stable', invalidationFloorMs: 0 });
    const first = await hub.getAccessToken(APP);
    const second = await hub.invalidate(APP, first.token);
    const forcedAt = fetcher.calls.filter((c) => c.force).map((c) => c.at);
    await clock.advance(10_000);
    const pending = hub.invalidate(APP, second.token);
    await clock.advance(5_000);
    expect(fetcher.count(APP, { force: true })).toBe(1);
    await clock.advance(20_000);
    const third = await pending;
    const forces = fetcher.calls.filter((c) => c.force).map((c) => c.at);
    expect(forces).toHaveLength(2);
    expect(forces[1]! - forcedAt[0]!).toBeGreaterThanOrEqual(30_000);
    expect(third.token).not.toBe(second.token);
  });

  it('stable grant: the spacing counts from when a force call returned, so a slow call cannot bring the next inside the window', async () => {
    const clock = new ManualClock(Date.UTC(2026, 5, 1, 2, 0, 0));
    const returnedAt: number[] = [];
    // Each force call takes 4 s: WeChat may have seen it at any moment until it returned.
    const fetcher = new (class extends FakeFetcher {
      override async fetchToken(app: { appid: string; secret: string; grant: 'stable' | 'classic' }, options: { force: boolean }) {
        const token = await super.fetchToken(app, options);
        if (options.force) {
          await clock.advance(4_000);
          returnedAt.push(clock.now());
        }
        return token;
      }
    })(clock);
    // Reports follow one another within seconds here: the invalidation floor (tested on its own) is off.
    const { hub } = await setup({ grant: 'stable', clock, fetcher, invalidationFloorMs: 0 });
    const first = await hub.getAccessToken(APP);
    const second = await hub.invalidate(APP, first.token);
    const pending = hub.invalidate(APP, second.token);
    await clock.advance(40_000);
    await pending;
    const forces = fetcher.calls.filter((c) => c.force).map((c) => c.at);
    expect(forces).toHaveLength(2);
    expect(forces[1]! - returnedAt[0]!).toBeGreaterThanOrEqual(30_000);
  });

  it('stable grant: stops forcing after 20 force refreshes in a day', async () => {
    // Reports follow one another within seconds here: the invalidation floor (tested on its own) is off.
    const { hub, fetcher, clock } = await setup({ grant: 'stable', invalidationFloorMs: 0 });
    let token = (await hub.getAccessToken(APP)).token;
    for (let i = 0; i < 25; i++) {
      token = (await hub.invalidate(APP, token)).token;
      await clock.advance(31_000);
    }
    expect(fetcher.count(APP, { force: true })).toBe(20);
    await expect(hub.refresh(APP)).rejects.toMatchObject({ code: 'quota_exhausted' });
    // With no force left today, further reports of the current token cost no upstream call at all.
    const calls = fetcher.calls.length;
    const again = await Promise.all(Array.from({ length: 10 }, () => hub.invalidate(APP, token)));
    expect(again.every((t) => t.token === token)).toBe(true);
    expect(fetcher.calls.length).toBe(calls);
  });

  it('stable grant: WeChat refusing a force (45009) limits force mode only, not normal refreshes', async () => {
    const { hub, fetcher, clock } = await setup({ grant: 'stable' });
    const first = await hub.getAccessToken(APP);
    const realFetch = fetcher.fetchToken.bind(fetcher);
    fetcher.fetchToken = async (app, options) => {
      if (options.force) throw wechatError(45009, 'reach max api daily quota limit', '/cgi-bin/stable_token', 'token');
      return realFetch(app, options);
    };
    expect((await hub.invalidate(APP, first.token)).token).toBe(first.token);
    expect((await hub.listApps())[0]).toMatchObject({ state: 'ok', lastError: null });
    const before = fetcher.calls.length;
    await clock.advance(7_200_000 - 1);
    expect(fetcher.calls.length).toBe(before + 1); // the scheduled normal-mode refresh still ran
    expect((await hub.getAccessToken(APP)).token).not.toBe(first.token);
  });

  it('stable grant: an operator refresh of an app without a token uses normal mode, spending no force', async () => {
    const { hub, fetcher } = await setup({ grant: 'stable' });
    fetcher.failWith = () => wechatError(40125, 'invalid appsecret', '/cgi-bin/stable_token', 'token');
    fetcher.failTimes = 1;
    await expect(hub.getAccessToken(APP)).rejects.toMatchObject({ code: 'credentials_rejected' });
    await hub.refresh(APP);
    expect(fetcher.calls.map((c) => c.force)).toEqual([false, false]);
  });

  it('a forced refresh by an operator replaces the token (stable: force mode)', async () => {
    const { hub, fetcher } = await setup({ grant: 'stable' });
    const first = await hub.getAccessToken(APP);
    const next = await hub.refresh(APP);
    expect(next.token).not.toBe(first.token);
    expect(fetcher.calls.at(-1)!.force).toBe(true);
  });
});

describe('Hub: persistence and several instances', () => {
  it('a restarted hub with a valid stored token makes no upstream call', async () => {
    const clock = new ManualClock();
    const store = await createTestStore(clock);
    const a = await setup({ clock, store });
    await a.hub.putApp(APP, { secret: 's', grant: 'classic' });
    const first = await a.hub.getAccessToken(APP);
    await a.hub.stop();
    const fetcher = new FakeFetcher(clock);
    const b = await setup({ clock, store, fetcher, prefetch: true });
    await clock.advance(1_000);
    expect((await b.hub.getAccessToken(APP)).token).toBe(first.token);
    expect(fetcher.calls).toHaveLength(0);
  });

  it('two hubs on one store fetch once and both serve the result', async () => {
    const clock = new ManualClock();
    const store = await createTestStore(clock);
    const fetcher = new FakeFetcher(clock);
    const a = await setup({ clock, store, fetcher });
    const b = await setup({ clock, store, fetcher, waitPollMs: 50 });
    await a.hub.putApp(APP, { secret: 's', grant: 'classic' });
    const gate = deferred();
    fetcher.gate = gate.promise;
    const pa = a.hub.getAccessToken(APP);
    await clock.advance(10);
    const pb = b.hub.getAccessToken(APP);
    await clock.advance(10);
    gate.resolve();
    await clock.advance(100);
    const [ta, tb] = await Promise.all([pa, pb]);
    expect(ta.token).toBe(tb.token);
    expect(fetcher.count(APP)).toBe(1);
    // Scheduled refreshes race for the lease too: still one fetch per lifetime.
    await clock.advance(7_200_000);
    expect(fetcher.count(APP)).toBe(2);
    expect((await a.hub.getAccessToken(APP)).token).toBe((await b.hub.getAccessToken(APP)).token);
  });

  it("re-reads everything when the store signals resync (its event feed came back after losing events)", async () => {
    const clock = new ManualClock();
    const shared = await createTestStore(clock);
    const lossy = lossyFeed(shared);
    const { hub } = await setup({ clock, store: lossy.store });
    await hub.putApp(APP, { secret: 's', grant: 'classic' });
    const other = await setup({ clock, store: shared });
    await other.hub.putApp('wx00000000000000ff', { secret: 's', grant: 'stable' });
    expect((await hub.listApps()).map((a) => a.appid)).toEqual([APP]);
    lossy.deliver({ type: 'resync' });
    await clock.advance(0);
    expect((await hub.listApps()).map((a) => a.appid).sort()).toEqual([APP, 'wx00000000000000ff'].sort());
  });

  it('a resync reads every principal and credential in bulk, never one credential at a time', async () => {
    const clock = new ManualClock();
    const shared = await createTestStore(clock);
    const calls = new Map<string, number>();
    const counted = callReporting(shared, (name) => calls.set(name, (calls.get(name) ?? 0) + 1));
    const writer = await setup({ clock, store: shared });
    const apps = Array.from({ length: 50 }, (_, i) => `wx${i.toString(16).padStart(16, '0')}`);
    for (const appid of apps) await writer.hub.putApp(appid, { secret: 's', grant: 'classic' });
    for (const appid of apps) await writer.hub.getAccessToken(appid);
    const { hub } = await setup({ clock, store: counted, healthCheckMs: 5_000, resyncIntervalMs: 60_000 });
    expect((await hub.listApps()).filter((a) => a.state === 'ok')).toHaveLength(50);
    calls.clear();
    await clock.advance(62_000);
    expect(calls.get('getCredential') ?? 0).toBe(0);
    expect(calls.get('listCredentials')).toBe(1);
    expect(calls.get('listPrincipals')).toBe(1);
  });

  it('a resync re-reads tracked authorizers at most lazyResyncLimit at a time, in turn, and never the untracked ones', async () => {
    const clock = new ManualClock();
    const shared = await createTestStore(clock);
    const asked: string[][] = [];
    const counted = callReporting(shared, (name, args) => {
      if (name !== 'listPrincipals') return;
      const filter = args[0] as { ids?: string[]; types?: string[] } | undefined;
      expect(filter).toBeDefined();
      if (filter?.ids) asked.push([...filter.ids]);
      else expect(filter?.types).not.toContain('authorizer');
    });
    const now = clock.now();
    const ids = Array.from({ length: 5 }, (_, i) => `component:wxc0000000000000c1/wxa00000000000000${i}`);
    for (const id of [...ids, 'component:wxc0000000000000c1/wxa0000000000000ff']) {
      await shared.putPrincipal({ id, type: 'authorizer', attributes: { status: 'active' }, secrets: {}, createdAt: now, updatedAt: now });
    }
    const { hub } = await setup({ clock, store: counted, healthCheckMs: 5_000, resyncIntervalMs: 60_000, lazyResyncLimit: 2 });
    // Tracked on first use (the token fetch fails: no component; what matters is the tracking).
    for (const id of ids) await hub.open.authorizerToken('wxc0000000000000c1', id.split('/')[1]!).catch(() => undefined);
    asked.length = 0;
    for (let pass = 0; pass < 3; pass++) await clock.advance(61_000);
    expect(asked.map((batch) => batch.length)).toEqual([2, 2, 2]);
    // Three resyncs of two cover all five tracked ones, in turn; the untracked one is never read.
    expect(new Set(asked.flat())).toEqual(new Set(ids));
  });

  it('a resync signalled while the store still fails keeps the hub unhealthy: the outage is logged once', async () => {
    const clock = new ManualClock();
    const lossy = lossyFeed(await createTestStore(clock));
    const warnings: string[] = [];
    const logger = { info: () => {}, warn: (_obj: object, msg: string) => warnings.push(msg), error: () => {} };
    const { hub } = await setup({ clock, store: lossy.store, logger });
    lossy.failing = true;
    expect(await hub.isReady()).toBe(false);
    lossy.deliver({ type: 'resync' });
    await clock.advance(0);
    expect(warnings.filter((m) => /unreachable/.test(m))).toHaveLength(1);
  });

  it('takes over when the lease holder dies mid-refresh, once its lease expires', async () => {
    const clock = new ManualClock();
    const store = await createTestStore(clock);
    const deadFetcher = new FakeFetcher(clock);
    const dead = deferred();
    deadFetcher.gate = dead.promise; // does not answer while the test runs
    // The holder's process is as good as killed: once its fetch is under way nothing it sends reaches the store,
    // its lease renewals included.
    const frozen = freezable(store);
    deadFetcher.onCall = () => frozen.freeze();
    const a = await setup({ clock, store: frozen.store, fetcher: deadFetcher, leaseTtlMs: 5_000 });
    const liveFetcher = new FakeFetcher(clock);
    const b = await setup({ clock, store, fetcher: liveFetcher, leaseTtlMs: 5_000, waitPollMs: 100 });
    await a.hub.putApp(APP, { secret: 's', grant: 'classic' });
    void a.hub.getAccessToken(APP).catch(() => undefined);
    await clock.advance(10);
    let got: string | undefined;
    const pending = b.hub.getAccessToken(APP).then((t) => (got = t.token));
    await clock.advance(4_000);
    expect(got).toBeUndefined();
    expect(liveFetcher.calls).toHaveLength(0);
    await clock.advance(1_200);
    await pending;
    expect(got).toMatch(/^tok-/);
    expect(liveFetcher.calls).toHaveLength(1);
    frozen.thaw();
    dead.resolve(); // let the stalled holder finish so its hub can stop; its late write loses the compare-and-set
    await clock.advance(10);
    expect((await a.hub.getAccessToken(APP)).token).toBe(got);
  });

  it('enforces the stable force spacing across instances: the log lives in the shared record', async () => {
    const clock = new ManualClock();
    const store = await createTestStore(clock);
    const fetcher = new FakeFetcher(clock);
    // Reports follow one another within seconds here: the invalidation floor (tested on its own) is off.
    const a = await setup({ clock, store, fetcher, invalidationFloorMs: 0 });
    const b = await setup({ clock, store, fetcher, waitPollMs: 100, invalidationFloorMs: 0 });
    await a.hub.putApp(APP, { secret: 's', grant: 'stable' });
    const first = await a.hub.getAccessToken(APP);
    const second = await a.hub.invalidate(APP, first.token);
    await clock.advance(10_000);
    const pending = b.hub.invalidate(APP, second.token);
    await clock.advance(15_000);
    expect(fetcher.count(APP, { force: true })).toBe(1);
    await clock.advance(6_000);
    await pending;
    const forces = fetcher.calls.filter((c) => c.force).map((c) => c.at);
    expect(forces).toHaveLength(2);
    expect(forces[1]! - forces[0]!).toBeGreaterThanOrEqual(30_000);
  });

  it('picks up apps and keys written by another process without a restart', async () => {
    const clock = new ManualClock();
    const store = await createTestStore(clock);
    const a = await setup({ clock, store });
    const b = await setup({ clock, store });
    await a.hub.putApp(APP2, { secret: 'x', grant: 'stable' });
    const key = await a.hub.createClientKey('svc', [APP2]);
    await clock.advance(1_000);
    expect((await b.hub.listApps()).map((s) => s.appid)).toEqual([APP2]);
    expect(b.hub.authenticate(key)?.name).toBe('svc');
    await a.hub.revokeClientKey('svc');
    await a.hub.removeApp(APP2);
    await clock.advance(1_000);
    expect(b.hub.authenticate(key)).toBeNull();
    expect(await b.hub.listApps()).toEqual([]);
  });
});

describe('Hub: lifecycle', () => {
  it('without background work (CLI commands) it fetches on demand only, never on timers', async () => {
    const { hub, fetcher, clock } = await setup({ background: false });
    await hub.getAccessToken(APP);
    await clock.advance(3 * 7_200_000);
    expect(fetcher.count(APP)).toBe(1);
    expect(clock.pendingTimers).toBe(0);
  });

  it('stop waits for a refresh in progress, so its token is stored before the store closes', async () => {
    const { hub, fetcher, store } = await setup();
    const gate = deferred();
    fetcher.gate = gate.promise;
    const pending = hub.getAccessToken(APP);
    const stopped = hub.stop();
    let done = false;
    void stopped.then(() => (done = true));
    await new Promise((r) => setImmediate(r));
    expect(done).toBe(false);
    gate.resolve();
    await stopped;
    const token = (await pending).token;
    expect((await store.getCredential(`${APP}:access_token`))?.token).toBe(token);
  });
});

describe('Hub: apps, secrets and keys', () => {
  it('verifies secrets in constant time against the sealed copy and never stores plaintext', async () => {
    const { hub, store } = await setup();
    expect(await hub.verifySecret(APP, 's3cret')).toBe(true);
    expect(await hub.verifySecret(APP, 's3cre')).toBe(false);
    expect(await hub.verifySecret(APP2, 's3cret')).toBe(false);
    expect(JSON.stringify(await store.getPrincipal(APP))).not.toContain('s3cret');
  });

  it('hands the AppSecret to one call at a time, unsealed from the store record, and refuses unknown apps', async () => {
    const { hub, store } = await setup();
    expect(await hub.withAppSecret(APP, async (secret) => `used ${secret}`)).toBe('used s3cret');
    await hub.putApp(APP, { secret: 'n3w', grant: 'stable' });
    // Never a cached plaintext: the next call sees the changed secret.
    expect(await hub.withAppSecret(APP, async (secret) => secret)).toBe('n3w');
    let called = false;
    await expect(hub.withAppSecret(APP2, async () => (called = true))).rejects.toMatchObject({ code: 'app_not_found' });
    await expect(hub.withAppSecret('../etc', async () => (called = true))).rejects.toMatchObject({ code: 'app_not_found' });
    expect(called).toBe(false);
    expect(JSON.stringify(await store.getPrincipal(APP))).not.toContain('n3w');
  });

  it('creates login-only keys that may make login calls and nothing else', async () => {
    const { hub } = await setup();
    const key = await hub.createClientKey('login', [APP], { loginOnly: true });
    expect(hub.authenticate(key)).toEqual({ name: 'login', scopes: [APP], capabilities: ['login'] });
    await expect(hub.createClientKey('both', [APP], { loginOnly: true, signOnly: true })).rejects.toMatchObject({ code: 'invalid_request' });
  });

  it('validates app input', async () => {
    const { hub } = await setup();
    await expect(hub.putApp('wx12', { secret: 'a', grant: 'stable' })).rejects.toMatchObject({ code: 'invalid_request' });
    await expect(hub.putApp(APP2, { secret: '', grant: 'stable' })).rejects.toMatchObject({ code: 'invalid_request' });
    await expect(hub.putApp(APP2, { secret: 'a', grant: 'other' as 'stable' })).rejects.toMatchObject({ code: 'invalid_request' });
    expect(await hub.putApp(APP2, { secret: 'a', grant: 'stable' })).toEqual({ created: true });
    expect(await hub.putApp(APP2, { secret: 'b', grant: 'stable' })).toEqual({ created: false });
  });

  it('creates scoped client keys, stores only their hash, and rejects duplicates', async () => {
    const { hub, store } = await setup();
    const key = await hub.createClientKey('billing', [APP]);
    expect(key).toMatch(/^wxt_[A-Za-z0-9_-]{43}$/);
    expect(hub.authenticate(key)).toEqual({ name: 'billing', scopes: [APP], capabilities: ['read-token', 'sign', 'login'] });
    expect(hub.authenticate(key + 'x')).toBeNull();
    expect(JSON.stringify(await store.listClientKeys())).not.toContain(key);
    await expect(hub.createClientKey('billing', ['*'])).rejects.toMatchObject({ code: 'conflict' });
    await expect(hub.createClientKey('bad name', ['*'])).rejects.toMatchObject({ code: 'invalid_request' });
    expect(await hub.listClientKeys()).toEqual([
      { name: 'billing', apps: [APP], capabilities: ['read-token', 'sign', 'login'], createdAt: expect.any(Number), expiresAt: null, lastUsedAt: expect.any(Number) },
    ]);
  });
});

describe('Hub: client key last use', () => {
  it('writes last-used times on its periodic tick, at most once a minute per key, and the rest when it stops', async () => {
    const { hub, store, clock } = await setup({ healthCheckMs: 5_000 });
    const key = await hub.createClientKey('svc', [APP]);
    const t0 = clock.now();
    for (let i = 0; i < 100; i++) hub.authenticate(key);
    expect((await store.listClientKeys())[0]?.lastUsedAt).toBeNull(); // no write on the request path
    // The tick times the uses it collects (the resolution documented in docs/keys.md) and writes them.
    await clock.advance(5_000);
    await eventually(async () => expect((await store.listClientKeys())[0]?.lastUsedAt).toBe(t0 + 5_000));
    await clock.advance(10_000);
    hub.authenticate(key);
    await clock.advance(5_000);
    expect((await store.listClientKeys())[0]?.lastUsedAt).toBe(t0 + 5_000); // within the minute: not written yet
    expect((await hub.listClientKeys())[0]?.lastUsedAt).toBe(t0 + 20_000); // but listed by this instance
    await hub.stop();
    expect((await store.listClientKeys())[0]?.lastUsedAt).toBe(t0 + 20_000);
  });
});
