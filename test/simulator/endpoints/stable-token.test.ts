import { afterEach, describe, expect, it } from 'vitest';
import type { Simulator } from '../../../src/simulator/index.js';
import { APPID, SECRET, advance, classic, manualSimulator, stable, use } from '../helpers.js';

let sim: Simulator;
afterEach(() => sim?.close());

describe('POST /cgi-bin/stable_token', () => {
  it('normal mode returns the same token with its remaining seconds outside the rotation window', async () => {
    const { sim: s, clock } = manualSimulator();
    sim = s;
    const first = await stable(sim);
    expect(Object.keys(first).sort()).toEqual(['access_token', 'expires_in']);
    expect(first.expires_in).toBe(7200);
    await advance(clock, 6854.4);
    const again = await stable(sim);
    expect(again).toEqual({ access_token: first.access_token, expires_in: 345 });
    expect(sim.state.counters(APPID).rotations.stableNormal).toBe(1);
  });

  it('normal mode rotates within the window and the old token lives to its own expiry', async () => {
    const { sim: s, clock } = manualSimulator();
    sim = s;
    const a = (await stable(sim)).access_token;
    await advance(clock, 6900); // exactly 300 s left
    const b = await stable(sim);
    expect(b.access_token).not.toBe(a);
    expect(b.expires_in).toBe(7200);
    await stable(sim); // same b: no further rotation
    await advance(clock, 299);
    expect(await use(sim, a)).toBe(0);
    await advance(clock, 1);
    expect(await use(sim, a)).toBe(42001);
    expect(await use(sim, b.access_token)).toBe(0);
  });

  it('force within the spacing does not rotate; force after it does', async () => {
    const { sim: s, clock } = manualSimulator();
    sim = s;
    const a = (await stable(sim, { force_refresh: true })).access_token;
    await advance(clock, 29);
    const same = await stable(sim, { force_refresh: true });
    expect(same).toEqual({ access_token: a, expires_in: 7171 });
    await advance(clock, 30);
    const b = (await stable(sim, { force_refresh: true })).access_token;
    expect(b).not.toBe(a);
    expect(sim.state.counters(APPID).rotations.stableForce).toBe(2);
    expect(sim.state.counters(APPID).fetches.stableForce).toBe(3);
  });

  it('two forces 30 s apart kill a leaked token', async () => {
    const { sim: s, clock } = manualSimulator();
    sim = s;
    const leaked = (await stable(sim)).access_token;
    await stable(sim, { force_refresh: true });
    expect(await use(sim, leaked)).toBe(0);
    await advance(clock, 30);
    await stable(sim, { force_refresh: true });
    expect(await use(sim, leaked)).toBe(40001);
  });

  it('a single force leaves the previous token valid for the grace only', async () => {
    const { sim: s, clock } = manualSimulator();
    sim = s;
    const a = (await stable(sim)).access_token;
    await stable(sim, { force_refresh: true });
    await advance(clock, 299);
    expect(await use(sim, a)).toBe(0);
    await advance(clock, 1);
    expect(await use(sim, a)).toBe(40001);
  });

  it('answers 45009 after 20 force calls a day and resets at 00:00 Asia/Shanghai', async () => {
    const { sim: s, clock } = manualSimulator();
    sim = s;
    for (let i = 0; i < 20; i++) {
      expect((await stable(sim, { force_refresh: true })).access_token).toBeDefined();
      await advance(clock, 30);
    }
    const over = await stable(sim, { force_refresh: true });
    expect(over.errcode).toBe(45009);
    expect((await stable(sim)).access_token).toBeDefined(); // normal mode is unaffected
    await advance(clock, 16 * 3600); // past 00:00 Shanghai
    expect((await stable(sim, { force_refresh: true })).access_token).toBeDefined();
  });

  it('is independent of /cgi-bin/token in both directions', async () => {
    ({ sim } = manualSimulator());
    const s1 = (await stable(sim)).access_token;
    const c1 = (await classic(sim)).access_token;
    await classic(sim);
    await classic(sim);
    expect(await use(sim, s1)).toBe(0);
    expect((await stable(sim)).access_token).toBe(s1);
    const c3 = (await classic(sim)).access_token;
    await stable(sim, { force_refresh: true });
    await stable(sim, { force_refresh: true });
    expect(await use(sim, c3)).toBe(0);
    expect(await use(sim, c1)).toBe(40001);
  });

  it('answers 43002 for a non-POST call and 47001 for a body that is not a JSON object', async () => {
    ({ sim } = manualSimulator());
    const get = await sim.app.inject({ method: 'GET', url: `/cgi-bin/stable_token?appid=${APPID}&secret=${SECRET}` });
    expect(get.statusCode).toBe(200);
    expect(get.json().errcode).toBe(43002);
    expect(get.json().errmsg).toMatch(/^require POST method rid: /);
    for (const payload of ['{"grant_type":', 'grant_type=client_credential', '[1]', '']) {
      const res = await sim.app.inject({ method: 'POST', url: '/cgi-bin/stable_token', payload, headers: { 'content-type': 'application/json' } });
      expect(res.statusCode).toBe(200);
      expect(res.json().errcode).toBe(47001);
      expect(res.json().errmsg).toMatch(/^data format error rid: /);
    }
    const form = await sim.app.inject({
      method: 'POST',
      url: '/cgi-bin/stable_token',
      payload: 'grant_type=client_credential',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
    });
    expect(form.json().errcode).toBe(47001);
  });

  it('validates in WeChat order: 40002, 41002, 40013, 41004, 40125', async () => {
    ({ sim } = manualSimulator());
    const cases: Array<[Record<string, unknown>, number, string]> = [
      [{ grant_type: 'x', appid: undefined, secret: undefined }, 40002, 'invalid grant_type'],
      [{ appid: undefined, secret: undefined }, 41002, 'appid missing'],
      [{ appid: 'wxnobody', secret: undefined }, 40013, 'invalid appid'],
      [{ secret: undefined }, 41004, 'appsecret missing'],
      [{ secret: 'wrong' }, 40125, 'invalid appsecret'],
    ];
    for (const [body, errcode, text] of cases) {
      const res = await stable(sim, body);
      expect(res.errcode).toBe(errcode);
      expect(res.errmsg).toMatch(new RegExp(`^${text} rid: [0-9a-f]{8}-[0-9a-f]{8}-[0-9a-f]{8}$`));
    }
  });

  it('answers 45011 at the minute quota until the next minute, and 45009 at the daily quota', async () => {
    const { sim: s, clock } = manualSimulator({ stableMinuteQuota: 3, stableDailyQuota: 5 });
    sim = s;
    for (let i = 0; i < 3; i++) expect((await stable(sim)).access_token).toBeDefined();
    const limited = await stable(sim);
    expect(limited.errcode).toBe(45011);
    expect(limited.errmsg).toMatch(/^api minute-quota reach limit mustslower retry next minute rid: /);
    await advance(clock, 60);
    for (let i = 0; i < 2; i++) expect((await stable(sim)).access_token).toBeDefined();
    expect((await stable(sim)).errcode).toBe(45009);
  });

  it('answers 40164 from outside the allow-list', async () => {
    ({ sim } = manualSimulator({ apps: [{ appid: APPID, secret: SECRET, ipAllowList: ['10.1.2.3'] }] }));
    const res = await sim.app.inject({
      method: 'POST',
      url: '/cgi-bin/stable_token',
      payload: { grant_type: 'client_credential', appid: APPID, secret: SECRET },
      remoteAddress: '127.0.0.9',
    });
    expect(res.json().errcode).toBe(40164);
    expect(res.json().errmsg).toMatch(/^invalid ip 127\.0\.0\.9 ipv6 ::ffff:127\.0\.0\.9, not in whitelist rid: /);
  });
});
