/**
 * Loads a store captured from a past release (a directory of test/stores/fixtures/ holding `store.sqlite`,
 * `redis-hashes.json` and `postgres.sql`, see its README) into a fresh place on each backend: a copy of the SQLite
 * file, a Redis key prefix, a PostgreSQL schema.
 */
import { copyFileSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import pg from 'pg';

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
