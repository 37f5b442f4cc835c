import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hashClientKey, KeyRing } from '../../src/core/client-keys.js';
import { openStore } from '../../src/stores/open-store.js';
import type { Store } from '../../src/stores/store.js';
import { dropPostgresSchema, dropRedisPrefix, randomRedisPrefix, randomSchema, requirePostgres, requireRedis } from '../support/services.js';
import { tempDir } from '../support/stack.js';
import { FIXTURE, loadPostgresFixture, loadRedisFixture, loadSqliteFixture } from './fixtures-v0.1.0.js';

// Client keys written by 0.1.0 (no capabilities, expiry or last-used time) open as unrestricted keys that never
// expire, on every backend, and take the new fields from then on (SQLite and PostgreSQL migration 3).
const redis = await requireRedis();
const postgres = await requirePostgres();

let dir: string;
let cleanup: () => Promise<void>;
beforeAll(async () => ({ dir, cleanup } = await tempDir()));
afterAll(async () => cleanup());

async function expectKeysIntact(store: Store): Promise<void> {
  const keys = await store.listClientKeys();
  expect(keys).toEqual(
    FIXTURE.keys.map((k) => ({
      name: k.name,
      hash: hashClientKey(k.key),
      apps: [...k.apps],
      createdAt: FIXTURE.keysCreatedAt,
      capabilities: null,
      expiresAt: null,
      lastUsedAt: null,
    })),
  );
  const ring = new KeyRing(store, { now: () => FIXTURE.keysCreatedAt + 1 });
  await ring.reload();
  for (const k of FIXTURE.keys) {
    expect(ring.authenticate(k.key)).toEqual({ name: k.name, scopes: [...k.apps], capabilities: ['read-token', 'sign', 'login'] });
  }
  expect((await ring.list()).map((k) => [k.name, k.apps, k.capabilities, k.expiresAt])).toEqual([
    ['billing', ['wx0123456789abcdef'], ['read-token', 'sign', 'login'], null],
    ['ops', ['*'], ['read-token', 'sign', 'login'], null],
  ]);
  // The upgraded layout takes the new fields.
  await store.touchClientKey('ops', FIXTURE.keysCreatedAt + 60_000);
  expect((await store.listClientKeys()).find((k) => k.name === 'ops')?.lastUsedAt).toBe(FIXTURE.keysCreatedAt + 60_000);
  expect(await store.addClientKey({ name: 'new', hash: 'ab'.repeat(32), apps: ['*'], createdAt: 1, capabilities: ['sign'], expiresAt: 2, lastUsedAt: null })).toBe(true);
  expect((await store.listClientKeys()).find((k) => k.name === 'new')).toMatchObject({ capabilities: ['sign'], expiresAt: 2 });
}

describe('client keys of a 0.1.0 store', () => {
  it('SQLite', async () => {
    const store = await openStore(loadSqliteFixture(dir));
    try {
      await expectKeysIntact(store);
    } finally {
      await store.close();
    }
  });

  it.skipIf(redis.skip)('Redis', async () => {
    const prefix = randomRedisPrefix();
    const store = await openStore(await loadRedisFixture(redis.url, prefix));
    try {
      await expectKeysIntact(store);
    } finally {
      await store.close();
      await dropRedisPrefix(redis.url, prefix);
    }
  });

  it.skipIf(postgres.skip)('PostgreSQL', async () => {
    const schema = randomSchema();
    const store = await openStore(await loadPostgresFixture(postgres.url, schema));
    try {
      await expectKeysIntact(store);
    } finally {
      await store.close();
      await dropPostgresSchema(postgres.url, schema);
    }
  });
});
