import { parseRid } from './wechat-error.js';
import { WxTokenError, type WxTokenErrorOptions } from './wxtoken-error.js';

/**
 * WeChat refused a user-login exchange (jscode2session, the web OAuth code exchange) for a reason about the user
 * or the code, not the hub: the base of the four typed refusals below. Never carries the code or the secret.
 */
export class LoginRefusedError extends WxTokenError {
  readonly errcode: number;
  readonly errmsg: string;
  readonly rid: string | undefined;
  /** The API path that answered, e.g. `/sns/jscode2session`. */
  readonly endpoint: string;

  constructor(code: string, status: number, retryable: boolean, errcode: number, errmsg: string, endpoint: string, options: WxTokenErrorOptions = {}) {
    super(code, `WeChat ${endpoint} refused the login with errcode ${errcode}: ${errmsg}`, status, retryable, options);
    this.errcode = errcode;
    this.errmsg = errmsg;
    this.rid = parseRid(errmsg);
    this.endpoint = endpoint;
  }
}
