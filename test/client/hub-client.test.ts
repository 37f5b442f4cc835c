import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HubClient, HubClientError } from '../../src/client/index.js';
import { getCallbackIp } from '../../src/wechat/index.js';
import { WeChatError } from '../../src/errors/index.js';
import type { Simulator } from '../../src/simulator/index.js';
import { APPID, SECRET, startHub, startSimulator, type RunningHub } from '../support/stack.js';
import { tokenFetches } from '../support/sim-counters.js';

let sim: Simulator;
let simUrl: string;
let hub: RunningHub;
let key: string;

beforeAll(async () => {
  ({ sim, url: simUrl } = await startSimulator());
  hub = await startHub('memory:', simUrl);
  await hub.hub.putApp(APPID, { secret: SECRET, grant: 'classic' });
  key = await hub.hub.createClientKey('sdk', [APPID]);
});
afterAll(async () => {
  await hub.close();
  await sim.close();
});

describe('HubClient', () => {
  it('reads a token once and serves concurrent and later reads from its cache', async () => {
    let requests = 0;
    const counting: typeof fetch = (input, init) => {
      requests++;
      return fetch(input, init);
    };
    const client = new HubClient({ baseUrl: hub.url, key, fetch: counting });
    const [a, b] = await Promise.all([client.getAccessToken(APPID), client.getAccessToken(APPID)]);
    expect(a.accessToken).toBe(b.accessToken);
    await client.getAccessToken(APPID);
    expect(requests).toBe(1);
    expect(a.expiresAt).toBeGreaterThan(Date.now() + 7_000_000);
  });

  it('retries a call once with a fresh token after WeChat rejects a superseded one', async () => {
    const client = new HubClient({ baseUrl: hub.url, key });
    const stale = (await client.getAccessToken(APPID)).accessToken;
    // Another system fetches twice: the hub's token is now dead at WeChat.
    sim.state.rotate(APPID, 'classic');
    sim.state.rotate(APPID, 'classic');
    const before = tokenFetches(sim, APPID);
    const used: string[] = [];
    const ips = await client.withToken(
      APPID,
      async (accessToken) => {
        used.push(accessToken);
        try {
          return { ips: await getCallbackIp({ baseUrl: simUrl, accessToken }) };
        } catch (err) {
          if (err instanceof WeChatError) return { errcode: err.errcode };
          throw err;
        }
      },
      (r) => ('errcode' in r ? r.errcode : undefined),
    );
    expect(ips).toHaveProperty('ips');
    expect(used[0]).toBe(stale);
    expect(used[1]).not.toBe(stale);
    expect(tokenFetches(sim, APPID) - before).toBe(1);
  });

  it('surfaces the hub error codes', async () => {
    const client = new HubClient({ baseUrl: hub.url, key: 'wxt_not-a-real-key' });
    await expect(client.getAccessToken(APPID)).rejects.toMatchObject({ code: 'unauthorized', status: 401 });
    const unreachable = new HubClient({ baseUrl: 'http://127.0.0.1:9', key });
    await expect(unreachable.getAccessToken(APPID)).rejects.toBeInstanceOf(HubClientError);
    expect(() => new HubClient({ baseUrl: 'nope', key })).toThrow(/baseUrl/);
  });
});
