import type { KeyAction } from '../../core/key-scope.js';
import { APPID_PATTERN } from '../../core/token-service.js';
import { COMPAT_ERRORS, type WeChatErrorBody } from './wechat-reply.js';

/**
 * WeChat paths that take an AppSecret itself rather than a token (docs/api.md, "Secret-bearing paths"), and the
 * pure reading of such a request: which appid it names and what stands where the secret goes. The token
 * endpoints (/cgi-bin/token, /cgi-bin/stable_token) are answered by the hub and are not in this table.
 */
export interface SecretBearingPath {
  /** The canonical path, as forwarded. */
  readonly path: string;
  /** The parameter that carries the secret. */
  readonly secretParam: 'secret' | 'appsecret';
  /** The parameter that names the app whose secret it is. */
  readonly appidParam: 'appid';
  /**
   * What a client key must be allowed to do for the hub to put the app's secret in its place; null when the hub
   * keeps no such secret (an Open Platform component's), so a client key there is refused and never forwarded.
   */
  readonly capability: KeyAction | null;
  /** WeChat also reads appid and secret from a JSON body (clear_quota/v2, §5.2). */
  readonly jsonBody: boolean;
}

/** Every secret-bearing path the hub knows, in the order docs/api.md lists them. */
export const SECRET_BEARING_PATHS: readonly SecretBearingPath[] = [
  { path: '/sns/jscode2session', secretParam: 'secret', appidParam: 'appid', capability: 'login', jsonBody: false },
  { path: '/sns/oauth2/access_token', secretParam: 'secret', appidParam: 'appid', capability: 'login', jsonBody: false },
  // Resets the app's daily quotas; a key that may read the app's tokens may reset what they count against.
  { path: '/cgi-bin/clear_quota/v2', secretParam: 'appsecret', appidParam: 'appid', capability: 'read-token', jsonBody: true },
  // The component's own secret: the hub does not hold Open Platform component secrets yet.
  { path: '/cgi-bin/component/clear_quota/v2', secretParam: 'appsecret', appidParam: 'appid', capability: null, jsonBody: true },
];

const BY_PATH = new Map(SECRET_BEARING_PATHS.map((entry) => [entry.path, entry]));

/**
 * The secret-bearing path a resolved passthrough path names, if any. Compared case-insensitively and without a
 * trailing slash, so no spelling of one reaches the plain passthrough (which would forward a client key).
 */
export function secretBearingPath(path: string): SecretBearingPath | null {
  return BY_PATH.get(path.toLowerCase().replace(/\/+$/, '')) ?? null;
}

/** A secret-bearing request as read: the app, what stands where the secret goes, and where it stood. */
export interface SecretCall {
  readonly appid: string;
  readonly secret: string;
  /** Where appid and secret were found: the query, or the JSON body. */
  readonly in: 'query' | 'body';
}

/** Either the reading, or the WeChat-shaped refusal to answer with (HTTP 200, as WeChat answers). */
export type SecretCallReading = { readonly ok: true; readonly call: SecretCall } | { readonly ok: false; readonly refusal: { base: WeChatErrorBody; detail: string } };

/**
 * Reads appid and secret from a request's query pairs (decoded, in order) and, where WeChat reads one, its JSON
 * body. Refuses anything another parser could read differently from this one, so the appid the key was checked
 * against is the one WeChat sees: a parameter given twice (in the query, in the body, or in both), and names that
 * are spellings of appid or of the secret parameter without being it exactly (`APPID`, `appid[]`, ` appid`,
 * `app\0id`). Percent-encoded names arrive decoded here and count as the name they spell.
 */
export function readSecretCall(entry: SecretBearingPath, query: ReadonlyArray<readonly [string, string]>, body: Record<string, unknown> | null): SecretCallReading {
  const names = [entry.appidParam, entry.secretParam] as const;
  const found: Record<string, Array<{ value: unknown; in: 'query' | 'body' }>> = { [entry.appidParam]: [], [entry.secretParam]: [] };
  const sources: Array<['query' | 'body', Iterable<readonly [string, unknown]>]> = [['query', query]];
  if (body !== null) sources.push(['body', Object.entries(body)]);
  for (const [where, pairs] of sources) {
    for (const [name, value] of pairs) {
      const exact = (names as readonly string[]).includes(name);
      if (exact) found[name]!.push({ value, in: where });
      else if ((names as readonly string[]).includes(looseName(name))) {
        return refuse(COMPAT_ERRORS.invalidArgs, `parameter ${JSON.stringify(looseName(name))} is spelt ambiguously`);
      }
    }
  }
  for (const name of names) {
    if (found[name]!.length > 1) return refuse(COMPAT_ERRORS.invalidArgs, `parameter ${name} is given more than once`);
  }
  const appid = found[entry.appidParam]![0];
  const secret = found[entry.secretParam]![0];
  if (appid === undefined || appid.value === '') return refuse(COMPAT_ERRORS.appidMissing);
  if (typeof appid.value !== 'string' || !APPID_PATTERN.test(appid.value)) return refuse(COMPAT_ERRORS.invalidAppid);
  if (secret === undefined || secret.value === '') return refuse(COMPAT_ERRORS.appsecretMissing);
  if (typeof secret.value !== 'string') return refuse(COMPAT_ERRORS.invalidAppsecret);
  // One place for both, so substituting the secret cannot leave the appid WeChat reads elsewhere.
  if (appid.in !== secret.in) return refuse(COMPAT_ERRORS.invalidArgs, `${entry.appidParam} and ${entry.secretParam} must be given in the same place (query or body)`);
  return { ok: true, call: { appid: appid.value, secret: secret.value, in: secret.in } };
}

/** A parameter name as a lenient parser might read it: lower case, without anything but letters, digits and `_`. */
function looseName(name: string): string {
  return name.toLowerCase().replace(/[^a-z0-9_]/g, '');
}

function refuse(base: WeChatErrorBody, detail = ''): SecretCallReading {
  return { ok: false, refusal: { base, detail } };
}
