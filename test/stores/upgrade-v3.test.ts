/**
 * A store written by the release before principals (commit 09e9062, store schema 3; fixtures in
 * fixtures/v3-09e9062) opens in this one on every backend: its apps are principals of type `app` (migration 4), and
 * its client keys, sealed tokens, force log and ticket are intact; opened again, nothing changes; and a hub on it
 * serves the stored token and ticket without calling WeChat.
 */
import { expect } from 'vitest';
import { ManualClock } from '../../src/util/clock.js';
import { Hub } from '../../src/core/hub.js';
import { hashClientKey } from '../../src/core/client-keys.js';
import { createSealer } from '../../src/core/sealer.js';
import { SealingStore } from '../../src/stores/sealing-store.js';
import type { Store } from '../../src/stores/store.js';
import { FakeFetcher } from '../support/fake-fetcher.js';
import { describeUpgrades } from './fixture-stores.js';
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

await describeUpgrades('09e9062 (schema 3)', 'makes apps principals and keeps keys, tokens and the ticket, and serves them', { loadSqliteFixture, loadRedisFixture, loadPostgresFixture }, {
  contents: expectFixtureContents,
  serves: expectHubServes,
});
