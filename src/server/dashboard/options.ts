import { ConfigError } from '../../errors/index.js';
import type { SignInLinks } from './sign-in-links.js';
import { DEFAULT_MAX_TRACKED_CREDENTIALS } from './refresh-history.js';

/** A session lasts 8 hours: a working day at the console, after which the admin key is asked for again. */
export const DEFAULT_SESSION_TTL_MS = 8 * 3_600_000;
/** Sessions signed out before their expiry that an instance remembers (about 100 bytes each). */
export const MAX_REVOKED_SESSIONS = 10_000;
/** Live streams are sent a comment this often, so proxies and browsers keep an idle stream open. */
export const DEFAULT_HEARTBEAT_MS = 15_000;

/** The dashboard at /dashboard; it is served only when the server has an admin key. */
export interface DashboardOptions {
  /** Default true (when an admin key is configured). false: no /dashboard routes at all. */
  enabled?: boolean;
  /** How long a sign-in lasts. Default DEFAULT_SESSION_TTL_MS. */
  sessionTtlMs?: number;
  /**
   * Mark cookies Secure: `auto` (default) when the request came over TLS (the hub's own `tls` option, or a proxy
   * in front that sends `X-Forwarded-Proto: https`); `true` always; `false` never.
   */
  secureCookies?: boolean | 'auto';
  /** One-time sign-in links this server accepts (`wxtoken demo` issues one). Default none. */
  signInLinks?: SignInLinks;
  /** Credentials whose 24 h refresh history is kept. Default DEFAULT_MAX_TRACKED_CREDENTIALS. */
  historyMaxCredentials?: number;
  /** Interval of the live stream's keep-alive comment. Default DEFAULT_HEARTBEAT_MS. */
  heartbeatMs?: number;
}

/** DashboardOptions with every default applied. */
export interface ResolvedDashboardOptions {
  readonly enabled: boolean;
  readonly sessionTtlMs: number;
  readonly secureCookies: boolean | 'auto';
  readonly signInLinks: SignInLinks | undefined;
  readonly historyMaxCredentials: number;
  readonly heartbeatMs: number;
}

/** Applies defaults and validates eagerly; a ConfigError names the option and the bad value. */
export function resolveDashboardOptions(options: DashboardOptions | false | undefined): ResolvedDashboardOptions {
  const o = options === false ? { enabled: false } : (options ?? {});
  if (typeof o !== 'object' || o === null) throw new ConfigError('createServer: option "dashboard" must be an object or false');
  const sessionTtlMs = o.sessionTtlMs ?? DEFAULT_SESSION_TTL_MS;
  if (!Number.isInteger(sessionTtlMs) || sessionTtlMs < 60_000) {
    throw new ConfigError(`createServer: option "dashboard.sessionTtlMs" must be a whole number of milliseconds ≥ 60000, got ${String(sessionTtlMs)}`);
  }
  const secureCookies = o.secureCookies ?? 'auto';
  if (secureCookies !== 'auto' && typeof secureCookies !== 'boolean') {
    throw new ConfigError(`createServer: option "dashboard.secureCookies" must be true, false or "auto", got ${JSON.stringify(secureCookies)}`);
  }
  const historyMaxCredentials = o.historyMaxCredentials ?? DEFAULT_MAX_TRACKED_CREDENTIALS;
  if (!Number.isInteger(historyMaxCredentials) || historyMaxCredentials < 1) {
    throw new ConfigError(`createServer: option "dashboard.historyMaxCredentials" must be a positive integer, got ${String(historyMaxCredentials)}`);
  }
  const heartbeatMs = o.heartbeatMs ?? DEFAULT_HEARTBEAT_MS;
  if (!Number.isFinite(heartbeatMs) || heartbeatMs <= 0) {
    throw new ConfigError(`createServer: option "dashboard.heartbeatMs" must be a positive number of milliseconds, got ${String(heartbeatMs)}`);
  }
  return { enabled: o.enabled ?? true, sessionTtlMs, secureCookies, signInLinks: o.signInLinks, historyMaxCredentials, heartbeatMs };
}
