import { EventEmitter } from 'node:events';
import { afterEach, describe, expect, it } from 'vitest';
import type { HubEvents } from '../../src/core/token-service.js';
import { APPID, OTHER_APPID, SECRET, bearer, expectError, setup, type Harness } from './helpers.js';

describe('health', () => {
  let h: Harness;
  afterEach(async () => h.app.close());

  it('/healthz is 200 ok; /readyz follows service.isReady, and a throwing check is 503', async () => {
    h = await setup();
    expect((await h.app.inject({ url: '/healthz' })).json()).toEqual({ status: 'ok' });
    const ready = await h.app.inject({ url: '/readyz' });
    expect([ready.statusCode, ready.json()]).toEqual([200, { status: 'ok' }]);
    h.service.setReady(false);
    const down = await h.app.inject({ url: '/readyz' });
    expect([down.statusCode, down.json()]).toEqual([503, { status: 'unavailable' }]);
    h.service.isReady = async () => {
      throw new Error('connection refused');
    };
    const thrown = await h.app.inject({ url: '/readyz' });
    expect([thrown.statusCode, thrown.json()]).toEqual([503, { status: 'unavailable' }]);
    expect((await h.app.inject({ url: '/healthz' })).statusCode).toBe(200);
  });
});

describe('/metrics', () => {
  let h: Harness;
  afterEach(async () => h.app.close());

  it('counts requests by route pattern and status, and token reads by app', async () => {
    h = await setup();
    for (let i = 0; i < 3; i++) await h.app.inject({ url: `/v1/apps/${APPID}/access-token`, headers: bearer(h.oneKey) });
    await h.app.inject({ url: `/v1/apps/${OTHER_APPID}/access-token`, headers: bearer(h.oneKey) });
    await h.app.inject({ url: `/cgi-bin/token?grant_type=client_credential&appid=${APPID}&secret=${SECRET}` });
    await h.app.inject({ url: '/nowhere?secret=abc' });
    const res = await h.app.inject({ url: '/metrics' });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toMatch(/^text\/plain; version=0\.0\.4/);
    const text = res.body;
    expect(text).toContain('# TYPE wxtoken_http_requests_total counter');
    expect(text).toContain('wxtoken_http_requests_total{route="/v1/apps/:appid/access-token",method="GET",status="200"} 3');
    expect(text).toContain('wxtoken_http_requests_total{route="/v1/apps/:appid/access-token",method="GET",status="403"} 1');
    expect(text).toContain('wxtoken_http_requests_total{route="/cgi-bin/token",method="GET",status="200"} 1');
    expect(text).toContain('wxtoken_http_requests_total{route="(unmatched)",method="GET",status="404"} 1');
    expect(text).toContain('wxtoken_token_reads_total{appid="wx0123456789abcdef",via="v1"} 3');
    expect(text).toContain('wxtoken_token_reads_total{appid="wx0123456789abcdef",via="compat"} 1');
    for (const s of [SECRET, h.oneKey, `fake-${APPID}`, 'secret=abc', 'wx0123456789abcdef/access-token']) expect(text).not.toContain(s);

    // Counters keep counting between scrapes (collect resets and re-adds, it does not double).
    await h.app.inject({ url: `/v1/apps/${APPID}/access-token`, headers: bearer(h.oneKey) });
    const again = (await h.app.inject({ url: '/metrics' })).body;
    expect(again).toContain('wxtoken_http_requests_total{route="/v1/apps/:appid/access-token",method="GET",status="200"} 4');
    expect(again).toContain('wxtoken_http_requests_total{route="/metrics",method="GET",status="200"} 1');
  });

  it('counts hub events, and stops listening on close', async () => {
    const emitter = new EventEmitter();
    const events = emitter as unknown as HubEvents;
    // Without the dashboard, which listens to the same events for its history (test/server/dashboard).
    h = await setup({ events, dashboard: false });
    const kind = 'access_token';
    emitter.emit('refreshed', { appid: APPID, kind, expiresAt: 1, durationMs: 12, reason: 'scheduled' });
    emitter.emit('refreshed', { appid: APPID, kind, expiresAt: 1, durationMs: 12, reason: 'scheduled' });
    emitter.emit('refresh_failed', { appid: APPID, kind, code: 'upstream_unavailable', category: 'transient', retryAt: 5 });
    emitter.emit('invalidated', { appid: APPID, kind, result: 'stale' });
    emitter.emit('invalidated', { appid: APPID, kind, result: 'refreshed' });
    emitter.emit('adopted', { appid: OTHER_APPID, kind: 'jsapi_ticket', expiresAt: 1 });
    const text = (await h.app.inject({ url: '/metrics' })).body;
    expect(text).toContain('wxtoken_refreshes_total{appid="wx0123456789abcdef",kind="access_token",reason="scheduled"} 2');
    expect(text).toContain('wxtoken_refresh_failures_total{appid="wx0123456789abcdef",kind="access_token",code="upstream_unavailable"} 1');
    expect(text).toContain('wxtoken_invalidations_total{appid="wx0123456789abcdef",kind="access_token",result="stale"} 1');
    expect(text).toContain('wxtoken_invalidations_total{appid="wx0123456789abcdef",kind="access_token",result="refreshed"} 1');
    expect(text).toContain('wxtoken_adoptions_total{appid="wxfedcba9876543210",kind="jsapi_ticket"} 1');
    expect(emitter.listenerCount('refreshed')).toBe(1);
    await h.app.close();
    for (const e of ['refreshed', 'refresh_failed', 'invalidated', 'adopted']) expect(emitter.listenerCount(e)).toBe(0);
  });

  it('two servers in one process keep separate registries', async () => {
    h = await setup();
    const other = await setup();
    await other.app.inject({ url: `/v1/apps/${APPID}/access-token`, headers: bearer(other.oneKey) });
    const text = (await h.app.inject({ url: '/metrics' })).body;
    expect(text).not.toContain('wxtoken_token_reads_total{');
    await other.app.close();
  });

  it('metrics: false serves no /metrics', async () => {
    h = await setup({ metrics: false });
    expectError(await h.app.inject({ url: '/metrics' }), 404, 'not_found');
    expect((await h.app.inject({ url: `/v1/apps/${APPID}/access-token`, headers: bearer(h.oneKey) })).statusCode).toBe(200);
  });
});
