import type { SimulatorState } from '../state.js';
import { OAUTH_TOKEN_TTL_SECONDS, type LoginCodeKind } from '../login-codes.js';
import { queryParam, type EndpointResult, type WeChatRequest } from './request.js';

/** Mini Program login: `GET /sns/jscode2session?appid&secret&js_code&grant_type=authorization_code`. */
export const JSCODE2SESSION_PATH = '/sns/jscode2session';
/** Official Account web sign-in: `GET /sns/oauth2/access_token?appid&secret&code&grant_type=authorization_code`. */
export const OAUTH2_ACCESS_TOKEN_PATH = '/sns/oauth2/access_token';

/**
 * `/sns/jscode2session`: checks appid (41002 / 40013), secret (41004 / 40125), grant_type (40002) and js_code
 * (41008 missing, then LoginCodes.exchange), and answers `{session_key, openid[, unionid]}` with a new session key.
 * No IP allow-list check: WeChat applies it to the token and clear_quota endpoints only (wechat-api.md §4).
 */
export function jscode2session(state: SimulatorState, request: WeChatRequest): EndpointResult {
  const checked = checkLogin(state, request, 'js_code', 'jscode', JSCODE2SESSION_PATH);
  if ('errcode' in checked) return checked;
  const { exchange } = checked;
  return { session_key: state.logins.sessionKey(), openid: exchange.openid, ...(exchange.unionid && { unionid: exchange.unionid }) };
}

/**
 * `/sns/oauth2/access_token`: the same checks with `code`, answering a web user access token, a refresh token,
 * the openid and the granted scope (and a unionid when bound).
 */
export function oauth2AccessToken(state: SimulatorState, request: WeChatRequest): EndpointResult {
  const checked = checkLogin(state, request, 'code', 'oauth', OAUTH2_ACCESS_TOKEN_PATH);
  if ('errcode' in checked) return checked;
  const { exchange } = checked;
  return {
    access_token: state.logins.opaqueToken(96),
    expires_in: OAUTH_TOKEN_TTL_SECONDS,
    refresh_token: state.logins.opaqueToken(96),
    openid: exchange.openid,
    scope: exchange.scope,
    ...(exchange.unionid && { unionid: exchange.unionid }),
  };
}

type Checked = { exchange: { openid: string; unionid?: string; scope: string } } | { errcode: number; errmsg: string };

function checkLogin(state: SimulatorState, request: WeChatRequest, codeParam: string, kind: LoginCodeKind, path: string): Checked {
  const appid = queryParam(request, 'appid');
  if (appid === undefined) return state.error(41002);
  const app = state.app(appid);
  if (!app) return state.error(40013);
  const fail = (errcode: number): Checked => {
    state.logins.count(appid, path, errcode);
    return state.error(errcode);
  };
  const secret = queryParam(request, 'secret');
  if (secret === undefined) return fail(41004);
  if (!state.secretMatches(app, secret)) return fail(40125);
  if (queryParam(request, 'grant_type') !== 'authorization_code') return fail(40002);
  const code = queryParam(request, codeParam);
  if (code === undefined) return fail(41008);
  const exchange = state.logins.exchange(appid, code, kind);
  if (!exchange.ok) return fail(exchange.errcode);
  state.logins.count(appid, path, 'ok');
  return { exchange };
}
