import { WxTokenError } from './wxtoken-error.js';

/**
 * A pushed WeChat message failed verification: bad signature, undecryptable, wrong AppId (receiveid), bad
 * padding, stale timestamp or a replay. The message names the check, never the message's content.
 */
export class MessageRejectedError extends WxTokenError {
  constructor(message: string) {
    super('message_rejected', message, 400, false);
  }
}
