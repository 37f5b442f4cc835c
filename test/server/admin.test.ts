import { afterEach, describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/util/clock.js';
import { createServer } from '../../src/server/index.js';
import { FakeTokenService } from './fake-token-service.js';
import { ADMIN_KEY, APPID, OTHER_APPID, SECRET, UNKNOWN_APPID, bearer, expectError, setup, type Harness } from './helpers.js';

const admin = bearer(ADMIN_KEY);

describe('admin API authentication', () => {
  let h: Harness;
  afterEach(async () => h.app.close());

  const adminCalls = [
    { method: 'GET', url: '/v1/apps' },
    { method: 'PUT', url: `/v1/apps/${APPID}`, payload: { secret: 'x' } },
    { method: 'DELETE', url: `/v1/apps/${APPID}` },
    { method: 'POST', url: `/v1/apps/${APPID}/refresh` },
    { method: 'POST', url: '/v1/keys', payload: { name: 'k', apps: ['*'] } },
    { method: 'GET', url: '/v1/keys' },
    { method: 'DELETE', url: '/v1/keys/all-apps' },
  ] as const;

  it('401 without a key, with a wrong key, and with a client key', async () => {
    h = await setup();
    for (const call of adminCalls) {
      expectError(await h.app.inject({ ...call }), 401, 'unauthorized');
      expectError(await h.app.inject({ ...call, headers: bearer(`${ADMIN_KEY}x`) }), 401, 'unauthorized');
      expectError(await h.app.inject({ ...call, headers: bearer(h.allKey) }), 401, 'unauthorized');
    }
    expect(h.service.apps.has(APPID)).toBe(true);
    expect((await h.service.listClientKeys()).map((k) => k.name)).toEqual(['all-apps', 'one-app']);
  });

  it('401 with a message saying so when no admin key is configured', async () => {
    h = await setup({ adminKey: undefined });
    for (const call of adminCalls) {
      const err = expectError(await h.app.inject({ ...call, headers: admin }), 401, 'unauthorized');
      expect(err.message).toMatch(/admin API is disabled/);
    }
  });

  it('checks the admin key before parsing the body', async () => {
    h = await setup();
    expectError(
      await h.app.inject({ method: 'PUT', url: `/v1/apps/${APPID}`, headers: { 'content-type': 'application/json' }, payload: '{broken' }),
      401,
      'unauthorized',
    );
  });
});

describe('admin apps', () => {
  let h: Harness;
  afterEach(async () => h.app.close());

  it('GET /v1/apps lists status with ISO times and neither secrets nor tokens', async () => {
    h = await setup();
    await h.app.inject({ url: `/v1/apps/${APPID}/access-token`, headers: bearer(h.oneKey) });
    const res = await h.app.inject({ url: '/v1/apps', headers: admin });
    expect(res.statusCode).toBe(200);
    const created = new Date(h.clock.now()).toISOString();
    expect(res.json()).toEqual({
      apps: [
        {
          appid: APPID,
          grant: 'stable',
          state: 'ok',
          token_expires_at: new Date(h.clock.now() + 7_200_000).toISOString(),
          last_refresh_at: created,
          next_attempt_at: null,
          last_error: null,
          created_at: created,
          updated_at: created,
        },
        {
          appid: OTHER_APPID,
          grant: 'classic',
          state: 'pending',
          token_expires_at: null,
          last_refresh_at: null,
          next_attempt_at: null,
          last_error: null,
          created_at: created,
          updated_at: created,
        },
      ],
    });
    expect(res.body).not.toContain(SECRET);
    expect(res.body).not.toContain(`fake-${APPID}`);
  });

  it('GET /v1/apps shows the last error and drops unknown fields', async () => {
    const clock = new ManualClock();
    const service = new FakeTokenService(clock);
    service.listApps = async () => [
      {
        appid: APPID,
        grant: 'stable',
        state: 'failed',
        tokenExpiresAt: null,
        lastRefreshAt: null,
        nextAttemptAt: null,
        lastError: { code: 'credentials_rejected', message: 'WeChat said 40125', errcode: 40125, at: clock.now() },
        createdAt: clock.now(),
        updatedAt: clock.now(),
        secret: 'leaked-secret',
      } as never,
    ];
    const app = createServer({ service, clock, adminKey: ADMIN_KEY });
    const res = await app.inject({ url: '/v1/apps', headers: admin });
    expect(res.json().apps[0].last_error).toEqual({
      code: 'credentials_rejected',
      message: 'WeChat said 40125',
      errcode: 40125,
      at: new Date(clock.now()).toISOString(),
    });
    expect(res.body).not.toContain('leaked-secret');
    await app.close();
  });

  it('PUT creates (201, default grant stable) then updates (200)', async () => {
    h = await setup();
    const appid = 'wxaaaaaaaaaaaaaaaa';
    const created = await h.app.inject({ method: 'PUT', url: `/v1/apps/${appid}`, headers: admin, payload: { secret: 'new-secret-value' } });
    expect(created.statusCode).toBe(201);
    expect(created.json()).toEqual({ appid, grant: 'stable', created: true });
    expect(h.service.apps.get(appid)).toMatchObject({ secret: 'new-secret-value', grant: 'stable' });

    const updated = await h.app.inject({ method: 'PUT', url: `/v1/apps/${appid}`, headers: admin, payload: { secret: 'rotated-secret', grant: 'classic' } });
    expect(updated.statusCode).toBe(200);
    expect(updated.json()).toEqual({ appid, grant: 'classic', created: false });
    expect(updated.body).not.toContain('rotated-secret');
    expect(h.service.apps.get(appid)).toMatchObject({ secret: 'rotated-secret', grant: 'classic' });
  });

  it('PUT rejects bad input with 400 invalid_request', async () => {
    h = await setup();
    const url = `/v1/apps/${APPID}`;
    expectError(await h.app.inject({ method: 'PUT', url: '/v1/apps/nope', headers: admin, payload: { secret: 's' } }), 400, 'invalid_request');
    expectError(await h.app.inject({ method: 'PUT', url, headers: admin, payload: {} }), 400, 'invalid_request');
    expectError(await h.app.inject({ method: 'PUT', url, headers: admin, payload: { secret: '' } }), 400, 'invalid_request');
    expectError(await h.app.inject({ method: 'PUT', url, headers: admin, payload: { secret: 5 } }), 400, 'invalid_request');
    expectError(await h.app.inject({ method: 'PUT', url, headers: admin, payload: { secret: 's', grant: 'other' } }), 400, 'invalid_request');
    expectError(await h.app.inject({ method: 'PUT', url, headers: admin }), 400, 'invalid_request');
    expectError(await h.app.inject({ method: 'PUT', url, headers: { ...admin, 'content-type': 'text/plain' }, payload: 'secret' }), 400, 'invalid_request');
    expect(h.service.apps.get(APPID)?.secret).toBe(SECRET);
  });

  it('DELETE answers 204, then 404 for the now unknown app; 400 for a bad appid', async () => {
    h = await setup();
    const first = await h.app.inject({ method: 'DELETE', url: `/v1/apps/${APPID}`, headers: admin });
    expect(first.statusCode).toBe(204);
    expect(first.body).toBe('');
    expect(h.service.apps.has(APPID)).toBe(false);
    expectError(await h.app.inject({ method: 'DELETE', url: `/v1/apps/${APPID}`, headers: admin }), 404, 'app_not_found');
    expectError(await h.app.inject({ method: 'DELETE', url: '/v1/apps/bad', headers: admin }), 400, 'invalid_request');
  });

  it('POST refresh forces a new token and returns it', async () => {
    h = await setup();
    await h.app.inject({ url: `/v1/apps/${APPID}/access-token`, headers: bearer(h.oneKey) });
    const res = await h.app.inject({ method: 'POST', url: `/v1/apps/${APPID}/refresh`, headers: admin });
    expect(res.statusCode).toBe(200);
    expect(res.headers['cache-control']).toBe('no-store');
    expect(res.json()).toEqual({ access_token: `fake-${APPID}-2`, expires_in: 7200, expires_at: new Date(h.clock.now() + 7_200_000).toISOString() });
    expectError(await h.app.inject({ method: 'POST', url: `/v1/apps/${UNKNOWN_APPID}/refresh`, headers: admin }), 404, 'app_not_found');
  });
});

describe('admin keys', () => {
  let h: Harness;
  afterEach(async () => h.app.close());

  it('POST creates a key shown once, which then authenticates', async () => {
    h = await setup();
    const res = await h.app.inject({ method: 'POST', url: '/v1/keys', headers: admin, payload: { name: 'billing', apps: [APPID, APPID] } });
    expect(res.statusCode).toBe(201);
    expect(res.headers['cache-control']).toBe('no-store');
    const body = res.json();
    expect(body).toEqual({ name: 'billing', apps: [APPID], capabilities: ['read-token', 'sign', 'login'], expires_at: null, key: expect.stringMatching(/^wxt_/) });
    const read = await h.app.inject({ url: `/v1/apps/${APPID}/access-token`, headers: bearer(body.key) });
    expect(read.statusCode).toBe(200);

    const list = await h.app.inject({ url: '/v1/keys', headers: admin });
    expect(list.statusCode).toBe(200);
    expect(list.json().keys).toContainEqual({
      name: 'billing',
      apps: [APPID],
      capabilities: ['read-token', 'sign', 'login'],
      created_at: new Date(h.clock.now()).toISOString(),
      expires_at: null,
      last_used_at: null,
    });
    expect(list.body).not.toContain(body.key);
    expect(list.body).not.toContain(h.allKey);
  });

  it('409 conflict for a taken name, 400 for bad input', async () => {
    h = await setup();
    expectError(await h.app.inject({ method: 'POST', url: '/v1/keys', headers: admin, payload: { name: 'one-app', apps: ['*'] } }), 409, 'conflict');
    expectError(await h.app.inject({ method: 'POST', url: '/v1/keys', headers: admin, payload: { name: 'x', apps: [] } }), 400, 'invalid_request');
    expectError(await h.app.inject({ method: 'POST', url: '/v1/keys', headers: admin, payload: { name: 'x' } }), 400, 'invalid_request');
    expectError(await h.app.inject({ method: 'POST', url: '/v1/keys', headers: admin, payload: { name: 'x', apps: 'wx' } }), 400, 'invalid_request');
    expectError(await h.app.inject({ method: 'POST', url: '/v1/keys', headers: admin, payload: { name: 'x', apps: ['not-an-app'] } }), 400, 'invalid_request');
  });

  it('DELETE revokes (204) so the key stops working; 404 not_found for an unknown name', async () => {
    h = await setup();
    const res = await h.app.inject({ method: 'DELETE', url: '/v1/keys/one-app', headers: admin });
    expect(res.statusCode).toBe(204);
    expectError(await h.app.inject({ url: `/v1/apps/${APPID}/access-token`, headers: bearer(h.oneKey) }), 401, 'unauthorized');
    expectError(await h.app.inject({ method: 'DELETE', url: '/v1/keys/one-app', headers: admin }), 404, 'not_found');
  });
});
