import { describe, expect, it } from 'vitest';
import { UpstreamTransportError } from '../../src/errors/index.js';
import { getAccessToken, getApiQuota, getCallbackIp, getTicket, getWeComToken, clearQuota, getMenu } from '../../src/wechat/index.js';
import { ACCESS_TOKEN, rejectionOf, SECRET } from './endpoints.js';
import { fakeFetch, jsonResponse } from './fake-fetch.js';

async function badBody(run: (fetchImpl: typeof fetch) => Promise<unknown>, body: unknown): Promise<void> {
  const fake = fakeFetch(() => jsonResponse(body));
  const err = await rejectionOf(run(fake.fetch));
  expect(err).toBeInstanceOf(UpstreamTransportError);
  expect(err).toMatchObject({ failure: 'bad-body', retryable: true });
}

describe('success bodies are checked at the edge', () => {
  const token = (f: typeof fetch): Promise<unknown> => getAccessToken({ appid: 'wxapp1', secret: SECRET, fetch: f });

  it.each([
    ['access_token missing', { expires_in: 7200 }],
    ['access_token empty', { access_token: '', expires_in: 7200 }],
    ['access_token longer than 512 chars', { access_token: 'a'.repeat(513), expires_in: 7200 }],
    ['access_token a number', { access_token: 12345, expires_in: 7200 }],
    ['expires_in missing', { access_token: 'T' }],
    ['expires_in zero', { access_token: 'T', expires_in: 0 }],
    ['expires_in negative', { access_token: 'T', expires_in: -5 }],
    ['expires_in a string', { access_token: 'T', expires_in: '7200' }],
    ['expires_in absurdly long', { access_token: 'T', expires_in: 1e12 }],
    ['an empty object', {}],
  ])('token: %s is a bad body', async (_what, body) => {
    await badBody(token, body);
  });

  it('token: 512 chars and a fractional expires_in are accepted', async () => {
    const fake = fakeFetch(() => jsonResponse({ access_token: 'a'.repeat(512), expires_in: 0.5 }));
    const result = await getAccessToken({ appid: 'wxapp1', secret: SECRET, fetch: fake.fetch });
    expect(result.token).toHaveLength(512);
  });

  it('WeCom token: errcode 0 without a token is a bad body', async () => {
    await badBody((f) => getWeComToken({ corpid: 'ww', corpsecret: SECRET, fetch: f }), { errcode: 0, errmsg: 'ok' });
  });

  it.each([
    ['ticket missing', { errcode: 0, errmsg: 'ok', expires_in: 7200 }],
    ['ticket empty', { errcode: 0, errmsg: 'ok', ticket: '', expires_in: 7200 }],
    ['expires_in missing', { errcode: 0, errmsg: 'ok', ticket: 'TK' }],
  ])('ticket: %s is a bad body', async (_what, body) => {
    await badBody((f) => getTicket({ accessToken: ACCESS_TOKEN, type: 'jsapi', fetch: f }), body);
  });

  it('clear_quota: a body without errcode 0 is a bad body (errcode 0 is its only success signal)', async () => {
    await badBody((f) => clearQuota({ accessToken: ACCESS_TOKEN, appid: 'wxapp1', fetch: f }), {});
  });

  it.each([
    ['quota missing', { errcode: 0, errmsg: 'ok' }],
    ['a negative count', { errcode: 0, quota: { daily_limit: 1, used: -1, remain: 1 } }],
    ['a malformed rate_limit', { errcode: 0, quota: { daily_limit: 1, used: 0, remain: 1 }, rate_limit: { call_count: 'x', refresh_second: 60 } }],
  ])('quota/get: %s is a bad body', async (_what, body) => {
    await badBody((f) => getApiQuota({ accessToken: ACCESS_TOKEN, cgiPath: '/cgi-bin/token', fetch: f }), body);
  });

  it.each([
    ['ip_list missing', {}],
    ['ip_list not an array', { ip_list: '1.2.3.4' }],
    ['ip_list with a non-string', { ip_list: ['1.2.3.4', 5] }],
  ])('getcallbackip: %s is a bad body', async (_what, body) => {
    await badBody((f) => getCallbackIp({ accessToken: ACCESS_TOKEN, fetch: f }), body);
  });

  it('menu/get: a body without a menu object is a bad body', async () => {
    await badBody((f) => getMenu({ accessToken: ACCESS_TOKEN, fetch: f }), { button: [] });
  });

  it('names the endpoint and what was expected, never the value', async () => {
    const fake = fakeFetch(() => jsonResponse({ access_token: 'TOKEN_VALUE_X', expires_in: -1 }));
    const err = (await rejectionOf(getAccessToken({ appid: 'wxapp1', secret: SECRET, fetch: fake.fetch }))) as Error;
    expect(err.message).toBe('WeChat /cgi-bin/token failed (bad-body): success body is not an access_token with expires_in');
  });
});
