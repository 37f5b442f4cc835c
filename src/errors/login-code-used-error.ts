import { LoginRefusedError } from './login-refused-error.js';

/** 40163: the login code was already exchanged (each code works once). */
export class LoginCodeUsedError extends LoginRefusedError {
  constructor(errmsg: string, endpoint: string) {
    super('login_code_used', 400, false, 40163, errmsg, endpoint);
  }
}
