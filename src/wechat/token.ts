import { callWeChat } from './http.js';
import { DEFAULT_WECHAT_BASE_URL, resolveRequestOptions, type WeChatRequestOptions } from './options.js';
import { expectBody, isTokenWire, toAccessToken, type AccessToken } from './wire.js';

/** Path of the classic access-token endpoint. */
export const TOKEN_PATH = '/cgi-bin/token';

/**
 * `GET /cgi-bin/token`: a new access token. Every call invalidates the previous token after a 5-minute overlap,
 * so only the hub's single fetcher may call it. 40001 here means a wrong secret (category 'bad-credentials').
 */
export async function getAccessToken(options: WeChatRequestOptions & { appid: string; secret: string }): Promise<AccessToken> {
  const resolved = resolveRequestOptions(options, DEFAULT_WECHAT_BASE_URL);
  const { appid, secret } = options;
  const { body, startedAt } = await callWeChat(
    { method: 'GET', path: TOKEN_PATH, query: { grant_type: 'client_credential', appid, secret }, kind: 'token', secrets: [secret] },
    resolved,
  );
  return toAccessToken(expectBody(body, isTokenWire, TOKEN_PATH, 'an access_token with expires_in'), startedAt);
}
