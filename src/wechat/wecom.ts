import { callWeChat } from './http.js';
import { DEFAULT_WECOM_BASE_URL, resolveRequestOptions, type WeChatRequestOptions } from './options.js';
import { expectBody, isTicketWire, isTokenWire, toAccessToken, toTicket, type AccessToken, type Ticket } from './wire.js';

/** Path of WeCom's access-token endpoint. */
export const WECOM_TOKEN_PATH = '/cgi-bin/gettoken';
/** Path of WeCom's corp JS-SDK ticket endpoint (for `wx.config`). */
export const WECOM_JSAPI_TICKET_PATH = '/cgi-bin/get_jsapi_ticket';
/** Path of WeCom's app ticket endpoint (`type=agent_config`, for `wx.agentConfig`). */
export const WECOM_AGENT_TICKET_PATH = '/cgi-bin/ticket/get';

/** WeCom's JS-SDK tickets: the corp ticket (`wx.config`) and the app's agent-config ticket (`wx.agentConfig`). */
export const WECOM_TICKET_TYPES = ['jsapi', 'agent_config'] as const;

/** One of WECOM_TICKET_TYPES. */
export type WeComTicketType = (typeof WECOM_TICKET_TYPES)[number];

/**
 * WeCom `GET /cgi-bin/gettoken` for one application's secret. WeCom returns the same token while it is valid.
 * Defaults to the WeCom host; 40001 / 40091 mean a wrong corpsecret.
 */
export async function getWeComToken(options: WeChatRequestOptions & { corpid: string; corpsecret: string }): Promise<AccessToken> {
  const resolved = resolveRequestOptions(options, DEFAULT_WECOM_BASE_URL);
  const { corpid, corpsecret } = options;
  const { body, startedAt } = await callWeChat(
    { method: 'GET', path: WECOM_TOKEN_PATH, query: { corpid, corpsecret }, kind: 'token', secrets: [corpsecret] },
    resolved,
  );
  return toAccessToken(expectBody(body, isTokenWire, WECOM_TOKEN_PATH, 'an access_token with expires_in'), startedAt);
}

/** WeCom `GET /cgi-bin/get_jsapi_ticket`: the corp's JS-SDK ticket. */
export async function getWeComJsapiTicket(options: WeChatRequestOptions & { accessToken: string }): Promise<Ticket> {
  return wecomTicket(options, WECOM_JSAPI_TICKET_PATH, {});
}

/** WeCom `GET /cgi-bin/ticket/get?type=agent_config`: the application's agentConfig ticket. */
export async function getWeComAgentConfigTicket(options: WeChatRequestOptions & { accessToken: string }): Promise<Ticket> {
  return wecomTicket(options, WECOM_AGENT_TICKET_PATH, { type: 'agent_config' });
}

/** Either WeCom ticket, by type. */
export function getWeComTicket(options: WeChatRequestOptions & { accessToken: string; type: WeComTicketType }): Promise<Ticket> {
  return options.type === 'jsapi' ? getWeComJsapiTicket(options) : getWeComAgentConfigTicket(options);
}

async function wecomTicket(options: WeChatRequestOptions & { accessToken: string }, path: string, extra: Record<string, string>): Promise<Ticket> {
  const resolved = resolveRequestOptions(options, DEFAULT_WECOM_BASE_URL);
  const { accessToken } = options;
  const { body, startedAt } = await callWeChat(
    { method: 'GET', path, query: { access_token: accessToken, ...extra }, kind: 'business', secrets: [accessToken] },
    resolved,
  );
  return toTicket(expectBody(body, isTicketWire, path, 'a ticket with expires_in'), startedAt);
}
