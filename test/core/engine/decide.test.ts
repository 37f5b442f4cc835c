import { describe, expect, it } from 'vitest';
import { decide, inUse, invalidationFloorMs, reportIsStale, type CredentialView, type Verdict } from '../../../src/core/engine/decide.js';
import type { Intent } from '../../../src/core/engine/intent.js';

const NOW = 1_000_000;
/** A held, servable value, not yet due, with nothing unusual about it. */
const base: CredentialView = {
  now: NOW,
  token: 'T1',
  servable: true,
  refreshAt: NOW + 60_000,
  failure: null,
  pendingSince: null,
  canReplace: true,
  stickyUntil: undefined,
  reportsRefreshFrom: 0,
};
const ensure: Intent = { mode: 'ensure', reason: 'initial' };
const scheduled: Intent = { mode: 'scheduled' };
const report = (badToken: string): Intent => ({ mode: 'invalidate', badToken });
const force = (previous: string | null): Intent => ({ mode: 'force', previous });
const SERVE: Verdict = { action: 'serve' };
const REFRESH: Verdict = { action: 'refresh' };

const cases: Array<[string, Partial<CredentialView>, Intent, Verdict]> = [
  ['ensure: a servable value is served', {}, ensure, SERVE],
  ['ensure: nothing servable is fetched', { servable: false }, ensure, REFRESH],
  ['ensure: no value at all is fetched', { token: null, servable: false }, ensure, REFRESH],
  ['ensure: a paused failure serves what is held (or explains)', { servable: false, failure: { retryAt: NOW + 1 } }, ensure, SERVE],
  ['ensure: a failure never retried automatically serves/explains', { servable: false, failure: {} }, ensure, SERVE],
  ['ensure: a failure whose retry time has come is retried', { servable: false, failure: { retryAt: NOW } }, ensure, REFRESH],
  ['scheduled: not due yet', {}, scheduled, SERVE],
  ['scheduled: due', { refreshAt: NOW }, scheduled, REFRESH],
  ['scheduled: due within the timer slack', { refreshAt: NOW + 3 }, scheduled, REFRESH],
  ['scheduled: a failure due within the slack is retried', { failure: { retryAt: NOW + 3 } }, scheduled, REFRESH],
  ['scheduled: another instance left a refresh pending (maybe dead): take the lease and see', { pendingSince: NOW - 5_000 }, scheduled, REFRESH],
  ['invalidate: a stale report is answered with the current value', {}, report('T0'), SERVE],
  ['invalidate: a stale report with nothing servable fetches', { servable: false }, report('T0'), REFRESH],
  ['invalidate: the current value is refreshed', {}, report('T1'), REFRESH],
  ['invalidate: the current value, but nothing could replace it today', { canReplace: false }, report('T1'), SERVE],
  ['invalidate: under the floor the report is refused', { reportsRefreshFrom: NOW + 30_000 }, report('T1'), { action: 'throttle', until: NOW + 30_000 }],
  ['invalidate: at the floor the report refreshes', { reportsRefreshFrom: NOW }, report('T1'), REFRESH],
  ['invalidate: the floor never holds back a stale report', { reportsRefreshFrom: NOW + 30_000 }, report('T0'), SERVE],
  ['force: refreshes the value it was asked to replace', {}, force('T1'), REFRESH],
  ['force: joined by a flight that already replaced it', {}, force('T0'), SERVE],
  ['force: with nothing held', { token: null, servable: false }, force(null), REFRESH],
  ['force: ignores a paused failure (an operator asked)', { failure: {} }, force('T1'), REFRESH],
  ['sticky: not refreshed before upstream could answer anything new', { refreshAt: NOW, stickyUntil: NOW + 10_000 }, scheduled, SERVE],
  ['sticky: a caller waits for the end rather than calling for the same value', { servable: false, stickyUntil: NOW + 10_000 }, ensure, { action: 'wait', until: NOW + 10_000 }],
  ['sticky: at its end the value is refetched', { servable: false, stickyUntil: NOW }, ensure, REFRESH],
  ['sticky: a report of the current value may call (upstream can end it early)', { stickyUntil: NOW + 10_000 }, report('T1'), REFRESH],
  ['sticky: a report of the current value still waits for the floor', { stickyUntil: NOW + 10_000, reportsRefreshFrom: NOW + 5_000 }, report('T1'), { action: 'throttle', until: NOW + 5_000 }],
  ['sticky: a stale report is served what is held', { stickyUntil: NOW + 10_000 }, report('T0'), SERVE],
];

describe('decide', () => {
  it.each(cases)('%s', (_name, view, intent, expected) => {
    expect(decide({ ...base, ...view }, intent, 5)).toEqual(expected);
  });
});

describe('invalidationFloorMs', () => {
  it.each([
    [0, 0],
    [1, 60_000],
    [2, 120_000],
    [3, 240_000],
    [6, 1_920_000],
    [7, 1_920_000],
    [1_000, 1_920_000],
  ])('after %i report-driven refreshes in a row: %i ms', (previous, expected) => {
    expect(invalidationFloorMs(previous, 60_000, 1_920_000)).toBe(expected);
  });
});

describe('reportIsStale', () => {
  it.each([
    ['another value is held', 'T2', 'T1', true],
    ['the reported value is held', 'T1', 'T1', false],
    ['nothing is held', null, 'T1', false],
  ])('%s', (_name, held, reported, expected) => {
    expect(reportIsStale(held, reported)).toBe(expected);
  });
});

describe('inUse', () => {
  const LIFE = 7_200_000;
  it.each([
    ['never served since tracked', null, NOW, false],
    ['served just now', NOW, NOW, true],
    ['served exactly one lifetime ago', NOW - LIFE, NOW, true],
    ['served just after the previous refresh, now due again', NOW - LIFE + 180_000, NOW, true],
    ['served only during the previous value\'s life', NOW - LIFE - 1, NOW, false],
    ['served long ago', NOW - 10 * LIFE, NOW, false],
  ] as const)('%s → %s', (_label, servedAt, now, expected) => {
    expect(inUse(servedAt, LIFE, now)).toBe(expected);
  });
});
