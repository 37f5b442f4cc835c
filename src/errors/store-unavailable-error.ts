import { WxTokenError, type WxTokenErrorOptions } from './wxtoken-error.js';

/** The configured store (SQLite, Redis, PostgreSQL) cannot be reached or failed an operation. */
export class StoreUnavailableError extends WxTokenError {
  constructor(message: string, options: WxTokenErrorOptions = {}) {
    super('store_unavailable', message, 503, true, options);
  }
}
