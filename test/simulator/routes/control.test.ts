import { afterEach, describe, expect, it } from 'vitest';
import type { Simulator } from '../../../src/simulator/index.js';
import { APPID, CORPID, SECRET, classic, manualSimulator, stable, use, type Json } from '../helpers.js';

let sim: Simulator;
afterEach(() => sim?.close());

async function call(method: 'GET' | 'POST' | 'DELETE', url: string, payload?: unknown): Promise<{ status: number; body: Json }> {
  const res = await sim.app.inject({ method, url, ...(payload === undefined ? {} : { payload: payload as object }) });
  return { status: res.statusCode, body: res.json() };
}

describe('control API /__sim/', () => {
  it('health', async () => {
    ({ sim } = manualSimulator());
    expect(await call('GET', '/__sim/health')).toEqual({ status: 200, body: { status: 'ok', now: sim.state.now() } });
  });

  it('registers and lists apps and corps without secrets', async () => {
    ({ sim } = manualSimulator({ apps: [], corps: [] }));
    const created = await call('POST', '/__sim/apps', { appid: 'wxnew', secret: 's3cr3t-value', ipAllowList: ['10.0.0.1'] });
    expect(created).toEqual({ status: 201, body: { appid: 'wxnew', ipAllowList: ['10.0.0.1'] } });
    expect((await call('POST', '/__sim/apps', { appid: 'wxnew', secret: 'rotated-secret' })).status).toBe(200);
    expect((await call('POST', '/__sim/corps', { corpid: 'wwnew', secret: 'corp-s3cr3t' })).status).toBe(201);
    const apps = await sim.app.inject({ method: 'GET', url: '/__sim/apps' });
    expect(apps.json()).toEqual({ apps: [{ appid: 'wxnew', ipAllowList: [] }] });
    const corps = await sim.app.inject({ method: 'GET', url: '/__sim/corps' });
    expect(corps.json()).toEqual({ corps: [{ corpid: 'wwnew' }] });
    expect(apps.body + corps.body).not.toMatch(/s3cr3t|rotated-secret/);
    expect((await classic(sim, { appid: 'wxnew', secret: 'rotated-secret' })).access_token).toBeDefined();
  });

  it('rejects bad registrations with 400/409 and never echoes the secret', async () => {
    ({ sim } = manualSimulator());
    const bad = await call('POST', '/__sim/apps', { appid: 'has:colon', secret: 'topsecret' });
    expect(bad.status).toBe(400);
    expect(bad.body.error.code).toBe('invalid_request');
    expect(JSON.stringify(bad.body)).not.toContain('topsecret');
    expect((await call('POST', '/__sim/apps', { appid: 'wxok' })).status).toBe(400);
    expect((await call('POST', '/__sim/apps', { appid: 'wxok', secret: 's', ipAllowList: ['1.2.3.4/99'] })).status).toBe(400);
    expect((await call('POST', '/__sim/apps', { appid: CORPID, secret: 's' })).status).toBe(409);
    const notJson = await sim.app.inject({ method: 'POST', url: '/__sim/apps', payload: 'nope' });
    expect(notJson.statusCode).toBe(400);
  });

  it('counters and their reset', async () => {
    ({ sim } = manualSimulator());
    const token = (await classic(sim)).access_token;
    await stable(sim);
    await stable(sim, { force_refresh: true });
    await use(sim, token);
    const { body } = await call('GET', `/__sim/apps/${APPID}/counters`);
    expect(body.requests).toMatchObject({ classic: 1, stableNormal: 1, stableForce: 1 });
    expect(body.fetches).toMatchObject({ classic: 1, stableNormal: 1, stableForce: 1 });
    expect(body.rotations).toMatchObject({ classic: 1, stableNormal: 1, stableForce: 1 });
    expect(body.businessCalls).toEqual({ ok: 1 });
    expect(body).toMatchObject({ maxConcurrentTokenFetches: 1, inFlightTokenFetches: 0 });
    const reset = await call('POST', `/__sim/apps/${APPID}/counters/reset`);
    expect(reset.body.fetches.classic).toBe(0);
    expect(reset.body.businessCalls).toEqual({});
    expect((await call('GET', `/__sim/corps/${CORPID}/counters`)).status).toBe(200);
    expect((await call('GET', '/__sim/apps/wxnobody/counters')).status).toBe(404);
    await use(sim, 'junk');
    expect((await call('GET', '/__sim/counters/unattributed')).body).toEqual({ businessCalls: { '40014': 1 } });
  });

  it('faults: arm, list, fire, clear', async () => {
    ({ sim } = manualSimulator());
    const armed = await call('POST', '/__sim/faults', { path: '/cgi-bin/token', mode: 'errcode', count: 3, errcode: 45009 });
    expect(armed.status).toBe(201);
    expect(armed.body).toMatchObject({ path: '/cgi-bin/token', mode: 'errcode', errcode: 45009, remaining: 3 });
    expect((await classic(sim)).errcode).toBe(45009);
    expect((await call('GET', '/__sim/faults')).body.faults[0].remaining).toBe(2);
    expect((await call('DELETE', '/__sim/faults')).body).toEqual({ cleared: 1 });
    expect((await classic(sim)).access_token).toBeDefined();
    expect((await call('POST', '/__sim/faults', { path: '/cgi-bin/token', mode: 'explode' })).status).toBe(400);
    expect((await call('POST', '/__sim/faults', { path: '/cgi-bin/token', mode: 'delay' })).status).toBe(400);
    expect((await call('POST', '/__sim/faults', { path: '/__sim/health', mode: 'reset' })).status).toBe(400);
    expect((await call('POST', '/__sim/faults', { path: '/cgi-bin/token', mode: 'reset', count: 0 })).status).toBe(400);
  });

  it('rotate from elsewhere supersedes the client token; tokens shows current and previous', async () => {
    ({ sim } = manualSimulator());
    const mine = (await classic(sim)).access_token;
    const r1 = await call('POST', `/__sim/apps/${APPID}/rotate`, { grant: 'classic' });
    expect(r1.body).toMatchObject({ rotated: true, expires_in: 7200 });
    expect(r1.body.access_token).not.toBe(mine);
    const tokens = (await call('GET', `/__sim/apps/${APPID}/tokens`)).body;
    expect(tokens.classic.current.value).toBe(r1.body.access_token);
    expect(tokens.classic.previous).toMatchObject({ value: mine, validUntil: sim.state.now() + 300_000 });
    expect(tokens.stable).toEqual({ current: null, previous: null });
    expect(JSON.stringify(tokens)).not.toContain(SECRET);
    await call('POST', `/__sim/apps/${APPID}/rotate`, { grant: 'classic' });
    expect(await use(sim, mine)).toBe(40001);

    const s = (await stable(sim)).access_token;
    expect((await call('POST', `/__sim/apps/${APPID}/rotate`, { grant: 'stable' })).body).toMatchObject({ rotated: false, access_token: s });
    expect((await call('POST', `/__sim/apps/${APPID}/rotate`, { grant: 'stable', force: true })).body.rotated).toBe(true);
    expect((await call('POST', `/__sim/apps/${APPID}/rotate`, { grant: 'stable', force: true })).body.rotated).toBe(true);
    expect(await use(sim, s)).toBe(40001);
    expect((await call('POST', `/__sim/apps/${APPID}/rotate`, { grant: 'nope' })).status).toBe(400);
    expect((await call('POST', '/__sim/apps/wxnobody/rotate', { grant: 'classic' })).status).toBe(404);
    expect((await call('GET', `/__sim/corps/${CORPID}/tokens`)).body).toMatchObject({ corpid: CORPID, wecom: { current: null } });
  });
});

describe('logging', () => {
  it('never logs the secret from a token URL', async () => {
    const { Writable } = await import('node:stream');
    let logged = '';
    const stream = new Writable({ write: (chunk, _enc, done) => ((logged += String(chunk)), done()) });
    ({ sim } = manualSimulator({ logger: { level: 'info', stream } }));
    expect((await classic(sim)).access_token).toBeDefined();
    expect(logged).toContain('/cgi-bin/token');
    expect(logged).toContain('secret=[redacted]');
    expect(logged).not.toContain(SECRET);
  });
});
