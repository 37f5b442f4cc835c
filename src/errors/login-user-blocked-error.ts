import { LoginRefusedError } from './login-refused-error.js';

/** 40226: WeChat judged the user high-risk and blocked the login; the code is spent. */
export class LoginUserBlockedError extends LoginRefusedError {
  constructor(errmsg: string, endpoint: string) {
    super('login_user_blocked', 403, false, 40226, errmsg, endpoint);
  }
}
