import { afterEach, describe, expect, it } from 'vitest';
import { systemClock, type Clock } from '../../src/util/clock.js';
import { Hub } from '../../src/core/hub.js';
import { createSecretBox } from '../../src/core/secret-box.js';
import { StoreClock } from '../../src/core/store-clock.js';
import { createWeChatFetcher } from '../../src/core/token-fetcher.js';
import { createSimulator } from '../../src/simulator/index.js';
import { openStore } from '../../src/stores/open-store.js';
import type { Store } from '../../src/stores/store.js';
import { distributedStores, requireStore, seedStore } from '../support/hub-process.js';
import { tokenFetches } from '../support/sim-counters.js';
import { APPID, MASTER_KEY, SECRET } from '../support/stack.js';

/**
 * Two hub instances on one Redis (one PostgreSQL) whose own clocks are 30 s ahead and 30 s behind, each aligned on
 * the store's clock by a StoreClock. Token lifetimes are compressed to 4 s, so a 30 s error would make the fast
 * instance see every token as long expired (and refetch without end) and the slow one serve dead tokens: the test
 * fails unless the alignment works. The simulator runs on the real clock, like WeChat and like the store.
 */
const TTL_S = 4;
const SKEW_MS = 30_000;
const TUNING = { referenceLifetimeMs: TTL_S * 1000, refreshLeadMs: 1_200, serveMarginMs: 400, leaseTtlMs: 3_000, healthCheckMs: 1_000 };
const RUN_MS = 3 * (TTL_S * 1000 - TUNING.refreshLeadMs) + 500;

/** The system clock shifted by `offsetMs`, as on a host whose NTP is broken. */
function skewedClock(offsetMs: number): Clock {
  return { now: () => systemClock.now() + offsetMs, setTimer: (fn, ms) => systemClock.setTimer(fn, ms) };
}

const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

describe.each(distributedStores())('instances with clocks skewed by ±30 s on $name', (target) => {
  it('never serve an expired token and never fetch twice for one lifetime', async (ctx) => {
    await requireStore(target, ctx.skip);
    const sim = createSimulator({ apps: [{ appid: APPID, secret: SECRET }], tokenTtlSeconds: TTL_S, graceSeconds: 2, latencyMs: 100 });
    const simUrl = await sim.listen({ host: '127.0.0.1', port: 0 });
    cleanups.push(() => sim.close());
    const { url: storeUrl, cleanup } = await target.isolatedUrl();
    cleanups.push(cleanup);
    await seedStore(storeUrl, { appid: APPID, secret: SECRET, grant: 'classic' });

    const startedAt = Date.now();
    const hubs: Array<{ skew: number; hub: Hub; clock: StoreClock }> = [];
    for (const skew of [SKEW_MS, -SKEW_MS]) {
      const base = skewedClock(skew);
      const store: Store = await openStore(storeUrl, { clock: base });
      cleanups.push(() => store.close());
      expect(store.time, `${target.name} stores expose their clock`).toBeTypeOf('function');
      const clock = new StoreClock(base, () => store.time!());
      await clock.start();
      cleanups.push(() => clock.stop());
      expect(Math.abs(clock.now() - Date.now()), 'the StoreClock reads the store\'s time, not the host\'s').toBeLessThan(100);
      const hub = new Hub({
        store,
        secrets: createSecretBox(MASTER_KEY),
        fetcher: createWeChatFetcher({ baseUrl: simUrl, clock, timeoutMs: 2_000 }),
        clock,
        ...TUNING,
      });
      await hub.start();
      cleanups.push(() => hub.stop());
      hubs.push({ skew, hub, clock });
    }

    // Callers on both instances: every token handed out must be live at WeChat, and the expiry the hub claims must
    // not be later than WeChat's.
    const problems: string[] = [];
    let reads = 0;
    const deadline = Date.now() + RUN_MS;
    const slot = () => sim.state.app(APPID)!.classic.view();
    await Promise.all(
      hubs.flatMap(({ skew, hub }) =>
        Array.from({ length: 3 }, async () => {
          while (Date.now() < deadline) {
            const issued = await hub.getAccessToken(APPID).catch((err: unknown) => err as Error);
            if (issued instanceof Error) {
              problems.push(`${skew} ms instance failed to serve: ${issued.message}`);
              await new Promise((r) => setTimeout(r, 100));
              continue;
            }
            const check = sim.state.checkToken(issued.token, ['classic']);
            const view = slot();
            const known = [view.current, view.previous].find((c) => c?.value === issued.token);
            reads++;
            if (!check.ok) problems.push(`${skew > 0 ? '+' : ''}${skew} ms instance served a dead token (errcode ${check.errcode})`);
            else if (known && issued.expiresAt > known.expiresAt) {
              problems.push(`${skew} ms instance claims expiry ${issued.expiresAt}, WeChat's is ${known.expiresAt}`);
            }
            await new Promise((r) => setTimeout(r, 15));
          }
        }),
      ),
    );
    const elapsedS = (Date.now() - startedAt) / 1000;

    const counters = sim.state.counters(APPID);
    const why = JSON.stringify({ problems: problems.slice(0, 10), reads, counters, offsets: hubs.map((h) => h.clock.offsetMs) }, null, 1);
    expect(reads, why).toBeGreaterThan(200);
    expect(problems, why).toEqual([]);
    expect(counters.maxConcurrentTokenFetches, why).toBe(1);
    const lifetimes = 1 + elapsedS / (TTL_S - TUNING.refreshLeadMs / 1000);
    const fetches = tokenFetches(sim, APPID);
    expect(fetches, why).toBeGreaterThanOrEqual(Math.floor(lifetimes) - 1);
    expect(fetches, why).toBeLessThanOrEqual(Math.ceil(lifetimes));
  }, 30_000);
});
