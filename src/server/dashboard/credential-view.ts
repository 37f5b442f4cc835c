import type { CredentialState } from '../../core/token-service.js';

/** The credential states, most urgent first: the order of the default sort and of the state filter. */
export const CREDENTIAL_STATES = ['failed', 'retrying', 'pending', 'idle', 'ok'] as const;
export type CredentialStateName = (typeof CREDENTIAL_STATES)[number];

/** Sort orders of the credential list: what needs attention first, by key, or soonest expiry first. */
export const SORT_ORDERS = ['attention', 'key', 'expiry'] as const;
export type SortOrder = (typeof SORT_ORDERS)[number];

/** 50 rows: a screenful, and small enough that a page of JSON stays a few KiB. */
export const DEFAULT_PAGE_SIZE = 50;
/** The largest page a client may ask for; bounds the work and the response of one request. */
export const MAX_PAGE_SIZE = 500;
/** Longest search string considered; longer input is cut (it could only match nothing). */
export const MAX_SEARCH_LENGTH = 100;

/** One row of the dashboard's credential list: no value, no secret, times in epoch ms. */
export interface CredentialRow {
  readonly key: string;
  /** Whose credential it is: the key without its kind, e.g. an appid (later a corp/agent or a component/authorizer). */
  readonly principal: string;
  readonly kind: string;
  readonly state: CredentialStateName;
  /** Why the state is not `ok`, when the hub knows: the last failure's code and message. */
  readonly reason: { readonly code: string; readonly message: string; readonly errcode?: number; readonly at: number } | null;
  readonly expiresAt: number | null;
  /** When the hub plans to refresh next (or retry, after a failure). */
  readonly nextRefreshAt: number | null;
  readonly lastRefreshAt: number | null;
  /** Operator actions this kind supports (see actions.ts), e.g. `refresh`. */
  readonly actions: readonly string[];
}

/** What the client asked the list for, validated. */
export interface CredentialQuery {
  readonly search: string;
  readonly state: CredentialStateName | null;
  readonly kind: string | null;
  readonly sort: SortOrder;
  /** 1-based. */
  readonly page: number;
  readonly size: number;
}

/** One page of the list, with the counts the filters show (over every credential, not only the matching ones). */
export interface CredentialPage {
  readonly total: number;
  readonly page: number;
  readonly pages: number;
  readonly size: number;
  readonly rows: readonly CredentialRow[];
  readonly states: Readonly<Record<CredentialStateName, number>>;
  readonly kinds: Readonly<Record<string, number>>;
}

/**
 * The principal of a credential: its key minus the `:<kind>` suffix (core/kinds/kind.ts forms keys that way for
 * every kind), so new kinds need no case here.
 */
export function principalOf(state: Pick<CredentialState, 'key' | 'kind' | 'appid'>): string {
  const suffix = `:${state.kind}`;
  return state.key.endsWith(suffix) ? state.key.slice(0, -suffix.length) : state.appid;
}

/** A hub credential state as a dashboard row; `actions` says what the operator may do with its kind. */
export function toRow(state: CredentialState, actions: readonly string[]): CredentialRow {
  return {
    key: state.key,
    principal: principalOf(state),
    kind: state.kind,
    state: state.state,
    reason: state.lastError,
    expiresAt: state.tokenExpiresAt,
    nextRefreshAt: state.nextAttemptAt,
    lastRefreshAt: state.lastRefreshAt,
    actions,
  };
}

/**
 * Validates the list's query string; unknown or malformed values fall back to the defaults rather than fail, so a
 * stale bookmark still shows something. Pure.
 */
export function parseCredentialQuery(raw: Readonly<Record<string, unknown>>): CredentialQuery {
  const text = (name: string): string => (typeof raw[name] === 'string' ? (raw[name] as string) : '');
  const state = text('state');
  const sort = text('sort');
  const kind = text('kind').slice(0, 64);
  const page = Number.parseInt(text('page'), 10);
  const size = Number.parseInt(text('size'), 10);
  return {
    search: text('q').trim().slice(0, MAX_SEARCH_LENGTH).toLowerCase(),
    state: (CREDENTIAL_STATES as readonly string[]).includes(state) ? (state as CredentialStateName) : null,
    kind: kind === '' ? null : kind,
    sort: (SORT_ORDERS as readonly string[]).includes(sort) ? (sort as SortOrder) : 'attention',
    page: Number.isSafeInteger(page) && page >= 1 ? page : 1,
    size: Number.isSafeInteger(size) && size >= 1 ? Math.min(size, MAX_PAGE_SIZE) : DEFAULT_PAGE_SIZE,
  };
}

const STATE_RANK: Readonly<Record<CredentialStateName, number>> = { failed: 0, retrying: 1, pending: 2, idle: 3, ok: 4 };

function compareKeys(a: CredentialRow, b: CredentialRow): number {
  return a.key < b.key ? -1 : a.key > b.key ? 1 : 0;
}

const COMPARATORS: Readonly<Record<SortOrder, (a: CredentialRow, b: CredentialRow) => number>> = {
  attention: (a, b) => STATE_RANK[a.state] - STATE_RANK[b.state] || compareKeys(a, b),
  key: compareKeys,
  // Credentials without a value (pending, failed) come first: they are the most expired of all.
  expiry: (a, b) => (a.expiresAt ?? -Infinity) - (b.expiresAt ?? -Infinity) || compareKeys(a, b),
};

function matches(row: CredentialRow, query: CredentialQuery): boolean {
  if (query.state !== null && row.state !== query.state) return false;
  if (query.kind !== null && row.kind !== query.kind) return false;
  if (query.search === '') return true;
  return row.key.toLowerCase().includes(query.search) || (row.reason !== null && row.reason.code.toLowerCase().includes(query.search));
}

/**
 * Filters, sorts and pages the rows (server-side, so the page never holds more than one page of them). A page past
 * the end is clamped to the last one. Pure.
 */
export function queryCredentials(rows: readonly CredentialRow[], query: CredentialQuery): CredentialPage {
  const states: Record<CredentialStateName, number> = { failed: 0, retrying: 0, pending: 0, idle: 0, ok: 0 };
  const kinds: Record<string, number> = {};
  const matching: CredentialRow[] = [];
  for (const row of rows) {
    states[row.state]++;
    kinds[row.kind] = (kinds[row.kind] ?? 0) + 1;
    if (matches(row, query)) matching.push(row);
  }
  matching.sort(COMPARATORS[query.sort]);
  const pages = Math.max(1, Math.ceil(matching.length / query.size));
  const page = Math.min(query.page, pages);
  const start = (page - 1) * query.size;
  return { total: matching.length, page, pages, size: query.size, rows: matching.slice(start, start + query.size), states, kinds };
}
