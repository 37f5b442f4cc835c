import { afterEach, describe, expect, it } from 'vitest';
import { distributedStores, requireStore } from '../support/hub-process.js';
import { ADMIN_KEY, type RunningHub } from '../support/stack.js';
import { call, clientKey, COMPONENT, counters, craftPush, hubOn, openSimulator, postPush, registerComponent, until } from './support.js';

/**
 * Three in-process hubs on one Redis or PostgreSQL share the Open Platform: a ticket pushed to one is used by all,
 * survives a restart, and the component token is fetched once per lifetime fleet-wide while pushes keep coming; a
 * missing ticket makes the fleet call api_start_push_ticket once per period, not once per instance; an
 * authorization code delivered to two instances at once is exchanged once.
 */
describe.each(distributedStores())('Open Platform on three hubs over $name', (store) => {
  const cleanups: Array<() => Promise<void>> = [];
  afterEach(async () => {
    for (const c of cleanups.splice(0).reverse()) await c();
  });

  // Compressed lifetimes: WeChat's 7200 s becomes 4 s; the hubs refresh 1 s before expiry and serve until 0.3 s before.
  const TTL_S = 4;
  const tuning = { referenceLifetimeMs: TTL_S * 1000, refreshLeadMs: 1000, serveMarginMs: 300, leaseTtlMs: 1500 };

  async function fleet(simOptions: object = {}, hubTuning: object = {}): Promise<{ simUrl: string; hubs: RunningHub[]; storeUrl: string }> {
    const { sim, simUrl } = await openSimulator({ tokenTtlSeconds: TTL_S, graceSeconds: 2, ...simOptions });
    cleanups.push(() => sim.close());
    const { url, cleanup } = await store.isolatedUrl();
    cleanups.push(cleanup);
    const hubs: RunningHub[] = [];
    for (let i = 0; i < 3; i++) {
      const hub = await hubOn(url, simUrl, { ...tuning, ...hubTuning });
      cleanups.push(() => hub.close());
      hubs.push(hub);
    }
    return { simUrl, hubs, storeUrl: url };
  }

  it('a ticket pushed to one instance serves all, survives a restart, and the component token is fetched once per lifetime', async (ctx) => {
    await requireStore(store, ctx.skip);
    const { simUrl, hubs, storeUrl } = await fleet();
    // WeChat pushes to hub 0 only (one URL behind a balancer would spread them; one is the harder case).
    await registerComponent(hubs[0]!.url, simUrl, hubs[0]!.url);
    await call(`${simUrl}/__sim/components/${COMPONENT}/push-ticket`, { body: {} });
    const keys = await Promise.all(hubs.map((h) => clientKey(h.url, [`component:${COMPONENT}`])));
    const tokenOf = async (i: number) => (await call(`${hubs[i]!.url}/v1/components/${COMPONENT}/access-token`, { key: keys[i] })).body.access_token as string;
    await until(async () => (await Promise.all([0, 1, 2].map(tokenOf))).every((t) => typeof t === 'string'));
    const tokens = await Promise.all([0, 1, 2].map(tokenOf));
    expect(new Set(tokens).size).toBe(1);
    const started = Date.now();
    // Pushes keep arriving (with repeats) through three lifetimes.
    const pushes = setInterval(() => void call(`${simUrl}/__sim/components/${COMPONENT}/push-ticket`, { body: { repeat: Math.random() < 0.3 } }), 300);
    await new Promise((r) => setTimeout(r, 3 * (TTL_S - 1) * 1000));
    clearInterval(pushes);
    const elapsed = Date.now() - started;
    const fetches = (await counters(simUrl)).componentTokenFetches;
    // The first fetch, then one per (lifetime − lead): never one per push nor one per instance.
    expect(fetches).toBeLessThanOrEqual(1 + Math.ceil(elapsed / ((TTL_S - 1) * 1000)));
    expect(fetches).toBeGreaterThanOrEqual(3);
    // A restarted instance has the ticket and the token without a push since, and fetches nothing.
    await hubs[2]!.close();
    const restarted = await hubOn(storeUrl, simUrl, tuning);
    cleanups.push(() => restarted.close());
    const listed = (await call(`${restarted.url}/v1/components`, { key: ADMIN_KEY })).body.components[0];
    expect(listed.verify_ticket.health).toBe('fresh');
    const before = (await counters(simUrl)).componentTokenFetches;
    const again = await call(`${restarted.url}/v1/components/${COMPONENT}/access-token`, { key: keys[0] });
    // The token it serves is one WeChat accepts; at most a scheduled refresh (not the restart) fetched meanwhile.
    const preauth = await call(`${simUrl}/cgi-bin/component/api_create_preauthcode?component_access_token=${encodeURIComponent(again.body.access_token)}`, { body: { component_appid: COMPONENT } });
    expect(preauth.body.pre_auth_code).toEqual(expect.any(String));
    expect((await counters(simUrl)).componentTokenFetches - before).toBeLessThanOrEqual(1);
  }, 60_000);

  it('a missing ticket makes the fleet ask WeChat to resume pushes once per period, not once per instance', async (ctx) => {
    await requireStore(store, ctx.skip);
    const period = 1_000;
    const { simUrl, hubs } = await fleet({}, { openPlatform: { ticketCheckMs: 100, startPushIntervalMs: period } });
    // Pushes go nowhere (the event URL is down), so the ticket stays missing.
    await registerComponent(hubs[0]!.url, simUrl, 'http://127.0.0.1:9');
    const started = Date.now();
    await until(async () => (await counters(simUrl)).startPushTicket >= 1);
    await new Promise((r) => setTimeout(r, 2.5 * period));
    const calls = (await counters(simUrl)).startPushTicket;
    const periods = Math.ceil((Date.now() - started) / period);
    expect(calls).toBeGreaterThanOrEqual(2);
    // Three instances checking every 100 ms would make ~30 calls a period without the fleet-wide lease.
    expect(calls).toBeLessThanOrEqual(periods + 1);
  }, 30_000);

  it('an authorization code delivered by redirect and by event to different instances at once is exchanged once', async (ctx) => {
    await requireStore(store, ctx.skip);
    const { simUrl, hubs } = await fleet({ latencyMs: 50 });
    await registerComponent(hubs[0]!.url, simUrl, hubs[1]!.url);
    await call(`${simUrl}/__sim/components/${COMPONENT}/push-ticket`, { body: {} });
    await until(async () => (await counters(simUrl)).componentTokenFetches === 1);
    const appid = 'wxa0000000000000aa';
    // The event goes to hub 1 while the browser lands on hubs 0 and 2 (a retry), all at once.
    const auth = await call(`${simUrl}/__sim/components/${COMPONENT}/authorize`, { body: { authorizerAppid: appid, deliver: 'redirect' } });
    const code = new URLSearchParams(auth.body.redirectQuery).get('auth_code')!;
    const event = `<xml><AppId><![CDATA[${COMPONENT}]]></AppId><CreateTime>${Math.floor(Date.now() / 1000)}</CreateTime><InfoType><![CDATA[authorized]]></InfoType><AuthorizerAppid><![CDATA[${appid}]]></AuthorizerAppid><AuthorizationCode><![CDATA[${code}]]></AuthorizationCode></xml>`;
    const [, ...landings] = await Promise.all([
      postPush(hubs[1]!.url, craftPush(event)),
      call(`${hubs[0]!.url}/open/${COMPONENT}/authorized?auth_code=${encodeURIComponent(code)}`),
      call(`${hubs[2]!.url}/open/${COMPONENT}/authorized?auth_code=${encodeURIComponent(code)}`),
    ]);
    // Every browser learns the authorizer, also where another delivery took the code (from its recorded outcome).
    for (const landing of landings) expect(landing).toMatchObject({ status: 200, body: { authorized: true, authorizer_appid: appid } });
    await until(async () => (await call(`${hubs[2]!.url}/v1/authorizers`, { key: ADMIN_KEY })).body.total === 1);
    await new Promise((r) => setTimeout(r, 300));
    expect((await counters(simUrl)).queryAuth).toBe(1);
    const key = await clientKey(hubs[2]!.url, [`component:${COMPONENT}/*`]);
    expect((await call(`${hubs[2]!.url}/v1/authorizers/${appid}/access-token`, { key })).status).toBe(200);
  }, 30_000);
});
