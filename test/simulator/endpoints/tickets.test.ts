import { afterEach, describe, expect, it } from 'vitest';
import type { Simulator } from '../../../src/simulator/index.js';
import { APPID, CORPID, advance, classic, manualSimulator, requestsTo, stable } from '../helpers.js';

let sim: Simulator;
afterEach(() => sim?.close());
const { get, wecom } = requestsTo(() => sim);
const getticket = (token: string, type = 'jsapi') => get(`/cgi-bin/ticket/getticket?access_token=${token}&type=${type}`);
const jsapiView = () => (sim.state.tokens(APPID) as any).tickets.jsapi;

describe('tickets (decision 6 as corrected: unchanged until they expire)', () => {
  it('getticket returns the same ticket with expires_in 7200 every time until it expires, then a new one', async () => {
    const { sim: s, clock } = manualSimulator();
    sim = s;
    const token = (await classic(sim)).access_token;
    const t1 = await getticket(token);
    expect(Object.keys(t1).sort()).toEqual(['errcode', 'errmsg', 'expires_in', 'ticket']);
    expect(t1).toMatchObject({ errcode: 0, errmsg: 'ok', expires_in: 7200 });
    await advance(clock, 7199);
    // expires_in is the full lifetime, not what remains (wechat-open-platform.md §4.1).
    expect(await getticket(token)).toEqual({ errcode: 0, errmsg: 'ok', ticket: t1.ticket, expires_in: 7200 });
    expect(jsapiView().current).toMatchObject({ value: t1.ticket, expiresAt: clock.now() + 1000 });
    await advance(clock, 1);
    const token2 = (await classic(sim)).access_token; // the first token expired with the ticket
    const t2 = await getticket(token2);
    expect(t2).toMatchObject({ errcode: 0, expires_in: 7200 });
    expect(t2.ticket).not.toBe(t1.ticket);
    expect(jsapiView().current).toMatchObject({ value: t2.ticket, issuedAt: clock.now(), expiresAt: clock.now() + 7_200_000 });
    const counters = sim.state.counters(APPID);
    expect(counters.fetches.jsapiTicket).toBe(3);
    expect(counters.rotations.jsapiTicket).toBe(2);
    expect(counters.endpoints['/cgi-bin/ticket/getticket']).toEqual({ requests: 3, fetches: 3, rotations: 2 });
  });

  it('jsapi and wx_card tickets are separate, each unchanged while valid', async () => {
    ({ sim } = manualSimulator());
    const token = (await classic(sim)).access_token;
    const jsapi = await getticket(token, 'jsapi');
    const card = await getticket(token, 'wx_card');
    expect(card.ticket).not.toBe(jsapi.ticket);
    expect((await getticket(token, 'wx_card')).ticket).toBe(card.ticket);
    expect((await getticket(token, 'jsapi')).ticket).toBe(jsapi.ticket);
    const counters = sim.state.counters(APPID);
    expect(counters.requests).toMatchObject({ jsapiTicket: 2, wxCardTicket: 2 });
    expect(counters.rotations).toMatchObject({ jsapiTicket: 1, wxCardTicket: 1 });
    expect(counters.endpoints['/cgi-bin/ticket/getticket']).toEqual({ requests: 4, fetches: 4, rotations: 2 });
  });

  it('a token rotation does not invalidate the ticket: the new token gets the same one', async () => {
    const { sim: s, clock } = manualSimulator();
    sim = s;
    const old = (await classic(sim)).access_token;
    const ticket = (await getticket(old)).ticket;
    sim.state.rotate(APPID, 'classic');
    sim.state.rotate(APPID, 'classic');
    expect((await getticket(old)).errcode).toBe(40001); // superseded twice: the token is dead…
    const fresh = (await classic(sim)).access_token;
    expect((await getticket(fresh)).ticket).toBe(ticket); // …the ticket is not
    await advance(clock, 3600);
    const viaStable = (await stable(sim)).access_token;
    expect((await getticket(viaStable)).ticket).toBe(ticket);
  });

  it('ticketTtlSeconds sets the lifetime and expires_in; it follows tokenTtlSeconds unless set', async () => {
    const { sim: s, clock } = manualSimulator({ ticketTtlSeconds: 10 });
    sim = s;
    const token = (await classic(sim)).access_token;
    const t1 = await getticket(token);
    expect(t1.expires_in).toBe(10);
    await advance(clock, 9.999);
    expect((await getticket(token)).ticket).toBe(t1.ticket);
    await advance(clock, 0.001);
    const t2 = await getticket(token);
    expect(t2).toMatchObject({ expires_in: 10 });
    expect(t2.ticket).not.toBe(t1.ticket);
    expect(jsapiView().previous).toMatchObject({ value: t1.ticket, validUntil: clock.now() }); // expired, not graced
    await sim.close();

    ({ sim } = manualSimulator({ tokenTtlSeconds: 4 }));
    expect((await getticket((await classic(sim)).access_token)).expires_in).toBe(4);
  });

  it('ticketRotation on-fetch keeps the earlier rule: a new ticket every call, the previous valid for the grace', async () => {
    const { sim: s, clock } = manualSimulator({ ticketRotation: 'on-fetch' });
    sim = s;
    const token = (await classic(sim)).access_token;
    const t1 = await getticket(token);
    expect(t1).toMatchObject({ errcode: 0, errmsg: 'ok', expires_in: 7200 });
    await advance(clock, 10);
    const t2 = await getticket(token);
    expect(t2.ticket).not.toBe(t1.ticket);
    expect(jsapiView().current.value).toBe(t2.ticket);
    expect(jsapiView().previous).toMatchObject({ value: t1.ticket, validUntil: clock.now() + 300_000 });
    const card = await getticket(token, 'wx_card');
    expect(card.ticket).not.toBe(t2.ticket);
    expect(jsapiView().current.value).toBe(t2.ticket); // wx_card has its own slot
    const counters = sim.state.counters(APPID);
    expect(counters.fetches.jsapiTicket).toBe(2);
    expect(counters.rotations.jsapiTicket).toBe(2);
    expect(counters.rotations.wxCardTicket).toBe(1);
  });

  it('getticket accepts stable tokens and judges the token first: 41001, 40014, 40001, 42001', async () => {
    const { sim: s, clock } = manualSimulator();
    sim = s;
    const token = (await stable(sim)).access_token;
    expect((await getticket(token)).errcode).toBe(0);
    expect((await get(`/cgi-bin/ticket/getticket?type=jsapi`)).errcode).toBe(41001);
    expect((await getticket('bad')).errcode).toBe(40014);
    expect((await getticket(`74_${'A'.repeat(96)}`)).errcode).toBe(40001);
    expect((await getticket(token, 'nope')).errcode).toBe(40097);
    await advance(clock, 7200);
    expect((await getticket(token)).errcode).toBe(42001);
    const counters = sim.state.counters(APPID);
    // Requests with a token the app owns count under it, rejected ones included; only the first was answered.
    expect(counters.endpoints['/cgi-bin/ticket/getticket']).toEqual({ requests: 3, fetches: 1, rotations: 1 });
  });

  it('WeCom tickets use the corp token, follow the same rule and are not served for OA tokens', async () => {
    const { sim: s, clock } = manualSimulator();
    sim = s;
    const corpToken = (await wecom()).access_token;
    const oaToken = (await classic(sim)).access_token;
    const jsapi = await get(`/cgi-bin/get_jsapi_ticket?access_token=${corpToken}`);
    expect(jsapi).toMatchObject({ errcode: 0, errmsg: 'ok', expires_in: 7200 });
    const agent = await get(`/cgi-bin/ticket/get?access_token=${corpToken}&type=agent_config`);
    expect(agent).toMatchObject({ errcode: 0, errmsg: 'ok', expires_in: 7200 });
    expect(agent.ticket).not.toBe(jsapi.ticket);
    await advance(clock, 7000);
    expect(await get(`/cgi-bin/get_jsapi_ticket?access_token=${corpToken}`)).toEqual({ errcode: 0, errmsg: 'ok', ticket: jsapi.ticket, expires_in: 7200 });
    expect((await get(`/cgi-bin/ticket/get?access_token=${corpToken}&type=agent_config`)).ticket).toBe(agent.ticket);
    expect((await get(`/cgi-bin/ticket/get?access_token=${corpToken}&type=jsapi`)).errcode).toBe(40097);
    expect((await get(`/cgi-bin/get_jsapi_ticket?access_token=${oaToken}`)).errcode).toBe(40001);
    expect((await get(`/cgi-bin/ticket/getticket?access_token=${corpToken}&type=jsapi`)).errcode).toBe(40001);
    await advance(clock, 200);
    expect((await get(`/cgi-bin/get_jsapi_ticket?access_token=${corpToken}`)).errcode).toBe(42001);
    const renewed = (await wecom()).access_token;
    expect((await get(`/cgi-bin/get_jsapi_ticket?access_token=${renewed}`)).ticket).not.toBe(jsapi.ticket);
    const counters = sim.state.counters(CORPID);
    expect(counters.fetches).toMatchObject({ corpJsapiTicket: 3, agentConfigTicket: 2 });
    expect(counters.rotations).toMatchObject({ corpJsapiTicket: 2, agentConfigTicket: 1 });
    expect(counters.endpoints['/cgi-bin/get_jsapi_ticket']).toMatchObject({ fetches: 3, rotations: 2 });
    expect(counters.endpoints['/cgi-bin/ticket/get']).toMatchObject({ fetches: 2, rotations: 1 });
  });
});
