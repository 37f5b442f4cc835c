export { WxTokenError, type WxTokenErrorOptions } from './wxtoken-error.js';
export type { ErrcodeCategory } from './errcode-category.js';
export { AppNotFoundError } from './app-not-found-error.js';
export { AuthorizerInactiveError } from './authorizer-inactive-error.js';
export { AuthThrottledError } from './auth-throttled-error.js';
export { ConfigError } from './config-error.js';
export { ConflictError } from './conflict-error.js';
export { CredentialsRejectedError } from './credentials-rejected-error.js';
export { ForbiddenError } from './forbidden-error.js';
export { InternalError } from './internal-error.js';
export { InvalidRequestError } from './invalid-request-error.js';
export { InvalidationThrottledError } from './invalidation-throttled-error.js';
export { LoginCodeInvalidError } from './login-code-invalid-error.js';
export { LoginCodeUsedError } from './login-code-used-error.js';
export { LoginRateLimitedError } from './login-rate-limited-error.js';
export { LoginRefusedError } from './login-refused-error.js';
export { LoginUserBlockedError } from './login-user-blocked-error.js';
export { MessageRejectedError } from './message-rejected-error.js';
export { MethodNotAllowedError } from './method-not-allowed-error.js';
export { NotFoundError } from './not-found-error.js';
export { PayloadTooLargeError } from './payload-too-large-error.js';
export { PrincipalBusyError } from './principal-busy-error.js';
export { QuotaExhaustedError } from './quota-exhausted-error.js';
export { StoreUnavailableError } from './store-unavailable-error.js';
export { UnauthorizedError } from './unauthorized-error.js';
export { UpstreamTransportError, type TransportFailure } from './upstream-transport-error.js';
export { UpstreamUnavailableError } from './upstream-unavailable-error.js';
export { WeChatError, parseRid } from './wechat-error.js';

/** Every stable error code wxtoken emits; docs/errors.md documents exactly these (a test enforces it). */
export const ERROR_CODES = [
  'app_not_found',
  'auth_throttled',
  'authorizer_inactive',
  'conflict',
  'credentials_rejected',
  'forbidden',
  'internal_error',
  'invalid_config',
  'invalid_request',
  'invalidation_throttled',
  'login_code_invalid',
  'login_code_used',
  'login_rate_limited',
  'login_user_blocked',
  'message_rejected',
  'method_not_allowed',
  'not_found',
  'payload_too_large',
  'principal_busy',
  'quota_exhausted',
  'store_unavailable',
  'unauthorized',
  'upstream_transport',
  'upstream_unavailable',
  'wechat_error',
] as const;

/** One of wxtoken's stable error codes. */
export type ErrorCode = (typeof ERROR_CODES)[number];
