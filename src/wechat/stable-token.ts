import { callWeChat } from './http.js';
import { DEFAULT_WECHAT_BASE_URL, resolveRequestOptions, type WeChatRequestOptions } from './options.js';
import { expectBody, isTokenWire, toAccessToken, type AccessToken } from './wire.js';

/** Path of the stable access-token endpoint. */
export const STABLE_TOKEN_PATH = '/cgi-bin/stable_token';

/**
 * `POST /cgi-bin/stable_token`: the app's stable token. Normal mode returns the current token with its remaining
 * lifetime; `forceRefresh` rotates it (at most 20 a day, 30 s apart). The secret travels in the JSON body only.
 */
export async function getStableAccessToken(
  options: WeChatRequestOptions & { appid: string; secret: string; forceRefresh?: boolean },
): Promise<AccessToken> {
  const resolved = resolveRequestOptions(options, DEFAULT_WECHAT_BASE_URL);
  const { appid, secret } = options;
  const json = { grant_type: 'client_credential', appid, secret, force_refresh: options.forceRefresh === true };
  const { body, startedAt } = await callWeChat({ method: 'POST', path: STABLE_TOKEN_PATH, json, kind: 'token', secrets: [secret] }, resolved);
  return toAccessToken(expectBody(body, isTokenWire, STABLE_TOKEN_PATH, 'an access_token with expires_in'), startedAt);
}
