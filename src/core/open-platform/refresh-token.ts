/**
 * An authorizer's refresh token: the one credential that, lost, may force the merchant to authorize again
 * (../shared/wechat-open-platform.md §0.1, §3, §7.2 item 1). It is a sealed secret of the authorizer principal,
 * written in the same store write that records the authorizer's status; never overwritten by an empty value; every
 * value it had is kept in a history with where it came from.
 */

/** Where a refresh token came from. */
export type RefreshTokenSource = 'query_auth' | 'refresh' | 'list';

/** One value the refresh token had. */
export interface RefreshTokenEntry {
  readonly value: string;
  readonly source: RefreshTokenSource;
  readonly at: number;
}

/** How many past values are kept (the 5-minute overlap and audits need a few, not all). */
export const REFRESH_HISTORY_LIMIT = 10;

/**
 * The refresh token and history after `incoming` arrives from `source`: unchanged (null) for an empty value or the
 * value already held; else the new value, with the history extended (newest first, bounded).
 */
export function nextRefreshToken(
  current: { value: string; history: readonly RefreshTokenEntry[] },
  incoming: string,
  source: RefreshTokenSource,
  now: number,
): { value: string; history: RefreshTokenEntry[] } | null {
  if (incoming === '' || incoming === current.value) return null;
  return { value: incoming, history: [{ value: incoming, source, at: now }, ...current.history].slice(0, REFRESH_HISTORY_LIMIT) };
}

/** Parses a stored history (a sealed JSON array); anything malformed reads as empty rather than failing the authorizer. */
export function parseRefreshHistory(text: string | undefined): RefreshTokenEntry[] {
  if (!text) return [];
  try {
    const parsed: unknown = JSON.parse(text);
    if (!Array.isArray(parsed)) return [];
    return parsed.filter(
      (e): e is RefreshTokenEntry =>
        e !== null && typeof e === 'object' && typeof e.value === 'string' && typeof e.at === 'number' && ['query_auth', 'refresh', 'list'].includes(e.source),
    );
  } catch {
    return [];
  }
}

/** An authorizer's status and why (§7.3 item 5). */
export type AuthorizerStatus = 'active' | 'needs_exchange' | 'needs_reauth' | 'unauthorized' | 'frozen';

/** Every status, for validation and listing filters. */
export const AUTHORIZER_STATUSES: readonly AuthorizerStatus[] = ['active', 'needs_exchange', 'needs_reauth', 'unauthorized', 'frozen'];

/**
 * What a reconciliation against api_get_authorizer_list decides for one authorizer: `adopt` the listed refresh
 * token (ours differs or is missing), `keep` ours (they agree), mark `needs_exchange` (listed with an empty token:
 * authorized but never exchanged) or `unauthorized` (not listed at all).
 */
export function reconcileDecision(held: string | undefined, listed: { refreshToken: string } | undefined): 'adopt' | 'keep' | 'needs_exchange' | 'unauthorized' {
  if (listed === undefined) return 'unauthorized';
  if (listed.refreshToken === '') return held ? 'keep' : 'needs_exchange';
  return listed.refreshToken === held ? 'keep' : 'adopt';
}

/** What a reconciliation does to one authorizer (reconcileStep). */
export type ReconcileStep = 'adopt' | 'mark_needs_exchange' | 'needs_exchange' | 'revoke' | 'keep';

/**
 * What a reconciliation does to one authorizer, from what is stored (null: nothing) and what the list read at
 * `listedAt` says (undefined: not listed): `adopt` the listed refresh token, `mark_needs_exchange` (or
 * `needs_exchange`: marked already), `revoke` one no longer listed, or `keep`. Decided on the snapshot, then again on
 * the stored record under the write lease. An authorizer written after the list was read is kept as it is: the
 * list may predate that write (a new authorization), and the next reconciliation looks again.
 */
export function reconcileStep(
  stored: { readonly refreshToken: string | undefined; readonly status: string; readonly updatedAt: number } | null,
  listed: { refreshToken: string } | undefined,
  listedAt: number,
): ReconcileStep {
  if (stored !== null && stored.updatedAt > listedAt) return 'keep';
  if (listed === undefined) return stored === null || stored.status === 'unauthorized' ? 'keep' : 'revoke';
  const decision = reconcileDecision(stored?.refreshToken, listed);
  if (decision === 'needs_exchange') return stored?.status === 'needs_exchange' ? 'needs_exchange' : 'mark_needs_exchange';
  return decision === 'adopt' ? 'adopt' : 'keep';
}
