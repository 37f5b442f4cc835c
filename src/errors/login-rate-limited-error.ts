import { LoginRefusedError } from './login-refused-error.js';

/** 45011 on a login exchange: the user logged in too often this minute (WeChat allows 100); retry next minute. */
export class LoginRateLimitedError extends LoginRefusedError {
  constructor(errmsg: string, endpoint: string) {
    super('login_rate_limited', 429, true, 45011, errmsg, endpoint, { retryAfterSeconds: 60 });
  }
}
