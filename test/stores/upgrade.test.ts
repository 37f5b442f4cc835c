/**
 * A store written by the previous release (wxtoken 0.1.0, fixtures in fixtures/v0.1.0) opens in this one with its
 * apps, client keys and valid tokens intact, on every backend, and a hub on it serves the stored tokens without
 * calling WeChat.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/util/clock.js';
import { Hub } from '../../src/core/hub.js';
import { hashClientKey } from '../../src/core/client-keys.js';
import { createSecretBox } from '../../src/core/secret-box.js';
import { openStore } from '../../src/stores/open-store.js';
import type { Store } from '../../src/stores/store.js';
import { FakeFetcher } from '../support/fake-fetcher.js';
import { dropPostgresSchema, dropRedisPrefix, randomRedisPrefix, randomSchema, requirePostgres, requireRedis } from '../support/services.js';
import { loadPostgresFixture, loadRedisFixture, loadSqliteFixture } from './fixtures-v0.1.0.js';

const MASTER_KEY = Buffer.alloc(32, 0x11);
const STABLE = 'wx0123456789abcdef';
const CLASSIC = 'wx00000000000000aa';
const T = Date.UTC(2026, 10, 1);

/** Everything the fixtures hold must still be there, in today's record shapes. */
async function expectFixtureContents(store: Store): Promise<void> {
  expect((await store.listPrincipals()).map((a) => [a.id, a.type, a.attributes.grant])).toEqual([
    [CLASSIC, 'app', 'classic'],
    [STABLE, 'app', 'stable'],
  ]);
  const box = createSecretBox(MASTER_KEY);
  expect(box.open((await store.getPrincipal(STABLE))!.secrets.secret!, STABLE)).toBe('fixture-secret-stable');
  expect(box.open((await store.getPrincipal(CLASSIC))!.secrets.secret!, CLASSIC)).toBe('fixture-secret-classic');

  const stable = await store.getCredential(`${STABLE}:access_token`);
  expect(stable).toMatchObject({ version: 1, token: 'FIXTURE_TOKEN_STABLE', expiresAt: Date.UTC(2100, 0, 1), obtainedAt: T, failure: null, pending: null, invalidations: 0 });
  // The 0.1.0 force log became the access token kind's state.
  expect(stable?.state).toEqual({ forceLog: { day: '2026-11-01', count: 3, lastAt: T + 5 } });
  const classic = await store.getCredential(`${CLASSIC}:access_token`);
  expect(classic).toMatchObject({ token: 'FIXTURE_TOKEN_CLASSIC', state: null, pending: null, invalidations: 0 });
  expect(classic?.failure).toEqual({ code: 'upstream_unavailable', message: 'fixture failure', category: 'transient', at: T, retryAt: T + 1000, attempts: 2 });

  const keys = await store.listClientKeys();
  expect(keys.map((k) => [k.name, k.apps])).toEqual([
    ['billing', [STABLE]],
    ['ops', ['*']],
  ]);
  expect(keys.find((k) => k.name === 'billing')?.hash).toBe(hashClientKey('wxt_fixture_billing_key_0000000000000000000000'));

  // A record written back in today's shape reads back whole.
  expect(await store.putCredential({ ...stable!, invalidations: 1 }, 1)).toBe(true);
  expect(await store.getCredential(`${STABLE}:access_token`)).toMatchObject({ version: 2, invalidations: 1, state: stable!.state });
}

/** A hub on the upgraded store serves the stored tokens and authenticates the stored keys, calling WeChat for nothing. */
async function expectHubServes(store: Store): Promise<void> {
  const clock = new ManualClock(Date.UTC(2026, 10, 29));
  const fetcher = new FakeFetcher(clock);
  const hub = new Hub({ store, fetcher, clock, secrets: createSecretBox(MASTER_KEY), prefetch: false, background: false });
  await hub.start();
  try {
    expect((await hub.getAccessToken(STABLE)).token).toBe('FIXTURE_TOKEN_STABLE');
    expect(await hub.verifySecret(STABLE, 'fixture-secret-stable')).toBe(true);
    expect(hub.authenticate('wxt_fixture_billing_key_0000000000000000000000')).toMatchObject({ name: 'billing' });
    expect(fetcher.calls).toHaveLength(0);
  } finally {
    await hub.stop();
  }
}

describe('upgrade in place from a 0.1.0 SQLite file', () => {
  const dir = mkdtempSync(join(tmpdir(), 'wxtoken-upgrade-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('keeps apps, keys and tokens, and serves them', async () => {
    const url = loadSqliteFixture(dir);
    const store = await openStore(url);
    try {
      await expectFixtureContents(store);
      await expectHubServes(store);
    } finally {
      await store.close();
    }
    // Opening it again (already migrated) changes nothing.
    const again = await openStore(url);
    expect((await again.getCredential(`${STABLE}:access_token`))?.version).toBe(2);
    await again.close();
  });
});

const redis = await requireRedis();

describe.skipIf(redis.skip)('upgrade in place from a 0.1.0 Redis keyspace', () => {
  const prefix = randomRedisPrefix();
  beforeAll(() => redis.assertAvailable());
  afterAll(() => dropRedisPrefix(redis.url, prefix));

  it('keeps apps, keys and tokens, and serves them', async () => {
    const store = await openStore(await loadRedisFixture(redis.url, prefix));
    try {
      await expectFixtureContents(store);
      await expectHubServes(store);
    } finally {
      await store.close();
    }
  });
});

const postgres = await requirePostgres();

describe.skipIf(postgres.skip)('upgrade in place from a 0.1.0 PostgreSQL schema', () => {
  const schema = randomSchema();
  beforeAll(() => postgres.assertAvailable());
  afterAll(() => dropPostgresSchema(postgres.url, schema));

  it('migrates the schema and keeps apps, keys and tokens, and serves them', async () => {
    const store = await openStore(await loadPostgresFixture(postgres.url, schema));
    try {
      await expectFixtureContents(store);
      await expectHubServes(store);
    } finally {
      await store.close();
    }
  });
});
