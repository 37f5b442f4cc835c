import { APPID_PATTERN } from '../../core/token-service.js';
import { InvalidRequestError } from '../../errors/index.js';
import { resolvePassthroughTarget, type ResolvedTarget } from '../compat/passthrough-path.js';
import { compatTokenPath } from '../compat/token-endpoints.js';
import { carriesClientKey, queryNames } from '../upstream/query-token.js';

/** What a proxy request names: the app whose token is injected, and the WeChat path and query to call. */
export interface ProxyTarget extends ResolvedTarget {
  readonly appid: string;
}

const PREFIX = '/v1/apps/';
const PROXY_SEGMENT = '/proxy/';

/**
 * WeChat paths the proxy never calls, because they take a secret instead of the app's token (the hub must never
 * send its secret on a caller's behalf through a generic route) or a user's token: `/sns/` is the user-OAuth and
 * Mini Program login family (its secret-bearing calls have routes of their own), the token endpoints would
 * rotate the hub's token, and the others take an AppSecret or a component secret.
 */
export const PROXY_REFUSED_PREFIXES: readonly string[] = ['/sns/', '/cgi-bin/component/', '/cgi-bin/clear_quota/v2'];

/** Query parameters that carry a secret; a proxy request with one is refused rather than forwarded. */
export const SECRET_PARAMETERS: readonly string[] = ['secret', 'appsecret', 'corpsecret', 'component_appsecret'];

/**
 * Parses `/v1/apps/{appid}/proxy/{WeChat path}` from the raw request target, without decoding the appid: it must
 * be spelt exactly (`wx` and 16 lower-case hex digits) or the request is refused, so no spelling (case, percent
 * encoding, dot segments, doubled slashes) can name one app to the scope check and another to the injection.
 * The WeChat path is resolved as the passthrough resolves it (resolvePassthroughTarget) and refused when it is a
 * token endpoint, under PROXY_REFUSED_PREFIXES, or outside `prefixes`, or when the query carries a secret or a
 * client key (a key never reaches WeChat, as in the passthrough).
 */
export function parseProxyTarget(url: string, prefixes: readonly string[]): ProxyTarget {
  if (!url.startsWith(PREFIX)) throw new InvalidRequestError('a proxy path is /v1/apps/{appid}/proxy/{WeChat path}');
  const end = url.indexOf('/', PREFIX.length);
  const appid = end === -1 ? '' : url.slice(PREFIX.length, end);
  if (!APPID_PATTERN.test(appid)) throw new InvalidRequestError('the appid of a proxy path must be spelt exactly: "wx" and 16 lower-case hex digits');
  if (!url.startsWith(PROXY_SEGMENT, end)) throw new InvalidRequestError('a proxy path is /v1/apps/{appid}/proxy/{WeChat path}');
  const target = resolvePassthroughTarget(url.slice(end + PROXY_SEGMENT.length - 1));
  const lower = target.path.toLowerCase();
  if (compatTokenPath(target.path) !== null || PROXY_REFUSED_PREFIXES.some((p) => lower.startsWith(p))) {
    throw new InvalidRequestError(`the proxy does not call ${target.path}: it takes a secret or a user's token, not the app's token`);
  }
  if (!prefixes.some((prefix) => target.path.startsWith(prefix))) {
    throw new InvalidRequestError(`the proxy calls only paths under ${prefixes.join(', ') || '(none configured)'}`);
  }
  const secretParameter = queryNames(target.search).find((name) => SECRET_PARAMETERS.includes(name.toLowerCase()));
  if (secretParameter !== undefined) throw new InvalidRequestError(`the proxy does not forward a "${secretParameter}" parameter`);
  if (carriesClientKey(target.search)) throw new InvalidRequestError('the proxy never forwards a client key to WeChat');
  return { appid, ...target };
}
