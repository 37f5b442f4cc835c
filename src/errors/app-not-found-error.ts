import { WxTokenError } from './wxtoken-error.js';

/** The appid (or corp) is not registered with this hub. */
export class AppNotFoundError extends WxTokenError {
  constructor(appid: string) {
    super('app_not_found', `app ${appid} is not registered`, 404, false);
  }
}
