import type { FastifyRequest } from 'fastify';
import type { TokenService } from '../../core/token-service.js';
import { TICKET_TYPES, type TicketType } from '../../wechat/index.js';
import { compatExpiresIn } from './compat-expiry.js';
import type { WeChatErrorBody, WeChatReplies } from './wechat-reply.js';

/** WeChat's ticket endpoint, answered by the hub for the tokens it issued. */
export const GET_TICKET_PATH = '/cgi-bin/ticket/getticket';

/** WeChat's getticket success body. */
export interface WeChatTicketBody {
  errcode: 0;
  errmsg: 'ok';
  ticket: string;
  expires_in: number;
}

/**
 * `GET /cgi-bin/ticket/getticket?access_token=…&type=…` for SDKs that fetch tickets themselves: when the token is
 * one the hub issued (an app's current access token), the answer is the hub's managed ticket in WeChat's shape, so
 * every such SDK shares one ticket instead of each spending getticket calls. `expires_in` is the time the hub
 * vouches for, not WeChat's constant 7200, and never less than 1. Any other token (not the hub's) returns undefined: the caller forwards
 * the request to WeChat as it is.
 */
export async function answerGetTicket(
  service: TokenService,
  request: FastifyRequest,
  replies: WeChatReplies,
  now: () => number,
): Promise<WeChatTicketBody | WeChatErrorBody | undefined> {
  if (request.method !== 'GET' || !service.appOfToken) return undefined;
  const query = request.query as Record<string, unknown>;
  const token = query['access_token'];
  const type = query['type'] ?? 'jsapi';
  if (typeof token !== 'string' || typeof type !== 'string' || !(TICKET_TYPES as readonly string[]).includes(type)) return undefined;
  const appid = service.appOfToken(token);
  if (appid === undefined) return undefined;
  try {
    const ticket = await service.getTicket(appid, type as TicketType);
    // Never 0, which some SDKs cache as "no expiry" (compat-expiry.ts).
    return { errcode: 0, errmsg: 'ok', ticket: ticket.token, expires_in: compatExpiresIn(ticket.expiresAt, now()) };
  } catch (err) {
    return replies.fromHubError(err);
  }
}
