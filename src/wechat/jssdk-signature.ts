/**
 * The JS-SDK page signatures (wechat-api.md §6.2, wechat-open-platform.md §4.2): pure functions shared by the hub,
 * which signs, and the simulator, which verifies as WeChat's page check would. No clock and no randomness inside:
 * the caller passes the timestamp, and the nonce helper takes its random bytes as an argument.
 */
import { createHash, timingSafeEqual } from 'node:crypto';

/** What `wx.config` / `wx.agentConfig` are signed over; the ticket is the jsapi (or WeCom agent_config) ticket. */
export interface JssdkSignatureInput {
  readonly ticket: string;
  readonly nonceStr: string;
  /** Unix seconds, as passed to `wx.config`; a string is used as given. */
  readonly timestamp: number | string;
  /** The page URL; anything from `#` on is dropped, as WeChat does. */
  readonly url: string;
}

/** Characters of a generated nonceStr: letters and digits, like WeChat's own example `Wm3WZYTPz0wzccnW`. */
export const NONCE_ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
/** Length of a generated nonceStr: as long as WeChat's example, far under the 32 characters its APIs accept. */
export const DEFAULT_NONCE_LENGTH = 16;

/** The page URL as it is signed: everything before the first `#`, otherwise unchanged (no decoding, no encoding). */
export function signedUrl(url: string): string {
  const hash = url.indexOf('#');
  return hash < 0 ? url : url.slice(0, hash);
}

/**
 * `string1` of JS-SDK 附录1: the four fields in ASCII order of their names (jsapi_ticket, noncestr, timestamp, url)
 * joined as `key=value` with `&`; raw values, because WeChat signs them unescaped.
 */
export function jssdkSigningString(input: JssdkSignatureInput): string {
  return `jsapi_ticket=${input.ticket}&noncestr=${input.nonceStr}&timestamp=${String(input.timestamp)}&url=${signedUrl(input.url)}`;
}

/** The JS-SDK config signature: lower-case hex SHA-1 of `string1` (also WeCom's wx.config and wx.agentConfig). */
export function jssdkSignature(input: JssdkSignatureInput): string {
  return sha1Hex(jssdkSigningString(input));
}

/** Whether `signature` is the JS-SDK signature of `input`; hex case is ignored, the comparison is constant-time. */
export function verifyJssdkSignature(input: JssdkSignatureInput, signature: string): boolean {
  return sameHex(jssdkSignature(input), signature);
}

/**
 * The string the WeChat card (卡券) signature is taken over: the values (api_ticket, timestamp, nonce_str and
 * whichever of card_id, code, openid, app_id, location_id, card_type the call uses) sorted as strings and joined
 * without keys or separators (JS-SDK 附录4; WxJava `createCardApiSignature`, wechatpy `WeChatSigner`).
 */
export function cardSigningString(values: ReadonlyArray<string | number>): string {
  // Default sort compares UTF-16 code units, as Java's String.compareTo does; card values are ASCII in practice.
  return values.map(String).sort().join('');
}

/** The card signature: lower-case hex SHA-1 of cardSigningString. The api_ticket must be among the values. */
export function cardSignature(values: ReadonlyArray<string | number>): string {
  return sha1Hex(cardSigningString(values));
}

/** Whether `signature` is the card signature of `values`; hex case is ignored, the comparison is constant-time. */
export function verifyCardSignature(values: ReadonlyArray<string | number>, signature: string): boolean {
  return sameHex(cardSignature(values), signature);
}

/**
 * A nonceStr of `length` letters and digits drawn from `randomBytes` (pass `crypto.randomBytes` in production, a
 * seeded source in tests). Bytes that would bias the choice are rejected and redrawn.
 */
export function newNonceStr(randomBytes: (size: number) => Uint8Array, length: number = DEFAULT_NONCE_LENGTH): string {
  if (!Number.isSafeInteger(length) || length < 1 || length > 1024) {
    throw new RangeError(`nonce length must be an integer from 1 to 1024, got ${String(length)}`);
  }
  // 248 = 4 * 62: bytes at or above it would make the first characters likelier.
  const limit = 256 - (256 % NONCE_ALPHABET.length);
  let out = '';
  while (out.length < length) {
    for (const byte of randomBytes(length - out.length + 8)) {
      if (byte >= limit) continue;
      out += NONCE_ALPHABET[byte % NONCE_ALPHABET.length];
      if (out.length === length) break;
    }
  }
  return out;
}

function sha1Hex(text: string): string {
  return createHash('sha1').update(text, 'utf8').digest('hex');
}

function sameHex(expected: string, given: string): boolean {
  if (typeof given !== 'string') return false;
  const a = Buffer.from(expected);
  const b = Buffer.from(given.toLowerCase());
  // Compared as bytes: a 40-character string with non-ASCII characters is longer than 40 bytes.
  return a.length === b.length && timingSafeEqual(a, b);
}
