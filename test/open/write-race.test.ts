import { afterEach, describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { Hub } from '../../src/core/hub.js';
import { authorizerInfo } from '../../src/core/open-platform/authorizer-records.js';
import { authorizerId, REFRESH_HISTORY_SECRET, REFRESH_TOKEN_SECRET } from '../../src/core/open-platform/ids.js';
import { parseRefreshHistory } from '../../src/core/open-platform/refresh-token.js';
import { createMemoryStore } from '../../src/stores/memory/index.js';
import { systemClock } from '../../src/util/clock.js';
import { openStore } from '../../src/stores/open-store.js';
import type { PrincipalRecord, Store } from '../../src/stores/store.js';
import { FakeComponentFetcher } from '../support/fake-component-fetcher.js';
import { testSealer } from '../support/hub-harness.js';
import { distributedStores, requireStore } from '../support/hub-process.js';
import { tempDir } from '../support/stack.js';

const C = 'wxc0000000000000c1';
const AES_KEY = 'abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG';
/** How long the first writer holds back its write, giving the second every chance to slip in between. */
const HOLD_MS = 300;

/** Two handles on one store, as two instances have; `cleanup` closes them and removes what the test made. */
interface SharedStore {
  readonly name: string;
  open(): Promise<{ a: Store; b: Store; cleanup: () => Promise<void> }>;
  /** Skips outside CI when the server is unreachable; fails under CI=true. */
  require?(skip: (note?: string) => never): Promise<void>;
}

const STORES: SharedStore[] = [
  {
    name: 'memory',
    async open() {
      const store = createMemoryStore();
      return { a: store, b: store, cleanup: () => store.close() };
    },
  },
  {
    name: 'SQLite',
    async open() {
      const { dir, cleanup } = await tempDir();
      const url = `sqlite:${join(dir, 'race.db')}`;
      const a = await openStore(url);
      const b = await openStore(url);
      return { a, b, cleanup: async () => (await Promise.all([a.close(), b.close()]), await cleanup()) };
    },
  },
  ...distributedStores().map(
    (d): SharedStore => ({
      name: d.name,
      require: (skip) => requireStore(d, skip),
      async open() {
        const { url, cleanup } = await d.isolatedUrl();
        const a = await openStore(url);
        const b = await openStore(url);
        return { a, b, cleanup: async () => (await Promise.all([a.close(), b.close()]), await cleanup()) };
      },
    }),
  ),
];

/**
 * Hubs A and B on their handles of one store, with a component and its one authorizer (adopted from the list by B,
 * so that nothing A's handle intercepts runs before the test arms it); returns the authorizer as stored.
 */
async function twoInstances(
  storeA: Store,
  storeB: Store,
  fetcher: FakeComponentFetcher,
  appid: string,
  cleanups: Array<() => Promise<void>>,
  tuning: { leaseTtlMs?: number } = {},
): Promise<{ hubA: Hub; hubB: Hub; principal: PrincipalRecord }> {
  const start = async (store: Store): Promise<Hub> => {
    const hub = new Hub({ store, secrets: testSealer, fetcher, background: false, ...tuning });
    await hub.start();
    cleanups.push(() => hub.stop());
    return hub;
  };
  const hubA = await start(storeA);
  const hubB = await start(storeB);
  await hubB.open.putComponent(C, { secret: 'component-secret', messageToken: 'tok123', aesKey: AES_KEY });
  await hubB.open.verifyTickets.offer(C, { ticket: 'ticket@@@1', createdAt: Date.now(), receivedAt: Date.now() });
  expect((await hubB.open.reconcile(C)).adopted).toEqual([appid]);
  await Promise.all([hubA.open.componentToken(C), hubB.open.componentToken(C)]);
  return { hubA, hubB, principal: (await storeB.getPrincipal(authorizerId(C, appid)))! };
}

/** Where an intercepted store call waits until the test opens it; `reached` once the first call got there. */
class Gate {
  #reach!: () => void;
  #open!: () => void;
  readonly reached = new Promise<void>((resolve) => (this.#reach = resolve));
  readonly #opened = new Promise<void>((resolve) => (this.#open = resolve));

  pass(): Promise<void> {
    this.#reach();
    return this.#opened;
  }

  open(): void {
    this.#open();
  }
}

/** `store` with some of its methods replaced, the others its own. */
function intercept(store: Store, overrides: Partial<Store>): Store {
  return new Proxy(store, {
    get(target, name) {
      const value: unknown = Reflect.get(name in overrides ? overrides : target, name);
      return typeof value === 'function' && !(name in overrides) ? value.bind(target) : value;
    },
  });
}

/**
 * What one instance (A) does to an authorizer, what another (B) does meanwhile, and what must survive both. A's
 * store write of the principal is held back until B has finished or HOLD_MS passed: without a fleet-wide write
 * lease B reads, decides and writes in that gap and A then overwrites it with a record decided before B's write
 * (the lost update); with the lease B waits, reads what A wrote, and writes on top of it.
 */
interface Scenario {
  readonly name: string;
  a(hub: Hub, principal: PrincipalRecord, fetcher: FakeComponentFetcher): Promise<unknown>;
  b(hub: Hub, principal: PrincipalRecord, fetcher: FakeComponentFetcher): Promise<unknown>;
  check(final: { status: string; reason: string; token: string | undefined; history: string[] }): void;
}

const SCENARIOS: Scenario[] = [
  {
    name: 'a list repair on A and an authorization-code exchange on B',
    a: (hub, principal, fetcher) => {
      fetcher.refreshTokens.set(String(principal.attributes.appid), 'refreshtoken@@@listed');
      return hub.open.repairRefreshToken(principal);
    },
    b: (hub, principal, fetcher) => {
      fetcher.codes.set('queryauthcode@@@race', { authorizerAppid: String(principal.attributes.appid), refreshToken: 'refreshtoken@@@exchanged' });
      return hub.open.exchangeAuthCode(C, 'queryauthcode@@@race', 'event');
    },
    check(final) {
      // Both values are in the history (newest first), the exchange's being the later write.
      expect(final.history.slice(0, 2)).toEqual(['refreshtoken@@@exchanged', 'refreshtoken@@@listed']);
      expect(final.token).toBe('refreshtoken@@@exchanged');
      expect(final).toMatchObject({ status: 'active', reason: 'authorized (event)' });
    },
  },
  {
    name: 'a refresh-token change on A and a status change on B',
    a: (hub, principal) => hub.open.refreshTokenChanged(principal, 'refreshtoken@@@refreshed'),
    b: (hub, principal) => hub.open.statusChanged(principal, 'frozen', 'WeChat answered 50002'),
    check(final) {
      expect(final).toMatchObject({ status: 'frozen', reason: 'WeChat answered 50002', token: 'refreshtoken@@@refreshed' });
      expect(final.history[0]).toBe('refreshtoken@@@refreshed');
    },
  },
  {
    name: 'a revocation on A and a refresh-token change on B',
    a: (hub, principal) => hub.open.revoke(C, String(principal.attributes.appid), 'the merchant cancelled the authorization (unauthorized event)'),
    b: (hub, principal) => hub.open.refreshTokenChanged(principal, 'refreshtoken@@@refreshed'),
    check(final) {
      expect(final).toMatchObject({ status: 'unauthorized', token: 'refreshtoken@@@refreshed' });
      expect(final.history[0]).toBe('refreshtoken@@@refreshed');
    },
  },
];

/** What a writer paused past its lease was doing, and the store call it was about to make. */
interface FrozenWriter {
  readonly name: string;
  readonly freezesAt: 'putPrincipal' | 'deletePrincipal';
  a(hub: Hub, principal: PrincipalRecord): Promise<unknown>;
}

const FROZEN_WRITERS: FrozenWriter[] = [
  { name: 'a refresh-token change', freezesAt: 'putPrincipal', a: (hub, principal) => hub.open.refreshTokenChanged(principal, 'refreshtoken@@@frozen-writer') },
  { name: 'a revocation', freezesAt: 'deletePrincipal', a: (hub, principal) => hub.open.revoke(C, String(principal.attributes.appid), 'the merchant cancelled the authorization (unauthorized event)') },
];

describe.each(STORES)('concurrent writes of one authorizer from two instances on $name', (shared) => {
  const cleanups: Array<() => Promise<void>> = [];
  afterEach(async () => {
    for (const c of cleanups.splice(0).reverse()) await c();
  });

  /** The store's two handles and an authorizer the fake WeChat knows. */
  async function prepare(skip: (note?: string) => never) {
    await shared.require?.(skip);
    const { a: storeA, b: storeB, cleanup } = await shared.open();
    cleanups.push(cleanup);
    const fetcher = new FakeComponentFetcher(systemClock);
    const appid = fetcher.authorize(1)[0]!;
    return { storeA, storeB, fetcher, appid, id: authorizerId(C, appid) };
  }

  it.for(SCENARIOS)('$name: both updates survive', { timeout: 20_000 }, async (scenario, ctx) => {
    const { storeA, storeB, fetcher, appid, id } = await prepare(ctx.skip);

    // A's store holds back A's first write of the authorizer until the gate opens.
    let armed = false;
    const gate = new Gate();
    const holdingA = intercept(storeA, {
      async putPrincipal(record, ifUnchanged) {
        if (armed && record.id === id) {
          armed = false;
          await gate.pass();
        }
        return storeA.putPrincipal(record, ifUnchanged);
      },
    });

    const { hubA, hubB, principal } = await twoInstances(holdingA, storeB, fetcher, appid, cleanups);

    armed = true;
    const aDone = scenario.a(hubA, principal, fetcher);
    await gate.reached;
    const bDone = scenario.b(hubB, principal, fetcher);
    await Promise.race([bDone.catch(() => undefined), new Promise((r) => setTimeout(r, HOLD_MS))]);
    gate.open();
    await Promise.all([aDone, bDone]);

    const stored = (await storeB.getPrincipal(id))!;
    const info = authorizerInfo(stored);
    scenario.check({
      status: info.status,
      reason: info.reason,
      token: await hubB.principalSecret(id, REFRESH_TOKEN_SECRET),
      history: parseRefreshHistory(await hubB.principalSecret(id, REFRESH_HISTORY_SECRET)).map((h) => h.value),
    });
  });

  it.for(FROZEN_WRITERS)(
    'a writer paused past its write lease ($name) is refused by the store: the writes made meanwhile survive',
    { timeout: 20_000 },
    async (writer, ctx) => {
      const { storeA, storeB, fetcher, appid, id } = await prepare(ctx.skip);
      const leaseTtlMs = 300;

      // A freezes after checking that it holds the lease and before its write reaches the store, as a long GC pause
      // or a stopped VM would: that write and its lease renewals wait until the gate opens.
      let frozen = false;
      const gate = new Gate();
      const freezeAt = async (method: FrozenWriter['freezesAt'], principalId: string): Promise<void> => {
        if (method !== writer.freezesAt || principalId !== id || frozen) return;
        frozen = true;
        await gate.pass();
      };
      const freezingA = intercept(storeA, {
        async putPrincipal(record, ifUnchanged) {
          await freezeAt('putPrincipal', record.id);
          return storeA.putPrincipal(record, ifUnchanged);
        },
        async deletePrincipal(principalId, ifUnchanged) {
          await freezeAt('deletePrincipal', principalId);
          return storeA.deletePrincipal(principalId, ifUnchanged);
        },
        async acquireLease(lease, owner, ttlMs) {
          if (frozen && lease.endsWith(id)) await gate.pass();
          return storeA.acquireLease(lease, owner, ttlMs);
        },
      });

      const { hubA, hubB, principal } = await twoInstances(freezingA, storeB, fetcher, appid, cleanups, { leaseTtlMs });
      const tokenKey = `${id}:authorizer_token`;
      await hubB.open.authorizerToken(C, appid);

      const aDone = writer.a(hubA, principal).then(
        () => 'written',
        (err: unknown) => err,
      );
      await gate.reached;
      // A's lease lapses (no renewal reaches the store); B takes it, reads, decides and writes.
      await hubB.open.statusChanged(principal, 'frozen', 'WeChat answered 50002');
      await hubB.open.refreshTokenChanged(principal, 'refreshtoken@@@b');
      gate.open();
      expect(await aDone).toMatchObject({ name: 'PrincipalBusyError', message: expect.stringMatching(/changed by another writer since it was read/) });

      const stored = (await storeB.getPrincipal(id))!;
      expect(authorizerInfo(stored)).toMatchObject({ status: 'frozen', reason: 'WeChat answered 50002' });
      expect(await hubB.principalSecret(id, REFRESH_TOKEN_SECRET)).toBe('refreshtoken@@@b');
      const history = parseRefreshHistory(await hubB.principalSecret(id, REFRESH_HISTORY_SECRET)).map((h) => h.value);
      expect(history[0]).toBe('refreshtoken@@@b');
      expect(history).not.toContain('refreshtoken@@@frozen-writer');
      // Nothing of B's was removed either: the authorizer's stored token is still there.
      expect(await storeB.getCredential(tokenKey)).not.toBeNull();
    },
  );
});
