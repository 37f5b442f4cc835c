// WeCom on a fleet: three `wxtoken serve` processes (the built CLI) on one Redis or PostgreSQL in front of the
// simulator's WeCom endpoints, with callers on every instance using the tokens they are served on a WeCom business
// endpoint through several compressed lifetimes. One gettoken per lifetime fleet-wide (after the first token's
// one probe), never two at once, and no call rejected.
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { Hub } from '../../src/core/hub.js';
import { createSecretBox } from '../../src/core/secret-box.js';
import { createSimulator } from '../../src/simulator/index.js';
import { openStore } from '../../src/stores/open-store.js';
import { assertBuilt, distributedStores, HubFleet, MASTER_KEY_HEX, requireStore, type HubFlags } from '../support/hub-process.js';

const CORPID = 'ww0000000000000c03';
const AGENTS = [
  { agentid: 1000002, secret: 'cluster-agent-one-secret-0123456789ab' },
  { agentid: 1000003, secret: 'cluster-agent-two-secret-0123456789ab' },
];
const TTL_S = 4;
const FLAGS: HubFlags = { referenceLifetime: TTL_S, refreshLead: 1, serveMargin: 0.3 };
const neverFetches = (): Promise<never> => Promise.reject(new Error('the seeding hub never fetches'));

beforeAll(() => assertBuilt());
const fleet = new HubFleet();
const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  await fleet.stopAll();
  for (const c of cleanups.splice(0).reverse()) await c();
});
afterAll(() => fleet.dispose());

/** Registers the corp's apps and a key for them in the store, as `wxtoken wecom add` and `key create` do. */
async function seed(storeUrl: string): Promise<string> {
  const store = await openStore(storeUrl, {});
  try {
    const hub = new Hub({
      store,
      secrets: createSecretBox(Buffer.from(MASTER_KEY_HEX, 'hex')),
      fetcher: { fetchToken: neverFetches, fetchTicket: neverFetches, fetchWeComToken: neverFetches, fetchWeComTicket: neverFetches },
      prefetch: false,
    });
    for (const a of AGENTS) await hub.wecom.put(CORPID, String(a.agentid), { secret: a.secret });
    const key = await hub.createClientKey('wecom-cluster', [`wecom:${CORPID}/*`]);
    await hub.stop();
    return key;
  } finally {
    await store.close();
  }
}

describe.each(distributedStores())('WeCom on three instances on $name', (store) => {
  it('one gettoken per lifetime fleet-wide, never two at once, and callers never rejected', async (ctx) => {
    await requireStore(store, ctx.skip);
    const sim = createSimulator({ corps: [{ corpid: CORPID, apps: AGENTS }], tokenTtlSeconds: TTL_S, latencyMs: 20 });
    const simUrl = await sim.listen({ host: '127.0.0.1', port: 0 });
    cleanups.push(() => sim.close());
    const { url: storeUrl, cleanup } = await store.isolatedUrl();
    cleanups.push(cleanup);
    const key = await seed(storeUrl);
    const hubs = await fleet.start(3, { storeUrl, upstream: simUrl, ...FLAGS });

    const outcomes = new Map<string, number>();
    const startedAt = Date.now();
    const runFor = 4 * TTL_S * 1000;
    await Promise.all(
      hubs.flatMap((hub) =>
        AGENTS.map(async ({ agentid }) => {
          while (Date.now() - startedAt < runFor) {
            const res = await fetch(`${hub.url}/v1/wecom/${CORPID}/${agentid}/access-token`, { headers: { authorization: `Bearer ${key}` } });
            const body = (await res.json()) as { access_token?: string };
            let outcome = `http ${res.status}`;
            if (res.status === 200) {
              const answer = (await (await fetch(`${simUrl}/cgi-bin/getcallbackip?access_token=${body.access_token}`)).json()) as { errcode?: number };
              outcome = answer.errcode ? String(answer.errcode) : 'ok';
            }
            outcomes.set(outcome, (outcomes.get(outcome) ?? 0) + 1);
            await new Promise((r) => setTimeout(r, 30));
          }
        }),
      ),
    );
    const lifetimes = (Date.now() - startedAt) / (TTL_S * 1000);
    const counters = AGENTS.map((a) => sim.state.corpAppCounters(CORPID, String(a.agentid)));
    const calls = counters.map((c) => c.endpoints['/cgi-bin/gettoken']?.requests ?? 0);
    const why = `${JSON.stringify({ outcomes: [...outcomes], lifetimes, calls, counters }, null, 1)}\n${fleet.describe()}`;
    console.log(`WeCom, three hubs on ${store.name}: ${JSON.stringify({ outcomes: [...outcomes], lifetimes: Number(lifetimes.toFixed(2)), calls })}`);

    expect([...outcomes.keys()], why).toEqual(['ok']);
    expect([...outcomes.values()].reduce((a, b) => a + b, 0), why).toBeGreaterThan(100);
    for (const c of counters) expect(c.maxConcurrentTokenFetches, why).toBe(1);
    // The first token and the probe that finds WeCom counting its life down, then one call per lifetime.
    for (const n of calls) expect(Math.abs(n - 1 - lifetimes), why).toBeLessThanOrEqual(1.5);
    for (const hub of hubs) expect(hub.alive, hub.describe()).toBe(true);
  }, 60_000);
});
