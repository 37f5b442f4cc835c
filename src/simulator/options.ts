import type { Clock } from '../util/clock.js';
import { systemClock } from '../util/clock.js';
import { ConfigError } from '../errors/index.js';
import { TICKET_ROTATIONS, type TicketRotation } from './ticket-policy.js';
import type { CorpAppInput } from './wecom-corp.js';

/**
 * A WeCom corp to register. `secret` alone registers one agent app (agentid `agentid`, default 1000002), as the
 * single-secret form always did; `apps` lists any number of agent apps and named secrets.
 */
export interface CorpInput {
  corpid: string;
  secret?: string;
  agentid?: number;
  /** 企业可信IP of the app registered by `secret`. */
  ipAllowList?: readonly string[];
  apps?: readonly CorpAppInput[];
}

/** Lifetime of every access token and ticket WeChat issues today (`expires_in: 7200`, §1.2). */
export const DEFAULT_TOKEN_TTL_SECONDS = 7200;
/** How long a superseded token keeps working ("5分钟内，新老access_token都可用", §1.3). */
export const DEFAULT_GRACE_SECONDS = 300;
/** Stable normal mode issues a new token only in the last 5 minutes of the current one (§2.3). */
export const DEFAULT_STABLE_WINDOW_SECONDS = 300;
/** Consecutive stable force calls must be at least 30 s apart, "否则不会刷新" (§2.3). */
export const DEFAULT_FORCE_SPACING_SECONDS = 30;
/** Stable force calls allowed per day (§2.4). */
export const DEFAULT_FORCE_DAILY_LIMIT = 20;
/** `/cgi-bin/token` calls allowed per day for a newly registered account (§1.4). */
export const DEFAULT_CLASSIC_DAILY_QUOTA = 2000;
/** `/cgi-bin/stable_token` calls allowed per minute (§2.4). */
export const DEFAULT_STABLE_MINUTE_QUOTA = 10_000;
/** `/cgi-bin/stable_token` calls allowed per day (§2.4). */
export const DEFAULT_STABLE_DAILY_QUOTA = 500_000;
/** clear_quota and clear_quota/v2 resets allowed per month, shared (§5.1, §5.2). */
export const DEFAULT_CLEAR_QUOTA_MONTHLY_LIMIT = 10;
/** No added latency: WeChat's own latency is irrelevant unless a test wants overlapping requests. */
export const DEFAULT_LATENCY_MS = 0;
/**
 * Tickets are returned unchanged until they expire (wechat-open-platform.md §4.1, decision 6 as corrected); the
 * earlier rotate-on-every-fetch rule stays available as `on-fetch`.
 */
export const DEFAULT_TICKET_ROTATION: TicketRotation = 'on-expiry';
/** get_jsapi_ticket and ticket/get calls allowed per corp per hour, each endpoint on its own (§7.2 [Q4]). */
export const DEFAULT_WECOM_TICKET_CORP_HOURLY_LIMIT = 400;
/** The same, per application per hour (§7.2 [Q4]: "单个应用不能超过100次"). */
export const DEFAULT_WECOM_TICKET_APP_HOURLY_LIMIT = 100;
/**
 * WeCom errors take WeCom's own form, `<text>, hint: […], from ip: …, more info at …` (wechat-api.md §7.1);
 * `rid` gives WeChat's ` rid: …` suffix instead, for clients that parse only that.
 */
export const DEFAULT_WECOM_ERRMSG_STYLE: WeComErrmsgStyle = 'wecom';
/** Reports say gettoken still succeeds from an IP outside 企业可信IP (UNCONFIRMED, open-platform §5), so no check. */
export const DEFAULT_WECOM_GETTOKEN_IP_CHECK = false;
/** §1.2 lists 40001 first for a wrong secret on `/cgi-bin/token`; 40125 is the newer docs' code. */
export const DEFAULT_WRONG_SECRET_ERRCODE = 40001;

/** `rid`: `<text> rid: <rid>` as on api.weixin.qq.com; `wecom`: `<text>, hint: [<hint>], from ip: <ip>, more info at <url>`. */
export type WeComErrmsgStyle = 'rid' | 'wecom';

/** How the simulator is configured; every duration is in seconds (fractions allowed) unless named `Ms`. */
export interface SimulatorOptions {
  /** Time source for expiry, quotas, rids, latency and `delay` faults. Default: the system clock. */
  clock?: Clock;
  /** Source of randomness for tokens, tickets and rids. Default: Math.random. */
  random?: () => number;
  /** Lifetime of access tokens (and of tickets unless `ticketTtlSeconds` is set). Default 7200. */
  tokenTtlSeconds?: number;
  /** Lifetime of JS-SDK / card / agent_config tickets; what every ticket answer reports as expires_in. Default: tokenTtlSeconds. */
  ticketTtlSeconds?: number;
  /** `on-expiry`: a ticket is returned unchanged until it expires; `on-fetch`: every call issues a new one. Default on-expiry. */
  ticketRotation?: TicketRotation;
  /** How long a superseded token (or, with ticketRotation on-fetch, ticket) stays valid. Default 300. */
  graceSeconds?: number;
  /** Stable normal mode rotates only when at most this many seconds remain. Default 300. */
  stableWindowSeconds?: number;
  /** Minimum spacing between stable force calls for a force call to rotate. Default 30. */
  forceSpacingSeconds?: number;
  /** Stable force calls per day before 45009. Default 20. */
  forceDailyLimit?: number;
  /** `/cgi-bin/token` calls per day before 45009. Default 2000. */
  classicDailyQuota?: number;
  /** `/cgi-bin/stable_token` calls per minute before 45011. Default 10000. */
  stableMinuteQuota?: number;
  /** `/cgi-bin/stable_token` calls per day before 45009. Default 500000. */
  stableDailyQuota?: number;
  /** clear_quota (+ v2) calls per month before 48006. Default 10. */
  clearQuotaMonthlyLimit?: number;
  /** Added to every token-endpoint response (makes concurrent fetches observable). Default 0. */
  latencyMs?: number;
  /** errcode for a wrong secret on `/cgi-bin/token` (stable_token always answers 40125). Default 40001. */
  wrongSecretErrcode?: 40001 | 40125;
  /** Apps registered at start. */
  apps?: ReadonlyArray<{ appid: string; secret: string; ipAllowList?: string[] }>;
  /** get_jsapi_ticket (and, separately, ticket/get) calls per corp per calendar hour before 45009. Default 400. */
  wecomTicketCorpHourlyLimit?: number;
  /** The same per application (the app whose token is presented). Default 100. */
  wecomTicketAppHourlyLimit?: number;
  /** Format of errmsg on the WeCom endpoints. Default 'wecom'. */
  wecomErrmsgStyle?: WeComErrmsgStyle;
  /** Whether gettoken itself answers 60020 for a caller outside the app's ipAllowList. Default false. */
  wecomGettokenIpCheck?: boolean;
  /** WeCom corps registered at start (see CorpInput). */
  corps?: ReadonlyArray<CorpInput>;
  /** Open Platform components registered at start (their periodic ticket pushes start at once). */
  components?: ReadonlyArray<import('./open-platform/components.js').ComponentInput>;
  /** Fastify's logger option. Default false. */
  logger?: boolean | object;
}

/** The options after defaults and validation; durations in milliseconds. */
export interface ResolvedSimulatorOptions {
  readonly clock: Clock;
  readonly random: () => number;
  readonly tokenTtlMs: number;
  readonly ticketTtlMs: number;
  readonly ticketRotation: TicketRotation;
  readonly graceMs: number;
  readonly stableWindowMs: number;
  readonly forceSpacingMs: number;
  readonly forceDailyLimit: number;
  readonly classicDailyQuota: number;
  readonly stableMinuteQuota: number;
  readonly stableDailyQuota: number;
  readonly clearQuotaMonthlyLimit: number;
  readonly latencyMs: number;
  readonly wrongSecretErrcode: 40001 | 40125;
  readonly wecomTicketCorpHourlyLimit: number;
  readonly wecomTicketAppHourlyLimit: number;
  readonly wecomErrmsgStyle: WeComErrmsgStyle;
  readonly wecomGettokenIpCheck: boolean;
  readonly logger: boolean | object;
}

/** Applies defaults and validates eagerly, naming the option and the bad value. */
export function resolveSimulatorOptions(options: SimulatorOptions = {}): ResolvedSimulatorOptions {
  const random = options.random ?? Math.random;
  if (typeof random !== 'function') throw new ConfigError(`simulator option random must be a function`);
  const wrongSecretErrcode = options.wrongSecretErrcode ?? DEFAULT_WRONG_SECRET_ERRCODE;
  if (wrongSecretErrcode !== 40001 && wrongSecretErrcode !== 40125) {
    throw new ConfigError(`simulator option wrongSecretErrcode must be 40001 or 40125, got ${String(wrongSecretErrcode)}`);
  }
  const ticketRotation = options.ticketRotation ?? DEFAULT_TICKET_ROTATION;
  if (!(TICKET_ROTATIONS as readonly unknown[]).includes(ticketRotation)) {
    throw new ConfigError(`simulator option ticketRotation must be one of ${TICKET_ROTATIONS.join(', ')}, got ${String(ticketRotation)}`);
  }
  const wecomErrmsgStyle = options.wecomErrmsgStyle ?? DEFAULT_WECOM_ERRMSG_STYLE;
  if (wecomErrmsgStyle !== 'rid' && wecomErrmsgStyle !== 'wecom') {
    throw new ConfigError(`simulator option wecomErrmsgStyle must be rid or wecom, got ${String(wecomErrmsgStyle)}`);
  }
  const wecomGettokenIpCheck = options.wecomGettokenIpCheck ?? DEFAULT_WECOM_GETTOKEN_IP_CHECK;
  if (typeof wecomGettokenIpCheck !== 'boolean') {
    throw new ConfigError(`simulator option wecomGettokenIpCheck must be a boolean, got ${String(wecomGettokenIpCheck)}`);
  }
  const tokenTtlMs = seconds('tokenTtlSeconds', options.tokenTtlSeconds ?? DEFAULT_TOKEN_TTL_SECONDS, true);
  return {
    clock: options.clock ?? systemClock,
    random,
    tokenTtlMs,
    // Tests that compress the token lifetime usually want tickets compressed alike.
    ticketTtlMs: options.ticketTtlSeconds === undefined ? tokenTtlMs : seconds('ticketTtlSeconds', options.ticketTtlSeconds, true),
    ticketRotation,
    graceMs: seconds('graceSeconds', options.graceSeconds ?? DEFAULT_GRACE_SECONDS, false),
    stableWindowMs: seconds('stableWindowSeconds', options.stableWindowSeconds ?? DEFAULT_STABLE_WINDOW_SECONDS, false),
    forceSpacingMs: seconds('forceSpacingSeconds', options.forceSpacingSeconds ?? DEFAULT_FORCE_SPACING_SECONDS, false),
    forceDailyLimit: count('forceDailyLimit', options.forceDailyLimit ?? DEFAULT_FORCE_DAILY_LIMIT),
    classicDailyQuota: count('classicDailyQuota', options.classicDailyQuota ?? DEFAULT_CLASSIC_DAILY_QUOTA),
    stableMinuteQuota: count('stableMinuteQuota', options.stableMinuteQuota ?? DEFAULT_STABLE_MINUTE_QUOTA),
    stableDailyQuota: count('stableDailyQuota', options.stableDailyQuota ?? DEFAULT_STABLE_DAILY_QUOTA),
    clearQuotaMonthlyLimit: count('clearQuotaMonthlyLimit', options.clearQuotaMonthlyLimit ?? DEFAULT_CLEAR_QUOTA_MONTHLY_LIMIT),
    latencyMs: milliseconds('latencyMs', options.latencyMs ?? DEFAULT_LATENCY_MS),
    wrongSecretErrcode,
    wecomTicketCorpHourlyLimit: count('wecomTicketCorpHourlyLimit', options.wecomTicketCorpHourlyLimit ?? DEFAULT_WECOM_TICKET_CORP_HOURLY_LIMIT),
    wecomTicketAppHourlyLimit: count('wecomTicketAppHourlyLimit', options.wecomTicketAppHourlyLimit ?? DEFAULT_WECOM_TICKET_APP_HOURLY_LIMIT),
    wecomErrmsgStyle,
    wecomGettokenIpCheck,
    logger: options.logger ?? false,
  };
}

function seconds(name: string, value: number, positive: boolean): number {
  const ms = typeof value === 'number' ? Math.round(value * 1000) : Number.NaN;
  // A positive duration must survive rounding to whole milliseconds.
  if (!Number.isFinite(ms) || ms < 0 || (positive && ms === 0)) {
    throw new ConfigError(`simulator option ${name} must be a ${positive ? 'positive' : 'non-negative'} number of seconds, got ${String(value)}`);
  }
  return ms;
}

function milliseconds(name: string, value: number): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) {
    throw new ConfigError(`simulator option ${name} must be a non-negative number of milliseconds, got ${String(value)}`);
  }
  return value;
}

function count(name: string, value: number): number {
  if (!Number.isSafeInteger(value) || value < 0) {
    throw new ConfigError(`simulator option ${name} must be a non-negative integer, got ${String(value)}`);
  }
  return value;
}
