/**
 * A store written by the release before principals (commit 09e9062, store schema 3; fixtures in
 * fixtures/v3-09e9062) opens in this one on every backend: its apps are principals of type `app` (migration 4), and
 * its client keys, sealed tokens, force log and ticket are intact; opened again, nothing changes; and a hub on it
 * serves the stored token and ticket without calling WeChat.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/util/clock.js';
import { Hub } from '../../src/core/hub.js';
import { hashClientKey } from '../../src/core/client-keys.js';
import { createSealer } from '../../src/core/sealer.js';
import { openStore } from '../../src/stores/open-store.js';
import { SealingStore } from '../../src/stores/sealing-store.js';
import type { Store } from '../../src/stores/store.js';
import { FakeFetcher } from '../support/fake-fetcher.js';
import { dropPostgresSchema, dropRedisPrefix, randomRedisPrefix, randomSchema, requirePostgres, requireRedis } from '../support/services.js';
import { tempDir } from '../support/stack.js';
import { FIXTURE_V3, FIXTURE_V3_MASTER_KEY, loadPostgresFixture, loadRedisFixture, loadSqliteFixture } from './fixtures-v3-09e9062.js';

const sealer = createSealer({ current: Buffer.from(FIXTURE_V3_MASTER_KEY, 'hex') });
const [CLASSIC, STABLE] = FIXTURE_V3.apps;
const [OPS, SIGNER] = FIXTURE_V3.keys;

/** Everything the fixtures hold must be there, in today's record shapes, its values still sealed as 09e9062 left them. */
async function expectFixtureContents(store: Store): Promise<void> {
  const principals = await store.listPrincipals();
  expect(principals.map(({ secrets, ...principal }) => ({ ...principal, secrets: Object.keys(secrets) }))).toEqual(
    FIXTURE_V3.apps.map((app) => ({
      id: app.id,
      type: 'app',
      attributes: { grant: app.grant },
      secrets: ['secret'],
      createdAt: app.createdAt,
      updatedAt: app.updatedAt,
    })),
  );
  for (const app of FIXTURE_V3.apps) {
    const sealed = principals.find((p) => p.id === app.id)!.secrets.secret!;
    // Moved, not re-sealed: the app's secret under the same key and context.
    expect(sealed.startsWith(`v2.${FIXTURE_V3.masterKeyId}.`)).toBe(true);
    expect(sealer.open(sealed, app.id)).toBe(app.secret);
  }

  expect(await store.listClientKeys()).toEqual(FIXTURE_V3.keys.map(({ key, ...record }) => ({ ...record, hash: hashClientKey(key) })));

  expect(await store.listCredentialKeys()).toEqual(FIXTURE_V3.credentials.map((c) => c.key));
  const unsealed = new SealingStore(store, sealer);
  for (const credential of FIXTURE_V3.credentials) {
    expect((await store.getCredential(credential.key))?.token?.startsWith(`v2.${FIXTURE_V3.masterKeyId}.`)).toBe(true);
    expect(await unsealed.getCredential(credential.key)).toEqual(credential);
  }
}

/**
 * A hub on the upgraded store, over the sealing store as `wxtoken serve` stacks them, serves the stored tokens and
 * ticket, opens the secrets and authenticates the keys with their capabilities, calling WeChat for nothing.
 */
async function expectHubServes(store: Store): Promise<void> {
  const clock = new ManualClock(Date.UTC(2026, 10, 29));
  const fetcher = new FakeFetcher(clock);
  const hub = new Hub({ store: new SealingStore(store, sealer), fetcher, clock, secrets: sealer, prefetch: false, background: false });
  await hub.start();
  try {
    const [classicToken, stableToken, ticket] = FIXTURE_V3.credentials;
    // (Served with the expiry less the hub's serving margin.)
    expect((await hub.getAccessToken(STABLE.id)).token).toBe(stableToken.token);
    expect((await hub.getAccessToken(CLASSIC.id)).token).toBe(classicToken.token);
    expect(await hub.getTicket(STABLE.id, 'jsapi')).toMatchObject({ token: ticket.token, ageKnown: true });
    for (const app of FIXTURE_V3.apps) expect(await hub.verifySecret(app.id, app.secret)).toBe(true);
    expect(hub.authenticate(OPS.key)).toEqual({ name: OPS.name, scopes: ['*'], capabilities: ['read-token', 'sign', 'login'] });
    expect(hub.authenticate(SIGNER.key)).toEqual({ name: SIGNER.name, scopes: [STABLE.id], capabilities: ['sign'] });
    expect(fetcher.calls).toHaveLength(0);
    expect(fetcher.ticketCalls).toHaveLength(0);
  } finally {
    await hub.stop();
  }
}

/** Opens the loaded fixture (migrating it), checks it, opens it again (already migrated) and checks it and a hub on it. */
async function expectUpgrades(url: string): Promise<void> {
  const first = await openStore(url);
  try {
    await expectFixtureContents(first);
  } finally {
    await first.close();
  }
  const again = await openStore(url);
  try {
    await expectFixtureContents(again);
    await expectHubServes(again);
  } finally {
    await again.close();
  }
}

describe('upgrade in place from a 09e9062 (schema 3) SQLite file', () => {
  let dir: string;
  let cleanup: () => Promise<void>;
  beforeAll(async () => ({ dir, cleanup } = await tempDir()));
  afterAll(async () => cleanup());

  it('makes apps principals and keeps keys, tokens and the ticket, and serves them', async () => {
    await expectUpgrades(loadSqliteFixture(dir));
  });
});

const redis = await requireRedis();

describe.skipIf(redis.skip)('upgrade in place from a 09e9062 (schema 3) Redis keyspace', () => {
  const prefix = randomRedisPrefix();
  beforeAll(() => redis.assertAvailable());
  afterAll(() => dropRedisPrefix(redis.url, prefix));

  it('makes apps principals and keeps keys, tokens and the ticket, and serves them', async () => {
    await expectUpgrades(await loadRedisFixture(redis.url, prefix));
  });
});

const postgres = await requirePostgres();

describe.skipIf(postgres.skip)('upgrade in place from a 09e9062 (schema 3) PostgreSQL schema', () => {
  const schema = randomSchema();
  beforeAll(() => postgres.assertAvailable());
  afterAll(() => dropPostgresSchema(postgres.url, schema));

  it('migrates the schema, makes apps principals and keeps keys, tokens and the ticket, and serves them', async () => {
    await expectUpgrades(await loadPostgresFixture(postgres.url, schema));
  });
});
