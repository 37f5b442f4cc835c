import { WxTokenError } from './wxtoken-error.js';

/** The request conflicts with existing state, e.g. a client key name that is already taken. */
export class ConflictError extends WxTokenError {
  constructor(message: string) {
    super('conflict', message, 409, false);
  }
}
