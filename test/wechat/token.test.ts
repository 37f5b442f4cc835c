import { describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/util/clock.js';
import { getAccessToken, getStableAccessToken } from '../../src/wechat/index.js';
import { SECRET } from './endpoints.js';
import { fakeFetch, jsonResponse } from './fake-fetch.js';

describe('getAccessToken (GET /cgi-bin/token)', () => {
  it('sends grant_type, appid and secret in the query of a GET to the default host', async () => {
    const fake = fakeFetch(() => jsonResponse({ access_token: 'T1', expires_in: 7200 }));
    await getAccessToken({ appid: 'wxapp1', secret: SECRET, fetch: fake.fetch });
    expect(fake.calls).toHaveLength(1);
    const [call] = fake.calls;
    expect(call?.method).toBe('GET');
    expect(call?.url.origin).toBe('https://api.weixin.qq.com');
    expect(call?.url.pathname).toBe('/cgi-bin/token');
    expect(Object.fromEntries(call?.url.searchParams ?? [])).toEqual({ grant_type: 'client_credential', appid: 'wxapp1', secret: SECRET });
    expect(call?.body).toBeUndefined();
    expect(call?.redirect).toBe('manual');
  });

  it('maps the body to a token whose expiresAt counts from the clock reading taken when the request started', async () => {
    const clock = new ManualClock(Date.UTC(2026, 0, 1));
    const start = clock.now();
    const fake = fakeFetch(async () => {
      await clock.advance(4_000); // WeChat took 4 s to answer
      return jsonResponse({ access_token: 'T1', expires_in: 7200 });
    });
    const token = await getAccessToken({ appid: 'wxapp1', secret: SECRET, fetch: fake.fetch, clock });
    expect(token).toEqual({ token: 'T1', expiresAt: start + 7_200_000 });
  });

  it('honours a base URL with a path prefix and a trailing slash', async () => {
    const fake = fakeFetch(() => jsonResponse({ access_token: 'T1', expires_in: 7200 }));
    await getAccessToken({ appid: 'wxapp1', secret: SECRET, fetch: fake.fetch, baseUrl: 'http://127.0.0.1:9/wechat/' });
    expect(fake.calls[0]?.url.href.split('?')[0]).toBe('http://127.0.0.1:9/wechat/cgi-bin/token');
  });
});

describe('getStableAccessToken (POST /cgi-bin/stable_token)', () => {
  it('POSTs JSON with exactly the four keys WeChat expects and no query', async () => {
    const fake = fakeFetch(() => jsonResponse({ access_token: 'S1', expires_in: 345 }));
    await getStableAccessToken({ appid: 'wxapp1', secret: SECRET, fetch: fake.fetch });
    const [call] = fake.calls;
    expect(call?.method).toBe('POST');
    expect(call?.url.href).toBe('https://api.weixin.qq.com/cgi-bin/stable_token');
    expect(call?.headers.get('content-type')).toBe('application/json');
    expect(JSON.parse(call?.body ?? 'null')).toEqual({ grant_type: 'client_credential', appid: 'wxapp1', secret: SECRET, force_refresh: false });
  });

  it('sends force_refresh: true in force mode', async () => {
    const fake = fakeFetch(() => jsonResponse({ access_token: 'S2', expires_in: 7200 }));
    await getStableAccessToken({ appid: 'wxapp1', secret: SECRET, forceRefresh: true, fetch: fake.fetch });
    expect(JSON.parse(fake.calls[0]?.body ?? 'null')).toMatchObject({ force_refresh: true });
  });

  it('uses the remaining lifetime WeChat reports for a token it hands out again', async () => {
    const clock = new ManualClock();
    const fake = fakeFetch(() => jsonResponse({ access_token: 'S1', expires_in: 345 }));
    const token = await getStableAccessToken({ appid: 'wxapp1', secret: SECRET, fetch: fake.fetch, clock });
    expect(token).toEqual({ token: 'S1', expiresAt: clock.now() + 345_000 });
  });
});
