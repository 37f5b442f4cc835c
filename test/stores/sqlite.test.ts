import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ManualClock, systemClock } from '../../src/util/clock.js';
import { createSecretBox } from '../../src/core/secret-box.js';
import { ConfigError, StoreUnavailableError } from '../../src/errors/index.js';
import { SCHEMA_VERSION, createSqliteStore, type SqliteStore, type SqliteStoreOptions } from '../../src/stores/sqlite/index.js';
import { holdForProcessLifetime } from '../../src/stores/sqlite/process-lifetime.js';
import type { CredentialRecord, PrincipalRecord, StoreEvent } from '../../src/stores/store.js';
import { describeStoreConformance } from './conformance.js';

describeStoreConformance('sqlite', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'wxtoken-sqlite-'));
  const path = join(dir, 'wxtoken.db');
  const clock = new ManualClock();
  const options: SqliteStoreOptions = { clock, pollIntervalMs: 25 };
  const opened: SqliteStore[] = [];
  const open = async (): Promise<SqliteStore> => {
    const store = await createSqliteStore(path, options);
    opened.push(store);
    return store;
  };
  let store: SqliteStore;
  try {
    store = await open();
  } catch (error) {
    rmSync(dir, { recursive: true, force: true });
    throw error;
  }
  return {
    store,
    peer: open,
    advance: (ms) => clock.advance(ms),
    async cleanup() {
      for (const store of opened) await store.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
});

const T0 = Date.UTC(2026, 0, 1);
const app = (appid: string, sealedSecret = 'v1.x.y.z'): PrincipalRecord => ({
  id: appid,
  type: 'app',
  attributes: { grant: 'stable' },
  secrets: { secret: sealedSecret },
  createdAt: T0,
  updatedAt: T0,
});
const credential = (key: string): CredentialRecord => ({
  key,
  version: 0,
  token: 'TOKEN',
  expiresAt: T0 + 7_200_000,
  obtainedAt: T0,
  failure: { code: 'upstream_unavailable', message: 'busy', errcode: -1, category: 'transient', at: T0, attempts: 1 },
  state: { forceLog: { day: '2026-01-01', count: 1, lastAt: T0 } },
  pending: { owner: 'instance-a', since: T0 },
  invalidations: 1,
});

describe('SqliteStore', () => {
  let dir: string;
  let path: string;
  const toClose: { close(): unknown }[] = [];

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'wxtoken-sqlite-'));
    path = join(dir, 'wxtoken.db');
  });

  afterEach(async () => {
    for (const c of toClose.splice(0)) await c.close();
    rmSync(dir, { recursive: true, force: true });
  });

  async function open(options: SqliteStoreOptions = {}, at = path): Promise<SqliteStore> {
    const store = await createSqliteStore(at, options);
    toClose.push(store);
    return store;
  }

  // Like the store's own, these better-sqlite3 objects stay reachable until exit: on Node 24 a garbage collection
  // that destroys one aborts this worker (src/stores/sqlite/process-lifetime.ts). Hence no db.pragma() here.
  function raw(options: Database.Options = {}): Database.Database {
    const db = holdForProcessLifetime(new Database(path, options));
    toClose.push(db);
    return db;
  }

  function pragma(db: Database.Database, name: string): unknown {
    return holdForProcessLifetime(db.prepare(`PRAGMA ${name}`).pluck()).get();
  }

  it('keeps everything across a restart', async () => {
    const clock = new ManualClock();
    const first = await open({ clock });
    await first.putPrincipal(app('wx0000000000000001'));
    await first.putCredential(credential('wx0000000000000001:access_token'), 0);
    await first.addClientKey({ name: 'svc', hash: 'ab'.repeat(32), apps: ['*'], createdAt: T0, capabilities: null, expiresAt: null, lastUsedAt: null });
    await first.acquireLease('refresh', 'hub-1', 60_000);
    await first.close();

    const second = await open({ clock });
    expect(await second.listPrincipals()).toEqual([app('wx0000000000000001')]);
    expect(await second.getCredential('wx0000000000000001:access_token')).toEqual({
      ...credential('wx0000000000000001:access_token'),
      version: 1,
    });
    expect(await second.listClientKeys()).toEqual([{ name: 'svc', hash: 'ab'.repeat(32), apps: ['*'], createdAt: T0, capabilities: null, expiresAt: null, lastUsedAt: null }]);
    expect(await second.acquireLease('refresh', 'hub-2', 60_000)).toBe(false);
  });

  it('creates the directory, uses WAL mode and records the schema version', async () => {
    path = join(dir, 'nested', 'deeper', 'wxtoken.db');
    await open();
    const db = raw({ readonly: true });
    expect(pragma(db, 'journal_mode')).toBe('wal');
    expect(pragma(db, 'user_version')).toBe(SCHEMA_VERSION);
    expect(SCHEMA_VERSION).toBeGreaterThanOrEqual(1);
  });

  it('reopens an existing database without migrating it again', async () => {
    const first = await open();
    await first.putPrincipal(app('wx1'));
    await first.close();
    await expect(open()).resolves.toBeDefined();
    expect(pragma(raw({ readonly: true }), 'user_version')).toBe(SCHEMA_VERSION);
  });

  it('refuses a database written by a newer wxtoken', async () => {
    (await open()).close();
    raw().exec(`PRAGMA user_version = ${SCHEMA_VERSION + 1}`);
    await expect(createSqliteStore(path)).rejects.toThrow(ConfigError);
    await expect(createSqliteStore(path)).rejects.toThrow(`schema version ${SCHEMA_VERSION + 1}`);
  });

  it('stores exactly what it is given: a sealed secret never appears in plaintext in the file or the WAL', async () => {
    const plaintext = 'f3c1d2e4a5b6978800112233445566ff';
    const sealed = createSecretBox(Buffer.alloc(32, 9)).seal(plaintext, 'wx0000000000000001');
    const store = await open();
    await store.putPrincipal(app('wx0000000000000001', sealed));
    expect((await store.getPrincipal('wx0000000000000001'))?.secrets.secret).toBe(sealed);
    const bytes = Buffer.concat([path, `${path}-wal`].filter(existsSync).map((f) => readFileSync(f)));
    expect(bytes.includes(sealed)).toBe(true);
    expect(bytes.includes(plaintext)).toBe(false);
  });

  it('binds parameters: quotes in keys and values round-trip and inject nothing', async () => {
    const store = await open();
    const appid = "wx'); DELETE FROM principals; --";
    await store.putPrincipal(app('wx0000000000000001'));
    await store.putPrincipal(app(appid, "it's"));
    await store.putCredential(credential(`${appid}:access_token`), 0);
    expect(await store.getPrincipal(appid)).toEqual(app(appid, "it's"));
    expect((await store.getCredential(`${appid}:access_token`))?.version).toBe(1);
    expect(await store.listPrincipals()).toHaveLength(2);
    expect(await store.deletePrincipal(appid)).toBe(true);
    expect(await store.listPrincipals()).toEqual([app('wx0000000000000001')]);
  });

  it('picks up another instance writes on the real clock by polling', async () => {
    const hub = await open({ clock: systemClock, pollIntervalMs: 20 });
    const cli = await open({ clock: systemClock, pollIntervalMs: 20 });
    const events: StoreEvent[] = [];
    const stop = await hub.subscribe((e) => events.push(e));
    await cli.putPrincipal(app('wx0000000000000001'));
    const started = performance.now();
    while (events.length === 0 && performance.now() - started < 2_000) await new Promise((r) => setTimeout(r, 10));
    expect(events).toEqual([{ type: 'principal', id: 'wx0000000000000001' }]);
    await stop();
  });

  it('polls only while subscribed', async () => {
    const clock = new ManualClock();
    const store = await open({ clock, pollIntervalMs: 100 });
    expect(clock.pendingTimers).toBe(0);
    const stopA = await store.subscribe(() => {});
    const stopB = await store.subscribe(() => {});
    expect(clock.pendingTimers).toBe(1);
    await stopA();
    expect(clock.pendingTimers).toBe(1);
    await stopB();
    expect(clock.pendingTimers).toBe(0);
    await store.subscribe(() => {});
    await store.close();
    expect(clock.pendingTimers).toBe(0);
  });

  it('does not replay history to a new subscriber', async () => {
    const clock = new ManualClock();
    const writer = await open({ clock });
    const reader = await open({ clock, pollIntervalMs: 10 });
    await writer.putPrincipal(app('wx-old'));
    const events: StoreEvent[] = [];
    await reader.subscribe((e) => events.push(e));
    await writer.putPrincipal(app('wx-new'));
    await clock.advance(50);
    expect(events).toEqual([{ type: 'principal', id: 'wx-new' }]);
  });

  it('prunes change-feed rows older than the retention', async () => {
    const clock = new ManualClock();
    const store = await open({ clock, changeRetentionMs: 60_000 });
    await store.putPrincipal(app('wx1'));
    await store.putPrincipal(app('wx2'));
    await clock.advance(30_000);
    await store.putPrincipal(app('wx3'));
    const count = (): number =>
      (holdForProcessLifetime(raw({ readonly: true }).prepare('SELECT COUNT(*) AS n FROM changes')).get() as { n: number }).n;
    expect(count()).toBe(3);
    await clock.advance(30_001);
    await store.putPrincipal(app('wx4'));
    expect(count()).toBe(2);
  });

  it('fails fast with StoreUnavailableError when another process holds the write lock', async () => {
    const store = await open({ busyTimeoutMs: 50 });
    const other = raw();
    other.exec('BEGIN IMMEDIATE');
    await expect(store.putPrincipal(app('wx1'))).rejects.toBeInstanceOf(StoreUnavailableError);
    expect(await store.getPrincipal('wx1')).toBeNull(); // WAL: reads still work while another process writes
    other.exec('ROLLBACK');
    await store.putPrincipal(app('wx1'));
    expect(await store.getPrincipal('wx1')).not.toBeNull();
  });

  it('judges lease expiry by the injected clock, shared through the file', async () => {
    const clock = new ManualClock();
    const a = await open({ clock });
    const b = await open({ clock });
    expect(await a.acquireLease('refresh', 'a', 10_000)).toBe(true);
    await clock.advance(9_999);
    expect(await b.acquireLease('refresh', 'b', 10_000)).toBe(false);
    await clock.advance(1);
    expect(await b.acquireLease('refresh', 'b', 10_000)).toBe(true);
  });

  it('wraps an unopenable path in StoreUnavailableError naming the path', async () => {
    await expect(createSqliteStore(dir)).rejects.toThrow(StoreUnavailableError);
    await expect(createSqliteStore(dir)).rejects.toThrow(dir);
  });

  it('validates its options eagerly, naming the option and value', async () => {
    await expect(createSqliteStore(path, { pollIntervalMs: 0 })).rejects.toThrow(/pollIntervalMs.*got 0/);
    await expect(createSqliteStore(path, { busyTimeoutMs: Number.NaN })).rejects.toThrow(ConfigError);
    await expect(createSqliteStore(path, { changeRetentionMs: -1 })).rejects.toThrow(/changeRetentionMs/);
  });

  it('describes itself by its path', async () => {
    expect((await open()).description).toBe(`sqlite:${path}`);
  });
});
