import { WxTokenError } from './wxtoken-error.js';

/** The caller sent something malformed: a bad appid, a bad body, a missing field. */
export class InvalidRequestError extends WxTokenError {
  constructor(message: string) {
    super('invalid_request', message, 400, false);
  }
}
