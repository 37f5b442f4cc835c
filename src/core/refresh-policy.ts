import type { ErrcodeCategory } from '../wechat/errcodes.js';

/** WeChat's nominal token lifetime; lead times are defined for it and scale down for shorter lifetimes. */
export const WECHAT_TOKEN_LIFETIME_MS = 7_200_000;

/** Asia/Shanghai is UTC+8 all year (no DST); WeChat's daily quotas reset at its midnight. */
const SHANGHAI_OFFSET_MS = 8 * 3_600_000;
const DAY_MS = 86_400_000;

/** The scaled version of a duration defined for a full-length token: shorter lifetimes get proportionally less. */
export function scaleForLifetime(durationMs: number, lifetimeMs: number, referenceLifetimeMs: number): number {
  if (lifetimeMs <= 0) return 0;
  return durationMs * Math.min(1, lifetimeMs / referenceLifetimeMs);
}

/** The next 00:00 in Asia/Shanghai strictly after `now` (epoch ms). */
export function nextShanghaiMidnight(now: number): number {
  return Math.floor((now + SHANGHAI_OFFSET_MS) / DAY_MS) * DAY_MS + DAY_MS - SHANGHAI_OFFSET_MS;
}

/** The Asia/Shanghai calendar day of `now`, `YYYY-MM-DD` (the key of WeChat's daily counters). */
export function shanghaiDay(now: number): string {
  return new Date(now + SHANGHAI_OFFSET_MS).toISOString().slice(0, 10);
}

/** Exponential backoff with "equal jitter": half fixed, half random, so a fleet's retries spread out. */
export function backoffDelay(attempt: number, baseMs: number, maxMs: number, random: () => number): number {
  const ceiling = Math.min(maxMs, baseMs * 2 ** Math.max(0, attempt - 1));
  return ceiling / 2 + (ceiling / 2) * random();
}

/** What the refresh loop does after a failed fetch. */
export interface FailureDecision {
  /** wxtoken error code callers get while no valid token is held. */
  readonly code: 'credentials_rejected' | 'upstream_unavailable' | 'quota_exhausted';
  /** When to try again automatically; undefined = never (until an operator changes the app or forces). */
  readonly retryAt: number | undefined;
}

/** Timing knobs for decideOnFailure. */
export interface FailureTiming {
  readonly now: number;
  /** Consecutive failures including this one (1 for the first). */
  readonly attempts: number;
  readonly backoffBaseMs: number;
  readonly backoffMaxMs: number;
  /** Pause after errors a human must fix in the WeChat console (IP confirmation, frozen secret). */
  readonly adminRetryMs: number;
  readonly random: () => number;
}

/** Maps an errcode category (or a transport failure, `transient`) to the hub's reaction. */
export function decideOnFailure(category: ErrcodeCategory, errcode: number | undefined, t: FailureTiming): FailureDecision {
  switch (category) {
    case 'bad-credentials':
    case 'caller-bug':
    // Never answered by a credential endpoint; should one ever be, it is not worth another call either.
    case 'login-refused':
      // Retrying a wrong secret only burns quota and can get the IP blocked: stop until the app changes.
      return { code: 'credentials_rejected', retryAt: undefined };
    case 'needs-admin':
      return { code: 'credentials_rejected', retryAt: t.now + t.adminRetryMs };
    case 'quota':
      // 45011 is a per-minute limit; 45009 (and anything else quota-like) a daily one.
      return {
        code: 'quota_exhausted',
        retryAt: errcode === 45011 ? Math.floor(t.now / 60_000) * 60_000 + 60_000 + Math.floor(t.random() * 1_000) : nextShanghaiMidnight(t.now) + Math.floor(t.random() * 60_000),
      };
    case 'token-invalid':
    case 'transient':
      return { code: 'upstream_unavailable', retryAt: t.now + backoffDelay(t.attempts, t.backoffBaseMs, t.backoffMaxMs, t.random) };
  }
}
