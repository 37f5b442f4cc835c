import { TOKEN_CHECK_PATH } from '../../src/server/compat/token-verifier.js';
import { afterEach, describe, expect, it } from 'vitest';
import { CredentialsRejectedError, QuotaExhaustedError, StoreUnavailableError, UpstreamUnavailableError } from '../../src/errors/index.js';
import { APPID, OTHER_APPID, OTHER_SECRET, SECRET, UNKNOWN_APPID, setup, type Harness } from './helpers.js';

const RID = / rid: [0-9a-f]{8}-[0-9a-f]{8}-[0-9a-f]{8}$/;

function tokenUrl(params: Record<string, string>): string {
  return `/cgi-bin/token?${new URLSearchParams(params).toString()}`;
}

/** Asserts WeChat's error shape (HTTP 200) and returns the errmsg without its rid. */
function expectWeChatError(res: { statusCode: number; json: () => unknown; body: string }, errcode: number, errmsg: string | RegExp): string {
  expect(res.statusCode).toBe(200);
  const body = res.json() as { errcode: number; errmsg: string };
  expect(Object.keys(body).sort()).toEqual(['errcode', 'errmsg']);
  expect(body.errcode).toBe(errcode);
  expect(body.errmsg).toMatch(RID);
  const text = body.errmsg.replace(RID, '');
  if (typeof errmsg === 'string') expect(text).toBe(errmsg);
  else expect(text).toMatch(errmsg);
  return text;
}

describe('GET /cgi-bin/token (WeChat-compatible)', () => {
  let h: Harness;
  afterEach(async () => h.app.close());

  it('answers with the managed token in WeChat shape for the AppSecret, reusing it across calls', async () => {
    h = await setup();
    const url = tokenUrl({ grant_type: 'client_credential', appid: APPID, secret: SECRET });
    const first = await h.app.inject({ url });
    expect(first.statusCode).toBe(200);
    expect(first.headers['content-type']).toMatch(/^application\/json/);
    expect(first.json()).toEqual({ access_token: `fake-${APPID}-1`, expires_in: 7200 });
    await h.clock.advance(60_000);
    expect((await h.app.inject({ url })).json()).toEqual({ access_token: `fake-${APPID}-1`, expires_in: 7140 });
    expect(first.body).not.toContain(SECRET);
  });

  it('accepts a client key scoped to the app as the secret', async () => {
    h = await setup();
    const res = await h.app.inject({ url: tokenUrl({ grant_type: 'client_credential', appid: APPID, secret: h.oneKey }) });
    expect(res.json()).toEqual({ access_token: `fake-${APPID}-1`, expires_in: 7200 });
    const all = await h.app.inject({ url: tokenUrl({ grant_type: 'client_credential', appid: OTHER_APPID, secret: h.allKey }) });
    expect(all.json().access_token).toBe(`fake-${OTHER_APPID}-1`);
  });

  it('rejects a client key not scoped to the app with 40125, and never echoes the secret', async () => {
    h = await setup();
    const res = await h.app.inject({ url: tokenUrl({ grant_type: 'client_credential', appid: OTHER_APPID, secret: h.oneKey }) });
    expectWeChatError(res, 40125, 'invalid appsecret');
    expect(res.body).not.toContain(h.oneKey);
  });

  it('answers each WeChat errcode for bad parameters', async () => {
    h = await setup();
    const cases: Array<[Record<string, string>, number, string]> = [
      [{ appid: APPID, secret: SECRET }, 40002, 'invalid grant_type'],
      [{ grant_type: 'password', appid: APPID, secret: SECRET }, 40002, 'invalid grant_type'],
      [{ grant_type: 'client_credential', secret: SECRET }, 41002, 'appid missing'],
      [{ grant_type: 'client_credential', appid: '', secret: SECRET }, 41002, 'appid missing'],
      [{ grant_type: 'client_credential', appid: 'wxNOTHEX', secret: SECRET }, 40013, 'invalid appid'],
      [{ grant_type: 'client_credential', appid: UNKNOWN_APPID, secret: SECRET }, 40013, 'invalid appid'],
      [{ grant_type: 'client_credential', appid: APPID }, 41004, 'appsecret missing'],
      [{ grant_type: 'client_credential', appid: APPID, secret: OTHER_SECRET }, 40125, 'invalid appsecret'],
      [{ grant_type: 'client_credential', appid: APPID, secret: `${SECRET}x` }, 40125, 'invalid appsecret'],
    ];
    for (const [params, errcode, errmsg] of cases) {
      const res = await h.app.inject({ url: tokenUrl(params) });
      expectWeChatError(res, errcode, errmsg);
      expect(res.body).not.toContain(SECRET);
    }
    expect(h.service.calls.filter((c) => c.method === 'getAccessToken')).toHaveLength(0);
  });

  it('starts rids with the current Unix time in hex, like WeChat', async () => {
    h = await setup({ random: () => 0.5 });
    const res = await h.app.inject({ url: tokenUrl({}) });
    const hexTime = Math.floor(h.clock.now() / 1000).toString(16).padStart(8, '0');
    expect(res.json().errmsg).toBe(`invalid grant_type rid: ${hexTime}-80000000-80000000`);
  });

  it('maps hub failures to WeChat-like errcodes', async () => {
    h = await setup();
    const url = tokenUrl({ grant_type: 'client_credential', appid: APPID, secret: SECRET });
    h.service.failNext(APPID, new UpstreamUnavailableError('down'));
    expectWeChatError(await h.app.inject({ url }), -1, 'system error');
    h.service.failNext(APPID, new StoreUnavailableError('down'));
    expectWeChatError(await h.app.inject({ url }), -1, 'system error');
    h.service.failNext(APPID, new QuotaExhaustedError('quota'));
    expectWeChatError(await h.app.inject({ url }), 45009, 'reach max api daily quota limit');
    h.service.failNext(APPID, new CredentialsRejectedError('40125 from WeChat'));
    expectWeChatError(await h.app.inject({ url }), -1, /^system error: WeChat rejected the hub's stored credentials/);
  });

  it('is answered by the hub however the path is spelled (never forwarded)', async () => {
    let forwarded = 0;
    let checks = 0;
    h = await setup({
      fetch: (async (url: string) => {
        // The same address coming back for the same token is an early re-request: at most one verification
        // call per interval (compat/token-verifier.ts), never a token request.
        if (new URL(url).pathname === TOKEN_CHECK_PATH) checks++;
        else forwarded++;
        return new Response('{}', { headers: { 'content-type': 'application/json' } });
      }) as typeof fetch,
    });
    const query = `?${new URLSearchParams({ grant_type: 'client_credential', appid: APPID, secret: SECRET })}`;
    for (const path of ['/cgi-bin/token/', '/cgi-bin//token', '/cgi-bin///token//', '/cgi-bin/TOKEN/', '/cgi-bin/Token']) {
      const res = await h.app.inject({ url: path + query });
      expect(res.json(), path).toEqual({ access_token: `fake-${APPID}-1`, expires_in: 7200 });
    }
    // Outside the (case-sensitive) passthrough prefixes: nothing answers, nothing is forwarded.
    expect((await h.app.inject({ url: `/CGI-BIN/token${query}` })).statusCode).toBe(404);
    expect((await h.app.inject({ url: `//cgi-bin/token${query}` })).statusCode).toBe(404);
    const stable = await h.app.inject({ method: 'POST', url: '/cgi-bin/Stable_Token', payload: { grant_type: 'client_credential', appid: APPID, secret: SECRET } });
    expect(stable.json()).toEqual({ access_token: `fake-${APPID}-1`, expires_in: 7200 });
    expect(forwarded).toBe(0);
    expect(checks).toBeLessThanOrEqual(1);
  });
});

describe('POST /cgi-bin/stable_token (WeChat-compatible)', () => {
  let h: Harness;
  afterEach(async () => h.app.close());

  const body = { grant_type: 'client_credential', appid: APPID, secret: SECRET };

  it('answers with the managed token and ignores force_refresh', async () => {
    h = await setup();
    const res = await h.app.inject({ method: 'POST', url: '/cgi-bin/stable_token', payload: { ...body, force_refresh: true } });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({ access_token: `fake-${APPID}-1`, expires_in: 7200 });
    const again = await h.app.inject({ method: 'POST', url: '/cgi-bin/stable_token', payload: { ...body, force_refresh: true } });
    expect(again.json().access_token).toBe(`fake-${APPID}-1`);
    expect(h.service.calls.map((c) => c.method)).not.toContain('refresh');
  });

  it('parses the JSON body whatever the content-type says, and accepts a client key', async () => {
    h = await setup();
    const res = await h.app.inject({
      method: 'POST',
      url: '/cgi-bin/stable_token',
      headers: { 'content-type': 'text/plain' },
      payload: JSON.stringify({ ...body, secret: h.oneKey }),
    });
    expect(res.json()).toEqual({ access_token: `fake-${APPID}-1`, expires_in: 7200 });
  });

  it('answers each WeChat errcode', async () => {
    h = await setup();
    const post = (payload: string): Promise<{ statusCode: number; json: () => unknown; body: string }> =>
      h.app.inject({ method: 'POST', url: '/cgi-bin/stable_token', headers: { 'content-type': 'application/json' }, payload });
    expectWeChatError(await h.app.inject({ method: 'GET', url: '/cgi-bin/stable_token' }), 43002, 'require POST method');
    expectWeChatError(await h.app.inject({ method: 'PUT', url: '/cgi-bin/stable_token', payload: body }), 43002, 'require POST method');
    expectWeChatError(await post('{"grant_type":'), 47001, 'data format error');
    expectWeChatError(await post('[1,2]'), 47001, 'data format error');
    expectWeChatError(await h.app.inject({ method: 'POST', url: '/cgi-bin/stable_token' }), 47001, 'data format error');
    expectWeChatError(await post(JSON.stringify({ ...body, grant_type: undefined })), 40002, 'invalid grant_type');
    expectWeChatError(await post(JSON.stringify({ ...body, appid: undefined })), 41002, 'appid missing');
    expectWeChatError(await post(JSON.stringify({ ...body, appid: 12 })), 40013, 'invalid appid');
    expectWeChatError(await post(JSON.stringify({ ...body, appid: UNKNOWN_APPID })), 40013, 'invalid appid');
    expectWeChatError(await post(JSON.stringify({ ...body, secret: undefined })), 41004, 'appsecret missing');
    const wrong = await post(JSON.stringify({ ...body, secret: 'wrong-secret-value' }));
    expectWeChatError(wrong, 40125, 'invalid appsecret');
    expect(wrong.body).not.toContain('wrong-secret-value');
    expectWeChatError(await post(JSON.stringify({ ...body, secret: ['array'] })), 40125, 'invalid appsecret');
  });
});
