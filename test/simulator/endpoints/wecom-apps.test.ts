import { afterEach, describe, expect, it } from 'vitest';
import type { Simulator, SimulatorOptions } from '../../../src/simulator/index.js';
import { CORPID, CORP_SECRET, advance, manualSimulator, type Json } from '../helpers.js';

let sim: Simulator;
afterEach(() => sim?.close());

const AGENT_A = { agentid: 1000002, secret: 'agent-a-secret' };
const AGENT_B = { agentid: 1000005, secret: 'agent-b-secret' };
const CONTACTS = { name: 'contacts', secret: 'contacts-secret' };

function corpSimulator(options: SimulatorOptions = {}) {
  return manualSimulator({ corps: [{ corpid: CORPID, apps: [AGENT_A, AGENT_B, CONTACTS] }], ...options });
}

async function get(url: string, remoteAddress?: string): Promise<Json> {
  return (await sim.app.inject({ method: 'GET', url, ...(remoteAddress && { remoteAddress }) })).json();
}
const gettoken = (secret: string, ip?: string) => get(`/cgi-bin/gettoken?corpid=${CORPID}&corpsecret=${secret}`, ip);
const corpTicket = (token: string, ip?: string) => get(`/cgi-bin/get_jsapi_ticket?access_token=${token}`, ip);
const agentTicket = (token: string, ip?: string) => get(`/cgi-bin/ticket/get?access_token=${token}&type=agent_config`, ip);
const business = (token: string, ip?: string) => get(`/cgi-bin/getcallbackip?access_token=${token}`, ip);

async function control(method: 'GET' | 'POST', url: string, payload?: unknown): Promise<{ status: number; body: Json }> {
  const res = await sim.app.inject({ method, url, ...(payload === undefined ? {} : { payload: payload as object }) });
  return { status: res.statusCode, body: res.json() };
}

describe('WeCom corps with several apps and secrets', () => {
  it('each secret has its own token, returned unchanged while valid; counters per app', async () => {
    const { sim: s, clock } = corpSimulator();
    sim = s;
    const a = await gettoken(AGENT_A.secret);
    const b = await gettoken(AGENT_B.secret);
    const c = await gettoken(CONTACTS.secret);
    expect(new Set([a.access_token, b.access_token, c.access_token]).size).toBe(3);
    await advance(clock, 100);
    expect(await gettoken(AGENT_A.secret)).toEqual({ errcode: 0, errmsg: 'ok', access_token: a.access_token, expires_in: 7100 });
    for (const t of [a, b, c]) expect((await business(t.access_token)).ip_list).toBeDefined();
    expect((await gettoken('nobody-secret')).errcode).toBe(40001);

    expect(sim.state.corpAppCounters(CORPID, '1000002')).toMatchObject({
      requests: { wecom: 2 },
      fetches: { wecom: 2 },
      rotations: { wecom: 1 },
      businessCalls: { ok: 1 },
    });
    expect(sim.state.corpAppCounters(CORPID, 'contacts').fetches.wecom).toBe(1);
    // The corp's counters add up all apps (and count the bad-secret request too).
    expect(sim.state.counters(CORPID)).toMatchObject({ requests: { wecom: 5 }, fetches: { wecom: 4 }, businessCalls: { ok: 3 } });
    expect((await control('GET', `/__sim/corps/${CORPID}/apps/1000005/counters`)).body.fetches.wecom).toBe(1);
    expect((await control('GET', `/__sim/corps/${CORPID}/apps/999/counters`)).status).toBe(404);
  });

  it('the corp jsapi ticket is shared by the apps; each app has its own agent_config ticket', async () => {
    ({ sim } = corpSimulator());
    const a = (await gettoken(AGENT_A.secret)).access_token;
    const b = (await gettoken(AGENT_B.secret)).access_token;
    const corpA = await corpTicket(a);
    expect((await corpTicket(b)).ticket).toBe(corpA.ticket);
    const agentA = await agentTicket(a);
    const agentB = await agentTicket(b);
    expect(agentA.ticket).not.toBe(agentB.ticket);
    expect((await agentTicket(a)).ticket).toBe(agentA.ticket);
    const view = sim.state.tokens(CORPID) as Json;
    expect(view.tickets.jsapi.current.value).toBe(corpA.ticket);
    expect(view.apps['1000005'].agent_config.current.value).toBe(agentB.ticket);
    expect(view.apps['1000002'].wecom.current.value).toBe(a);
    expect(view.wecom.current.value).toBe(a); // the first app, as the single-secret view showed
    expect(sim.state.corpAppCounters(CORPID, '1000002').fetches).toMatchObject({ corpJsapiTicket: 1, agentConfigTicket: 2 });
  });

  it('resetting a secret kills that app\'s tokens at once; other apps and the tickets are untouched', async () => {
    ({ sim } = corpSimulator());
    const a = (await gettoken(AGENT_A.secret)).access_token;
    const b = (await gettoken(AGENT_B.secret)).access_token;
    const ticket = (await corpTicket(a)).ticket;
    const reset = await control('POST', `/__sim/corps/${CORPID}/apps/1000002/reset-secret`, { secret: 'agent-a-new' });
    expect(reset).toEqual({ status: 200, body: { app: { key: '1000002', agentid: 1000002, ipAllowList: [] }, invalidated: 1 } });
    expect(JSON.stringify(reset.body)).not.toContain('agent-a-new');
    expect((await business(a)).errcode).toBe(40001);
    expect((await corpTicket(a)).errcode).toBe(40001);
    expect((await gettoken(AGENT_A.secret)).errcode).toBe(40001);
    const renewed = await gettoken('agent-a-new');
    expect(renewed).toMatchObject({ errcode: 0, expires_in: 7200 });
    expect(renewed.access_token).not.toBe(a);
    expect((await corpTicket(renewed.access_token)).ticket).toBe(ticket);
    expect((await business(b)).errcode).toBeUndefined();
    expect((await control('POST', `/__sim/corps/${CORPID}/apps/1000002/reset-secret`, { secret: AGENT_B.secret })).status).toBe(409);
    expect((await control('POST', `/__sim/corps/${CORPID}/apps/nope/reset-secret`, { secret: 'x' })).status).toBe(404);
    expect((await control('POST', `/__sim/corps/${CORPID}/apps/1000002/reset-secret`, {})).status).toBe(400);
  });

  it('control API: register corps with apps, add and list apps, never showing secrets', async () => {
    ({ sim } = manualSimulator({ corps: [] }));
    const created = await control('POST', '/__sim/corps', { corpid: 'wwmulti', apps: [AGENT_A, CONTACTS] });
    expect(created).toEqual({
      status: 201,
      body: { corpid: 'wwmulti', apps: [{ key: '1000002', agentid: 1000002, ipAllowList: [] }, { key: 'contacts', name: 'contacts', ipAllowList: [] }] },
    });
    expect((await control('POST', '/__sim/corps/wwmulti/apps', { agentid: 1000009, secret: 's9', ipAllowList: ['10.0.0.0/8'] })).status).toBe(201);
    expect((await control('POST', '/__sim/corps/wwmulti/apps', { agentid: '1000009', secret: 's9b' })).status).toBe(200);
    const listed = await control('GET', '/__sim/corps/wwmulti/apps');
    expect(listed.body.apps.map((a: Json) => a.key)).toEqual(['1000002', 'contacts', '1000009']);
    expect(JSON.stringify(listed.body)).not.toMatch(/secret|s9/);
    // The single-secret form is one agent app, 1000002 unless agentid says otherwise.
    expect((await control('POST', '/__sim/corps', { corpid: 'wwsingle', secret: 'one', agentid: 1000003 })).body.apps).toEqual([
      { key: '1000003', agentid: 1000003, ipAllowList: [] },
    ]);
    for (const bad of [
      { corpid: 'wwempty' },
      { corpid: 'wwbad', apps: [{ secret: 'x' }] },
      { corpid: 'wwbad', apps: [{ agentid: 1, name: 'both', secret: 'x' }] },
      { corpid: 'wwbad', apps: [{ agentid: -3, secret: 'x' }] },
      { corpid: 'wwbad', apps: [{ name: '12', secret: 'x' }] },
      { corpid: 'wwbad', apps: [{ agentid: 1, secret: 'x' }, { agentid: 1, secret: 'y' }] },
      { corpid: 'wwbad', apps: [{ agentid: 1, secret: 'x', ipAllowList: ['1.2.3.4/40'] }] },
    ]) {
      expect((await control('POST', '/__sim/corps', bad)).status, JSON.stringify(bad)).toBe(400);
    }
    expect((await control('POST', '/__sim/corps', { corpid: 'wwbad', apps: [{ agentid: 1, secret: 'x' }, { agentid: 2, secret: 'x' }] })).status).toBe(409);
    expect((await control('GET', '/__sim/corps')).body.corps.map((c: Json) => c.corpid)).toEqual(['wwmulti', 'wwsingle']);
    expect((await control('GET', '/__sim/corps/wwnobody/apps')).status).toBe(404);
  });
});

describe('WeCom ticket hourly limits', () => {
  it('45009 past the per-app and per-corp limits, each endpoint counted on its own, reset each hour', async () => {
    const { sim: s, clock } = corpSimulator({ wecomTicketAppHourlyLimit: 2, wecomTicketCorpHourlyLimit: 3 });
    sim = s;
    const a = (await gettoken(AGENT_A.secret)).access_token;
    const b = (await gettoken(AGENT_B.secret)).access_token;
    expect((await corpTicket(a)).errcode).toBe(0);
    expect((await corpTicket(a)).errcode).toBe(0);
    expect((await corpTicket(a)).errcode).toBe(45009); // app A: 2 an hour
    expect((await corpTicket(b)).errcode).toBe(0);
    expect((await corpTicket(b)).errcode).toBe(45009); // the corp: 3 an hour
    expect((await agentTicket(a)).errcode).toBe(0); // ticket/get has its own allowance
    expect(sim.state.counters(CORPID).endpoints['/cgi-bin/get_jsapi_ticket']).toEqual({ requests: 5, fetches: 3, rotations: 1 });
    // 08:00 Shanghai start: the next calendar hour begins 3600 s later.
    await advance(clock, 3600);
    expect((await corpTicket(a)).errcode).toBe(0);
  });

  it('defaults: 100 an hour per app, 400 per corp', async () => {
    ({ sim } = corpSimulator());
    const a = (await gettoken(AGENT_A.secret)).access_token;
    for (let i = 0; i < 100; i++) expect((await agentTicket(a)).errcode).toBe(0);
    expect((await agentTicket(a)).errcode).toBe(45009);
  });
});

describe('WeCom errmsg and 企业可信IP', () => {
  it('wecomErrmsgStyle wecom: "<text>, hint: [...], from ip: <ip>, more info at <link>"', async () => {
    ({ sim } = corpSimulator({ wecomErrmsgStyle: 'wecom' }));
    const wrong = await gettoken('nope', '122.14.234.1');
    expect(wrong.errcode).toBe(40001);
    expect(wrong.errmsg).toMatch(
      /^invalid credential, hint: \[\d{25}\], from ip: 122\.14\.234\.1, more info at https:\/\/open\.work\.weixin\.qq\.com\/devtool\/query\?e=40001$/,
    );
    expect((await get(`/cgi-bin/gettoken?corpid=wwnobody&corpsecret=x`)).errmsg).toMatch(/^invalid corpid, hint: /);
    expect((await corpTicket('junk')).errmsg).toMatch(/^invalid access_token, hint: .*e=40014$/);
    expect((await business('junk')).errmsg).toMatch(/ rid: /); // not a WeCom token: WeChat's style
    await control('POST', '/__sim/faults', { path: '/cgi-bin/gettoken', mode: 'errcode', errcode: 45009 });
    expect((await gettoken(AGENT_A.secret)).errmsg).toMatch(/^api freq out of limit, hint: .*e=45009$/);
  });

  it("default style is WeCom's own; wecomErrmsgStyle rid gives WeChat's rid suffix with WeCom's texts", async () => {
    ({ sim } = corpSimulator());
    expect((await gettoken('nope')).errmsg).toMatch(/^invalid credential, hint: \[\d{25}\], from ip: .+, more info at https:\/\/open\.work\.weixin\.qq\.com\/devtool\/query\?e=40001$/);
    await sim.close();
    ({ sim } = corpSimulator({ wecomErrmsgStyle: 'rid' }));
    expect((await gettoken('nope')).errmsg).toMatch(/^invalid credential rid: [0-9a-f]{8}-[0-9a-f]{8}-[0-9a-f]{8}$/);
  });

  it('an app with ipAllowList answers 60020 to token-bearing calls from elsewhere; gettoken only with wecomGettokenIpCheck', async () => {
    const guarded = { agentid: 1000010, secret: 'guarded', ipAllowList: ['10.1.0.0/16'] };
    ({ sim } = manualSimulator({ corps: [{ corpid: CORPID, apps: [AGENT_A, guarded] }], wecomErrmsgStyle: 'wecom' }));
    const outside = '192.0.2.7';
    const inside = '10.1.2.3';
    const token = (await gettoken(guarded.secret, outside)).access_token;
    expect(token).toBeDefined();
    for (const call of [corpTicket, agentTicket, business]) {
      const err = await call(token, outside);
      expect(err.errcode).toBe(60020);
      expect(err.errmsg).toMatch(/^not allow to access from your ip, hint: \[\d+\], from ip: 192\.0\.2\.7, more info at .*e=60020$/);
      expect((await call(token, inside)).errcode ?? 0).toBe(0);
    }
    const other = (await gettoken(AGENT_A.secret, outside)).access_token;
    expect((await corpTicket(other, outside)).errcode).toBe(0); // the list belongs to the app
    expect(sim.state.corpAppCounters(CORPID, '1000010').businessCalls).toEqual({ ok: 1, '60020': 1 });
    await sim.close();

    ({ sim } = manualSimulator({ corps: [{ corpid: CORPID, apps: [guarded] }], wecomGettokenIpCheck: true }));
    expect((await gettoken(guarded.secret, outside)).errcode).toBe(60020);
    expect((await gettoken(guarded.secret, inside)).errcode).toBe(0);
  });

  it('the single-secret corp of the helpers still works as before', async () => {
    ({ sim } = manualSimulator());
    expect((await gettoken(CORP_SECRET)).errcode).toBe(0);
    expect(sim.state.listCorpApps(CORPID)).toEqual([{ key: '1000002', agentid: 1000002, ipAllowList: [] }]);
  });
});
