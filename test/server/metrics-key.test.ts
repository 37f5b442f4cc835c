import { afterEach, describe, expect, it } from 'vitest';
import { ADMIN_KEY, bearer, expectError, setup, type Harness } from './helpers.js';

const METRICS_KEY = 'metrics-4c1f9a7e2b8d3f6a0c5e9b1d7a3f';

describe('/metrics can require a key', () => {
  let h: Harness | undefined;
  afterEach(async () => {
    await h?.app.close();
    h = undefined;
  });

  it('is open by default', async () => {
    h = await setup();
    expect((await h.app.inject({ url: '/metrics' })).statusCode).toBe(200);
  });

  it('requires the metrics key when one is set: 401 without it or with another, 200 with it', async () => {
    h = await setup({ metricsKey: METRICS_KEY });
    expectError(await h.app.inject({ url: '/metrics' }), 401, 'unauthorized');
    expectError(await h.app.inject({ url: '/metrics', headers: bearer(ADMIN_KEY) }), 401, 'unauthorized');
    const res = await h.app.inject({ url: '/metrics', headers: bearer(METRICS_KEY) });
    expect(res.statusCode).toBe(200);
    expect(res.body).toContain('wxtoken_auth_failures_total{surface="metrics"} 1');
    expect((await h.app.inject({ url: '/healthz' })).statusCode).toBe(200);
  });

  it('may be the admin key', async () => {
    h = await setup({ metricsKey: ADMIN_KEY });
    expect((await h.app.inject({ url: '/metrics', headers: bearer(ADMIN_KEY) })).statusCode).toBe(200);
  });

  it('throttles wrong metrics keys like every other credential', async () => {
    h = await setup({ metricsKey: METRICS_KEY });
    for (let i = 0; i < 20; i++) await h.app.inject({ url: '/metrics', headers: bearer(`nope-${i}`), remoteAddress: '198.51.100.1' });
    expectError(await h.app.inject({ url: '/metrics', headers: bearer(METRICS_KEY), remoteAddress: '198.51.100.1' }), 429, 'auth_throttled');
  });

  it('refuses a guessable metrics key at construction', async () => {
    await expect(setup({ metricsKey: 'metrics' })).rejects.toThrow(/"metricsKey" does not look like a random key/);
  });
});
