import { describe, expect, it } from 'vitest';
import { backoffDelay, decideOnFailure, nextShanghaiMidnight, scaleForLifetime, shanghaiDay } from '../../src/core/refresh-policy.js';

const timing = { now: Date.UTC(2026, 5, 1, 10, 0, 30), attempts: 1, backoffBaseMs: 1_000, backoffMaxMs: 60_000, adminRetryMs: 3_600_000, random: () => 0 };

describe('refresh policy', () => {
  it('finds the next midnight in Asia/Shanghai (UTC+8)', () => {
    expect(nextShanghaiMidnight(Date.UTC(2026, 5, 1, 10, 0))).toBe(Date.UTC(2026, 5, 1, 16, 0));
    expect(nextShanghaiMidnight(Date.UTC(2026, 5, 1, 16, 0))).toBe(Date.UTC(2026, 5, 2, 16, 0));
    expect(nextShanghaiMidnight(Date.UTC(2026, 5, 1, 15, 59, 59))).toBe(Date.UTC(2026, 5, 1, 16, 0));
    expect(shanghaiDay(Date.UTC(2026, 5, 1, 16, 0))).toBe('2026-06-02');
    expect(shanghaiDay(Date.UTC(2026, 5, 1, 15, 59))).toBe('2026-06-01');
  });

  it('scales durations down for short lifetimes only', () => {
    expect(scaleForLifetime(180_000, 7_200_000, 7_200_000)).toBe(180_000);
    expect(scaleForLifetime(180_000, 9_000_000, 7_200_000)).toBe(180_000);
    expect(scaleForLifetime(180_000, 72_000, 7_200_000)).toBe(1_800);
  });

  it('backs off exponentially with equal jitter, capped', () => {
    expect(backoffDelay(1, 1_000, 60_000, () => 0)).toBe(500);
    expect(backoffDelay(1, 1_000, 60_000, () => 1)).toBe(1_000);
    expect(backoffDelay(4, 1_000, 60_000, () => 1)).toBe(8_000);
    expect(backoffDelay(30, 1_000, 60_000, () => 1)).toBe(60_000);
  });

  it('classifies failures into the caller-facing codes and retry times', () => {
    expect(decideOnFailure('bad-credentials', 40125, timing)).toEqual({ code: 'credentials_rejected', retryAt: undefined });
    expect(decideOnFailure('caller-bug', 40002, timing)).toEqual({ code: 'credentials_rejected', retryAt: undefined });
    expect(decideOnFailure('needs-admin', 89503, timing)).toEqual({ code: 'credentials_rejected', retryAt: timing.now + 3_600_000 });
    expect(decideOnFailure('quota', 45009, timing)).toEqual({ code: 'quota_exhausted', retryAt: Date.UTC(2026, 5, 1, 16, 0) });
    expect(decideOnFailure('quota', 45011, timing)).toEqual({ code: 'quota_exhausted', retryAt: Date.UTC(2026, 5, 1, 10, 1) });
    expect(decideOnFailure('transient', -1, timing)).toEqual({ code: 'upstream_unavailable', retryAt: timing.now + 500 });
  });
});
