import type { SimulatorState } from '../state.js';
import { queryParam, type EndpointResult, type WeChatRequest } from './request.js';

/** WeCom `GET /cgi-bin/gettoken?corpid&corpsecret`: the same token while valid (§7.1, decision 5). */
export function wecomToken(state: SimulatorState, request: WeChatRequest): EndpointResult {
  const corpid = queryParam(request, 'corpid');
  if (corpid === undefined) return state.error(41002, 'corpid missing');
  const corp = state.corp(corpid);
  if (!corp) return state.error(40013, 'invalid corpid');
  const secret = queryParam(request, 'corpsecret');
  if (secret === undefined) return state.error(41004, 'corpsecret missing');
  if (!state.secretMatches(corp, secret)) return state.error(40001, 'invalid credential');
  const issued = state.wecomToken(corp);
  corp.counters.fetched('wecom', issued.rotated);
  // Unlike the OA token endpoints, WeCom includes errcode/errmsg in its success body.
  return { errcode: 0, errmsg: 'ok', access_token: issued.credential.value, expires_in: issued.expiresIn };
}
