import { afterEach, describe, expect, it } from 'vitest';
import type { Simulator } from '../../../src/simulator/index.js';
import { APPID, CORPID, advance, classic, manualSimulator, requestsTo, stable, use } from '../helpers.js';

let sim: Simulator;
afterEach(() => sim?.close());
const { get, wecom } = requestsTo(() => sim);

describe('business endpoints', () => {
  it('serve WeChat payloads for OA, stable and WeCom tokens and count outcomes per app', async () => {
    const { sim: s, clock } = manualSimulator();
    sim = s;
    const c = (await classic(sim)).access_token;
    const st = (await stable(sim)).access_token;
    const w = (await wecom()).access_token;
    expect(await get(`/cgi-bin/getcallbackip?access_token=${c}`)).toEqual({ ip_list: expect.any(Array) });
    expect((await get(`/cgi-bin/get_api_domain_ip?access_token=${st}`)).ip_list.length).toBeGreaterThan(0);
    expect((await get(`/cgi-bin/menu/get?access_token=${w}`)).menu.button.length).toBeGreaterThan(0);
    await classic(sim);
    await classic(sim);
    expect(await use(sim, c)).toBe(40001);
    await advance(clock, 7200);
    expect(await use(sim, st)).toBe(42001);
    expect(await use(sim, undefined)).toBe(41001);
    expect(await use(sim, 'garbage')).toBe(40014);
    expect(sim.state.counters(APPID).businessCalls).toEqual({ ok: 2, '40001': 1, '42001': 1 });
    expect(sim.state.counters(CORPID).businessCalls).toEqual({ ok: 1 });
    expect(sim.state.unattributedCounters()).toEqual({ '41001': 1, '40014': 1 });
  });
});
