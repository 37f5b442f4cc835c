import { createHash } from 'node:crypto';

/**
 * Freshness and replay rules for pushes to the authorization-event URL. WeChat documents no replay protection for
 * component pushes; WeCom promises a nonce unique for 2 h (../shared/wechat-open-platform.md §1.3), so the hub
 * refuses timestamps far from its clock and remembers each accepted push for that long.
 */

/** A push whose `timestamp` is further than this from the hub's clock is refused (stale, or a clock gone wrong). */
export const DEFAULT_PUSH_MAX_SKEW_MS = 300_000;
/** How long an accepted push is remembered, fleet-wide, so that the same push presented again is refused. */
export const DEFAULT_PUSH_REPLAY_WINDOW_MS = 7_200_000;

/** Why a push's timestamp is refused, or null when it is acceptable. */
export function pushTimestampProblem(timestamp: string, now: number, maxSkewMs = DEFAULT_PUSH_MAX_SKEW_MS): string | null {
  if (!/^[0-9]{1,12}$/.test(timestamp)) return 'timestamp is not a number of seconds';
  const skew = Math.abs(Number(timestamp) * 1000 - now);
  return skew > maxSkewMs ? `timestamp is ${Math.round(skew / 1000)} s from the hub's clock (limit ${Math.round(maxSkewMs / 1000)} s)` : null;
}

/**
 * The store lease name that marks a push as seen: derived from its signature (which covers timestamp, nonce and
 * body), hashed so the name reveals nothing of the message.
 */
export function replayMarker(componentAppid: string, msgSignature: string): string {
  return `open-push:${componentAppid}:${createHash('sha256').update(msgSignature.toLowerCase()).digest('hex').slice(0, 32)}`;
}
