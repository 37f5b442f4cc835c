import { afterEach, describe, expect, it } from 'vitest';
import type { Hub } from '../../src/core/hub.js';
import { AUTHORIZER_IDLE_AFTER_LIFETIMES } from '../../src/core/kinds/authorizer-token.js';
import { COMPONENT, openPlatformHub } from '../support/open-platform-hub.js';

const N = 200;
const LIMIT = 16;

/**
 * Authorizers are refreshed before expiry while used in the last 24 h (12 lifetimes of a 2 h token) and on demand
 * after that (../shared/wechat-open-platform.md §7.3 item 3): over 15 lifetimes, half of 200 authorizers in use,
 * half idle after their first read.
 */
describe('Open Platform: idle authorizers', () => {
  const hubs: Hub[] = [];
  afterEach(async () => {
    for (const hub of hubs.splice(0)) await hub.stop();
  });

  it('are refreshed for 24 h after their last use, then not at all until a caller comes back, who waits for one call', async () => {
    const { hub, clock, fetcher, appids } = await openPlatformHub(N, { hub: { authorizerConcurrency: LIMIT } });
    hubs.push(hub);
    await Promise.all(appids.map((appid) => hub.open.authorizerToken(COMPONENT, appid)));
    const active = appids.slice(0, N / 2);
    const idle = appids.slice(N / 2);
    const failures: string[] = [];
    const lifetime = fetcher.lifetimeMs;
    const LIFETIMES = AUTHORIZER_IDLE_AFTER_LIFETIMES + 3;
    for (let step = 0; step < LIFETIMES * 2; step++) {
      await clock.advance(lifetime / 2);
      for (const appid of active) {
        const verdict = fetcher.judge(appid, (await hub.open.authorizerToken(COMPONENT, appid)).token);
        if (verdict !== 'ok') failures.push(`${appid}: ${verdict}`);
      }
    }
    expect(failures).toEqual([]);
    const callsOf = (list: string[]): number[] => list.map((appid) => fetcher.authorizerCalls.get(appid) ?? 0);
    // In use: the first fetch and one per lifetime (15 lifetimes, the last refresh maybe not yet due).
    expect(Math.min(...callsOf(active))).toBeGreaterThanOrEqual(LIFETIMES);
    expect(Math.max(...callsOf(active))).toBeLessThanOrEqual(LIFETIMES + 1);
    // Idle: the first fetch and one per lifetime for the 12 lifetimes after the last use, none in the last 3.
    expect(new Set(callsOf(idle))).toEqual(new Set([1 + AUTHORIZER_IDLE_AFTER_LIFETIMES]));
    const states = hub.listCredentials().filter((s) => s.kind === 'authorizer_token');
    expect(states.filter((s) => s.state === 'idle')).toHaveLength(idle.length);
    expect(states.filter((s) => s.state === 'idle').every((s) => s.nextAttemptAt === null)).toBe(true);
    // They come back all at once: one fetch each, on demand, bounded in flight, every token good.
    const before = callsOf(idle);
    const again = await Promise.all(idle.map((appid) => hub.open.authorizerToken(COMPONENT, appid)));
    again.forEach((t, i) => expect(fetcher.judge(idle[i]!, t.token)).toBe('ok'));
    expect(callsOf(idle).map((n, i) => n - before[i]!)).toEqual(idle.map(() => 1));
    expect(fetcher.authorizerMaxInFlight).toBeLessThanOrEqual(LIMIT);
  }, 60_000);
});
