import { WxTokenError, type WxTokenErrorOptions } from './wxtoken-error.js';

/** A fault inside wxtoken or a backend's rejection of a well-formed call: a bug to report, not bad input. */
export class InternalError extends WxTokenError {
  constructor(message: string, options: WxTokenErrorOptions = {}) {
    super('internal_error', message, 500, false, options);
  }
}
