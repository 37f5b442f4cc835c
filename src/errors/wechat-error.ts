import type { ErrcodeCategory } from './errcode-category.js';
import { WxTokenError } from './wxtoken-error.js';

/**
 * Parses the request id WeChat appends to errmsg (`... rid: 6004f3da-1529ba72-5c345f67`), or the hint WeCom puts in
 * its place (`..., hint: [1651125626252370061579454], from ip: ...`): what their support asks for.
 */
export function parseRid(errmsg: string): string | undefined {
  return /rid:\s*([0-9a-f]{8}-[0-9a-f]{8}-[0-9a-f]{8})/i.exec(errmsg)?.[1] ?? /hint:\s*\[([0-9A-Za-z_-]{1,64})\]/.exec(errmsg)?.[1];
}

/** WeChat answered with a non-zero errcode; `category` is the errcode table's verdict (wechat/errcodes.ts, wechatError). */
export class WeChatError extends WxTokenError {
  readonly errcode: number;
  readonly errmsg: string;
  /** WeChat's rid, or WeCom's hint. */
  readonly rid: string | undefined;
  readonly category: ErrcodeCategory;
  /** The API path that answered, e.g. `/cgi-bin/token` (never with its query string). */
  readonly endpoint: string;

  constructor(errcode: number, errmsg: string, endpoint: string, category: ErrcodeCategory) {
    super('wechat_error', `WeChat ${endpoint} answered errcode ${errcode}: ${errmsg}`, 502, category === 'transient');
    this.errcode = errcode;
    this.errmsg = errmsg;
    this.rid = parseRid(errmsg);
    this.category = category;
    this.endpoint = endpoint;
  }
}
