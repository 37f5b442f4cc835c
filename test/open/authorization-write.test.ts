import { afterEach, describe, expect, it } from 'vitest';
import type { Hub } from '../../src/core/hub.js';
import { StoreUnavailableError } from '../../src/errors/index.js';
import type { PrincipalRecord, Store } from '../../src/stores/store.js';
import { COMPONENT, openPlatformHub } from '../support/open-platform-hub.js';

const APPID = 'wxa00000000000000a';

/**
 * api_query_auth spends the code: an authorization whose write fails is not lost. The write is tried again, and if
 * the store still refuses, reconciliation with the authorizer list (where WeChat keeps the refresh token) is retried
 * until it records the authorizer.
 */
describe('Open Platform: recording an exchanged authorization', () => {
  const hubs: Hub[] = [];
  afterEach(async () => {
    for (const hub of hubs.splice(0)) await hub.stop();
  });

  async function setup(): Promise<Awaited<ReturnType<typeof openPlatformHub>> & { failWrites: (n: number) => void }> {
    let failing = 0;
    const opened = await openPlatformHub(0, {
      store: (inner) =>
        new Proxy(inner, {
          get(target, name) {
            const value: unknown = Reflect.get(target, name);
            if (name === 'putPrincipal') {
              return async (p: PrincipalRecord, ifUnchanged?: PrincipalRecord | null) => {
                if (p.id.endsWith(`/${APPID}`) && failing > 0) {
                  failing--;
                  throw new StoreUnavailableError('test: the store refused the write');
                }
                return (value as Store['putPrincipal']).call(target, p, ifUnchanged);
              };
            }
            return typeof value === 'function' ? value.bind(target) : value;
          },
        }),
    });
    hubs.push(opened.hub);
    opened.fetcher.codes.set('code@@@1', { authorizerAppid: APPID, refreshToken: 'refreshtoken@@@a' });
    return { ...opened, failWrites: (n) => (failing = n) };
  }

  it('tries a failed write again', async () => {
    const { hub, failWrites } = await setup();
    failWrites(2);
    expect(await hub.open.exchangeAuthCode(COMPONENT, 'code@@@1', 'event')).toEqual({ exchanged: true, authorizerAppid: APPID });
    expect((await hub.open.listAuthorizers({ status: 'active' })).authorizers.map((a) => a.authorizerAppid)).toEqual([APPID]);
  });

  it('leaves a write that keeps failing to reconciliation, which records the authorizer from the list once the store is back', async () => {
    const { hub, clock, fetcher, failWrites } = await setup();
    failWrites(3);
    await expect(hub.open.exchangeAuthCode(COMPONENT, 'code@@@1', 'event')).rejects.toThrow(StoreUnavailableError);
    // The code is spent: another delivery of it cannot exchange it again, but learns the authorizer WeChat named.
    expect(await hub.open.exchangeAuthCode(COMPONENT, 'code@@@1', 'redirect')).toEqual({ exchanged: false });
    expect(await hub.open.authorizationOutcome(COMPONENT, 'code@@@1', 0)).toMatchObject({ authorizerAppid: APPID });
    expect((await hub.open.listAuthorizers()).total).toBe(0);
    const lists = fetcher.listCalls;
    await clock.advance(61_000);
    expect(fetcher.listCalls).toBeGreaterThan(lists);
    expect((await hub.open.listAuthorizers({ status: 'active' })).authorizers.map((a) => a.authorizerAppid)).toEqual([APPID]);
    const { token } = await hub.open.authorizerToken(COMPONENT, APPID);
    expect(fetcher.judge(APPID, token)).toBe('ok');
  });
});
