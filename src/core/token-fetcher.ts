import type { Clock } from './clock.js';
import type { Grant } from '../stores/store.js';
import { getAccessToken, getStableAccessToken, type AccessToken } from '../wechat/index.js';

/** What the hub needs to obtain a token; the WeChat client implements it, tests substitute their own. */
export interface TokenFetcher {
  /**
   * Obtains a token for the app. `force` asks stable-grant apps for a force refresh (ignored for classic, where
   * every fetch is new). Rejects with WeChatError or UpstreamTransportError.
   */
  fetchToken(app: { appid: string; secret: string; grant: Grant }, options: { force: boolean }): Promise<AccessToken>;
}

/** Where and how the WeChat fetcher calls WeChat. */
export interface WeChatFetcherOptions {
  /** WeChat API base URL; default https://api.weixin.qq.com (point it at the simulator in development). */
  baseUrl?: string;
  /** Per-request timeout; default the client's (10 s). Must stay below the hub's lease TTL. */
  timeoutMs?: number;
  fetch?: typeof fetch;
  clock?: Clock;
}

/** A TokenFetcher that calls WeChat's /cgi-bin/token or /cgi-bin/stable_token according to the app's grant. */
export function createWeChatFetcher(options: WeChatFetcherOptions = {}): TokenFetcher {
  const base = {
    ...(options.baseUrl !== undefined && { baseUrl: options.baseUrl }),
    ...(options.timeoutMs !== undefined && { timeoutMs: options.timeoutMs }),
    ...(options.fetch !== undefined && { fetch: options.fetch }),
    ...(options.clock !== undefined && { clock: options.clock }),
  };
  return {
    fetchToken(app, { force }) {
      if (app.grant === 'classic') return getAccessToken({ ...base, appid: app.appid, secret: app.secret });
      return getStableAccessToken({ ...base, appid: app.appid, secret: app.secret, forceRefresh: force });
    },
  };
}
