import { afterEach, describe, expect, it } from 'vitest';
import { APP, hubHarness } from '../support/hub-harness.js';

const h = hubHarness();
afterEach(() => h.stopAll());

describe('Hub.quotaUsage', () => {
  it("counts today's stable-token force refreshes against the daily limit, from the shared record", async () => {
    const { hub, clock } = await h.setup({ grant: 'stable', forceDailyLimit: 20, forceSpacingMs: 1_000 });
    await hub.getAccessToken(APP);
    expect(hub.quotaUsage()).toEqual([]);
    await hub.refresh(APP);
    await clock.advance(1_000);
    await hub.refresh(APP);
    expect(hub.quotaUsage()).toEqual([{ appid: APP, api: 'stable_token_force', used: 2, limit: 20 }]);
    // A new day in Beijing: yesterday's count no longer counts.
    await clock.advance(24 * 3_600_000);
    expect(hub.quotaUsage()).toEqual([]);
  });

  it('has nothing for a classic-grant app, whose refreshes spend no force allowance', async () => {
    const { hub } = await h.setup({ grant: 'classic' });
    await hub.refresh(APP);
    expect(hub.quotaUsage()).toEqual([]);
  });
});
