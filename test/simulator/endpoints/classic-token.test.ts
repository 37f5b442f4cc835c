import { afterEach, describe, expect, it } from 'vitest';
import { RID_PATTERN, TOKEN_PATTERN, type Simulator } from '../../../src/simulator/index.js';
import { APPID, SECRET, START, advance, classic, manualSimulator, use } from '../helpers.js';

let sim: Simulator;
afterEach(() => sim?.close());

function errmsgRid(errmsg: string): string {
  const match = / rid: (\S+)$/.exec(errmsg);
  if (!match?.[1]) throw new Error(`no rid in ${errmsg}`);
  return match[1];
}

describe('GET /cgi-bin/token', () => {
  it('answers only access_token and expires_in, in the simulator token shape', async () => {
    ({ sim } = manualSimulator());
    const body = await classic(sim);
    expect(Object.keys(body).sort()).toEqual(['access_token', 'expires_in']);
    expect(body.expires_in).toBe(7200);
    expect(body.access_token).toMatch(TOKEN_PATTERN);
    expect(body.access_token.length).toBeLessThanOrEqual(512);
  });

  it('keeps the superseded token valid for the grace, then answers 40001', async () => {
    const { sim: s, clock } = manualSimulator();
    sim = s;
    const a = (await classic(sim)).access_token;
    await advance(clock, 1000);
    const b = (await classic(sim)).access_token;
    expect(b).not.toBe(a);
    expect(await use(sim, a)).toBe(0);
    expect(await use(sim, b)).toBe(0);
    await advance(clock, 299);
    expect(await use(sim, a)).toBe(0);
    await advance(clock, 1);
    expect(await use(sim, a)).toBe(40001);
    expect(await use(sim, b)).toBe(0);
  });

  it('kills a token superseded twice at once', async () => {
    ({ sim } = manualSimulator());
    const a = (await classic(sim)).access_token;
    await classic(sim);
    expect(await use(sim, a)).toBe(0);
    await classic(sim);
    expect(await use(sim, a)).toBe(40001);
  });

  it('answers 42001 for a naturally expired token, and the grace never outlives the token itself', async () => {
    const { sim: s, clock } = manualSimulator();
    sim = s;
    const a = (await classic(sim)).access_token;
    await advance(clock, 7100);
    await classic(sim); // a would get 300 s of grace, but only 100 s of its own life remain
    await advance(clock, 99);
    expect(await use(sim, a)).toBe(0);
    await advance(clock, 1);
    expect(await use(sim, a)).toBe(42001);
    const c = (await classic(sim)).access_token;
    await advance(clock, 7200);
    expect(await use(sim, c)).toBe(42001);
  });

  it('answers 41001 without a token, 40014 for a malformed one, 40001 for an unknown well-formed one', async () => {
    ({ sim } = manualSimulator());
    expect(await use(sim, undefined)).toBe(41001);
    expect(await use(sim, '')).toBe(41001);
    expect(await use(sim, 'not-a-token')).toBe(40014);
    expect(await use(sim, `12_${'x'.repeat(10)}`)).toBe(40014);
    expect(await use(sim, `12_${'A'.repeat(96)}`)).toBe(40001);
  });

  it('validates in WeChat order with WeChat shapes, all with HTTP 200', async () => {
    ({ sim } = manualSimulator());
    const cases: Array<[Record<string, string>, number, string]> = [
      [{ grant_type: 'password', appid: '', secret: '' }, 40002, 'invalid grant_type'],
      [{ appid: '', secret: '' }, 41002, 'appid missing'],
      [{ appid: 'wxunknown', secret: '' }, 40013, 'invalid appid'],
      [{ secret: '' }, 41004, 'appsecret missing'],
      [{ secret: 'wrong' }, 40001, 'invalid credential, access_token is invalid or not latest'],
    ];
    for (const [query, errcode, text] of cases) {
      const params = new URLSearchParams({ grant_type: 'client_credential', appid: APPID, secret: SECRET, ...query });
      const res = await sim.app.inject({ method: 'GET', url: `/cgi-bin/token?${params}` });
      expect(res.statusCode).toBe(200);
      const body = res.json();
      expect(Object.keys(body).sort()).toEqual(['errcode', 'errmsg']);
      expect(body.errcode).toBe(errcode);
      expect(body.errmsg.startsWith(`${text} rid: `)).toBe(true);
    }
    expect(sim.state.counters(APPID).fetches.classic).toBe(0);
  });

  it('answers 40125 for a wrong secret when configured to', async () => {
    ({ sim } = manualSimulator({ wrongSecretErrcode: 40125 }));
    const body = await classic(sim, { secret: 'wrong' });
    expect(body.errcode).toBe(40125);
    expect(body.errmsg).toMatch(/^invalid appsecret rid: /);
  });

  it('stamps errors with a rid whose first group is the request time in hex', async () => {
    const { sim: s, clock } = manualSimulator();
    sim = s;
    await advance(clock, 12.5);
    const rid = errmsgRid((await classic(sim, { appid: '' })).errmsg);
    const match = RID_PATTERN.exec(rid);
    expect(match?.[1]).toBe(Math.floor((START + 12_500) / 1000).toString(16));
    const other = errmsgRid((await classic(sim, { appid: '' })).errmsg);
    expect(other).not.toBe(rid);
    expect(other.slice(0, 8)).toBe(rid.slice(0, 8));
  });

  it('answers 40164 for a client outside the IP allow-list, after the secret check', async () => {
    ({ sim } = manualSimulator({ apps: [{ appid: APPID, secret: SECRET, ipAllowList: ['10.0.0.0/8', '192.168.1.7'] }] }));
    const params = new URLSearchParams({ grant_type: 'client_credential', appid: APPID, secret: SECRET });
    const from = async (ip: string, secret = SECRET): Promise<any> => {
      params.set('secret', secret);
      return (await sim.app.inject({ method: 'GET', url: `/cgi-bin/token?${params}`, remoteAddress: ip })).json();
    };
    const denied = await from('127.0.0.1');
    expect(denied.errcode).toBe(40164);
    expect(denied.errmsg).toMatch(/^invalid ip 127\.0\.0\.1 ipv6 ::ffff:127\.0\.0\.1, not in whitelist rid: [0-9a-f]{8}-[0-9a-f]{8}-[0-9a-f]{8}$/);
    expect((await from('127.0.0.1', 'wrong')).errcode).toBe(40001);
    expect((await from('10.20.30.40')).access_token).toBeDefined();
    expect((await from('::ffff:192.168.1.7')).access_token).toBeDefined();
    expect((await from('192.168.1.8')).errcode).toBe(40164);
  });

  it('answers 45009 once the daily quota is used, until 00:00 Asia/Shanghai (not UTC)', async () => {
    const { sim: s, clock } = manualSimulator({ classicDailyQuota: 3 });
    sim = s;
    // START is 00:00 UTC = 08:00 in Shanghai.
    for (let i = 0; i < 3; i++) expect((await classic(sim)).access_token).toBeDefined();
    const limited = await classic(sim);
    expect(limited.errcode).toBe(45009);
    expect(limited.errmsg).toMatch(/^reach max api daily quota limit rid: /);
    await advance(clock, 16 * 3600 - 1); // 23:59:59 in Shanghai
    expect((await classic(sim)).errcode).toBe(45009);
    await advance(clock, 1); // 00:00:00 in Shanghai
    for (let i = 0; i < 3; i++) expect((await classic(sim)).access_token).toBeDefined();
    expect((await classic(sim)).errcode).toBe(45009);
    await advance(clock, 8 * 3600 + 1); // just past 00:00 UTC: the same Shanghai day
    expect((await classic(sim)).errcode).toBe(45009);
  });
});
