/**
 * The WeChat client against the real simulator over loopback: every endpoint, the errors WeChat answers, and
 * every fault mode the simulator can inject. One simulator per test, on a ManualClock shared with the client.
 */
import { inspect } from 'node:util';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/util/clock.js';
import { UpstreamTransportError, WeChatError } from '../../src/errors/index.js';
import { createSimulator, RID_PATTERN, type FaultMode, type Simulator, type SimulatorOptions } from '../../src/simulator/index.js';
import {
  clearQuota,
  clearQuotaV2,
  getAccessToken,
  getApiDomainIp,
  getApiQuota,
  getCallbackIp,
  getMenu,
  getStableAccessToken,
  getTicket,
  getWeComAgentConfigTicket,
  getWeComJsapiTicket,
  getWeComToken,
  type AccessToken,
  type WeChatRequestOptions,
} from '../../src/wechat/index.js';
import { rejectionOf } from './endpoints.js';

const APPID = 'wxclient00000001';
const SECRET = 'S3CRET-sim-canary-0c9d2e7b51';
const CORPID = 'wwclient00000001';
const CORP_SECRET = 'CORPSECRET-sim-canary-a8f3e1';
const START = Date.UTC(2026, 0, 1);

let clock: ManualClock;
let sim: Simulator;
let base: WeChatRequestOptions;

async function start(options: SimulatorOptions = {}): Promise<void> {
  await sim?.close();
  clock = new ManualClock(START);
  sim = createSimulator({ clock, apps: [{ appid: APPID, secret: SECRET }], corps: [{ corpid: CORPID, secret: CORP_SECRET }], ...options });
  const baseUrl = await sim.listen({ host: '127.0.0.1', port: 0 });
  base = { baseUrl, clock, timeoutMs: 5_000 };
}

beforeEach(() => start());
afterEach(() => sim.close());

const classic = (extra: Partial<{ appid: string; secret: string }> = {}): Promise<AccessToken> =>
  getAccessToken({ ...base, appid: APPID, secret: SECRET, ...extra });
const stable = (extra: Partial<{ appid: string; secret: string; forceRefresh: boolean }> = {}): Promise<AccessToken> =>
  getStableAccessToken({ ...base, appid: APPID, secret: SECRET, ...extra });
const wecom = (extra: Partial<{ corpid: string; corpsecret: string }> = {}): Promise<AccessToken> =>
  getWeComToken({ ...base, corpid: CORPID, corpsecret: CORP_SECRET, ...extra });

/** Every rendering of an error that could reach a log or a caller. */
function expectNothingSecret(err: unknown, tokens: readonly string[] = []): void {
  const e = err as Error;
  for (const text of [e.message, e.stack ?? '', JSON.stringify(e), inspect(e, { depth: 10, showHidden: true })]) {
    for (const secret of [SECRET, CORP_SECRET, ...tokens]) expect(text).not.toContain(secret);
  }
}

async function wechatError(promise: Promise<unknown>): Promise<WeChatError> {
  const err = await rejectionOf(promise);
  expect(err).toBeInstanceOf(WeChatError);
  const e = err as WeChatError;
  // WeChat's endpoints end errmsg with a rid; WeCom's carry a hint in its place.
  if (e.errmsg.includes(', hint: [')) {
    expect(e.rid).toMatch(/^\d{25}$/);
    expect(e.errmsg).toContain(`hint: [${e.rid}]`);
  } else {
    expect(e.rid).toMatch(RID_PATTERN);
    expect(e.errmsg).toContain(`rid: ${e.rid}`);
  }
  return e;
}

describe('credential endpoints against the simulator', () => {
  it('/cgi-bin/token: a token the simulator accepts, expiring exactly when the simulator says', async () => {
    const token = await classic();
    const view = sim.state.tokens(APPID);
    expect('classic' in view && view.classic.current?.value).toBe(token.token);
    expect(token.expiresAt).toBe(START + 7_200_000);
    expect('classic' in view && view.classic.current?.expiresAt).toBe(token.expiresAt);
    expect(sim.state.counters(APPID).fetches.classic).toBe(1);
  });

  it('/cgi-bin/token: each fetch rotates; the previous token works for the grace period, then is token-invalid', async () => {
    const first = await classic();
    const second = await classic();
    expect(second.token).not.toBe(first.token);
    await expect(getCallbackIp({ ...base, accessToken: first.token })).resolves.toEqual(['106.55.206.146', '106.55.206.211']);
    await clock.advance(301_000);
    const err = await wechatError(getCallbackIp({ ...base, accessToken: first.token }));
    expect(err).toMatchObject({ errcode: 40001, category: 'token-invalid', endpoint: '/cgi-bin/getcallbackip' });
    await expect(getCallbackIp({ ...base, accessToken: second.token })).resolves.toHaveLength(2);
  });

  it('/cgi-bin/stable_token: normal mode repeats the token with its remaining lifetime; force mode rotates', async () => {
    const first = await stable();
    expect(first.expiresAt).toBe(START + 7_200_000);
    await clock.advance(1_000_000);
    const again = await stable();
    expect(again.token).toBe(first.token);
    expect(again.expiresAt).toBeLessThanOrEqual(first.expiresAt);
    expect(first.expiresAt - again.expiresAt).toBeLessThan(1_000);
    const forced = await stable({ forceRefresh: true });
    expect(forced.token).not.toBe(first.token);
    expect(forced.expiresAt).toBe(clock.now() + 7_200_000);
    const counters = sim.state.counters(APPID);
    expect(counters.fetches.stableNormal).toBe(2);
    expect(counters.rotations.stableForce).toBe(1);
  });

  it('/cgi-bin/stable_token: a rotation from elsewhere supersedes the token the client holds', async () => {
    const held = await stable({ forceRefresh: true });
    sim.state.rotate(APPID, 'stable', true);
    sim.state.rotate(APPID, 'stable', true);
    const err = await wechatError(getMenu({ ...base, accessToken: held.token }));
    expect(err).toMatchObject({ errcode: 40001, category: 'token-invalid' });
  });

  it('WeCom /cgi-bin/gettoken: the same token while valid, a new one after expiry', async () => {
    const first = await wecom();
    const again = await wecom();
    expect(again.token).toBe(first.token);
    await clock.advance(7_200_001);
    const renewed = await wecom();
    expect(renewed.token).not.toBe(first.token);
    expect(renewed.expiresAt).toBe(clock.now() + 7_200_000);
  });
});

describe('tickets, quota APIs and business probes against the simulator', () => {
  it.each(['jsapi', 'wx_card'] as const)('getticket type=%s with a classic and with a stable token', async (type) => {
    for (const token of [await classic(), await stable()]) {
      const ticket = await getTicket({ ...base, accessToken: token.token, type });
      expect(ticket.ticket).toMatch(/^[A-Za-z0-9_-]{86}$/);
      expect(ticket.expiresAt).toBe(clock.now() + 7_200_000);
      const view = sim.state.tokens(APPID);
      expect('tickets' in view && 'wx_card' in view.tickets && view.tickets[type].current?.value).toBe(ticket.ticket);
    }
  });

  it('WeCom get_jsapi_ticket and ticket/get?type=agent_config', async () => {
    const token = await wecom();
    const corpTicket = await getWeComJsapiTicket({ ...base, accessToken: token.token });
    const agentTicket = await getWeComAgentConfigTicket({ ...base, accessToken: token.token });
    expect(corpTicket.ticket).not.toBe(agentTicket.ticket);
    expect(corpTicket.expiresAt).toBe(START + 7_200_000);
    const counters = sim.state.counters(CORPID);
    expect(counters.fetches.corpJsapiTicket).toBe(1);
    expect(counters.fetches.agentConfigTicket).toBe(1);
  });

  it('the business probes answer with a valid token', async () => {
    const { token } = await classic();
    await expect(getCallbackIp({ ...base, accessToken: token })).resolves.toEqual(['106.55.206.146', '106.55.206.211']);
    await expect(getApiDomainIp({ ...base, accessToken: token })).resolves.toEqual(['101.89.47.18', '101.91.34.103', '101.226.212.27']);
    await expect(getMenu({ ...base, accessToken: token })).resolves.toMatchObject({ menu: { menuid: 208396938 } });
    expect(sim.state.counters(APPID).businessCalls.ok).toBe(3);
  });

  it('getApiQuota reports the real /cgi-bin/token usage; clearQuota and clearQuotaV2 reset it', async () => {
    await classic();
    const { token } = await classic();
    const quota = await getApiQuota({ ...base, accessToken: token, cgiPath: '/cgi-bin/token' });
    expect(quota).toMatchObject({ dailyLimit: 2000, used: 2, remain: 1998 });
    await clearQuota({ ...base, accessToken: token, appid: APPID });
    expect(await getApiQuota({ ...base, accessToken: token, cgiPath: '/cgi-bin/token' })).toMatchObject({ used: 0 });
    await classic();
    await clearQuotaV2({ ...base, appid: APPID, secret: SECRET });
    expect(await getApiQuota({ ...base, accessToken: token, cgiPath: '/cgi-bin/token' })).toMatchObject({ used: 0 });
  });

  it('getApiQuota for stable_token carries its per-minute rate limit', async () => {
    const { token } = await stable();
    const quota = await getApiQuota({ ...base, accessToken: token, cgiPath: '/cgi-bin/stable_token' });
    expect(quota).toEqual({
      dailyLimit: 500_000,
      used: 1,
      remain: 499_999,
      rateLimit: { callCount: 10_000, refreshSecond: 60 },
      componentRateLimit: { callCount: 0, refreshSecond: 0 },
    });
  });
});

describe('WeChat errors from the simulator become classified WeChatErrors', () => {
  it('wrong secrets: 40001 on /cgi-bin/token and WeCom gettoken, 40125 on stable_token and clear_quota/v2 — all bad-credentials', async () => {
    const wrong = 'WRONG-secret-canary-55d1';
    const errors = [
      await wechatError(classic({ secret: wrong })),
      await wechatError(wecom({ corpsecret: wrong })),
      await wechatError(stable({ secret: wrong })),
      await wechatError(clearQuotaV2({ ...base, appid: APPID, secret: wrong })),
    ];
    expect(errors.map((e) => [e.endpoint, e.errcode, e.category])).toEqual([
      ['/cgi-bin/token', 40001, 'bad-credentials'],
      ['/cgi-bin/gettoken', 40001, 'bad-credentials'],
      ['/cgi-bin/stable_token', 40125, 'bad-credentials'],
      ['/cgi-bin/clear_quota/v2', 40125, 'bad-credentials'],
    ]);
    for (const e of errors) expectNothingSecret(e, [wrong]);
  });

  it('unknown appid / corpid → 40013, missing appid → 41002, missing secret → 41004', async () => {
    expect(await wechatError(classic({ appid: 'wxnobody' }))).toMatchObject({ errcode: 40013, category: 'bad-credentials' });
    expect(await wechatError(stable({ appid: 'wxnobody' }))).toMatchObject({ errcode: 40013, category: 'bad-credentials' });
    expect(await wechatError(wecom({ corpid: 'wwnobody' }))).toMatchObject({ errcode: 40013, category: 'bad-credentials' });
    expect(await wechatError(classic({ appid: '' }))).toMatchObject({ errcode: 41002, category: 'caller-bug' });
    expect(await wechatError(classic({ secret: '' }))).toMatchObject({ errcode: 41004, category: 'caller-bug' });
    expect(await wechatError(stable({ secret: '' }))).toMatchObject({ errcode: 41004, category: 'caller-bug' });
  });

  it('a caller IP outside the app whitelist → 40164 bad-credentials, naming the IP', async () => {
    await start({ apps: [{ appid: APPID, secret: SECRET, ipAllowList: ['10.1.2.3'] }] });
    const err = await wechatError(classic());
    expect(err).toMatchObject({ errcode: 40164, category: 'bad-credentials' });
    expect(err.errmsg).toContain('invalid ip 127.0.0.1');
  });

  it('quotas: 45009 on the classic daily limit, 45011 on the stable minute limit, 48006 after the monthly resets', async () => {
    await start({ classicDailyQuota: 1, stableMinuteQuota: 1, clearQuotaMonthlyLimit: 1 });
    const { token } = await classic();
    expect(await wechatError(classic())).toMatchObject({ errcode: 45009, category: 'quota', retryable: false });
    await stable();
    expect(await wechatError(stable())).toMatchObject({ errcode: 45011, category: 'quota' });
    await clearQuota({ ...base, accessToken: token, appid: APPID });
    expect(await wechatError(clearQuotaV2({ ...base, appid: APPID, secret: SECRET }))).toMatchObject({ errcode: 48006, category: 'quota' });
  });

  it('stable force mode past its daily limit → 45009', async () => {
    await start({ forceDailyLimit: 1 });
    await stable({ forceRefresh: true });
    await clock.advance(31_000);
    expect(await wechatError(stable({ forceRefresh: true }))).toMatchObject({ errcode: 45009, category: 'quota' });
  });

  it('token outcomes on every token-using endpoint: expired 42001, malformed 40014, missing 41001, superseded 40001', async () => {
    const { token: oa } = await classic();
    const { token: corp } = await wecom();
    const calls: Array<[string, (accessToken: string) => Promise<unknown>, string]> = [
      ['getticket', (t) => getTicket({ ...base, accessToken: t, type: 'jsapi' }), oa],
      ['get_jsapi_ticket', (t) => getWeComJsapiTicket({ ...base, accessToken: t }), corp],
      ['ticket/get', (t) => getWeComAgentConfigTicket({ ...base, accessToken: t }), corp],
      ['clear_quota', (t) => clearQuota({ ...base, accessToken: t, appid: APPID }), oa],
      ['quota/get', (t) => getApiQuota({ ...base, accessToken: t, cgiPath: '/cgi-bin/token' }), oa],
      ['getcallbackip', (t) => getCallbackIp({ ...base, accessToken: t }), oa],
      ['get_api_domain_ip', (t) => getApiDomainIp({ ...base, accessToken: t }), oa],
      ['menu/get', (t) => getMenu({ ...base, accessToken: t }), oa],
    ];
    const unknown = `74_${'A'.repeat(96)}`;
    for (const [, call] of calls) {
      expect(await wechatError(call('not-a-token'))).toMatchObject({ errcode: 40014, category: 'token-invalid' });
      expect(await wechatError(call(''))).toMatchObject({ errcode: 41001, category: 'caller-bug' });
      expect(await wechatError(call(unknown))).toMatchObject({ errcode: 40001, category: 'token-invalid' });
    }
    await clock.advance(7_200_001);
    for (const [, call, token] of calls) {
      const err = await wechatError(call(token));
      expect(err).toMatchObject({ errcode: 42001, category: 'token-invalid' });
      expectNothingSecret(err, [token]);
    }
  });

  it('a WeCom token on the OA ticket endpoint → 40001 token-invalid', async () => {
    const { token } = await wecom();
    expect(await wechatError(getTicket({ ...base, accessToken: token, type: 'jsapi' }))).toMatchObject({ errcode: 40001, category: 'token-invalid' });
  });

  it('getApiQuota with a bad cgi_path → 76003, an unmodelled one → 76021, both caller-bug', async () => {
    const { token } = await classic();
    expect(await wechatError(getApiQuota({ ...base, accessToken: token, cgiPath: 'cgi-bin/token' }))).toMatchObject({ errcode: 76003, category: 'caller-bug' });
    expect(await wechatError(getApiQuota({ ...base, accessToken: token, cgiPath: '/cgi-bin/nothing' }))).toMatchObject({ errcode: 76021, category: 'caller-bug' });
  });

  it('clearQuota for another appid than the token\'s → 40013', async () => {
    const { token } = await classic();
    expect(await wechatError(clearQuota({ ...base, accessToken: token, appid: 'wxsomeoneelse' }))).toMatchObject({ errcode: 40013 });
  });
});

/** Each endpoint, with what it needs obtained first (outside the faulted path). */
interface FaultTarget {
  readonly path: string;
  readonly kind: 'token' | 'business';
  readonly prepare: () => Promise<string | undefined>;
  readonly call: (token: string | undefined, options: WeChatRequestOptions) => Promise<unknown>;
}

const oaToken = async (): Promise<string> => (await classic()).token;
const corpToken = async (): Promise<string> => (await wecom()).token;
const none = async (): Promise<undefined> => undefined;

const TARGETS: readonly FaultTarget[] = [
  { path: '/cgi-bin/token', kind: 'token', prepare: none, call: (_t, o) => getAccessToken({ ...o, appid: APPID, secret: SECRET }) },
  { path: '/cgi-bin/stable_token', kind: 'token', prepare: none, call: (_t, o) => getStableAccessToken({ ...o, appid: APPID, secret: SECRET }) },
  { path: '/cgi-bin/gettoken', kind: 'token', prepare: none, call: (_t, o) => getWeComToken({ ...o, corpid: CORPID, corpsecret: CORP_SECRET }) },
  { path: '/cgi-bin/clear_quota/v2', kind: 'token', prepare: none, call: (_t, o) => clearQuotaV2({ ...o, appid: APPID, secret: SECRET }) },
  { path: '/cgi-bin/ticket/getticket', kind: 'business', prepare: oaToken, call: (t, o) => getTicket({ ...o, accessToken: t ?? '', type: 'wx_card' }) },
  { path: '/cgi-bin/get_jsapi_ticket', kind: 'business', prepare: corpToken, call: (t, o) => getWeComJsapiTicket({ ...o, accessToken: t ?? '' }) },
  { path: '/cgi-bin/ticket/get', kind: 'business', prepare: corpToken, call: (t, o) => getWeComAgentConfigTicket({ ...o, accessToken: t ?? '' }) },
  { path: '/cgi-bin/clear_quota', kind: 'business', prepare: oaToken, call: (t, o) => clearQuota({ ...o, accessToken: t ?? '', appid: APPID }) },
  { path: '/cgi-bin/openapi/quota/get', kind: 'business', prepare: oaToken, call: (t, o) => getApiQuota({ ...o, accessToken: t ?? '', cgiPath: '/cgi-bin/token' }) },
  { path: '/cgi-bin/getcallbackip', kind: 'business', prepare: oaToken, call: (t, o) => getCallbackIp({ ...o, accessToken: t ?? '' }) },
  { path: '/cgi-bin/get_api_domain_ip', kind: 'business', prepare: oaToken, call: (t, o) => getApiDomainIp({ ...o, accessToken: t ?? '' }) },
  { path: '/cgi-bin/menu/get', kind: 'business', prepare: oaToken, call: (t, o) => getMenu({ ...o, accessToken: t ?? '' }) },
];

const TRANSPORT_FAULTS: ReadonlyArray<[FaultMode, string, number | undefined]> = [
  ['http-502', 'http-status', 502],
  ['truncated-json', 'bad-body', 200],
  ['empty-body', 'bad-body', 200],
  ['reset', 'network', undefined],
  ['hang', 'timeout', undefined],
];

describe.each(TARGETS)('injected faults on $path', ({ path, kind, prepare, call }) => {
  it.each(TRANSPORT_FAULTS)('%s → UpstreamTransportError %s, then the next request succeeds', async (mode, failure, httpStatus) => {
    const token = await prepare();
    sim.state.injectFault({ path, mode, count: 1 });
    const started = performance.now();
    const err = await rejectionOf(call(token, { ...base, timeoutMs: 300 }));
    expect(err).toBeInstanceOf(UpstreamTransportError);
    expect(err).toMatchObject({ failure, endpoint: path, httpStatus, category: 'transient', retryable: true });
    if (mode === 'hang') expect(performance.now() - started).toBeGreaterThanOrEqual(290);
    expectNothingSecret(err, token === undefined ? [] : [token]);
    await call(token, base); // rejects if the fault outlived its count
  });

  it('errcode -1 → transient WeChatError; 45009 → quota', async () => {
    const token = await prepare();
    sim.state.injectFault({ path, mode: 'errcode', errcode: -1 });
    const busy = await wechatError(call(token, base));
    expect(busy).toMatchObject({ errcode: -1, category: 'transient', retryable: true, endpoint: path });
    sim.state.injectFault({ path, mode: 'errcode', errcode: 40001 });
    const e40001 = await wechatError(call(token, base));
    expect(e40001.category).toBe(kind === 'token' ? 'bad-credentials' : 'token-invalid');
    sim.state.injectFault({ path, mode: 'errcode', errcode: 45009 });
    expect(await wechatError(call(token, base))).toMatchObject({ errcode: 45009, category: 'quota' });
    expectNothingSecret(busy, token === undefined ? [] : [token]);
  });

  it('delay → the answer arrives once the simulator clock has moved', async () => {
    const token = await prepare();
    sim.state.injectFault({ path, mode: 'delay', delayMs: 2_000 });
    let settled = false;
    const pending = call(token, base).finally(() => {
      settled = true;
    });
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(settled).toBe(false);
    await clock.advance(2_000);
    await pending;
  });

  it('delay longer than the client timeout → timeout', async () => {
    const token = await prepare();
    sim.state.injectFault({ path, mode: 'delay', delayMs: 60_000 });
    expect(await rejectionOf(call(token, { ...base, timeoutMs: 200 }))).toMatchObject({ failure: 'timeout', endpoint: path });
  });
});

describe('fault targeting and timing', () => {
  it('a fault scoped to another appid leaves this app alone', async () => {
    sim.state.injectFault({ path: '/cgi-bin/token', mode: 'http-502', appid: 'wxsomeoneelse' });
    await expect(classic()).resolves.toMatchObject({ expiresAt: START + 7_200_000 });
  });

  it('expiresAt counts from the request start, not from when the delayed answer arrived', async () => {
    sim.state.injectFault({ path: '/cgi-bin/token', mode: 'delay', delayMs: 5_000 });
    const pending = classic();
    await new Promise((resolve) => setTimeout(resolve, 50));
    await clock.advance(5_000);
    const token = await pending;
    expect(token.expiresAt).toBe(START + 7_200_000);
    const view = sim.state.tokens(APPID);
    expect('classic' in view && view.classic.current?.expiresAt).toBe(START + 5_000 + 7_200_000);
  });

  it('a caller abort during a hang → aborted, not retryable', async () => {
    sim.state.injectFault({ path: '/cgi-bin/stable_token', mode: 'hang' });
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 50);
    const err = await rejectionOf(getStableAccessToken({ ...base, appid: APPID, secret: SECRET, signal: controller.signal }));
    expect(err).toMatchObject({ failure: 'aborted', retryable: false });
  });
});
