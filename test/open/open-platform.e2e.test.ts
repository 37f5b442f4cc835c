import { afterEach, describe, expect, it } from 'vitest';
import { ADMIN_KEY, type RunningHub } from '../support/stack.js';
import type { Simulator } from '../../src/simulator/index.js';
import { call, clientKey, COMPONENT, COMPONENT_SECRET, counters, craftPush, hubOn, openSimulator, postPush, registerComponent, until } from './support.js';

/** The Open Platform end to end on one hub (memory store) and the simulator: pushes, authorization, serving, repair. */
describe('Open Platform on one hub', () => {
  const cleanups: Array<() => Promise<void>> = [];
  afterEach(async () => {
    for (const c of cleanups.splice(0).reverse()) await c();
  });

  async function setup(): Promise<{ sim: Simulator; simUrl: string; hub: RunningHub }> {
    const { sim, simUrl } = await openSimulator();
    cleanups.push(() => sim.close());
    const hub = await hubOn('memory:', simUrl);
    cleanups.push(() => hub.close());
    await registerComponent(hub.url, simUrl, hub.url);
    return { sim, simUrl, hub };
  }

  const push = (simUrl: string, repeat?: boolean) => call(`${simUrl}/__sim/components/${COMPONENT}/push-ticket`, { body: repeat === undefined ? {} : { repeat } });

  it('takes a pushed ticket, obtains the component token once, and never again per push', async () => {
    const { simUrl, hub } = await setup();
    expect((await call(`${hub.url}/v1/components`, { key: ADMIN_KEY })).body.components[0].verify_ticket.health).toBe('missing');
    const first = await push(simUrl);
    expect(first.body.status).toBe(200);
    expect(first.body.body).toBe('success');
    await until(async () => (await counters(simUrl)).componentTokenFetches === 1);
    for (let i = 0; i < 3; i++) expect((await push(simUrl, i === 1)).body.body).toBe('success');
    const listed = (await call(`${hub.url}/v1/components`, { key: ADMIN_KEY })).body.components[0];
    expect(listed.verify_ticket.health).toBe('fresh');
    expect(listed.token.state).toBe('ok');
    expect(JSON.stringify(listed)).not.toContain('ticket@@@');
    expect((await counters(simUrl)).componentTokenFetches).toBe(1);
    const metrics = await (await fetch(`${hub.url}/metrics`)).text();
    expect(metrics).toMatch(new RegExp(`wxtoken_open_verify_ticket_age_seconds\\{component="${COMPONENT}"\\} \\d+`));
    expect(metrics).toContain(`wxtoken_open_verify_ticket_missing{component="${COMPONENT}"} 0`);
  });

  it('rejects tampered, foreign, stale and replayed pushes without side effects', async () => {
    const { simUrl, hub } = await setup();
    const ticketXml = (t: string, createTime: number) =>
      `<xml><AppId><![CDATA[${COMPONENT}]]></AppId><CreateTime>${createTime}</CreateTime><InfoType><![CDATA[component_verify_ticket]]></InfoType><ComponentVerifyTicket><![CDATA[${t}]]></ComponentVerifyTicket></xml>`;
    const now = Math.floor(Date.now() / 1000);
    const good = craftPush(ticketXml('ticket@@@forged', now));
    const tampered = { ...good, query: good.query.replace(/msg_signature=[0-9a-f]/, (m) => `${m.slice(0, -1)}${m.endsWith('0') ? '1' : '0'}`) };
    const cases = [
      ['tampered signature', tampered, /msg_signature/],
      ['wrong message token', craftPush(ticketXml('ticket@@@x', now), { token: 'otherToken' }), /msg_signature/],
      ['another AppId', craftPush(ticketXml('ticket@@@x', now), { receiveId: 'wx0000000000000bad' }), /another AppId/],
      ['stale timestamp', craftPush(ticketXml('ticket@@@x', now), { timestamp: now - 3600 }), /timestamp/],
    ] as const;
    for (const [, p, message] of cases) {
      const res = await postPush(hub.url, p);
      expect(res.status).toBe(400);
      expect(JSON.parse(res.text).error).toMatchObject({ code: 'message_rejected', message: expect.stringMatching(message) });
    }
    const components = async () => (await call(`${hub.url}/v1/components`, { key: ADMIN_KEY })).body.components[0];
    expect((await components()).verify_ticket.health).toBe('missing');
    // The genuine push is accepted once; the same push again is a replay.
    expect(await postPush(hub.url, good)).toEqual({ status: 200, text: 'success' });
    expect((await postPush(hub.url, good)).status).toBe(400);
    await until(async () => (await components()).verify_ticket.health === 'fresh');
    // The forged ticket is refused upstream (61006): no token, the refusal recorded, no second call with it.
    await until(async () => (await counters(simUrl)).componentTokenRequests >= 1);
    expect((await counters(simUrl)).componentTokenFetches).toBe(0);
  });

  it('authorizes through a link, exchanges the code once for redirect and event together, and serves the authorizer', async () => {
    const { sim, simUrl, hub } = await setup();
    await push(simUrl);
    await until(async () => (await counters(simUrl)).componentTokenFetches === 1);
    const link = await call(`${hub.url}/v1/components/${COMPONENT}/authorize-url?redirect_uri=${encodeURIComponent(`${hub.url}/open/${COMPONENT}/authorized`)}`, { key: ADMIN_KEY });
    expect(link.status).toBe(200);
    const preAuthCode = new URL(link.body.pc_url).searchParams.get('pre_auth_code');
    expect(preAuthCode).toMatch(/^preauthcode@@@/);
    expect(link.body.mobile_url).toContain('bindcomponent');
    const appid = 'wxa000000000000001';
    // The event is pushed to the hub while the redirect lands on it too: both carry the same code.
    const auth = await call(`${simUrl}/__sim/components/${COMPONENT}/authorize`, { body: { authorizerAppid: appid, preAuthCode, deliver: 'both' } });
    const redirect = await call(`${hub.url}/open/${COMPONENT}/authorized?${auth.body.redirectQuery}`);
    expect(redirect.status).toBe(200);
    await until(async () => (await call(`${hub.url}/v1/authorizers?component=${COMPONENT}`, { key: ADMIN_KEY })).body.total === 1);
    expect((await counters(simUrl)).queryAuth).toBe(1);
    const listed = (await call(`${hub.url}/v1/authorizers?component=${COMPONENT}&status=active`, { key: ADMIN_KEY })).body;
    expect(listed.authorizers[0]).toMatchObject({ authorizer_appid: appid, status: 'active', refresh_token_held: true });
    expect(JSON.stringify(listed)).not.toContain('refreshtoken@@@');

    const key = await clientKey(hub.url, [`component:${COMPONENT}/*`]);
    const token = await call(`${hub.url}/v1/authorizers/${appid}/access-token`, { key });
    expect(token.status).toBe(200);
    const business = await call(`${simUrl}/cgi-bin/getcallbackip?access_token=${encodeURIComponent(token.body.access_token)}`);
    expect(business.body.ip_list).toBeDefined();
    // Another component's key, and an app key, are refused.
    const other = await clientKey(hub.url, ['component:wxc0000000000000c2/*']);
    expect((await call(`${hub.url}/v1/authorizers/${appid}/access-token`, { key: other })).status).toBe(403);
    expect((await call(`${hub.url}/v1/authorizers/${appid}/access-token?component=${COMPONENT}`, { key: other })).status).toBe(403);
    // A JS-SDK signature with the authorizer's ticket.
    const config = await call(`${hub.url}/v1/authorizers/${appid}/jssdk-config`, { key, body: { url: 'https://example.com/page' } });
    expect(config.body).toMatchObject({ appId: appid, signature: expect.stringMatching(/^[0-9a-f]{40}$/) });
    void sim;
  });

  it('repairs a refused refresh token from the authorizer list, and revokes on unauthorized', async () => {
    const { simUrl, hub } = await setup();
    await push(simUrl);
    await until(async () => (await counters(simUrl)).componentTokenFetches === 1);
    const appid = 'wxa000000000000002';
    const auth = await call(`${simUrl}/__sim/components/${COMPONENT}/authorize`, { body: { authorizerAppid: appid, deliver: 'event' } });
    expect(auth.status).toBe(201);
    await until(async () => (await call(`${hub.url}/v1/authorizers`, { key: ADMIN_KEY })).body.total === 1);
    const key = await clientKey(hub.url, [`component:${COMPONENT}/${appid}`]);
    const first = (await call(`${hub.url}/v1/authorizers/${appid}/access-token`, { key })).body.access_token;
    // Someone else exchanges a new code: the hub's refresh token dies at once (no overlap).
    await call(`${simUrl}/__sim/components/${COMPONENT}/authorizers/${appid}/rotate-refresh-token`, { body: { overlapSeconds: 0 } });
    const repaired = await call(`${hub.url}/v1/authorizers/${appid}/access-token/invalidate`, { key, body: { access_token: first } });
    expect(repaired.status).toBe(200);
    expect(repaired.body.access_token).not.toBe(first);
    const c = await counters(simUrl);
    expect(c.authorizerList).toBeGreaterThanOrEqual(1);
    // The merchant cancels: the hub revokes at once and says why.
    await call(`${simUrl}/__sim/components/${COMPONENT}/authorizers/${appid}/unauthorize`, { body: {} });
    await until(async () => (await call(`${hub.url}/v1/authorizers/${appid}/access-token`, { key })).status === 409);
    const refused = await call(`${hub.url}/v1/authorizers/${appid}/access-token`, { key });
    expect(refused.body.error).toMatchObject({ code: 'authorizer_inactive', message: expect.stringContaining('unauthorized') });
    // The history survives the revocation: re-authorization works as an update.
    expect((await call(`${hub.url}/v1/authorizers?status=unauthorized`, { key: ADMIN_KEY })).body.authorizers[0].refresh_token_held).toBe(true);
  });

  it('answers the WeChat-compatible component endpoints with the managed values', async () => {
    const { simUrl, hub } = await setup();
    await push(simUrl);
    await until(async () => (await counters(simUrl)).componentTokenFetches === 1);
    const appid = 'wxa000000000000003';
    await call(`${simUrl}/__sim/components/${COMPONENT}/authorize`, { body: { authorizerAppid: appid, deliver: 'event' } });
    await until(async () => (await call(`${hub.url}/v1/authorizers`, { key: ADMIN_KEY })).body.total === 1);
    const wrong = await call(`${hub.url}/cgi-bin/component/api_component_token`, { body: { component_appid: COMPONENT, component_appsecret: 'nope', component_verify_ticket: 'x' } });
    expect(wrong.body.errcode).toBe(40125);
    const ct = await call(`${hub.url}/cgi-bin/component/api_component_token`, { body: { component_appid: COMPONENT, component_appsecret: COMPONENT_SECRET, component_verify_ticket: 'ignored' } });
    expect(ct.body.component_access_token).toEqual(expect.any(String));
    const at = await call(`${hub.url}/cgi-bin/component/api_authorizer_token?component_access_token=${encodeURIComponent(ct.body.component_access_token)}`, {
      body: { component_appid: COMPONENT, authorizer_appid: appid, authorizer_refresh_token: 'whatever-the-sdk-has' },
    });
    expect(at.body).toMatchObject({ authorizer_access_token: expect.any(String), authorizer_refresh_token: 'whatever-the-sdk-has' });
    expect((await counters(simUrl)).componentTokenFetches).toBe(1);
  });
});
