import type { FetchKind } from '../counters.js';
import type { CredentialSlot } from '../credential-slot.js';
import type { SimulatorState } from '../state.js';
import { queryParam, type EndpointResult, type WeChatRequest } from './request.js';

// WeChat's generic "bad argument" code; what it answers for an unknown ticket type is UNCONFIRMED.
const INVALID_ARGS = 40097;

/** OA `GET /cgi-bin/ticket/getticket?access_token&type=jsapi|wx_card` (§6.1, decision 6). */
export function officialAccountTicket(state: SimulatorState, request: WeChatRequest): EndpointResult {
  const check = state.checkToken(queryParam(request, 'access_token'), ['classic', 'stable']);
  if (!check.ok) return state.error(check.errcode);
  if (check.owner.kind !== 'app') return state.error(40001);
  const type = queryParam(request, 'type') ?? 'jsapi';
  if (type !== 'jsapi' && type !== 'wx_card') return state.error(INVALID_ARGS, 'invalid args');
  return answer(state, check.owner.tickets[type], check.owner.counters, type === 'jsapi' ? 'jsapiTicket' : 'wxCardTicket');
}

/** WeCom `GET /cgi-bin/get_jsapi_ticket?access_token` — the corp ticket for wx.config (§7.3). */
export function corpJsapiTicket(state: SimulatorState, request: WeChatRequest): EndpointResult {
  const check = state.checkToken(queryParam(request, 'access_token'), ['wecom']);
  if (!check.ok) return state.error(check.errcode);
  if (check.owner.kind !== 'corp') return state.error(40001);
  return answer(state, check.owner.tickets.jsapi, check.owner.counters, 'corpJsapiTicket');
}

/** WeCom `GET /cgi-bin/ticket/get?access_token&type=agent_config` — the app ticket for wx.agentConfig (§7.3). */
export function agentConfigTicket(state: SimulatorState, request: WeChatRequest): EndpointResult {
  const check = state.checkToken(queryParam(request, 'access_token'), ['wecom']);
  if (!check.ok) return state.error(check.errcode);
  if (check.owner.kind !== 'corp') return state.error(40001);
  if (queryParam(request, 'type') !== 'agent_config') return state.error(INVALID_ARGS, 'invalid args');
  return answer(state, check.owner.tickets.agent_config, check.owner.counters, 'agentConfigTicket');
}

/** The fetch kind a ticket request counts under, from its path and type. */
export function ticketKind(path: string, type: string | undefined): FetchKind {
  if (path === '/cgi-bin/get_jsapi_ticket') return 'corpJsapiTicket';
  if (path === '/cgi-bin/ticket/get') return 'agentConfigTicket';
  return type === 'wx_card' ? 'wxCardTicket' : 'jsapiTicket';
}

function answer(
  state: SimulatorState,
  slot: CredentialSlot,
  counters: { fetched(kind: FetchKind, rotated: boolean): void },
  kind: FetchKind,
): EndpointResult {
  const issued = state.issueTicket(slot);
  counters.fetched(kind, issued.rotated);
  return { errcode: 0, errmsg: 'ok', ticket: issued.credential.value, expires_in: issued.expiresIn };
}
