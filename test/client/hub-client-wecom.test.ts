// The client SDK's WeCom methods against a real hub (memory store) in front of the simulator's WeCom endpoints. The
// simulator runs on a clock of its own, so a test can make WeCom expire a token the hub still holds.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSimulator, type Simulator } from '../../src/simulator/index.js';
import { ManualClock } from '../../src/util/clock.js';
import { ADMIN_KEY, startHub, type RunningHub } from '../support/stack.js';
import { recordingClient, tokenVerdict } from './support.js';

const CORPID = 'ww0000000000000a01';
const AGENT = { agentid: 1000002, secret: 'corp-a-agent-secret-0123456789abcdef' };
/** Used by one test only, so that no earlier report of its token holds back the hub's next refresh. */
const OTHER_AGENT = { agentid: 1000003, secret: 'corp-a-other-agent-secret-0123456789' };
const TOKEN_PATH = `/v1/wecom/${CORPID}/${AGENT.agentid}/access-token`;

let simClock: ManualClock;
let sim: Simulator;
let simUrl: string;
let hub: RunningHub;
let key: string;

beforeAll(async () => {
  simClock = new ManualClock(Date.now());
  sim = createSimulator({ clock: simClock, corps: [{ corpid: CORPID, apps: [AGENT, OTHER_AGENT] }] });
  simUrl = await sim.listen({ host: '127.0.0.1', port: 0 });
  hub = await startHub('memory:', simUrl);
  for (const agent of [AGENT, OTHER_AGENT]) {
    const put = await fetch(`${hub.url}/v1/wecom/${CORPID}/${agent.agentid}`, {
      method: 'PUT',
      headers: { authorization: `Bearer ${ADMIN_KEY}`, 'content-type': 'application/json' },
      body: JSON.stringify({ secret: agent.secret }),
    });
    expect(put.status).toBe(201);
  }
  key = await hub.hub.createClientKey('wecom-sdk', [`wecom:${CORPID}/${AGENT.agentid}`, `wecom:${CORPID}/${OTHER_AGENT.agentid}`]);
});
afterAll(async () => {
  await hub.close();
  await sim.close();
});

describe('HubClient: WeCom apps', () => {
  it('reads a WeCom token once: concurrent reads share one request, later reads come from the cache', async () => {
    const { client, requests } = recordingClient(hub.url, key);
    const [a, b] = await Promise.all([client.wecomToken(CORPID, AGENT.agentid), client.wecomToken(CORPID, String(AGENT.agentid))]);
    expect(b).toBe(a);
    expect(await client.wecomToken(CORPID, AGENT.agentid)).toBe(a);
    expect(requests).toEqual([`GET ${TOKEN_PATH}`]);
    expect(await tokenVerdict(simUrl, a.accessToken)).toBe('ok');
  });

  it('reports a token WeCom rejected and caches the replacement, which WeCom accepts', async () => {
    const { client, requests } = recordingClient(hub.url, key);
    const stale = (await client.wecomToken(CORPID, AGENT.agentid)).accessToken;
    // WeCom's clock passes the token's life while the hub (on real time) still holds it.
    await simClock.advance(7_300_000);
    expect(await tokenVerdict(simUrl, stale)).toBe(42001);
    const fresh = await client.invalidateWeComToken(CORPID, AGENT.agentid, stale);
    expect(fresh.accessToken).not.toBe(stale);
    expect(await tokenVerdict(simUrl, fresh.accessToken)).toBe('ok');
    expect(await client.wecomToken(CORPID, AGENT.agentid)).toBe(fresh);
    expect(requests).toEqual([`GET ${TOKEN_PATH}`, `POST ${TOKEN_PATH}/invalidate`]);
  });

  it('withWeComToken retries a call WeCom refused for the token once, with the replacement', async () => {
    const path = `/v1/wecom/${CORPID}/${OTHER_AGENT.agentid}/access-token`;
    const { client, requests } = recordingClient(hub.url, key);
    const stale = (await client.wecomToken(CORPID, OTHER_AGENT.agentid)).accessToken;
    await simClock.advance(7_300_000);
    const used: string[] = [];
    const verdict = await client.withWeComToken(
      CORPID,
      OTHER_AGENT.agentid,
      async (token) => {
        used.push(token);
        return tokenVerdict(simUrl, token);
      },
      (v) => (v === 'ok' ? undefined : v),
    );
    expect(verdict).toBe('ok');
    expect(used).toHaveLength(2);
    expect(used[0]).toBe(stale);
    expect(used[1]).not.toBe(stale);
    expect(requests).toEqual([`GET ${path}`, `POST ${path}/invalidate`]);
  });

  it("surfaces the hub's refusals with the hub's code: another corp's key, an unknown app", async () => {
    const otherKey = await hub.hub.createClientKey('other-corp', ['wecom:ww0000000000000b02/*']);
    const { client } = recordingClient(hub.url, otherKey);
    await expect(client.wecomToken(CORPID, AGENT.agentid)).rejects.toMatchObject({ name: 'HubClientError', code: 'forbidden', status: 403 });
    await expect(client.invalidateWeComToken(CORPID, AGENT.agentid, 'some-token')).rejects.toMatchObject({ code: 'forbidden', status: 403 });
    const corpKey = await hub.hub.createClientKey('corp', [`wecom:${CORPID}/*`]);
    await expect(recordingClient(hub.url, corpKey).client.wecomToken(CORPID, 999)).rejects.toMatchObject({ name: 'HubClientError', code: 'app_not_found', status: 404 });
  });
});
