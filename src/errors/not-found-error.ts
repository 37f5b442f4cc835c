import { WxTokenError } from './wxtoken-error.js';

/** A route, client key or other named thing that does not exist (apps use AppNotFoundError). */
export class NotFoundError extends WxTokenError {
  constructor(message: string) {
    super('not_found', message, 404, false);
  }
}
