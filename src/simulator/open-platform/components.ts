import { ConflictError, InvalidRequestError, NotFoundError } from '../../errors/index.js';
import { decodeAesKey, isEncodingAesKey } from '../../wechat/msg-crypto.js';
import { CredentialSlot } from '../credential-slot.js';
import { IpAllowList } from '../ip-allow-list.js';
import { newAccessToken } from '../token-shape.js';
import type { AppRecord, SimulatorState } from '../state.js';

/**
 * The Open Platform (第三方平台) as the simulator models it (../shared/wechat-open-platform.md §2, §7.3 item 8):
 * components with their pushed verify tickets, component tokens gated by ticket freshness, one-time pre-auth and
 * authorization codes, authorizers with refresh tokens that do not rotate on refresh and are replaced on
 * re-authorization (the old one valid 300 s more), unauthorization, and the authorizer list. Authorizers are
 * simulator apps, so their tokens work on the business endpoints like any app's. Pure logic over the state's clock
 * and random source; pushes are sent by ComponentPusher.
 */

/** A verify ticket lives 12 h (§2.1). */
export const DEFAULT_VERIFY_TICKET_TTL_MS = 12 * 3_600_000;
/** WeChat pushes a verify ticket every 10 min (§2.1). */
export const DEFAULT_PUSH_PERIOD_MS = 600_000;
/** Pre-auth codes and authorization codes live 600 s (the examples' `expires_in`, §2.3, §2.4). */
export const CODE_TTL_MS = 600_000;
/** A replaced refresh token keeps working this long (staff: "5分钟的过渡期", §3.1). */
export const REFRESH_TOKEN_OVERLAP_MS = 300_000;
/** api_get_authorizer_list pages hold at most this many (§2.7). */
export const MAX_LIST_COUNT = 500;

/** A component as registered: secret, message token, EncodingAESKey and where its events go. */
export interface ComponentInput {
  appid: string;
  secret: string;
  /** The message-verification token (消息校验Token). */
  token: string;
  /** The EncodingAESKey (消息加解密Key), 43 characters. */
  aesKey: string;
  /** The 授权事件接收URL; no pushes without it. */
  pushUrl?: string;
  /** Seconds between automatic ticket pushes; 0 = only on request. Default 600. */
  pushPeriodSeconds?: number;
  /** Probability that a push repeats the current ticket instead of issuing a new one (a repeat is normal, §2.1). Default 0. */
  repeatProbability?: number;
  /** Life of a verify ticket in seconds. Default 43200. */
  ticketTtlSeconds?: number;
  ipAllowList?: readonly string[];
}

/** An authorizer of a component. */
export interface AuthorizerRecord {
  readonly appid: string;
  readonly app: AppRecord;
  authorized: boolean;
  /** '' until an authorization code is exchanged (the list then shows it empty, §2.7). */
  refreshToken: string;
  previousRefresh: { value: string; validUntil: number } | undefined;
  authTime: number;
  frozen: boolean;
}

/** Counters tests assert on. */
export interface ComponentCounters {
  componentTokenRequests: number;
  componentTokenFetches: number;
  preAuthCodes: number;
  queryAuth: number;
  authorizerTokenRequests: number;
  authorizerTokenFetches: number;
  authorizerList: number;
  startPushTicket: number;
  pushes: number;
  pushFailures: number;
  maxConcurrentAuthorizerTokenFetches: number;
  inFlightAuthorizerTokenFetches: number;
  authorizerTokenFetchesByAppid: Record<string, number>;
}

/** A component's model. */
export interface ComponentRecord {
  readonly appid: string;
  secret: string;
  token: string;
  key: Buffer;
  pushUrl: string | undefined;
  pushPeriodMs: number;
  repeatProbability: number;
  ticketTtlMs: number;
  allowList: IpAllowList;
  /** Tickets pushed, newest last, each with when it was created. */
  readonly tickets: Array<{ value: string; createdAt: number }>;
  readonly tokenSlot: CredentialSlot;
  readonly preAuthCodes: Map<string, number>;
  readonly authCodes: Map<string, { authorizer: string; expiresAt: number }>;
  readonly authorizers: Map<string, AuthorizerRecord>;
  readonly counters: ComponentCounters;
}

/** What a verify-ticket check decides: usable, unknown/foreign (61006) or too old (61005). */
export type TicketCheck = 'ok' | 61005 | 61006;

/** The Open Platform part of the simulator's state. */
export class Components {
  readonly #state: SimulatorState;
  readonly #components = new Map<string, ComponentRecord>();
  readonly #tokens = new Map<string, ComponentRecord>();

  constructor(state: SimulatorState) {
    this.#state = state;
  }

  /** Registers a component or replaces its settings (tickets, tokens and authorizers are kept). */
  register(input: ComponentInput): { appid: string; created: boolean } {
    if (input === null || typeof input !== 'object') throw new InvalidRequestError('a component must be an object');
    const appid = checkId('appid', input.appid);
    for (const name of ['secret', 'token'] as const) {
      if (typeof input[name] !== 'string' || input[name].length === 0 || input[name].length > 256) throw new InvalidRequestError(`${name} must be a non-empty string`);
    }
    if (typeof input.aesKey !== 'string' || !isEncodingAesKey(input.aesKey)) throw new InvalidRequestError('aesKey must be 43 letters and digits');
    if (input.pushUrl !== undefined && !/^https?:\/\//.test(String(input.pushUrl))) throw new InvalidRequestError('pushUrl must be an http(s) URL');
    const period = input.pushPeriodSeconds ?? DEFAULT_PUSH_PERIOD_MS / 1000;
    if (typeof period !== 'number' || !(period >= 0)) throw new InvalidRequestError('pushPeriodSeconds must be a non-negative number');
    const repeat = input.repeatProbability ?? 0;
    if (typeof repeat !== 'number' || !(repeat >= 0 && repeat <= 1)) throw new InvalidRequestError('repeatProbability must be between 0 and 1');
    const ttl = input.ticketTtlSeconds ?? DEFAULT_VERIFY_TICKET_TTL_MS / 1000;
    if (typeof ttl !== 'number' || !(ttl > 0)) throw new InvalidRequestError('ticketTtlSeconds must be a positive number');
    if (this.#state.owner(appid)) throw new ConflictError(`${appid} is already registered as an app or corp`);
    let allowList: IpAllowList;
    try {
      allowList = new IpAllowList(input.ipAllowList ?? []);
    } catch (err) {
      throw new InvalidRequestError((err as Error).message);
    }
    const settings = {
      secret: input.secret,
      token: input.token,
      key: decodeAesKey(input.aesKey),
      pushUrl: input.pushUrl,
      pushPeriodMs: Math.round(period * 1000),
      repeatProbability: repeat,
      ticketTtlMs: Math.round(ttl * 1000),
      allowList,
    };
    const existing = this.#components.get(appid);
    if (existing) {
      Object.assign(existing, settings);
      return { appid, created: false };
    }
    this.#components.set(appid, {
      appid,
      ...settings,
      tickets: [],
      tokenSlot: new CredentialSlot(),
      preAuthCodes: new Map(),
      authCodes: new Map(),
      authorizers: new Map(),
      counters: zeroCounters(),
    });
    return { appid, created: true };
  }

  /** The component registered as `appid`, if any. */
  get(appid: string | undefined): ComponentRecord | undefined {
    return appid === undefined ? undefined : this.#components.get(appid);
  }

  /** The component, or NotFoundError. */
  require(appid: string): ComponentRecord {
    const component = this.#components.get(appid);
    if (!component) throw new NotFoundError(`no component ${appid} is registered`);
    return component;
  }

  /** Every registered component. */
  all(): ComponentRecord[] {
    return [...this.#components.values()];
  }

  /**
   * The ticket the next push carries: the current one again (with `repeatProbability`, or when `repeat` is asked),
   * else a new `ticket@@@…`, created now.
   */
  nextTicket(component: ComponentRecord, repeat?: boolean): { value: string; createdAt: number } {
    const current = component.tickets.at(-1);
    const now = this.#state.now();
    const again = repeat ?? (current !== undefined && this.#state.options.random() < component.repeatProbability);
    if (again && current && now - current.createdAt < component.ticketTtlMs) return current;
    const ticket = { value: `ticket@@@${newAccessToken(this.#state.options.random).slice(3, 67)}`, createdAt: now };
    component.tickets.push(ticket);
    if (component.tickets.length > 256) component.tickets.shift();
    return ticket;
  }

  /** Whether `ticket` is one pushed to this component and still within its life (§2.1, §2.2). */
  checkTicket(component: ComponentRecord, ticket: string): TicketCheck {
    const found = component.tickets.find((t) => t.value === ticket);
    if (!found) return 61006;
    return this.#state.now() - found.createdAt < component.ticketTtlMs ? 'ok' : 61005;
  }

  /** Issues a component token; the previous one works for the grace period more (§8.2 "5-minute transition"). */
  issueComponentToken(component: ComponentRecord): { value: string; expiresIn: number } {
    const now = this.#state.now();
    const value = newAccessToken(this.#state.options.random);
    component.tokenSlot.rotate({ value, issuedAt: now, expiresAt: now + this.#state.options.tokenTtlMs }, now + this.#state.options.graceMs);
    this.#tokens.set(value, component);
    component.counters.componentTokenFetches += 1;
    return { value, expiresIn: Math.floor(this.#state.options.tokenTtlMs / 1000) };
  }

  /** Judges a presented component token: its component, or the errcode (41001 missing, 40001 unknown/superseded, 42001 expired). */
  checkComponentToken(token: string | undefined): { component: ComponentRecord } | { errcode: 41001 | 40001 | 42001 } {
    if (token === undefined || token === '') return { errcode: 41001 };
    const component = this.#tokens.get(token);
    if (!component) return { errcode: 40001 };
    const status = component.tokenSlot.status(token, this.#state.now());
    if (status === 'valid') return { component };
    return { errcode: status === 'expired' ? 42001 : 40001 };
  }

  /** The appid of the component `token` was issued to, if remembered. */
  componentOfToken(token: string | undefined): string | undefined {
    return token === undefined ? undefined : this.#tokens.get(token)?.appid;
  }

  /** A one-time pre-auth code (§2.3). */
  createPreAuthCode(component: ComponentRecord): { code: string; expiresIn: number } {
    const code = `preauthcode@@@${newAccessToken(this.#state.options.random).slice(3, 50)}`;
    component.preAuthCodes.set(code, this.#state.now() + CODE_TTL_MS);
    component.counters.preAuthCodes += 1;
    return { code, expiresIn: CODE_TTL_MS / 1000 };
  }

  /**
   * A merchant authorizes (or re-authorizes) `authorizerAppid`: spends the pre-auth code when one is given (one-time,
   * §2.3), marks the authorizer authorized and returns a one-time authorization code. Whether it was authorized
   * before tells `authorized` from `updateauthorized`.
   */
  authorize(component: ComponentRecord, input: { authorizerAppid: string; preAuthCode?: string }): { authCode: string; expiresIn: number; update: boolean } {
    const appid = checkId('authorizerAppid', input.authorizerAppid);
    if (input.preAuthCode !== undefined) {
      const expiresAt = component.preAuthCodes.get(input.preAuthCode);
      if (expiresAt === undefined || this.#state.now() >= expiresAt) throw new InvalidRequestError('the pre-auth code is unknown, used or expired');
      component.preAuthCodes.delete(input.preAuthCode);
    }
    const authorizer = this.#authorizer(component, appid);
    const update = authorizer.authorized;
    authorizer.authorized = true;
    authorizer.authTime = this.#state.now();
    const authCode = `queryauthcode@@@${newAccessToken(this.#state.options.random).slice(3, 60)}`;
    component.authCodes.set(authCode, { authorizer: appid, expiresAt: this.#state.now() + CODE_TTL_MS });
    return { authCode, expiresIn: CODE_TTL_MS / 1000, update };
  }

  /**
   * Authorizes `count` authorizers at once (`<prefix><n>`), cheaply: with `exchanged`, each gets a refresh token as
   * if api_query_auth had been called (the list shows it); otherwise each gets an authorization code.
   */
  authorizeMany(component: ComponentRecord, input: { count: number; prefix?: string; exchanged?: boolean }): Array<{ appid: string; authCode?: string; refreshToken?: string }> {
    if (!Number.isSafeInteger(input.count) || input.count < 1 || input.count > 200_000) throw new InvalidRequestError('count must be an integer from 1 to 200000');
    // Appids look like real ones (wx + 16 hex) so that the hub accepts them: wx<prefix><index in hex>.
    const prefix = input.prefix ?? 'a0';
    if (typeof prefix !== 'string' || !/^[0-9a-f]{1,8}$/.test(prefix)) throw new InvalidRequestError('prefix must be 1-8 lower-case hex digits');
    const out: Array<{ appid: string; authCode?: string; refreshToken?: string }> = [];
    for (let i = 0; i < input.count; i++) {
      const appid = `wx${prefix}${i.toString(16).padStart(16 - prefix.length, '0')}`;
      const { authCode } = this.authorize(component, { authorizerAppid: appid });
      if (input.exchanged === true) {
        component.authCodes.delete(authCode);
        out.push({ appid, refreshToken: this.#newRefreshToken(component.authorizers.get(appid)!) });
      } else {
        out.push({ appid, authCode });
      }
    }
    return out;
  }

  /**
   * api_query_auth: spends the authorization code and issues the authorizer's refresh token (replacing any earlier
   * one, which keeps working REFRESH_TOKEN_OVERLAP_MS more). 61009 unknown or used, 61010 expired.
   */
  exchangeAuthCode(component: ComponentRecord, code: string): { authorizer: AuthorizerRecord; refreshToken: string } | { errcode: 61009 | 61010 } {
    const entry = component.authCodes.get(code);
    if (!entry) return { errcode: 61009 };
    component.authCodes.delete(code);
    if (this.#state.now() >= entry.expiresAt) return { errcode: 61010 };
    const authorizer = component.authorizers.get(entry.authorizer)!;
    component.counters.queryAuth += 1;
    return { authorizer, refreshToken: this.#newRefreshToken(authorizer) };
  }

  /**
   * Replaces an authorizer's refresh token as an exchange elsewhere would (another system exchanging a
   * re-authorization code): the old value keeps working `overlapMs` more (WeChat's 300 s by default).
   */
  rotateRefreshToken(component: ComponentRecord, appid: string, overlapMs = REFRESH_TOKEN_OVERLAP_MS): string {
    const authorizer = component.authorizers.get(appid);
    if (!authorizer || !authorizer.authorized) throw new NotFoundError(`component ${component.appid} has no authorized authorizer ${appid}`);
    const value = this.#newRefreshToken(authorizer);
    if (authorizer.previousRefresh) authorizer.previousRefresh.validUntil = this.#state.now() + overlapMs;
    return value;
  }

  /** Whether a presented refresh token is the authorizer's (or its predecessor within the overlap). */
  refreshTokenMatches(authorizer: AuthorizerRecord, presented: string): boolean {
    if (authorizer.refreshToken !== '' && authorizer.refreshToken === presented) return true;
    const previous = authorizer.previousRefresh;
    return previous !== undefined && previous.value === presented && this.#state.now() < previous.validUntil;
  }

  /** The merchant cancels the authorization: its refresh token stops working at once (61023, then 61003). */
  unauthorize(component: ComponentRecord, appid: string): void {
    const authorizer = component.authorizers.get(appid);
    if (!authorizer) throw new NotFoundError(`component ${component.appid} has no authorizer ${appid}`);
    authorizer.authorized = false;
    authorizer.refreshToken = '';
    authorizer.previousRefresh = undefined;
  }

  /** Freezes or unfreezes an authorizer account (api_authorizer_token then answers 50002). */
  setFrozen(component: ComponentRecord, appid: string, frozen: boolean): void {
    const authorizer = component.authorizers.get(appid);
    if (!authorizer) throw new NotFoundError(`component ${component.appid} has no authorizer ${appid}`);
    authorizer.frozen = frozen;
  }

  /** A page of authorized authorizers, in authorization order (§2.7). */
  listAuthorizers(component: ComponentRecord, offset: number, count: number): { total: number; list: AuthorizerRecord[] } {
    const authorized = [...component.authorizers.values()].filter((a) => a.authorized);
    return { total: authorized.length, list: authorized.slice(offset, offset + count) };
  }

  /** Counters, as a copy. */
  counters(component: ComponentRecord): ComponentCounters {
    return { ...component.counters, authorizerTokenFetchesByAppid: { ...component.counters.authorizerTokenFetchesByAppid } };
  }

  /** Zeroes the counters (requests in flight stay counted as in flight). */
  resetCounters(component: ComponentRecord): void {
    const inFlight = component.counters.inFlightAuthorizerTokenFetches;
    Object.assign(component.counters, zeroCounters(), { inFlightAuthorizerTokenFetches: inFlight, maxConcurrentAuthorizerTokenFetches: inFlight });
  }

  #authorizer(component: ComponentRecord, appid: string): AuthorizerRecord {
    const existing = component.authorizers.get(appid);
    if (existing) return existing;
    if (this.#components.has(appid)) throw new ConflictError(`${appid} is a component`);
    // An authorizer is a simulator app (its own secret unknown to anyone), so its tokens pass the business endpoints.
    if (!this.#state.app(appid)) this.#state.registerApp({ appid, secret: `sim-${newAccessToken(this.#state.options.random).slice(3, 35)}` });
    const authorizer: AuthorizerRecord = { appid, app: this.#state.app(appid)!, authorized: false, refreshToken: '', previousRefresh: undefined, authTime: 0, frozen: false };
    component.authorizers.set(appid, authorizer);
    return authorizer;
  }

  #newRefreshToken(authorizer: AuthorizerRecord): string {
    const value = `refreshtoken@@@${newAccessToken(this.#state.options.random).slice(3, 46)}`;
    if (authorizer.refreshToken !== '') authorizer.previousRefresh = { value: authorizer.refreshToken, validUntil: this.#state.now() + REFRESH_TOKEN_OVERLAP_MS };
    authorizer.refreshToken = value;
    return value;
  }
}

function zeroCounters(): ComponentCounters {
  return {
    componentTokenRequests: 0,
    componentTokenFetches: 0,
    preAuthCodes: 0,
    queryAuth: 0,
    authorizerTokenRequests: 0,
    authorizerTokenFetches: 0,
    authorizerList: 0,
    startPushTicket: 0,
    pushes: 0,
    pushFailures: 0,
    maxConcurrentAuthorizerTokenFetches: 0,
    inFlightAuthorizerTokenFetches: 0,
    authorizerTokenFetchesByAppid: {},
  };
}

function checkId(name: string, value: unknown): string {
  if (typeof value !== 'string' || !/^[A-Za-z0-9_.-]{1,64}$/.test(value)) {
    throw new InvalidRequestError(`${name} must be 1-64 characters of A-Z a-z 0-9 _ . -, got ${JSON.stringify(value)}`);
  }
  return value;
}
