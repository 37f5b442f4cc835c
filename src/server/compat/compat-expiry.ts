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

/**
 * The smallest `expires_in` the compatible endpoints hand out. WeChat never answers 0, and some SDKs read 0 as
 * "never expires" (node-easywechat's cache stores a lifetime of 0 as no expiry): a token handed out in the last
 * second before the hub's refresh would be held for ever. One second later the SDK comes back for the new token.
 */
export const MIN_EXPIRES_IN_SECONDS = 1;

/** The whole seconds a compatible endpoint announces for an expiry `until` (epoch ms), never under the minimum. */
export function compatExpiresIn(until: number, now: number): number {
  return Math.max(MIN_EXPIRES_IN_SECONDS, until > now ? Math.floor((until - now) / 1000) : 0);
}
