import { UpstreamTransportError } from '../errors/index.js';

/**
 * Type guards for WeChat's success bodies and the mappers to domain types. Nothing past the endpoint modules sees
 * wire JSON; a success body that fails its guard becomes a 'bad-body' UpstreamTransportError naming the field
 * (never its value: it may be a token).
 */

/** WeChat asks integrators to reserve 512 characters for a token (§0); longer is not a token. */
export const MAX_CREDENTIAL_LENGTH = 512;

/**
 * WeChat and WeCom say "up to 7200 s" and warn it may change; a month is far beyond any plausible change, so a
 * larger value is a broken body, not a lifetime to trust (a hub would otherwise keep a dead token forever).
 */
export const MAX_EXPIRES_IN_SECONDS = 30 * 24 * 3600;

/** An access token with the absolute time (ms since epoch, on the injected clock) it stops being valid. */
export interface AccessToken {
  readonly token: string;
  readonly expiresAt: number;
}

/** A JS-SDK / card / agent-config ticket with its absolute expiry. */
export interface Ticket {
  readonly ticket: string;
  readonly expiresAt: number;
}

/** `{"access_token","expires_in"}` as /cgi-bin/token, stable_token and WeCom gettoken send it. */
export type TokenWire = {
  readonly access_token: string;
  readonly expires_in: number;
};

/** `{"errcode":0,"ticket","expires_in"}` as the ticket endpoints send it. */
export type TicketWire = {
  readonly ticket: string;
  readonly expires_in: number;
};

/** `{"errcode":0,"errmsg":"ok"}`: the only success signal of clear_quota. */
export type OkWire = {
  readonly errcode: 0;
};

/** `{"ip_list":[...]}` from getcallbackip / get_api_domain_ip. */
export type IpListWire = {
  readonly ip_list: readonly string[];
};

/** `{"menu":{...},"conditionalmenu":[...]}` from menu/get; its contents are passed through unread. */
export type MenuWire = {
  readonly menu: Readonly<Record<string, unknown>>;
};

/** The body of /cgi-bin/openapi/quota/get. */
export type ApiQuotaWire = {
  readonly quota: { readonly daily_limit: number; readonly used: number; readonly remain: number };
  readonly rate_limit?: RateLimitWire;
  readonly component_rate_limit?: RateLimitWire;
};

/** `{"call_count","refresh_second"}`: call_count calls per refresh_second seconds. */
export type RateLimitWire = {
  readonly call_count: number;
  readonly refresh_second: number;
};

/** True for a non-empty string of at most MAX_CREDENTIAL_LENGTH characters. */
export function isCredentialString(value: unknown): value is string {
  return typeof value === 'string' && value.length > 0 && value.length <= MAX_CREDENTIAL_LENGTH;
}

/** True for a positive, finite lifetime in seconds no longer than MAX_EXPIRES_IN_SECONDS. */
export function isExpiresIn(value: unknown): value is number {
  return typeof value === 'number' && Number.isFinite(value) && value > 0 && value <= MAX_EXPIRES_IN_SECONDS;
}

/** Guard for TokenWire. */
export function isTokenWire(body: Readonly<Record<string, unknown>>): body is TokenWire {
  return isCredentialString(body.access_token) && isExpiresIn(body.expires_in);
}

/** Guard for TicketWire. */
export function isTicketWire(body: Readonly<Record<string, unknown>>): body is TicketWire {
  return isCredentialString(body.ticket) && isExpiresIn(body.expires_in);
}

/** Guard for OkWire. */
export function isOkWire(body: Readonly<Record<string, unknown>>): body is OkWire {
  return body.errcode === 0;
}

/** Guard for IpListWire. */
export function isIpListWire(body: Readonly<Record<string, unknown>>): body is IpListWire {
  return Array.isArray(body.ip_list) && body.ip_list.every((ip) => typeof ip === 'string');
}

/** Guard for MenuWire. */
export function isMenuWire(body: Readonly<Record<string, unknown>>): body is MenuWire {
  return isObject(body.menu);
}

/** Guard for ApiQuotaWire. */
export function isApiQuotaWire(body: Readonly<Record<string, unknown>>): body is ApiQuotaWire {
  const quota = body.quota as Record<string, unknown> | null | undefined;
  if (!isObject(quota) || !isCount(quota.daily_limit) || !isCount(quota.used) || !isCount(quota.remain)) return false;
  return isOptionalRateLimit(body.rate_limit) && isOptionalRateLimit(body.component_rate_limit);
}

/** Returns `body` narrowed by `guard`, or throws a 'bad-body' UpstreamTransportError saying what was expected. */
export function expectBody<T extends Readonly<Record<string, unknown>>>(
  body: Readonly<Record<string, unknown>>,
  guard: (b: Readonly<Record<string, unknown>>) => b is T,
  path: string,
  expected: string,
): T {
  if (guard(body)) return body;
  throw new UpstreamTransportError('bad-body', path, `success body is not ${expected}`);
}

/** Maps a token body read at `startedAt`: the token was issued no earlier, so its expiry is no later than this. */
export function toAccessToken(wire: TokenWire, startedAt: number): AccessToken {
  return { token: wire.access_token, expiresAt: startedAt + Math.floor(wire.expires_in * 1000) };
}

/** Maps a ticket body read at `startedAt` (see toAccessToken). */
export function toTicket(wire: TicketWire, startedAt: number): Ticket {
  return { ticket: wire.ticket, expiresAt: startedAt + Math.floor(wire.expires_in * 1000) };
}

function isObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

function isCount(value: unknown): value is number {
  return typeof value === 'number' && Number.isFinite(value) && value >= 0;
}

function isOptionalRateLimit(value: unknown): value is RateLimitWire | undefined {
  return value === undefined || (isObject(value) && isCount(value.call_count) && isCount(value.refresh_second));
}
