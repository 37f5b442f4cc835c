import { afterEach, describe, expect, it } from 'vitest';
import { cardSignature, verifyJssdkSignature } from '../../src/wechat/index.js';
import { FAKE_TOKEN_LIFETIME_MS } from './fake-token-service.js';
import { APPID, OTHER_APPID, bearer, expectError, setup, type Harness } from './helpers.js';

const json = { 'content-type': 'application/json' };

describe('tickets and signing over HTTP', () => {
  let h: Harness;
  afterEach(async () => h.app.close());

  it('GET /v1/apps/:appid/tickets/:type returns the ticket with its expiry and whether its age is known', async () => {
    h = await setup();
    for (const type of ['jsapi', 'wx_card']) {
      const res = await h.app.inject({ url: `/v1/apps/${APPID}/tickets/${type}`, headers: bearer(h.oneKey) });
      expect(res.statusCode).toBe(200);
      expect(res.headers['cache-control']).toBe('no-store');
      expect(res.json()).toEqual({
        ticket: `fake-ticket-${APPID}-${type}`,
        expires_in: 7200,
        expires_at: new Date(h.clock.now() + FAKE_TOKEN_LIFETIME_MS).toISOString(),
        age_known: true,
      });
    }
  });

  it('refuses strangers, keys of other apps and unknown ticket types', async () => {
    h = await setup();
    expectError(await h.app.inject({ url: `/v1/apps/${APPID}/tickets/jsapi` }), 401, 'unauthorized');
    expectError(await h.app.inject({ url: `/v1/apps/${OTHER_APPID}/tickets/jsapi`, headers: bearer(h.oneKey) }), 403, 'forbidden');
    expectError(await h.app.inject({ url: `/v1/apps/${APPID}/tickets/agent_config`, headers: bearer(h.oneKey) }), 400, 'invalid_request');
    const sign = { method: 'POST' as const, url: `/v1/apps/${OTHER_APPID}/jssdk-config`, headers: { ...bearer(h.oneKey), ...json }, payload: { url: 'https://example.com/' } };
    expectError(await h.app.inject(sign), 403, 'forbidden');
    // Authentication comes before the body: a stranger learns nothing about it.
    expectError(await h.app.inject({ ...sign, headers: json, payload: '{' }), 401, 'unauthorized');
  });

  it('POST /v1/apps/:appid/jssdk-config signs a wx.config the page can use, echoing jsApiList', async () => {
    h = await setup();
    const url = 'https://shop.example.com/pay?item=1#section';
    const res = await h.app.inject({ method: 'POST', url: `/v1/apps/${APPID}/jssdk-config`, headers: { ...bearer(h.oneKey), ...json }, payload: { url, jsApiList: ['chooseImage'] } });
    expect(res.statusCode).toBe(200);
    const config = res.json() as { appId: string; timestamp: number; nonceStr: string; signature: string; jsApiList: string[] };
    expect(config).toMatchObject({ appId: APPID, timestamp: Math.floor(h.clock.now() / 1000), jsApiList: ['chooseImage'] });
    expect(Object.keys(config)).not.toContain('ticket');
    expect(verifyJssdkSignature({ ticket: `fake-ticket-${APPID}-jsapi`, nonceStr: config.nonceStr, timestamp: config.timestamp, url }, config.signature)).toBe(true);
  });

  it('refuses a jssdk-config request without a url or with unknown fields', async () => {
    h = await setup();
    const post = (payload: unknown) => h.app.inject({ method: 'POST', url: `/v1/apps/${APPID}/jssdk-config`, headers: { ...bearer(h.oneKey), ...json }, payload: payload as object });
    expectError(await post({}), 400, 'invalid_request');
    expectError(await post({ url: 'https://x.example/', ticket: 'mine' }), 400, 'invalid_request');
  });

  it('POST /v1/apps/:appid/card-signature signs the given card fields with the wx_card ticket', async () => {
    h = await setup();
    const res = await h.app.inject({
      method: 'POST',
      url: `/v1/apps/${APPID}/card-signature`,
      headers: { ...bearer(h.oneKey), ...json },
      payload: { card_id: 'pFS7Fjg8kV1IdDz01r4SQwMkuCKc', code: '0001', openid: 'o1' },
    });
    expect(res.statusCode).toBe(200);
    const signed = res.json() as { timestamp: number; nonceStr: string; signature: string };
    expect(signed.signature).toBe(cardSignature([`fake-ticket-${APPID}-wx_card`, String(signed.timestamp), signed.nonceStr, 'pFS7Fjg8kV1IdDz01r4SQwMkuCKc', '0001', 'o1']));
    expectError(
      await h.app.inject({ method: 'POST', url: `/v1/apps/${APPID}/card-signature`, headers: { ...bearer(h.oneKey), ...json }, payload: { api_ticket: 'x' } }),
      400,
      'invalid_request',
    );
  });
});
