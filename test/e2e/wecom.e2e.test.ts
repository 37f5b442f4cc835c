// WeCom end to end, in one process: a hub (core + HTTP server, memory store) in front of the simulator's WeCom
// endpoints. Three apps of two corps side by side; one gettoken for 500 concurrent cold reads; both JS-SDK
// signatures accepted by the simulator's check; the WeCom-compatible gettoken for an unchanged SDK
// (node-easywechat's Work) pointed at the hub; and callers using the served tokens on a business endpoint through
// several compressed lifetimes without one rejected call.
import { Work } from 'node-easywechat';
import { afterEach, describe, expect, it } from 'vitest';
import { createSimulator, type Simulator, type SimulatorOptions } from '../../src/simulator/index.js';
import { ADMIN_KEY, getJson, startHub, tempDir, type RunningHub } from '../support/stack.js';

const CORP_A = 'ww0000000000000a01';
const CORP_B = 'ww0000000000000b02';
const AGENT = { agentid: 1000002, secret: 'corp-a-agent-secret-0123456789abcdef' };
const CONTACTS = { name: 'contacts', secret: 'corp-a-contacts-secret-0123456789ab' };
const AGENT_B = { agentid: 1000005, secret: 'corp-b-agent-secret-0123456789abcdef' };

let sim: Simulator | undefined;
let hub: RunningHub | undefined;
afterEach(async () => {
  await hub?.close();
  await sim?.close();
  hub = sim = undefined;
});

/** The simulator with two corps, a hub in front of it with the three apps registered, and keys. */
async function stack(simOptions: SimulatorOptions = {}) {
  sim = createSimulator({
    corps: [
      { corpid: CORP_A, apps: [AGENT, CONTACTS] },
      { corpid: CORP_B, apps: [AGENT_B] },
    ],
    wecomErrmsgStyle: 'wecom',
    ...simOptions,
  });
  const simUrl = await sim.listen({ host: '127.0.0.1', port: 0 });
  hub = await startHub('memory:', simUrl);
  const admin = async (method: string, path: string, body?: unknown) =>
    fetch(`${hub!.url}${path}`, {
      method,
      headers: { authorization: `Bearer ${ADMIN_KEY}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
  expect((await admin('PUT', `/v1/wecom/${CORP_A}/${AGENT.agentid}`, { secret: AGENT.secret })).status).toBe(201);
  expect((await admin('PUT', `/v1/wecom/${CORP_A}/contacts`, { secret: CONTACTS.secret })).status).toBe(201);
  expect((await admin('PUT', `/v1/wecom/${CORP_B}/${AGENT_B.agentid}`, { secret: AGENT_B.secret })).status).toBe(201);
  const agentKey = await hub.hub.createClientKey('corp-a-agent', [`wecom:${CORP_A}/${AGENT.agentid}`]);
  const corpKey = await hub.hub.createClientKey('corp-a', [`wecom:${CORP_A}/*`]);
  const signKey = await hub.hub.createClientKey('corp-a-sign', [`wecom:${CORP_A}/${AGENT.agentid}`], { signOnly: true });
  return { simUrl, hubUrl: hub.url, admin, agentKey, corpKey, signKey };
}

/** gettoken calls an app of a corp made (errors included). */
function sumRequests(s: Simulator, corpid: string, app: string): number {
  return s.state.corpAppCounters(corpid, app).endpoints['/cgi-bin/gettoken']?.requests ?? 0;
}

/** WeCom's verdict on a token: `ok` or its errcode. */
async function business(simUrl: string, token: string): Promise<'ok' | number> {
  const body = (await (await fetch(`${simUrl}/cgi-bin/getcallbackip?access_token=${encodeURIComponent(token)}`)).json()) as { errcode?: number };
  return body.errcode ? body.errcode : 'ok';
}

describe('WeCom end to end', () => {
  it('serves three apps of two corps side by side, each token accepted by WeCom, with keys scoped per app', async () => {
    const { simUrl, hubUrl, agentKey, corpKey } = await stack();
    const a = await getJson(`${hubUrl}/v1/wecom/${CORP_A}/${AGENT.agentid}/access-token`, agentKey);
    const contacts = await getJson(`${hubUrl}/v1/wecom/${CORP_A}/contacts/access-token`, corpKey);
    expect(a.status).toBe(200);
    expect(contacts.status).toBe(200);
    expect(a.body.access_token).not.toBe(contacts.body.access_token);
    for (const t of [a, contacts]) expect(await business(simUrl, String(t.body.access_token))).toBe('ok');
    // The agent key does not reach the corp's other app, nor the other corp; the corp key not the other corp.
    expect((await getJson(`${hubUrl}/v1/wecom/${CORP_A}/contacts/access-token`, agentKey)).status).toBe(403);
    expect((await getJson(`${hubUrl}/v1/wecom/${CORP_B}/${AGENT_B.agentid}/access-token`, corpKey)).status).toBe(403);
    expect((await getJson(`${hubUrl}/v1/wecom/${CORP_A}/999/access-token`, corpKey)).status).toBe(404);
    expect((await getJson(`${hubUrl}/v1/wecom/${CORP_A}/${AGENT.agentid}/access-token`)).status).toBe(401);
    // The admin list shows every app, no secret and no token.
    const list = await getJson(`${hubUrl}/v1/wecom`, ADMIN_KEY);
    const agents = list.body.agents as Array<Record<string, unknown>>;
    expect(agents.map((x) => `${x.corpid}/${x.agent}`).sort()).toEqual([`${CORP_A}/${AGENT.agentid}`, `${CORP_A}/contacts`, `${CORP_B}/${AGENT_B.agentid}`].sort());
    expect(JSON.stringify(list.body)).not.toContain(AGENT.secret);
    expect(JSON.stringify(list.body)).not.toContain(String(a.body.access_token));
  });

  it('500 concurrent cold reads of one app make one gettoken', async () => {
    const { hubUrl, agentKey } = await stack({ latencyMs: 200 });
    const reads = await Promise.all(Array.from({ length: 500 }, () => getJson(`${hubUrl}/v1/wecom/${CORP_A}/${AGENT.agentid}/access-token`, agentKey)));
    expect(reads.filter((r) => r.status !== 200)).toEqual([]);
    expect(new Set(reads.map((r) => r.body.access_token)).size).toBe(1);
    expect(sumRequests(sim!, CORP_A, String(AGENT.agentid))).toBe(1);
  });

  it('signs wx.config and wx.agentConfig with tickets the simulator accepts; a sign-only key signs but never reads', async () => {
    const { simUrl, hubUrl, signKey } = await stack();
    const url = 'https://work.example.com/app?x=1#frag';
    // 1,000 signing requests, 100 at a time (the hub caps open connections at 512 by default).
    const sign = () =>
      fetch(`${hubUrl}/v1/wecom/${CORP_A}/${AGENT.agentid}/jssdk-config`, {
        method: 'POST',
        headers: { authorization: `Bearer ${signKey}`, 'content-type': 'application/json' },
        body: JSON.stringify({ url }),
      });
    const signs: Response[] = [];
    for (let batch = 0; batch < 10; batch++) signs.push(...(await Promise.all(Array.from({ length: 100 }, sign))));
    expect(signs.map((r) => r.status).filter((s) => s !== 200)).toEqual([]);
    const { config, agentConfig } = (await signs[0]!.json()) as { config: Record<string, unknown>; agentConfig: Record<string, unknown> };
    const verify = async (body: object) => (await (await fetch(`${simUrl}/__sim/jssdk/verify`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) })).json()) as { valid: boolean };
    expect(await verify({ corpid: CORP_A, kind: 'jsapi', url, nonceStr: config.nonceStr, timestamp: config.timestamp, signature: config.signature })).toMatchObject({ valid: true });
    expect(await verify({ corpid: CORP_A, agentid: AGENT.agentid, kind: 'agent_config', url, nonceStr: agentConfig.nonceStr, timestamp: agentConfig.timestamp, signature: agentConfig.signature })).toMatchObject({ valid: true });
    // A storm of signatures costs one call of each ticket endpoint, far inside WeCom's hourly limits.
    const endpoints = sim!.state.corpAppCounters(CORP_A, String(AGENT.agentid)).endpoints;
    expect(endpoints['/cgi-bin/get_jsapi_ticket']?.requests).toBe(1);
    expect(endpoints['/cgi-bin/ticket/get']?.requests).toBe(1);
    expect((await getJson(`${hubUrl}/v1/wecom/${CORP_A}/${AGENT.agentid}/tickets/jsapi`, signKey)).status).toBe(403);
    expect((await getJson(`${hubUrl}/v1/wecom/${CORP_A}/${AGENT.agentid}/access-token`, signKey)).status).toBe(403);
  });

  it("WeCom's gettoken on the hub: the real secret or a key scoped to one app gets the managed token in WeCom's shape", async () => {
    const { simUrl, hubUrl, agentKey, corpKey } = await stack();
    const managed = String((await getJson(`${hubUrl}/v1/wecom/${CORP_A}/${AGENT.agentid}/access-token`, agentKey)).body.access_token);
    const gettoken = async (corpid: string, secret: string) => (await fetch(`${hubUrl}/cgi-bin/gettoken?corpid=${corpid}&corpsecret=${encodeURIComponent(secret)}`)).json() as Promise<Record<string, unknown>>;
    expect(await gettoken(CORP_A, AGENT.secret)).toMatchObject({ errcode: 0, errmsg: 'ok', access_token: managed, expires_in: expect.any(Number) });
    expect(await gettoken(CORP_A, agentKey)).toMatchObject({ errcode: 0, access_token: managed });
    // A key covering several apps of the corp cannot say which one it means.
    expect((await gettoken(CORP_A, corpKey)).errcode).toBe(40001);
    const wrong = await gettoken(CORP_A, 'not-the-secret');
    expect(wrong.errcode).toBe(40001);
    expect(String(wrong.errmsg)).toMatch(/^invalid credential, hint: \[\d{25}\], from ip: .+, more info at https:\/\/open\.work\.weixin\.qq\.com\/devtool\/query\?e=40001$/);
    expect((await gettoken('ww00000000000000ff', AGENT.secret)).errcode).toBe(40013);
    expect((await gettoken(CORP_A, '')).errcode).toBe(41004);
    // Only the hub fetched: one gettoken, however the token was asked for.
    expect(sumRequests(sim!, CORP_A, String(AGENT.agentid))).toBe(1);
    // A business call with the managed token through the hub's passthrough reaches WeCom's host (the simulator).
    const viaHub = (await (await fetch(`${hubUrl}/cgi-bin/getcallbackip?access_token=${managed}`)).json()) as Record<string, unknown>;
    expect(viaHub.ip_list).toBeDefined();
    expect(await business(simUrl, managed)).toBe('ok');
  });

  it("an unchanged WeCom SDK (node-easywechat's Work) pointed at the hub shares the managed token", async () => {
    const { hubUrl, agentKey } = await stack();
    // The SDK caches tokens in files: a directory of this test's own, so no run sees another's tokens.
    const { dir, cleanup } = await tempDir();
    const managed = String((await getJson(`${hubUrl}/v1/wecom/${CORP_A}/${AGENT.agentid}/access-token`, agentKey)).body.access_token);
    for (const secret of [AGENT.secret, agentKey]) {
      const work = new Work({ corp_id: CORP_A, secret, token: '', aes_key: '', http: { baseURL: `${hubUrl}/` }, file_cache: { path: dir, dirMode: 0o700, fileMode: 0o600, ext: '.cache' } });
      expect(await work.getAccessToken().getToken()).toBe(managed);
      const answer = (await work.getClient().get('cgi-bin/getcallbackip')).toObject() as Record<string, unknown>;
      expect(answer.ip_list).toBeDefined();
    }
    expect(sumRequests(sim!, CORP_A, String(AGENT.agentid))).toBe(1);
    await cleanup();
  });

  it('callers using the served tokens through several compressed lifetimes: no rejected call, one gettoken per lifetime', async () => {
    const TTL_S = 3;
    const { simUrl } = await stack({ tokenTtlSeconds: TTL_S, latencyMs: 20 });
    await hub!.close();
    // A hub tuned for the compressed lifetime, as `serve --reference-lifetime 3 --refresh-lead 1 --serve-margin 0.3` would be.
    hub = await startHub('memory:', simUrl, { referenceLifetimeMs: TTL_S * 1000, refreshLeadMs: 1_000, serveMarginMs: 300 });
    await hub.hub.wecom.put(CORP_A, String(AGENT.agentid), { secret: AGENT.secret });
    await hub.hub.wecom.put(CORP_A, 'contacts', { secret: CONTACTS.secret });
    const key = await hub.hub.createClientKey('corp-a-run', [`wecom:${CORP_A}/*`]);
    const apps = [String(AGENT.agentid), 'contacts'];
    const outcomes = new Map<string, number>();
    const startedAt = Date.now();
    const runFor = 5 * TTL_S * 1000;
    await Promise.all(
      apps.map(async (app) => {
        while (Date.now() - startedAt < runFor) {
          const read = await getJson(`${hub!.url}/v1/wecom/${CORP_A}/${app}/access-token`, key);
          const outcome = read.status === 200 ? String(await business(simUrl, String(read.body.access_token))) : `http ${read.status}`;
          outcomes.set(outcome, (outcomes.get(outcome) ?? 0) + 1);
          await new Promise((r) => setTimeout(r, 25));
        }
      }),
    );
    const lifetimes = (Date.now() - startedAt) / (TTL_S * 1000);
    const calls = apps.map((app) => sumRequests(sim!, CORP_A, app));
    const why = JSON.stringify({ outcomes: [...outcomes], lifetimes, calls });
    console.log(`WeCom, one hub: ${why}`);
    expect([...outcomes.keys()], why).toEqual(['ok']);
    // The first token's age is unknown until a second answer shows WeCom counting its life down (one probe); from
    // then on, one gettoken per lifetime.
    for (const n of calls) expect(Math.abs(n - 1 - lifetimes), why).toBeLessThanOrEqual(1.5);
  }, 60_000);
});
