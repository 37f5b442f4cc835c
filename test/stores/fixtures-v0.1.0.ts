/**
 * Loads the stores written by wxtoken 0.1.0 (test/stores/fixtures/v0.1.0, see its README) into a fresh place on
 * each backend: a copy of the SQLite file, a Redis key prefix, a PostgreSQL schema. Their secrets are sealed with
 * FIXTURE_MASTER_KEY.
 */
import { fixtureLoaders } from './fixture-stores.js';

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

/** Loaders of the fixtures into a place on each backend (see fixture-stores.ts). */
export const { loadSqliteFixture, loadRedisFixture, loadPostgresFixture } = fixtureLoaders('v0.1.0');
