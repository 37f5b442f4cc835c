import type { IssuedToken } from '../../core/token-service.js';

/**
 * When the token a WeChat-compatible endpoint hands out should be treated as expired by the SDK (epoch ms): the
 * hub's own refresh time while that is still ahead, never later than the serving window. Several SDKs cache a
 * token for exactly the `expires_in` they are given; ending it where the hub refreshes makes them come back for
 * the new token while the old one still lives (WeChat keeps it valid for a while after a refresh), instead of
 * holding it to its death. Once the refresh time has passed (the refresh is under way or being retried), the
 * serving window applies.
 */
export function compatExpiresAt(issued: IssuedToken, refreshAt: number | undefined, now: number): number {
  if (refreshAt === undefined || refreshAt <= now) return issued.expiresAt;
  return Math.min(refreshAt, issued.expiresAt);
}
