import { Redis } from 'ioredis';
import { afterEach, describe, expect, it } from 'vitest';
import { distributedStores, requireStore } from '../support/hub-process.js';
import { ADMIN_KEY } from '../support/stack.js';
import { authorizerId, REFRESH_TOKEN_SECRET } from '../../src/core/open-platform/ids.js';
import { AES_KEY, call, clientKey, COMPONENT, COMPONENT_SECRET, counters, hubOn, MSG_TOKEN, openSimulator, registerComponent, until } from './support.js';

const redisStore = distributedStores().find((s) => s.name === 'Redis')!;

/**
 * A wiped token cache (WxJava#1119: a Redis restart lost every refresh token): the hub keeps refresh tokens with the
 * authorizer, not with the tokens, so wiping every credential record (tokens, tickets, the verify ticket) loses none;
 * after the next verify-ticket push the authorizer is served again without a new authorization.
 */
describe('Open Platform: a wiped token cache on Redis', () => {
  const cleanups: Array<() => Promise<void>> = [];
  afterEach(async () => {
    for (const c of cleanups.splice(0).reverse()) await c();
  });

  it('loses no refresh token', async (ctx) => {
    await requireStore(redisStore, ctx.skip);
    const { sim, simUrl } = await openSimulator();
    cleanups.push(() => sim.close());
    const { url, cleanup } = await redisStore.isolatedUrl();
    cleanups.push(cleanup);
    let hub = await hubOn(url, simUrl);
    await registerComponent(hub.url, simUrl, hub.url);
    await call(`${simUrl}/__sim/components/${COMPONENT}/push-ticket`, { body: {} });
    await until(async () => (await counters(simUrl)).componentTokenFetches === 1);
    const appid = 'wxa0000000000000ee';
    await call(`${simUrl}/__sim/components/${COMPONENT}/authorize`, { body: { authorizerAppid: appid, deliver: 'event' } });
    await until(async () => (await call(`${hub.url}/v1/authorizers?status=active`, { key: ADMIN_KEY })).body.total === 1);
    const key = await clientKey(hub.url, [`component:${COMPONENT}/*`]);
    expect((await call(`${hub.url}/v1/authorizers/${appid}/access-token`, { key })).status).toBe(200);
    await hub.close();

    // Every credential record goes: tokens, tickets and the verify ticket.
    const prefix = decodeURIComponent(new URL(url).searchParams.get('prefix')!);
    const redis = new Redis('redis://127.0.0.1:6379/0');
    try {
      expect(await redis.del(`${prefix}{wxtoken}:credentials`)).toBe(1);
    } finally {
      redis.disconnect();
    }

    hub = await hubOn(url, simUrl);
    cleanups.push(() => hub.close());
    expect((await call(`${hub.url}/v1/components`, { key: ADMIN_KEY })).body.components[0].verify_ticket.health).toBe('missing');
    // Before any push (so before any repair could run), the hub still holds the refresh token WeChat issued.
    const issued = (await call(`${simUrl}/__sim/components/${COMPONENT}/authorizers/${appid}`)).body.refreshToken;
    expect(await hub.hub.principalSecret(authorizerId(COMPONENT, appid), REFRESH_TOKEN_SECRET)).toBe(issued);
    await call(`${simUrl}/__sim/components`, { body: { appid: COMPONENT, secret: COMPONENT_SECRET, token: MSG_TOKEN, aesKey: AES_KEY, pushUrl: `${hub.url}/open/${COMPONENT}/events`, pushPeriodSeconds: 0 } });
    await call(`${simUrl}/__sim/components/${COMPONENT}/push-ticket`, { body: {} });
    await until(async () => (await call(`${hub.url}/v1/authorizers/${appid}/access-token`, { key })).status === 200);
    const served = await call(`${hub.url}/v1/authorizers/${appid}/access-token`, { key });
    expect((await call(`${simUrl}/cgi-bin/getcallbackip?access_token=${encodeURIComponent(served.body.access_token)}`)).body.ip_list).toBeDefined();
    // No new authorization: the refresh token stored with the authorizer was used.
    expect((await counters(simUrl)).queryAuth).toBe(1);
  }, 30_000);
});
