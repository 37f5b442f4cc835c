import { afterEach, describe, expect, it } from 'vitest';
import { Hub } from '../../src/core/hub.js';
import { ManualClock } from '../../src/util/clock.js';
import { FakeComponentFetcher } from '../support/fake-component-fetcher.js';
import { testSealer } from '../support/hub-harness.js';
import { createTestStore } from '../support/test-store.js';

const COMPONENT = 'wxc0000000000000c1';
const AES_KEY = 'abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG';

describe('Open Platform: an authorizer’s tickets', () => {
  const hubs: Hub[] = [];
  afterEach(async () => {
    for (const hub of hubs.splice(0)) await hub.stop();
  });

  async function setup(): Promise<{ hub: Hub; fetcher: FakeComponentFetcher; appids: string[] }> {
    const clock = new ManualClock(Date.UTC(2026, 5, 1));
    const fetcher = new FakeComponentFetcher(clock);
    const store = await createTestStore(clock);
    const hub = new Hub({ store, secrets: testSealer, fetcher, clock, random: Math.random, healthCheckMs: 3_600_000, resyncIntervalMs: 3_600_000 });
    hubs.push(hub);
    await hub.start();
    await hub.open.putComponent(COMPONENT, { secret: 'component-secret', messageToken: 'tok123', aesKey: AES_KEY });
    await hub.open.verifyTickets.offer(COMPONENT, { ticket: 'ticket@@@1', createdAt: clock.now(), receivedAt: clock.now() });
    const appids = fetcher.authorize(2);
    await hub.open.reconcile(COMPONENT);
    return { hub, fetcher, appids };
  }

  it('are served, and a page signed, before anyone asked for the authorizer’s token (the token is tracked with them)', async () => {
    const { hub, fetcher, appids } = await setup();
    const appid = appids[0]!;
    const ticket = await hub.open.authorizerTicket(COMPONENT, appid, 'jsapi');
    expect(ticket.token).toMatch(/^tkt-/);
    const config = await hub.open.signJsSdkConfig(COMPONENT, appid, 'https://example.com/page');
    expect(config).toMatchObject({ appId: appid, signature: expect.stringMatching(/^[0-9a-f]{40}$/) });
    // One authorizer token and one getticket, fetched with that token; the token is then served without a call.
    expect(fetcher.authorizerCalls.get(appid)).toBe(1);
    expect(fetcher.ticketCalls).toHaveLength(1);
    const token = await hub.open.authorizerToken(COMPONENT, appid);
    expect(fetcher.ticketCalls[0]!.accessToken).toBe(token.token);
    expect(fetcher.authorizerCalls.get(appid)).toBe(1);
  });
});
