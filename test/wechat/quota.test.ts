import { describe, expect, it } from 'vitest';
import { clearQuota, clearQuotaV2, getApiQuota } from '../../src/wechat/index.js';
import { ACCESS_TOKEN, SECRET } from './endpoints.js';
import { fakeFetch, jsonResponse } from './fake-fetch.js';

describe('quota client', () => {
  it('clear_quota: POST with the token in the query and {"appid"} as JSON', async () => {
    const fake = fakeFetch(() => jsonResponse({ errcode: 0, errmsg: 'ok' }));
    await expect(clearQuota({ accessToken: ACCESS_TOKEN, appid: 'wxapp1', fetch: fake.fetch })).resolves.toBeUndefined();
    const [call] = fake.calls;
    expect(call?.method).toBe('POST');
    expect(`${call?.url.origin}${call?.url.pathname}`).toBe('https://api.weixin.qq.com/cgi-bin/clear_quota');
    expect(Object.fromEntries(call?.url.searchParams ?? [])).toEqual({ access_token: ACCESS_TOKEN });
    expect(call?.headers.get('content-type')).toBe('application/json');
    expect(JSON.parse(call?.body ?? 'null')).toEqual({ appid: 'wxapp1' });
  });

  it('clear_quota/v2: POST with appid and appsecret in the JSON body, nothing in the URL', async () => {
    const fake = fakeFetch(() => jsonResponse({ errcode: 0, errmsg: 'ok' }));
    await expect(clearQuotaV2({ appid: 'wxapp1', secret: SECRET, fetch: fake.fetch })).resolves.toBeUndefined();
    const [call] = fake.calls;
    expect(call?.method).toBe('POST');
    expect(call?.url.href).toBe('https://api.weixin.qq.com/cgi-bin/clear_quota/v2');
    expect(JSON.parse(call?.body ?? 'null')).toEqual({ appid: 'wxapp1', appsecret: SECRET });
  });

  it('quota/get: POST with the token in the query and {"cgi_path"}, mapped to camelCase', async () => {
    const fake = fakeFetch(() =>
      jsonResponse({
        errcode: 0,
        errmsg: 'ok',
        quota: { daily_limit: 2000, used: 12, remain: 1988 },
        rate_limit: { call_count: 10000, refresh_second: 60 },
        component_rate_limit: { call_count: 0, refresh_second: 0 },
      }),
    );
    const quota = await getApiQuota({ accessToken: ACCESS_TOKEN, cgiPath: '/cgi-bin/stable_token', fetch: fake.fetch });
    const [call] = fake.calls;
    expect(call?.method).toBe('POST');
    expect(`${call?.url.origin}${call?.url.pathname}`).toBe('https://api.weixin.qq.com/cgi-bin/openapi/quota/get');
    expect(Object.fromEntries(call?.url.searchParams ?? [])).toEqual({ access_token: ACCESS_TOKEN });
    expect(JSON.parse(call?.body ?? 'null')).toEqual({ cgi_path: '/cgi-bin/stable_token' });
    expect(quota).toEqual({
      dailyLimit: 2000,
      used: 12,
      remain: 1988,
      rateLimit: { callCount: 10000, refreshSecond: 60 },
      componentRateLimit: { callCount: 0, refreshSecond: 0 },
    });
  });

  it('quota/get: rate limits WeChat leaves out stay absent', async () => {
    const fake = fakeFetch(() => jsonResponse({ errcode: 0, errmsg: 'ok', quota: { daily_limit: 100, used: 0, remain: 100 } }));
    const quota = await getApiQuota({ accessToken: ACCESS_TOKEN, cgiPath: '/cgi-bin/clear_quota', fetch: fake.fetch });
    expect(quota).toEqual({ dailyLimit: 100, used: 0, remain: 100 });
    expect('rateLimit' in quota).toBe(false);
  });
});
