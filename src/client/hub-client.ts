import type { Clock } from '../util/clock.js';
import { systemClock } from '../util/clock.js';
import { isTokenInvalid } from '../wechat/errcodes.js';
import { parseCode2Session, parseOAuthGrant, type MiniProgramSession, type OAuthGrant } from '../wechat/login.js';

export type { MiniProgramSession, OAuthGrant } from '../wechat/login.js';

/** Options of a HubClient. */
export interface HubClientOptions {
  /** The hub's base URL, e.g. http://127.0.0.1:8080. */
  baseUrl: string;
  /** A client key scoped to the apps this service reads. */
  key: string;
  /** Per-request timeout; default 5 s (the hub answers from memory, so anything slower is a problem). */
  timeoutMs?: number;
  /** Timeout of a `call` through the proxy unless its init has a signal; default DEFAULT_CALL_TIMEOUT_MS. */
  callTimeoutMs?: number;
  fetch?: typeof fetch;
  clock?: Clock;
}

/** A token as the hub hands it out. */
export interface HubToken {
  readonly accessToken: string;
  /** Until when the hub says it may be used (epoch ms), with the hub's safety margin already taken off. */
  readonly expiresAt: number;
}

/** The hub answered with an error (`{"error": {"code", "message"}}`), or could not be reached. */
export class HubClientError extends Error {
  readonly code: string;
  readonly status: number;
  constructor(code: string, message: string, status: number, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'HubClientError';
    this.code = code;
    this.status = status;
  }
}

/** Default request timeout of the client SDK. */
export const DEFAULT_CLIENT_TIMEOUT_MS = 5_000;

/**
 * Default timeout of a call through the proxy: the hub waits up to its upstream timeout (10 s) for WeChat, and
 * a healed call is two WeChat calls, so 30 s leaves room. Large media transfers pass a signal of their own.
 */
export const DEFAULT_CALL_TIMEOUT_MS = 30_000;

/** The header the hub's proxy puts on WeChat's answers, telling them from the hub's own errors. */
export const PROXY_SOURCE_HEADER = 'x-wxtoken-source';

/** Options of the Open Platform authorizer methods. */
export interface AuthorizerTokenOptions {
  /** The component to read the authorizer through, when several hold it; default: the one it is active with. */
  component?: string;
}

/** Where one credential's token is read and reported, and its entry in the client's cache. */
interface TokenRoute {
  /** Cache and single-flight key; parts are URI-encoded and kinds prefixed, so no two credentials ever share one. */
  readonly key: string;
  /** `/v1/…/access-token`; its invalidation is the same path plus `/invalidate`, with the same query. */
  readonly path: string;
  readonly query: string;
}

const appRoute = (appid: string): TokenRoute => ({ key: `app:${encodeURIComponent(appid)}`, path: `/v1/apps/${encodeURIComponent(appid)}/access-token`, query: '' });

// Keyed by component too: an appid authorized to two components has a token per component.
const authorizerRoute = (appid: string, component: string | undefined): TokenRoute => ({
  key: `authorizer:${encodeURIComponent(component ?? '')}/${encodeURIComponent(appid)}`,
  path: `/v1/authorizers/${encodeURIComponent(appid)}/access-token`,
  query: component === undefined ? '' : `?${new URLSearchParams({ component })}`,
});

const wecomRoute = (corpid: string, agent: string | number): TokenRoute => {
  const id = `${encodeURIComponent(corpid)}/${encodeURIComponent(agent)}`;
  return { key: `wecom:${id}`, path: `/v1/wecom/${id}/access-token`, query: '' };
};

/** The hub's `{"error": {"code", "message"}}` body, as far as it can be trusted. */
interface HubErrorBody {
  error?: { code?: unknown; message?: unknown };
}

/** The error for an answer that is not the one expected: the hub's own code and message when it sent them. */
function hubError(json: HubErrorBody | null, status: number): HubClientError {
  const code = typeof json?.error?.code === 'string' ? json.error.code : 'bad_response';
  const message = typeof json?.error?.message === 'string' ? json.error.message : `unexpected hub response (HTTP ${status})`;
  return new HubClientError(code, message, status);
}

/**
 * The SDK for business services: reads tokens from a wxtoken hub, caches each until the expiry the hub gives,
 * shares concurrent reads, and reports tokens WeChat rejected.
 */
export class HubClient {
  readonly #base: string;
  readonly #key: string;
  readonly #timeoutMs: number;
  readonly #callTimeoutMs: number;
  readonly #fetch: typeof fetch;
  readonly #clock: Clock;
  readonly #cache = new Map<string, HubToken>();
  readonly #pending = new Map<string, Promise<HubToken>>();

  constructor(options: HubClientOptions) {
    if (!/^https?:\/\//.test(options.baseUrl)) throw new TypeError(`baseUrl must be an http(s) URL, got ${JSON.stringify(options.baseUrl)}`);
    this.#base = options.baseUrl.replace(/\/+$/, '');
    this.#key = options.key;
    this.#timeoutMs = options.timeoutMs ?? DEFAULT_CLIENT_TIMEOUT_MS;
    this.#callTimeoutMs = options.callTimeoutMs ?? DEFAULT_CALL_TIMEOUT_MS;
    this.#fetch = options.fetch ?? fetch;
    this.#clock = options.clock ?? systemClock;
  }

  /** The app's current access token (from the local cache while the hub's expiry allows). */
  getAccessToken(appid: string): Promise<HubToken> {
    return this.#read(appRoute(appid));
  }

  /** Reports a token WeChat rejected; resolves to the hub's current (possibly new) token. */
  invalidate(appid: string, badToken: string): Promise<HubToken> {
    return this.#invalidate(appRoute(appid), badToken);
  }

  /** An Open Platform authorizer's current token, cached like an app's (the key needs `component:<c>/<appid>`). */
  authorizerToken(authorizerAppid: string, options: AuthorizerTokenOptions = {}): Promise<HubToken> {
    return this.#read(authorizerRoute(authorizerAppid, options.component));
  }

  /** Reports an authorizer token WeChat rejected; resolves to the hub's current (possibly new) token. */
  invalidateAuthorizerToken(authorizerAppid: string, badToken: string, options: AuthorizerTokenOptions = {}): Promise<HubToken> {
    return this.#invalidate(authorizerRoute(authorizerAppid, options.component), badToken);
  }

  /** A WeCom app's current token (`agent`: its agentid or name), cached like an app's (the key needs `wecom:<corpid>/<agent>`). */
  wecomToken(corpid: string, agent: string | number): Promise<HubToken> {
    return this.#read(wecomRoute(corpid, agent));
  }

  /** Reports a WeCom token WeCom rejected; resolves to the hub's current (possibly new) token. */
  invalidateWeComToken(corpid: string, agent: string | number, badToken: string): Promise<HubToken> {
    return this.#invalidate(wecomRoute(corpid, agent), badToken);
  }

  /**
   * Runs `call` with the app's token; if WeChat answers 40001/40014/42001 (the call returns the errcode via
   * `errcodeOf`), reports the token and retries once with the replacement.
   */
  withToken<T>(appid: string, call: (accessToken: string) => Promise<T>, errcodeOf: (result: T) => number | undefined): Promise<T> {
    return this.#withToken(appRoute(appid), call, errcodeOf);
  }

  /** withToken for an Open Platform authorizer's token (see authorizerToken). */
  withAuthorizerToken<T>(
    authorizerAppid: string,
    call: (accessToken: string) => Promise<T>,
    errcodeOf: (result: T) => number | undefined,
    options: AuthorizerTokenOptions = {},
  ): Promise<T> {
    return this.#withToken(authorizerRoute(authorizerAppid, options.component), call, errcodeOf);
  }

  /** withToken for a WeCom app's token (see wecomToken); WeCom answers a dead token with the same errcodes. */
  withWeComToken<T>(corpid: string, agent: string | number, call: (accessToken: string) => Promise<T>, errcodeOf: (result: T) => number | undefined): Promise<T> {
    return this.#withToken(wecomRoute(corpid, agent), call, errcodeOf);
  }

  /**
   * Mini Program login: exchanges the `wx.login()` code for the user's openid and session key through the hub,
   * which adds the app's AppSecret (the key needs the `login` capability). Throws LoginCodeInvalidError (40029),
   * LoginCodeUsedError (40163), LoginRateLimitedError (45011), LoginUserBlockedError (40226), another WxTokenError
   * for other errcodes, or HubClientError when the hub refuses or cannot be reached.
   */
  async code2Session(appid: string, jsCode: string): Promise<MiniProgramSession> {
    return parseCode2Session(await this.#login(appid, 'sns/jscode2session', 'js_code', jsCode));
  }

  /** Official Account web sign-in: exchanges the OAuth `code` through the hub; errors as for code2Session. */
  async exchangeOAuthCode(appid: string, code: string): Promise<OAuthGrant> {
    return parseOAuthGrant(await this.#login(appid, 'sns/oauth2/access_token', 'code', code));
  }

  /** Calls a login proxy route; resolves to WeChat's answer (parsed), rejects with HubClientError for hub errors. */
  async #login(appid: string, route: string, param: string, code: string): Promise<unknown> {
    const path = `/v1/apps/${encodeURIComponent(appid)}/proxy/${route}?${new URLSearchParams({ [param]: code })}`;
    const res = await this.#send(path, { headers: { authorization: `Bearer ${this.#key}` }, signal: AbortSignal.timeout(this.#timeoutMs) });
    const json = (await res.json().catch(() => null)) as HubErrorBody | null;
    if (!res.ok || json === null || json.error !== undefined) throw hubError(json, res.status);
    return json;
  }

  /**
   * Calls WeChat through the hub's proxy (`/v1/apps/{appid}/proxy/{path}`): the hub injects the app's token and
   * heals a rejection, so this service never holds a token. `path` is WeChat's, with its query
   * (`/cgi-bin/menu/get`); `init` is fetch's (method, headers, body; a stream body needs `duplex: 'half'`).
   * Resolves to WeChat's answer, status and body unchanged; rejects with HubClientError when the hub itself
   * refused or failed (bad key, scope, refused path, WeChat unreachable).
   */
  async call(appid: string, path: string, init: RequestInit = {}): Promise<Response> {
    if (!path.startsWith('/')) throw new TypeError(`path must be WeChat's path starting with "/", got ${JSON.stringify(path)}`);
    const headers = new Headers(init.headers);
    headers.set('authorization', `Bearer ${this.#key}`);
    const res = await this.#send(`/v1/apps/${encodeURIComponent(appid)}/proxy${path}`, {
      ...init,
      headers,
      signal: init.signal ?? AbortSignal.timeout(this.#callTimeoutMs),
    });
    if (res.headers.get(PROXY_SOURCE_HEADER) === 'wechat') return res;
    throw hubError((await res.json().catch(() => null)) as HubErrorBody | null, res.status);
  }

  /** fetch from the hub, a network failure or timeout becoming HubClientError `hub_unreachable` (status 0). */
  async #send(path: string, init: RequestInit): Promise<Response> {
    try {
      return await this.#fetch(this.#base + path, init);
    } catch (err) {
      throw new HubClientError('hub_unreachable', `wxtoken hub at ${this.#base} did not answer`, 0, { cause: err });
    }
  }

  async #withToken<T>(route: TokenRoute, call: (accessToken: string) => Promise<T>, errcodeOf: (result: T) => number | undefined): Promise<T> {
    const { accessToken } = await this.#read(route);
    const result = await call(accessToken);
    const errcode = errcodeOf(result);
    if (errcode === undefined || !isTokenInvalid(errcode)) return result;
    const replacement = await this.#invalidate(route, accessToken);
    return call(replacement.accessToken);
  }

  /** The cached token while the hub's expiry allows, else one request shared by every concurrent reader. */
  #read(route: TokenRoute): Promise<HubToken> {
    const cached = this.#cache.get(route.key);
    if (cached && this.#clock.now() < cached.expiresAt) return Promise.resolve(cached);
    let pending = this.#pending.get(route.key);
    if (!pending) {
      pending = this.#request(route.key, 'GET', route.path + route.query).finally(() => this.#pending.delete(route.key));
      this.#pending.set(route.key, pending);
    }
    return pending;
  }

  // Drops the bad token first, so no reader is handed it again while the report is under way.
  #invalidate(route: TokenRoute, badToken: string): Promise<HubToken> {
    if (this.#cache.get(route.key)?.accessToken === badToken) this.#cache.delete(route.key);
    return this.#request(route.key, 'POST', `${route.path}/invalidate${route.query}`, { access_token: badToken });
  }

  async #request(key: string, method: string, path: string, body?: object): Promise<HubToken> {
    const res = await this.#send(path, {
      method,
      headers: { authorization: `Bearer ${this.#key}`, ...(body && { 'content-type': 'application/json' }) },
      ...(body && { body: JSON.stringify(body) }),
      signal: AbortSignal.timeout(this.#timeoutMs),
    });
    const json = (await res.json().catch(() => null)) as (HubErrorBody & { access_token?: unknown; expires_in?: unknown }) | null;
    if (!res.ok || typeof json?.access_token !== 'string' || typeof json.expires_in !== 'number') throw hubError(json, res.status);
    const token: HubToken = { accessToken: json.access_token, expiresAt: this.#clock.now() + json.expires_in * 1000 };
    this.#cache.set(key, token);
    return token;
  }
}
