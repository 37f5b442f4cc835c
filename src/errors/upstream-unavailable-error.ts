import { WxTokenError, type WxTokenErrorOptions } from './wxtoken-error.js';

/** WeChat could not be reached or answered with a transient failure, and no valid token is held. */
export class UpstreamUnavailableError extends WxTokenError {
  constructor(message: string, options: WxTokenErrorOptions = {}) {
    super('upstream_unavailable', message, 503, true, options);
  }
}
