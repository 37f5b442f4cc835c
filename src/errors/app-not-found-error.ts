import { WxTokenError } from './wxtoken-error.js';

/** The app (an appid, a WeCom app of a corp, any principal) is not registered with this hub. */
export class AppNotFoundError extends WxTokenError {
  /** `label` names the principal as messages do (`WeCom app wecom:…`); default `app <id>`. */
  constructor(id: string, label = `app ${id}`) {
    super('app_not_found', `${label} is not registered`, 404, false);
  }
}
