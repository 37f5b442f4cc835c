import { Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ConfigError, StoreUnavailableError } from '../../src/errors/index.js';
import { openStore } from '../../src/stores/open-store.js';
import { RedisStore, createRedisStore, type RedisStoreOptions } from '../../src/stores/redis/index.js';
import type { Store, StoreEvent } from '../../src/stores/store.js';
import { findRedisServer, startRedisServer, type RedisServer } from '../support/redis-server.js';
import { freePort } from '../support/server-process.js';
import { startTcpProxy } from '../support/tcp-proxy.js';
import { dropRedisPrefix, eventually, randomRedisPrefix, requireRedis, requireService } from '../support/services.js';
import { describeStoreConformance } from './conformance.js';
import { T0, app, credential, expectCrashRecovery, expectOutageRecovery, useThrowawayServer, wait } from './networked-store-cases.js';

const shared = await requireRedis();
const binary = await requireService('redis-server (binary)', 'PATH', async () => {
  if (findRedisServer() === null) throw new Error('redis-server is not on PATH');
});

describe.skipIf(shared.skip)('RedisStore on the shared Redis', () => {
  beforeAll(() => shared.assertAvailable());

  describeStoreConformance('redis', async () => {
    const keyPrefix = randomRedisPrefix();
    const opened: Store[] = [];
    const open = async (): Promise<Store> => {
      const store = await createRedisStore(shared.url, { keyPrefix });
      opened.push(store);
      return store;
    };
    const store = await open();
    return {
      store,
      peer: open,
      advance: wait,
      async cleanup() {
        for (const s of opened) await s.close();
        await dropRedisPrefix(shared.url, keyPrefix);
      },
    };
  });

  describe('specifics', () => {
    const prefixes: string[] = [];
    const stores: Store[] = [];
    let raw: Redis;

    beforeAll(async () => {
      raw = new Redis(shared.url, { lazyConnect: true });
      await raw.connect();
    });
    afterAll(() => raw?.disconnect());
    afterEach(async () => {
      for (const s of stores.splice(0)) await s.close();
      for (const p of prefixes.splice(0)) await dropRedisPrefix(shared.url, p);
    });

    async function open(options: RedisStoreOptions = {}, url = shared.url): Promise<Store> {
      const keyPrefix = options.keyPrefix ?? randomRedisPrefix();
      prefixes.push(keyPrefix);
      const store = await createRedisStore(url, { ...options, keyPrefix });
      stores.push(store);
      return store;
    }

    it('lists hashes larger than one scan page, each record once', async () => {
      // 2,500 records: three HSCAN pages of 1,000 (a store that read only the first page would list 1,000).
      const store = await open();
      const ids = Array.from({ length: 2_500 }, (_, i) => `wx${i.toString(16).padStart(16, '0')}`);
      for (let i = 0; i < ids.length; i += 250) {
        await Promise.all(ids.slice(i, i + 250).flatMap((id) => [store.putPrincipal(app(id)), store.putCredential(credential(`${id}:access_token`), 0)]));
      }
      const principals = await store.listPrincipals();
      expect(principals.map((p) => p.id)).toEqual([...ids].sort());
      const credentials = await store.listCredentials();
      expect(credentials.map((c) => c.key)).toEqual(ids.map((id) => `${id}:access_token`).sort());
      expect(new Set(credentials.map((c) => c.version))).toEqual(new Set([1]));
      // Named records are read a page of 1,000 at a time too: every one asked for, from every page.
      const some = ids.filter((_, i) => i % 2 === 0);
      expect((await store.listPrincipals({ ids: some })).map((p) => p.id)).toEqual([...some].sort());
      expect((await store.listCredentials(some.map((id) => `${id}:access_token`))).map((c) => c.key)).toEqual(some.map((id) => `${id}:access_token`).sort());
      expect(await store.listPrincipals({ types: ['app'] })).toHaveLength(2_500);
    });

    it('keeps every key under the prefix and one cluster hash tag', async () => {
      const keyPrefix = randomRedisPrefix();
      const store = await open({ keyPrefix });
      await store.putPrincipal(app('wx1'));
      await store.putCredential(credential('wx1:access_token'), 0);
      await store.addClientKey({ name: 'svc', hash: 'ab'.repeat(32), apps: ['*'], createdAt: T0, capabilities: null, expiresAt: null, lastUsedAt: null });
      expect(await store.acquireLease('refresh:wx1', 'a', 10_000)).toBe(true);
      const keys = (await raw.keys(`${keyPrefix}*`)).sort();
      expect(keys).toEqual(
        ['client-keys', 'credentials', 'lease:refresh:wx1', 'principals'].map((k) => `${keyPrefix}{wxtoken}:${k}`),
      );
      // The lease expires by Redis's clock.
      const ttl = await raw.pttl(`${keyPrefix}{wxtoken}:lease:refresh:wx1`);
      expect(ttl).toBeGreaterThan(9_000);
      expect(ttl).toBeLessThanOrEqual(10_000);
    });

    it('the compare-and-set script rejects a stale version without writing or publishing', async () => {
      const keyPrefix = randomRedisPrefix();
      const a = await open({ keyPrefix });
      const b = await createRedisStore(shared.url, { keyPrefix });
      stores.push(b);
      const key = 'wx1:access_token';
      expect(await a.putCredential(credential(key, 'first'), 0)).toBe(true);
      expect(await b.putCredential(credential(key, 'second'), 1)).toBe(true);
      const before = await raw.hget(`${keyPrefix}{wxtoken}:credentials`, key);

      const listener = raw.duplicate();
      const heard: string[] = [];
      listener.on('message', (_channel: string, message: string) => heard.push(message));
      await listener.subscribe(`${keyPrefix}events`);
      try {
        expect(await a.putCredential(credential(key, 'stale'), 1)).toBe(false);
        expect(await a.putCredential(credential(key, 'stale'), 0)).toBe(false);
        await wait(50);
        expect(await raw.hget(`${keyPrefix}{wxtoken}:credentials`, key)).toBe(before);
        expect(heard).toEqual([]);
        expect(await a.getCredential(key)).toMatchObject({ token: 'second', version: 2 });
      } finally {
        listener.disconnect();
      }
    });

    it('isolates environments by prefix, taken from the option or the URL query', async () => {
      const blue = await open({ keyPrefix: randomRedisPrefix() });
      const greenPrefix = randomRedisPrefix();
      prefixes.push(greenPrefix);
      const green = await createRedisStore(`${shared.url}?prefix=${encodeURIComponent(greenPrefix)}`);
      stores.push(green);
      const greenEvents: StoreEvent[] = [];
      await green.subscribe((e) => greenEvents.push(e));
      await blue.putPrincipal(app('wx-blue'));
      await green.putPrincipal(app('wx-green'));
      expect((await blue.listPrincipals()).map((a) => a.id)).toEqual(['wx-blue']);
      expect((await green.listPrincipals()).map((a) => a.id)).toEqual(['wx-green']);
      expect(await raw.hexists(`${greenPrefix}{wxtoken}:principals`, 'wx-green')).toBe(1);
      expect(green.description).toBe(`${shared.url}?prefix=${encodeURIComponent(greenPrefix)}`);
      await wait(100);
      expect(greenEvents).toEqual([{ type: 'principal', id: 'wx-green' }]);
    });

    it('is what openStore returns for a redis:// URL', async () => {
      const keyPrefix = randomRedisPrefix();
      prefixes.push(keyPrefix);
      const store = await openStore(`${shared.url}?prefix=${keyPrefix}`);
      stores.push(store);
      expect(store).toBeInstanceOf(RedisStore);
      await store.putPrincipal(app('wx1'));
      expect(await raw.hexists(`${keyPrefix}{wxtoken}:principals`, 'wx1')).toBe(1);
    });

    it('subscribes again after a reconnection, says so once Redis confirms it, and survives a drop or close meanwhile', async () => {
      // A proxy holds the subscriber's SUBSCRIBE on its new connection, so the re-subscription stays in flight while
      // the connection drops again and then while the store closes: neither may surface as an unhandled rejection
      // (ioredis's own re-subscription did, in CI), and listeners hear "resync" only once the channel works again.
      const proxy = await startTcpProxy(Number(new URL(shared.url).port || 6379));
      const unhandled: unknown[] = [];
      const onUnhandled = (reason: unknown) => unhandled.push(reason);
      process.on('unhandledRejection', onUnhandled);
      try {
        const keyPrefix = randomRedisPrefix();
        const store = await open({ keyPrefix, maxReconnectDelayMs: 50, commandTimeoutMs: 300 }, `redis://127.0.0.1:${proxy.port}/0`);
        const peer = await open({ keyPrefix });
        const events: StoreEvent[] = [];
        await store.subscribe((e) => events.push(e));
        const resyncs = () => events.filter((e) => e.type === 'resync').length;

        proxy.hold(/\$9\r\nsubscribe\r\n/i);
        proxy.dropAll();
        await eventually(() => expect(proxy.holding).toBe(1));
        await wait(100);
        expect(resyncs()).toBe(0);
        proxy.dropAll(); // the re-subscription fails in flight
        await eventually(() => expect(proxy.holding).toBe(1));
        proxy.release();
        await eventually(() => expect(resyncs()).toBe(1));
        await peer.putPrincipal(app('wx-after'));
        await eventually(() => expect(events).toContainEqual({ type: 'principal', id: 'wx-after' }));

        proxy.hold(/\$9\r\nsubscribe\r\n/i);
        proxy.dropAll();
        await eventually(() => expect(proxy.holding).toBe(1));
        await store.close(); // its QUIT waits behind the held SUBSCRIBE, times out, and the connection is cut
        await wait(100);
        expect(resyncs()).toBe(1);
        expect(unhandled).toEqual([]);
      } finally {
        process.off('unhandledRejection', onUnhandled);
        await proxy.close();
      }
    });

    it('reports Redis TIME in epoch ms', async () => {
      const store = await open();
      const t = await store.time!();
      expect(Math.abs(t - Date.now())).toBeLessThan(5_000);
    });

    it('never shows a password in its description or errors', async () => {
      const port = await freePort(); // nothing listens there
      const error = await createRedisStore(`redis://user:hunter2@127.0.0.1:${port}/0`, { connectTimeoutMs: 500 }).catch(
        (e: unknown) => e,
      );
      expect(error).toBeInstanceOf(StoreUnavailableError);
      const seen = JSON.stringify([String(error), (error as Error).stack, String((error as Error).cause), error]);
      expect(seen).not.toContain('hunter2');
      expect(String(error)).toContain(`redis://127.0.0.1:${port}/0`);
    });

    it('fails fast with StoreUnavailableError when Redis is not there at start-up', async () => {
      const port = await freePort();
      const started = performance.now();
      await expect(createRedisStore(`redis://127.0.0.1:${port}/0`)).rejects.toBeInstanceOf(StoreUnavailableError);
      expect(performance.now() - started).toBeLessThan(2_000);
    });

    it('validates URL and options eagerly, naming the culprit', async () => {
      const bad: [string, RedisStoreOptions, RegExp][] = [
        ['http://127.0.0.1:6379', {}, /redis:\/\/ or rediss:\/\//],
        ['redis://127.0.0.1:6379/x', {}, /database must be a number/],
        ['redis://127.0.0.1:6379/0?family=6', {}, /unknown query parameter "family"/],
        [shared.url, { keyPrefix: 'a{b}' }, /keyPrefix/],
        [shared.url, { keyPrefix: '' }, /keyPrefix/],
        [shared.url, { commandTimeoutMs: 0 }, /commandTimeoutMs.*got 0/],
        [shared.url, { connectTimeoutMs: Number.NaN }, /connectTimeoutMs/],
        [shared.url, { maxReconnectDelayMs: -1 }, /maxReconnectDelayMs/],
      ];
      for (const [url, options, message] of bad) {
        const error = await createRedisStore(url, options).catch((e: unknown) => e);
        expect(error).toBeInstanceOf(ConfigError);
        expect(String(error)).toMatch(message);
      }
      await expect(createRedisStore('redis://:hunter2@[bad')).rejects.toThrow(/^(?!.*hunter2).*not a valid URL/);
    });
  });
});

describe.skipIf(binary.skip)('RedisStore through a Redis outage', () => {
  let server: RedisServer;
  const stores = useThrowawayServer(binary, async () => (server = await startRedisServer()));

  it('rejects quickly while Redis is down, logs the outage once, and recovers by itself, events included', async () => {
    await expectOutageRecovery(server, (options) => createRedisStore(server.url, options), stores);
  });

  it('rejects within commandTimeoutMs when Redis hangs, and carries on when it wakes', async () => {
    const store = await createRedisStore(server.url, { commandTimeoutMs: 300 });
    stores.push(store);
    await store.ping();
    server.pause();
    try {
      const started = performance.now();
      await expect(store.getPrincipal('wx1')).rejects.toThrow(StoreUnavailableError);
      const elapsed = performance.now() - started;
      expect(elapsed).toBeGreaterThanOrEqual(250);
      expect(elapsed).toBeLessThan(1_000);
    } finally {
      server.resume();
    }
    await eventually(() => store.ping());
  });

  it('survives the server being killed outright', async () => {
    const store = await createRedisStore(server.url, { maxReconnectDelayMs: 200 });
    stores.push(store);
    await expectCrashRecovery(server, store);
  });
});
