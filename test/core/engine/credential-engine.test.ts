import { afterEach, describe, expect, it } from 'vitest';
import { ManualClock } from '../../../src/util/clock.js';
import type { CredentialRecord, Store } from '../../../src/stores/store.js';
import { deferred, FakeFetcher } from '../../support/fake-fetcher.js';
import { APP, hubHarness } from '../../support/hub-harness.js';
import { createTestStore } from '../../support/test-store.js';

const KEY = `${APP}:access_token`;
const HOUR = 3_600_000;
const { setup, stopAll } = hubHarness();

afterEach(stopAll);

/** A record of APP's token as the store holds it. */
function tokenRecord(store: Store): Promise<CredentialRecord | null> {
  return store.getCredential(KEY);
}

describe('engine: the lease step', () => {
  it('re-reads the record after taking the lease: a value another writer committed meanwhile is served, without a fetch or a write', async () => {
    const clock = new ManualClock(Date.UTC(2026, 5, 1, 2, 0, 0));
    const shared = await createTestStore(clock);
    await setup({ clock, store: shared }); // only registers nothing; the app is added below
    const writer = await setup({ clock, store: shared });
    await writer.hub.putApp(APP, { secret: 's3cret', grant: 'classic' });
    // Between this instance's acquireLease and its next read, another instance commits a fresh token.
    let injected = false;
    let writes = 0;
    const racing = new Proxy(shared, {
      get(target, name) {
        const value: unknown = Reflect.get(target, name);
        // Its event feed is slow: the other writer's event has not arrived when the lease is taken.
        if (name === 'subscribe') return () => Promise.resolve(() => Promise.resolve());
        if (name === 'putCredential' && typeof value === 'function') {
          return (...args: unknown[]) => {
            writes++;
            return value.apply(target, args) as unknown;
          };
        }
        if (name !== 'acquireLease' || typeof value !== 'function') return typeof value === 'function' ? value.bind(target) : value;
        return async (...args: unknown[]) => {
          const granted = (await value.apply(target, args)) as boolean;
          if (granted && !injected) {
            injected = true;
            const current = await target.getCredential(KEY);
            const fresh: CredentialRecord = {
              key: KEY, version: 0, token: 'written-by-another-instance', expiresAt: clock.now() + 2 * HOUR, obtainedAt: clock.now(),
              failure: null, state: null, pending: null, invalidations: 0,
            };
            await target.putCredential(fresh, current?.version ?? 0);
          }
          return granted;
        };
      },
    });
    const reader = await setup({ clock, store: racing });
    const got = await reader.hub.getAccessToken(APP);
    expect(injected).toBe(true);
    expect(got.token).toBe('written-by-another-instance');
    expect(reader.fetcher.calls).toHaveLength(0);
    // Without the re-read, the stale view would try to mark a refresh and lose the compare-and-set to the new value.
    expect(writes).toBe(0);
  });

  it('keeps its lease alive through a fetch longer than the lease TTL: no second instance fetches meanwhile', async () => {
    const clock = new ManualClock(Date.UTC(2026, 5, 1, 2, 0, 0));
    const store = await createTestStore(clock);
    const slow = new FakeFetcher(clock);
    const answer = deferred();
    slow.gate = answer.promise; // WeChat takes 10 s to answer: three lease TTLs
    const a = await setup({ clock, store, fetcher: slow, leaseTtlMs: 3_000 });
    await a.hub.putApp(APP, { secret: 's', grant: 'classic' });
    const b = await setup({ clock, store, leaseTtlMs: 3_000, waitPollMs: 100 });
    const fromA = a.hub.getAccessToken(APP);
    await clock.advance(1_000);
    const fromB = b.hub.getAccessToken(APP);
    await clock.advance(9_000);
    expect(b.fetcher.calls).toHaveLength(0);
    answer.resolve();
    await clock.advance(200);
    const [tokenA, tokenB] = await Promise.all([fromA, fromB]);
    expect(tokenB.token).toBe(tokenA.token);
    expect(slow.calls).toHaveLength(1);
    expect(b.fetcher.calls).toHaveLength(0);
  });
});

describe('engine: a refresh interrupted by a crash', () => {
  /** A store where a dead instance began refreshing APP's valid token `OLD` (WeChat may have replaced it since). */
  async function crashedMidRefresh(clock: ManualClock): Promise<Store> {
    const store = await createTestStore(clock);
    const seeded = await setup({ clock, store });
    await seeded.hub.putApp(APP, { secret: 's3cret', grant: 'classic' });
    const record: CredentialRecord = {
      key: KEY, version: 0, token: 'OLD', expiresAt: clock.now() + 2 * HOUR, obtainedAt: clock.now(),
      failure: null, state: null, pending: { owner: 'dead-instance', since: clock.now() }, invalidations: 0,
    };
    await store.putCredential(record, (await store.getCredential(KEY))?.version ?? 0);
    expect(await store.acquireLease(`refresh:${KEY}`, 'dead-instance', 3_000)).toBe(true);
    await seeded.hub.stop();
    return store;
  }

  it('is redone as soon as the dead holder’s lease lapses, while the old value is served meanwhile', async () => {
    const clock = new ManualClock(Date.UTC(2026, 5, 1, 2, 0, 0));
    const store = await crashedMidRefresh(clock);
    const { hub, fetcher } = await setup({ clock, store, background: true });
    const reasons: string[] = [];
    hub.events.on('refreshed', (e) => reasons.push(e.reason));
    expect((await hub.getAccessToken(APP)).token).toBe('OLD');
    await clock.advance(2_000);
    expect(fetcher.calls).toHaveLength(0);
    await clock.advance(1_500);
    expect(fetcher.calls).toHaveLength(1);
    expect(reasons).toEqual(['recovered']);
    const now = await hub.getAccessToken(APP);
    expect(now.token).not.toBe('OLD');
    expect((await tokenRecord(store))?.pending).toBeNull();
  });

  it('lets a report of the old value through within the lease TTL', async () => {
    const clock = new ManualClock(Date.UTC(2026, 5, 1, 2, 0, 0));
    const store = await crashedMidRefresh(clock);
    const { hub, fetcher } = await setup({ clock, store, waitPollMs: 100 });
    let replaced: string | undefined;
    const report = hub.invalidate(APP, 'OLD').then((t) => (replaced = t.token));
    await clock.advance(3_100);
    await report;
    expect(replaced).toMatch(/^tok-/);
    expect(fetcher.calls).toHaveLength(1);
  });

  it('marks the refresh in the store before WeChat is called, and clears the mark with the result', async () => {
    const { hub, fetcher, store } = await setup();
    const seen: Array<CredentialRecord['pending']> = [];
    fetcher.onCall = () => void tokenRecord(store).then((r) => seen.push(r?.pending ?? null));
    await hub.getAccessToken(APP);
    expect(seen).toHaveLength(1);
    expect(seen[0]).toMatchObject({ owner: expect.any(String) as string });
    expect((await tokenRecord(store))?.pending).toBeNull();
  });
});

describe('engine: the invalidation floor', () => {
  it('turns 2,000 reports of every new token in a few seconds into two fetches, refusing the rest with 429', async () => {
    const { hub, fetcher, clock } = await setup();
    let refused = 0;
    for (let i = 0; i < 2_000; i++) {
      const { token } = await hub.getAccessToken(APP);
      await hub.invalidate(APP, token).catch((err: { code?: string; status?: number; retryAfterSeconds?: number }) => {
        expect(err).toMatchObject({ code: 'invalidation_throttled', status: 429 });
        expect(err.retryAfterSeconds).toBeGreaterThan(0);
        refused++;
      });
      if (i % 100 === 0) await clock.advance(300);
    }
    expect(fetcher.count(APP)).toBe(2);
    expect(refused).toBe(1_999);
  });

  it('bounds report-driven refreshes over a whole day to a few dozen, far inside the daily quota', async () => {
    const { hub, fetcher, clock } = await setup();
    for (let t = 0; t < 24 * HOUR; t += 10_000) {
      const { token } = await hub.getAccessToken(APP);
      await hub.invalidate(APP, token).catch(() => undefined);
      await clock.advance(10_000);
    }
    // Scheduled refreshes (12 a day) reset the run; report-driven ones wait 1, 2, 4 … 32 min in between.
    expect(fetcher.count(APP)).toBeLessThan(100);
    expect(fetcher.count(APP)).toBeGreaterThan(12);
  });

  it('still heals at once when the first report after a scheduled refresh comes', async () => {
    const { hub, fetcher } = await setup();
    const first = await hub.getAccessToken(APP);
    const second = await hub.invalidate(APP, first.token);
    expect(second.token).not.toBe(first.token);
    expect(fetcher.count(APP)).toBe(2);
  });
});

describe('engine: adoption', () => {
  it('reports as adopted only what another instance refreshed, never its own refreshes', async () => {
    const clock = new ManualClock(Date.UTC(2026, 5, 1, 2, 0, 0));
    const store = await createTestStore(clock);
    const a = await setup({ clock, store });
    await a.hub.putApp(APP, { secret: 's3cret', grant: 'classic' });
    const b = await setup({ clock, store });
    const adoptedBy = { a: 0, b: 0 };
    a.hub.events.on('adopted', () => adoptedBy.a++);
    b.hub.events.on('adopted', () => adoptedBy.b++);
    const first = await a.hub.getAccessToken(APP);
    await a.hub.invalidate(APP, first.token);
    await clock.advance(10);
    expect(a.fetcher.count(APP)).toBe(2);
    expect(adoptedBy.a).toBe(0);
    expect(adoptedBy.b).toBe(2);
    expect((await b.hub.getAccessToken(APP)).token).toBe((await a.hub.getAccessToken(APP)).token);
  });
});
