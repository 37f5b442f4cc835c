import type { Clock } from '../../src/util/clock.js';
import type { ComponentFetcher } from '../../src/core/token-fetcher.js';
import { wechatError } from '../../src/wechat/errcodes.js';
import type { AccessToken, AuthorizationInfo, AuthorizerToken, ListedAuthorizer } from '../../src/wechat/index.js';
import { FakeFetcher } from './fake-fetcher.js';

/**
 * The Open Platform in miniature for core tests on a ManualClock: one component, authorizers with refresh tokens,
 * api_authorizer_token issuing a new token each call (the previous one valid `graceMs` more, as if it were
 * /cgi-bin/token), counts per authorizer, calls in flight (each call yields a macrotask so they overlap), and a
 * judge of tokens presented on business calls.
 */
export class FakeComponentFetcher extends FakeFetcher implements ComponentFetcher {
  graceMs = 300_000;
  componentTokenCalls = 0;
  startPushCalls = 0;
  listCalls = 0;
  authorizerCalls = new Map<string, number>();
  authorizerInFlight = 0;
  authorizerMaxInFlight = 0;
  readonly refreshTokens = new Map<string, string>();
  /** Authorization codes api_query_auth knows: the authorizer and the refresh token it issues, or the errcode it answers (else 61009). */
  readonly codes = new Map<string, { authorizerAppid: string; refreshToken: string } | { errcode: number }>();
  queryAuthCalls = 0;
  /** The next this many api_get_authorizer_list calls fail in transit. */
  failLists = 0;
  /** While set, api_component_token fails with it. */
  componentTokenError: Error | undefined;
  readonly #tokens = new Map<string, { current: AccessToken; previous?: { token: string; until: number } }>();
  #seq = 0;

  constructor(private readonly clk: Clock) {
    super(clk);
  }

  /** Authorizes `count` authorizers (wx + 16 hex) with refresh tokens; returns their appids. */
  authorize(count: number): string[] {
    const appids: string[] = [];
    for (let i = 0; i < count; i++) {
      const appid = `wxa${i.toString(16).padStart(15, '0')}`;
      this.refreshTokens.set(appid, `refreshtoken@@@${appid}`);
      appids.push(appid);
    }
    return appids;
  }

  async fetchComponentToken(): Promise<AccessToken> {
    this.componentTokenCalls++;
    if (this.componentTokenError) throw this.componentTokenError;
    return { token: `component-${++this.#seq}`, expiresAt: this.clk.now() + this.lifetimeMs };
  }

  async startPushTicket(): Promise<void> {
    this.startPushCalls++;
  }

  async createPreAuthCode(): Promise<{ code: string; expiresAt: number }> {
    return { code: `preauthcode@@@${++this.#seq}`, expiresAt: this.clk.now() + 600_000 };
  }

  async queryAuth(_c: string, _t: string, code: string): Promise<AuthorizationInfo> {
    this.queryAuthCalls++;
    await new Promise((r) => setImmediate(r));
    const known = this.codes.get(code);
    this.codes.delete(code);
    if (known === undefined) throw wechatError(61009, 'code is invalid', '/cgi-bin/component/api_query_auth', 'business');
    if ('errcode' in known) throw wechatError(known.errcode, known.errcode === 61010 ? 'code is expired' : 'code is invalid', '/cgi-bin/component/api_query_auth', 'business');
    // api_query_auth replaces the authorizer's refresh token (the list shows the new one).
    this.refreshTokens.set(known.authorizerAppid, known.refreshToken);
    return { authorizerAppid: known.authorizerAppid, token: null, refreshToken: known.refreshToken, funcScopes: [1] };
  }

  async fetchAuthorizerToken(input: { authorizerAppid: string; refreshToken: string }): Promise<AuthorizerToken> {
    this.authorizerCalls.set(input.authorizerAppid, (this.authorizerCalls.get(input.authorizerAppid) ?? 0) + 1);
    this.authorizerInFlight++;
    this.authorizerMaxInFlight = Math.max(this.authorizerMaxInFlight, this.authorizerInFlight);
    try {
      await new Promise((r) => setImmediate(r));
      if (this.refreshTokens.get(input.authorizerAppid) !== input.refreshToken) throw wechatError(61023, 'refresh_token is invalid', '/cgi-bin/component/api_authorizer_token', 'business');
      const now = this.clk.now();
      const held = this.#tokens.get(input.authorizerAppid);
      const current = { token: `at-${input.authorizerAppid}-${++this.#seq}`, expiresAt: now + this.lifetimeMs };
      this.#tokens.set(input.authorizerAppid, { current, ...(held && { previous: { token: held.current.token, until: Math.min(held.current.expiresAt, now + this.graceMs) } }) });
      return { ...current, refreshToken: input.refreshToken };
    } finally {
      this.authorizerInFlight--;
    }
  }

  async listAuthorizers(_c: string, _t: string, offset: number, count: number): Promise<{ total: number; list: ListedAuthorizer[] }> {
    this.listCalls++;
    if (this.failLists > 0) {
      this.failLists--;
      throw new Error('connect ECONNRESET (fake)');
    }
    const all = [...this.refreshTokens.entries()];
    return { total: all.length, list: all.slice(offset, offset + count).map(([authorizerAppid, refreshToken]) => ({ authorizerAppid, refreshToken, authTime: 0 })) };
  }

  /** What WeChat would answer a business call made with `token` for `appid` now: 'ok', 40001 or 42001. */
  judge(appid: string, token: string): 'ok' | 40001 | 42001 {
    const held = this.#tokens.get(appid);
    const now = this.clk.now();
    if (held?.current.token === token) return now < held.current.expiresAt ? 'ok' : 42001;
    if (held?.previous?.token === token) return now < held.previous.until ? 'ok' : 40001;
    return 40001;
  }
}
