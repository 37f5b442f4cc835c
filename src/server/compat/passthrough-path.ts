import { InvalidRequestError } from '../../errors/index.js';

/** A passthrough request target after resolution: the path the hub checks is the path it forwards. */
export interface ResolvedTarget {
  /** Decoded, with duplicate slashes collapsed; only characters in SAFE_PATH_CHARACTERS. */
  readonly path: string;
  /** The raw query string with its `?` (forwarded byte for byte), or '' when there is none. */
  readonly search: string;
}

/**
 * What a resolved passthrough path may contain. WeChat's API paths are ASCII letters, digits, `_`, `-`, `.` and
 * `/` (e.g. `/cgi-bin/message/custom/send`); anything else (`;`, `%`, `\`, non-ASCII, controls) is a character some
 * server or proxy between the hub and WeChat could read differently from the hub, so it is refused rather than
 * reasoned about.
 */
const SAFE_PATH_CHARACTERS = /^[A-Za-z0-9_~./-]+$/;

// `%2e` in any case: an encoded dot is how `..` slips past a check that looks for literal dots.
const ENCODED_DOT = /%2e/i;

/**
 * Resolves a passthrough request target before anything is decided about it. Refuses (InvalidRequestError, 400)
 * what could resolve differently downstream than here: a target that is not a path (absolute-form
 * `http://host/...`), backslashes (literal or encoded), encoded dots, double encodings (a `%` left after decoding
 * once), `.` and `..` segments, and any character outside SAFE_PATH_CHARACTERS. What remains is decoded once and
 * has its duplicate slashes collapsed; nothing downstream (the URL parser in fetch, a proxy, WeChat's server)
 * can resolve it to another path, so the allow-list and the token-endpoint rules are checked against exactly the
 * path that is forwarded.
 */
export function resolvePassthroughTarget(url: string): ResolvedTarget {
  if (url.charCodeAt(0) !== 0x2f /* '/' */) throw new InvalidRequestError('the request target must be a path (origin-form), not an absolute URL');
  const q = url.indexOf('?');
  const rawPath = q === -1 ? url : url.slice(0, q);
  const search = q === -1 ? '' : url.slice(q);
  if (rawPath.includes('\\') || /%5c/i.test(rawPath)) throw new InvalidRequestError('backslashes are not allowed in a passthrough path');
  if (ENCODED_DOT.test(rawPath)) throw new InvalidRequestError('encoded dots (%2e) are not allowed in a passthrough path');
  let decoded: string;
  try {
    decoded = decodeURIComponent(rawPath);
  } catch {
    throw new InvalidRequestError('the request path has a malformed percent-encoding');
  }
  if (decoded.includes('%')) throw new InvalidRequestError('double-encoded characters are not allowed in a passthrough path');
  if (!SAFE_PATH_CHARACTERS.test(decoded)) {
    throw new InvalidRequestError('a passthrough path may contain only letters, digits, "_", "-", "~", "." and "/"');
  }
  // `.` and `..` are dot segments; a segment that merely starts or ends with a dot (`...`, `token.`) is one that
  // some servers trim or resolve, and no WeChat path has one.
  if (decoded.split('/').some((s) => s.startsWith('.') || s.endsWith('.'))) {
    throw new InvalidRequestError('dot segments (".", "..") and segments beginning or ending with a dot are not allowed in a passthrough path');
  }
  return { path: decoded.replace(/\/{2,}/g, '/'), search };
}


/**
 * Methods the passthrough forwards. WeChat's API uses GET and POST; the others are forwarded for SDKs that send
 * them. Everything else (TRACE, CONNECT, WebDAV verbs…) gets 405: fetch refuses some of them outright, and none
 * has a meaning at WeChat.
 */
export const PASSTHROUGH_METHODS: readonly string[] = ['GET', 'HEAD', 'POST', 'PUT', 'DELETE', 'PATCH', 'OPTIONS'];
