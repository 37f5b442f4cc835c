import { describe, expect, it } from 'vitest';
import { HISTORY_BUCKET_MS, HISTORY_BUCKETS, quotaDayStart, RefreshHistory } from '../../../src/server/dashboard/refresh-history.js';

const H = HISTORY_BUCKET_MS;
// 2026-01-01T00:00:00Z, a whole hour.
const T0 = Date.UTC(2026, 0, 1);

describe('quotaDayStart', () => {
  it.each([
    ['mid-afternoon UTC is past midnight in Shanghai', Date.UTC(2026, 0, 1, 17, 0), Date.UTC(2026, 0, 1, 16, 0)],
    ['just before 16:00 UTC is the previous Shanghai day', Date.UTC(2026, 0, 1, 15, 59, 59), Date.UTC(2025, 11, 31, 16, 0)],
    ['exactly midnight in Shanghai', Date.UTC(2026, 0, 1, 16, 0), Date.UTC(2026, 0, 1, 16, 0)],
    ['early UTC morning', Date.UTC(2026, 0, 2, 3, 0), Date.UTC(2026, 0, 1, 16, 0)],
  ])('%s', (_name, now, start) => {
    expect(quotaDayStart(now)).toBe(start);
  });
});

describe('RefreshHistory', () => {
  it('charts the last 24 hours per credential and fleet-wide, oldest bucket first', () => {
    const history = new RefreshHistory();
    history.refreshed('a:access_token', T0 + 10);
    history.refreshed('a:access_token', T0 + 20);
    history.refreshed('b:access_token', T0 + H + 5);
    history.failed({ at: T0 + H + 6, key: 'b:access_token', kind: 'access_token', code: 'upstream_unavailable', category: 'transient', final: false });
    const now = T0 + H + 100;
    const fleet = history.series(now);
    expect(fleet.start).toBe(T0 + H - (HISTORY_BUCKETS - 1) * H);
    expect(fleet.refreshed).toHaveLength(HISTORY_BUCKETS);
    expect(fleet.refreshed.slice(-2)).toEqual([2, 1]);
    expect(fleet.failed.slice(-2)).toEqual([0, 1]);
    expect(history.series(now, 'a:access_token').refreshed.slice(-2)).toEqual([2, 0]);
    expect(history.series(now, 'unknown').refreshed.every((n) => n === 0)).toBe(true);
  });

  it('forgets buckets older than 24 hours, even when their slot is not reused', () => {
    const history = new RefreshHistory();
    history.refreshed('a:access_token', T0);
    expect(history.series(T0 + (HISTORY_BUCKETS - 1) * H, 'a:access_token').refreshed[0]).toBe(1);
    expect(history.series(T0 + HISTORY_BUCKETS * H, 'a:access_token').refreshed.every((n) => n === 0)).toBe(true);
    // The same slot, a day later, starts from zero.
    history.refreshed('a:access_token', T0 + HISTORY_BUCKETS * H);
    expect(history.series(T0 + HISTORY_BUCKETS * H, 'a:access_token').refreshed.at(-1)).toBe(1);
  });

  it('counts calls since midnight Asia/Shanghai, per credential and per kind', () => {
    const history = new RefreshHistory();
    const midnight = Date.UTC(2026, 0, 1, 16, 0);
    history.refreshed('a:access_token', midnight - 1); // the previous WeChat day
    history.refreshed('a:access_token', midnight + 1);
    history.failed({ at: midnight + 2 * H, key: 'a:access_token', kind: 'access_token', code: 'quota_exhausted', category: 'quota', final: false });
    history.refreshed('a:jsapi_ticket', midnight + 3 * H);
    const now = midnight + 4 * H;
    expect(history.callsToday('a:access_token', now)).toBe(2);
    expect(history.callsToday('b:access_token', now)).toBe(0);
    expect(history.callsTodayByKind(now)).toEqual({ access_token: 2, jsapi_ticket: 1 });
  });

  it('keeps at most maxCredentials, forgetting the one idle longest', () => {
    const history = new RefreshHistory({ maxCredentials: 2 });
    history.refreshed('a:k', T0);
    history.refreshed('b:k', T0 + 1);
    history.refreshed('a:k', T0 + 2); // a is now the most recent
    history.refreshed('c:k', T0 + 3);
    expect(history.size).toBe(2);
    expect(history.callsToday('b:k', T0 + 4)).toBe(0);
    expect(history.callsToday('a:k', T0 + 4)).toBe(2);
    // The fleet-wide series keeps every refresh.
    expect(history.series(T0 + 4).refreshed.at(-1)).toBe(4);
  });

  it('keeps the most recent errors, newest first, up to maxErrors', () => {
    const history = new RefreshHistory({ maxErrors: 2 });
    for (let i = 0; i < 3; i++) history.failed({ at: T0 + i, key: `k${i}:x`, kind: 'x', code: 'upstream_unavailable', category: 'transient', final: false });
    expect(history.recentErrors().map((e) => e.key)).toEqual(['k2:x', 'k1:x']);
  });
});
