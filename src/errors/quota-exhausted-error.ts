import { WxTokenError, type WxTokenErrorOptions } from './wxtoken-error.js';

/** WeChat's call quota for the credential endpoint is used up, and no valid token is held. */
export class QuotaExhaustedError extends WxTokenError {
  constructor(message: string, options: WxTokenErrorOptions = {}) {
    super('quota_exhausted', message, 503, true, options);
  }
}
