import { afterEach, describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/util/clock.js';
import { AppNotFoundError, InvalidRequestError } from '../../src/errors/index.js';
import { verifyJssdkSignature } from '../../src/wechat/jssdk-signature.js';
import { budgetAllows, countCall } from '../../src/core/kinds/hourly-budget.js';
import { STICKY_FINE_PROBE_FRACTION, STICKY_PROBE_FRACTION } from '../../src/core/kinds/sticky-value.js';
import { nextWeComTokenRecord, STILL_HELD_RETRY_MS } from '../../src/core/kinds/wecom-token.js';
import { createTestStore } from '../support/test-store.js';
import { hubHarness } from '../support/hub-harness.js';
import { FakeFetcher } from '../support/fake-fetcher.js';

const CORP_A = 'ww0123456789abcdef';
const CORP_B = 'ww00000000000000bb';
const HOUR = 3_600_000;
const LIFE = 7_200_000;

const { setup, stopAll } = hubHarness();
afterEach(stopAll);

/** A hub with no app and three WeCom apps of two corps. */
async function wecomHub(options: { fetcher?: FakeFetcher; clock?: ManualClock } = {}) {
  const clock = options.clock ?? new ManualClock(Date.UTC(2026, 5, 1, 2, 0, 0));
  const store = await createTestStore(clock);
  const h = await setup({ clock, store, ...(options.fetcher && { fetcher: options.fetcher }) });
  await h.hub.wecom.put(CORP_A, '1000002', { secret: 'secret-a-1000002' });
  await h.hub.wecom.put(CORP_A, 'contacts', { secret: 'secret-a-contacts' });
  await h.hub.wecom.put(CORP_B, '1000005', { secret: 'secret-b-1000005' });
  return h;
}

describe('WeCom apps', () => {
  it('serves three apps of two corps side by side, each with the token of its own secret', async () => {
    const { hub, fetcher } = await wecomHub();
    const a = await hub.wecom.getToken(CORP_A, '1000002');
    const contacts = await hub.wecom.getToken(CORP_A, 'contacts');
    const b = await hub.wecom.getToken(CORP_B, '1000005');
    expect(new Set([a.token, contacts.token, b.token]).size).toBe(3);
    expect(fetcher.wecomCalls.map((c) => `${c.corpid} ${c.secret}`).sort()).toEqual([
      `${CORP_B} secret-b-1000005`,
      `${CORP_A} secret-a-1000002`,
      `${CORP_A} secret-a-contacts`,
    ]);
    expect(hub.wecom.list().map((s) => [s.corpid, s.agent, s.state])).toEqual([
      [CORP_B, '1000005', 'ok'],
      [CORP_A, '1000002', 'ok'],
      [CORP_A, 'contacts', 'ok'],
    ]);
    expect(hub.wecom.agentOfToken(a.token)).toEqual({ corpid: CORP_A, agent: '1000002' });
    expect(hub.wecom.agentOfToken('not-issued')).toBeUndefined();
    // The app kind never runs for a WeCom principal, nor the WeCom kinds for an app.
    expect(fetcher.calls).toHaveLength(0);
  });

  it('500 concurrent cold reads of one app make one gettoken', async () => {
    const clock = new ManualClock(Date.UTC(2026, 5, 1, 2, 0, 0));
    const fetcher = new FakeFetcher(clock);
    const store = await createTestStore(clock);
    const writer = await setup({ clock, store, fetcher: new FakeFetcher(clock) });
    await writer.hub.wecom.put(CORP_A, '1000002', { secret: 's' });
    await writer.hub.stop();
    const { hub } = await setup({ clock, store, fetcher });
    const tokens = await Promise.all(Array.from({ length: 500 }, () => hub.wecom.getToken(CORP_A, '1000002')));
    expect(new Set(tokens.map((t) => t.token)).size).toBe(1);
    expect(fetcher.wecomCalls).toHaveLength(1);
  });

  it('dates a token WeCom hands back unchanged from when it first appeared: about one gettoken per lifetime', async () => {
    const { hub, fetcher, clock } = await wecomHub();
    await hub.wecom.getToken(CORP_A, '1000002');
    const seen = new Set<string>();
    for (let t = 0; t < 6 * LIFE; t += 60_000) {
      // A caller may wait for the moment WeCom can hand out a new token: advance the clock while it does.
      const read = hub.wecom.getToken(CORP_A, '1000002');
      await clock.advance(60_000);
      seen.add((await read).token);
    }
    const calls = fetcher.wecomCalls.filter((c) => c.secret === 'secret-a-1000002');
    expect(seen.size).toBeGreaterThanOrEqual(6);
    // Steady state (the last three of six lifetimes): one gettoken per lifetime, ± 1.
    const steady = calls.filter((c) => c.at > clock.now() - 3 * LIFE).length;
    expect(steady).toBeGreaterThanOrEqual(2);
    expect(steady).toBeLessThanOrEqual(4);
    // The cold start costs at most a probe per probe interval until the token is replaced, then a close probe per
    // close-probe interval until its successor's issue time is pinned (sticky-value.ts).
    const coldStart = 1 / STICKY_PROBE_FRACTION + 1 + STICKY_PROBE_FRACTION / STICKY_FINE_PROBE_FRACTION + 1;
    expect(calls.length - steady).toBeLessThanOrEqual(coldStart + 2);
  });

  it('a report of the current token calls gettoken even while WeCom would answer the same one, and heals an early kill', async () => {
    const { hub, fetcher } = await wecomHub();
    const first = await hub.wecom.getToken(CORP_A, '1000002');
    fetcher.deadTokens.add(first.token);
    const before = fetcher.wecomCalls.length;
    const healed = await hub.wecom.invalidate(CORP_A, '1000002', first.token);
    expect(healed.token).not.toBe(first.token);
    expect(fetcher.wecomCalls.length).toBe(before + 1);
    // A stale report costs nothing.
    expect((await hub.wecom.invalidate(CORP_A, '1000002', first.token)).token).toBe(healed.token);
    expect(fetcher.wecomCalls.length).toBe(before + 1);
  });

  it('signs wx.config with the corp ticket and wx.agentConfig with the app ticket; a storm of 1,000 signings costs one call of each', async () => {
    const { hub, fetcher } = await wecomHub();
    const url = 'https://work.example.com/page?x=1';
    const configs = await Promise.all(Array.from({ length: 1000 }, () => hub.wecom.signJsSdkConfig(CORP_A, '1000002', url)));
    const corpTicket = (await hub.wecom.getTicket(CORP_A, '1000002', 'jsapi')).token;
    const agentTicket = (await hub.wecom.getTicket(CORP_A, '1000002', 'agent_config')).token;
    expect(corpTicket).not.toBe(agentTicket);
    for (const { config, agentConfig } of configs.slice(0, 20)) {
      expect(config.appId).toBe(CORP_A);
      expect(agentConfig).toMatchObject({ corpid: CORP_A, agentid: 1000002 });
      expect(verifyJssdkSignature({ ticket: corpTicket, nonceStr: config.nonceStr, timestamp: config.timestamp, url }, config.signature)).toBe(true);
      expect(verifyJssdkSignature({ ticket: agentTicket, nonceStr: agentConfig.nonceStr, timestamp: agentConfig.timestamp, url }, agentConfig.signature)).toBe(true);
    }
    expect(fetcher.wecomTicketCalls.map((c) => c.type).sort()).toEqual(['agent_config', 'jsapi']);
    await expect(hub.wecom.signJsSdkConfig(CORP_A, 'contacts', url)).rejects.toBeInstanceOf(InvalidRequestError);
  });

  it('refuses unknown apps and malformed names', async () => {
    const { hub } = await wecomHub();
    await expect(hub.wecom.getToken(CORP_A, '999')).rejects.toBeInstanceOf(AppNotFoundError);
    await expect(hub.wecom.getToken('bad corp', '1')).rejects.toBeInstanceOf(InvalidRequestError);
    await expect(hub.wecom.put(CORP_A, 'Bad Name', { secret: 's' })).rejects.toBeInstanceOf(InvalidRequestError);
    await expect(hub.wecom.put(CORP_A, '1', { secret: 'has space' })).rejects.toBeInstanceOf(InvalidRequestError);
  });

  it('finds the app of a corp by its secret, and removes an app with its credentials', async () => {
    const { hub } = await wecomHub();
    expect(await hub.wecom.agentOfSecret(CORP_A, 'secret-a-contacts')).toBe('contacts');
    expect(await hub.wecom.agentOfSecret(CORP_A, 'secret-b-1000005')).toBeUndefined();
    await hub.wecom.getToken(CORP_A, '1000002');
    expect(await hub.wecom.remove(CORP_A, '1000002')).toBe(true);
    await expect(hub.wecom.getToken(CORP_A, '1000002')).rejects.toBeInstanceOf(AppNotFoundError);
    expect(await hub.wecom.remove(CORP_A, '1000002')).toBe(false);
  });
});

describe('the hourly ticket budget', () => {
  const H = Date.UTC(2026, 5, 1, 2, 0, 0);
  it.each([
    ['no count yet', null, H + 10, 100, true],
    ['under the limit', { hour: H, calls: 99 }, H + 10, 100, true],
    ['at the limit: wait for the next hour', { hour: H, calls: 100 }, H + 10, 100, { waitUntil: H + HOUR }],
    ['a count of an earlier hour does not limit', { hour: H - HOUR, calls: 500 }, H + 10, 100, true],
  ] as const)('%s', (_name, count, now, limit, expected) => {
    expect(budgetAllows(count, now, limit)).toEqual(expected);
  });

  it('counts within the hour and starts again in the next', () => {
    expect(countCall(null, H + 5)).toEqual({ hour: H, calls: 1 });
    expect(countCall({ hour: H, calls: 4 }, H + 5)).toEqual({ hour: H, calls: 5 });
    expect(countCall({ hour: H, calls: 4 }, H + HOUR)).toEqual({ hour: H + HOUR, calls: 1 });
  });
});

describe('dating a WeCom token (nextWeComTokenRecord)', () => {
  const T = Date.UTC(2026, 5, 1, 2, 0, 0);
  const record = (token: string, state: Record<string, unknown>, obtainedAt = T, expiresAt = T + 900_000) => ({
    key: 'wecom:ww01/1:wecom_token',
    version: 1,
    token,
    expiresAt,
    obtainedAt,
    failure: null,
    state,
    pending: null,
    invalidations: 0,
  });
  const call = (rec: ReturnType<typeof record> | null, at: number) => ({ record: rec, startedAt: at, returnedAt: at + 50 });
  /** The answer as a value to store (failing the test when it is a wait). */
  const value = (obtained: ReturnType<typeof nextWeComTokenRecord>) => {
    if ('waitUntil' in obtained) throw new Error(`expected a value, got a wait until ${obtained.waitUntil}`);
    return obtained;
  };

  it('a first answer has an unknown age: vouched for a probe interval, its implied expiry kept', () => {
    const next = value(nextWeComTokenRecord(call(null, T), 'A', T + LIFE));
    expect(next.expiresAt).toBe(T + LIFE * STICKY_PROBE_FRACTION);
    expect(next.state).toMatchObject({ ageKnown: false, impliedExpiresAt: T + LIFE });
  });

  it('the same token implying the same end (WeCom counts down): that end is exact', () => {
    const first = value(nextWeComTokenRecord(call(null, T), 'A', T + LIFE));
    const again = nextWeComTokenRecord(call(record('A', first.state as Record<string, unknown>), T + 900_000), 'A', T + LIFE + 1_000);
    expect(again).toMatchObject({ token: 'A', expiresAt: T + LIFE, obtainedAt: T, state: { exact: true } });
  });

  it('the same token implying a later end (the full expires_in again): dated as a sticky value', () => {
    const first = value(nextWeComTokenRecord(call(null, T), 'A', T + LIFE));
    const again = value(nextWeComTokenRecord(call(record('A', first.state as Record<string, unknown>), T + 900_000), 'A', T + 900_000 + LIFE));
    expect(again.state).not.toHaveProperty('exact');
    expect(again.state).toMatchObject({ ageKnown: false, impliedExpiresAt: T + 900_000 + LIFE });
  });

  it('once exact, the same token near its end never gains life from a rounded-up expires_in', () => {
    const exact = record('A', { impliedExpiresAt: T + LIFE, exact: true }, T, T + LIFE);
    const next = value(nextWeComTokenRecord(call(exact, T + LIFE - 200), 'A', T + LIFE - 200 + 1_000));
    expect(next.expiresAt).toBe(T + LIFE);
  });

  it('once exact, the same token handed back after its end means its successor is moments away: ask again shortly', () => {
    const exact = record('A', { impliedExpiresAt: T + LIFE, exact: true }, T, T + LIFE);
    expect(nextWeComTokenRecord(call(exact, T + LIFE + 5), 'A', T + LIFE + 1_005)).toEqual({ waitUntil: T + LIFE + 5 + 50 + STILL_HELD_RETRY_MS });
  });

  it('once exact, a new token is exact at once: one gettoken per lifetime', () => {
    const exact = record('A', { impliedExpiresAt: T + LIFE, exact: true }, T, T + LIFE);
    const next = nextWeComTokenRecord(call(exact, T + LIFE), 'B', T + 2 * LIFE);
    expect(next).toEqual({ token: 'B', obtainedAt: T + LIFE, expiresAt: T + 2 * LIFE, state: { impliedExpiresAt: T + 2 * LIFE, exact: true } });
  });
});
