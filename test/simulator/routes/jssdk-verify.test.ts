import { afterEach, describe, expect, it } from 'vitest';
import type { Simulator } from '../../../src/simulator/index.js';
import { cardSignature, jssdkSignature } from '../../../src/wechat/index.js';
import { APPID, CORPID, CORP_SECRET, advance, classic, manualSimulator, requestsTo, type Json } from '../helpers.js';

let sim: Simulator;
afterEach(() => sim?.close());
const { get, wecom } = requestsTo(() => sim);

const PAGE = { url: 'https://shop.example.com/pay?order=42', nonceStr: 'Wm3WZYTPz0wzccnW', timestamp: 1767225600 };

async function verify(path: string, payload: object): Promise<{ status: number; body: Json }> {
  const res = await sim.app.inject({ method: 'POST', url: path, payload });
  return { status: res.statusCode, body: res.json() };
}
const jssdk = (payload: object) => verify('/__sim/jssdk/verify', payload);
const sign = (ticket: string, page: Partial<typeof PAGE> = {}) => jssdkSignature({ ticket, ...PAGE, ...page });

async function oaTicket(type = 'jsapi'): Promise<string> {
  const token = (await classic(sim)).access_token;
  return (await get(`/cgi-bin/ticket/getticket?access_token=${token}&type=${type}`)).ticket;
}

describe('POST /__sim/jssdk/verify (WeChat\'s page check)', () => {
  it('accepts a signature made with the current jsapi ticket, the page URL with or without its fragment', async () => {
    ({ sim } = manualSimulator());
    const ticket = await oaTicket();
    const expiresAt = sim.state.now() + 7_200_000;
    const signature = sign(ticket);
    expect(await jssdk({ appid: APPID, ...PAGE, signature })).toEqual({ status: 200, body: { valid: true, ticket, ticketExpiresAt: expiresAt } });
    expect((await jssdk({ appid: APPID, ...PAGE, url: `${PAGE.url}#/checkout`, signature })).body.valid).toBe(true);
    expect((await jssdk({ appid: APPID, kind: 'jsapi', ...PAGE, timestamp: String(PAGE.timestamp), signature })).body.valid).toBe(true);
  });

  it.each([
    ['another url', { url: 'https://shop.example.com/pay?order=43' }],
    ['an escaped url', { url: encodeURIComponent(PAGE.url) }],
    ['another nonceStr', { nonceStr: 'x' }],
    ['another timestamp', { timestamp: PAGE.timestamp + 1 }],
  ])('refuses with mismatch: signed for %s', async (_name, change) => {
    ({ sim } = manualSimulator());
    const ticket = await oaTicket();
    expect((await jssdk({ appid: APPID, ...PAGE, signature: sign(ticket, change) })).body).toEqual({ valid: false, reason: 'mismatch' });
  });

  it('refuses a wx_card ticket for wx.config, an unknown app, and an app that never had a ticket', async () => {
    ({ sim } = manualSimulator());
    expect((await jssdk({ appid: APPID, ...PAGE, signature: sign('anything') })).body).toEqual({ valid: false, reason: 'no-ticket' });
    const card = await oaTicket('wx_card');
    await oaTicket('jsapi');
    expect((await jssdk({ appid: APPID, ...PAGE, signature: sign(card) })).body).toEqual({ valid: false, reason: 'mismatch' });
    expect((await jssdk({ appid: 'wxnobody', ...PAGE, signature: sign(card) })).body).toEqual({ valid: false, reason: 'unknown-app' });
  });

  it('refuses a signature made with an expired ticket, naming it; the new ticket works', async () => {
    const { sim: s, clock } = manualSimulator({ ticketTtlSeconds: 60 });
    sim = s;
    const old = await oaTicket();
    expect((await jssdk({ appid: APPID, ...PAGE, signature: sign(old) })).body.valid).toBe(true);
    await advance(clock, 60);
    expect((await jssdk({ appid: APPID, ...PAGE, signature: sign(old) })).body).toMatchObject({ valid: false, reason: 'expired-ticket', ticket: old });
    const next = await oaTicket();
    expect((await jssdk({ appid: APPID, ...PAGE, signature: sign(next) })).body).toMatchObject({ valid: true, ticket: next });
    expect((await jssdk({ appid: APPID, ...PAGE, signature: sign(old) })).body.reason).toBe('expired-ticket');
  });

  it('with ticketRotation on-fetch, the previous ticket passes during the grace and not after', async () => {
    const { sim: s, clock } = manualSimulator({ ticketRotation: 'on-fetch', graceSeconds: 10 });
    sim = s;
    const first = await oaTicket();
    const second = await oaTicket();
    expect(second).not.toBe(first);
    expect((await jssdk({ appid: APPID, ...PAGE, signature: sign(first) })).body).toMatchObject({ valid: true, ticket: first });
    await advance(clock, 10);
    expect((await jssdk({ appid: APPID, ...PAGE, signature: sign(first) })).body).toMatchObject({ valid: false, reason: 'expired-ticket' });
    expect((await jssdk({ appid: APPID, ...PAGE, signature: sign(second) })).body.valid).toBe(true);
  });

  it('WeCom: wx.config with the corp ticket (corpid), wx.agentConfig with the app ticket (corpid + agentid)', async () => {
    ({ sim } = manualSimulator());
    const token = (await wecom(`corpid=${CORPID}&corpsecret=${CORP_SECRET}`)).access_token;
    const corpTicket = (await get(`/cgi-bin/get_jsapi_ticket?access_token=${token}`)).ticket;
    const agentTicket = (await get(`/cgi-bin/ticket/get?access_token=${token}&type=agent_config`)).ticket;
    expect((await jssdk({ corpid: CORPID, ...PAGE, signature: sign(corpTicket) })).body).toMatchObject({ valid: true, ticket: corpTicket });
    expect((await jssdk({ corpid: CORPID, kind: 'agent_config', agentid: 1000002, ...PAGE, signature: sign(agentTicket) })).body).toMatchObject({
      valid: true,
      ticket: agentTicket,
    });
    expect((await jssdk({ corpid: CORPID, kind: 'agent_config', agentid: '1000002', ...PAGE, signature: sign(corpTicket) })).body.reason).toBe('mismatch');
    expect((await jssdk({ corpid: CORPID, kind: 'agent_config', agentid: 42, ...PAGE, signature: sign(agentTicket) })).body.reason).toBe('unknown-app');
    expect((await jssdk({ corpid: 'wwnobody', ...PAGE, signature: sign(corpTicket) })).body.reason).toBe('unknown-app');
  });

  it('rejects malformed requests with 400', async () => {
    ({ sim } = manualSimulator());
    const base = { appid: APPID, ...PAGE, signature: 'ab' };
    for (const bad of [
      { ...base, appid: undefined },
      { ...base, corpid: CORPID },
      { ...base, url: '' },
      { ...base, nonceStr: 3 },
      { ...base, timestamp: 'soon' },
      { ...base, timestamp: -1 },
      { ...base, signature: undefined },
      { ...base, kind: 'nope' },
      { ...base, kind: 'wx_card' },
      { ...base, kind: 'agent_config' },
      { ...base, appid: undefined, corpid: CORPID, kind: 'agent_config' },
    ]) {
      const res = await jssdk(bad);
      expect(res.status, JSON.stringify(bad)).toBe(400);
      expect(res.body.error.code).toBe('invalid_request');
    }
  });
});

describe('POST /__sim/card/verify', () => {
  it('checks the card signature (values sorted with the wx_card ticket, SHA-1) against the current ticket', async () => {
    const { sim: s, clock } = manualSimulator({ ticketTtlSeconds: 60 });
    sim = s;
    const values = [PAGE.timestamp, 'nonce123', 'pDF3iY9tv9zCGCj4jTXFOo1DxHdo', 'code-001'];
    expect((await verify('/__sim/card/verify', { appid: APPID, values, signature: 'x' })).body).toEqual({ valid: false, reason: 'no-ticket' });
    const ticket = await oaTicket('wx_card');
    const jsapi = await oaTicket('jsapi');
    const signature = cardSignature([...values, ticket]);
    expect((await verify('/__sim/card/verify', { appid: APPID, values, signature })).body).toMatchObject({ valid: true, ticket });
    expect((await verify('/__sim/card/verify', { appid: APPID, values: [...values].reverse(), signature })).body.valid).toBe(true);
    expect((await verify('/__sim/card/verify', { appid: APPID, values: values.slice(1), signature })).body.reason).toBe('mismatch');
    const withJsapi = cardSignature([...values, jsapi]);
    expect((await verify('/__sim/card/verify', { appid: APPID, values, signature: withJsapi })).body.reason).toBe('mismatch');
    await advance(clock, 60);
    expect((await verify('/__sim/card/verify', { appid: APPID, values, signature })).body.reason).toBe('expired-ticket');
    expect((await verify('/__sim/card/verify', { appid: 'wxnobody', values, signature })).body.reason).toBe('unknown-app');
    expect((await verify('/__sim/card/verify', { appid: APPID, values: [], signature })).status).toBe(400);
    expect((await verify('/__sim/card/verify', { appid: APPID, values: [{}], signature })).status).toBe(400);
  });
});

describe('POST /__sim/{apps|corps}/:id/tickets/fetch (a ticket fetched elsewhere)', () => {
  it('issues or returns the ticket by the configured rule without touching counters, so a ticket can have an age', async () => {
    const { sim: s, clock } = manualSimulator();
    sim = s;
    const fetched = await verify(`/__sim/apps/${APPID}/tickets/fetch`, { type: 'jsapi' });
    expect(fetched.body).toMatchObject({ rotated: true, expires_in: 7200, issuedAt: sim.state.now(), expiresAt: sim.state.now() + 7_200_000 });
    await advance(clock, 3600);
    // The client under test first sees the ticket an hour into its life, still with expires_in 7200.
    expect(await oaTicket()).toBe(fetched.body.ticket);
    expect((await verify(`/__sim/apps/${APPID}/tickets/fetch`, { type: 'jsapi' })).body).toMatchObject({ rotated: false, ticket: fetched.body.ticket });
    expect(sim.state.counters(APPID).fetches.jsapiTicket).toBe(1);
    const agent = await verify(`/__sim/corps/${CORPID}/tickets/fetch`, { type: 'agent_config', agentid: 1000002 });
    expect(agent.body.rotated).toBe(true);
    expect((sim.state.tokens(CORPID) as Json).apps['1000002'].agent_config.current.value).toBe(agent.body.ticket);
    expect((await verify(`/__sim/corps/${CORPID}/tickets/fetch`, { type: 'jsapi' })).body.rotated).toBe(true);
    expect((await verify(`/__sim/apps/${APPID}/tickets/fetch`, { type: 'agent_config' })).status).toBe(400);
    expect((await verify(`/__sim/corps/${CORPID}/tickets/fetch`, { type: 'wx_card' })).status).toBe(400);
    expect((await verify(`/__sim/corps/${CORPID}/tickets/fetch`, { type: 'agent_config', agentid: 7 })).status).toBe(404);
    expect((await verify('/__sim/apps/wxnobody/tickets/fetch', { type: 'jsapi' })).status).toBe(404);
  });
});
