import { WxTokenError } from './wxtoken-error.js';

/** No credentials, or credentials that match no key. */
export class UnauthorizedError extends WxTokenError {
  constructor(message = 'a valid bearer key is required') {
    super('unauthorized', message, 401, false);
  }
}
