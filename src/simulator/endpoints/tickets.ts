import type { FetchKind } from '../counters.js';
import type { CredentialSlot } from '../credential-slot.js';
import type { AppRecord, CorpAppRecord, CorpRecord, SimulatorState } from '../state.js';
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
  return answer(state, check.owner.tickets[type], check.owner, undefined, type === 'jsapi' ? 'jsapiTicket' : 'wxCardTicket');
}

/** WeCom `GET /cgi-bin/get_jsapi_ticket?access_token` — the corp ticket for wx.config (§7.3). */
export function corpJsapiTicket(state: SimulatorState, request: WeChatRequest): EndpointResult {
  const caller = wecomCaller(state, request);
  if ('errcode' in caller) return caller;
  if (!state.takeWecomTicketCall(caller.corp, caller.app, 'jsapi')) return state.wecomError(45009, request.ip);
  return answer(state, caller.corp.tickets.jsapi, caller.corp, caller.app, 'corpJsapiTicket');
}

/** WeCom `GET /cgi-bin/ticket/get?access_token&type=agent_config` — the app ticket for wx.agentConfig (§7.3). */
export function agentConfigTicket(state: SimulatorState, request: WeChatRequest): EndpointResult {
  const caller = wecomCaller(state, request, () => queryParam(request, 'type') === 'agent_config');
  if ('errcode' in caller) return caller;
  if (!state.takeWecomTicketCall(caller.corp, caller.app, 'agent_config')) return state.wecomError(45009, request.ip);
  return answer(state, caller.app.agentConfigTicket, caller.corp, caller.app, 'agentConfigTicket');
}

/** The fetch kind a ticket request counts under, from its path and type. */
export function ticketKind(path: string, type: string | undefined): FetchKind {
  if (path === '/cgi-bin/get_jsapi_ticket') return 'corpJsapiTicket';
  if (path === '/cgi-bin/ticket/get') return 'agentConfigTicket';
  return type === 'wx_card' ? 'wxCardTicket' : 'jsapiTicket';
}

/** Token outcome → argument check → 企业可信IP (60020), for the WeCom ticket endpoints. */
function wecomCaller(
  state: SimulatorState,
  request: WeChatRequest,
  argsOk: () => boolean = () => true,
): { corp: CorpRecord; app: CorpAppRecord } | { errcode: number; errmsg: string } {
  const check = state.checkToken(queryParam(request, 'access_token'), ['wecom']);
  if (!check.ok) return state.wecomError(check.errcode, request.ip);
  if (check.owner.kind !== 'corp' || !check.corpApp) return state.wecomError(40001, request.ip);
  if (!argsOk()) return state.wecomError(INVALID_ARGS, request.ip);
  if (!check.corpApp.allowList.allows(request.ip)) return state.wecomError(60020, request.ip);
  return { corp: check.owner, app: check.corpApp };
}

function answer(state: SimulatorState, slot: CredentialSlot, owner: AppRecord | CorpRecord, app: CorpAppRecord | undefined, kind: FetchKind): EndpointResult {
  const issued = state.issueTicket(slot);
  state.countFetch(owner, app, kind, issued.rotated);
  return { errcode: 0, errmsg: 'ok', ticket: issued.credential.value, expires_in: issued.expiresIn };
}
