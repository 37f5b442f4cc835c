/**
 * WeCom's error text (wechat-api.md §7.1, wechat-open-platform.md §5): `"<text>, hint: [<hint>], from ip: <ip>,
 * more info at https://open.work.weixin.qq.com/devtool/query?e=<errcode>"`. The hint starts with the Unix time in
 * seconds followed by opaque digits (INFERENCE from captured samples such as `1651125626252370061579454`). Shared by
 * the simulator, which answers as WeCom does, and the hub's WeCom-compatible endpoint, which answers SDKs alike.
 */

/** The text WeCom sends for each errcode wxtoken answers in WeCom's shape. */
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
  [48002, 'api forbidden'],
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

/** The errmsg of a WeCom error body for a request from `ip` with hint `hint`. */
export function wecomErrmsg(errcode: number, hint: string, ip: string, text?: string): string {
  return `${text ?? WECOM_ERRMSG.get(errcode) ?? 'unknown error'}, hint: [${hint}], from ip: ${ip}, more info at ${moreInfoUrl(errcode)}`;
}
