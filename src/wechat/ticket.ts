import { InvalidRequestError } from '../errors/index.js';
import { callWeChat } from './http.js';
import { DEFAULT_WECHAT_BASE_URL, resolveRequestOptions, type WeChatRequestOptions } from './options.js';
import { expectBody, isTicketWire, toTicket, type Ticket } from './wire.js';

/** Path of the Official Account ticket endpoint. */
export const GET_TICKET_PATH = '/cgi-bin/ticket/getticket';

/** The ticket types getticket issues: JS-SDK (`wx.config`) and WeChat card. */
export const TICKET_TYPES = ['jsapi', 'wx_card'] as const;

/** One of TICKET_TYPES. */
export type TicketType = (typeof TICKET_TYPES)[number];

/** `GET /cgi-bin/ticket/getticket?type=jsapi|wx_card` with an access token; 40001 means the token is stale. */
export async function getTicket(options: WeChatRequestOptions & { accessToken: string; type: TicketType }): Promise<Ticket> {
  const resolved = resolveRequestOptions(options, DEFAULT_WECHAT_BASE_URL);
  const { accessToken, type } = options;
  if (!(TICKET_TYPES as readonly unknown[]).includes(type)) {
    throw new InvalidRequestError(`ticket type must be one of ${TICKET_TYPES.join(', ')}, got ${JSON.stringify(String(type).slice(0, 40))}`);
  }
  const { body, startedAt } = await callWeChat(
    { method: 'GET', path: GET_TICKET_PATH, query: { access_token: accessToken, type }, kind: 'business', secrets: [accessToken] },
    resolved,
  );
  return toTicket(expectBody(body, isTicketWire, GET_TICKET_PATH, 'a ticket with expires_in'), startedAt);
}
