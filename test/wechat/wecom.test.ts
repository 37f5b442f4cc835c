import { describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/util/clock.js';
import { getWeComAgentConfigTicket, getWeComJsapiTicket, getWeComToken } from '../../src/wechat/index.js';
import { ACCESS_TOKEN, SECRET } from './endpoints.js';
import { fakeFetch, jsonResponse } from './fake-fetch.js';

describe('WeCom client', () => {
  it('gettoken: GET on the WeCom host with corpid and corpsecret; the errcode-0 body maps to a token', async () => {
    const clock = new ManualClock();
    const start = clock.now();
    const fake = fakeFetch(async () => {
      await clock.advance(700);
      return jsonResponse({ errcode: 0, errmsg: 'ok', access_token: 'accesstoken000001', expires_in: 7200 });
    });
    const token = await getWeComToken({ corpid: 'wwcorp1', corpsecret: SECRET, fetch: fake.fetch, clock });
    const [call] = fake.calls;
    expect(call?.method).toBe('GET');
    expect(`${call?.url.origin}${call?.url.pathname}`).toBe('https://qyapi.weixin.qq.com/cgi-bin/gettoken');
    expect(Object.fromEntries(call?.url.searchParams ?? [])).toEqual({ corpid: 'wwcorp1', corpsecret: SECRET });
    expect(token).toEqual({ token: 'accesstoken000001', expiresAt: start + 7_200_000 });
  });

  it('get_jsapi_ticket: GET with the access token only', async () => {
    const clock = new ManualClock();
    const fake = fakeFetch(() => jsonResponse({ errcode: 0, errmsg: 'ok', ticket: 'CORP_TICKET', expires_in: 7200 }));
    const ticket = await getWeComJsapiTicket({ accessToken: ACCESS_TOKEN, fetch: fake.fetch, clock });
    const [call] = fake.calls;
    expect(call?.method).toBe('GET');
    expect(`${call?.url.origin}${call?.url.pathname}`).toBe('https://qyapi.weixin.qq.com/cgi-bin/get_jsapi_ticket');
    expect(Object.fromEntries(call?.url.searchParams ?? [])).toEqual({ access_token: ACCESS_TOKEN });
    expect(ticket).toEqual({ ticket: 'CORP_TICKET', expiresAt: clock.now() + 7_200_000 });
  });

  it('ticket/get: GET with the access token and type=agent_config', async () => {
    const clock = new ManualClock();
    const fake = fakeFetch(() => jsonResponse({ errcode: 0, errmsg: 'ok', ticket: 'AGENT_TICKET', expires_in: 3600 }));
    const ticket = await getWeComAgentConfigTicket({ accessToken: ACCESS_TOKEN, fetch: fake.fetch, clock });
    const [call] = fake.calls;
    expect(`${call?.url.origin}${call?.url.pathname}`).toBe('https://qyapi.weixin.qq.com/cgi-bin/ticket/get');
    expect(Object.fromEntries(call?.url.searchParams ?? [])).toEqual({ access_token: ACCESS_TOKEN, type: 'agent_config' });
    expect(ticket).toEqual({ ticket: 'AGENT_TICKET', expiresAt: clock.now() + 3_600_000 });
  });

  it('an explicit baseUrl overrides the WeCom default', async () => {
    const fake = fakeFetch(() => jsonResponse({ errcode: 0, errmsg: 'ok', access_token: 'A', expires_in: 7200 }));
    await getWeComToken({ corpid: 'wwcorp1', corpsecret: SECRET, fetch: fake.fetch, baseUrl: 'http://127.0.0.1:9' });
    expect(fake.calls[0]?.url.origin).toBe('http://127.0.0.1:9');
  });
});
