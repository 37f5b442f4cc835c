import { LoginRefusedError } from './login-refused-error.js';

/** 40029: the login code is unknown to WeChat, expired (codes live five minutes), or of another app. */
export class LoginCodeInvalidError extends LoginRefusedError {
  constructor(errmsg: string, endpoint: string) {
    super('login_code_invalid', 400, false, 40029, errmsg, endpoint);
  }
}
