import { callWeChat } from './http.js';
import { DEFAULT_WECHAT_BASE_URL, resolveRequestOptions, type WeChatRequestOptions } from './options.js';
import { expectBody, isIpListWire, isMenuWire } from './wire.js';

/**
 * Ordinary business APIs that need nothing but an access token: the probes used to check that a token works. Their
 * errors are read as a business call's, so 40001 / 40014 / 42001 come back with category 'token-invalid'.
 */

/** Path of getcallbackip. */
export const CALLBACK_IP_PATH = '/cgi-bin/getcallbackip';
/** Path of get_api_domain_ip. */
export const API_DOMAIN_IP_PATH = '/cgi-bin/get_api_domain_ip';
/** Path of menu/get. */
export const MENU_PATH = '/cgi-bin/menu/get';

/** `GET /cgi-bin/getcallbackip`: the addresses WeChat's callbacks come from (the simplest token probe). */
export async function getCallbackIp(options: WeChatRequestOptions & { accessToken: string }): Promise<string[]> {
  return ipList(options, CALLBACK_IP_PATH);
}

/** `GET /cgi-bin/get_api_domain_ip`: the addresses api.weixin.qq.com resolves to. */
export async function getApiDomainIp(options: WeChatRequestOptions & { accessToken: string }): Promise<string[]> {
  return ipList(options, API_DOMAIN_IP_PATH);
}

/** `GET /cgi-bin/menu/get`: the Official Account's menu configuration, as WeChat sends it (no menu → 46003). */
export async function getMenu(options: WeChatRequestOptions & { accessToken: string }): Promise<unknown> {
  const { body } = await probe(options, MENU_PATH);
  return expectBody(body, isMenuWire, MENU_PATH, 'a menu object');
}

async function ipList(options: WeChatRequestOptions & { accessToken: string }, path: string): Promise<string[]> {
  const { body } = await probe(options, path);
  return [...expectBody(body, isIpListWire, path, 'an ip_list of strings').ip_list];
}

function probe(options: WeChatRequestOptions & { accessToken: string }, path: string): ReturnType<typeof callWeChat> {
  const resolved = resolveRequestOptions(options, DEFAULT_WECHAT_BASE_URL);
  const { accessToken } = options;
  return callWeChat({ method: 'GET', path, query: { access_token: accessToken }, kind: 'business', secrets: [accessToken] }, resolved);
}
