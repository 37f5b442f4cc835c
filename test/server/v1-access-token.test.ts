import { afterEach, describe, expect, it } from 'vitest';
import { ForbiddenError, QuotaExhaustedError, StoreUnavailableError, UpstreamUnavailableError } from '../../src/errors/index.js';
import { FAKE_TOKEN_LIFETIME_MS } from './fake-token-service.js';
import { APPID, OTHER_APPID, UNKNOWN_APPID, bearer, expectError, setup, type Harness } from './helpers.js';

describe('GET /v1/apps/:appid/access-token', () => {
  let h: Harness;
  afterEach(async () => h.app.close());

  it('returns the token with whole seconds left and an ISO expiry, uncacheable', async () => {
    h = await setup();
    const first = await h.app.inject({ method: 'GET', url: `/v1/apps/${APPID}/access-token`, headers: bearer(h.oneKey) });
    expect(first.statusCode).toBe(200);
    expect(first.headers['cache-control']).toBe('no-store');
    const expiresAt = h.clock.now() + FAKE_TOKEN_LIFETIME_MS;
    expect(first.json()).toEqual({ access_token: `fake-${APPID}-1`, expires_in: 7200, expires_at: new Date(expiresAt).toISOString() });

    await h.clock.advance(1_500); // 7198.5 s left → floor → 7198
    const second = await h.app.inject({ method: 'GET', url: `/v1/apps/${APPID}/access-token`, headers: bearer(h.oneKey) });
    expect(second.json()).toEqual({ access_token: `fake-${APPID}-1`, expires_in: 7198, expires_at: new Date(expiresAt).toISOString() });
  });

  it('answers from a token held in memory without a service call, with the same body and headers', async () => {
    h = await setup();
    const expiresAt = h.clock.now() + 60_000;
    const held = { token: 'held-token-0123', expiresAt };
    let asked = 0;
    Object.assign(h.service, { currentToken: (appid: string) => (appid === APPID ? held : undefined) });
    const getAccessToken = h.service.getAccessToken.bind(h.service);
    h.service.getAccessToken = (appid: string) => {
      asked++;
      return getAccessToken(appid);
    };
    const first = await h.app.inject({ url: `/v1/apps/${APPID}/access-token`, headers: bearer(h.oneKey) });
    expect(first.statusCode).toBe(200);
    expect(first.headers['cache-control']).toBe('no-store');
    expect(first.headers['content-type']).toBe('application/json; charset=utf-8');
    expect(first.json()).toEqual({ access_token: 'held-token-0123', expires_in: 60, expires_at: new Date(expiresAt).toISOString() });
    await h.clock.advance(1_500);
    const second = await h.app.inject({ url: `/v1/apps/${APPID}/access-token`, headers: bearer(h.oneKey) });
    expect(second.json()).toMatchObject({ access_token: 'held-token-0123', expires_in: 58 });
    expect(asked).toBe(0);
    // Authentication still comes first on the fast path.
    expectError(await h.app.inject({ url: `/v1/apps/${APPID}/access-token` }), 401, 'unauthorized');
  });

  it('accepts a key scoped to all apps and a lower-case scheme', async () => {
    h = await setup();
    const res = await h.app.inject({ url: `/v1/apps/${OTHER_APPID}/access-token`, headers: { authorization: `bearer ${h.allKey}` } });
    expect(res.statusCode).toBe(200);
    expect(res.json().access_token).toBe(`fake-${OTHER_APPID}-1`);
  });

  it('401 without a key, with a wrong scheme, with an unknown key', async () => {
    h = await setup();
    const url = `/v1/apps/${APPID}/access-token`;
    expectError(await h.app.inject({ url }), 401, 'unauthorized');
    expectError(await h.app.inject({ url, headers: { authorization: `Basic ${h.oneKey}` } }), 401, 'unauthorized');
    expectError(await h.app.inject({ url, headers: { authorization: 'Bearer ' } }), 401, 'unauthorized');
    expectError(await h.app.inject({ url, headers: bearer('wxt_not-a-real-key') }), 401, 'unauthorized');
    expect(h.service.calls.filter((c) => c.method === 'getAccessToken')).toHaveLength(0);
  });

  it('403 when the key is not scoped to the app', async () => {
    h = await setup();
    const err = expectError(await h.app.inject({ url: `/v1/apps/${OTHER_APPID}/access-token`, headers: bearer(h.oneKey) }), 403, 'forbidden');
    expect(err.message).toContain('one-app');
  });

  it('400 for a malformed appid, 404 for an unknown app', async () => {
    h = await setup();
    expectError(await h.app.inject({ url: '/v1/apps/not-an-appid/access-token', headers: bearer(h.allKey) }), 400, 'invalid_request');
    expectError(await h.app.inject({ url: '/v1/apps/WX0123456789ABCDEF/access-token', headers: bearer(h.allKey) }), 400, 'invalid_request');
    expectError(await h.app.inject({ url: `/v1/apps/${UNKNOWN_APPID}/access-token`, headers: bearer(h.allKey) }), 404, 'app_not_found');
  });

  it('maps hub failures to their status and code, with Retry-After when known', async () => {
    h = await setup();
    const url = `/v1/apps/${APPID}/access-token`;
    h.service.failNext(APPID, new UpstreamUnavailableError('WeChat unreachable', { retryAfterSeconds: 4.2 }));
    const res = await h.app.inject({ url, headers: bearer(h.oneKey) });
    expectError(res, 503, 'upstream_unavailable');
    expect(res.headers['retry-after']).toBe('5');

    h.service.failNext(APPID, new QuotaExhaustedError('quota used up', { retryAfterSeconds: 3600 }));
    const quota = await h.app.inject({ url, headers: bearer(h.oneKey) });
    expectError(quota, 503, 'quota_exhausted');
    expect(quota.headers['retry-after']).toBe('3600');

    h.service.failNext(APPID, new StoreUnavailableError('redis down'));
    const store = await h.app.inject({ url, headers: bearer(h.oneKey) });
    expectError(store, 503, 'store_unavailable');
    expect(store.headers['retry-after']).toBeUndefined();
  });

  it('500 internal_error for a non-WxTokenError, without its message', async () => {
    h = await setup();
    h.service.failNext(APPID, new TypeError('boom: internal detail') as unknown as ForbiddenError);
    const err = expectError(await h.app.inject({ url: `/v1/apps/${APPID}/access-token`, headers: bearer(h.oneKey) }), 500, 'internal_error');
    expect(err.message).not.toContain('boom');
  });
});

describe('POST /v1/apps/:appid/access-token/invalidate', () => {
  let h: Harness;
  afterEach(async () => h.app.close());

  it('refreshes when the reported token is current, and returns the current one when it is stale', async () => {
    h = await setup();
    const url = `/v1/apps/${APPID}/access-token/invalidate`;
    const current = (await h.app.inject({ url: `/v1/apps/${APPID}/access-token`, headers: bearer(h.oneKey) })).json().access_token;

    const fresh = await h.app.inject({ method: 'POST', url, headers: bearer(h.oneKey), payload: { access_token: current } });
    expect(fresh.statusCode).toBe(200);
    expect(fresh.headers['cache-control']).toBe('no-store');
    expect(fresh.json()).toMatchObject({ access_token: `fake-${APPID}-2`, expires_in: 7200 });
    expect(typeof fresh.json().expires_at).toBe('string');

    const stale = await h.app.inject({ method: 'POST', url, headers: bearer(h.oneKey), payload: { access_token: current } });
    expect(stale.json().access_token).toBe(`fake-${APPID}-2`);
    expect(h.service.calls.filter((c) => c.method === 'invalidate').map((c) => c.args)).toEqual([
      [APPID, current],
      [APPID, current],
    ]);
  });

  it('checks the key before the body, then validates the body', async () => {
    h = await setup();
    const url = `/v1/apps/${APPID}/access-token/invalidate`;
    expectError(await h.app.inject({ method: 'POST', url, payload: '{not json', headers: { 'content-type': 'application/json' } }), 401, 'unauthorized');
    expectError(await h.app.inject({ method: 'POST', url: `/v1/apps/${OTHER_APPID}/access-token/invalidate`, headers: bearer(h.oneKey), payload: { access_token: 'x' } }), 403, 'forbidden');
    expectError(await h.app.inject({ method: 'POST', url, headers: bearer(h.oneKey), payload: {} }), 400, 'invalid_request');
    expectError(await h.app.inject({ method: 'POST', url, headers: bearer(h.oneKey), payload: { access_token: 42 } }), 400, 'invalid_request');
    expectError(await h.app.inject({ method: 'POST', url, headers: bearer(h.oneKey) }), 400, 'invalid_request');
    expectError(
      await h.app.inject({ method: 'POST', url, headers: { ...bearer(h.oneKey), 'content-type': 'application/json' }, payload: '{"access_token":' }),
      400,
      'invalid_request',
    );
    expectError(
      await h.app.inject({ method: 'POST', url, headers: { ...bearer(h.oneKey), 'content-type': 'text/plain' }, payload: 'access_token=x' }),
      400,
      'invalid_request',
    );
    expectError(
      await h.app.inject({ method: 'POST', url, headers: { ...bearer(h.oneKey), 'content-type': 'application/x-www-form-urlencoded' }, payload: 'access_token=x' }),
      400,
      'invalid_request',
    );
    expect(h.service.calls.filter((c) => c.method === 'invalidate')).toHaveLength(0);
  });

  it('404 for an unknown app', async () => {
    h = await setup();
    expectError(
      await h.app.inject({ method: 'POST', url: `/v1/apps/${UNKNOWN_APPID}/access-token/invalidate`, headers: bearer(h.allKey), payload: { access_token: 'x' } }),
      404,
      'app_not_found',
    );
  });
});
