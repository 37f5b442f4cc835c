import { afterEach, describe, expect, it } from 'vitest';
import type { Simulator } from '../../src/simulator/index.js';
import { APPID, CORPID, CORP_SECRET, advance, classic, manualSimulator, stable, use, type Json } from './helpers.js';

let sim: Simulator;
afterEach(() => sim?.close());

async function get(url: string): Promise<Json> {
  return (await sim.app.inject({ method: 'GET', url })).json();
}

async function wecom(query = `corpid=${CORPID}&corpsecret=${CORP_SECRET}`): Promise<Json> {
  return get(`/cgi-bin/gettoken?${query}`);
}

describe('WeCom GET /cgi-bin/gettoken', () => {
  it('returns the same token (errcode 0, remaining seconds) while valid and a new one after expiry', async () => {
    const { sim: s, clock } = manualSimulator();
    sim = s;
    const first = await wecom();
    expect(Object.keys(first).sort()).toEqual(['access_token', 'errcode', 'errmsg', 'expires_in']);
    expect(first).toMatchObject({ errcode: 0, errmsg: 'ok', expires_in: 7200 });
    await advance(clock, 7000);
    expect(await wecom()).toEqual({ errcode: 0, errmsg: 'ok', access_token: first.access_token, expires_in: 200 });
    expect(await use(sim, first.access_token)).toBe(0);
    await advance(clock, 200);
    expect(await use(sim, first.access_token)).toBe(42001);
    const next = await wecom();
    expect(next.access_token).not.toBe(first.access_token);
    expect(next.expires_in).toBe(7200);
    const counters = sim.state.counters(CORPID);
    expect(counters.fetches.wecom).toBe(3);
    expect(counters.rotations.wecom).toBe(2);
  });

  it('validates corpid and corpsecret', async () => {
    ({ sim } = manualSimulator());
    expect((await wecom('corpsecret=x')).errcode).toBe(41002);
    expect((await wecom('corpid=wwnobody&corpsecret=x')).errcode).toBe(40013);
    expect((await wecom(`corpid=${CORPID}`)).errcode).toBe(41004);
    const wrong = await wecom(`corpid=${CORPID}&corpsecret=nope`);
    expect(wrong.errcode).toBe(40001);
    expect(wrong.errmsg).toMatch(/^invalid credential rid: /);
  });
});

describe('tickets', () => {
  it('getticket issues a new ticket on every call; the previous one stays valid for the grace', async () => {
    const { sim: s, clock } = manualSimulator();
    sim = s;
    const token = (await classic(sim)).access_token;
    const t1 = await get(`/cgi-bin/ticket/getticket?access_token=${token}&type=jsapi`);
    expect(Object.keys(t1).sort()).toEqual(['errcode', 'errmsg', 'expires_in', 'ticket']);
    expect(t1).toMatchObject({ errcode: 0, errmsg: 'ok', expires_in: 7200 });
    await advance(clock, 10);
    const t2 = await get(`/cgi-bin/ticket/getticket?access_token=${token}&type=jsapi`);
    expect(t2.ticket).not.toBe(t1.ticket);
    const view = () => (sim.state.tokens(APPID) as any).tickets.jsapi;
    expect(view().current.value).toBe(t2.ticket);
    expect(view().previous).toMatchObject({ value: t1.ticket, validUntil: clock.now() + 300_000 });
    const card = await get(`/cgi-bin/ticket/getticket?access_token=${token}&type=wx_card`);
    expect(card.ticket).not.toBe(t2.ticket);
    expect(view().current.value).toBe(t2.ticket); // wx_card has its own slot
    const counters = sim.state.counters(APPID);
    expect(counters.fetches.jsapiTicket).toBe(2);
    expect(counters.rotations.wxCardTicket).toBe(1);
  });

  it('getticket accepts stable tokens and judges the token first', async () => {
    ({ sim } = manualSimulator());
    const token = (await stable(sim)).access_token;
    expect((await get(`/cgi-bin/ticket/getticket?access_token=${token}&type=jsapi`)).errcode).toBe(0);
    expect((await get(`/cgi-bin/ticket/getticket?type=jsapi`)).errcode).toBe(41001);
    expect((await get(`/cgi-bin/ticket/getticket?access_token=bad&type=jsapi`)).errcode).toBe(40014);
    expect((await get(`/cgi-bin/ticket/getticket?access_token=${token}&type=nope`)).errcode).toBe(40097);
  });

  it('WeCom tickets use the corp token and are not served for OA tokens', async () => {
    ({ sim } = manualSimulator());
    const corpToken = (await wecom()).access_token;
    const oaToken = (await classic(sim)).access_token;
    const jsapi = await get(`/cgi-bin/get_jsapi_ticket?access_token=${corpToken}`);
    expect(jsapi).toMatchObject({ errcode: 0, errmsg: 'ok', expires_in: 7200 });
    const agent = await get(`/cgi-bin/ticket/get?access_token=${corpToken}&type=agent_config`);
    expect(agent).toMatchObject({ errcode: 0, errmsg: 'ok' });
    expect(agent.ticket).not.toBe(jsapi.ticket);
    expect((await get(`/cgi-bin/ticket/get?access_token=${corpToken}&type=jsapi`)).errcode).toBe(40097);
    expect((await get(`/cgi-bin/get_jsapi_ticket?access_token=${oaToken}`)).errcode).toBe(40001);
    expect((await get(`/cgi-bin/ticket/getticket?access_token=${corpToken}&type=jsapi`)).errcode).toBe(40001);
    const counters = sim.state.counters(CORPID);
    expect(counters.fetches.corpJsapiTicket).toBe(1);
    expect(counters.fetches.agentConfigTicket).toBe(1);
  });
});

describe('business endpoints', () => {
  it('serve WeChat payloads for OA, stable and WeCom tokens and count outcomes per app', async () => {
    const { sim: s, clock } = manualSimulator();
    sim = s;
    const c = (await classic(sim)).access_token;
    const st = (await stable(sim)).access_token;
    const w = (await wecom()).access_token;
    expect(await get(`/cgi-bin/getcallbackip?access_token=${c}`)).toEqual({ ip_list: expect.any(Array) });
    expect((await get(`/cgi-bin/get_api_domain_ip?access_token=${st}`)).ip_list.length).toBeGreaterThan(0);
    expect((await get(`/cgi-bin/menu/get?access_token=${w}`)).menu.button.length).toBeGreaterThan(0);
    await classic(sim);
    await classic(sim);
    expect(await use(sim, c)).toBe(40001);
    await advance(clock, 7200);
    expect(await use(sim, st)).toBe(42001);
    expect(await use(sim, undefined)).toBe(41001);
    expect(await use(sim, 'garbage')).toBe(40014);
    expect(sim.state.counters(APPID).businessCalls).toEqual({ ok: 2, '40001': 1, '42001': 1 });
    expect(sim.state.counters(CORPID).businessCalls).toEqual({ ok: 1 });
    expect(sim.state.unattributedCounters()).toEqual({ '41001': 1, '40014': 1 });
  });
});
