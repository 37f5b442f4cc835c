import type { Grant } from '../../stores/store.js';

/**
 * WeChat's published daily call limits per app for the endpoint that obtains a kind, by the app's grant
 * (docs/wechat-api.md): `/cgi-bin/token` 2000 a day for a newly registered account (§1.4), `/cgi-bin/stable_token`
 * 500,000 a day (§2.4). Kinds whose endpoint has no published limit (getticket) are absent: the dashboard shows
 * their counts without a limit.
 */
export const DAILY_LIMITS: Readonly<Record<string, Readonly<Record<Grant, number>>>> = {
  access_token: { classic: 2000, stable: 500_000 },
};

/** The daily limit that applies to a credential of `kind` of an app with `grant`, or null when none is published. */
export function dailyLimit(kind: string, grant: Grant | undefined): number | null {
  if (grant === undefined || !Object.hasOwn(DAILY_LIMITS, kind)) return null;
  return DAILY_LIMITS[kind]![grant] ?? null;
}
