import { scaleForLifetime } from '../refresh-policy.js';
import type { IssuedToken } from '../token-service.js';

/** How early to refresh and when to stop serving, for a value of the reference lifetime (scaled for others). */
export interface WindowTiming {
  readonly refreshLeadMs: number;
  readonly serveMarginMs: number;
  readonly referenceLifetimeMs: number;
}

/** When a held value is handed out until, and when it is due for refresh. */
export interface ServingWindow {
  /** The value as callers get it (expiresAt = end of its serving window), or null when none may be served. */
  readonly issued: IssuedToken | null;
  readonly refreshAt: number;
}

/**
 * The serving window of a value obtained at `obtainedAt` that expires at `expiresAt`: served until the margin
 * before expiry, refreshed the lead before it (both scaled down for short lifetimes), but never refreshed before
 * `stickyUntil`, when upstream would hand back the same value.
 */
export function servingWindow(
  value: { readonly token: string | null; readonly expiresAt: number; readonly obtainedAt: number },
  timing: WindowTiming,
  stickyUntil?: number,
): ServingWindow {
  if (!value.token || value.expiresAt <= 0) return { issued: null, refreshAt: 0 };
  const lifetime = value.expiresAt - value.obtainedAt;
  const margin = scaleForLifetime(timing.serveMarginMs, lifetime, timing.referenceLifetimeMs);
  const lead = scaleForLifetime(timing.refreshLeadMs, lifetime, timing.referenceLifetimeMs);
  return {
    issued: { token: value.token, expiresAt: Math.floor(value.expiresAt - margin) },
    refreshAt: Math.max(value.expiresAt - lead, stickyUntil ?? 0),
  };
}
