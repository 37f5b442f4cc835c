import { join } from 'node:path';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { assertBuilt, spawnHub, type HubProcess } from '../support/hub-process.js';
import { tempDir } from '../support/stack.js';
import { AES_KEY, call, COMPONENT, COMPONENT_SECRET, counters, MSG_TOKEN, openSimulator, until } from './support.js';

// 128 random-looking bits: serve refuses a guessable admin key.
const ADMIN = 'admin-key-3f9c1e7a5b2d8c4f6a0e9b1d';

beforeAll(() => assertBuilt());

/**
 * `kill -9` of the hub while WeChat is answering its api_query_auth: WeChat issued a refresh token the hub never
 * stored. The next instance's start-up reconciliation adopts it from api_get_authorizer_list, so no refresh token
 * is lost and the code is never exchanged twice.
 */
describe('Open Platform: kill -9 during an authorization exchange', () => {
  const cleanups: Array<() => Promise<void>> = [];
  afterEach(async () => {
    for (const c of cleanups.splice(0).reverse()) await c();
  });

  it('loses no refresh token', async () => {
    const { sim, simUrl } = await openSimulator();
    cleanups.push(() => sim.close());
    const { dir, cleanup } = await tempDir();
    cleanups.push(cleanup);
    const storeUrl = `sqlite:${join(dir, 'hub.db')}`;
    const env = { WXTOKEN_ADMIN_KEY: ADMIN };
    const spawn = async (name: string): Promise<HubProcess> => {
      const hub = await spawnHub({ storeUrl, upstream: simUrl, env, name });
      cleanups.push(() => hub.stop());
      return hub;
    };

    const a = await spawn('A');
    expect((await call(`${a.url}/v1/components/${COMPONENT}`, { method: 'PUT', key: ADMIN, body: { secret: COMPONENT_SECRET, message_token: MSG_TOKEN, aes_key: AES_KEY } })).status).toBe(201);
    await call(`${simUrl}/__sim/components`, { body: { appid: COMPONENT, secret: COMPONENT_SECRET, token: MSG_TOKEN, aesKey: AES_KEY, pushUrl: `${a.url}/open/${COMPONENT}/events`, pushPeriodSeconds: 0 } });
    await call(`${simUrl}/__sim/components/${COMPONENT}/push-ticket`, { body: {} });
    await until(async () => (await counters(simUrl)).componentTokenFetches === 1, 10_000);

    // WeChat takes its time answering api_query_auth; the hub dies while it waits.
    await call(`${simUrl}/__sim/faults`, { body: { path: '/cgi-bin/component/api_query_auth', mode: 'delay', delayMs: 1_500 } });
    const appid = 'wxa0000000000000dd';
    const auth = await call(`${simUrl}/__sim/components/${COMPONENT}/authorize`, { body: { authorizerAppid: appid, deliver: 'redirect' } });
    const landing = fetch(`${a.url}/open/${COMPONENT}/authorized?${auth.body.redirectQuery}`).catch(() => null);
    await new Promise((r) => setTimeout(r, 500));
    await a.kill();
    await landing;
    await until(async () => (await counters(simUrl)).queryAuth === 1, 5_000);
    const issued = (await call(`${simUrl}/__sim/components/${COMPONENT}/authorizers/${appid}`)).body.refreshToken as string;
    expect(issued).toMatch(/^refreshtoken@@@/);

    // The next instance reconciles at start-up and adopts the refresh token the dead one never stored.
    const b = await spawn('B');
    await until(async () => (await call(`${b.url}/v1/authorizers?status=active`, { key: ADMIN })).body.total === 1, 10_000);
    const key = (await call(`${b.url}/v1/keys`, { key: ADMIN, body: { name: 'svc', apps: [`component:${COMPONENT}/*`] } })).body.key as string;
    const token = await call(`${b.url}/v1/authorizers/${appid}/access-token`, { key });
    expect(token.status).toBe(200);
    expect((await call(`${simUrl}/cgi-bin/getcallbackip?access_token=${encodeURIComponent(token.body.access_token)}`)).body.ip_list).toBeDefined();
    expect((await counters(simUrl)).queryAuth).toBe(1);
  }, 60_000);
});
