import { afterEach, describe, expect, it } from 'vitest';
import { ADMIN_KEY, APPID, bearer, expectError, setup, type Harness } from './helpers.js';

describe('bad input never becomes a 500', () => {
  let h: Harness;
  afterEach(async () => h.app.close());

  it('404 not_found for unknown routes and methods, without echoing the query', async () => {
    h = await setup();
    const err = expectError(await h.app.inject({ url: '/nope?secret=hunter2-value' }), 404, 'not_found');
    expect(err.message).toBe('no route for GET /nope');
    expectError(await h.app.inject({ method: 'POST', url: '/healthz' }), 404, 'not_found');
    expectError(await h.app.inject({ method: 'PATCH', url: `/v1/apps/${APPID}/access-token`, headers: bearer(h.allKey) }), 404, 'not_found');
    expectError(await h.app.inject({ url: '/v1/apps/' }), 401, 'unauthorized'); // trailing slash = /v1/apps (admin)
  });

  it('413 payload_too_large over the body limit, on the client and admin APIs', async () => {
    h = await setup({ bodyLimitBytes: 2048 });
    const big = JSON.stringify({ access_token: 'x'.repeat(3000) });
    expectError(
      await h.app.inject({ method: 'POST', url: `/v1/apps/${APPID}/access-token/invalidate`, headers: { ...bearer(h.oneKey), 'content-type': 'application/json' }, payload: big }),
      413,
      'payload_too_large',
    );
    expectError(
      await h.app.inject({ method: 'PUT', url: `/v1/apps/${APPID}`, headers: { ...bearer(ADMIN_KEY), 'content-type': 'application/json' }, payload: big }),
      413,
      'payload_too_large',
    );
  });

  it('the default body limit is 16 KiB', async () => {
    h = await setup();
    const fits = JSON.stringify({ secret: 's'.repeat(200), pad: 'p'.repeat(16 * 1024 - 250) });
    expect(Buffer.byteLength(fits)).toBeLessThanOrEqual(16 * 1024);
    const res = await h.app.inject({ method: 'PUT', url: `/v1/apps/${APPID}`, headers: { ...bearer(ADMIN_KEY), 'content-type': 'application/json' }, payload: fits });
    expect(res.statusCode).toBe(200);
    const over = JSON.stringify({ secret: 's', pad: 'p'.repeat(16 * 1024) });
    expectError(
      await h.app.inject({ method: 'PUT', url: `/v1/apps/${APPID}`, headers: { ...bearer(ADMIN_KEY), 'content-type': 'application/json' }, payload: over }),
      413,
      'payload_too_large',
    );
  });

  it('400 invalid_request for malformed JSON, empty JSON, wrong content types, bad fields', async () => {
    h = await setup();
    const url = `/v1/apps/${APPID}`;
    const headers = { ...bearer(ADMIN_KEY), 'content-type': 'application/json' };
    const malformed = expectError(await h.app.inject({ method: 'PUT', url, headers, payload: '{"secret": "sekret-in-body' }), 400, 'invalid_request');
    expect(malformed.message).not.toContain('sekret-in-body');
    expectError(await h.app.inject({ method: 'PUT', url, headers, payload: '' }), 400, 'invalid_request');
    expectError(await h.app.inject({ method: 'PUT', url, headers: { ...headers, 'content-type': 'application/xml' }, payload: '<a/>' }), 400, 'invalid_request');
    expectError(await h.app.inject({ method: 'PUT', url, headers: { ...headers, 'content-type': 'text/plain' }, payload: '{"secret":"s"}' }), 400, 'invalid_request');
    const field = expectError(await h.app.inject({ method: 'PUT', url, headers, payload: '{"secret": 12345678}' }), 400, 'invalid_request');
    expect(field.message).toContain('secret');
    expect(field.message).not.toContain('12345678');
  });

  it('400 invalid_request for a malformed URL', async () => {
    h = await setup();
    expectError(await h.app.inject({ url: '/v1/apps/%E0%A4%A/access-token' }), 400, 'invalid_request');
  });
});
