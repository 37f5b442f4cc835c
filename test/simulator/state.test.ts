import { describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/util/clock.js';
import { resolveSimulatorOptions } from '../../src/simulator/options.js';
import { SimulatorState } from '../../src/simulator/state.js';
import { APPID, CORPID, SECRET, START, seededRandom } from './helpers.js';

function model(options: Parameters<typeof resolveSimulatorOptions>[0] = {}): { state: SimulatorState; clock: ManualClock } {
  const clock = new ManualClock(START);
  const state = new SimulatorState(resolveSimulatorOptions({ clock, random: seededRandom(), ...options }));
  state.registerApp({ appid: APPID, secret: SECRET });
  state.registerCorp({ corpid: CORPID, secret: SECRET });
  return { state, clock };
}

const oa = ['classic', 'stable'] as const;

describe('SimulatorState (pure model, ManualClock, compressed durations)', () => {
  it('classic rotation with a compressed grace', async () => {
    const { state, clock } = model({ tokenTtlSeconds: 10, graceSeconds: 2 });
    const app = state.app(APPID)!;
    const a = state.issueClassic(app).credential.value;
    const b = state.issueClassic(app).credential.value;
    expect(state.checkToken(a, oa)).toMatchObject({ ok: true });
    await clock.advance(2000);
    expect(state.checkToken(a, oa)).toMatchObject({ ok: false, errcode: 40001 });
    expect(state.checkToken(b, oa)).toMatchObject({ ok: true });
    await clock.advance(8000);
    expect(state.checkToken(b, oa)).toMatchObject({ ok: false, errcode: 42001 });
  });

  it('expires_in is the floor of what remains but at least 1 while valid', async () => {
    const { state, clock } = model({ tokenTtlSeconds: 10, stableWindowSeconds: 0 });
    const app = state.app(APPID)!;
    expect(state.stableNormal(app).expiresIn).toBe(10);
    await clock.advance(8_500);
    expect(state.stableNormal(app).expiresIn).toBe(1);
    await clock.advance(1_499);
    const last = state.stableNormal(app);
    expect(last).toMatchObject({ rotated: false, expiresIn: 1 });
    await clock.advance(1);
    expect(state.stableNormal(app)).toMatchObject({ rotated: true, expiresIn: 10 });
  });

  it('stable window and force spacing are configurable', async () => {
    const { state, clock } = model({ tokenTtlSeconds: 60, stableWindowSeconds: 10, forceSpacingSeconds: 3, forceDailyLimit: 3 });
    const app = state.app(APPID)!;
    const a = state.stableNormal(app).credential.value;
    await clock.advance(49_000);
    expect(state.stableNormal(app).credential.value).toBe(a);
    await clock.advance(1_000);
    const b = state.stableNormal(app);
    expect(b.rotated).toBe(true);
    expect(state.stableForce(app)?.rotated).toBe(true);
    await clock.advance(2_999);
    expect(state.stableForce(app)?.rotated).toBe(false);
    // The call at 2.999 s counted as the last force call, so spacing restarts from it.
    await clock.advance(2_999);
    expect(state.stableForce(app)?.rotated).toBe(false);
    await clock.advance(3_000);
    expect(state.stableForce(app)).toBeUndefined(); // the fourth force call of the day, limit 3
  });

  it('WeCom tokens and tickets are separate from OA tokens', () => {
    const { state } = model();
    const corp = state.corp(CORPID)!;
    const w = state.wecomToken(corp).credential.value;
    expect(state.wecomToken(corp).credential.value).toBe(w);
    expect(state.checkToken(w, oa)).toMatchObject({ ok: false, errcode: 40001 });
    expect(state.checkToken(w, ['wecom'])).toMatchObject({ ok: true, family: 'wecom' });
  });

  it('clear_quota allowance resets with the Asia/Shanghai month', async () => {
    // 2026-01-31T16:00Z is 2026-02-01 00:00 in Shanghai.
    const clock = new ManualClock(Date.UTC(2026, 0, 31, 15, 59, 59));
    const state = new SimulatorState(resolveSimulatorOptions({ clock, clearQuotaMonthlyLimit: 1 }));
    state.registerApp({ appid: APPID, secret: SECRET });
    const app = state.app(APPID)!;
    expect(app.clearQuotaMonthly.tryTake(clock.now(), 1)).toBe(true);
    expect(app.clearQuotaMonthly.tryTake(clock.now(), 1)).toBe(false);
    await clock.advance(1000);
    expect(app.clearQuotaMonthly.tryTake(clock.now(), 1)).toBe(true);
  });

  it('rotate() bypasses quotas and counters', () => {
    const { state } = model({ classicDailyQuota: 0 });
    expect(state.rotate(APPID, 'classic').rotated).toBe(true);
    expect(state.counters(APPID).rotations.classic).toBe(0);
    expect(() => state.rotate('wxnobody', 'classic')).toThrow(/not registered/);
  });

  it('in-flight tracking counts overlap and ends idempotently', () => {
    const { state } = model();
    const end1 = state.beginTokenRequest(APPID, 'classic');
    const end2 = state.beginTokenRequest(APPID, 'stableForce');
    expect(state.counters(APPID)).toMatchObject({ inFlightTokenFetches: 2, maxConcurrentTokenFetches: 2 });
    end1();
    end1();
    end2();
    expect(state.counters(APPID)).toMatchObject({ inFlightTokenFetches: 0, maxConcurrentTokenFetches: 2 });
    state.beginTokenRequest('wxnobody', 'classic')(); // unknown ids are ignored
  });

  it('tokens are drawn from the injected random source', () => {
    const one = model().state;
    const two = model().state;
    expect(one.issueClassic(one.app(APPID)!).credential.value).toBe(two.issueClassic(two.app(APPID)!).credential.value);
  });
});
