// Issue 11: ANY /v1/apps/{appid}/proxy/{WeChat path}. A business service calls WeChat through the hub with its
// client key; the hub injects the app's token (the service never holds one), heals a rejection, and never lets a
// key scoped to one app make it inject another app's token.
import type { AddressInfo } from 'node:net';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { httpRequest, rawRequest } from '../support/raw-http.js';
import { APPID, OTHER_APPID, setup, type Harness } from './helpers.js';
import { startUpstreamStub, type UpstreamStub } from './upstream-stub.js';

const bearer = (key: string): Record<string, string> => ({ authorization: `Bearer ${key}` });

describe('the token-injecting proxy', () => {
  let stub: UpstreamStub;
  let h: Harness;
  beforeEach(async () => {
    stub = await startUpstreamStub();
    h = await setup({ upstreamBaseUrl: stub.baseUrl });
  });
  afterEach(async () => {
    await h.app.close();
    await stub.close();
  });

  it('injects the app\'s token, passes method, path, query and body on, and returns the answer unchanged', async () => {
    stub.respond = (_req, reply) => reply.code(200).header('content-type', 'text/plain').send(Buffer.from('{"errcode":0,"errmsg":"ok","menu":{}}'));
    const payload = '{"touser":"o1","msgtype":"text","text":{"content":"你好"}}';
    const res = await h.app.inject({
      method: 'POST',
      url: `/v1/apps/${APPID}/proxy/cgi-bin/message/custom/send?x=1%202&access_token=CALLER-SUPPLIED`,
      headers: { ...bearer(h.oneKey), 'content-type': 'application/json; charset=utf-8', cookie: 'c=1' },
      payload,
    });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toBe('text/plain');
    expect(res.headers['cache-control']).toBe('no-store');
    expect(res.body).toBe('{"errcode":0,"errmsg":"ok","menu":{}}');
    const [got] = stub.received;
    // The caller's access_token is replaced by the hub's; the rest of the query is kept byte for byte.
    expect(got!.url).toBe(`/cgi-bin/message/custom/send?x=1%202&access_token=fake-${APPID}-1`);
    expect(got!.method).toBe('POST');
    expect(got!.body.toString('utf8')).toBe(payload);
    expect(got!.headers['content-type']).toBe('application/json; charset=utf-8');
    expect(got!.headers.authorization).toBeUndefined();
    expect(got!.headers.cookie).toBeUndefined();
  });

  it('needs a client key scoped to the app with the read-token capability', async () => {
    const signer = await h.service.createClientKey('signer', [APPID], { signOnly: true });
    const url = `/v1/apps/${APPID}/proxy/cgi-bin/menu/get`;
    expect((await h.app.inject({ url })).statusCode).toBe(401);
    expect((await h.app.inject({ url, headers: bearer('wxt_not-a-key-0123456789abcdef0123456789') })).statusCode).toBe(401);
    const signOnly = await h.app.inject({ url, headers: bearer(signer) });
    expect(signOnly.statusCode).toBe(403);
    expect(signOnly.json()).toMatchObject({ error: { code: 'forbidden' } });
    expect((await h.app.inject({ url: `/v1/apps/${OTHER_APPID}/proxy/cgi-bin/menu/get`, headers: bearer(h.oneKey) })).statusCode).toBe(403);
    expect(stub.received).toEqual([]);
    expect((await h.app.inject({ url, headers: bearer(h.allKey) })).statusCode).toBe(200);
  });

  it('refuses secret-bearing and user-token paths, token endpoints and secret parameters, forwarding nothing', async () => {
    for (const path of [
      'sns/jscode2session?appid=x&js_code=c&grant_type=authorization_code',
      'sns/oauth2/access_token?appid=x&code=c&grant_type=authorization_code',
      'sns/userinfo?openid=o',
      'SNS/jscode2session',
      'cgi-bin/token?grant_type=client_credential',
      'cgi-bin//Token',
      'cgi-bin/stable_token',
      'cgi-bin/component/api_component_token',
      'cgi-bin/clear_quota/v2',
      'cgi-bin/menu/get?secret=s',
      'cgi-bin/menu/get?AppSecret=s',
      'cgi-bin/menu/get?corp%73ecret=s',
      // Since the merge with issue 14: a client key in any parameter never reaches WeChat, as in the passthrough.
      `cgi-bin/menu/get?note=${h.oneKey}`,
      `cgi-bin/menu/get?access_token=${encodeURIComponent(h.allKey)}`,
      'pay/unifiedorder',
    ]) {
      const res = await h.app.inject({ url: `/v1/apps/${APPID}/proxy/${path}`, headers: bearer(h.oneKey) });
      expect(res.statusCode, path).toBe(400);
      expect(res.json(), path).toMatchObject({ error: { code: 'invalid_request' } });
    }
    expect(stub.received).toEqual([]);
    expect(h.service.calls.filter((c) => c.method === 'getAccessToken')).toEqual([]);
  });

  it('heals a token rejection: invalidates, replays once with the new token, never twice', async () => {
    let rejectAll = false;
    stub.respond = (req, reply) =>
      reply
        .header('content-type', 'application/json')
        .send(Buffer.from(rejectAll || req.url.includes(`fake-${APPID}-1`) ? '{"errcode":40001,"errmsg":"invalid credential rid: x"}' : '{"ip_list":["1.2.3.4"]}'));
    const url = `/v1/apps/${APPID}/proxy/cgi-bin/getcallbackip`;
    const healed = await h.app.inject({ url, headers: bearer(h.oneKey) });
    expect(healed.json()).toEqual({ ip_list: ['1.2.3.4'] });
    expect(stub.received.map((r) => r.url)).toEqual([`/cgi-bin/getcallbackip?access_token=fake-${APPID}-1`, `/cgi-bin/getcallbackip?access_token=fake-${APPID}-2`]);
    expect(h.service.calls.filter((c) => c.method === 'invalidate')).toEqual([{ method: 'invalidate', args: [APPID, `fake-${APPID}-1`] }]);

    // WeChat rejects the replay too: its answer goes back as it is, after one replay only.
    rejectAll = true;
    stub.received.length = 0;
    const rejected = await h.app.inject({ url, headers: bearer(h.oneKey) });
    expect(rejected.json()).toMatchObject({ errcode: 40001 });
    expect(stub.received).toHaveLength(2);
  });

  it('answers 502 in the hub\'s error shape when WeChat cannot be reached, without the token', async () => {
    const closed = stub.baseUrl;
    await h.app.close();
    await stub.close();
    stub = await startUpstreamStub();
    h = await setup({ upstreamBaseUrl: closed });
    const res = await h.app.inject({ url: `/v1/apps/${APPID}/proxy/cgi-bin/menu/get`, headers: bearer(h.oneKey) });
    expect(res.statusCode).toBe(502);
    expect(res.json()).toMatchObject({ error: { code: 'upstream_transport' } });
    expect(res.body).not.toContain('fake-');
  });
});

describe('a key scoped to app A never makes the proxy inject app B\'s token, however the request is spelt', () => {
  let stub: UpstreamStub;
  let h: Harness;
  let port: number;
  beforeAll(async () => {
    stub = await startUpstreamStub();
    h = await setup({ upstreamBaseUrl: stub.baseUrl });
    await h.app.listen({ host: '127.0.0.1', port: 0 });
    port = (h.app.server.address() as AddressInfo).port;
  });
  afterAll(async () => {
    await h.app.close();
    await stub.close();
  });

  const B = OTHER_APPID;
  const SPELLINGS: ReadonlyArray<[string, Record<string, string>?]> = [
    [`/v1/apps/${B}/proxy/cgi-bin/menu/get`],
    [`/v1/apps/${B.toUpperCase()}/proxy/cgi-bin/menu/get`],
    [`/v1/apps/%77%78${B.slice(2)}/proxy/cgi-bin/menu/get`],
    [`/v1/apps/${B}%2Fproxy/cgi-bin/menu/get`],
    [`/v1/apps/${APPID}/proxy/../../${B}/proxy/cgi-bin/menu/get`],
    [`/v1/apps/${APPID}/proxy/%2e%2e/%2e%2e/${B}/proxy/cgi-bin/menu/get`],
    [`/v1/apps/${APPID}/../${B}/proxy/cgi-bin/menu/get`],
    [`/v1/apps/${APPID}/proxy/..%2f..%2f${B}%2fproxy%2fcgi-bin/menu/get`],
    [`/v1//apps/${B}/proxy/cgi-bin/menu/get`],
    [`/v1/apps/${B}//proxy/cgi-bin/menu/get`],
    [`/v1/apps/${B}/proxy//cgi-bin/menu/get`],
    [`/v1/apps/${B}/PROXY/cgi-bin/menu/get`],
    [`/v1/apps/${B};${APPID}/proxy/cgi-bin/menu/get`],
    [`/v1/apps/${APPID}/proxy/cgi-bin/menu/get?appid=${B}`],
    [`/v1/apps/${APPID}/proxy/cgi-bin/menu/get?access_token=fake-${B}-1`],
    [`/v1/apps/${APPID}/proxy/cgi-bin/menu/get`, { 'x-wxtoken-appid': B, 'x-forwarded-path': `/v1/apps/${B}/proxy/cgi-bin/menu/get`, 'x-original-url': `/v1/apps/${B}/proxy/x` }],
    [`http://127.0.0.1/v1/apps/${B}/proxy/cgi-bin/menu/get`],
  ];

  it.each(SPELLINGS)('%s', async (target, headers = {}) => {
    stub.received.length = 0;
    h.service.calls.length = 0;
    const res = await rawRequest(port, httpRequest('GET', target, { headers: { authorization: `Bearer ${h.oneKey}`, ...headers } }));
    // Refused (400/403/404), or served for A with A's token: never anything of B's.
    expect([200, 400, 403, 404], res.raw).toContain(res.status);
    expect(h.service.calls.filter((c) => c.method === 'getAccessToken' && c.args[0] !== APPID), res.raw).toEqual([]);
    for (const received of stub.received) {
      expect(received.url).not.toContain(`fake-${B}`);
      expect(received.url).toContain(`access_token=fake-${APPID}-`);
    }
    expect(res.body).not.toContain(`fake-${B}`);
  });
});
