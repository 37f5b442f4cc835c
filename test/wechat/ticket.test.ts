import { describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/util/clock.js';
import { InvalidRequestError } from '../../src/errors/index.js';
import { getTicket, type TicketType } from '../../src/wechat/index.js';
import { ACCESS_TOKEN, rejectionOf } from './endpoints.js';
import { fakeFetch, jsonResponse } from './fake-fetch.js';

describe('getTicket (GET /cgi-bin/ticket/getticket)', () => {
  it.each(['jsapi', 'wx_card'] as const)('asks for type=%s with the access token', async (type) => {
    const fake = fakeFetch(() => jsonResponse({ errcode: 0, errmsg: 'ok', ticket: 'TK', expires_in: 7200 }));
    await getTicket({ accessToken: ACCESS_TOKEN, type, fetch: fake.fetch });
    const [call] = fake.calls;
    expect(call?.method).toBe('GET');
    expect(`${call?.url.origin}${call?.url.pathname}`).toBe('https://api.weixin.qq.com/cgi-bin/ticket/getticket');
    expect(Object.fromEntries(call?.url.searchParams ?? [])).toEqual({ access_token: ACCESS_TOKEN, type });
  });

  it('maps the errcode-0 body to a ticket expiring expires_in after the request started', async () => {
    const clock = new ManualClock();
    const start = clock.now();
    const fake = fakeFetch(async () => {
      await clock.advance(1_500);
      return jsonResponse({ errcode: 0, errmsg: 'ok', ticket: 'bxLdikRXVbTPdHSM05e5u5sUoXNKd8-41ZO3MhKoyN5OfkWITDGgnr2fwJ0m9E8NYz', expires_in: 7200 });
    });
    const ticket = await getTicket({ accessToken: ACCESS_TOKEN, type: 'jsapi', fetch: fake.fetch, clock });
    expect(ticket).toEqual({ ticket: 'bxLdikRXVbTPdHSM05e5u5sUoXNKd8-41ZO3MhKoyN5OfkWITDGgnr2fwJ0m9E8NYz', expiresAt: start + 7_200_000 });
  });

  it('refuses an unknown ticket type without calling WeChat', async () => {
    const fake = fakeFetch(() => jsonResponse({}));
    const err = await rejectionOf(getTicket({ accessToken: ACCESS_TOKEN, type: 'agent_config' as TicketType, fetch: fake.fetch }));
    expect(err).toBeInstanceOf(InvalidRequestError);
    expect(fake.calls).toHaveLength(0);
  });
});
