import { afterEach, describe, expect, it } from 'vitest';
import type { Hub } from '../../src/core/hub.js';
import { COMPONENT, openPlatformHub } from '../support/open-platform-hub.js';

const N = 5_000;
const LIMIT = 16;

/**
 * 5,000 authorizers on one hub over 3 token lifetimes on a manual clock: about one api_authorizer_token call per
 * authorizer in use per lifetime, none for idle ones until a caller asks again, never more than the configured
 * number in flight, and every token served accepted by (the fake) WeChat when used at once.
 */
describe('Open Platform at scale', () => {
  const hubs: Hub[] = [];
  afterEach(async () => {
    for (const hub of hubs.splice(0)) await hub.stop();
  });

  it(`${N} authorizers: ≈1 fetch per authorizer in use per lifetime, idle ones on demand, at most ${LIMIT} in flight, no 40001/42001`, async () => {
    const { hub, clock, fetcher, appids } = await openPlatformHub(N, { hub: { authorizerConcurrency: LIMIT } });
    hubs.push(hub);

    // Every authorizer is used at once (a restart under load): reads wait for a bounded number of calls.
    const tokens = await Promise.all(appids.map((appid) => hub.open.authorizerToken(COMPONENT, appid)));
    expect(new Set(tokens.map((t) => t.token)).size).toBe(N);
    expect(fetcher.authorizerMaxInFlight).toBeLessThanOrEqual(LIMIT);
    expect(fetcher.authorizerMaxInFlight).toBeGreaterThan(1);

    const failures: Record<string, number> = {};
    const use = (appid: string, token: string): void => {
      const verdict = fetcher.judge(appid, token);
      if (verdict !== 'ok') failures[verdict] = (failures[verdict] ?? 0) + 1;
    };
    const lifetime = fetcher.lifetimeMs;
    // Half the authorizers stay in use, the other half go idle after the first read.
    const active = appids.slice(0, N / 2);
    const idle = appids.slice(N / 2);
    // Three lifetimes in steps of a tenth; at each step every active authorizer's served token is used on a business call.
    for (let step = 0; step < 30; step++) {
      await clock.advance(lifetime / 10);
      for (const appid of active) use(appid, (await hub.open.authorizerToken(COMPONENT, appid)).token);
    }
    expect(failures).toEqual({});
    const callsOf = (list: string[]): number[] => list.map((appid) => fetcher.authorizerCalls.get(appid) ?? 0);
    // Active: one fetch at the start and one per lifetime after, 4 over 3 lifetimes, never more.
    expect(Math.max(...callsOf(active))).toBeLessThanOrEqual(4);
    expect(Math.min(...callsOf(active))).toBeGreaterThanOrEqual(3);
    // Idle: the first fetch and one refresh of the value last served (its caller may still hold it), nothing since.
    expect(Math.max(...callsOf(idle))).toBeLessThanOrEqual(2);
    const states = hub.listCredentials();
    const idleStates = states.filter((s) => s.kind === 'authorizer_token' && s.state === 'idle').length;
    expect(idleStates).toBe(idle.length);
    // They come back all at once: one fetch each, on demand, bounded in flight, every token good.
    const before = callsOf(idle);
    const tokens2 = await Promise.all(idle.map((appid) => hub.open.authorizerToken(COMPONENT, appid)));
    tokens2.forEach((t, i) => use(idle[i]!, t.token));
    expect(failures).toEqual({});
    expect(callsOf(idle).map((n, i) => n - before[i]!)).toEqual(idle.map(() => 1));
    expect(fetcher.authorizerMaxInFlight).toBeLessThanOrEqual(LIMIT);
    expect(fetcher.componentTokenCalls).toBeLessThanOrEqual(4);
  }, 120_000);
});
