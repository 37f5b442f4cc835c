import { afterEach, describe, expect, it } from 'vitest';
import type { Hub } from '../../src/core/hub.js';
import { COMPONENT, openPlatformHub } from '../support/open-platform-hub.js';

const N = 5_000;
const LIMIT = 16;

/**
 * 5,000 authorizers on one hub over 3 token lifetimes on a manual clock: about one api_authorizer_token call per
 * authorizer per lifetime, never more than the configured number in flight, and every token served accepted by
 * (the fake) WeChat when used at once. (Idle authorizers: idle-authorizers.test.ts.)
 */
describe('Open Platform at scale', () => {
  const hubs: Hub[] = [];
  afterEach(async () => {
    for (const hub of hubs.splice(0)) await hub.stop();
  });

  it(`${N} authorizers: ≈1 fetch per authorizer per lifetime, at most ${LIMIT} in flight, no 40001/42001`, async () => {
    const { hub, clock, fetcher, appids } = await openPlatformHub(N, { hub: { authorizerConcurrency: LIMIT } });
    hubs.push(hub);

    // Every authorizer is used at once (a restart under load): reads wait for a bounded number of calls.
    const tokens = await Promise.all(appids.map((appid) => hub.open.authorizerToken(COMPONENT, appid)));
    expect(new Set(tokens.map((t) => t.token)).size).toBe(N);
    expect(fetcher.authorizerMaxInFlight).toBeLessThanOrEqual(LIMIT);
    expect(fetcher.authorizerMaxInFlight).toBeGreaterThan(1);

    const failures: Record<string, number> = {};
    const lifetime = fetcher.lifetimeMs;
    // Three lifetimes in steps of a tenth; at each step every authorizer's served token is used on a business call.
    for (let step = 0; step < 30; step++) {
      await clock.advance(lifetime / 10);
      for (const appid of appids) {
        const { token } = await hub.open.authorizerToken(COMPONENT, appid);
        const verdict = fetcher.judge(appid, token);
        if (verdict !== 'ok') failures[verdict] = (failures[verdict] ?? 0) + 1;
      }
    }
    expect(failures).toEqual({});
    const perAuthorizer = appids.map((appid) => fetcher.authorizerCalls.get(appid) ?? 0);
    // One fetch at the start and one per lifetime after: 4 over 3 lifetimes, never more.
    expect(Math.max(...perAuthorizer)).toBeLessThanOrEqual(4);
    expect(Math.min(...perAuthorizer)).toBeGreaterThanOrEqual(3);
    expect(fetcher.authorizerMaxInFlight).toBeLessThanOrEqual(LIMIT);
    expect(fetcher.componentTokenCalls).toBeLessThanOrEqual(4);
  }, 120_000);
});
