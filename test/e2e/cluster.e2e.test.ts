import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createSimulator, type Simulator } from '../../src/simulator/index.js';
import {
  assertBuilt,
  HubFleet,
  readToken,
  reportInvalid,
  sameTokenEverywhere,
  seedStore,
  startCallers,
  distributedStores,
  requireStore,
  waitFor,
  type DistributedStore,
  type HubFlags,
  type HubProcess,
} from '../support/hub-process.js';
import { tokenFetches } from '../support/sim-counters.js';
import { APPID, SECRET } from '../support/stack.js';

/**
 * Several `wxtoken serve` processes on one Redis or PostgreSQL behave as one hub: one upstream fetch per token
 * lifetime across the fleet, never two at once, one refresh for a storm of reports spread over the instances, and
 * no gap when the instance refreshing dies with its fetch in flight.
 *
 * Lifetimes are compressed: WeChat's 7200 s becomes 6 s (grace 3 s), and the hubs' lead and margin are given for
 * that 6 s reference (refresh 1.5 s before expiry, serve until 0.5 s before). The simulator answers token requests
 * after 100 ms, so two overlapping fetches would show in its concurrency counter.
 */
const TTL_S = 6;
const FLAGS: HubFlags = { referenceLifetime: TTL_S, refreshLead: 1.5, serveMargin: 0.5, leaseTtl: 3 };
const SIM = { tokenTtlSeconds: TTL_S, graceSeconds: 3, stableWindowSeconds: 3, latencyMs: 100 };
/** Tokens that outlive a whole test, so only the test's own triggers cause a refresh. */
const LONG_TTL_S = 120;

beforeAll(() => assertBuilt());

const fleet = new HubFleet();
const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  await fleet.stopAll();
  for (const c of cleanups.splice(0).reverse()) await c();
});
afterAll(() => fleet.dispose());

/** WeChat's verdict on a token: `ok` or its errcode. */
async function business(simUrl: string, token: string): Promise<'ok' | number> {
  const res = await fetch(`${simUrl}/cgi-bin/getcallbackip?access_token=${encodeURIComponent(token)}`);
  const body = (await res.json()) as { errcode?: number };
  return body.errcode ? body.errcode : 'ok';
}

async function simulator(options: object): Promise<{ sim: Simulator; simUrl: string }> {
  const sim = createSimulator({ apps: [{ appid: APPID, secret: SECRET }], ...options });
  const simUrl = await sim.listen({ host: '127.0.0.1', port: 0 });
  cleanups.push(() => sim.close());
  return { sim, simUrl };
}

/** Three instances on a fresh namespace of the store, one classic-grant app, a client key. */
async function cluster(store: DistributedStore, simOptions: object) {
  const { sim, simUrl } = await simulator(simOptions);
  const { url: storeUrl, cleanup } = await store.isolatedUrl();
  cleanups.push(cleanup);
  const key = await seedStore(storeUrl, { appid: APPID, secret: SECRET, grant: 'classic' });
  const hubs = await fleet.start(3, { storeUrl, upstream: simUrl, ...FLAGS });
  return { sim, simUrl, storeUrl, key, hubs };
}

describe.each(distributedStores())('three instances on $name', (store) => {
  it('make one upstream fetch per token lifetime, never two at once, and keep callers on valid tokens', async (ctx) => {
    await requireStore(store, ctx.skip);
    const { sim, simUrl, key, hubs } = await cluster(store, SIM);
    await sameTokenEverywhere(hubs, APPID, key);
    const firstTokenAt = Date.now();
    const callers = startCallers({ hubs, appid: APPID, key, simUrl, perHub: 2 });
    // Three token lifetimes: the first token and two refreshes, each 1.5 s before the previous token expires.
    await new Promise((r) => setTimeout(r, 2 * (TTL_S - FLAGS.refreshLead!) * 1000 + 1_500));
    const tally = await callers.stop();
    const elapsedS = (Date.now() - firstTokenAt) / 1000;

    const counters = sim.state.counters(APPID);
    const why = `${JSON.stringify({ tally, counters }, null, 1)}\n${fleet.describe()}`;
    expect(tally.reads, why).toBeGreaterThan(100);
    expect(tally.hubErrors, why).toEqual({});
    expect(tally.business, why).toEqual({ ok: tally.reads }); // no 40001, no 42001
    expect(Object.keys(counters.businessCalls), why).toEqual(['ok']);
    expect(counters.maxConcurrentTokenFetches, why).toBe(1);
    // The first fetch happens as the instances start; each next one 1.5 s before the 6 s token expires.
    const lifetimes = 1 + Math.floor(elapsedS / (TTL_S - FLAGS.refreshLead!));
    const fetches = tokenFetches(sim, APPID);
    expect(fetches, why).toBeGreaterThanOrEqual(lifetimes - 1);
    expect(fetches, why).toBeLessThanOrEqual(lifetimes + 1);
    for (const hub of hubs) expect(hub.alive, hub.describe()).toBe(true);
  }, 45_000);

  it('turn 300 reports of the same token, spread over the instances, into exactly one refresh', async (ctx) => {
    await requireStore(store, ctx.skip);
    const { sim, key, hubs } = await cluster(store, { ...SIM, tokenTtlSeconds: LONG_TTL_S, graceSeconds: 60 });
    const bad = await sameTokenEverywhere(hubs, APPID, key);
    const before = tokenFetches(sim, APPID);

    const answers = await Promise.all(Array.from({ length: 300 }, (_, i) => reportInvalid(hubs[i % hubs.length]!.url, APPID, key, bad)));

    const failed = answers.filter((a) => a.status !== 200);
    const why = `${failed.length} failed reports, e.g. ${JSON.stringify(failed.slice(0, 3))}\n${JSON.stringify(sim.state.counters(APPID))}\n${fleet.describe()}`;
    expect(failed.length, why).toBe(0);
    const handedOut = new Set(answers.map((a) => a.token));
    expect(handedOut.has(bad), 'no report may be answered with the reported token').toBe(false);
    expect(handedOut.size, `every report gets the one replacement: ${[...handedOut].join(', ')}`).toBe(1);
    expect(tokenFetches(sim, APPID) - before, why).toBe(1);
    expect(sim.state.counters(APPID).maxConcurrentTokenFetches, why).toBe(1);
    const [replacement] = handedOut;
    expect(await sameTokenEverywhere(hubs, APPID, key, 2_000)).toBe(replacement);
  }, 30_000);

  it('finish a refresh on another instance when the one holding the lease is killed mid-fetch', async (ctx) => {
    await requireStore(store, ctx.skip);
    const { sim, simUrl, key, hubs } = await cluster(store, { ...SIM, tokenTtlSeconds: LONG_TTL_S });
    const [a, b, c] = hubs as [HubProcess, HubProcess, HubProcess];
    const old = await sameTokenEverywhere(hubs, APPID, key);
    const before = tokenFetches(sim, APPID);
    // Callers of B and C behave as the SDK does: a token WeChat rejects is reported, and the replacement used.
    const callers = startCallers({ hubs: [b, c], appid: APPID, key, simUrl, perHub: 2, reportAndRetry: true });

    // A takes the lease and calls WeChat, which answers only after 1.5 s: A is killed while it waits. (WeChat still
    // answers the dead process's call; the lease, 3 s from A's last renewal, outlasts it with room for the marking
    // write A makes between taking the lease and calling, even on a loaded machine.)
    sim.state.injectFault({ path: '/cgi-bin/token', mode: 'delay', delayMs: 1_500, count: 1 });
    const orphan = reportInvalid(a.url, APPID, key, old).catch((err: unknown) => ({ status: 0, token: null, err }));
    await waitFor(() => sim.state.counters(APPID).inFlightTokenFetches === 1, 5_000, () => 'A never called WeChat');
    const killedAt = Date.now();
    await a.kill();
    expect((await orphan).status, 'the caller of A loses its connection').toBe(0);

    // The caller retries its report on B (a load balancer would): B waits out A's lease, then refreshes itself.
    const retried = await reportInvalid(b.url, APPID, key, old);
    const refreshedAfterMs = Date.now() - killedAt;
    expect(retried.status, b.describe()).toBe(200);
    expect(retried.token).not.toBe(old);
    expect(refreshedAfterMs, 'B refreshes once A\'s 3 s lease has expired, not later').toBeLessThan(FLAGS.leaseTtl! * 1000 + 1_500);
    expect(await sameTokenEverywhere([b, c], APPID, key, 2_000)).toBe(retried.token);
    await new Promise((r) => setTimeout(r, 500));
    const tally = await callers.stop();

    const counters = sim.state.counters(APPID);
    const why = `${JSON.stringify({ tally, counters, refreshedAfterMs }, null, 1)}\n${fleet.describe()}`;
    // A's orphaned fetch (WeChat still answered it) and B's: never at the same time, and nothing more.
    expect(tokenFetches(sim, APPID) - before, why).toBe(2);
    expect(counters.maxConcurrentTokenFetches, why).toBe(1);
    expect(tally.hubErrors, why).toEqual({});
    expect(tally.business, why).toEqual({ ok: tally.reads });
    expect(b.alive && c.alive, why).toBe(true);
    // The token B replaced is served by nobody any more.
    expect((await readToken(c.url, APPID, key)).token).toBe(retried.token);
  }, 30_000);

  it('with default lease settings, a survivor serves a working token within 5 s of the holder\'s kill -9 mid-fetch', async (ctx) => {
    await requireStore(store, ctx.skip);
    // Default lease TTL and renewal: no --lease-ttl. Lead and margin stay compressed as in the other tests.
    const { leaseTtl: _default, ...defaults } = FLAGS;
    const { sim, simUrl } = await simulator({ ...SIM, tokenTtlSeconds: LONG_TTL_S });
    const { url: storeUrl, cleanup } = await store.isolatedUrl();
    cleanups.push(cleanup);
    const key = await seedStore(storeUrl, { appid: APPID, secret: SECRET, grant: 'classic' });
    const hubs = await fleet.start(3, { storeUrl, upstream: simUrl, ...defaults });
    const [a, b, c] = hubs as [HubProcess, HubProcess, HubProcess];
    const old = await sameTokenEverywhere(hubs, APPID, key);

    // Another system fetches twice with the secret: the fleet's token is dead at once (40001), as after a leak.
    for (let i = 0; i < 2; i++) {
      const res = await fetch(`${simUrl}/__sim/apps/${APPID}/rotate`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ grant: 'classic' }) });
      expect(res.status).toBe(200);
    }
    // A takes the lease on the report and calls WeChat, which never answers; A is killed while it waits.
    sim.state.injectFault({ path: '/cgi-bin/token', mode: 'hang', count: 1 });
    const orphan = reportInvalid(a.url, APPID, key, old).catch((err: unknown) => ({ status: 0, token: null, err }));
    await waitFor(() => sim.state.counters(APPID).inFlightTokenFetches === 1, 5_000, () => 'A never called WeChat');
    const before = tokenFetches(sim, APPID);
    const killedAt = Date.now();
    await a.kill();

    // Callers of B and C act as the SDK does: use the token, report it when WeChat rejects it, use the replacement.
    // The takeover time is from the kill until the first business call WeChat accepts.
    let servedAt = 0;
    const outcomes: string[] = [];
    const caller = async (hub: HubProcess): Promise<void> => {
      while (!servedAt && Date.now() - killedAt < 20_000) {
        let read = await readToken(hub.url, APPID, key);
        if (read.status === 200 && read.token) {
          let answer = await business(simUrl, read.token);
          if (answer === 40001 || answer === 42001) {
            read = await reportInvalid(hub.url, APPID, key, read.token);
            answer = read.status === 200 && read.token ? await business(simUrl, read.token) : read.status;
          }
          outcomes.push(`${hub.name} +${Date.now() - killedAt} ms ${String(answer)}`);
          if (answer === 'ok' && !servedAt) servedAt = Date.now();
        } else {
          outcomes.push(`${hub.name} +${Date.now() - killedAt} ms hub ${read.status}`);
        }
        await new Promise((r) => setTimeout(r, 20));
      }
    };
    await Promise.all([caller(b), caller(b), caller(c), caller(c)]);
    expect((await orphan).status, 'the caller of A loses its connection').toBe(0);
    const takeoverMs = servedAt - killedAt;
    console.log(`kill -9 takeover on ${store.name} with default lease settings: ${takeoverMs} ms from the kill to a token WeChat accepts`);

    const why = `${JSON.stringify({ takeoverMs, outcomes: outcomes.slice(0, 20), counters: sim.state.counters(APPID) }, null, 1)}\n${fleet.describe()}`;
    expect(servedAt, why).toBeGreaterThan(0);
    expect(takeoverMs, why).toBeLessThan(5_000);
    // A's call never ended (hang) and issued nothing; the survivors made one fetch between them.
    expect(tokenFetches(sim, APPID) - before, why).toBe(1);
    const replacement = await sameTokenEverywhere([b, c], APPID, key, 2_000);
    expect(await business(simUrl, replacement), why).toBe('ok');
    expect(b.alive && c.alive, why).toBe(true);
  }, 40_000);
});
