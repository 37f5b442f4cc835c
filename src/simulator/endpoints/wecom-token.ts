import type { SimulatorState } from '../state.js';
import { queryParam, type EndpointResult, type WeChatRequest } from './request.js';

/**
 * WeCom `GET /cgi-bin/gettoken?corpid&corpsecret`: the token of the app whose secret is given, the same one while
 * valid (§7.1, decision 5). 41002 → 40013 → 41004 → 40001 → (with wecomGettokenIpCheck) 60020.
 */
export function wecomToken(state: SimulatorState, request: WeChatRequest): EndpointResult {
  const corpid = queryParam(request, 'corpid');
  if (corpid === undefined) return state.wecomError(41002, request.ip);
  const corp = state.corp(corpid);
  if (!corp) return state.wecomError(40013, request.ip);
  const secret = queryParam(request, 'corpsecret');
  if (secret === undefined) return state.wecomError(41004, request.ip);
  const app = state.corpAppBySecret(corp, secret);
  if (!app) return state.wecomError(40001, request.ip);
  if (state.options.wecomGettokenIpCheck && !app.allowList.allows(request.ip)) return state.wecomError(60020, request.ip);
  const issued = state.wecomToken(corp, app);
  state.countFetch(corp, app, 'wecom', issued.rotated);
  // Unlike the OA token endpoints, WeCom includes errcode/errmsg in its success body.
  return { errcode: 0, errmsg: 'ok', access_token: issued.credential.value, expires_in: issued.expiresIn };
}
