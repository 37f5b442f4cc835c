import { WxTokenError, type WxTokenErrorOptions } from './wxtoken-error.js';

/**
 * WeChat rejected the app's configured credentials (wrong secret, unknown appid, IP not allowed, frozen...).
 * The hub stops retrying until an operator changes the app; callers get this until then.
 */
export class CredentialsRejectedError extends WxTokenError {
  constructor(message: string, options: WxTokenErrorOptions = {}) {
    super('credentials_rejected', message, 502, false, options);
  }
}
