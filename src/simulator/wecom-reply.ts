/**
 * WeCom's error bodies (wechat-api.md §7.1, wechat-open-platform.md §5): `{"errcode", "errmsg": "<text>, hint:
 * [<hint>], from ip: <ip>, more info at https://open.work.weixin.qq.com/devtool/query?e=<errcode>"}`. The hint
 * starts with the Unix time in seconds followed by opaque digits (INFERENCE from captured samples such as
 * `1651125626252370061579454`), so the simulator draws the rest at random.
 */
import { normaliseIp } from './ip-allow-list.js';
import type { WeChatErrorBody } from './wechat-reply.js';

/** The errmsg text WeCom sends for each errcode the simulator answers on its WeCom endpoints. */
export const WECOM_ERRMSG: ReadonlyMap<number, string> = new Map([
  [-1, 'system busy'],
  [40001, 'invalid credential'],
  [40013, 'invalid corpid'],
  [40014, 'invalid access_token'],
  [40097, 'invalid args'],
  [41001, 'access_token missing'],
  [41002, 'corpid missing'],
  [41004, 'corpsecret missing'],
  [42001, 'access_token expired'],
  [45009, 'api freq out of limit'],
  [60020, 'not allow to access from your ip'],
]);

/** Where WeCom's errmsg points for an errcode. */
export function moreInfoUrl(errcode: number): string {
  return `https://open.work.weixin.qq.com/devtool/query?e=${errcode}`;
}

/** A WeCom hint for a request answered at `nowMs`: Unix seconds then 15 random digits. */
export function newWeComHint(nowMs: number, random: () => number): string {
  let digits = '';
  for (let i = 0; i < 15; i++) digits += String(Math.floor(random() * 10) % 10);
  return `${Math.floor(nowMs / 1000)}${digits}`;
}

/** Builds a WeCom error body for a request from `ip` answered at `nowMs`. */
export function wecomError(errcode: number, nowMs: number, random: () => number, ip: string, text?: string): WeChatErrorBody {
  const message = text ?? WECOM_ERRMSG.get(errcode) ?? 'unknown error';
  const hint = newWeComHint(nowMs, random);
  return { errcode, errmsg: `${message}, hint: [${hint}], from ip: ${normaliseIp(ip)}, more info at ${moreInfoUrl(errcode)}` };
}
