import { afterEach, describe, expect, it } from 'vitest';
import type { Simulator } from '../../../src/simulator/index.js';
import { CORPID, advance, manualSimulator, requestsTo, use } from '../helpers.js';

let sim: Simulator;
afterEach(() => sim?.close());
const { wecom } = requestsTo(() => sim);

describe('WeCom GET /cgi-bin/gettoken', () => {
  it('returns the same token (errcode 0, remaining seconds) while valid and a new one after expiry', async () => {
    const { sim: s, clock } = manualSimulator();
    sim = s;
    const first = await wecom();
    expect(Object.keys(first).sort()).toEqual(['access_token', 'errcode', 'errmsg', 'expires_in']);
    expect(first).toMatchObject({ errcode: 0, errmsg: 'ok', expires_in: 7200 });
    await advance(clock, 7000);
    expect(await wecom()).toEqual({ errcode: 0, errmsg: 'ok', access_token: first.access_token, expires_in: 200 });
    expect(await use(sim, first.access_token)).toBe(0);
    await advance(clock, 200);
    expect(await use(sim, first.access_token)).toBe(42001);
    const next = await wecom();
    expect(next.access_token).not.toBe(first.access_token);
    expect(next.expires_in).toBe(7200);
    const counters = sim.state.counters(CORPID);
    expect(counters.fetches.wecom).toBe(3);
    expect(counters.rotations.wecom).toBe(2);
  });

  it('validates corpid and corpsecret', async () => {
    ({ sim } = manualSimulator());
    expect((await wecom('corpsecret=x')).errcode).toBe(41002);
    expect((await wecom('corpid=wwnobody&corpsecret=x')).errcode).toBe(40013);
    expect((await wecom(`corpid=${CORPID}`)).errcode).toBe(41004);
    const wrong = await wecom(`corpid=${CORPID}&corpsecret=nope`);
    expect(wrong.errcode).toBe(40001);
    expect(wrong.errmsg).toMatch(/^invalid credential, hint: \[\d+\], from ip: /);
  });
});
