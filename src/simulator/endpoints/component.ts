import type { SimulatorState } from '../state.js';
import { MAX_LIST_COUNT, type ComponentRecord } from '../open-platform/components.js';
import { parseJsonObject, queryParam, stringField, type EndpointResult, type WeChatRequest } from './request.js';

/**
 * The Open Platform endpoints (../shared/wechat-open-platform.md §2, wechat-api.md §8). Every one is refused with
 * 61004 from outside the component's IP allow-list; the component token is accepted as `component_access_token=`
 * (old docs, every SDK) or `access_token=` (new docs).
 */

type Body = Record<string, unknown>;

/** `POST /cgi-bin/component/api_component_token`: gated by the verify ticket (61006 unknown, 61005 expired). */
export function componentToken(state: SimulatorState, request: WeChatRequest): EndpointResult {
  const body = parseJsonObject(request.body);
  if (!body) return state.error(47001);
  const appid = stringField(body, 'component_appid');
  if (appid === undefined) return state.error(41018, 'missing component_appid');
  const component = state.components.get(appid);
  if (!component) return state.error(61011, 'invalid component');
  component.counters.componentTokenRequests += 1;
  if (!component.allowList.allows(request.ip)) return state.error(61004, 'access clientip is not registered');
  const secret = stringField(body, 'component_appsecret');
  if (secret === undefined) return state.error(41004);
  if (!state.secretEquals(component.secret, secret)) return state.error(40001);
  const ticket = stringField(body, 'component_verify_ticket');
  const check = ticket === undefined ? 61006 : state.components.checkTicket(component, ticket);
  if (check === 61006) return state.error(61006, 'component ticket is invalid');
  if (check === 61005) return state.error(61005, 'component ticket is expired');
  const issued = state.components.issueComponentToken(component);
  return { component_access_token: issued.value, expires_in: issued.expiresIn };
}

/** `POST /cgi-bin/component/api_start_push_ticket` `{component_appid, component_secret}`: pushes a ticket soon. */
export function startPushTicket(state: SimulatorState, request: WeChatRequest): EndpointResult {
  const body = parseJsonObject(request.body);
  if (!body) return state.error(47001);
  const component = state.components.get(stringField(body, 'component_appid'));
  if (!component) return state.error(40013);
  component.counters.startPushTicket += 1;
  if (!component.allowList.allows(request.ip)) return state.error(61004, 'access clientip is not registered');
  const secret = stringField(body, 'component_secret');
  if (secret === undefined || !state.secretEquals(component.secret, secret)) return state.error(40001);
  // Pushed after this answer, as WeChat's own push comes separately from the call.
  setImmediate(() => void state.pusher.pushTicket(component));
  return { errcode: 0, errmsg: 'ok' };
}

/** `POST /cgi-bin/component/api_create_preauthcode` `{component_appid}`. */
export function createPreAuthCode(state: SimulatorState, request: WeChatRequest): EndpointResult {
  const ctx = withComponent(state, request);
  if ('errcode' in ctx) return ctx;
  const { code, expiresIn } = state.components.createPreAuthCode(ctx.component);
  return { pre_auth_code: code, expires_in: expiresIn };
}

/** `POST /cgi-bin/component/api_query_auth` `{component_appid, authorization_code}`: one exchange per code. */
export function queryAuth(state: SimulatorState, request: WeChatRequest): EndpointResult {
  const ctx = withComponent(state, request);
  if ('errcode' in ctx) return ctx;
  const code = stringField(ctx.body, 'authorization_code');
  if (code === undefined) return state.error(61009, 'code is invalid');
  const result = state.components.exchangeAuthCode(ctx.component, code);
  if ('errcode' in result) return state.error(result.errcode, result.errcode === 61010 ? 'code is expired' : 'code is invalid');
  const issued = state.issueClassic(result.authorizer.app);
  return {
    authorization_info: {
      authorizer_appid: result.authorizer.appid,
      authorizer_access_token: issued.credential.value,
      expires_in: issued.expiresIn,
      authorizer_refresh_token: result.refreshToken,
      func_info: [{ funcscope_category: { id: 1 } }, { funcscope_category: { id: 15 } }],
    },
  };
}

/**
 * `POST /cgi-bin/component/api_authorizer_token` `{component_appid, authorizer_appid, authorizer_refresh_token}`:
 * a new authorizer token each call (the previous one keeps the grace period), the same refresh token echoed.
 */
export function authorizerToken(state: SimulatorState, request: WeChatRequest): EndpointResult {
  const ctx = withComponent(state, request);
  if ('errcode' in ctx) return ctx;
  const { component, body } = ctx;
  component.counters.authorizerTokenRequests += 1;
  const appid = stringField(body, 'authorizer_appid');
  const authorizer = appid === undefined ? undefined : component.authorizers.get(appid);
  if (!authorizer || (!authorizer.authorized && authorizer.refreshToken === '' && authorizer.authTime === 0)) {
    return state.error(61003, 'component is not authorized by this account');
  }
  const presented = stringField(body, 'authorizer_refresh_token');
  if (presented === undefined || !state.components.refreshTokenMatches(authorizer, presented)) return state.error(61023, 'refresh_token is invalid');
  if (authorizer.frozen) return state.error(50002, 'user limited');
  const issued = state.issueClassic(authorizer.app);
  component.counters.authorizerTokenFetches += 1;
  const byAppid = component.counters.authorizerTokenFetchesByAppid;
  byAppid[authorizer.appid] = (byAppid[authorizer.appid] ?? 0) + 1;
  return { authorizer_access_token: issued.credential.value, expires_in: issued.expiresIn, authorizer_refresh_token: presented };
}

/** `POST /cgi-bin/component/api_get_authorizer_list` `{component_appid, offset, count ≤ 500}`. */
export function getAuthorizerList(state: SimulatorState, request: WeChatRequest): EndpointResult {
  const ctx = withComponent(state, request);
  if ('errcode' in ctx) return ctx;
  const offset = Number(ctx.body.offset ?? 0);
  const count = Number(ctx.body.count ?? 0);
  if (!Number.isSafeInteger(offset) || offset < 0 || !Number.isSafeInteger(count) || count < 1 || count > MAX_LIST_COUNT) return state.error(47001);
  ctx.component.counters.authorizerList += 1;
  const page = state.components.listAuthorizers(ctx.component, offset, count);
  return {
    total_count: page.total,
    list: page.list.map((a) => ({ authorizer_appid: a.appid, refresh_token: a.refreshToken, auth_time: Math.floor(a.authTime / 1000) })),
  };
}

/** The component a token-bearing call is for, after the allow-list, token and component_appid checks. */
function withComponent(state: SimulatorState, request: WeChatRequest): { component: ComponentRecord; body: Body } | EndpointResult & { errcode: number } {
  const body = parseJsonObject(request.body);
  const appid = body ? stringField(body, 'component_appid') : undefined;
  const named = state.components.get(appid);
  if (named && !named.allowList.allows(request.ip)) return state.error(61004, 'access clientip is not registered');
  const token = queryParam(request, 'component_access_token') ?? queryParam(request, 'access_token');
  const check = state.components.checkComponentToken(token);
  if ('errcode' in check) return state.error(check.errcode);
  if (!body) return state.error(47001);
  if (appid === undefined) return state.error(41018, 'missing component_appid');
  if (appid !== check.component.appid) return state.error(61011, 'invalid component');
  return { component: check.component, body };
}

/** The component appid a request names (query token or body), for fault matching. */
export function componentOwner(state: SimulatorState, request: WeChatRequest): string | undefined {
  const body = parseJsonObject(request.body);
  return (body ? stringField(body, 'component_appid') : undefined) ?? state.components.componentOfToken(queryParam(request, 'component_access_token') ?? queryParam(request, 'access_token'));
}
