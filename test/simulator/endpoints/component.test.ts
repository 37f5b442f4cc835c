import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { decodeAesKey, openMessage } from '../../../src/wechat/msg-crypto.js';
import { manualSimulator, use, type Json } from '../helpers.js';
import type { Simulator } from '../../../src/simulator/index.js';
import type { ManualClock } from '../../../src/util/clock.js';

const COMPONENT = 'wxc000000000000001';
const SECRET = 'component-secret-1';
const TOKEN = 'msgtoken';
const AES_KEY = 'abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG';

/** A receiver of pushes that verifies and decrypts each one, as the hub's event endpoint does. */
async function receiver(): Promise<{ url: string; server: Server; messages: string[]; close(): Promise<void> }> {
  const messages: string[] = [];
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (c) => (body += c));
    req.on('end', () => {
      const q = new URL(req.url ?? '/', 'http://x').searchParams;
      const encrypt = /<Encrypt><!\[CDATA\[(.*?)\]\]><\/Encrypt>/.exec(body)?.[1] ?? '';
      messages.push(
        openMessage(
          { token: TOKEN, key: decodeAesKey(AES_KEY), receiveId: COMPONENT },
          { msgSignature: q.get('msg_signature') ?? '', timestamp: q.get('timestamp') ?? '', nonce: q.get('nonce') ?? '' },
          encrypt,
        ),
      );
      res.end('success');
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}/events`, server, messages, close: () => new Promise((r) => server.close(() => r())) };
}

function field(xml: string, name: string): string | undefined {
  return new RegExp(`<${name}>(?:<!\\[CDATA\\[)?(.*?)(?:\\]\\]>)?</${name}>`).exec(xml)?.[1];
}

describe('simulator: Open Platform', () => {
  let sim: Simulator;
  let clock: ManualClock;
  let rx: Awaited<ReturnType<typeof receiver>>;

  beforeEach(async () => {
    rx = await receiver();
    ({ sim, clock } = manualSimulator({ components: [{ appid: COMPONENT, secret: SECRET, token: TOKEN, aesKey: AES_KEY, pushUrl: rx.url, pushPeriodSeconds: 0 }] }));
  });
  afterEach(async () => {
    await sim.close();
    await rx.close();
  });

  const post = async (path: string, body: unknown, query = ''): Promise<Json> =>
    (await sim.app.inject({ method: 'POST', url: `${path}${query}`, payload: JSON.stringify(body) })).json();
  const pushTicket = async (repeat?: boolean): Promise<Json> => post(`/__sim/components/${COMPONENT}/push-ticket`, repeat === undefined ? {} : { repeat });
  const componentToken = (ticket: string, secret = SECRET): Promise<Json> =>
    post('/cgi-bin/component/api_component_token', { component_appid: COMPONENT, component_appsecret: secret, component_verify_ticket: ticket });

  it('pushes encrypted verify tickets that decrypt for the component, and repeats on request', async () => {
    const first = await pushTicket();
    expect(first.status).toBe(200);
    expect(rx.messages).toHaveLength(1);
    expect(field(rx.messages[0]!, 'InfoType')).toBe('component_verify_ticket');
    expect(field(rx.messages[0]!, 'ComponentVerifyTicket')).toBe(first.ticket);
    expect(field(rx.messages[0]!, 'AppId')).toBe(COMPONENT);
    const again = await pushTicket(true);
    expect(again.ticket).toBe(first.ticket);
    const next = await pushTicket(false);
    expect(next.ticket).not.toBe(first.ticket);
  });

  it('gates the component token by ticket: 61006 unknown, 61005 after 12 h, 40001 wrong secret', async () => {
    const { ticket } = await pushTicket();
    expect((await componentToken('ticket@@@nope')).errcode).toBe(61006);
    expect((await componentToken(ticket, 'wrong')).errcode).toBe(40001);
    const ok = await componentToken(ticket);
    expect(ok.component_access_token).toEqual(expect.any(String));
    expect(ok.expires_in).toBe(7200);
    await clock.advance(12 * 3_600_000);
    expect((await componentToken(ticket)).errcode).toBe(61005);
  });

  it('a new component token leaves the old one 300 s', async () => {
    const { ticket } = await pushTicket();
    const a = (await componentToken(ticket)).component_access_token;
    const b = (await componentToken(ticket)).component_access_token;
    const preauth = (token: string): Promise<Json> => post('/cgi-bin/component/api_create_preauthcode', { component_appid: COMPONENT }, `?component_access_token=${token}`);
    expect((await preauth(a)).pre_auth_code).toMatch(/^preauthcode@@@/);
    await clock.advance(300_000);
    expect((await preauth(a)).errcode).toBe(40001);
    expect((await post('/cgi-bin/component/api_create_preauthcode', { component_appid: COMPONENT }, `?access_token=${b}`)).expires_in).toBe(600);
  });

  it('authorization: one-time codes, the same refresh token on refresh, 61023 after unauthorize, replaced on re-authorization', async () => {
    const { ticket } = await pushTicket();
    const ct = (await componentToken(ticket)).component_access_token;
    const q = `?component_access_token=${ct}`;
    const preAuth = (await post('/cgi-bin/component/api_create_preauthcode', { component_appid: COMPONENT }, q)).pre_auth_code;
    const auth = await post(`/__sim/components/${COMPONENT}/authorize`, { authorizerAppid: 'wxa1', preAuthCode: preAuth });
    expect(auth.infoType).toBe('authorized');
    expect(auth.redirectQuery).toContain('auth_code=');
    expect(field(rx.messages.at(-1)!, 'AuthorizationCode')).toBe(auth.authCode);
    // The pre-auth code was spent.
    expect((await sim.app.inject({ method: 'POST', url: `/__sim/components/${COMPONENT}/authorize`, payload: JSON.stringify({ authorizerAppid: 'wxa1', preAuthCode: preAuth }) })).statusCode).toBe(400);
    // Listed with an empty refresh token until the code is exchanged.
    expect((await post('/cgi-bin/component/api_get_authorizer_list', { component_appid: COMPONENT, offset: 0, count: 10 }, q)).list[0].refresh_token).toBe('');
    const info = (await post('/cgi-bin/component/api_query_auth', { component_appid: COMPONENT, authorization_code: auth.authCode }, q)).authorization_info;
    expect(info.authorizer_refresh_token).toMatch(/^refreshtoken@@@/);
    expect(await use(sim, info.authorizer_access_token)).toBe(0);
    expect((await post('/cgi-bin/component/api_query_auth', { component_appid: COMPONENT, authorization_code: auth.authCode }, q)).errcode).toBe(61009);
    const refresh = (rt: string): Promise<Json> => post('/cgi-bin/component/api_authorizer_token', { component_appid: COMPONENT, authorizer_appid: 'wxa1', authorizer_refresh_token: rt }, q);
    const r1 = await refresh(info.authorizer_refresh_token);
    expect(r1.authorizer_refresh_token).toBe(info.authorizer_refresh_token);
    expect(await use(sim, r1.authorizer_access_token)).toBe(0);
    // Re-authorization replaces the refresh token; the old one works 300 s more.
    const again = await post(`/__sim/components/${COMPONENT}/authorize`, { authorizerAppid: 'wxa1', deliver: 'event' });
    expect(again.infoType).toBe('updateauthorized');
    const info2 = (await post('/cgi-bin/component/api_query_auth', { component_appid: COMPONENT, authorization_code: again.authCode }, q)).authorization_info;
    expect(info2.authorizer_refresh_token).not.toBe(info.authorizer_refresh_token);
    expect((await refresh(info.authorizer_refresh_token)).authorizer_access_token).toEqual(expect.any(String));
    await clock.advance(300_000);
    const ct2 = (await componentToken(ticket)).component_access_token;
    const refresh2 = (rt: string): Promise<Json> =>
      post('/cgi-bin/component/api_authorizer_token', { component_appid: COMPONENT, authorizer_appid: 'wxa1', authorizer_refresh_token: rt }, `?component_access_token=${ct2}`);
    expect((await refresh2(info.authorizer_refresh_token)).errcode).toBe(61023);
    expect((await refresh2(info2.authorizer_refresh_token)).authorizer_refresh_token).toBe(info2.authorizer_refresh_token);
    await post(`/__sim/components/${COMPONENT}/authorizers/wxa1/unauthorize`, {});
    expect(field(rx.messages.at(-1)!, 'InfoType')).toBe('unauthorized');
    expect((await refresh2(info2.authorizer_refresh_token)).errcode).toBe(61023);
    expect((await post('/cgi-bin/component/api_authorizer_token', { component_appid: COMPONENT, authorizer_appid: 'wxunknown', authorizer_refresh_token: 'x' }, `?component_access_token=${ct2}`)).errcode).toBe(61003);
  });

  it('authorizes many at once and pages the list by at most 500', async () => {
    const { ticket } = await pushTicket();
    const q = `?component_access_token=${(await componentToken(ticket)).component_access_token}`;
    const many = await post(`/__sim/components/${COMPONENT}/authorize-many`, { count: 1200, exchanged: true });
    expect(many.authorizers).toHaveLength(1200);
    const page = (offset: number, count: number): Promise<Json> => post('/cgi-bin/component/api_get_authorizer_list', { component_appid: COMPONENT, offset, count }, q);
    const p3 = await page(1000, 500);
    expect(p3.total_count).toBe(1200);
    expect(p3.list).toHaveLength(200);
    expect(p3.list[0].refresh_token).toBe(many.authorizers[1000].refreshToken);
    expect((await page(0, 501)).errcode).toBe(47001);
  });

  it('61004 outside the IP allow-list; 43002 for GET; start_push_ticket pushes', async () => {
    await post('/__sim/components', { appid: COMPONENT, secret: SECRET, token: TOKEN, aesKey: AES_KEY, pushUrl: rx.url, pushPeriodSeconds: 0, ipAllowList: ['10.0.0.1'] });
    expect((await componentToken('x')).errcode).toBe(61004);
    await post('/__sim/components', { appid: COMPONENT, secret: SECRET, token: TOKEN, aesKey: AES_KEY, pushUrl: rx.url, pushPeriodSeconds: 0 });
    expect((await sim.app.inject({ method: 'GET', url: '/cgi-bin/component/api_component_token' })).json().errcode).toBe(43002);
    expect(await post('/cgi-bin/component/api_start_push_ticket', { component_appid: COMPONENT, component_secret: SECRET })).toEqual({ errcode: 0, errmsg: 'ok' });
    await expect.poll(() => rx.messages.length).toBe(1);
    expect((await sim.app.inject({ method: 'GET', url: `/__sim/components/${COMPONENT}/counters` })).json().startPushTicket).toBe(1);
  });

  it('pushes on its period on the simulator clock', async () => {
    await post('/__sim/components', { appid: COMPONENT, secret: SECRET, token: TOKEN, aesKey: AES_KEY, pushUrl: rx.url, pushPeriodSeconds: 600 });
    await clock.advance(600_000);
    await expect.poll(() => rx.messages.length).toBe(1);
    await clock.advance(600_000);
    await expect.poll(() => rx.messages.length).toBe(2);
  });
});
