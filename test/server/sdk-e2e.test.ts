// End to end: the real co-wechat-api and wechat-api SDKs, pointed at the hub by base URL only, get their token from
// the hub's WeChat-compatible endpoint and make business calls through its passthrough to the WeChat simulator.
import CoWechatApi from 'co-wechat-api';
import WechatApi from 'wechat-api';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { systemClock } from '../../src/util/clock.js';
import { createServer } from '../../src/server/index.js';
import { createSimulator, type Simulator } from '../../src/simulator/index.js';
import { FakeTokenService } from './fake-token-service.js';

const APPID = 'wx1234567890abcdef';

/** The simulator's current stable token for APPID. */
function stableToken(sim: Simulator): string | undefined {
  const view = sim.state.tokens(APPID);
  return 'stable' in view ? view.stable.current?.value : undefined;
}
const SECRET = 'sdk-e2e-secret-0123456789abcdef01';

describe('WeChat SDKs through the hub (end to end)', () => {
  let sim: Simulator;
  let hub: FastifyInstance;
  let hubUrl: string;
  let service: FakeTokenService;
  let simToken: string;
  let clientKey: string;

  beforeAll(async () => {
    sim = createSimulator({ apps: [{ appid: APPID, secret: SECRET }] });
    const simUrl = await sim.listen({ host: '127.0.0.1', port: 0 });
    // The hub's token is one the simulator really issued, as the real hub's would be.
    const res = await fetch(`${simUrl}/cgi-bin/stable_token`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ grant_type: 'client_credential', appid: APPID, secret: SECRET }),
    });
    const issued = (await res.json()) as { access_token: string; expires_in: number };
    simToken = issued.access_token;
    expect(stableToken(sim)).toBe(simToken);

    service = new FakeTokenService(systemClock);
    service.addApp(APPID, SECRET);
    service.issueWith = () => ({ token: simToken, expiresAt: Date.now() + issued.expires_in * 1000 });
    clientKey = await service.createClientKey('sdk', [APPID]);
    hub = createServer({ service, upstreamBaseUrl: simUrl });
    hubUrl = await hub.listen({ host: '127.0.0.1', port: 0 });
  });

  afterAll(async () => {
    await hub?.close();
    await sim?.close();
  });

  it('co-wechat-api (promises): api.prefix = <hub>/cgi-bin/', async () => {
    const api = new CoWechatApi(APPID, SECRET);
    api.prefix = `${hubUrl}/cgi-bin/`;
    const ip = await api.getIp();
    expect(ip.ip_list.length).toBeGreaterThan(0);
    const menu = await api.getMenu();
    expect(menu.menu.button.length).toBeGreaterThan(0);
    expect((await api.getAccessToken()).accessToken).toBe(simToken);
  });

  it('co-wechat-api with a client key in place of the AppSecret', async () => {
    const api = new CoWechatApi(APPID, clientKey);
    api.prefix = `${hubUrl}/cgi-bin/`;
    expect((await api.getIp()).ip_list.length).toBeGreaterThan(0);
  });

  it('wechat-api (callbacks): api.endpoint = <hub>', async () => {
    const api = new WechatApi(APPID, SECRET);
    api.endpoint = hubUrl;
    const ip = await new Promise<{ ip_list: string[] }>((resolve, reject) => api.getIp((err, r) => (err ? reject(err) : resolve(r))));
    expect(ip.ip_list.length).toBeGreaterThan(0);
    const menu = await new Promise<{ menu: { button: unknown[] } }>((resolve, reject) => api.getMenu((err, r) => (err ? reject(err) : resolve(r))));
    expect(menu.menu.button.length).toBeGreaterThan(0);
  });

  it('a wrong secret reaches the SDK as WeChat error 40125, and the simulator issued no new token', async () => {
    const api = new CoWechatApi(APPID, 'not-the-secret');
    api.prefix = `${hubUrl}/cgi-bin/`;
    await expect(api.getIp()).rejects.toMatchObject({ name: 'WeChatAPIError', code: 40125 });
    // The SDKs' token fetches were all answered by the hub: the simulator's stable token never changed.
    expect(stableToken(sim)).toBe(simToken);
    expect(service.calls.filter((c) => c.method === 'getAccessToken').length).toBeGreaterThanOrEqual(3);
  });
});
