import { afterEach, describe, expect, it } from 'vitest';
import type { Hub } from '../../src/core/hub.js';
import { UpstreamUnavailableError } from '../../src/errors/index.js';
import { wechatError } from '../../src/wechat/errcodes.js';
import { callReporting, COMPONENT, openPlatformHub } from '../support/open-platform-hub.js';

const N = 200;

/**
 * While the component token cannot be obtained, its authorizers pause: no api_authorizer_token call, no failure
 * recorded or written per authorizer (one problem, not N), and callers are told the component's reason. Once the
 * component token is back, they are served again.
 */
describe('Open Platform: a component token outage pauses its authorizers', () => {
  const hubs: Hub[] = [];
  afterEach(async () => {
    for (const hub of hubs.splice(0)) await hub.stop();
  });

  it(`${N} authorizers make no call and write nothing while their component token fails, and say why`, async () => {
    let authorizerWrites = 0;
    let authorizerOps = 0;
    const { hub, clock, fetcher, appids } = await openPlatformHub(N, {
      store: (inner) =>
        callReporting(inner, (name, args) => {
          if (name === 'putCredential' && (args[0] as { key: string }).key.endsWith(':authorizer_token')) authorizerWrites++;
          // Reads and leases of authorizer tokens: a paused authorizer does not even look (5,000 would, every 2 s).
          if ((name === 'getCredential' || name === 'acquireLease') && String(args[0]).endsWith(':authorizer_token')) authorizerOps++;
        }),
    });
    hubs.push(hub);
    // The authorizers' tokens are fetched half a life after the component's, so they fall due once it has expired.
    await clock.advance(fetcher.lifetimeMs / 2);
    await Promise.all(appids.map((appid) => hub.open.authorizerToken(COMPONENT, appid)));
    const callsBefore = [...fetcher.authorizerCalls.values()].reduce((a, b) => a + b, 0);
    expect(callsBefore).toBe(N);

    // WeChat refuses the component token from now on (a transient outage: retried with backoff).
    fetcher.componentTokenError = wechatError(-1, 'system error', '/cgi-bin/component/api_component_token', 'token');
    authorizerWrites = 0;
    authorizerOps = 0;
    // Past the expiry of every token: the component's refreshes fail (it expires at half the time); its authorizers'
    // refreshes then wait for it.
    await clock.advance(fetcher.lifetimeMs + 10 * 60_000);
    expect([...fetcher.authorizerCalls.values()].reduce((a, b) => a + b, 0)).toBe(callsBefore);
    expect(authorizerWrites).toBe(0);
    // At most one look each (0 measured): a paused authorizer waits for a moment after the component's retry.
    expect(authorizerOps).toBeLessThanOrEqual(N);
    const states = hub.listCredentials().filter((s) => s.kind === 'authorizer_token');
    expect(states.filter((s) => s.state === 'retrying' || s.state === 'failed')).toEqual([]);
    // A caller hears why: the component token, and WeChat's answer to it.
    const refused = await hub.open.authorizerToken(COMPONENT, appids[0]!).catch((err: unknown) => err);
    expect(refused).toBeInstanceOf(UpstreamUnavailableError);
    expect((refused as Error).message).toMatch(/component_token of component wxc0000000000000c1/);
    expect((refused as Error).message).toMatch(/system error/);
    expect(authorizerWrites).toBe(0);

    // The component token is back: after its next retry the authorizers are served again, one call each.
    fetcher.componentTokenError = undefined;
    await clock.advance(2 * 60_000);
    const tokens = await Promise.all(appids.map((appid) => hub.open.authorizerToken(COMPONENT, appid)));
    for (const [i, t] of tokens.entries()) expect(fetcher.judge(appids[i]!, t.token)).toBe('ok');
    expect(Math.max(...appids.map((a) => fetcher.authorizerCalls.get(a) ?? 0))).toBeLessThanOrEqual(2);
  });

  it('resume as soon as the component token is back (an operator fixed its secret), without waiting for their own retry', async () => {
    const { hub, clock, fetcher, appids } = await openPlatformHub(20);
    hubs.push(hub);
    await clock.advance(fetcher.lifetimeMs / 2);
    await Promise.all(appids.map((appid) => hub.open.authorizerToken(COMPONENT, appid)));
    // The component secret is refused: no automatic retry of the component token, its authorizers pause.
    fetcher.componentTokenError = wechatError(40125, 'invalid appsecret', '/cgi-bin/component/api_component_token', 'token');
    await clock.advance(fetcher.lifetimeMs + 10 * 60_000);
    expect(hub.listCredentials().filter((s) => s.kind === 'authorizer_token' && s.state === 'ok')).toEqual([]);
    // The operator registers the right secret: the component token is fetched, and its authorizers follow at once.
    fetcher.componentTokenError = undefined;
    await hub.open.putComponent(COMPONENT, { secret: 'component-secret-2', messageToken: 'tok123', aesKey: 'abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG' });
    await clock.advance(5_000);
    const states = hub.listCredentials().filter((s) => s.kind === 'authorizer_token');
    expect(states.map((s) => s.state)).toEqual(appids.map(() => 'ok'));
  });
});
