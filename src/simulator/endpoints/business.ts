import type { SimulatorState } from '../state.js';
import { queryParam, type EndpointResult, type WeChatRequest } from './request.js';

/** The business endpoints the simulator serves and what each answers on success (§9). */
export const BUSINESS_RESPONSES: Readonly<Record<string, EndpointResult>> = {
  '/cgi-bin/get_api_domain_ip': { ip_list: ['101.89.47.18', '101.91.34.103', '101.226.212.27'] },
  '/cgi-bin/getcallbackip': { ip_list: ['106.55.206.146', '106.55.206.211'] },
  '/cgi-bin/menu/get': {
    menu: {
      button: [{ type: 'click', name: '今日歌曲', key: 'V1001_TODAY_MUSIC', sub_button: [] }],
      menuid: 208396938,
    },
  },
};

/**
 * A business call: judges the token (decision 2) and answers the endpoint's canned payload. OA, stable and WeCom
 * tokens are all accepted, since one simulator stands in for both hosts (WeCom serves these paths too); errors for
 * a WeCom token come in the WeCom style.
 */
export function businessCall(state: SimulatorState, request: WeChatRequest, path: string): EndpointResult {
  const check = state.checkToken(queryParam(request, 'access_token'), ['classic', 'stable', 'wecom']);
  if (!check.ok) {
    state.countBusiness(check.owner, check.errcode, check.corpApp);
    return check.corpApp ? state.wecomError(check.errcode, request.ip) : state.error(check.errcode);
  }
  // A WeCom app with 企业可信IP set refuses its token from other addresses (§7.1 60020).
  if (check.corpApp && !check.corpApp.allowList.allows(request.ip)) {
    state.countBusiness(check.owner, 60020, check.corpApp);
    return state.wecomError(60020, request.ip);
  }
  state.countBusiness(check.owner, 'ok', check.corpApp);
  return BUSINESS_RESPONSES[path] ?? {};
}
