/**
 * Loads the stores written by wxtoken 0.1.0 (test/stores/fixtures/v0.1.0, see its README) into a fresh place on
 * each backend: a copy of the SQLite file, a Redis key prefix, a PostgreSQL schema. Their secrets are sealed with
 * FIXTURE_MASTER_KEY.
 */
import { copyFileSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import pg from 'pg';

const DIR = new URL('./fixtures/v0.1.0/', import.meta.url);

/** The master key of the fixtures, hex. */
export const FIXTURE_MASTER_KEY = '11'.repeat(32);
/** What the fixtures hold. */
export const FIXTURE = {
  stableApp: 'wx0123456789abcdef',
  classicApp: 'wx00000000000000aa',
  stableToken: 'FIXTURE_TOKEN_STABLE',
  classicToken: 'FIXTURE_TOKEN_CLASSIC',
  /** The client keys, with the key each was created from (so tests can present them). */
  keys: [
    { name: 'billing', apps: ['wx0123456789abcdef'], key: 'wxt_fixture_billing_key_0000000000000000000000' },
    { name: 'ops', apps: ['*'], key: 'wxt_fixture_ops_key_000000000000000000000000000' },
  ],
  keysCreatedAt: 1793491200000,
} as const;

/** Copies the SQLite fixture into `dir`; returns its store URL. */
export function loadSqliteFixture(dir: string): string {
  const path = join(dir, 'fixture.sqlite');
  copyFileSync(new URL('store.sqlite', DIR), path);
  return `sqlite:${path}`;
}

/** Writes the Redis fixture's hashes under `prefix` of the Redis at `url`; returns the store URL. */
export async function loadRedisFixture(url: string, prefix: string): Promise<string> {
  const hashes = JSON.parse(readFileSync(new URL('redis-hashes.json', DIR), 'utf8')) as Record<string, Record<string, string>>;
  const redis = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 0 });
  await redis.connect();
  try {
    for (const [name, fields] of Object.entries(hashes)) await redis.hset(`${prefix}{wxtoken}:${name}`, fields);
  } finally {
    redis.disconnect();
  }
  return `${url}?prefix=${encodeURIComponent(prefix)}`;
}

/** Restores the PostgreSQL fixture into `schema` (which must not exist) of the database at `url`; returns the store URL. */
export async function loadPostgresFixture(url: string, schema: string): Promise<string> {
  const sql = readFileSync(new URL('postgres.sql', DIR), 'utf8').replaceAll('__SCHEMA__', `"${schema}"`);
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
  return `${url}?schema=${schema}`;
}
