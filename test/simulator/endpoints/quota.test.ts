import { afterEach, describe, expect, it } from 'vitest';
import type { Simulator } from '../../../src/simulator/index.js';
import { APPID, SECRET, classic, manualSimulator, stable, type Json } from '../helpers.js';

let sim: Simulator;
afterEach(() => sim?.close());

async function post(url: string, payload?: unknown): Promise<Json> {
  const res = await sim.app.inject({
    method: 'POST',
    url,
    ...(payload === undefined ? {} : { payload: typeof payload === 'string' ? payload : JSON.stringify(payload) }),
    headers: { 'content-type': 'application/json' },
  });
  expect(res.statusCode).toBe(200);
  return res.json();
}

describe('quota endpoints', () => {
  it('quota/get reports real daily_limit / used / remain', async () => {
    ({ sim } = manualSimulator({ classicDailyQuota: 50 }));
    const token = (await classic(sim)).access_token;
    await classic(sim);
    await classic(sim, { secret: 'wrong' }); // rejected calls are not counted
    await stable(sim);
    const classicQuota = await post(`/cgi-bin/openapi/quota/get?access_token=${token}`, { cgi_path: '/cgi-bin/token' });
    expect(classicQuota).toEqual({
      errcode: 0,
      errmsg: 'ok',
      quota: { daily_limit: 50, used: 2, remain: 48 },
      rate_limit: { call_count: 0, refresh_second: 0 },
      component_rate_limit: { call_count: 0, refresh_second: 0 },
    });
    const stableQuota = await post(`/cgi-bin/openapi/quota/get?access_token=${token}`, { cgi_path: '/cgi-bin/stable_token' });
    expect(stableQuota.quota).toEqual({ daily_limit: 500000, used: 1, remain: 499999 });
    expect(stableQuota.rate_limit).toEqual({ call_count: 10000, refresh_second: 60 });
    expect((await post(`/cgi-bin/openapi/quota/get?access_token=${token}`, { cgi_path: 'cgi-bin/token' })).errcode).toBe(76003);
    expect((await post(`/cgi-bin/openapi/quota/get?access_token=${token}`, { cgi_path: '/cgi-bin/nothing' })).errcode).toBe(76021);
    expect((await post(`/cgi-bin/openapi/quota/get?access_token=${token}`, 'nope')).errcode).toBe(47001);
    expect((await post(`/cgi-bin/openapi/quota/get`, { cgi_path: '/cgi-bin/token' })).errcode).toBe(41001);
    expect((await sim.app.inject({ method: 'GET', url: `/cgi-bin/openapi/quota/get?access_token=${token}` })).json().errcode).toBe(43002);
  });

  it('clear_quota resets the daily quota; v1 and v2 share 10 a month, then 48006', async () => {
    ({ sim } = manualSimulator({ classicDailyQuota: 1 }));
    const token = (await classic(sim)).access_token;
    expect((await classic(sim)).errcode).toBe(45009);
    expect(await post(`/cgi-bin/clear_quota?access_token=${token}`, { appid: APPID })).toEqual({ errcode: 0, errmsg: 'ok' });
    const fresh = (await classic(sim)).access_token;
    expect(fresh).toBeDefined();
    for (let i = 1; i < 10; i++) {
      const useV2Query = i % 2 === 0;
      const body = useV2Query
        ? await post(`/cgi-bin/clear_quota/v2?appid=${APPID}&appsecret=${SECRET}`)
        : await post('/cgi-bin/clear_quota/v2', { appid: APPID, appsecret: SECRET });
      expect(body).toEqual({ errcode: 0, errmsg: 'ok' });
    }
    const over = await post(`/cgi-bin/clear_quota?access_token=${fresh}`, { appid: APPID });
    expect(over.errcode).toBe(48006);
    expect(over.errmsg).toMatch(/^forbid to clear quota because of reaching the limit rid: /);
    expect((await post(`/cgi-bin/clear_quota/v2?appid=${APPID}&appsecret=${SECRET}`)).errcode).toBe(48006);
  });

  it('clear_quota and v2 validate their parameters', async () => {
    ({ sim } = manualSimulator());
    const token = (await classic(sim)).access_token;
    expect((await post(`/cgi-bin/clear_quota?access_token=${token}`, {})).errcode).toBe(41002);
    expect((await post(`/cgi-bin/clear_quota?access_token=${token}`, { appid: 'wxother' })).errcode).toBe(40013);
    expect((await post(`/cgi-bin/clear_quota?access_token=${token}`, '{')).errcode).toBe(47001);
    expect((await post(`/cgi-bin/clear_quota`, { appid: APPID })).errcode).toBe(41001);
    expect((await post('/cgi-bin/clear_quota/v2')).errcode).toBe(41002);
    expect((await post('/cgi-bin/clear_quota/v2?appid=wxother')).errcode).toBe(40013);
    expect((await post(`/cgi-bin/clear_quota/v2?appid=${APPID}`)).errcode).toBe(41004);
    expect((await post(`/cgi-bin/clear_quota/v2?appid=${APPID}&appsecret=bad`)).errcode).toBe(40125);
    expect((await post('/cgi-bin/clear_quota/v2', 'appid=x')).errcode).toBe(47001);
  });

  it('clear_quota/v2 bears the secret, so the IP allow-list applies', async () => {
    ({ sim } = manualSimulator({ apps: [{ appid: APPID, secret: SECRET, ipAllowList: ['10.9.9.9'] }] }));
    const res = await sim.app.inject({ method: 'POST', url: `/cgi-bin/clear_quota/v2?appid=${APPID}&appsecret=${SECRET}`, remoteAddress: '127.0.0.1' });
    expect(res.json().errcode).toBe(40164);
  });
});
