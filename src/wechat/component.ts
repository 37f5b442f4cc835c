import { UpstreamTransportError } from '../errors/index.js';
import { callWeChat } from './http.js';
import { DEFAULT_WECHAT_BASE_URL, resolveRequestOptions, type WeChatRequestOptions } from './options.js';
import { isCredentialString, isExpiresIn, type AccessToken } from './wire.js';

/**
 * The Open Platform (第三方平台) endpoints (../shared/wechat-open-platform.md §2, wechat-api.md §8). Each parses its
 * success body through a guard into a domain type here; nothing past this file sees wire JSON. Calls that carry
 * the component token send it as `component_access_token=` (what every SDK sends; the simulator takes both).
 */

export const COMPONENT_TOKEN_PATH = '/cgi-bin/component/api_component_token';
export const START_PUSH_TICKET_PATH = '/cgi-bin/component/api_start_push_ticket';
export const PRE_AUTH_CODE_PATH = '/cgi-bin/component/api_create_preauthcode';
export const QUERY_AUTH_PATH = '/cgi-bin/component/api_query_auth';
export const AUTHORIZER_TOKEN_PATH = '/cgi-bin/component/api_authorizer_token';
export const AUTHORIZER_LIST_PATH = '/cgi-bin/component/api_get_authorizer_list';
/** api_get_authorizer_list pages hold at most this many (§2.7). */
export const AUTHORIZER_LIST_MAX_COUNT = 500;

/** An authorizer token with the refresh token WeChat answered with it (empty when absent: never store that). */
export interface AuthorizerToken extends AccessToken {
  readonly refreshToken: string;
}

/** What api_query_auth answers: the authorizer, its first token and its refresh token, and the granted scopes. */
export interface AuthorizationInfo {
  readonly authorizerAppid: string;
  readonly token: AccessToken | null;
  readonly refreshToken: string;
  readonly funcScopes: readonly number[];
}

/** One authorizer as listed: its refresh token is empty when no code was ever exchanged (§2.7). */
export interface ListedAuthorizer {
  readonly authorizerAppid: string;
  readonly refreshToken: string;
  readonly authTime: number;
}

type Component = WeChatRequestOptions & { componentAppid: string };

/** `api_component_token`: the component token for the secret and the latest verify ticket. 61005/61006: ticket. */
export async function getComponentToken(options: Component & { componentSecret: string; verifyTicket: string }): Promise<AccessToken> {
  const { body, startedAt } = await callWeChat(
    {
      method: 'POST',
      path: COMPONENT_TOKEN_PATH,
      json: { component_appid: options.componentAppid, component_appsecret: options.componentSecret, component_verify_ticket: options.verifyTicket },
      kind: 'token',
      secrets: [options.componentSecret, options.verifyTicket],
    },
    resolveRequestOptions(options, DEFAULT_WECHAT_BASE_URL),
  );
  if (!isCredentialString(body.component_access_token) || !isExpiresIn(body.expires_in)) throw badBody(COMPONENT_TOKEN_PATH, 'a component_access_token with expires_in');
  return { token: body.component_access_token, expiresAt: startedAt + Math.floor(body.expires_in * 1000) };
}

/** `api_start_push_ticket`: asks WeChat to resume verify-ticket pushes (the secret, no token). */
export async function startPushTicket(options: Component & { componentSecret: string }): Promise<void> {
  await callWeChat(
    {
      method: 'POST',
      path: START_PUSH_TICKET_PATH,
      json: { component_appid: options.componentAppid, component_secret: options.componentSecret },
      kind: 'token',
      secrets: [options.componentSecret],
    },
    resolveRequestOptions(options, DEFAULT_WECHAT_BASE_URL),
  );
}

/** `api_create_preauthcode`: a one-time pre-auth code for an authorization link. */
export async function createPreAuthCode(options: Component & { componentToken: string }): Promise<{ code: string; expiresAt: number }> {
  const { body, startedAt } = await componentCall(options, PRE_AUTH_CODE_PATH, {});
  if (!isCredentialString(body.pre_auth_code) || !isExpiresIn(body.expires_in)) throw badBody(PRE_AUTH_CODE_PATH, 'a pre_auth_code with expires_in');
  return { code: body.pre_auth_code, expiresAt: startedAt + Math.floor(body.expires_in * 1000) };
}

/** `api_query_auth`: exchanges an authorization code (once) for the authorizer's refresh token. */
export async function queryAuth(options: Component & { componentToken: string; authorizationCode: string }): Promise<AuthorizationInfo> {
  const { body, startedAt } = await componentCall(options, QUERY_AUTH_PATH, { authorization_code: options.authorizationCode }, [options.authorizationCode]);
  const info = body.authorization_info as Record<string, unknown> | undefined;
  if (info === null || typeof info !== 'object' || typeof info.authorizer_appid !== 'string' || info.authorizer_appid === '') {
    throw badBody(QUERY_AUTH_PATH, 'an authorization_info with authorizer_appid');
  }
  const token = isCredentialString(info.authorizer_access_token) && isExpiresIn(info.expires_in)
    ? { token: info.authorizer_access_token, expiresAt: startedAt + Math.floor(info.expires_in * 1000) }
    : null;
  const funcScopes = Array.isArray(info.func_info)
    ? info.func_info.flatMap((f: unknown) => {
        const id = (f as { funcscope_category?: { id?: unknown } } | null)?.funcscope_category?.id;
        return typeof id === 'number' ? [id] : [];
      })
    : [];
  return { authorizerAppid: info.authorizer_appid, token, refreshToken: isCredentialString(info.authorizer_refresh_token) ? info.authorizer_refresh_token : '', funcScopes };
}

/** `api_authorizer_token`: an authorizer token for its refresh token. 61023: refresh token invalid; 61003: unauthorized. */
export async function getAuthorizerToken(options: Component & { componentToken: string; authorizerAppid: string; refreshToken: string }): Promise<AuthorizerToken> {
  const { body, startedAt } = await componentCall(
    options,
    AUTHORIZER_TOKEN_PATH,
    { authorizer_appid: options.authorizerAppid, authorizer_refresh_token: options.refreshToken },
    [options.refreshToken],
  );
  if (!isCredentialString(body.authorizer_access_token) || !isExpiresIn(body.expires_in)) throw badBody(AUTHORIZER_TOKEN_PATH, 'an authorizer_access_token with expires_in');
  return {
    token: body.authorizer_access_token,
    expiresAt: startedAt + Math.floor(body.expires_in * 1000),
    refreshToken: isCredentialString(body.authorizer_refresh_token) ? body.authorizer_refresh_token : '',
  };
}

/** `api_get_authorizer_list`: one page (count ≤ 500) of the component's authorizers with their refresh tokens. */
export async function getAuthorizerList(options: Component & { componentToken: string; offset: number; count: number }): Promise<{ total: number; list: ListedAuthorizer[] }> {
  const { body } = await componentCall(options, AUTHORIZER_LIST_PATH, { offset: options.offset, count: Math.min(options.count, AUTHORIZER_LIST_MAX_COUNT) });
  if (typeof body.total_count !== 'number' || !Array.isArray(body.list)) throw badBody(AUTHORIZER_LIST_PATH, 'a total_count with a list');
  const list = body.list.flatMap((item: unknown) => {
    const i = item as Record<string, unknown> | null;
    if (i === null || typeof i !== 'object' || typeof i.authorizer_appid !== 'string') return [];
    return [{ authorizerAppid: i.authorizer_appid, refreshToken: typeof i.refresh_token === 'string' ? i.refresh_token : '', authTime: typeof i.auth_time === 'number' ? i.auth_time : 0 }];
  });
  return { total: body.total_count, list };
}

async function componentCall(
  options: Component & { componentToken: string },
  path: string,
  json: Record<string, unknown>,
  secrets: readonly string[] = [],
): Promise<{ body: Readonly<Record<string, unknown>>; startedAt: number }> {
  return callWeChat(
    {
      method: 'POST',
      path,
      query: { component_access_token: options.componentToken },
      json: { component_appid: options.componentAppid, ...json },
      kind: 'business',
      secrets: [options.componentToken, ...secrets],
    },
    resolveRequestOptions(options, DEFAULT_WECHAT_BASE_URL),
  );
}

function badBody(path: string, expected: string): UpstreamTransportError {
  return new UpstreamTransportError('bad-body', path, `success body is not ${expected}`);
}
