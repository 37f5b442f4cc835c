import { PassThrough } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import { DEFAULT_AUTH_FAILURE_LIMIT, DEFAULT_AUTH_FAILURE_WINDOW_MS } from '../../src/server/index.js';
import { ADMIN_KEY, APPID, SECRET, bearer, expectError, setup, type Harness } from './helpers.js';

const ATTACKER = '203.0.113.7';
const NEIGHBOUR = '203.0.113.8';

describe('failed authentication is throttled per address', () => {
  let h: Harness | undefined;
  let log = '';
  afterEach(async () => {
    await h?.app.close();
    h = undefined;
  });

  async function start(): Promise<void> {
    const stream = new PassThrough();
    log = '';
    stream.on('data', (d: Buffer) => (log += d.toString()));
    h = await setup({ logger: { level: 'warn', stream } });
  }

  const v1 = (key: string, remoteAddress = ATTACKER) => h!.app.inject({ url: `/v1/apps/${APPID}/access-token`, headers: bearer(key), remoteAddress });

  it('documents 20 failures a minute', () => {
    expect(DEFAULT_AUTH_FAILURE_LIMIT).toBe(20);
    expect(DEFAULT_AUTH_FAILURE_WINDOW_MS).toBe(60_000);
  });

  it('answers 429 with Retry-After after 20 wrong client keys in a minute, even to a right key, then recovers', async () => {
    await start();
    for (let i = 0; i < 20; i++) expectError(await v1(`wxt_wrong-${i}`), 401, 'unauthorized');
    const refused = await v1(h!.oneKey);
    expectError(refused, 429, 'auth_throttled');
    expect(refused.headers['retry-after']).toBe('60');
    expect((await v1(h!.oneKey, NEIGHBOUR)).statusCode).toBe(200);
    await h!.clock.advance(30_000);
    expect((await v1(h!.oneKey)).headers['retry-after']).toBe('30');
    await h!.clock.advance(30_000);
    expect((await v1(h!.oneKey)).statusCode).toBe(200);
    // A request with no key at all is not a guess: neither counted nor refused.
    expectError(await h!.app.inject({ url: `/v1/apps/${APPID}/access-token`, remoteAddress: ATTACKER }), 401, 'unauthorized');
  });

  it('counts failures and refusals in /metrics and logs once per burst, never a key', async () => {
    await start();
    for (let i = 0; i < 25; i++) await v1(`wxt_wrong-${i}`);
    const metrics = (await h!.app.inject({ url: '/metrics' })).body;
    expect(metrics).toMatch(/wxtoken_auth_failures_total\{surface="client"\} 20\b/);
    expect(metrics).toMatch(/wxtoken_auth_throttled_total\{surface="client"\} 5\b/);
    await new Promise((r) => setImmediate(r));
    const lines = log.split('\n').filter((l) => l.includes('too many failed authentications'));
    expect(lines).toHaveLength(1);
    expect(JSON.parse(lines[0]!)).toMatchObject({ address: ATTACKER, surface: 'client' });
    expect(log).not.toContain('wxt_wrong');
  });

  it('throttles wrong admin keys', async () => {
    await start();
    for (let i = 0; i < 20; i++) expectError(await h!.app.inject({ url: '/v1/apps', headers: bearer(`${ADMIN_KEY}-${i}`), remoteAddress: ATTACKER }), 401, 'unauthorized');
    const refused = await h!.app.inject({ url: '/v1/apps', headers: bearer(ADMIN_KEY), remoteAddress: ATTACKER });
    expectError(refused, 429, 'auth_throttled');
    expect((await h!.app.inject({ url: '/v1/apps', headers: bearer(ADMIN_KEY), remoteAddress: NEIGHBOUR })).statusCode).toBe(200);
  });

  it('throttles wrong secrets on /cgi-bin/token and /cgi-bin/stable_token with WeChat-shaped 429s', async () => {
    await start();
    for (let i = 0; i < 10; i++) {
      const res = await h!.app.inject({ url: `/cgi-bin/token?grant_type=client_credential&appid=${APPID}&secret=wrong-${i}`, remoteAddress: ATTACKER });
      expect(res.json().errcode).toBe(40125);
      const stable = await h!.app.inject({
        method: 'POST',
        url: '/cgi-bin/stable_token',
        payload: { grant_type: 'client_credential', appid: APPID, secret: `wrong-s-${i}` },
        remoteAddress: ATTACKER,
      });
      expect(stable.json().errcode).toBe(40125);
    }
    const refused = await h!.app.inject({ url: `/cgi-bin/token?grant_type=client_credential&appid=${APPID}&secret=${SECRET}`, remoteAddress: ATTACKER });
    expect(refused.statusCode).toBe(429);
    expect(refused.headers['retry-after']).toBe('60');
    expect(refused.json()).toMatchObject({ errcode: 45011 });
    expect(refused.body).not.toContain(SECRET);
    const neighbour = await h!.app.inject({ url: `/cgi-bin/token?grant_type=client_credential&appid=${APPID}&secret=${SECRET}`, remoteAddress: NEIGHBOUR });
    expect(neighbour.json().access_token).toBeDefined();
  });

  it('can be disabled with authFailureLimit 0', async () => {
    h = await setup({ authFailureLimit: 0 });
    for (let i = 0; i < 50; i++) await v1(`wxt_wrong-${i}`);
    expect((await v1(h!.oneKey)).statusCode).toBe(200);
  });
});
