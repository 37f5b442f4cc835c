import { WxTokenError, type WxTokenErrorOptions } from './wxtoken-error.js';

/**
 * A change to a principal (an Open Platform authorizer) waited too long for the fleet-wide write lease another
 * writer held, or lost that lease before writing: nothing was written, and trying again can succeed.
 */
export class PrincipalBusyError extends WxTokenError {
  constructor(message: string, options: WxTokenErrorOptions = {}) {
    super('principal_busy', message, 503, true, options);
  }
}
