import { CLIENT_KEY_PREFIX } from '../../core/client-keys.js';

/** The query parameter in which WeChat takes an app's access token. */
export const ACCESS_TOKEN_PARAMETER = 'access_token';

/**
 * The value of `name` in a raw query string (`?a=1&b=2`, or ''), decoded as WeChat reads it; undefined when absent
 * or when it appears more than once (an ambiguous request is never healed: which one would WeChat have read?).
 */
export function queryValue(search: string, name: string): string | undefined {
  let found: string | undefined;
  for (const pair of splitQuery(search)) {
    const eq = pair.indexOf('=');
    if (decodePart(eq === -1 ? pair : pair.slice(0, eq)) !== name) continue;
    if (found !== undefined) return undefined;
    found = decodePart(eq === -1 ? '' : pair.slice(eq + 1)) ?? '';
  }
  return found;
}

/**
 * The raw query string with every `name` parameter removed and `name=<value>` appended, the other parameters kept
 * byte for byte. Always starts with `?`.
 */
export function withQueryValue(search: string, name: string, value: string): string {
  const kept = splitQuery(search).filter((pair) => {
    const eq = pair.indexOf('=');
    return decodePart(eq === -1 ? pair : pair.slice(0, eq)) !== name;
  });
  kept.push(`${encodeURIComponent(name)}=${encodeURIComponent(value)}`);
  return `?${kept.join('&')}`;
}

/** The names of the parameters of a raw query string, decoded (undecodable names are kept raw). */
export function queryNames(search: string): string[] {
  return splitQuery(search).map((pair) => {
    const eq = pair.indexOf('=');
    const raw = eq === -1 ? pair : pair.slice(0, eq);
    return decodePart(raw) ?? raw;
  });
}

function splitQuery(search: string): string[] {
  const body = search.startsWith('?') ? search.slice(1) : search;
  return body === '' ? [] : body.split('&').filter((pair) => pair !== '');
}

function decodePart(part: string): string | undefined {
  try {
    return decodeURIComponent(part.replace(/\+/g, ' '));
  } catch {
    return undefined;
  }
}

/**
 * Whether any query parameter's value, decoded, is a client key (by its prefix; valid or not does not matter):
 * such a request is refused rather than forwarded, so a key never reaches WeChat.
 */
export function carriesClientKey(search: string): boolean {
  if (search.length <= 1) return false;
  for (const [, value] of new URLSearchParams(search.slice(1))) if (value.trim().startsWith(CLIENT_KEY_PREFIX)) return true;
  return false;
}
