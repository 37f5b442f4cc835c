import pg from 'pg';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ConfigError, StoreUnavailableError } from '../../src/errors/index.js';
import { openStore } from '../../src/stores/open-store.js';
import { PostgresStore, SCHEMA_VERSION, createPostgresStore, type PostgresStoreOptions } from '../../src/stores/postgres/index.js';
import type { Store, StoreEvent } from '../../src/stores/store.js';
import { findPostgresBin, startPostgresServer, type PostgresServer } from '../support/postgres-server.js';
import { freePort } from '../support/server-process.js';
import { dropPostgresSchema, eventually, randomSchema, requirePostgres, requireService } from '../support/services.js';
import { describeStoreConformance } from './conformance.js';
import { app, credential, expectCrashRecovery, expectOutageRecovery, useThrowawayServer, wait } from './networked-store-cases.js';

const shared = await requirePostgres();
const binaries = await requireService('PostgreSQL server binaries (initdb, pg_ctl)', '/usr/lib/postgresql', async () => {
  if (findPostgresBin() === null) throw new Error('initdb is not installed');
});

describe.skipIf(shared.skip)('PostgresStore on the shared PostgreSQL', () => {
  beforeAll(() => shared.assertAvailable());

  describeStoreConformance('postgres', async () => {
    const schema = randomSchema();
    const opened: Store[] = [];
    const open = async (): Promise<Store> => {
      const store = await createPostgresStore(shared.url, { schema, poolSize: 4 });
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
        await dropPostgresSchema(shared.url, schema);
      },
    };
  });

  describe('specifics', () => {
    const schemas: string[] = [];
    const stores: Store[] = [];
    let raw: pg.Client;

    beforeAll(async () => {
      raw = new pg.Client({ connectionString: shared.url });
      await raw.connect();
    });
    afterAll(() => raw?.end());
    afterEach(async () => {
      for (const s of stores.splice(0)) await s.close();
      for (const s of schemas.splice(0)) await dropPostgresSchema(shared.url, s);
    });

    async function open(options: PostgresStoreOptions = {}): Promise<Store> {
      const schema = options.schema ?? randomSchema();
      if (!schemas.includes(schema)) schemas.push(schema);
      const store = await createPostgresStore(shared.url, { poolSize: 2, ...options, schema });
      stores.push(store);
      return store;
    }

    it('migrates a fresh schema safely when three instances start at once', async () => {
      const schema = randomSchema();
      const three = await Promise.all([open({ schema }), open({ schema }), open({ schema })]);
      const applied = await raw.query(`SELECT version FROM "${schema}".wxtoken_schema_migrations ORDER BY version`);
      expect(applied.rows.map((r: { version: number }) => r.version)).toEqual(
        Array.from({ length: SCHEMA_VERSION }, (_, i) => i + 1),
      );
      await three[0]!.putPrincipal(app('wx1'));
      expect(await three[2]!.getPrincipal('wx1')).toEqual(app('wx1'));
      // And reopening an up-to-date schema changes nothing.
      await open({ schema });
      expect((await raw.query(`SELECT count(*)::int AS n FROM "${schema}".wxtoken_schema_migrations`)).rows[0].n).toBe(SCHEMA_VERSION);
    });

    it('refuses a schema written by a newer wxtoken', async () => {
      const schema = randomSchema();
      await open({ schema });
      await raw.query(`INSERT INTO "${schema}".wxtoken_schema_migrations (version, name) VALUES ($1, 'future')`, [SCHEMA_VERSION + 1]);
      const error = await createPostgresStore(shared.url, { schema }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(ConfigError);
      expect(String(error)).toMatch(new RegExp(`schema version ${SCHEMA_VERSION + 1}`));
    });

    it('rejects a stale compare-and-set without writing or notifying', async () => {
      const schema = randomSchema();
      const a = await open({ schema });
      const b = await open({ schema });
      const key = 'wx1:access_token';
      expect(await a.putCredential(credential(key, 'first'), 0)).toBe(true);
      expect(await b.putCredential(credential(key, 'second'), 1)).toBe(true);

      const heard: string[] = [];
      const onNotification = (message: pg.Notification): void => void heard.push(message.payload ?? '');
      raw.on('notification', onNotification);
      await raw.query(`LISTEN "wxtoken_${schema}"`);
      try {
        expect(await a.putCredential(credential(key, 'stale'), 1)).toBe(false);
        expect(await a.putCredential(credential(key, 'stale'), 0)).toBe(false);
        expect(await a.putCredential(credential(key, 'third'), 2)).toBe(true);
        await eventually(() => expect(heard).toHaveLength(1));
        await wait(50);
        expect(heard.map((p) => JSON.parse(p).event)).toEqual([{ type: 'credential', key, version: 3 }]);
        const row = await raw.query(`SELECT token, version FROM "${schema}".wxtoken_credentials WHERE key = $1`, [key]);
        expect(row.rows).toEqual([{ token: 'third', version: '3' }]);
      } finally {
        await raw.query(`UNLISTEN "wxtoken_${schema}"`);
        raw.off('notification', onNotification);
      }
    });

    it("judges lease expiry by the server's clock", async () => {
      const schema = randomSchema();
      const store = await open({ schema });
      expect(await store.acquireLease('refresh:wx1', 'a', 60_000)).toBe(true);
      const row = await raw.query(
        `SELECT owner, extract(epoch FROM expires_at - now()) * 1000 AS left_ms FROM "${schema}".wxtoken_leases WHERE name = $1`,
        ['refresh:wx1'],
      );
      expect(row.rows[0].owner).toBe('a');
      expect(Number(row.rows[0].left_ms)).toBeGreaterThan(55_000);
      expect(Number(row.rows[0].left_ms)).toBeLessThanOrEqual(60_000);
      // Expire it on the server: the next owner may take it at once, whatever the local clock says.
      await raw.query(`UPDATE "${schema}".wxtoken_leases SET expires_at = now() - interval '1 second'`);
      expect(await store.acquireLease('refresh:wx1', 'b', 60_000)).toBe(true);
    });

    it('isolates environments by schema, taken from the option or the URL query', async () => {
      const blue = await open();
      const greenSchema = randomSchema();
      schemas.push(greenSchema);
      const green = await createPostgresStore(`${shared.url}?schema=${greenSchema}`);
      stores.push(green);
      expect(green.description).toBe(`${shared.url.replace('postgres@', '')}?schema=${greenSchema}`);
      const greenEvents: StoreEvent[] = [];
      await green.subscribe((e) => greenEvents.push(e));
      await blue.putPrincipal(app('wx-blue'));
      await green.putPrincipal(app('wx-green'));
      expect((await blue.listPrincipals()).map((a) => a.id)).toEqual(['wx-blue']);
      expect((await green.listPrincipals()).map((a) => a.id)).toEqual(['wx-green']);
      expect((await raw.query(`SELECT id FROM "${greenSchema}".wxtoken_principals`)).rows).toEqual([{ id: 'wx-green' }]);
      await wait(100);
      expect(greenEvents).toEqual([{ type: 'principal', id: 'wx-green' }]);
    });

    it('is what openStore returns for a postgres:// URL', async () => {
      const schema = randomSchema();
      schemas.push(schema);
      const store = await openStore(`${shared.url}?schema=${schema}`);
      stores.push(store);
      expect(store).toBeInstanceOf(PostgresStore);
      await store.putPrincipal(app('wx1'));
      expect((await raw.query(`SELECT id FROM "${schema}".wxtoken_principals`)).rows).toEqual([{ id: 'wx1' }]);
    });

    it("reports the server's time in epoch ms", async () => {
      const store = await open();
      const t = await store.time!();
      expect(Number.isInteger(t)).toBe(true);
      expect(Math.abs(t - Date.now())).toBeLessThan(5_000);
    });

    it('fails fast with StoreUnavailableError, and no password, when the server is not there', async () => {
      const port = await freePort();
      const started = performance.now();
      const error = await createPostgresStore(`postgres://wx:hunter2@127.0.0.1:${port}/db`).catch((e: unknown) => e);
      expect(performance.now() - started).toBeLessThan(2_000);
      expect(error).toBeInstanceOf(StoreUnavailableError);
      const seen = JSON.stringify([String(error), (error as Error).stack, String((error as Error).cause), error]);
      expect(seen).not.toContain('hunter2');
      expect(String(error)).toContain(`postgres://127.0.0.1:${port}/db`);
    });

    it('validates URL and options eagerly, naming the culprit', async () => {
      const bad: [string, PostgresStoreOptions, RegExp][] = [
        ['mysql://127.0.0.1/db', {}, /postgres:\/\/ or postgresql:\/\//],
        [shared.url, { schema: 'a"; DROP SCHEMA public; --' }, /schema must be/],
        [shared.url, { schema: 'x'.repeat(56) }, /schema must be/],
        [shared.url, { poolSize: 0 }, /poolSize.*got 0/],
        [shared.url, { poolSize: 1.5 }, /poolSize/],
        [shared.url, { commandTimeoutMs: Number.NaN }, /commandTimeoutMs/],
        [shared.url, { connectTimeoutMs: -1 }, /connectTimeoutMs/],
        [shared.url, { maxReconnectDelayMs: 0 }, /maxReconnectDelayMs/],
      ];
      for (const [url, options, message] of bad) {
        const error = await createPostgresStore(url, options).catch((e: unknown) => e);
        expect(error).toBeInstanceOf(ConfigError);
        expect(String(error)).toMatch(message);
      }
      await expect(createPostgresStore('postgres://u:hunter2@[bad')).rejects.toThrow(/^(?!.*hunter2).*not a valid URL/);
    });
  });
});

describe.skipIf(binaries.skip)('PostgresStore through a PostgreSQL outage', () => {
  let server: PostgresServer;
  const stores = useThrowawayServer(binaries, async () => (server = await startPostgresServer()));

  it('rejects quickly while the server is down, logs the outage once, and recovers by itself, events included', async () => {
    await expectOutageRecovery(server, (options) => createPostgresStore(server.url, options), stores);
  });

  it('survives the server crashing', async () => {
    const store = await createPostgresStore(server.url, { maxReconnectDelayMs: 200 });
    stores.push(store);
    await store.ping();
    await expectCrashRecovery(server, store);
  });
});
