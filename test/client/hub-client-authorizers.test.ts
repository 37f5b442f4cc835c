// The client SDK's Open Platform methods against a real hub (memory store) in front of the simulator: two
// components, one authorizer of the first and one authorized to both.
import { createServer, type Server, type Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HubClient, HubClientError } from '../../src/client/index.js';
import type { Simulator } from '../../src/simulator/index.js';
import { ADMIN_KEY, type RunningHub } from '../support/stack.js';
import { call, clientKey, COMPONENT, counters, hubOn, openSimulator, registerComponent, until } from '../open/support.js';
import { recordingClient, tokenVerdict } from './support.js';

const OTHER_COMPONENT = 'wxc0000000000000c2';
/** Authorized to COMPONENT only. */
const AUTHORIZER = 'wxa0000000000000a1';
/** Authorized to both components: a token per component. */
const SHARED = 'wxa0000000000000b2';

let sim: Simulator;
let simUrl: string;
let hub: RunningHub;
/** Scoped to both components' authorizers. */
let key: string;
/** Scoped to OTHER_COMPONENT's authorizers only. */
let otherKey: string;

/** Registers a component on hub and simulator, and waits until the hub holds its token (from a pushed ticket). */
async function component(appid: string): Promise<void> {
  await registerComponent(hub.url, simUrl, hub.url, {}, appid);
  await call(`${simUrl}/__sim/components/${appid}/push-ticket`, { body: {} });
  await until(async () => (await counters(simUrl, appid)).componentTokenFetches === 1);
}

/** The merchant authorizes `appid` to `componentAppid`; the event is pushed to the hub. */
async function authorize(componentAppid: string, appid: string): Promise<void> {
  const res = await call(`${simUrl}/__sim/components/${componentAppid}/authorize`, { body: { authorizerAppid: appid, deliver: 'event' } });
  if (res.status !== 201) throw new Error(`authorize: ${res.status} ${JSON.stringify(res.body)}`);
}

beforeAll(async () => {
  ({ sim, simUrl } = await openSimulator());
  hub = await hubOn('memory:', simUrl);
  await component(COMPONENT);
  await component(OTHER_COMPONENT);
  await authorize(COMPONENT, AUTHORIZER);
  await authorize(COMPONENT, SHARED);
  await authorize(OTHER_COMPONENT, SHARED);
  await until(async () => (await call(`${hub.url}/v1/authorizers?status=active`, { key: ADMIN_KEY })).body.total === 3);
  key = await clientKey(hub.url, [`component:${COMPONENT}/*`, `component:${OTHER_COMPONENT}/*`]);
  otherKey = await clientKey(hub.url, [`component:${OTHER_COMPONENT}/*`]);
});
afterAll(async () => {
  await hub.close();
  await sim.close();
});

describe('HubClient: Open Platform authorizers', () => {
  it('reads an authorizer token once: concurrent reads share one request, later reads come from the cache', async () => {
    const { client, requests } = recordingClient(hub.url, key);
    const reads = await Promise.all([client.authorizerToken(AUTHORIZER), client.authorizerToken(AUTHORIZER), client.authorizerToken(AUTHORIZER)]);
    expect(new Set(reads.map((t) => t.accessToken)).size).toBe(1);
    expect(requests).toEqual([`GET /v1/authorizers/${AUTHORIZER}/access-token`]);
    expect(await client.authorizerToken(AUTHORIZER)).toBe(reads[0]);
    expect(requests).toHaveLength(1);
    expect(reads[0]!.expiresAt).toBeGreaterThan(Date.now() + 60_000);
    expect(await tokenVerdict(simUrl, reads[0]!.accessToken)).toBe('ok');
  });

  it('keeps a token per component and apart from apps: the cache never answers for another credential', async () => {
    const { client, requests } = recordingClient(hub.url, key);
    const viaFirst = await client.authorizerToken(SHARED, { component: COMPONENT });
    const viaOther = await client.authorizerToken(SHARED, { component: OTHER_COMPONENT });
    expect(viaOther.accessToken).not.toBe(viaFirst.accessToken);
    expect(requests).toEqual([`GET /v1/authorizers/${SHARED}/access-token?component=${COMPONENT}`, `GET /v1/authorizers/${SHARED}/access-token?component=${OTHER_COMPONENT}`]);
    expect((await client.authorizerToken(SHARED, { component: COMPONENT })).accessToken).toBe(viaFirst.accessToken);
    expect((await client.authorizerToken(SHARED, { component: OTHER_COMPONENT })).accessToken).toBe(viaOther.accessToken);
    expect(requests).toHaveLength(2);
    // The same appid as a plain app is another credential: the key is not scoped to it, so the hub (not the
    // authorizer's cache entry) answers.
    await expect(client.getAccessToken(SHARED)).rejects.toMatchObject({ name: 'HubClientError', code: 'forbidden', status: 403 });
    expect(requests).toHaveLength(3);
  });

  it('reports a token WeChat rejected and caches the replacement, which WeChat accepts', async () => {
    const { client, requests } = recordingClient(hub.url, key);
    const stale = (await client.authorizerToken(AUTHORIZER, { component: COMPONENT })).accessToken;
    // Another system fetches twice: the hub's token is now dead at WeChat.
    sim.state.rotate(AUTHORIZER, 'classic');
    sim.state.rotate(AUTHORIZER, 'classic');
    expect(await tokenVerdict(simUrl, stale)).toBe(40001);
    const fetchesBefore = (await counters(simUrl)).authorizerTokenFetchesByAppid[AUTHORIZER] as number;
    const fresh = await client.invalidateAuthorizerToken(AUTHORIZER, stale, { component: COMPONENT });
    expect(fresh.accessToken).not.toBe(stale);
    expect(await tokenVerdict(simUrl, fresh.accessToken)).toBe('ok');
    expect((await counters(simUrl)).authorizerTokenFetchesByAppid[AUTHORIZER]).toBe(fetchesBefore + 1);
    expect(await client.authorizerToken(AUTHORIZER, { component: COMPONENT })).toBe(fresh);
    expect(requests).toEqual([
      `GET /v1/authorizers/${AUTHORIZER}/access-token?component=${COMPONENT}`,
      `POST /v1/authorizers/${AUTHORIZER}/access-token/invalidate?component=${COMPONENT}`,
    ]);
  });

  it('withAuthorizerToken retries a call WeChat refused for the token once, with the replacement, and no other', async () => {
    // SHARED through the other component: no report about it yet, so the hub's invalidation floor does not apply.
    const options = { component: OTHER_COMPONENT };
    const path = `/v1/authorizers/${SHARED}/access-token`;
    const { client, requests } = recordingClient(hub.url, key);
    const stale = (await client.authorizerToken(SHARED, options)).accessToken;
    sim.state.rotate(SHARED, 'classic');
    sim.state.rotate(SHARED, 'classic');
    const used: string[] = [];
    const verdict = await client.withAuthorizerToken(
      SHARED,
      async (token) => {
        used.push(token);
        return tokenVerdict(simUrl, token);
      },
      (v) => (v === 'ok' ? undefined : v),
      options,
    );
    expect(verdict).toBe('ok');
    expect(used).toHaveLength(2);
    expect(used[0]).toBe(stale);
    expect(used[1]).not.toBe(stale);
    expect(requests).toEqual([`GET ${path}?component=${OTHER_COMPONENT}`, `POST ${path}/invalidate?component=${OTHER_COMPONENT}`]);
    // An errcode that says nothing about the token (45009: quota) is the caller's answer: no report, no retry.
    const quota = await client.withAuthorizerToken(SHARED, async () => ({ errcode: 45009 }), (r) => r.errcode, options);
    expect(quota).toEqual({ errcode: 45009 });
    expect(requests).toHaveLength(2);
  });

  it("surfaces the hub's refusals as HubClientError with the hub's code", async () => {
    const { client, requests } = recordingClient(hub.url, otherKey);
    // A key scoped to another component's authorizers, whether or not the component is named.
    for (const read of [() => client.authorizerToken(AUTHORIZER), () => client.authorizerToken(AUTHORIZER, { component: COMPONENT })]) {
      const err = await read().catch((e: unknown) => e);
      expect(err).toBeInstanceOf(HubClientError);
      expect(err).toMatchObject({ code: 'forbidden', status: 403 });
    }
    await expect(client.invalidateAuthorizerToken(AUTHORIZER, 'some-token')).rejects.toMatchObject({ code: 'forbidden', status: 403 });
    // Refusals are not cached: each read asked the hub.
    expect(requests).toHaveLength(3);
    const unknown = 'wxa00000000000dead';
    await expect(recordingClient(hub.url, key).client.authorizerToken(unknown)).rejects.toMatchObject({ name: 'HubClientError', code: 'not_found', status: 404 });
    await expect(new HubClient({ baseUrl: hub.url, key: 'wxt_not-a-real-key' }).authorizerToken(AUTHORIZER)).rejects.toMatchObject({ code: 'unauthorized', status: 401 });
  });

  it('gives up on a hub that does not answer after the client timeout, as for apps', async () => {
    const sockets = new Set<Socket>();
    const silent: Server = createServer((socket) => void sockets.add(socket));
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    try {
      const { port } = silent.address() as { port: number };
      const client = new HubClient({ baseUrl: `http://127.0.0.1:${port}`, key, timeoutMs: 200 });
      const started = Date.now();
      await expect(client.authorizerToken(AUTHORIZER)).rejects.toMatchObject({ name: 'HubClientError', code: 'hub_unreachable', status: 0 });
      await expect(client.invalidateAuthorizerToken(AUTHORIZER, 'some-token')).rejects.toMatchObject({ code: 'hub_unreachable' });
      expect(Date.now() - started).toBeLessThan(3_000);
    } finally {
      for (const socket of sockets) socket.destroy();
      await new Promise((resolve) => silent.close(resolve));
    }
  });
});
