import { WxTokenError, type WxTokenErrorOptions } from './wxtoken-error.js';

/**
 * A report of a bad credential came too soon after the last report-driven refresh of it: refusing it keeps a
 * caller that reports every value it gets from spending the app's daily quota. Retry after `retryAfterSeconds`.
 */
export class InvalidationThrottledError extends WxTokenError {
  constructor(message: string, options: WxTokenErrorOptions = {}) {
    super('invalidation_throttled', message, 429, true, options);
  }
}
