import { WxTokenError } from './wxtoken-error.js';

/**
 * Too many failed authentications (client keys, AppSecrets, the admin or metrics key) from the caller's address
 * in the current window: every credential check from it is refused until `retryAfterSeconds` have passed.
 */
export class AuthThrottledError extends WxTokenError {
  constructor(retryAfterSeconds: number) {
    super(
      'auth_throttled',
      `too many failed authentications from this address; retry after ${retryAfterSeconds} s`,
      429,
      true,
      { retryAfterSeconds },
    );
  }
}
