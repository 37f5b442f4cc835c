import { newRid } from './rid.js';

/** The errmsg text WeChat sends for each errcode the simulator answers (wechat-api.md §1.2, §2.5, §3). */
export const ERRMSG: ReadonlyMap<number, string> = new Map([
  [-1, 'system error'],
  [40001, 'invalid credential, access_token is invalid or not latest'],
  [40002, 'invalid grant_type'],
  [40013, 'invalid appid'],
  [40014, 'invalid access_token'],
  [40029, 'invalid code'],
  [40125, 'invalid appsecret'],
  [40163, 'code been used'],
  [40226, 'high risk user, login blocked'],
  [41001, 'access_token missing'],
  [41002, 'appid missing'],
  [41004, 'appsecret missing'],
  [41008, 'missing code'],
  [42001, 'access_token expired'],
  [43002, 'require POST method'],
  [45009, 'reach max api daily quota limit'],
  [45011, 'api minute-quota reach limit mustslower retry next minute'],
  [47001, 'data format error'],
  [48001, 'api unauthorized'],
  [48006, 'forbid to clear quota because of reaching the limit'],
  [76003, 'invalid cgi_path'],
  [76021, 'cgi_path not found'],
]);

/** A JSON body WeChat would send with HTTP 200; the HTTP layer serialises it unchanged. */
export type WeChatBody = Readonly<Record<string, unknown>>;

/** What a WeChat error body looks like: code plus english text plus the request id. */
export type WeChatErrorBody = {
  readonly errcode: number;
  readonly errmsg: string;
};

/** Builds an error body `{errcode, errmsg: "<text> rid: <rid>"}` for a request answered at `nowMs`. */
export function wechatError(errcode: number, nowMs: number, random: () => number, text?: string): WeChatErrorBody {
  const message = text ?? ERRMSG.get(errcode) ?? 'unknown error';
  return { errcode, errmsg: `${message} rid: ${newRid(nowMs, random)}` };
}

/** Whole seconds left on the wire: the floor of what remains, but at least 1 while the credential is valid. */
export function expiresInSeconds(expiresAt: number, nowMs: number): number {
  return Math.max(1, Math.floor((expiresAt - nowMs) / 1000));
}
