export { createServer } from './app.js';
export {
  DEFAULT_AUTH_FAILURE_LIMIT,
  DEFAULT_AUTH_FAILURE_WINDOW_MS,
  DEFAULT_BODY_LIMIT_BYTES,
  DEFAULT_CONNECTION_TIMEOUT_MS,
  DEFAULT_HEADERS_TIMEOUT_MS,
  DEFAULT_KEEP_ALIVE_TIMEOUT_MS,
  DEFAULT_MAX_CONNECTIONS,
  DEFAULT_REQUEST_TIMEOUT_MS,
  DEFAULT_PASSTHROUGH_BODY_LIMIT_BYTES,
  DEFAULT_PASSTHROUGH_PREFIXES,
  DEFAULT_REPLAY_BODY_LIMIT_BYTES,
  DEFAULT_TOKEN_CHECK_INTERVAL_MS,
  DEFAULT_UPSTREAM_BASE_URL,
  DEFAULT_UPSTREAM_TIMEOUT_MS,
  MIN_ADMIN_KEY_LENGTH,
  resolveServerOptions,
  resolveServerSettings,
  type ResolvedServerOptions,
  type ServerLoggerOptions,
  type ServerOptions,
} from './options.js';
export { INTERNAL_ERROR_CODE, type ErrorBody } from './error-handler.js';
export { COMPAT_ERRORS, type WeChatErrorBody } from './compat/wechat-reply.js';
export type { TokenBody } from './token-body.js';
export type { AppStatusBody } from './admin/admin-routes.js';
export { REDACTED_LOG_PATHS } from './logging.js';
export { assertRandomKey, estimateKeyBits, weakKeyReason, MIN_KEY_BITS, MIN_KEY_LENGTH, KEY_GENERATION_HINT } from './key-strength.js';
