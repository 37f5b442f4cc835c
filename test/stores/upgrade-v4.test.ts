/**
 * A store written by the release before this one (commit 656831e, store schema 4; fixtures in fixtures/v4-656831e)
 * opens in this one on every backend with nothing lost: its apps, WeCom app, Open Platform component and three
 * authorizers (active, unauthorized, frozen) with their attributes, secrets, refresh tokens and refresh-token
 * histories; its sealed tokens, ticket, verify ticket and component and authorizer tokens; its client keys with
 * their scopes. Opened again, nothing changes; and a hub on it serves every stored token and ticket without calling
 * WeChat, while refusing the authorizers that are not active, and writes an authorizer with a compare-and-set.
 */
import { expect } from 'vitest';
import { ManualClock } from '../../src/util/clock.js';
import { Hub } from '../../src/core/hub.js';
import { hashClientKey } from '../../src/core/client-keys.js';
import { authorizerInfo } from '../../src/core/open-platform/authorizer-records.js';
import { REFRESH_HISTORY_SECRET } from '../../src/core/open-platform/ids.js';
import { parseRefreshHistory } from '../../src/core/open-platform/refresh-token.js';
import { secretContext } from '../../src/core/principals.js';
import { createSealer } from '../../src/core/sealer.js';
import type { ComponentFetcher, CredentialFetcher } from '../../src/core/token-fetcher.js';
import { AuthorizerInactiveError } from '../../src/errors/index.js';
import { SealingStore } from '../../src/stores/sealing-store.js';
import type { Store } from '../../src/stores/store.js';
import { describeUpgrades } from './fixture-stores.js';
import { FIXTURE_V4, FIXTURE_V4_MASTER_KEY, loadPostgresFixture, loadRedisFixture, loadSqliteFixture } from './fixtures-v4-656831e.js';

const sealer = createSealer({ current: Buffer.from(FIXTURE_V4_MASTER_KEY, 'hex') });
const { apps, wecom, component, authorizers, keys } = FIXTURE_V4;
const [CLASSIC, STABLE] = apps;
const [ACTIVE, REVOKED, FROZEN] = authorizers;
const [OPS, PLATFORM] = keys;

/** A fetcher for every WeChat and WeCom call that refuses each one, noting it: the hub must need none. */
class RefusingFetcher implements CredentialFetcher, ComponentFetcher {
  readonly calls: string[] = [];

  #refuse(call: string): Promise<never> {
    this.calls.push(call);
    return Promise.reject(new Error(`${call}: the upgraded store should need no WeChat call`));
  }

  fetchToken(app: { appid: string }): Promise<never> {
    return this.#refuse(`token ${app.appid}`);
  }
  fetchTicket(_token: string, type: string): Promise<never> {
    return this.#refuse(`ticket ${type}`);
  }
  fetchWeComToken(agent: { corpid: string }): Promise<never> {
    return this.#refuse(`WeCom token ${agent.corpid}`);
  }
  fetchWeComTicket(_token: string, type: string): Promise<never> {
    return this.#refuse(`WeCom ticket ${type}`);
  }
  fetchComponentToken(input: { componentAppid: string }): Promise<never> {
    return this.#refuse(`component token ${input.componentAppid}`);
  }
  startPushTicket(input: { componentAppid: string }): Promise<never> {
    return this.#refuse(`start push ${input.componentAppid}`);
  }
  createPreAuthCode(componentAppid: string): Promise<never> {
    return this.#refuse(`pre-auth code ${componentAppid}`);
  }
  queryAuth(componentAppid: string): Promise<never> {
    return this.#refuse(`query auth ${componentAppid}`);
  }
  fetchAuthorizerToken(input: { authorizerAppid: string }): Promise<never> {
    return this.#refuse(`authorizer token ${input.authorizerAppid}`);
  }
  listAuthorizers(componentAppid: string): Promise<never> {
    return this.#refuse(`authorizer list ${componentAppid}`);
  }
}

/** Everything the fixtures hold must be there, in today's record shapes, its values still sealed as 656831e left them. */
async function expectFixtureContents(store: Store): Promise<void> {
  const principals = await store.listPrincipals();
  expect(principals.map(({ secrets, ...principal }) => ({ ...principal, secrets: Object.keys(secrets).sort() }))).toEqual(
    FIXTURE_V4.principals.map(({ secrets, ...principal }) => ({ ...principal, secrets: Object.keys(secrets).sort() })),
  );
  for (const expected of FIXTURE_V4.principals) {
    const stored = principals.find((p) => p.id === expected.id)!;
    for (const [name, plaintext] of Object.entries(expected.secrets)) {
      const sealed = stored.secrets[name]!;
      // As sealed then: under the same key and bound to the same principal and secret name.
      expect(sealed.startsWith(`v2.${FIXTURE_V4.masterKeyId}.`)).toBe(true);
      expect(sealer.open(sealed, secretContext(expected.id, name))).toBe(plaintext);
    }
  }
  // The refresh-token histories read as today's entries: every value, its source and time, newest first.
  for (const authorizer of authorizers) {
    const stored = principals.find((p) => p.id === authorizer.id)!;
    const history = parseRefreshHistory(sealer.open(stored.secrets[REFRESH_HISTORY_SECRET]!, secretContext(authorizer.id, REFRESH_HISTORY_SECRET)));
    expect(history).toEqual(authorizer.refreshHistory);
    expect(history[0]!.value).toBe(authorizer.refreshToken);
  }

  expect(await store.listClientKeys()).toEqual(keys.map(({ key, ...record }) => ({ ...record, hash: hashClientKey(key) })));

  expect(await store.listCredentialKeys()).toEqual(FIXTURE_V4.credentials.map((c) => c.key));
  const unsealed = new SealingStore(store, sealer);
  for (const credential of FIXTURE_V4.credentials) {
    const token = (await store.getCredential(credential.key))?.token ?? null;
    if (credential.token !== null) expect(token?.startsWith(`v2.${FIXTURE_V4.masterKeyId}.`)).toBe(true);
    else expect(token).toBeNull();
    expect(await unsealed.getCredential(credential.key)).toEqual(credential);
  }
}

/**
 * A hub on the upgraded store, over the sealing store as `wxtoken serve` stacks them, serves the stored tokens and
 * tickets of every kind, opens the secrets and authenticates the keys with their scopes and capabilities, calling
 * WeChat for nothing; the unauthorized and frozen authorizers are refused.
 */
async function expectHubServes(store: Store): Promise<void> {
  const clock = new ManualClock(FIXTURE_V4.servedAt);
  const fetcher = new RefusingFetcher();
  const hub = new Hub({ store: new SealingStore(store, sealer), fetcher, clock, secrets: sealer, prefetch: false, background: false });
  await hub.start();
  try {
    const token = (key: string): string => FIXTURE_V4.credentials.find((c) => c.key === key)!.token!;
    // (Served with the expiry less the hub's serving margin.)
    expect((await hub.getAccessToken(STABLE.id)).token).toBe(token(`${STABLE.id}:access_token`));
    expect((await hub.getAccessToken(CLASSIC.id)).token).toBe(token(`${CLASSIC.id}:access_token`));
    expect(await hub.getTicket(STABLE.id, 'jsapi')).toMatchObject({ token: token(`${STABLE.id}:jsapi_ticket`) });
    expect((await hub.wecom.getToken(wecom.corpid, wecom.agent)).token).toBe(token(`${wecom.id}:wecom_token`));
    expect((await hub.open.componentToken(component.appid)).token).toBe(token(`${component.id}:component_token`));
    expect((await hub.open.authorizerToken(component.appid, ACTIVE.appid)).token).toBe(token(`${ACTIVE.id}:authorizer_token`));

    const revoked = await hub.open.authorizerToken(component.appid, REVOKED.appid).catch((err: unknown) => err);
    expect(revoked).toBeInstanceOf(AuthorizerInactiveError);
    expect((revoked as AuthorizerInactiveError).authorizerStatus).toBe('unauthorized');
    const frozen = await hub.open.authorizerToken(component.appid, FROZEN.appid).catch((err: unknown) => err);
    expect(frozen).toBeInstanceOf(AuthorizerInactiveError);
    expect((frozen as AuthorizerInactiveError).authorizerStatus).toBe('frozen');

    for (const app of apps) expect(await hub.verifySecret(app.id, app.secret)).toBe(true);
    expect(await hub.open.componentSecretMatches(component.appid, component.secret)).toBe(true);
    expect(hub.authenticate(OPS.key)).toEqual({ name: OPS.name, scopes: ['*'], capabilities: ['read-token', 'sign', 'login'] });
    expect(hub.authenticate(PLATFORM.key)).toEqual({ name: PLATFORM.name, scopes: [...PLATFORM.apps], capabilities: ['sign'] });

    // An authorizer written by 656831e takes a fenced write (compare-and-set on the record as that release wrote it),
    // which then refuses a writer holding the older read.
    const before = (await store.getPrincipal(ACTIVE.id))!;
    await hub.open.statusChanged(before, 'frozen', 'upgrade check');
    const after = (await store.getPrincipal(ACTIVE.id))!;
    expect(authorizerInfo(after)).toMatchObject({ status: 'frozen', reason: 'upgrade check' });
    expect(after.updatedAt).toBeGreaterThan(before.updatedAt);
    expect(await store.putPrincipal({ ...before, updatedAt: after.updatedAt + 1 }, before)).toBe(false);
    expect(await store.getPrincipal(ACTIVE.id)).toEqual(after);
    expect(fetcher.calls).toEqual([]);
  } finally {
    await hub.stop();
  }
}

await describeUpgrades('656831e (schema 4)', 'keeps every principal, secret, refresh-token history, token and key, and serves them', { loadSqliteFixture, loadRedisFixture, loadPostgresFixture }, {
  contents: expectFixtureContents,
  serves: expectHubServes,
});
