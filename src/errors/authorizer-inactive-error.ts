import { WxTokenError } from './wxtoken-error.js';

/**
 * An Open Platform authorizer cannot be served: it was unauthorized, needs re-authorization or a code exchange, or
 * its account is frozen. `status` says which; the message says why and since when. No token is served meanwhile.
 */
export class AuthorizerInactiveError extends WxTokenError {
  constructor(
    message: string,
    readonly authorizerStatus: string,
  ) {
    super('authorizer_inactive', message, 409, false);
  }
}
