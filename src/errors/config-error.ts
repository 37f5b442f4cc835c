import { WxTokenError } from './wxtoken-error.js';

/** An option, flag or environment variable has a bad value; the message names it and the value (never a secret). */
export class ConfigError extends WxTokenError {
  constructor(message: string) {
    super('invalid_config', message, 500, false);
  }
}
