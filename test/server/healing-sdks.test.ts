// Issue 11: unchanged SDKs, pointed at the hub by base URL only, recover when a token is rotated from elsewhere
// mid-run: the passthrough invalidates the rejected token (one refresh however many calls report it) and replays
// each rejected call once, so no business call fails. Through one hub on SQLite and three hubs on Redis.
import { afterEach, describe, expect, it } from 'vitest';
import type { Simulator } from '../../src/simulator/index.js';
import { dropRedisPrefix, randomRedisPrefix, requireRedis, SHARED_REDIS_URL } from '../support/services.js';
import { APPID, SECRET, startSimulator, tempDir } from '../support/stack.js';
import { hardRotation, runCallers, SDKS, startLiveHub, type LiveHub } from './healing-support.js';

// Long enough that no scheduled refresh falls inside a run: every refresh counted is the rotation's.
const SIM = { tokenTtlSeconds: 3_600 };
const PROCESSES = 3;

describe.each(SDKS)('$name through the hub, with a hard rotation from elsewhere mid-run', (sdk) => {
  const cleanups: Array<() => Promise<void>> = [];
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });

  async function scenario(sim: Simulator, simUrl: string, hubs: readonly LiveHub[]): Promise<void> {
    await hubs[0]!.hub.putApp(APPID, { secret: SECRET, grant: 'classic' });
    await hubs[0]!.hub.getAccessToken(APPID);
    // Every instance holds the first token before the run starts.
    for (const live of hubs) await live.hub.getAccessToken(APPID);
    const before = hubs.map((live) => live.refreshes.length);
    const callers = Array.from({ length: PROCESSES }, (_, i) => sdk.make(hubs[i % hubs.length]!.url, APPID, SECRET));
    let okAtRotation = 0;
    const result = await runCallers(callers, async () => {
      await waitForCalls(sim, 30);
      okAtRotation = sim.state.counters(APPID).businessCalls['ok'] ?? 0;
      await hardRotation(simUrl, APPID);
      // Run on until well after the rotation: every caller has met the dead token and gone on.
      await waitForCalls(sim, okAtRotation + 60);
    });
    const counters = sim.state.counters(APPID);
    const refreshes = hubs.reduce((sum, live, i) => sum + live.refreshes.length - before[i]!, 0);
    const why = JSON.stringify({ failed: result.failed.slice(0, 5), business: counters.businessCalls, refreshes });
    expect(result.failed, why).toEqual([]);
    expect(result.ok, why).toBeGreaterThan(0);
    expect(refreshes, why).toBe(1);
    // WeChat saw at most one 40001 per call in flight at the rotation, per caller.
    expect(counters.businessCalls['40001'] ?? 0, why).toBeGreaterThan(0);
    expect(counters.businessCalls['40001'] ?? 0, why).toBeLessThanOrEqual(PROCESSES * 2);
  }

  it('one hub on SQLite: zero failed business calls, one refresh', async () => {
    const { sim, url: simUrl } = await startSimulator(SIM);
    cleanups.push(() => sim.close());
    const dir = await tempDir();
    cleanups.push(dir.cleanup);
    const live = await startLiveHub(`sqlite:${dir.dir}/hub.db`, simUrl);
    cleanups.push(() => live.close());
    await scenario(sim, simUrl, [live]);
  });

  it('three hubs on Redis: zero failed business calls, one refresh', async (ctx) => {
    const redis = await requireRedis();
    if (!redis.available) return ctx.skip();
    const { sim, url: simUrl } = await startSimulator(SIM);
    cleanups.push(() => sim.close());
    const prefix = randomRedisPrefix();
    cleanups.push(() => dropRedisPrefix(SHARED_REDIS_URL, prefix));
    const hubs: LiveHub[] = [];
    for (let i = 0; i < 3; i++) {
      const live = await startLiveHub(`${SHARED_REDIS_URL}?prefix=${prefix}`, simUrl);
      cleanups.push(() => live.close());
      hubs.push(live);
    }
    await scenario(sim, simUrl, hubs);
  });
});

/** Resolves once the simulator has answered `count` business calls successfully (polled; no time asserted). */
async function waitForCalls(sim: Simulator, count: number): Promise<void> {
  const deadline = Date.now() + 20_000;
  while ((sim.state.counters(APPID).businessCalls['ok'] ?? 0) < count) {
    if (Date.now() > deadline) throw new Error(`only ${sim.state.counters(APPID).businessCalls['ok'] ?? 0} business calls succeeded, waited for ${count}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}
