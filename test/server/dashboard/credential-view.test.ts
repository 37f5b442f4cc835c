import { describe, expect, it } from 'vitest';
import type { CredentialState } from '../../../src/core/token-service.js';
import {
  DEFAULT_PAGE_SIZE,
  MAX_PAGE_SIZE,
  parseCredentialQuery,
  principalOf,
  queryCredentials,
  toRow,
  type CredentialQuery,
} from '../../../src/server/dashboard/credential-view.js';
import { dailyLimit } from '../../../src/server/dashboard/daily-limits.js';

function state(key: string, kind: string, s: CredentialState['state'], expiresAt: number | null = null, code?: string): CredentialState {
  return {
    key,
    kind,
    appid: key.split(':')[0]!,
    state: s,
    tokenExpiresAt: expiresAt,
    lastRefreshAt: null,
    nextAttemptAt: null,
    lastError: code === undefined ? null : { code, message: `failed with ${code}`, at: 1 },
  };
}

const ROWS = [
  state('wxa:access_token', 'access_token', 'ok', 5000),
  state('wxa:jsapi_ticket', 'jsapi_ticket', 'retrying', 3000, 'upstream_unavailable'),
  state('wxb:access_token', 'access_token', 'failed', null, 'credentials_rejected'),
  state('ww1/1000002:wecom_token', 'wecom_token', 'pending'),
  state('component:wxc:component_access_token', 'component_access_token', 'ok', 1000),
].map((s) => toRow(s, s.kind === 'access_token' ? ['refresh'] : []));

const query = (over: Partial<CredentialQuery> = {}): CredentialQuery => ({ search: '', state: null, kind: null, sort: 'attention', page: 1, size: 50, ...over });

describe('principalOf', () => {
  it.each([
    ['wx0123456789abcdef:access_token', 'access_token', 'wx0123456789abcdef'],
    ['ww1/1000002:wecom_token', 'wecom_token', 'ww1/1000002'],
    ['component:wxc:component_access_token', 'component_access_token', 'component:wxc'],
    // A key not of the `<principal>:<kind>` form falls back to the appid the hub reports.
    ['odd-key', 'access_token', 'odd'],
  ])('%s (%s) belongs to %s', (key, kind, principal) => {
    expect(principalOf({ key, kind, appid: 'odd' })).toBe(principal);
  });
});

describe('parseCredentialQuery', () => {
  it.each<[Record<string, unknown>, Partial<CredentialQuery>]>([
    [{}, { search: '', state: null, kind: null, sort: 'attention', page: 1, size: DEFAULT_PAGE_SIZE }],
    [{ q: '  WX01  ', state: 'failed', kind: 'jsapi_ticket', sort: 'expiry', page: '3', size: '20' }, { search: 'wx01', state: 'failed', kind: 'jsapi_ticket', sort: 'expiry', page: 3, size: 20 }],
    [{ state: 'broken', sort: 'random', page: '-1', size: '0' }, { state: null, sort: 'attention', page: 1, size: DEFAULT_PAGE_SIZE }],
    [{ page: 'abc', size: '100000' }, { page: 1, size: MAX_PAGE_SIZE }],
    [{ q: ['a', 'b'], kind: '' }, { search: '', kind: null }],
    [{ q: 'x'.repeat(500) }, { search: 'x'.repeat(100) }],
  ])('%j → %j', (raw, expected) => {
    expect(parseCredentialQuery(raw)).toMatchObject(expected);
  });
});

describe('queryCredentials', () => {
  it.each<[string, Partial<CredentialQuery>, string[]]>([
    ['attention order: failed, retrying, pending, ok, then by key', {}, ['wxb:access_token', 'wxa:jsapi_ticket', 'ww1/1000002:wecom_token', 'component:wxc:component_access_token', 'wxa:access_token']],
    ['by key', { sort: 'key' }, ['component:wxc:component_access_token', 'ww1/1000002:wecom_token', 'wxa:access_token', 'wxa:jsapi_ticket', 'wxb:access_token']],
    ['soonest expiry, no value first', { sort: 'expiry' }, ['ww1/1000002:wecom_token', 'wxb:access_token', 'component:wxc:component_access_token', 'wxa:jsapi_ticket', 'wxa:access_token']],
    ['state filter', { state: 'ok' }, ['component:wxc:component_access_token', 'wxa:access_token']],
    ['kind filter', { kind: 'access_token' }, ['wxb:access_token', 'wxa:access_token']],
    ['search in keys', { search: 'wxa' }, ['wxa:jsapi_ticket', 'wxa:access_token']],
    ['search in error codes', { search: 'rejected' }, ['wxb:access_token']],
    ['state and kind together', { state: 'failed', kind: 'jsapi_ticket' }, []],
    ['page 2 of size 2', { sort: 'key', page: 2, size: 2 }, ['wxa:access_token', 'wxa:jsapi_ticket']],
    ['a page past the end is the last page', { sort: 'key', page: 99, size: 2 }, ['wxb:access_token']],
  ])('%s', (_name, over, keys) => {
    expect(queryCredentials(ROWS, query(over)).rows.map((r) => r.key)).toEqual(keys);
  });

  it('counts states and kinds over every credential, whatever the filter', () => {
    const page = queryCredentials(ROWS, query({ state: 'failed', size: 1 }));
    expect(page).toMatchObject({ total: 1, page: 1, pages: 1, size: 1 });
    expect(page.states).toEqual({ failed: 1, retrying: 1, pending: 1, idle: 0, ok: 2 });
    expect(page.kinds).toEqual({ access_token: 2, jsapi_ticket: 1, wecom_token: 1, component_access_token: 1 });
  });

  it('counts idle credentials (refreshed only while used) and ranks them after pending, before ok', () => {
    const idle = toRow(state('component:wxc/wxd:authorizer_token', 'authorizer_token', 'idle'), []);
    const page = queryCredentials([...ROWS, idle], query());
    expect(page.states).toMatchObject({ pending: 1, idle: 1, ok: 2 });
    expect(page.rows.map((r) => r.key).indexOf(idle.key)).toBe(3);
    expect(queryCredentials([...ROWS, idle], query({ state: 'idle' })).rows.map((r) => r.key)).toEqual([idle.key]);
  });

  it('reports the pages of the matching rows, and one page when nothing matches', () => {
    expect(queryCredentials(ROWS, query({ size: 2 }))).toMatchObject({ total: 5, pages: 3 });
    expect(queryCredentials(ROWS, query({ search: 'nothing' }))).toMatchObject({ total: 0, pages: 1, page: 1, rows: [] });
  });

  it('rows carry the reason, the times and the actions of their kind, never a value', () => {
    const row = ROWS.find((r) => r.key === 'wxb:access_token')!;
    expect(row).toEqual({
      key: 'wxb:access_token',
      principal: 'wxb',
      kind: 'access_token',
      state: 'failed',
      reason: { code: 'credentials_rejected', message: 'failed with credentials_rejected', at: 1 },
      expiresAt: null,
      nextRefreshAt: null,
      lastRefreshAt: null,
      actions: ['refresh'],
    });
  });
});

describe('dailyLimit', () => {
  it.each<[string, 'stable' | 'classic' | undefined, number | null]>([
    ['access_token', 'classic', 2000],
    ['access_token', 'stable', 500_000],
    ['access_token', undefined, null],
    ['jsapi_ticket', 'classic', null],
    ['constructor', 'classic', null],
  ])('%s of a %s app: %s', (kind, grant, limit) => {
    expect(dailyLimit(kind, grant)).toBe(limit);
  });
});
