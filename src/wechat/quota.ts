import { callWeChat } from './http.js';
import { DEFAULT_WECHAT_BASE_URL, resolveRequestOptions, type WeChatRequestOptions } from './options.js';
import { expectBody, isApiQuotaWire, isOkWire, type RateLimitWire } from './wire.js';

/** Path of clearQuota (reset with an access token). */
export const CLEAR_QUOTA_PATH = '/cgi-bin/clear_quota';
/** Path of clearQuotaByAppSecret (reset with the AppSecret, usable when the token quota itself is gone). */
export const CLEAR_QUOTA_V2_PATH = '/cgi-bin/clear_quota/v2';
/** Path of getApiQuota. */
export const API_QUOTA_PATH = '/cgi-bin/openapi/quota/get';

/** A rate limit: `callCount` calls per `refreshSecond` seconds. */
export interface RateLimit {
  readonly callCount: number;
  readonly refreshSecond: number;
}

/** Today's quota for one API path, as getApiQuota reports it. */
export interface ApiQuota {
  readonly dailyLimit: number;
  readonly used: number;
  readonly remain: number;
  /** The normal frequency limit, when WeChat reports one. */
  readonly rateLimit?: RateLimit;
  /** The limit when a third-party platform calls on the account's behalf, when reported. */
  readonly componentRateLimit?: RateLimit;
}

/**
 * `POST /cgi-bin/clear_quota?access_token` with `{"appid"}`: resets the account's daily quotas. At most 10 resets a
 * month, shared with clearQuotaV2 (48006 after that).
 */
export async function clearQuota(options: WeChatRequestOptions & { accessToken: string; appid: string }): Promise<void> {
  const resolved = resolveRequestOptions(options, DEFAULT_WECHAT_BASE_URL);
  const { accessToken, appid } = options;
  const { body } = await callWeChat(
    { method: 'POST', path: CLEAR_QUOTA_PATH, query: { access_token: accessToken }, json: { appid }, kind: 'business', secrets: [accessToken] },
    resolved,
  );
  expectBody(body, isOkWire, CLEAR_QUOTA_PATH, 'errcode 0');
}

/**
 * `POST /cgi-bin/clear_quota/v2` with `{"appid","appsecret"}` in the JSON body (the newer documented form; the
 * secret stays out of URLs and access logs). Authenticated by the secret, so errcodes are read as a token
 * endpoint's: 40001 means a wrong secret.
 */
export async function clearQuotaV2(options: WeChatRequestOptions & { appid: string; secret: string }): Promise<void> {
  const resolved = resolveRequestOptions(options, DEFAULT_WECHAT_BASE_URL);
  const { appid, secret } = options;
  const { body } = await callWeChat(
    { method: 'POST', path: CLEAR_QUOTA_V2_PATH, json: { appid, appsecret: secret }, kind: 'token', secrets: [secret] },
    resolved,
  );
  expectBody(body, isOkWire, CLEAR_QUOTA_V2_PATH, 'errcode 0');
}

/** `POST /cgi-bin/openapi/quota/get?access_token` with `{"cgi_path"}`: today's quota of one API path. */
export async function getApiQuota(options: WeChatRequestOptions & { accessToken: string; cgiPath: string }): Promise<ApiQuota> {
  const resolved = resolveRequestOptions(options, DEFAULT_WECHAT_BASE_URL);
  const { accessToken, cgiPath } = options;
  const { body } = await callWeChat(
    { method: 'POST', path: API_QUOTA_PATH, query: { access_token: accessToken }, json: { cgi_path: cgiPath }, kind: 'business', secrets: [accessToken] },
    resolved,
  );
  const wire = expectBody(body, isApiQuotaWire, API_QUOTA_PATH, 'a quota object');
  return {
    dailyLimit: wire.quota.daily_limit,
    used: wire.quota.used,
    remain: wire.quota.remain,
    ...(wire.rate_limit !== undefined && { rateLimit: toRateLimit(wire.rate_limit) }),
    ...(wire.component_rate_limit !== undefined && { componentRateLimit: toRateLimit(wire.component_rate_limit) }),
  };
}

function toRateLimit(wire: RateLimitWire): RateLimit {
  return { callCount: wire.call_count, refreshSecond: wire.refresh_second };
}
