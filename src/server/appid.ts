import { APPID_PATTERN } from '../core/token-service.js';
import { InvalidRequestError } from '../errors/index.js';

/** Throws InvalidRequestError unless `appid` is `wx` + 16 lower-case hex digits. */
export function assertAppid(appid: string): void {
  if (!APPID_PATTERN.test(appid)) {
    throw new InvalidRequestError(`appid must be "wx" followed by 16 lower-case hex digits, got ${JSON.stringify(appid.slice(0, 40))}`);
  }
}
