import type { FastifyReply, FastifyRequest } from 'fastify';
import { CLIENT_KEY_PREFIX } from '../../core/client-keys.js';
import { appResource, keyAllows } from '../../core/key-scope.js';
import { AppNotFoundError, AuthThrottledError } from '../../errors/index.js';
import type { RouteContext } from '../context.js';
import { logFailure, toHttpFailure } from '../error-handler.js';
import type { ResolvedTarget } from './passthrough-path.js';
import { readSecretCall, type SecretBearingPath, type SecretCall } from './secret-paths.js';
import { callUpstream, relayUpstream, type UpstreamCallOptions } from './upstream-call.js';
import { COMPAT_ERRORS, type WeChatErrorBody, type WeChatReplies } from './wechat-reply.js';

/** How secret-bearing calls are forwarded. */
export interface SecretCallOptions {
  readonly upstream: UpstreamCallOptions;
  /** Forward a caller's own AppSecret instead of refusing it (ServerOptions.allowCallerSecret). */
  readonly allowCallerSecret: boolean;
}

/** Answers one request to a secret-bearing path (the passthrough routes them here after resolving the path). */
export type SecretCallHandler = (request: FastifyRequest, reply: FastifyReply, target: ResolvedTarget, entry: SecretBearingPath) => Promise<unknown>;

/**
 * The WeChat-compatible handling of the paths that take an AppSecret (compat/secret-paths.ts): when a client key
 * scoped to the app, with the path's capability, stands where the secret goes, the hub forwards the request with
 * the app's sealed AppSecret in its place and relays WeChat's answer unchanged, so an SDK configured with the key
 * as its "secret" works as before and the key never reaches WeChat. A caller's own AppSecret (anything that is not
 * a client key) is refused with 40125 unless the operator allows it. Nothing of the query (codes, secrets) is
 * logged, and nothing of the answer (session keys, user tokens) is kept.
 */
export function secretCallHandler(ctx: RouteContext, replies: WeChatReplies, options: SecretCallOptions): SecretCallHandler {
  const { service, guard } = ctx;

  return async (request, reply, target, entry) => {
    const query = [...new URLSearchParams(target.search.slice(1))];
    let body: Record<string, unknown> | null = null;
    if (entry.jsonBody && Buffer.isBuffer(request.body) && request.body.length > 0) {
      body = parseJsonObject(request.body);
      if (body === null) return replies.error(COMPAT_ERRORS.dataFormatError);
    }
    const reading = readSecretCall(entry, query, body);
    if (!reading.ok) return replies.error(reading.refusal.base, reading.refusal.detail || undefined);
    const { call } = reading;

    if (!call.secret.startsWith(CLIENT_KEY_PREFIX)) {
      if (!options.allowCallerSecret) {
        // Whether it is the right secret is neither checked nor told: the hub is its only holder.
        return replies.error(COMPAT_ERRORS.invalidAppsecret, 'the hub keeps this AppSecret: present a client key scoped to the app in its place');
      }
      return forward(request, reply, target, entry, query, body, call, call.secret);
    }

    try {
      guard.assertAllowed(request, 'compat');
    } catch (err) {
      if (!(err instanceof AuthThrottledError)) throw err;
      reply.code(429).header('retry-after', String(err.retryAfterSeconds));
      return replies.error(COMPAT_ERRORS.minuteQuota, 'too many failed authentications from this address');
    }
    const identity = service.authenticate(call.secret);
    if (identity === null) {
      guard.failed(request, 'compat');
      return replies.error(COMPAT_ERRORS.invalidAppsecret, 'the client key is not valid');
    }
    if (entry.capability === null) {
      reply.code(403);
      return replies.error(COMPAT_ERRORS.apiUnauthorized, 'the hub keeps no secret for this call; a client key is never forwarded');
    }
    if (!keyAllows(identity, null, entry.capability)) {
      reply.code(403);
      return replies.error(COMPAT_ERRORS.apiUnauthorized, `this client key may not make this call (it lacks the ${entry.capability} capability)`);
    }
    if (!keyAllows(identity, appResource(call.appid), entry.capability)) {
      guard.failed(request, 'compat');
      return replies.error(COMPAT_ERRORS.invalidAppsecret, 'the client key is not scoped to this app');
    }
    if (!service.withAppSecret) return replies.error(COMPAT_ERRORS.systemError, 'this hub cannot make calls with the AppSecret');
    try {
      return await service.withAppSecret(call.appid, (secret) => forward(request, reply, target, entry, query, body, call, secret));
    } catch (err) {
      if (err instanceof AppNotFoundError) return replies.error(COMPAT_ERRORS.invalidAppid);
      logFailure(request, toHttpFailure(err), err);
      return replies.fromHubError(err);
    }
  };

  /** Forwards the request with `secret` where the caller's stood, rebuilding only the part that carried it. */
  async function forward(
    request: FastifyRequest,
    reply: FastifyReply,
    target: ResolvedTarget,
    entry: SecretBearingPath,
    query: ReadonlyArray<readonly [string, string]>,
    body: Record<string, unknown> | null,
    call: SecretCall,
    secret: string,
  ): Promise<FastifyReply | WeChatErrorBody> {
    // Re-encoded from what was checked, so WeChat reads exactly the appid the key was checked against.
    const forwardedQuery = new URLSearchParams(query.map(([name, value]): [string, string] => [name, call.in === 'query' && name === entry.secretParam ? secret : value]));
    const search = forwardedQuery.size === 0 ? '' : `?${forwardedQuery}`;
    const init: RequestInit = { method: request.method, headers: {} };
    if (call.in === 'body' && body !== null) {
      init.body = JSON.stringify({ ...body, [entry.secretParam]: secret });
      init.headers = { 'content-type': 'application/json' };
    } else if (request.method !== 'GET' && request.method !== 'HEAD' && Buffer.isBuffer(request.body)) {
      init.body = request.body;
      const contentType = request.headers['content-type'];
      if (contentType !== undefined) init.headers = { 'content-type': contentType };
    }
    const answer = await callUpstream(options.upstream, entry.path + search, init);
    if (!answer.ok) {
      request.log.warn({ path: entry.path, why: answer.why, err: answer.errorName }, 'secret-bearing call to WeChat failed');
      reply.code(502);
      return replies.error(COMPAT_ERRORS.systemError, `the hub could not reach WeChat: ${answer.why}`);
    }
    // A session key or a user's access token: never cached on the way back.
    reply.header('cache-control', 'no-store');
    return relayUpstream(reply, answer);
  }
}

function parseJsonObject(raw: Buffer): Record<string, unknown> | null {
  try {
    const value: unknown = JSON.parse(raw.toString('utf8'));
    return value !== null && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>) : null;
  } catch {
    return null;
  }
}
