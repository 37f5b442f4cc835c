// Issue 11: SDKs that take their token from the hub's compatible endpoint but call WeChat directly. When WeChat
// rejects their token (killed elsewhere), they come back early; the hub verifies the token once (getcallbackip),
// finds it dead, invalidates it and hands out the replacement. The expires_in it hands out ends at its own
// refresh time.
import { afterEach, describe, expect, it } from 'vitest';
import { TOKEN_CHECK_PATH } from '../../src/server/compat/token-verifier.js';
import { APPID, SECRET, startSimulator } from '../support/stack.js';
import { hardRotation, startLiveHub, type LiveHub } from './healing-support.js';

const TOKEN_QUERY = `grant_type=client_credential&appid=${APPID}&secret=${SECRET}`;

describe('the compatible token endpoint, for SDKs that call WeChat directly', () => {
  const cleanups: Array<() => Promise<void>> = [];
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });

  async function stack(): Promise<{ simUrl: string; live: LiveHub; checks: () => number }> {
    const { sim, url: simUrl } = await startSimulator({ tokenTtlSeconds: 3_600 });
    cleanups.push(() => sim.close());
    let checks = 0;
    const counting: typeof fetch = (input, init) => {
      if (new URL(String(input)).pathname === TOKEN_CHECK_PATH) checks++;
      return fetch(input, init);
    };
    const live = await startLiveHub('memory:', simUrl, { fetch: counting, tokenCheckIntervalMs: 60_000 });
    cleanups.push(() => live.close());
    await live.hub.putApp(APPID, { secret: SECRET, grant: 'classic' });
    return { simUrl, live, checks: () => checks };
  }

  async function sdkToken(live: LiveHub): Promise<{ access_token: string; expires_in: number }> {
    return (await (await fetch(`${live.url}/cgi-bin/token?${TOKEN_QUERY}`)).json()) as { access_token: string; expires_in: number };
  }

  async function direct(simUrl: string, token: string): Promise<number | 'ok'> {
    const body = (await (await fetch(`${simUrl}/cgi-bin/getcallbackip?access_token=${encodeURIComponent(token)}`)).json()) as { errcode?: number };
    return body.errcode ?? 'ok';
  }

  it('hands out an expires_in that ends at the hub\'s own refresh time', async () => {
    const { live } = await stack();
    const before = Date.now();
    const { access_token: token, expires_in: expiresIn } = await sdkToken(live);
    const after = Date.now();
    const refreshAt = live.hub.tokenRefreshAt(APPID)!;
    const held = live.hub.currentToken(APPID)!;
    expect(held.token).toBe(token);
    // Earlier than the serving window, which the SDK would otherwise hold the token to.
    expect(refreshAt).toBeLessThan(held.expiresAt);
    expect(expiresIn * 1000).toBeLessThanOrEqual(refreshAt - before);
    expect(expiresIn * 1000).toBeGreaterThan(refreshAt - after - 1_000);
  });

  it('an early re-request after a rotation elsewhere: one verification, one refresh, a working token', async () => {
    const { simUrl, live, checks } = await stack();
    const first = (await sdkToken(live)).access_token;
    expect(await direct(simUrl, first)).toBe('ok');
    expect(checks()).toBe(0);
    const refreshesBefore = live.refreshes.length;

    await hardRotation(simUrl, APPID);
    expect(await direct(simUrl, first)).toBe(40001);
    // The SDK comes back at once, as SDKs do after a 40001; so do its siblings on the same host.
    const again = await Promise.all(Array.from({ length: 20 }, () => sdkToken(live)));
    const replacement = again[0]!.access_token;
    expect(replacement).not.toBe(first);
    expect(new Set(again.map((a) => a.access_token))).toEqual(new Set([replacement]));
    expect(await direct(simUrl, replacement)).toBe('ok');
    expect(checks()).toBe(1);
    expect(live.refreshes.length - refreshesBefore).toBe(1);

    // More early re-requests within the interval cost nothing.
    for (let i = 0; i < 5; i++) expect((await sdkToken(live)).access_token).toBe(replacement);
    expect(checks()).toBe(1);
  });

  it('verification finds a live token alive: the same token, no refresh', async () => {
    const { live, checks } = await stack();
    const first = (await sdkToken(live)).access_token;
    const refreshesBefore = live.refreshes.length;
    expect((await sdkToken(live)).access_token).toBe(first);
    expect(checks()).toBe(1);
    expect(live.refreshes.length).toBe(refreshesBefore);
  });
});
