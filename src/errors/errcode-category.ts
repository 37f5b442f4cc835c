/**
 * What a WeChat errcode means for the caller, as the one errcode table (src/wechat/errcodes.ts) classifies it.
 * Part of the error vocabulary, so errors carry it without depending on the WeChat client.
 */
export type ErrcodeCategory =
  /** The access token used is invalid, superseded or expired: refetch (compare-and-invalidate) and retry once. */
  | 'token-invalid'
  /** The configured appid/secret/IP is wrong: never retry automatically. */
  | 'bad-credentials'
  /** A human must act in the WeChat console (frozen secret, IP confirmation, banned API). */
  | 'needs-admin'
  /** A call quota is exhausted: back off until the window resets. */
  | 'quota'
  /** WeChat is busy or the request failed in transit: retry with backoff. */
  | 'transient'
  /** The request itself is malformed: a bug in the caller, retrying the same call cannot help. */
  | 'caller-bug'
  /** WeChat refused a user login (the code is unknown, spent, or the user is blocked): the user logs in again. */
  | 'login-refused';
