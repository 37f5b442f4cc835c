import { afterEach, describe, expect, it } from 'vitest';
import { ADMIN_KEY, type RunningHub } from '../support/stack.js';
import type { Simulator } from '../../src/simulator/index.js';
import { systemClock } from '../../src/util/clock.js';
import { codeHash } from '../../src/core/open-platform/authorization-outcomes.js';
import { AES_KEY, call, clientKey, COMPONENT, COMPONENT_SECRET, counters, craftPush, hubOn, MSG_TOKEN, openSimulator, postPush, registerComponent, until } from './support.js';

/** The Open Platform end to end on one hub (memory store) and the simulator: pushes, authorization, serving, repair. */
describe('Open Platform on one hub', () => {
  const cleanups: Array<() => Promise<void>> = [];
  afterEach(async () => {
    for (const c of cleanups.splice(0).reverse()) await c();
  });

  async function setup(simOptions: Parameters<typeof openSimulator>[0] = {}): Promise<{ sim: Simulator; simUrl: string; hub: RunningHub }> {
    const { sim, simUrl } = await openSimulator(simOptions);
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

  describe('a code WeChat refuses (61009 invalid or used, 61010 expired)', () => {
    const appid = 'wxa000000000000004';
    const components = async (hubUrl: string) => (await call(`${hubUrl}/v1/components`, { key: ADMIN_KEY })).body.components[0];

    /** The component with a token and a landing page (or none); a code handed out for `appid`, delivered by redirect only. */
    async function authorized(landingUrl: string | undefined, simOptions: Parameters<typeof openSimulator>[0] = {}) {
      const ctx = await setup(simOptions);
      if (landingUrl !== undefined) {
        const put = await call(`${ctx.hub.url}/v1/components/${COMPONENT}`, { method: 'PUT', key: ADMIN_KEY, body: { secret: COMPONENT_SECRET, message_token: MSG_TOKEN, aes_key: AES_KEY, landing_url: landingUrl } });
        expect(put.status).toBe(200);
      }
      await push(ctx.simUrl);
      await until(async () => (await counters(ctx.simUrl)).componentTokenFetches === 1);
      const auth = await call(`${ctx.simUrl}/__sim/components/${COMPONENT}/authorize`, { body: { authorizerAppid: appid, deliver: 'redirect' } });
      const code = new URLSearchParams(auth.body.redirectQuery).get('auth_code')!;
      return { ...ctx, code };
    }

    /** Spends the code at WeChat, as another system exchanging it first would. */
    async function spend(hubUrl: string, simUrl: string, code: string): Promise<void> {
      const key = await clientKey(hubUrl, [`component:${COMPONENT}`]);
      const token = (await call(`${hubUrl}/v1/components/${COMPONENT}/access-token`, { key })).body.access_token as string;
      const spent = await call(`${simUrl}/cgi-bin/component/api_query_auth?component_access_token=${encodeURIComponent(token)}`, { body: { component_appid: COMPONENT, authorization_code: code } });
      expect(spent.body.authorization_info.authorizer_appid).toBe(appid);
    }

    it('sends the browser to the landing page saying the authorization must be repeated, and shows the failure on the component', async () => {
      const { hub, simUrl, code } = await authorized('https://saas.example.com/authorized?from=wxtoken');
      expect((await components(hub.url)).last_authorization_failure).toBeNull();
      await spend(hub.url, simUrl, code);
      const res = await fetch(`${hub.url}/open/${COMPONENT}/authorized?auth_code=${encodeURIComponent(code)}&expires_in=600`, { redirect: 'manual' });
      expect(res.status).toBe(302);
      const target = new URL(res.headers.get('location')!);
      expect(`${target.origin}${target.pathname}`).toBe('https://saas.example.com/authorized');
      expect(Object.fromEntries(target.searchParams)).toEqual({ from: 'wxtoken', wxtoken_error: 'authorization_code_invalid' });
      expect(res.headers.get('cache-control')).toBe('no-store');
      const failure = (await components(hub.url)).last_authorization_failure;
      expect(failure).toEqual({ at: expect.any(String), errcode: 61009, source: 'redirect' });
      expect(Date.now() - Date.parse(failure.at)).toBeLessThan(10_000);
      expect((await call(`${hub.url}/v1/authorizers`, { key: ADMIN_KEY })).body.total).toBe(0);
    });

    it('answers a page telling the merchant to authorize again when the code expired and there is no landing page', async () => {
      // WeChat's clock runs ahead once the code is handed out: the code's 10 minutes are over when the browser lands.
      let ahead = 0;
      const { hub, code } = await authorized(undefined, { clock: { now: () => Date.now() + ahead, setTimer: systemClock.setTimer } });
      ahead = 601_000;
      const res = await fetch(`${hub.url}/open/${COMPONENT}/authorized?auth_code=${encodeURIComponent(code)}&expires_in=600`, { redirect: 'manual' });
      expect(res.status).toBe(400);
      expect(res.headers.get('content-type')).toMatch(/^text\/html/);
      const page = await res.text();
      expect(page).toContain('authorization_code_expired');
      expect(page).toContain('请重新授权');
      expect(page).toContain('authorize again');
      expect(page).not.toContain(code);
      expect((await components(hub.url)).last_authorization_failure).toMatchObject({ errcode: 61010, source: 'redirect' });
    });

    it('tells the browser of a refusal the event met first, and of the authorizer an event authorized first', async () => {
      const { hub, simUrl, code } = await authorized('https://saas.example.com/authorized');
      await spend(hub.url, simUrl, code);
      const event = (c: string, authorizer: string) =>
        `<xml><AppId><![CDATA[${COMPONENT}]]></AppId><CreateTime>${Math.floor(Date.now() / 1000)}</CreateTime><InfoType><![CDATA[authorized]]></InfoType><AuthorizerAppid><![CDATA[${authorizer}]]></AuthorizerAppid><AuthorizationCode><![CDATA[${c}]]></AuthorizationCode></xml>`;
      const land = async (c: string) => new URL((await fetch(`${hub.url}/open/${COMPONENT}/authorized?auth_code=${encodeURIComponent(c)}`, { redirect: 'manual' })).headers.get('location')!);
      // The event takes the spent code and WeChat refuses it; the browser, landing after, finds the code taken.
      expect(await postPush(hub.url, craftPush(event(code, appid)))).toEqual({ status: 200, text: 'success' });
      await until(async () => (await components(hub.url)).last_authorization_failure !== null);
      expect(Object.fromEntries((await land(code)).searchParams)).toEqual({ wxtoken_error: 'authorization_code_invalid' });
      // The browser made no exchange of its own (WeChat would have refused it too, recorded as from the redirect).
      expect((await components(hub.url)).last_authorization_failure).toMatchObject({ errcode: 61009, source: 'event' });

      // A second merchant: the event exchanges the code before the browser lands.
      const other = 'wxa000000000000005';
      const auth = await call(`${simUrl}/__sim/components/${COMPONENT}/authorize`, { body: { authorizerAppid: other, deliver: 'redirect' } });
      const fresh = new URLSearchParams(auth.body.redirectQuery).get('auth_code')!;
      await postPush(hub.url, craftPush(event(fresh, other)));
      await until(async () => (await call(`${hub.url}/v1/authorizers?status=active`, { key: ADMIN_KEY })).body.total === 1);
      expect(Object.fromEntries((await land(fresh)).searchParams)).toEqual({ authorizer_appid: other });
      expect((await counters(simUrl)).queryAuth).toBe(2); // the spend and the event's
    });

    it('goes on without an outcome when the delivery that took the code never records one (it died), after a bounded wait', async () => {
      const { hub, code } = await authorized(undefined);
      expect(await hub.store.acquireLease(`open-code:${COMPONENT}:${codeHash(code)}`, 'an-instance-that-died', 60_000)).toBe(true);
      const started = performance.now();
      expect(await hub.hub.open.authorizationOutcome(COMPONENT, code, 300)).toBeUndefined();
      expect(performance.now() - started).toBeGreaterThanOrEqual(290);
    });

    it('records a code refused on the authorized event too (source event)', async () => {
      const { hub, simUrl, code } = await authorized(undefined);
      await spend(hub.url, simUrl, code);
      const event = `<xml><AppId><![CDATA[${COMPONENT}]]></AppId><CreateTime>${Math.floor(Date.now() / 1000)}</CreateTime><InfoType><![CDATA[authorized]]></InfoType><AuthorizerAppid><![CDATA[${appid}]]></AuthorizerAppid><AuthorizationCode><![CDATA[${code}]]></AuthorizationCode></xml>`;
      expect(await postPush(hub.url, craftPush(event))).toEqual({ status: 200, text: 'success' });
      await until(async () => (await components(hub.url)).last_authorization_failure !== null);
      expect((await components(hub.url)).last_authorization_failure).toMatchObject({ errcode: 61009, source: 'event' });
    });
  });
});
