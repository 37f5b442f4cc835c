/**
 * Loads a store captured from a past release (a directory of test/stores/fixtures/ holding `store.sqlite`,
 * `redis-hashes.json` and `postgres.sql`, see its README) into a fresh place on each backend: a copy of the SQLite
 * file, a Redis key prefix, a PostgreSQL schema.
 */
import { copyFileSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import pg from 'pg';
import { afterAll, beforeAll, describe, it } from 'vitest';
import { openStore } from '../../src/stores/open-store.js';
import type { Store } from '../../src/stores/store.js';
import { dropPostgresSchema, dropRedisPrefix, randomRedisPrefix, randomSchema, requirePostgres, requireRedis } from '../support/services.js';
import { tempDir } from '../support/stack.js';

/** The loaders of one fixture directory; each returns the store URL of what it loaded. */
export interface FixtureLoaders {
  /** Copies the SQLite fixture into `dir`. */
  loadSqliteFixture(dir: string): string;
  /** Writes the Redis fixture's hashes under `prefix` of the Redis at `url`. */
  loadRedisFixture(url: string, prefix: string): Promise<string>;
  /** Restores the PostgreSQL fixture into `schema` (which must not exist) of the database at `url`. */
  loadPostgresFixture(url: string, schema: string): Promise<string>;
}

/** The loaders of test/stores/fixtures/<release>/. */
export function fixtureLoaders(release: string): FixtureLoaders {
  const dir = new URL(`./fixtures/${release}/`, import.meta.url);
  return {
    loadSqliteFixture(into) {
      // Named after the release, so fixtures of two releases can share a temporary directory.
      const path = join(into, `fixture-${release}.sqlite`);
      copyFileSync(new URL('store.sqlite', dir), path);
      return `sqlite:${path}`;
    },

    async loadRedisFixture(url, prefix) {
      const hashes = JSON.parse(readFileSync(new URL('redis-hashes.json', dir), 'utf8')) as Record<string, Record<string, string>>;
      const redis = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 0 });
      await redis.connect();
      try {
        for (const [name, fields] of Object.entries(hashes)) await redis.hset(`${prefix}{wxtoken}:${name}`, fields);
      } finally {
        redis.disconnect();
      }
      return `${url}?prefix=${encodeURIComponent(prefix)}`;
    },

    async loadPostgresFixture(url, schema) {
      const sql = readFileSync(new URL('postgres.sql', dir), 'utf8').replaceAll('__SCHEMA__', `"${schema}"`);
      const client = new pg.Client({ connectionString: url });
      await client.connect();
      try {
        await client.query(sql);
      } finally {
        await client.end();
      }
      return `${url}?schema=${schema}`;
    },
  };
}

/** What an upgrade test checks of a loaded fixture, once opened with this code. */
export interface UpgradeChecks {
  /** Every record is as the old release wrote it (in today's shapes). */
  contents(store: Store): Promise<void>;
  /** A hub on it serves what it holds without calling WeChat. */
  serves(store: Store): Promise<void>;
}

/**
 * The upgrade tests of one release's fixtures, on SQLite, Redis and PostgreSQL (skipped with a message when a
 * server is unreachable outside CI): each loaded store is opened (migrating it) and checked, then opened again
 * (already migrated) and checked, and served by a hub.
 */
export async function describeUpgrades(title: string, expectation: string, loaders: FixtureLoaders, checks: UpgradeChecks): Promise<void> {
  const expectUpgrades = async (url: string): Promise<void> => {
    const first = await openStore(url);
    try {
      await checks.contents(first);
    } finally {
      await first.close();
    }
    const again = await openStore(url);
    try {
      await checks.contents(again);
      await checks.serves(again);
    } finally {
      await again.close();
    }
  };

  describe(`upgrade in place from a ${title} SQLite file`, () => {
    let dir: string;
    let cleanup: () => Promise<void>;
    beforeAll(async () => ({ dir, cleanup } = await tempDir()));
    afterAll(async () => cleanup());
    it(expectation, async () => expectUpgrades(loaders.loadSqliteFixture(dir)));
  });

  const redis = await requireRedis();
  describe.skipIf(redis.skip)(`upgrade in place from a ${title} Redis keyspace`, () => {
    const prefix = randomRedisPrefix();
    beforeAll(() => redis.assertAvailable());
    afterAll(() => dropRedisPrefix(redis.url, prefix));
    it(expectation, async () => expectUpgrades(await loaders.loadRedisFixture(redis.url, prefix)));
  });

  const postgres = await requirePostgres();
  describe.skipIf(postgres.skip)(`upgrade in place from a ${title} PostgreSQL schema`, () => {
    const schema = randomSchema();
    beforeAll(() => postgres.assertAvailable());
    afterAll(() => dropPostgresSchema(postgres.url, schema));
    it(`migrates the schema if needed; ${expectation}`, async () => expectUpgrades(await loaders.loadPostgresFixture(postgres.url, schema)));
  });
}
