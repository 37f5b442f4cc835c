import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createSimulator } from '../../src/simulator/index.js';
import {
  assertBuilt,
  HubFleet,
  readyStatus,
  reportInvalid,
  sameTokenEverywhere,
  seedStore,
  startCallers,
  waitFor,
  type HubFlags,
  type HubProcess,
} from '../support/hub-process.js';
import { startPostgresServer } from '../support/postgres-server.js';
import { startRedisServer } from '../support/redis-server.js';
import type { ThrowawayServer } from '../support/server-process.js';
import { tokenFetches } from '../support/sim-counters.js';
import { APPID, SECRET } from '../support/stack.js';

/**
 * A store outage under load: three `wxtoken serve` instances on a throwaway Redis (append-only, so a restart is an
 * outage, not a wipe) or a throwaway PostgreSQL cluster, which the test stops for a few seconds and starts again.
 * Tokens live 120 s, far longer than the outage, so callers must see no error at all; the instances must say they
 * are not ready while the store is gone, say so once in their logs, and come back on their own.
 */
const FLAGS: HubFlags = { referenceLifetime: 6, refreshLead: 1.5, serveMargin: 0.5, leaseTtl: 3 };
const SIM = { tokenTtlSeconds: 120, graceSeconds: 60, latencyMs: 100 };
const OUTAGE_MS = 3_000;
/** Redis reconnects with a backoff capped at 2 s and PostgreSQL's pool opens connections on demand. */
const RECOVERY_LIMIT_MS = 5_000;
/** The hub's own outage line (core/hub.ts); stores add one line of their own when they lose the connection. */
const HUB_OUTAGE_LINE = /store unreachable; serving held tokens/;

const SERVERS: Array<{ name: string; start: () => Promise<ThrowawayServer>; storeUrl: (server: ThrowawayServer) => string }> = [
  { name: 'Redis', start: startRedisServer, storeUrl: (s) => `${s.url}?prefix=outage:` },
  { name: 'PostgreSQL', start: startPostgresServer, storeUrl: (s) => `${s.url}?schema=outage` },
];

beforeAll(() => assertBuilt());

const fleet = new HubFleet();
const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  await fleet.stopAll();
  for (const c of cleanups.splice(0).reverse()) await c();
});
afterAll(() => fleet.dispose());

/** Lines of a pino log at warn level or above, as `msg` strings. */
function warnings(log: string): string[] {
  return log
    .split('\n')
    .filter((line) => line.startsWith('{'))
    .map((line) => JSON.parse(line) as { level: number; msg: string })
    .filter((entry) => entry.level >= 40)
    .map((entry) => entry.msg);
}

describe.each(SERVERS)('a $name outage under load', (backend) => {
  it('costs callers nothing, turns /readyz to 503 and back, is logged once, and heals by itself', async (ctx) => {
    let server: ThrowawayServer;
    try {
      server = await backend.start();
    } catch (err) {
      if (process.env.CI === 'true') throw err;
      console.warn(`SKIPPING ${backend.name} outage test: ${String(err)}`);
      return ctx.skip();
    }
    cleanups.push(() => server.cleanup());
    const sim = createSimulator({ apps: [{ appid: APPID, secret: SECRET }], ...SIM });
    const simUrl = await sim.listen({ host: '127.0.0.1', port: 0 });
    cleanups.push(() => sim.close());
    const storeUrl = backend.storeUrl(server);
    const key = await seedStore(storeUrl, { appid: APPID, secret: SECRET, grant: 'classic' });
    const hubs = await fleet.start(3, { storeUrl, upstream: simUrl, ...FLAGS });
    const [a] = hubs as [HubProcess, HubProcess, HubProcess];
    const held = await sameTokenEverywhere(hubs, APPID, key);
    expect(await Promise.all(hubs.map((h) => readyStatus(h.url)))).toEqual([200, 200, 200]);
    const fetchesBefore = tokenFetches(sim, APPID);

    const callers = startCallers({ hubs, appid: APPID, key, simUrl, perHub: 2 });
    await new Promise((r) => setTimeout(r, 300));
    await server.stop();
    const notReadyAfterMs = await waitFor(
      async () => (await Promise.all(hubs.map((h) => readyStatus(h.url)))).every((s) => s === 503),
      5_000,
      () => `every instance reports 503 while the store is down\n${fleet.describe()}`,
    );
    await new Promise((r) => setTimeout(r, Math.max(0, OUTAGE_MS - notReadyAfterMs)));
    await server.start();
    const readyAfterMs = await waitFor(
      async () => (await Promise.all(hubs.map((h) => readyStatus(h.url)))).every((s) => s === 200),
      15_000,
      () => `every instance reports 200 once the store is back\n${fleet.describe()}`,
    );
    await new Promise((r) => setTimeout(r, 300));
    const tally = await callers.stop();

    const why = `${JSON.stringify({ tally, notReadyAfterMs, readyAfterMs, counters: sim.state.counters(APPID) }, null, 1)}\n${fleet.describe()}`;
    for (const hub of hubs) expect(hub.alive, `instance ${hub.name} survived the outage\n${why}`).toBe(true);
    expect(tally.reads, why).toBeGreaterThan(50);
    expect(tally.hubErrors, why).toEqual({});
    expect(tally.business, why).toEqual({ ok: tally.reads });
    expect(readyAfterMs, why).toBeLessThan(RECOVERY_LIMIT_MS);
    // Nothing was refreshed while the store was away: no lease, no refresh.
    expect(tokenFetches(sim, APPID), why).toBe(fetchesBefore);
    for (const hub of hubs) {
      const lines = warnings(hub.stderr);
      expect(lines.filter((m) => HUB_OUTAGE_LINE.test(m)), `instance ${hub.name} logs the outage once\n${why}`).toHaveLength(1);
      const repeated = lines.filter((m, i) => lines.indexOf(m) !== i);
      expect(repeated, `instance ${hub.name} repeats no warning during the outage\n${why}`).toEqual([]);
    }

    // Fully recovered: a report on A refreshes once, and B and C adopt the new token through the store's events
    // (their subscriptions came back by themselves; the periodic re-read is a minute away).
    const replaced = await reportInvalid(a.url, APPID, key, held);
    expect(replaced.status, a.describe()).toBe(200);
    expect(replaced.token).not.toBe(held);
    expect(await sameTokenEverywhere(hubs, APPID, key, 2_000)).toBe(replaced.token);
    expect(tokenFetches(sim, APPID)).toBe(fetchesBefore + 1);
    expect(sim.state.counters(APPID).maxConcurrentTokenFetches).toBe(1);
  }, 60_000);
});
