import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { APPID, setup, type Harness } from './helpers.js';
import { startUpstreamStub, type UpstreamStub } from './upstream-stub.js';

describe('WeChat-compatible GET /cgi-bin/ticket/getticket', () => {
  let stub: UpstreamStub;
  let h: Harness;
  beforeEach(async () => {
    stub = await startUpstreamStub();
  });
  afterEach(async () => {
    await h.app.close();
    await stub.close();
  });

  it('answers the managed ticket in WeChat’s shape for a token the hub issued, without calling WeChat', async () => {
    h = await setup({ upstreamBaseUrl: stub.baseUrl });
    const { token } = await h.service.getAccessToken(APPID);
    for (const type of ['jsapi', 'wx_card']) {
      const res = await h.app.inject({ url: `/cgi-bin/ticket/getticket?access_token=${token}&type=${type}` });
      expect(res.statusCode).toBe(200);
      expect(res.json()).toEqual({ errcode: 0, errmsg: 'ok', ticket: `fake-ticket-${APPID}-${type}`, expires_in: 7200 });
    }
    expect(stub.received).toHaveLength(0);
  });

  it('never announces expires_in 0, which some SDKs cache for ever', async () => {
    h = await setup({ upstreamBaseUrl: stub.baseUrl });
    const { token } = await h.service.getAccessToken(APPID);
    h.service.getTicket = async () => ({ token: 'last-moments', expiresAt: h.clock.now() + 400, ageKnown: true });
    const res = await h.app.inject({ url: `/cgi-bin/ticket/getticket?access_token=${token}&type=jsapi` });
    expect(res.json()).toEqual({ errcode: 0, errmsg: 'ok', ticket: 'last-moments', expires_in: 1 });
  });

  it('forwards a token the hub did not issue, and anything but a GET, to WeChat unchanged', async () => {
    h = await setup({ upstreamBaseUrl: stub.baseUrl });
    // Only the stranger's token is rejected: a rejection of the hub's own would be healed (replayed once).
    stub.respond = (req, reply) =>
      reply.header('content-type', 'application/json').send(Buffer.from(req.url.includes('NOT_THE_HUBS') ? '{"errcode":40001,"errmsg":"invalid credential"}' : '{"errcode":0,"errmsg":"ok"}'));
    const foreign = await h.app.inject({ url: '/cgi-bin/ticket/getticket?access_token=NOT_THE_HUBS&type=jsapi' });
    expect(foreign.json()).toMatchObject({ errcode: 40001 });
    const { token } = await h.service.getAccessToken(APPID);
    await h.app.inject({ method: 'POST', url: `/cgi-bin/ticket/getticket?access_token=${token}&type=jsapi`, payload: '' });
    await h.app.inject({ url: `/cgi-bin/ticket/getticket?access_token=${token}&type=agent_config` });
    expect(stub.received.map((r) => r.method)).toEqual(['GET', 'POST', 'GET']);
  });
});
