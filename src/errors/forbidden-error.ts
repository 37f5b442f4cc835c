import { WxTokenError } from './wxtoken-error.js';

/** A valid key whose scope does not cover what was asked. */
export class ForbiddenError extends WxTokenError {
  constructor(message: string) {
    super('forbidden', message, 403, false);
  }
}
