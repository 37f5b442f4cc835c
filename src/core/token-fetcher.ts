import type { Clock } from '../util/clock.js';
import type { Grant } from '../stores/store.js';
import { getAccessToken, getStableAccessToken, getTicket, type AccessToken, type Ticket, type TicketType } from '../wechat/index.js';

/** What the hub's credential kinds call upstream; the WeChat client implements it, tests substitute their own. */
export interface CredentialFetcher {
  /**
   * Obtains a token for the app. `force` asks stable-grant apps for a force refresh (ignored for classic, where
   * every fetch is new). Rejects with WeChatError or UpstreamTransportError.
   */
  fetchToken(app: { appid: string; secret: string; grant: Grant }, options: { force: boolean }): Promise<AccessToken>;
  /** Obtains the app's current JS-SDK (`jsapi`) or card (`wx_card`) ticket with one of its access tokens. */
  fetchTicket(accessToken: string, type: TicketType): Promise<Ticket>;
}

/** Where and how the WeChat fetcher calls WeChat. */
export interface WeChatFetcherOptions {
  /** WeChat API base URL; default https://api.weixin.qq.com (point it at the simulator in development). */
  baseUrl?: string;
  /** Per-request timeout; default the client's (10 s). */
  timeoutMs?: number;
  fetch?: typeof fetch;
  clock?: Clock;
}

/** A CredentialFetcher that calls WeChat's token endpoint of each app's grant, and getticket. */
export function createWeChatFetcher(options: WeChatFetcherOptions = {}): CredentialFetcher {
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
    fetchTicket(accessToken, type) {
      return getTicket({ ...base, accessToken, type });
    },
  };
}
