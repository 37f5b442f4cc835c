import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { MethodNotAllowedError, WxTokenError } from '../errors/index.js';

/** The body of every wxtoken API error: a stable code (docs/errors.md) and a human message. */
export interface ErrorBody {
  error: { code: string; message: string };
}

/** Code for a failure the server did not anticipate (a bug); listed in docs/errors.md. */
export const INTERNAL_ERROR_CODE = 'internal_error';

interface HttpFailure {
  readonly status: number;
  readonly code: string;
  readonly message: string;
  readonly retryAfterSeconds?: number | undefined;
  /** The `Allow` header of a 405. */
  readonly allow?: string | undefined;
}

// Fastify's own errors whose fixed messages are safe to show (they never quote the body).
const FASTIFY_BAD_INPUT: Readonly<Record<string, string>> = {
  FST_ERR_CTP_INVALID_JSON_BODY: 'the request body is not valid JSON',
  FST_ERR_CTP_EMPTY_JSON_BODY: 'the request body is empty but content-type is application/json',
  FST_ERR_CTP_INVALID_MEDIA_TYPE: 'unsupported content-type: send application/json',
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: 'the request body size does not match Content-Length',
  FST_ERR_BAD_URL: 'the request URL is malformed',
  FST_ERR_MAX_PARAM_LENGTH: 'a path parameter is too long',
};

/** Maps any thrown value to the status, code and message an API caller sees. Bad input never becomes a 500. */
export function toHttpFailure(err: unknown): HttpFailure {
  // Internal errors are logged in full but shown to callers only as "internal error".
  if (err instanceof WxTokenError && err.code !== INTERNAL_ERROR_CODE) {
    const allow = err instanceof MethodNotAllowedError ? err.allow : undefined;
    return { status: err.status, code: err.code, message: err.message, retryAfterSeconds: err.retryAfterSeconds, allow };
  }
  const fe = err as Partial<FastifyError> | null;
  if (fe && typeof fe === 'object') {
    if (fe.code === 'FST_ERR_CTP_BODY_TOO_LARGE') {
      return { status: 413, code: 'payload_too_large', message: 'the request body exceeds the configured limit' };
    }
    if (fe.validation !== undefined && typeof fe.message === 'string') {
      // Ajv messages name the field and the rule, never the value.
      return { status: 400, code: 'invalid_request', message: fe.message };
    }
    const known = typeof fe.code === 'string' ? FASTIFY_BAD_INPUT[fe.code] : undefined;
    if (known !== undefined) return { status: 400, code: 'invalid_request', message: known };
    if (typeof fe.statusCode === 'number' && fe.statusCode >= 400 && fe.statusCode < 500) {
      // Some other client error raised by Fastify or a plugin: its message might quote input, so it is not shown.
      return fe.statusCode === 413
        ? { status: 413, code: 'payload_too_large', message: 'the request body exceeds the configured limit' }
        : { status: 400, code: 'invalid_request', message: 'the request is malformed' };
    }
  }
  return { status: 500, code: INTERNAL_ERROR_CODE, message: 'internal error' };
}

/** Sends a failure in the wxtoken shape, with WWW-Authenticate on 401 and Retry-After when known. */
export function sendFailure(reply: FastifyReply, failure: HttpFailure): FastifyReply {
  if (failure.status === 401) reply.header('www-authenticate', 'Bearer');
  if (failure.allow !== undefined) reply.header('allow', failure.allow);
  if (failure.retryAfterSeconds !== undefined) reply.header('retry-after', String(Math.max(0, Math.ceil(failure.retryAfterSeconds))));
  const body: ErrorBody = { error: { code: failure.code, message: failure.message } };
  return reply.code(failure.status).send(body);
}

/** The error handler for the wxtoken API routes. */
export function handleApiError(this: FastifyInstance, err: unknown, request: FastifyRequest, reply: FastifyReply): FastifyReply {
  const failure = toHttpFailure(err);
  logFailure(request, failure, err);
  return sendFailure(reply, failure);
}

/** Logs server-side failures (5xx) only: 4xx are the caller's business and would let clients flood the log. */
export function logFailure(request: FastifyRequest, failure: HttpFailure, err: unknown): void {
  if (failure.status < 500) return;
  if (failure.code === INTERNAL_ERROR_CODE) request.log.error({ err }, 'unexpected error');
  else request.log.warn({ code: failure.code, msg: failure.message }, 'request failed');
}

/** 404 for every path no route matches. The query is never echoed: it may hold a secret. */
export function handleNotFound(request: FastifyRequest, reply: FastifyReply): FastifyReply {
  return sendFailure(reply, { status: 404, code: 'not_found', message: `no route for ${request.method} ${pathOf(request.url)}` });
}

/** The path of a request URL, without its query string. */
export function pathOf(url: string): string {
  const q = url.indexOf('?');
  return q === -1 ? url : url.slice(0, q);
}
