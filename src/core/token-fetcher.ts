import type { Clock } from '../util/clock.js';
import type { Grant } from '../stores/store.js';
import {
  createPreAuthCode,
  getAuthorizerList,
  getAuthorizerToken,
  getComponentToken,
  queryAuth,
  startPushTicket,
  type AuthorizationInfo,
  type AuthorizerToken,
  type ListedAuthorizer,
  getAccessToken,
  getStableAccessToken,
  getTicket,
  getWeComTicket,
  getWeComToken,
  type AccessToken,
  type Ticket,
  type TicketType,
  type WeComTicketType,
} from '../wechat/index.js';

/** What the hub's credential kinds call upstream; the WeChat client implements it, tests substitute their own. */
export interface CredentialFetcher {
  /**
   * Obtains a token for the app. `force` asks stable-grant apps for a force refresh (ignored for classic, where
   * every fetch is new). Rejects with WeChatError or UpstreamTransportError.
   */
  fetchToken(app: { appid: string; secret: string; grant: Grant }, options: { force: boolean }): Promise<AccessToken>;
  /** Obtains the app's current JS-SDK (`jsapi`) or card (`wx_card`) ticket with one of its access tokens. */
  fetchTicket(accessToken: string, type: TicketType): Promise<Ticket>;
  /** Obtains a WeCom app's access token (`gettoken`, which answers the current one while it is valid). */
  fetchWeComToken(agent: { corpid: string; secret: string }): Promise<AccessToken>;
  /** Obtains a WeCom corp (`jsapi`) or agent-config ticket with the app's access token. */
  fetchWeComTicket(accessToken: string, type: WeComTicketType): Promise<Ticket>;
}

/**
 * The Open Platform calls (wechat/component.ts): the component token and authorizer tokens for the kinds, and the
 * authorization calls for the Open Platform facade. The WeChat fetcher implements it; tests use the simulator.
 */
export interface ComponentFetcher {
  fetchComponentToken(component: { componentAppid: string; secret: string; verifyTicket: string }): Promise<AccessToken>;
  startPushTicket(component: { componentAppid: string; secret: string }): Promise<void>;
  createPreAuthCode(componentAppid: string, componentToken: string): Promise<{ code: string; expiresAt: number }>;
  queryAuth(componentAppid: string, componentToken: string, authorizationCode: string): Promise<AuthorizationInfo>;
  fetchAuthorizerToken(input: { componentAppid: string; componentToken: string; authorizerAppid: string; refreshToken: string }): Promise<AuthorizerToken>;
  listAuthorizers(componentAppid: string, componentToken: string, offset: number, count: number): Promise<{ total: number; list: ListedAuthorizer[] }>;
}

/** Whether a fetcher also makes the Open Platform calls. */
export function isComponentFetcher(fetcher: object): fetcher is ComponentFetcher {
  return typeof (fetcher as Partial<ComponentFetcher>).fetchComponentToken === 'function';
}

/** Where and how the WeChat fetcher calls WeChat. */
export interface WeChatFetcherOptions {
  /** WeChat API base URL; default https://api.weixin.qq.com (point it at the simulator in development). */
  baseUrl?: string;
  /** WeCom API base URL; default https://qyapi.weixin.qq.com. */
  wecomBaseUrl?: string;
  /** Per-request timeout; default the client's (10 s). */
  timeoutMs?: number;
  fetch?: typeof fetch;
  clock?: Clock;
}

/** A CredentialFetcher that calls WeChat's token endpoint of each app's grant and getticket, and WeCom's endpoints. */
export function createWeChatFetcher(options: WeChatFetcherOptions = {}): CredentialFetcher & ComponentFetcher {
  const transport = {
    ...(options.timeoutMs !== undefined && { timeoutMs: options.timeoutMs }),
    ...(options.fetch !== undefined && { fetch: options.fetch }),
    ...(options.clock !== undefined && { clock: options.clock }),
  };
  const base = { ...transport, ...(options.baseUrl !== undefined && { baseUrl: options.baseUrl }) };
  const wecom = { ...transport, ...(options.wecomBaseUrl !== undefined && { baseUrl: options.wecomBaseUrl }) };
  return {
    fetchToken(app, { force }) {
      if (app.grant === 'classic') return getAccessToken({ ...base, appid: app.appid, secret: app.secret });
      return getStableAccessToken({ ...base, appid: app.appid, secret: app.secret, forceRefresh: force });
    },
    fetchTicket(accessToken, type) {
      return getTicket({ ...base, accessToken, type });
    },
    fetchWeComToken(agent) {
      return getWeComToken({ ...wecom, corpid: agent.corpid, corpsecret: agent.secret });
    },
    fetchWeComTicket(accessToken, type) {
      return getWeComTicket({ ...wecom, accessToken, type });
    },
    fetchComponentToken({ componentAppid, secret, verifyTicket }) {
      return getComponentToken({ ...base, componentAppid, componentSecret: secret, verifyTicket });
    },
    startPushTicket({ componentAppid, secret }) {
      return startPushTicket({ ...base, componentAppid, componentSecret: secret });
    },
    createPreAuthCode(componentAppid, componentToken) {
      return createPreAuthCode({ ...base, componentAppid, componentToken });
    },
    queryAuth(componentAppid, componentToken, authorizationCode) {
      return queryAuth({ ...base, componentAppid, componentToken, authorizationCode });
    },
    fetchAuthorizerToken({ componentAppid, componentToken, authorizerAppid, refreshToken }) {
      return getAuthorizerToken({ ...base, componentAppid, componentToken, authorizerAppid, refreshToken });
    },
    listAuthorizers(componentAppid, componentToken, offset, count) {
      return getAuthorizerList({ ...base, componentAppid, componentToken, offset, count });
    },
  };
}
