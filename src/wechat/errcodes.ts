/**
 * The one table that classifies WeChat errcodes (../shared/wechat-api.md §3, §7). Everything that reacts to a
 * WeChat error (the client, the credential manager, the simulator's docs) consults `classifyErrcode`.
 */

import { WeChatError, type ErrcodeCategory } from '../errors/index.js';

export type { ErrcodeCategory } from '../errors/index.js';

/** Which kind of endpoint answered: 40001 means "bad secret" on token endpoints and "stale token" elsewhere. */
export type EndpointKind = 'token' | 'business';

interface ErrcodeEntry {
  readonly category: ErrcodeCategory;
  /** Category when the code comes from a credential (token) endpoint, where it differs. */
  readonly onTokenEndpoint?: ErrcodeCategory;
  readonly meaning: string;
}

/** errcode → classification. Unknown codes are treated as transient (see classifyErrcode). */
export const ERRCODES: ReadonlyMap<number, ErrcodeEntry> = new Map<number, ErrcodeEntry>([
  [-1, { category: 'transient', meaning: 'system busy, retry later' }],
  [40001, { category: 'token-invalid', onTokenEndpoint: 'bad-credentials', meaning: 'token invalid or not latest; on token endpoints: wrong secret' }],
  [40002, { category: 'caller-bug', meaning: 'invalid grant_type' }],
  [40013, { category: 'bad-credentials', meaning: 'invalid appid / corpid' }],
  [40014, { category: 'token-invalid', meaning: 'invalid access_token' }],
  [40029, { category: 'login-refused', meaning: 'login code invalid, expired or of another app' }],
  [40091, { category: 'bad-credentials', meaning: 'WeCom: secret is invalid' }],
  [40125, { category: 'bad-credentials', meaning: 'invalid appsecret' }],
  [40163, { category: 'login-refused', meaning: 'login code already used' }],
  [40164, { category: 'bad-credentials', meaning: 'caller IP not in whitelist' }],
  [40226, { category: 'login-refused', meaning: 'high-risk user: login blocked' }],
  [40243, { category: 'needs-admin', meaning: 'AppSecret frozen by admin' }],
  [41001, { category: 'caller-bug', meaning: 'access_token missing' }],
  [41002, { category: 'caller-bug', meaning: 'appid missing' }],
  [41004, { category: 'caller-bug', meaning: 'appsecret missing' }],
  [41008, { category: 'caller-bug', meaning: 'login code missing' }],
  [42001, { category: 'token-invalid', meaning: 'access_token expired' }],
  [43002, { category: 'caller-bug', meaning: 'require POST method' }],
  [43003, { category: 'caller-bug', meaning: 'require https' }],
  [45009, { category: 'quota', meaning: 'daily quota reached' }],
  [45011, { category: 'quota', meaning: 'per-minute quota reached' }],
  [45033, { category: 'transient', meaning: 'WeCom: too many concurrent calls' }],
  [40097, { category: 'caller-bug', meaning: 'invalid args (e.g. unknown ticket type)' }],
  [47001, { category: 'caller-bug', meaning: 'data format error' }],
  [48001, { category: 'needs-admin', meaning: 'api unauthorized' }],
  [48002, { category: 'needs-admin', meaning: 'WeCom: api forbidden' }],
  [48004, { category: 'needs-admin', meaning: 'api forbidden for irregularities' }],
  [48006, { category: 'quota', meaning: 'clear_quota monthly limit reached' }],
  [50002, { category: 'needs-admin', meaning: 'user limited' }],
  [50004, { category: 'needs-admin', meaning: 'token use forbidden (punishment)' }],
  [50007, { category: 'needs-admin', meaning: 'account frozen' }],
  [60020, { category: 'bad-credentials', meaning: 'WeCom: IP not allowed' }],
  [41018, { category: 'caller-bug', meaning: 'component_appid missing' }],
  [61003, { category: 'bad-credentials', meaning: 'component is not authorized by this account (authorizer unauthorized)' }],
  [61004, { category: 'bad-credentials', meaning: 'client IP not registered' }],
  // A fresher verify ticket (pushed every 10 min) fixes these two; the component token kind waits for one.
  [61005, { category: 'transient', meaning: 'component verify ticket expired' }],
  [61006, { category: 'transient', meaning: 'component verify ticket invalid' }],
  [61009, { category: 'caller-bug', meaning: 'authorization code invalid or used' }],
  [61010, { category: 'caller-bug', meaning: 'authorization code expired' }],
  [61011, { category: 'bad-credentials', meaning: 'invalid component' }],
  [61023, { category: 'bad-credentials', meaning: 'authorizer refresh token invalid' }],
  [61007, { category: 'needs-admin', meaning: 'api is unauthorized to component' }],
  [61024, { category: 'bad-credentials', meaning: 'component account: use api_component_token' }],
  [76003, { category: 'caller-bug', meaning: 'cgi_path not allowed' }],
  [76021, { category: 'caller-bug', meaning: 'cgi_path wrong' }],
  [76022, { category: 'caller-bug', meaning: 'cgi_path not permitted for this account' }],
  [89501, { category: 'needs-admin', meaning: 'IP awaiting admin confirmation' }],
  [89503, { category: 'needs-admin', meaning: 'risky IP: admin confirmation required' }],
  [89506, { category: 'needs-admin', meaning: 'IP refused twice: blocked 24 h' }],
  [89507, { category: 'needs-admin', meaning: 'IP refused once: blocked 1 h' }],
]);

/** Classifies an errcode as returned by an endpoint of the given kind. Unknown codes count as transient. */
export function classifyErrcode(errcode: number, endpoint: EndpointKind): ErrcodeCategory {
  const entry = ERRCODES.get(errcode);
  if (!entry) return 'transient';
  return endpoint === 'token' ? (entry.onTokenEndpoint ?? entry.category) : entry.category;
}

/** errcodes after which a business call should refetch its token (compare-and-invalidate) and retry once. */
export function isTokenInvalid(errcode: number): boolean {
  return classifyErrcode(errcode, 'business') === 'token-invalid';
}

/** The WeChatError for an errcode answered by an endpoint of the given kind, classified by the table. */
export function wechatError(errcode: number, errmsg: string, endpoint: string, kind: EndpointKind): WeChatError {
  return new WeChatError(errcode, errmsg, endpoint, classifyErrcode(errcode, kind));
}
