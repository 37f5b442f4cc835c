/**
 * The one conformance suite every Store implementation must pass (memory, SQLite, Redis, PostgreSQL).
 * It only uses the Store contract in src/stores/store.ts, so it runs unchanged against any backend.
 *
 * Usage, in a backend's test file:
 *   describeStoreConformance('sqlite', async () => ({ store, peer, advance, cleanup }));
 * `setup` runs before every test and must return an EMPTY store (fresh file, database schema or key prefix).
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { StoreUnavailableError } from '../../src/errors/index.js';
import type { ClientKeyRecord, CredentialRecord, PrincipalRecord, Store, StoreEvent } from '../../src/stores/store.js';

/** What a backend's test file hands the suite for one test. */
export interface StoreHarness {
  /** An empty store. */
  store: Store;
  /** A second Store instance on the same backend (another process's view), or undefined for memory. */
  peer?: () => Promise<Store>;
  /**
   * Advances time for lease expiry and event polling: a ManualClock's advance for memory/SQLite; for stores that
   * judge time on the server (Redis, PostgreSQL) it really waits `ms`.
   */
  advance(ms: number): Promise<void>;
  /** Closes every store handed out (store and peers, idempotently) and removes the data. */
  cleanup(): Promise<void>;
}

/** How long (real time) the suite waits for an event to arrive before failing. */
const EVENT_WAIT_MS = 3_000;
/** Time advanced between checks while waiting for an event (drives polling stores on a ManualClock). */
const EVENT_STEP_MS = 100;
/** Short lease TTLs keep real-clock stores fast while leaving ≥ 100 ms of margin for scheduling jitter. */
const LEASE_TTL_MS = 400;

const T0 = Date.UTC(2026, 0, 1);

function app(appid: string, overrides: Partial<PrincipalRecord> = {}): PrincipalRecord {
  return { id: appid, type: 'app', attributes: { grant: 'stable' }, secrets: { secret: `v1.sealed-${appid}` }, createdAt: T0, updatedAt: T0, ...overrides };
}

function credential(key: string, overrides: Partial<CredentialRecord> = {}): CredentialRecord {
  return {
    key,
    version: 0,
    token: `token-${key}`,
    expiresAt: T0 + 7_200_000,
    obtainedAt: T0,
    failure: null,
    state: null,
    pending: null,
    invalidations: 0,
    ...overrides,
  };
}

function clientKey(name: string, overrides: Partial<ClientKeyRecord> = {}): ClientKeyRecord {
  return { name, hash: 'ab'.repeat(32), apps: ['*'], createdAt: T0, capabilities: null, expiresAt: null, lastUsedAt: null, ...overrides };
}

const byName = (a: ClientKeyRecord, b: ClientKeyRecord): number => a.name.localeCompare(b.name);

/** Registers the shared Store conformance tests under `describe(name)`. */
export function describeStoreConformance(name: string, setup: () => Promise<StoreHarness>): void {
  describe(`Store conformance: ${name}`, () => {
    let h: StoreHarness;
    let store: Store;
    let current: StoreHarness | undefined;

    beforeEach(async () => {
      current = h = await setup();
      store = h.store;
    });

    afterEach(async () => {
      // `current` is unset when setup failed, so a failed setup does not clean up the previous test twice.
      await current?.cleanup();
      current = undefined;
    });

    /** Collects events from a store until unsubscribed. */
    async function record(target: Store): Promise<{ events: StoreEvent[]; stop: () => Promise<void> }> {
      const events: StoreEvent[] = [];
      const stop = await target.subscribe((event) => events.push(event));
      return { events, stop };
    }

    /** Advances time in steps until `predicate` holds, failing after EVENT_WAIT_MS of real time. */
    async function waitFor(predicate: () => boolean, what: string): Promise<void> {
      const deadline = performance.now() + EVENT_WAIT_MS;
      while (!predicate()) {
        if (performance.now() > deadline) throw new Error(`timed out waiting for ${what}`);
        await h.advance(EVENT_STEP_MS);
        await new Promise((resolve) => setTimeout(resolve, 5));
      }
    }

    /** Lets any pending delivery happen (several poll intervals), for negative and exactly-once assertions. */
    async function settle(): Promise<void> {
      for (let i = 0; i < 6; i++) await h.advance(EVENT_STEP_MS);
      await new Promise((resolve) => setTimeout(resolve, 20));
    }

    describe('principals', () => {
      it('starts empty', async () => {
        expect(await store.listPrincipals()).toEqual([]);
        expect(await store.getPrincipal('wx0000000000000000')).toBeNull();
      });

      it('puts, gets and lists principals of every type with every field intact, in id order', async () => {
        const a = app('wx0000000000000001', { attributes: { grant: 'classic' }, createdAt: T0 + 1, updatedAt: T0 + 2 });
        const wecom: PrincipalRecord = {
          id: 'wecom:ww0123456789abcdef/1000002',
          type: 'wecom_agent',
          attributes: { corpid: 'ww0123456789abcdef', agentid: 1000002, contacts: false },
          secrets: { secret: 'v1.sealed-agent' },
          createdAt: T0 + 3,
          updatedAt: T0 + 4,
        };
        const component: PrincipalRecord = {
          id: 'component:wx00000000000000aa',
          type: 'component',
          attributes: {},
          secrets: { secret: 'v1.s', token: 'v1.t', aes_key: 'v1.k' },
          createdAt: T0,
          updatedAt: T0,
        };
        for (const p of [wecom, a, component]) await store.putPrincipal(p);
        expect(await store.getPrincipal(a.id)).toEqual(a);
        expect(await store.getPrincipal(wecom.id)).toEqual(wecom);
        expect(await store.listPrincipals()).toEqual([component, wecom, a]);
        // Filtered in the backend: by type, or by id (unknown and repeated ids are no error), each in id order.
        expect(await store.listPrincipals({ types: ['app', 'component'] })).toEqual([component, a]);
        expect(await store.listPrincipals({ types: ['authorizer'] })).toEqual([]);
        expect(await store.listPrincipals({ types: [] })).toEqual([]);
        expect(await store.listPrincipals({ ids: [a.id, 'wx00000000000000ff', wecom.id, a.id] })).toEqual([wecom, a]);
        expect(await store.listPrincipals({ ids: [] })).toEqual([]);
      });

      it('replaces a principal with the same id', async () => {
        await store.putPrincipal(app('wx0000000000000001'));
        const replaced = app('wx0000000000000001', { attributes: { grant: 'classic' }, secrets: { secret: 'v1.other' }, updatedAt: T0 + 5 });
        await store.putPrincipal(replaced);
        expect(await store.getPrincipal(replaced.id)).toEqual(replaced);
        expect(await store.listPrincipals()).toHaveLength(1);
      });

      it('writes a principal only if unchanged since read, when asked: by its updatedAt, or its absence', async () => {
        const id = 'component:wx00000000000000aa/wx00000000000000bb';
        const first = app(id, { secrets: { refresh_token: 'v1.first' }, updatedAt: T0 + 1 });
        // Absent expected: written once; a second creator loses.
        expect(await store.putPrincipal(first, null)).toBe(true);
        expect(await store.putPrincipal(app(id, { secrets: { refresh_token: 'v1.lost' }, updatedAt: T0 + 2 }), null)).toBe(false);
        expect(await store.getPrincipal(id)).toEqual(first);
        // Over the record read: written; over a stale read (a writer paused past its lease): refused, nothing written.
        const second = app(id, { secrets: { refresh_token: 'v1.second' }, updatedAt: T0 + 3 });
        expect(await store.putPrincipal(second, first)).toBe(true);
        expect(await store.putPrincipal(app(id, { secrets: { refresh_token: 'v1.stale' }, updatedAt: T0 + 4 }), first)).toBe(false);
        expect(await store.getPrincipal(id)).toEqual(second);
        // A principal deleted meanwhile is not recreated over a read of it; without a condition, writes go ahead.
        await store.deletePrincipal(id);
        expect(await store.putPrincipal(app(id, { updatedAt: T0 + 5 }), second)).toBe(false);
        expect(await store.getPrincipal(id)).toBeNull();
        expect(await store.putPrincipal(app(id, { updatedAt: T0 + 6 }))).toBe(true);
        expect(await store.getPrincipal(id)).toEqual(app(id, { updatedAt: T0 + 6 }));
      });

      it('deletes a principal only if unchanged since read, when asked; its credentials go only with it', async () => {
        const id = 'component:wx00000000000000aa/wx00000000000000dd';
        const read = app(id, { updatedAt: T0 + 1 });
        await store.putPrincipal(read);
        await store.putCredential(credential(`${id}:authorizer_token`), 0);
        const changed = app(id, { secrets: { refresh_token: 'v1.newer' }, updatedAt: T0 + 2 });
        await store.putPrincipal(changed, read);
        expect(await store.deletePrincipal(id, read)).toBe(false);
        expect(await store.getPrincipal(id)).toEqual(changed);
        expect(await store.getCredential(`${id}:authorizer_token`)).not.toBeNull();
        expect(await store.deletePrincipal(id, changed)).toBe(true);
        expect(await store.getPrincipal(id)).toBeNull();
        expect(await store.getCredential(`${id}:authorizer_token`)).toBeNull();
        expect(await store.deletePrincipal(id, changed)).toBe(false);
      });

      it("lets exactly one of 20 concurrent conditional principal writers over the same read win", async () => {
        const id = 'component:wx00000000000000aa/wx00000000000000cc';
        const read = app(id, { updatedAt: T0 + 1 });
        await store.putPrincipal(read);
        const peer = h.peer ? await h.peer() : store;
        const results = await Promise.all(
          Array.from({ length: 20 }, (_, i) => (i % 2 === 0 ? store : peer).putPrincipal(app(id, { secrets: { refresh_token: `v1.w${i}` }, updatedAt: T0 + 2 }), read)),
        );
        expect(results.filter(Boolean)).toHaveLength(1);
        const winner = results.indexOf(true);
        expect(await peer.getPrincipal(id)).toEqual(app(id, { secrets: { refresh_token: `v1.w${winner}` }, updatedAt: T0 + 2 }));
      });

      it('deletes a principal, reporting whether it existed', async () => {
        await store.putPrincipal(app('wx0000000000000001'));
        expect(await store.deletePrincipal('wx0000000000000001')).toBe(true);
        expect(await store.getPrincipal('wx0000000000000001')).toBeNull();
        expect(await store.listPrincipals()).toEqual([]);
        expect(await store.deletePrincipal('wx0000000000000001')).toBe(false);
      });

      it("deleting a principal removes its credentials and only that principal's credentials", async () => {
        // `_` and `%` are LIKE wildcards, `*` a glob: a store that matches keys by pattern would delete wxX1Y's too.
        const victim = 'wx_1%*';
        await store.putPrincipal(app(victim));
        await store.putPrincipal(app('wxX1Y'));
        expect(await store.putCredential(credential(`${victim}:access_token`), 0)).toBe(true);
        expect(await store.putCredential(credential(`${victim}:jsapi_ticket`), 0)).toBe(true);
        expect(await store.putCredential(credential('wxX1Y:access_token'), 0)).toBe(true);
        expect(await store.putCredential(credential('wxX1Yz%*:access_token'), 0)).toBe(true);
        expect(await store.putCredential(credential(`${victim}x:access_token`), 0)).toBe(true);

        expect(await store.deletePrincipal(victim)).toBe(true);
        expect(await store.getCredential(`${victim}:access_token`)).toBeNull();
        expect(await store.getCredential(`${victim}:jsapi_ticket`)).toBeNull();
        expect(await store.getCredential('wxX1Y:access_token')).not.toBeNull();
        expect(await store.getCredential('wxX1Yz%*:access_token')).not.toBeNull();
        expect(await store.getCredential(`${victim}x:access_token`)).not.toBeNull();
        expect(await store.getPrincipal('wxX1Y')).not.toBeNull();
      });

      it('deletes the credentials of a principal whose id holds colons and slashes, and no other', async () => {
        const agent = app('wecom:ww01/1000002', { type: 'wecom_agent', attributes: { agentid: 1000002 } });
        await store.putPrincipal(agent);
        expect(await store.putCredential(credential('wecom:ww01/1000002:access_token'), 0)).toBe(true);
        expect(await store.putCredential(credential('wecom:ww01/10000021:access_token'), 0)).toBe(true);
        expect(await store.deletePrincipal(agent.id)).toBe(true);
        expect(await store.listCredentialKeys()).toEqual(['wecom:ww01/10000021:access_token']);
      });

      it('round-trips ids and values with quotes and non-ASCII text', async () => {
        const odd = app("wx'; DROP TABLE principals; --", { secrets: { 'name "x"': 'v1."quoted"\'é中文' }, attributes: { note: '中文 "q"' } });
        await store.putPrincipal(odd);
        expect(await store.getPrincipal(odd.id)).toEqual(odd);
        expect(await store.listPrincipals()).toEqual([odd]);
      });

      it('keeps its own copy: mutating what was passed in or handed out changes nothing stored', async () => {
        const input = { ...app('wx0000000000000001'), secrets: { secret: 'v1.sealed-wx0000000000000001' } };
        await store.putPrincipal(input);
        (input.secrets as { secret: string }).secret = 'mutated';
        const got = await store.getPrincipal(input.id);
        try {
          (got!.secrets as { secret: string }).secret = 'mutated';
        } catch {
          // A frozen record is a fine way to refuse the mutation.
        }
        expect((await store.getPrincipal(input.id))?.secrets.secret).toBe('v1.sealed-wx0000000000000001');
      });
    });

    describe('credentials', () => {
      const key = 'wx0000000000000001:access_token';

      it('is absent until written; version 0 means absent', async () => {
        expect(await store.getCredential(key)).toBeNull();
        expect(await store.putCredential(credential(key), 1)).toBe(false);
        expect(await store.getCredential(key)).toBeNull();
        expect(await store.putCredential(credential(key, { version: 42 }), 0)).toBe(true);
        expect((await store.getCredential(key))?.version).toBe(1);
      });

      it('increments the version on every successful write, ignoring record.version', async () => {
        expect(await store.putCredential(credential(key, { token: 'a' }), 0)).toBe(true);
        expect(await store.putCredential(credential(key, { token: 'b', version: 99 }), 1)).toBe(true);
        expect(await store.putCredential(credential(key, { token: 'c' }), 2)).toBe(true);
        expect(await store.getCredential(key)).toEqual(credential(key, { token: 'c', version: 3 }));
      });

      it('rejects a stale expectedVersion and writes nothing', async () => {
        await store.putCredential(credential(key, { token: 'first' }), 0);
        await store.putCredential(credential(key, { token: 'second' }), 1);
        expect(await store.putCredential(credential(key, { token: 'stale' }), 1)).toBe(false);
        expect(await store.putCredential(credential(key, { token: 'stale' }), 0)).toBe(false);
        expect(await store.putCredential(credential(key, { token: 'future' }), 5)).toBe(false);
        expect(await store.getCredential(key)).toEqual(credential(key, { token: 'second', version: 2 }));
      });

      it('lets exactly one of 20 concurrent writers with the same expectedVersion win', async () => {
        await store.putCredential(credential(key, { token: 'base' }), 0);
        const results = await Promise.all(
          Array.from({ length: 20 }, (_, i) => store.putCredential(credential(key, { token: `w${i}` }), 1)),
        );
        expect(results.filter(Boolean)).toHaveLength(1);
        const winner = results.indexOf(true);
        expect(await store.getCredential(key)).toEqual(credential(key, { token: `w${winner}`, version: 2 }));
      });

      it('lets exactly one of 20 concurrent first writers win (expectedVersion 0)', async () => {
        const results = await Promise.all(
          Array.from({ length: 20 }, (_, i) => store.putCredential(credential(key, { token: `w${i}` }), 0)),
        );
        expect(results.filter(Boolean)).toHaveLength(1);
        expect((await store.getCredential(key))?.version).toBe(1);
      });

      it('lets exactly one writer win across two instances', async (ctx) => {
        if (!h.peer) return ctx.skip();
        const peer = await h.peer();
        await store.putCredential(credential(key, { token: 'base' }), 0);
        const results = await Promise.all(
          Array.from({ length: 20 }, (_, i) =>
            (i % 2 === 0 ? store : peer).putCredential(credential(key, { token: `w${i}` }), 1),
          ),
        );
        expect(results.filter(Boolean)).toHaveLength(1);
        const winner = results.indexOf(true);
        expect(await peer.getCredential(key)).toEqual(credential(key, { token: `w${winner}`, version: 2 }));
        expect(await store.getCredential(key)).toEqual(credential(key, { token: `w${winner}`, version: 2 }));
      });

      it('round-trips every field, including failure, kind state, pending refresh and invalidation count, and their absence', async () => {
        const full = credential(key, {
          token: 'ACCESS_TOKEN.with-punctuation_and-🙂',
          expiresAt: T0 + 7_200_000,
          obtainedAt: T0 + 3,
          failure: {
            code: 'upstream_unavailable',
            message: "WeChat answered 'system busy'",
            errcode: -1,
            category: 'transient',
            at: T0 + 10,
            retryAt: T0 + 20,
            attempts: 3,
          },
          state: { forceLog: { day: '2026-01-01', count: 2, lastAt: T0 + 30 }, nested: { list: [1, 'two', null], flag: true } },
          pending: { owner: 'instance-a', since: T0 + 7 },
          invalidations: 3,
        });
        await store.putCredential(full, 0);
        expect(await store.getCredential(key)).toEqual({ ...full, version: 1 });

        // Optional failure fields absent, and a credential with no token at all.
        const bare = credential(key, {
          token: null,
          expiresAt: 0,
          obtainedAt: 0,
          failure: { code: 'credentials_rejected', message: 'bad secret', category: 'bad-credentials', at: T0, attempts: 1 },
          state: null,
          pending: null,
          invalidations: 0,
        });
        await store.putCredential(bare, 1);
        const got = await store.getCredential(key);
        expect(got).toEqual({ ...bare, version: 2 });
        expect(got?.failure).not.toHaveProperty('errcode', expect.anything());
        expect(got?.failure?.retryAt).toBeUndefined();

        await store.putCredential(credential(key, { failure: null, state: null, pending: null }), 2);
        const cleared = await store.getCredential(key);
        expect(cleared?.failure).toBeNull();
        expect(cleared?.state).toBeNull();
        expect(cleared?.pending).toBeNull();
      });

      it('keeps its own copy of credential records', async () => {
        const failure = { code: 'x', message: 'm', category: 'transient', at: T0, attempts: 1 };
        const input = credential(key, { failure });
        await store.putCredential(input, 0);
        (failure as { attempts: number }).attempts = 99;
        const got = await store.getCredential(key);
        try {
          (got?.failure as { attempts: number }).attempts = 77;
        } catch {
          // Frozen: fine.
        }
        expect((await store.getCredential(key))?.failure?.attempts).toBe(1);
      });
    });

    describe('credential keys', () => {
      it('lists every credential key in code-unit order, and forgets those of a deleted app', async () => {
        expect(await store.listCredentialKeys()).toEqual([]);
        for (const key of ['wx0000000000000002:access_token', 'wx0000000000000001:jsapi_ticket', 'wx0000000000000001:access_token', 'wx0000000000000001:Z']) {
          expect(await store.putCredential(credential(key), 0)).toBe(true);
        }
        expect(await store.listCredentialKeys()).toEqual([
          'wx0000000000000001:Z',
          'wx0000000000000001:access_token',
          'wx0000000000000001:jsapi_ticket',
          'wx0000000000000002:access_token',
        ]);
        await store.putPrincipal(app('wx0000000000000001'));
        await store.deletePrincipal('wx0000000000000001');
        expect(await store.listCredentialKeys()).toEqual(['wx0000000000000002:access_token']);
      });

      it('lists every credential record in one read, in code-unit order, with every field intact', async () => {
        expect(await store.listCredentials()).toEqual([]);
        const failed = credential('wx0000000000000002:access_token', {
          token: null,
          failure: { code: 'credentials_rejected', message: 'no', errcode: 40125, category: 'bad-credentials', at: T0, attempts: 2, retryAt: T0 + 1 },
          state: { forceLog: { day: '2026-01-01', count: 1, lastAt: T0 } },
          pending: { owner: 'instance-a', since: T0 },
          invalidations: 3,
        });
        const plain = credential('wx0000000000000001:jsapi_ticket');
        expect(await store.putCredential(failed, 0)).toBe(true);
        expect(await store.putCredential(plain, 0)).toBe(true);
        expect(await store.putCredential({ ...plain, token: 'second' }, 1)).toBe(true);
        expect(await store.listCredentials()).toEqual([
          { ...plain, token: 'second', version: 2 },
          { ...failed, version: 1 },
        ]);
        // Only the keys asked for that exist, in key order, once each.
        expect(await store.listCredentials(['wx0000000000000002:access_token', 'wx0000000000000009:access_token', 'wx0000000000000002:access_token'])).toEqual([
          { ...failed, version: 1 },
        ]);
        expect(await store.listCredentials([failed.key, plain.key])).toEqual([
          { ...plain, token: 'second', version: 2 },
          { ...failed, version: 1 },
        ]);
        expect(await store.listCredentials([])).toEqual([]);
      });
    });

    describe('client keys', () => {
      it('adds, lists and deletes keys', async () => {
        expect(await store.listClientKeys()).toEqual([]);
        const a = clientKey('billing', { apps: ['wx0000000000000001', 'wx0000000000000002'], createdAt: T0 + 1 });
        const b = clientKey('ops');
        expect(await store.addClientKey(a)).toBe(true);
        expect(await store.addClientKey(b)).toBe(true);
        expect((await store.listClientKeys()).sort(byName)).toEqual([a, b]);
        expect(await store.deleteClientKey('billing')).toBe(true);
        expect(await store.deleteClientKey('billing')).toBe(false);
        expect(await store.listClientKeys()).toEqual([b]);
      });

      it('refuses a duplicate name and keeps the original', async () => {
        const original = clientKey('svc', { hash: '01'.repeat(32) });
        expect(await store.addClientKey(original)).toBe(true);
        expect(await store.addClientKey(clientKey('svc', { hash: 'ff'.repeat(32), apps: ['wx1'] }))).toBe(false);
        expect(await store.listClientKeys()).toEqual([original]);
      });

      it('keeps its own copy of the apps list', async () => {
        const apps = ['wx0000000000000001'];
        await store.addClientKey(clientKey('svc', { apps }));
        apps.push('wx0000000000000002');
        expect((await store.listClientKeys())[0]?.apps).toEqual(['wx0000000000000001']);
      });

      it('keeps resource scopes, capabilities and expiry as given', async () => {
        const key = clientKey('signer', {
          apps: ['wecom:ww0123456789abcdef/1000002', 'component:wx00000000000000aa/*', 'wx0000000000000001'],
          capabilities: ['sign'],
          expiresAt: T0 + 90 * 86_400_000,
        });
        expect(await store.addClientKey(key)).toBe(true);
        expect(await store.listClientKeys()).toEqual([key]);
      });

      it('records the later last-used time, without a change event, and nothing for an unknown key', async () => {
        await store.addClientKey(clientKey('svc'));
        const events: StoreEvent[] = [];
        const unsubscribe = await store.subscribe((event) => events.push(event));
        try {
          await store.touchClientKey('svc', T0 + 60_000);
          await store.touchClientKey('svc', T0 + 1_000); // an older flush from another instance loses
          await store.touchClientKey('nobody', T0 + 60_000);
          expect(await store.listClientKeys()).toEqual([clientKey('svc', { lastUsedAt: T0 + 60_000 })]);
          await store.touchClientKey('svc', T0 + 120_000);
          expect((await store.listClientKeys())[0]?.lastUsedAt).toBe(T0 + 120_000);
          await new Promise((resolve) => setTimeout(resolve, 50));
          expect(events.filter((e) => e.type === 'client-key')).toEqual([]);
        } finally {
          await unsubscribe();
        }
      });

      it('forgets the last use of a deleted key when its name is reused', async () => {
        await store.addClientKey(clientKey('svc'));
        await store.touchClientKey('svc', T0 + 60_000);
        await store.deleteClientKey('svc');
        await store.addClientKey(clientKey('svc', { hash: 'cd'.repeat(32) }));
        expect((await store.listClientKeys())[0]?.lastUsedAt).toBeNull();
      });
    });

    describe('leases', () => {
      it('is exclusive between owners', async () => {
        expect(await store.acquireLease('refresh:wx1', 'a', LEASE_TTL_MS)).toBe(true);
        expect(await store.acquireLease('refresh:wx1', 'b', LEASE_TTL_MS)).toBe(false);
        // Leases are independent by name.
        expect(await store.acquireLease('refresh:wx2', 'b', LEASE_TTL_MS)).toBe(true);
      });

      it('is exclusive across instances', async (ctx) => {
        if (!h.peer) return ctx.skip();
        const peer = await h.peer();
        expect(await store.acquireLease('refresh:wx1', 'a', LEASE_TTL_MS)).toBe(true);
        expect(await peer.acquireLease('refresh:wx1', 'b', LEASE_TTL_MS)).toBe(false);
        await store.releaseLease('refresh:wx1', 'a');
        expect(await peer.acquireLease('refresh:wx1', 'b', LEASE_TTL_MS)).toBe(true);
        expect(await store.acquireLease('refresh:wx1', 'a', LEASE_TTL_MS)).toBe(false);
      });

      it('is freed by expiry', async () => {
        expect(await store.acquireLease('l', 'a', LEASE_TTL_MS)).toBe(true);
        await h.advance(LEASE_TTL_MS / 2);
        expect(await store.acquireLease('l', 'b', LEASE_TTL_MS)).toBe(false);
        await h.advance(LEASE_TTL_MS / 2 + 100);
        expect(await store.acquireLease('l', 'b', LEASE_TTL_MS)).toBe(true);
        expect(await store.acquireLease('l', 'a', LEASE_TTL_MS)).toBe(false);
      });

      it('is extended when its owner acquires it again', async () => {
        expect(await store.acquireLease('l', 'a', LEASE_TTL_MS)).toBe(true);
        await h.advance(250);
        expect(await store.acquireLease('l', 'a', LEASE_TTL_MS)).toBe(true);
        await h.advance(250); // 500 ms after the first acquire, 250 after the extension: still held.
        expect(await store.acquireLease('l', 'b', LEASE_TTL_MS)).toBe(false);
        await h.advance(250); // 500 ms after the extension: expired.
        expect(await store.acquireLease('l', 'b', LEASE_TTL_MS)).toBe(true);
      });

      it('is released only by its owner', async () => {
        expect(await store.acquireLease('l', 'a', LEASE_TTL_MS)).toBe(true);
        await store.releaseLease('l', 'b');
        expect(await store.acquireLease('l', 'b', LEASE_TTL_MS)).toBe(false);
        await store.releaseLease('l', 'a');
        expect(await store.acquireLease('l', 'b', LEASE_TTL_MS)).toBe(true);
        // Releasing a lease nobody holds, or one already released, is harmless.
        await store.releaseLease('l', 'a');
        await store.releaseLease('never-taken', 'a');
        expect(await store.acquireLease('l', 'a', LEASE_TTL_MS)).toBe(false);
      });
    });

    describe('events', () => {
      it('delivers principal, credential and client-key events for its own writes, exactly once each', async () => {
        const { events, stop } = await record(store);
        await store.putPrincipal(app('wx0000000000000001'));
        await store.putCredential(credential('wx0000000000000001:access_token'), 0);
        await store.putCredential(credential('wx0000000000000001:access_token'), 1);
        await store.addClientKey(clientKey('svc'));
        await store.deleteClientKey('svc');
        await store.deletePrincipal('wx0000000000000001');
        const expected: StoreEvent[] = [
          { type: 'principal', id: 'wx0000000000000001' },
          { type: 'credential', key: 'wx0000000000000001:access_token', version: 1 },
          { type: 'credential', key: 'wx0000000000000001:access_token', version: 2 },
          { type: 'client-key', name: 'svc' },
          { type: 'client-key', name: 'svc' },
          { type: 'principal', id: 'wx0000000000000001' },
        ];
        await waitFor(() => expected.every((e) => events.some((got) => sameEvent(got, e))), 'own events');
        await settle();
        // Each write once: the principal and the client key were each written twice (put/add, then delete).
        const count = (e: StoreEvent): number => events.filter((got) => sameEvent(got, e)).length;
        expect(expected.map(count)).toEqual([2, 1, 1, 2, 2, 2]);
        expect(events).toHaveLength(6);
        await stop();
      });

      it('publishes nothing for writes that did not happen', async () => {
        await store.putCredential(credential('wx1:access_token'), 0);
        await store.addClientKey(clientKey('svc'));
        const { events, stop } = await record(store);
        await store.putCredential(credential('wx1:access_token'), 0); // stale
        await store.addClientKey(clientKey('svc')); // duplicate
        await store.deleteClientKey('nobody');
        await store.deletePrincipal('wx-none');
        await settle();
        expect(events).toEqual([]);
        await stop();
      });

      it('delivers events to every subscriber', async () => {
        const first = await record(store);
        const second = await record(store);
        await store.putPrincipal(app('wx0000000000000001'));
        const e: StoreEvent = { type: 'principal', id: 'wx0000000000000001' };
        await waitFor(() => first.events.some((g) => sameEvent(g, e)) && second.events.some((g) => sameEvent(g, e)), 'both');
        await first.stop();
        await second.stop();
      });

      it('delivers events for writes made through another instance', async (ctx) => {
        if (!h.peer) return ctx.skip();
        const peer = await h.peer();
        const { events, stop } = await record(store);
        await peer.putPrincipal(app('wx0000000000000001'));
        await peer.putCredential(credential('wx0000000000000001:access_token'), 0);
        await peer.addClientKey(clientKey('svc'));
        const expected: StoreEvent[] = [
          { type: 'principal', id: 'wx0000000000000001' },
          { type: 'credential', key: 'wx0000000000000001:access_token', version: 1 },
          { type: 'client-key', name: 'svc' },
        ];
        await waitFor(() => expected.every((e) => events.some((got) => sameEvent(got, e))), 'events from the peer');
        await stop();
      });

      it('stops delivering after unsubscribe, and unsubscribing twice is harmless', async () => {
        const { events, stop } = await record(store);
        const other = await record(store);
        await stop();
        await stop();
        await store.putPrincipal(app('wx0000000000000001'));
        if (h.peer) await (await h.peer()).putPrincipal(app('wx0000000000000002'));
        await waitFor(() => other.events.length >= (h.peer ? 2 : 1), 'the remaining subscriber');
        await settle();
        expect(events).toEqual([]);
        await other.stop();
      });
    });

    describe('persistence and lifecycle', () => {
      it('what one instance writes another reads', async (ctx) => {
        if (!h.peer) return ctx.skip();
        await store.putPrincipal(app('wx0000000000000001'));
        await store.putCredential(credential('wx0000000000000001:access_token'), 0);
        await store.addClientKey(clientKey('svc'));
        const peer = await h.peer();
        expect(await peer.getPrincipal('wx0000000000000001')).toEqual(app('wx0000000000000001'));
        expect(await peer.listPrincipals()).toEqual([app('wx0000000000000001')]);
        expect(await peer.getCredential('wx0000000000000001:access_token')).toEqual(
          credential('wx0000000000000001:access_token', { version: 1 }),
        );
        expect(await peer.listClientKeys()).toEqual([clientKey('svc')]);
        expect(await peer.deletePrincipal('wx0000000000000001')).toBe(true);
        expect(await store.getPrincipal('wx0000000000000001')).toBeNull();
        expect(await store.getCredential('wx0000000000000001:access_token')).toBeNull();
      });

      it('describes itself without credentials', () => {
        expect(store.description).toEqual(expect.any(String));
        expect(store.description.length).toBeGreaterThan(0);
        expect(store.description).not.toMatch(/:[^:@/]+@/); // no user:password@
      });

      it('answers ping', async () => {
        await expect(store.ping()).resolves.toBeUndefined();
      });

      it('reports the store time as an epoch-ms number where it has one', async () => {
        if (!store.time) return;
        const t = await store.time();
        expect(Number.isFinite(t)).toBe(true);
      });

      it('closes idempotently, and refuses work afterwards with StoreUnavailableError', async () => {
        await store.close();
        await store.close();
        await expect(store.ping()).rejects.toBeInstanceOf(StoreUnavailableError);
        await expect(store.getPrincipal('wx0000000000000001')).rejects.toBeInstanceOf(StoreUnavailableError);
      });
    });
  });
}

function sameEvent(a: StoreEvent, b: StoreEvent): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}
