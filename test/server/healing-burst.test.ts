// Issue 11: a burst of calls carrying the same dead token. The hub invalidates it by comparison (one refresh for
// all of them) and replays each call once at most; every caller gets WeChat's real answer.
import { afterEach, describe, expect, it } from 'vitest';
import { APPID, SECRET, startSimulator } from '../support/stack.js';
import { hardRotation, startLiveHub } from './healing-support.js';

const BURST = 200;

describe('a burst of passthrough calls with the same dead token', () => {
  const cleanups: Array<() => Promise<void>> = [];
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });

  it(`${BURST} concurrent calls: one refresh, each call replayed at most once, all answered`, async () => {
    const { sim, url: simUrl } = await startSimulator({ tokenTtlSeconds: 3_600 });
    cleanups.push(() => sim.close());
    // Every call the hub forwards, by the caller's tag `n`.
    const attempts = new Map<string, number>();
    const counting: typeof fetch = (input, init) => {
      const n = new URL(String(input)).searchParams.get('n');
      if (n !== null) attempts.set(n, (attempts.get(n) ?? 0) + 1);
      return fetch(input, init);
    };
    const live = await startLiveHub('memory:', simUrl, { fetch: counting });
    cleanups.push(() => live.close());
    await live.hub.putApp(APPID, { secret: SECRET, grant: 'classic' });
    const dead = (await live.hub.getAccessToken(APPID)).token;
    await hardRotation(simUrl, APPID);
    const refreshesBefore = live.refreshes.length;

    const answers = await Promise.all(
      Array.from({ length: BURST }, async (_, n) => {
        const res = await fetch(`${live.url}/cgi-bin/getcallbackip?access_token=${encodeURIComponent(dead)}&n=${n}`);
        return { status: res.status, body: (await res.json()) as { ip_list?: unknown; errcode?: number } };
      }),
    );

    const counters = sim.state.counters(APPID);
    const why = JSON.stringify({ business: counters.businessCalls, refreshes: live.refreshes.slice(refreshesBefore) });
    expect(answers.filter((a) => a.status !== 200 || !Array.isArray(a.body.ip_list)), why).toEqual([]);
    expect(live.refreshes.length - refreshesBefore, why).toBe(1);
    expect(live.refreshes.at(-1)?.reason, why).toBe('invalidated');
    expect(attempts.size).toBe(BURST);
    expect(Math.max(...attempts.values()), why).toBeLessThanOrEqual(2);
    // WeChat rejected each call at most once and accepted every call in the end.
    expect(counters.businessCalls['40001'] ?? 0, why).toBeLessThanOrEqual(BURST);
    expect(counters.businessCalls['ok'], why).toBe(BURST);
    const replays = [...attempts.values()].filter((count) => count === 2).length;
    expect(replays, why).toBe(counters.businessCalls['40001']);
  });
});
