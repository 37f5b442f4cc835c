import { afterEach, describe, expect, it } from 'vitest';
import type { Simulator } from '../../../src/simulator/index.js';
import { APPID, CORPID, advance, classic, manualSimulator, requestsTo, stable } from '../helpers.js';

let sim: Simulator;
afterEach(() => sim?.close());
const { get, wecom } = requestsTo(() => sim);

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
