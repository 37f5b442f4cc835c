import type { FastifyServerOptions } from 'fastify';
import { pathOf } from './error-handler.js';
import type { ServerLoggerOptions } from './options.js';

/**
 * Log paths that could hold a secret, a key or a token, censored wherever they appear (a second line of defence:
 * the serializers below already leave headers, queries and bodies out).
 */
export const REDACTED_LOG_PATHS: readonly string[] = [
  'req.headers.authorization',
  'req.headers.cookie',
  'headers.authorization',
  'authorization',
  'secret',
  '*.secret',
  'body',
  '*.body',
  'key',
  '*.key',
  'adminKey',
  '*.adminKey',
  'access_token',
  '*.access_token',
  'query',
  '*.query',
];

interface LoggableRequest {
  method?: string;
  url?: string;
  ip?: string;
}

/** The request as logged: method and path only (the query can hold a secret or a token), and the peer. */
function safeRequest(req: LoggableRequest): { method?: string | undefined; path?: string | undefined; remoteAddress?: string | undefined } {
  return { method: req.method, path: req.url === undefined ? undefined : pathOf(req.url), remoteAddress: req.ip };
}

/** Fastify logger options with wxtoken's redaction and serializers forced on top of the caller's options. */
export function buildLoggerOptions(logger: boolean | ServerLoggerOptions): FastifyServerOptions['logger'] {
  if (logger === false) return false;
  const base: ServerLoggerOptions = logger === true ? {} : logger;
  const extraPaths = Array.isArray(base.redact) ? base.redact : (base.redact?.paths ?? []);
  return {
    ...base,
    redact: { paths: [...REDACTED_LOG_PATHS, ...extraPaths], censor: '[redacted]' },
    serializers: { ...base.serializers, req: safeRequest },
  };
}
