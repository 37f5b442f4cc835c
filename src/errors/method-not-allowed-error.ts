import { WxTokenError } from './wxtoken-error.js';

/** A method the route does not support (e.g. TRACE on a passthrough path); `allow` lists the ones it does. */
export class MethodNotAllowedError extends WxTokenError {
  /** The value of the response's `Allow` header. */
  readonly allow: string;

  constructor(method: string, allow: readonly string[]) {
    super('method_not_allowed', `method ${method.slice(0, 32)} is not supported here; use one of ${allow.join(', ')}`, 405, false);
    this.allow = allow.join(', ');
  }
}
