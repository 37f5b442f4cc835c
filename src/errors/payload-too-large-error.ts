import { WxTokenError } from './wxtoken-error.js';

/** A request body over the configured limit. */
export class PayloadTooLargeError extends WxTokenError {
  constructor(limitBytes: number) {
    super('payload_too_large', `request body exceeds ${limitBytes} bytes`, 413, false);
  }
}
