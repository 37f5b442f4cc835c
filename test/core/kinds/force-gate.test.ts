import { describe, expect, it } from 'vitest';
import { forceGate, forceLogOf, logForce } from '../../../src/core/kinds/force-gate.js';

const limits = { spacingMs: 30_000, dailyLimit: 20 };
// 10:00 in Shanghai on 2026-06-01.
const NOW = Date.UTC(2026, 5, 1, 2, 0, 0);

describe('forceGate', () => {
  it.each([
    ['no force yet today', null, { open: true }],
    ['the last force returned 30 s ago', { day: '2026-06-01', count: 3, lastAt: NOW - 30_000 }, { open: true }],
    ['the last force returned 10 s ago', { day: '2026-06-01', count: 3, lastAt: NOW - 10_000 }, { waitUntil: NOW + 20_000 }],
    ['20 forces today', { day: '2026-06-01', count: 20, lastAt: NOW - 60_000 }, { exhausted: true }],
    ['20 forces yesterday', { day: '2026-05-31', count: 20, lastAt: NOW - 3_600_000 }, { open: true }],
  ])('%s', (_name, log, expected) => {
    expect(forceGate(log, NOW, limits)).toEqual(expected);
  });

  it('logs a force, resetting the count on a new Shanghai day, and records a refusal as the day spent', () => {
    expect(logForce(null, NOW, limits)).toEqual({ day: '2026-06-01', count: 1, lastAt: NOW });
    expect(logForce({ day: '2026-06-01', count: 4, lastAt: 0 }, NOW, limits)).toEqual({ day: '2026-06-01', count: 5, lastAt: NOW });
    expect(logForce({ day: '2026-05-31', count: 4, lastAt: 0 }, NOW, limits)).toEqual({ day: '2026-06-01', count: 1, lastAt: NOW });
    expect(logForce({ day: '2026-06-01', count: 4, lastAt: 0 }, NOW, limits, true)).toEqual({ day: '2026-06-01', count: 20, lastAt: NOW });
  });

  it('reads the log from the kind state, treating anything malformed as none', () => {
    const log = { day: '2026-06-01', count: 1, lastAt: NOW };
    expect(forceLogOf({ forceLog: log })).toEqual(log);
    expect(forceLogOf(null)).toBeNull();
    expect(forceLogOf({ forceLog: { day: 1 } })).toBeNull();
  });
});
