import { afterEach, describe, expect, it } from 'vitest';
import type { Hub } from '../../src/core/hub.js';
import { COMPONENT, openPlatformHub } from '../support/open-platform-hub.js';

describe('Open Platform: an authorizer’s tickets', () => {
  const hubs: Hub[] = [];
  afterEach(async () => {
    for (const hub of hubs.splice(0)) await hub.stop();
  });

  it('are served, and a page signed, before anyone asked for the authorizer’s token (the token is tracked with them)', async () => {
    const { hub, fetcher, appids } = await openPlatformHub(2);
    hubs.push(hub);
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
