/**
 * Loads the stores written by commit 09e9062, the last release before principals (store schema 3;
 * test/stores/fixtures/v3-09e9062, see its README), into a fresh place on each backend. Their secrets and their
 * tokens are sealed with FIXTURE_V3_MASTER_KEY, as `wxtoken serve` sealed them at that commit.
 */
import { fixtureLoaders } from './fixture-stores.js';

/** The master key of the fixtures, hex. */
export const FIXTURE_V3_MASTER_KEY = '11'.repeat(32);

const T = Date.UTC(2026, 10, 20);
const END = Date.UTC(2100, 0, 1);
const STABLE = 'wx0123456789abcdef';
const CLASSIC = 'wx00000000000000aa';

/** What the fixtures hold, as 09e9062 was given it (plaintext secrets and values; records in today's shapes). */
export const FIXTURE_V3 = {
  /** The id of the master key, as written in every value it sealed (`v2.<keyid>.…`). */
  masterKeyId: '3322578f',
  /** The apps, in id order, with the AppSecret each was added with. */
  apps: [
    { id: CLASSIC, grant: 'classic', secret: 'fixture-v3-secret-classic', createdAt: T + 1, updatedAt: T + 1 },
    { id: STABLE, grant: 'stable', secret: 'fixture-v3-secret-stable', createdAt: T, updatedAt: T },
  ],
  /** The credential records, in key order, with their plaintext values. */
  credentials: [
    {
      key: `${CLASSIC}:access_token`,
      version: 1,
      token: 'FIXTURE_V3_TOKEN_CLASSIC',
      expiresAt: END,
      obtainedAt: T + 1,
      failure: null,
      state: null,
      pending: null,
      invalidations: 1,
    },
    {
      key: `${STABLE}:access_token`,
      version: 1,
      token: 'FIXTURE_V3_TOKEN_STABLE',
      expiresAt: END,
      obtainedAt: T,
      failure: null,
      state: { forceLog: { day: '2026-11-20', count: 2, lastAt: T + 7 } },
      pending: null,
      invalidations: 0,
    },
    {
      key: `${STABLE}:jsapi_ticket`,
      version: 1,
      token: 'FIXTURE_V3_JSAPI_TICKET',
      expiresAt: END,
      obtainedAt: T + 10,
      failure: null,
      state: { checkedAt: T + 20, seenAt: T + 30, ageKnown: true },
      pending: null,
      invalidations: 0,
    },
  ],
  /** The client keys, in name order, with the key each was created as (so tests can present them). */
  keys: [
    {
      name: 'ops',
      key: 'wxt_oKCgoKCgoKCgoKCgoKCgoKCgoKCgoKCgoKCgoKCgoKA',
      apps: ['*'],
      createdAt: T + 1,
      capabilities: null,
      expiresAt: null,
      lastUsedAt: null,
    },
    {
      name: 'signer',
      key: 'wxt_oaGhoaGhoaGhoaGhoaGhoaGhoaGhoaGhoaGhoaGhoaE',
      apps: [STABLE],
      createdAt: T + 1,
      capabilities: ['sign'],
      expiresAt: END,
      lastUsedAt: T + 60_000,
    },
  ],
} as const;

/** Loaders of the fixtures into a place on each backend (see fixture-stores.ts). */
export const { loadSqliteFixture, loadRedisFixture, loadPostgresFixture } = fixtureLoaders('v3-09e9062');
