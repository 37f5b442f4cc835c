import { afterEach, describe, expect, it } from 'vitest';
import { APPID, ADMIN_KEY, bearer, expectError, setup, type Harness } from './helpers.js';

describe('client key expiry over HTTP', () => {
  let h: Harness;
  afterEach(async () => h.app.close());

  it('an expired key gets exactly the 401 an unknown key gets, on the v1 and compat routes', async () => {
    h = await setup();
    const key = await h.service.createClientKey('temp', [APPID], { expiresAt: h.clock.now() + 60_000 });
    expect((await h.app.inject({ url: `/v1/apps/${APPID}/access-token`, headers: bearer(key) })).statusCode).toBe(200);
    await h.clock.advance(60_000);
    const expired = await h.app.inject({ url: `/v1/apps/${APPID}/access-token`, headers: bearer(key) });
    const unknown = await h.app.inject({ url: `/v1/apps/${APPID}/access-token`, headers: bearer('wxt_' + 'x'.repeat(43)) });
    expect(expectError(expired, 401, 'unauthorized')).toEqual(expectError(unknown, 401, 'unauthorized'));
    const compat = await h.app.inject({ url: `/cgi-bin/token?grant_type=client_credential&appid=${APPID}&secret=${key}` });
    expect(compat.json().errcode).toBe(40125);
  });

  it('POST /v1/keys takes expires_in or expires_at, and GET /v1/keys shows expiry and last use', async () => {
    h = await setup();
    const admin = bearer(ADMIN_KEY);
    const now = h.clock.now();
    const relative = await h.app.inject({ method: 'POST', url: '/v1/keys', headers: admin, payload: { name: 'rel', apps: [APPID], expires_in: 3600 } });
    expect(relative.statusCode).toBe(201);
    expect(relative.json().expires_at).toBe(new Date(now + 3_600_000).toISOString());
    const absolute = await h.app.inject({ method: 'POST', url: '/v1/keys', headers: admin, payload: { name: 'abs', apps: ['*'], expires_at: '2027-03-01T00:00:00Z' } });
    expect(absolute.json().expires_at).toBe('2027-03-01T00:00:00.000Z');
    const keys = (await h.app.inject({ url: '/v1/keys', headers: admin })).json().keys as Array<Record<string, unknown>>;
    expect(keys.find((k) => k.name === 'abs')).toMatchObject({ expires_at: '2027-03-01T00:00:00.000Z', last_used_at: null });

    const bad = (payload: Record<string, unknown>) => h.app.inject({ method: 'POST', url: '/v1/keys', headers: admin, payload: { name: 'bad', apps: [APPID], ...payload } });
    expectError(await bad({ expires_in: 60, expires_at: '2027-03-01T00:00:00Z' }), 400, 'invalid_request');
    expectError(await bad({ expires_at: '2027-03-01' }), 400, 'invalid_request');
    expectError(await bad({ expires_at: '2020-01-01T00:00:00Z' }), 400, 'invalid_request');
    expectError(await bad({ expires_in: 0 }), 400, 'invalid_request');
    expectError(await bad({ sign_only: 'yes' }), 400, 'invalid_request');
    expectError(await bad({ apps: ['wecom:nope'] }), 400, 'invalid_request');
  });

  it('accepts resource scopes for the principals to come', async () => {
    h = await setup();
    const res = await h.app.inject({
      method: 'POST',
      url: '/v1/keys',
      headers: bearer(ADMIN_KEY),
      payload: { name: 'scoped', apps: ['wecom:ww0123456789abcdef/1000002', 'component:wx00000000000000cc/*', APPID] },
    });
    expect(res.statusCode).toBe(201);
    expect((await h.app.inject({ url: `/v1/apps/${APPID}/access-token`, headers: bearer(res.json().key) })).statusCode).toBe(200);
  });
});
