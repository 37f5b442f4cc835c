import { describe, expect, it } from 'vitest';
import { authorizationErrorOf, decideAuthorizationFailure, type AuthorizationFailure } from '../../../src/core/open-platform/authorization-failures.js';
import { mergeOutcomes, OUTCOME_KEEP_COUNT, OUTCOME_KEEP_MS, type AuthorizationOutcome } from '../../../src/core/open-platform/authorization-outcomes.js';
import { nextAuthorizer, type AuthorizerChange } from '../../../src/core/open-platform/authorizer-records.js';
import { REFRESH_HISTORY_SECRET, REFRESH_TOKEN_SECRET } from '../../../src/core/open-platform/ids.js';
import { nextRefreshToken, parseRefreshHistory, reconcileDecision, reconcileStep, REFRESH_HISTORY_LIMIT } from '../../../src/core/open-platform/refresh-token.js';
import { startupRetryDelay } from '../../../src/core/open-platform/startup-retry.js';
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

describe('reconcileStep: decided on the snapshot, then again under the write lease', () => {
  const LISTED_AT = 1_000;
  const stored = (refreshToken: string | undefined, status = 'active', updatedAt = 500) => ({ refreshToken, status, updatedAt });
  it.each([
    ['listed with another token', stored('r1'), { refreshToken: 'r2' }, 'adopt'],
    ['listed, none stored at all', null, { refreshToken: 'r2' }, 'adopt'],
    ['listed with ours', stored('r1'), { refreshToken: 'r1' }, 'keep'],
    ['listed empty, none held, not marked yet', stored(undefined), { refreshToken: '' }, 'mark_needs_exchange'],
    ['listed empty, nothing stored', null, { refreshToken: '' }, 'mark_needs_exchange'],
    ['listed empty, none held, marked already', stored(undefined, 'needs_exchange'), { refreshToken: '' }, 'needs_exchange'],
    ['listed empty, ours held', stored('r1'), { refreshToken: '' }, 'keep'],
    ['not listed', stored('r1'), undefined, 'revoke'],
    ['not listed, revoked already', stored('r1', 'unauthorized'), undefined, 'keep'],
    ['not listed, nothing stored', null, undefined, 'keep'],
    ['written after the list was read (a new authorization): not listed', stored('r9', 'active', 1_001), undefined, 'keep'],
    ['written after the list was read: listed with an older token', stored('r9', 'active', 1_001), { refreshToken: 'r1' }, 'keep'],
    ['written at the instant the list was read', stored('r1', 'active', 1_000), { refreshToken: 'r2' }, 'adopt'],
  ] as const)('%s → %s', (_name, s, listed, expected) => {
    expect(reconcileStep(s, listed, LISTED_AT)).toBe(expected);
  });
});

describe('nextAuthorizer: the authorizer after a change, or null when nothing would change', () => {
  const ids = { componentAppid: 'wxc0000000000000c1', authorizerAppid: 'wxa000000000000001' };
  const history = (...values: string[]) => JSON.stringify(values.map((value, i) => ({ value, source: 'query_auth', at: i })));
  const active = {
    attributes: { component: ids.componentAppid, appid: ids.authorizerAppid, status: 'active', statusAt: 1, reason: 'authorized (event)' },
    secrets: { [REFRESH_TOKEN_SECRET]: 'r1', [REFRESH_HISTORY_SECRET]: history('r1') },
  };
  const NOW = 100;
  it.each<[string, typeof active | null, AuthorizerChange, { status?: string; statusAt?: number; reason?: string; token?: string; history?: string[]; funcScopes?: string } | null]>([
    ['a first exchange creates it, active', null, { refreshToken: { value: 'r1', source: 'query_auth' }, status: 'active', reason: 'authorized' }, { status: 'active', statusAt: NOW, token: 'r1', history: ['r1'] }],
    ['a status-only write of nothing yet still creates it', null, { status: 'needs_exchange', reason: 'never exchanged' }, { status: 'needs_exchange', statusAt: NOW, reason: 'never exchanged' }],
    ['a new refresh token extends the history, status kept', active, { refreshToken: { value: 'r2', source: 'list' } }, { status: 'active', statusAt: 1, token: 'r2', history: ['r2', 'r1'] }],
    ['the same token again changes nothing', active, { refreshToken: { value: 'r1', source: 'refresh' } }, null],
    ['an empty token changes nothing', active, { refreshToken: { value: '', source: 'refresh' } }, null],
    ['the same status and reason change nothing', active, { status: 'active', reason: 'authorized (event)' }, null],
    ['a new status records since when', active, { status: 'frozen', reason: '50002' }, { status: 'frozen', statusAt: NOW, reason: '50002', token: 'r1' }],
    ['a new reason alone keeps statusAt', active, { status: 'active', reason: 'repaired' }, { status: 'active', statusAt: 1, reason: 'repaired' }],
    ['permission sets are kept as a list', active, { funcScopes: [1, 15] }, { funcScopes: '1,15' }],
  ])('%s', (_name, stored, change, expected) => {
    const next = nextAuthorizer(ids, stored, change, NOW);
    if (expected === null) return expect(next).toBeNull();
    expect(next).not.toBeNull();
    const { attributes, secrets } = next!;
    expect(attributes).toMatchObject({ component: ids.componentAppid, appid: ids.authorizerAppid });
    if (expected.status !== undefined) expect(attributes.status).toBe(expected.status);
    if (expected.statusAt !== undefined) expect(attributes.statusAt).toBe(expected.statusAt);
    if (expected.reason !== undefined) expect(attributes.reason).toBe(expected.reason);
    if (expected.funcScopes !== undefined) expect(attributes.funcScopes).toBe(expected.funcScopes);
    if (expected.token !== undefined) expect(secrets[REFRESH_TOKEN_SECRET]).toBe(expected.token);
    if (expected.history !== undefined) expect(parseRefreshHistory(secrets[REFRESH_HISTORY_SECRET]).map((h) => h.value)).toEqual(expected.history);
  });
});

describe('startupRetryDelay: 1 min doubling to 1 h, then hourly', () => {
  const MIN = 60_000;
  it.each([
    [1, 1 * MIN],
    [2, 2 * MIN],
    [3, 4 * MIN],
    [6, 32 * MIN],
    [7, 60 * MIN],
    [8, 60 * MIN],
    [10_000, 60 * MIN],
    [0, 1 * MIN],
  ])('after failure %i → %i ms', (failures, expected) => {
    expect(startupRetryDelay(failures, MIN, 60 * MIN)).toBe(expected);
  });
});

describe('refused authorization codes', () => {
  it.each([
    [61010, 'authorization_code_expired'],
    [61009, 'authorization_code_invalid'],
    [61023, undefined],
    [40001, undefined],
  ] as const)('errcode %i → %s', (errcode, expected) => {
    expect(authorizationErrorOf(errcode)).toBe(expected);
  });

  const f = (at: number, errcode = 61010): AuthorizationFailure => ({ at, errcode, source: 'redirect' });
  it.each([
    ['none stored', null, f(10), 'store'],
    ['a later failure', f(10), f(20, 61009), 'store'],
    ['one at the same time', f(10), f(10, 61009), 'store'],
    ['an earlier one arriving late', f(20), f(10), 'keep'],
  ] as const)('%s → %s', (_name, stored, incoming, expected) => {
    expect(decideAuthorizationFailure(stored, incoming)).toBe(expected);
  });
});

describe('mergeOutcomes: the recent authorization codes whose outcome another delivery may ask for', () => {
  const o = (code: string, at: number, authorizerAppid = `wx-${code}`): AuthorizationOutcome => ({ code, at, authorizerAppid });
  const now = 10 * OUTCOME_KEEP_MS;
  it.each([
    ['the first one', [], o('a', now), ['a']],
    ['another code', [o('a', now - 1)], o('b', now), ['a', 'b']],
    ['the same code again (its refusal after a lost write, say): replaced, not repeated', [o('a', now - 5), o('b', now - 1)], { code: 'a', at: now, errcode: 61009 }, ['b', 'a']],
    ['outcomes past the keep window are dropped', [o('old', now - OUTCOME_KEEP_MS), o('recent', now - OUTCOME_KEEP_MS + 1)], o('c', now), ['recent', 'c']],
    ['an older write arriving late is placed by its time', [o('b', now - 1)], o('a', now - 2), ['a', 'b']],
  ] as const)('%s', (_name, stored, incoming, codes) => {
    expect(mergeOutcomes(stored, incoming, now).map((x) => x.code)).toEqual(codes);
  });

  it(`keeps the newest ${OUTCOME_KEEP_COUNT} of a burst`, () => {
    const burst = Array.from({ length: OUTCOME_KEEP_COUNT }, (_, i) => o(`c${i}`, now - OUTCOME_KEEP_COUNT + i));
    const merged = mergeOutcomes(burst, o('last', now), now);
    expect(merged).toHaveLength(OUTCOME_KEEP_COUNT);
    expect(merged[0]!.code).toBe('c1');
    expect(merged.at(-1)!.code).toBe('last');
  });
});
