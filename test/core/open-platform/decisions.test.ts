import { describe, expect, it } from 'vitest';
import { nextRefreshToken, parseRefreshHistory, reconcileDecision, REFRESH_HISTORY_LIMIT } from '../../../src/core/open-platform/refresh-token.js';
import { decideVerifyTicket, needsStartPush, ticketHealth, type VerifyTicket } from '../../../src/core/open-platform/verify-ticket.js';

const t = (ticket: string, createdAt: number): VerifyTicket => ({ ticket, createdAt, receivedAt: createdAt + 1 });

describe('decideVerifyTicket: newest CreateTime wins', () => {
  it.each([
    ['nothing stored', null, t('a', 10), 'store'],
    ['a newer push', t('a', 10), t('b', 20), 'store'],
    ['the same value pushed again later (normal)', t('a', 10), t('a', 20), 'store'],
    ['the same push again (replay, retry)', t('a', 10), t('a', 10), 'keep'],
    ['an older push arriving late', t('b', 20), t('a', 10), 'keep'],
    ['a different value with the same CreateTime', t('a', 10), t('b', 10), 'keep'],
    ['an empty ticket', null, t('', 10), 'keep'],
  ] as const)('%s → %s', (_name, stored, pushed, expected) => {
    expect(decideVerifyTicket(stored, pushed)).toBe(expected);
  });
});

describe('ticketHealth (§7.3 item 2)', () => {
  const min = 60_000;
  it.each([
    [undefined, 'missing', true],
    [0, 'fresh', false],
    [24 * min, 'fresh', false],
    [25 * min, 'late', false],
    [30 * min, 'stale', true],
    [6 * 60 * min, 'old', true],
    [11 * 60 * min, 'critical', true],
    [12 * 60 * min, 'expired', true],
  ] as const)('age %s → %s (start pushes: %s)', (age, health, start) => {
    expect(ticketHealth(age)).toBe(health);
    expect(needsStartPush(ticketHealth(age))).toBe(start);
  });
});

describe('nextRefreshToken: never lost, never overwritten by empty, history kept', () => {
  const current = { value: 'r1', history: [{ value: 'r1', source: 'query_auth' as const, at: 1 }] };
  it.each([
    ['an empty value', '', null],
    ['the value held', 'r1', null],
  ])('%s changes nothing', (_name, incoming, expected) => {
    expect(nextRefreshToken(current, incoming, 'refresh', 5)).toBe(expected);
  });
  it('a new value becomes current, newest first in the history', () => {
    expect(nextRefreshToken(current, 'r2', 'list', 5)).toEqual({ value: 'r2', history: [{ value: 'r2', source: 'list', at: 5 }, current.history[0]] });
  });
  it('the history is bounded', () => {
    let state = { value: '', history: [] as ReturnType<typeof parseRefreshHistory> };
    for (let i = 0; i < 25; i++) state = nextRefreshToken(state, `r${i}`, 'refresh', i)!;
    expect(state.history).toHaveLength(REFRESH_HISTORY_LIMIT);
    expect(state.history[0]!.value).toBe('r24');
  });
  it('a malformed stored history reads as empty', () => {
    expect(parseRefreshHistory('not json')).toEqual([]);
    expect(parseRefreshHistory('[{"value":1}]')).toEqual([]);
    expect(parseRefreshHistory(undefined)).toEqual([]);
  });
});

describe('reconcileDecision against api_get_authorizer_list', () => {
  it.each([
    ['not listed', 'r1', undefined, 'unauthorized'],
    ['listed with ours', 'r1', { refreshToken: 'r1' }, 'keep'],
    ['listed with another (ours lost or stale)', 'r1', { refreshToken: 'r2' }, 'adopt'],
    ['listed, ours missing', undefined, { refreshToken: 'r2' }, 'adopt'],
    ['listed empty, none held: never exchanged', undefined, { refreshToken: '' }, 'needs_exchange'],
    ['listed empty, ours held: keep ours (never overwrite with empty)', 'r1', { refreshToken: '' }, 'keep'],
  ] as const)('%s → %s', (_name, held, listed, expected) => {
    expect(reconcileDecision(held, listed)).toBe(expected);
  });
});
